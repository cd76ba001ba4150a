"""The Overview's component tree, drawn from its view model (``views.overview.Overview``).

``page`` is the whole page for a first load; the other functions are the parts the
callbacks send again after a change, so a part looks the same either way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table, figure_patch
from dashboard.components.downloads import chart_download, chart_href, download_link, rows_href, summary_href
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import filter_bar
from dashboard.components.kpi import kpi_section
from dashboard.components.links import district_href, page_href
from dashboard.components.page import release_stamp
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.engine.store import Store
from dashboard.figures import empty_figure
from dashboard.i18n import t
from dashboard.views.overview import MapModel, Overview, View, metric_options
from dashboard.views.parts import Note, Table


def download_hrefs(view: View) -> dict[str, str]:
    """The API links of this view's downloads, by output key (filters only, no ``lang``),
    and the Data page's link."""
    f = view.filters
    return {
        "download_rows": rows_href(f),
        "download_kpis": chart_href("kpis", f),
        "download_summary": summary_href(f),
        "trend_download": chart_href("trend", f),
        "programs_download": chart_href("programs", f),
        "map_download": chart_href("map", f, view.map_params()),
        # The Data page shows the city's release; the rest of the view goes along for the
        # navigation there to bring back (issue 15 item 7).
        "data_page": page_href("/data", view.lang, f.to_params()),
    }


def table(model: Table, hrefs: Mapping[str, str] | None = None) -> html.Div:
    """A view model's table; a first cell with a link names its area's page (``hrefs``)."""
    rows: list[list[Any]] = []
    for i, row in enumerate(model.rows):
        area = model.links[i] if i < len(model.links) else None
        href = (hrefs or {}).get(area) if area is not None else None
        rows.append([dcc.Link(row[0], href=href), *row[1:]] if href else list(row))
    return data_table(model.caption, model.headers, rows)


def notes(items: Sequence[Note]) -> list[html.P]:
    return [html.P(n.text, className=n.class_name) for n in items]


def banner(model: Overview) -> list:
    lang, name = model.view.lang, model.city.name
    return [release_notice(model.status, name, lang), synthetic_banner(model.info, name, lang)]


def summary(model: Overview) -> list[html.P]:
    return [html.P(model.summary, className="lead mb-1"), html.P(model.scope, className="scope mb-0")]


def release(model: Overview) -> list:
    return release_line(model.info, model.view.lang)


def kpis(model: Overview) -> list:
    return kpi_section(model.kpis, model.counts, city=model.city, lang=model.view.lang,
                       not_recorded=model.info.not_recorded)


def milestones(model: Overview) -> list:
    if not model.milestones:
        return []
    return [
        html.H3(t("overview.trend.milestones", model.view.lang), className="h6 mt-2 mb-1"),
        html.Ul(
            [html.Li([html.Span(str(number), className="milestone-badge"), text])
             for number, text in model.milestones],
            className="list-unstyled small milestone-list mb-0",
        ),
    ]


def map_figure(model: MapModel, lang: str) -> Any:
    """The whole map figure (a blank strip where the city has no boundaries)."""
    return model.drawing.figure() if model.drawing else empty_figure("", lang=lang, height=10)


def map_update(model: MapModel, drawn_key: object, lang: str) -> Any:
    """For a callback: the patch that updates the map drawn under ``drawn_key``, or the
    whole figure when the areas differ (another city or level)."""
    if model.drawing is not None and model.same_areas(drawn_key):
        return figure_patch(model.drawing.patch())
    return map_figure(model, lang)


def map_table(model: MapModel, view: View) -> html.Div | None:
    if model.table is None:
        return None
    f, lang = view.filters, view.lang
    hrefs = {a: district_href(f, a, "police", lang) for a in model.table.links if a is not None}
    return table(model.table, hrefs)


def page_notice(errors: Sequence[str], advice: Sequence[str], lang: str) -> html.Div | None:
    """Problems with the link or the controls first (under a heading), then advice."""
    if errors:
        return notice([*errors, *advice], heading=t("notice.link_problems", lang))
    return notice(advice)


def _radio_group(control_id: str, legend: str, options: list[dict[str, str]], value: str) -> html.Fieldset:
    return html.Fieldset(
        [
            html.Legend(legend, className="form-label fw-semibold fs-6 mb-1"),
            # ``name``: one native radio group, so the arrow keys move the choice and a
            # screen reader says "2 of 4" (dbc leaves each radio unnamed, a group of one).
            dbc.RadioItems(id=control_id, options=options, value=value, inline=True, name=control_id),
        ],
        className="map-control",
    )


def page(
    model: Overview, errors: Sequence[str], store: Store, level_choices: list[dict[str, str]]
) -> html.Div:
    """The whole page for ``model`` (``errors``: what the address had that could not be used)."""
    view, city = model.view, model.city
    lang, f = view.lang, view.filters
    alert = page_notice(errors, model.notes, lang)
    hrefs = download_hrefs(view)
    png_names = view.png_names(model.info.release_id)
    map_card = chart_card(
        heading=t("overview.map.heading", lang),
        graph_id=ids.OVERVIEW_MAP_GRAPH,
        figure=map_figure(model.map, lang),
        table_id=ids.OVERVIEW_MAP_TABLE,
        table=map_table(model.map, view),
        graph_label=t("overview.map.graph_label", lang),
        lang=lang,
        section_id=ids.OVERVIEW_MAP_SECTION,
        graph_wrap_id=ids.OVERVIEW_MAP_WRAP,
        graph_hidden=model.map.hidden,
        graph_class="chart--map",
        download=chart_download(ids.OVERVIEW_MAP_DOWNLOAD, hrefs["map_download"], lang,
                                hidden=model.map.hidden),
        png_name=png_names["map"],
        before_graph=[
            html.Div(
                [
                    _radio_group(
                        ids.OVERVIEW_MAP_METRIC, t("map.metric.label", lang),
                        metric_options(store, city, lang), view.metric,
                    ),
                    _radio_group(
                        ids.OVERVIEW_MAP_LEVEL, t("map.level.label", lang), level_choices, view.level
                    ),
                ],
                id=ids.OVERVIEW_MAP_CONTROLS,
                className="map-controls",
                hidden=model.map.hidden,
            )
        ],
        after_graph=[
            html.Div(notes(model.map.notes), id=ids.OVERVIEW_MAP_NOTES, className="map-notes small")
        ],
    )
    trend_card = chart_card(
        heading=t("overview.trend.heading", lang),
        graph_id=ids.OVERVIEW_TREND_GRAPH,
        figure=model.trend_figure,
        table_id=ids.OVERVIEW_TREND_TABLE,
        table=table(model.trend_table),
        graph_label=t("overview.trend.graph_label", lang),
        lang=lang,
        graph_class="chart--trend",
        download=chart_download(ids.OVERVIEW_TREND_DOWNLOAD, hrefs["trend_download"], lang),
        png_name=png_names["trend"],
        after_graph=[
            html.P(t("overview.trend.note", lang), className="map-note small"),
            html.Div(milestones(model), id=ids.OVERVIEW_MILESTONES),
        ],
    )
    program_card = html.Section(
        html.Div(
            [
                html.H2(t("overview.programs.heading", lang), className="h5 card-title"),
                html.Div(table(model.program_table), id=ids.OVERVIEW_PROGRAM_TABLE),
                html.Div(
                    chart_download(ids.OVERVIEW_PROGRAMS_DOWNLOAD, hrefs["programs_download"], lang),
                    className="chart-actions mt-2",
                ),
            ],
            className="card-body",
        ),
        className="card mb-3",
    )
    return html.Div(
        [
            dcc.Location(id=ids.OVERVIEW_URL, refresh=False),
            # A click on the map sets this one's href: the app moves to the district page.
            dcc.Location(id=ids.OVERVIEW_MAP_GO, refresh="callback-nav"),
            dcc.Store(id=ids.OVERVIEW_LANG, data=lang),
            dcc.Store(id=ids.OVERVIEW_MAP_KEY, data=model.map.key),
            release_stamp(store.release_key()),
            html.Div(banner(model), id=ids.OVERVIEW_BANNER),
            html.Header(
                [
                    html.H1(model.heading, id=ids.OVERVIEW_HEADING, className="h3 mb-1"),
                    html.Div(summary(model), id=ids.OVERVIEW_SUMMARY, **{"aria-live": "polite"}),
                ],
                className="page-header mb-3",
            ),
            what_is_this(city, lang, ("eligible", "share", "minutes", "arrest", "backup"), page="overview"),
            html.Div(alert, id=ids.OVERVIEW_NOTICE),
            html.Div(
                [
                    html.Aside(
                        filter_bar(cities=store.cities, catalog=model.catalog, filters=f, lang=lang),
                        className="col-lg-3 mb-3",
                        **{"aria-label": t("filters.heading", lang)},
                    ),
                    html.Div(
                        [
                            html.Div(kpis(model), id=ids.OVERVIEW_KPIS, className="mb-2"),
                            html.P(
                                t("overview.same_categories", lang), className="comparison-note small mb-3"
                            ),
                            trend_card,
                            program_card,
                            map_card,
                            _downloads_card(hrefs, model.info.release_id, lang),
                            html.P(release(model), id=ids.OVERVIEW_RELEASE, className="release-line small"),
                        ],
                        className="col-lg-9",
                    ),
                ],
                className="row",
            ),
        ],
        className="container-xxl py-3",
    )


def _downloads_card(hrefs: Mapping[str, str], release_id: str, lang: str) -> html.Section:
    """Rows behind the view, the headline figures, the JSON summary, and the data page."""
    return html.Section(
        html.Div(
            [
                html.H2(t("download.heading", lang), className="h5 card-title"),
                html.P(t("download.note", lang, release_id=release_id), id=ids.OVERVIEW_DOWNLOAD_NOTE,
                       className="small mb-2"),
                html.Div(
                    [
                        download_link(ids.OVERVIEW_DOWNLOAD_ROWS, hrefs["download_rows"],
                                      t("download.rows", lang), primary=True),
                        download_link(ids.OVERVIEW_DOWNLOAD_KPIS, hrefs["download_kpis"],
                                      t("download.kpis", lang)),
                        html.A(t("download.summary", lang), id=ids.OVERVIEW_DOWNLOAD_SUMMARY,
                               href=hrefs["download_summary"], className="btn btn-sm btn-link"),
                        dcc.Link(t("download.more", lang), href=hrefs["data_page"], id=ids.OVERVIEW_DATA_LINK,
                                 className="btn btn-sm btn-link"),
                    ],
                    className="d-flex flex-wrap gap-2",
                ),
            ],
            className="card-body",
        ),
        className="card mb-3",
        id=ids.OVERVIEW_DOWNLOADS,
    )
