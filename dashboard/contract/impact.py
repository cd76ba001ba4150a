"""A city's ``[impact]`` configuration: what the Impact page's before/after compares.

Which offense reports count as "targeted low-level" is a judgement, and so is which
precincts a team served from when: both live in the city's TOML, shown on the page with
their sources, never in code. A city without ``[impact]`` has no before/after (the page
says what is missing, not a made-up figure).

* ``offenses``: the reference file of offense reports by month, precinct and type (under
  the data folder), and ``offenses_source``: its name and address for the page.
* ``[[impact.service_areas]]``: from ``start`` the team served ``precincts``; ``end`` is
  the last month before the other precincts began to be served too (after it nothing is
  left to compare with). ``approximate = true`` when the list is a reading of public
  descriptions rather than an official list: the page then says so and shows the
  estimate with each precinct left out in turn. ``source`` names where the area comes from.
* ``[impact.groups]``: offense types per group (``targeted``, ``serious``); ``all`` is
  every report. Types are the reference file's ``offense_type_id``; a ``category:`` prefix
  takes a whole ``offense_category_id``.
* ``placebo_starts``: fake start dates before the real one (nothing should happen there).
* ``unknown_precincts``: codes the reference file uses for "no precinct recorded" (no place
  to compare: left out).

``[[budgets]]`` (top level, apart from ``[impact]``: a city can publish its budgets without
offense reports) gives the alternative program's yearly budget, each with its source:
``year``, ``amount`` (in dollars), ``source`` (who says so, quoted) and ``url``. The page's
cost per call divides it by the calls the team answered that year in the release.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

#: The groups the page offers, in order; ``all`` needs no list.
GROUPS: tuple[str, ...] = ("targeted", "serious", "all")
CATEGORY_PREFIX = "category:"


@dataclass(frozen=True)
class ServiceArea:
    start: date
    end: date
    precincts: tuple[str, ...]
    approximate: bool
    source: str


@dataclass(frozen=True)
class Budget:
    year: int
    amount: float
    source: str
    url: str


def load_budgets(raw: list | None) -> tuple[Budget, ...]:
    """The ``[[budgets]]`` of a city TOML, by year (ValueError on a bad or repeated year)."""
    budgets = tuple(Budget(int(b["year"]), float(b["amount"]), str(b["source"]), str(b["url"]))
                    for b in raw or [])
    years = [b.year for b in budgets]
    if len(set(years)) != len(years):
        raise ValueError("[[budgets]]: a year appears twice")
    if any(b.amount <= 0 for b in budgets):
        raise ValueError("[[budgets]]: amounts must be positive")
    return tuple(sorted(budgets, key=lambda b: b.year))


@dataclass(frozen=True)
class ImpactConfig:
    offenses: str
    offenses_source: str
    #: From the first month of the reference file to ``area.end``.
    first_month: date
    area: ServiceArea
    #: Offense types (or ``category:`` entries) per group but ``all``.
    groups: tuple[tuple[str, tuple[str, ...]], ...]
    placebo_starts: tuple[date, ...]
    unknown_precincts: tuple[str, ...] = ()

    def group(self, name: str) -> tuple[str, ...]:
        """The entries of a group (empty for ``all``: every report)."""
        return dict(self.groups).get(name, ())


def _date(value: object, where: str) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)) if value else _missing(where)


def _missing(where: str) -> date:
    raise ValueError(f"[impact] {where} must be a YYYY-MM-DD date")


def load_impact(raw: dict | None) -> ImpactConfig | None:
    """The ``[impact]`` table of a city TOML (None when absent). Raises ValueError (the
    loader adds the file name) on a missing or malformed field."""
    if not raw:
        return None
    areas = raw.get("service_areas") or []
    if len(areas) != 1:
        raise ValueError("[impact] needs exactly one [[impact.service_areas]] (the first area served)")
    a = areas[0]
    area = ServiceArea(
        start=_date(a.get("start"), "service_areas.start"), end=_date(a.get("end"), "service_areas.end"),
        precincts=tuple(str(p) for p in a["precincts"]), approximate=bool(a.get("approximate", False)),
        source=str(a["source"]),
    )
    if area.end <= area.start or not area.precincts:
        raise ValueError("[impact] service_areas: end must follow start, and precincts must not be empty")
    groups = raw.get("groups", {})
    unknown = set(groups) - set(GROUPS[:-1])
    if unknown:
        raise ValueError(f"[impact.groups] knows {', '.join(GROUPS[:-1])}, not {', '.join(sorted(unknown))}")
    placebos = tuple(_date(d, "placebo_starts") for d in raw.get("placebo_starts", []))
    if any(d >= area.start for d in placebos):
        raise ValueError("[impact] placebo_starts must come before the service area's start")
    return ImpactConfig(
        offenses=str(raw["offenses"]), offenses_source=str(raw["offenses_source"]),
        first_month=_date(raw.get("first_month"), "first_month"), area=area,
        groups=tuple((g, tuple(str(t) for t in groups.get(g, ()))) for g in GROUPS[:-1]),
        placebo_starts=placebos, unknown_precincts=tuple(str(p) for p in raw.get("unknown_precincts", [])),
    )
