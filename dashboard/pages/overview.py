"""Overview: how a city answers crisis calls, for the view the URL describes.

The URL is the state (docs/architecture.md "State lives in the URL"): ``layout(**query)``
reads it with the view model (``dashboard.views.overview.parse_view``: the filters plus
this page's own ``metric`` and ``level``), which computes every number server-side;
``dashboard.pages.layouts.overview`` draws them, and shows what could not be used in a
visible notice. The callbacks below turn control values back into the same query
(validated the same way), recompute, and write the canonical query string back into the
address bar without a reload, so reloading or sharing the link shows the same view.

Four callbacks: one resets the controls that depend on the city when the city
changes, one sets the controls an "only this" or "All" button chooses
(``components.filter_shortcuts``), one recomputes everything when any control changes,
one turns a click on the map into the clicked district's page. A clientside callback
keeps the navigation's links and the language switch on the view the address now
shows (``assets/context.js``: the address changes without a reload, which Dash's router,
and so the shell's own callbacks, never hear of; no request). The map's
polygons are sent once per (city, level); later filter changes send the patch the
figure module gives for the new view (``figures.MapDrawing.patch``: colours, texts and
the frame of the selected districts).
The map's data steps are shared with the API's map download (``views.mapview``).

This module is executed by Dash for every app it builds (callbacks belong to one app),
so the callbacks live here, beside the registration, and stay thin.
"""

import logging
from typing import Any

import dash
from dash import ALL, ClientsideFunction, Input, Output, State, callback, clientside_callback, no_update

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import graph_config
from dashboard.components.filter_bar import (
    OVERVIEW_BAR,
    district_options,
    filter_summary,
    month_options,
    program_options,
    shortcut_lists,
    shortcut_wiring,
)
from dashboard.components.filter_shortcuts import list_id, shortcut_outputs, year_buttons
from dashboard.components.links import district_href
from dashboard.components.page import page_release_changed, safe_layout
from dashboard.i18n import normalize_language, t
from dashboard.logsafe import log_exception
from dashboard.pages import current_settings, current_store, register_page
from dashboard.pages.layouts import overview as draw
from dashboard.params.filters import PARAM_CITY, PARAM_END, PARAM_START
from dashboard.views import overview as vm
from dashboard.views.parts import has_district_choice
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

register_page(__name__, key="overview", order=0, path="/")


def layout(**query: object) -> Any:
    """The page for any query: bad parameters are named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query), heading=t("overview.heading_generic", lang), lang=lang,
                       logger=log, what="overview")


def _page(query: dict[str, object]) -> Any:
    store, settings = current_store(), current_settings()
    view, errors = vm.parse_view(query, store, settings.default_city)
    model = vm.render(store, settings.geo_dir, view)
    levels = vm.level_options(store, settings.geo_dir, model.city, model.view.lang)
    return draw.page(model, errors, store, levels)


# ---------------------------------------------------------------------------- callbacks


_CITY_OUTPUTS = {
    "start_options": Output(ids.OVERVIEW_START, "options"),
    "start": Output(ids.OVERVIEW_START, "value"),
    "end_options": Output(ids.OVERVIEW_END, "options"),
    "end": Output(ids.OVERVIEW_END, "value"),
    "program_options": Output(ids.OVERVIEW_PROGRAMS, "options"),
    "programs": Output(ids.OVERVIEW_PROGRAMS, "value"),
    "district_options": Output(ids.OVERVIEW_DISTRICTS, "options"),
    "districts": Output(ids.OVERVIEW_DISTRICTS, "value"),
    "districts_hidden": Output(ids.OVERVIEW_DISTRICTS_GROUP, "hidden"),
    "metric_options": Output(ids.OVERVIEW_MAP_METRIC, "options"),
    "level_options": Output(ids.OVERVIEW_MAP_LEVEL, "options"),
    "level": Output(ids.OVERVIEW_MAP_LEVEL, "value"),
    "years": Output(list_id(ids.OVERVIEW_START), "children"),
    "only_programs": Output(list_id(ids.OVERVIEW_PROGRAMS), "children"),
    "only_districts": Output(list_id(ids.OVERVIEW_DISTRICTS), "children"),
    "only_categories": Output(list_id(ids.OVERVIEW_CATEGORIES), "children"),
}


@callback(
    output=_CITY_OUTPUTS,
    inputs={"city": Input(ids.OVERVIEW_CITY, "value")},
    state={
        "start": State(ids.OVERVIEW_START, "value"),
        "end": State(ids.OVERVIEW_END, "value"),
        "level": State(ids.OVERVIEW_MAP_LEVEL, "value"),
        "lang": State(ids.OVERVIEW_LANG, "data"),
        "page_release": State(ids.PAGE_RELEASE, "data"),
    },
    prevent_initial_call=True,
)
def on_city_change(
    city: object, start: object, end: object, level: object, lang: object, page_release: object = None
) -> dict[str, Any]:
    """New city: its months, programs and districts; keep the months where it has data.

    Answered from the page's own releases; if they are gone, nothing changes here and
    ``on_controls_change`` (which the same change triggers) reloads the page.
    """
    lang = normalize_language(lang)
    store, settings = current_store(), current_settings()
    catalogs = store.catalogs()
    stale = page_release_changed(store.release_key(), page_release)
    if not isinstance(city, str) or city not in catalogs or stale:
        return dict.fromkeys(_CITY_OUTPUTS, no_update)
    catalog, city_cfg = catalogs[city], store.cities[city].localized(lang)
    view, _ = vm.parse_view({PARAM_CITY: city, PARAM_START: start, PARAM_END: end}, store, city)
    programs = program_options(catalog.programs, lang, city_cfg.label_map)
    districts = district_options(catalog, city_cfg, lang)
    levels = vm.level_options(store, settings.geo_dir, city_cfg, lang)
    months = month_options(catalog, lang)
    only = shortcut_lists(OVERVIEW_BAR, catalog, city_cfg, lang)
    return {
        "start_options": months,
        "start": view.filters.start.isoformat(),
        "end_options": months,
        "end": view.filters.end.isoformat(),
        "program_options": programs,
        "programs": [o["value"] for o in programs],
        "district_options": districts,
        "districts": [o["value"] for o in districts],
        "districts_hidden": not has_district_choice(catalog),
        "metric_options": vm.metric_options(store, city_cfg, lang),
        "level_options": levels,
        "level": level if level in [o["value"] for o in levels] else vm.DEFAULT_LEVEL,
        "years": year_buttons(OVERVIEW_BAR.bar, [o["value"] for o in months], lang),
        "only_programs": only["programs"],
        "only_districts": only["districts"],
        "only_categories": only["categories"],
    }


@callback(**shortcut_wiring(OVERVIEW_BAR), prevent_initial_call=True)
def on_shortcut(clicks: object, **options: object) -> dict[str, Any]:
    """An "only this" or "All" button: tick its boxes (or pick its months); the change then
    runs ``on_controls_change`` like a hand-ticked box."""
    return shortcut_outputs(dash.ctx.triggered_id, dash.ctx.triggered, options)


_UPDATE_OUTPUTS = {
    "search": Output(ids.OVERVIEW_URL, "search"),
    "notice": Output(ids.OVERVIEW_NOTICE, "children"),
    "banner": Output(ids.OVERVIEW_BANNER, "children"),
    "heading": Output(ids.OVERVIEW_HEADING, "children"),
    "summary": Output(ids.OVERVIEW_SUMMARY, "children"),
    "kpis": Output(ids.OVERVIEW_KPIS, "children"),
    "trend_figure": Output(ids.OVERVIEW_TREND_GRAPH, "figure"),
    "trend_config": Output(ids.OVERVIEW_TREND_GRAPH, "config"),
    "trend_table": Output(ids.OVERVIEW_TREND_TABLE, "children"),
    "milestones": Output(ids.OVERVIEW_MILESTONES, "children"),
    "program_table": Output(ids.OVERVIEW_PROGRAM_TABLE, "children"),
    "map_figure": Output(ids.OVERVIEW_MAP_GRAPH, "figure"),
    "map_config": Output(ids.OVERVIEW_MAP_GRAPH, "config"),
    "map_hidden": Output(ids.OVERVIEW_MAP_WRAP, "hidden"),
    "map_controls_hidden": Output(ids.OVERVIEW_MAP_CONTROLS, "hidden"),
    "map_table": Output(ids.OVERVIEW_MAP_TABLE, "children"),
    "map_notes": Output(ids.OVERVIEW_MAP_NOTES, "children"),
    "map_key": Output(ids.OVERVIEW_MAP_KEY, "data"),
    "release": Output(ids.OVERVIEW_RELEASE, "children"),
    "filters_summary": Output(ids.OVERVIEW_FILTERS_SUMMARY, "children"),
    "download_rows": Output(ids.OVERVIEW_DOWNLOAD_ROWS, "href"),
    "download_kpis": Output(ids.OVERVIEW_DOWNLOAD_KPIS, "href"),
    "download_summary": Output(ids.OVERVIEW_DOWNLOAD_SUMMARY, "href"),
    "download_note": Output(ids.OVERVIEW_DOWNLOAD_NOTE, "children"),
    "trend_download": Output(ids.OVERVIEW_TREND_DOWNLOAD, "href"),
    "programs_download": Output(ids.OVERVIEW_PROGRAMS_DOWNLOAD, "href"),
    "map_download": Output(ids.OVERVIEW_MAP_DOWNLOAD, "href"),
    "map_download_hidden": Output(ids.OVERVIEW_MAP_DOWNLOAD, "hidden"),
    "data_page": Output(ids.OVERVIEW_DATA_LINK, "href"),
    "reload": Output(ids.PAGE_RELOAD, "data"),
}


@callback(
    output=_UPDATE_OUTPUTS,
    inputs={
        "city": Input(ids.OVERVIEW_CITY, "value"),
        "start": Input(ids.OVERVIEW_START, "value"),
        "end": Input(ids.OVERVIEW_END, "value"),
        "programs": Input(ids.OVERVIEW_PROGRAMS, "value"),
        "districts": Input(ids.OVERVIEW_DISTRICTS, "value"),
        "categories": Input(ids.OVERVIEW_CATEGORIES, "value"),
        "metric": Input(ids.OVERVIEW_MAP_METRIC, "value"),
        "level": Input(ids.OVERVIEW_MAP_LEVEL, "value"),
    },
    state={
        "map_key": State(ids.OVERVIEW_MAP_KEY, "data"),
        "lang": State(ids.OVERVIEW_LANG, "data"),
        "page_release": State(ids.PAGE_RELEASE, "data"),
    },
    prevent_initial_call=True,
)
def on_controls_change(map_key: object, lang: object, page_release: object = None,
                       **values: object) -> dict[str, Any]:
    """Any control changed: validate like a URL, recompute, and write the permalink.

    A change of map measure or level recomputes only the map (the rest of the page
    would come back identical, about 35 KB of component JSON for nothing). The answer
    comes from the releases the page was rendered with (``dashboard.release_scope``);
    if this server no longer has them open, the page is reloaded on the new view
    instead, so its figures never mix two releases.
    """
    lang = normalize_language(lang)
    triggered = set(dash.ctx.triggered_prop_ids.values())
    map_only = bool(triggered) and triggered <= {ids.OVERVIEW_MAP_METRIC, ids.OVERVIEW_MAP_LEVEL}
    out: dict[str, Any] = dict.fromkeys(_UPDATE_OUTPUTS, no_update)
    try:
        store, settings = current_store(), current_settings()
        query, advice = vm.controls_query(values, store.catalogs(), lang)
        view, errors = vm.parse_view(query, store, settings.default_city)
        if page_release_changed(store.release_key(), page_release):
            out["reload"] = dash.get_relative_path("/") + view.query_string()
            return out
        if map_only:
            view, map_model, notes = vm.render_map(store, settings.geo_dir, view)
        else:
            model = vm.render(store, settings.geo_dir, view)
            view, map_model, notes = model.view, model.map, model.notes
            out.update(
                banner=draw.banner(model),
                heading=model.heading,
                summary=draw.summary(model),
                kpis=draw.kpis(model),
                trend_figure=model.trend_figure,
                trend_table=draw.table(model.trend_table),
                milestones=draw.milestones(model),
                program_table=draw.table(model.program_table),
                release=draw.release(model),
                filters_summary=filter_summary(store.cities, model.catalog, view.filters, lang),
            )
    except Exception:  # show a message in the page; the traceback goes to the log only
        log_exception(log, "overview update failed")
        out = dict.fromkeys(_UPDATE_OUTPUTS, no_update)
        out["notice"] = notice([t("notice.error", lang)], color="danger")
        return out
    map_figure = draw.map_update(map_model, map_key, view.lang)
    release_id = store.release_info(view.filters.city).release_id
    png_names = view.png_names(release_id)  # the PNG pictures are named after the view, like the CSVs
    if not map_only:
        out["trend_config"] = graph_config(png_names["trend"], view.lang)
    out.update(draw.download_hrefs(view))
    out.update(
        download_note=t("download.note", lang, release_id=release_id),
        search=view.query_string(),
        notice=draw.page_notice(errors, advice + notes, lang),
        map_figure=map_figure,
        map_config=graph_config(png_names["map"], view.lang),
        map_hidden=map_model.hidden,
        map_download_hidden=map_model.hidden,  # no boundaries: the API has no map to give
        map_controls_hidden=map_model.hidden,
        map_table=draw.map_table(map_model, view),
        map_notes=draw.notes(map_model.notes),
        map_key=map_model.key,
    )
    return out


clientside_callback(
    ClientsideFunction(namespace="context", function_name="follow"),
    Output({"type": ids.NAV_LINK, "path": ALL}, "href", allow_duplicate=True),
    Output(ids.LANG_SWITCH, "href", allow_duplicate=True),
    Input(ids.OVERVIEW_URL, "search"),
    State({"type": ids.NAV_LINK, "path": ALL}, "href"),
    State(ids.LANG_SWITCH, "href"),
    State(ids.LANG_SWITCH, "hrefLang"),
    State(ids.NAV_CONTEXT, "data"),
    prevent_initial_call=True,
)


@callback(
    Output(ids.OVERVIEW_MAP_GO, "href"),
    Input(ids.OVERVIEW_MAP_GRAPH, "clickData"),
    State(ids.OVERVIEW_URL, "search"),
    State(ids.OVERVIEW_LANG, "data"),
    prevent_initial_call=True,
)
def on_map_click(click: object, search: object, lang: object) -> Any:
    """A click on a district (or a precinct: its district) opens that district's page."""
    try:
        settings = current_settings()
        target = vm.clicked_district(click, search, normalize_language(lang), current_store(),
                                     settings.geo_dir, settings.default_city)
    except Exception:  # a bad click must never break the page
        log_exception(log, "map click failed")
        return no_update
    if target is None:
        return no_update
    view, district = target
    return district_href(view.filters, district, "police", view.lang)
