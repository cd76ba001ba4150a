"""Outcomes: what happened after the response, per program, compared on the same calls.

For residents (often on a phone, in English or Spanish, some with a screen reader) and
journalists. The URL is the state, as on the district page: ``layout(**query)`` reads it
with the view model (``dashboard.views.outcomes.parse_view``: ``parse_filters`` for city,
period, programs, districts and categories through the shared prelude, plus this page's
own ``compare``), which
computes every number on the server; ``dashboard.pages.layouts.outcomes`` draws them.
Each control only computes a new address and navigates to it inside the page
(``dcc.Location(refresh="callback-nav")``), so a view is a permalink and a bad value is a
visible notice, never a traceback. The controls are the Overview's filter bar
(``components.filter_bar``, with its "only this" and "All" buttons) and the comparison.
Two callbacks, no SQL in them; ``lang`` is kept in every address.

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
from urllib.parse import urlencode

import dash
from dash import Input, Output, State, callback, html, no_update

from dashboard import ids
from dashboard.components.filter_bar import OUTCOMES_BAR, shortcut_wiring
from dashboard.components.filter_shortcuts import shortcut_outputs
from dashboard.components.page import safe_layout
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, normalize_language, t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.pages.layouts import outcomes as draw
from dashboard.params.filters import PARAM_CITY
from dashboard.queries.outcomes import DEFAULT_COMPARISON
from dashboard.views import outcomes as vm
from dashboard.views.outcomes import PARAM_COMPARE
from dashboard.views.prelude import filter_controls_query, query_language

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


@callback(**shortcut_wiring(OUTCOMES_BAR), prevent_initial_call=True)
def on_shortcut(clicks: object, **options: object) -> dict[str, Any]:
    """An "only this" or "All" button: tick its boxes (or pick its months); ``on_change``
    then navigates to that view like a hand-ticked box."""
    return shortcut_outputs(dash.ctx.triggered_id, dash.ctx.triggered, options)


@callback(
    Output(ids.OUTCOMES_NAV, "href"),
    inputs={
        "city": Input(ids.OUTCOMES_CITY, "value"),
        "start": Input(ids.OUTCOMES_START, "value"),
        "end": Input(ids.OUTCOMES_END, "value"),
        "programs": Input(ids.OUTCOMES_PROGRAMS, "value"),
        "districts": Input(ids.OUTCOMES_DISTRICTS, "value"),
        "categories": Input(ids.OUTCOMES_CATEGORIES, "value"),
        "compare": Input(ids.OUTCOMES_COMPARE, "value"),
    },
    state={"state": State(ids.OUTCOMES_STATE, "data")},
    prevent_initial_call=True,
)
def on_change(**values: Any) -> Any:
    """Any control: the address of the new view (validated when that page is rendered).

    The filter bar's values become a query exactly as on the Overview
    (``prelude.filter_controls_query``: a fully ticked group is no filter). A new city
    starts from that city's default period and every option (the months and districts of
    another city mean nothing there).
    """
    state = values.get("state") if isinstance(values.get("state"), dict) else {}
    lang = normalize_language(state.get("lang"))
    if ids.OUTCOMES_CITY in set(dash.ctx.triggered_prop_ids.values()):
        query: dict[str, object] = {PARAM_CITY: values.get("city")}
    else:
        query, _ = filter_controls_query(values, current_store().catalogs(), lang)
    compare = values.get("compare")
    if isinstance(compare, str) and compare != DEFAULT_COMPARISON:
        query[PARAM_COMPARE] = compare
    if lang != DEFAULT_LANGUAGE:
        query[PARAM_LANG] = lang
    params = [(k, v) for k, value in query.items() for v in (value if isinstance(value, list) else [value])
              if isinstance(v, str) and v]
    if not params:
        return no_update
    return dash.get_relative_path(PATH) + "?" + urlencode(params)
