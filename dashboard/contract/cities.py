"""City configuration: what makes one city different from another, read from TOML.

A city is configuration plus data. The config names the programs the city runs, the
alternative program whose eligible-call share is the headline, the boundary files, the
milestones drawn on the time series and the alternative team's operating schedule.

The config's own words (the district label, the precinct note, milestone labels, the
local names of programs) are English; a ``[translations.<lang>]`` table gives them in
another language, and ``City.localized(lang)`` is the city as a reader of that language
sees it. Pages localize the city once, where they pick it, so nothing downstream needs
to know about languages. ``tests/unit/test_cities.py`` checks every shipped city has a
complete Spanish table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from dashboard.contract.impact import Budget, ImpactConfig, load_budgets, load_impact
from dashboard.contract.schema import ResponseType


class CityConfigError(ValueError):
    """A city configuration file is missing a field or has a value of the wrong kind."""


@dataclass(frozen=True)
class Milestone:
    when: date
    label: str


@dataclass(frozen=True)
class SchedulePeriod:
    """The alternative team's operating pattern from ``start`` until the next period."""

    start: date
    vans: int
    days: tuple[int, ...]  # Monday = 0
    hours: tuple[int, int]  # [from, to) local hour
    area_districts: tuple[str, ...]

    def on_duty(self, weekday: int, hour: int) -> bool:
        return weekday in self.days and self.hours[0] <= hour < self.hours[1]


@dataclass(frozen=True)
class GeoConfig:
    districts: str | None = None
    precincts: str | None = None
    district_label: str = "District"
    precinct_note: str = ""
    low_population_threshold: int = 1000


@dataclass(frozen=True)
class CityText:
    """A city's own words in one language (``[translations.<lang>]``); empty = untranslated."""

    district_label: str = ""
    precinct_note: str = ""
    milestones: tuple[str, ...] = ()  # in the order of ``[[milestones]]``
    labels: tuple[tuple[str, str], ...] = ()
    #: Names of district values that are words, not ids or place names (Lane County's
    #: "Other", "Unknown"): value in the data -> what a reader of the language sees.
    district_names: tuple[tuple[str, str], ...] = ()
    #: The ``[impact]`` section's sources (where the served area and the offense reports
    #: come from), as the Impact page quotes them.
    impact_area_source: str = ""
    impact_offenses_source: str = ""


def _city_text(raw: dict) -> CityText:
    return CityText(
        district_label=str(raw.get("district_label", "")),
        precinct_note=str(raw.get("precinct_note", "")),
        milestones=tuple(str(m) for m in raw.get("milestones", [])),
        labels=tuple((ResponseType(k).value, str(v)) for k, v in sorted(raw.get("labels", {}).items())),
        district_names=tuple((str(k), str(v)) for k, v in sorted(raw.get("district_names", {}).items())),
        impact_area_source=str(raw.get("impact_area_source", "")),
        impact_offenses_source=str(raw.get("impact_offenses_source", "")),
    )


@dataclass(frozen=True)
class City:
    id: str
    name: str
    state: str
    timezone: str
    #: Residents (census), or None where the config gives none: per-capita figures are
    #: then withheld with their reason, like areas whose boundaries carry no population.
    population: int | None
    alternative_program: ResponseType
    programs: tuple[ResponseType, ...]
    geo: GeoConfig = field(default_factory=GeoConfig)
    milestones: tuple[Milestone, ...] = ()
    schedule: tuple[SchedulePeriod, ...] = ()
    #: Local names of programs (``[labels]`` in the TOML), e.g. STAR -> "MCSLC mobile
    #: crisis team" where the contract's STAR value stands for another civilian team.
    labels: tuple[tuple[str, str], ...] = ()

    #: The config's own words in other languages, by language code.
    translations: tuple[tuple[str, CityText], ...] = ()
    #: Display names of district values (set by ``localized``; a value not in it is its
    #: own name, as the data's district ids and place names are).
    district_names: tuple[tuple[str, str], ...] = ()
    #: What the Impact page's before/after compares (``[impact]``), None without it.
    impact: ImpactConfig | None = None
    #: The alternative program's yearly budgets (``[[budgets]]``), for the cost per call.
    budgets: tuple[Budget, ...] = ()

    @property
    def label_map(self) -> dict[str, str]:
        return dict(self.labels)

    def localized(self, lang: str) -> City:
        """This city with its own words in ``lang`` (itself when there is no translation)."""
        text = dict(self.translations).get(lang)
        if text is None:
            return self
        geo = replace(
            self.geo,
            district_label=text.district_label or self.geo.district_label,
            precinct_note=text.precinct_note or self.geo.precinct_note,
        )
        milestones = tuple(
            replace(m, label=label) for m, label in zip(self.milestones, text.milestones, strict=False)
        ) + self.milestones[len(text.milestones):]
        labels = tuple(sorted({**self.label_map, **dict(text.labels)}.items()))
        names = tuple(sorted({**dict(self.district_names), **dict(text.district_names)}.items()))
        impact = self.impact and replace(
            self.impact, offenses_source=text.impact_offenses_source or self.impact.offenses_source,
            area=replace(self.impact.area, source=text.impact_area_source or self.impact.area.source))
        return replace(self, geo=geo, milestones=milestones, labels=labels, district_names=names,
                       impact=impact)

    def district_name(self, district: str) -> str:
        """What a reader sees for a district value: its translation where the config gives
        one (``[translations.<lang>.district_names]``), else the value itself."""
        return dict(self.district_names).get(district, district)

    @property
    def has_districts(self) -> bool:
        return self.geo.districts is not None

    def period_at(self, day: date) -> SchedulePeriod | None:
        """The schedule period in force on ``day`` (None before the program started)."""
        current = None
        for period in self.schedule:
            if period.start <= day:
                current = period
        return current


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise CityConfigError(f"{where}: {value!r} is not a YYYY-MM-DD date") from exc


def load_city(path: Path) -> City:
    """Parse one city TOML file, naming the file and field on any problem."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CityConfigError(f"{path}: {exc}") from exc
    try:
        geo = GeoConfig(**raw.get("geo", {}))
        milestones = tuple(
            Milestone(_date(m["date"], f"{path} milestone"), str(m["label"]))
            for m in raw.get("milestones", [])
        )
        schedule = tuple(
            SchedulePeriod(
                start=_date(s["start"], f"{path} schedule"),
                vans=int(s["vans"]),
                days=tuple(int(d) for d in s["days"]),
                hours=(int(s["hours"][0]), int(s["hours"][1])),
                area_districts=tuple(str(d) for d in s["area_districts"]),
            )
            for s in raw.get("schedule", [])
        )
        return City(
            id=str(raw["id"]),
            name=str(raw["name"]),
            state=str(raw.get("state", "")),
            timezone=str(raw["timezone"]),
            population=int(raw["population"]) if "population" in raw else None,
            alternative_program=ResponseType(raw["alternative_program"]),
            programs=tuple(ResponseType(p) for p in raw["programs"]),
            geo=geo,
            milestones=milestones,
            schedule=tuple(sorted(schedule, key=lambda s: s.start)),
            labels=tuple(
                (ResponseType(k).value, str(v)) for k, v in sorted(raw.get("labels", {}).items())
            ),
            translations=tuple(
                (str(lang), _city_text(text)) for lang, text in sorted(raw.get("translations", {}).items())
            ),
            impact=load_impact(raw.get("impact")),
            budgets=load_budgets(raw.get("budgets")),
        )
    except KeyError as exc:
        raise CityConfigError(f"{path}: missing required field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise CityConfigError(f"{path}: {exc}") from exc


def city_config_path(cities_dir: Path, city_id: str) -> Path:
    """The TOML file whose ``id`` is ``city_id`` (file names need not match ids)."""
    for path in sorted(cities_dir.glob("*.toml")):
        if load_city(path).id == city_id:
            return path
    raise CityConfigError(f"no city configuration with id {city_id!r} in {cities_dir}")


def load_cities(cities_dir: Path) -> dict[str, City]:
    """Every ``*.toml`` in ``cities_dir``, keyed by city id, in file-name order."""
    cities = {}
    for path in sorted(cities_dir.glob("*.toml")):
        city = load_city(path)
        cities[city.id] = city
    if not cities:
        raise CityConfigError(f"no city configuration (*.toml) in {cities_dir}")
    return cities
