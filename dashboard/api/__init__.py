"""The versioned read-only API: ``/api/v1/...`` CSV and JSON on the dashboard's own server.

Journalists get the rows and the aggregates behind any view of the pages, the release
files with their checksums, and an OpenAPI document, from the same process and the
same ``Store`` as the pages (docs/architecture.md "Architecture": API / downloads are Flask
routes on the same server). The routes are in ``routes`` (every URL rule; rows,
summary and chart data) and ``release_files`` (the release list and files), what they
all do around their data (strict parameters, caching, errors) in ``answers``, the map's
data in ``charts``, the OpenAPI document in ``openapi`` (with ``openapi_schemas`` and
``openapi_parameters``); the data-layer work is in ``dashboard.queries``: ``export`` (the rows'
SQL, chart data), ``download_format`` (CSV, JSON, filenames) and ``api_params`` (strict
parameters, links).

``register_api(server, settings)`` is the one call ``create_app`` makes.
"""

from __future__ import annotations

from flask import Flask

from dashboard.settings import Settings

#: Key of the API's state (the process's ``Settings``) in ``Flask.extensions``.
EXTENSION_KEY = "dashboard.api"


def register_api(server: Flask, settings: Settings) -> None:
    """Mount the API blueprint on ``server``, answering from ``settings``' releases.

    Registering opens no data: the store opens on the first request that needs it (per
    gunicorn worker, after the fork), as for the pages.
    """
    from dashboard.api.routes import blueprint

    server.extensions[EXTENSION_KEY] = settings
    server.register_blueprint(blueprint)


__all__ = ["EXTENSION_KEY", "register_api"]
