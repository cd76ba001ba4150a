"""District profile: one police or council district beside its city, for a council member.

``/district/3`` is police district 3; ``/district/council-10`` council district 10
(``components.links``). The query holds the city, the period and, once the planner
has been run, the plan (``vans``, ``days``, ``from``, ``to``). The whole view is the
URL: every control only computes a new address and navigates to it inside the page
(``dcc.Location(refresh="callback-nav")``), so the layout below, rendered on the server
from the URL, is the only place numbers are made, and "copy link" is simply the
address. One callback, no SQL in it.

No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import CHART_ROLE, chart_card, data_table, graph_config
from dashboard.components.collapse import collapsible_panel
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import month_options, select_field
from dashboard.components.links import (
    DISTRICT_PATH,
    DistrictKind,
    district_href,
    district_query,
    district_slug,
    page_href,
    parse_district_slug,
)
from dashboard.components.page import release_stamp, safe_layout
from dashboard.components.profile import comparison_table, outcome_table, ranking_table
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.components.share import share_bar
from dashboard.contract.cities import City
from dashboard.contract.schema import AREA_COUNCIL, AREA_DISTRICT, CITYWIDE
from dashboard.engine.store import Store
from dashboard.figures import (
    empty_figure,
    map_figure,
    map_legend,
    map_metric_values,
    month_label,
    monthly_figure,
    period_label,
    program_label,
)
from dashboard.figures.coverage import coverage_figure, coverage_legend, planner_figure
from dashboard.geo.web import WebArea, layer_exists, load_web_layer
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, fmt_int, fmt_pct, normalize_language, t
from dashboard.models import planner
from dashboard.pages import current_settings, current_store, register_page
from dashboard.params.filters import PARAM_CITY, PARAM_END, PARAM_START, Filters, ascii_int
from dashboard.params.grammar import parse_filters
from dashboard.queries import district as district_data
from dashboard.queries import overview as queries
from dashboard.queries import profile
from dashboard.queries.docs import first_value
from dashboard.views.mapview import localized_areas
from dashboard.views.prelude import page_query, query_language

log = logging.getLogger(__name__)

register_page(__name__, key="district", order=5, path_template=DISTRICT_PATH + "/<district_id>")

PARAM_VANS = "vans"
PARAM_DAYS = "days"
PARAM_FROM = "from"
PARAM_TO = "to"
COUNCIL_LAYER = "council_districts"



# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class DistrictView:
    """What the URL decides: city and period, which district, the plan (if any), language."""

    filters: Filters
    kind: DistrictKind
    area: str
    plan: planner.Plan | None
    lang: str
    #: False when the city publishes no figures for this district (unknown or unpublished).
    published: bool = True

    @property
    def area_type(self) -> str:
        return AREA_COUNCIL if self.kind == "council" else AREA_DISTRICT

    def href(self, area: str | None = None, kind: DistrictKind | None = None) -> str:
        """This view's address (or another district's, same period, without the plan)."""
        if area is not None:
            return district_href(self.filters, area, kind or self.kind, self.lang)
        query = district_query(self.filters, self.lang)
        query += plan_params(self.plan)
        path = f"{DISTRICT_PATH}/{district_slug(self.area, self.kind)}"
        return dash.get_relative_path(path) + "?" + urlencode(query)


def plan_params(plan: planner.Plan | None) -> list[tuple[str, str]]:
    if plan is None:
        return []
    return [
        (PARAM_VANS, str(plan.vans)),
        (PARAM_DAYS, "".join(str(d) for d in plan.days)),
        (PARAM_FROM, str(plan.hours[0])),
        (PARAM_TO, str(plan.hours[1])),
    ]


def _whole_number(raw: Mapping[str, object], name: str) -> int:
    """The planner's number ``name`` in ASCII digits (``ascii_int``), or a ValueError saying so."""
    number = ascii_int(raw[name])
    if number is None:
        raise ValueError(f"{name}: {str(raw[name] or '')[:20]!r} is not a whole number")
    return number


def parse_plan(query: Mapping[str, object], lang: str) -> tuple[planner.Plan | None, list[str]]:
    """The planner's choice from the URL; None when absent, a message when malformed."""
    raw = {p: first_value(query.get(p)) for p in (PARAM_VANS, PARAM_DAYS, PARAM_FROM, PARAM_TO)}
    if not any(raw.values()):
        return None, []
    try:
        text = raw[PARAM_DAYS] or ""
        days = tuple(n for n in (ascii_int(c) for c in text[:7]) if n is not None)
        if text and len(days) != len(text[:7]):
            raise ValueError(f"days: {text[:20]!r} is not a list of weekdays 0-6")
        vans, first, last = (_whole_number(raw, name) for name in (PARAM_VANS, PARAM_FROM, PARAM_TO))
        plan = planner.Plan(vans=vans, days=days, hours=(first, last))
    except ValueError as exc:
        return None, [t("district.bad_plan", lang, problem=str(exc)[:120])]
    return plan, []


def _district_names(city: City, kind: DistrictKind, areas: Sequence[str], lang: str) -> dict[str, str]:
    if kind == "council":
        return {a: t("district.council_name", lang, id=a) for a in areas}
    return {a: t("district.police_name", lang, label=city.geo.district_label, id=city.district_name(a))
            for a in areas}


def _areas(store: Store, city: City, kind: DistrictKind) -> tuple[str, ...]:
    """Districts of a kind with published figures, in natural order."""
    if kind == "council":
        return district_data.council_districts(store, city.id)
    return tuple(d for d in store.catalogs()[city.id].districts if d != CITYWIDE)


def _layer(city: City, kind: DistrictKind) -> tuple[WebArea, ...]:
    geo_dir = current_settings().geo_dir
    name = COUNCIL_LAYER if kind == "council" else "districts"
    return load_web_layer(geo_dir, city.id, name) if layer_exists(geo_dir, city.id, name) else ()


def parse_view(
    district_id: object, query: Mapping[str, object], store: Store
) -> tuple[DistrictView | None, list]:
    """Untrusted path and query -> the view plus messages; None when there is no such district."""
    period_query = {k: query.get(k) for k in (PARAM_CITY, PARAM_START, PARAM_END, PARAM_LANG) if k in query}
    prelude = page_query(period_query, store, current_settings().default_city)
    lang, errors = prelude.lang, list(prelude.errors)
    plan, plan_errors = parse_plan(query, lang)
    errors += plan_errors
    parsed = parse_district_slug(district_id)
    if parsed is None:
        return None, errors
    kind, area = parsed
    published = area in _areas(store, store.cities[prelude.filters.city], kind)
    return DistrictView(prelude.filters, kind, area, plan, lang, published), errors


# ------------------------------------------------------------------------------ sections


def _summary(
    view: DistrictView, name: str, area: profile.AreaFigures, city_fig: profile.AreaFigures, city: City
) -> str:
    lang = view.lang
    alt = program_label(city.alternative_program, lang, city.label_map)
    key = "district.summary" if area.eligible else "district.summary_no_eligible"
    return t(
        key,
        lang,
        area=name,
        period=period_label(view.filters.start, view.filters.end, lang),
        calls=fmt_int(area.calls, lang),
        eligible=fmt_int(area.eligible, lang),
        program=alt,
        share=fmt_pct(None if math.isnan(area.alt_share) else area.alt_share, lang),
        city_share=fmt_pct(None if math.isnan(city_fig.alt_share) else city_fig.alt_share, lang),
        out_of_hours=fmt_int(area.out_of_hours, lang),
    )


def _controls(
    view: DistrictView, city: City, names: Mapping[str, str], council_names: Mapping[str, str], store: Store
) -> html.Div:
    """District and period: folded behind a button on a phone (``components.collapse``)."""
    lang = view.lang
    catalog = store.catalogs()[city.id]
    options = [{"label": name, "value": district_slug(a, "police")} for a, name in names.items()]
    options += [{"label": name, "value": district_slug(a, "council")} for a, name in council_names.items()]
    months = month_options(catalog, lang)
    name = (council_names if view.kind == "council" else names).get(view.area, view.area)
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


def _png_name(view: DistrictView, chart: str) -> str:
    """The chart toolbar's PNG file name: what, where and when, like the CSV names."""
    f = view.filters
    return f"{chart}_{f.city}_district-{district_slug(view.area, view.kind)}_{f.start:%Y-%m}_{f.end:%Y-%m}"


def _trend(view: DistrictView, city: City, store: Store) -> tuple[pd.DataFrame, int]:
    f = view.filters
    if view.kind == "council":
        monthly = profile.council_monthly(store, f, city, view.area)
        return monthly, int(monthly["hidden"].sum())
    return queries.monthly_by_program(store, f.with_(districts=(view.area,))), 0


def _trend_table(monthly: pd.DataFrame, city: City, lang: str) -> html.Div:
    """The trend's numbers; a hidden month says so (and its total is a lower bound)."""
    programs = [p.value for p in city.programs]
    wide = monthly.pivot_table(
        index="month", columns="response_type", values="calls", aggfunc="sum", fill_value=0
    )
    hidden = (monthly.pivot_table(index="month", columns="response_type", values="hidden", aggfunc="sum",
                                  fill_value=0) if "hidden" in monthly else wide * 0)

    def cell(month: object, program: str) -> str:
        if hidden.loc[month].get(program, 0):
            return t("profile.hidden", lang)
        return fmt_int(wide.loc[month].get(program, 0), lang)

    def total(month: object) -> str:
        text = fmt_int(wide.loc[month].sum(), lang)
        return ("≥ " + text) if hidden.loc[month].sum() else text

    rows = [[month_label(month, lang), *(cell(month, p) for p in programs), total(month)]
            for month in wide.index]
    headers = [
        t("table.month", lang),
        *(program_label(p, lang, city.label_map) for p in programs),
        t("table.total", lang),
    ]
    return data_table(t("district.trend.table_caption", lang), headers, rows)


def _coverage_section(
    view: DistrictView, city: City, store: Store, name: str, area: profile.AreaFigures
) -> html.Section:
    lang, f = view.lang, view.filters
    cells = district_data.coverage(store, f, view.area_type, view.area)
    first, last = district_data.years(f)
    start, end = planner.week_year_dates(first)[0], planner.week_year_dates(last)[1]
    spans = planner.schedule_plans(city.schedule, start, end, 1.0)
    duty = planner.duty_shares(spans)
    k = store.settings.privacy_k
    team = program_label(city.alternative_program, lang, city.label_map)
    figure = coverage_figure(cells, duty, lang=lang, k=k, team=team)
    years = str(first) if first == last else f"{first}–{last}"
    key_figure = html.P(
        t(
            "district.coverage.key",
            lang,
            area=name,
            out_of_hours=fmt_int(area.out_of_hours, lang),
            eligible=fmt_int(area.eligible, lang),
            share=fmt_pct(None if math.isnan(area.out_of_hours_share) else area.out_of_hours_share, lang),
            period=period_label(f.start, f.end, lang),
        ),
        className="key-figure",
    )
    hidden = int(cells["hidden"].sum())
    notes = [
        html.P(text, className="map-note small mb-1")
        for text in coverage_legend(lang, k=k, team=team, cells=cells, duty=duty)
    ]
    notes.append(html.P(t("district.coverage.years", lang, years=years), className="map-note small mb-1"))
    if hidden:
        notes.append(
            html.P(
                t("district.coverage.hidden", lang, cells=fmt_int(hidden, lang), k=k),
                className="map-note small mb-1",
            )
        )
    notes.append(_out_of_hours_table(view, city, store))
    return chart_card(
        heading=t("district.coverage.heading", lang),
        graph_id=ids.DISTRICT_COVERAGE_GRAPH,
        figure=figure,
        table_id=ids.DISTRICT_COVERAGE_TABLE,
        table=_coverage_table(cells, lang),
        graph_label=t("district.coverage.graph_label", lang, area=name, years=years),
        lang=lang,
        before_graph=[key_figure],
        after_graph=notes,
        graph_class="chart--coverage",
        section_id=ids.DISTRICT_COVERAGE_SECTION,
        png_name=_png_name(view, "coverage"),
    )


def _coverage_table(cells: pd.DataFrame, lang: str) -> html.Div:
    headers = [t("district.coverage.hour", lang), *(t(f"weekday.short.{d}", lang) for d in range(7))]
    by_cell = {(int(r.weekday), int(r.hour)): r for r in cells.itertuples(index=False)}
    rows = []
    for hour in range(24):
        row = [f"{hour:02d}:00"]
        for day in range(7):
            cell = by_cell[(day, hour)]
            text = fmt_int(cell.calls, lang)
            if cell.hidden:
                text = (
                    t("district.coverage.cell_hidden", lang, calls=text)
                    if cell.calls
                    else t("district.coverage.cell_all_hidden", lang)
                )
            row.append(text)
        rows.append(row)
    return data_table(t("district.coverage.table_caption", lang), headers, rows)


def _out_of_hours_table(view: DistrictView, city: City, store: Store) -> html.Details:
    """The key figure for every police district (exact, from the rows)."""
    lang = view.lang
    frame = district_data.out_of_hours(store, view.filters)
    rows = []
    for r in frame.itertuples(index=False):
        label = (
            t("district.citywide_rows", lang)
            if r.district == CITYWIDE
            else t("district.police_name", lang, label=city.geo.district_label,
                   id=city.district_name(r.district))
        )
        rows.append(
            [
                label,
                fmt_int(r.eligible, lang),
                fmt_int(r.out_of_hours, lang),
                fmt_pct(None if pd.isna(r.share) else float(r.share), lang),
            ]
        )
    table = data_table(
        t("district.out_of_hours.caption", lang, label=city.geo.district_label.lower()),
        [
            city.geo.district_label,
            t("table.eligible", lang),
            t("district.out_of_hours.calls", lang),
            t("district.out_of_hours.share", lang),
        ],
        rows,
    )
    return html.Details(
        [
            html.Summary(t("district.out_of_hours.summary", lang, label=city.geo.district_label.lower())),
            table,
        ],
        id=ids.DISTRICT_OUT_OF_HOURS,
        className="mt-2",
    )


def _map_section(
    view: DistrictView, city: City, store: Store, name: str, ranking: Sequence[profile.AreaFigures]
) -> html.Section | None:
    """Police district: its precincts (yearly cube). Council: every council district."""
    lang, f = view.lang, view.filters
    geo_dir = current_settings().geo_dir
    if view.kind == "police":
        if not layer_exists(geo_dir, city.id, "precincts"):
            return None
        areas = localized_areas(
            [a for a in load_web_layer(geo_dir, city.id, "precincts") if a.district == view.area], lang
        )
        if not areas:
            return None
        values = queries.map_values(store, f, "precinct")
        heading, note = t("district.map.precincts", lang), city.geo.precinct_note
    else:
        areas = localized_areas(_layer(city, "council"), lang)
        if not areas:
            return None
        values = pd.DataFrame(
            [
                {
                    "area_id": r.area,
                    "calls": r.calls,
                    "eligible": r.eligible,
                    "eligible_answered": r.eligible_answered,
                    "suppressed_cells": r.hidden,
                }
                for r in ranking
            ],
            columns=["area_id", "calls", "eligible", "eligible_answered", "suppressed_cells"],
        )
        heading, note = t("district.map.council", lang), t("district.map.council_note", lang)
    metric_values = map_metric_values(values, areas, "count", city.geo.low_population_threshold)
    figure = map_figure(
        metric_values,
        areas,
        "count",
        lang=lang,
        alt_program=city.alternative_program,
        height=None,
        labels=city.label_map,
        zoom_to=[view.area] if view.kind == "council" else None,
    )
    legend = map_legend(
        metric_values, "count", lang=lang, alt_program=city.alternative_program, labels=city.label_map
    )
    rows = [
        [
            r.name,
            fmt_int(r.calls, lang),
            fmt_int(r.eligible, lang),
            t("map.table.suppressed", lang, cells=r.suppressed_cells) if r.suppressed_cells else "",
        ]
        for r in metric_values.itertuples(index=False)
    ]
    table = data_table(
        heading,
        [
            t("district.map.area", lang),
            t("table.calls", lang),
            t("table.eligible", lang),
            t("table.note", lang),
        ],
        rows,
    )
    return chart_card(
        heading=heading,
        graph_id=ids.DISTRICT_MAP_GRAPH,
        figure=figure,
        table_id=ids.DISTRICT_MAP_TABLE,
        table=table,
        graph_label=t("district.map.graph_label", lang, area=name),
        lang=lang,
        graph_class="chart--map",
        section_id=ids.DISTRICT_MAP_SECTION,
        after_graph=[
            html.P(legend, className="map-note small"),
            *([html.P(note, className="map-note small")] if note else []),
        ],
        png_name=_png_name(view, "map"),
    )


# ---------------------------------------------------------------------------- planner


def _hour_options() -> list[dict[str, str]]:
    return [{"label": f"{h:02d}:00", "value": str(h)} for h in range(25)]


def _planner_section(view: DistrictView, city: City, store: Store, name: str) -> html.Section:
    lang, f = view.lang, view.filters
    comparison = district_data.compare_plans(store, f, city, view.area_type, view.area, view.plan)
    current = city.schedule[-1] if city.schedule else None
    for period in city.schedule:  # the schedule in force at the end of the period
        if period.start <= f.end:
            current = period
    chosen = view.plan or (planner.plan_from_period(current) if current else planner.Plan(1))
    form = html.Form(
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
                                max=planner.MAX_VANS,
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
    return html.Section(
        html.Div(
            [
                html.H2(t("planner.heading", lang), className="h5 card-title"),
                html.P(t("planner.lead", lang, area=name), className="small"),
                form,
                html.Div(
                    _planner_result(view, city, comparison, name),
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


def _share_text(value: float | None, lang: str) -> str:
    return fmt_pct(None if value is None or math.isnan(value) else value, lang)


def _planner_result(view: DistrictView, city: City, c: district_data.PlanComparison, name: str) -> list:
    lang = view.lang
    alt = program_label(city.alternative_program, lang, city.label_map)
    if c.city_inputs.minutes_per_call is None:
        return [html.P(t("planner.no_times", lang, city=city.name), className="map-note")]
    city_cur = c.city_current.share if c.city_current is not None else None
    city_plan = c.city_planned.share if c.city_planned is not None else None
    rows = [
        [
            t("planner.row.observed", lang),
            _share_text(c.area_inputs.observed_share, lang),
            _share_text(c.city_inputs.observed_share, lang),
        ],
        [t("planner.row.current", lang), _share_text(c.area_current, lang), _share_text(city_cur, lang)],
    ]
    if c.plan is not None:
        rows.append(
            [
                t("planner.row.planned", lang, plan=_plan_text(c.plan, lang)),
                _share_text(c.area_planned, lang),
                _share_text(city_plan, lang),
            ]
        )
    table = data_table(
        t("planner.table_caption", lang, program=alt), [t("planner.scenario", lang), name, city.name], rows
    )
    chart_rows = [{"label": t("planner.bar.observed", lang), **c.city_observed_lost}]
    if c.city_current is not None:
        chart_rows.append(
            {"label": t("planner.bar.current", lang), **district_data.estimate_shares(c.city_current)}
        )
    if c.city_planned is not None:
        chart_rows.append(
            {"label": t("planner.bar.planned", lang), **district_data.estimate_shares(c.city_planned)}
        )
    figure = planner_figure(pd.DataFrame(chart_rows), lang=lang)
    headline = (
        t(
            "planner.headline",
            lang,
            area=name,
            program=alt,
            planned=_share_text(c.area_planned, lang),
            current=_share_text(c.area_current, lang),
            plan=_plan_text(c.plan, lang),
        )
        if c.plan is not None
        else t(
            "planner.headline_current",
            lang,
            area=name,
            program=alt,
            current=_share_text(c.area_current, lang),
            observed=_share_text(c.area_inputs.observed_share, lang),
        )
    )
    inputs = c.city_inputs
    assumptions = t(
        "planner.assumptions",
        lang,
        minutes=fmt_int(inputs.minutes_per_call, lang),
        screened=fmt_pct(inputs.screen_share, lang),
        imputed=_share_text(c.city_current.imputed_share if c.city_current else None, lang),
    )
    return [
        html.P(html.Strong(headline), className="key-figure"),
        table,
        html.Div(
            dcc.Graph(
                id=ids.DISTRICT_PLANNER_GRAPH,
                figure=figure,
                config=graph_config(_png_name(view, "planner"), view.lang),
                responsive=True,
                className="chart chart--planner",
            ),
            role=CHART_ROLE,
            **{"aria-label": t("planner.graph_label", lang, program=alt)},
        ),
        html.P(assumptions, className="map-note small"),
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


def _plan_text(plan: planner.Plan | None, lang: str) -> str:
    if plan is None:
        return ""
    if len(plan.days) == 7:
        days = t("planner.every_day", lang)
    else:
        days = ", ".join(t(f"weekday.short.{d}", lang) for d in plan.days) or t("planner.no_days", lang)
    return t(
        "planner.plan_text",
        lang,
        vans=plan.vans,
        days=days,
        start=f"{plan.hours[0]:02d}:00",
        end=f"{plan.hours[1]:02d}:00",
    )


# ------------------------------------------------------------------------------- layout


def layout(district_id: object = None, **query: object) -> html.Div:
    """The profile for any path and query: bad values get a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(
        lambda: _page(district_id, query),
        heading=t("district.heading_generic", lang),
        lang=lang,
        logger=log,
        what="district",
    )


def _missing_page(view: DistrictView | None, raw: object, store: Store, errors: list) -> html.Div:
    lang = view.lang if view else DEFAULT_LANGUAGE
    f = view.filters if view else None
    city = (store.cities[f.city] if f else store.cities[next(iter(store.catalogs()))]).localized(lang)
    if f is None:
        f = parse_filters({}, store.catalogs(), city.id).filters
    links = [
        html.Li(dcc.Link(name, href=district_href(f, a, kind, lang)))
        for kind in ("police", "council")
        for a, name in _district_names(city, kind, _areas(store, city, kind), lang).items()
    ]
    shown = str(raw)[:40] if isinstance(raw, str) else ""
    unpublished = bool(
        view and view.kind == "police" and any(a.id == view.area for a in _layer(city, "police"))
    )
    key = "district.unpublished" if unpublished else "district.missing" if links else "district.none"
    message = t(key, lang, value=shown, city=city.name)
    return html.Div(
        [
            html.H1(t("district.heading_generic", lang), className="h3", id=ids.DISTRICT_HEADING),
            notice([message, *errors], color="warning"),
            html.H2(t("district.choose", lang, city=city.name), className="h5"),
            html.Ul(links, className="district-list"),
        ],
        className="container-xxl py-3",
    )


def _page(district_id: object, query: Mapping[str, object]) -> html.Div:
    store = current_store()
    view, errors = parse_view(district_id, query, store)
    if view is None or not view.published:
        return _missing_page(view, district_id, store, errors)
    lang, f = view.lang, view.filters
    city = store.cities[f.city].localized(lang)
    info = store.release_info(f.city)
    police = _areas(store, city, "police")
    council = _areas(store, city, "council")
    police_names = _district_names(city, "police", police, lang)
    council_names = _district_names(city, "council", council, lang)
    names = council_names if view.kind == "council" else police_names
    name = names[view.area]
    populations = {a.id: a.population for a in _layer(city, view.kind)}
    if view.kind == "council":
        area = profile.council_figures(store, f, city, view.area, populations.get(view.area))
    else:
        area = profile.rows_figures(store, f, "police", view.area, populations.get(view.area))
    city_fig = profile.rows_figures(store, f, "city", CITYWIDE, city.population)
    ranking = profile.ranking(
        store, f, city, view.kind, council if view.kind == "council" else police, populations
    )
    monthly, trend_hidden = _trend(view, city, store)
    scope = t("district.scope", lang, period=period_label(f.start, f.end, lang))
    if view.kind == "council":
        first, last = district_data.years(f)
        scope += " · " + t("district.scope_council", lang, first=first, last=last)
    heading = t("district.heading", lang, area=name, city=city.name)
    council_notes = []
    if view.kind == "council":
        council_notes.append(html.P(t("district.council_note", lang), className="comparison-note small"))
    trend_notes = [html.P(t("overview.trend.note", lang), className="map-note small")]
    if trend_hidden:
        trend_notes.append(
            html.P(t("district.trend.hidden", lang, cells=trend_hidden), className="map-note small")
        )
    map_section = _map_section(view, city, store, name, ranking)
    hrefs = {a: view.href(a) for a in (council if view.kind == "council" else police)}
    return html.Div(
        [
            dcc.Location(id=ids.DISTRICT_NAV, refresh="callback-nav"),
            dcc.Store(id=ids.DISTRICT_PLAN_ACTIVE, data={"plan": view.plan is not None, "lang": lang}),
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(f.city), city.name, lang),
            synthetic_banner(info, city.name, lang),
            html.Header(
                [
                    html.P(
                        dcc.Link(
                            t("district.back", lang, city=city.name),
                            href=dash.get_relative_path("/") + "?" + urlencode(district_query(f, lang)),
                        ),
                        className="small mb-1 no-print link-row",
                    ),
                    html.H1(heading, id=ids.DISTRICT_HEADING, className="h3 mb-1"),
                    html.Div(
                        [
                            html.P(_summary(view, name, area, city_fig, city), className="lead mb-1"),
                            html.P(scope, className="scope mb-2"),
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
                            html.Dd(view.href(), className="print-url"),
                        ],
                        id=ids.DISTRICT_PRINT_META,
                        className="print-meta print-only",
                    ),
                    share_bar(lang),
                ],
                className="page-header mb-3",
            ),
            html.Div(
                what_is_this(city, lang, ("eligible", "share", "coverage", "minutes", "backup", "repeat"),
                             page="district"),
                className="no-print",
            ),
            notice(errors, heading=t("notice.link_problems", lang)) if errors else None,
            _controls(view, city, police_names, council_names, store),
            html.Section(
                html.Div(
                    [
                        html.H2(t("district.comparison.heading", lang), className="h5 card-title"),
                        *council_notes,
                        html.Div(
                            comparison_table(area, city_fig, name, city, lang), id=ids.DISTRICT_COMPARISON
                        ),
                        html.Details(
                            [
                                html.Summary(t("district.outcomes.summary", lang)),
                                outcome_table(area, city, lang),
                            ],
                            className="mt-2 outcomes-details",
                        ),
                    ],
                    className="card-body",
                ),
                className="card mb-3 comparison-card",
            ),
            chart_card(
                heading=t("district.trend.heading", lang),
                graph_id=ids.DISTRICT_TREND_GRAPH,
                figure=monthly_figure(monthly, lang=lang, milestones=city.milestones, labels=city.label_map)
                if not monthly.empty
                else empty_figure(t("figure.no_data", lang), lang=lang),
                table_id=ids.DISTRICT_TREND_TABLE,
                table=_trend_table(monthly, city, lang),
                graph_label=t("district.trend.graph_label", lang, area=name),
                lang=lang,
                graph_class="chart--trend",
                png_name=_png_name(view, "trend"),
                after_graph=trend_notes,
            ),
            _coverage_section(view, city, store, name, area),
            map_section,
            html.Section(
                html.Div(
                    [
                        html.H2(t("district.ranking.heading", lang), className="h5 card-title"),
                        html.P(t("district.ranking.lead", lang), className="small"),
                        html.Div(
                            ranking_table(ranking, names, view.area, city, lang, hrefs),
                            id=ids.DISTRICT_RANKING,
                        ),
                    ],
                    className="card-body",
                ),
                className="card mb-3 ranking-card",
            ),
            _planner_section(view, city, store, name),
            html.P(release_line(info, lang), id=ids.DISTRICT_RELEASE, className="release-line small"),
        ],
        className="container-xxl py-3 district-page",
    )


# ---------------------------------------------------------------------------- callback


@callback(
    Output(ids.DISTRICT_NAV, "href"),
    inputs={
        "area": Input(ids.DISTRICT_AREA, "value"),
        "start": Input(ids.DISTRICT_START, "value"),
        "end": Input(ids.DISTRICT_END, "value"),
        "run": Input(ids.DISTRICT_PLAN_RUN, "n_clicks"),
    },
    state={
        "plan_from": State(ids.DISTRICT_PLAN_FROM, "value"),
        "plan_to": State(ids.DISTRICT_PLAN_TO, "value"),
        "days": State(ids.DISTRICT_PLAN_DAYS, "value"),
        "vans": State(ids.DISTRICT_PLAN_VANS, "value"),
        "active": State(ids.DISTRICT_PLAN_ACTIVE, "data"),
        "search": State(ids.DISTRICT_NAV, "search"),
    },
    prevent_initial_call=True,
)
def on_change(**values: Any) -> Any:
    """Any control: the address of the new view (validated when that page is rendered)."""
    triggered = set(dash.ctx.triggered_prop_ids.values())
    active = values.get("active") if isinstance(values.get("active"), dict) else {}
    lang = normalize_language(active.get("lang"))
    slug = values.get("area")
    if not isinstance(slug, str) or parse_district_slug(slug) is None:
        return no_update
    query: list[tuple[str, str]] = []
    current = dict(_search_pairs(values.get("search")))
    city = current.get(PARAM_CITY)
    if isinstance(city, str):
        query.append((PARAM_CITY, city))
    for param, key in ((PARAM_START, "start"), (PARAM_END, "end")):
        if isinstance(values.get(key), str):
            query.append((param, values[key]))
    if lang != DEFAULT_LANGUAGE:
        query.append((PARAM_LANG, lang))
    if ids.DISTRICT_PLAN_RUN in triggered or active.get("plan"):
        days = values.get("days") if isinstance(values.get("days"), list) else []
        query += [
            (PARAM_VANS, str(values.get("vans") if values.get("vans") is not None else "")),
            (PARAM_DAYS, "".join(sorted(str(d)[:1] for d in days))),
            (PARAM_FROM, str(values.get("plan_from") or "")),
            (PARAM_TO, str(values.get("plan_to") or "")),
        ]
    path = f"{DISTRICT_PATH}/{slug}"
    return dash.get_relative_path(path) + "?" + urlencode(query)


def _search_pairs(search: object) -> list[tuple[str, str]]:
    if not isinstance(search, str):
        return []
    return parse_qsl(search.lstrip("?"))[:50]
