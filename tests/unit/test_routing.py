"""Which addresses the app answers (issue 12, items 9 and 11), through Flask's test client.

Pages answer 200 only at their own paths; anything else the pages' catch-all would take
answers 404 (the shell, whose router shows the not-found page in the reader's language).
Long addresses, wrong methods and odd queries get a short answer with the security
headers: JSON under the API, plain text in the reader's language elsewhere.
"""

from __future__ import annotations

import json

import dash
import pytest

from dashboard.routing import MAX_PATH_BYTES, MAX_QUERY_BYTES, is_page_path, longest_parameter
from dashboard.settings import Settings

from ..conftest import route_page


@pytest.fixture(scope="module")
def app():
    from dashboard.app import create_app

    return create_app(Settings())


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def assert_secured(response) -> None:
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


PAGES = ["/", "/data", "/data/", "/methodology", "/outcomes", "/impact", "/releases", "/districts",
         "/district/3",
         "/district/council-10", "/district/Eugene"]
NOT_PAGES = ["/.git/config", "/nope", "/404", "/district", "/district/3/extra", "/wp-login.php",
             "/api", "/assetsx", "/%2e%2e/etc/passwd", "/data/x", "/_dash-layout/x"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_path_answers_200(client, path):
    response = client.get(path)
    assert response.status_code == 200, path
    assert_secured(response)


@pytest.mark.parametrize("path", NOT_PAGES)
def test_any_other_address_answers_404(client, path):
    for method in ("GET", "HEAD"):
        response = client.open(path, method=method)
        assert response.status_code == 404, (method, path)
        assert_secured(response)
        assert response.headers["Cache-Control"] == "no-store"


def test_the_404_is_the_shell_in_the_readers_language(client):
    response = client.get("/nope?lang=es")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="es">' in html and "_dash-renderer" in html
    assert "<title>Página no encontrada" in html
    assert "<noscript><h1>Página no encontrada</h1>" in html  # without JavaScript too
    # ... whose router (what the browser asks next) renders the not-found page in Spanish
    routed = route_page(client, "/nope", "?lang=es")
    assert routed.status_code == 200
    assert "Página no encontrada" in json.dumps(routed.get_json(), ensure_ascii=False)


def test_the_app_knows_its_page_paths(app):
    assert [p for p in PAGES if not is_page_path(app, p)] == []
    assert [p for p in NOT_PAGES if is_page_path(app, p)] == []
    templates = [p["path_template"] for p in dash.page_registry.values() if p.get("path_template")]
    assert templates == ["/district/<district_id>"]  # a new template: add its paths to PAGES


@pytest.mark.parametrize(
    "path",
    ["/api/v1/", "/api/v1/openapi.json", "/assets/favicon.svg", "/_dash-layout", "/_dash-dependencies",
     "/_dash-component-suites/plotly/package_data/plotly.min.js"],
)
def test_the_api_assets_and_dash_routes_are_not_pages_and_still_answer(client, path):
    assert client.get(path).status_code == 200, path


def test_a_long_query_is_refused_naming_the_parameter(client):
    long = "x" * MAX_QUERY_BYTES
    api = client.get(f"/api/v1/summary?city=denver&district={long}")
    assert api.status_code == 414 and api.mimetype == "application/json"
    error = api.get_json()["error"]
    assert error["status"] == 414 and [p["parameter"] for p in error["problems"]] == ["district"]
    assert len(error["problems"][0]["value"]) <= 40
    assert_secured(api)
    page = client.get(f"/outcomes?lang=es&start={long}")
    assert page.status_code == 414 and page.mimetype == "text/plain"
    text = page.get_data(as_text=True)
    assert "demasiado larga" in text and "«start»" in text and len(text) < 400
    assert_secured(page)
    # a query just under the limit is the page's business (it drops what it cannot use)
    fits = client.get("/?start=" + "x" * (MAX_QUERY_BYTES - len("start=")))
    assert fits.status_code == 200


def test_a_long_path_is_refused(client):
    response = client.get("/district/" + "9" * MAX_PATH_BYTES)
    assert response.status_code == 414 and "path" in response.get_data(as_text=True)
    assert_secured(response)


def test_the_longest_parameter_is_named_from_the_raw_query():
    assert longest_parameter(b"a=1&bb=" + b"%E2%9C%93" * 30 + b"&c=2") == ("bb", "✓" * 30, 3 + 9 * 30)
    name, value, size = longest_parameter(b"x" * 5000)
    assert name == "x" * 37 + "..." and value == "" and size == 5000


@pytest.mark.parametrize(
    ("method", "path", "status", "allow"),
    [
        ("POST", "/", 405, "GET, HEAD, OPTIONS"),
        ("DELETE", "/data", 405, "GET, HEAD, OPTIONS"),
        ("PUT", "/nope", 405, "GET, HEAD, OPTIONS"),
        ("BREW", "/", 405, "GET, HEAD, OPTIONS"),
        ("TRACE", "/api/v1/summary", 405, "GET, HEAD, OPTIONS"),
        ("PATCH", "/api/v1/releases", 405, "GET, HEAD, OPTIONS"),
        ("OPTIONS", "/", 200, "GET, HEAD, OPTIONS"),
        ("OPTIONS", "/api/v1/calls.csv", 200, "GET, HEAD, OPTIONS"),
        ("OPTIONS", "/_dash-update-component", 200, "OPTIONS, POST"),
        ("GET", "/_dash-update-component", 405, "OPTIONS, POST"),
        ("HEAD", "/_dash-update-component", 405, "OPTIONS, POST"),
        ("OPTIONS", "/api/v1/nothing", 404, None),
    ],
)
def test_methods_and_allow(client, method, path, status, allow):
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.headers.get("Allow") == allow
    assert_secured(response)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and "<html><head><title>" not in body
    if status >= 400 and path.startswith("/api/"):
        assert response.get_json()["error"]["status"] == status
    elif status == 405 and path.startswith("/_dash-"):
        assert method == "HEAD" or response.get_json()["error"]["status"] == 405
    elif status == 405:
        assert response.mimetype == "text/plain" and method[:10] in body


def test_a_405_speaks_the_readers_language(client):
    response = client.post("/data?lang=es")
    assert response.status_code == 405 and "no admite el método POST" in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "query",
    ["start=%ff%fe&end=%c0%af", "district=%00", "city=denver&city=grand_junction&city=x",
     "program=STAR&program=STAR&program=STAR", "lang=%ff", "lang=es&lang=en", "%ff=1", "a" * 200 + "=b",
     "start=%D9%A2%D9%A0%D9%A2%D9%A3-%D9%A0%D9%A1"],
)
def test_odd_queries_never_break_a_page_or_the_api(client, query):
    for path in ("/", "/district/3", "/api/v1/summary", "/api/v1/calls.json"):
        response = client.get(f"{path}?{query}")
        assert response.status_code in (200, 400), (path, query, response.status_code)
        assert_secured(response)
        if path.startswith("/api/") and response.status_code == 400:
            problems = response.get_json()["error"]["problems"]
            assert problems and all(len(p["value"]) <= 40 for p in problems)
    routed = route_page(client, "/", "?" + query)
    assert routed.status_code == 200
    assert "Traceback" not in json.dumps(routed.get_json())


@pytest.mark.parametrize("path", ["/api/v1", "/api//v1/summary", "//api/v1/summary?city=denver"])
def test_redirects_never_name_the_clients_host(client, path):
    response = client.get(path, headers={"Host": "evil.example"})
    if response.status_code in (301, 302, 307, 308):
        location = response.headers["Location"]
        assert location.startswith("/") and not location.startswith("//"), location
        assert "evil" not in location
    else:
        assert response.status_code in (200, 404)
    assert "evil.example" not in response.get_data(as_text=True)
