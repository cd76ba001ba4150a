"""The planner checked against the shipped sample's history (issue: "with the real hours
and vans of 2022 and 2023 it should land near the observed 44% and 46%").

The sample's answers come from a discrete loss queue simulated call by call
(``sample.simulate_loss_queue``); the planner only sees what a release publishes:
eligible calls by weekday x hour (suppressed cube), the yearly mean time per call, the
screened share and the city's schedule, and applies Erlang B hour by hour. Agreement
within a few points is a real test of the model, not of its inputs: nothing is fitted.
"""

from __future__ import annotations

from datetime import date

import pytest

from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries import district

#: Published shares (NLC) and how close the model must land, in percentage points.
PUBLISHED = {2022: 0.44, 2023: 0.46}
TOLERANCE = 0.03


@pytest.fixture(scope="module")
def store(shipped_settings):
    return Store(shipped_settings)


@pytest.mark.parametrize("year", sorted(PUBLISHED))
def test_current_schedule_estimate_lands_near_the_observed_share(store, year):
    city = store.cities["denver"]
    f = Filters("denver", date(year, 1, 1), date(year, 12, 1))
    inputs = district.planner_inputs(store, f, city, "city", "citywide")
    estimate = district.current_estimate(inputs, city)
    assert estimate is not None
    assert abs(inputs.observed_share - PUBLISHED[year]) < 0.01
    assert abs(estimate.share - inputs.observed_share) < TOLERANCE, (estimate.share, inputs.observed_share)
    assert inputs.minutes_per_call and inputs.minutes_per_call > 0
    # What the model imputes is exactly what the city's grid hides: the rows' eligible calls
    # less the published cells. Since issue 12 the cube also has the 'citywide' police area
    # (calls the rows place only at city level), whose many small hidden cells need
    # complements, some of them city cells: about a tenth of the city's calls are hidden
    # (under 2% before). The model must still land within TOLERANCE with that much imputed.
    cells = district.coverage_cells(store, f, "city", "citywide")
    published = float(cells.loc[~cells["suppressed"], "n"].sum())
    assert estimate.imputed == pytest.approx(inputs.eligible - published)
    assert estimate.imputed_share < 0.15


@pytest.mark.parametrize("district_id", ["3", "6"])
def test_district_estimates_share_the_city_vans(store, district_id):
    city = store.cities["denver"]
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    city_inputs = district.planner_inputs(store, f, city, "city", "citywide")
    city_estimate = district.current_estimate(city_inputs, city)
    inputs = district.planner_inputs(store, f, city, "district", district_id)
    share = district.area_estimate(inputs, city_estimate, district.in_area_share(city, inputs))
    assert abs(share - inputs.observed_share) < 0.05, (share, inputs.observed_share)


def test_more_vans_answer_more(store):
    from dashboard.models import planner
    from dashboard.models.plans import Plan

    city = store.cities["denver"]
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    inputs = district.planner_inputs(store, f, city, "city", "citywide")
    shares = [
        planner.estimate(inputs.demand, Plan(vans=v, hours=(6, 22)),
                         minutes_per_call=inputs.minutes_per_call, screen_share=inputs.screen_share).share
        for v in (6, 8, 12)
    ]
    assert shares[0] < shares[1] < shares[2] < 1 - inputs.screen_share
