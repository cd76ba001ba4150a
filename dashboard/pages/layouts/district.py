"""The District page's component tree, drawn from its view model (``views.district.District``).

``page`` is the profile; ``missing`` the page for a district the city does not publish.
Addresses get the app's prefix here (``components.links``): the view model gives them
without it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from urllib.parse import urlencode

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import CHART_ROLE, chart_card, data_table, graph_config
from dashboard.components.collapse import collapsible_panel
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import month_options, select_field
from dashboard.components.links import district_href, page_href
from dashboard.components.page import release_stamp
from dashboard.components.profile import comparison_table, outcome_table, ranking_table
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.components.share import share_bar
from dashboard.engine.store import Store
from dashboard.figures import month_label, period_label
from dashboard.i18n import DEFAULT_LANGUAGE, t
from dashboard.models.plans import MAX_SHIFTS, MAX_VANS, Plan
from dashboard.params.districts import area_view_query, district_slug
from dashboard.views.district import District, DistrictView, Missing, png_name, shift_code
from dashboard.views.district_sections import plan_text
from dashboard.views.parts import Table


def href(view: DistrictView) -> str:
    """The view's address, plan included."""
    path, query = view.address()
    return dash.get_relative_path(path) + "?" + urlencode(query)


def _table(model: Table) -> html.Div:
    return data_table(model.caption, model.headers, model.rows)


def _note(text: str) -> html.P:
    return html.P(text, className="map-note small mb-1")


def missing(model: Missing, errors: list) -> html.Div:
    lang = model.lang
    links = [html.Li(dcc.Link(name, href=district_href(model.filters, a, kind, lang)))
             for name, kind, a in model.links]
    return html.Div(
        [
            html.H1(t("district.heading_generic", lang), className="h3", id=ids.DISTRICT_HEADING),
            notice([model.message, *errors], color="warning"),
            html.H2(t("district.choose", lang, city=model.city_name), className="h5"),
            html.Ul(links, className="district-list"),
        ],
        className="container-xxl py-3",
    )


def _controls(model: District, store: Store) -> html.Div:
    """District and period: folded behind a button on a phone (``components.collapse``)."""
    view, city = model.view, model.city
    lang = view.lang
    catalog = store.catalogs()[city.id]
    options = [{"label": name, "value": district_slug(a, "police")} for a, name in model.police_names.items()]
    options += [{"label": name, "value": district_slug(a, "council")}
                for a, name in model.council_names.items()]
    months = month_options(catalog, lang)
    name = model.names.get(view.area, view.area)
    start, end = month_label(view.filters.start, lang), month_label(view.filters.end, lang)
    summary = f"{name} · {t('filters.summary.range', lang, start=start, end=end)}"
    return collapsible_panel(
        ids.DISTRICT_CONTROLS,
        title=t("district.controls", lang),
        summary=summary,
        title_visible=False,
        class_name="district-controls card card-body mb-3 no-print",
        body=[
            html.Div(
                [
                    select_field(
                        ids.DISTRICT_AREA, t("district.area_label", lang), options,
                        district_slug(view.area, view.kind),
                    ),
                    select_field(
                        ids.DISTRICT_START, t("filters.start", lang), months, view.filters.start.isoformat()
                    ),
                    select_field(
                        ids.DISTRICT_END, t("filters.end", lang), months, view.filters.end.isoformat()
                    ),
                ],
                className="district-controls__fields",
            ),
        ],
    )


def _coverage_section(model: District) -> html.Section:
    view, c = model.view, model.coverage
    lang = view.lang
    notes = [_note(text) for text in c.notes]
    notes.append(
        html.Details(
            [html.Summary(c.out_of_hours_summary), _table(c.out_of_hours)],
            id=ids.DISTRICT_OUT_OF_HOURS,
            className="mt-2",
        )
    )
    return chart_card(
        heading=t("district.coverage.heading", lang),
        graph_id=ids.DISTRICT_COVERAGE_GRAPH,
        figure=c.figure,
        table_id=ids.DISTRICT_COVERAGE_TABLE,
        table=_table(c.table),
        graph_label=t("district.coverage.graph_label", lang, area=model.name, years=c.years),
        lang=lang,
        before_graph=[html.P(c.key_figure, className="key-figure")],
        after_graph=notes,
        graph_class="chart--coverage",
        section_id=ids.DISTRICT_COVERAGE_SECTION,
        png_name=png_name(view, "coverage"),
    )


def _night_section(model: District) -> html.Section | None:
    """Eligible calls unanswered at night, and why: a quotable sentence and its table."""
    night, lang = model.night, model.view.lang
    if night is None:
        return None
    return html.Section(
        html.Div(
            [
                html.H2(t("district.night.heading", lang), className="h5 card-title"),
                html.P(night.key_figure, className="key-figure", id=ids.DISTRICT_NIGHT_FIGURE),
                *([_table(night.table),
                   html.P(t("district.night.note", lang), className="map-note small mt-2 mb-0")]
                  if night.table is not None else []),
            ],
            className="card-body",
        ),
        id=ids.DISTRICT_NIGHT_SECTION,
        # Not on paper: the brief prints on two pages, and the coverage card above already
        # states the calls that came in with no team on duty.
        className="card mb-3 night-card no-print",
    )


def _map_section(model: District) -> html.Section | None:
    m, view = model.map, model.view
    if m is None:
        return None
    return chart_card(
        heading=m.heading,
        graph_id=ids.DISTRICT_MAP_GRAPH,
        figure=m.figure,
        table_id=ids.DISTRICT_MAP_TABLE,
        table=_table(m.table),
        graph_label=t("district.map.graph_label", view.lang, area=model.name),
        lang=view.lang,
        graph_class="chart--map",
        section_id=ids.DISTRICT_MAP_SECTION,
        after_graph=[
            html.P(m.legend, className="map-note small"),
            *([html.P(m.note, className="map-note small")] if m.note else []),
        ],
        png_name=png_name(view, "map"),
    )


def _hour_options() -> list[dict[str, str]]:
    return [{"label": f"{h:02d}:00", "value": str(h)} for h in range(25)]


def _planner_form(chosen: Plan, lang: str) -> html.Form:
    return html.Form(
        [
            html.Div(
                [
                    select_field(
                        ids.DISTRICT_PLAN_FROM, t("planner.from", lang), _hour_options()[:24],
                        str(chosen.hours[0]),
                    ),
                    select_field(
                        ids.DISTRICT_PLAN_TO, t("planner.to", lang), _hour_options()[1:],
                        str(chosen.hours[1] or 24),
                    ),
                    html.Div(
                        [
                            dbc.Label(
                                t("planner.vans", lang), html_for=ids.DISTRICT_PLAN_VANS,
                                class_name="fw-semibold mb-1",
                            ),
                            dbc.Input(
                                id=ids.DISTRICT_PLAN_VANS,
                                type="number",
                                min=0,
                                max=MAX_VANS,
                                step=1,
                                value=chosen.vans,
                                size="sm",
                            ),
                        ],
                        className="filter-field",
                    ),
                ],
                className="planner-form__row",
            ),
            html.Fieldset(
                [
                    html.Legend(t("planner.days", lang), className="form-label fw-semibold fs-6 mb-1"),
                    dbc.Checklist(
                        id=ids.DISTRICT_PLAN_DAYS,
                        options=[{"label": t(f"weekday.short.{d}", lang), "value": str(d)} for d in range(7)],
                        value=[str(d) for d in chosen.days],
                        inline=True,
                        class_name="planner-days",
                    ),
                ],
                className="filter-field",
            ),
            html.Button(
                t("planner.run", lang),
                id=ids.DISTRICT_PLAN_RUN,
                type="button",
                n_clicks=0,
                className="btn btn-primary btn-sm mt-2",
            ),
        ],
        className="planner-form no-print",
        **{"aria-label": t("planner.form_label", lang)},
    )


def _added_shifts(view: DistrictView) -> list:
    """The shifts in the address, each with a link to the same view without it."""
    if not view.shifts:
        return []
    lang = view.lang
    items = []
    for i, shift in enumerate(view.shifts):
        text = plan_text(shift, lang)
        rest = replace(view, shifts=view.shifts[:i] + view.shifts[i + 1:])
        items.append(html.Li([
            html.Span(text), " ",
            dcc.Link([t("planner.remove", lang), " ",
                      html.Span(t("planner.remove_label", lang, shift=text), className="visually-hidden")],
                     href=href(rest), className="small"),
        ]))
    return [html.Div(
        [
            html.H3(t("planner.shifts_heading", lang), className="h6 fw-semibold mt-2 mb-1"),
            html.Ul(items, id=ids.DISTRICT_PLAN_SHIFTS, className="mb-1"),
            dcc.Link(t("planner.remove_all", lang), href=href(replace(view, shifts=())), className="small"),
        ],
        className="planner-shifts no-print",
    )]


def _planner_result(model: District) -> list:
    view, r = model.view, model.plan_result
    lang = view.lang
    if r.no_times is not None or r.table is None:
        return [html.P(r.no_times, className="map-note")]
    return [
        html.P(html.Strong(r.headline), className="key-figure"),
        _table(r.table),
        html.Div(
            dcc.Graph(
                id=ids.DISTRICT_PLANNER_GRAPH,
                figure=r.figure,
                config=graph_config(png_name(view, "planner"), view.lang),
                responsive=True,
                className="chart chart--planner",
            ),
            role=CHART_ROLE,
            **{"aria-label": r.graph_label},
        ),
        html.P(r.assumptions, className="map-note small"),
        html.P(
            [
                t("planner.model", lang) + " ",
                dcc.Link(
                    t("planner.method_link", lang), href=page_href("/methodology", lang) + "#planner"
                ),
            ],
            className="map-note small",
        ),
    ]


def _planner_section(model: District) -> html.Section:
    lang = model.view.lang
    return html.Section(
        html.Div(
            [
                html.H2(t("planner.heading", lang), className="h5 card-title"),
                html.P(t("planner.lead", lang, area=model.name, max=MAX_SHIFTS), className="small"),
                _planner_form(model.chosen, lang),
                *_added_shifts(model.view),
                html.Div(
                    _planner_result(model),
                    id=ids.DISTRICT_PLAN_RESULT,
                    className="mt-3",
                    **{"aria-live": "polite"},
                ),
            ],
            className="card-body",
        ),
        className="card mb-3 planner-card",
        id=ids.DISTRICT_PLANNER,
    )


def _header(model: District) -> html.Header:
    view, city, info = model.view, model.city, model.info
    lang, f = view.lang, view.filters
    back = area_view_query(f, view.kind, view.area, lang)  # the district stays chosen
    return html.Header(
        [
            html.P(
                [
                    dcc.Link(t("district.back", lang, city=city.name),
                             href=page_href("/", DEFAULT_LANGUAGE, back)),
                    *([dcc.Link(t("district.to_outcomes", lang, area=model.name),
                                       id=ids.DISTRICT_TO_OUTCOMES,
                                       href=page_href("/outcomes", DEFAULT_LANGUAGE, back))]
                      if view.kind == "police" else []),
                ],
                className="small mb-1 no-print link-row district-links",
            ),
            html.H1(model.heading, id=ids.DISTRICT_HEADING, className="h3 mb-1"),
            html.Div(
                [
                    html.P(model.summary, className="lead mb-1"),
                    html.P(model.scope, className="scope mb-2"),
                ],
                id=ids.DISTRICT_SUMMARY,
            ),
            html.Dl(
                [
                    html.Dt(t("district.print.period", lang)),
                    html.Dd(period_label(f.start, f.end, lang)),
                    html.Dt(t("district.print.filters", lang)),
                    html.Dd(t("district.print.all", lang)),
                    html.Dt(t("district.print.release", lang)),
                    html.Dd(info.release_id),
                    html.Dt(t("district.print.address", lang)),
                    html.Dd(href(view), className="print-url"),
                ],
                id=ids.DISTRICT_PRINT_META,
                className="print-meta print-only",
            ),
            share_bar(lang),
        ],
        className="page-header mb-3",
    )


def _comparison(model: District) -> html.Section:
    view, city, lang = model.view, model.city, model.view.lang
    council_notes = []
    if view.kind == "council":
        council_notes.append(html.P(t("district.council_note", lang), className="comparison-note small"))
    return html.Section(
        html.Div(
            [
                html.H2(t("district.comparison.heading", lang), className="h5 card-title"),
                *council_notes,
                html.Div(
                    comparison_table(model.area, model.city_figures, model.name, city, lang),
                    id=ids.DISTRICT_COMPARISON,
                ),
                html.Details(
                    [
                        html.Summary(t("district.outcomes.summary", lang)),
                        outcome_table(model.area, city, lang),
                    ],
                    className="mt-2 outcomes-details",
                ),
            ],
            className="card-body",
        ),
        className="card mb-3 comparison-card",
    )


def _ranking(model: District, hrefs: Mapping[str, str]) -> html.Section:
    view, lang = model.view, model.view.lang
    return html.Section(
        html.Div(
            [
                html.H2(t("district.ranking.heading", lang), className="h5 card-title"),
                html.P(t("district.ranking.lead", lang), className="small"),
                html.Div(
                    ranking_table(model.ranking, model.names, view.area, model.city, lang, hrefs),
                    id=ids.DISTRICT_RANKING,
                ),
            ],
            className="card-body",
        ),
        className="card mb-3 ranking-card",
    )


def page(model: District, errors: list, store: Store) -> html.Div:
    """The whole profile, first load (every control navigates to a new address)."""
    view, city, info = model.view, model.city, model.info
    lang, f = view.lang, view.filters
    trend_notes = [html.P(t("overview.trend.note", lang), className="map-note small")]
    if model.trend_hidden:
        trend_notes.append(
            html.P(t("district.trend.hidden", lang, cells=model.trend_hidden), className="map-note small")
        )
    map_section = _map_section(model)
    hrefs = {a: district_href(f, a, view.kind, lang) for a in model.peers}
    return html.Div(
        [
            dcc.Location(id=ids.DISTRICT_NAV, refresh="callback-nav"),
            dcc.Store(id=ids.DISTRICT_PLAN_ACTIVE,
                      data={"shifts": [shift_code(s) for s in view.shifts], "lang": lang}),
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(f.city), city.name, lang),
            synthetic_banner(info, city.name, lang),
            _header(model),
            html.Div(
                what_is_this(city, lang, ("eligible", "share", "coverage", "minutes", "backup", "repeat"),
                             page="district"),
                className="no-print",
            ),
            notice(errors, heading=t("notice.link_problems", lang)) if errors else None,
            _controls(model, store),
            _comparison(model),
            chart_card(
                heading=t("district.trend.heading", lang),
                graph_id=ids.DISTRICT_TREND_GRAPH,
                figure=model.trend_figure,
                table_id=ids.DISTRICT_TREND_TABLE,
                table=_table(model.trend_table),
                graph_label=t("district.trend.graph_label", lang, area=model.name),
                lang=lang,
                graph_class="chart--trend",
                png_name=png_name(view, "trend"),
                after_graph=trend_notes,
            ),
            _coverage_section(model),
            _night_section(model),
            map_section,
            _ranking(model, hrefs),
            _planner_section(model),
            html.P(release_line(info, lang), id=ids.DISTRICT_RELEASE, className="release-line small"),
        ],
        className="container-xxl py-3 district-page",
    )
