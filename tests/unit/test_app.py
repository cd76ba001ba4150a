"""The app through Flask's test client: headers, index page, bad input, no CDN, warm-up."""

from __future__ import annotations

import json
import re

import pytest

from dashboard import ids
from dashboard.settings import Settings

from ..conftest import route_page

CDN_HOSTS = ("cdn.plot.ly", "unpkg.com", "cdn.jsdelivr.net", "cdnjs.cloudflare.com", "fonts.googleapis.com")


@pytest.fixture(scope="module")
def app():
    from dashboard.engine.engines import get_store

    get_store.cache_clear()
    from dashboard.app import create_app

    app = create_app(Settings())
    # Creating the app (including its warm-up requests) must not open the data.
    assert get_store.cache_info().currsize == 0
    return app


@pytest.fixture(scope="module")
def client(app):
    return app.server.test_client()


def route(client, search: str):
    """What the browser asks when it opens ``/<search>``: Dash's page-routing callback."""
    return route_page(client, "/", search)


def controls_callback(client, page_release=None, **values):
    """The Overview's main callback with the given (untrusted) control values (and the
    releases the page was rendered with, ``page_release``, as the page sends them)."""
    names = ["city", "start", "end", "programs", "districts", "categories", "metric", "level"]
    control_ids = {
        "city": ids.OVERVIEW_CITY,
        "start": ids.OVERVIEW_START,
        "end": ids.OVERVIEW_END,
        "programs": ids.OVERVIEW_PROGRAMS,
        "districts": ids.OVERVIEW_DISTRICTS,
        "categories": ids.OVERVIEW_CATEGORIES,
        "metric": ids.OVERVIEW_MAP_METRIC,
        "level": ids.OVERVIEW_MAP_LEVEL,
    }
    props = {"metric": "value", "level": "value"}
    from dashboard.pages.overview import _UPDATE_OUTPUTS

    outputs = [{"id": o.component_id, "property": o.component_property} for o in _UPDATE_OUTPUTS.values()]
    body = {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [
            {"id": control_ids[n], "property": props.get(n, "value"), "value": values.get(n)} for n in names
        ],
        "state": [
            {"id": ids.OVERVIEW_MAP_KEY, "property": "data", "value": "denver|district"},
            {"id": ids.OVERVIEW_LANG, "property": "data", "value": values.get("lang", "en")},
            {"id": ids.PAGE_RELEASE, "property": "data", "value": page_release},
        ],
        "changedPropIds": [f"{ids.OVERVIEW_PROGRAMS}.value"],
    }
    return client.post("/_dash-update-component", json=body)


def test_index_has_language_and_strict_security_headers(client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert re.search(r'<html lang="en">', html)
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
    assert 'href="#main"' in html  # skip link


def test_every_inline_script_is_allowed_by_a_hash(app, client):
    html = client.get("/").get_data(as_text=True)
    inline = re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>(.*?)</script>", html, re.S)
    import base64
    import hashlib

    csp = client.get("/").headers["Content-Security-Policy"]
    for script in inline:
        digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        assert f"'sha256-{digest}'" in csp


def test_no_cdn_and_no_full_plotly_bundle_in_the_page(client):
    html = client.get("/").get_data(as_text=True)
    for host in CDN_HOSTS:
        assert host not in html
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert all(s.startswith("/") or s.startswith("#") for s in sources), sources
    # plotly.js is not a page script: dcc.Graph fetches it on demand from dash-renderer's
    # address for it, which serves the vendored basic bundle, never the full one.
    assert not any(re.search(r"plotly(-basic)?(\.min)?\.js", s) for s in sources), sources
    from dashboard.app import DCC_PLOTLY_PATH, PLOTLY_BUNDLE

    served = client.get("/" + DCC_PLOTLY_PATH)
    assert served.status_code == 200 and served.mimetype == "text/javascript"
    assert served.get_data() == PLOTLY_BUNDLE.read_bytes()


def test_garbage_query_gets_a_page_not_a_500(client):
    response = client.get("/?district=<script>alert(1)</script>&start=banana")
    assert response.status_code == 200
    assert "<script>alert(1)" not in response.get_data(as_text=True)  # not reflected unescaped

    routed = route(client, "?district=<script>alert(1)</script>&start=banana&metric=zz&level=9&city=atlantis")
    assert routed.status_code == 200
    text = routed.get_data(as_text=True)
    assert "Traceback" not in text
    payload = json.loads(text)
    page = json.dumps(payload["response"]["_pages_content"]["children"])
    assert "could not be used" in page
    assert "banana" in page and "atlantis" in page and "zz" in page
    assert "How Denver answers crisis calls" in page  # the nearest valid view, not an error page


def test_repeated_and_empty_params_are_tolerated(client):
    routed = route(client, "?program=STAR&program=STAR&program=&district=3&district=3&start=&end=2099-01-01")
    assert routed.status_code == 200
    page = routed.get_data(as_text=True)
    assert "outside the data" in page


def test_callback_validates_untrusted_values(client):
    response = controls_callback(
        client,
        city="denver",
        start="$gt",
        end="2025-12-01",
        programs=["STAR", "x" * 10_000],
        districts="3",
        categories=["<script>"],
        metric="count",
        level="district",
    )
    assert response.status_code == 200
    body = response.get_data(as_text=True)
    assert "Traceback" not in body
    result = json.loads(body)["response"]
    notice = json.dumps(result[ids.OVERVIEW_NOTICE]["children"])
    assert "could not be used" in notice
    assert "x" * 100 not in notice  # long values are shortened in messages
    assert "district=3" in result[ids.OVERVIEW_URL]["search"]
    # A value no form control can have never reaches the callback (callback_guard).
    wrong = controls_callback(client, city="denver", start={"$gt": ""}, categories=[{"a": 1}])
    assert wrong.status_code == 400
    problems = [p["parameter"] for p in wrong.get_json()["error"]["problems"]]
    assert problems == ["inputs[1].value", "inputs[5].value"]


def test_unchanged_map_areas_are_patched_not_resent(client):
    response = controls_callback(
        client,
        city="denver",
        start="2025-01-01",
        end="2025-06-01",
        programs=["STAR"],
        districts=None,
        categories=None,
        metric="per_1000",
        level="district",
    )
    result = json.loads(response.get_data(as_text=True))["response"]
    figure = result[ids.OVERVIEW_MAP_GRAPH]["figure"]
    assert "__dash_patch_update" in figure
    assert len(json.dumps(figure)) < 10_000


def test_a_new_district_selection_patches_the_maps_frame(client):
    """The map zooms to the selected districts without resending its polygons."""
    common = dict(city="denver", start="2025-01-01", end="2025-06-01", programs=None, categories=None,
                  metric="count", level="district")
    whole = json.loads(controls_callback(client, districts=None, **common).get_data(as_text=True))
    zoomed = json.loads(controls_callback(client, districts=["3"], **common).get_data(as_text=True))
    ranges = []
    for result in (whole, zoomed):
        figure = result["response"][ids.OVERVIEW_MAP_GRAPH]["figure"]
        assert "__dash_patch_update" in figure
        operations = {json.dumps(op["location"]): op["params"]["value"] for op in figure["operations"]}
        ranges.append(tuple(operations[f'["layout", "{axis}", "range"]'] for axis in ("xaxis", "yaxis")))
    (wx, wy), (zx, zy) = ranges
    assert zx[1] - zx[0] < (wx[1] - wx[0]) / 2 and zy[1] - zy[0] < (wy[1] - wy[0]) / 2
    assert wx[0] < zx[0] < zx[1] < wx[1] and wy[0] < zy[0] < zy[1] < wy[1]


def map_click_request(client, click, search: str, lang: str = "en"):
    body = {
        "output": f"{ids.OVERVIEW_MAP_GO}.href",
        "outputs": {"id": ids.OVERVIEW_MAP_GO, "property": "href"},
        "inputs": [{"id": ids.OVERVIEW_MAP_GRAPH, "property": "clickData", "value": click}],
        "state": [
            {"id": ids.OVERVIEW_URL, "property": "search", "value": search},
            {"id": ids.OVERVIEW_LANG, "property": "data", "value": lang},
        ],
        "changedPropIds": [f"{ids.OVERVIEW_MAP_GRAPH}.clickData"],
    }
    return client.post("/_dash-update-component", json=body)


def map_click(client, click, search: str, lang: str = "en"):
    response = map_click_request(client, click, search, lang)
    if response.status_code == 204:  # nothing to do (PreventUpdate)
        return None
    assert response.status_code == 200
    update = json.loads(response.get_data(as_text=True))["response"]
    return update[ids.OVERVIEW_MAP_GO]["href"] if update else None  # empty: no_update


def test_a_click_on_the_map_opens_the_districts_page(client):
    view = "?city=denver&start=2024-03-01&end=2024-10-01&program=STAR"
    district = map_click(client, {"points": [{"curveNumber": 2, "customdata": ["3"]}]}, view)
    assert district == "/district/3?city=denver&start=2024-03-01&end=2024-10-31"
    # a precinct opens its district's page
    precinct_view = view + "&level=precinct"
    precinct = map_click(client, {"points": [{"curveNumber": 0, "customdata": ["111"]}]}, precinct_view)
    assert precinct == "/district/1?city=denver&start=2024-03-01&end=2024-10-31"
    # the default view when the address has no query
    default = map_click(client, {"points": [{"customdata": ["6"]}]}, "")
    assert default.startswith("/district/6?city=denver&start=")


@pytest.mark.parametrize(
    ("click", "search"),
    [
        ({"points": [{"customdata": ["99"]}]}, "?city=denver"),  # no such district
        ({"points": [{"customdata": ["111"]}]}, "?city=denver"),  # a precinct id on the district map
        ({"points": [{"customdata": [{"x": 1}]}]}, "?city=denver"),
        ({"points": []}, "?city=denver"),
        ({"points": [{"customdata": ["1"]}]}, "?city=grand_junction"),  # no boundaries, no map
        ({"points": [{"customdata": ["3"]}]}, "x" * 5000),
    ],
)
def test_a_bad_click_goes_nowhere(client, click, search):
    assert map_click(client, click, search) is None


def test_a_click_that_is_no_click_is_refused(client):
    """clickData is an object or null in a browser; anything else never reaches the callback."""
    for click in ("garbage", ["points"], 3):
        response = map_click_request(client, click, "?city=denver")
        assert response.status_code == 400
        assert response.get_json()["error"]["problems"][0]["parameter"] == "inputs[0].value"


def test_charts_offer_a_png_download_and_nothing_else(client):
    """The mode bar holds one button, "download as PNG" at twice the resolution, named after the view."""
    from dashboard.components.chart_table import GRAPH_CONFIG, graph_config

    assert GRAPH_CONFIG["displayModeBar"] == "hover" and GRAPH_CONFIG["modeBarButtons"] == [["toImage"]]
    assert GRAPH_CONFIG["displaylogo"] is False
    assert GRAPH_CONFIG["responsive"] is True and GRAPH_CONFIG["scrollZoom"] is False
    named = graph_config("trend_denver")
    assert named["toImageButtonOptions"] == {"format": "png", "filename": "trend_denver", "scale": 2}
    assert GRAPH_CONFIG["toImageButtonOptions"]["filename"] == "chart"  # the shared default is untouched

    text = route(client, "?city=denver&start=2024-01&end=2024-06&district=3").get_data(as_text=True)
    configs = {}

    def walk(node):
        if isinstance(node, dict):
            props = node.get("props", {})
            if isinstance(props, dict) and "config" in props and "id" in props:
                configs[props["id"]] = props["config"]
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads(text))
    trend = configs[ids.OVERVIEW_TREND_GRAPH]["toImageButtonOptions"]
    assert trend["filename"].startswith("trend_denver_2024-01-01_2024-06-30_district-3_release-")
    map_name = configs[ids.OVERVIEW_MAP_GRAPH]["toImageButtonOptions"]["filename"]
    assert map_name.startswith("map_denver_2024-01-01_2024-06-30_district-3_level-district_metric-count_")
    assert not map_name.endswith(".csv")


def test_malformed_callback_request_gets_a_plain_message(client):
    response = client.post("/_dash-update-component", data="not json", content_type="application/json")
    assert response.status_code in (400, 500)
    body = response.get_data(as_text=True)
    assert "Traceback" not in body and 'File "' not in body


def test_warm_up_requests_succeed(app):
    from dashboard.security import warm

    results = warm(app)
    assert len(results) > 5
    assert all(status < 400 for _, status in results), results


def test_server_attribute_is_lazy():
    import dashboard.app as module

    assert "server" not in vars(module)
    with pytest.raises(AttributeError):
        module.no_such_thing  # noqa: B018


def test_vendored_plotly_bundle_matches_plotly_py():
    """dcc.Graph hands figures from plotly.py to this bundle: their versions must agree."""
    from plotly.offline import get_plotlyjs_version

    from dashboard.app import ASSETS_DIR

    head = (ASSETS_DIR / "vendor" / "plotly-basic.min.js").read_text(encoding="utf-8")[:200]
    assert f"v{get_plotlyjs_version()}" in head
    assert "basic" in head


def test_not_found_page_is_friendly(client):
    routed = client.post(
        "/_dash-update-component",
        json={
            "output": ".._pages_content.children..._pages_store.data..",
            "outputs": [
                {"id": "_pages_content", "property": "children"},
                {"id": "_pages_store", "property": "data"},
            ],
            "inputs": [
                {"id": "_pages_location", "property": "pathname", "value": "/no/such/page"},
                {"id": "_pages_location", "property": "search", "value": ""},
            ],
            "changedPropIds": ["_pages_location.pathname"],
            "state": [],
        },
    )
    assert routed.status_code == 200
    assert "Page not found" in routed.get_data(as_text=True)


def _used_keys() -> tuple[set[str], set[str]]:
    """Literal t() keys and f-string key prefixes in the web modules."""
    from dashboard.settings import REPO_ROOT

    files = [REPO_ROOT / "dashboard" / name for name in ("app.py", "security.py")]
    files += sorted((REPO_ROOT / "dashboard" / "figures").glob("*.py"))
    files += sorted((REPO_ROOT / "dashboard" / "components").glob("*.py"))
    files += sorted((REPO_ROOT / "dashboard" / "pages").glob("*.py"))
    literal, prefixes = set(), set()
    for path in files:
        text = path.read_text(encoding="utf-8")
        literal |= set(re.findall(r'\bt\(\s*"([a-z0-9_.]+)"', text))
        prefixes |= set(re.findall(r'\bt\(\s*f"([a-z0-9_.]+)\{', text))
        literal |= set(re.findall(r'key = "([a-z0-9_.]+)"', text))
        literal |= set(re.findall(r'"(overview\.summary[a-z_]*)"', text))
    return literal, prefixes


def test_every_message_key_exists_in_english():
    from dashboard.contract.schema import CallCategory, ResponseType
    from dashboard.figures import MAP_METRICS, MAP_REASONS
    from dashboard.i18n import catalog

    english = catalog("en")
    literal, prefixes = _used_keys()
    assert literal and prefixes
    assert sorted(literal - set(english)) == []
    for prefix in prefixes:
        assert any(key.startswith(prefix) for key in english), prefix
    expected = {f"program.{p.value}" for p in ResponseType}
    expected |= {f"category.{c.value}" for c in CallCategory}
    expected |= {f"month.{m}" for m in range(1, 13)}
    expected |= {
        f"{k}.{m}"
        for m in MAP_METRICS
        for k in ("map.metric", "figure.map.hover", "figure.map.colorbar", "figure.map.legend")
    }
    expected |= {f"notice.none_selected.{g}" for g in ("programs", "districts", "categories")}
    expected |= {f"figure.map.hover.reason.{r}" for r in MAP_REASONS}
    expected |= {f"figure.map.hover.at_least.{m}" for m in ("count", "per_1000")}
    from dashboard.components.explainer import MEASURES
    from dashboard.queries.outcomes import COMPARISONS

    expected |= {f"explain.measure.{m}{s}" for m in MEASURES for s in ("", ".term")}
    expected |= {f"explain.program.{p.value}" for p in ResponseType}
    expected |= {f"explain.page.{page}" for page in ("overview", "district", "outcomes")}
    expected |= {f"outcomes.{k}.{c}" for k in ("compare", "download") for c in COMPARISONS}
    expected |= {f"outcomes.fallback.to_{c}" for c in COMPARISONS if c != "eligible"}
    assert sorted(expected - set(english)) == []


def test_fingerprinted_scripts_and_styles_are_cached_and_brotli_compressed(client):
    import brotli

    from dashboard.security import IMMUTABLE

    html = client.get("/").get_data(as_text=True)
    scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
    suite = next(u for u in scripts if "_dash-component-suites/dash/dcc/" in u)
    style = next(u for u in re.findall(r'<link[^>]+href="([^"]+)"', html) if "app.css?m=" in u)
    from dashboard.app import DCC_PLOTLY_PATH

    plotly = "/" + DCC_PLOTLY_PATH  # no version in its address: a day, then revalidated
    for url in (plotly, suite, style):
        plain = client.get(url)
        packed = client.get(url, headers={"Accept-Encoding": "gzip, deflate, br, zstd"})
        expected = "public, max-age=86400" if url == plotly else IMMUTABLE
        assert packed.status_code == 200 and packed.headers["Cache-Control"] == expected, url
        assert packed.headers["Content-Encoding"] == "br" and "Accept-Encoding" in packed.headers["Vary"]
        assert brotli.decompress(packed.get_data()) == plain.get_data(), url
        assert "Content-Security-Policy" in packed.headers
    # Addresses without a fingerprint are revalidated as before; pages are not cached.
    assert "immutable" not in client.get("/assets/favicon.svg").headers.get("Cache-Control", "")
    assert "immutable" not in client.get("/").headers.get("Cache-Control", "")


def test_no_page_uses_dash_table_whose_bundle_is_dropped(client):
    """``create_app`` drops dash_table's bundle: DataTable would not render."""
    from dashboard.settings import REPO_ROOT

    modules = (REPO_ROOT / "dashboard").rglob("*.py")
    users = [p for p in modules if "dash_table" in p.read_text(encoding="utf-8")]
    assert [p.name for p in users] == ["app.py"], "a page uses dash_table: remove _drop_unused_dash_table"
    assert "dash_table/bundle" not in client.get("/").get_data(as_text=True)


def test_url_problems_are_told_in_the_readers_language(client):
    """parse_filters records problems as message keys; each page says them in Spanish."""
    for path in ("/", "/outcomes", "/district/3"):
        body = json.dumps(route_page(client, path, "?city=nowhere&start=banana&lang=es").get_json(),
                          ensure_ascii=False)
        assert "Ciudad desconocida “nowhere”" in body and "no es una fecha" in body, path
        assert "Unknown city" not in body and "is not a date" not in body, path
