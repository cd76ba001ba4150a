"""The Dash app: ``create_app(settings)`` builds it; ``server`` is the WSGI entry point.

Decisions recorded here (see DESIGN.md "In the browser" and "Known pitfalls"):

* Assets come from the top-level ``assets/`` folder, passed explicitly (Dash would
  look beside this module). Bootstrap's CSS and plotly.js's *basic* bundle are
  vendored there: nothing is fetched from a CDN at run time.
* Dash registers plotly.js's full bundle (1.47 MB gzip) as a script of dcc;
  ``create_app`` removes it. The basic bundle in ``assets/vendor`` defines
  ``window.Plotly`` first, and ``dcc.Graph`` uses that when present.
* Creating the app reads configuration only. The data store opens on the first
  request that needs it (per gunicorn worker, after the fork), and ``server`` is
  built on first attribute access, so ``import dashboard.app`` costs nothing.
* ``<html lang>`` is set by a custom index page (Dash's default has none), which
  also links Bootstrap before Dash's own CSS and adds a skip link.
"""

from __future__ import annotations

import functools
from pathlib import Path

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.api import register_api
from dashboard.i18n import DEFAULT_LANGUAGE, t
from dashboard.pages import SETTINGS_KEY
from dashboard.security import install_security, warm
from dashboard.settings import REPO_ROOT, Settings

ASSETS_DIR = REPO_ROOT / "assets"
PAGES_DIR = Path(__file__).resolve().parent / "pages"
BOOTSTRAP_CSS = "vendor/bootstrap.min.css"
BOOTSTRAP_VERSION = "5.3.9"


def _index_string(prefix: str, lang: str) -> str:
    """Dash's index page with a language, Bootstrap first, a skip link and a noscript note."""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{lang}">\n'
        "<head>\n"
        "{%metas%}\n"
        "<title>{%title%}</title>\n"
        f'<link rel="icon" type="image/svg+xml" href="{prefix}assets/favicon.svg">\n'
        f'<link rel="stylesheet" href="{prefix}assets/{BOOTSTRAP_CSS}?v={BOOTSTRAP_VERSION}">\n'
        "{%css%}\n"
        "</head>\n"
        "<body>\n"
        f'<a class="skip-link" href="#{ids.SHELL_MAIN}">{t("nav.skip", lang)}</a>\n'
        f'<noscript><p class="noscript">{t("app.noscript", lang)}</p></noscript>\n'
        "{%app_entry%}\n"
        "{%config%}\n"
        "{%scripts%}\n"
        "{%renderer%}\n"
        "</body>\n"
        "</html>"
    )


def _drop_full_plotly_bundle() -> None:
    """Remove the full plotly.js that ``Dash()`` adds to dcc's scripts (see module doc)."""
    dcc._js_dist[:] = [  # noqa: SLF001 - Dash offers no public switch for this
        resource
        for resource in dcc._js_dist
        if resource.get("namespace") != "plotly"  # noqa: SLF001
    ]


def _nav(lang: str) -> html.Header:
    links = [
        html.Li(
            dcc.Link(page["name"], href=page["relative_path"], className="nav-link"), className="nav-item"
        )
        for page in dash.page_registry.values()
        # Not the 404 page, nor pages that need an id (a district is reached from the map).
        if not page["module"].endswith("not_found_404") and not page.get("path_template")
    ]
    return html.Header(
        html.Nav(
            html.Div(
                [
                    dcc.Link(t("app.name", lang), href="/", className="navbar-brand fw-semibold"),
                    html.Ul(links, className="navbar-nav flex-row gap-3"),
                ],
                className="container-xxl d-flex flex-wrap align-items-center justify-content-between",
            ),
            className="navbar navbar-dark site-nav",
            id=ids.SHELL_NAV,
            **{"aria-label": t("nav.label", lang)},
        )
    )


def _footer(lang: str) -> html.Footer:
    return html.Footer(
        html.Div(
            [
                html.P(t("footer.about", lang), className="mb-1"),
                html.P(
                    [
                        html.A(t("footer.top", lang), href=f"#{ids.SHELL_MAIN}"),
                        " · ",
                        html.Span(t("footer.licence", lang)),
                    ],
                    className="mb-0",
                ),
            ],
            className="container-xxl",
        ),
        id=ids.SHELL_FOOTER,
        className="site-footer small",
    )


def _shell(lang: str = DEFAULT_LANGUAGE) -> html.Div:
    """Navbar, the current page, footer. Static: it must not touch data (see ``warm``)."""
    return html.Div(
        [
            _nav(lang),
            html.Main(dash.page_container, id=ids.SHELL_MAIN, tabIndex="-1"),
            _footer(lang),
        ]
    )


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    lang = DEFAULT_LANGUAGE
    app = dash.Dash(
        # "dashboard" (the package) so Dash names page modules dashboard.pages.<name>,
        # the same modules a normal import gives.
        "dashboard",
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        assets_ignore=r"^bootstrap\.min\.css$",  # linked first by the index page instead
        serve_locally=True,
        compress=True,
        title=t("app.name", lang),
        update_title=None,
        suppress_callback_exceptions=True,  # page callbacks name ids of pages not shown
    )
    _drop_full_plotly_bundle()
    app.server.config[SETTINGS_KEY] = settings
    app.index_string = _index_string(app.config.requests_pathname_prefix, lang)
    app.layout = _shell(lang)
    install_security(app)
    register_api(app.server, settings)
    warm(app)
    return app


@functools.cache
def _default_app() -> dash.Dash:
    return create_app(Settings.from_env())


def __getattr__(name: str) -> object:
    """``dashboard.app:server`` for gunicorn, built on first access (PEP 562)."""
    if name == "server":
        return _default_app().server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
