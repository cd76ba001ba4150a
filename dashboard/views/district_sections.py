"""The District page's sections as plain data: the trend's table, the week-by-hour
coverage with its notes and tables, and the map of the district's precincts (police) or
of every council district (council). ``views.district.render`` calls them.

No Dash here (``pages.layouts.district`` draws them).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import ALL_PROGRAMS, CITYWIDE
from dashboard.engine.store import Store
from dashboard.figures import (
    map_figure,
    map_legend,
    map_metric_values,
    month_label,
    period_label,
    program_label,
)
from dashboard.figures.coverage import coverage_figure, coverage_legend
from dashboard.figures.planner import planner_figure
from dashboard.geo.web import WebArea, layer_exists, load_web_layer
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.models.plans import Plan, duty_shares, schedule_plans
from dashboard.models.weeks import week_year_dates
from dashboard.params.districts import DistrictKind
from dashboard.params.filters import Filters
from dashboard.queries import district as district_data
from dashboard.queries import overview as queries
from dashboard.queries import profile
from dashboard.views.mapview import localized_areas
from dashboard.views.parts import Table

COUNCIL_LAYER = "council_districts"


class Place(Protocol):
    """Which district and period a section is for (``views.district.DistrictView``)."""

    @property
    def filters(self) -> Filters: ...
    @property
    def kind(self) -> DistrictKind: ...
    @property
    def area(self) -> str: ...
    @property
    def lang(self) -> str: ...
    @property
    def area_type(self) -> str: ...


def layer(geo_dir: Path, city: City, kind: DistrictKind) -> tuple[WebArea, ...]:
    name = COUNCIL_LAYER if kind == "council" else "districts"
    return load_web_layer(geo_dir, city.id, name) if layer_exists(geo_dir, city.id, name) else ()


def pct(value: float | None, lang: str) -> str:
    """A share as text; missing (None or NaN) says so."""
    return fmt_pct(None if value is None or math.isnan(value) else value, lang)


def trend_table(monthly: pd.DataFrame, city: City, lang: str) -> Table:
    """The trend's numbers; a hidden month says so (and its total is a lower bound). A
    council district's trend pools the programs (one column)."""
    pooled = (monthly["response_type"].astype(str) == ALL_PROGRAMS).any()
    programs = [ALL_PROGRAMS] if pooled else [p.value for p in city.programs]
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
        *(t("profile.all_programs", lang) if p == ALL_PROGRAMS else program_label(p, lang, city.label_map)
          for p in programs),
        t("table.total", lang),
    ]
    return Table(t("district.trend.table_caption", lang), headers, rows)


@dataclass(frozen=True)
class Coverage:
    """The week-by-hour coverage chart, its key figure, notes and tables."""

    figure: Any
    key_figure: str
    notes: list[str]
    years: str
    table: Table
    out_of_hours: Table
    out_of_hours_summary: str


def coverage(
    place: Place, city: City, store: Store, name: str, area: profile.AreaFigures
) -> Coverage:
    lang, f = place.lang, place.filters
    cells = district_data.coverage(store, f, place.area_type, place.area)
    first, last = district_data.years(f)
    start, end = week_year_dates(first)[0], week_year_dates(last)[1]
    spans = schedule_plans(city.schedule, start, end, 1.0)
    duty = duty_shares(spans)
    k = store.settings.privacy_k
    team = program_label(city.alternative_program, lang, city.label_map)
    figure = coverage_figure(cells, duty, lang=lang, k=k, team=team)
    years = str(first) if first == last else f"{first}–{last}"
    lower = "eligible" in area.bounded and area.eligible > 0
    key_figure = t(
        "district.coverage.key",
        lang,
        area=name,
        out_of_hours=(t("profile.hidden", lang) if "out_of_hours" in area.hidden_measures
                      else fmt_int(area.out_of_hours, lang)),
        # Over a lower bound of eligible calls (a council district's hidden reasons), the
        # share is at most what it shows.
        eligible=("≥ " if lower else "") + fmt_int(area.eligible, lang),
        share=("≤ " if lower else "") + pct(area.out_of_hours_share, lang),
        period=period_label(f.start, f.end, lang),
    )
    hidden = int(cells["hidden"].sum())
    notes = list(coverage_legend(lang, k=k, team=team, cells=cells, duty=duty))
    notes.append(t("district.coverage.years", lang, years=years))
    if hidden:
        notes.append(t("district.coverage.hidden", lang, cells=fmt_int(hidden, lang), k=k))
    summary = t("district.out_of_hours.summary", lang, label=city.geo.district_label.lower())
    return Coverage(figure, key_figure, notes, years, _coverage_table(cells, lang),
                    _out_of_hours_table(place, city, store), summary)


def _coverage_table(cells: pd.DataFrame, lang: str) -> Table:
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
    return Table(t("district.coverage.table_caption", lang), headers, rows)


def _out_of_hours_table(place: Place, city: City, store: Store) -> Table:
    """The key figure for every police district (exact, from the rows)."""
    lang = place.lang
    frame = district_data.out_of_hours(store, place.filters)
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
    return Table(
        t("district.out_of_hours.caption", lang, label=city.geo.district_label.lower()),
        [
            city.geo.district_label,
            t("table.eligible", lang),
            t("district.out_of_hours.calls", lang),
            t("district.out_of_hours.share", lang),
        ],
        rows,
    )


@dataclass(frozen=True)
class MapModel:
    """Police district: its precincts; council: every council district."""

    heading: str
    figure: Any
    legend: str
    note: str | None
    table: Table


def district_map(
    place: Place, city: City, store: Store, geo_dir: Path, ranking: Sequence[profile.AreaFigures]
) -> MapModel | None:
    """Police district: its precincts (yearly cube). Council: every council district."""
    lang, f = place.lang, place.filters
    if place.kind == "police":
        if not layer_exists(geo_dir, city.id, "precincts"):
            return None
        shapes = localized_areas(
            [a for a in load_web_layer(geo_dir, city.id, "precincts") if a.district == place.area], lang
        )
        if not shapes:
            return None
        values = queries.map_values(store, f, "precinct")
        heading, note = t("district.map.precincts", lang), city.geo.precinct_note
    else:
        shapes = localized_areas(layer(geo_dir, city, "council"), lang)
        if not shapes:
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
    metric_values = map_metric_values(values, shapes, "count", city.geo.low_population_threshold)
    figure = map_figure(
        metric_values,
        shapes,
        "count",
        lang=lang,
        alt_program=city.alternative_program,
        height=None,
        labels=city.label_map,
        zoom_to=[place.area] if place.kind == "council" else None,
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
    table = Table(
        heading,
        [
            t("district.map.area", lang),
            t("table.calls", lang),
            t("table.eligible", lang),
            t("table.note", lang),
        ],
        rows,
    )
    return MapModel(heading, figure, legend, note, table)


# ---------------------------------------------------------------------------- planner


@dataclass(frozen=True)
class PlannerResult:
    """What the planner says for a comparison; only ``no_times`` when the model cannot run."""

    no_times: str | None = None
    headline: str = ""
    table: Table | None = None
    figure: Any = None
    graph_label: str = ""
    assumptions: str = ""


def plan_text(plan: Plan | None, lang: str) -> str:
    """One added shift in words: "2 more vans, every day, 22:00–02:00"."""
    if plan is None:
        return ""
    if len(plan.days) == 7:
        days = t("planner.every_day", lang)
    else:
        days = ", ".join(t(f"weekday.short.{d}", lang) for d in plan.days) or t("planner.no_days", lang)
    return t(
        "planner.plan_text_one" if plan.vans == 1 else "planner.plan_text",
        lang,
        vans=plan.vans,
        days=days,
        start=f"{plan.hours[0]:02d}:00",
        end=f"{plan.hours[1]:02d}:00",
    )


def shifts_text(shifts: Sequence[Plan], lang: str) -> str:
    return "; ".join(plan_text(s, lang) for s in shifts)


def planner_result(lang: str, city: City, c: district_data.PlanComparison, name: str) -> PlannerResult:
    alt = program_label(city.alternative_program, lang, city.label_map)
    if c.city_inputs.minutes_per_call is None:
        return PlannerResult(no_times=t("planner.no_times", lang, city=city.name))
    city_cur = c.city_current.share if c.city_current is not None else None
    city_plan = c.city_planned.share if c.city_planned is not None else None
    rows = [
        [t("planner.row.observed", lang), pct(c.area_inputs.observed_share, lang),
         pct(c.city_inputs.observed_share, lang)],
        [t("planner.row.current", lang), pct(c.area_current, lang), pct(city_cur, lang)],
    ]
    if c.shifts:
        rows.append([t("planner.row.planned", lang), pct(c.area_planned, lang), pct(city_plan, lang)])
    headers = [t("planner.scenario", lang), name, city.name]
    table = Table(t("planner.table_caption", lang, program=alt), headers, rows)
    # The bars are the city's (the model pools the city's vans), so each names its area:
    # under a district's headline an unnamed bar reads as the district's (issue 15).
    chart_rows = [{"label": t("planner.bar.observed", lang, area=city.name), **c.city_observed_lost}]
    shares = district_data.estimate_shares
    if c.city_current is not None:
        chart_rows.append({"label": t("planner.bar.current", lang, area=city.name), **shares(c.city_current)})
    if c.city_planned is not None:
        chart_rows.append({"label": t("planner.bar.planned", lang, area=city.name), **shares(c.city_planned)})
    if c.shifts:
        def count(share: float | None, inputs: district_data.PlannerInputs) -> str:
            per_year = c.per_year(share, inputs)
            return "–" if per_year is None else fmt_int(round(per_year), lang)

        area, town = c.area_inputs, c.city_inputs
        headline = t("planner.headline", lang, area=name, program=alt, plan=shifts_text(c.shifts, lang),
                     before_n=count(c.area_current, area), after_n=count(c.area_planned, area),
                     before=pct(c.area_current, lang), after=pct(c.area_planned, lang), city=city.name,
                     city_before_n=count(city_cur, town), city_after_n=count(city_plan, town),
                     city_before=pct(city_cur, lang), city_after=pct(city_plan, lang))
    else:
        headline = t("planner.headline_current", lang, area=name, program=alt,
                     current=pct(c.area_current, lang), observed=pct(c.area_inputs.observed_share, lang))
    inputs = c.city_inputs
    assumptions = t(
        "planner.assumptions",
        lang,
        minutes=fmt_int(inputs.minutes_per_call, lang),
        screened=fmt_pct(inputs.screen_share, lang),
        imputed=pct(c.city_current.imputed_share if c.city_current else None, lang),
    )
    if len(c.city_current_at) == 2 and inputs.minutes_per_call is not None:
        (low, at_low), (high, at_high) = sorted(c.city_current_at.items())
        assumptions += " " + t(
            "planner.sensitivity", lang, city=city.name,
            low=fmt_int(inputs.minutes_per_call * low, lang), at_low=pct(at_low, lang),
            high=fmt_int(inputs.minutes_per_call * high, lang), at_high=pct(at_high, lang),
            current=pct(c.city_current.share if c.city_current else None, lang),
        )
    return PlannerResult(None, headline, table, planner_figure(pd.DataFrame(chart_rows), lang=lang),
                         t("planner.graph_label", lang, program=alt), assumptions)
