"""Which addresses the app answers, and how it refuses the others (issue 12, items 9 and 11).

* **Its own pages only.** Dash's pages register a catch-all (``/<path:path>``) that
  answers every address with the page shell, so ``/.git/config`` answered 200. Here the
  app knows its page paths (``dash.page_registry``: fixed paths and ``path_template``s
  such as ``/district/<district_id>``, one path segment per variable); any other address
  the catch-all would take gets the same shell with status 404, whose router (running in
  the browser) shows the not-found page in the reader's language, as it does when the
  browser navigates to an unknown path without a reload. The API, ``/assets/``, Dash's
  own routes and the plotly bundle have their own rules and never reach the catch-all.
* **Long addresses.** gunicorn refuses a request line over ``limit_request_line`` with
  an HTML page of its own (no JSON, no security headers), so ``gunicorn.conf.py`` lets
  lines of up to 8,190 bytes (gunicorn's largest bounded value) reach the app, and the
  app enforces its own, smaller limits here: ``MAX_QUERY_BYTES`` of query and
  ``MAX_PATH_BYTES`` of path. Longer ones answer 414 naming the longest parameter: JSON
  under the API, a plain message in the reader's language elsewhere, with the security
  headers like every answer of the app.
* **Redirects stay on this site.** werkzeug redirects ``/api/v1`` to ``/api/v1/`` (and
  merges doubled slashes) with an absolute ``Location`` built from the ``Host`` header,
  which a client chooses: such redirects carry the path and query only.
* **Other HTTP errors** (405 for a method an address does not take, werkzeug's 400s...)
  answer the same way: JSON under the API (its error shape), plain text elsewhere.
  ``OPTIONS`` and ``Allow`` list only the methods an address really takes (the API:
  ``GET, HEAD, OPTIONS``).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Sequence
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

import dash
from flask import Response, g, redirect, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed
from werkzeug.routing import RequestRedirect

from dashboard.i18n import t
from dashboard.pages import request_language
from dashboard.queries.api_params import Problem

#: Longest query (bytes after ``?``, as sent) the app answers; the API's longest valid
#: query (every parameter at its documented maximum) is well under it.
MAX_QUERY_BYTES = 4096
#: Longest path (bytes, as sent): the app's own paths are all short.
MAX_PATH_BYTES = 1024
#: At most this many characters of a client's value are echoed back.
MAX_ECHO = 40

#: ``error_json(status, message, problems)`` builds the API's JSON error answer.
ErrorJson = Callable[[int, str, Sequence[Problem]], Response]
#: Order of methods in an ``Allow`` header.
_METHOD_ORDER = ("GET", "HEAD", "OPTIONS", "POST")


def _echo(text: str) -> str:
    text = text if text.isprintable() else text.encode("unicode_escape").decode("ascii")
    return text if len(text) <= MAX_ECHO else text[: MAX_ECHO - 3] + "..."


def longest_parameter(raw_query: bytes) -> tuple[str, str, int]:
    """(name, start of value, bytes) of the longest ``name=value`` pair of a raw query."""
    pairs = raw_query.split(b"&")
    longest = max(pairs, key=len)
    name, _, value = longest.partition(b"=")
    return _echo(_decode(name)), _echo(_decode(value)), len(longest)


def _decode(part: bytes) -> str:
    """A percent-encoded query part as text (bad UTF-8 replaced, as werkzeug does)."""
    return unquote(part.decode("latin-1").replace("+", " "), encoding="utf-8", errors="replace")


def _segments_match(path: str, template: str) -> bool:
    """Does ``path`` fit a page's ``path_template``, one path segment per ``<variable>``?"""
    parts, wanted = path.strip("/").split("/"), template.strip("/").split("/")
    if len(parts) != len(wanted):
        return False
    return all(
        bool(part) if want.startswith("<") and want.endswith(">") else fnmatch.fnmatchcase(part, want)
        for part, want in zip(parts, wanted, strict=True)
    )


def is_page_path(app: dash.Dash, path: str) -> bool:
    """Is ``path`` (the request's, with the app's prefix) the address of one of its pages?

    The not-found page registered at ``/404`` is not a page a link should reach.
    """
    try:
        relative = app.strip_relative_path(path) or ""
    except dash.exceptions.UnsupportedRelativePath:
        return False
    for page in dash.page_registry.values():
        if page["module"].endswith("not_found_404"):
            continue
        template = page.get("path_template")
        if template and _segments_match(relative, template):
            return True
        if not template and relative == page["path"].strip("/"):
            return True
    return False


def _plain(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    response = Response(text + "\n", status=status, mimetype="text/plain", headers=headers or {})
    response.headers["Cache-Control"] = "no-store"
    return response


def _too_long(api: bool, error_json: ErrorJson) -> Response | None:
    """A 414 when the path or query is longer than the app takes (None: it is not)."""
    raw_path = request.environ.get("RAW_URI", "").split("?", 1)[0].encode("latin-1", "replace")
    path_bytes = max(len(raw_path), len(request.path.encode("utf-8")))
    query = request.query_string
    if path_bytes <= MAX_PATH_BYTES and len(query) <= MAX_QUERY_BYTES:
        return None
    lang = request_language() if path_bytes <= MAX_PATH_BYTES else "en"
    if path_bytes > MAX_PATH_BYTES:
        message = t("http.error.414.path", lang, size=f"{path_bytes:,}", limit=f"{MAX_PATH_BYTES:,}")
        problems = [Problem("path", _echo(request.path), message)]
    else:
        name, value, size = longest_parameter(query)
        message = t("http.error.414.query", lang, size=f"{len(query):,}", limit=f"{MAX_QUERY_BYTES:,}",
                    name=name, longest=f"{size:,}")
        problems = [Problem(name, value, f"{size:,} bytes of a query that may have {MAX_QUERY_BYTES:,}.")]
    if api:
        return error_json(414, message, problems)
    return _plain(414, message)


def _allow(methods: set[str]) -> str:
    """An ``Allow`` value: GET, HEAD, OPTIONS, POST first, in that order."""
    return ", ".join([m for m in _METHOD_ORDER if m in methods] + sorted(methods - {*_METHOD_ORDER}))


def http_error(exc: HTTPException, api: bool, error_json: ErrorJson) -> Response:
    """Any werkzeug HTTP error (404, 405, 400...) as JSON under the API, else plain text."""
    code = exc.code or 500
    headers = {}
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        headers["Allow"] = _allow(set(exc.valid_methods))
    if api:
        if code == 405:
            message = "Method not allowed; this API is read-only (GET)."
        elif code == 404:
            message = "No such API path; see /api/v1/openapi.json."
        else:
            message = HTTPStatus(code).phrase + "."
        response = error_json(code, message, [])
    else:
        lang = request_language()
        key = f"http.error.{code}" if code in (400, 404, 405, 413) else "http.error.other"
        response = _plain(code, t(key, lang, method=_echo(request.method), status=code,
                                  phrase=HTTPStatus(code).phrase))
    for name, value in headers.items():
        response.headers[name] = value
    return response


def install_routing(app: dash.Dash, api_prefix: str, error_json: ErrorJson) -> None:
    """Limits, 404 for unknown pages and plain/JSON HTTP errors on ``app``'s server."""
    server = app.server
    catch_all = {app.config.routes_pathname_prefix, app.config.routes_pathname_prefix + "<path:path>"}

    def under_api() -> bool:
        return request.path == api_prefix or request.path.startswith(api_prefix + "/")

    @server.before_request
    def _limits() -> Response | None:
        return _too_long(under_api(), error_json)

    @server.before_request
    def _relative_redirect() -> Response | None:
        exc = request.routing_exception
        if not isinstance(exc, RequestRedirect):
            return None
        target = urlsplit(exc.new_url)
        location = "/" + target.path.lstrip("/") + (f"?{target.query}" if target.query else "")
        return redirect(location, code=exc.code)

    @server.before_request
    def _unknown_page() -> None:
        rule = request.url_rule
        if rule is not None and rule.endpoint in catch_all and not is_page_path(app, request.path):
            g.unknown_page = True

    @server.after_request
    def _status_and_allow(response: Response) -> Response:
        if g.get("unknown_page") and response.status_code == 200:
            response.status_code = 404
            response.headers["Cache-Control"] = "no-store"
        if "Allow" in response.headers:  # werkzeug's order is a set's: write it the usual way
            valid = {m.strip() for m in response.headers["Allow"].split(",")}
            response.headers["Allow"] = _allow(valid)
        return response

    @server.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Response:
        return http_error(exc, under_api(), error_json)
