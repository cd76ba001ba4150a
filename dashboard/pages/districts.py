"""Districts: every district with a profile, and "Find my area" by neighborhood name.

The navigation had no way to a district page, and on a phone a small district on the
map is a hard target (issue 15). The view model is ``dashboard.views.districts``; the
search box only navigates to ``/districts?area=<what was typed>`` (the page answers it
when rendered from the URL, so the answer is a link anyone can share).

No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.links import district_href, page_href
from dashboard.components.page import release_stamp, safe_layout
from dashboard.components.release import synthetic_banner
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, normalize_language, t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.params.filters import PARAM_CITY
from dashboard.views import districts as vm
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

PATH = "/districts"

register_page(__name__, key="districts", order=0.7, path=PATH)


def layout(**query: object) -> html.Div:
    lang = query_language(query)
    return safe_layout(
        lambda: _page(query), heading=t("districts.heading", lang), lang=lang, logger=log, what="districts"
    )


def _links(model: vm.Districts, kind: str, rows: tuple[tuple[str, str], ...]) -> html.Ul:
    return html.Ul(
        [
            html.Li(dcc.Link(name, href=district_href(model.filters, area, kind, model.lang)))
            for area, name in rows
        ],
        className="link-list districts-list",
    )


def _search(model: vm.Districts) -> html.Form:
    lang = model.lang
    return html.Form(
        [
            html.Label(
                t("districts.find_label", lang),
                htmlFor=ids.DISTRICTS_SEARCH,
                className="form-label fw-semibold",
            ),
            html.Div(
                [
                    dbc.Input(
                        id=ids.DISTRICTS_SEARCH,
                        type="search",
                        value=model.typed,
                        list=ids.DISTRICTS_SEARCH_LIST,
                        autoComplete="off",
                        maxLength=vm.MAX_TYPED,
                        debounce=True,
                        placeholder=t("districts.find_hint", lang),
                    ),
                    html.Button(
                        t("districts.find_button", lang),
                        id=ids.DISTRICTS_FIND,
                        type="button",
                        n_clicks=0,
                        className="btn btn-primary",
                    ),
                ],
                className="input-group districts-search",
            ),
            html.Datalist(
                [html.Option(value=name) for name in model.neighborhood_names], id=ids.DISTRICTS_SEARCH_LIST
            ),
        ],
        role="search",
        **{"aria-label": t("districts.find_label", lang)},
    )


def _answer(model: vm.Districts) -> html.Div:
    answer, lang = model.answer, model.lang
    if answer is None:
        return html.Div(id=ids.DISTRICTS_ANSWER, **{"aria-live": "polite"})
    body: list = [html.P(html.Strong(answer.text) if answer.found else answer.text, className="mb-1")]
    if answer.profiles:
        body.append(
            html.Ul(
                [
                    html.Li(
                        dcc.Link(
                            t("districts.open_profile", lang, name=name),
                            href=district_href(model.filters, area, kind, lang),
                        )
                    )
                    for kind, area, name in answer.profiles
                ],
                className="link-list",
            )
        )
    return html.Div(
        body, id=ids.DISTRICTS_ANSWER, className="districts-answer mt-2", **{"aria-live": "polite"}
    )


def _page(query: dict) -> html.Div:
    store, settings = current_store(), current_settings()
    model = vm.render(query, store, settings.default_city, settings.geo_dir)
    lang, city = model.lang, model.city
    sections: list = []
    if model.police or model.council:
        for kind, key, rows, section_id in (
            ("police", "districts.police_heading", model.police, ids.DISTRICTS_POLICE),
            ("council", "districts.council_heading", model.council, ids.DISTRICTS_COUNCIL),
        ):
            if rows:
                sections.append(
                    html.Section(
                        [html.H2(t(key, lang), className="h5"), _links(model, kind, rows)],
                        id=section_id,
                        className="mb-3",
                    )
                )
    else:
        sections.append(html.P(t("districts.none", lang, city=city.name)))
    return html.Div(
        [
            dcc.Location(id=ids.DISTRICTS_NAV, refresh="callback-nav"),
            dcc.Store(id=ids.DISTRICTS_STATE, data={"city": city.id, "lang": lang}),
            release_stamp(store.release_key()),
            synthetic_banner(store.release_info(city.id), city.name, lang),
            html.H1(t("districts.heading_city", lang, city=city.name), className="h3"),
            notice(list(model.errors)) if model.errors else None,
            html.P(t("districts.lead", lang), className="lead-text"),
            html.Section(
                html.Div([_search(model), _answer(model)], className="card-body"),
                className="card mb-3",
            )
            if model.neighborhood_names
            else None,
            *sections,
            html.P(
                dcc.Link(
                    # The view's filters go back with the reader (issue 15 item 7).
                    t("districts.to_overview", lang), href=page_href("/", lang, model.filters.to_params())
                ),
                className="small link-row",
            ),
        ],
        className="container-xxl py-3 districts-page",
    )


@callback(
    Output(ids.DISTRICTS_NAV, "href"),
    Input(ids.DISTRICTS_FIND, "n_clicks"),
    Input(ids.DISTRICTS_SEARCH, "value"),
    State(ids.DISTRICTS_STATE, "data"),
    prevent_initial_call=True,
)
def on_search(_clicks: Any, typed: Any, state: Any) -> Any:
    """The address of the answer to what was typed (the page validates it when rendered)."""
    if not isinstance(typed, str) or not typed.strip():
        return no_update
    state = state if isinstance(state, dict) else {}
    params = [(PARAM_CITY, str(state.get("city", ""))[:40]), (vm.PARAM_AREA, typed.strip()[: vm.MAX_TYPED])]
    lang = normalize_language(state.get("lang"))
    if lang != DEFAULT_LANGUAGE:
        params.append((PARAM_LANG, lang))
    return page_href(PATH, DEFAULT_LANGUAGE, params) if dash.ctx.triggered else no_update
