"""The sample's alternative team as a loss queue, and its calibrated time per call.

SYNTHETIC DATA: these are the rules by which the synthetic sample decides which
candidate calls its alternative team answers (steps 3 and 4 of
``dashboard.sample.generator``), not a measurement of any real team.

Candidates go, in the order of their exact arrival (to the second, the times the raw
export writes), through a LOSS QUEUE per city (``simulate_loss_queue``): the schedule
period's ``vans`` teams; a candidate is answered iff a van is free the second it comes
in, which is then busy for the call's time (dispatch to clearing: ``busy_minutes``);
otherwise it is ``no_team_available``. There is no waiting line.

Times per call are lognormal (sigma ``SERVICE_SIGMA``), never under the drive there
plus a minute, never over a day. Their mean is CALIBRATED by bisection per *plan
segment* (consecutive months of one schedule period with constant monthly plans;
``service_segments``) so that the queue answers the segment's planned count, which
encodes the published figures. Per segment rather than per schedule period because
plans change inside a period (Denver's plan has the same six vans answer 619 calls a
month in Mar-Jun 2022 and 494 in Jul-Dec, as the published Jan-Jun 2022 count
requires).
At seed 20200601, scale 1, the calibrated means come out LONG: about 3 to 6 hours a
call for Denver from September 2021 (2023: 240 min) and 1.5 to 5.5 hours for Grand
Junction. The published answered counts are far below what six or eight vans could take
with hour-long calls, and this synthetic world has no other way to lose calls (no shift
gaps, breaks, travel back, staffing shortfalls), so its calls get long; that is a
property of the sample, not a measured time per call. The synthetic pilot is the
opposite case: one van on weekdays 10-18 in four districts sees too few candidates
(~900) to answer the planned 750 even with calls of drive time plus a minute, so its
mean sits at the lower bound and it answers ~3% fewer (the pilot target still holds
within the 5% tolerance). A scaled sample scales the vans with the calls
(``scaled_vans``), so its targets stay within reach.

Separate from the generator because the queue and its calibration are arithmetic on
arrival seconds and plans (no frames, places or random draws of their own), checked by
themselves in tests/unit/test_sample_queue.py; the generator's ``_dispatch`` runs them
over a city's candidates.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from dashboard.contract.cities import City, SchedulePeriod
from dashboard.sample.plans import MonthPlan, month_fraction, month_key

# The alternative team's time per call (dispatch to clearing the call): lognormal with
# this sigma and a mean calibrated per plan segment (see ``calibrate_service``).
SERVICE_SIGMA = 0.5
SERVICE_MEAN_BOUNDS = (1.0, 7 * 24 * 60.0)  # minutes: the bisection's bracket
# No call takes over a day: the ingest nulls such durations as data errors (its
# MAX_MINUTES), so the export would lose them and disagree with the queue.
SERVICE_MAX_MINUTES = 24 * 60
SERVICE_TOLERANCE = 0.002  # answered calls within this share of the target (at least 1 call)
SERVICE_MAX_ITERATIONS = 60
NEVER_BUSY = -(2**62)  # "free since forever", in epoch seconds


@dataclass(frozen=True)
class ServiceSegment:
    """Consecutive months of one schedule period over which the monthly plan is constant.

    Each segment gets its own calibrated mean time per call. One mean per schedule
    period is not enough: plans change inside a period (Denver 2022 plans 619 STAR calls
    a month from March to June and 494 from July, with the same six vans), and the
    published half-year count (2,837 in Jan-Jun 2022) pins that split down.
    """

    period: SchedulePeriod
    first: date  # first month
    last: date  # last month (inclusive)
    target: int  # answered calls the monthly plans encode over these months

    @property
    def month_keys(self) -> tuple[int, int]:
        return (month_key(self.first.year, self.first.month), month_key(self.last.year, self.last.month))


@dataclass(frozen=True)
class QueueRun:
    """What happened to each call of a loss queue, and the vans' state after the last one."""

    van: np.ndarray  # int64 per call: the van that took it, -1 when none was free
    cleared: np.ndarray  # int64 per call: epoch second its van cleared it, -1 when not answered
    free_at: np.ndarray  # int64 per van: epoch second it is next free

    @property
    def answered(self) -> np.ndarray:
        return self.van >= 0


@dataclass(frozen=True)
class ServiceCalibration:
    """The calibrated mean time per call of one segment, and how close it came to the plan."""

    segment: ServiceSegment
    vans: int  # on duty in the queue: the period's, times the sample's scale (``scaled_vans``)
    candidates: int  # calls the team could have taken (eligible, on duty, in area, screened in)
    answered: int
    mean_minutes: float  # the lognormal's mean (before the drive-time floor)
    mean_busy_minutes: float  # what the answered calls took on average (floor included)
    iterations: int  # queue simulations the bisection ran

    @property
    def tolerance(self) -> int:
        return max(1, int(SERVICE_TOLERANCE * self.segment.target))

    @property
    def within_tolerance(self) -> bool:
        return abs(self.answered - self.segment.target) <= self.tolerance


def simulate_loss_queue(arrival: np.ndarray, service: np.ndarray, vans: int,
                        free_at: np.ndarray | None = None) -> QueueRun:
    """Erlang's loss system, call by call, in whole epoch seconds.

    A call is answered iff one of the first ``vans`` vans is free at its arrival (a van
    that clears at that very second counts as free): it takes the van free the longest
    (ties: the lowest-numbered), busy until ``arrival + service``. Otherwise it is lost:
    there is no waiting line, because a crisis call that finds no team goes to police at
    once. Which free van takes a call changes nothing about which calls are answered.
    ``free_at`` carries the vans' state over from earlier calls (a long call at the end
    of one segment still holds its van in the next); it may list more vans than ``vans``.
    """
    arrival = np.asarray(arrival, np.int64)
    service = np.asarray(service, np.int64)
    if arrival.shape != service.shape:
        raise ValueError("arrival and service differ in length")
    if arrival.size and (np.diff(arrival) < 0).any():
        raise ValueError("arrivals must be in time order")
    if (service <= 0).any():
        raise ValueError("service times must be positive")
    free = [NEVER_BUSY] * vans if free_at is None else [int(x) for x in free_at]
    free += [NEVER_BUSY] * (vans - len(free))
    van = [-1] * arrival.size
    cleared = [-1] * arrival.size
    # A heap of (free from, van) in plain Python: one look at its top per call, whatever
    # the number of vans (a scaled sample has hundreds), and no numpy per-call overhead
    # (the bisection runs this a dozen times per segment).
    heap = sorted((free[j], j) for j in range(vans))
    for i, (t, s) in enumerate(zip(arrival.tolist(), service.tolist(), strict=True)):
        if heap and heap[0][0] <= t:
            j = heap[0][1]
            heapq.heapreplace(heap, (t + s, j))
            van[i], cleared[i] = j, t + s
    for until, j in heap:
        free[j] = until
    return QueueRun(np.array(van, np.int64), np.array(cleared, np.int64), np.array(free, np.int64))


def service_seconds(mean_minutes: float, z: np.ndarray, floor: np.ndarray | None = None) -> np.ndarray:
    """Lognormal times per call with the given mean, from standard normal draws ``z``,
    never under ``floor`` (seconds: the team must at least drive there and stop) nor
    over ``SERVICE_MAX_MINUTES``.

    Scaling fixed draws (common random numbers) makes the answered count a (nearly)
    monotone function of the mean, which is what lets a bisection find it.
    """
    factor = np.exp(SERVICE_SIGMA * np.asarray(z, float) - SERVICE_SIGMA**2 / 2)  # mean 1
    seconds = np.clip(np.rint(mean_minutes * 60 * factor), 1, SERVICE_MAX_MINUTES * 60).astype(np.int64)
    return seconds if floor is None else np.maximum(seconds, np.asarray(floor, np.int64))


def calibrate_service(arrival: np.ndarray, z: np.ndarray, vans: int, target: int,
                      free_at: np.ndarray | None = None,
                      floor: np.ndarray | None = None) -> tuple[float, QueueRun, int]:
    """The mean time per call at which the loss queue answers ``target`` of these calls.

    Bisection on the log of the mean within ``SERVICE_MEAN_BOUNDS``, stopping once the
    answered count is within ``SERVICE_TOLERANCE`` of the target. Longer calls keep vans
    busy, so fewer calls are answered; pathwise a loss queue is not exactly monotone
    (one lost call can free a van for the next), so the closest run seen is returned.
    An unreachable target (more than the vans can take even with the shortest calls,
    or too few calls to keep them busy even at the longest) returns the nearest bound.
    Returns the lognormal's mean in minutes, its run and the number of simulations.
    """
    tolerance = max(1, int(SERVICE_TOLERANCE * target))
    runs = 0

    def attempt(log_mean: float) -> tuple[int, float, QueueRun]:
        nonlocal runs
        runs += 1
        mean = float(np.exp(log_mean))
        run = simulate_loss_queue(arrival, service_seconds(mean, z, floor), vans, free_at)
        return int(run.answered.sum()), mean, run

    lo, hi = np.log(SERVICE_MEAN_BOUNDS[0]), np.log(SERVICE_MEAN_BOUNDS[1])
    shortest = attempt(lo)
    if shortest[0] < target - tolerance:  # too few candidates, however short the calls
        return shortest[1], shortest[2], runs
    longest = attempt(hi)
    if longest[0] > target + tolerance:  # too many calls get through even at the longest
        return longest[1], longest[2], runs
    best = min(shortest, longest, key=lambda r: abs(r[0] - target))
    while runs < SERVICE_MAX_ITERATIONS:
        mid = (lo + hi) / 2
        got = attempt(mid)
        if abs(got[0] - target) <= tolerance:
            return got[1], got[2], runs
        if abs(got[0] - target) < abs(best[0] - target):
            best = got
        if got[0] > target:
            lo = mid  # too many answered: calls must take longer
        else:
            hi = mid
    return best[1], best[2], runs


def _period_index(city: City, month: int) -> int | None:
    """The schedule period in force in a month (a ``month_key``; month-granular, as the
    generator's ``_respond`` assigns it)."""
    index = None
    for i, period in enumerate(city.schedule):
        if month_key(period.start.year, period.start.month) <= month:
            index = i
    return index


def service_segments(city: City, plans: list[MonthPlan]) -> list[ServiceSegment]:
    """Runs of months with the same schedule period, planned eligible and answered calls."""
    segments: list[ServiceSegment] = []
    previous = None
    for plan in plans:
        index = _period_index(city, month_key(plan.month.year, plan.month.month))
        if index is None:
            previous = None
            continue
        # Each month's planned count for the part of it the sample covers (its first
        # and last months are partial: whole weeks only).
        target = int(round(plan.alt_answered * month_fraction(plan.month)))
        key = (index, plan.eligible, plan.alt_answered)
        if key == previous:
            last = segments[-1]
            segments[-1] = replace(last, last=plan.month, target=last.target + target)
        else:
            segments.append(ServiceSegment(city.schedule[index], plan.month, plan.month, target))
        previous = key
    return segments


def scaled_vans(vans: int, scale: float) -> int:
    """Vans on duty in a sample ``scale`` times the size: ``vans * scale``, rounded, at
    least one. Scaling the teams with the calls keeps each van's load, so a big scaled
    sample (the benchmarks') still meets its scaled targets with calls of hours, not
    seconds (longer than at scale 1: more vans pool their load). Far under scale 1 a
    single van with calls capped at a day answers more than the targets."""
    return max(1, int(np.floor(vans * scale + 0.5)))
