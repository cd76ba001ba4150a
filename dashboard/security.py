"""HTTP hardening for the Flask server under Dash: headers, error pages, worker warm-up.

* Content-Security-Policy: scripts only from this origin plus the hashes of Dash's
  own inline scripts (``app.csp_hashes()``); no ``'unsafe-eval'``, which is why maps
  are scatter traces and not MapLibre (DESIGN.md "In the browser"). Styles need
  ``'unsafe-inline'`` because React and plotly.js set ``style`` attributes.
* Errors: an unhandled exception answers a short plain-text message and is logged
  with its traceback server-side; a visitor never sees a stack trace.
* Warm-up: a freshly started gunicorn worker can answer 500 for Dash's own scripts
  on its first concurrent requests (dash issue #3971). ``warm`` makes those first
  requests itself, one at a time, before the worker takes traffic.
"""

from __future__ import annotations

import logging
import re

import dash
from dash.exceptions import DependencyException
from flask import Response, request
from werkzeug.exceptions import HTTPException

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


def install_security(app: dash.Dash) -> None:
    """Add security headers to every response and plain error pages to the server."""
    server = app.server

    @server.after_request
    def _headers(response: Response) -> Response:
        # Computed per response (a few small SHA-256s): Dash adds inline scripts (page
        # routing, clientside callbacks) during its first request, after create_app.
        response.headers["Content-Security-Policy"] = content_security_policy(app)
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
        response.headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
        return response

    @server.errorhandler(Exception)
    def _error(exc: Exception) -> Response | HTTPException:
        if isinstance(exc, HTTPException):
            return exc  # 404, 405, 400...: werkzeug's short pages, no traceback
        if isinstance(exc, DependencyException):  # a script Dash does not serve (e.g. full plotly.js)
            return Response(NOT_FOUND_MESSAGE, status=404, mimetype="text/plain")
        log.exception("unhandled error on %s %s", request.method, request.path)
        return Response(ERROR_MESSAGE, status=500, mimetype="text/plain")


_SCRIPT_SRC = re.compile(r'<script[^>]+src="([^"]+)"')
_LINK_HREF = re.compile(r'<link[^>]+href="([^"]+)"')


def warm(app: dash.Dash) -> list[tuple[str, int]]:
    """Request the index, the layout, the callback list and every script once.

    Runs Dash's first-request setup (``_setup_server``, page routing registration)
    single-threaded. Touches no data: the shell layout is static and the page layouts
    are only called by routing callbacks. Returns (url, status) for the log/tests.
    """
    client = app.server.test_client()
    prefix = app.config.requests_pathname_prefix
    results: list[tuple[str, int]] = []
    index = client.get(prefix)
    results.append((prefix, index.status_code))
    html = index.get_data(as_text=True)
    urls = [prefix + "_dash-layout", prefix + "_dash-dependencies"]
    urls += [u for u in _SCRIPT_SRC.findall(html) + _LINK_HREF.findall(html) if u.startswith(prefix)]
    for url in urls:
        response = client.get(url)
        results.append((url, response.status_code))
        response.close()
    failed = [r for r in results if r[1] >= 400]
    if failed:
        log.warning("warm-up requests failed: %s", failed)
    return results
