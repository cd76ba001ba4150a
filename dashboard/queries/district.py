"""The questions a district profile asks: coverage by hour, time per call, council figures.

Police-district figures that the rows can answer exactly (calls, eligible share, minutes,
outcomes) come from the rollups through ``queries``; this module adds what only the
suppressed cubes hold (``dashboard.publish.cubes``):

* coverage: eligible calls by weekday x hour for an area, summed over the calendar
  years the period touches (the cube is yearly: hour-of-day cells by month would be
  mostly suppressed). Hidden cells are reported, never guessed: ``hidden`` counts the
  suppressed cells summed into each weekday-hour.
* time per call: total busy minutes / calls with a time, per program, same years.
* council districts: a council district's calls per program, eligibility, outcome,
  backup, repeat contact, reason unanswered, response band and month, from the
  council cube (yearly, suppressed). Their sums are lower bounds where cells are hidden,
  and every frame says how many cells were.

Like ``queries``, SQL here names contract columns only and binds every value.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import (
    AREA_CITY,
    AREA_COUNCIL,
    AREA_DISTRICT,
    CITYWIDE,
    CUBE_COVERAGE,
    REASON_ANSWERED,
    REASON_NOT_ELIGIBLE,
    REASON_SCREENED,
    UNKNOWN_AREA,
    UnansweredReason,
)
from dashboard.engine.store import Store
from dashboard.models import planner
from dashboard.models.demand import Demand, demand_from_cells
from dashboard.models.plans import Plan, PlanSpan, schedule_plans
from dashboard.models.weeks import week_year_dates
from dashboard.params.filters import Filters
from dashboard.queries.overview import view_where

AREA_TYPES_QUERYABLE = (AREA_CITY, AREA_DISTRICT, AREA_COUNCIL)


def years(f: Filters) -> tuple[int, int]:
    """The calendar years a yearly cube sums for the period ``f`` (both ends inclusive)."""
    return f.start.year, f.end.year


def cube_years(store: Store, f: Filters, cube: str) -> tuple[int, ...]:
    """The period's calendar years a yearly cube has for the city, in order (a cube may
    leave years out: the night cube a program's first, partial year). ``cube`` is the
    contract's name, never a browser's."""
    first, last = years(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT DISTINCT year FROM {cube}
                WHERE jurisdiction = ? AND year BETWEEN ? AND ? ORDER BY year""",
            [f.city, first, last],
        )

    got = store.cached(("cube_years", cube, f.city, first, last), compute)
    return tuple(int(y) for y in got["year"])


def area_sums(store: Store, f: Filters, cube: str, columns: tuple[str, ...], area_type: str, area: str
              ) -> pd.DataFrame:
    """One area's cells of a per-area cube (``cube_coverage``, ``cube_night``) summed over
    the period's years: ``columns``, calls (published cells) and hidden (suppressed cells).
    ``cube`` and ``columns`` are the contract's names, never a browser's."""
    if area_type not in AREA_TYPES_QUERYABLE:
        raise ValueError(f"unknown area type {area_type!r}")
    first, last = years(f)
    if area_type == AREA_CITY:
        area = CITYWIDE
    names = ", ".join(columns)

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT {names}, coalesce(sum(n), 0)::BIGINT AS calls,
                       count(*) FILTER (WHERE suppressed)::BIGINT AS hidden
                FROM {cube}
                WHERE jurisdiction = ? AND year BETWEEN ? AND ? AND area_type = ? AND area = ?
                GROUP BY ALL ORDER BY ALL""",
            [f.city, first, last, area_type, area],
        )

    return store.cached((cube, f.city, first, last, area_type, area), compute)


def coverage(store: Store, f: Filters, area_type: str, area: str) -> pd.DataFrame:
    """Eligible calls per weekday (0 = Monday) x hour, for one area over the period's years.

    Columns: weekday, hour, calls (sum of published cells), hidden (suppressed cells
    summed in). All 168 weekday-hours are present.
    """
    got = area_sums(store, f, CUBE_COVERAGE.name, ("weekday", "hour"), area_type, area)
    grid = pd.MultiIndex.from_product([range(7), range(24)], names=["weekday", "hour"])
    out = got.set_index(["weekday", "hour"]).reindex(grid, fill_value=0).reset_index()
    return out.astype({"weekday": "int64", "hour": "int64", "calls": "int64", "hidden": "int64"})


#: Areas of the cubes that are no district: calls whose row was generalized to city level
#: (``citywide``) and calls with no council district (``unknown``). The cubes carry them
#: so that their cells add up to the totals the rows publish; a list of districts, a
#: ranking or a map must not show them as if they were places.
NOT_A_DISTRICT: tuple[str, ...] = (CITYWIDE, UNKNOWN_AREA)


def coverage_areas(store: Store, f: Filters, area_type: str) -> pd.DataFrame:
    """Eligible calls per district of a type over the period's years (published sum, hidden
    cells). ``citywide`` and ``unknown`` are left out (``NOT_A_DISTRICT``): a share per
    district then spreads the calls of no known district over the known ones."""
    first, last = years(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT area, coalesce(sum(n), 0)::BIGINT AS calls,
                      count(*) FILTER (WHERE suppressed)::BIGINT AS hidden
               FROM cube_coverage
               WHERE jurisdiction = ? AND year BETWEEN ? AND ? AND area_type = ?
                 AND NOT list_contains(?, area)
               GROUP BY ALL ORDER BY ALL""",
            [f.city, first, last, area_type, list(NOT_A_DISTRICT)],
        )

    return store.cached(("coverage_areas", f.city, first, last, area_type), compute)


def out_of_hours(store: Store, f: Filters) -> pd.DataFrame:
    """Eligible calls and those that arrived when no team was on duty, per police district.

    Exact (from the rows' rollup). Rows generalized to city level stay under
    ``citywide``. Columns: district, eligible, out_of_hours, share.
    """
    where, params = view_where(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT district, coalesce(sum(n), 0)::BIGINT AS eligible,
                       coalesce(sum(n) FILTER (WHERE unanswered_reason = ?), 0)::BIGINT AS out_of_hours
                FROM rollup_counts WHERE star_eligible AND {where}
                GROUP BY ALL ORDER BY ALL""",
            [UnansweredReason.OUT_OF_HOURS.value, *params],
        )

    out = store.cached(("out_of_hours", f.with_(programs=())), compute)
    out["share"] = out["out_of_hours"] / out["eligible"].where(out["eligible"] > 0)
    return out


def unanswered_reasons(store: Store, f: Filters) -> pd.DataFrame:
    """Eligible calls by why the alternative team did not answer (``answered`` when it did).

    Columns: reason, calls. The program filter does not apply (eligibility is about all
    calls); the district and category filters do.
    """
    where, params = view_where(f)
    alt = store.alternative_program(f.city).value

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT CASE WHEN response_type = ? THEN 'answered'
                            ELSE coalesce(unanswered_reason, 'unknown') END AS reason,
                       sum(n)::BIGINT AS calls
                FROM rollup_counts WHERE star_eligible AND {where}
                GROUP BY ALL ORDER BY ALL""",
            [alt, *params],
        )

    return store.cached(("reasons", f.with_(programs=())), compute)


def time_per_call(store: Store, f: Filters) -> pd.DataFrame:
    """Mean minutes from dispatch to clear, per program, over the period's years.

    Columns: response_type, calls, busy_minutes, mean_minutes. Years whose cell is
    suppressed (under k calls) are left out, and ``hidden_years`` counts them.
    """
    first, last = years(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT response_type, coalesce(sum(n), 0)::BIGINT AS calls,
                      coalesce(sum(busy_minutes), 0)::BIGINT AS busy_minutes,
                      count(*) FILTER (WHERE suppressed)::BIGINT AS hidden_years
               FROM cube_service WHERE jurisdiction = ? AND year BETWEEN ? AND ?
               GROUP BY ALL ORDER BY ALL""",
            [f.city, first, last],
        )

    out = store.cached(("service", f.city, first, last), compute)
    out["mean_minutes"] = out["busy_minutes"] / out["calls"].where(out["calls"] > 0)
    return out


def council_measure(store: Store, f: Filters, council_district: str | None, measure: str) -> pd.DataFrame:
    """One measure of the council cube over the period's years, per category.

    ``council_district`` None sums every council district (the city as the cube sees it).
    Columns: value, calls (published sum), hidden (suppressed cells).
    """
    first, last = years(f)

    def compute() -> pd.DataFrame:
        clause = "" if council_district is None else "AND council_district = ?"
        params: list[object] = [f.city, first, last, measure]
        if council_district is not None:
            params.append(council_district)
        return store.frame(
            f"""SELECT value, coalesce(sum(n), 0)::BIGINT AS calls,
                       count(*) FILTER (WHERE suppressed)::BIGINT AS hidden
                FROM cube_council
                WHERE jurisdiction = ? AND year BETWEEN ? AND ? AND measure = ? {clause}
                GROUP BY ALL ORDER BY ALL""",
            params,
        )

    return store.cached(("council", f.city, first, last, council_district, measure), compute)


def council_eligible(store: Store, f: Filters, council_district: str) -> tuple[int, bool]:
    """(eligible calls, exact?) of one council district over the period's years.

    Exact when its ``calls`` and ``not_eligible`` cells are published (the build never
    picks them as complements): every call but the not-eligible ones, even where other
    reasons are hidden. Otherwise the published reasons' sum, a lower bound.
    """
    reasons = council_measure(store, f, council_district, "reason")
    total = council_measure(store, f, council_district, "calls")
    not_eligible = reasons[reasons["value"] == REASON_NOT_ELIGIBLE]
    if len(total) and not total["hidden"].sum() and len(not_eligible) and not not_eligible["hidden"].sum():
        return int(total["calls"].sum()) - int(not_eligible["calls"].sum()), True
    return int(reasons.loc[reasons["value"] != REASON_NOT_ELIGIBLE, "calls"].sum()), False


def council_districts(store: Store, city: str) -> tuple[str, ...]:
    """Council districts the city's release has cells for, in numeric order.

    The cube's ``unknown`` council district (calls outside every council district, kept so
    that the cube adds up to the rows' city totals) is not one: it is left out, so no page
    lists, ranks or links to it.
    """

    def compute() -> pd.DataFrame:
        return store.frame(
            "SELECT DISTINCT council_district FROM cube_council WHERE jurisdiction = ? "
            "AND NOT list_contains(?, council_district)",
            [city, list(NOT_A_DISTRICT)],
        )

    values = store.cached(("council_districts", city), compute)["council_district"].astype(str)
    return tuple(sorted(values, key=lambda v: (0, int(v), v) if v.isdigit() else (1, 0, v)))


def coverage_cells(store: Store, f: Filters, area_type: str, area: str) -> pd.DataFrame:
    """The coverage cube's cells for one area over the period's years (weekday, hour, n, suppressed)."""
    first, last = years(f)
    if area_type == AREA_CITY:
        area = CITYWIDE

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT year, weekday, hour, n, suppressed FROM cube_coverage
               WHERE jurisdiction = ? AND year BETWEEN ? AND ? AND area_type = ? AND area = ?
               ORDER BY ALL""",
            [f.city, first, last, area_type, area],
        )

    return store.cached(("coverage_cells", f.city, first, last, area_type, area), compute)


@dataclass(frozen=True, eq=False)
class PlannerInputs:
    """What the planner needs for an area and period, measured from the release.

    ``start``/``end`` are the whole weeks of the cube years the period touches;
    ``observed_share`` is the share of the area's eligible calls the alternative team
    answered then (exact, from the rows); ``minutes_per_call`` is None when the release
    has no time on task (the planner cannot run).
    """

    area_type: str
    area: str
    start: date
    end: date
    demand: Demand
    eligible: int
    observed_answered: int
    observed_share: float
    minutes_per_call: float | None
    screen_share: float
    area_share: float | dict[str, float]


def _year_filters(f: Filters) -> Filters:
    first, last = years(f)
    return f.with_(start=date(first, 1, 1), end=date(last, 12, 1), programs=(), categories=())


def planner_inputs(store: Store, f: Filters, city: City, area_type: str, area: str) -> PlannerInputs:
    """Demand, time per call, screened share and observed share for the planner.

    Police districts and the city read the exact rollups for the observed and screened
    shares; council districts read the council cube (suppressed cells make its shares
    approximate). Categories are not filtered: the planner is about all eligible calls.
    """
    yf = _year_filters(f)
    first, last = years(f)
    start, end = week_year_dates(first)[0], week_year_dates(last)[1]
    if area_type == AREA_DISTRICT:
        yf = yf.with_(districts=(area,))
    elif area_type == AREA_CITY:
        yf = yf.with_(districts=())
    alt = city.alternative_program.value
    if area_type == AREA_COUNCIL:
        reasons = council_measure(store, yf, area, "reason")
        by_reason = reasons.set_index("value")["calls"]
        answered = int(by_reason.get(REASON_ANSWERED, 0))
        eligible, _ = council_eligible(store, yf, area)
        screened = int(by_reason.get(REASON_SCREENED, 0))
    else:
        reasons = unanswered_reasons(store, yf)
        by_reason = reasons.set_index("reason")["calls"]
        eligible = int(by_reason.sum())
        answered = int(by_reason.get("answered", 0))
        screened = int(by_reason.get(UnansweredReason.SAFETY_SCREEN.value, 0)) + int(
            by_reason.get(UnansweredReason.UNKNOWN.value, 0))
    lost_hours = int(by_reason.get(UnansweredReason.OUT_OF_HOURS.value, 0))
    lost_area = int(by_reason.get(UnansweredReason.OUTSIDE_SERVICE_AREA.value, 0))
    reachable = eligible - lost_hours - lost_area
    screen_share = min(1.0, screened / reachable) if reachable > 0 else 0.0

    cells = coverage_cells(store, f, area_type, area)
    known = float(cells["n"].fillna(0).sum())
    total = float(eligible) if area_type == AREA_CITY and eligible >= known else None
    demand = demand_from_cells(cells[["weekday", "hour", "n", "suppressed"]], start, end, total=total,
                                       k=store.settings.privacy_k)
    service = time_per_call(store, f)
    row = service[service["response_type"] == alt]
    minutes = float(row["mean_minutes"].iloc[0]) if len(row) and not math.isnan(row["mean_minutes"].iloc[0]) \
        else None
    if area_type == AREA_DISTRICT:
        share: float | dict[str, float] = {area: 1.0}
    elif area_type == AREA_CITY:
        areas = coverage_areas(store, f, AREA_DISTRICT)
        total_calls = float(areas["calls"].sum())
        share = ({str(r.area): float(r.calls) / total_calls for r in areas.itertuples()}
                 if total_calls else 1.0)
    else:
        share = 1.0  # council districts are not in the schedule's police-district service areas
    return PlannerInputs(area_type, area, start, end, demand, eligible, answered,
                         answered / eligible if eligible else math.nan, minutes, screen_share, share)


def current_estimate(inputs: PlannerInputs, city: City, minutes_per_call: float | None = None,
                     shifts: Sequence[Plan] = ()) -> planner.Estimate | None:
    """The planner's estimate for the schedule that was really in force, with ``shifts``
    added to it when given (None without times).

    ``minutes_per_call`` replaces the measured time per call (the sensitivity the planner
    and the Methodology page state: the answer depends strongly on it)."""
    if inputs.minutes_per_call is None:
        return None
    spans = schedule_plans(city.schedule, inputs.start, inputs.end, inputs.area_share)
    if shifts:
        spans = tuple(PlanSpan(span.plan.with_shifts(shifts), span.start, span.end) for span in spans)
    minutes = inputs.minutes_per_call if minutes_per_call is None else minutes_per_call
    return planner.estimate(inputs.demand, spans, minutes_per_call=minutes, screen_share=inputs.screen_share)


#: The planner states its schedule-in-force estimate again at these multiples of the
#: measured time per call, so a reader sees how much the answer hangs on it (issue 13).
TIME_FACTORS: tuple[float, ...] = (0.5, 2.0)


def area_estimate(area: PlannerInputs, city_estimate: planner.Estimate, in_area: float) -> float:
    """Share of an area's eligible calls answered, when the vans serve the whole city.

    A district does not have the city's vans to itself: a van busy on another district's
    call cannot take this one. So each weekday-hour's chance that every van is busy
    (``blocking``) comes from the city's estimate, and the area's own calls in that hour
    are answered at the city's rate: calls x on-duty share x in-area share x (1 - screened
    share) x (1 - blocking). ``in_area`` is the share of the period the area was inside
    the team's service area.
    """
    if area.eligible <= 0 and area.demand.calls <= 0:
        return math.nan
    cells = city_estimate.cells.set_index(["weekday", "hour"])
    demand = area.demand.cells.set_index(["weekday", "hour"])["calls"]
    blocking = cells["blocking"].fillna(1.0)
    duty = cells["duty_share"].fillna(0.0)
    answered = (demand * duty * (1.0 - blocking)).sum() * in_area * (1.0 - area.screen_share)
    total = float(demand.sum())
    return float(answered / total) if total else math.nan


def in_area_share(city: City, inputs: PlannerInputs) -> float:
    """Share of the period's days on which a police district was in the service area."""
    if inputs.area_type != AREA_DISTRICT:
        return 1.0
    spans = schedule_plans(city.schedule, inputs.start, inputs.end, {inputs.area: 1.0})
    days = sum(s.days for s in spans)
    return sum(s.plan.area_share * s.days for s in spans) / days if days else 0.0


@dataclass(frozen=True, eq=False)
class PlanComparison:
    """Observed, modelled-current and modelled-planned shares for an area and its city.

    Shares are of all eligible calls over the whole weeks of the period's years
    (``PlannerInputs``, ``years`` of them). ``*_current`` and ``*_planned`` are None when
    the release has no time on task (the model cannot run). The current schedule is the
    city's published one with its service areas; the planned one is that schedule with
    the ``shifts`` added, in the same service areas (where no schedule is in force there
    is nothing to add to). ``city_observed_lost`` splits the city's unanswered eligible
    calls by reason, exactly as the rows record them.
    """

    city_inputs: PlannerInputs
    area_inputs: PlannerInputs
    city_current: planner.Estimate | None
    city_planned: planner.Estimate | None
    area_current: float | None
    area_planned: float | None
    shifts: tuple[Plan, ...]
    city_observed_lost: dict[str, float]
    city_current_at: dict[float, float] = field(default_factory=dict)  # TIME_FACTORS -> city share
    years: int = 1  # calendar years the shares are over (per-year counts divide by it)

    def per_year(self, share: float | None, inputs: PlannerInputs) -> float | None:
        """Eligible calls a year that ``share`` of the area's (or the city's) calls makes."""
        if share is None or math.isnan(share):
            return None
        return share * inputs.eligible / self.years


def compare_plans(
    store: Store, f: Filters, city: City, area_type: str, area: str, shifts: Sequence[Plan] = ()
) -> PlanComparison:
    """Everything the planner panel shows for one area (police or council district, or city)."""
    city_inputs = planner_inputs(store, f, city, AREA_CITY, CITYWIDE)
    area_inputs = city_inputs if area_type == AREA_CITY else planner_inputs(store, f, city, area_type, area)
    city_current = current_estimate(city_inputs, city)
    city_planned = current_estimate(city_inputs, city, shifts=shifts) if shifts else None
    area_current = area_planned = None
    in_area = in_area_share(city, area_inputs)
    if city_current is not None:
        area_current = area_estimate(area_inputs, city_current, in_area)
    if city_planned is not None:
        area_planned = area_estimate(area_inputs, city_planned, in_area)
    reasons = unanswered_reasons(store, _year_filters(f).with_(districts=())).set_index("reason")["calls"]
    eligible = float(reasons.sum())
    lost = {
        "answered": float(reasons.get("answered", 0)),
        "no_team": float(reasons.get(UnansweredReason.NO_TEAM_AVAILABLE.value, 0)),
        "out_of_hours": float(reasons.get(UnansweredReason.OUT_OF_HOURS.value, 0)),
        "outside_area": float(reasons.get(UnansweredReason.OUTSIDE_SERVICE_AREA.value, 0)),
        "screened": float(reasons.get(UnansweredReason.SAFETY_SCREEN.value, 0))
        + float(reasons.get(UnansweredReason.UNKNOWN.value, 0)),
    }
    observed = {k: (v / eligible if eligible else math.nan) for k, v in lost.items()}
    at: dict[float, float] = {}
    if city_inputs.minutes_per_call is not None:
        for factor in TIME_FACTORS:
            est = current_estimate(city_inputs, city, city_inputs.minutes_per_call * factor)
            if est is not None:
                at[factor] = est.share
    first, last = years(f)
    return PlanComparison(city_inputs, area_inputs, city_current, city_planned, area_current, area_planned,
                          tuple(shifts), observed, at, last - first + 1)


def estimate_shares(est: planner.Estimate) -> dict[str, float]:
    """An estimate's eligible calls split by fate, as shares (the planner chart's segments)."""
    total = est.eligible
    parts = {"answered": est.answered, "no_team": est.no_team, "out_of_hours": est.out_of_hours,
             "outside_area": est.outside_area, "screened": est.screened}
    return {k: (v / total if total > 0 else math.nan) for k, v in parts.items()}
