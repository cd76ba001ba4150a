"""What-if planner: the share of eligible calls an alternative team could answer.

The arithmetic behind the planner page, as pure functions (no database, no files, no web
framework). The same functions estimate the *current* schedule (``schedule_plans`` turns
the city's published schedule into plans) and the *planned* one the user chooses, so the
two estimates differ only in the plan.

Model
-----
**Demand.** Eligible calls are counted by day of the week (Monday = 0) and hour of the day
(0-23, local clock time) over a period of dates. For each of the 168 weekday-hour cells
the arrival rate is ``lambda = calls in the cell / number of times that weekday-hour occurs
in the period`` (for a whole number of weeks, the number of weeks), in calls per hour.
Calls within an hour are assumed to arrive at random (a Poisson process), and demand is
assumed to be the same in every week of the period. Daylight-saving days are counted as
ordinary days.

**Suppressed cells.** Published hour-of-day counts hide small cells for privacy: a hidden
cell holds between 1 and k-1 calls (or, when it was hidden as a complement to protect
another cell, any number). A hidden cell is imputed by spreading the known remainder (the
area's published total minus the published cells) evenly over the hidden cells; when no
total is given, each hidden cell counts (k-1)/2 calls. The estimate reports how many of
the eligible calls were imputed this way.

**Which calls are answered.** A call is answered only if all four hold, checked in this
order; a call that fails one is counted as lost for the first reason it fails:

1. *In hours:* its weekday-hour is inside the plan's days and hours and at least one van
   is on duty (otherwise: out of hours). Hours are ``[from, to)``; a shift whose ``to`` is
   not after its ``from`` runs past midnight, and belongs to the day it starts on: Friday
   ``[22, 6)`` covers Friday 22:00-24:00 and Saturday 00:00-06:00. ``[0, 24)`` is all day;
   ``from == to`` is no hours.
2. *In the service area:* a given share of the eligible calls lies inside the area the team
   serves (otherwise: outside the service area).
3. *Not screened out:* the dispatcher sends the team to a given share of the calls left
   (the rest, e.g. for safety concerns, go to police: screened). The screened share is
   measured from the data by the caller.
4. *A team is free when the call arrives* (otherwise: no team available). In each cell
   with ``c`` vans on duty, calls reaching step 4 arrive at ``lambda_offered = lambda x area
   share x (1 - screened share)`` per hour and keep a van busy for a mean of ``m`` minutes,
   an offered load of ``a = lambda_offered x m / 60`` (Erlangs). The share of them that find
   every van busy is the Erlang loss probability (Erlang B), computed with the recursion
   ``B(0) = 1, B(j) = a B(j-1) / (j + a B(j-1))``. Erlang B and not Erlang C, because a
   call that finds every team busy is not held in a queue for the team: it goes to police.

Expected answered calls in a cell = calls x area share x (1 - screened share) x (1 - B(c, a))
for on-duty cells and 0 otherwise; the estimated share is the sum over cells divided by
all eligible calls. When the schedule changed during the period, each part of the period
is estimated with the schedule then in force (each weekday's calls are split between the
parts by how many of that weekday fall in each) and the parts are added up.

For comparison the module also gives the Erlang C (queueing) formulas: the probability
that a call has to wait, ``C = c B / (c - a (1 - B))`` for ``a < c`` (else 1), and the
service level ``P(wait <= t) = 1 - C exp(-(c - a) t / m)`` (0 when ``a >= c``). With
``model="erlang_c"`` a call counts as answered when its wait in such a queue would be at
most ``max_wait`` minutes, and lost (no team available) otherwise. That variant assumes
calls would queue; Erlang B (the default) is the model the estimate is quoted with.

Limits: the model knows nothing of travel time, shift changes, breaks, calls the team
finds itself, or calls that need two vans; the mean time per call and the screened share
are taken as the same in every hour.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from numbers import Real

import numpy as np
import pandas as pd

from dashboard.contract.cities import SchedulePeriod
from dashboard.contract.schema import DEFAULT_K, UnansweredReason

MAX_VANS = 50
ALL_DAYS: tuple[int, ...] = tuple(range(7))
ALL_HOURS: tuple[int, int] = (0, 24)
MODELS: tuple[str, ...] = ("erlang_b", "erlang_c")
#: Columns of ``Estimate.cells``, in order.
CELL_COLUMNS: tuple[str, ...] = (
    "weekday",
    "hour",
    "calls",
    "imputed",
    "on_duty",
    "duty_share",
    "vans",
    "offered",
    "load",
    "blocking",
    "answered",
)


# -- validation --------------------------------------------------------------------------


def _whole(value: object, name: str, low: int, high: int | None = None) -> int:
    """``value`` as an int in ``[low, high]``, or ValueError naming ``name``."""
    bound = f"from {low} to {high}" if high is not None else f"of at least {low}"
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok and float(value).is_integer():
        number = int(value)
        if number >= low and (high is None or number <= high):
            return number
    raise ValueError(f"{name}: must be a whole number {bound}, got {value!r}")


def _real(
    value: object, name: str, low: float = 0.0, high: float | None = None, *, open_low: bool = False
) -> float:
    """``value`` as a finite float in the given range, or ValueError naming ``name``."""
    ok = isinstance(value, Real) and not isinstance(value, bool) and math.isfinite(float(value))
    if ok:
        number = float(value)
        above = number > low if open_low else number >= low
        if above and (high is None or number <= high):
            return number
    if high is None:
        bound = f"greater than {low:g}" if open_low else f"at least {low:g}"
    else:
        bound = f"between {low:g} and {high:g}"
    raise ValueError(f"{name}: must be a number {bound}, got {value!r}")


def _share(value: object, name: str) -> float:
    return _real(value, name, 0.0, 1.0)


# -- Erlang formulas ---------------------------------------------------------------------


def _erlang_b_array(servers: int, load: np.ndarray) -> np.ndarray:
    """Erlang B for one number of servers and an array of loads (the recursion, vectorized)."""
    blocking = np.ones_like(load, dtype=float)
    for j in range(1, servers + 1):
        blocking = load * blocking / (j + load * blocking)
    return blocking


def _erlang_c_array(servers: int, load: np.ndarray) -> np.ndarray:
    blocking = _erlang_b_array(servers, load)
    stable = load < servers
    with np.errstate(divide="ignore", invalid="ignore"):
        waiting = servers * blocking / (servers - load * (1.0 - blocking))
    return np.where(stable, waiting, 1.0)


def _service_level_array(
    servers: int, load: np.ndarray, max_wait: float, minutes_per_call: float
) -> np.ndarray:
    waiting = _erlang_c_array(servers, load)
    stable = load < servers
    level = 1.0 - waiting * np.exp(-(servers - load) * max_wait / minutes_per_call)
    return np.where(stable, level, 0.0)


def erlang_b(servers: int, load: float) -> float:
    """Erlang loss probability: share of calls that find all ``servers`` busy and are lost.

    ``load`` is the offered load in Erlangs (arrivals per hour x mean hours per call).
    ``erlang_b(0, a) == 1`` and ``erlang_b(c, 0) == 0`` for ``c >= 1``.
    """
    c = _whole(servers, "servers", 0)
    a = _real(load, "load")
    return float(_erlang_b_array(c, np.array([a]))[0])


def erlang_c(servers: int, load: float) -> float:
    """Erlang C: probability that a call must wait in an M/M/c queue (1 when ``load >= servers``)."""
    c = _whole(servers, "servers", 0)
    a = _real(load, "load")
    return float(_erlang_c_array(c, np.array([a]))[0])


def erlang_c_service_level(servers: int, load: float, max_wait: float, minutes_per_call: float) -> float:
    """Erlang C service level: probability a call waits at most ``max_wait`` minutes.

    ``P(W <= t) = 1 - C(c, a) exp(-(c - a) t / m)`` with ``m = minutes_per_call``; 0 when
    ``load >= servers`` (the queue grows without bound).
    """
    c = _whole(servers, "servers", 0)
    a = _real(load, "load")
    t = _real(max_wait, "max_wait")
    m = _real(minutes_per_call, "minutes_per_call", open_low=True)
    return float(_service_level_array(c, np.array([a]), t, m)[0])


# -- plans -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """An operating pattern: ``vans`` on duty on ``days`` (Monday = 0) during ``hours``.

    ``hours`` is ``[from, to)`` in local hours 0-24; ``to <= from`` (other than ``from == to``,
    no hours) runs past midnight into the next day, e.g. ``(22, 6)``. ``area_share`` is the
    share of the eligible calls that lie inside the area the team serves.
    """

    vans: int
    days: tuple[int, ...] = ALL_DAYS
    hours: tuple[int, int] = ALL_HOURS
    area_share: float = 1.0

    def __post_init__(self) -> None:
        vans = _whole(self.vans, "vans", 0, MAX_VANS)
        if isinstance(self.days, str | bytes) or not isinstance(self.days, Iterable):
            raise ValueError(f"days: must be a list of weekdays 0-6 (Monday = 0), got {self.days!r}")
        days = tuple(sorted({_whole(d, "days", 0, 6) for d in self.days}))
        if isinstance(self.hours, str | bytes) or not isinstance(self.hours, Iterable):
            raise ValueError(f"hours: must be a pair [from, to) of hours 0-24, got {self.hours!r}")
        hours = tuple(self.hours)
        if len(hours) != 2:
            raise ValueError(f"hours: must be a pair [from, to) of hours 0-24, got {self.hours!r}")
        hours = (_whole(hours[0], "hours", 0, 24), _whole(hours[1], "hours", 0, 24))
        object.__setattr__(self, "vans", vans)
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "area_share", _share(self.area_share, "area_share"))

    def on_duty(self, weekday: int, hour: int) -> bool:
        """Whether a van is on duty in this weekday-hour (shifts past midnight included)."""
        if self.vans == 0:
            return False
        start, end = self.hours
        if start < end:
            return weekday in self.days and start <= hour < end
        if start == end:
            return False
        return (weekday in self.days and hour >= start) or ((weekday - 1) % 7 in self.days and hour < end)

    def duty_grid(self) -> np.ndarray:
        """7 x 24 booleans: ``[weekday, hour]`` is on duty."""
        return np.array([[self.on_duty(w, h) for h in range(24)] for w in range(7)], dtype=bool)

    @property
    def hours_per_week(self) -> int:
        """Weekday-hours per week with the team on duty."""
        return int(self.duty_grid().sum())

    @property
    def van_hours_per_week(self) -> int:
        """Van-hours per week (vans x on-duty hours): a rough measure of cost."""
        return self.vans * self.hours_per_week


@dataclass(frozen=True)
class PlanSpan:
    """A plan in force from ``start`` to ``end`` (both included)."""

    plan: Plan
    start: date
    end: date

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValueError(f"end: {self.end} is before start {self.start}")

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def _area_share(period: SchedulePeriod, area_share: float | Mapping[str, float]) -> float:
    if isinstance(area_share, Mapping):
        for district, value in area_share.items():
            _share(value, f"area_share[{district!r}]")
        total = sum(float(area_share.get(d, 0.0)) for d in period.area_districts)
        if total > 1.0 + 1e-9:
            raise ValueError(f"area_share: district shares inside the area add up to {total:g} > 1")
        return min(total, 1.0)
    return _share(area_share, "area_share")


def plan_from_period(period: SchedulePeriod, area_share: float | Mapping[str, float] = 1.0) -> Plan:
    """The plan of one schedule period of a city.

    ``area_share`` is the share of eligible calls inside the period's service area, or a
    mapping district -> that district's share of the eligible calls, summed over the
    period's ``area_districts``.
    """
    return Plan(
        vans=period.vans,
        days=period.days,
        hours=period.hours,
        area_share=_area_share(period, area_share),
    )


def schedule_plans(
    schedule: Sequence[SchedulePeriod],
    start: date,
    end: date,
    area_share: float | Mapping[str, float] = 1.0,
) -> tuple[PlanSpan, ...]:
    """The schedule periods in force between ``start`` and ``end`` (included), cut to that range.

    Each period runs until the day before the next one starts. Days before the first
    period get no span (``estimate`` counts their calls as out of hours). ``area_share`` as
    in ``plan_from_period``.
    """
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    periods = sorted(schedule, key=lambda p: p.start)
    spans = []
    for i, period in enumerate(periods):
        until = periods[i + 1].start - timedelta(days=1) if i + 1 < len(periods) else end
        first, last = max(period.start, start), min(until, end)
        if first <= last:
            spans.append(PlanSpan(plan_from_period(period, area_share), first, last))
    return tuple(spans)


# -- demand ------------------------------------------------------------------------------


def weekday_counts(start: date, end: date) -> np.ndarray:
    """How many of each weekday (Monday = 0) fall between ``start`` and ``end`` (included)."""
    if end < start:
        return np.zeros(7, dtype=np.int64)
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    counts = np.full(7, weeks, dtype=np.int64)
    for offset in range(rest):
        counts[(start.weekday() + offset) % 7] += 1
    return counts


def week_year_dates(year: int) -> tuple[date, date]:
    """First and last day of the weeks whose Monday falls in ``year``.

    That is what a release's ``year`` column means for weekly data (the year of the week's
    Monday), so a year of the coverage cube covers exactly these 52 or 53 whole weeks.
    """
    year = _whole(year, "year", 1, 9998)
    first = date(year, 1, 1)
    first += timedelta(days=(7 - first.weekday()) % 7)
    last = date(year, 12, 31)
    last -= timedelta(days=last.weekday())
    return first, last + timedelta(days=6)


# -- hours on duty over a period -------------------------------------------------------


def _ordered_spans(spans: Sequence[PlanSpan], field: str, expected: str) -> tuple[PlanSpan, ...]:
    """``spans`` by start date; ValueError naming ``field`` if one is not a span or two overlap."""
    spans = tuple(spans)
    for span in spans:
        if not isinstance(span, PlanSpan):
            raise ValueError(f"{field}: must be {expected}, got {span!r}")
    ordered = tuple(sorted(spans, key=lambda s: s.start))
    for before, after in zip(ordered, ordered[1:], strict=False):
        if after.start <= before.end:
            raise ValueError(f"{field}: spans overlap ({before.start}..{before.end} and {after.start}..)")
    return ordered


def duty_shares(
    spans: Sequence[PlanSpan], *, start: date | None = None, end: date | None = None
) -> np.ndarray:
    """7 x 24 shares: on how many of the period's occurrences of each weekday-hour a van was on duty.

    Why: a period of dates can straddle a schedule change (Denver's STAR went from weekdays
    10-18 to every day 6-22 in September 2021), so "was the team on duty on Saturdays at
    noon?" has three answers, not two: always (1), never (0), or on part of the period's
    Saturdays (in between). The coverage heatmap outlines the first with a solid line and
    the last with a dashed one.

    ``[weekday, hour]`` (Monday = 0) is the number of that weekday's days in the period
    whose span's plan has a van on duty in that hour, divided by the number of that
    weekday's days in the period. A span weighs by how many of each weekday it contains
    (``weekday_counts``), the same weighting ``estimate`` gives its calls, so the shares
    equal ``Estimate.cells["duty_share"]``. A shift past midnight belongs to the day it
    starts on (``Plan.on_duty``): Friday ``[22, 6)`` marks Saturday 00:00-06:00. A plan with
    no vans is never on duty.

    The period is ``start``..``end`` (both included), by default from the first span's start
    to the last span's end; days in it outside every span count as off duty (as in
    ``estimate``), parts of spans outside it are ignored. Spans must not overlap. No spans,
    or an empty period, give all zeros; so does a weekday the period does not contain.
    """
    ordered = _ordered_spans(spans, "spans", "a list of PlanSpan")
    first = start if start is not None else (ordered[0].start if ordered else None)
    last = end if end is not None else (max(s.end for s in ordered) if ordered else None)
    if first is None or last is None or last < first:
        return np.zeros((7, 24))
    # Whole numbers of days until the one division, so "every day" is exactly 1.0.
    days_on = np.zeros((7, 24), dtype=np.int64)
    for span in ordered:
        counts = weekday_counts(max(span.start, first), min(span.end, last))
        days_on += span.plan.duty_grid().astype(np.int64) * counts[:, None]
    occurrences = weekday_counts(first, last)[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(occurrences > 0, days_on / occurrences, 0.0)


def duty_shares_for(schedule: Sequence[SchedulePeriod], start: date, end: date) -> np.ndarray:
    """``duty_shares`` of a city's published schedule over ``start``..``end`` (both included).

    Days before the schedule's first period count as off duty.
    """
    return duty_shares(schedule_plans(schedule, start, end), start=start, end=end)


@dataclass(frozen=True, eq=False)
class Demand:
    """Eligible calls by weekday x hour over ``start``..``end`` (both included).

    ``cells`` has 168 rows ``weekday, hour, calls, imputed`` (``imputed`` is the part of
    ``calls`` that was imputed for suppressed cells).
    """

    cells: pd.DataFrame
    start: date
    end: date

    @property
    def calls(self) -> float:
        return float(self.cells["calls"].sum())

    @property
    def imputed(self) -> float:
        return float(self.cells["imputed"].sum())

    @property
    def weekdays(self) -> np.ndarray:
        """Occurrences of each weekday in the period: the divisor of each cell's rate."""
        return weekday_counts(self.start, self.end)

    def rates(self) -> np.ndarray:
        """7 x 24 calls per hour (``lambda``) of each weekday-hour."""
        counts = self.weekdays
        grid = self.cells["calls"].to_numpy(dtype=float).reshape(7, 24)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(counts[:, None] > 0, grid / counts[:, None], 0.0)


def demand_from_cells(
    cells: pd.DataFrame,
    start: date,
    end: date,
    *,
    total: float | None = None,
    k: int = DEFAULT_K,
) -> Demand:
    """Build the demand grid from published counts, imputing suppressed cells.

    ``cells`` has columns ``weekday`` (0-6), ``hour`` (0-23), ``n`` (the published count,
    NA where suppressed) and optionally ``suppressed`` (bool; when absent, a missing ``n``
    means suppressed) - the shape of a suppressed cube. Rows may repeat a weekday-hour (a
    cube with further columns, e.g. district): they are added up after imputation. Missing
    weekday-hours have no calls. ``total`` is the area's published number of eligible calls
    in the period, if known: the remainder over the published cells is spread evenly over
    the suppressed rows; otherwise each suppressed row counts ``(k - 1) / 2`` calls.
    """
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    missing = [c for c in ("weekday", "hour", "n") if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing column(s) {', '.join(missing)}")
    k = _whole(k, "k", 1)
    frame = cells.reset_index(drop=True)
    weekday = pd.to_numeric(frame["weekday"], errors="coerce")
    hour = pd.to_numeric(frame["hour"], errors="coerce")
    if not weekday.between(0, 6).all() or not (weekday % 1 == 0).all():
        raise ValueError("cells: weekday must be a whole number 0-6 (Monday = 0)")
    if not hour.between(0, 23).all() or not (hour % 1 == 0).all():
        raise ValueError("cells: hour must be a whole number 0-23")
    counts = pd.to_numeric(frame["n"], errors="coerce").astype("Float64")
    if "suppressed" in frame.columns:
        suppressed = frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        suppressed = counts.isna().to_numpy(dtype=bool)
    published = counts.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(published[~suppressed]).any():
        raise ValueError("cells: n is missing in a cell not marked suppressed")
    if (published[~suppressed] < 0).any() or not np.isfinite(published[~suppressed]).all():
        raise ValueError("cells: n must be a count of at least 0")
    known = float(published[~suppressed].sum())
    hidden = int(suppressed.sum())
    if total is not None:
        total = _real(total, "total")
        remainder = total - known
        if remainder < -1e-9:
            raise ValueError(f"total: {total:g} is smaller than the published cells' sum {known:g}")
        each = max(remainder, 0.0) / hidden if hidden else 0.0
    else:
        each = (k - 1) / 2
    values = np.where(suppressed, each, np.nan_to_num(published))
    imputed = np.where(suppressed, each, 0.0)
    index = weekday.to_numpy(dtype=int) * 24 + hour.to_numpy(dtype=int)
    calls = np.bincount(index, weights=values, minlength=168)
    imputed_calls = np.bincount(index, weights=imputed, minlength=168)
    present = weekday_counts(start, end)
    absent = [w for w in range(7) if present[w] == 0 and calls[w * 24 : (w + 1) * 24].sum() > 0]
    if absent:
        raise ValueError(f"cells: calls on weekday(s) {absent} that do not occur between {start} and {end}")
    grid = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls,
            "imputed": imputed_calls,
        }
    )
    return Demand(grid, start, end)


def demand_from_rates(rates: np.ndarray | Sequence[Sequence[float]], start: date, end: date) -> Demand:
    """Demand whose weekday-hour ``rates`` (7 x 24, calls per hour) are known, over a period."""
    grid = np.asarray(rates, dtype=float)
    if grid.shape != (7, 24) or not np.isfinite(grid).all() or (grid < 0).any():
        raise ValueError("rates: must be a 7 x 24 grid of calls per hour, each at least 0")
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    calls = grid * weekday_counts(start, end)[:, None]
    frame = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls.ravel(),
            "imputed": np.zeros(168),
        }
    )
    return Demand(frame, start, end)


# -- the estimate ------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Estimate:
    """Expected answered calls of a plan against a demand.

    ``eligible = answered + out_of_hours + outside_area + screened + no_team``. ``share`` is
    ``answered / eligible`` (NaN when there are no eligible calls). ``imputed`` is how many
    of the eligible calls were imputed for suppressed cells. ``cells`` has one row per
    weekday-hour with columns ``CELL_COLUMNS``: ``calls`` eligible calls; ``imputed`` the
    imputed part; ``on_duty`` a van was on duty there at some time in the period;
    ``duty_share`` the share of the period's occurrences of that weekday-hour on duty;
    ``vans`` vans on duty (mean over on-duty occurrences, 0 when never on duty);
    ``offered`` calls reaching step 4 (in hours, in area, not screened); ``load`` offered
    load in Erlangs while on duty; ``blocking`` share of offered calls lost for want of a
    free team (NaN when never on duty); ``answered`` expected answered calls.
    """

    eligible: float
    answered: float
    share: float
    out_of_hours: float
    outside_area: float
    screened: float
    no_team: float
    imputed: float
    model: str
    cells: pd.DataFrame = field(repr=False)

    @property
    def lost(self) -> dict[UnansweredReason, float]:
        """Eligible calls not answered, by reason (keys are the contract's reason values)."""
        return {
            UnansweredReason.OUT_OF_HOURS: self.out_of_hours,
            UnansweredReason.OUTSIDE_SERVICE_AREA: self.outside_area,
            UnansweredReason.SAFETY_SCREEN: self.screened,
            UnansweredReason.NO_TEAM_AVAILABLE: self.no_team,
        }

    @property
    def imputed_share(self) -> float:
        """Share of the eligible calls that were imputed (NaN when there are none)."""
        return self.imputed / self.eligible if self.eligible > 0 else math.nan


def estimate(
    demand: Demand,
    plan: Plan | Sequence[PlanSpan],
    *,
    minutes_per_call: float,
    screen_share: float = 0.0,
    model: str = "erlang_b",
    max_wait: float | None = None,
) -> Estimate:
    """Expected answered eligible calls under ``plan`` (see the module docstring).

    ``plan`` is one ``Plan`` for the whole demand period, or ``PlanSpan``s (e.g. from
    ``schedule_plans``) that must not overlap; demand days outside every span count as out
    of hours. ``minutes_per_call`` is the mean time a call keeps a van busy;
    ``screen_share`` the share of in-hours, in-area eligible calls the dispatcher does not
    send the team to. ``model`` is ``"erlang_b"`` (lost if no van is free) or
    ``"erlang_c"`` (answered if the wait in a queue would be at most ``max_wait`` minutes).
    """
    minutes = _real(minutes_per_call, "minutes_per_call", open_low=True)
    screen = _share(screen_share, "screen_share")
    if model not in MODELS:
        raise ValueError(f"model: must be one of {', '.join(MODELS)}, got {model!r}")
    wait = 0.0
    if model == "erlang_c":
        if max_wait is None:
            raise ValueError("max_wait: required with model 'erlang_c' (minutes a call may wait)")
        wait = _real(max_wait, "max_wait")
    if isinstance(plan, Plan):
        spans: tuple[PlanSpan, ...] = (PlanSpan(plan, demand.start, demand.end),)
    else:
        spans = _ordered_spans(plan, "plan", "a Plan or a list of PlanSpan")

    calls = demand.cells["calls"].to_numpy(dtype=float).reshape(7, 24)
    rates = demand.rates()
    occurrences = demand.weekdays.astype(float)[:, None]  # 7 x 1
    duty_weight = np.zeros((7, 24))  # share of the cell's occurrences (and calls) on duty
    van_weight = np.zeros((7, 24))
    load_weight = np.zeros((7, 24))
    lost_weight = np.zeros((7, 24))
    offered = np.zeros((7, 24))
    answered = np.zeros((7, 24))
    outside = np.zeros((7, 24))
    screened = np.zeros((7, 24))
    for span in spans:
        first, last = max(span.start, demand.start), min(span.end, demand.end)
        if last < first:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(occurrences > 0, weekday_counts(first, last)[:, None] / occurrences, 0.0)
        duty = span.plan.duty_grid() * fraction
        area = span.plan.area_share
        in_duty = calls * duty
        outside += in_duty * (1.0 - area)
        screened += in_duty * area * screen
        sent = in_duty * area * (1.0 - screen)
        load = rates * area * (1.0 - screen) * minutes / 60.0
        if model == "erlang_b":
            free = 1.0 - _erlang_b_array(span.plan.vans, load)
        else:
            free = _service_level_array(span.plan.vans, load, wait, minutes)
        offered += sent
        answered += sent * free
        duty_weight += duty
        van_weight += duty * span.plan.vans
        load_weight += duty * load
        lost_weight += duty * (1.0 - free)

    on_duty = duty_weight > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        vans = np.where(on_duty, van_weight / duty_weight, 0.0)
        load_mean = np.where(on_duty, load_weight / duty_weight, 0.0)
        # Share of offered calls lost; where nothing is offered (area share 0, all screened,
        # no calls), the loss probability itself, averaged over the on-duty occurrences.
        blocking = np.where(
            offered > 0,
            (offered - answered) / offered,
            np.where(on_duty, lost_weight / duty_weight, np.nan),
        )
    out_of_hours = calls * np.clip(1.0 - duty_weight, 0.0, None)
    no_team = offered - answered
    eligible = float(calls.sum())
    total_answered = float(answered.sum())
    frame = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls.ravel(),
            "imputed": demand.cells["imputed"].to_numpy(dtype=float),
            "on_duty": on_duty.ravel(),
            "duty_share": duty_weight.ravel(),
            "vans": vans.ravel(),
            "offered": offered.ravel(),
            "load": load_mean.ravel(),
            "blocking": blocking.ravel(),
            "answered": answered.ravel(),
        },
        columns=list(CELL_COLUMNS),
    )
    return Estimate(
        eligible=eligible,
        answered=total_answered,
        share=total_answered / eligible if eligible > 0 else math.nan,
        out_of_hours=float(out_of_hours.sum()),
        outside_area=float(outside.sum()),
        screened=float(screened.sum()),
        no_team=float(no_team.sum()),
        imputed=float(demand.cells["imputed"].sum()),
        model=model,
        cells=frame,
    )
