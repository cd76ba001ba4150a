"""What every ``/api/v1`` route does around its data: read, refuse, cache.

* Reading: the process's ``Settings`` and ``Store``, the query, and the view's
  ``Filters`` parsed strictly (``strict_filters``: a city that cannot be served is a
  503 before anything else).
* Refusing: ``ApiError`` and the one JSON error answer, ``error_response``
  (``{"error": {"status", "message", "problems"}}``, never cached, at most
  ``MAX_PROBLEMS`` problems); ``bad_request`` tells a 400 (a value the grammar forbids)
  from a 404 (a value the city's release lacks).
* Caching: the ``ETag`` of an answer (release ids, path, canonical query), the
  ``If-None-Match`` check and the 304, ``Cache-Control`` and ``X-Release-Id``.

Kept apart from the endpoints (``routes``, ``release_files``) so every endpoint follows
the rules ``routes`` lists through one implementation of them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import cast
from urllib.parse import urlencode

from flask import Response, current_app, request

from dashboard.api import EXTENSION_KEY
from dashboard.contract.releases import ReleaseInfo
from dashboard.engine.engines import get_store
from dashboard.engine.serving import CityStatus
from dashboard.engine.store import Store
from dashboard.params.filters import PARAM_CITY, Filters
from dashboard.queries import api_params
from dashboard.queries.api_params import Problem
from dashboard.settings import Settings

#: Seconds a client or proxy may reuse an answer (a new release may be switched in).
MAX_AGE = 300
#: Release files never change: a year, immutable.
IMMUTABLE_MAX_AGE = 365 * 24 * 3600
#: At most this many problems are listed in a 400 answer (the count is in the message).
MAX_PROBLEMS = 20
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


def api_settings() -> Settings:
    return cast(Settings, current_app.extensions[EXTENSION_KEY])


def api_store() -> Store:
    return get_store(api_settings())


def query_args() -> dict[str, list[str]]:
    return request.args.to_dict(flat=False)


def json_response(payload: object, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, allow_nan=False)
    return Response(body, status=status, mimetype="application/json")


def error_response(status: int, message: str, problems: Sequence[Problem] = ()) -> Response:
    """The API's error answer: JSON ``{"error": {"status", "message", "problems"}}``, never cached."""
    shown = list(problems)[:MAX_PROBLEMS]
    if len(problems) > len(shown):
        message += f" ({len(problems)} problems; the first {len(shown)} are listed.)"
    response = json_response(
        {"error": {"status": status, "message": message, "problems": [p.as_dict() for p in shown]}},
        status=status,
    )
    # An error may stop being one (a new release adds a month): never cache it.
    response.headers["Cache-Control"] = "no-store"
    if status == 503:
        response.headers["Retry-After"] = str(RETRY_AFTER)
    return response


def bad_request(problems: Sequence[Problem]) -> ApiError:
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


def strict_filters(extra: Sequence[str] = ()) -> tuple[Filters | None, list[Problem]]:
    """The query's Filters, or its problems; ApiError 503 for a city that cannot be served."""
    settings, store = api_settings(), api_store()
    query = query_args()
    unavailable = store.unavailable()
    named = [c for c in query.get(PARAM_CITY, []) if c in unavailable]
    if named:
        raise _unavailable(unavailable[named[0]])
    catalogs = store.catalogs()
    if not catalogs:
        raise ApiError(503, "No city's data can be served right now: every data release failed an "
                            "integrity check. The problem has been logged; try again later.")
    return api_params.parse_filters_strict(query, catalogs, settings.default_city, extra)


def etag_for(release_ids: Iterable[str], params: Sequence[tuple[str, str]]) -> str:
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


def etag_matches(etag: str) -> bool:
    return _matched_tag(etag) is not None


def with_cache_headers(
    response: Response, etag: str, release_header: str, immutable: bool = False
) -> Response:
    response.set_etag(etag)
    response.headers["Cache-Control"] = (
        f"public, max-age={IMMUTABLE_MAX_AGE}, immutable" if immutable else f"public, max-age={MAX_AGE}"
    )
    response.headers["X-Release-Id"] = release_header
    return response


def not_modified(etag: str, release_header: str, immutable: bool = False) -> Response:
    """304 with the headers the 200 would carry (its ETag as the client holds it)."""
    tag = _matched_tag(etag) or etag
    return with_cache_headers(Response(status=304), tag, release_header, immutable)


def all_releases_header(store: Store) -> str:
    return ", ".join(f"{city}/{store.release_info(city).release_id}" for city in store.cities)


def release_json(info: ReleaseInfo) -> dict[str, object]:
    return {
        "id": info.release_id,
        "city": info.city,
        "created": info.created,
        "source": info.source,
        "synthetic": info.synthetic,
    }


def attachment(response: Response, filename: str) -> Response:
    response.headers.set("Content-Disposition", "attachment", filename=filename)
    return response
