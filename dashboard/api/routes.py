"""The ``/api/v1`` routes (a Flask blueprint): rows, summaries, chart data, release files.

Every URL rule of the API is registered here, in one place. The release list and the
release files are answered by ``release_files``; what every route does around its data
(reading the settings, store and strict parameters, caching, the JSON error answer) is
``answers``.

Rules every route follows, and why:

* **Strict parameters.** Each route takes a fixed set of parameter names; anything
  else, and any value the OpenAPI document forbids, answers 400 with JSON naming each
  bad parameter; a value it allows that the city's release lacks answers 404
  (``api_params.parse_filters_strict``: the pages' grammar, ``dashboard.params.filters``, in
  strict mode). A script must learn about its typo, not receive a silently wider answer.
* **Never a traceback.** Errors inside these routes answer JSON
  ``{"error": {"status", "message", "problems"}}``; an unexpected exception is logged
  and answers a 500 without details. Unknown paths and methods under ``/api/v1/``
  answer JSON 404/405 too (otherwise the pages' catch-all would answer with HTML).
* **Caching.** A release never changes, so an answer is a function of the release id(s)
  it reads, its path and its canonical query: that hash is the ``ETag``, and
  ``If-None-Match`` answers 304 before any query runs. ``X-Release-Id`` names the
  release(s) read (and ``X-Release``, on every answer, the releases of every served
  city: ``dashboard.release_scope``). Answers may be cached for ``MAX_AGE`` seconds (a
  new release can be switched in at any time); release files, which never change, for
  a year, immutable.
* **Only verified bytes.** A release file is sent only if it still has its manifest's
  size and sha256 (checked by stat, hashed again if it changed), and it is hashed
  again as it is sent, the last chunk held back until it matches
  (``integrity.verified_chunks``). A file that fails answers 503, never 200 with wrong
  or truncated bytes; so do the rows of a city whose ``calls.parquet`` fails, and any
  data of a city that has no good release (the others keep answering).
"""

from __future__ import annotations

import hashlib
import itertools
import logging
from http import HTTPStatus
from typing import cast
from urllib.parse import urlencode

import duckdb
import psycopg
from flask import Blueprint, Response, request, stream_with_context, url_for
from werkzeug.exceptions import HTTPException

from dashboard.api import charts, impact_files, release_files
from dashboard.api.answers import (
    ApiError,
    all_releases_header,
    api_settings,
    api_store,
    attachment,
    bad_request,
    error_response,
    etag_for,
    etag_matches,
    json_response,
    not_modified,
    query_args,
    release_json,
    strict_filters,
    with_cache_headers,
)
from dashboard.api.openapi import openapi_json
from dashboard.engine.integrity import IntegrityError
from dashboard.figures import MAP_METRICS, MapMetric
from dashboard.logsafe import log_exception
from dashboard.params.filters import PARAM_CITY
from dashboard.params.grammar import vocabulary
from dashboard.queries import api_params, download_format, export
from dashboard.queries import overview as queries
from dashboard.queries.api_params import (
    API_PREFIX,
    DEFAULT_PAGE_SIZE,
    MAX_PAGE_SIZE,
    PARAM_PAGE,
    PARAM_PAGE_SIZE,
    Problem,
)
from dashboard.queries.export import CHARTS

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)

PARAM_METRIC = "metric"
PARAM_LEVEL = "level"

INTERNAL_ERROR = "Something went wrong on our side; the problem has been logged."


def _damaged(city: str, exc: Exception) -> ApiError:
    log.error("refusing to read %s: %s", city, exc)
    return ApiError(503, f"The rows of {city} cannot be read right now: a file of its data release no "
                         "longer matches its checksum. The problem has been logged; try again later.")


# ---------------------------------------------------------------------------- endpoints


@blueprint.get("/")
def index() -> Response:
    """What the API offers, with links (the OpenAPI document has the details)."""
    if problems := api_params.unknown_parameters(query_args(), ()):
        raise bad_request(problems)
    store = api_store()
    payload = {
        "api": "Crisis Response Dashboard API",
        "version": "v1",
        "openapi": url_for("api.openapi_document"),
        "endpoints": [
            url_for("api.calls_csv"),
            url_for("api.calls_json"),
            url_for("api.summary"),
            *(url_for("api.chart_csv", chart=c) for c in CHARTS),
            url_for("api.releases"),
        ],
    }
    header = all_releases_header(store)
    etag = etag_for(header.split(", "), [])
    if etag_matches(etag):
        return not_modified(etag, header)
    return with_cache_headers(json_response(payload), etag, header)


@blueprint.get("/calls.csv")
def calls_csv() -> Response:
    """The view's rows as CSV, streamed (memory stays flat however many rows)."""
    filters, problems = strict_filters()
    if problems or filters is None:
        raise bad_request(problems)
    try:
        download = export.calls_csv(api_store(), filters)
    except IntegrityError as exc:
        raise _damaged(filters.city, exc) from exc
    release_id = download.release.release_id
    etag = etag_for([release_id], filters.to_params())
    if etag_matches(etag):
        download.close()
        return not_modified(etag, release_id)
    chunks = download.chunks()
    try:  # the header and the first rows before the 200: a file DuckDB cannot read is a 503,
        first = next(chunks)  # as is a database that cannot answer (PostgreSQL engine)
    except (duckdb.Error, psycopg.Error, OSError) as exc:
        chunks.close()
        raise _damaged(filters.city, exc) from exc
    response = Response(stream_with_context(itertools.chain([first], chunks)), mimetype="text/csv")
    return attachment(with_cache_headers(response, etag, release_id), download.filename)


@blueprint.get("/calls.json")
def calls_json() -> Response:
    """One page of the view's rows as JSON, in the CSV's order, with a link to the next."""
    filters, problems = strict_filters((PARAM_PAGE, PARAM_PAGE_SIZE))
    query = query_args()
    page, page_problems = api_params.bounded_int(query, PARAM_PAGE, 1, 1, 999_999_999)
    page_size, size_problems = api_params.bounded_int(query, PARAM_PAGE_SIZE, DEFAULT_PAGE_SIZE, 1,
                                                      MAX_PAGE_SIZE)
    problems += page_problems + size_problems
    if problems or filters is None:
        raise bad_request(problems)
    store = api_store()
    params = [*filters.to_params(), (PARAM_PAGE, str(page)), (PARAM_PAGE_SIZE, str(page_size))]
    etag = etag_for([store.release_info(filters.city).release_id], params)
    if etag_matches(etag):
        return not_modified(etag, store.release_info(filters.city).release_id)
    try:
        result = export.calls_page(store, filters, page, page_size)
    except (IntegrityError, duckdb.Error) as exc:
        raise _damaged(filters.city, exc) from exc
    if page > result.last_page:
        raise bad_request([Problem(PARAM_PAGE, str(page), f"Past the last page ({result.last_page}).", 404)])
    next_url = None
    if page < result.last_page:
        next_params = [*filters.to_params(), (PARAM_PAGE, str(page + 1)), (PARAM_PAGE_SIZE, str(page_size))]
        next_url = url_for("api.calls_json") + "?" + urlencode(next_params)
    payload = {
        "release": release_json(result.release),
        "filters": api_params.filters_dict(filters),
        "page": page,
        "page_size": page_size,
        "total_rows": result.total_rows,
        "next": next_url,
        "rows": result.rows,
    }
    etag = etag_for([result.release.release_id], params)
    return with_cache_headers(json_response(payload), etag, result.release.release_id)


@blueprint.get("/summary")
def summary() -> Response:
    """The Overview's figures for the view: headline, programs, monthly series, districts."""
    filters, problems = strict_filters()
    if problems or filters is None:
        raise bad_request(problems)
    store, settings = api_store(), api_settings()
    info = store.release_info(filters.city)
    etag = etag_for([info.release_id], filters.to_params())
    if etag_matches(etag):
        return not_modified(etag, info.release_id)
    page_query = filters.to_query_string()
    payload = {
        "release": release_json(info),
        "filters": api_params.filters_dict(filters),
        "query": page_query,
        "page_url": request.script_root + "/" + page_query,
        "kpis": download_format.frame_records(export.kpis_frame(store, filters))[0],
        "programs": download_format.frame_records(export.programs_frame(store, filters)),
        "monthly": download_format.frame_records(export.trend_frame(store, filters)),
        "districts": charts.district_records(store, settings, filters),
    }
    return with_cache_headers(json_response(payload), etag, info.release_id)


@blueprint.get("/charts/<chart>.csv")
def chart_csv(chart: str) -> Response:
    """The data behind one Overview chart, as the page shows it, as CSV."""
    if chart not in CHARTS:
        raise ApiError(404, f"No such chart; charts: {', '.join(CHARTS)}.",
                       [Problem("chart", chart[:40], f"Not one of: {', '.join(CHARTS)}.")])
    is_map = chart == "map"
    filters, problems = strict_filters((PARAM_METRIC, PARAM_LEVEL) if is_map else ())
    extra: list[tuple[str, str]] = []
    metric: MapMetric = charts.DEFAULT_METRIC
    level = charts.DEFAULT_LEVEL
    store, settings = api_store(), api_settings()
    if is_map:
        query = query_args()
        raw_metric, metric_problems = api_params.choice(query, PARAM_METRIC, MAP_METRICS,
                                                        charts.DEFAULT_METRIC)
        raw_level, level_problems = api_params.choice(query, PARAM_LEVEL, charts.LEVELS, charts.DEFAULT_LEVEL)
        metric, level = cast(MapMetric, raw_metric), cast(queries.MapLevel, raw_level)
        problems += metric_problems + level_problems
        if filters is not None and not problems:
            levels = charts.map_levels(store, settings, filters.city)
            if not levels:
                problems.append(Problem(PARAM_CITY, filters.city,
                                        "This city has no district boundaries, so the Overview has no map.",
                                        404))
            elif level not in levels:
                message = f"Levels for {filters.city}: {', '.join(levels)}."
                problems.append(Problem(PARAM_LEVEL, level, message, 404))
        extra = [(PARAM_LEVEL, level), (PARAM_METRIC, metric)]
    if problems or filters is None:
        raise bad_request(problems)
    info = store.release_info(filters.city)
    etag = etag_for([info.release_id], [*filters.to_params(), *extra])
    if etag_matches(etag):
        return not_modified(etag, info.release_id)
    if chart == "programs":
        frame = export.programs_frame(store, filters)
    elif chart == "trend":
        frame = export.trend_frame(store, filters)
    elif chart == "kpis":
        frame = export.kpis_frame(store, filters)
    else:
        frame = charts.map_frame(store, settings, filters, metric, level)
    response = Response(download_format.frame_to_csv(frame), mimetype="text/csv")
    filename = download_format.download_filename(chart, filters, info.release_id, extra)
    return attachment(with_cache_headers(response, etag, info.release_id), filename)


# The release list and files (``release_files``), registered in their place among the routes.
blueprint.get("/releases")(release_files.releases)
blueprint.get("/releases/<city>/<release_id>/files/<name>")(release_files.release_file)
# The Impact page's files (``impact_files``): computed offline from offense reports.
blueprint.get("/impact/<city>/<name>.csv")(impact_files.impact_file)


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API (row schema generated from the contract)."""
    if problems := api_params.unknown_parameters(query_args(), ()):
        raise bad_request(problems)
    store = api_store()
    header = all_releases_header(store)
    body = openapi_json(vocabulary(store.catalogs()))
    etag = etag_for([hashlib.sha256(body.encode()).hexdigest()], [])
    if etag_matches(etag):
        return not_modified(etag, header)
    return with_cache_headers(Response(body, mimetype="application/json"), etag, header)


@blueprint.route("/<path:rest>", methods=["GET", "OPTIONS"], provide_automatic_options=False)
def not_found(rest: str) -> Response:
    """JSON 404 for unknown paths (``OPTIONS`` too: there is nothing there to describe).

    Other methods than GET, HEAD and OPTIONS answer 405 with ``Allow: GET, HEAD, OPTIONS``
    for every API path (``dashboard.routing``), and ``OPTIONS`` on a real path lists
    exactly those: every rule here, this one included, takes only them.
    """
    raise ApiError(404, f"No such API path; see {url_for('api.openapi_document')}.")


@blueprint.errorhandler(Exception)
def _error(exc: Exception) -> Response:
    """JSON for every error in these routes; a traceback only ever reaches the log."""
    if isinstance(exc, ApiError):
        return error_response(exc.status, exc.message, exc.problems)
    if isinstance(exc, HTTPException):
        code = exc.code or 500
        return error_response(code, HTTPStatus(code).phrase + ".")
    log_exception(log, "API error on %s %s", request.method, request.path)
    return error_response(500, INTERNAL_ERROR)
