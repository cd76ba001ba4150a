"""A council member's path through the district profile, in real Chromium.

Open the map, click a district, read its profile (comparison table, coverage grid,
ranking), change the period, run the planner, copy the link and open it in a new page
(same view), print it (two A4 pages), and check the phone layout. Numbers on the page
are checked against the data layer's own figures, which tests/integration/test_profile.py
recomputes from calls.csv.
"""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qs, urlparse

import pypdfium2
import pytest

from dashboard.contract.schema import CITYWIDE
from dashboard.engine.store import Store
from dashboard.i18n import fmt_int, fmt_pct
from dashboard.params.filters import Filters
from dashboard.queries import profile
from tests.conftest import wait_for_dash

QUERY = "city=denver&start=2023-01-01&end=2023-12-31"


# Where an area's label is drawn, in viewport pixels (as in test_map_click.py: browser
# test modules cannot import each other).
LABEL_POSITION = """([graphId, areaId]) => {
    const gd = document.getElementById(graphId).querySelector('.js-plotly-plot');
    const fills = gd.data.filter(t => t.fill === 'toself');
    const labels = gd.data[fills.length];
    const i = fills.findIndex(t => t.customdata && t.customdata[0] === areaId);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.querySelector('.main-svg').getBoundingClientRect();
    return [box.left + xa._offset + xa.l2p(labels.x[i]), box.top + ya._offset + ya.l2p(labels.y[i])];
}"""


def open_district(page, base: str, slug: str, query: str = QUERY) -> None:
    page.goto(f"{base}/district/{slug}?{query}")
    wait_ready(page)


def wait_ready(page) -> None:
    wait_for_dash(page)
    page.wait_for_selector("#district-heading")
    page.wait_for_selector("#district-coverage-graph .main-svg")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def table_rows(page, selector: str) -> list[list[str]]:
    return page.eval_on_selector_all(
        f"{selector} tbody tr", "rows => rows.map(r => [...r.children].map(c => c.innerText.trim()))"
    )


@pytest.fixture(scope="module")
def store(shipped_settings):
    return Store(shipped_settings)


def test_map_click_opens_the_profile_with_heatmap_and_comparison(page, live_server, store):
    page.goto(f"{live_server}/?{QUERY}")
    page.wait_for_selector("#overview-map-graph .scatterlayer .trace path.js-fill")
    # The mouse path: a real click at district 3's label on the drawn map.
    page.locator("#overview-map-graph").scroll_into_view_if_needed()
    x, y = page.evaluate(LABEL_POSITION, ["overview-map-graph", "3"])
    page.mouse.move(x, y)
    page.locator("#overview-map-graph .hoverlayer .hovertext").wait_for()
    page.mouse.click(x, y)
    page.wait_for_url(re.compile(r"/district/3\?"))
    wait_ready(page)
    assert query_of(page)["start"] == ["2023-01-01"]
    assert "Police district 3" in page.inner_text("#district-heading")

    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    mine = profile.rows_figures(store, f, "police", "3", None)
    city = profile.rows_figures(store, f, "city", CITYWIDE, None)
    rows = {r[0]: r[1:] for r in table_rows(page, "#district-comparison")}
    assert rows["Calls"] == [fmt_int(mine.calls), fmt_int(city.calls)]
    assert rows["Eligible calls answered by STAR team"] == [fmt_pct(mine.alt_share), fmt_pct(city.alt_share)]
    assert rows["Eligible calls with no team on duty"] == [
        fmt_int(mine.out_of_hours),
        fmt_int(city.out_of_hours),
    ]

    # The coverage grid: 168 weekday-hour cells, the team's hours outlined, a key figure.
    key = page.inner_text("#district-coverage .key-figure")
    assert f"{fmt_int(mine.out_of_hours)} of the {fmt_int(mine.eligible)} eligible calls" in key
    assert page.locator("#district-coverage-graph .main-svg").first.is_visible()

    # The ranking: every published police district once, this one marked as the current page.
    ranking = table_rows(page, "#district-ranking")
    assert len(ranking) == 6
    assert [r[1] for r in ranking].count("Police district 3") == 1
    assert page.locator("#district-ranking a[aria-current=page]").inner_text() == "Police district 3"
    shares = [float(r[5].rstrip("%")) for r in ranking]
    assert shares == sorted(shares, reverse=True)


def test_period_change_reloads_the_view_and_the_address(page, live_server):
    open_district(page, live_server, "3")
    before = page.inner_text("#district-summary")
    page.select_option("#district-start", "2022-01-01")
    page.wait_for_url(re.compile(r"start=2022-01-01"))
    page.wait_for_function(
        "before => document.querySelector('#district-summary').innerText !== before", arg=before
    )
    wait_ready(page)
    assert page.inner_text("#district-summary").startswith("Jan 2022 to Dec 2023")
    assert page.input_value("#district-start") == "2022-01-01"


def test_switching_district_from_the_control_keeps_the_period(page, live_server):
    open_district(page, live_server, "3")
    page.select_option("#district-area", "council-10")
    page.wait_for_url(re.compile(r"/district/council-10\?"))
    wait_ready(page)
    assert page.inner_text("#district-heading").startswith("Council district 10")
    assert query_of(page)["start"] == ["2023-01-01"]
    assert "lower bounds" in page.inner_text(".comparison-card")


def test_planner_runs_and_the_copied_link_reopens_the_same_view(page, live_server, browser, console):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    open_district(page, live_server, "3")
    assert "For the schedule in force" in page.inner_text("#district-plan-result")
    page.fill("#district-plan-vans", "12")
    page.select_option("#district-plan-from", "0")
    page.select_option("#district-plan-to", "24")
    page.click("#district-plan-run")
    page.wait_for_url(re.compile(r"vans=12"))
    wait_ready(page)
    q = query_of(page)
    assert q["vans"] == ["12"] and q["from"] == ["0"] and q["to"] == ["24"] and q["days"] == ["0123456"]
    result = page.inner_text("#district-plan-result")
    assert "Adding 12 more vans, every day, 00:00–24:00 to the schedule in force" in result
    assert "eligible calls a year in Police district 3 instead of" in result
    assert "12 more vans, every day, 00:00–24:00" in page.inner_text("#district-plan-shifts")
    rows = table_rows(page, "#district-plan-result")
    planned = [r for r in rows if r[0].startswith("Model, schedule in force +")]
    current = [r for r in table_rows(page, "#district-plan-result") if r[0].startswith("Model, the schedule")]
    assert float(planned[0][2].rstrip("%")) > float(current[0][2].rstrip("%"))  # 12 vans round the clock

    # The bars are the city's: every one says so (issue 15), in a district's profile too.
    bars = page.text_content("#district-planner-graph").replace(" ", "")  # long labels wrap
    for label in ("Denver, whole city: observed", "Denver, whole city: model, schedule in force",
                  "Denver, whole city: model, schedule + your shifts"):
        assert label.replace(" ", "") in bars, label

    page.click("#share-copy")
    page.wait_for_function("() => document.querySelector('#share-status').innerText.includes('copied')")
    link = page.evaluate("navigator.clipboard.readText()")
    assert link == page.url

    other = page.context.new_page()
    console.attach(other)
    other.goto(link)
    wait_ready(other)
    for selector in (
        "#district-heading",
        "#district-summary",
        "#district-comparison",
        "#district-plan-result",
        "#district-ranking",
    ):
        assert other.inner_text(selector) == page.inner_text(selector), selector
    assert other.input_value("#district-plan-vans") == "12"
    other.close()


def test_shifts_add_up_and_each_can_be_removed(page, live_server, console):
    """Issue 15: the planner adds shifts to the schedule in force, one at a time, and each
    can be taken out again; with none left the panel shows the schedule alone."""
    open_district(page, live_server, "3")
    for vans, start, end, wanted in (("2", "22", "2", 1), ("1", "10", "18", 2)):
        page.fill("#district-plan-vans", vans)
        page.select_option("#district-plan-from", start)
        page.select_option("#district-plan-to", end)
        page.click("#district-plan-run")
        page.wait_for_function(
            f"() => document.querySelectorAll('#district-plan-shifts li').length === {wanted}")
        wait_ready(page)
    shifts = page.locator("#district-plan-shifts li").all_inner_texts()
    assert shifts[0].startswith("2 more vans, every day, 22:00–02:00")
    assert shifts[1].startswith("1 more van, every day, 10:00–18:00")
    result = page.inner_text("#district-plan-result")
    assert "Adding 2 more vans, every day, 22:00–02:00; 1 more van" in result
    page.get_by_role("link", name="Remove the shift: 2 more vans, every day, 22:00–02:00").click()
    page.wait_for_function("() => document.querySelectorAll('#district-plan-shifts li').length === 1")
    wait_ready(page)
    assert page.locator("#district-plan-shifts li").inner_text().startswith("1 more van")
    assert query_of(page)["shift"] == ["1-0123456-10-18"]
    page.get_by_role("link", name="Remove every shift").click()
    page.wait_for_function("() => !document.querySelector('#district-plan-shifts')")
    wait_ready(page)
    assert "For the schedule in force" in page.inner_text("#district-plan-result")


#: Paper sizes in PDF points and print.css's margins (12 mm at the sides, 10 mm top and bottom).
PAPERS = {"A4": (595, 842), "Letter": (612, 792)}
SIDE, TOP = 12 / 25.4 * 72, 10 / 25.4 * 72
HOURS = ("12 AM", "3 AM", "6 AM", "9 AM", "12 PM", "3 PM", "6 PM", "9 PM")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@pytest.mark.parametrize("paper", sorted(PAPERS))
def test_the_brief_prints_whole_on_a4_and_letter(browser, live_server, console, screenshots, shipped_settings,
                                                 paper):
    """Issue 15: printed from a desktop browser, the profile fits two pages of A4 and of
    Letter; the hour grid has all 168 cells and every hour label, nothing crosses the
    margins, and the address is the full one. The PDF is rendered to images to check."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    page = context.new_page()
    console.attach(page)
    open_district(page, live_server, "3")
    page.emulate_media(media="print")
    page.wait_for_timeout(300)
    meta = page.inner_text("#district-print-meta")
    release_id = Store(shipped_settings).release_info("denver").release_id
    assert "Jan 2023 to Dec 2023" in meta and release_id in meta
    assert f"{live_server}/district/3?city=denver" in meta  # the full address, not a path
    assert not page.locator("#district-area").is_visible()  # controls are not printed
    cells = page.evaluate("""() => {
        const svg = document.querySelector('#district-coverage-graph .main-svg').getBoundingClientRect();
        const bars = [...document.querySelectorAll('#district-coverage-graph .trace.bars .point')];
        return [bars.length, svg.width, bars.filter(b => {
            const r = b.getBoundingClientRect();
            return r.width > 0 && r.left >= svg.left - 0.5 && r.right <= svg.right + 0.5;
        }).length];
    }""")
    assert cells[0] == 168 and cells[2] == 168 and cells[1] <= 700, cells  # drawn for the paper
    pdf = page.pdf(format=paper, print_background=True)
    context.close()
    (screenshots / f"district_print_{paper}.pdf").write_bytes(pdf)
    doc = pypdfium2.PdfDocument(pdf)
    assert 1 <= len(doc) <= 2, f"the profile prints on {len(doc)} pages of {paper}"
    texts = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    grid = [t for t in texts if "When eligible calls come in" in t]
    assert len(grid) == 1
    missing = [label for label in (*HOURS, *WEEKDAYS) if label not in grid[0]]
    assert not missing, f"the hour grid lost {missing} on {paper}"
    assert "Calls per week" in "".join(texts) and "Dec" in "".join(texts)  # the trend, whole
    for i in range(len(doc)):
        width, height = PAPERS[paper]
        pixels = doc[i].render(scale=1).to_numpy()[..., :3].min(axis=2)
        assert abs(pixels.shape[0] - height) <= 1 and abs(pixels.shape[1] - width) <= 1  # rounding
        height, width = pixels.shape[:2]
        ink = pixels < 200
        left, right = int(SIDE) - 2, width - int(SIDE) + 2
        top, bottom = int(TOP) - 2, height - int(TOP) + 2
        assert not ink[:, right:].any() and not ink[:, :left].any(), f"page {i + 1} crosses the side margins"
        assert not ink[bottom:, :].any() and not ink[:top, :].any(), f"page {i + 1} crosses the top or bottom"


def test_phone_width_profile_has_no_horizontal_scroll(phone_page, live_server, screenshots):
    open_district(phone_page, live_server, "3")
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 390
    phone_page.screenshot(path=str(screenshots / "district_390.png"), full_page=True)


def test_desktop_screenshot(page, live_server, screenshots):
    open_district(page, live_server, "council-10")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(screenshots / "district_council_1280.png"), full_page=True)
    open_district(page, live_server, "3")
    page.screenshot(path=str(screenshots / "district_1280.png"), full_page=True)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/district/7?city=denver", "not published separately"),
        ("/district/99?city=denver", "There is no district “99”"),
        ("/district/3?city=grand_junction", "no breakdown by district"),
        ("/district/3?city=denver&vans=lots", "planner settings in the link could not be used"),
    ],
)
def test_bad_addresses_get_a_message_not_an_error(page, live_server, path, expected):
    page.goto(live_server + path)
    page.wait_for_selector("#district-heading")
    assert expected in page.inner_text("main")


def test_find_my_area_from_the_navigation(page, live_server, console):
    """Issue 15: a Districts entry in the navigation; typing a neighborhood names its police
    and council district and opens the profile."""
    page.goto(live_server + "/")
    wait_for_dash(page)  # the navigation's links then change pages inside the app
    page.locator("#shell-nav .nav-link", has_text="Districts").click()
    page.wait_for_url(re.compile(r"/districts"))
    page.fill("#districts-search", "capitol hill")
    page.click("#districts-find")
    page.wait_for_url(re.compile(r"area=capitol"))
    page.wait_for_selector("#districts-answer strong")
    answer = page.inner_text("#districts-answer")
    assert "Capitol Hill is in Police district 6" in answer and "Council district 10" in answer
    page.get_by_role("link", name="Open the profile of Council district 10").click()
    page.wait_for_url(re.compile(r"/district/council-10"))
    wait_ready(page)
    assert "Council district 10" in page.inner_text("#district-heading")


@pytest.mark.parametrize(("slug", "area_type", "area"),
                         [("3", "district", "3"), ("council-10", "council", "10")])
def test_unanswered_at_night_reads_as_numbers_with_reasons(
        page, live_server, shipped_settings, slug, area_type, area):
    """Issue 15: "N eligible calls in my district went unanswered at night last year, and
    why", as numbers, for a police and a council district; each is the night cube's cell."""
    import pandas as pd

    from dashboard.contract.releases import current_release_dir

    open_district(page, live_server, slug)
    figure = page.locator("#district-night-figure").inner_text()
    release = current_release_dir(shipped_settings.releases_dir, "denver")
    cube = pd.read_parquet(release / "cube_night.parquet")
    cells = cube[(cube["year"] == 2023) & (cube["area_type"] == area_type) & (cube["area"] == area)
                 & (cube["period"] == "night")].set_index("reason")
    assert not cells["suppressed"].any(), "the shipped sample publishes these cells"
    unanswered = int(cells.loc[["out_of_hours", "no_team_available", "other_reason"], "n"].sum())
    assert unanswered > 0
    assert f"{unanswered:,} eligible calls" in figure
    assert f"{int(cells.loc['out_of_hours', 'n']):,} because no team was on duty" in figure
    assert f"{int(cells.loc['no_team_available', 'n']):,} because every team was busy" in figure
    rows = {r[0]: r[1:] for r in table_rows(page, "#district-night")}
    assert rows["Unanswered: no team on duty"][0] == f"{int(cells.loc['out_of_hours', 'n']):,}"
