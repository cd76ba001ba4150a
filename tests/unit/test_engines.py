"""Same numbers on both engines (issue 16, item 2): every page, callback and API answer
the shipped releases give on the embedded DuckDB, byte for byte, on PostgreSQL.

The query suites (``test_queries``, ``test_export``, ``test_outcomes``, ``test_api``)
run on each engine through the ``engine`` fixture; this module compares the two
engines' answers directly, for what a reader and a journalist actually receive: the
first view of each page (its HTML), Dash's page-routing and Overview callbacks (the
page data as JSON), and the API's JSON and CSV. The PostgreSQL side is a real server
(``conftest.postgres_server``) holding the same releases, loaded by ``publish``.
"""

from __future__ import annotations

import re

import pytest

from dashboard.settings import Settings

from ..conftest import ENGINES, on_engine, route_page
from .test_app import controls_callback

PAGES = [
    "/", "/?city=grand_junction", "/?city=lane_county", "/?lang=es",
    "/?program=STAR&start=2024-01&end=2024-06", "/?district=3&category=mental_health",
    "/district/3", "/district/1?lang=es", "/district/6?program=STAR", "/district/Eugene?city=lane_county",
    "/outcomes", "/outcomes?city=grand_junction", "/outcomes?lang=es&start=2023-01",
    "/districts", "/data", "/data?city=lane_county", "/methodology", "/releases", "/impact",
]

API = [
    "/api/v1/summary?city=denver", "/api/v1/summary?city=grand_junction&start=2023-01&end=2023-12",
    "/api/v1/summary?city=denver&program=STAR&program=CIT_OFFICER&district=3&district=6",
    "/api/v1/calls.json?city=denver&page=3&page_size=500",
    "/api/v1/calls.json?city=lane_county&category=mental_health",
    "/api/v1/calls.csv?city=grand_junction", "/api/v1/calls.csv?city=denver&start=2024-01&end=2024-03",
    "/api/v1/charts/programs.csv?city=denver", "/api/v1/charts/trend.csv?city=denver&district=3",
    "/api/v1/charts/kpis.csv?city=grand_junction", "/api/v1/releases",
]

OVERVIEW_VIEWS = [
    {"city": "denver"},
    {"city": "denver", "programs": ["STAR"], "districts": ["3", "6"], "metric": "median_minutes"},
    {"city": "grand_junction", "start": "2023-01", "end": "2023-12", "level": "precinct"},
    {"city": "lane_county", "categories": ["mental_health", "welfare_check"], "lang": "es"},
]


@pytest.fixture(scope="module")
def clients(shipped_settings: Settings, request: pytest.FixtureRequest) -> dict:
    from dashboard.app import create_app

    return {e: create_app(on_engine(shipped_settings, e, request)).server.test_client() for e in ENGINES}


def _without_tokens(text: str) -> str:
    """The page less what differs on every answer by design (Dash's CSRF-like end id, nonces)."""
    text = re.sub(r'"end_id":"[^"]*"', "", text)
    return re.sub(r'nonce="[^"]*"', "", text)


def _first_view(html: str) -> str:
    found = re.search(r'<div id="react-entry-point">(.*?)<template', html, re.S)
    assert found, "the page carries no first view"
    return found.group(1)


@pytest.mark.parametrize("address", PAGES)
def test_every_page_reads_the_same_on_both_engines(clients, address):
    answers = {e: c.get(address) for e, c in clients.items()}
    assert {a.status_code for a in answers.values()} == {200}
    views = {e: _without_tokens(_first_view(a.get_data(as_text=True))) for e, a in answers.items()}
    main = re.search(r"<main.*</main>", views["duckdb"], re.S)
    assert main, "no main content"
    assert 'class="alert alert-danger' not in main.group(0), "the page drew its error message"
    assert re.search(r">[^<]*\d[^<]*<", main.group(0)), "no number on the page"
    assert views["postgres"] == views["duckdb"]


@pytest.mark.parametrize("address", PAGES[:12])
def test_dash_draws_the_same_page_data_on_both_engines(clients, address):
    path, _, query = address.partition("?")
    answers = {e: route_page(c, path, "?" + query if query else "") for e, c in clients.items()}
    assert {a.status_code for a in answers.values()} == {200}
    bodies = {e: _without_tokens(a.get_data(as_text=True)) for e, a in answers.items()}
    assert bodies["postgres"] == bodies["duckdb"]


@pytest.mark.parametrize("view", OVERVIEW_VIEWS, ids=lambda v: "-".join(f"{k}={v[k]}" for k in v))
def test_the_overview_callback_answers_the_same_on_both_engines(clients, view):
    answers = {e: controls_callback(c, **view) for e, c in clients.items()}
    assert {a.status_code for a in answers.values()} == {200}
    bodies = {e: a.get_data(as_text=True) for e, a in answers.items()}
    assert '"figure"' in bodies["duckdb"]
    assert bodies["postgres"] == bodies["duckdb"]


@pytest.mark.parametrize("url", API)
def test_the_api_answers_the_same_bytes_on_both_engines(clients, url):
    answers = {e: c.get(url) for e, c in clients.items()}
    assert {a.status_code for a in answers.values()} == {200}, {e: a.get_data(as_text=True)[:300]
                                                                for e, a in answers.items()}
    assert answers["postgres"].get_data() == answers["duckdb"].get_data()
    for header in ("ETag", "X-Release-Id", "Content-Type", "Content-Disposition"):
        assert answers["postgres"].headers.get(header) == answers["duckdb"].headers.get(header), header
