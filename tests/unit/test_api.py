"""The ``/api/v1`` routes through Flask's test client.

Every response of this module (good or error) goes through ``Api.get``, which validates it
against the API's own ``/api/v1/openapi.json`` with ``openapi-core`` (status, content type,
required headers, body schema). Expected values are recomputed from the release files with
pandas, or taken from the functions the Overview page itself calls.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
from datetime import date
from urllib.parse import quote

import numpy as np
import pandas as pd
import pytest
from openapi_core import Config, OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from openapi_core.deserializing.media_types.util import plain_loads
from openapi_core.templating.paths.exceptions import PathError
from openapi_schema_validator import OAS31Validator
from openapi_spec_validator import validate as validate_spec
from werkzeug.test import TestResponse

from dashboard.contract.releases import current_release_dir, read_manifest
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, CallCategory, ResponseType
from dashboard.engine.engines import get_store
from dashboard.params.filters import Filters, default_filters
from dashboard.publish.release import build_release
from dashboard.queries import api_params, export
from dashboard.queries import overview as queries
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import minute_quantile, release_minutes, select_minutes, tiny_internal_frame
from .test_export import (
    FORMULA,
    build_injection_release,
    expected_rows,
    read_csv_text,
)

CSV_TYPE = "text/csv; charset=utf-8"
JSON_TYPE = "application/json"


class Api:
    """A test client whose every answer is checked against the OpenAPI document."""

    def __init__(self, app) -> None:
        self.app = app
        self.client = app.server.test_client()
        self.doc = self.client.get("/api/v1/openapi.json").get_json()
        validate_spec(self.doc)
        self.openapi = OpenAPI.from_dict(
            self.doc,
            config=Config(
                extra_media_type_deserializers={"text/csv": plain_loads, "text/markdown": plain_loads}
            ),
        )
        error_schema = {**self.doc["components"]["schemas"]["Error"], "components": self.doc["components"]}
        self.error_validator = OAS31Validator(error_schema)

    def get(self, url: str, method: str = "GET", headers: dict[str, str] | None = None) -> TestResponse:
        response = self.client.open(url, method=method, headers=headers or {})
        response.get_data()  # consume a stream; openapi-core reads the body too
        self.check(response)
        return response

    def check(self, response: TestResponse) -> None:
        if response.status_code >= 400:
            body = response.get_data(as_text=True)
            assert response.content_type == JSON_TYPE
            error = json.loads(body)["error"]
            assert error["status"] == response.status_code
            assert "Traceback" not in body and 'File "' not in body
        try:
            self.openapi.validate_response(WerkzeugOpenAPIRequest(response.request),
                                           WerkzeugOpenAPIResponse(response))
        except PathError:
            # Unknown paths and methods are in no document; the answer is still the documented Error.
            assert response.status_code in (404, 405)
            self.error_validator.validate(response.get_json())
        if response.status_code == 200:
            for header in ("X-Release-Id", "ETag", "Cache-Control"):
                assert response.headers.get(header), header


@pytest.fixture(scope="module")
def tiny_api(tiny_engine_settings: Settings) -> Api:
    from dashboard.app import create_app

    return Api(create_app(tiny_engine_settings))


@pytest.fixture(scope="module")
def shipped_api(shipped_engine_settings: Settings) -> Api:
    from dashboard.app import create_app

    return Api(create_app(shipped_engine_settings))


def current_manifest(settings: Settings, city: str) -> dict:
    return read_manifest(current_release_dir(settings.releases_dir, city))


def attachment_name(response: TestResponse) -> str:
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=")
    return disposition.removeprefix("attachment; filename=")


def query_of(f: Filters, *extra: tuple[str, str]) -> str:
    from urllib.parse import urlencode

    return "?" + urlencode([*f.to_params(), *extra])


def page_area_values(api: Api, settings: Settings, f: Filters, metric: str, level: str) -> pd.DataFrame:
    """What the Overview page's own map code computes for this view."""
    from dashboard.views import overview

    view = overview.View(f, metric, level, "en")
    _, model, _ = overview.render_map(get_store(settings), settings.geo_dir, view)
    return model.drawing.values


# ----------------------------------------------------------------------------- document


def test_the_row_schema_is_generated_from_the_contract(tiny_api):
    doc = tiny_api.doc
    assert doc["openapi"].startswith("3.1")
    row = doc["components"]["schemas"]["CallRow"]
    assert list(row["properties"]) == list(CALLS_COLUMN_NAMES)
    assert row["required"] == list(CALLS_COLUMN_NAMES) and row["additionalProperties"] is False
    for column in CALLS_COLUMNS:
        prop = row["properties"][column.name]
        assert prop["description"] == column.description
        types = prop["type"] if isinstance(prop["type"], list) else [prop["type"]]
        assert ("null" in types) == column.nullable
        if column.values:
            assert [v for v in prop["enum"] if v is not None] == [str(v) for v in column.values]
    csv_media = doc["paths"]["/calls.csv"]["get"]["responses"]["200"]["content"]["text/csv"]
    assert csv_media["x-columns"] == list(CALLS_COLUMN_NAMES)
    for name in ("program", "category"):
        schema = doc["components"]["parameters"][name]["schema"]
        values = [v.value for v in (ResponseType if name == "program" else CallCategory)]
        served = [v for v in values if re.fullmatch(schema["items"]["pattern"], v)]
        assert served and re.fullmatch(schema["items"]["pattern"], ",".join(served))
        assert not re.search(schema["items"]["pattern"], values[0] + ", " + values[0])


def test_parameters_are_as_strict_as_the_server(shipped_api, shipped_settings):
    """Every parameter has an enum, a pattern or bounds built from the served cities."""
    params = shipped_api.doc["components"]["parameters"]
    catalogs = get_store(shipped_settings).catalogs()
    assert params["city"]["schema"]["enum"] == list(catalogs)
    start = re.compile(params["start"]["schema"]["pattern"])
    for good in ("2019-06", "2019-06-30", "2024-02-29", "2025-12-31"):
        assert start.fullmatch(good), good
    for bad in ("2019-05", "2026-01", "2023-00", "2023-13", "2023-02-29", "2023-04-31", "2023-01-00",
                "٢٠٢٣-٠١", "２０２３-０１", " 2023-01", "2023-1", "2023-01-1"):
        assert not start.fullmatch(bad), bad
        assert shipped_api.get("/api/v1/summary?start=" + quote(bad)).status_code == 400, bad
    district = params["district"]["schema"]
    assert district["maxItems"] == len({d for c in catalogs.values() for d in c.districts})
    for name in ("start", "end", "program", "district", "category", "page", "page_size", "metric", "level"):
        schema = params[name]["schema"]
        schema = schema.get("items", schema)
        assert {"enum", "pattern", "maximum"} & set(schema), name


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("city=lane_county&start=2020-01", "start"),
        ("city=grand_junction&program=STAR", "program"),
        ("city=lane_county&district=3", "district"),
        ("start=2024-05&end=2024-01", "start"),
    ],
)
def test_allowed_values_the_city_lacks_answer_404(shipped_api, query, parameter):
    response = shipped_api.get("/api/v1/summary?" + query)
    assert response.status_code == 404
    assert [p["parameter"] for p in response.get_json()["error"]["problems"]] == [parameter]


def test_index_links_to_every_endpoint(tiny_api):
    index = tiny_api.get("/api/v1/").get_json()
    for url in [index["openapi"], *index["endpoints"]]:
        assert tiny_api.get(url).status_code == 200


# ---------------------------------------------------------------------------------- rows


def test_calls_csv_streams_the_views_rows(tiny_api, tiny_settings):
    release_id = current_manifest(tiny_settings, "denver")["release_id"]
    f = Filters("denver", date(2023, 1, 1), date(2023, 1, 1), districts=("2",))
    raw = tiny_api.client.get("/api/v1/calls.csv" + query_of(f))
    assert raw.is_streamed  # a generator, not a body built in memory
    raw.close()
    response = tiny_api.get("/api/v1/calls.csv" + query_of(f))
    assert response.status_code == 200 and response.content_type == CSV_TYPE
    assert response.headers["X-Release-Id"] == release_id
    name = f"calls_denver_2023-01-01_2023-01-31_district-2_release-{release_id}.csv"
    assert attachment_name(response) == name
    text = response.get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(CALLS_COLUMN_NAMES)
    want = expected_rows(tiny_settings, f)
    assert len(want) == 23  # conftest: 11 STAR + 12 CIT welfare checks in district 2 in January
    pd.testing.assert_frame_equal(read_csv_text(text), want, check_dtype=False)


def test_calls_csv_the_issue_example(shipped_api, shipped_settings):
    release_id = current_manifest(shipped_settings, "denver")["release_id"]
    response = shipped_api.get("/api/v1/calls.csv?city=denver&start=2023-01-01&end=2023-12-31&district=3")
    name = f"calls_denver_2023-01-01_2023-12-31_district-3_release-{release_id}.csv"
    assert attachment_name(response) == name
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1), districts=("3",))
    pd.testing.assert_frame_equal(read_csv_text(response.get_data(as_text=True)),
                                  expected_rows(shipped_settings, f), check_dtype=False)


def test_head_sends_headers_only(tiny_api):
    response = tiny_api.client.head("/api/v1/calls.csv")
    assert response.status_code == 200 and response.get_data() == b""
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_formulas_are_neutralized_in_csv_and_filterable(tmp_path_factory):
    from dashboard.app import create_app

    settings = build_injection_release(tmp_path_factory.mktemp("api-injection"))
    api = Api(create_app(settings))
    response = api.get("/api/v1/calls.csv?district=" + quote(FORMULA))
    rows = read_csv_text(response.get_data(as_text=True))
    assert len(rows) == 35 and set(rows["district"]) == {"'" + FORMULA}  # conftest's district 1
    assert "_district-HYPERLINK-1" in attachment_name(response)
    page = api.get("/api/v1/calls.json?district=" + quote(FORMULA)).get_json()
    assert {r["district"] for r in page["rows"]} == {FORMULA}


@pytest.mark.parametrize(("city", "start", "end", "page_size"),
                         [("denver", "2023-01", "2023-02", 7), ("denver", "2024-01", "2024-12", 5000)])
def test_json_pages_cover_every_row_once(request, engine, city, start, end, page_size):
    api = request.getfixturevalue("tiny_api" if start == "2023-01" else "shipped_api")
    settings = request.getfixturevalue("tiny_settings" if start == "2023-01" else "shipped_settings")
    url = f"/api/v1/calls.json?city={city}&start={start}&end={end}&page_size={page_size}"
    csv_text = api.get(url.replace("calls.json", "calls.csv").split("&page_size")[0]).get_data(as_text=True)
    want = read_csv_text(csv_text)
    rows, pages = [], 0
    while url:
        body = api.get(url).get_json()
        pages += 1
        assert body["page"] == pages and body["page_size"] == page_size
        assert body["total_rows"] == len(want)
        assert body["release"]["id"] == current_manifest(settings, city)["release_id"]
        assert body["filters"]["start"] == f"{start}-01"
        rows += body["rows"]
        url = body["next"]
    assert pages == -(-len(want) // page_size) and pages > 1
    got = pd.DataFrame(rows, columns=list(CALLS_COLUMN_NAMES))
    assert got["call_id"].tolist() == want["call_id"].tolist()
    for column in ("unanswered_reason", "outcome", "district"):
        assert got[column].astype(object).fillna("-").tolist() == (
            want[column].astype(object).fillna("-").tolist())
    assert got["star_eligible"].tolist() == want["star_eligible"].tolist()


# ------------------------------------------------------------------------------- figures


def _nan_to_none(value: object) -> object:
    if isinstance(value, float | np.floating) and np.isnan(value):
        return None
    return value.item() if hasattr(value, "item") else value


@pytest.mark.parametrize(
    "changes",
    [{}, {"districts": ("4",), "programs": (ResponseType.STAR, ResponseType.PATROL)},
     {"start": date(2023, 5, 1), "end": date(2023, 9, 1), "categories": (CallCategory.WELFARE_CHECK,)}],
)
def test_summary_is_the_overviews_figures(shipped_api, shipped_settings, changes):
    store = get_store(shipped_settings)
    f = default_filters(store.catalogs()["denver"]).with_(**changes)
    body = shipped_api.get("/api/v1/summary" + query_of(f)).get_json()
    assert body["query"] == f.to_query_string() and body["page_url"] == "/" + f.to_query_string()
    assert body["release"]["id"] == store.release_info("denver").release_id
    kpis = queries.kpis(store, f).iloc[0]
    assert body["kpis"] == {k: _nan_to_none(v) for k, v in kpis.items()}
    counts = queries.program_counts(store, f)
    minutes = queries.minutes_by_program(store, f).set_index("response_type")
    assert [p["program"] for p in body["programs"]] == counts["response_type"].tolist()
    for p, calls in zip(body["programs"], counts["calls"], strict=True):
        assert p["calls"] == calls and p["share"] == pytest.approx(calls / kpis["calls"])
        assert p["median_minutes"] == _nan_to_none(minutes["median"].get(p["program"], np.nan))
        assert p["p90_minutes"] == _nan_to_none(minutes["p90"].get(p["program"], np.nan))
    monthly = queries.monthly_by_program(store, f)
    assert [(m["month"], m["program"], m["calls"], m["weeks"]) for m in body["monthly"]] == [
        (r.month.date().isoformat(), r.response_type, r.calls, r.weeks) for r in monthly.itertuples()
    ]
    for metric in ("count", "per_1000", "alt_share", "median_minutes"):
        page = page_area_values(shipped_api, shipped_settings, f, metric, "district")
        assert [d["district"] for d in body["districts"]] == page["area_id"].tolist()
        assert [d["values"][metric] for d in body["districts"]] == [_nan_to_none(v) for v in page["value"]]
        assert [d["reasons"][metric] for d in body["districts"]] == [r or None for r in page["reason"]]
        assert [d["calls"] for d in body["districts"]] == page["calls"].tolist()


def test_summary_of_a_city_without_boundaries(shipped_api, shipped_settings):
    body = shipped_api.get("/api/v1/summary?city=grand_junction").get_json()
    catalog = get_store(shipped_settings).catalogs()["grand_junction"]
    rows = expected_rows(shipped_settings, default_filters(catalog))
    assert body["kpis"]["calls"] == len(rows)
    placed = rows[rows["district"] != "citywide"]["district"].value_counts()
    assert {d["district"]: d["calls"] for d in body["districts"]} == placed.to_dict()
    assert all(d["name"] is None and d["reasons"]["per_1000"] == "no_boundaries" for d in body["districts"])
    error = shipped_api.get("/api/v1/charts/map.csv?city=grand_junction").get_json()["error"]
    assert [p["parameter"] for p in error["problems"]] == ["city"]


@pytest.mark.parametrize("chart", ["programs", "trend", "kpis"])
def test_chart_csvs_are_the_pages_numbers(shipped_api, shipped_settings, chart):
    store = get_store(shipped_settings)
    f = default_filters(store.catalogs()["denver"]).with_(districts=("1", "2"))
    response = shipped_api.get(f"/api/v1/charts/{chart}.csv" + query_of(f))
    release_id = store.release_info("denver").release_id
    assert response.content_type == CSV_TYPE
    assert attachment_name(response) == (
        f"{chart}_denver_{f.start}_{api_params.last_day(f)}_district-1+2_release-{release_id}.csv")
    got = pd.read_csv(io.StringIO(response.get_data(as_text=True)))
    operation = shipped_api.doc["paths"]["/charts/{chart}.csv"]["get"]
    columns = operation["responses"]["200"]["content"]["text/csv"]
    assert list(got.columns) == columns["x-columns-by-chart"][chart]
    if chart == "kpis":
        want = queries.kpis(store, f)
        for column in got.columns:
            assert got[column].iloc[0] == pytest.approx(want[column].iloc[0], nan_ok=True)
    elif chart == "programs":
        counts = queries.program_counts(store, f)
        assert got["program"].tolist() == counts["response_type"].tolist()
        assert got["calls"].tolist() == counts["calls"].tolist()
        minutes = queries.minutes_by_program(store, f).set_index("response_type")
        assert got["median_minutes"].tolist() == [minutes["median"][p] for p in got["program"]]
    else:
        monthly = queries.monthly_by_program(store, f)
        assert got["calls"].tolist() == monthly["calls"].tolist()
        assert got["per_week"].tolist() == pytest.approx(monthly["per_week"].tolist())
        assert got["month"].tolist() == [m.date().isoformat() for m in monthly["month"]]


@pytest.mark.parametrize(
    ("metric", "level", "changes"),
    [("count", "district", {}), ("per_1000", "district", {"districts": ("1", "3")}),
     ("alt_share", "district", {"programs": (ResponseType.PATROL,)}),
     ("count", "precinct", {}), ("per_1000", "precinct", {"districts": ("6",)}),
     ("alt_share", "precinct", {"categories": (CallCategory.MENTAL_HEALTH,)}),
     ("median_minutes", "district", {"programs": (ResponseType.STAR,), "districts": ("2", "3", "6")}),
     ("median_minutes", "precinct", {})],
)
def test_map_csv_is_the_pages_map(shipped_api, shipped_settings, metric, level, changes):
    store = get_store(shipped_settings)
    f = default_filters(store.catalogs()["denver"]).with_(**changes)
    response = shipped_api.get("/api/v1/charts/map.csv" + query_of(f, ("metric", metric), ("level", level)))
    assert f"_level-{level}_metric-{metric}_release-" in attachment_name(response)
    got = pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype={"area_id": str},
                      keep_default_na=False, na_values={"value": [""]})
    page = page_area_values(shipped_api, shipped_settings, f, metric, level)
    assert got["area_id"].tolist() == page["area_id"].tolist()
    for column in ("calls", "eligible", "eligible_answered", "population", "suppressed_cells", "reason",
                   "name"):
        assert got[column].tolist() == page[column].tolist(), column
    np.testing.assert_allclose(got["value"].to_numpy(float), page["value"].to_numpy(float), equal_nan=True)
    assert (got["value"].isna() == (got["reason"] != "")).all()  # grey on the map: empty, with a reason
    suppressed = got[got["suppressed_cells"] > 0]
    if level == "precinct":
        assert len(suppressed) > 0  # the precinct cube hides small cells; the CSV says where
        assert all("suppressed" in note for note in suppressed["note"])
        if f.categories:
            assert all("every call category" in note for note in got["note"])
    else:
        assert suppressed.empty


def test_map_csv_median_minutes_recompute_from_the_published_minutes(shipped_api, shipped_settings):
    """Each district's median in map.csv is the inverted-CDF median of the view's calls in the
    release's rollup_minutes.parquet (minutes are not in the rows since issue 12); districts
    outside the selection and the unpublished one are empty."""
    store = get_store(shipped_settings)
    f = default_filters(store.catalogs()["denver"]).with_(
        programs=(ResponseType.STAR, ResponseType.PATROL), districts=("1", "3", "4", "5", "6"))
    response = shipped_api.get("/api/v1/charts/map.csv" + query_of(f, ("metric", "median_minutes")))
    got = pd.read_csv(io.StringIO(response.get_data(as_text=True)), dtype={"area_id": str},
                      keep_default_na=False, na_values={"value": [""]}).set_index("area_id")
    minutes = select_minutes(release_minutes(shipped_settings, "denver"), f)
    for district, part in minutes[minutes["district"] != "citywide"].groupby("district"):
        assert got.loc[district, "value"] == minute_quantile(part, 0.5), district
    assert set(minutes["district"]) - {"citywide"} == {"1", "3", "4", "5", "6"}
    for district in ("2", "7"):
        assert got.loc[district, "reason"] == "not_selected" and np.isnan(got.loc[district, "value"])
    assert (got["metric"] == "median_minutes").all()
    precincts = shipped_api.get("/api/v1/charts/map.csv" + query_of(f, ("metric", "median_minutes"),
                                                                    ("level", "precinct")))
    by_precinct = pd.read_csv(io.StringIO(precincts.get_data(as_text=True)), keep_default_na=False,
                              na_values={"value": [""]})
    assert by_precinct["value"].isna().all()
    assert set(by_precinct["reason"]) <= {"no_minutes", "not_selected"} and "no_minutes" in set(
        by_precinct["reason"])
    enum = shipped_api.doc["components"]["parameters"]["metric"]["schema"]["enum"]
    assert "median_minutes" in enum


# ---------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("url", "parameter", "status"),
    [
        ("/api/v1/calls.csv?distrct=1", "distrct", 400),
        ("/api/v1/calls.csv?start=2023-02-30", "start", 400),
        ("/api/v1/calls.json?end=2031-01", "end", 400),
        ("/api/v1/calls.csv?start=2023-02&end=2023-01", "start", 404),
        ("/api/v1/summary?district=99", "district", 400),
        ("/api/v1/summary?category=" + "x" * 1000, "category", 400),
        ("/api/v1/summary?category=" + "x" * 100_000, "category", 414),
        ("/api/v1/summary?start=%D9%A2%D9%A0%D9%A2%D9%A3-%D9%A0%D9%A1", "start", 400),
        ("/api/v1/summary?end=2023-00", "end", 400),
        ("/api/v1/summary?start=%ff%fe", "start", 400),
        ("/api/v1/calls.csv?program=STAR,nope", "program", 400),
        ("/api/v1/calls.csv?city=denver&city=denver", "city", 400),
        ("/api/v1/calls.csv?city=..%2F..%2Fetc", "city", 400),
        ("/api/v1/calls.json?page=0", "page", 400),
        ("/api/v1/calls.json?page=2.5", "page", 400),
        ("/api/v1/calls.json?page=99", "page", 404),
        ("/api/v1/calls.json?page=%EF%BC%92", "page", 400),
        ("/api/v1/calls.json?page_size=10001", "page_size", 400),
        ("/api/v1/calls.json?page_size=-1", "page_size", 400),
        ("/api/v1/charts/map.csv?metric=density", "metric", 400),
        ("/api/v1/charts/map.csv?level=block", "level", 400),
        ("/api/v1/charts/kpis.csv?metric=count", "metric", 400),
        ("/api/v1/charts/pie.csv", "chart", 404),
        ("/api/v1/releases?city=denver", "city", 400),
        ("/api/v1/openapi.json?v=2", "v", 400),
    ],
)
def test_bad_requests_name_the_parameter(tiny_api, url, parameter, status):
    response = tiny_api.get(url)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert parameter in [p["parameter"] for p in error["problems"]]
    assert parameter in error["message"]
    assert all(len(p["value"]) <= 40 for p in error["problems"])
    assert response.headers["Cache-Control"] == "no-store"


def test_unknown_paths_and_methods_answer_json(tiny_api):
    assert tiny_api.get("/api/v1/nothing").status_code == 404
    assert tiny_api.get("/api/v1/releases/denver").status_code == 404
    for method in ("POST", "DELETE", "PUT"):
        response = tiny_api.get("/api/v1/calls.csv", method=method)
        assert response.status_code == 405 and response.headers["Allow"] == "GET, HEAD, OPTIONS"
    options = tiny_api.client.options("/api/v1/calls.csv")
    assert options.status_code == 200 and options.headers["Allow"] == "GET, HEAD, OPTIONS"
    assert tiny_api.get("/api/v1/nothing", method="OPTIONS").status_code == 404
    assert tiny_api.get("/api/v1/calls.csv", method="BREW").status_code == 405


def test_unexpected_errors_are_a_bare_500(tiny_api, monkeypatch):
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret detail /srv/data")

    monkeypatch.setattr(export, "calls_page", broken)
    response = tiny_api.get("/api/v1/calls.json")
    assert response.status_code == 500
    assert "secret" not in response.get_data(as_text=True)


# ------------------------------------------------------------------------------ caching


CONDITIONAL_URLS = [
    "/api/v1/",
    "/api/v1/calls.csv?district=1",
    "/api/v1/calls.json?page_size=10",
    "/api/v1/summary",
    "/api/v1/charts/programs.csv",
    "/api/v1/charts/trend.csv",
    "/api/v1/charts/kpis.csv",
    "/api/v1/charts/map.csv?metric=alt_share",
    "/api/v1/releases",
    "/api/v1/openapi.json",
]


@pytest.mark.parametrize("url", CONDITIONAL_URLS)
def test_if_none_match_answers_304(tiny_api, url):
    first = tiny_api.get(url)
    assert first.status_code == 200 and first.headers["Cache-Control"] == "public, max-age=300"
    etag = first.headers["ETag"]
    again = tiny_api.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    assert again.headers["ETag"] == etag and again.headers["X-Release-Id"] == first.headers["X-Release-Id"]
    compressed = tiny_api.get(url, headers={"If-None-Match": etag[:-1] + ':br"'})
    assert compressed.status_code == 304  # the ETag the compression layer hands out...
    assert compressed.headers["ETag"] == etag[:-1] + ':br"'  # ...is the one confirmed
    assert tiny_api.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_etags_follow_the_view_not_the_spelling(tiny_api):
    def etag(url: str) -> str:
        return tiny_api.get(url).headers["ETag"]

    a = etag("/api/v1/calls.csv?district=1&program=STAR,PATROL&start=2023-01")
    b = etag("/api/v1/calls.csv?program=PATROL&program=STAR&start=2023-01-15&district=1")
    assert a == b
    assert a != etag("/api/v1/calls.csv?district=2&program=STAR,PATROL&start=2023-01")
    assert a != etag("/api/v1/calls.json?district=1&program=STAR,PATROL&start=2023-01")


# ------------------------------------------------------------------------- release files


def test_releases_list_every_file_with_a_checksummed_download(tiny_api, tiny_settings):
    body = tiny_api.get("/api/v1/releases").get_json()
    [city] = body["cities"]
    [release] = city["releases"]
    manifest = current_manifest(tiny_settings, "denver")
    assert release["id"] == manifest["release_id"] and release["current"] is True
    assert release["rows"] == manifest["rows"] and release["privacy"]["k"] == 11
    assert {f["name"] for f in release["files"]} == set(manifest["files"])
    for file in release["files"]:
        response = tiny_api.get(file["url"])
        data = response.get_data()
        assert hashlib.sha256(data).hexdigest() == file["sha256"] == manifest["files"][file["name"]]["sha256"]
        assert len(data) == file["bytes"]
        assert response.headers["ETag"] == f'"{file["sha256"]}"'
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        assert attachment_name(response) == file["name"]
        assert response.headers["X-Release-Id"] == release["id"]
        again = tiny_api.get(file["url"], headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    served = json.loads(tiny_api.get(release["manifest_url"]).get_data())
    assert served == manifest


def test_release_files_outside_the_manifest_are_never_served(tmp_path):
    from dashboard.app import create_app

    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    info = build_release(tiny_internal_frame(), tmp_path / "releases", city="denver", source="t",
                         synthetic=True, k=11, seed=3)
    (info.path / "secret.txt").write_text("SECRET-IN-RELEASE")
    (tmp_path / "secret.txt").write_text("SECRET-IN-DATA")
    api = Api(create_app(Settings(data_dir=tmp_path)))
    base = f"/api/v1/releases/denver/{info.release_id}/files/"
    assert api.get(base + "calls.csv").status_code == 200
    for url in [
        base + "secret.txt",
        base + "..%2Fsecret.txt",
        base + "..%2F..%2F..%2Fsecret.txt",
        base + "%2e%2e",
        base + "CURRENT",
        base + "calls.csv%00",
        f"/api/v1/releases/denver/..%2F{info.release_id}/files/calls.csv",
        f"/api/v1/releases/..%2Fdenver/{info.release_id}/files/calls.csv",
        "/api/v1/releases/denver/CURRENT/files/calls.csv",
        "/api/v1/releases/atlantis/x/files/calls.csv",
        f"/api/v1/releases/denver/{info.release_id}x/files/calls.csv",
    ]:
        response = api.get(url)
        assert response.status_code in (400, 404), url
        assert b"SECRET" not in response.get_data(), url



def test_impact_files_are_served_for_a_city_that_has_them_and_nothing_else(shipped_api, shipped_settings):
    """Issue 17: the Impact page's CSVs. Denver's three tables byte for byte (the ETag is
    their hash, a repeat with it is a 304); Grand Junction (no [impact]), an unknown city,
    another file name, a path that climbs out and a stray parameter are documented errors."""
    folder = shipped_settings.data_dir / "impact" / "denver"
    for name in ("estimates", "event_study", "offense_panel"):
        got = shipped_api.get(f"/api/v1/impact/denver/{name}.csv")
        assert got.status_code == 200 and got.content_type == CSV_TYPE
        assert got.get_data() == (folder / f"{name}.csv").read_bytes()
        assert f"denver-impact-{name}.csv" in got.headers["Content-Disposition"]
        again = shipped_api.get(f"/api/v1/impact/denver/{name}.csv",
                                headers={"If-None-Match": got.headers["ETag"]})
        assert again.status_code == 304
    for url in ("/api/v1/impact/grand_junction/estimates.csv", "/api/v1/impact/nowhere/estimates.csv",
                "/api/v1/impact/denver/impact.csv", "/api/v1/impact/denver/..%2F..%2Fcities%2Fdenver.csv"):
        assert shipped_api.get(url).status_code == 404, url
    assert shipped_api.get("/api/v1/impact/denver/estimates.csv?x=1").status_code == 400
