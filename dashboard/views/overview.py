"""The Overview's view model: from the URL (or the controls) to what the page shows.

``parse_view`` reads an untrusted query into a ``View`` (the filters through the shared
prelude, plus this page's ``metric`` and ``level``) and says what it could not use;
``render`` runs the view's queries and returns an ``Overview`` of plain values (texts,
small DataFrames, figures, ``Table`` and ``Note``); ``render_map`` does the map alone,
for a change of map measure or level. The map is a ``figures.MapDrawing``, so the page
gets the whole figure or the patch for a view change from the figure module.

No Dash here (``pages.overview`` wires the callbacks, ``pages.layouts.overview`` draws).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import parse_qs, urlencode

import pandas as pd

from dashboard.contract.cities import City
from dashboard.engine.store import Store
from dashboard.figures import (
    MAP_METRICS,
    MapDrawing,
    MapMetric,
    category_label,
    format_map_value,
    map_legend,
    month_label,
    monthly_figure,
    period_label,
    program_label,
)
from dashboard.geo.web import WebArea
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, fmt_int, fmt_pct, t
from dashboard.params.filters import (
    Catalog,
    Filters,
)
from dashboard.queries import overview as queries
from dashboard.queries.docs import first_value
from dashboard.queries.download_format import download_filename
from dashboard.views import mapview
from dashboard.views.parts import Note, Table, district_label, has_district_choice, population_text
from dashboard.views.prelude import filter_controls_query, page_query
from dashboard.views.program_table import program_table

if TYPE_CHECKING:
    from dashboard.contract.releases import ReleaseInfo
    from dashboard.engine.serving import CityStatus

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

    def map_params(self) -> list[tuple[str, str]]:
        """The map download's own parameters (the API's order: metric, then level)."""
        return [(PARAM_METRIC, self.metric), (PARAM_LEVEL, self.level)]

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
    if metric not in metric_values(store, prelude.filters.city):
        metric = DEFAULT_METRIC  # a city whose data has no eligibility has no share to map

    level: queries.MapLevel = DEFAULT_LEVEL
    raw_level = first_value(query.get(PARAM_LEVEL))
    if raw_level:
        if raw_level in LEVELS:
            level = cast(queries.MapLevel, raw_level)
        else:
            errors.append(t("notice.bad_level", lang, value=_short(raw_level)))
    return View(prelude.filters, metric, level, lang), errors


def controls_query(
    values: Mapping[str, object], catalogs: Mapping[str, Catalog], lang: str
) -> tuple[dict[str, object], list[str]]:
    """Control values -> a URL-style query for ``parse_view``, plus "nothing ticked" advice:
    the filter bar's values (``prelude.filter_controls_query``) and the map's own."""
    query, advice = filter_controls_query(values, catalogs, lang)
    query.update({PARAM_METRIC: values.get("metric"), PARAM_LEVEL: values.get("level"), PARAM_LANG: lang})
    return query, advice


# --------------------------------------------------------------------------- the choices


def metric_values(store: Store, city: str) -> tuple[MapMetric, ...]:
    """The map measures a city's release can show: no eligible share where its data records
    no eligibility (issue 14: a grey map under that name would read as "no data")."""
    if "star_eligible" in store.release_info(city).not_recorded:
        return tuple(m for m in MAP_METRICS if m != "alt_share")
    return MAP_METRICS


def metric_options(store: Store, city: City, lang: str) -> list[dict[str, str]]:
    alt = program_label(city.alternative_program, lang, city.label_map)
    return [{"label": t(f"map.metric.{m}", lang, program=alt), "value": m}
            for m in metric_values(store, city.id)]


def level_options(store: Store, geo_dir: Path, city: City, lang: str) -> list[dict[str, str]]:
    options = [{"label": t("map.level.district", lang, label=city.geo.district_label), "value": "district"}]
    if "precinct" in mapview.map_levels(store, geo_dir, city.id):
        options.append({"label": t("map.level.precinct", lang), "value": "precinct"})
    return options


# -------------------------------------------------------------------------------- texts


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


def _summary(view: View, city: City, kpis: pd.DataFrame, info: ReleaseInfo) -> str:
    """The one-sentence answer at the top of the page (read out again after each change).
    A city whose data has no dispatch criteria gets no sentence about them (issue 14)."""
    synthetic = info.synthetic
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
    if "star_eligible" in info.not_recorded:
        key = "overview.summary_no_criteria"
    text = t(key, lang, **values)
    return t("overview.synthetic_prefix", lang) + " " + text if synthetic else text


def _milestones(city: City, filters: Filters, lang: str) -> list[tuple[int, str]]:
    """The city's milestones inside the period: (number on the chart, "Jun 2020: ...")."""
    return [
        (number, f" {month_label(m.when, lang)}: {m.label}")
        for number, m in enumerate(city.milestones, start=1)
        if filters.start <= m.when < filters.end_exclusive
    ]


# ------------------------------------------------------------------------------- tables


def _trend_table(monthly: pd.DataFrame, lang: str, labels: Mapping[str, str]) -> Table:
    programs = list(dict.fromkeys(monthly["response_type"].astype(str)))
    by_month: dict[pd.Timestamp, dict[str, int]] = {}
    weeks: dict[pd.Timestamp, int] = {}
    unrecorded = set(pd.to_datetime(monthly.loc[monthly["no_records"], "month"]))  # drawn as gaps
    for row in monthly.itertuples(index=False):
        by_month.setdefault(pd.Timestamp(row.month), {})[str(row.response_type)] = int(row.calls)
        weeks[pd.Timestamp(row.month)] = int(row.weeks)
    headers = [
        t("table.month", lang), t("table.weeks", lang),
        *(program_label(p, lang, labels) for p in programs), t("table.total", lang),
    ]
    gap = t("table.no_records", lang)
    rows = [
        [month_label(month, lang), str(weeks[month]),
         *((gap if month in unrecorded else fmt_int(counts.get(p, 0), lang)) for p in programs),
         gap if month in unrecorded else fmt_int(sum(counts.values()), lang)]
        for month, counts in sorted(by_month.items())
    ]
    return Table(t("overview.trend.table_caption", lang), headers, rows)


def _map_table(
    values: pd.DataFrame, metric: MapMetric, level_label: str, alt: str, lang: str, linked: set[str]
) -> Table:
    """The map's numbers as a table; each area in ``linked`` names its district page (the
    keyboard's and the screen reader's way to what a click on the map does)."""
    headers = [
        level_label,
        t(f"map.metric.{metric}", lang, program=alt),
        t("table.calls", lang),
        t("table.eligible", lang),
        t("table.eligible_answered", lang, program=alt),
        t("table.population", lang),
        t("table.note", lang),
    ]
    rows, links = [], []
    for row in values.itertuples(index=False):
        notes = []
        if row.reason:
            notes.append(t(f"figure.map.hover.reason.{row.reason}", lang))
        if row.suppressed_cells:
            notes.append(t("map.table.suppressed", lang, cells=row.suppressed_cells))
        links.append(str(row.area_id) if str(row.area_id) in linked else None)
        rows.append(
            [
                row.name,
                format_map_value(row.value, metric, lang),
                fmt_int(row.calls, lang),
                fmt_int(row.eligible, lang),
                fmt_int(row.eligible_answered, lang),
                population_text(row.population, lang),
                "; ".join(notes),
            ]
        )
    return Table(t("overview.map.table_caption", lang, areas=level_label), headers, rows, links)


def _small_areas_note(areas: Sequence[WebArea], threshold: int, lang: str) -> Note | None:
    """How per-1,000 rates treat areas with few residents (Denver's airport district)."""
    small = [a for a in areas if a.population is not None and a.population < threshold]
    if not small:
        return None
    named = [
        t("map.per_1000_small_area", lang, name=a.name, population=fmt_int(a.population, lang))
        for a in small[:_MAX_NAMED_SMALL_AREAS]
    ]
    if len(small) > _MAX_NAMED_SMALL_AREAS:
        named.append(t("figure.map.legend.more", lang, n=len(small) - _MAX_NAMED_SMALL_AREAS))
    return Note(t("map.per_1000_small", lang, threshold=fmt_int(threshold, lang), areas="; ".join(named)))


# ---------------------------------------------------------------------------------- map


@dataclass(frozen=True)
class MapModel:
    """The map of a view: its drawing (None: the city has no boundaries), table and notes."""

    # The figure is built on demand: a filter change usually sends a patch, and building
    # the whole polygon figure only to throw it away cost ~17 ms per change at 10M calls.
    drawing: MapDrawing | None
    table: Table | None
    notes: list[Note]
    #: Which areas are drawn (city and level): a new key needs the whole figure.
    key: str
    hidden: bool

    def same_areas(self, drawn_key: object) -> bool:
        """The map drawn under ``drawn_key`` has this map's areas: a patch can update it."""
        return self.drawing is not None and self.key == drawn_key


def _map(store: Store, geo_dir: Path, view: View, city: City, total_calls: int) -> MapModel:
    """The map, its words legend, table and notes; or a message when the city has no boundaries."""
    lang, f = view.lang, view.filters
    if "district" not in mapview.map_levels(store, geo_dir, city.id):
        message = Note(t("map.no_geography", lang, city=city.name), "map-message mb-0")
        return MapModel(None, None, [message], f"{city.id}|none", True)
    areas = mapview.map_areas(geo_dir, city.id, view.level, lang)
    values = mapview.area_values(store, geo_dir, f, view.metric, view.level, areas)
    zoom = mapview.zoom_ids(areas, f, view.level)
    alt = program_label(city.alternative_program, lang, city.label_map)
    legend = map_legend(values, view.metric, lang=lang, alt_program=city.alternative_program,
                        labels=city.label_map)
    notes = [Note(legend, "map-legend")]
    level_label = city.geo.district_label if view.level == "district" else t("map.precinct", lang)
    if view.level == "precinct":
        notes.append(Note(city.geo.precinct_note or t("map.precinct_default_note", lang)))
        if f.categories:
            notes.append(Note(t("map.precinct_categories", lang)))
    else:
        unplaced = total_calls - int(values["calls"].sum())
        if unplaced > 0 and not f.districts:
            notes.append(Note(t("map.unplaced", lang, calls=fmt_int(unplaced, lang))))
    if (values["suppressed_cells"] > 0).any():
        notes.append(Note(t("map.suppressed_note", lang)))
    if view.metric == "per_1000":
        notes.append(Note(t("map.per_1000_note", lang)))
        small = _small_areas_note(areas, city.geo.low_population_threshold, lang)
        if small is not None:
            notes.append(small)
    if view.metric == "median_minutes" and view.level == "district":
        notes.append(Note(t("map.minutes_note", lang)))
    drawing = MapDrawing(
        values, areas, view.metric, lang=lang, alt_program=city.alternative_program, labels=city.label_map,
        zoom_to=zoom, hover_hint=t("map.click_hint", lang), height=None,
    )
    linked = {a.id for a in areas} if view.level == "district" else set()
    table = _map_table(values, view.metric, level_label, alt, lang, linked)
    return MapModel(drawing, table, notes, f"{city.id}|{view.level}", False)


def _resolve_level(store: Store, geo_dir: Path, view: View, city: City) -> tuple[View, list[str]]:
    """Precincts asked of a city without a precinct layer: districts, and a message."""
    if view.level == "precinct" and "precinct" not in mapview.map_levels(store, geo_dir, city.id):
        return replace(view, level=DEFAULT_LEVEL), [t("notice.no_precincts", view.lang, city=city.name)]
    return view, []


def render_map(store: Store, geo_dir: Path, view: View) -> tuple[View, MapModel, list[str]]:
    """Only the map (a metric or level change touches nothing else): the view as shown
    (precincts may fall back to districts), the map, and notices."""
    city = store.cities[view.filters.city].localized(view.lang)
    view, notes = _resolve_level(store, geo_dir, view, city)
    total = int(queries.kpis(store, view.filters).iloc[0]["calls"])  # cached by the store
    return view, _map(store, geo_dir, view, city, total), notes


def clicked_district(click: object, search: object, lang: str, store: Store, geo_dir: Path,
                     default_city: str) -> tuple[View, str] | None:
    """The district a click on the Overview map opens (with the view it was made in), or None.

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
    view, _ = parse_view({**parse_qs((search or "").lstrip("?")), PARAM_LANG: lang}, store, default_city)
    if view.level not in mapview.map_levels(store, geo_dir, view.filters.city):
        return None
    areas = mapview.map_areas(geo_dir, view.filters.city, view.level)
    area = next((a for a in areas if a.id == area_id), None)
    district = None if area is None else (area.id if view.level == "district" else area.district)
    return None if district is None else (view, district)


# ------------------------------------------------------------------------------ the page


@dataclass(frozen=True)
class Overview:
    """Every part of the page that depends on the view, as plain values."""

    view: View  # as shown (precincts may have fallen back to districts)
    city: City  # localized
    catalog: Catalog
    info: ReleaseInfo
    status: CityStatus | None
    heading: str
    summary: str
    scope: str
    kpis: pd.DataFrame
    counts: pd.DataFrame
    trend_figure: Any
    trend_table: Table
    milestones: list[tuple[int, str]]
    program_table: Table
    map: MapModel
    #: Notices about the view itself (no precincts for this city).
    notes: list[str]


def render(store: Store, geo_dir: Path, view: View) -> Overview:
    """Run the page's queries for ``view`` and build its figures, tables and texts."""
    f, lang = view.filters, view.lang
    city = store.cities[f.city].localized(lang)
    info = store.release_info(f.city)
    kpis = queries.kpis(store, f)
    counts = queries.program_counts(store, f)
    monthly = queries.monthly_by_program(store, f)
    minutes = queries.minutes_by_program(store, f)
    total = int(kpis.iloc[0]["calls"])
    view, map_model, notes = render_map(store, geo_dir, view)
    return Overview(
        view=view,
        city=city,
        catalog=store.catalogs()[f.city],
        info=info,
        status=store.statuses().get(f.city),
        heading=t("overview.heading", lang, city=city.name),
        summary=_summary(view, city, kpis, info),
        scope=_scope(view, city, store.catalogs()[f.city]),
        kpis=kpis,
        counts=counts,
        trend_figure=monthly_figure(monthly, lang=lang, milestones=city.milestones, labels=city.label_map),
        trend_table=_trend_table(monthly, lang, city.label_map),
        milestones=_milestones(city, f, lang),
        program_table=program_table(counts, minutes, total, lang, city.label_map, info.withheld_programs),
        map=map_model,
        notes=notes,
    )
