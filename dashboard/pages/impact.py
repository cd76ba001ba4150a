"""Impact: did reports of low-level offenses fall where the alternative team started?

The evidence and its limits side by side: one headline estimate with its interval, the
checks that could undo it (named in plain words when they do), the event study and the
monthly reports with the tables behind them, what was compared and where the area comes
from, both published readings, and the files to refit it all. The numbers are computed
offline (``crisis-dashboard impact``) from real offense reports; ``views.impact`` words
them.

No callbacks: the offense group is a link (``?group=``), so every view has an address a
reader can share, and the page works before any script has run. No ``from __future__
import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table
from dashboard.components.downloads import download_link
from dashboard.components.links import page_href
from dashboard.components.page import city_switcher, release_stamp, safe_layout
from dashboard.components.release import city_message
from dashboard.i18n import t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.queries.api_params import API_PREFIX
from dashboard.queries.impact import DOWNLOADS
from dashboard.views.impact import GROUPS, PARAM_GROUP, Impact, parse_view, render
from dashboard.views.parts import Table
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

PATH = "/impact"

register_page(__name__, key="impact", order=0.6, path=PATH)

#: The published readings of the Denver pilot, with their sources (shown for every city
#: with an [impact] section: they are about the method as much as about Denver).
READINGS: tuple[tuple[str, str], ...] = (
    ("paper", "https://pmc.ncbi.nlm.nih.gov/articles/PMC9176742/"),
    ("critique", "https://crimede-coder.com/blogposts/2025/DenverStar"),
)


def _table(model: Table, numeric_from: int = 1) -> html.Div:
    return data_table(model.caption, model.headers, model.rows, numeric_from=numeric_from)


def _group_links(model: Impact) -> html.Nav:
    """One link per offense group; the current one marked for screen readers too."""
    lang, city = model.view.lang, model.view.city
    items = []
    for group in GROUPS:
        label = t(f"impact.group_choice.{group}", lang)
        if group == model.view.group:
            items.append(html.Li(html.Span(label, className="nav-link active", **{"aria-current": "page"}),
                                 className="nav-item"))
        else:
            href = page_href(PATH, lang, [("city", city), (PARAM_GROUP, group)])
            items.append(html.Li(dcc.Link(label, href=href, className="nav-link"), className="nav-item"))
    return html.Nav(html.Ul(items, className="nav nav-pills flex-wrap gap-1"), id=ids.IMPACT_GROUPS,
                    **{"aria-label": t("impact.group_label", lang)})


def _codes(codes: tuple[str, ...]) -> list:
    """The offense codes as code (they are the reference file's spellings, not words)."""
    out: list = []
    for i, code in enumerate(codes):
        out += [", " if i else " ", html.Code(code)]
    return [*out, "."] if out else []


def _costs(model: Impact) -> html.Section | None:
    """Cost per call answered: the table with each budget's source, or why there is none."""
    costs, lang = model.costs, model.view.lang
    if costs is None:
        return None
    body: list = [html.H2(t("impact.cost.heading", lang), className="h5 card-title")]
    if costs.table is not None:
        body.append(html.Div(_table(costs.table), id=ids.IMPACT_COST_TABLE))
    body.append(html.P(costs.note, className="small mt-2", id=ids.IMPACT_COST_NOTE))
    if costs.sources:
        # The sources are quoted in their own language (English): marked for screen readers.
        body.append(html.Ul([html.Li(html.A([f"{year}: ", html.Span(source, lang="en")], href=url))
                             for year, source, url in costs.sources], className="small mb-0"))
    return html.Section(html.Div(body, className="card-body"), className="card mb-3", id=ids.IMPACT_COSTS)


def _officer_time(model: Impact) -> html.Section | None:
    """Officer time returned: the headline, the monthly chart and its tables, or why none."""
    section, lang = model.officer, model.view.lang
    if section is None:
        return None
    heading = t("impact.officer.heading", lang)
    note = html.P(section.note, className="small mt-2", id=ids.IMPACT_OFFICER_NOTE)
    if section.monthly is None:
        body = html.Div([html.H2(heading, className="h5 card-title"), note], className="card-body")
        return html.Section(body, className="card mb-3", id=ids.IMPACT_OFFICER)
    link = download_link(ids.IMPACT_OFFICER_DOWNLOAD, dash.get_relative_path(section.file_path),
                         t("impact.officer.download", lang))
    return chart_card(
        heading=heading, graph_id=ids.IMPACT_OFFICER_GRAPH, figure=section.figure,
        table_id=ids.IMPACT_OFFICER_TABLE, table=_table(section.monthly),
        graph_label=t("impact.officer.graph_label", lang), lang=lang, section_id=ids.IMPACT_OFFICER,
        before_graph=[html.P(section.headline, id=ids.IMPACT_OFFICER_HEADLINE)],
        after_graph=[note,
                     html.Div(_table(section.districts), id=ids.IMPACT_OFFICER_DISTRICTS, className="mt-3"),
                     html.Div(_table(section.inputs, numeric_from=2), id=ids.IMPACT_OFFICER_INPUTS,
                              className="mt-3")],
        download=link, png_name="impact-officer-hours")


def _repeat(model: Impact) -> html.Section | None:
    """Repeat contacts after a response: the shares per program and year, or why none."""
    section, lang = model.repeat, model.view.lang
    if section is None:
        return None
    body: list = [html.H2(t("impact.repeat.heading", lang), className="h5 card-title")]
    if section.headline:
        body.append(html.P(section.headline, id=ids.IMPACT_REPEAT_HEADLINE))
    if section.table is not None:
        body.append(html.Div(_table(section.table), id=ids.IMPACT_REPEAT_TABLE))
    body.append(html.P(section.note, className="small mt-2", id=ids.IMPACT_REPEAT_NOTE))
    if section.file_path:
        body.append(download_link(ids.IMPACT_REPEAT_DOWNLOAD, dash.get_relative_path(section.file_path),
                                  t("impact.repeat.download", lang)))
    return html.Section(html.Div(body, className="card-body"), className="card mb-3", id=ids.IMPACT_REPEAT)


def _downloads(model: Impact) -> html.Section:
    lang, city = model.view.lang, model.view.city
    links = [download_link(f"{ids.IMPACT_DOWNLOAD}-{name}",
                           dash.get_relative_path(f"{API_PREFIX}/impact/{city}/{name}.csv"),
                           t(f"impact.download.{name}", lang), primary=name == "estimates")
             for name in DOWNLOADS]
    return html.Section(html.Div([html.H2(t("download.heading", lang), className="h5 card-title"),
                                  html.P(t("impact.download.note", lang), className="small"),
                                  html.Div(links, className="d-flex flex-wrap gap-2")],
                                 className="card-body"), className="card mb-3")


def _readings(lang: str) -> html.Section:
    link = t("impact.reading.link", lang)
    items = [html.Li([t(f"impact.reading.{key}", lang), " ", html.A(link, href=url)])
             for key, url in READINGS]
    return html.Section(html.Div([html.H2(t("impact.readings.heading", lang), className="h5 card-title"),
                                  html.Ul(items, className="mb-0")], className="card-body"),
                        className="card mb-3", id=ids.IMPACT_READINGS)


def _limits(lang: str) -> html.Section:
    items = [html.Li(t(f"impact.limits.{k}", lang)) for k in ("reports", "area", "timing", "size")]
    return html.Section(html.Div([html.H2(t("impact.limits.heading", lang), className="h5 card-title"),
                                  html.P(t("impact.limits.can", lang)), html.Ul(items, className="mb-0")],
                                 className="card-body"), className="card mb-3", id=ids.IMPACT_LIMITS)


def _body(model: Impact) -> list:
    lang = model.view.lang
    listed = html.Ul([html.Li(w) for w in model.warnings], className="mb-0")
    warnings = [html.Div([html.Strong(t("impact.warn.heading", lang)), listed],
                         className="alert alert-warning", role="note", id=ids.IMPACT_WARNINGS)
                ] if model.warnings else []
    return [
        _group_links(model),
        html.P(model.headline, id=ids.IMPACT_HEADLINE, className="lead mt-3"),
        *warnings,
        html.P(model.area, className="small", id=ids.IMPACT_AREA),
        html.P([model.offense_types, *_codes(model.type_codes)], className="small", id=ids.IMPACT_TYPES),
        chart_card(heading=t("impact.event.heading", lang), graph_id=ids.IMPACT_EVENT_GRAPH,
                   figure=model.event_figure, table_id=ids.IMPACT_EVENT_TABLE,
                   table=_table(model.event_table),
                   graph_label=model.event_summary, lang=lang, section_id=ids.IMPACT_EVENT_SECTION,
                   before_graph=[html.P(model.event_summary, className="small")],
                   png_name=f"impact-event-study-{model.view.group}"),
        html.Section(html.Div([html.H2(t("impact.checks.heading", lang), className="h5 card-title"),
                               html.P(t("impact.checks.lead", lang), className="small"),
                               html.Div(_table(model.estimates), id=ids.IMPACT_ESTIMATES)],
                              className="card-body"), className="card mb-3", id=ids.IMPACT_CHECKS),
        chart_card(heading=t("impact.monthly.heading", lang), graph_id=ids.IMPACT_MONTHLY_GRAPH,
                   figure=model.monthly_figure, table_id=ids.IMPACT_MONTHLY_TABLE,
                   table=_table(model.monthly_table), graph_label=t("impact.monthly.label", lang), lang=lang,
                   png_name=f"impact-monthly-{model.view.group}"),
        _officer_time(model),
        _repeat(model),
        _costs(model),
        _limits(lang),
        _readings(lang),
        html.P([model.source, " ", dcc.Link(t("impact.method_link", lang),
                                            href=page_href("/methodology", lang) + f"#{ids.METHOD_IMPACT}")],
               className="small", id=ids.IMPACT_SOURCE),
        _downloads(model),
    ]


def layout(**query: object) -> html.Div:
    """The page for any query: a bad city or group is named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query, lang), heading=t("impact.heading_generic", lang), lang=lang,
                       logger=log, what="impact")


def _page(query: Mapping[str, object], lang: str) -> html.Div:
    store, settings = current_store(), current_settings()
    view, errors = parse_view(query, store, settings.default_city, lang)
    model = render(store, view)
    if view.bad_city is not None:
        errors.insert(0, city_message(store, view.bad_city, model.city.name, lang))
    missing = [html.P(model.missing, id=ids.IMPACT_MISSING, className="lead")]
    sections = [_officer_time(model), _repeat(model), _costs(model)]
    body = _body(model) if model.available else [*missing, *sections]
    return html.Div(
        [
            release_stamp(store.release_key()),
            html.Header([html.H1(t("impact.heading", lang, city=model.city.name), id=ids.IMPACT_HEADING,
                                 className="h3 mb-1"),
                         html.P(t("impact.lead", lang), className="mb-0")], className="page-header mb-3"),
            html.Div(notice(errors), id=ids.IMPACT_NOTICE),
            city_switcher({c: v.name for c, v in store.cities.items()}, view.city, PATH, lang,
                          [(PARAM_GROUP, view.group)]),
            *body,
        ],
        className="container-xxl py-3 impact-page",
    )
