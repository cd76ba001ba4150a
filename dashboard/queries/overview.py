"""The questions pages ask, as functions of (store, Filters) returning small DataFrames.

Every figure on the Overview comes from the rollups. Counts come from ``rollup_overview``,
an exact GROUP BY of the published rows: a journalist recomputes them from ``calls.csv``
by the same definitions (see README "Methodology"). Response minutes are not in the rows
(to the minute they would single out most calls): they come from ``rollup_minutes``,
counts per whole minute of the same calls by month, district, category and program, which
is published too, so medians and percentiles are recomputed from that file (or from the
API's chart CSVs) instead. SQL is built only from contract column
names; every value arrives as a bound parameter, so the same text runs on other SQL
engines behind this interface.

A filter change costs two scans, both cached per (Filters without programs): one of
``rollup_overview`` grouped by program x month and program x district, one of
``rollup_minutes`` grouped by program x minute. Every view below is a small pandas
step over those results, so ticking a program on or off costs no query at all. The
map's median-minutes measure adds a third scan (``rollup_minutes`` by district), made
only when that measure is shown and cached the same way.

Definitions:
* month: a week belongs to the month its Monday falls in, so a month is four or five
  whole weeks; monthly series are drawn as calls per week (calls / weeks in the month).
* median / p90 response minutes: the smallest whole minute m such that at least 50% /
  90% of calls with a recorded time took m minutes or less (numpy's "inverted_cdf").
* The alternative team's figures (eligible calls, the share it answered, its calls and
  backups) ignore the program filter: they are facts about all eligible calls, and
  unticking a program must not turn them into zeros.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from dashboard.contract.schema import CITYWIDE, UNKNOWN_AREA, Outcome, ResponseType
from dashboard.engine.store import Store
from dashboard.params.filters import Filters

MapLevel = Literal["district", "precinct"]


def view_where(f: Filters, *, categories: bool = True, yearly: bool = False) -> tuple[str, list[object]]:
    """WHERE text and parameters for city, period, districts and (optionally) categories.

    Programs are never in the WHERE: see the module docstring.
    """
    if yearly:
        clauses = ["jurisdiction = ?", "year >= ?", "year <= ?"]
        params: list[object] = [f.city, f.start.year, f.end.year]
    else:
        clauses = ["jurisdiction = ?", "month >= ?", "month <= ?"]
        params = [f.city, f.start, f.end]
    if f.districts:
        clauses.append("list_contains(?, district)")
        params.append(list(f.districts))
    if categories and f.categories:
        clauses.append("list_contains(?, call_category)")
        params.append([c.value for c in f.categories])
    return " AND ".join(clauses), params


def _programs(store: Store, f: Filters) -> list[ResponseType]:
    city_programs = store.cities[f.city].programs
    return [p for p in city_programs if not f.programs or p in f.programs]


def _selected(store: Store, f: Filters) -> list[str]:
    return [p.value for p in _programs(store, f)]


def _counts(store: Store, f: Filters) -> pd.DataFrame:
    """One scan: counts by program x month (``level`` = "month") and program x district.

    Columns: level, response_type, month, district, calls, eligible, arrests, backups.
    """
    base = f.with_(programs=())

    def compute() -> pd.DataFrame:
        where, params = view_where(base)
        return store.frame(
            f"""SELECT CASE WHEN grouping(month) = 0 THEN 'month' ELSE 'district' END AS level,
                       response_type, month, district,
                       sum(n)::BIGINT AS calls,
                       coalesce(sum(n) FILTER (WHERE star_eligible), 0)::BIGINT AS eligible,
                       sum(arrests)::BIGINT AS arrests,
                       sum(backups)::BIGINT AS backups
                FROM rollup_overview WHERE {where}
                GROUP BY GROUPING SETS ((response_type, month), (response_type, district))""",
            params,
        )

    return store.cached(("counts", base), compute)


def _by_program(store: Store, f: Filters) -> pd.DataFrame:
    """Totals per program over the whole view (index response_type)."""
    counts = _counts(store, f)
    by_month = counts[counts["level"] == "month"]
    return by_month.groupby("response_type")[["calls", "eligible", "arrests", "backups"]].sum()


def _minute_distribution(store: Store, f: Filters) -> pd.DataFrame:
    """Calls at each whole response minute, per program (programs not filtered)."""
    base = f.with_(programs=())

    def compute() -> pd.DataFrame:
        where, params = view_where(base)
        return store.frame(
            f"""SELECT response_type, response_minutes AS m, sum(n)::BIGINT AS n
                FROM rollup_minutes WHERE {where} GROUP BY ALL ORDER BY 1, 2""",
            params,
        )

    return store.cached(("minutes", base), compute)


def _minutes_by_district(store: Store, f: Filters) -> pd.DataFrame:
    """Calls at each whole response minute, per program and district (programs not filtered).

    One scan of ``rollup_minutes``, cached like the others; only the map's median-minutes
    measure asks for it, so the other views pay nothing for it.
    """
    base = f.with_(programs=())

    def compute() -> pd.DataFrame:
        where, params = view_where(base)
        return store.frame(
            f"""SELECT district, response_type, response_minutes AS m, sum(n)::BIGINT AS n
                FROM rollup_minutes WHERE {where} AND district <> ?
                GROUP BY ALL ORDER BY 1, 2, 3""",
            [*params, CITYWIDE],
        )

    return store.cached(("minutes_district", base), compute)


def _quantile(dist: pd.DataFrame, q: float) -> float:
    """Smallest minute m with at least q of the calls at or under m (NaN for no calls)."""
    if dist.empty:
        return float("nan")
    by_minute = dist.groupby("m")["n"].sum().sort_index()
    cumulative = by_minute.cumsum().to_numpy()
    index = int(np.searchsorted(cumulative, q * cumulative[-1], side="left"))
    return float(by_minute.index[index])


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


def _city_has_unrecorded_outcomes(store: Store, city: str) -> bool:
    """Whether any call of the city's release lacks an outcome: asked once per release, so
    the filter-change path of a city whose export records every outcome (the shipped
    sample) runs no query for it."""
    def compute() -> pd.DataFrame:
        return store.frame("SELECT count(*) AS n FROM rollup_counts WHERE jurisdiction = ? AND outcome = ?",
                           [city, Outcome.NOT_RECORDED.value])

    return int(store.cached(("has_unrecorded_outcomes", city), compute)["n"].iloc[0]) > 0


def _unrecorded_outcomes(store: Store, f: Filters) -> pd.Series:
    """Calls with no outcome recorded, per program (``rollup_overview`` has no outcome)."""
    if not _city_has_unrecorded_outcomes(store, f.city):
        return pd.Series(dtype="int64")
    base = f.with_(programs=())

    def compute() -> pd.DataFrame:
        where, params = view_where(base)
        return store.frame(
            f"""SELECT response_type, sum(n)::BIGINT AS calls FROM rollup_counts
                WHERE {where} AND outcome = ? GROUP BY ALL""",
            [*params, Outcome.NOT_RECORDED.value],
        )

    frame = store.cached(("unrecorded_outcomes", base), compute)
    return frame.set_index("response_type")["calls"]


def kpis(store: Store, f: Filters) -> pd.DataFrame:
    """Headline figures, one row: calls, eligible, eligible_answered, alt_share,
    median_minutes, arrests, outcome_not_recorded, arrest_share (of the calls with an
    outcome recorded), alt_calls, backup, backup_share."""
    by_type = _by_program(store, f)
    selected = by_type.loc[by_type.index.isin(_selected(store, f))]
    alt = store.alternative_program(f.city).value
    alt_row = by_type.loc[alt] if alt in by_type.index else None
    calls = int(selected["calls"].sum())
    eligible = int(by_type["eligible"].sum())
    answered = int(alt_row["eligible"]) if alt_row is not None else 0
    alt_calls = int(alt_row["calls"]) if alt_row is not None else 0
    backups = int(alt_row["backups"]) if alt_row is not None else 0
    arrests = int(selected["arrests"].sum())
    unrecorded = _unrecorded_outcomes(store, f)
    no_outcome = int(unrecorded[unrecorded.index.isin(_selected(store, f))].sum())
    dist = _minute_distribution(store, f)
    return pd.DataFrame(
        {
            "calls": [calls],
            "eligible": [eligible],
            "eligible_answered": [answered],
            "alt_share": [_share(answered, eligible)],
            "median_minutes": [_quantile(dist[dist["response_type"].isin(_selected(store, f))], 0.5)],
            "arrests": [arrests],
            "outcome_not_recorded": [no_outcome],
            "arrest_share": [_share(arrests, calls - no_outcome)],
            "alt_calls": [alt_calls],
            "backup": [backups],
            "backup_share": [_share(backups, alt_calls)],
        }
    )


def program_counts(store: Store, f: Filters) -> pd.DataFrame:
    """Calls answered by each program of the city (zero rows included)."""
    by_type = _by_program(store, f)["calls"]
    programs = _selected(store, f)
    return pd.DataFrame(
        {"response_type": programs, "calls": [int(by_type.get(p, 0)) for p in programs]}
    )


def weeks_in_month(month: pd.Timestamp) -> int:
    """Mondays in the month: the number of weeks that make it up (see module docstring)."""
    first = pd.Timestamp(month).replace(day=1)
    days = first.days_in_month
    first_monday = (7 - first.weekday()) % 7
    return len(range(first_monday, days, 7))


def monthly_by_program(store: Store, f: Filters) -> pd.DataFrame:
    """Calls per month and program, zero-filled over the whole range.

    Months hold four or five whole weeks, so ``per_week`` (calls / ``weeks``) is what a
    chart should draw: raw monthly counts zig-zag by 25% with the calendar.
    ``no_records`` marks months in which the city's release holds no call at all, under
    any filter (a gap in the records, such as Lane County's October-November 2024): a
    chart draws them as gaps, not as zero calls.
    """
    everything = _counts(store, f.with_(districts=(), categories=()))
    recorded = set(pd.to_datetime(everything.loc[(everything["level"] == "month")
                                                 & (everything["calls"] > 0), "month"]))
    counts = _counts(store, f)
    got = counts[counts["level"] == "month"]
    months = pd.date_range(pd.Timestamp(f.start), pd.Timestamp(f.end), freq="MS")
    programs = _selected(store, f)
    grid = pd.MultiIndex.from_product([months, programs], names=["month", "response_type"])
    series = (
        got.assign(month=pd.to_datetime(got["month"]))
        .set_index(["month", "response_type"])["calls"]
        .reindex(grid, fill_value=0)
    )
    out = series.astype("int64").reset_index()
    weeks = {m: weeks_in_month(m) for m in months}
    out["weeks"] = out["month"].map(weeks).astype("int64")
    out["per_week"] = out["calls"] / out["weeks"]
    out["no_records"] = ~out["month"].isin(recorded)
    return out


def minutes_by_program(store: Store, f: Filters) -> pd.DataFrame:
    """Median and 90th-percentile response minutes per program (programs with no times omitted)."""
    dist = _minute_distribution(store, f)
    rows = []
    for program in _selected(store, f):
        part = dist[dist["response_type"] == program]
        if part.empty:
            continue
        rows.append({"response_type": program, "median": _quantile(part, 0.5),
                     "p90": _quantile(part, 0.9), "n": int(part["n"].sum())})
    return pd.DataFrame(rows, columns=["response_type", "median", "p90", "n"])


def map_values(store: Store, f: Filters, level: MapLevel) -> pd.DataFrame:
    """Calls, eligible calls and eligible calls answered by the alternative team, per area.

    ``calls`` respects the program filter; the eligible figures do not. District figures
    come from the rollups and are exact (rows generalized to ``citywide`` are left out).
    Precinct figures come from the suppressed precinct cube, which is by whole calendar
    year (the years of ``f.start`` to ``f.end``) and has no call-category dimension (a
    category filter does not apply); ``suppressed_cells`` > 0 means lower bounds. The
    cube's ``unknown`` precinct (a district's calls with no precinct recorded, there so the
    cells add up to the rows' district totals) is no place on the map and is left out.
    """
    alt = store.alternative_program(f.city).value
    selected = _selected(store, f)
    if level == "district":
        counts = _counts(store, f)
        got = counts[(counts["level"] == "district") & (counts["district"] != CITYWIDE)]
        is_selected = got["response_type"].isin(selected)
        is_alt = got["response_type"] == alt
        out = pd.DataFrame(
            {
                "area_id": got["district"],
                "calls": got["calls"].where(is_selected, 0),
                "eligible": got["eligible"],
                "eligible_answered": got["eligible"].where(is_alt, 0),
            }
        ).groupby("area_id", as_index=False).sum()
        out["suppressed_cells"] = 0
        return out.astype({c: "int64" for c in out.columns if c != "area_id"}).sort_values(
            "area_id").reset_index(drop=True)
    if level != "precinct":
        raise ValueError(f"unknown map level {level!r}")

    def compute() -> pd.DataFrame:
        where, params = view_where(f, categories=False, yearly=True)
        return store.frame(
            f"""SELECT precinct AS area_id,
                   coalesce(sum(n) FILTER (WHERE list_contains(?, response_type)), 0)::BIGINT AS calls,
                   coalesce(sum(n) FILTER (WHERE star_eligible), 0)::BIGINT AS eligible,
                   coalesce(sum(n) FILTER (WHERE star_eligible AND response_type = ?), 0)::BIGINT
                       AS eligible_answered,
                   count(*) FILTER (WHERE suppressed AND list_contains(?, response_type))::BIGINT
                       AS suppressed_cells
                FROM cube_precinct WHERE {where} AND precinct <> ? GROUP BY 1 ORDER BY 1""",
            [selected, alt, selected, *params, UNKNOWN_AREA],
        )

    return store.cached(("map_precinct", f), compute)


def map_minutes(store: Store, f: Filters) -> pd.DataFrame:
    """Median response minutes of the selected programs per district (``area_id``,
    ``median_minutes``, ``timed_calls``): the same definition as ``kpis`` and
    ``minutes_by_program``, district by district (rows generalized to ``citywide`` left
    out). Districts with no timed call are absent. Precincts have no minutes: the
    precinct cube is published without them.
    """
    dist = _minutes_by_district(store, f)
    dist = dist[dist["response_type"].isin(_selected(store, f))]
    rows = [
        {"area_id": str(district), "median_minutes": _quantile(part, 0.5), "timed_calls": timed}
        for district, part in dist.groupby("district", sort=True)
        if (timed := int(part["n"].sum())) > 0
    ]
    return pd.DataFrame(rows, columns=["area_id", "median_minutes", "timed_calls"]).astype(
        {"area_id": "object", "median_minutes": "float64", "timed_calls": "int64"}
    )
