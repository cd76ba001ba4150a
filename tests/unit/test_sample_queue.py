"""The sample's alternative team is a real loss queue: vans, time per call, no waiting line.

The what-if planner is checked against the sample's history, so the history must come
from a queue: a call is answered iff a van is free when it comes in, a van holds one call
at a time, and the time per call (``busy_minutes``) is what kept the vans busy. These
tests check the queue by itself and inside the generator, on a small seeded city.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.contract.cities import SchedulePeriod, load_cities
from dashboard.sample.generator import generate_city
from dashboard.sample.loss_queue import (
    SERVICE_MAX_MINUTES,
    SERVICE_MEAN_BOUNDS,
    SERVICE_SIGMA,
    calibrate_service,
    scaled_vans,
    service_seconds,
    service_segments,
    simulate_loss_queue,
)
from dashboard.sample.plans import plan_city
from dashboard.settings import REPO_ROOT

GEO = REPO_ROOT / "geo"
HOUR = 3600


# -- the queue by itself -------------------------------------------------------------------


def test_a_call_finding_every_van_busy_is_lost_and_a_van_clearing_that_second_is_free():
    run = simulate_loss_queue(np.array([0, 10, 20, 30, 50, 100]), np.array([50, 50, 50, 50, 5, 10]), vans=2)
    # 0 -> van 0 (until 50); 10 -> van 1 (until 60); 20, 30 lost; 50 -> van 0 again (it
    # clears at 50); 100 -> van 0, free since 55 while van 1 is free since 60.
    assert run.van.tolist() == [0, 1, -1, -1, 0, 0]
    assert run.cleared.tolist() == [50, 60, -1, -1, 55, 110]
    assert run.free_at.tolist() == [110, 60]


def test_vans_stay_busy_across_calls_handed_over_from_an_earlier_run():
    first = simulate_loss_queue(np.array([0]), np.array([100]), vans=1)
    second = simulate_loss_queue(np.array([50, 100]), np.array([10, 10]), vans=1, free_at=first.free_at)
    assert second.van.tolist() == [-1, 0]
    more_vans = simulate_loss_queue(np.array([50]), np.array([10]), vans=2, free_at=first.free_at)
    assert more_vans.van.tolist() == [1]  # a period with more vans adds free ones


def test_the_queue_refuses_calls_out_of_order_and_empty_service():
    with pytest.raises(ValueError, match="time order"):
        simulate_loss_queue(np.array([10, 5]), np.array([1, 1]), vans=1)
    with pytest.raises(ValueError, match="positive"):
        simulate_loss_queue(np.array([1, 5]), np.array([1, 0]), vans=1)


def poisson_arrivals(rng: np.random.Generator, per_hour: float, hours: int) -> np.ndarray:
    return np.sort(rng.integers(0, hours * HOUR, rng.poisson(per_hour * hours)))


def busy_at(start: np.ndarray, end: np.ndarray, t: np.ndarray) -> np.ndarray:
    """How many of the intervals [start, end) hold each instant of ``t`` (every interval
    ending by t also started by then)."""
    return np.searchsorted(np.sort(start), t, "right") - np.searchsorted(np.sort(end), t, "right")


def test_random_queue_invariants(rng: np.random.Generator):
    arrival = poisson_arrivals(rng, 2.0, 24 * 20)
    service = service_seconds(90.0, rng.standard_normal(arrival.size))
    run = simulate_loss_queue(arrival, service, vans=3)
    ok = run.answered
    assert 0.3 < ok.mean() < 0.95  # a queue that both answers and loses calls
    for van in range(3):  # a van never holds two calls at once
        mine = np.flatnonzero(run.van == van)
        assert (arrival[mine][1:] >= run.cleared[mine][:-1]).all()
    assert (run.cleared[ok] == arrival[ok] + service[ok]).all()
    in_progress = busy_at(arrival[ok], run.cleared[ok], arrival)
    assert in_progress.max() <= 3
    assert (in_progress[~ok] == 3).all()  # lost only when every van was busy
    # ... and answered only when a van was free: fewer than 3 earlier calls still under way.
    a, c = arrival[ok], run.cleared[ok]
    earlier_under_way = ((a[None, :] < a[:, None]) & (c[None, :] > a[:, None])).sum(axis=1)
    assert (earlier_under_way < 3).all()


def test_service_times_are_lognormal_with_the_mean_asked_for(rng: np.random.Generator):
    z = rng.standard_normal(200_000)
    minutes = service_seconds(240.0, z) / 60
    assert minutes.mean() == pytest.approx(240.0, rel=0.01)
    assert np.log(minutes).std() == pytest.approx(SERVICE_SIGMA, rel=0.02)
    assert service_seconds(5000.0, z).max() <= SERVICE_MAX_MINUTES * 60  # never a day-long call
    floor = np.full(z.size, 30 * 60)
    assert service_seconds(1.0, z, floor).min() == 30 * 60  # at least the drive and a minute


@pytest.mark.parametrize("answered_share", [0.5, 0.7, 0.9])
def test_the_bisection_lands_within_tolerance(rng: np.random.Generator, answered_share: float):
    arrival = poisson_arrivals(rng, 1.5, 24 * 60)
    z = rng.standard_normal(arrival.size)
    target = int(answered_share * arrival.size)
    mean, run, runs = calibrate_service(arrival, z, 3, target)
    assert abs(int(run.answered.sum()) - target) <= max(1, int(0.002 * target))
    assert runs < 40
    again = simulate_loss_queue(arrival, service_seconds(mean, z), 3)  # the mean reproduces the run
    assert (again.van == run.van).all()


def test_longer_calls_answer_fewer(rng: np.random.Generator):
    arrival = poisson_arrivals(rng, 1.5, 24 * 60)
    z = rng.standard_normal(arrival.size)
    means = [calibrate_service(arrival, z, 3, int(s * arrival.size))[0] for s in (0.9, 0.7, 0.5)]
    assert means[0] < means[1] < means[2]


def test_an_unreachable_target_returns_the_nearest_bound(rng: np.random.Generator):
    arrival = poisson_arrivals(rng, 1.0, 24 * 10)
    z = rng.standard_normal(arrival.size)
    mean, run, runs = calibrate_service(arrival, z, 2, arrival.size + 50)
    assert mean == pytest.approx(SERVICE_MEAN_BOUNDS[0]) and runs == 1
    assert run.answered.sum() < arrival.size + 50


# -- the queue inside the generator ---------------------------------------------------------


def small_city():
    """Grand Junction (no map: fast) with a small schedule: 2 vans, then 3 from July 2024
    with longer hours, so vans, hours and plan segments all change."""
    city = load_cities(REPO_ROOT / "data" / "cities")["grand_junction"]
    return replace(city, schedule=(
        SchedulePeriod(date(2023, 1, 1), 2, (0, 1, 2, 3, 4, 5, 6), (8, 20), ("citywide",)),
        SchedulePeriod(date(2024, 7, 1), 3, (0, 1, 2, 3, 4, 5, 6), (7, 23), ("citywide",)),
    ))


SCALE = 1.0  # the vans of the config (a scaled sample scales them too)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return generate_city(small_city(), np.random.default_rng([7, 1]), scale=SCALE, geo_dir=GEO)


def _seconds(values: pd.Series) -> np.ndarray:
    return values.to_numpy(dtype="datetime64[s]").astype(np.int64)


def _vans_at(city, when: pd.Series) -> np.ndarray:
    return np.array([city.period_at(d.date().replace(day=1)).vans for d in when])


def test_candidates_and_answered_calls(frame: pd.DataFrame):
    alt = frame["response_type"] == "CO_RESPONDER"
    lost = frame["unanswered_reason"].isin(["no_team_available", "unknown"]).to_numpy(dtype=bool)
    assert alt.sum() > 1000 and lost.sum() > 300
    assert (frame["_van"].notna() == alt).all()
    # Busy minutes: the team's calls, and police alone where a unit got there.
    police = frame["response_type"].isin(["PATROL", "CIT_OFFICER"]) & frame["response_minutes"].notna()
    assert (frame["busy_minutes"].notna() == (alt | police)).all()
    assert (frame["_cleared_at"].notna() == (alt | police)).all()


def test_no_van_ever_holds_two_calls_at_once(frame: pd.DataFrame):
    answered = frame[frame["_van"].notna()].sort_values("_received_at")
    assert answered["_van"].nunique() == 3
    for _van, calls in answered.groupby("_van"):
        start, end = _seconds(calls["_received_at"]), _seconds(calls["_cleared_at"])
        assert (start[1:] >= end[:-1]).all()


def test_calls_under_way_never_exceed_the_vans_on_duty(frame: pd.DataFrame):
    city = small_city()
    answered = frame[frame["_van"].notna()]
    start, end = _seconds(answered["_received_at"]), _seconds(answered["_cleared_at"])
    under_way = busy_at(start, end, start)  # at each answered call's arrival, itself included
    assert (under_way <= _vans_at(city, answered["_received_at"])).all()
    assert under_way.max() == 3


def test_a_call_is_no_team_available_only_when_every_van_was_busy(frame: pd.DataFrame):
    city = small_city()
    answered = frame[frame["_van"].notna()]
    start, end = _seconds(answered["_received_at"]), _seconds(answered["_cleared_at"])
    lost = frame[frame["unanswered_reason"].isin(["no_team_available", "unknown"]).to_numpy(dtype=bool)]
    busy = busy_at(start, end, _seconds(lost["_received_at"]))
    assert (busy == _vans_at(city, lost["_received_at"])).all()
    # The other unanswered eligible calls had reasons of their own, busy vans or not.
    other = frame["star_eligible"] & frame["_van"].isna() & ~frame.index.isin(lost.index)
    assert set(frame.loc[other, "unanswered_reason"]) == {"out_of_hours", "safety_screen"}


def test_busy_minutes_and_response_minutes_fit_the_busy_time(frame: pd.DataFrame):
    answered = frame[frame["_van"].notna()]
    seconds = _seconds(answered["_cleared_at"]) - _seconds(answered["_received_at"])
    assert (answered["busy_minutes"].to_numpy(dtype=float) == np.rint(seconds / 60)).all()
    arrived = answered["response_minutes"].notna()
    # The team gets there before it clears the call, and stays at least a minute.
    assert (answered.loc[arrived, "response_minutes"].to_numpy(dtype=float) * 60 + 60
            <= seconds[arrived.to_numpy()]).all()


def test_each_plan_segment_is_calibrated_within_tolerance(frame: pd.DataFrame):
    calibrations = frame.attrs["service_calibration"]
    segments = service_segments(small_city(), plan_city(small_city(), SCALE))
    assert [c.segment for c in calibrations] == segments
    assert [(s.first, s.last, s.period.vans) for s in segments] == [
        (date(2023, 1, 1), date(2023, 12, 1), 2), (date(2024, 1, 1), date(2024, 6, 1), 2),
        (date(2024, 7, 1), date(2024, 12, 1), 3), (date(2025, 1, 1), date(2025, 12, 1), 3)]
    for c in calibrations:
        assert c.within_tolerance, c
        assert c.vans == c.segment.period.vans
        assert SERVICE_MEAN_BOUNDS[0] < c.mean_minutes < SERVICE_MEAN_BOUNDS[1]
    alt = frame["response_type"] == "CO_RESPONDER"
    assert alt.sum() == sum(c.answered for c in calibrations)


def test_the_generator_is_deterministic_for_a_seed(frame: pd.DataFrame):
    again = generate_city(small_city(), np.random.default_rng([7, 1]), scale=SCALE, geo_dir=GEO)
    pd.testing.assert_frame_equal(frame, again)
    assert again.attrs["service_calibration"] == frame.attrs["service_calibration"]
    other = generate_city(small_city(), np.random.default_rng([8, 1]), scale=SCALE, geo_dir=GEO)
    assert not other["busy_minutes"].equals(frame["busy_minutes"])


def test_a_scaled_sample_scales_the_vans_and_still_meets_its_targets():
    cases = ((6, 1), (6, 0.03), (1, 5.6), (3, 0.5), (8, 56))
    assert [scaled_vans(v, s) for v, s in cases] == [6, 1, 6, 2, 448]
    big = generate_city(small_city(), np.random.default_rng([7, 2]), scale=4, geo_dir=GEO)
    calibrations = big.attrs["service_calibration"]
    assert [c.vans for c in calibrations] == [8, 8, 12, 12]
    assert all(c.within_tolerance for c in calibrations)


# -- hours and frequent callers by place (issue 13 item 7) ----------------------------------


def test_the_offense_hours_table_is_derived_from_the_real_points():
    """The generator reads a small derived table; it is exactly what the real points give."""
    from dashboard.sample.hour_profiles import OFFENSE_HOURS_CSV, derive_offense_hours

    derived = derive_offense_hours(REPO_ROOT / "tests" / "fixtures" / "denver_crime_points_sample.csv")
    shipped = pd.read_csv(OFFENSE_HOURS_CSV, dtype={"district": str})
    pd.testing.assert_frame_equal(derived, shipped, check_dtype=False)
    assert len(shipped) == 7 * 24 and shipped["reports"].sum() > 9_900


@pytest.fixture(scope="module")
def denver() -> pd.DataFrame:
    city = load_cities(REPO_ROOT / "data" / "cities")["denver"]
    return generate_city(city, np.random.default_rng([7, 2]), scale=0.3, geo_dir=GEO)


def test_districts_differ_by_hour_of_day_as_their_offense_reports_do(denver: pd.DataFrame):
    """Not one hour profile for every district: district 4's real offense reports come at
    night far more often than district 3's, and so do its synthetic calls."""
    from dashboard.sample.generator import HOUR_WEIGHTS
    from dashboard.sample.hour_profiles import district_hour_weights

    night = [22, 23, 0, 1, 2, 3, 4, 5]
    expected = {d: w[night].sum() / w.sum() for d, w in district_hour_weights(HOUR_WEIGHTS).items()}
    assert expected["4"] > expected["3"] + 0.03
    hours = denver["received_hour"].dt.hour
    got = hours.isin(night).groupby(denver["district"]).mean()
    for district in ("1", "2", "3", "4", "5", "6"):
        assert abs(got[district] - expected[district]) < 0.015, (district, got[district], expected[district])
    assert got["4"] > got["3"] + 0.02


def test_frequent_callers_live_somewhere(denver: pd.DataFrame):
    """Repeat contacts concentrate downtown instead of being the same share everywhere, and
    a frequent caller's calls come from one neighborhood."""
    by_council = denver.groupby("council_district")["repeat_contact_90d"].mean()
    assert by_council.max() - by_council.min() > 0.03
    repeats = denver[denver["repeat_contact_90d"]]
    homes = repeats.groupby("person_key")["neighborhood"].nunique()
    assert (homes == 1).mean() > 0.95
