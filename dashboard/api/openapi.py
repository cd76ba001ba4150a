"""The OpenAPI 3.1 document of ``/api/v1``, generated from the data contract.

The row schema (``CallRow``: types, enums, nullability, descriptions), the CSV header
and the parameters' allowed values are all built from ``dashboard.contract.schema`` and the
tuples the routes use (``export.CHARTS``, ``figures.MAP_METRICS``...), so the document,
the JSON rows, the CSV download and the pages cannot drift apart. The tests validate
every answer of the API against this document with ``openapi-core``.
"""

from __future__ import annotations

import calendar
import json
from collections import defaultdict
from datetime import date
from typing import Any

from dashboard.api.charts import LEVELS, MAP_COLUMNS
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, CallCategory, Column, ResponseType
from dashboard.figures import MAP_METRICS, MAP_REASONS
from dashboard.params.filters import DEFAULT_MONTHS
from dashboard.params.grammar import MAX_VALUE_LENGTH, Vocabulary
from dashboard.queries.api_params import API_PREFIX, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from dashboard.queries.download_format import INJECTION_PREFIXES
from dashboard.queries.export import CHARTS, KPIS_COLUMNS, PROGRAMS_COLUMNS, ROW_SORT, TREND_COLUMNS

_JSON_TYPES: dict[str, dict[str, str]] = {
    "string": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "bool": {"type": "boolean"},
    "int": {"type": "integer"},
}


_KPIS: dict[str, tuple[bool, str]] = {  # name -> (fraction or minutes: nullable number, description)
    "calls": (False, "Calls answered by the selected programs."),
    "eligible": (False, "Eligible calls, whatever the program filter (a fact about all eligible calls)."),
    "eligible_answered": (False, "Eligible calls answered by the city's alternative program."),
    "alt_share": (True, "eligible_answered / eligible; null without eligible calls."),
    "median_minutes": (True, "Median response minutes of the selected programs' calls with a time."),
    "arrests": (False, "Calls of the selected programs that ended in arrest."),
    "arrest_share": (True, "arrests / calls; null without calls."),
    "alt_calls": (False, "Calls answered by the alternative program."),
    "backup": (False, "Alternative-program calls where the team asked for police backup."),
    "backup_share": (True, "backup / alt_calls; null without alternative-program calls."),
}
if tuple(_KPIS) != KPIS_COLUMNS:  # a new headline figure must be documented here
    raise RuntimeError("openapi._KPIS does not describe export.KPIS_COLUMNS")


def column_schema(column: Column) -> dict[str, Any]:
    """JSON Schema of one contract column (a null is allowed only where the contract says)."""
    schema: dict[str, Any] = dict(_JSON_TYPES[column.dtype])
    if column.nullable:
        schema["type"] = [schema["type"], "null"]
    if column.values:
        schema["enum"] = [str(v) for v in column.values] + ([None] if column.nullable else [])
    schema["description"] = column.description
    return schema


def call_row_schema() -> dict[str, Any]:
    """The JSON row of ``calls.json``: every contract column, nothing else."""
    return {
        "type": "object",
        "description": "One published row (the data contract, `data_dictionary.json` of every release).",
        "properties": {c.name: column_schema(c) for c in CALLS_COLUMNS},
        "required": list(CALLS_COLUMN_NAMES),
        "additionalProperties": False,
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _obj(properties: dict[str, Any], description: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


_INT = {"type": "integer", "minimum": 0}
_NUM_OR_NULL = {"type": ["number", "null"]}
_STR = {"type": "string"}
_STR_OR_NULL = {"type": ["string", "null"]}
_PROGRAM = {"type": "string", "enum": [p.value for p in ResponseType]}


def _schemas() -> dict[str, Any]:
    # why the map gives no value (``figures.map_metric_values``), plus the summary's own
    reason = {"type": ["string", "null"], "enum": [*MAP_REASONS, "no_boundaries", None]}
    metric_values = _obj({m: _NUM_OR_NULL for m in MAP_METRICS})
    metric_reasons = _obj({m: reason for m in MAP_METRICS})
    return {
        "CallRow": call_row_schema(),
        "Problem": _obj(
            {
                "parameter": {**_STR, "description": "The parameter at fault (or `chart`)."},
                "value": {**_STR, "description": "The value given, cut to 40 characters."},
                "message": _STR,
            }
        ),
        "Error": _obj(
            {
                "error": _obj(
                    {
                        "status": {"type": "integer"},
                        "message": _STR,
                        "problems": {"type": "array", "items": _ref("Problem")},
                    }
                )
            },
            "Every answer other than 200/206/304. Never a traceback.",
        ),
        "Release": _obj(
            {
                "id": {**_STR, "description": "Release id: `YYYYMMDD-` + start of calls.parquet's sha256."},
                "city": _STR,
                "created": _STR,
                "source": _STR,
                "synthetic": {"type": "boolean", "description": "True for the simulated sample data."},
            }
        ),
        "Filters": _obj(
            {
                "city": _STR,
                "start": {**_STR, "format": "date", "description": "First day of the first month."},
                "end": {**_STR, "format": "date", "description": "Last day of the last month."},
                "programs": {"type": "array", "items": _PROGRAM, "description": "Empty: all."},
                "districts": {"type": "array", "items": _STR, "description": "Empty: all."},
                "categories": {
                    "type": "array",
                    "items": {"type": "string", "enum": [c.value for c in CallCategory]},
                    "description": "Empty: all.",
                },
            },
            "The view the answer is for, after validation.",
        ),
        "CallsPage": _obj(
            {
                "release": _ref("Release"),
                "filters": _ref("Filters"),
                "page": {"type": "integer", "minimum": 1},
                "page_size": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE},
                "total_rows": _INT,
                "next": {**_STR_OR_NULL, "description": "Path and query of the next page; null on the last."},
                "rows": {"type": "array", "items": _ref("CallRow")},
            }
        ),
        "Kpis": _obj(
            {
                name: {**(_NUM_OR_NULL if nullable else _INT), "description": text}
                for name, (nullable, text) in _KPIS.items()
            },
            "The Overview's headline figures.",
        ),
        "ProgramRow": _obj(
            {
                "program": _PROGRAM,
                "calls": _INT,
                "share": {**_NUM_OR_NULL, "description": "calls / the view's calls."},
                "median_minutes": _NUM_OR_NULL,
                "p90_minutes": _NUM_OR_NULL,
            }
        ),
        "MonthRow": _obj(
            {
                "month": {**_STR, "format": "date"},
                "weeks": {**_INT, "description": "Weeks (Mondays) in the month."},
                "program": _PROGRAM,
                "calls": _INT,
                "per_week": {"type": "number", "description": "calls / weeks: what the chart draws."},
            }
        ),
        "DistrictRow": _obj(
            {
                "district": _STR,
                "name": _STR_OR_NULL,
                "population": {"type": ["integer", "null"]},
                "calls": _INT,
                "eligible": _INT,
                "eligible_answered": _INT,
                "values": {**metric_values, "description": "Each map measure as the map shows it."},
                "reasons": {**metric_reasons, "description": "Why a measure has no value (null if it has)."},
            }
        ),
        "Summary": _obj(
            {
                "release": _ref("Release"),
                "filters": _ref("Filters"),
                "query": {**_STR, "description": "The canonical query string of the view's page."},
                "page_url": {**_STR, "description": "The Overview page showing this view."},
                "kpis": _ref("Kpis"),
                "programs": {"type": "array", "items": _ref("ProgramRow")},
                "monthly": {"type": "array", "items": _ref("MonthRow")},
                "districts": {"type": "array", "items": _ref("DistrictRow")},
            }
        ),
        "ReleaseFile": _obj(
            {
                "name": _STR,
                "sha256": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "bytes": _INT,
                "url": _STR,
            }
        ),
        "ReleaseEntry": {
            **_obj(
                {
                    "id": _STR,
                    "city": _STR,
                    "created": _STR_OR_NULL,
                    "source": _STR_OR_NULL,
                    "synthetic": {"type": "boolean"},
                    "current": {"type": "boolean", "description": "The release the pages and API serve."},
                    "rows": {
                        "type": "object",
                        "additionalProperties": {"type": "integer"},
                        "description": "Rows read, accepted, rejected, published, generalized, withheld.",
                    },
                    "privacy": {
                        "type": "object",
                        "properties": {"k": {"type": "integer", "minimum": 1}},
                        "description": "Privacy parameters (k of k-anonymity, suppression rule).",
                    },
                    "manifest_url": _STR,
                    "files": {"type": "array", "items": _ref("ReleaseFile")},
                }
            ),
        },
        "CityStatus": _obj(
            {
                "state": {
                    "type": "string",
                    "enum": ["ok", "previous", "unavailable"],
                    "description": "`ok`: the release CURRENT names is served. `previous`: it failed its "
                    "integrity check (a file no longer matches its sha256) and the last good release is "
                    "served. `unavailable`: no release passed; the city's data answers 503.",
                },
                "serving": {**_STR_OR_NULL, "description": "The release id answers are read from."},
                "named": {**_STR_OR_NULL, "description": "The release id CURRENT names."},
                "problem": {**_STR_OR_NULL, "description": "Why `named` is not served, if it is not."},
            },
            "How this server serves the city's data.",
        ),
        "Releases": _obj(
            {
                "cities": {
                    "type": "array",
                    "items": _obj(
                        {
                            "city": _STR,
                            "name": _STR,
                            "status": _ref("CityStatus"),
                            "releases": {"type": "array", "items": _ref("ReleaseEntry")},
                        }
                    ),
                }
            }
        ),
        "Index": _obj(
            {"api": _STR, "version": _STR, "openapi": _STR, "endpoints": {"type": "array", "items": _STR}}
        ),
    }


def _query_param(name: str, schema: dict[str, Any], description: str, max_items: int = 0) -> dict[str, Any]:
    """A query parameter; ``max_items`` > 0 makes it repeatable (``style: form``, exploded)."""
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description}
    if max_items:
        param.update(style="form", explode=True, schema={"type": "array", "items": schema,
                                                          "maxItems": max_items})
    else:
        param["schema"] = schema
    return param


def _ecma_escape(text: str) -> str:
    """``text`` as a literal in a regular expression both ECMA-262 and Python read alike."""
    return "".join("\\" + ch if ch in "\\^$.|?*+()[]{}" else ch for ch in text)


def _list_pattern(values: tuple[str, ...]) -> str:
    """One value or a comma-separated list of them, nothing else (no spaces, no empties).

    The grammar (``grammar.list_items``) takes a known value whole before it splits on
    commas, so a value holding a comma is allowed alone, and a list is made of the values
    without one: exactly what the server accepts.
    """
    plain = [_ecma_escape(v) for v in values if "," not in v]
    whole = [_ecma_escape(v) for v in values if "," in v]
    one = "(" + "|".join(plain) + ")"
    if not whole:
        return f"^{one}(,{one})*$"
    lists = [f"{one}(,{one})*"] if plain else []
    return "^(" + "|".join([*whole, *lists]) + ")$"


_DAYS = {28: "(0[1-9]|1[0-9]|2[0-8])", 29: "(0[1-9]|[12][0-9])", 30: "(0[1-9]|[12][0-9]|30)",
         31: "(0[1-9]|[12][0-9]|3[01])"}


def month_pattern(first: date, last: date) -> str:
    """``YYYY-MM`` or ``YYYY-MM-DD`` (a real day: leap years, month lengths), ASCII digits,
    for the months ``first`` to ``last``: exactly what the grammar (``grammar.parse``)
    takes without a 400 (a month of another city's span is a 404, not a 400)."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)  # (year, days in month) -> months
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        groups[(year, calendar.monthrange(year, month)[1])].append(month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    alternatives = [
        f"{y}-(" + "|".join(f"{m:02d}" for m in months) + f")(-{_DAYS[days]})?"
        for (y, days), months in sorted(groups.items())
    ]
    return "^(" + "|".join(alternatives) + ")$"


def _parameters(vocab: Vocabulary) -> dict[str, Any]:
    """Every query parameter, as strict as the server: each value the schema allows is
    accepted or, when the city's own data lacks it, answered 404 (never 400)."""
    span = f"{vocab.first_month:%Y-%m} to {vocab.last_month:%Y-%m}"
    date_schema = {"type": "string", "pattern": month_pattern(vocab.first_month, vocab.last_month)}

    def values(name: str, what: str) -> dict[str, Any]:
        known = vocab.values(name)
        schema = {"type": "string", "maxLength": MAX_VALUE_LENGTH, "pattern": _list_pattern(known)}
        description = (f"{what} (repeat or comma-separate, at most {len(known)} times and "
                       f"{MAX_VALUE_LENGTH} characters a value; repeats and lists add up; a value "
                       "holding a comma is given alone; default all). Values of every city: one the "
                       "chosen city lacks answers 404.")
        return _query_param(name, schema, description, max_items=len(known))

    return {
        "city": _query_param("city", {"type": "string", "enum": list(vocab.cities)},
                             "City id (default: the server's default city)."),
        "start": _query_param("start", date_schema,
                              f"First month (YYYY-MM or any day of it; default: {DEFAULT_MONTHS - 1} months "
                              "before `end`, not before the city's first month). Months of every city's "
                              f"data ({span}); one outside the city's own answers 404, as does a start "
                              "after the end."),
        "end": _query_param("end", date_schema,
                            "Last month (YYYY-MM or any day of it; default: the city's last month). With "
                            f"`end` alone the view is the {DEFAULT_MONTHS} months ending there."),
        "program": values("program", "Response types"),
        "district": values("district", "Police districts of the city, incl. `citywide`"),
        "category": values("category", "Call categories"),
        "page": _query_param("page", {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
                             "1-based page (past the last page: 404)."),
        "page_size": _query_param(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            "Rows per page.",
        ),
        "metric": _query_param("metric", {"type": "string", "enum": list(MAP_METRICS), "default": "count"},
                               "Map measure. `median_minutes` (median response minutes "
                               "of the selected programs) is published by district only: at `level=precinct` "
                               "every `value` is empty with `reason` `no_minutes`."),
        "level": _query_param("level", {"type": "string", "enum": list(LEVELS), "default": "district"},
                              "Map areas (`precinct` where the city has them, else 404; a city without "
                              "district boundaries has no map: 404)."),
    }


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
                "content": {"application/json": {"schema": _ref(schema)}}},
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
    share mutations). Its parameters are exactly as strict as the server (``_parameters``)."""
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
            "schemas": _schemas(),
            "parameters": _parameters(vocab),
            "responses": {
                "BadRequest": {"description": "Invalid parameters, each named in `problems`.",
                               "content": {"application/json": {"schema": _ref("Error")}}},
                "NotFound": {"description": "No such path, chart or release file; or parameters this "
                             "document allows that name nothing in the chosen city's current release, each "
                             "named in `problems`.",
                             "content": {"application/json": {"schema": _ref("Error")}}},
                "UriTooLong": {"description": "The path or the query is longer than the server takes; "
                               "`problems` names the longest parameter. A request line over 8,190 bytes "
                               "is refused before it is read: plain text, in English and Spanish.",
                               "content": {"application/json": {"schema": _ref("Error")},
                                           "text/plain": {"schema": {"type": "string"}}}},
                "ServerError": {"description": "Unexpected error (logged; no details).",
                                "content": {"application/json": {"schema": _ref("Error")}}},
                "Unavailable": {"description": "The city's data, or this file, cannot be served now: "
                                "it failed its integrity check and no earlier good release is served in "
                                "its place (other cities keep answering). Never a 200 with bad bytes.",
                                "headers": _headers("Retry-After"),
                                "content": {"application/json": {"schema": _ref("Error")}}},
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
