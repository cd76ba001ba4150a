"""The questions pages ask, as functions of (store, Filters) returning small DataFrames.

Every figure on the Overview comes from the rollups, which are exact GROUP BYs of the
published rows: a journalist recomputes any number here from ``calls.csv`` by the
same definitions (see README "Methodology"). SQL is built only from contract column
names; every value arrives as a bound parameter, so the same text runs on other SQL
engines behind this interface.

Definitions:
* month: a week belongs to the month its Monday falls in, so a month is four or five
  whole weeks; monthly series are drawn as calls per week (calls / weeks in the month).
* median / p90 response minutes: the smallest whole minute m such that at least 50% /
  90% of calls with a recorded time took m minutes or less (numpy's "inverted_cdf").
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from dashboard.data.filters import Filters
from dashboard.data.schema import CITYWIDE, Outcome, ResponseType
from dashboard.data.store import Store

MapLevel = Literal["district", "precinct"]


def _where(f: Filters, *, categories: bool = True, programs: bool = True,
           yearly: bool = False) -> tuple[str, list[object]]:
    if yearly:
        clauses = ["jurisdiction = ?", "year >= ?", "year <= ?"]
        params: list[object] = [f.city, f.start.year, f.end.year]
    else:
        clauses = ["jurisdiction = ?", "month >= ?", "month <= ?"]
        params = [f.city, f.start, f.end]
    if programs and f.programs:
        clauses.append("list_contains(?, response_type)")
        params.append([p.value for p in f.programs])
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


def _program_predicate(f: Filters) -> tuple[str, list[object]]:
    if not f.programs:
        return "TRUE", []
    return "list_contains(?, response_type)", [[p.value for p in f.programs]]


def kpis(store: Store, f: Filters) -> pd.DataFrame:
    """Headline figures: one row (see module docstring for definitions).

    ``calls``, ``arrests`` and the median respect the program filter. The alternative
    team's figures (``eligible``, ``eligible_answered``, ``alt_calls``, ``backup``) do
    not: the share of eligible calls the team answered is a fact about all eligible
    calls, and unticking a program must not turn it into 0%.
    """

    def compute() -> pd.DataFrame:
        where, params = _where(f, programs=False)
        program, program_params = _program_predicate(f)
        alt = store.alternative_program(f.city).value
        counts = store.frame(
            f"""SELECT coalesce(sum(n) FILTER (WHERE {program}), 0)::BIGINT AS calls,
                   coalesce(sum(n) FILTER (WHERE {program} AND outcome = ?), 0)::BIGINT AS arrests,
                   coalesce(sum(n) FILTER (WHERE star_eligible), 0)::BIGINT AS eligible,
                   coalesce(sum(n) FILTER (WHERE star_eligible AND response_type = ?), 0)::BIGINT
                       AS eligible_answered,
                   coalesce(sum(n) FILTER (WHERE response_type = ?), 0)::BIGINT AS alt_calls,
                   coalesce(sum(n) FILTER (WHERE response_type = ? AND police_backup), 0)::BIGINT
                       AS backup
                FROM rollup_counts WHERE {where}""",
            [*program_params, *program_params, Outcome.ARREST.value, alt, alt, alt, *params],
        )
        row = counts.iloc[0]
        minutes = _minute_quantiles(store, f, by_program=False)
        out = pd.DataFrame(
            {
                "calls": [int(row["calls"])],
                "eligible": [int(row["eligible"])],
                "eligible_answered": [int(row["eligible_answered"])],
                "alt_share": [_share(row["eligible_answered"], row["eligible"])],
                "median_minutes": [minutes["median"].iloc[0] if len(minutes) else float("nan")],
                "arrests": [int(row["arrests"])],
                "arrest_share": [_share(row["arrests"], row["calls"])],
                "alt_calls": [int(row["alt_calls"])],
                "backup": [int(row["backup"])],
                "backup_share": [_share(row["backup"], row["alt_calls"])],
            }
        )
        return out

    return store.cached(("kpis", f), compute)


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


def program_counts(store: Store, f: Filters) -> pd.DataFrame:
    """Calls answered by each program of the city (zero rows included)."""

    def compute() -> pd.DataFrame:
        where, params = _where(f)
        got = store.frame(
            f"SELECT response_type, sum(n)::BIGINT AS calls FROM rollup_counts WHERE {where} "
            "GROUP BY 1",
            params,
        )
        calls = dict(zip(got["response_type"], got["calls"], strict=True))
        programs = _programs(store, f)
        return pd.DataFrame(
            {"response_type": [p.value for p in programs],
             "calls": [int(calls.get(p.value, 0)) for p in programs]}
        )

    return store.cached(("program_counts", f), compute)


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
    """

    def compute() -> pd.DataFrame:
        where, params = _where(f)
        got = store.frame(
            f"SELECT month, response_type, sum(n)::BIGINT AS calls FROM rollup_counts "
            f"WHERE {where} GROUP BY ALL",
            params,
        )
        months = pd.date_range(pd.Timestamp(f.start), pd.Timestamp(f.end), freq="MS")
        programs = [p.value for p in _programs(store, f)]
        grid = pd.MultiIndex.from_product([months, programs], names=["month", "response_type"])
        got["month"] = pd.to_datetime(got["month"])
        series = got.set_index(["month", "response_type"])["calls"].reindex(grid, fill_value=0)
        out = series.astype("int64").reset_index()
        out["weeks"] = out["month"].map(weeks_in_month).astype("int64")
        out["per_week"] = out["calls"] / out["weeks"]
        return out

    return store.cached(("monthly_by_program", f), compute)


def _minute_quantiles(store: Store, f: Filters, *, by_program: bool) -> pd.DataFrame:
    where, params = _where(f)
    key = "response_type" if by_program else "'all'"
    return store.frame(
        f"""WITH d AS (
                SELECT {key} AS grp, response_minutes AS m, sum(n) AS n
                FROM rollup_minutes WHERE {where} GROUP BY ALL),
            c AS (
                SELECT grp, m, n, sum(n) OVER (PARTITION BY grp ORDER BY m) AS cum,
                       sum(n) OVER (PARTITION BY grp) AS total FROM d)
            SELECT grp AS response_type,
                   min(m) FILTER (WHERE cum >= 0.5 * total)::DOUBLE AS median,
                   min(m) FILTER (WHERE cum >= 0.9 * total)::DOUBLE AS p90,
                   max(total)::BIGINT AS n
            FROM c GROUP BY grp""",
        params,
    )


def minutes_by_program(store: Store, f: Filters) -> pd.DataFrame:
    """Median and 90th-percentile response minutes per program (programs with no times omitted)."""

    def compute() -> pd.DataFrame:
        got = _minute_quantiles(store, f, by_program=True)
        order = [p.value for p in _programs(store, f)]
        got = got[got["response_type"].isin(order)]
        got = got.assign(_o=got["response_type"].map(order.index)).sort_values("_o")
        return got.drop(columns="_o").reset_index(drop=True)

    return store.cached(("minutes_by_program", f), compute)


def map_values(store: Store, f: Filters, level: MapLevel) -> pd.DataFrame:
    """Calls, eligible calls and eligible calls answered by the alternative team, per area.

    ``calls`` respects the program filter; the eligible figures do not (see ``kpis``).

    District figures come from the rollups and are exact. Precinct figures come from the
    suppressed precinct cube, which is by whole calendar year (the years of ``f.start``
    to ``f.end``) and has no call-category dimension (a category filter does not apply);
    ``suppressed_cells`` > 0 means the sums are lower bounds.
    """

    def compute() -> pd.DataFrame:
        alt = store.alternative_program(f.city).value
        program, program_params = _program_predicate(f)
        if level == "district":
            where, params = _where(f, programs=False)
            got = store.frame(
                f"""SELECT district AS area_id,
                       coalesce(sum(n) FILTER (WHERE {program}), 0)::BIGINT AS calls,
                       coalesce(sum(n) FILTER (WHERE star_eligible), 0)::BIGINT AS eligible,
                       coalesce(sum(n) FILTER (WHERE star_eligible AND response_type = ?), 0)::BIGINT
                           AS eligible_answered,
                       0::BIGINT AS suppressed_cells
                    FROM rollup_counts WHERE {where} AND district <> ? GROUP BY 1""",
                [*program_params, alt, *params, CITYWIDE],
            )
        elif level == "precinct":
            where, params = _where(f, categories=False, programs=False, yearly=True)
            got = store.frame(
                f"""SELECT precinct AS area_id,
                       coalesce(sum(n) FILTER (WHERE {program}), 0)::BIGINT AS calls,
                       coalesce(sum(n) FILTER (WHERE star_eligible), 0)::BIGINT AS eligible,
                       coalesce(sum(n) FILTER (WHERE star_eligible AND response_type = ?), 0)::BIGINT
                           AS eligible_answered,
                       count(*) FILTER (WHERE suppressed AND {program})::BIGINT AS suppressed_cells
                    FROM cube_precinct WHERE {where} GROUP BY 1""",
                [*program_params, alt, *program_params, *params],
            )
        else:
            raise ValueError(f"unknown map level {level!r}")
        return got.sort_values("area_id").reset_index(drop=True)

    return store.cached(("map_values", f, level), compute)
