"""Issue 15 items 7 and 8 in real Chromium, clicked as a person would.

"Only this": a journalist took 13 clicks to reach STAR + district 3 + 2023; with the
filter bars' "only" buttons it is three (four on a phone, counting the "Filters"
button), by mouse or keyboard, in English and Spanish, on the Overview and on Outcomes.
"Links lose context": the district page's Outcomes link keeps the district, and the
navigation keeps the view a reader chose on the Overview.
"""

from __future__ import annotations

import contextlib
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from dashboard import ids
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser


def _settled(page) -> None:
    page.wait_for_selector("main h1")
    wait_for_dash(page)
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]')")


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _ticked(page, control_id: str) -> list[str]:
    return page.eval_on_selector_all(f"#{control_id} input[type=checkbox]:checked",
                                     "els => els.map(e => e.value)")


def _expect_ticked(page, control_id: str, expected: list[str]) -> None:
    """The boxes a page restores from its address, once its callbacks have run (on a busy
    machine the last one can land after the network is idle): waits up to 5 s, then
    asserts, naming the address the page was at."""
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_function(
            "([id, want]) => JSON.stringify([...document.querySelectorAll("
            "'#' + id + ' input[type=checkbox]:checked')].map(e => e.value)) === JSON.stringify(want)",
            arg=[control_id, expected], timeout=5000)
    assert _ticked(page, control_id) == expected, page.url


def _click(page, name: str, *, keyboard: bool = False) -> None:
    """One interaction: a click, or Tab focus plus Enter (a keyboard user's)."""
    button = page.get_by_role("button", name=name, exact=True)
    if keyboard:
        button.focus()
        page.keyboard.press("Enter")
    else:
        button.click()


def _wait_query(page, **expected: list[str]) -> None:
    def matches(url: str) -> bool:
        query = _query(url)
        return all(query.get(k) == v for k, v in expected.items())
    page.wait_for_url(matches)
    _settled(page)


def _choose(page, *steps: tuple[str, dict[str, list[str]]]) -> None:
    """Click each (button name, what the address then holds) in turn, waiting for it."""
    for name, expected in steps:
        _click(page, name)
        _wait_query(page, **expected)


def test_overview_star_district_3_and_2023_in_three_clicks(page, live_server):
    page.goto(live_server + "/?city=denver")
    _settled(page)
    clicks = 0
    _click(page, "Only STAR team")
    clicks += 1
    _wait_query(page, program=["STAR"])
    _click(page, "Only Police district 3", keyboard=True)
    clicks += 1
    _wait_query(page, program=["STAR"], district=["3"])
    _click(page, "Only 2023")
    clicks += 1
    _wait_query(page, program=["STAR"], district=["3"], start=["2023-01-01"], end=["2023-12-31"])
    assert clicks <= 4
    assert _ticked(page, ids.OVERVIEW_PROGRAMS) == ["STAR"]
    assert _ticked(page, ids.OVERVIEW_DISTRICTS) == ["3"]
    assert page.locator(f"#{ids.OVERVIEW_START}").input_value() == "2023-01-01"
    lead = page.locator(f"#{ids.OVERVIEW_SUMMARY} .lead").inner_text()
    assert "From Jan 2023 to Dec 2023, the STAR team answered" in lead, lead
    assert "police district 3" in page.locator(f"#{ids.OVERVIEW_SUMMARY} .scope").inner_text().lower()
    # "All" gives the group back in one click; the other groups stay as they were.
    _click(page, "All programs")
    page.wait_for_url(lambda url: "program=" not in url)
    _settled(page)
    assert len(_ticked(page, ids.OVERVIEW_PROGRAMS)) == 4
    assert _query(page.url)["district"] == ["3"] and _query(page.url)["start"] == ["2023-01-01"]
    # "All months" is every month of the release.
    first = page.eval_on_selector_all(f"#{ids.OVERVIEW_START} option",
                                      "els => els.map(e => e.value).filter(v => v).sort()[0]")
    _click(page, "All months")
    _wait_query(page, start=[first])


def test_on_a_spanish_phone_it_takes_four_taps(phone_page, live_server):
    page = phone_page
    page.goto(live_server + "/?city=denver&lang=es")
    _settled(page)
    page.locator(f"#{ids.OVERVIEW_FILTERS} .collapse-panel__toggle").click()  # 1: "Filtros"
    _click(page, "Solo Equipo STAR")  # 2
    _wait_query(page, program=["STAR"])
    _click(page, "Solo Distrito policial 3")  # 3
    _wait_query(page, district=["3"])
    _click(page, "Solo 2023")  # 4
    _wait_query(page, program=["STAR"], district=["3"], start=["2023-01-01"], lang=["es"])
    lead = page.locator(f"#{ids.OVERVIEW_SUMMARY} .lead").inner_text()
    assert "De ene 2023 a dic 2023, el Equipo STAR" in lead, lead
    box = page.get_by_role("button", name="Solo Equipo STAR", exact=True).bounding_box()
    assert box["width"] >= 43.5 and box["height"] >= 43.5  # a finger's target
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_outcomes_has_the_overview_filters_and_their_shortcuts(page, live_server):
    page.goto(live_server + "/outcomes?city=denver")
    _settled(page)
    _choose(page, ("Only STAR team", {"program": ["STAR"]}),
            ("Only Police district 3", {"program": ["STAR"], "district": ["3"]}),
            ("Only 2023", {"program": ["STAR"], "district": ["3"], "start": ["2023-01-01"]}))
    assert _ticked(page, ids.OUTCOMES_DISTRICTS) == ["3"]
    headline = page.locator(f"#{ids.OUTCOMES_HEADLINE}").inner_text()
    assert headline.startswith("From Jan 2023 to Dec 2023, the STAR team answered"), headline
    # The category filter Outcomes lacked (issue 15 item 7) filters it.
    before = page.locator(f"#{ids.OUTCOMES_SCOPE}").inner_text()
    _click(page, "Only Welfare check")
    _wait_query(page, category=["welfare_check"], district=["3"])
    assert _ticked(page, ids.OUTCOMES_CATEGORIES) == ["welfare_check"]
    assert page.locator(f"#{ids.OUTCOMES_SCOPE}").inner_text() != before


def test_the_district_page_outcomes_link_keeps_the_district(page, live_server):
    page.goto(live_server + "/district/3?city=denver&start=2023-01-01&end=2023-12-31")
    _settled(page)
    page.locator(f"#{ids.DISTRICT_TO_OUTCOMES}").click()
    page.wait_for_url(re.compile(r"/outcomes\?"))
    _settled(page)
    query = _query(page.url)
    assert query["district"] == ["3"] and query["start"] == ["2023-01-01"] and query["city"] == ["denver"]
    assert _ticked(page, ids.OUTCOMES_DISTRICTS) == ["3"]
    assert page.locator(f"#{ids.OUTCOMES_START}").input_value() == "2023-01-01"
    # The navigation's Outcomes link on a district page keeps it too, in Spanish as well.
    page.goto(live_server + "/district/3?city=denver&start=2023-01-01&end=2023-12-31&lang=es")
    _settled(page)
    page.locator(f"#{ids.SHELL_NAV}").get_by_role("link", name="Resultados", exact=True).click()
    page.wait_for_url(re.compile(r"/outcomes\?.*district=3"))
    _settled(page)
    assert _query(page.url)["lang"] == ["es"] and _ticked(page, ids.OUTCOMES_DISTRICTS) == ["3"]
    # And its way back to the Overview.
    page.goto(live_server + "/district/3?city=denver&start=2023-01-01&end=2023-12-31")
    _settled(page)
    page.get_by_role("link", name="← Denver overview").click()
    page.wait_for_url(re.compile(r"district=3"))
    _settled(page)
    assert _ticked(page, ids.OVERVIEW_DISTRICTS) == ["3"]


def test_the_navigation_keeps_the_view_chosen_on_the_overview(page, live_server):
    """Filters rewrite the Overview's address without a reload; the navigation (and the
    language switch) must follow, or the next page loses the view."""
    page.goto(live_server + "/?city=denver&start=2023-01-01&end=2023-12-31")
    _settled(page)
    _choose(page, ("Only Welfare check", {"category": ["welfare_check"]}),
            ("Only Police district 3", {"category": ["welfare_check"], "district": ["3"]}))
    outcomes = page.locator(f"#{ids.SHELL_NAV}").get_by_role("link", name="Outcomes", exact=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('#shell-nav a')].some(a => a.href.includes('district=3'))"
    )
    switch = _query(page.locator(f"#{ids.LANG_SWITCH}").get_attribute("href"))
    assert switch["district"] == ["3"] and switch["lang"] == ["es"]
    outcomes.click()
    page.wait_for_url(re.compile(r"/outcomes\?"))
    _settled(page)
    query = _query(page.url)
    assert query["category"] == ["welfare_check"] and query["district"] == ["3"]
    assert query["start"] == ["2023-01-01"]
    assert _ticked(page, ids.OUTCOMES_CATEGORIES) == ["welfare_check"]
    # ... and from Outcomes back to the Overview, and on to the Data page and back.
    page.locator(f"#{ids.SHELL_NAV}").get_by_role("link", name="Data", exact=True).click()
    page.wait_for_url(re.compile(r"/data\?"))
    _settled(page)
    page.locator(f"#{ids.SHELL_NAV}").get_by_role("link", name="Overview", exact=True).click()
    page.wait_for_url(lambda url: urlsplit(url).path == "/")
    _settled(page)
    _expect_ticked(page, ids.OVERVIEW_CATEGORIES, ["welfare_check"])
    _expect_ticked(page, ids.OVERVIEW_DISTRICTS, ["3"])
