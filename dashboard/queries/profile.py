"""A district's headline figures beside the city's, and the table ranking every district.

One shape (``AreaFigures``) for three sources, so the page and its ranking table treat
them alike:

* a police district, and the city: exact, from the rollups (the numbers reproduce
  from ``calls.csv`` filtered to the district);
* a council district: from the yearly, suppressed council cube (council districts cut
  across police districts and are not in the rows). The cube pools the programs: calls
  per program, eligibility and reasons, outcomes (all programs together) and the
  alternative team's response times, in 10-minute bands, so its median and 90th
  percentile are bands (``"10-19"``), not minutes, and other programs' are unknown.
  Sums over hidden cells are lower bounds and ``hidden`` says how many cells were left
  out; police backup is not published per council district (too few calls: ``unavailable``).

Populations come from the boundary layers (the page passes them in: data never reads
geography). A rate per 1,000 residents is withheld (NaN) for areas under the city's
``low_population_threshold``, like on the map.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Literal

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import (
    ALL_PROGRAMS,
    CITYWIDE,
    REASON_ANSWERED,
    RESPONSE_BANDS,
    UnansweredReason,
)
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries import overview as queries
from dashboard.queries.district import council_eligible, council_measure
from dashboard.queries.overview import view_where

AreaKind = Literal["city", "police", "council"]


@dataclass(frozen=True, eq=False)
class AreaFigures:
    """One area's headline measures for a period.

    ``programs``: response_type, calls, median, p90 (whole minutes for police districts
    and the city; band labels such as ``"10-19"`` for council districts, empty when
    unknown). ``outcomes``: response_type, outcome, calls (``response_type`` is
    ``ALL_PROGRAMS`` for a council district). Shares are NaN when their denominator is zero.
    """

    kind: AreaKind
    area: str
    calls: int
    eligible: int
    eligible_answered: int
    out_of_hours: int
    alt_calls: int
    backups: int
    repeat_calls: int
    population: int | None
    programs: pd.DataFrame
    outcomes: pd.DataFrame
    hidden: int = 0
    #: Measures whose count fell in a hidden cell (council districts): their value is
    #: unknown, not zero ("out_of_hours", "eligible_answered", "backups", "repeat_calls").
    hidden_measures: frozenset[str] = frozenset()
    #: Measures not published for this kind of area at all (council districts' backups).
    unavailable: frozenset[str] = frozenset()
    #: Figures that sum published cells beside hidden ones: lower bounds ("calls",
    #: "programs", "eligible", "out_of_hours").
    bounded: frozenset[str] = frozenset()
    #: Measures the city's data does not record ("backups", "repeat_calls"): their count
    #: is 0 in the files, which must read "not recorded", never 0% (issue 14).
    not_recorded: frozenset[str] = frozenset()

    @property
    def alt_share(self) -> float:
        return _share(self.eligible_answered, self.eligible)

    @property
    def out_of_hours_share(self) -> float:
        return _share(self.out_of_hours, self.eligible)

    @property
    def backup_share(self) -> float:
        return _share(self.backups, self.alt_calls)

    @property
    def repeat_share(self) -> float:
        return _share(self.repeat_calls, self.calls)

    def per_1000(self, low_population_threshold: int) -> float:
        """Calls per 1,000 residents; NaN without a population or under the threshold."""
        if not self.population or self.population < low_population_threshold:
            return math.nan
        return self.calls / self.population * 1000

    def minutes(self, program: str) -> tuple[object, object]:
        """(median, p90) of one program: minutes, a band label, or None."""
        row = self.programs[self.programs["response_type"] == program]
        if row.empty:
            return None, None
        median, p90 = row["median"].iloc[0], row["p90"].iloc[0]
        return (None if _missing(median) else median), (None if _missing(p90) else p90)


def _missing(value: object) -> bool:
    return value is None or value == "" or (isinstance(value, float) and math.isnan(value))


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else math.nan


# ----------------------------------------------------------------------- from the rows


def _row_details(store: Store, f: Filters) -> pd.DataFrame:
    """One scan of the exact rollup: calls by program, outcome, repeat contact, and
    whether the call was eligible and came in with no team on duty."""
    where, params = view_where(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT response_type, outcome, repeat_contact_90d AS repeat,
                       coalesce(star_eligible AND unanswered_reason = ?, false) AS out_of_hours,
                       sum(n)::BIGINT AS calls
                FROM rollup_counts WHERE {where} GROUP BY ALL""",
            [UnansweredReason.OUT_OF_HOURS.value, *params],
        )

    return store.cached(("profile_details", f), compute)


def rows_figures(store: Store, f: Filters, kind: AreaKind, area: str, population: int | None) -> AreaFigures:
    """Exact figures of the city (``kind="city"``) or one police district, from the rollups.

    Every program and category counts (the district page shows the whole district); the
    out-of-hours count is the exact one (eligible calls whose reason is out_of_hours).
    """
    base = f.with_(programs=(), categories=(), districts=() if kind == "city" else (area,))
    kpis = queries.kpis(store, base).iloc[0]
    counts = queries.program_counts(store, base)
    minutes = queries.minutes_by_program(store, base).set_index("response_type")
    programs = counts.assign(
        median=[minutes["median"].get(p, math.nan) for p in counts["response_type"]],
        p90=[minutes["p90"].get(p, math.nan) for p in counts["response_type"]],
    )
    details = _row_details(store, base)
    outcomes = (
        details.dropna(subset=["outcome"])
        .groupby(["response_type", "outcome"], as_index=False)["calls"]
        .sum()
    )
    repeat = int(details.loc[details["repeat"].fillna(False).astype(bool), "calls"].sum())
    return AreaFigures(
        kind=kind,
        area=area,
        calls=int(kpis["calls"]),
        eligible=int(kpis["eligible"]),
        eligible_answered=int(kpis["eligible_answered"]),
        out_of_hours=int(details.loc[details["out_of_hours"], "calls"].sum()),
        alt_calls=int(kpis["alt_calls"]),
        backups=int(kpis["backup"]),
        repeat_calls=repeat,
        population=population,
        programs=programs,
        outcomes=outcomes,
        not_recorded=unrecorded_measures(store, f.city),
    )


#: Release fields a city may not record -> the profile measures counted from each.
_MEASURES_OF_FIELD = {
    "star_eligible": ("eligible", "eligible_answered", "out_of_hours"),
    "police_backup": ("backups",),
    "repeat_contact_90d": ("repeat_calls",),
}


def unrecorded_measures(store: Store, city: str) -> frozenset[str]:
    """The profile measures the city's current release says its data does not record."""
    fields = store.release_info(city).not_recorded
    return frozenset(m for field, ms in _MEASURES_OF_FIELD.items() if field in fields for m in ms)


# ------------------------------------------------------------------ from the council cube


def band_quantile(bands: Mapping[str, int], q: float) -> str:
    """The band holding the q-quantile of the calls ("" when none): the smallest band, in
    ``RESPONSE_BANDS`` order, whose cumulative count reaches q of the total. The last band,
    ``30+``, also holds the calls no unit reached (the cube cannot tell them apart)."""
    ordered = [(band, int(bands.get(band, 0))) for band in RESPONSE_BANDS]
    total = sum(n for _, n in ordered)
    if total <= 0:
        return ""
    running = 0
    for band, n in ordered:
        running += n
        if running >= q * total:
            return band
    return ordered[-1][0]


def _by_value(frame: pd.DataFrame) -> tuple[dict[str, int], dict[str, int]]:
    """(published calls, hidden cells) per category of one council measure."""
    values = frame["value"].astype(str)
    return (dict(zip(values, frame["calls"].astype(int), strict=True)),
            dict(zip(values, frame["hidden"].astype(int), strict=True)))


def council_figures(
    store: Store, f: Filters, city: City, council: str, population: int | None
) -> AreaFigures:
    """One council district's figures from the council cube (lower bounds where hidden)."""
    alt = city.alternative_program.value
    total, total_hidden = _by_value(council_measure(store, f, council, "calls"))
    per_program, program_hidden = _by_value(council_measure(store, f, council, "program"))
    reasons, reason_hidden = _by_value(council_measure(store, f, council, "reason"))
    repeat, repeat_hidden = _by_value(council_measure(store, f, council, "repeat_contact_90d"))
    bands, _ = _by_value(council_measure(store, f, council, "response_band"))
    outcome = council_measure(store, f, council, "outcome")
    rows = [
        {
            "response_type": program.value,
            "calls": per_program.get(program.value, 0),
            "median": band_quantile(bands, 0.5) if program.value == alt else "",
            "p90": band_quantile(bands, 0.9) if program.value == alt else "",
        }
        for program in city.programs
    ]
    out_of_hours = UnansweredReason.OUT_OF_HOURS.value
    hidden_measures = {
        name
        for name, hidden in (
            ("eligible_answered", reason_hidden.get(REASON_ANSWERED, 0)),
            ("out_of_hours", reason_hidden.get(out_of_hours, 0)),
            ("repeat_calls", repeat_hidden.get("true", 0)),
        )
        if hidden > 0
    }
    # The district's calls: its own cell, or (hidden) the most any published split shows.
    calls = total.get("all", 0) if not total_hidden.get("all", 0) else max(
        sum(per_program.values()), sum(reasons.values()), sum(repeat.values()))
    eligible, exact_eligible = council_eligible(store, f, council)
    return AreaFigures(
        kind="council",
        area=council,
        calls=calls,
        eligible=eligible,
        eligible_answered=reasons.get(REASON_ANSWERED, 0),
        out_of_hours=reasons.get(out_of_hours, 0),
        alt_calls=per_program.get(alt, 0),
        backups=0,
        repeat_calls=repeat.get("true", 0),
        population=population,
        programs=pd.DataFrame(rows, columns=["response_type", "calls", "median", "p90"]),
        outcomes=outcome.rename(columns={"value": "outcome"}).assign(response_type=ALL_PROGRAMS)[
            ["response_type", "outcome", "calls"]],
        hidden=sum(total_hidden.values()) + sum(program_hidden.values()) + sum(reason_hidden.values()),
        hidden_measures=frozenset(hidden_measures),
        unavailable=frozenset({"backups"}),
        bounded=frozenset(name for name, hidden in (
            ("calls", sum(total_hidden.values())),
            ("programs", sum(program_hidden.values())),
            ("eligible", 0 if exact_eligible else sum(reason_hidden.values())),
            ("out_of_hours", reason_hidden.get(out_of_hours, 0)),
        ) if hidden),
        not_recorded=unrecorded_measures(store, f.city),
    )


def council_monthly(store: Store, f: Filters, city: City, council: str) -> pd.DataFrame:
    """Calls per month of a council district, all programs together (``response_type`` is
    ``ALL_PROGRAMS``), shaped like ``queries.monthly_by_program`` (month, response_type,
    calls, weeks, per_week, hidden).

    The cube is yearly, so months outside the period are dropped; hidden cells count as
    zero there (``hidden`` says how many).
    """
    got = council_measure(store, f, council, "month")
    months = pd.date_range(pd.Timestamp(f.start), pd.Timestamp(f.end), freq="MS")
    got = got.assign(month=pd.to_datetime(got["value"] + "-01"))
    indexed = got[got["month"].isin(months)].set_index("month")
    out = pd.DataFrame(
        {
            "month": months,
            "response_type": ALL_PROGRAMS,
            "calls": indexed["calls"].reindex(months, fill_value=0).astype("int64").to_numpy(),
            "hidden": indexed["hidden"].reindex(months, fill_value=0).astype("int64").to_numpy(),
        }
    )
    out["weeks"] = out["month"].map(queries.weeks_in_month).astype("int64")
    out["per_week"] = out["calls"] / out["weeks"]
    return out[["month", "response_type", "calls", "weeks", "per_week", "hidden"]]


# -------------------------------------------------------------------------- the ranking


def ranking(
    store: Store,
    f: Filters,
    city: City,
    kind: AreaKind,
    areas: Sequence[str],
    populations: Mapping[str, int],
) -> list[AreaFigures]:
    """Every district of one kind, in the order given (the page sorts for display)."""
    if kind == "council":
        return [council_figures(store, f, city, a, populations.get(a)) for a in areas]
    return [rows_figures(store, f, "police", a, populations.get(a)) for a in areas if a != CITYWIDE]


def period_years(f: Filters) -> tuple[date, date]:
    """The whole calendar years a yearly cube covers for ``f`` (first and last month)."""
    return date(f.start.year, 1, 1), date(f.end.year, 12, 1)
