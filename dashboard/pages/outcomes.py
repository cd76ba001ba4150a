"""Outcomes: what happened after the response, per program, compared on the same calls.

For residents (often on a phone, in English or Spanish, some with a screen reader) and
journalists. The URL is the state, as on the district page: ``layout(**query)`` parses
the address (``parse_filters`` for city, period and district, plus this page's own
``compare``) and renders every number on the server; each control only computes a new
address and navigates to it inside the page (``dcc.Location(refresh="callback-nav")``),
so a view is a permalink and a bad value is a visible notice, never a traceback. One
callback, no SQL in it; ``lang`` is kept in every address.

**The comparison** (``compare``; ``data.outcomes``): ``eligible`` by default, i.e. only
calls that met the alternative team's dispatch criteria, because the programs are sent
different calls and docs/architecture.md ("The data contract") asks that programs be
compared on the same calls;
``shared`` (categories every program answered at least k times) and ``all`` (every call,
labelled as not like for like) are one click away. The page states which one it shows,
and the caveat beside the charts says in plain words why an outcome share is not a
verdict on a program.

Numbers come from ``data.outcomes`` (one cached rollup scan per view); the "rows behind
this view" link carries the same filters (and, for ``shared``, the categories kept), and
the note beside it says which rows the comparison keeps, so every number recomputes
from the download.

No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any, cast
from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table
from dashboard.components.collapse import collapsible_panel
from dashboard.components.downloads import download_link, rows_href
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import (
    category_label,
    city_options,
    district_label,
    has_district_choice,
    month_options,
    select_field,
)
from dashboard.components.page import release_stamp, safe_layout
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.contract.cities import City
from dashboard.engine.store import Store
from dashboard.figures import period_label, program_label
from dashboard.figures.flow import flow_figure
from dashboard.figures.outcomes import outcome_figure, outcome_label
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, fmt_int, fmt_pct, normalize_language, t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.params.filters import (
    PARAM_CATEGORY,
    PARAM_CITY,
    PARAM_DISTRICT,
    PARAM_END,
    PARAM_PROGRAM,
    PARAM_START,
    Filters,
)
from dashboard.queries import outcomes as data
from dashboard.queries.docs import first_value
from dashboard.views.prelude import page_query, query_language

log = logging.getLogger(__name__)

PATH = "/outcomes"
PARAM_COMPARE = "compare"
ALL_DISTRICTS = "all"

register_page(__name__, key="outcomes", order=0.5, path=PATH)


# ----------------------------------------------------------------------------- the view


def pct(share: float | None, lang: str) -> str:
    """A share for reading: whole percent, one decimal under 10% (0.2%, not 0%)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return fmt_pct(share, lang, digits=1 if 0 < share < 0.1 else 0)


def parse_view(query: Mapping[str, object], store: Store) -> tuple[Filters, data.Comparison, str, list[str]]:
    """Untrusted query -> (filters, comparison asked for, lang, messages). Never raises."""
    prelude = page_query(query, store, current_settings().default_city)
    lang, errors = prelude.lang, prelude.errors
    compare: data.Comparison = data.DEFAULT_COMPARISON
    raw = first_value(query.get(PARAM_COMPARE))
    if raw:
        if raw in data.COMPARISONS:
            compare = cast(data.Comparison, raw)
        else:
            errors.append(t("outcomes.bad_compare", lang, value=raw[:40]))
    return prelude.filters, compare, lang, errors


# ------------------------------------------------------------------------------ sections


def _headline(f: Filters, city: City, table: pd.DataFrame, scope: data.Scope, lang: str) -> str:
    """One sentence from the data about the alternative team (or the first program shown)."""
    alt = city.alternative_program.value
    with_calls = [p for p in scope.programs if data.headline(table, p).calls]
    program = alt if alt in with_calls or not with_calls else with_calls[0]
    h = data.headline(table, program)
    name = program_label(program, lang, city.label_map)
    if not h.calls:
        return t("outcomes.headline_none", lang, period=period_label(f.start, f.end, lang), program=name)
    return t(
        "outcomes.headline",
        lang,
        period=period_label(f.start, f.end, lang),
        program=name,
        calls=fmt_int(h.calls, lang),
        resolved=pct(h.resolved_or_referred, lang),
        arrest=pct(h.arrest, lang),
    )


def _scope_text(scope: data.Scope, city: City, lang: str) -> str:
    alt = program_label(city.alternative_program, lang, city.label_map)
    calls = fmt_int(int(scope.counts["calls"].sum()), lang)
    if scope.comparison == "eligible":
        return t("outcomes.scope.eligible", lang, program=alt, calls=calls)
    if scope.comparison == "shared":
        names = ", ".join(category_label(c, lang) for c in scope.categories)
        return t("outcomes.scope.shared", lang, categories=names, calls=calls)
    return t("outcomes.scope.all", lang, calls=calls)


def _district_options(store: Store, city: City, f: Filters, lang: str) -> tuple[list[dict[str, str]], str]:
    catalog = store.catalogs()[city.id]
    label = city.geo.district_label.lower()
    options = [{"label": t("overview.scope.all_districts", lang, label=label), "value": ALL_DISTRICTS}]
    options += [{"label": district_label(d, city, lang), "value": d} for d in catalog.districts]
    if not f.districts:
        return options, ALL_DISTRICTS
    if len(f.districts) == 1:
        return options, f.districts[0]
    several = ",".join(f.districts)  # the grammar reads a comma list as its values
    names = ", ".join(district_label(d, city, lang) for d in f.districts)
    return [*options, {"label": names, "value": several}], several


def _controls(store: Store, city: City, f: Filters, compare: data.Comparison, lang: str) -> html.Div:
    """City, period, district and comparison, folded behind a button on a phone."""
    catalog = store.catalogs()[city.id]
    months = month_options(catalog, lang)
    districts, chosen = _district_options(store, city, f, lang)
    alt = program_label(city.alternative_program, lang, city.label_map)
    fields = [
        select_field(ids.OUTCOMES_CITY, t("filters.city", lang), city_options(store.cities), city.id),
        select_field(ids.OUTCOMES_START, t("filters.start", lang), months, f.start.isoformat()),
        select_field(ids.OUTCOMES_END, t("filters.end", lang), months, f.end.isoformat()),
    ]
    if has_district_choice(catalog):
        fields.append(
            select_field(
                ids.OUTCOMES_DISTRICT, t("outcomes.district", lang, label=city.geo.district_label), districts,
                chosen,
            )
        )
    else:  # keep the callback's input present; nothing to choose
        fields.append(html.Div(dcc.Input(id=ids.OUTCOMES_DISTRICT, type="hidden", value=ALL_DISTRICTS),
                               hidden=True))
    summary = " · ".join([city.name, period_label(f.start, f.end, lang)])
    return collapsible_panel(
        "outcomes-controls",
        title=t("outcomes.controls", lang),
        summary=summary,
        class_name="outcomes-controls card card-body mb-3",
        body=[
            html.Div(fields, className="outcomes-controls__fields"),
            html.Fieldset(
                [
                    html.Legend(
                        t("outcomes.compare.label", lang), className="form-label fw-semibold fs-6 mb-1"
                    ),
                    dbc.RadioItems(
                        id=ids.OUTCOMES_COMPARE,
                        name=ids.OUTCOMES_COMPARE,  # one radio group: arrow keys move the choice
                        options=[
                            {"label": t(f"outcomes.compare.{c}", lang, program=alt), "value": c}
                            for c in data.COMPARISONS
                        ],
                        value=compare,
                    ),
                ],
                className="filter-field mt-2 mb-0",
            ),
        ],
    )


def _outcome_rows(table: pd.DataFrame, programs: Sequence[str], city: City, lang: str) -> html.Div:
    """Outcome | per program: calls, share; then the programs' totals."""
    headers = [t("outcomes.table.outcome", lang)]
    for p in programs:
        name = program_label(p, lang, city.label_map)
        headers += [
            t("outcomes.table.calls", lang, program=name),
            t("outcomes.table.share", lang, program=name),
        ]
    indexed = table.set_index(["outcome", "response_type"])
    rows: list[list[object]] = []
    for outcome in data.OUTCOME_ORDER:
        row: list[object] = [outcome_label(outcome, lang)]
        for p in programs:
            r = indexed.loc[(outcome.value, p)]
            row += [fmt_int(int(r["calls"]), lang), pct(float(r["share"]), lang)]
        rows.append(row)
    totals: list[object] = [t("table.total", lang)]
    for p in programs:
        total = int(table.loc[table["response_type"] == p, "calls"].sum())
        totals += [fmt_int(total, lang), fmt_pct(1.0, lang) if total else "—"]
    rows.append(totals)
    return data_table(t("outcomes.table.caption", lang), headers, rows)


def _bar_count(table: pd.DataFrame, programs: Sequence[str]) -> int:
    """Bars the outcome chart draws (programs with calls), 1 to 4: the CSS height class."""
    drawn = sum(1 for p in programs if int(table.loc[table["response_type"] == p, "calls"].sum()))
    return min(max(drawn, 1), 4)


def _bars_summary(table: pd.DataFrame, programs: Sequence[str], city: City, lang: str) -> str:
    parts_good, parts_arrest = [], []
    for p in programs:
        h = data.headline(table, p)
        if not h.calls:
            continue
        name = program_label(p, lang, city.label_map)
        parts_good.append(f"{name} {pct(h.resolved_or_referred, lang)}")
        parts_arrest.append(f"{name} {pct(h.arrest, lang)}")
    if not parts_good:
        return t("figure.no_data", lang)
    return t("outcomes.bars.summary", lang, resolved="; ".join(parts_good), arrest="; ".join(parts_arrest))


def _flags_table(flags: pd.DataFrame, city: City, lang: str) -> html.Div:
    rows = []
    for r in flags.itertuples(index=False):
        rows.append(
            [
                program_label(r.response_type, lang, city.label_map),
                fmt_int(r.calls, lang),
                pct(None if math.isnan(r.backup_share) else float(r.backup_share), lang),
                fmt_int(r.backups, lang) if not math.isnan(r.backup_share) else "—",
                pct(None if math.isnan(r.repeat_share) else float(r.repeat_share), lang),
                fmt_int(r.repeats, lang),
            ]
        )
    headers = [
        t("table.program", lang),
        t("table.calls", lang),
        t("outcomes.flags.backup_share", lang),
        t("outcomes.flags.backups", lang),
        t("outcomes.flags.repeat_share", lang),
        t("outcomes.flags.repeats", lang),
    ]
    return data_table(t("outcomes.flags.caption", lang), headers, rows)


def _flow_summary(flow: pd.DataFrame, table: pd.DataFrame, city: City, lang: str) -> str:
    if flow.empty:
        return t("figure.no_data", lang)
    by_category = flow.groupby("call_category")["calls"].sum().sort_values(ascending=False)
    top = str(by_category.index[0])
    part = flow[flow["call_category"] == top].groupby("response_type")["calls"].sum()
    part = part.sort_values(ascending=False)
    by_outcome = table.groupby("outcome")["calls"].sum().sort_values(ascending=False)
    total = int(by_outcome.sum())
    return t(
        "outcomes.flow.summary",
        lang,
        category=category_label(top, lang),
        calls=fmt_int(int(by_category.iloc[0]), lang),
        program=program_label(str(part.index[0]), lang, city.label_map),
        share=pct(float(part.iloc[0]) / float(by_category.iloc[0]), lang),
        outcome=outcome_label(str(by_outcome.index[0]), lang),
        outcome_share=pct(float(by_outcome.iloc[0]) / total if total else None, lang),
    )


def _flow_rows(flow: pd.DataFrame, city: City, k: int, lang: str) -> html.Div:
    """Every combination of at least k calls, then one line adding up the smaller ones."""
    big = flow[flow["calls"] >= k]
    small = flow[flow["calls"] < k]
    rows: list[list[object]] = [
        [
            category_label(r.call_category, lang),
            program_label(r.response_type, lang, city.label_map),
            outcome_label(r.outcome, lang),
            fmt_int(r.calls, lang),
        ]
        for r in big.itertuples(index=False)
    ]
    if not small.empty:
        rows.append(
            [
                t("outcomes.flow.small_row", lang, k=k, n=fmt_int(len(small), lang)),
                "",
                "",
                fmt_int(int(small["calls"].sum()), lang),
            ]
        )
    headers = [
        t("outcomes.flow.category", lang),
        t("table.program", lang),
        t("outcomes.table.outcome", lang),
        t("table.calls", lang),
    ]
    return data_table(t("outcomes.flow.caption", lang), headers, rows, numeric_from=3)


def _downloads(f: Filters, scope: data.Scope, city: City, release_id: str, lang: str) -> html.Section:
    rows_filters = f.with_(categories=scope.categories) if scope.comparison == "shared" else f
    alt = program_label(city.alternative_program, lang, city.label_map)
    note = t(f"outcomes.download.{scope.comparison}", lang, program=alt)
    return html.Section(
        html.Div(
            [
                html.H2(t("download.heading", lang), className="h5 card-title"),
                html.P(t("download.note", lang, release_id=release_id), className="small mb-1"),
                html.P(note, className="small mb-2"),
                download_link(ids.OUTCOMES_DOWNLOAD_ROWS, rows_href(rows_filters), t("download.rows", lang),
                              primary=True),
            ],
            className="card-body",
        ),
        className="card mb-3",
    )


# ------------------------------------------------------------------------------- layout


def layout(**query: object) -> html.Div:
    """The page for any query: bad parameters are named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query), heading=t("outcomes.heading_generic", lang), lang=lang,
                       logger=log, what="outcomes")


def _page(query: Mapping[str, object]) -> html.Div:
    store = current_store()
    f, wanted, lang, errors = parse_view(query, store)
    city = store.cities[f.city].localized(lang)  # the city's own words in the reader's language
    info = store.release_info(f.city)
    k = store.settings.privacy_k
    scope, fell_back = data.resolve_comparison(store, f, wanted, k)
    alt = program_label(city.alternative_program, lang, city.label_map)
    advice = []
    if fell_back == "eligible":
        advice.append(t("outcomes.fallback.no_eligible", lang, program=alt))
    if fell_back is not None:
        advice.append(t(f"outcomes.fallback.to_{scope.comparison}", lang, k=k))
    table = data.outcome_table(scope)
    flags = data.program_flags(scope, city.alternative_program)
    flow = data.flow_table(scope)
    programs = list(scope.programs)
    alert = (
        notice([*errors, *advice], heading=t("notice.link_problems", lang)) if errors else notice(advice)
    )
    bars_summary = _bars_summary(table, programs, city, lang)
    flow_summary = _flow_summary(flow, table, city, lang)
    caveat = html.Div(
        [
            html.P(html.Strong(_scope_text(scope, city, lang)), id=ids.OUTCOMES_SCOPE, className="mb-1"),
            html.P(t("outcomes.caveat", lang, program=alt), className="mb-0"),
        ],
        id=ids.OUTCOMES_CAVEAT,
        className="comparison-note outcomes-caveat small mb-3",
        role="note",
    )
    return html.Div(
        [
            dcc.Location(id=ids.OUTCOMES_NAV, refresh="callback-nav"),
            dcc.Store(id=ids.OUTCOMES_STATE, data={"lang": lang}),
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(f.city), city.name, lang),
            synthetic_banner(info, city.name, lang),
            html.Header(
                [
                    html.H1(t("outcomes.heading", lang, city=city.name), id=ids.OUTCOMES_HEADING,
                            className="h3 mb-1"),
                    html.P(
                        _headline(f, city, table, scope, lang),
                        id=ids.OUTCOMES_HEADLINE,
                        className="lead mb-1",
                    ),
                ],
                className="page-header mb-3",
            ),
            alert,
            what_is_this(city, lang, ("eligible", "outcome", "backup", "repeat"), page="outcomes"),
            _controls(store, city, f, scope.comparison if fell_back is None else wanted, lang),
            caveat,
            chart_card(
                heading=t("outcomes.bars.heading", lang),
                graph_id=ids.OUTCOMES_BARS_GRAPH,
                figure=outcome_figure(table, lang=lang, programs=programs, labels=city.label_map),
                table_id=ids.OUTCOMES_BARS_TABLE,
                table=_outcome_rows(table, programs, city, lang),
                graph_label=bars_summary,
                lang=lang,
                section_id=ids.OUTCOMES_BARS_SECTION,
                # The box's height follows the number of bars (assets/app.css).
                graph_class=f"chart--outcomes chart--rows-{_bar_count(table, programs)}",
                before_graph=[html.P(bars_summary, id=ids.OUTCOMES_BARS_SUMMARY, className="small")],
            ),
            html.Section(
                html.Div(
                    [
                        html.H2(t("outcomes.flags.heading", lang), className="h5 card-title"),
                        html.P(t("outcomes.flags.lead", lang), className="small"),
                        html.Div(_flags_table(flags, city, lang), id=ids.OUTCOMES_FLAGS_TABLE),
                        html.P(
                            t("outcomes.flags.note", lang, program=alt), className="map-note small mt-2 mb-0"
                        ),
                    ],
                    className="card-body",
                ),
                className="card mb-3",
                id=ids.OUTCOMES_FLAGS,
            ),
            chart_card(
                heading=t("outcomes.flow.heading", lang),
                graph_id=ids.OUTCOMES_FLOW_GRAPH,
                figure=flow_figure(flow, lang=lang, programs=programs, k=k, labels=city.label_map),
                table_id=ids.OUTCOMES_FLOW_TABLE,
                table=_flow_rows(flow, city, k, lang),
                graph_label=flow_summary,
                lang=lang,
                section_id=ids.OUTCOMES_FLOW_SECTION,
                graph_class="chart--flow",
                before_graph=[html.P(flow_summary, id=ids.OUTCOMES_FLOW_SUMMARY, className="small")],
                after_graph=[html.P(t("outcomes.flow.note", lang, k=k), className="map-note small")],
            ),
            _downloads(f, scope, city, info.release_id, lang),
            html.P(release_line(info, lang), id=ids.OUTCOMES_RELEASE, className="release-line small"),
        ],
        className="container-xxl py-3 outcomes-page",
    )


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
    if compare and compare != data.DEFAULT_COMPARISON:
        query.append((PARAM_COMPARE, compare))
    if lang != DEFAULT_LANGUAGE:
        query.append((PARAM_LANG, lang))
    if not query:
        return no_update
    return dash.get_relative_path(PATH) + "?" + urlencode(query)

