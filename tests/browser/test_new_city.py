"""A city the project has never seen goes from its raw export to a served Overview with a
map, by configuration alone (issue 14's "done means"), in a real Chromium.

The city is ``tests/fixtures/beat_city.py``: split date and time with placeholder dates,
``-`` dispositions, padded mixed-case beat codes, only patrol and CIT officers, no person
id, beat boundaries without population. The operator's two commands run as an operator
runs them (``crisis-dashboard geo-build`` and ``ingest``, settings from the environment),
then the app serves the result and the page is read as a person reads it: the numbers
must be the ones the published CSV gives, and the fields the city does not record must
say so.
"""

from __future__ import annotations

import csv
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from werkzeug.serving import make_server

from dashboard import ids
from dashboard.contract.releases import current_release_dir
from dashboard.settings import Settings
from tests.browser.test_map_click import KPI_VALUES, MAP_FILLS, new_page, open_overview
from tests.fixtures.beat_city import BEATS, CITY_ID, UNKNOWN_BEAT, BeatCity, write_beat_city

pytestmark = pytest.mark.browser


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], env=env, capture_output=True,
                          text=True, timeout=300, check=False)


@pytest.fixture(scope="module")
def new_city(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BeatCity, Settings, str, str]]:
    """The fixture city built by the CLI, served from a thread: (city, settings, base URL,
    the ingest's printed summary)."""
    root = tmp_path_factory.mktemp("beatville")
    city = write_beat_city(root)
    env = {**os.environ, "CRISIS_DATA_DIR": str(root / "data"), "CRISIS_GEO_DIR": str(city.geo_dir),
           "CRISIS_DEFAULT_CITY": CITY_ID}
    built = _cli("geo-build", "--city", CITY_ID, env=env)
    assert built.returncode == 0, built.stderr
    ingested = _cli("ingest", str(city.export), "--city", str(city.cities_dir / f"{CITY_ID}.toml"), env=env)
    assert ingested.returncode == 0, ingested.stderr + ingested.stdout
    settings = Settings(data_dir=root / "data", geo_dir=city.geo_dir, default_city=CITY_ID)

    from dashboard.app import create_app

    app = create_app(settings)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="new-city-server", daemon=True)
    thread.start()
    try:
        yield city, settings, f"http://127.0.0.1:{server.server_port}", ingested.stdout + ingested.stderr
    finally:
        server.shutdown()
        thread.join(timeout=10)


def _published_rows(settings: Settings) -> list[dict[str, str]]:
    with (current_release_dir(settings.releases_dir, CITY_ID) / "calls.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def test_ingest_accounts_for_every_row_and_names_the_unknown_beat(new_city):
    city, settings, _, summary = new_city
    manifest = json.loads((current_release_dir(settings.releases_dir, CITY_ID) / "manifest.json").read_text())
    rows = manifest["rows"]
    rejected = city.rows - city.accepted
    assert (rows["read"], rows["accepted"], rows["rejected"]) == (city.rows, city.accepted, rejected)
    assert UNKNOWN_BEAT in summary.upper()
    # Placeholder times were read from the date and time columns: none of them was rejected.
    assert manifest["ingest"]["rejected_by_reason"] == {"unknown_code": city.rows - city.accepted}
    assert set(manifest["ingest"]["not_recorded"]) == {"star_eligible", "police_backup", "repeat_contact_90d"}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_served_overview_has_a_map_and_the_csvs_numbers(browser, console, new_city, lang):
    _, settings, base, _ = new_city
    published = _published_rows(settings)
    page = new_page(browser, console)
    try:
        open_overview(page, base, f"?city={CITY_ID}" + ("&lang=es" if lang == "es" else ""))
        # A map of the nine beats, drawn (boundaries without population, codes matched directly).
        assert page.locator(f"#{ids.OVERVIEW_MAP_WRAP}").is_visible()
        drawn = page.evaluate(
            """(graphId) => document.getElementById(graphId).querySelector('.js-plotly-plot').data
                   .filter(t => t.fill === 'toself').map(t => t.customdata[0])""",
            ids.OVERVIEW_MAP_GRAPH)
        assert sorted(drawn) == list(BEATS)
        assert page.locator(MAP_FILLS).count() >= len(BEATS)

        summary = page.locator(f"#{ids.OVERVIEW_SUMMARY}").inner_text()
        assert f"{len(published):,}" in summary
        cards = page.locator(f"#{ids.OVERVIEW_KPIS} .kpi-card").all_inner_texts()
        by_program = {p: sum(r["response_type"] == p for r in published) for p in ("CIT_OFFICER", "PATROL")}
        values = page.locator(KPI_VALUES).all_inner_texts()
        assert values[:2] == [f"{by_program['CIT_OFFICER']:,}", f"{by_program['PATROL']:,}"]
        # Arrests are a share of the calls with an outcome recorded, the rest counted beside.
        recorded = [r for r in published if r["outcome"] != "not_recorded"]
        arrests = sum(r["outcome"] == "arrest" for r in recorded)
        share = f"{100 * arrests / len(recorded):.1f}" + ("\u00a0%" if lang == "es" else "%")
        arrest_card = next(c for c in cards if share in c)
        assert f"{len(published) - len(recorded):,}" in arrest_card
        # Eligibility and backup are not recorded here: a dash and the reason, never 0%.
        words = "No registrado" if lang == "es" else "Not recorded"
        assert sum(words in c for c in cards) == 2, cards
        assert not any("0.0%" in c or "0.0\u00a0%" in c for c in cards), cards
        # No eligible share to map where the city records no eligibility (issue 14).
        radios = page.locator(f"#{ids.OVERVIEW_MAP_METRIC} input")
        metrics = radios.evaluate_all("els => els.map(e => e.value)")
        assert "alt_share" not in metrics and "count" in metrics, metrics
        # The city's own words: its beats, its team's name.
        body = page.locator("main").inner_text()
        assert ("Sector policial" if lang == "es" else "Police beat") in body
        assert ("Equipo de Intervención en Crisis" if lang == "es" else "Crisis Intervention Team") in body
    finally:
        page.context.close()
