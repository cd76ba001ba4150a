"""The Data, Methodology and Releases pages rendered server-side on the tiny release.

The layouts are called as Dash's router calls them (inside a Flask request of an app
made with ``create_app``) and the component tree is inspected: the dictionary must
list exactly the contract's columns, file links must be the API's and checksums the
manifest's, and bad input must give a notice, never a traceback.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date

import dash
import pandas as pd
import pytest

from dashboard import ids
from dashboard.contract.releases import current_release_dir
from dashboard.contract.schema import CALLS_COLUMN_NAMES, Outcome
from dashboard.engine.store import Store
from dashboard.i18n import catalog, t
from dashboard.pages import SETTINGS_KEY
from dashboard.params.filters import Filters
from dashboard.publish.release import build_release
from dashboard.queries import district, docs
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame
from ..integration.test_planner_history import PUBLISHED, TOLERANCE


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
    table = by_id(layout, ids.DATA_DICTIONARY)
    body = of_type(table, "Tbody")[0]
    names = [text(row.children[0]) for row in body.children]
    assert names == list(CALLS_COLUMN_NAMES)
    assert len(of_type(layout, "H1")) == 1


@pytest.mark.parametrize("lang", ["en", "es"])
def test_dictionary_names_areas_programs_and_unrecorded_fields_in_the_citys_words(
        app, pages, shipped_settings, lang):
    """Issue 14: Lane County calls its areas "Area", its team "MCSLC mobile crisis team",
    and records neither police backup nor people: the dictionary says so, Denver's does
    not claim the fields are unrecorded."""
    def meaning(city: str, column: str) -> str:
        layout = render(app, pages[0], shipped_settings, city=city, lang=lang)
        body = of_type(by_id(layout, ids.DATA_DICTIONARY), "Tbody")[0]
        rows = {text(row.children[0]): text(row.children[1]) for row in body.children}
        return rows[column]

    area = "Zona" if lang == "es" else "Area"
    assert area in meaning("lane_county", "district")
    assert "MCSLC" in meaning("lane_county", "response_type")
    unrecorded = t("data.note.unrecorded.police_backup", lang)
    assert unrecorded in meaning("lane_county", "police_backup")
    assert unrecorded not in meaning("denver", "police_backup")
    assert t("data.note.unrecorded.repeat_contact_90d", lang) in meaning("lane_county", "repeat_contact_90d")


def test_files_link_to_the_api_with_the_manifest_checksums(app, pages, tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    manifest = json.loads((path / "manifest.json").read_text())
    layout = render(app, pages[0], city="denver")
    files = by_id(layout, ids.DATA_FILES)
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
    for module, notice_id in ((pages[0], ids.DATA_NOTICE), (pages[2], ids.RELEASES_NOTICE)):
        layout = render(app, module, city=value)
        message = text(by_id(layout, notice_id))
        assert t("data.bad_city", value=shown, city="Denver") in message
        assert "alert-danger" not in json.dumps(layout.to_plotly_json(), default=str)
        assert len(of_type(layout, "H1")) == 1


def test_no_release_at_all_gives_an_error_notice_not_a_traceback(app, pages, tmp_path):
    empty = Settings(data_dir=tmp_path)  # no cities, no releases
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    data, methodology, releases = pages
    for module in (data, releases):  # pages about a city's release: the error notice
        layout = render(app, module, settings=empty)
        assert t("notice.error") in text(layout)
    layout = render(app, methodology, settings=empty)  # the measures are still explained
    assert t("notice.error") not in text(layout) and len(of_type(layout, "H1")) == 1


# -- Methodology -------------------------------------------------------------------------


def test_methodology_defines_every_outcome_and_states_k(app, pages, tiny_settings):
    layout = render(app, pages[1])
    words = text(layout)
    outcomes = by_id(layout, ids.METHOD_OUTCOMES)
    terms = [text(dt) for dt in of_type(outcomes, "Dt")]
    assert terms == [t(f"method.outcome.{o.value}") for o in Outcome]
    assert f"k = {tiny_settings.privacy_k}" in words
    assert "fewer than 5,000 residents" in text(by_id(layout, ids.METHOD_RATES))
    assert len(of_type(layout, "H1")) == 1 and len(of_type(layout, "H2")) >= 10
    assert "synthetic sample" in words


def test_methodology_states_the_row_rules_the_builder_applies(app, pages, tiny_settings):
    """The privacy section names the rows' ladder in the order the builder climbs it
    (``docs.ROW_STEPS``, the manifest's order), the alpha rule, and that response minutes
    are not in the rows: a reader must not be told an older rule than the one applied."""
    privacy = text(by_id(render(app, pages[1]), ids.METHOD_PRIVACY))
    step_words = {"generalized_time": "week becomes the month",
                  "generalized_category": "category becomes “other”",
                  "generalized_place": "district becomes “citywide”"}
    positions = [privacy.index(step_words[step]) for step in docs.ROW_STEPS if step in step_words]
    assert len(positions) == 3 and positions == sorted(positions)
    assert f"at least {tiny_settings.privacy_k} calls" in privacy and "more than half of a group" in privacy
    assert "Response time: rows do not carry it" in privacy


def test_methodology_says_what_an_attacker_can_and_cannot_learn(app, pages, tiny_settings):
    """Issue 12: the threat, what is learnable (the group, k, the half rule), what is not
    (minutes, finer places, any hidden count, with the LP check named), the limits, and
    why the rows changed; k and k-1 come from the settings, in both languages."""
    k = tiny_settings.privacy_k
    for lang in ("en", "es"):
        section = text(by_id(render(app, pages[1], lang=lang), ids.METHOD_ATTACKER))
        for key in ("method.attacker.can.heading", "method.attacker.cannot.heading",
                    "method.attacker.limits.heading", "method.attacker.rows.heading"):
            assert t(key, lang) in section
        assert t("method.attacker.cannot.hidden", lang, k=k, k_minus=k - 1) in section
        assert f"{k - 1}" in section and "HiGHS" in section
    english = text(by_id(render(app, pages[1]), ids.METHOD_ATTACKER))
    assert "never beside an outcome" in english and "79%" in english and "43%" in english


def test_methodology_has_the_sections_the_district_page_links_to(app, pages, tiny_settings):
    method = pages[1]
    layout = render(app, method)
    k = tiny_settings.privacy_k
    wanted = {
        "coverage": ("method.coverage.heading", ids.METHOD_COVERAGE),
        "council-districts": ("method.council.heading", ids.METHOD_COUNCIL),
        "planner": ("method.planner.heading", ids.METHOD_PLANNER),
        "rates": ("method.rates.heading", ids.METHOD_RATES),
    }
    for anchor, (heading, constant) in wanted.items():
        assert constant == anchor  # /methodology#planner is linked from the district page
        section = by_id(layout, anchor)
        assert type(section).__name__ == "Section"
        assert text(of_type(section, "H2")[0]) == t(heading)
    coverage = text(by_id(layout, "coverage"))
    assert f"1 to {k - 1} calls" in coverage and "out_of_hours" in coverage
    council = text(by_id(layout, "council-districts"))
    assert "10-minute bands" in council and "lower bounds" in council and "2019 boundaries" in council
    planner = text(by_id(layout, "planner"))
    assert "Erlang B" in planner and "Erlang C" in planner
    assert f"counts as {(k - 1) / 2:g} calls" in planner
    assert "will be described here" not in text(layout)  # the old placeholder is gone


# -- the planner's validation figures ---------------------------------------------------------

#: "2023, police district 3: estimated 43.5%, observed 46.0%" (``method.planner.check.*``).
CHECK = re.compile(
    r"^(?P<year>\d{4}), (?:whole city|police district (?P<district>\w+))[^:]*: "
    r"estimated (?P<estimated>\d+\.\d)%, observed (?P<observed>\d+\.\d)%$"
)
#: ``test_planner_history.test_district_estimates_share_the_city_vans``'s bound (points).
DISTRICT_TOLERANCE = 0.05


def stated_checks(method) -> dict[tuple[int, str], tuple[float, float]]:
    """(year, "city" or district id) -> (estimated, observed) as the page states them, in %."""
    out = {}
    for key in method.PLANNER_CHECKS:
        found = CHECK.match(t(f"method.planner.check.{key}"))
        assert found, key
        area = found["district"] or "city"
        out[int(found["year"]), area] = (float(found["estimated"]), float(found["observed"]))
    return out


def test_planner_checks_on_the_page_meet_the_history_tests_expectations(app, pages):
    """The figures the page quotes pass ``tests/integration/test_planner_history.py``."""
    method = pages[1]
    checks = stated_checks(method)
    planner = text(by_id(render(app, method), ids.METHOD_PLANNER))
    for (year, area), (estimated_pct, observed_pct) in checks.items():
        assert f"estimated {estimated_pct:.1f}%, observed {observed_pct:.1f}%" in planner
        estimated, observed = estimated_pct / 100, observed_pct / 100
        if area == "city" and year in PUBLISHED:
            assert abs(observed - PUBLISHED[year]) < 0.01, year
            assert abs(estimated - observed) < TOLERANCE, year
        elif area != "city":
            assert abs(estimated - observed) < DISTRICT_TOLERANCE, (year, area)
    assert {year for year, area in checks if area == "city"} >= set(PUBLISHED)
    assert {area for _, area in checks} >= {"3", "6"}
    assert f"2022 and 2023 stay within {TOLERANCE * 100:g} points" in planner
    assert f"3 and 6 within {DISTRICT_TOLERANCE * 100:g} points" in planner


@pytest.fixture(scope="module")
def shipped_store(shipped_settings) -> Store:
    return Store(shipped_settings)


def model_share(store: Store, year: int, area: str) -> tuple[float, float]:
    """(estimated, observed) share for the schedule in force, as the history test computes it."""
    city = store.cities["denver"]
    f = Filters("denver", date(year, 1, 1), date(year, 12, 1))
    city_inputs = district.planner_inputs(store, f, city, "city", "citywide")
    city_estimate = district.current_estimate(city_inputs, city)
    assert city_estimate is not None
    if area == "city":
        return city_estimate.share, city_inputs.observed_share
    inputs = district.planner_inputs(store, f, city, "district", area)
    share = district.area_estimate(inputs, city_estimate, district.in_area_share(city, inputs))
    return share, inputs.observed_share


def test_planner_checks_on_the_page_are_the_models_output(pages, shipped_store):
    """Every figure the page quotes is what the model gives on the shipped sample today.

    If this fails after the sample or the model changed, rerun the model (this test's
    ``model_share``) and update ``method.planner.check.*`` in ``dashboard/i18n/en.json``.
    """
    for (year, area), (estimated, observed) in stated_checks(pages[1]).items():
        got = model_share(shipped_store, year, area)
        assert (round(got[0] * 100, 1), round(got[1] * 100, 1)) == (estimated, observed), (year, area, got)


def test_the_pilot_paragraph_states_the_models_2020_output(shipped_store):
    """The honest paragraph on 2020: the city figures, the pilot districts' range, hidden cells."""
    paragraph = t("method.planner.check.pilot")
    estimated, observed = model_share(shipped_store, 2020, "city")
    assert f"{estimated:.1%} estimated against {observed:.1%} observed for the city" in paragraph
    pilot = shipped_store.cities["denver"].schedule[0].area_districts
    shares = [model_share(shipped_store, 2020, d) for d in pilot]
    low, high = min(e for e, _ in shares), max(e for e, _ in shares)
    seen_low, seen_high = min(o for _, o in shares), max(o for _, o in shares)
    assert f"{low:.0%} to {high:.0%} against {seen_low:.0%} to {seen_high:.0%}" in paragraph
    assert len(pilot) == 4 and "the four pilot districts" in paragraph
    f = Filters("denver", date(2020, 1, 1), date(2020, 12, 1))
    cells = district.coverage_cells(shipped_store, f, "district", "3")
    assert f"{int(cells['suppressed'].sum())} of {len(cells)} in district 3" in paragraph


def test_the_airport_example_matches_the_population_file_and_threshold(shipped_settings):
    population = pd.read_csv(REPO_ROOT / "geo" / "denver" / "population.csv", dtype={"id": str})
    airport = int(population.query("layer == 'districts' and id == '7'")["population"].iloc[0])
    threshold = Store(shipped_settings).cities["denver"].geo.low_population_threshold
    assert airport < threshold
    assert f"about {round(airport, -2):,} residents" in t("method.rates.airport")


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
    return Settings(data_dir=root, privacy_k=11, switch_delay=0.0)  # serve "second" at once


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
    sections = [c for c in walk(by_id(layout, ids.RELEASES_LIST)) if type(c).__name__ == "Section"]
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



def test_the_spanish_planner_figures_are_the_english_ones():
    """The page quotes the model's figures in both languages; the tests above check the
    English ones against the model, so every number of each Spanish check paragraph must be
    the English one's, in the same order (issue 13 item 7: es.json was not checked)."""
    number = re.compile(r"\d+(?:\.\d+)?")
    keys = [k for k in catalog("en") if k.startswith("method.planner.check")]
    assert len(keys) >= 10
    for key in keys:
        assert number.findall(t(key, "es")) == number.findall(t(key, "en")), key


def test_the_time_per_call_paragraph_states_the_models_sensitivity(shipped_store):
    """Issue 13 item 7: the sample's long calls are an assumption the answer hangs on; the
    Methodology page states the model's 2023 city estimate at the sample's time per call,
    at 120 minutes and at the mean of the real Lane County records, in both languages."""
    city = shipped_store.cities["denver"]
    year = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    inputs = district.planner_inputs(shipped_store, year, city, "city", "citywide")
    service = pd.read_parquet(shipped_store.release_path("lane_county") / "cube_service.parquet")
    lane = float(service["busy_minutes"].sum() / service["n"].sum())
    at = {m: district.current_estimate(inputs, city, m).share for m in (inputs.minutes_per_call, 120, lane)}
    en, es = t("method.planner.time", "en"), t("method.planner.time", "es")
    sample = inputs.minutes_per_call
    assert f"busy {sample:.0f} minutes on average" in en and f"busy {lane:.0f} minutes on average" in en
    assert (f"gives {at[sample]:.1%} with the sample's {sample:.0f} minutes per call, {at[120]:.1%} with "
            f"120 minutes and {at[lane]:.1%} with {lane:.0f} minutes") in en
    assert at[lane] > at[120] > at[sample]  # shorter calls, more answered
    number = re.compile(r"\d+(?:\.\d+)?")
    assert number.findall(es) == number.findall(en)


def test_the_planner_states_the_same_sensitivity_beside_each_answer(shipped_store):
    """The district planner's assumptions line gives the schedule-in-force estimate at half
    and at twice the measured time per call, computed by the same model (issue 13 item 7)."""
    from dashboard.views import district_sections

    city = shipped_store.cities["denver"]
    year = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    comparison = district.compare_plans(shipped_store, year, city, "district", "3")
    minutes = comparison.city_inputs.minutes_per_call
    half = district.current_estimate(comparison.city_inputs, city, minutes / 2).share
    double = district.current_estimate(comparison.city_inputs, city, minutes * 2).share
    assert half > comparison.city_current.share > double
    for lang in ("en", "es"):
        text = district_sections.planner_result(lang, city, comparison, "District 3").assumptions
        pct = district_sections.pct
        assert f"{minutes / 2:.0f}" in text and f"{minutes * 2:.0f}" in text, text
        assert pct(half, lang) in text and pct(double, lang) in text, text
