"""The page a reader asked for, in the first response: sent as HTML, and in Dash's first layout.

Why (issue 18, benchmarks/RESULTS.md "Lighthouse"): Dash's pages start empty. The
browser had to fetch and run Dash's scripts, fetch the shell's layout, and only then
ask the router callback for the page: on a phone, the first readable word came after
4 s. Now:

* **The index page carries the page as HTML** (``first_view_html``): the shell, the
  page's headline, cards and tables, drawn by ``components.static_html`` from the very
  component tree Dash will render, inside ``react-entry-point``. React replaces it
  when it starts; until then the reader has the page (and readers without JavaScript
  keep it).
* **Dash's first layout carries the page too** (``page_container``): the layout
  request (``/_dash-layout``, whose ``Referer`` is the page's address) gets Dash's page
  container with the page already inside and the router's location already set to the
  address, so React's first render is the finished page, not an empty shell waiting
  for the router callback (one request and its round trip fewer), and the HTML it
  replaces is the same page: nothing moves or flashes.

Both run the page's own ``layout(**query)`` (the same function Dash's router calls, with
the same arguments), so the first view can only differ from the finished page where the
browser adds something: the charts, which plotly.js draws into their frames. Where the
address is not a page, a page's layout fails, or the tree has a component
``static_html`` cannot draw, both fall back to Dash's own behaviour (the empty
container the router fills).
"""

from __future__ import annotations

import logging
from html import escape
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import dash
import flask
from dash import dcc, html
from dash._pages import _parse_query_string, _path_to_page  # the router's own reading of an address

from dashboard.components.static_html import UnknownComponent, to_html
from dashboard.logsafe import log_exception
from dashboard.security import WARMING_KEY

log = logging.getLogger(__name__)

#: The id of the template holding Dash's scripts, which ``assets/dash-on-demand.js`` loads.
DEFERRED_SCRIPTS_ID = "dash-deferred-scripts"

#: A page's address: its path (with the app's prefix) and its search ("" or "?...").
Address = tuple[str, str]

#: Dash's page container ids (``dash.dash._ID_*``), which its router callback writes.
LOCATION_ID, CONTENT_ID = "_pages_location", "_pages_content"
STORE_ID, DUMMY_ID = "_pages_store", "_pages_dummy"


def page_address() -> Address | None:
    """(path, search) of the page this request draws: its own address for a page
    load, the ``Referer`` for Dash's layout request; None when there is none."""
    if not flask.has_request_context() or flask.current_app.config.get(WARMING_KEY):
        return None
    if "/_dash-" not in flask.request.path:
        query = flask.request.query_string.decode("utf-8", "replace")
        return flask.request.path, f"?{query}" if query else ""
    referrer = flask.request.referrer
    if not referrer:
        return None
    parts = urlsplit(referrer)
    return parts.path or "/", f"?{parts.query}" if parts.query else ""


class PageView(NamedTuple):
    """The page for an address, as Dash's router computes it: its layout and title."""

    address: Address
    layout: Any
    title: str


def page_view(address: Address | None) -> PageView | None:
    """The page at ``address``, by the page's own ``layout(**query)`` (path variables and
    query, as Dash's router passes them); None if the address is no page or the layout
    failed (the router, in the browser, then shows what it shows)."""
    if address is None or flask.g.get("unknown_page"):
        return None
    path, search = address
    page, variables = _path_to_page(dash.strip_relative_path(path) or "")
    if not page:
        return None
    try:
        layout = page.get("layout", "")
        query = {**(variables or {}), **_parse_query_string(search)}
        layout = layout(**query) if callable(layout) else layout
        title = page["title"]
        title = title(**(variables or {})) if callable(title) else title
    except Exception:  # the router would fail the same way: let it, in the browser
        log_exception(log, "first view failed")
        return None
    return PageView(address, layout, str(title))


def page_container(view: PageView | None) -> html.Div:
    """Dash's page container with ``view``'s page in it (see module doc);
    ``dash.page_container`` itself (empty: the router fills it) without one."""
    if view is None:
        return dash.page_container
    path, search = view.address
    return html.Div([
        # The router's location already at the address: on mount it finds nothing to
        # change, so the router callback does not run again for the page it has.
        dcc.Location(id=LOCATION_ID, refresh="callback-nav", pathname=path, search=search),
        html.Div(view.layout, id=CONTENT_ID, disable_n_clicks=True),
        dcc.Store(id=STORE_ID, data={"title": view.title}),
        html.Div(id=DUMMY_ID, disable_n_clicks=True),
    ])


def deferred_scripts(scripts: str, renderer: str, loader: str) -> str:
    """Dash's script tags, inert in a ``<template>``, and the loader that runs them.

    ``scripts`` and ``renderer`` are Dash's ``{%scripts%}`` (its component bundles and
    the app's assets, in order) and ``{%renderer%}``; inside a template the browser
    neither fetches nor runs them. ``loader`` is the address of
    ``assets/dash-on-demand.js``, which loads those scripts in that order and starts the
    renderer when the reader needs Dash (see that file). No inline script is added, so
    the CSP is unchanged.
    """
    return (f'<template id="{DEFERRED_SCRIPTS_ID}">{scripts}{renderer}</template>\n'
            f'<script src="{escape(loader)}"></script>')


def install_layout_cache_rule(server: flask.Flask, prefix: str) -> None:
    """Dash's layout answer depends on the page that asks (its ``Referer``): no cache
    may keep it (``no-store``) or hand one page's layout to another (``Vary``)."""
    layout_path = prefix + "_dash-layout"

    @server.after_request
    def _layout_not_shared(response: flask.Response) -> flask.Response:
        if flask.request.path == layout_path:
            response.headers["Cache-Control"] = "no-store"
            response.vary.add("Referer")
        return response


def first_view_html(shell: Any) -> str | None:
    """The shell (with its page) as HTML, or None if it holds a component not drawable."""
    try:
        return to_html(shell)
    except UnknownComponent as exc:
        log.warning("first view not drawn: %s", exc)
        return None
