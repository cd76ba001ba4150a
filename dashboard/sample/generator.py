"""Seeded synthetic sample: Denver (June 2019 - December 2025) and Grand Junction.

SYNTHETIC DATA. No row describes a real call or person. Volumes are calibrated to the
published figures in ``dashboard.sample.calibration.TARGETS`` (STAR pilot, 2022 and 2023
counts and shares, five-year totals, co-responder counts); everything else (hours of
day, places, categories, outcomes, minutes) follows plausible, documented assumptions.

How a call is made, so that every field has a cause rather than a random label:

1. Monthly volumes of eligible and other in-scope calls come from piecewise targets.
2. Each call gets a local hour and weekday (daytime-heavy), and a place: a neighborhood
   chosen by 2020 population times a downtown weight, a point inside it, then police
   district, precinct and council district by the same spatial join an ingest uses.
3. An eligible call is a *candidate* for the alternative team if the team is on duty
   (schedule in the city config), the place is in its service area and the
   dispatcher's safety screen passes; otherwise the reason is kept. Candidates then go,
   in the order of their exact arrival (to the second, the times the raw export
   writes), through a LOSS QUEUE per city (``simulate_loss_queue``): the schedule
   period's ``vans`` teams; a candidate is answered iff a van is free the second it
   comes in, which is then busy for the call's time (dispatch to clearing:
   ``busy_minutes``); otherwise it is ``no_team_available`` (a small share ``unknown``,
   as dispatch logs often leave it blank). There is no waiting line.
4. Times per call are lognormal (sigma ``SERVICE_SIGMA``), never under the drive
   there plus a minute, never over a day. Their mean is CALIBRATED by bisection per
   *plan segment* (consecutive months of one schedule period with constant monthly
   plans; ``service_segments``) so that the queue answers the segment's planned count,
   which encodes the published figures. Per segment rather than per schedule period
   because plans change inside a period (Denver's plan has the same six vans answer
   619 calls a month in Mar-Jun 2022 and 494 in Jul-Dec, as the published Jan-Jun 2022
   count requires).
   At seed 20200601, scale 1, the calibrated means come out LONG: about 4 to 6 hours
   a call for Denver from September 2021 (2023: 240 min) and 2 to 5.5 hours for Grand
   Junction. The published answered counts are far below what six or eight vans
   could take with hour-long calls, and this synthetic world has no other way to lose
   calls (no shift gaps, breaks, travel back, staffing shortfalls), so its calls get
   long; that is a property of the sample, not a measured time per call. The
   synthetic pilot is the opposite case: one van on weekdays 10-18 in four districts
   sees too few candidates (~900) to answer the planned 750 even with calls of drive
   time plus a minute, so its mean sits at the lower bound and it answers ~3% fewer
   (the pilot target still holds within the 5% tolerance). A scaled sample scales the
   vans with the calls (``scaled_vans``), so its targets stay within reach.
5. Police-handled calls go to co-responders (calibrated), CIT officers or patrol.
6. Minutes and outcomes are drawn per program; people are drawn from a pool with some
   frequent callers, which makes ``repeat_contact_90d`` a real 90-day look-back.
"""

from __future__ import annotations

import argparse
import heapq
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.contract.cities import City, SchedulePeriod, city_config_path, load_cities
from dashboard.contract.releases import ReleaseInfo
from dashboard.contract.schema import CITYWIDE, CallCategory, Outcome, ResponseType, UnansweredReason
from dashboard.publish.release import build_release
from dashboard.publish.scratch import scratch_dir, work_dir
from dashboard.settings import Settings

#: Scratch folders ``<releases>/.work/crisis-sample-<pid>-<token>`` (see ``scratch``).
SCRATCH_PREFIX = "crisis-sample-"
FIRST_MONTH = date(2019, 6, 1)
LAST_MONTH = date(2025, 12, 1)

# Relative call volume by local hour (0-23): crisis calls are daytime-heavy.
HOUR_WEIGHTS = np.array(
    [1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 1.0, 1.8, 3.0, 4.4, 5.6, 6.2, 6.4, 6.4, 6.2, 6.0,
     5.6, 5.0, 3.8, 3.0, 2.4, 1.9, 1.5, 1.2]
)
WEEKDAY_WEIGHTS = np.array([1.12, 1.12, 1.12, 1.12, 1.12, 0.7, 0.7])

# Neighborhoods where crisis calls concentrate (per resident), by name.
DOWNTOWN_WEIGHT = {
    "CBD": 9.0, "Union Station": 5.0, "Civic Center": 9.0, "Capitol Hill": 4.0,
    "Five Points": 4.0, "North Capitol Hill": 4.0, "Lincoln Park": 4.0, "Auraria": 6.0,
    "Baker": 2.5, "Cheesman Park": 2.0, "City Park West": 2.5, "Sun Valley": 3.0,
    "Jefferson Park": 2.0, "Speer": 1.6, "Congress Park": 1.4, "East Colfax": 2.0,
    "Whittier": 1.6, "Cole": 1.5, "Globeville": 1.6, "Elyria Swansea": 1.6,
    "West Colfax": 1.6, "Villa Park": 1.3, "Valverde": 1.5, "Montbello": 1.2,
}
DIA_RESIDENT_EQUIVALENT = 6000  # travellers in crisis at the airport; residents are few

ELIGIBLE_CATEGORIES = {
    CallCategory.WELFARE_CHECK: 0.36, CallCategory.MENTAL_HEALTH: 0.17,
    CallCategory.INTOXICATION: 0.13, CallCategory.TRESPASS: 0.15,
    CallCategory.PUBLIC_ASSIST: 0.09, CallCategory.SUICIDAL_THREAT: 0.07,
    CallCategory.INDECENT_EXPOSURE: 0.03,
}
OTHER_CATEGORIES = {
    CallCategory.DISTURBANCE: 0.36, CallCategory.SUICIDAL_THREAT: 0.26,
    CallCategory.MENTAL_HEALTH: 0.20, CallCategory.WELFARE_CHECK: 0.10,
    CallCategory.TRESPASS: 0.06, CallCategory.INTOXICATION: 0.02,
}
# Co-responders are sent mostly to mental-health and suicide calls.
CO_RESPONDER_AFFINITY = {
    CallCategory.MENTAL_HEALTH: 3.0, CallCategory.SUICIDAL_THREAT: 3.0,
    CallCategory.WELFARE_CHECK: 1.0, CallCategory.DISTURBANCE: 0.6,
}
CIT_SHARE_OF_POLICE = 0.45

OUTCOME_ORDER = tuple(Outcome)
OUTCOME_PROBS = {
    #                      resolved refer shelter hosp detox hold cite arrest gone refused
    ResponseType.STAR:         [0.34, 0.24, 0.09, 0.08, 0.06, 0.03, 0.00, 0.00, 0.10, 0.06],
    ResponseType.CO_RESPONDER: [0.25, 0.30, 0.03, 0.10, 0.03, 0.14, 0.03, 0.02, 0.05, 0.05],
    ResponseType.CIT_OFFICER:  [0.30, 0.15, 0.02, 0.10, 0.05, 0.10, 0.06, 0.07, 0.10, 0.05],
    ResponseType.PATROL:       [0.33, 0.08, 0.02, 0.08, 0.05, 0.06, 0.09, 0.11, 0.13, 0.05],
}
# Lognormal response minutes: (median, sigma).
MINUTES = {
    ResponseType.STAR: (14.0, 0.45), ResponseType.CO_RESPONDER: (21.0, 0.5),
    ResponseType.CIT_OFFICER: (13.0, 0.6), ResponseType.PATROL: (12.0, 0.65),
}
SAFETY_SCREEN_RATE = 0.04
UNKNOWN_REASON_RATE = 0.02

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
class MonthPlan:
    """Target volumes for one month of one city."""

    month: date
    eligible: float  # calls meeting the alternative program's criteria
    other: float  # other in-scope calls
    alt_answered: float  # eligible calls the alternative team answers
    co_responder: float  # co-responder calls (cities where co-responders are not the alt program)


def _months() -> list[date]:
    out, m = [], FIRST_MONTH
    while m <= LAST_MONTH:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _piecewise(month: date, table: list[tuple[date, float]]) -> float:
    value = 0.0
    for start, v in table:
        if start <= month:
            value = v
    return value


# Denver monthly targets, derived from the published figures (see calibration.TARGETS):
# pilot 748 calls Jun-Nov 2020; >1,600 cumulative by Aug 2021; >2,700 by Feb 2022;
# 2,837 in Jan-Jun 2022; >5,700 in 2022 (44%); >7,000 in 2023 (46% of ~15,000);
# 25,144 from Jun 2020 to Jun 2025 of ~60,000 eligible.
DENVER_ELIGIBLE = [
    (date(2019, 6, 1), 400.0), (date(2021, 1, 1), 875.0), (date(2022, 1, 1), 1098.0),
    (date(2023, 1, 1), 1275.0), (date(2024, 1, 1), 1006.0),
]
DENVER_STAR = [
    (date(2020, 6, 1), 125.0), (date(2020, 12, 1), 100.0), (date(2021, 9, 1), 180.0),
    (date(2022, 3, 1), 619.0), (date(2022, 7, 1), 494.0), (date(2023, 1, 1), 587.5),
    (date(2024, 1, 1), 551.0),
]
DENVER_OTHER = [(date(2019, 6, 1), 900.0), (date(2022, 1, 1), 960.0), (date(2024, 1, 1), 1000.0)]
DENVER_CO_RESPONDER = [(date(2019, 6, 1), 138.0), (date(2021, 1, 1), 160.0), (date(2023, 1, 1), 180.0)]

# Grand Junction: >5,300 calls in ~2 years from July 2018; 1,070 (2022); 1,036 (2023);
# 1,962 (2024). The co-responder unit is its alternative program.
GJ_CO_RESPONDER = [
    (date(2019, 6, 1), 2650 / 12), (date(2021, 1, 1), 1500 / 12), (date(2022, 1, 1), 1070 / 12),
    (date(2023, 1, 1), 1036 / 12), (date(2024, 1, 1), 1962 / 12), (date(2025, 1, 1), 2000 / 12),
]
GJ_OTHER = [(date(2019, 6, 1), 170.0)]


def plan_city(city: City, scale: float) -> list[MonthPlan]:
    plans = []
    for m in _months():
        if city.id == "grand_junction":
            alt = _piecewise(m, GJ_CO_RESPONDER)
            plans.append(MonthPlan(m, alt / 0.6 * scale, _piecewise(m, GJ_OTHER) * scale,
                                   alt * scale, 0.0))
        else:
            program_on = city.period_at(m) is not None
            plans.append(MonthPlan(
                m,
                _piecewise(m, DENVER_ELIGIBLE) * scale,
                _piecewise(m, DENVER_OTHER) * scale,
                (_piecewise(m, DENVER_STAR) if program_on else 0.0) * scale,
                _piecewise(m, DENVER_CO_RESPONDER) * scale,
            ))
    return plans


def _choice(rng: np.random.Generator, options: dict, n: int) -> np.ndarray:
    keys = [k.value if hasattr(k, "value") else k for k in options]
    probs = np.array(list(options.values()), dtype=float)
    return rng.choice(np.array(keys, dtype=object), size=n, p=probs / probs.sum())


class PlaceSampler:
    """Points inside neighborhoods, chosen by population times a downtown weight."""

    def __init__(self, neighborhoods: gpd.GeoDataFrame) -> None:
        names = neighborhoods["NBHD_NAME"].astype(str)
        pop = neighborhoods["POPULATION_2020"].astype(float).to_numpy()
        pop = np.where(names.to_numpy() == "DIA", DIA_RESIDENT_EQUIVALENT, pop)
        weight = pop * names.map(DOWNTOWN_WEIGHT).fillna(1.0).to_numpy()
        self.probs = weight / weight.sum()
        self.geoms = list(neighborhoods.geometry)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
        which = rng.choice(len(self.geoms), size=n, p=self.probs)
        lon = np.empty(n)
        lat = np.empty(n)
        for i, geom in enumerate(self.geoms):
            idx = np.flatnonzero(which == i)
            if idx.size:
                lon[idx], lat[idx] = _points_in(geom, idx.size, rng)
        return lon, lat


def _points_in(geom: shapely.Geometry, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = geom.bounds
    shapely.prepare(geom)
    xs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    have = 0
    while have < n:
        k = max(64, int((n - have) * 2.5))
        x = rng.uniform(minx, maxx, k)
        y = rng.uniform(miny, maxy, k)
        inside = shapely.contains_xy(geom, x, y)
        xs.append(x[inside])
        ys.append(y[inside])
        have += int(inside.sum())
    return np.concatenate(xs)[:n], np.concatenate(ys)[:n]


def _first_day(month: date) -> int:
    """The sample starts on the first Monday of FIRST_MONTH, so its first week is whole
    and lies in that month (a week belongs to the month of its Monday)."""
    if month != FIRST_MONTH:
        return 0
    return (7 - month.weekday()) % 7


def _extra_days(month: date) -> int:
    """The sample ends on the Sunday of the week holding LAST_MONTH's last day, so its last
    week is whole too (those few January days belong to December's last week)."""
    if month != LAST_MONTH:
        return 0
    last = pd.Timestamp(month) + pd.offsets.MonthEnd(0)
    return (6 - last.weekday()) % 7


def _month_fraction(month: date) -> float:
    days = pd.Timestamp(month).days_in_month
    return (days - _first_day(month) + _extra_days(month)) / days


def _times(rng: np.random.Generator, months: np.ndarray) -> pd.DatetimeIndex:
    """An exact local time (to the second) in each call's month, daytime- and weekday-heavy."""
    month_start = pd.to_datetime(months)
    offset = np.array([_first_day(m) for m in month_start.date])
    extra = np.array([_extra_days(m) for m in month_start.date])
    days_in_month = month_start.days_in_month.to_numpy() - offset + extra
    month_start = month_start + pd.to_timedelta(offset, unit="D")
    # Weight days by weekday via rejection: draw, keep with probability w/max(w).
    n = len(months)
    day = np.empty(n, dtype=np.int64)
    todo = np.arange(n)
    while todo.size:
        d = (rng.random(todo.size) * days_in_month[todo]).astype(np.int64)
        wd = (month_start[todo] + pd.to_timedelta(d, unit="D")).day_of_week.to_numpy()
        keep = rng.random(todo.size) < WEEKDAY_WEIGHTS[wd] / WEEKDAY_WEIGHTS.max()
        day[todo[keep]] = d[keep]
        todo = todo[~keep]
    hour = rng.choice(24, size=n, p=HOUR_WEIGHTS / HOUR_WEIGHTS.sum())
    # The exact second within the hour: the queue needs the order of calls and the gaps
    # between them, and the raw export writes these very times (to the second).
    second = rng.integers(0, 3600, n)
    return (month_start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h")
            + pd.to_timedelta(second, unit="s"))


def _month_key(year: np.ndarray | int, month: np.ndarray | int) -> np.ndarray | int:
    """Months as integers (year * 12 + month - 1): fast vectorized comparisons."""
    return year * 12 + month - 1


def _counts(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    return rng.poisson(expected)


def generate_city(city: City, rng: np.random.Generator, *, scale: float, geo_dir: Path) -> pd.DataFrame:
    """The internal (never published) frame for one city: see module docstring."""
    plans = plan_city(city, scale)
    months = np.array([p.month for p in plans], dtype="datetime64[D]")
    share = np.array([_month_fraction(p.month) for p in plans])
    n_elig = _counts(rng, np.array([p.eligible for p in plans]) * share)
    n_other = _counts(rng, np.array([p.other for p in plans]) * share)
    call_month = np.concatenate([np.repeat(months, n_elig), np.repeat(months, n_other)])
    eligible_kind = np.concatenate([np.ones(n_elig.sum(), bool), np.zeros(n_other.sum(), bool)])
    n = call_month.size

    received = _times(rng, call_month)
    category = np.where(
        eligible_kind,
        _choice(rng, ELIGIBLE_CATEGORIES, n),
        _choice(rng, OTHER_CATEGORIES, n),
    )
    frame = pd.DataFrame({"jurisdiction": city.id, "received_hour": received.floor("h"),
                          "_received_at": received, "call_category": category})

    if city.has_districts:
        from dashboard.geo.assign import Assigner

        nbhd = gpd.read_file(geo_dir / city.id / "source" / "neighborhoods_population.geojson")
        lon, lat = PlaceSampler(nbhd).sample(rng, n)
        places = Assigner.for_city(geo_dir, city.id).assign(lon, lat)
        frame["lon"], frame["lat"] = lon, lat  # for the raw export only; never published
        for col in ("district", "precinct", "neighborhood", "council_district"):
            frame[col] = places[col].astype("string").to_numpy()
        # A point on no district polygon (slivers between layers) is placed citywide.
        frame["district"] = frame["district"].fillna(CITYWIDE)
    else:
        frame["district"] = CITYWIDE
        frame["lon"], frame["lat"] = np.nan, np.nan
        for col in ("precinct", "neighborhood", "council_district"):
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")

    frame["_eligible_kind"] = eligible_kind  # the call met the criteria (program running or not)
    _respond(frame, city, eligible_kind, plans, rng, scale)
    _minutes_and_outcomes(frame, city, rng)
    _repeat_contacts(frame, rng)
    return frame.sort_values("_received_at", kind="stable").reset_index(drop=True)


def _respond(frame: pd.DataFrame, city: City, eligible_kind: np.ndarray, plans: list[MonthPlan],
             rng: np.random.Generator, scale: float = 1.0) -> None:
    """Eligibility, who answered, and why the alternative team did not."""
    n = len(frame)
    received = pd.DatetimeIndex(frame["received_hour"])
    # The few days after LAST_MONTH (completing its last week) count in its plan.
    month = np.minimum(_month_key(received.year.to_numpy(), received.month.to_numpy()),
                       _month_key(LAST_MONTH.year, LAST_MONTH.month))
    weekday = received.day_of_week.to_numpy()
    hour = received.hour.to_numpy()
    district = frame["district"].to_numpy()

    star_eligible = np.zeros(n, bool)
    on_duty = np.zeros(n, bool)
    in_area = np.zeros(n, bool)
    for period_index, period in enumerate(city.schedule):
        end = city.schedule[period_index + 1].start if period_index + 1 < len(city.schedule) else None
        in_period = month >= _month_key(period.start.year, period.start.month)
        if end is not None:
            in_period &= month < _month_key(end.year, end.month)
        in_period &= eligible_kind
        star_eligible |= in_period
        duty = np.isin(weekday, period.days) & (hour >= period.hours[0]) & (hour < period.hours[1])
        on_duty |= in_period & duty
        area = np.isin(district, period.area_districts) | ("citywide" in period.area_districts)
        in_area |= in_period & area

    safety = rng.random(n) < SAFETY_SCREEN_RATE
    candidate = star_eligible & on_duty & in_area & ~safety
    month_index = {_month_key(p.month.year, p.month.month): p for p in plans}
    answered = _dispatch(frame, city, candidate, month, plans, rng, scale)

    reason = np.full(n, None, dtype=object)
    unanswered = star_eligible & ~answered
    reason[unanswered & ~on_duty] = UnansweredReason.OUT_OF_HOURS.value
    reason[unanswered & on_duty & ~in_area] = UnansweredReason.OUTSIDE_SERVICE_AREA.value
    reason[unanswered & on_duty & in_area & safety] = UnansweredReason.SAFETY_SCREEN.value
    busy = unanswered & on_duty & in_area & ~safety
    unknown = busy & (rng.random(n) < UNKNOWN_REASON_RATE / 0.5)
    reason[busy] = UnansweredReason.NO_TEAM_AVAILABLE.value
    reason[unknown] = UnansweredReason.UNKNOWN.value

    alt = city.alternative_program
    response = np.full(n, ResponseType.PATROL.value, dtype=object)
    response[answered] = alt.value
    police = ~answered
    if alt is not ResponseType.CO_RESPONDER and ResponseType.CO_RESPONDER in city.programs:
        affinity = pd.Series(frame["call_category"]).map(
            {k.value: v for k, v in CO_RESPONDER_AFFINITY.items()}).fillna(0.2).to_numpy()
        daytime = (hour >= 8) & (hour < 20)
        weight = affinity * np.where(daytime, 1.0, 0.25)
        for m, plan in month_index.items():
            idx = np.flatnonzero(police & (month == m))
            if idx.size == 0:
                continue
            w = weight[idx]
            p = np.minimum(0.95, w * plan.co_responder / max(w.sum(), 1e-9))
            chosen = idx[rng.random(idx.size) < p]
            response[chosen] = ResponseType.CO_RESPONDER.value
    rest = response == ResponseType.PATROL.value
    response[rest & (rng.random(n) < CIT_SHARE_OF_POLICE)] = ResponseType.CIT_OFFICER.value

    frame["star_eligible"] = star_eligible
    frame["response_type"] = response
    frame["unanswered_reason"] = pd.array(reason, dtype="string")


# -- the alternative team as a loss queue -------------------------------------------------


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
        return (_month_key(self.first.year, self.first.month), _month_key(self.last.year, self.last.month))


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


def _period_index(city: City, month_key: int) -> int | None:
    """The schedule period in force in a month (month-granular, as ``_respond`` assigns it)."""
    index = None
    for i, period in enumerate(city.schedule):
        if _month_key(period.start.year, period.start.month) <= month_key:
            index = i
    return index


def service_segments(city: City, plans: list[MonthPlan]) -> list[ServiceSegment]:
    """Runs of months with the same schedule period, planned eligible and answered calls."""
    segments: list[ServiceSegment] = []
    previous = None
    for plan in plans:
        index = _period_index(city, _month_key(plan.month.year, plan.month.month))
        if index is None:
            previous = None
            continue
        # Each month's planned count for the part of it the sample covers (its first
        # and last months are partial: whole weeks only).
        target = int(round(plan.alt_answered * _month_fraction(plan.month)))
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


def _dispatch(frame: pd.DataFrame, city: City, candidate: np.ndarray, month: np.ndarray,
              plans: list[MonthPlan], rng: np.random.Generator, scale: float = 1.0) -> np.ndarray:
    """Run the loss queue over the candidates in time order; returns who was answered.

    Sets ``busy_minutes`` (whole minutes from dispatch to clearing, the alternative
    team's answered calls only), ``_cleared_at`` (exact, for the raw export), ``_van``
    and ``_travel_minutes`` (the team's response minutes, drawn here because the drive
    is part of its busy time); the calibrations are kept in
    ``frame.attrs["service_calibration"]``. The team is dispatched the second the call
    comes in (the synthetic dispatcher has no call-processing delay), so busy time runs
    from ``_received_at``.
    """
    n = len(frame)
    arrival = frame["_received_at"].to_numpy(dtype="datetime64[s]").astype(np.int64)
    idx = np.flatnonzero(candidate)
    idx = idx[np.argsort(arrival[idx], kind="stable")]
    z = rng.standard_normal(idx.size)  # one draw per candidate, fixed for every bisection step
    median, sigma = MINUTES[city.alternative_program]
    travel = np.clip(np.rint(median * np.exp(sigma * rng.standard_normal(idx.size))), 1, 240)
    travel_minutes = np.full(n, np.nan)
    travel_minutes[idx] = travel
    frame["_travel_minutes"] = travel_minutes
    # A call takes at least the drive and a minute on scene: the team cannot clear a call
    # before it gets there.
    floor = (travel.astype(np.int64) + 1) * 60
    van = np.full(n, -1, np.int64)
    cleared = np.full(n, -1, np.int64)
    most = max((scaled_vans(p.vans, scale) for p in city.schedule), default=0)
    free_at = np.full(most, NEVER_BUSY, np.int64)
    calibrations = []
    for segment in service_segments(city, plans):
        first, last = segment.month_keys
        inside = (month[idx] >= first) & (month[idx] <= last)
        calls = idx[inside]
        vans = scaled_vans(segment.period.vans, scale)
        mean, run, runs = calibrate_service(arrival[calls], z[inside], vans, segment.target,
                                            free_at, floor[inside])
        van[calls], cleared[calls], free_at = run.van, run.cleared, run.free_at
        took = run.cleared[run.answered] - arrival[calls][run.answered]
        calibrations.append(ServiceCalibration(segment, vans, calls.size, int(run.answered.sum()), mean,
                                               float(took.mean() / 60) if took.size else float("nan"),
                                               runs))

    answered = van >= 0
    busy = np.where(answered, (cleared - arrival) / 60, np.nan)
    frame["busy_minutes"] = pd.array(np.rint(busy), dtype="Float64").astype("Int32")
    cleared_at = cleared.astype("datetime64[s]")
    cleared_at[~answered] = np.datetime64("NaT")
    frame["_cleared_at"] = cleared_at
    frame["_van"] = pd.array(np.where(answered, van, 0), dtype="Int16")
    frame.loc[~answered, "_van"] = pd.NA
    frame.attrs["service_calibration"] = tuple(calibrations)
    return answered


def _minutes_and_outcomes(frame: pd.DataFrame, city: City, rng: np.random.Generator) -> None:
    n = len(frame)
    response = frame["response_type"].to_numpy()
    minutes = np.zeros(n)
    outcome = np.empty(n, dtype=object)
    outcome_values = np.array([o.value for o in OUTCOME_ORDER], dtype=object)
    for rtype, (median, sigma) in MINUTES.items():
        idx = np.flatnonzero(response == rtype.value)
        if not idx.size:
            continue
        if rtype is city.alternative_program and "_travel_minutes" in frame:
            # Drawn with the queue (same distribution): the drive is part of the busy time.
            minutes[idx] = frame["_travel_minutes"].to_numpy()[idx]
        else:
            slow = np.where(frame["star_eligible"].to_numpy()[idx] & (rtype is not city.alternative_program),
                            1.4, 1.0)
            minutes[idx] = median * slow * np.exp(sigma * rng.standard_normal(idx.size))
        probs = np.array(OUTCOME_PROBS[rtype])
        outcome[idx] = rng.choice(outcome_values, size=idx.size, p=probs / probs.sum())
    minutes = np.clip(np.rint(minutes), 1, 240)
    no_unit = rng.random(n) < 0.02
    outcome[no_unit] = Outcome.GONE_ON_ARRIVAL.value
    frame["response_minutes"] = pd.array(np.where(no_unit, np.nan, minutes), dtype="Float64").astype("Int32")
    frame["outcome"] = outcome

    alt = response == city.alternative_program.value
    received = pd.DatetimeIndex(frame["received_hour"])
    first_period = city.schedule[0].start if city.schedule else date(1900, 1, 1)
    pilot_end = pd.Timestamp(first_period) + pd.DateOffset(months=6)
    backup_rate = np.where(received < pilot_end, 0.0, 0.015)
    frame["police_backup"] = alt & (rng.random(n) < backup_rate)


def _repeat_contacts(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw a person per call (some frequent callers), then flag calls with a prior one in 90 days."""
    n = len(frame)
    frequent_pool = max(1, int(n * 0.03))
    frequent = rng.random(n) < 0.30
    person = np.where(
        frequent,
        rng.integers(0, frequent_pool, n),
        frequent_pool + rng.integers(0, max(1, int(n * 0.9)), n),
    )
    frame["person_key"] = pd.array(np.char.mod("p%09d", person), dtype="string")
    order = np.lexsort((frame["received_hour"].to_numpy(), person))
    sorted_person = person[order]
    sorted_time = frame["received_hour"].to_numpy()[order]
    same = np.r_[False, sorted_person[1:] == sorted_person[:-1]]
    gap = np.r_[np.timedelta64(0, "h"), np.diff(sorted_time)]
    repeat_sorted = same & (gap <= np.timedelta64(90, "D"))
    repeat = np.empty(n, bool)
    repeat[order] = repeat_sorted
    frame["repeat_contact_90d"] = repeat


def generate(cities: dict[str, City], *, seed: int, scale: float, geo_dir: Path) -> dict[str, pd.DataFrame]:
    """Internal frames for every city, each from its own seeded stream (order-independent)."""
    out = {}
    for i, city_id in enumerate(sorted(cities)):
        rng = np.random.default_rng([seed, i])
        out[city_id] = generate_city(cities[city_id], rng, scale=scale, geo_dir=geo_dir)
    return out


#: The cities the generator knows how to simulate (others, like Lane County, ship real data).
SAMPLE_CITIES = ("denver", "grand_junction")

SOURCE_NOTE = (
    "SYNTHETIC sample made by `crisis-dashboard sample` (seed {seed}, scale {scale}); "
    "calibrated to published program figures; describes no real call or person. The "
    "alternative team's time per call is whatever lets a queue of its scheduled vans answer "
    "the published counts (hours per call from late 2021), not a measured figure."
)


def write_sample(settings: Settings, *, seed: int, scale: float, out: Path | None = None,
                 only: list[str] | None = None, via_export: bool = True) -> list[ReleaseInfo]:
    """Generate the sample and publish a release per city.

    ``via_export`` (the default, and how the shipped sample is made): write a synthetic
    CAD export with identifiers and run the real ingest on it, as a city would.
    Without it the generator's internal frame goes straight to the release builder
    (the benchmark does this: it measures the dashboard, not the ingest, at 10M rows).
    """
    cities = {k: v for k, v in load_cities(settings.cities_dir).items() if k in SAMPLE_CITIES}
    if only:
        cities = {k: v for k, v in cities.items() if k in only}
    frames = generate(cities, seed=seed, scale=scale, geo_dir=settings.geo_dir)
    releases_dir = out or settings.releases_dir
    if via_export:
        return [_publish_via_export(settings, city_id, frame, releases_dir, seed=seed)
                for city_id, frame in frames.items()]
    return [
        build_release(_without_attrs(frame), releases_dir, city=city_id,
                      source=SOURCE_NOTE.format(seed=seed, scale=scale), synthetic=True,
                      k=settings.privacy_k, seed=seed, switch_delay=settings.switch_delay)
        for city_id, frame in frames.items()
    ]


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the generator's notes (``attrs``): Arrow would try to store them
    in the release builder's scratch Parquet file, and they are not JSON."""
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare


def _publish_via_export(settings: Settings, city_id: str, frame: pd.DataFrame, releases_dir: Path,
                        *, seed: int) -> ReleaseInfo:
    """Raw export (with identifiers) -> ``crisis-dashboard ingest`` -> release."""
    from dashboard.ingest.pipeline import ingest
    from dashboard.sample.raw_export import write_raw_export

    config = city_config_path(settings.cities_dir, city_id)
    # The raw export carries (made-up) identifiers: a private scratch folder, like ingest's.
    with scratch_dir(work_dir(releases_dir), SCRATCH_PREFIX) as tmp:
        raw = write_raw_export(frame, tmp / f"SYNTHETIC-{city_id}-cad-export-seed{seed}.csv",
                               np.random.default_rng([seed, 99]))
        # A fixed salt keeps the sample reproducible (same call ids, same release id);
        # the sample's people are made up, so this salt protects no one and is no secret.
        result = ingest(raw, config, releases_dir, geo_dir=settings.geo_dir, k=settings.privacy_k,
                        switch_delay=settings.switch_delay,
                        synthetic=True, salt=f"synthetic-sample-{seed}")
    return result.release


def main(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out) if args.out else None
    for info in write_sample(settings, seed=args.seed, scale=args.scale, out=out, only=args.city):
        print(f"{info.city}: release {info.release_id} -> {info.path}")  # noqa: T201
    return 0
