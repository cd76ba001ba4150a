"""The Overview page as a person sees it, in a real Chromium on the shipped sample release.

Every test also asserts an empty browser console (see conftest), so CSP violations,
failed requests and React errors fail here too.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import ids
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

TREND_TRACES = f"#{ids.OVERVIEW_TREND_GRAPH} .scatterlayer .trace"
MAP_FILLS = f"#{ids.OVERVIEW_MAP_GRAPH} .scatterlayer .trace path.js-fill"
KPI_VALUES = f"#{ids.OVERVIEW_KPIS} .kpi-card__value"


def open_overview(page, base: str, query: str = "") -> None:
    """Load the page and wait until numbers and both charts are drawn."""
    page.goto(base + "/" + query)
    wait_ready(page)


def wait_ready(page) -> None:
    wait_for_dash(page)
    page.wait_for_selector(KPI_VALUES)
    page.wait_for_function(f"() => document.querySelectorAll({TREND_TRACES!r}).length > 0")
    if page.locator(f"#{ids.OVERVIEW_MAP_WRAP}").is_visible():
        page.wait_for_function(f"() => document.querySelectorAll({MAP_FILLS!r}).length > 0")


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def kpi_texts(page) -> list[str]:
    return page.locator(KPI_VALUES).all_inner_texts()


def wait_for_query(page, param: str, *values: str) -> None:
    """Wait until the address bar's ``param`` values are exactly ``values``."""
    page.wait_for_function(
        "([p, v]) => JSON.stringify(new URLSearchParams(location.search).getAll(p)) === JSON.stringify(v)",
        arg=[param, list(values)],
    )


def test_first_view_shows_banner_numbers_and_one_line_per_program(page, live_server, screenshots):
    open_overview(page, live_server)
    banner = page.locator(f"#{ids.OVERVIEW_BANNER}")
    assert "SYNTHETIC SAMPLE DATA" in banner.inner_text()
    assert "synthetic" in page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text().lower()
    values = kpi_texts(page)
    assert len(values) == 8  # 4 programs + alternative share, minutes, arrests, backup
    assert all(re.search(r"\d", v) for v in values), values
    assert page.locator(TREND_TRACES).count() == 4  # STAR, co-responder, CIT, patrol
    legend = page.locator(f"#{ids.OVERVIEW_TREND_GRAPH} .legend .traces").all_text_contents()
    assert legend == ["STAR team", "Co-responder team", "CIT officers", "Patrol officers"]
    assert page.evaluate("document.documentElement.lang") == "en"
    assert "same call categories" in page.get_by_text("Programs are sent different kinds").inner_text()
    page.screenshot(path=str(screenshots / "overview_1280.png"), full_page=True)


def test_phone_width_has_no_horizontal_scroll(phone_page, live_server, screenshots):
    page = phone_page
    open_overview(page, live_server)
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.get_by_text("Show as table").first.click()  # tables scroll inside their own box
    assert page.evaluate("document.documentElement.scrollWidth <= document.documentElement.clientWidth")
    page.screenshot(path=str(screenshots / "overview_390.png"), full_page=True)


def test_program_filter_changes_chart_kpis_and_url(page, live_server):
    open_overview(page, live_server)
    before = kpi_texts(page)
    posts: list[str] = []
    page.on(
        "request", lambda r: posts.append(r.post_data or "") if "_dash-update-component" in r.url else None
    )
    checkbox = page.get_by_label("Patrol officers", exact=True)
    checkbox.uncheck()
    wait_for_query(page, "program", "STAR", "CO_RESPONDER", "CIT_OFFICER")
    page.wait_for_function(f"() => document.querySelectorAll({TREND_TRACES!r}).length === 3")
    titles = page.locator(f"#{ids.OVERVIEW_KPIS} .kpi-card__title").all_inner_texts()
    assert not any("Patrol" in title for title in titles)
    assert kpi_texts(page) != before
    # One callback, and the page was not re-rendered: keyboard focus stays on the box.
    assert len(posts) == 1 and "_pages_content" not in posts[0]
    assert page.evaluate("document.activeElement.value") == "PATROL"


def test_district_filter_changes_numbers_and_url(page, live_server):
    open_overview(page, live_server)
    summary_before = page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text()
    group = page.locator(f"#{ids.OVERVIEW_DISTRICTS}")
    for district in ("1", "2", "4", "5", "6", "7", "City-wide only"):
        checkbox = group.get_by_label(district, exact=True)
        if checkbox.count():
            checkbox.uncheck()
    wait_for_query(page, "district", "3")
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerText !== before",
        arg=[f"#{ids.OVERVIEW_SUMMARY}", summary_before],
    )
    assert query_of(page)["district"] == ["3"]
    assert "Police district 3" in page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text()


def test_map_draws_the_seven_districts_and_patches_on_metric_change(page, live_server):
    open_overview(page, live_server)
    assert page.locator(MAP_FILLS).count() == 7
    assert page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .colorbar").count() == 1
    fills_before = page.eval_on_selector_all(MAP_FILLS, "els => els.map(e => e.style.fill)")

    bodies: list[str] = []
    page.on("response", lambda r: bodies.append(r.text()) if "_dash-update-component" in r.url else None)
    page.get_by_label("Calls per 1,000 residents").check()
    wait_for_query(page, "metric", "per_1000")
    page.wait_for_function(
        "([sel, before]) => JSON.stringify([...document.querySelectorAll(sel)].map(e => e.style.fill))"
        " !== JSON.stringify(before)",
        arg=[MAP_FILLS, fills_before],
    )
    assert page.locator(MAP_FILLS).count() == 7
    assert "per 1,000" in page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .colorbar").text_content()
    # The polygons were not sent again: the map came as a Patch of colours and texts.
    assert len(bodies) == 1
    assert "__dash_patch_update" in bodies[0]
    assert len(bodies[0]) < 20_000  # the full page update is ~45 KB


def test_precinct_level_says_it_is_an_approximation(page, live_server):
    open_overview(page, live_server)
    page.get_by_label("Precincts (approximate)").check()
    wait_for_query(page, "level", "precinct")
    page.wait_for_function(f"() => document.querySelectorAll({MAP_FILLS!r}).length > 7")
    notes = page.locator(f"#{ids.OVERVIEW_MAP_NOTES}").inner_text()
    assert "approximation" in notes.lower()


def test_permalink_restores_controls_and_numbers(page, live_server, browser, console):
    open_overview(page, live_server)
    page.get_by_label("From month").select_option("2025-03-01")
    wait_for_query(page, "start", "2025-03-01")
    page.get_by_label("Welfare check", exact=True).uncheck()
    page.wait_for_function(
        "() => new URLSearchParams(location.search).getAll('category').includes('mental_health')"
    )
    page.get_by_label("Eligible calls answered by the STAR team").check()
    wait_for_query(page, "metric", "alt_share")
    page.wait_for_load_state("networkidle")
    url = page.url
    numbers = kpi_texts(page)
    summary = page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text()

    page.reload()
    wait_ready(page)
    page.wait_for_load_state("networkidle")
    assert page.url == url
    assert page.get_by_label("From month").input_value() == "2025-03-01"
    assert not page.get_by_label("Welfare check", exact=True).is_checked()
    assert page.get_by_label("Mental health", exact=True).is_checked()
    assert page.get_by_label("Eligible calls answered by the STAR team").is_checked()
    assert kpi_texts(page) == numbers
    assert page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text() == summary


def test_garbage_url_shows_a_clear_alert(page, live_server):
    open_overview(
        page, live_server, "?district=%3Cscript%3Ealert(1)%3C/script%3E&start=banana&metric=zzz&x=1"
    )
    alert = page.locator(f"#{ids.OVERVIEW_NOTICE} .notice")
    text = alert.inner_text()
    assert "could not be used" in text
    assert "banana" in text and "<script>" in text and "zzz" in text
    assert page.locator("script:not([src])", has_text="alert(1)").count() == 0
    assert len(kpi_texts(page)) == 8  # the nearest valid view is still shown


def test_city_change_swaps_districts_and_explains_missing_map(page, live_server):
    open_overview(page, live_server)
    page.get_by_label("City", exact=True).select_option("grand_junction")
    wait_for_query(page, "city", "grand_junction")
    page.wait_for_function(
        "sel => document.querySelector(sel).innerText.includes('Grand Junction')",
        arg=f"#{ids.OVERVIEW_HEADING}",
    )
    assert page.locator(f"#{ids.OVERVIEW_DISTRICTS_GROUP}").is_hidden()
    assert page.locator(f"#{ids.OVERVIEW_MAP_WRAP}").is_hidden()
    assert "no district boundaries" in page.locator(f"#{ids.OVERVIEW_MAP_NOTES}").inner_text()
    assert page.get_by_label("STAR team", exact=True).count() == 0
    page.wait_for_function(f"() => document.querySelectorAll({TREND_TRACES!r}).length === 3")


def test_show_as_table_reveals_the_numbers(page, live_server):
    open_overview(page, live_server)
    table = page.locator(f"#{ids.OVERVIEW_TREND_TABLE} table")
    assert table.is_hidden()
    page.get_by_text("Show as table").first.click()
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 12  # the default view is 12 months
    assert table.locator("caption").inner_text()


def test_first_view_is_small_and_uses_the_basic_plotly_bundle(browser, live_server, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    console.attach(page)
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    urls: dict[str, str] = {}
    sizes: dict[str, int] = {}
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))
    open_overview(page, live_server)
    page.wait_for_load_state("networkidle")
    context.close()
    total = sum(sizes.values())
    fetched = list(urls.values())
    # plotly.js once, on demand, from the address that serves the basic bundle.
    from dashboard.app import DCC_PLOTLY_PATH

    bundles = [u for u in fetched if re.search(r"plotly(-basic)?(\.min)?\.js(\?|$)", u)]
    assert bundles == [f"{live_server}/{DCC_PLOTLY_PATH}"], fetched
    assert all(u.startswith(live_server) or u.startswith("data:") for u in fetched), fetched
    assert total < 1_000_000, f"first view transferred {total} bytes"
    assert console.errors == []
    print(f"first view: {total} bytes in {len(sizes)} responses")  # noqa: T201 - shown with -s


def test_table_toggle_works_from_the_keyboard(page, live_server):
    open_overview(page, live_server)
    toggle = page.locator(f"#{ids.OVERVIEW_MAP_SECTION} summary")
    toggle.focus()
    page.keyboard.press("Enter")
    table = page.locator(f"#{ids.OVERVIEW_MAP_TABLE} table")
    assert table.is_visible()
    assert table.locator("tbody tr").count() == 7
    assert "Hide table" in toggle.inner_text()


def test_unknown_path_gets_a_friendly_page(page, live_server):
    response = page.goto(live_server + "/no/such/page")
    assert response.status == 404  # for crawlers and scripts; the reader sees the page below
    page.get_by_role("heading", name="Page not found").wait_for()
    assert page.get_by_role("link", name="Go to the overview").is_visible()


def test_trend_chart_has_a_png_button_named_after_the_view(page, live_server):
    open_overview(page, live_server, "?city=denver&start=2024-01-01&end=2024-06-30&district=3")
    page.hover(f"#{ids.OVERVIEW_TREND_GRAPH}")
    buttons = page.locator(f"#{ids.OVERVIEW_TREND_GRAPH} .modebar-btn")
    assert buttons.count() == 1  # only "download as PNG": no zoom, pan or plotly logo
    assert buttons.first.get_attribute("data-title") == "Download plot as a PNG"
    assert buttons.first.is_visible()
    assert page.locator(f"#{ids.OVERVIEW_TREND_GRAPH} .modebar .plotlyjsicon").count() == 0
    options = page.evaluate(
        "(id) => document.getElementById(id).querySelector('.js-plotly-plot')._context.toImageButtonOptions",
        ids.OVERVIEW_TREND_GRAPH,
    )
    assert options["format"] == "png" and options["scale"] == 2
    assert options["filename"].startswith("trend_denver_2024-01-01_2024-06-30_district-3_release-")
    # the name follows the view without a reload
    page.get_by_label("From month").select_option("2024-02-01")
    page.wait_for_function(
        "(id) => document.getElementById(id).querySelector('.js-plotly-plot')._context"
        ".toImageButtonOptions.filename.startsWith('trend_denver_2024-02-01_')",
        arg=ids.OVERVIEW_TREND_GRAPH,
    )


def test_png_button_downloads_a_png(browser, live_server, console):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    try:
        page = context.new_page()
        console.attach(page)
        open_overview(page, live_server, "?city=denver&start=2024-01-01&end=2024-06-30")
        page.hover(f"#{ids.OVERVIEW_TREND_GRAPH}")
        with page.expect_download(timeout=10_000) as download:
            page.locator(f"#{ids.OVERVIEW_TREND_GRAPH} .modebar-btn").first.click()
        name = download.value.suggested_filename
        assert name.startswith("trend_denver_2024-01-01_2024-06-30_") and name.endswith(".png"), name
        assert Path(download.value.path()).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert console.errors == []
    finally:
        context.close()


def map_ranges(page) -> tuple[list[float], list[float]]:
    return tuple(
        page.evaluate(
            "([id, axis]) => document.getElementById(id).querySelector('.js-plotly-plot')"
            "._fullLayout[axis].range",
            [ids.OVERVIEW_MAP_GRAPH, axis],
        )
        for axis in ("xaxis", "yaxis")
    )


def test_district_filter_zooms_the_map_by_patch(page, live_server):
    open_overview(page, live_server)
    whole_x, whole_y = map_ranges(page)
    bodies: list[str] = []
    page.on("response", lambda r: bodies.append(r.text()) if "_dash-update-component" in r.url else None)
    group = page.locator(f"#{ids.OVERVIEW_DISTRICTS}")
    for district in ("1", "2", "4", "5", "7", "City-wide only"):
        checkbox = group.get_by_label(district, exact=True)
        if checkbox.count():
            checkbox.uncheck()
    wait_for_query(page, "district", "3", "6")
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "([id, before]) => document.getElementById(id).querySelector('.js-plotly-plot')"
        "._fullLayout.xaxis.range[0] !== before",
        arg=[ids.OVERVIEW_MAP_GRAPH, whole_x[0]],
    )
    zoom_x, zoom_y = map_ranges(page)
    assert whole_x[0] < zoom_x[0] < zoom_x[1] < whole_x[1]
    assert (zoom_x[1] - zoom_x[0]) < 0.7 * (whole_x[1] - whole_x[0])
    assert whole_y[0] <= zoom_y[0] < zoom_y[1] <= whole_y[1]
    assert all("__dash_patch_update" in b for b in bodies[-1:])  # the polygons were not sent again
    labels = page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .textpoint").all_text_contents()
    assert sorted(label[:1] for label in labels if label) == ["3", "6"]  # only the framed districts
    legend = page.locator(f"#{ids.OVERVIEW_MAP_NOTES} .map-legend").inner_text()
    assert "(Police district 3)" in legend or "(District 3)" in legend
    assert "Outside the districts selected" in legend


@pytest.mark.parametrize("metric", ["count", "per_1000", "median_minutes"])
def test_map_labels_do_not_overlap_on_a_phone(phone_page, live_server, metric):
    page = phone_page
    open_overview(page, live_server, f"?city=denver&start=2025-01-01&end=2025-12-31&metric={metric}")
    page.locator(f"#{ids.OVERVIEW_MAP_GRAPH}").scroll_into_view_if_needed()
    boxes = page.eval_on_selector_all(
        f"#{ids.OVERVIEW_MAP_GRAPH} .textpoint text",
        "els => els.filter(e => e.textContent).map(e => { const r = e.getBoundingClientRect();"
        " return [e.textContent, r.left, r.top, r.right, r.bottom]; })",
    )
    assert len(boxes) == 7
    for i, (a, al, at, ar, ab) in enumerate(boxes):
        for b, bl, bt, br, bb in boxes[i + 1:]:
            assert ar <= bl or br <= al or ab <= bt or bb <= at, f"labels {a!r} and {b!r} overlap"


def test_median_minutes_map_by_district_and_grey_precincts(page, live_server):
    open_overview(page, live_server, "?city=denver&start=2025-01-01&end=2025-12-31&metric=median_minutes")
    legend = page.locator(f"#{ids.OVERVIEW_MAP_NOTES} .map-legend").inner_text()
    assert legend.startswith("Lighter areas were reached faster, darker slower")
    assert re.search(r"from \d+ min \(District \d", legend)
    assert "min" in page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .colorbar").text_content()
    page.get_by_label("Precincts (approximate)").check()
    wait_for_query(page, "level", "precinct")
    page.wait_for_function(f"() => document.querySelectorAll({MAP_FILLS!r}).length > 7")
    page.wait_for_function(
        "sel => document.querySelector(sel).innerText.includes('published by district only')",
        arg=f"#{ids.OVERVIEW_MAP_NOTES}",
    )
    fills = set(page.eval_on_selector_all(MAP_FILLS, "els => els.map(e => e.style.fill)"))
    assert fills == {"rgb(222, 226, 230)"}  # all grey: no value, never a zero
    assert page.locator(f"#{ids.OVERVIEW_MAP_GRAPH} .colorbar").count() == 0
