"""The OpenAPI 3.1 document of ``/api/v1``, generated from the data contract.

The row schema (``CallRow``: types, enums, nullability, descriptions), the CSV header
and the parameters' allowed values are all built from ``dashboard.contract.schema`` and the
tuples the routes use (``export.CHARTS``, ``figures.MAP_METRICS``...), so the document,
the JSON rows, the CSV download and the pages cannot drift apart. The tests validate
every answer of the API against this document with ``openapi-core``.

This module writes the paths, responses and headers and puts the document together;
the schemas are built in ``openapi_schemas``, the query parameters in
``openapi_parameters``.
"""

from __future__ import annotations

import json
from typing import Any

from dashboard.api.charts import MAP_COLUMNS
from dashboard.api.openapi_parameters import query_parameters
from dashboard.api.openapi_schemas import component_schemas, schema_ref
from dashboard.contract.schema import CALLS_COLUMN_NAMES
from dashboard.params.grammar import Vocabulary
from dashboard.queries.api_params import API_PREFIX
from dashboard.queries.download_format import INJECTION_PREFIXES
from dashboard.queries.export import CHARTS, KPIS_COLUMNS, PROGRAMS_COLUMNS, ROW_SORT, TREND_COLUMNS
from dashboard.queries.impact import DOWNLOADS as IMPACT_DOWNLOADS


def _headers(*names: str) -> dict[str, Any]:
    described = {
        "X-Release-Id": "Release id(s) the answer was read from (`city/id, ...` where several cities).",
        "X-Release": "The releases of every served city this answer was read from: `city/id, ...`.",
        "Retry-After": "Seconds to wait before trying again.",
        "ETag": "Hash of the release id(s), path and canonical query (a release file: its sha256).",
        "Cache-Control": "`public, max-age=300` (release files: a year, immutable).",
        "Content-Disposition": "`attachment; filename=...`.",
    }
    return {n: {"description": described[n], "required": True, "schema": {"type": "string"}} for n in names}


_CACHE = ("X-Release-Id", "X-Release", "ETag", "Cache-Control")


def _error_responses(*codes: str) -> dict[str, Any]:
    """The documented errors: those named, and for every operation 414 (any address can be
    too long: ``dashboard.limits``), 500 and 503 (a city whose releases all fail their checks)."""
    names = (("400", "BadRequest"), ("404", "NotFound"), ("414", "UriTooLong"), ("500", "ServerError"),
             ("503", "Unavailable"))
    wanted = {*codes, "414", "500", "503"}
    return {code: {"$ref": f"#/components/responses/{name}"} for code, name in names if code in wanted}


def _json_ok(schema: str, description: str) -> dict[str, Any]:
    return {
        "200": {"description": description, "headers": _headers(*_CACHE),
                "content": {"application/json": {"schema": schema_ref(schema)}}},
        "304": {"$ref": "#/components/responses/NotModified"},
    }


def _filters_refs(*extra: str) -> list[dict[str, str]]:
    names = ("city", "start", "end", "program", "district", "category", *extra)
    return [{"$ref": f"#/components/parameters/{n}"} for n in names]


_ROWS = (
    "The rows of the view: `jurisdiction` = city, the month of `week` (its first day) from "
    "`start` to `end`, and where given `response_type` in `program`, `district` in "
    "`district`, `call_category` in `category`. These are the rows the Overview's counts "
    "are computed from. Response minutes are not in the rows (to the minute they would single "
    "out calls): the `programs` and `map` charts give the view's medians, and the release's "
    "`rollup_minutes.parquet` the calls at each whole minute. Order: " + ", ".join(ROW_SORT) + "."
)


def build_openapi(vocab: Vocabulary) -> dict[str, Any]:
    """The document for the served cities' ``vocab`` (a fresh dict per call: callers may not
    share mutations). Its parameters are exactly as strict as the server (``openapi_parameters``)."""
    csv_cols = ",".join(CALLS_COLUMN_NAMES)
    injection = " ".join(repr(c) for c in INJECTION_PREFIXES)
    chart_columns = {
        "programs": list(PROGRAMS_COLUMNS),
        "trend": list(TREND_COLUMNS),
        "kpis": list(KPIS_COLUMNS),
        "map": list(MAP_COLUMNS),
    }
    assert tuple(chart_columns) == CHARTS  # noqa: S101 - every chart documented
    plain_charts = [c for c in CHARTS if c != "map"]
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Crisis Response Dashboard API",
            "version": "1.0.0",
            "description": (
                "Read-only access to the published releases behind the dashboard: the rows "
                "behind any view (CSV or JSON), the Overview's figures, the data behind each "
                "chart, and every release file with its checksum. Parameters are those of the "
                "pages' URLs and are validated strictly: a parameter this document does not "
                "allow (an unknown name, value or date, a value with spaces) answers 400 naming "
                "it; values it allows but the chosen city's current release does not hold (a "
                "month outside its data, a district or program it lacks, a start after the end, "
                "a page past the last) answer 404 naming it. A query longer than 4,096 bytes "
                "answers 414. String cells of CSV answers that start with "
                f"{injection} are prefixed with an apostrophe (spreadsheet formula injection). "
                "Every 200 carries `X-Release-Id`, `X-Release`, `ETag` and `Cache-Control`; send "
                "`If-None-Match` to get 304. A release file is sent only while its bytes match the "
                "sha256 its manifest publishes; a city whose releases all fail their checks answers "
                "503 while the other cities keep answering."
            ),
        },
        "servers": [{"url": API_PREFIX}],
        "paths": {
            "/": {"get": {"operationId": "index", "summary": "What the API offers.",
                          "responses": {**_json_ok("Index", "Links."), **_error_responses("400", "500")}}},
            "/calls.csv": {
                "get": {
                    "operationId": "callsCsv",
                    "summary": "The view's rows as CSV, streamed.",
                    "description": _ROWS + " Header: `" + csv_cols + "`. Formatted like the release's "
                    "calls.csv (true/false, ISO dates, empty cell for null). Filename: "
                    "`calls_<city>_<first day>_<last day>[_district-..][_program-..][_category-..]"
                    "_release-<id>.csv`.",
                    "parameters": _filters_refs(),
                    "responses": {
                        "200": {
                            "description": "CSV text.",
                            "headers": _headers(*_CACHE, "Content-Disposition"),
                            "content": {"text/csv": {"schema": {"type": "string"},
                                                     "x-columns": list(CALLS_COLUMN_NAMES)}},
                        },
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "404"),
                    },
                }
            },
            "/calls.json": {
                "get": {
                    "operationId": "callsJson",
                    "summary": "One page of the view's rows as JSON.",
                    "description": _ROWS + " Walking `next` from page 1 gives every row once.",
                    "parameters": _filters_refs("page", "page_size"),
                    "responses": {**_json_ok("CallsPage", "Rows."), **_error_responses("400", "404")},
                }
            },
            "/summary": {
                "get": {
                    "operationId": "summary",
                    "summary": "The Overview's figures for the view.",
                    "parameters": _filters_refs(),
                    "responses": {**_json_ok("Summary", "Figures."), **_error_responses("400", "404")},
                }
            },
            "/charts/{chart}.csv": {
                "get": {
                    "operationId": "chartCsv",
                    "summary": "The data behind one Overview chart (not the map: see below), as CSV.",
                    "description": "Columns per chart are in `x-columns-by-chart`.",
                    "parameters": [
                        {"name": "chart", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": plain_charts}},
                        *_filters_refs(),
                    ],
                    "responses": {
                        "200": {
                            "description": "CSV text.",
                            "headers": _headers(*_CACHE, "Content-Disposition"),
                            "content": {"text/csv": {"schema": {"type": "string"}, "x-columns-by-chart": {
                                c: chart_columns[c] for c in plain_charts}}},
                        },
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "404", "500"),
                    },
                }
            },
            "/charts/map.csv": {
                "get": {
                    "operationId": "mapCsv",
                    "summary": "The data behind the Overview's map, as CSV.",
                    "description": "The precinct level reads the suppressed precinct cube: "
                    "`suppressed_cells` > 0 marks lower bounds, explained in `note`; `value` is empty "
                    "where the map is grey (`reason`).",
                    "parameters": _filters_refs("metric", "level"),
                    "responses": {
                        "200": {
                            "description": "CSV text.",
                            "headers": _headers(*_CACHE, "Content-Disposition"),
                            "content": {"text/csv": {"schema": {"type": "string"},
                                                     "x-columns": chart_columns["map"]}},
                        },
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "404", "500", "503"),
                    },
                }
            },
            "/releases": {
                "get": {
                    "operationId": "releases",
                    "summary": "Every release of every city, newest first, with its files.",
                    "responses": {**_json_ok("Releases", "Releases."), **_error_responses("400", "500")},
                }
            },
            "/releases/{city}/{release_id}/files/{name}": {
                "get": {
                    "operationId": "releaseFile",
                    "summary": "A file of a release (only those its manifest lists, and manifest.json).",
                    "parameters": [
                        {"name": n, "in": "path", "required": True, "schema": {"type": "string"}}
                        for n in ("city", "release_id", "name")
                    ],
                    "responses": {
                        "200": {
                            "description": "The file; ETag is its sha256.",
                            "headers": _headers(*_CACHE, "Content-Disposition"),
                            "content": {"*/*": {"schema": {}}},
                        },
                        "206": {"description": "A byte range.", "content": {"*/*": {"schema": {}}}},
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "404", "500", "503"),
                    },
                }
            },
            "/impact/{city}/{name}.csv": {
                "get": {
                    "operationId": "impactCsv",
                    "summary": "A table behind the Impact page (before/after on offense reports), as CSV.",
                    "description": "Computed offline from public offense reports "
                    "(`crisis-dashboard impact`), "
                    "for cities with an `[impact]` configuration; 404 for the others.",
                    "parameters": [
                        {"name": "city", "in": "path", "required": True, "schema": {"type": "string"}},
                        {"name": "name", "in": "path", "required": True,
                         "schema": {"type": "string", "enum": list(IMPACT_DOWNLOADS)}},
                    ],
                    "responses": {
                        "200": {"description": "CSV text; the ETag is the file's hash.",
                                "headers": _headers(*_CACHE, "Content-Disposition"),
                                "content": {"text/csv": {"schema": {"type": "string"}}}},
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "404", "500"),
                    },
                }
            },
            "/openapi.json": {
                "get": {
                    "operationId": "openapi",
                    "summary": "This document.",
                    "responses": {
                        "200": {"description": "OpenAPI 3.1.", "headers": _headers(*_CACHE),
                                "content": {"application/json": {"schema": {"type": "object"}}}},
                        "304": {"$ref": "#/components/responses/NotModified"},
                        **_error_responses("400", "500"),
                    },
                }
            },
        },
        "components": {
            "schemas": component_schemas(),
            "parameters": query_parameters(vocab),
            "responses": {
                "BadRequest": {"description": "Invalid parameters, each named in `problems`.",
                               "content": {"application/json": {"schema": schema_ref("Error")}}},
                "NotFound": {"description": "No such path, chart or release file; or parameters this "
                             "document allows that name nothing in the chosen city's current release, each "
                             "named in `problems`.",
                             "content": {"application/json": {"schema": schema_ref("Error")}}},
                "UriTooLong": {"description": "The path or the query is longer than the server takes; "
                               "`problems` names the longest parameter. A request line over 8,190 bytes "
                               "is refused before it is read: plain text, in English and Spanish.",
                               "content": {"application/json": {"schema": schema_ref("Error")},
                                           "text/plain": {"schema": {"type": "string"}}}},
                "ServerError": {"description": "Unexpected error (logged; no details).",
                                "content": {"application/json": {"schema": schema_ref("Error")}}},
                "Unavailable": {"description": "The city's data, or this file, cannot be served now: "
                                "it failed its integrity check and no earlier good release is served in "
                                "its place (other cities keep answering). Never a 200 with bad bytes.",
                                "headers": _headers("Retry-After"),
                                "content": {"application/json": {"schema": schema_ref("Error")}}},
                "NotModified": {"description": "`If-None-Match` named the current ETag.",
                                "headers": _headers(*_CACHE)},
            },
        },
    }


_documents: dict[Vocabulary, str] = {}


def openapi_json(vocab: Vocabulary) -> str:
    """The document as JSON text, built once per vocabulary (a new release may bring new
    months or districts; a string: nobody can mutate it)."""
    text = _documents.get(vocab)
    if text is None:
        text = _documents[vocab] = json.dumps(build_openapi(vocab), indent=2)
    return text
