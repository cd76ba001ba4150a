"""Seeded synthetic sample: Denver (June 2019 - December 2025) and Grand Junction.

SYNTHETIC DATA. No row describes a real call or person. Volumes are calibrated to the
published figures in ``dashboard.sample.calibration.TARGETS`` (STAR pilot, 2022 and 2023
counts and shares, five-year totals, co-responder counts); everything else (hours of
day, places, categories, outcomes, minutes) follows plausible, documented assumptions.

How a call is made, so that every field has a cause rather than a random label:

1. Monthly volumes of eligible and other in-scope calls come from piecewise targets
   (``dashboard.sample.plans``).
2. Each call gets a place: a neighborhood chosen by 2020 population times a downtown
   weight, a point inside it, then police district, precinct and council district by
   the same spatial join an ingest uses; then a local hour and weekday (daytime- and
   weekday-heavy), the hour shaped by police district from real offense reports
   (``dashboard.sample.hour_profiles``), so districts differ in their night share.
3. An eligible call is a *candidate* for the alternative team if the team is on duty
   (schedule in the city config), the place is in its service area and the
   dispatcher's safety screen passes; otherwise the reason is kept. Candidates then go,
   in the order of their exact arrival (to the second, the times the raw export
   writes), through a LOSS QUEUE per city (``dashboard.sample.loss_queue``): a
   candidate is answered iff one of the schedule period's vans is free the second it
   comes in, which is then busy for the call's time (``busy_minutes``); otherwise it is
   ``no_team_available`` (a small share ``unknown``, as dispatch logs often leave it
   blank). There is no waiting line.
4. Times per call are lognormal, never under the drive there plus a minute, never over
   a day, with a mean CALIBRATED per plan segment so that the queue answers the
   segment's planned count. At scale 1 the calibrated means come out LONG (hours a
   call): that is a property of the sample, not a measured time per call
   (``dashboard.sample.loss_queue`` says why, and how a scaled sample keeps its targets).
5. Police-handled calls go to co-responders (calibrated), CIT officers or patrol.
6. Minutes and outcomes are drawn per program; people are drawn from a pool with some
   frequent callers, which makes ``repeat_contact_90d`` a real 90-day look-back.
7. Police alone (patrol, CIT) get a time on task too (``dashboard.sample.police_time``):
   what the Impact page's officer time returned is estimated from.

This module makes the frames in memory; ``dashboard.sample.releases`` publishes them.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from dashboard.contract.cities import City
from dashboard.contract.schema import CITYWIDE, CallCategory, Outcome, ResponseType, UnansweredReason
from dashboard.sample.hour_profiles import district_hour_weights
from dashboard.sample.loss_queue import (
    NEVER_BUSY,
    ServiceCalibration,
    calibrate_service,
    scaled_vans,
    service_segments,
)
from dashboard.sample.plans import (
    LAST_MONTH,
    MonthPlan,
    extra_days,
    first_day,
    month_fraction,
    month_key,
    plan_city,
)
from dashboard.sample.police_time import add_police_time

# Relative call volume by local hour (0-23): crisis calls are daytime-heavy.
HOUR_WEIGHTS = np.array(
    [1.0, 0.8, 0.6, 0.5, 0.5, 0.6, 1.0, 1.8, 3.0, 4.4, 5.6, 6.2, 6.4, 6.4, 6.2, 6.0,
     5.6, 5.0, 3.8, 3.0, 2.4, 1.9, 1.5, 1.2]
)
#: The city whose police districts ``dashboard.sample.hour_profiles`` describes.
HOUR_PROFILE_CITY = "denver"
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

OUTCOME_ORDER = tuple(o for o in Outcome if o is not Outcome.NOT_RECORDED)  # the sample records every outcome
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
        self.downtown = names.map(DOWNTOWN_WEIGHT).fillna(1.0).to_numpy()
        weight = pop * self.downtown
        self.probs = weight / weight.sum()
        self.geoms = list(neighborhoods.geometry)

    def sample(self, rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Points (lon, lat) and the index of the neighborhood each was drawn in."""
        which = rng.choice(len(self.geoms), size=n, p=self.probs)
        lon = np.empty(n)
        lat = np.empty(n)
        for i, geom in enumerate(self.geoms):
            idx = np.flatnonzero(which == i)
            if idx.size:
                lon[idx], lat[idx] = _points_in(geom, idx.size, rng)
        return lon, lat, which


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


def _hours(rng: np.random.Generator, city: City, district: np.ndarray) -> np.ndarray:
    """Each call's local hour: daytime-heavy everywhere, and in Denver shaped by police
    district from real offense reports (``dashboard.sample.hour_profiles``), so districts
    differ in how many of their calls come at night."""
    profiles = district_hour_weights(HOUR_WEIGHTS) if city.id == HOUR_PROFILE_CITY else {}
    hour = np.empty(district.size, dtype=np.int64)
    rest = ~np.isin(district, list(profiles))
    for key, weights in [*profiles.items(), (None, HOUR_WEIGHTS)]:
        which = rest if key is None else district == key
        hour[which] = rng.choice(24, size=int(which.sum()), p=weights / weights.sum())
    return hour


def _times(rng: np.random.Generator, months: np.ndarray, hour: np.ndarray) -> pd.DatetimeIndex:
    """An exact local time (to the second) in each call's month and hour, weekday-heavy."""
    month_start = pd.to_datetime(months)
    offset = np.array([first_day(m) for m in month_start.date])
    extra = np.array([extra_days(m) for m in month_start.date])
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
    # The exact second within the hour: the queue needs the order of calls and the gaps
    # between them, and the raw export writes these very times (to the second).
    second = rng.integers(0, 3600, n)
    return (month_start + pd.to_timedelta(day, unit="D") + pd.to_timedelta(hour, unit="h")
            + pd.to_timedelta(second, unit="s"))


def _counts(rng: np.random.Generator, expected: np.ndarray) -> np.ndarray:
    return rng.poisson(expected)


def generate_city(city: City, rng: np.random.Generator, *, scale: float, geo_dir: Path) -> pd.DataFrame:
    """The internal (never published) frame for one city: see module docstring."""
    plans = plan_city(city, scale)
    months = np.array([p.month for p in plans], dtype="datetime64[D]")
    share = np.array([month_fraction(p.month) for p in plans])
    n_elig = _counts(rng, np.array([p.eligible for p in plans]) * share)
    n_other = _counts(rng, np.array([p.other for p in plans]) * share)
    call_month = np.concatenate([np.repeat(months, n_elig), np.repeat(months, n_other)])
    eligible_kind = np.concatenate([np.ones(n_elig.sum(), bool), np.zeros(n_other.sum(), bool)])
    n = call_month.size

    category = np.where(
        eligible_kind,
        _choice(rng, ELIGIBLE_CATEGORIES, n),
        _choice(rng, OTHER_CATEGORIES, n),
    )
    frame = pd.DataFrame({"jurisdiction": city.id, "call_category": category})

    if city.has_districts:
        from dashboard.geo.assign import Assigner

        nbhd = gpd.read_file(geo_dir / city.id / "source" / "neighborhoods_population.geojson")
        sampler = PlaceSampler(nbhd)
        lon, lat, home = sampler.sample(rng, n)
        frame["_home"] = home  # the neighborhood drawn: frequent callers live somewhere
        frame["_downtown"] = sampler.downtown[home]
        places = Assigner.for_city(geo_dir, city.id).assign(lon, lat)
        frame["lon"], frame["lat"] = lon, lat  # for the raw export only; never published
        for col in ("district", "precinct", "neighborhood", "council_district"):
            frame[col] = places[col].astype("string").to_numpy()
        # A point on no district polygon (slivers between layers) is placed citywide.
        frame["district"] = frame["district"].fillna(CITYWIDE)
    else:
        frame["district"] = CITYWIDE
        frame["lon"], frame["lat"] = np.nan, np.nan
        frame["_home"], frame["_downtown"] = 0, 1.0
        for col in ("precinct", "neighborhood", "council_district"):
            frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
    # The hour follows the place (districts differ by hour of day), so times come second.
    received = _times(rng, call_month, _hours(rng, city, frame["district"].to_numpy(dtype=object)))
    frame.insert(1, "received_hour", received.floor("h"))
    frame.insert(2, "_received_at", received)

    frame["_eligible_kind"] = eligible_kind  # the call met the criteria (program running or not)
    _respond(frame, city, eligible_kind, plans, rng, scale)
    _minutes_and_outcomes(frame, city, rng)
    _repeat_contacts(frame, rng)
    add_police_time(frame, rng)
    return frame.sort_values("_received_at", kind="stable").reset_index(drop=True)


def _respond(frame: pd.DataFrame, city: City, eligible_kind: np.ndarray, plans: list[MonthPlan],
             rng: np.random.Generator, scale: float = 1.0) -> None:
    """Eligibility, who answered, and why the alternative team did not."""
    n = len(frame)
    received = pd.DatetimeIndex(frame["received_hour"])
    # The few days after LAST_MONTH (completing its last week) count in its plan.
    month = np.minimum(month_key(received.year.to_numpy(), received.month.to_numpy()),
                       month_key(LAST_MONTH.year, LAST_MONTH.month))
    weekday = received.day_of_week.to_numpy()
    hour = received.hour.to_numpy()
    district = frame["district"].to_numpy()

    star_eligible = np.zeros(n, bool)
    on_duty = np.zeros(n, bool)
    in_area = np.zeros(n, bool)
    for period_index, period in enumerate(city.schedule):
        end = city.schedule[period_index + 1].start if period_index + 1 < len(city.schedule) else None
        in_period = month >= month_key(period.start.year, period.start.month)
        if end is not None:
            in_period &= month < month_key(end.year, end.month)
        in_period &= eligible_kind
        star_eligible |= in_period
        duty = np.isin(weekday, period.days) & (hour >= period.hours[0]) & (hour < period.hours[1])
        on_duty |= in_period & duty
        area = np.isin(district, period.area_districts) | ("citywide" in period.area_districts)
        in_area |= in_period & area

    safety = rng.random(n) < SAFETY_SCREEN_RATE
    candidate = star_eligible & on_duty & in_area & ~safety
    month_index = {month_key(p.month.year, p.month.month): p for p in plans}
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


#: Share of calls made by frequent callers, city-wide.
FREQUENT_SHARE = 0.30
#: Calls a frequent caller makes on average over the sample (sets each area's pool size).
CALLS_PER_FREQUENT_CALLER = 10


def _repeat_contacts(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Draw a person per call (some frequent callers), then flag calls with a prior one in 90 days.

    Frequent callers live somewhere: each one's calls come from one neighborhood (its pool
    sized to that neighborhood's frequent calls), and the chance that a call comes from a
    frequent caller rises with the square root of the neighborhood's downtown weight
    (people without housing near downtown services call most often). So repeat-contact
    shares differ by area, as they do in real records, instead of being the same
    everywhere; the city-wide share of frequent calls stays about ``FREQUENT_SHARE``.
    """
    n = len(frame)
    home = frame["_home"].to_numpy()
    lean = np.sqrt(frame["_downtown"].to_numpy(dtype=float))
    chance = np.clip(FREQUENT_SHARE * lean / lean.mean(), 0.0, 0.9) if n else lean
    frequent = rng.random(n) < chance
    pools = np.maximum(1, np.bincount(home[frequent], minlength=home.max(initial=0) + 1)
                       // CALLS_PER_FREQUENT_CALLER)
    offset = np.r_[0, np.cumsum(pools)[:-1]]
    regular = int(offset[-1] + pools[-1]) if pools.size else 0
    person = np.where(
        frequent,
        offset[home] + (rng.random(n) * pools[home]).astype(np.int64),
        regular + rng.integers(0, max(1, int(n * 0.9)), n),
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
