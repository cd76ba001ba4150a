"""Dash pages, one module per page, each owning its URL, layout and few callbacks.

Dash imports the page modules itself (``use_pages=True``), after ``create_app`` has
stored the process's ``Settings`` on the Flask app; pages reach settings and the data
store through the helpers here, inside a request, never at import time.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from flask import current_app, has_request_context, request

from dashboard.data.store import Store, get_store
from dashboard.i18n import DEFAULT_LANGUAGE, normalize_language
from dashboard.settings import Settings

#: Key under which ``create_app`` stores the Settings in ``flask.Flask.config``.
SETTINGS_KEY = "CRISIS_SETTINGS"


def current_settings() -> Settings:
    """The Settings of the app serving the current request."""
    return current_app.config[SETTINGS_KEY]


def current_store() -> Store:
    """The process's data store (opened on its first use, after any fork)."""
    return get_store(current_settings())


def request_language() -> str:
    """The language of the page the current request is for (``?lang=``, default English).

    A page's own request carries it in its query. Dash's follow-up requests (``/_dash-
    layout``, callbacks) are fetched by the page's script with an empty query, so for
    them the page's address is read from ``Referer`` (same origin, and the app's
    ``Referrer-Policy: same-origin`` keeps it whole). Only for them: a page opened from
    a Spanish page by a link without ``lang`` is English. Outside a request: English.
    """
    if not has_request_context():
        return DEFAULT_LANGUAGE
    if "/_dash-" not in request.path:
        return normalize_language(request.args.get("lang", DEFAULT_LANGUAGE))
    referrer = request.referrer or ""
    values = parse_qs(urlsplit(referrer).query).get("lang") or [DEFAULT_LANGUAGE]
    return normalize_language(values[0])
