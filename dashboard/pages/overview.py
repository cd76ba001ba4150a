"""Overview: how a city answers crisis calls, for the view the URL describes.

The URL is the state (docs/architecture.md "State lives in the URL"): ``layout(**query)`` parses
it with ``parse_filters`` (plus this page's own ``metric`` and ``level``), renders
every number server-side, and shows what it could not use in a visible notice. The
callbacks below turn control values back into the same query (validated the same
way), recompute, and write the canonical query string back into the address bar
without a reload, so reloading or sharing the link shows the same view.

Three callbacks: one resets the controls that depend on the city when the city
changes, one recomputes everything when any control changes, one turns a click on the
map into the clicked district's page. The map's polygons are sent once per (city,
level); later filter changes send a ``dash.Patch`` with colours, texts and the axis
ranges (the map frames the selected districts). The map's data steps are shared with
the API's map download (``figures.mapview``).

No ``from __future__ import annotations`` here: Dash executes page modules before
registering them in ``sys.modules``, and dataclasses with string annotations look
their module up there.
"""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qs, urlencode

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, Patch, State, callback, dcc, html, no_update

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table, graph_config
from dashboard.components.downloads import chart_download, chart_href, download_link, rows_href, summary_href
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import (
    category_label,
    district_label,
    district_options,
    filter_bar,
    filter_summary,
    has_district_choice,
    month_options,
    program_options,
)
from dashboard.components.kpi import kpi_section
from dashboard.components.links import district_href, page_href
from dashboard.components.page import page_release_changed, release_stamp, safe_layout
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.data import queries
from dashboard.data.cities import City
from dashboard.data.docs import first_value
from dashboard.data.export import download_filename
from dashboard.data.filters import (
    PARAM_CATEGORY,
    PARAM_CITY,
    PARAM_DISTRICT,
    PARAM_END,
    PARAM_PROGRAM,
    PARAM_START,
    Catalog,
    Filters,
)
from dashboard.data.store import Store
from dashboard.figures import (
    MAP_METRICS,
    MapMetric,
    empty_figure,
    format_map_value,
    map_figure,
    map_legend,
    map_patch_paths,
    mapview,
    month_label,
    monthly_figure,
    period_label,
    program_label,
)
from dashboard.geo.web import WebArea
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, fmt_int, fmt_pct, normalize_language, t
from dashboard.logsafe import log_exception
from dashboard.pages import current_settings, current_store, register_page
from dashboard.views.prelude import page_query, query_language

log = logging.getLogger(__name__)

register_page(__name__, key="overview", order=0, path="/")

PARAM_METRIC = "metric"
PARAM_LEVEL = "level"
LEVELS: tuple[queries.MapLevel, ...] = mapview.LEVELS
DEFAULT_METRIC: MapMetric = "count"
DEFAULT_LEVEL: queries.MapLevel = "district"
#: Areas named at most in the per-1,000 note's "too few residents" list.
_MAX_NAMED_SMALL_AREAS = 3


# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class View:
    """Everything the URL decides: the data filters plus this page's map choices."""

    filters: Filters
    metric: MapMetric
    level: queries.MapLevel
    lang: str

    def query_string(self) -> str:
        """The canonical permalink query (defaults for metric/level left out)."""
        params = self.filters.to_params()
        if self.metric != DEFAULT_METRIC:
            params.append((PARAM_METRIC, self.metric))
        if self.level != DEFAULT_LEVEL:
            params.append((PARAM_LEVEL, self.level))
        if self.lang != DEFAULT_LANGUAGE:
            params.append((PARAM_LANG, self.lang))
        return "?" + urlencode(params)

    def download_hrefs(self) -> dict[str, str]:
        """The API links of this view's downloads, by output key (filters only, no ``lang``)."""
        f = self.filters
        return {
            "download_rows": rows_href(f),
            "download_kpis": chart_href("kpis", f),
            "download_summary": summary_href(f),
            "trend_download": chart_href("trend", f),
            "programs_download": chart_href("programs", f),
            "map_download": chart_href("map", f, [(PARAM_METRIC, self.metric), (PARAM_LEVEL, self.level)]),
        }

    def png_names(self, release_id: str) -> dict[str, str]:
        """Names of the charts' PNG pictures: the chart's CSV name without ``.csv``."""
        f = self.filters
        map_extra = [(PARAM_LEVEL, self.level), (PARAM_METRIC, self.metric)]
        return {
            "trend": download_filename("trend", f, release_id).removesuffix(".csv"),
            "map": download_filename("map", f, release_id, map_extra).removesuffix(".csv"),
        }


def _short(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


def parse_view(query: Mapping[str, object], store: Store, default_city: str) -> tuple[View, list[str]]:
    """Untrusted query -> View plus messages for whatever had to be dropped. Never raises."""
    prelude = page_query(query, store, default_city)
    lang, errors = prelude.lang, prelude.errors

    metric: MapMetric = DEFAULT_METRIC
    raw_metric = first_value(query.get(PARAM_METRIC))
    if raw_metric:
        if raw_metric in MAP_METRICS:
            metric = cast(MapMetric, raw_metric)
        else:
            errors.append(t("notice.bad_metric", lang, value=_short(raw_metric)))

    level: queries.MapLevel = DEFAULT_LEVEL
    raw_level = first_value(query.get(PARAM_LEVEL))
    if raw_level:
        if raw_level in LEVELS:
            level = cast(queries.MapLevel, raw_level)
        else:
            errors.append(t("notice.bad_level", lang, value=_short(raw_level)))
    return View(prelude.filters, metric, level, lang), errors


def _controls_query(
    values: Mapping[str, object], catalogs: Mapping[str, Catalog], lang: str
) -> tuple[dict[str, object], list[str]]:
    """Control values -> a URL-style query for ``parse_view``, plus "nothing ticked" advice.

    A group with every box ticked means "no filter" (short URLs, and the view keeps
    meaning "all" if a later release adds a district); a group with none ticked also
    falls back to all, with a message, because an empty result is never what was meant.
    """
    query: dict[str, object] = {
        PARAM_CITY: values.get("city"),
        PARAM_START: values.get("start"),
        PARAM_END: values.get("end"),
        PARAM_METRIC: values.get("metric"),
        PARAM_LEVEL: values.get("level"),
        PARAM_LANG: lang,
    }
    advice: list[str] = []
    city = values.get("city")
    catalog = catalogs.get(city) if isinstance(city, str) else None
    allowed = {
        PARAM_PROGRAM: [p.value for p in catalog.programs] if catalog else [],
        PARAM_DISTRICT: list(catalog.districts) if catalog else [],
        PARAM_CATEGORY: [c.value for c in catalog.categories] if catalog else [],
    }
    for param, key in (
        (PARAM_PROGRAM, "programs"),
        (PARAM_DISTRICT, "districts"),
        (PARAM_CATEGORY, "categories"),
    ):
        value = values.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            if not value:
                advice.append(t(f"notice.none_selected.{key}", lang))
                continue
            if set(value) == set(allowed[param]):
                continue
        query[param] = value  # anything odd goes to parse_filters, which names it
    return query, advice


# ------------------------------------------------------------------------- computations


@dataclass(frozen=True)
class MapParts:
    # Built on demand: a filter change usually sends a Patch, and building the whole
    # polygon figure only to throw it away cost ~17 ms per change at 10M calls.
    make_figure: Callable[[], Any]
    table: html.Div | None
    notes: list
    key: str
    hidden: bool
    area_values: pd.DataFrame | None
    areas: tuple[WebArea, ...] = ()  # as drawn (for a Patch's new axis ranges)
    zoom: tuple[str, ...] = ()  # the area ids the map frames (the selected districts')


def _scope(view: View, city: City, catalog: Catalog) -> str:
    """ "Jan 2024 to Dec 2024 · all police districts · all call categories · all programs"."""
    f, lang = view.filters, view.lang
    parts = [period_label(f.start, f.end, lang)]
    if has_district_choice(catalog):
        if f.districts:
            names = ", ".join(district_label(d, city, lang) for d in f.districts)
            parts.append(names)
        else:
            parts.append(t("overview.scope.all_districts", lang, label=city.geo.district_label.lower()))
    if f.categories:
        parts.append(
            t("overview.scope.some_categories", lang, n=len(f.categories), total=len(catalog.categories))
            if len(f.categories) > 2
            else ", ".join(category_label(c, lang) for c in f.categories)
        )
    else:
        parts.append(t("overview.scope.all_categories", lang))
    if f.programs:
        parts.append(", ".join(program_label(p, lang, city.label_map) for p in f.programs))
    else:
        parts.append(t("overview.scope.all_programs", lang))
    return " · ".join(parts)


def _summary(view: View, city: City, kpis: pd.DataFrame, synthetic: bool) -> str:
    """The one-sentence answer at the top of the page (read out again after each change)."""
    lang, row = view.lang, kpis.iloc[0]
    values = {
        "period": period_label(view.filters.start, view.filters.end, lang),
        "program": program_label(city.alternative_program, lang, city.label_map),
        "calls": fmt_int(row["calls"], lang),
        "eligible": fmt_int(row["eligible"], lang),
        "answered": fmt_int(row["eligible_answered"], lang),
        "share": fmt_pct(None if pd.isna(row["alt_share"]) else float(row["alt_share"]), lang),
    }
    key = "overview.summary" if row["eligible"] else "overview.summary_no_eligible"
    text = t(key, lang, **values)
    return t("overview.synthetic_prefix", lang) + " " + text if synthetic else text


def _trend_table(monthly: pd.DataFrame, lang: str, labels: Mapping[str, str]) -> html.Div:
    programs = list(dict.fromkeys(monthly["response_type"].astype(str)))
    by_month: dict[pd.Timestamp, dict[str, int]] = {}
    weeks: dict[pd.Timestamp, int] = {}
    for row in monthly.itertuples(index=False):
        by_month.setdefault(pd.Timestamp(row.month), {})[str(row.response_type)] = int(row.calls)
        weeks[pd.Timestamp(row.month)] = int(row.weeks)
    headers = [
        t("table.month", lang), t("table.weeks", lang),
        *(program_label(p, lang, labels) for p in programs), t("table.total", lang),
    ]
    rows = [
        [
            month_label(month, lang),
            str(weeks[month]),
            *(fmt_int(counts.get(p, 0), lang) for p in programs),
            fmt_int(sum(counts.values()), lang),
        ]
        for month, counts in sorted(by_month.items())
    ]
    return data_table(t("overview.trend.table_caption", lang), headers, rows)


def _milestones(city: City, filters: Filters, lang: str) -> list:
    shown = [
        (number, m)
        for number, m in enumerate(city.milestones, start=1)
        if filters.start <= m.when < filters.end_exclusive
    ]
    if not shown:
        return []
    return [
        html.H3(t("overview.trend.milestones", lang), className="h6 mt-2 mb-1"),
        html.Ul(
            [
                html.Li(
                    [
                        html.Span(str(number), className="milestone-badge"),
                        f" {month_label(m.when, lang)}: {m.label}",
                    ]
                )
                for number, m in shown
            ],
            className="list-unstyled small milestone-list mb-0",
        ),
    ]


def _program_table(
    counts: pd.DataFrame, minutes: pd.DataFrame, total: int, lang: str, labels: Mapping[str, str]
) -> html.Div:
    by_program = {str(r.response_type): r for r in minutes.itertuples(index=False)}
    rows = []
    for row in counts.itertuples(index=False):
        m = by_program.get(str(row.response_type))
        rows.append(
            [
                program_label(row.response_type, lang, labels),
                fmt_int(row.calls, lang),
                fmt_pct(row.calls / total if total else None, lang),
                fmt_int(m.median, lang) if m is not None and not pd.isna(m.median) else "—",
                fmt_int(m.p90, lang) if m is not None and not pd.isna(m.p90) else "—",
            ]
        )
    headers = [
        t("table.program", lang),
        t("table.calls", lang),
        t("table.share_of_calls", lang),
        t("table.median_minutes", lang),
        t("table.p90_minutes", lang),
    ]
    return data_table(t("overview.programs.table_caption", lang), headers, rows)


def _map_table(
    values: pd.DataFrame,
    metric: MapMetric,
    level_label: str,
    alt: str,
    lang: str,
    hrefs: Mapping[str, str] | None = None,
) -> html.Div:
    """The map's numbers as a table; with ``hrefs`` (area id -> district page) each area's
    name is a link to its page: the keyboard's and the screen reader's way to what a click
    on the map does."""
    headers = [
        level_label,
        t(f"map.metric.{metric}", lang, program=alt),
        t("table.calls", lang),
        t("table.eligible", lang),
        t("table.eligible_answered", lang, program=alt),
        t("table.population", lang),
        t("table.note", lang),
    ]
    rows = []
    for row in values.itertuples(index=False):
        notes = []
        if row.reason:
            notes.append(t(f"figure.map.hover.reason.{row.reason}", lang))
        if row.suppressed_cells:
            notes.append(t("map.table.suppressed", lang, cells=row.suppressed_cells))
        href = (hrefs or {}).get(str(row.area_id))
        rows.append(
            [
                dcc.Link(row.name, href=href) if href else row.name,
                format_map_value(row.value, metric, lang),
                fmt_int(row.calls, lang),
                fmt_int(row.eligible, lang),
                fmt_int(row.eligible_answered, lang),
                fmt_int(row.population, lang),
                "; ".join(notes),
            ]
        )
    return data_table(t("overview.map.table_caption", lang, areas=level_label), headers, rows)


def _small_areas_note(areas: Sequence[WebArea], threshold: int, lang: str) -> html.P | None:
    """How per-1,000 rates treat areas with few residents (Denver's airport district)."""
    small = [a for a in areas if a.population < threshold]
    if not small:
        return None
    named = [
        t("map.per_1000_small_area", lang, name=a.name, population=fmt_int(a.population, lang))
        for a in small[:_MAX_NAMED_SMALL_AREAS]
    ]
    if len(small) > _MAX_NAMED_SMALL_AREAS:
        named.append(t("figure.map.legend.more", lang, n=len(small) - _MAX_NAMED_SMALL_AREAS))
    return html.P(
        t("map.per_1000_small", lang, threshold=fmt_int(threshold, lang), areas="; ".join(named)),
        className="map-note",
    )


def _map_parts(store: Store, view: View, city: City, total_calls: int) -> MapParts:
    """The map, its words legend, table and notes; or a message when the city has no boundaries."""
    lang, f = view.lang, view.filters
    geo_dir = current_settings().geo_dir
    if "district" not in mapview.map_levels(store, geo_dir, city.id):
        message = html.P(t("map.no_geography", lang, city=city.name), className="map-message mb-0")
        return MapParts(
            lambda: empty_figure("", lang=lang, height=10), None, [message], f"{city.id}|none", True, None
        )
    areas = mapview.map_areas(geo_dir, city.id, view.level, lang)
    values = mapview.area_values(store, geo_dir, f, view.metric, view.level, areas)
    zoom = mapview.zoom_ids(areas, f, view.level)
    alt = program_label(city.alternative_program, lang, city.label_map)
    legend = map_legend(values, view.metric, lang=lang, alt_program=city.alternative_program,
                        labels=city.label_map)
    notes: list = [html.P(legend, className="map-legend")]
    level_label = city.geo.district_label if view.level == "district" else t("map.precinct", lang)
    if view.level == "precinct":
        notes.append(
            html.P(city.geo.precinct_note or t("map.precinct_default_note", lang), className="map-note")
        )
        if f.categories:
            notes.append(html.P(t("map.precinct_categories", lang), className="map-note"))
    else:
        unplaced = total_calls - int(values["calls"].sum())
        if unplaced > 0 and not f.districts:
            notes.append(html.P(t("map.unplaced", lang, calls=fmt_int(unplaced, lang)), className="map-note"))
    if (values["suppressed_cells"] > 0).any():
        notes.append(html.P(t("map.suppressed_note", lang), className="map-note"))
    if view.metric == "per_1000":
        notes.append(html.P(t("map.per_1000_note", lang), className="map-note"))
        small = _small_areas_note(areas, city.geo.low_population_threshold, lang)
        if small is not None:
            notes.append(small)
    if view.metric == "median_minutes" and view.level == "district":
        notes.append(html.P(t("map.minutes_note", lang), className="map-note"))
    hint = t("map.click_hint", lang)

    def make_figure() -> Any:
        return map_figure(
            values, areas, view.metric, lang=lang, alt_program=city.alternative_program, height=None,
            labels=city.label_map, zoom_to=zoom, hover_hint=hint,
        )

    hrefs = None
    if view.level == "district":
        hrefs = {a.id: district_href(f, a.id, "police", lang) for a in areas}
    table = _map_table(values, view.metric, level_label, alt, lang, hrefs)
    return MapParts(make_figure, table, notes, f"{city.id}|{view.level}", False, values, areas, zoom)


def map_click_href(click: object, search: object, lang: object) -> str | None:
    """The district page a click on the Overview map opens, or None.

    ``click`` is the graph's untrusted ``clickData``: the clicked fill's ``customdata``
    (``[area id]``, see ``map_figure``) names the area, checked against the layer of the
    view in ``search`` (the page's own query string: city, period, level). A precinct
    opens its district's page; a precinct in no district, a city without boundaries or
    anything malformed opens nothing.
    """
    if not isinstance(click, dict) or not isinstance(search, str | None) or len(search or "") > 4000:
        return None
    points = click.get("points")
    if not isinstance(points, list) or not points or not isinstance(points[0], dict):
        return None
    custom = points[0].get("customdata")
    area_id = custom[0] if isinstance(custom, list) and custom else custom
    if not isinstance(area_id, str) or not area_id or len(area_id) > 40:
        return None
    store = current_store()
    view, _ = parse_view(
        {**parse_qs((search or "").lstrip("?")), PARAM_LANG: lang}, store, current_settings().default_city
    )
    geo_dir = current_settings().geo_dir
    if view.level not in mapview.map_levels(store, geo_dir, view.filters.city):
        return None
    areas = mapview.map_areas(geo_dir, view.filters.city, view.level)
    area = next((a for a in areas if a.id == area_id), None)
    district = None if area is None else (area.id if view.level == "district" else area.district)
    if district is None:
        return None
    return district_href(view.filters, district, "police", view.lang)


@dataclass(frozen=True)
class Rendered:
    """Every piece of the page that depends on the view."""

    banner: Any
    heading: str
    summary: str
    scope: str
    kpis: list
    trend_figure: Any
    trend_table: html.Div
    milestones: list
    program_table: html.Div
    map: MapParts
    release: list
    notes: list[str]


def _resolve_level(store: Store, view: View, city: City) -> tuple[View, list[str]]:
    """Precincts asked of a city without a precinct layer: districts, and a message."""
    if view.level == "precinct" and "precinct" not in mapview.map_levels(
        store, current_settings().geo_dir, city.id
    ):
        fallback = View(view.filters, view.metric, DEFAULT_LEVEL, view.lang)
        return fallback, [t("notice.no_precincts", view.lang, city=city.name)]
    return view, []


def render_map(store: Store, view: View) -> tuple[View, MapParts, list[str]]:
    """Only the map part (a metric or level change touches nothing else)."""
    city = store.cities[view.filters.city].localized(view.lang)
    view, notes = _resolve_level(store, view, city)
    total = int(queries.kpis(store, view.filters).iloc[0]["calls"])  # cached by the store
    return view, _map_parts(store, view, city, total), notes


def render(store: Store, view: View) -> tuple[View, Rendered]:
    """Run the page's queries for ``view`` and build its figures, tables and texts."""
    f, lang = view.filters, view.lang
    city = store.cities[f.city].localized(lang)
    catalog = store.catalogs()[f.city]
    info = store.release_info(f.city)
    kpis = queries.kpis(store, f)
    counts = queries.program_counts(store, f)
    monthly = queries.monthly_by_program(store, f)
    minutes = queries.minutes_by_program(store, f)
    total = int(kpis.iloc[0]["calls"])
    view, map_parts, notes = render_map(store, view)
    return view, Rendered(
        banner=[release_notice(store.statuses().get(f.city), city.name, lang),
                synthetic_banner(info, city.name, lang)],
        heading=t("overview.heading", lang, city=city.name),
        summary=_summary(view, city, kpis, info.synthetic),
        scope=_scope(view, city, catalog),
        kpis=kpi_section(kpis, counts, city=city, lang=lang),
        trend_figure=monthly_figure(monthly, lang=lang, milestones=city.milestones, labels=city.label_map),
        trend_table=_trend_table(monthly, lang, city.label_map),
        milestones=_milestones(city, f, lang),
        program_table=_program_table(counts, minutes, total, lang, city.label_map),
        map=map_parts,
        release=release_line(info, lang),
        notes=notes,
    )


# ------------------------------------------------------------------------------- layout


def _metric_options(city: City, lang: str) -> list[dict[str, str]]:
    alt = program_label(city.alternative_program, lang, city.label_map)
    return [{"label": t(f"map.metric.{m}", lang, program=alt), "value": m} for m in MAP_METRICS]


def _level_options(city: City, lang: str) -> list[dict[str, str]]:
    options = [{"label": t("map.level.district", lang, label=city.geo.district_label), "value": "district"}]
    if "precinct" in mapview.map_levels(current_store(), current_settings().geo_dir, city.id):
        options.append({"label": t("map.level.precinct", lang), "value": "precinct"})
    return options


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


def _notice(errors: Sequence[str], advice: Sequence[str], lang: str) -> html.Div | None:
    """Problems with the link or the controls first (under a heading), then advice."""
    if errors:
        return notice([*errors, *advice], heading=t("notice.link_problems", lang))
    return notice(advice)


def layout(**query: object) -> html.Div:
    """The page for any query: bad parameters are named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query), heading=t("overview.heading_generic", lang), lang=lang,
                       logger=log, what="overview")


def _page(query: Mapping[str, object]) -> html.Div:
    store = current_store()
    view, errors = parse_view(query, store, current_settings().default_city)
    view, parts = render(store, view)
    lang = view.lang
    f = view.filters
    city = store.cities[f.city].localized(lang)
    catalog = store.catalogs()[f.city]
    alert = _notice(errors, parts.notes, lang)
    hrefs = view.download_hrefs()
    info = store.release_info(f.city)
    png_names = view.png_names(info.release_id)
    map_card = chart_card(
        heading=t("overview.map.heading", lang),
        graph_id=ids.OVERVIEW_MAP_GRAPH,
        figure=parts.map.make_figure(),
        table_id=ids.OVERVIEW_MAP_TABLE,
        table=parts.map.table,
        graph_label=t("overview.map.graph_label", lang),
        lang=lang,
        section_id=ids.OVERVIEW_MAP_SECTION,
        graph_wrap_id=ids.OVERVIEW_MAP_WRAP,
        graph_hidden=parts.map.hidden,
        graph_class="chart--map",
        download=chart_download(ids.OVERVIEW_MAP_DOWNLOAD, hrefs["map_download"], lang,
                                hidden=parts.map.hidden),
        png_name=png_names["map"],
        before_graph=[
            html.Div(
                [
                    _radio_group(
                        ids.OVERVIEW_MAP_METRIC,
                        t("map.metric.label", lang),
                        _metric_options(city, lang),
                        view.metric,
                    ),
                    _radio_group(
                        ids.OVERVIEW_MAP_LEVEL,
                        t("map.level.label", lang),
                        _level_options(city, lang),
                        view.level,
                    ),
                ],
                id=ids.OVERVIEW_MAP_CONTROLS,
                className="map-controls",
                hidden=parts.map.hidden,
            )
        ],
        after_graph=[html.Div(parts.map.notes, id=ids.OVERVIEW_MAP_NOTES, className="map-notes small")],
    )
    trend_card = chart_card(
        heading=t("overview.trend.heading", lang),
        graph_id=ids.OVERVIEW_TREND_GRAPH,
        figure=parts.trend_figure,
        table_id=ids.OVERVIEW_TREND_TABLE,
        table=parts.trend_table,
        graph_label=t("overview.trend.graph_label", lang),
        lang=lang,
        graph_class="chart--trend",
        download=chart_download(ids.OVERVIEW_TREND_DOWNLOAD, hrefs["trend_download"], lang),
        png_name=png_names["trend"],
        after_graph=[
            html.P(t("overview.trend.note", lang), className="map-note small"),
            html.Div(parts.milestones, id=ids.OVERVIEW_MILESTONES),
        ],
    )
    program_card = html.Section(
        html.Div(
            [
                html.H2(t("overview.programs.heading", lang), className="h5 card-title"),
                html.Div(parts.program_table, id=ids.OVERVIEW_PROGRAM_TABLE),
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
            dcc.Store(id=ids.OVERVIEW_MAP_KEY, data=parts.map.key),
            release_stamp(store.release_key()),
            html.Div(parts.banner, id=ids.OVERVIEW_BANNER),
            html.Header(
                [
                    html.H1(parts.heading, id=ids.OVERVIEW_HEADING, className="h3 mb-1"),
                    html.Div(
                        [
                            html.P(parts.summary, className="lead mb-1"),
                            html.P(parts.scope, className="scope mb-0"),
                        ],
                        id=ids.OVERVIEW_SUMMARY,
                        **{"aria-live": "polite"},
                    ),
                ],
                className="page-header mb-3",
            ),
            what_is_this(city, lang, ("eligible", "share", "minutes", "arrest", "backup"), page="overview"),
            html.Div(alert, id=ids.OVERVIEW_NOTICE),
            html.Div(
                [
                    html.Aside(
                        filter_bar(cities=store.cities, catalog=catalog, filters=f, lang=lang),
                        className="col-lg-3 mb-3",
                        **{"aria-label": t("filters.heading", lang)},
                    ),
                    html.Div(
                        [
                            html.Div(parts.kpis, id=ids.OVERVIEW_KPIS, className="mb-2"),
                            html.P(
                                t("overview.same_categories", lang), className="comparison-note small mb-3"
                            ),
                            trend_card,
                            program_card,
                            map_card,
                            _downloads_card(hrefs, info.release_id, view.filters.city, lang),
                            html.P(parts.release, id=ids.OVERVIEW_RELEASE, className="release-line small"),
                        ],
                        className="col-lg-9",
                    ),
                ],
                className="row",
            ),
        ],
        className="container-xxl py-3",
    )


def _downloads_card(hrefs: Mapping[str, str], release_id: str, city: str, lang: str) -> html.Section:
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
                        dcc.Link(t("download.more", lang),
                                 href=page_href("/data", lang, [(PARAM_CITY, city)]),
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
    store = current_store()
    catalogs = store.catalogs()
    stale = page_release_changed(store.release_key(), page_release)
    if not isinstance(city, str) or city not in catalogs or stale:
        return dict.fromkeys(_CITY_OUTPUTS, no_update)
    catalog, city_cfg = catalogs[city], store.cities[city].localized(lang)
    view, _ = parse_view({PARAM_CITY: city, PARAM_START: start, PARAM_END: end}, store, city)
    programs = program_options(catalog.programs, lang, city_cfg.label_map)
    districts = district_options(catalog, city_cfg, lang)
    levels = _level_options(city_cfg, lang)
    months = month_options(catalog, lang)
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
        "metric_options": _metric_options(city_cfg, lang),
        "level_options": levels,
        "level": level if level in [o["value"] for o in levels] else DEFAULT_LEVEL,
    }


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
        store = current_store()
        query, advice = _controls_query(values, store.catalogs(), lang)
        view, errors = parse_view(query, store, current_settings().default_city)
        if page_release_changed(store.release_key(), page_release):
            out["reload"] = dash.get_relative_path("/") + view.query_string()
            return out
        if map_only:
            view, map_parts, notes = render_map(store, view)
        else:
            view, parts = render(store, view)
            map_parts, notes = parts.map, parts.notes
            out.update(
                banner=parts.banner,
                heading=parts.heading,
                summary=[
                    html.P(parts.summary, className="lead mb-1"),
                    html.P(parts.scope, className="scope mb-0"),
                ],
                kpis=parts.kpis,
                trend_figure=parts.trend_figure,
                trend_table=parts.trend_table,
                milestones=parts.milestones,
                program_table=parts.program_table,
                release=parts.release,
                filters_summary=filter_summary(
                    store.cities, store.catalogs()[view.filters.city], view.filters, lang
                ),
            )
    except Exception:  # show a message in the page; the traceback goes to the log only
        log_exception(log, "overview update failed")
        out = dict.fromkeys(_UPDATE_OUTPUTS, no_update)
        out["notice"] = notice([t("notice.error", lang)], color="danger")
        return out
    map_figure_out: Any
    if map_parts.key != map_key or map_parts.area_values is None:
        map_figure_out = map_parts.make_figure()
    else:
        patch = Patch()
        city = store.cities[view.filters.city].localized(view.lang)
        for path, value in map_patch_paths(
            map_parts.area_values, view.metric, lang=view.lang, alt_program=city.alternative_program,
            labels=city.label_map, areas=map_parts.areas, zoom_to=map_parts.zoom,
            hover_hint=t("map.click_hint", view.lang),
        ):
            target: Any = patch
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        map_figure_out = patch
    release_id = store.release_info(view.filters.city).release_id
    png_names = view.png_names(release_id)  # the PNG pictures are named after the view, like the CSVs
    if not map_only:
        out["trend_config"] = graph_config(png_names["trend"], view.lang)
    out.update(view.download_hrefs())
    out.update(
        download_note=t("download.note", lang, release_id=release_id),
        search=view.query_string(),
        notice=_notice(errors, advice + notes, lang),
        map_figure=map_figure_out,
        map_config=graph_config(png_names["map"], view.lang),
        map_hidden=map_parts.hidden,
        map_download_hidden=map_parts.hidden,  # no boundaries: the API has no map to give
        map_controls_hidden=map_parts.hidden,
        map_table=map_parts.table,
        map_notes=map_parts.notes,
        map_key=map_parts.key,
    )
    return out


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
        href = map_click_href(click, search, normalize_language(lang))
    except Exception:  # a bad click must never break the page
        log_exception(log, "map click failed")
        return no_update
    return href if href is not None else no_update
