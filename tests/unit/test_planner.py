"""The what-if planner's arithmetic, on hand-made cases whose answers are known."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.contract.cities import SchedulePeriod, load_city
from dashboard.contract.schema import UnansweredReason
from dashboard.models import planner, plans
from dashboard.models.demand import demand_from_cells, demand_from_rates
from dashboard.models.erlang import erlang_b, erlang_c, erlang_c_service_level
from dashboard.models.planner import estimate
from dashboard.models.plans import Plan, PlanSpan, plan_from_period, schedule_plans
from dashboard.models.weeks import week_year_dates, weekday_counts
from dashboard.settings import REPO_ROOT

FOUR_WEEKS = (date(2024, 1, 1), date(2024, 1, 28))  # Monday to Sunday: each weekday 4 times


def closed_form_b(c: int, a: float) -> float:
    """Erlang B straight from its definition: (a^c / c!) / sum_k a^k / k!."""
    terms = [a**k / math.factorial(k) for k in range(c + 1)]
    return terms[-1] / sum(terms)


def one_cell(weekday: int, hour: int, n: int, start: date = FOUR_WEEKS[0], end: date = FOUR_WEEKS[1]):
    return demand_from_cells(pd.DataFrame({"weekday": [weekday], "hour": [hour], "n": [n]}), start, end)


def reasons_add_up(result: planner.Estimate) -> None:
    lost = sum(result.lost.values())
    assert result.answered + lost == pytest.approx(result.eligible, abs=1e-9)
    assert result.cells["answered"].sum() == pytest.approx(result.answered)
    assert result.cells["calls"].sum() == pytest.approx(result.eligible)


# -- Erlang formulas ---------------------------------------------------------------------


def test_erlang_b_hand_values():
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    assert erlang_b(2, 1.0) == pytest.approx(0.2)
    assert erlang_b(1, 0.25) == pytest.approx(0.2)
    for c in range(1, 8):
        assert erlang_b(c, 0.0) == 0.0
    assert erlang_b(0, 3.0) == 1.0
    assert erlang_b(0, 0.0) == 1.0


def test_erlang_b_table_values():
    assert erlang_b(5, 3.0) == pytest.approx(0.1101, abs=5e-5)
    assert erlang_b(10, 7.0) == pytest.approx(0.0787, abs=5e-5)


@pytest.mark.parametrize(
    ("c", "a"), [(1, 1.0), (2, 1.0), (5, 3.0), (10, 7.0), (3, 0.2), (8, 12.5), (20, 15.0), (50, 40.0)]
)
def test_erlang_b_recursion_matches_closed_form(c, a):
    assert erlang_b(c, a) == pytest.approx(closed_form_b(c, a), rel=1e-12)


def test_erlang_b_is_stable_for_large_loads():
    value = erlang_b(50, 500.0)
    assert 0.0 < value < 1.0
    assert value == pytest.approx(closed_form_b(50, 500.0), rel=1e-9)


def test_erlang_c_hand_values():
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(1, 0.5) == pytest.approx(0.5)  # M/M/1: probability of waiting = utilization
    assert erlang_c(3, 0.0) == 0.0
    assert erlang_c(2, 2.0) == 1.0
    assert erlang_c(2, 5.0) == 1.0
    assert erlang_c(0, 0.0) == 1.0
    for c, a in [(1, 0.5), (5, 3.0), (10, 7.0)]:
        assert erlang_c(c, a) >= erlang_b(c, a)


def test_erlang_c_service_level():
    # M/M/1, a = 0.5, one-hour calls: P(W <= 60 min) = 1 - 0.5 exp(-(1 - 0.5) * 60 / 60).
    assert erlang_c_service_level(1, 0.5, 60, 60) == pytest.approx(1 - 0.5 * math.exp(-0.5))
    assert erlang_c_service_level(2, 1.0, 0, 30) == pytest.approx(1 - 1 / 3)
    assert erlang_c_service_level(2, 2.0, 10, 30) == 0.0  # unstable queue
    assert erlang_c_service_level(0, 0.0, 10, 30) == 0.0
    levels = [erlang_c_service_level(3, 2.0, t, 30) for t in (0, 5, 30, 120)]
    assert levels == sorted(levels)


# -- plans -------------------------------------------------------------------------------


def on_duty_cells(plan: Plan) -> set[tuple[int, int]]:
    return {(w, h) for w in range(7) for h in range(24) if plan.on_duty(w, h)}


def test_plan_hours_and_days():
    weekday_days = Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18))
    assert weekday_days.hours_per_week == 40
    assert weekday_days.van_hours_per_week == 40
    assert Plan(3).hours_per_week == 168  # default: 24/7 = [0, 24)
    assert Plan(3).van_hours_per_week == 3 * 168
    assert Plan(2, hours=(5, 5)).hours_per_week == 0
    assert Plan(0).hours_per_week == 0
    assert Plan(2, days=()).hours_per_week == 0
    assert Plan(1, days=[4, 0, 0], hours=[6, 22]) == Plan(1, days=(0, 4), hours=(6, 22))


def test_plan_wraps_past_midnight_into_the_next_day():
    friday_night = Plan(1, days=(4,), hours=(22, 6))
    expected = {(4, 22), (4, 23)} | {(5, h) for h in range(6)}
    assert on_duty_cells(friday_night) == expected
    sunday_night = Plan(1, days=(6,), hours=(22, 6))  # wraps the week: Monday morning
    assert on_duty_cells(sunday_night) == {(6, 22), (6, 23)} | {(0, h) for h in range(6)}
    every_night = Plan(2, hours=(22, 6))
    assert every_night.hours_per_week == 7 * 8
    assert on_duty_cells(Plan(1, days=(2,), hours=(24, 3))) == {(3, 0), (3, 1), (3, 2)}


def test_plan_matches_schedule_period_for_daytime_hours():
    city = load_city(REPO_ROOT / "data" / "cities" / "denver.toml")
    for period in city.schedule:
        plan = plan_from_period(period)
        assert plan.vans == period.vans
        for w in range(7):
            for h in range(24):
                assert plan.on_duty(w, h) == period.on_duty(w, h)


# -- demand and imputation -----------------------------------------------------------------


def test_weekday_counts():
    assert weekday_counts(*FOUR_WEEKS).tolist() == [4] * 7
    assert weekday_counts(date(2024, 1, 3), date(2024, 1, 3)).tolist() == [0, 0, 1, 0, 0, 0, 0]
    # Fri 5 .. Mon 15 January 2024: Fri, Sat, Sun, Mon twice; Tue-Thu once.
    assert weekday_counts(date(2024, 1, 5), date(2024, 1, 15)).tolist() == [2, 1, 1, 1, 2, 2, 2]
    assert weekday_counts(date(2024, 1, 5), date(2024, 1, 4)).tolist() == [0] * 7


def test_week_year_dates_are_whole_weeks_of_mondays_in_the_year():
    assert week_year_dates(2024) == (date(2024, 1, 1), date(2025, 1, 5))  # Dec 30 is a Monday
    assert week_year_dates(2023) == (date(2023, 1, 2), date(2023, 12, 31))
    start, end = week_year_dates(2026)  # Jan 1 2026 is a Thursday; 2026 has 52 Mondays
    assert start == date(2026, 1, 5)
    assert weekday_counts(start, end).tolist() == [52] * 7
    assert weekday_counts(*week_year_dates(2029)).tolist() == [53] * 7  # 2029 starts on a Monday
    with pytest.raises(ValueError, match="^year:"):
        week_year_dates(0)


def test_rates_divide_by_the_weekday_hours_in_the_period():
    demand = one_cell(0, 10, 8)
    rates = demand.rates()
    assert rates[0, 10] == pytest.approx(2.0)
    assert rates.sum() == pytest.approx(2.0)
    assert demand.calls == 8
    assert demand.imputed == 0


def test_suppressed_cells_share_the_known_remainder():
    cells = pd.DataFrame(
        {
            "weekday": [0, 0, 1, 2],
            "hour": [9, 10, 9, 9],
            "n": pd.array([20, None, None, 15], dtype="Int64"),
            "suppressed": [False, True, True, False],
        }
    )
    demand = demand_from_cells(cells, *FOUR_WEEKS, total=45)
    grid = demand.cells.set_index(["weekday", "hour"])
    assert grid.loc[(0, 10), "calls"] == pytest.approx(5.0)  # (45 - 35) / 2
    assert grid.loc[(1, 9), "calls"] == pytest.approx(5.0)
    assert grid.loc[(0, 9), "calls"] == 20
    assert grid.loc[(0, 10), "imputed"] == pytest.approx(5.0)
    assert grid.loc[(0, 9), "imputed"] == 0
    assert demand.calls == pytest.approx(45)
    assert demand.imputed == pytest.approx(10)
    result = estimate(demand, Plan(50), minutes_per_call=1)
    assert result.imputed == pytest.approx(10)
    assert result.imputed_share == pytest.approx(10 / 45)
    assert result.cells["imputed"].sum() == pytest.approx(10)


def test_suppressed_cells_without_total_count_half_of_k_minus_one():
    cells = pd.DataFrame(
        {"weekday": [0, 3, 3], "hour": [9, 12, 13], "n": pd.array([30, None, None], "Int64")}
    )
    demand = demand_from_cells(cells, *FOUR_WEEKS, k=11)
    grid = demand.cells.set_index(["weekday", "hour"])["calls"]
    assert grid.loc[(3, 12)] == pytest.approx(5.0)
    assert grid.loc[(3, 13)] == pytest.approx(5.0)
    assert demand.imputed == pytest.approx(10.0)
    assert demand.calls == pytest.approx(40.0)
    assert demand_from_cells(cells, *FOUR_WEEKS, k=5).imputed == pytest.approx(4.0)


def test_repeated_cells_are_added_after_imputation():
    # A cube with a further column (district): two rows per weekday-hour.
    cells = pd.DataFrame(
        {
            "district": ["1", "2", "1", "2"],
            "weekday": [5, 5, 5, 5],
            "hour": [1, 1, 2, 2],
            "n": pd.array([12, None, None, 14], "Int64"),
        }
    )
    demand = demand_from_cells(cells, *FOUR_WEEKS, total=34)
    grid = demand.cells.set_index(["weekday", "hour"])["calls"]
    assert grid.loc[(5, 1)] == pytest.approx(16.0)
    assert grid.loc[(5, 2)] == pytest.approx(18.0)
    assert demand.calls == pytest.approx(34.0)


def test_total_equal_to_published_imputes_zero():
    cells = pd.DataFrame({"weekday": [0, 1], "hour": [0, 0], "n": pd.array([12, None], "Int64")})
    demand = demand_from_cells(cells, *FOUR_WEEKS, total=12)
    assert demand.calls == 12
    assert demand.imputed == 0


# -- the estimate --------------------------------------------------------------------------


def test_single_cell_by_hand():
    # 8 calls on Mondays 10:00-11:00 over four weeks: lambda = 2 per hour. 30 minutes a
    # call, one van: a = 1, B(1, 1) = 1/2, so 4 of the 8 calls are answered.
    result = estimate(one_cell(0, 10, 8), Plan(1), minutes_per_call=30)
    assert result.eligible == 8
    assert result.answered == pytest.approx(4.0)
    assert result.share == pytest.approx(0.5)
    assert result.no_team == pytest.approx(4.0)
    assert result.out_of_hours == result.outside_area == result.screened == 0
    row = result.cells.set_index(["weekday", "hour"]).loc[(0, 10)]
    assert row["load"] == pytest.approx(1.0)
    assert row["blocking"] == pytest.approx(0.5)
    assert bool(row["on_duty"])
    assert row["vans"] == 1
    reasons_add_up(result)


def test_single_cell_with_area_and_screen_by_hand():
    # Half the calls in area, half of those screened: lambda offered = 2 x 0.5 x 0.5 = 0.5,
    # a = 0.25, B(1, 0.25) = 0.25 / 1.25 = 0.2. Offered 2 calls, 1.6 answered.
    result = estimate(one_cell(0, 10, 8), Plan(1, area_share=0.5), minutes_per_call=30, screen_share=0.5)
    assert result.outside_area == pytest.approx(4.0)
    assert result.screened == pytest.approx(2.0)
    assert result.no_team == pytest.approx(0.4)
    assert result.answered == pytest.approx(1.6)
    assert result.share == pytest.approx(0.2)
    lost = result.lost
    assert lost[UnansweredReason.OUTSIDE_SERVICE_AREA] == pytest.approx(4.0)
    assert lost["safety_screen"] == pytest.approx(2.0)
    reasons_add_up(result)


def test_two_vans_by_hand():
    result = estimate(one_cell(2, 15, 8), Plan(2), minutes_per_call=30)
    assert result.answered == pytest.approx(8 * (1 - 0.2))


def test_out_of_hours_cells_contribute_nothing():
    rates = np.full((7, 24), 1.0)
    demand = demand_from_rates(rates, *FOUR_WEEKS)
    plan = Plan(3, days=(0, 1, 2, 3, 4), hours=(10, 18))
    result = estimate(demand, plan, minutes_per_call=45)
    off = result.cells[~result.cells["on_duty"]]
    assert len(off) == 168 - 40
    assert (off["answered"] == 0).all()
    assert (off["offered"] == 0).all()
    assert off["blocking"].isna().all()
    assert result.out_of_hours == pytest.approx(off["calls"].sum())
    assert result.out_of_hours == pytest.approx(4 * (168 - 40))
    # Adding calls only in off-duty cells adds eligible calls but no answered ones.
    night = rates.copy()
    night[:, :10] += 3.0
    more = estimate(demand_from_rates(night, *FOUR_WEEKS), plan, minutes_per_call=45)
    assert more.answered == pytest.approx(result.answered)
    assert more.eligible > result.eligible
    reasons_add_up(result)
    reasons_add_up(more)


def test_calls_outside_hours_only_get_nothing():
    result = estimate(one_cell(0, 3, 8), Plan(5, hours=(10, 18)), minutes_per_call=30)
    assert result.answered == 0
    assert result.share == 0
    assert result.out_of_hours == 8


def test_wrap_around_hours_in_the_estimate():
    demand = demand_from_cells(
        pd.DataFrame({"weekday": [5, 4, 5], "hour": [2, 3, 22], "n": [8, 8, 8]}), *FOUR_WEEKS
    )
    result = estimate(demand, Plan(1, days=(4,), hours=(22, 6)), minutes_per_call=30)
    # Only Saturday 02:00 (the Friday night shift) is covered: 4 of its 8 calls answered.
    assert result.answered == pytest.approx(4.0)
    assert result.out_of_hours == pytest.approx(16.0)
    answered = result.cells.set_index(["weekday", "hour"])["answered"]
    assert answered.loc[(5, 2)] == pytest.approx(4.0)


def test_no_vans_or_no_hours_answer_nothing():
    demand = demand_from_rates(np.full((7, 24), 2.0), *FOUR_WEEKS)
    for plan in (Plan(0), Plan(4, hours=(9, 9)), Plan(4, days=())):
        result = estimate(demand, plan, minutes_per_call=30)
        assert result.answered == 0
        assert result.share == 0
        assert result.out_of_hours == pytest.approx(result.eligible)
        assert not result.cells["on_duty"].any()


def test_no_eligible_calls_gives_no_share():
    result = estimate(demand_from_rates(np.zeros((7, 24)), *FOUR_WEEKS), Plan(2), minutes_per_call=30)
    assert result.eligible == 0
    assert math.isnan(result.share)
    assert math.isnan(result.imputed_share)


def test_erlang_c_model_answers_calls_that_wait_at_most_max_wait():
    # lambda = 1 per hour, 30 minutes per call, one van: a = 0.5, C = 0.5.
    demand = one_cell(1, 12, 4)
    no_wait = estimate(demand, Plan(1), minutes_per_call=30, model="erlang_c", max_wait=0)
    assert no_wait.answered == pytest.approx(4 * 0.5)
    some_wait = estimate(demand, Plan(1), minutes_per_call=30, model="erlang_c", max_wait=30)
    assert some_wait.answered == pytest.approx(4 * (1 - 0.5 * math.exp(-0.5 * 30 / 30)))
    assert some_wait.model == "erlang_c"
    loss = estimate(demand, Plan(1), minutes_per_call=30)
    assert loss.answered == pytest.approx(4 * (1 - 0.5 / 1.5))
    reasons_add_up(some_wait)


def test_schedule_plans_cut_periods_to_the_range():
    city = load_city(REPO_ROOT / "data" / "cities" / "denver.toml")
    spans = schedule_plans(city.schedule, date(2020, 1, 1), date(2021, 12, 31))
    assert [(s.start, s.end, s.plan.vans) for s in spans] == [
        (date(2020, 6, 1), date(2021, 8, 31), 1),
        (date(2021, 9, 1), date(2021, 12, 31), 2),
    ]
    assert spans[1].days == 122
    shares = {"1": 0.2, "2": 0.2, "3": 0.1, "4": 0.1, "5": 0.1, "6": 0.25, "7": 0.05}
    spans = schedule_plans(city.schedule, date(2021, 1, 1), date(2024, 6, 30), shares)
    assert [s.plan.area_share for s in spans] == pytest.approx([0.75, 0.85, 0.95, 0.95])
    assert schedule_plans(city.schedule, date(2019, 1, 1), date(2019, 12, 31)) == ()


def test_days_outside_every_span_are_out_of_hours():
    demand = demand_from_rates(np.full((7, 24), 1.0), date(2020, 5, 4), date(2020, 6, 28))  # 8 weeks
    period = SchedulePeriod(date(2020, 6, 1), 1, (0, 1, 2, 3, 4, 5, 6), (0, 24), ("1",))
    spans = schedule_plans([period], demand.start, demand.end)
    result = estimate(demand, spans, minutes_per_call=30)
    cells = result.cells
    assert cells["duty_share"].to_numpy() == pytest.approx(0.5)
    assert cells["on_duty"].all()
    assert result.out_of_hours == pytest.approx(result.eligible / 2)
    whole = estimate(demand, Plan(1), minutes_per_call=30)
    assert result.answered == pytest.approx(whole.answered / 2)
    reasons_add_up(result)


def test_spans_add_up_to_estimates_of_their_parts():
    rng = np.random.default_rng(7)
    rates = rng.uniform(0, 3, size=(7, 24))
    start, middle, end = date(2023, 1, 2), date(2023, 3, 1), date(2023, 6, 30)
    first = Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18), area_share=0.6)
    second = Plan(4, hours=(20, 8), area_share=0.9)
    spans = [PlanSpan(first, start, middle - timedelta(days=1)), PlanSpan(second, middle, end)]
    whole = estimate(demand_from_rates(rates, start, end), spans, minutes_per_call=50, screen_share=0.2)
    parts = [
        estimate(demand_from_rates(rates, s.start, s.end), s.plan, minutes_per_call=50, screen_share=0.2)
        for s in spans
    ]
    assert whole.answered == pytest.approx(sum(p.answered for p in parts))
    assert whole.eligible == pytest.approx(sum(p.eligible for p in parts))
    for name in ("out_of_hours", "outside_area", "screened", "no_team"):
        assert getattr(whole, name) == pytest.approx(sum(getattr(p, name) for p in parts))
    offered = whole.cells["offered"]
    lost = offered - whole.cells["answered"]
    blocking = whole.cells["blocking"][offered > 0]
    assert blocking.to_numpy() == pytest.approx((lost / offered)[offered > 0].to_numpy())
    reasons_add_up(whole)


def test_one_span_over_the_whole_period_equals_the_plan():
    demand = demand_from_rates(np.full((7, 24), 0.7), *FOUR_WEEKS)
    plan = Plan(2, days=(0, 2, 4), hours=(8, 20), area_share=0.8)
    a = estimate(demand, plan, minutes_per_call=40, screen_share=0.1)
    b = estimate(demand, [PlanSpan(plan, *FOUR_WEEKS)], minutes_per_call=40, screen_share=0.1)
    assert a.answered == pytest.approx(b.answered)
    pd.testing.assert_frame_equal(a.cells, b.cells)


# -- properties ------------------------------------------------------------------------------

grids = st.lists(
    st.tuples(st.integers(0, 6), st.integers(0, 23), st.integers(0, 200)), min_size=1, max_size=40
)
PROPERTY = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(
    cells=grids,
    vans=st.integers(0, 12),
    days=st.sets(st.integers(0, 6)),
    hours=st.tuples(st.integers(0, 24), st.integers(0, 24)),
    minutes=st.floats(1, 240),
    area=st.floats(0, 1),
    screen=st.floats(0, 1),
    model=st.sampled_from(["erlang_b", "erlang_c"]),
    max_wait=st.floats(0, 60),
)
def test_more_vans_never_lower_the_share(cells, vans, days, hours, minutes, area, screen, model, max_wait):
    frame = pd.DataFrame(cells, columns=["weekday", "hour", "n"])
    demand = demand_from_cells(frame, *FOUR_WEEKS)
    kwargs = {"minutes_per_call": minutes, "screen_share": screen, "model": model, "max_wait": max_wait}
    fewer = estimate(demand, Plan(vans, days=days, hours=hours, area_share=area), **kwargs)
    more = estimate(demand, Plan(vans + 1, days=days, hours=hours, area_share=area), **kwargs)
    assert more.answered >= fewer.answered - 1e-9
    if demand.calls > 0:
        assert more.share >= fewer.share - 1e-12
        assert 0.0 <= fewer.share <= 1.0
    reasons_add_up(fewer)
    reasons_add_up(more)
    assert (more.cells["answered"] >= fewer.cells["answered"] - 1e-9).all()


@PROPERTY
@given(c=st.integers(0, 50), a=st.floats(0, 80))
def test_erlang_b_between_zero_and_one_and_below_erlang_c(c, a):
    b = erlang_b(c, a)
    assert 0.0 <= b <= 1.0
    assert erlang_c(c, a) >= b - 1e-12
    if c > 0:
        assert erlang_b(c, a) <= erlang_b(c - 1, a) + 1e-15


# -- validation ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"vans": 51}, "vans"),
        ({"vans": -1}, "vans"),
        ({"vans": 1.5}, "vans"),
        ({"vans": True}, "vans"),
        ({"vans": "2"}, "vans"),
        ({"vans": 1, "days": (7,)}, "days"),
        ({"vans": 1, "days": (-1,)}, "days"),
        ({"vans": 1, "days": "mon"}, "days"),
        ({"vans": 1, "hours": (0, 25)}, "hours"),
        ({"vans": 1, "hours": (-1, 5)}, "hours"),
        ({"vans": 1, "hours": (6,)}, "hours"),
        ({"vans": 1, "hours": (6.5, 9)}, "hours"),
        ({"vans": 1, "area_share": 1.5}, "area_share"),
        ({"vans": 1, "area_share": float("nan")}, "area_share"),
    ],
)
def test_bad_plan_names_the_field(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        Plan(**kwargs)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        ({"minutes_per_call": 0}, "minutes_per_call"),
        ({"minutes_per_call": -5}, "minutes_per_call"),
        ({"minutes_per_call": float("inf")}, "minutes_per_call"),
        ({"minutes_per_call": 30, "screen_share": -0.1}, "screen_share"),
        ({"minutes_per_call": 30, "screen_share": 2}, "screen_share"),
        ({"minutes_per_call": 30, "model": "erlang_x"}, "model"),
        ({"minutes_per_call": 30, "model": "erlang_c"}, "max_wait"),
        ({"minutes_per_call": 30, "model": "erlang_c", "max_wait": -1}, "max_wait"),
    ],
)
def test_bad_estimate_input_names_the_field(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        estimate(one_cell(0, 10, 8), Plan(1), **kwargs)


def test_bad_erlang_input_names_the_field():
    with pytest.raises(ValueError, match="^servers:"):
        erlang_b(-1, 1.0)
    with pytest.raises(ValueError, match="^load:"):
        erlang_c(2, -0.5)
    with pytest.raises(ValueError, match="^max_wait:"):
        erlang_c_service_level(2, 1.0, -1, 30)
    with pytest.raises(ValueError, match="^minutes_per_call:"):
        erlang_c_service_level(2, 1.0, 5, 0)


def test_bad_demand_names_the_field():
    suppressed = pd.DataFrame({"weekday": [0, 1], "hour": [0, 0], "n": pd.array([20, None], "Int64")})
    with pytest.raises(ValueError, match="^total:"):
        demand_from_cells(suppressed, *FOUR_WEEKS, total=10)
    with pytest.raises(ValueError, match="^k:"):
        demand_from_cells(suppressed, *FOUR_WEEKS, k=0)
    with pytest.raises(ValueError, match="^cells:.*weekday"):
        demand_from_cells(pd.DataFrame({"weekday": [7], "hour": [0], "n": [1]}), *FOUR_WEEKS)
    with pytest.raises(ValueError, match="^cells:.*hour"):
        demand_from_cells(pd.DataFrame({"weekday": [0], "hour": [24], "n": [1]}), *FOUR_WEEKS)
    with pytest.raises(ValueError, match="^cells: missing column"):
        demand_from_cells(pd.DataFrame({"weekday": [0], "hour": [1]}), *FOUR_WEEKS)
    unmarked = pd.DataFrame(
        {"weekday": [0], "hour": [1], "n": pd.array([None], "Int64"), "suppressed": [False]}
    )
    with pytest.raises(ValueError, match="^cells: n is missing"):
        demand_from_cells(unmarked, *FOUR_WEEKS)
    with pytest.raises(ValueError, match="^cells:.*at least 0"):
        demand_from_cells(pd.DataFrame({"weekday": [0], "hour": [1], "n": [-3]}), *FOUR_WEEKS)
    with pytest.raises(ValueError, match="^cells: calls on weekday"):
        one_cell(4, 1, 5, date(2024, 1, 1), date(2024, 1, 2))  # no Friday in Mon-Tue
    with pytest.raises(ValueError, match="^end:"):
        one_cell(0, 1, 5, date(2024, 1, 2), date(2024, 1, 1))
    with pytest.raises(ValueError, match="^rates:"):
        demand_from_rates(np.zeros((7, 23)), *FOUR_WEEKS)


def test_bad_schedule_input_names_the_field():
    city = load_city(REPO_ROOT / "data" / "cities" / "denver.toml")
    with pytest.raises(ValueError, match="^end:"):
        schedule_plans(city.schedule, date(2022, 1, 2), date(2022, 1, 1))
    with pytest.raises(ValueError, match="^area_share"):
        schedule_plans(city.schedule, date(2022, 1, 1), date(2022, 2, 1), {"1": 1.4})
    with pytest.raises(ValueError, match="^area_share:"):
        schedule_plans(city.schedule, date(2022, 1, 1), date(2022, 2, 1), {"1": 0.7, "2": 0.6})
    with pytest.raises(ValueError, match="^plan: spans overlap"):
        spans = [PlanSpan(Plan(1), *FOUR_WEEKS), PlanSpan(Plan(2), date(2024, 1, 10), date(2024, 1, 20))]
        estimate(one_cell(0, 1, 4), spans, minutes_per_call=30)


# -- duty shares -----------------------------------------------------------------------------

WEEK_1 = (date(2024, 1, 1), date(2024, 1, 7))  # Monday to Sunday
WEEK_2 = (date(2024, 1, 8), date(2024, 1, 14))


def test_duty_shares_weigh_each_span_by_its_weekdays():
    weekdays_10_18 = PlanSpan(Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18)), *WEEK_1)
    every_day_6_22 = PlanSpan(Plan(2, hours=(6, 22)), *WEEK_2)
    shares = plans.duty_shares([every_day_6_22, weekdays_10_18])  # order does not matter
    assert shares.shape == (7, 24)
    assert shares[0, 10] == 1.0  # Monday 10:00: both Mondays
    assert shares[0, 17] == 1.0
    assert shares[0, 7] == 0.5  # Monday 07:00: second week only
    assert shares[0, 18] == 0.5
    assert shares[5, 12] == 0.5  # Saturday noon: second week only
    assert shares[6, 3] == 0.0  # Sunday 03:00: never
    assert shares[0, 22] == 0.0
    assert set(np.unique(shares)) == {0.0, 0.5, 1.0}
    assert int((shares == 1.0).sum()) == 5 * 8  # Mon-Fri 10-18


def test_duty_shares_count_days_in_no_span_as_off_duty():
    every_day = PlanSpan(Plan(1), *WEEK_2)
    assert plans.duty_shares([every_day]) == pytest.approx(np.ones((7, 24)))
    shares = plans.duty_shares([every_day], start=WEEK_1[0], end=WEEK_2[1])
    assert shares == pytest.approx(np.full((7, 24), 0.5))
    # the part of a span outside the period is ignored
    shares = plans.duty_shares([PlanSpan(Plan(1), WEEK_1[0], WEEK_2[1])], start=WEEK_2[0], end=WEEK_2[1])
    assert shares == pytest.approx(np.ones((7, 24)))


def test_duty_shares_of_a_shift_past_midnight_belong_to_its_first_day():
    friday_night = PlanSpan(Plan(1, days=(4,), hours=(22, 6)), *WEEK_1)
    shares = plans.duty_shares([friday_night])
    assert shares[4, 22] == 1.0 and shares[4, 23] == 1.0
    assert shares[5, 0] == 1.0 and shares[5, 5] == 1.0  # Saturday morning: Friday's shift
    assert shares[5, 6] == 0.0
    assert shares[4, 3] == 0.0  # Friday early morning: Thursday had no shift
    assert shares.sum() == 8


def test_duty_shares_without_vans_hours_or_days_are_zero():
    no_vans = PlanSpan(Plan(0, hours=(0, 24)), *WEEK_1)
    assert not plans.duty_shares([no_vans]).any()
    assert not plans.duty_shares([PlanSpan(Plan(3, hours=(9, 9)), *WEEK_1)]).any()
    assert not plans.duty_shares([]).any()
    assert plans.duty_shares([]).shape == (7, 24)
    # an empty period (end before start), and a period with no Sunday
    assert not plans.duty_shares([PlanSpan(Plan(1), *WEEK_1)], start=WEEK_1[1], end=WEEK_1[0]).any()
    shares = plans.duty_shares([PlanSpan(Plan(1), *WEEK_1)], start=WEEK_1[0], end=date(2024, 1, 6))
    assert shares[6].sum() == 0 and shares[:6] == pytest.approx(np.ones((6, 24)))


def test_duty_shares_match_the_estimate_and_the_schedule():
    city = load_city(REPO_ROOT / "data" / "cities" / "denver.toml")
    start, end = date(2021, 1, 1), date(2021, 12, 31)
    shares = plans.duty_shares_for(city.schedule, start, end)
    # Mon-Fri 10-18 all year; every day 6-22 from 1 September (122 of 365 days)
    assert (shares[0:5, 10:18] == 1.0).all()
    saturdays_from_september = int(weekday_counts(date(2021, 9, 1), end)[5])
    assert shares[5, 12] == pytest.approx(saturdays_from_september / weekday_counts(start, end)[5])
    assert 0 < shares[0, 8] < 1 and shares[0, 23] == 0.0
    spans = schedule_plans(city.schedule, start, end)
    result = estimate(demand_from_rates(np.ones((7, 24)), start, end), spans, minutes_per_call=30)
    assert shares.ravel() == pytest.approx(result.cells["duty_share"].to_numpy())
    # before the first period nothing is on duty
    assert not plans.duty_shares_for(city.schedule, date(2019, 1, 1), date(2019, 12, 31)).any()


def test_duty_shares_reject_overlapping_spans():
    with pytest.raises(ValueError, match="^spans: spans overlap"):
        spans = [PlanSpan(Plan(1), *FOUR_WEEKS), PlanSpan(Plan(2), date(2024, 1, 10), date(2024, 1, 20))]
        plans.duty_shares(spans)
    with pytest.raises(ValueError, match="^spans: must be"):
        plans.duty_shares([Plan(1)])


# -- shifts added to a plan (issue 15 item 1) ------------------------------------------------


def test_added_shifts_add_vans_where_they_cover_and_nowhere_else():
    base = Plan(2, hours=(6, 22))
    night = Plan(1, days=(4, 5), hours=(22, 2))  # Friday and Saturday nights past midnight
    plan = base.with_shifts([night, Plan(3, days=(0,), hours=(10, 12))])
    grid = plan.vans_grid()
    assert grid[0, 10] == 5 and grid[0, 12] == 2 and grid[1, 10] == 2  # Monday 10-12: 2 + 3
    assert grid[4, 23] == 1 and grid[5, 1] == 1 and grid[6, 1] == 1  # Fri 22- , Sat/Sun 0-2
    assert grid[3, 23] == 0 and grid[0, 3] == 0
    assert plan.hours_per_week == 16 * 7 + 2 * 4 and plan.van_hours_per_week == int(grid.sum())
    assert base.with_shifts([]) == base
    with pytest.raises(ValueError, match="at most"):
        base.with_shifts([Plan(1)] * 5)
    with pytest.raises(ValueError, match="without shifts"):
        base.with_shifts([plan])


def test_adding_a_shift_never_answers_fewer_and_night_shifts_reach_out_of_hours_calls():
    """The planner adds to the schedule: more vans never lower the estimate; a night shift
    turns out-of-hours calls into answered ones; inside the hours it cuts 'no team free'."""
    demand = demand_from_rates(np.full((7, 24), 2.0), *FOUR_WEEKS)
    base = Plan(2, hours=(6, 22))
    before = estimate(demand, base, minutes_per_call=90)
    night = estimate(demand, base.with_shifts([Plan(2, hours=(22, 6))]), minutes_per_call=90)
    day = estimate(demand, base.with_shifts([Plan(2, hours=(6, 22))]), minutes_per_call=90)
    assert night.share > before.share and night.out_of_hours < before.out_of_hours
    assert day.share > before.share and day.no_team < before.no_team
    assert day.out_of_hours == pytest.approx(before.out_of_hours)
    same = estimate(demand, Plan(4, hours=(6, 22)), minutes_per_call=90)
    assert day.answered == pytest.approx(same.answered)  # 2 + 2 vans = 4 vans
