"""The planner adds shifts to the schedule in force (issue 15 item 1), on the shipped sample.

"Two more vans from 22:00 to 02:00" used to replace every shift in force and read as a
cut (4%); now it adds to the schedule, and the page states calls a year before and after
in the district and the city, and the shares.
"""

from datetime import date

import pytest

from dashboard.engine.store import Store
from dashboard.models.plans import Plan
from dashboard.params.filters import Filters
from dashboard.queries import district
from dashboard.views import district_sections

YEAR_2023 = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
NIGHT = Plan(2, hours=(22, 2))  # two more vans, every day, 22:00-02:00


@pytest.fixture(scope="module")
def store(shipped_settings) -> Store:
    return Store(shipped_settings)


def test_two_more_vans_at_night_add_to_the_schedule_not_replace_it(store: Store):
    city = store.cities["denver"]
    c = district.compare_plans(store, YEAR_2023, city, "district", "3", (NIGHT,))
    assert c.city_planned is not None and c.city_current is not None
    assert c.city_planned.share > c.city_current.share  # more, never the 4% "cut"
    assert c.city_planned.out_of_hours < c.city_current.out_of_hours  # night calls now reachable
    assert c.area_planned > c.area_current
    # Replacing the schedule with the two night vans alone is what the old planner did: far less.
    inputs = c.city_inputs
    alone = district.planner.estimate(inputs.demand, NIGHT, minutes_per_call=inputs.minutes_per_call,
                                      screen_share=inputs.screen_share)
    assert alone.share < 0.15 < c.city_planned.share


def test_the_page_states_calls_a_year_and_shares_before_and_after(store: Store):
    city = store.cities["denver"]
    weekend = Plan(1, days=(5, 6), hours=(10, 18))
    c = district.compare_plans(store, YEAR_2023, city, "district", "3", (NIGHT, weekend))
    assert c.years == 1
    before, after = c.per_year(c.area_current, c.area_inputs), c.per_year(c.area_planned, c.area_inputs)
    city_before = c.per_year(c.city_current.share, c.city_inputs)
    assert city_before == pytest.approx(c.city_current.answered, rel=1e-9)  # one year: the estimate's count
    for lang in ("en", "es"):
        result = district_sections.planner_result(lang, city, c, "District 3")
        headline = result.headline
        assert district_sections.pct(c.area_current, lang) in headline
        assert district_sections.pct(c.area_planned, lang) in headline
        assert district_sections.plan_text(NIGHT, lang) in headline
        assert [r[0] for r in result.table.rows][-1] in ("Model, schedule in force + your shifts",
                                                          "Modelo, horario vigente + sus turnos")
    en = district_sections.planner_result("en", city, c, "District 3").headline
    assert f"about {round(after):,} eligible calls a year in District 3 instead of {round(before):,}" in en
    assert "2 more vans, every day, 22:00–02:00; 1 more van, Sat, Sun, 10:00–18:00" in en
