"""The Data, Methodology and Releases pages rendered server-side on the tiny release.

The layouts are called as Dash's router calls them (inside a Flask request of an app
made with ``create_app``) and the component tree is inspected: the dictionary must
list exactly the contract's columns, file links must be the API's and checksums the
manifest's, and bad input must give a notice, never a traceback.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator

import dash
import pandas as pd
import pytest

from dashboard.data import docs
from dashboard.data.release import build_release, current_release_dir
from dashboard.data.schema import CALLS_COLUMN_NAMES, Outcome
from dashboard.i18n import t
from dashboard.pages import SETTINGS_KEY
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame


@pytest.fixture(scope="module")
def app(tiny_settings):
    from dashboard.app import create_app

    return create_app(tiny_settings)


@pytest.fixture(scope="module")
def pages(app):
    """The page modules, imported after the app (Dash registers them while creating it)."""
    from dashboard.pages import data, methodology, releases

    return data, methodology, releases


def walk(component: object) -> Iterator[object]:
    """Every component and string in a layout, depth first."""
    yield component
    children = getattr(component, "children", None)
    if isinstance(children, list | tuple):
        for child in children:
            yield from walk(child)
    elif children is not None:
        yield from walk(children)


def text(component: object) -> str:
    return " ".join(str(c) for c in walk(component) if isinstance(c, str | int))


def by_id(layout: object, element_id: str) -> object:
    found = [c for c in walk(layout) if getattr(c, "id", None) == element_id]
    assert len(found) == 1, element_id
    return found[0]


def of_type(component: object, name: str) -> list:
    return [c for c in walk(component) if type(c).__name__ == name]


def render(app, module, settings: Settings | None = None, **query: object) -> object:
    """``module.layout(**query)`` inside a request, optionally on other settings."""
    original = app.server.config[SETTINGS_KEY]
    app.server.config[SETTINGS_KEY] = settings or original
    try:
        with app.server.test_request_context("/"):
            return module.layout(**query)
    finally:
        app.server.config[SETTINGS_KEY] = original


# -- Data --------------------------------------------------------------------------------


def test_dictionary_lists_exactly_the_contract_columns(app, pages):
    layout = render(app, pages[0])
    table = by_id(layout, pages[0].DATA_DICTIONARY)
    body = of_type(table, "Tbody")[0]
    names = [text(row.children[0]) for row in body.children]
    assert names == list(CALLS_COLUMN_NAMES)
    assert len(of_type(layout, "H1")) == 1


def test_files_link_to_the_api_with_the_manifest_checksums(app, pages, tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    manifest = json.loads((path / "manifest.json").read_text())
    layout = render(app, pages[0], city="denver")
    files = by_id(layout, pages[0].DATA_FILES)
    rows = of_type(of_type(files, "Tbody")[0], "Tr")
    shown = {}
    for row in rows:
        link = of_type(row, "A")[0]
        sha = [c for c in of_type(row, "Code") if "sha256" in (c.className or "")][0]
        shown[link.children] = (link.href, sha.children)
    assert set(shown) == set(manifest["files"])
    for name, (href, sha) in shown.items():
        assert href == f"/api/v1/releases/denver/{manifest['release_id']}/files/{name}"
        assert sha == manifest["files"][name]["sha256"]
    hrefs = [a.href for a in of_type(files, "A")]
    assert docs.OPENAPI_PATH in hrefs
    assert f"/api/v1/releases/denver/{manifest['release_id']}/files/datapackage.json" in hrefs
    assert f"/api/v1/releases/denver/{manifest['release_id']}/files/manifest.json" in hrefs
    assert "SYNTHETIC SAMPLE DATA" in text(layout)


@pytest.mark.parametrize(
    ("value", "shown"),
    [("atlantis", "atlantis"), (["nowhere", "denver"], "nowhere"), ("x" * 500, "x" * 37 + "..."),
     ({"a": 1}, "<class 'dict'>")],
    ids=["unknown", "list", "long", "not-a-string"],
)
def test_a_bad_city_gives_a_notice_and_the_default_city(app, pages, value, shown):
    for module, notice_id in ((pages[0], pages[0].DATA_NOTICE), (pages[2], pages[2].RELEASES_NOTICE)):
        layout = render(app, module, city=value)
        message = text(by_id(layout, notice_id))
        assert t("data.bad_city", value=shown, city="Denver") in message
        assert "alert-danger" not in json.dumps(layout.to_plotly_json(), default=str)
        assert len(of_type(layout, "H1")) == 1


def test_a_broken_store_gives_an_error_notice_not_a_traceback(app, pages, tmp_path):
    empty = Settings(data_dir=tmp_path)  # no cities, no releases
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    for module in pages:
        layout = render(app, module, settings=empty)
        assert t("notice.error") in text(layout)


# -- Methodology -------------------------------------------------------------------------


def test_methodology_defines_every_outcome_and_states_k(app, pages, tiny_settings):
    layout = render(app, pages[1])
    words = text(layout)
    outcomes = by_id(layout, pages[1].METHOD_OUTCOMES)
    terms = [text(dt) for dt in of_type(outcomes, "Dt")]
    assert terms == [t(f"method.outcome.{o.value}") for o in Outcome]
    assert f"k = {tiny_settings.privacy_k}" in words
    assert "fewer than 5,000 residents" in text(by_id(layout, pages[1].METHOD_RATES))
    assert len(of_type(layout, "H1")) == 1 and len(of_type(layout, "H2")) >= 10
    assert "synthetic sample" in words


# -- Releases ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def two_releases(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A data dir with two Denver releases: the tiny one, then one with 12 more calls."""
    root = tmp_path_factory.mktemp("two-releases")
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    first = build_release(tiny_internal_frame(), root / "releases", city="denver", source="first",
                          synthetic=True, k=11, seed=1)
    # Two builds can share a second; date the first one earlier so the order is certain.
    manifest = json.loads((first.path / "manifest.json").read_text())
    manifest["created"] = "2024-01-01T00:00:00+00:00"
    (first.path / "manifest.json").write_text(json.dumps(manifest))
    frame = tiny_internal_frame()
    bigger = pd.concat([frame, frame[frame["call_category"] == "mental_health"]], ignore_index=True)
    build_release(bigger, root / "releases", city="denver", source="second", synthetic=True, k=11, seed=2)
    return Settings(data_dir=root, privacy_k=11)


def test_changelog_is_newest_first_with_the_change_in_published_rows(two_releases):
    entries = docs.changelog(two_releases.releases_dir, "denver")
    assert [e.source for e in entries] == ["second", "first"]
    newest, oldest = entries
    assert newest.current and not oldest.current
    assert newest.previous_id == oldest.release_id and oldest.previous_id is None
    assert newest.published_change == newest.rows["published"] - oldest.rows["published"] == 12
    assert {f.name for f in newest.files} >= {"calls.csv", "datapackage.json"}


def test_releases_page_shows_each_release_its_change_and_files(app, pages, two_releases):
    layout = render(app, pages[2], settings=two_releases)
    sections = [c for c in walk(by_id(layout, pages[2].RELEASES_LIST)) if type(c).__name__ == "Section"]
    assert len(sections) == 2
    words = [text(s) for s in sections]
    assert t("releases.current") in words[0] and t("releases.current") not in words[1]
    assert "12 more published rows than release" in words[0]
    assert t("releases.change.first") in words[1]
    entry = docs.changelog(two_releases.releases_dir, "denver")[0]
    links = {a.children: a.href for a in of_type(sections[0], "A")}
    assert links["calls.csv"] == f"/api/v1/releases/denver/{entry.release_id}/files/calls.csv"
    shas = [c.children for c in of_type(sections[0], "Code") if "sha256" in (c.className or "")]
    assert shas == [f.sha256 for f in entry.files]


# -- the nav and the data helpers ---------------------------------------------------------


def test_nav_lists_overview_first_then_data_methodology_releases(app, pages):
    """Relative order only: other pages (the district view) may sit between them."""
    names = [p["name"] for p in dash.page_registry.values() if not p["module"].endswith("_404")]
    wanted = [t("nav.overview"), t("nav.data"), t("nav.methodology"), t("nav.releases")]
    assert names[0] == wanted[0]
    assert [n for n in names if n in wanted] == wanted


def test_choose_city():
    cities = ["denver", "grand_junction"]
    assert docs.choose_city(None, cities, "denver") == ("denver", None)
    assert docs.choose_city("", cities, "denver") == ("denver", None)
    assert docs.choose_city(" grand_junction ", cities, "denver") == ("grand_junction", None)
    assert docs.choose_city(["grand_junction", "x"], cities, "denver") == ("grand_junction", None)
    assert docs.choose_city("paris", cities, "gotham") == ("denver", "paris")
    assert docs.choose_city(7, cities, "denver") == ("denver", "<class 'int'>")


def test_release_entry_tolerates_a_hand_made_manifest():
    entry = docs.release_entry({"release_id": "r1", "city": "denver", "rows": {"published": "many"},
                                "files": {"a.csv": "oops", "b.csv": {"sha256": "ab", "bytes": 3}}})
    assert entry.rows["published"] is None and entry.k is None and not entry.synthetic
    assert [(f.name, f.sha256, f.size) for f in entry.files] == [("a.csv", None, None), ("b.csv", "ab", 3)]
    assert not entry.has_datapackage

