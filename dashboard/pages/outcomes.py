"""Outcomes: what happened after the response, per program, compared on the same calls.

For residents (often on a phone, in English or Spanish, some with a screen reader) and
journalists. The URL is the state, as on the district page: ``layout(**query)`` reads it
with the view model (``dashboard.views.outcomes.parse_view``: ``parse_filters`` for city,
period and district through the shared prelude, plus this page's own ``compare``), which
computes every number on the server; ``dashboard.pages.layouts.outcomes`` draws them.
Each control only computes a new address and navigates to it inside the page
(``dcc.Location(refresh="callback-nav")``), so a view is a permalink and a bad value is a
visible notice, never a traceback. One callback, no SQL in it; ``lang`` is kept in every
address.

The page states which comparison it shows (``views.outcomes``: ``eligible`` by default,
``shared`` and ``all`` one click away), and the caveat beside the charts says in plain
words why an outcome share is not a verdict on a program. Numbers come from
``queries.outcomes`` (one cached rollup scan per view); the "rows behind this view" link
carries the same filters (and, for ``shared``, the categories kept), and the note beside
it says which rows the comparison keeps, so every number recomputes from the download.

This module is executed by Dash for every app it builds (callbacks belong to one app),
so the callback lives here, beside the registration, and stays thin.

No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
from dash import Input, Output, State, callback, html, no_update

from dashboard import ids
from dashboard.components.page import safe_layout
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, normalize_language, t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.pages.layouts import outcomes as draw
from dashboard.params.filters import (
    PARAM_CATEGORY,
    PARAM_CITY,
    PARAM_DISTRICT,
    PARAM_END,
    PARAM_PROGRAM,
    PARAM_START,
)
from dashboard.queries.outcomes import DEFAULT_COMPARISON
from dashboard.views import outcomes as vm
from dashboard.views.outcomes import ALL_DISTRICTS, PARAM_COMPARE
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

PATH = "/outcomes"

register_page(__name__, key="outcomes", order=0.5, path=PATH)


def layout(**query: object) -> html.Div:
    """The page for any query: bad parameters are named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query), heading=t("outcomes.heading_generic", lang), lang=lang,
                       logger=log, what="outcomes")


def _page(query: Mapping[str, object]) -> html.Div:
    store, settings = current_store(), current_settings()
    view, errors = vm.parse_view(query, store, settings.default_city)
    return draw.page(vm.render(store, view), errors, store)


# ---------------------------------------------------------------------------- callback


@callback(
    Output(ids.OUTCOMES_NAV, "href"),
    inputs={
        "city": Input(ids.OUTCOMES_CITY, "value"),
        "start": Input(ids.OUTCOMES_START, "value"),
        "end": Input(ids.OUTCOMES_END, "value"),
        "district": Input(ids.OUTCOMES_DISTRICT, "value"),
        "compare": Input(ids.OUTCOMES_COMPARE, "value"),
    },
    state={"state": State(ids.OUTCOMES_STATE, "data"), "search": State(ids.OUTCOMES_NAV, "search")},
    prevent_initial_call=True,
)
def on_change(**values: Any) -> Any:
    """Any control: the address of the new view (validated when that page is rendered).

    A new city starts from that city's default period and all its districts (the months
    and districts of another city mean nothing there); the URL's ``program`` and
    ``category`` are kept otherwise.
    """
    state = values.get("state") if isinstance(values.get("state"), dict) else {}
    lang = normalize_language(state.get("lang"))
    triggered = set(dash.ctx.triggered_prop_ids.values())
    search = values.get("search")
    current = parse_qsl(search.lstrip("?"))[:50] if isinstance(search, str) and len(search) < 4000 else []
    query: list[tuple[str, str]] = []

    def text(name: str) -> str | None:
        value = values.get(name)
        return value[:64] if isinstance(value, str) and value else None

    city = text("city")
    if city:
        query.append((PARAM_CITY, city))
    if ids.OUTCOMES_CITY not in triggered:
        for param in (PARAM_START, PARAM_END):
            value = text(param)
            if value:
                query.append((param, value))
        district = text("district")
        if district and district != ALL_DISTRICTS:
            query.append((PARAM_DISTRICT, district))
        query += [(k, v) for k, v in current if k in (PARAM_PROGRAM, PARAM_CATEGORY)]
    compare = text("compare")
    if compare and compare != DEFAULT_COMPARISON:
        query.append((PARAM_COMPARE, compare))
    if lang != DEFAULT_LANGUAGE:
        query.append((PARAM_LANG, lang))
    if not query:
        return no_update
    return dash.get_relative_path(PATH) + "?" + urlencode(query)

