"""The Dash app: ``create_app(settings)`` builds it; ``server`` is the WSGI entry point.

Decisions recorded here (see docs/architecture.md "In the browser" and "Known pitfalls"):

* Assets come from the top-level ``assets/`` folder, passed explicitly (Dash would
  look beside this module). Bootstrap's CSS and plotly.js's *basic* bundle are
  vendored there: nothing is fetched from a CDN at run time.
* Dash registers plotly.js's full bundle (1.47 MB gzip) as a script of dcc;
  ``create_app`` removes it. plotly.js is not a page script at all: ``dcc.Graph``
  loads it on demand, from the address dash-renderer gives it
  (``_dash-component-suites/plotly/package_data/plotly.min.js``), and that address
  serves the *basic* bundle vendored in ``assets/vendor``. So a page's text renders
  without waiting for 350 KB of plotly.js (the phone's first view: Lighthouse LCP
  5.9 s -> see benchmarks/RESULTS.md), and pages without charts never load it.
* Creating the app reads configuration only. The data store opens on the first
  request that needs it (per gunicorn worker, after the fork), and ``server`` is
  built on first attribute access, so ``import dashboard.app`` costs nothing. Every
  request that reads data answers from one snapshot of the releases and names it in
  ``X-Release`` (``release_scope``).
* ``<html lang>`` is set by a custom index page (Dash's default has none), which
  also links Bootstrap before Dash's own CSS and adds a skip link.
* Language lives in the URL (``?lang=es``). The index page, the shell (nav, language
  switch, footer) and page titles are built per request in the reader's language
  (``pages.request_language``: the page's query, or for Dash's own follow-up requests
  the page's address in ``Referer``). The language switch is a plain link that
  reloads the page in the other language, so nothing in the shell has to change
  language in the browser; a clientside callback only keeps its address in step with
  the page's. The navigation's links keep the view's context the same way
  (``params.context``). The Overview's filters change the query without a reload, which
  Dash's router never hears of, so that page updates both in the browser
  (``assets/context.js``).
"""

from __future__ import annotations

import functools
import re
from html import escape as html_escape
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import dash
import flask
from dash import ALL, ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from dashboard import ids
from dashboard.api import register_api
from dashboard.api.answers import error_response
from dashboard.callback_guard import install_callback_guard
from dashboard.components.links import context_hrefs, nav_hrefs, page_href
from dashboard.first_view import (
    Address,
    deferred_scripts,
    first_view_html,
    install_layout_cache_rule,
    page_address,
    page_container,
    page_view,
)
from dashboard.i18n import DEFAULT_LANGUAGE, LANGUAGES, PARAM_LANG, t
from dashboard.pages import SETTINGS_KEY, request_language
from dashboard.params.context import CONTEXT_PARAMS
from dashboard.queries.api_params import API_PREFIX
from dashboard.release_scope import install_release_scope
from dashboard.routing import install_routing
from dashboard.security import install_security, warm
from dashboard.settings import REPO_ROOT, Settings

ASSETS_DIR = REPO_ROOT / "assets"
PAGES_DIR = Path(__file__).resolve().parent / "pages"
BOOTSTRAP_CSS = "vendor/bootstrap.min.css"
PLOTLY_BUNDLE = ASSETS_DIR / "vendor" / "plotly-basic.min.js"
#: Where dash-renderer tells dcc.Graph to fetch plotly.js from when serving locally.
DCC_PLOTLY_PATH = "_dash-component-suites/plotly/package_data/plotly.min.js"
BOOTSTRAP_VERSION = "5.3.9"
#: Loads Dash's scripts when the reader needs them; linked by the index, not by Dash.
ON_DEMAND_SCRIPT = "dash-on-demand.js"


def _noscript(lang: str, not_found: bool) -> str:
    """The note for readers without JavaScript (at an unknown address: that it is one)."""
    if not_found:
        return f"<h1>{t('not_found.heading', lang)}</h1><p>{t('not_found.body', lang)}</p>"
    return f'<p class="noscript">{t("app.noscript", lang)}</p>'


def _index_string(prefix: str, lang: str, not_found: bool = False) -> str:
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
        f"<noscript>{_noscript(lang, not_found)}</noscript>\n"
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


def _drop_unused_dash_table() -> None:
    """Dash links ``dash_table``'s bundle into every page; no page here uses DataTable.

    10 kB compressed and 33 kB of script to run on every first view (benchmarks/RESULTS.md
    "Lighthouse"). A page that needs DataTable must remove this (a unit test checks).
    """
    dash.dash_table._js_dist[:] = []  # noqa: SLF001 - Dash offers no public switch for this


def _serve_plotly_on_demand(app: dash.Dash) -> None:
    """Serve the basic bundle where ``dcc.Graph`` looks for plotly.js (see module doc).

    A day of caching with an ETag: the address carries no version, so a new bundle is
    picked up within a day (``security`` compresses it with brotli like any script).
    """

    def plotly_basic() -> flask.Response:
        return flask.send_file(PLOTLY_BUNDLE, mimetype="text/javascript", max_age=86400)

    app.server.add_url_rule(
        app.config.routes_pathname_prefix + DCC_PLOTLY_PATH, endpoint="plotly_basic", view_func=plotly_basic
    )


def _nav_name(page: dict, lang: str) -> str:
    """A page's nav label in ``lang``: the catalog's ``nav.<module>`` key."""
    return t(f"nav.{page['module'].rsplit('.', 1)[-1]}", lang)


def _language_switch(lang: str, address: Address | None = None) -> html.A:
    """A link to this page in the other language, labelled in that language.

    ``lang``/``hrefLang`` on the link let a screen reader say "Español" in Spanish. The
    address is the page's own (``address``) with only ``lang`` changed, the home page's
    without one; a clientside callback keeps it on the page's address as the view
    changes (``assets/i18n.js``); without JavaScript it still switches.
    """
    other = next(code for code in LANGUAGES if code != lang)
    href = page_href("/", other)
    if address is not None:
        path, search = address
        query = [(k, v) for k, v in parse_qsl(search.lstrip("?"), keep_blank_values=True) if k != PARAM_LANG]
        query += [(PARAM_LANG, other)] if other != DEFAULT_LANGUAGE else []
        href = path + (f"?{urlencode(query)}" if query else "")
    return html.A(
        t("nav.switch_language", other),
        href=href,
        id=ids.LANG_SWITCH,
        lang=other,
        hrefLang=other,
        className="nav-link lang-switch",
        title=t("nav.switch_language_title", lang),
    )


def _nav(lang: str, address: Address | None = None) -> html.Header:
    """The navigation; with the page's ``address``, its links keep the page's context
    (as ``_nav_context`` sets them once Dash runs), so they are right before it does."""
    pages = [
        page for page in dash.page_registry.values()
        # Not the 404 page, nor pages that need an id (a district is reached from the map).
        if not page["module"].endswith("not_found_404") and not page.get("path_template")
    ]
    hrefs = [page_href(page["relative_path"], lang) for page in pages]
    if address is not None:
        path, search = address
        hrefs = context_hrefs([page["path"] for page in pages], "/" + (dash.strip_relative_path(path) or ""),
                              search)
    links = [
        html.Li(dcc.Link(_nav_name(page, lang), href=href, className="nav-link",
                         id={"type": ids.NAV_LINK, "path": page["path"]}),
                className="nav-item")
        for page, href in zip(pages, hrefs, strict=True)
    ]
    links.append(html.Li(_language_switch(lang, address), className="nav-item"))
    return html.Header(
        html.Nav(
            html.Div(
                [
                    dcc.Link(
                        t("app.name", lang), href=page_href("/", lang), className="navbar-brand fw-semibold"
                    ),
                    html.Ul(links, className="navbar-nav flex-row flex-wrap gap-3"),
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


def _shell(lang: str = DEFAULT_LANGUAGE, container: html.Div | None = None,
           address: Address | None = None) -> html.Div:
    """Navbar, the page container (``dash.page_container`` unless given), footer;
    ``address``: the page's (path, search), which the navigation's links keep."""
    return html.Div(
        [
            _nav(lang, address),
            html.Main(container or dash.page_container, id=ids.SHELL_MAIN, tabIndex="-1"),
            dcc.Store(id=ids.NAV_CONTEXT, data=list(CONTEXT_PARAMS)),
            _footer(lang),
        ]
    )


def _shell_for_request() -> html.Div:
    """The shell in the language of the page being loaded, with that page in it
    (``first_view``; Dash calls this per layout request)."""
    address = page_address()
    return _shell(request_language(), page_container(page_view(address)), address)


def _on_demand_src(app: dash.Dash) -> str:
    """The loader's address, versioned by its file's time like Dash's own asset links."""
    path = ASSETS_DIR / ON_DEMAND_SCRIPT
    return f"{app.get_asset_url(ON_DEMAND_SCRIPT)}?m={path.stat().st_mtime}"


_HOST_META = re.compile(r'\s*<meta property="twitter:url"[^>]*>')


class _Dash(dash.Dash):
    """Dash with an index page in the reader's language (``<html lang>``, skip link)."""

    def interpolate_index(self, **kwargs: str) -> str:
        # Dash's page metas include twitter:url, the request's URL with the Host header a
        # client chooses: a page must not repeat it (cache poisoning). Relative links only.
        kwargs["metas"] = _HOST_META.sub("", kwargs.get("metas", ""))
        lang = request_language()
        not_found = bool(flask.g.get("unknown_page"))  # dashboard.routing: no page has this address
        if not_found:
            kwargs["title"] = t("not_found.title", lang)
        template = _index_string(self.config.requests_pathname_prefix, lang, not_found)
        address = None if not_found else page_address()
        view = page_view(address)
        drawn = first_view_html(_shell(lang, page_container(view), address)) if view is not None else None
        if view is not None and drawn is not None:  # the page until Dash replaces it with the same page
            kwargs["app_entry"] = f'<div id="react-entry-point">{drawn}</div>'
            kwargs["title"] = html_escape(view.title)
            # Dash's scripts start when the reader needs them (assets/dash-on-demand.js).
            kwargs["scripts"] = deferred_scripts(kwargs.get("scripts", ""), kwargs.get("renderer", ""),
                                                 _on_demand_src(self))
            kwargs["renderer"] = ""

        for key, value in kwargs.items():
            template = template.replace("{%" + key + "%}", value)
        return template


# The switch's address follows the page's (filters rewrite the query without a reload).
clientside_callback(
    ClientsideFunction(namespace="i18n", function_name="switchHref"),
    Output(ids.LANG_SWITCH, "href"),
    Input("_pages_location", "href"),
    State(ids.LANG_SWITCH, "hrefLang"),
)


# The navigation keeps the view's context (issue 15 item 7): city, period, filters and
# language of the page being shown, and a police district page's district, go with
# every link (``params.context``). Rendered with the language alone; this callback
# rewrites the links whenever the page changes; the Overview, whose filters rewrite the
# query without a reload (and so without telling Dash's router), has them follow in the
# browser (``assets/context.js``).
@dash.callback(
    Output({"type": ids.NAV_LINK, "path": ALL}, "href"),
    Input("_pages_location", "pathname"),
    Input("_pages_location", "search"),
    prevent_initial_call=False,
)
def _nav_context(pathname: object, search: object) -> list[str]:
    path = dash.strip_relative_path(pathname) if isinstance(pathname, str) else ""
    return nav_hrefs(dash.ctx.outputs_list, "/" + (path or ""), search)


def create_app(settings: Settings | None = None) -> dash.Dash:
    """Build the Dash app for ``settings`` (default: from the environment)."""
    settings = settings or Settings.from_env()
    lang = DEFAULT_LANGUAGE
    app = _Dash(
        # "dashboard" (the package) so Dash names page modules dashboard.pages.<name>,
        # the same modules a normal import gives.
        "dashboard",
        use_pages=True,
        pages_folder=str(PAGES_DIR),
        assets_folder=str(ASSETS_DIR),
        # Bootstrap is linked first by the index page; plotly.js is loaded on demand.
        assets_ignore=r"^(bootstrap\.min\.css|plotly-basic\.min\.js|dash-on-demand\.js)$",
        serve_locally=True,
        compress=True,
        title=t("app.name", lang),
        update_title=None,
        suppress_callback_exceptions=True,  # page callbacks name ids of pages not shown
        # Dash 4 turns async endpoints on whenever asgiref is installed (Datasette, a
        # bench extra, brings it): sync gunicorn workers serve sync views, whatever is
        # installed beside the app.
        use_async=False,
    )
    _drop_full_plotly_bundle()
    _serve_plotly_on_demand(app)
    _drop_unused_dash_table()
    app.server.config[SETTINGS_KEY] = settings
    app.index_string = _index_string(app.config.requests_pathname_prefix, lang)  # checked by Dash
    app.layout = _shell_for_request
    install_security(app)
    install_routing(app, API_PREFIX, error_response)
    install_callback_guard(app)
    install_layout_cache_rule(app.server, app.config.routes_pathname_prefix)
    install_release_scope(app.server, settings, prefix=app.config.routes_pathname_prefix,
                          stamp_id=ids.PAGE_RELEASE)
    register_api(app.server, settings)
    warm(app, extra=[app.config.requests_pathname_prefix + DCC_PLOTLY_PATH])
    return app


@functools.cache
def _default_app() -> dash.Dash:
    return create_app(Settings.from_env())


def __getattr__(name: str) -> object:
    """``dashboard.app:server`` for gunicorn, built on first access (PEP 562)."""
    if name == "server":
        return _default_app().server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
