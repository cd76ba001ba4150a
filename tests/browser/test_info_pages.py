"""Data, Methodology and Releases pages as a person sees them, in a real Chromium.

Every test also asserts an empty browser console (see conftest). The shipped release
is the one served, so links and checksums are compared with its manifest.
"""

from __future__ import annotations

import hashlib
import json

import pytest

from dashboard import ids
from dashboard.contract.releases import current_release_dir, list_releases
from dashboard.contract.schema import CALLS_COLUMN_NAMES
from dashboard.i18n import t
from dashboard.settings import Settings
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= document.documentElement.clientWidth"


def manifest(city: str = "denver") -> dict:
    return json.loads((current_release_dir(Settings().releases_dir, city) / "manifest.json").read_text())


def open_page(page, base: str, path: str) -> None:
    page.goto(base + path)
    page.wait_for_selector("h1")
    wait_for_dash(page)


def test_data_page_dictionary_files_and_checksums(page, live_server, screenshots):
    open_page(page, live_server, "/data")
    assert page.locator("h1").all_inner_texts() == ["Data and downloads"]
    assert "SYNTHETIC SAMPLE DATA" in page.locator(".synthetic-banner").inner_text()
    names = page.locator(f"#{ids.DATA_DICTIONARY} tbody tr th").all_inner_texts()
    assert names == list(CALLS_COLUMN_NAMES)

    found = manifest()
    rows = page.locator(f"#{ids.DATA_FILES} tbody tr")
    assert rows.count() == len(found["files"])
    for i in range(rows.count()):
        row = rows.nth(i)
        link = row.locator("a.file-link")
        name = link.inner_text()
        assert link.get_attribute("href") == f"/api/v1/releases/denver/{found['release_id']}/files/{name}"
        assert row.locator("code.sha256").inner_text() == found["files"][name]["sha256"]
    api = page.get_by_role("link", name="API documentation (openapi.json)")
    assert api.get_attribute("href") == "/api/v1/openapi.json"
    page.screenshot(path=str(screenshots / "data_1280.png"), full_page=True)


def test_data_page_bad_city_shows_a_notice(page, live_server):
    open_page(page, live_server, "/data?city=atlantis")
    assert "atlantis" in page.locator(f"#{ids.DATA_NOTICE}").inner_text()
    assert "Denver" in page.locator(f"#{ids.DATA_RELEASE}").inner_text()


def test_data_page_city_switcher_changes_the_release(page, live_server):
    open_page(page, live_server, "/data")
    page.get_by_role("link", name="Grand Junction").click()
    page.wait_for_url("**/data?city=grand_junction")
    release_id = manifest("grand_junction")["release_id"]
    page.wait_for_function(
        "(id) => document.querySelector('#data-release').innerText.includes(id)", arg=release_id
    )


def test_methodology_page(page, live_server, screenshots):
    open_page(page, live_server, "/methodology")
    assert page.locator("h1").all_inner_texts() == ["Methodology"]
    headings = page.locator("h2").all_inner_texts()
    assert "Privacy" in headings and "Response time" in headings and len(headings) >= 10
    privacy = page.locator(f"#{ids.METHOD_PRIVACY}").inner_text()
    assert "k = 11" in privacy
    page.screenshot(path=str(screenshots / "methodology_1280.png"), full_page=True)


#: True once the section is at the top of the window (the page scrolled to it).
AT_TOP = """(id) => {
    const section = document.getElementById(id);
    if (!section) { return false; }
    const top = section.getBoundingClientRect().top;
    return window.scrollY > 0 && top > -2 && top < 40;
}"""


@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_methodology_anchor_opens_at_the_planner_section(request, live_server, width):
    """``/methodology#planner`` (the district page's "How the planner works") lands on it."""
    page = request.getfixturevalue("page" if width == "desktop" else "phone_page")
    page.goto(f"{live_server}/methodology#{ids.METHOD_PLANNER}")
    page.wait_for_function(AT_TOP, arg=ids.METHOD_PLANNER, timeout=10_000)
    heading = page.locator(f"#{ids.METHOD_PLANNER} h2")
    assert heading.inner_text() == "The what-if planner"
    assert heading.is_visible()
    # The 2022 check (its figures are held to the model's output by tests/unit/test_info_pages.py).
    assert t("method.planner.check.city_2022") in page.locator(f"#{ids.METHOD_PLANNER}").inner_text()


def test_methodology_anchor_after_in_app_navigation(page, live_server):
    """A ``dcc.Link`` changes the address without reloading: the page must still scroll.

    The navigation is made the way ``dcc.Link`` makes it (push the address, then tell
    Dash's router), so this does not depend on any other page's links.
    """
    open_page(page, live_server, "/data")
    page.evaluate(
        """(path) => {
            window.history.pushState({}, '', path);
            window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
        }""",
        f"/methodology#{ids.METHOD_COUNCIL}",
    )
    page.wait_for_function(AT_TOP, arg=ids.METHOD_COUNCIL, timeout=10_000)
    assert page.locator(f"#{ids.METHOD_COUNCIL} h2").inner_text() == "Council districts"


def test_releases_page_lists_every_release_with_links_and_checksums(page, live_server, screenshots):
    open_page(page, live_server, "/releases")
    assert page.locator("h1").all_inner_texts() == ["Release history"]
    releases = list_releases(Settings().releases_dir, "denver")
    sections = page.locator(f"#{ids.RELEASES_LIST} section")
    assert sections.count() == len(releases)
    assert [sections.nth(i).get_attribute("data-release") for i in range(sections.count())] == [
        r["release_id"] for r in releases
    ]
    first = sections.first
    assert "Current" in first.locator("h2").inner_text()
    first.locator("details summary").click()
    link = first.get_by_role("link", name="calls.csv", exact=True)
    newest = releases[0]["release_id"]
    assert link.get_attribute("href") == f"/api/v1/releases/denver/{newest}/files/calls.csv"
    shown = first.locator("code.sha256").all_inner_texts()
    assert sorted(shown) == sorted(f["sha256"] for f in releases[0]["files"].values())
    page.screenshot(path=str(screenshots / "releases_1280.png"), full_page=True)


def test_nav_order(page, live_server):
    open_page(page, live_server, "/methodology")
    names = page.locator("#shell-nav .nav-link").all_inner_texts()
    wanted = ["Overview", "Data", "Methodology", "Releases"]
    assert names[0] == "Overview" and [n for n in names if n in wanted] == wanted


@pytest.mark.parametrize("path", ["/data", "/methodology", "/releases"])
def test_phone_width_has_no_horizontal_scroll(phone_page, live_server, screenshots, path):
    open_page(phone_page, live_server, path)
    if path == "/releases":
        phone_page.locator("details summary").first.click()
    assert phone_page.evaluate(NO_SIDEWAYS_SCROLL)
    phone_page.screenshot(path=str(screenshots / f"{path.strip('/')}_390.png"), full_page=True)


def test_a_file_link_downloads_the_file_the_checksum_describes(page, live_server):
    """End to end: the link on the page, fetched, hashes to the sha256 the page shows."""
    assert page.request.get(live_server + "/api/v1/openapi.json").status == 200  # the API is registered
    open_page(page, live_server, "/data")
    row = page.locator(f"#{ids.DATA_FILES} tbody tr").filter(has_text="data_dictionary.md")
    href = row.locator("a.file-link").get_attribute("href")
    response = page.request.get(live_server + href)
    assert response.status == 200
    assert hashlib.sha256(response.body()).hexdigest() == row.locator("code.sha256").inner_text()
