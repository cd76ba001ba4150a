"""Dash pages, one module per page, each owning its URL, layout and few callbacks.

Dash imports the page modules itself (``use_pages=True``), after ``create_app`` has
stored the process's ``Settings`` on the Flask app; pages reach settings and the data
store through the helpers here, inside a request, never at import time.
"""

from __future__ import annotations

from flask import current_app

from dashboard.data.store import Store, get_store
from dashboard.settings import Settings

#: Key under which ``create_app`` stores the Settings in ``flask.Flask.config``.
SETTINGS_KEY = "CRISIS_SETTINGS"


def current_settings() -> Settings:
    """The Settings of the app serving the current request."""
    return current_app.config[SETTINGS_KEY]


def current_store() -> Store:
    """The process's data store (opened on its first use, after any fork)."""
    return get_store(current_settings())
