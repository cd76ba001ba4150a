"""The ``/api/v1`` routes (a Flask blueprint): rows, summaries, chart data, release files.

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
import json
import logging
from collections.abc import Iterable, Sequence
from http import HTTPStatus
from pathlib import Path
from typing import cast
from urllib.parse import urlencode

import duckdb
from flask import Blueprint, Response, current_app, request, send_file, stream_with_context, url_for
from werkzeug.exceptions import HTTPException

from dashboard.api import EXTENSION_KEY, charts
from dashboard.api.openapi import openapi_json
from dashboard.contract.releases import (
    MANIFEST,
    ReleaseError,
    ReleaseInfo,
    list_releases,
    read_manifest,
    sha256_file,
)
from dashboard.engine.integrity import SEALS, IntegrityError, manifest_files, verified_chunks
from dashboard.engine.serving import CityStatus
from dashboard.engine.store import Store, get_store
from dashboard.figures import MAP_METRICS, MapMetric
from dashboard.logsafe import log_exception
from dashboard.params.filters import PARAM_CITY, Filters
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
from dashboard.settings import Settings

log = logging.getLogger(__name__)

blueprint = Blueprint("api", __name__, url_prefix=API_PREFIX)

#: Seconds a client or proxy may reuse an answer (a new release may be switched in).
MAX_AGE = 300
#: Release files never change: a year, immutable.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
#: At most this many problems are listed in a 400 answer (the count is in the message).
MAX_PROBLEMS = 20

PARAM_METRIC = "metric"
PARAM_LEVEL = "level"

#: Content types of release files by suffix (anything else is application/octet-stream).
FILE_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".md": "text/markdown",
}

INTERNAL_ERROR = "Something went wrong on our side; the problem has been logged."
#: Seconds a client is asked to wait before trying a 503 again (a release can be repaired
#: or switched in meanwhile).
RETRY_AFTER = 30


class ApiError(Exception):
    """An answer other than 200: its status, a message and the problems, by parameter."""

    def __init__(self, status: int, message: str, problems: Sequence[Problem] = ()) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.problems = list(problems)


# ------------------------------------------------------------------------------ helpers


def _settings() -> Settings:
    return cast(Settings, current_app.extensions[EXTENSION_KEY])


def _store() -> Store:
    return get_store(_settings())


def _query() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def _json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def error_response(status: int, message: str, problems: Sequence[Problem] = ()) -> Response:
    """The API's error answer: JSON ``{"error": {"status", "message", "problems"}}``, never cached."""
    shown = list(problems)[:MAX_PROBLEMS]
    if len(problems) > len(shown):
        message += f" ({len(problems)} problems; the first {len(shown)} are listed.)"
    response = _json_response(
        {"error": {"status": status, "message": message, "problems": [p.as_dict() for p in shown]}},
        status=status,
    )
    # An error may stop being one (a new release adds a month): never cache it.
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def _bad_request(problems: Sequence[Problem]) -> ApiError:
    """400 if any value breaks the documented grammar, else 404: every value is allowed
    but the city's current release holds nothing they name (``api_params.Problem``)."""
    if any(p.status == 400 for p in problems):
        problems = [p for p in problems if p.status == 400]
        names = ", ".join(dict.fromkeys(p.parameter for p in problems))
        return ApiError(400, f"Invalid request parameters: {names}.", problems)
    names = ", ".join(dict.fromkeys(p.parameter for p in problems))
    return ApiError(404, f"Nothing in the current release matches: {names}.", problems)


def _unavailable(status: CityStatus) -> ApiError:
    return ApiError(
        503,
        f"The data of {status.city} cannot be served right now: its data release failed an integrity "
        "check and there is no earlier good release. Other cities are served; try again later.",
        [Problem(PARAM_CITY, status.city, "No release of this city passed its integrity check.")],
    )


def _damaged(city: str, exc: Exception) -> ApiError:
    log.error("refusing to read %s: %s", city, exc)
    return ApiError(503, f"The rows of {city} cannot be read right now: a file of its data release no "
                         "longer matches its checksum. The problem has been logged; try again later.")


def _strict_filters(extra: Sequence[str] = ()) -> tuple[Filters | None, list[Problem]]:
    """The query's Filters, or its problems; ApiError 503 for a city that cannot be served."""
    settings, store = _settings(), _store()
    query = _query()
    unavailable = store.unavailable()
    named = [c for c in query.get(PARAM_CITY, []) if c in unavailable]
    if named:
        raise _unavailable(unavailable[named[0]])
    catalogs = store.catalogs()
    if not catalogs:
        raise ApiError(503, "No city's data can be served right now: every data release failed an "
                            "integrity check. The problem has been logged; try again later.")
    return api_params.parse_filters_strict(query, catalogs, settings.default_city, extra)


def _etag(release_ids: Iterable[str], params: Sequence[tuple[str, str]]) -> str:
    """Hash of what the answer depends on: release id(s), path and canonical query."""
    text = "\n".join([*release_ids, request.path, urlencode(list(params))])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:40]


def _matched_tag(etag: str) -> str | None:
    """The tag of ``If-None-Match`` that names ``etag``, as the client sent it: ``etag``
    itself or ``etag:br`` etc., the form the compression layer gives a compressed
    answer's ETag (``*`` matches any)."""
    condition = request.if_none_match
    if condition.star_tag:
        return etag
    return next((tag for tag in condition.as_set(include_weak=True) if tag.split(":", 1)[0] == etag), None)


def _matches(etag: str) -> bool:
    return _matched_tag(etag) is not None


def _with_cache_headers(
    response: Response, etag: str, release_header: str, immutable: bool = False
) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={IMMUTABLE_MAX_AGE}, immutable" if immutable else f"public, max-age={MAX_AGE}"
    )
    response.headers["X-Release-Id"] = release_header
    return response


def _not_modified(etag: str, release_header: str, immutable: bool = False) -> Response:
    """304 with the headers the 200 would carry (its ETag as the client holds it)."""
    tag = _matched_tag(etag) or etag
    return _with_cache_headers(Response(status=304), tag, release_header, immutable)


def _all_releases_header(store: Store) -> str:
    return ", ".join(f"{city}/{store.release_info(city).release_id}" for city in store.cities)


def _release_json(info: ReleaseInfo) -> dict[str, object]:
    return {
        "id": info.release_id,
        "city": info.city,
        "created": info.created,
        "source": info.source,
        "synthetic": info.synthetic,
    }


def _attachment(response: Response, filename: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response


# ---------------------------------------------------------------------------- endpoints


@blueprint.get("/")
def index() -> Response:
    """What the API offers, with links (the OpenAPI document has the details)."""
    if problems := api_params.unknown_parameters(_query(), ()):
        raise _bad_request(problems)
    store = _store()
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
    header = _all_releases_header(store)
    etag = _etag(header.split(", "), [])
    if _matches(etag):
        return _not_modified(etag, header)
    return _with_cache_headers(_json_response(payload), etag, header)


@blueprint.get("/calls.csv")
def calls_csv() -> Response:
    """The view's rows as CSV, streamed (memory stays flat however many rows)."""
    filters, problems = _strict_filters()
    if problems or filters is None:
        raise _bad_request(problems)
    try:
        download = export.calls_csv(_store(), filters)
    except IntegrityError as exc:
        raise _damaged(filters.city, exc) from exc
    release_id = download.release.release_id
    etag = _etag([release_id], filters.to_params())
    if _matches(etag):
        download.close()
        return _not_modified(etag, release_id)
    chunks = download.chunks()
    try:  # the header and the first rows before the 200: a file DuckDB cannot read is a 503
        first = next(chunks)
    except (duckdb.Error, OSError) as exc:
        chunks.close()
        raise _damaged(filters.city, exc) from exc
    response = Response(stream_with_context(itertools.chain([first], chunks)), mimetype="text/csv")
    return _attachment(_with_cache_headers(response, etag, release_id), download.filename)


@blueprint.get("/calls.json")
def calls_json() -> Response:
    """One page of the view's rows as JSON, in the CSV's order, with a link to the next."""
    filters, problems = _strict_filters((PARAM_PAGE, PARAM_PAGE_SIZE))
    query = _query()
    page, page_problems = api_params.bounded_int(query, PARAM_PAGE, 1, 1, 999_999_999)
    page_size, size_problems = api_params.bounded_int(query, PARAM_PAGE_SIZE, DEFAULT_PAGE_SIZE, 1,
                                                      MAX_PAGE_SIZE)
    problems += page_problems + size_problems
    if problems or filters is None:
        raise _bad_request(problems)
    store = _store()
    params = [*filters.to_params(), (PARAM_PAGE, str(page)), (PARAM_PAGE_SIZE, str(page_size))]
    etag = _etag([store.release_info(filters.city).release_id], params)
    if _matches(etag):
        return _not_modified(etag, store.release_info(filters.city).release_id)
    try:
        result = export.calls_page(store, filters, page, page_size)
    except (IntegrityError, duckdb.Error) as exc:
        raise _damaged(filters.city, exc) from exc
    if page > result.last_page:
        raise _bad_request([Problem(PARAM_PAGE, str(page), f"Past the last page ({result.last_page}).", 404)])
    next_url = None
    if page < result.last_page:
        next_params = [*filters.to_params(), (PARAM_PAGE, str(page + 1)), (PARAM_PAGE_SIZE, str(page_size))]
        next_url = url_for("api.calls_json") + "?" + urlencode(next_params)
    payload = {
        "release": _release_json(result.release),
        "filters": api_params.filters_dict(filters),
        "page": page,
        "page_size": page_size,
        "total_rows": result.total_rows,
        "next": next_url,
        "rows": result.rows,
    }
    etag = _etag([result.release.release_id], params)
    return _with_cache_headers(_json_response(payload), etag, result.release.release_id)


@blueprint.get("/summary")
def summary() -> Response:
    """The Overview's figures for the view: headline, programs, monthly series, districts."""
    filters, problems = _strict_filters()
    if problems or filters is None:
        raise _bad_request(problems)
    store, settings = _store(), _settings()
    info = store.release_info(filters.city)
    etag = _etag([info.release_id], filters.to_params())
    if _matches(etag):
        return _not_modified(etag, info.release_id)
    page_query = filters.to_query_string()
    payload = {
        "release": _release_json(info),
        "filters": api_params.filters_dict(filters),
        "query": page_query,
        "page_url": request.script_root + "/" + page_query,
        "kpis": download_format.frame_records(export.kpis_frame(store, filters))[0],
        "programs": download_format.frame_records(export.programs_frame(store, filters)),
        "monthly": download_format.frame_records(export.trend_frame(store, filters)),
        "districts": charts.district_records(store, settings, filters),
    }
    return _with_cache_headers(_json_response(payload), etag, info.release_id)


@blueprint.get("/charts/<chart>.csv")
def chart_csv(chart: str) -> Response:
    """The data behind one Overview chart, as the page shows it, as CSV."""
    if chart not in CHARTS:
        raise ApiError(404, f"No such chart; charts: {', '.join(CHARTS)}.",
                       [Problem("chart", chart[:40], f"Not one of: {', '.join(CHARTS)}.")])
    is_map = chart == "map"
    filters, problems = _strict_filters((PARAM_METRIC, PARAM_LEVEL) if is_map else ())
    extra: list[tuple[str, str]] = []
    metric: MapMetric = charts.DEFAULT_METRIC
    level = charts.DEFAULT_LEVEL
    store, settings = _store(), _settings()
    if is_map:
        query = _query()
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
        raise _bad_request(problems)
    info = store.release_info(filters.city)
    etag = _etag([info.release_id], [*filters.to_params(), *extra])
    if _matches(etag):
        return _not_modified(etag, info.release_id)
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
    return _attachment(_with_cache_headers(response, etag, info.release_id), filename)


def _city_status(status: CityStatus | None) -> dict[str, object]:
    """How a city is served, for ``/releases``: ``ok``, ``previous`` (the release CURRENT
    names failed its checks; the last good one is served) or ``unavailable``."""
    if status is None:
        return {"state": "unavailable", "serving": None, "named": None, "problem": None}
    state = "unavailable" if status.unavailable else "previous" if status.fallback else "ok"
    return {
        "state": state,
        "serving": status.serving.release_id if status.serving else None,
        "named": status.named,
        "problem": "The release CURRENT names failed its integrity check." if status.problem else None,
    }


@blueprint.get("/releases")
def releases() -> Response:
    """Every release of every city, with its accounting, privacy parameters and files.

    ``current`` marks the release this server answers from (not necessarily the one
    CURRENT names: see each city's ``status``). Cities with no good release are listed
    too, so a client can see why their data answers 503.
    """
    if problems := api_params.unknown_parameters(_query(), ()):
        raise _bad_request(problems)
    store, settings = _store(), _settings()
    statuses = store.statuses()
    served = store.cities
    configured = {c: city for c, city in store.configured.items() if c in served or c in statuses}
    cities = []
    keys = []
    for city_id, city in configured.items():
        status = statuses.get(city_id)
        serving = status.serving.release_id if status and status.serving else ""
        entries = []
        for manifest in list_releases(settings.releases_dir, city_id, serving=serving):
            release_id = str(manifest["release_id"])
            keys.append(f"{city_id}/{release_id}/{manifest['current']}")
            files = [
                {
                    "name": name,
                    "sha256": meta["sha256"],
                    "bytes": meta["bytes"],
                    "url": url_for("api.release_file", city=city_id, release_id=release_id, name=name),
                }
                for name, meta in sorted(manifest.get("files", {}).items())
            ]
            entries.append(
                {
                    "id": release_id,
                    "city": city_id,
                    "created": manifest.get("created"),
                    "source": manifest.get("source"),
                    "synthetic": bool(manifest.get("synthetic")),
                    "current": bool(manifest["current"]),
                    "rows": manifest.get("rows", {}),
                    "privacy": manifest.get("privacy", {}),
                    "manifest_url": url_for(
                        "api.release_file", city=city_id, release_id=release_id, name=MANIFEST
                    ),
                    "files": files,
                }
            )
        city_status = _city_status(status)
        keys.append(f"{city_id}:{city_status['state']}:{city_status['named']}")
        cities.append({"city": city_id, "name": city.name, "status": city_status, "releases": entries})
    header = _all_releases_header(store)
    etag = _etag(keys, [])
    if _matches(etag):
        return _not_modified(etag, header)
    return _with_cache_headers(_json_response({"cities": cities}), etag, header)


def _expected(store: Store, folder: Path, city: str, release_id: str, name: str) -> tuple[str, int]:
    """(sha256, bytes) the file must have: from its manifest (for the manifest itself, as
    verified when the release was opened, or as it is now for a release not served)."""
    manifest = read_manifest(folder)
    if manifest.get("release_id") != release_id or manifest.get("city") != city:
        raise ApiError(404, "No such release file.")
    if name != MANIFEST:
        files = manifest_files(manifest)
        if name not in files:
            raise ApiError(404, "No such release file.")
        return files[name]
    served = store.served_release(city)
    if served is not None and served.info.release_id == release_id:
        return served.expected[MANIFEST]
    return sha256_file(folder / MANIFEST), (folder / MANIFEST).stat().st_size


@blueprint.get("/releases/<city>/<release_id>/files/<name>")
def release_file(city: str, release_id: str, name: str) -> Response:
    """A file of a release, only if its manifest lists it (or the manifest itself), and
    only if its bytes are the ones the manifest describes (else 503).

    Nothing from the URL reaches the file system unchecked: the city must be configured,
    the release id must be one ``list_releases`` returns and the name one its manifest
    lists, so ``..`` or any other path cannot name a file.
    """
    if problems := api_params.unknown_parameters(_query(), ()):
        raise _bad_request(problems)
    store, settings = _store(), _settings()
    not_found = ApiError(404, "No such release file.")
    if city not in store.cities and city not in store.statuses():
        raise not_found
    if release_id not in {str(m["release_id"]) for m in list_releases(settings.releases_dir, city)}:
        raise not_found
    folder = settings.releases_dir / city / release_id
    try:
        sha256, size = _expected(store, folder, city, release_id, name)
    except ReleaseError as exc:
        raise not_found from exc
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise not_found
    try:
        SEALS.check(path, sha256, size)  # a stat; hashed again only if the file changed
    except IntegrityError as exc:
        log.error("refusing to serve %s/%s/%s: %s", city, release_id, name, exc)
        raise ApiError(503, "This file no longer matches the checksum its release publishes, so it is "
                            "not served. The problem has been logged; try again later.") from exc
    if _matches(sha256):
        return _not_modified(sha256, release_id, immutable=True)
    mimetype = FILE_TYPES.get(path.suffix, "application/octet-stream")
    if request.range is not None:  # a byte range cannot be checked whole: the check above guards it
        response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name,
                             conditional=True, etag=sha256, max_age=IMMUTABLE_MAX_AGE)
    else:
        response = Response(verified_chunks(path, sha256, size), mimetype=mimetype,
                            direct_passthrough=True)
        response.content_length = size
        response.headers["Accept-Ranges"] = "bytes"
        _attachment(response, name)
    return _with_cache_headers(response, sha256, release_id, immutable=True)


@blueprint.get("/openapi.json")
def openapi_document() -> Response:
    """The OpenAPI 3.1 document of this API (row schema generated from the contract)."""
    if problems := api_params.unknown_parameters(_query(), ()):
        raise _bad_request(problems)
    store = _store()
    header = _all_releases_header(store)
    body = openapi_json(vocabulary(store.catalogs()))
    etag = _etag([hashlib.sha256(body.encode()).hexdigest()], [])
    if _matches(etag):
        return _not_modified(etag, header)
    return _with_cache_headers(Response(body, mimetype="application/json"), etag, header)


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
