"""Dash pages, one module per page, each owning its URL, layout and few callbacks.

Dash imports the page modules itself (``use_pages=True``), after ``create_app`` has
stored the process's ``Settings`` on the Flask app; pages reach settings and the data
store through the helpers here, inside a request, never at import time.

A page module calls ``register_page`` below (Dash finds page modules by that very
word in their text, so the helper keeps Dash's name). The parts of a page that are not
Dash live beside it: its view model in ``dashboard.views`` and its component tree in
``dashboard.pages.layouts``.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import dash
from flask import current_app, has_request_context, request

from dashboard.engine.engines import get_store
from dashboard.engine.store import Store
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, normalize_language, t
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
        return normalize_language(request.args.get(PARAM_LANG, DEFAULT_LANGUAGE))
    referrer = request.referrer or ""
    values = parse_qs(urlsplit(referrer).query).get(PARAM_LANG) or [DEFAULT_LANGUAGE]
    return normalize_language(values[0])


def register_page(module: str, *, key: str, order: float, **where: object) -> None:
    """``dash.register_page`` with the page's words from the catalogs.

    The nav label is ``nav.<module name>`` (the nav reads it in the reader's language);
    the tab title and the description are ``<key>.title`` and ``<key>.description`` in
    the language of the request. ``where`` is ``path=`` or ``path_template=``.
    """
    dash.register_page(
        module,
        order=order,
        name=t(f"nav.{module.rsplit('.', 1)[-1]}"),
        title=lambda **_: t(f"{key}.title", request_language()),
        description=lambda **_: t(f"{key}.description", request_language()),
        **where,
    )
