"""gunicorn, the production server (``gunicorn.conf.py``): what it answers itself, what it logs.

gunicorn refuses some requests before the app sees them: a request line over
``limit_request_line`` (414), headers over ``limit_request_field_size`` or too many of
them (431), a line that is not HTTP (400). Its own answer is an HTML page echoing part
of the request, without the app's security headers. ``Worker`` answers those instead
with a short plain text in English and Spanish (the language of the page cannot be
known: the request was not read), the security headers and ``Cache-Control:
no-store``; other errors are gunicorn's as before. ``gunicorn.conf.py`` raises
``limit_request_line`` to 8,190 bytes, gunicorn's largest bounded value, so that
addresses the app can name the problem of (``dashboard.routing``: 414 naming the
longest parameter past 4,096 bytes of query) reach it.

``AccessLogger`` cuts every client-sent field of an access-log line (request line,
referrer, user agent, headers) to ``MAX_FIELD`` characters: an 8 KB address or header
must not become an 8 KB log line.

Only the standard library, gunicorn and ``dashboard.i18n``/``headers``/``logsafe``
are imported: gunicorn's master loads this with its config, before any worker.
"""

from __future__ import annotations

import socket
from typing import Any

from gunicorn import util
from gunicorn.glogging import Logger
from gunicorn.http import errors
from gunicorn.workers.sync import SyncWorker

from dashboard.headers import NOTHING_CSP, SECURITY_HEADERS
from dashboard.i18n import LANGUAGES, t
from dashboard.logsafe import shorten

#: Longest client-sent field in an access-log line.
MAX_FIELD = 300

#: Requests gunicorn refuses while reading them, by status (anything else: gunicorn's answer).
_REFUSED: tuple[tuple[type[Exception], int, str], ...] = (
    (errors.LimitRequestLine, 414, "http.refused.line"),
    (errors.LimitRequestHeaders, 431, "http.refused.headers"),
    (errors.UnsupportedTransferCoding, 501, "http.refused.request"),
    (errors.ExpectationFailed, 417, "http.refused.request"),
    (errors.InvalidRequestLine, 400, "http.refused.request"),
    (errors.InvalidRequestMethod, 400, "http.refused.request"),
    (errors.InvalidHTTPVersion, 400, "http.refused.request"),
    (errors.ObsoleteFolding, 400, "http.refused.request"),
    (errors.InvalidHeader, 400, "http.refused.request"),
    (errors.InvalidHeaderName, 400, "http.refused.request"),
)
_REASONS = {400: "Bad Request", 414: "URI Too Long", 417: "Expectation Failed",
            431: "Request Header Fields Too Large", 501: "Not Implemented"}


def refusal(exc: BaseException) -> tuple[int, str] | None:
    """(status, message key) for a request gunicorn could not read, None for other errors.

    A header the *app* tried to send (``InvalidResponseHeader``) is the app's fault:
    gunicorn answers it with a 500 as before.
    """
    if isinstance(exc, errors.InvalidResponseHeader | errors.InvalidResponseHeaderName):
        return None
    for kind, status, key in _REFUSED:
        if isinstance(exc, kind):
            return status, key
    return None


def refusal_bytes(status: int, key: str) -> bytes:
    """The whole HTTP answer for a refused request: plain text in every language."""
    body = "\n".join(t(key, lang) for lang in LANGUAGES).encode("utf-8") + b"\n"
    headers = {
        "Content-Type": "text/plain; charset=utf-8",
        "Content-Length": str(len(body)),
        "Connection": "close",
        "Cache-Control": "no-store",
        "Content-Security-Policy": NOTHING_CSP,
        **SECURITY_HEADERS,
    }
    head = f"HTTP/1.1 {status} {_REASONS[status]}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode("latin-1") + b"\r\n" + body


class Worker(SyncWorker):
    """gunicorn's sync worker, answering requests it cannot read like the app would."""

    def handle_error(self, req: Any, client: socket.socket, addr: Any, exc: BaseException) -> None:
        refused = refusal(exc)
        if refused is None:
            super().handle_error(req, client, addr, exc)
            return
        status, key = refused
        ip = addr[0] if isinstance(addr, tuple | list) and addr else "-"
        self.log.warning("Invalid request from ip=%s: %s (answered %s)", ip, shorten(exc, MAX_FIELD), status)
        try:
            util.write_nonblock(client, refusal_bytes(status, key))
        except OSError:
            self.log.debug("Failed to send the refusal.")


class AccessLogger(Logger):
    """gunicorn's logger, with client-sent access-log fields cut to ``MAX_FIELD``."""

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: shorten(v, MAX_FIELD) if isinstance(v, str) else v for k, v in atoms.items()}
