"""Property: the Overview's headline sentence stays true over random filter sets (issue 15).

For any city, period, districts, categories and programs a reader can pick, the sentence
at the top of the page is exactly the one the public rows give when a journalist filters
``calls.csv`` the same way in pandas: the calls in view, the eligible calls (whatever the
program filter), those the alternative team answered, and the share.
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dashboard.contract.schema import CallCategory
from dashboard.engine.store import Store
from dashboard.figures import period_label, program_label
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.views import overview as vm

from ..conftest import release_calls, select_rows

MONTHS = [f"{y}-{m:02d}" for y in range(2020, 2026) for m in range(1, 13)]


@pytest.fixture(scope="module")
def store(shipped_settings) -> Store:
    return Store(shipped_settings)


@pytest.fixture(scope="module")
def rows(shipped_settings) -> dict[str, pd.DataFrame]:
    return {city: release_calls(shipped_settings, city) for city in ("denver", "grand_junction")}


def _subset(values: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(values), unique=True, max_size=3)


views = st.fixed_dictionaries({
    "city": st.sampled_from(["denver", "grand_junction"]),
    "months": st.lists(st.sampled_from(MONTHS), min_size=2, max_size=2, unique=True).map(sorted),
    "districts": _subset(["1", "2", "3", "4", "5", "6", "7"]),
    "categories": _subset([c.value for c in CallCategory]),
    "programs": _subset(["STAR", "CO_RESPONDER", "CIT_OFFICER", "PATROL"]),
    "lang": st.sampled_from(["en", "es"]),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pick=views)
def test_the_headline_is_what_the_rows_say(store, rows, shipped_settings, pick):
    city = store.cities[pick["city"]]
    query = {"city": pick["city"], "start": pick["months"][0], "end": pick["months"][1], "lang": pick["lang"]}
    if city.has_districts and pick["districts"]:
        query["district"] = ",".join(pick["districts"])
    if pick["categories"]:
        query["category"] = ",".join(pick["categories"])
    programs = [p for p in pick["programs"] if p in {q.value for q in city.programs}]
    if programs:
        query["program"] = ",".join(programs)
    view, _ = vm.parse_view(query, store, "denver")
    f, lang = view.filters, view.lang
    model = vm.render(store, shipped_settings.geo_dir, view)

    in_view = select_rows(rows[f.city], f)
    every_program = select_rows(rows[f.city], f.with_(programs=()))
    eligible = every_program[every_program["star_eligible"].astype(str).str.lower() == "true"]
    alt = city.alternative_program.value
    answered = int((eligible["response_type"] == alt).sum())
    local = city.localized(lang)
    values = {
        "period": period_label(f.start, f.end, lang),
        "program": program_label(city.alternative_program, lang, local.label_map),
        "calls": fmt_int(len(in_view), lang),
        "eligible": fmt_int(len(eligible), lang),
        "answered": fmt_int(answered, lang),
        "share": fmt_pct(answered / len(eligible) if len(eligible) else None, lang),
    }
    expected = t("overview.summary" if len(eligible) else "overview.summary_no_eligible", lang, **values)
    assert model.summary == t("overview.synthetic_prefix", lang) + " " + expected, query
