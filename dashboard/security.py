"""HTTP hardening for the Flask server under Dash: headers, error pages, worker warm-up.

* Content-Security-Policy: scripts only from this origin plus the hashes of Dash's
  own inline scripts (``app.csp_hashes()``); no ``'unsafe-eval'``, which is why maps
  are scatter traces and not MapLibre (docs/architecture.md "In the browser"). Styles need
  ``'unsafe-inline'`` because React and plotly.js set ``style`` attributes.
* Errors: an unhandled exception answers a short plain-text message and is logged
  with its traceback server-side; a visitor never sees a stack trace.
* Warm-up: a freshly started gunicorn worker can answer 500 for Dash's own scripts
  on its first concurrent requests (dash issue #3971). ``warm`` makes those first
  requests itself, one at a time, before the worker takes traffic.
* Static files (benchmarks/RESULTS.md "Lighthouse"): Dash's fingerprinted component
  bundles and our ``/assets/`` files (Dash links them with ``?m=<mtime>``, Bootstrap
  with ``?v=<version>``) get a new address when they change, so they are cached for a
  year (``immutable``). Scripts and styles go out brotli-compressed at quality 9,
  compressed once per worker (during ``warm``) instead of Flask-Compress's fast
  per-request zstd: ~10% fewer bytes on a first view. Flask-Compress still compresses
  everything else (pages, callbacks).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

import brotli
import dash
from dash.exceptions import DependencyException
from flask import Response, request
from werkzeug.exceptions import HTTPException

from dashboard.headers import SECURITY_HEADERS
from dashboard.logsafe import log_exception

log = logging.getLogger(__name__)

#: Answer for any unhandled exception (plain text: no template that could fail too).
ERROR_MESSAGE = (
    "Sorry, something went wrong on our side. The problem has been logged. "
    "Please reload the page or try again later."
)

NOT_FOUND_MESSAGE = "Not found."

_STATIC_DIRECTIVES = (
    "default-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",  # blob: for the chart toolbar's PNG download
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)


def content_security_policy(app: dash.Dash) -> str:
    """The CSP header value for ``app``'s current set of inline scripts."""
    hashes = " ".join(app.csp_hashes())  # already quoted: 'sha256-...'
    script_src = f"script-src 'self' {hashes}".rstrip()
    return "; ".join((_STATIC_DIRECTIVES[0], script_src, *_STATIC_DIRECTIVES[1:]))


#: Cache-Control for a file whose address changes with its content.
IMMUTABLE = "public, max-age=31536000, immutable"
_STATIC_MIMETYPES = frozenset({"text/javascript", "application/javascript", "text/css"})
_BROTLI_QUALITY = 9  # 11 saves ~8% more but takes ~9 s for plotly.js on this machine
_compressed: dict[tuple[str, str], bytes] = {}  # (path, validator) -> brotli bytes: one per file


def _is_fingerprinted(prefix: str) -> bool:
    """Is the current request for a file whose address changes with its content?"""
    path = request.path
    if path.startswith(prefix + "_dash-component-suites/"):
        return True  # Dash itself marks the fingerprinted ones (max-age, below)
    return path.startswith(prefix + "assets/") and bool(request.args.get("m") or request.args.get("v"))


def _static_response(response: Response, prefix: str) -> Response:
    """Long caching and strong compression for scripts and styles (see module doc)."""
    if request.method != "GET" or response.status_code != 200 or not _is_fingerprinted(prefix):
        return response
    if request.path.startswith(prefix + "assets/") or "max-age=31536000" in (
        response.headers.get("Cache-Control") or ""
    ):
        response.headers["Cache-Control"] = IMMUTABLE
    accepts_br = "br" in request.headers.get("Accept-Encoding", "").replace(" ", "").split(",")
    if response.mimetype not in _STATIC_MIMETYPES or not accepts_br or "Content-Encoding" in response.headers:
        return response
    etag, weak = response.get_etag()
    key = (request.path, etag or "")  # the query (?m=, ?v=) never changes the body
    body = _compressed.get(key)
    if body is None:
        response.direct_passthrough = False  # send_file's file wrapper: read it here
        body = brotli.compress(response.get_data(), quality=_BROTLI_QUALITY)
        _compressed[key] = body
    response.direct_passthrough = False
    response.set_data(body)
    response.headers["Content-Encoding"] = "br"  # Flask-Compress leaves it alone then
    if etag:
        response.set_etag(f"{etag}:br", weak=weak)
    vary = response.headers.get("Vary")
    if not vary:
        response.headers["Vary"] = "Accept-Encoding"
    elif "accept-encoding" not in vary.lower():
        response.headers["Vary"] = f"{vary}, Accept-Encoding"
    return response.make_conditional(request)


def install_security(app: dash.Dash) -> None:
    """Add security and caching headers to every response and plain error pages to the server."""
    server = app.server
    prefix = app.config.requests_pathname_prefix

    @server.after_request
    def _headers(response: Response) -> Response:
        # Computed per response (a few small SHA-256s): Dash adds inline scripts (page
        # routing, clientside callbacks) during its first request, after create_app.
        response.headers["Content-Security-Policy"] = content_security_policy(app)
        response.headers.update(SECURITY_HEADERS)
        return _static_response(response, prefix)

    @server.errorhandler(Exception)
    def _error(exc: Exception) -> Response | HTTPException:
        if isinstance(exc, HTTPException):
            return exc  # 404, 405, 400...: answered by dashboard.routing's handler
        if isinstance(exc, DependencyException):  # a script Dash does not serve (e.g. full plotly.js)
            return Response(NOT_FOUND_MESSAGE, status=404, mimetype="text/plain")
        # The path and the exception's message may hold what a client sent: cut short.
        log_exception(log, "unhandled error on %s %s", request.method, request.path)
        return Response(ERROR_MESSAGE, status=500, mimetype="text/plain")


_SCRIPT_SRC = re.compile(r'<script[^>]+src="([^"]+)"')
_LINK_HREF = re.compile(r'<link[^>]+href="([^"]+)"')


#: Set on the Flask config while ``warm`` runs: pages are not drawn into the index then.
WARMING_KEY = "CRISIS_WARMING"


def warm(app: dash.Dash, extra: Sequence[str] = ()) -> list[tuple[str, int]]:
    """Request the index, the layout, the callback list and every script once.

    Runs Dash's first-request setup (``_setup_server``, page routing registration)
    single-threaded. Touches no data: while ``WARMING_KEY`` is set, the index and the
    layout leave the page out (``dashboard.first_view``), so no store opens before a
    worker forks. Returns (url, status) for the log/tests.
    """
    app.server.config[WARMING_KEY] = True
    try:
        return _warm(app, extra)
    finally:
        app.server.config[WARMING_KEY] = False


def _warm(app: dash.Dash, extra: Sequence[str]) -> list[tuple[str, int]]:
    client = app.server.test_client()
    prefix = app.config.requests_pathname_prefix
    results: list[tuple[str, int]] = []
    index = client.get(prefix)
    results.append((prefix, index.status_code))
    html = index.get_data(as_text=True)
    urls = [prefix + "_dash-layout", prefix + "_dash-dependencies"]
    urls += [u for u in _SCRIPT_SRC.findall(html) + _LINK_HREF.findall(html) if u.startswith(prefix)]
    urls += list(extra)  # scripts loaded later by the page (plotly.js, on demand)
    for url in urls:
        # Accept-Encoding: br fills this worker's cache of compressed scripts and styles.
        response = client.get(url, headers={"Accept-Encoding": "br"})
        results.append((url, response.status_code))
        response.close()
    failed = [r for r in results if r[1] >= 400]
    if failed:
        log.warning("warm-up requests failed: %s", failed)
    return results
