"""Operating patterns of an alternative team: plans, plans in force over dates, hours on duty.

A ``Plan`` is vans on duty on some days during some hours (shifts past midnight
included), with optional added ``shifts`` (more vans on some days and hours: what a
council member asks the planner, "two more vans from 22:00 to 02:00"); a ``PlanSpan``
is one in force over a range of dates; ``schedule_plans`` turns a city's published
schedule into spans, so the current schedule and a planned one go through the same
estimate (``dashboard.models.planner``). ``duty_shares`` says how
much of a period a van was on duty in each weekday-hour. Separate from the estimate
because pages, views and figures read plans and duty without estimating anything.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

import numpy as np

from dashboard.contract.cities import SchedulePeriod
from dashboard.models.checks import check_share, check_whole
from dashboard.models.weeks import weekday_counts

MAX_VANS = 50
#: Added shifts one plan may carry (the planner's form adds one at a time).
MAX_SHIFTS = 4
ALL_DAYS: tuple[int, ...] = tuple(range(7))
ALL_HOURS: tuple[int, int] = (0, 24)


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
    #: Added shifts (plans without shifts of their own): their vans add to this plan's in
    #: the weekday-hours they cover, inside this plan's service area.
    shifts: tuple[Plan, ...] = ()

    def __post_init__(self) -> None:
        shifts = tuple(self.shifts)
        if len(shifts) > MAX_SHIFTS:
            raise ValueError(f"shifts: at most {MAX_SHIFTS} added shifts, got {len(shifts)}")
        if any(not isinstance(s, Plan) or s.shifts for s in shifts):
            raise ValueError("shifts: each added shift must be a Plan without shifts of its own")
        object.__setattr__(self, "shifts", shifts)
        vans = check_whole(self.vans, "vans", 0, MAX_VANS)
        if isinstance(self.days, str | bytes) or not isinstance(self.days, Iterable):
            raise ValueError(f"days: must be a list of weekdays 0-6 (Monday = 0), got {self.days!r}")
        days = tuple(sorted({check_whole(d, "days", 0, 6) for d in self.days}))
        if isinstance(self.hours, str | bytes) or not isinstance(self.hours, Iterable):
            raise ValueError(f"hours: must be a pair [from, to) of hours 0-24, got {self.hours!r}")
        hours = tuple(self.hours)
        if len(hours) != 2:
            raise ValueError(f"hours: must be a pair [from, to) of hours 0-24, got {self.hours!r}")
        hours = (check_whole(hours[0], "hours", 0, 24), check_whole(hours[1], "hours", 0, 24))
        object.__setattr__(self, "vans", vans)
        object.__setattr__(self, "days", days)
        object.__setattr__(self, "hours", hours)
        object.__setattr__(self, "area_share", check_share(self.area_share, "area_share"))

    def with_shifts(self, shifts: Sequence[Plan]) -> Plan:
        """This plan with ``shifts`` added (replacing any it had)."""
        return replace(self, shifts=tuple(shifts))

    def on_duty(self, weekday: int, hour: int) -> bool:
        """Whether this plan's own vans are on duty in this weekday-hour (shifts past
        midnight included; added ``shifts`` not counted: see ``vans_grid``)."""
        if self.vans == 0:
            return False
        start, end = self.hours
        if start < end:
            return weekday in self.days and start <= hour < end
        if start == end:
            return False
        return (weekday in self.days and hour >= start) or ((weekday - 1) % 7 in self.days and hour < end)

    def _own_grid(self) -> np.ndarray:
        return np.array([[self.on_duty(w, h) for h in range(24)] for w in range(7)], dtype=bool)

    def vans_grid(self) -> np.ndarray:
        """7 x 24 whole numbers: vans on duty in ``[weekday, hour]``, added shifts included."""
        grid = self._own_grid().astype(np.int64) * self.vans
        for shift in self.shifts:
            grid += shift._own_grid().astype(np.int64) * shift.vans
        return grid

    def duty_grid(self) -> np.ndarray:
        """7 x 24 booleans: ``[weekday, hour]`` has a van on duty."""
        return self.vans_grid() > 0

    @property
    def hours_per_week(self) -> int:
        """Weekday-hours per week with the team on duty."""
        return int(self.duty_grid().sum())

    @property
    def van_hours_per_week(self) -> int:
        """Van-hours per week (vans x on-duty hours): a rough measure of cost."""
        return int(self.vans_grid().sum())


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
            check_share(value, f"area_share[{district!r}]")
        total = sum(float(area_share.get(d, 0.0)) for d in period.area_districts)
        if total > 1.0 + 1e-9:
            raise ValueError(f"area_share: district shares inside the area add up to {total:g} > 1")
        return min(total, 1.0)
    return check_share(area_share, "area_share")


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
    period get no span (``planner.estimate`` counts their calls as out of hours). ``area_share`` as
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


# -- hours on duty over a period -------------------------------------------------------


def ordered_spans(spans: Sequence[PlanSpan], field: str, expected: str) -> tuple[PlanSpan, ...]:
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
    (``weekday_counts``), the same weighting ``planner.estimate`` gives its calls, so the
    shares equal ``planner.Estimate.cells["duty_share"]``. A shift past midnight belongs to the day it
    starts on (``Plan.on_duty``): Friday ``[22, 6)`` marks Saturday 00:00-06:00. A plan with
    no vans is never on duty.

    The period is ``start``..``end`` (both included), by default from the first span's start
    to the last span's end; days in it outside every span count as off duty (as in
    ``planner.estimate``), parts of spans outside it are ignored. Spans must not overlap. No spans,
    or an empty period, give all zeros; so does a weekday the period does not contain.
    """
    ordered = ordered_spans(spans, "spans", "a list of PlanSpan")
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
