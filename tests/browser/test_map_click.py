"""A click on the Overview map opens the district's profile page, in a real Chromium.

The click is a real mouse click at the district's label position on the drawn map
(computed from the figure's own label trace and plotly's axes), so it exercises the
whole path: plotly's hover on the filled polygon, ``clickData`` with the trace's
``customdata``, the server callback and the navigation. Only the address is checked
(the district page itself is tested on its own), plus that the keyboard path, the map
table's link for the same district, has the same address.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import ids
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

MAP_FILLS = f"#{ids.OVERVIEW_MAP_GRAPH} .scatterlayer .trace path.js-fill"
KPI_VALUES = f"#{ids.OVERVIEW_KPIS} .kpi-card__value"


def open_overview(page, base: str, query: str = "") -> None:
    """Load the Overview and wait until Dash has replaced the first view and its numbers
    and map are drawn (during the swap both are in the page, with the same ids)."""
    page.goto(base + "/" + query)
    wait_for_dash(page)
    page.wait_for_selector(KPI_VALUES)
    if page.locator(f"#{ids.OVERVIEW_MAP_WRAP}").is_visible():
        page.wait_for_function(f"() => document.querySelectorAll({MAP_FILLS!r}).length > 0")

VIEW = "?city=denver&start=2024-01-01&end=2024-12-31&program=STAR&category=mental_health"

LABEL_POSITION = """([graphId, areaId]) => {
    const gd = document.getElementById(graphId).querySelector('.js-plotly-plot');
    const fills = gd.data.filter(t => t.fill === 'toself');
    const labels = gd.data[fills.length];  // the label trace follows the fills, same order
    const i = fills.findIndex(t => t.customdata && t.customdata[0] === areaId);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.querySelector('.main-svg').getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(labels.x[i]), box.top + ya._offset + ya.l2p(labels.y[i])];
}"""


def label_position(page, area_id: str) -> tuple[float, float]:
    """Where the area's label is drawn, in viewport pixels (the map scrolled into view)."""
    page.locator(f"#{ids.OVERVIEW_MAP_GRAPH}").scroll_into_view_if_needed()
    x, y = page.evaluate(LABEL_POSITION, [ids.OVERVIEW_MAP_GRAPH, area_id])
    return float(x), float(y)


def new_page(browser, console, width: int = 1280, height: int = 900):
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console.attach(page)
    return page


@pytest.mark.parametrize(("level", "area", "district"), [("district", "3", "3"), ("precinct", "111", "1")])
def test_clicking_an_area_opens_its_districts_page(browser, console, live_server, level, area, district):
    page = new_page(browser, console)
    try:
        query = VIEW + ("&level=precinct" if level == "precinct" else "")
        open_overview(page, live_server, query)
        if level == "precinct":
            page.wait_for_function(f"() => document.querySelectorAll({MAP_FILLS!r}).length > 7")
        overview = parse_qs(urlsplit(page.url).query)
        x, y = label_position(page, area)
        page.mouse.move(x, y)
        hover = page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .hoverlayer .hovertext")
        hover.wait_for()
        text = hover.text_content()
        assert f"{'District' if level == 'district' else 'Precinct'} {area}" in text
        assert "Click for the district's profile" in text
        link = None
        if level == "district":
            # The keyboard's way: the map table names the district with a link to the same page.
            page.get_by_text("Show as table").last.click()
            link = page.locator(f"#{ids.OVERVIEW_MAP_TABLE} th a", has_text=re.compile(rf"^District {area}$"))
            link = link.get_attribute("href")
        assert console.errors == [], console.errors  # the Overview itself said nothing wrong

        x, y = label_position(page, area)  # the opened table may have moved the map
        page.mouse.click(x, y)
        page.wait_for_url(re.compile(rf"/district/{district}\?"))
        landed = urlsplit(page.url)
        assert landed.path == f"/district/{district}"
        query_params = parse_qs(landed.query)
        assert query_params == {k: overview[k] for k in ("city", "start", "end")}
        if link is not None:
            assert link == f"{landed.path}?{landed.query}"
    finally:
        page.context.close()


def test_a_city_without_boundaries_has_no_map_to_click(page, live_server):
    open_overview(page, live_server, "?city=grand_junction")
    assert page.locator(f"#{ids.OVERVIEW_MAP_WRAP}").is_hidden()
    assert page.locator(f"#{ids.OVERVIEW_MAP_TABLE} a").count() == 0
