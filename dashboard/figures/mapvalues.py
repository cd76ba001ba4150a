"""The numbers a map colours by, area by area, and how they are printed.

``map_metric_values`` turns the counts a view model hands over (``queries.map_values``)
into one value per area, or the reason it has none; ``format_map_value`` prints one the
way the map, its hover and its table do. Kept apart from the drawing (``maps``) and the
colours and words (``mapstyle``): the view model, the API's map download and the
summary need these numbers without drawing anything.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence
from typing import Literal, Protocol

import pandas as pd

from dashboard.i18n import fmt_decimal, fmt_int, fmt_pct, t

MapMetric = Literal["count", "per_1000", "alt_share", "median_minutes"]
MAP_METRICS: tuple[MapMetric, ...] = ("count", "per_1000", "alt_share", "median_minutes")
#: Why an area has no value (``map_metric_values``'s ``reason``), in the order notes list them.
MAP_REASONS: tuple[str, ...] = (
    "not_selected", "unpublished", "no_population", "low_population", "no_eligible", "no_minutes",
    "no_timed_calls",
)
ROOMY_AREA_WIDTH = 0.15  # share of the map's width an area needs to print its value


class MapAreaLike(Protocol):
    """What the map needs of an area (``dashboard.geo.web.WebArea`` has all of it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def population(self) -> int | None: ...
    @property
    def rings(self) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]: ...
    @property
    def label_lon(self) -> float: ...
    @property
    def label_lat(self) -> float: ...


def map_metric_values(
    values_df: pd.DataFrame,
    areas: Sequence[MapAreaLike],
    metric: MapMetric,
    low_population_threshold: int,
    excluded: Collection[str] = (),
    unpublished: Collection[str] = (),
) -> pd.DataFrame:
    """One row per area (in ``areas`` order) with the number the map colours by.

    ``values_df`` is ``queries.map_values`` output (area_id, calls, eligible,
    eligible_answered, suppressed_cells), for ``median_minutes`` merged with
    ``queries.map_minutes`` (median_minutes, timed_calls); areas it lacks had no calls
    and get zeros, rows for unknown areas (e.g. ``citywide``) are ignored. ``value`` is
    NaN where it is not defined, and ``reason`` says why: ``low_population`` (a per-1,000
    rate over fewer residents than the threshold would mislead) or ``no_eligible`` (a
    share of zero eligible calls) or ``not_selected`` (an area in ``excluded``, outside
    the districts the filters select: a zero there would read as "no calls") or
    ``unpublished`` (an area the release never publishes separately, because every one of
    its rows was generalized to city level for privacy) or ``no_minutes`` (response
    times asked of a layer published without them, the precincts: ``values_df`` has no
    ``median_minutes`` column) or ``no_timed_calls`` (no call there has a recorded
    time); it is ``""`` where there is a value. ``roomy`` marks areas wide enough
    (``ROOMY_AREA_WIDTH`` of the map) to print their value on the map without it running
    into the neighbours' labels.
    """
    if metric not in MAP_METRICS:
        raise ValueError(f"unknown map metric {metric!r}")
    by_id = {str(row.area_id): row for row in values_df.itertuples(index=False)}
    has_minutes = "median_minutes" in values_df.columns
    widths = [_lon_width(area) for area in areas]
    all_lons = [lon for area in areas for lons, _ in area.rings for lon in lons]
    span = (max(all_lons) - min(all_lons)) if all_lons else 0.0
    records = []
    for area, width in zip(areas, widths, strict=True):
        row = by_id.get(str(area.id))
        calls = int(row.calls) if row is not None else 0
        eligible = int(row.eligible) if row is not None else 0
        answered = int(row.eligible_answered) if row is not None else 0
        suppressed = int(row.suppressed_cells) if row is not None else 0
        median = float(row.median_minutes) if has_minutes and row is not None else math.nan
        timed = int(row.timed_calls) if has_minutes and row is not None and not math.isnan(median) else 0
        value: float = math.nan
        reason = ""
        if str(area.id) in excluded:
            reason = "not_selected"
        elif str(area.id) in unpublished:
            reason = "unpublished"
        elif metric == "count":
            value = float(calls)
        elif metric == "per_1000":
            if area.population is None:
                reason = "no_population"
            elif area.population < low_population_threshold or area.population <= 0:
                reason = "low_population"
            else:
                value = calls / area.population * 1000
        elif metric == "median_minutes":
            if not has_minutes:
                reason = "no_minutes"
            elif math.isnan(median):
                reason = "no_timed_calls"
            else:
                value = median
        elif eligible > 0:
            value = answered / eligible
        else:
            reason = "no_eligible"
        records.append(
            {
                "area_id": str(area.id),
                "name": area.name,
                "population": None if area.population is None else int(area.population),
                "calls": calls,
                "eligible": eligible,
                "eligible_answered": answered,
                "suppressed_cells": suppressed,
                "timed_calls": timed,
                "value": value,
                "reason": reason,
                "roomy": span > 0 and width / span >= ROOMY_AREA_WIDTH,
            }
        )
    columns = [
        "area_id",
        "name",
        "population",
        "calls",
        "eligible",
        "eligible_answered",
        "suppressed_cells",
        "timed_calls",
        "value",
        "reason",
        "roomy",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _lon_width(area: MapAreaLike) -> float:
    lons = [lon for ring_lons, _ in area.rings for lon in ring_lons]
    return (max(lons) - min(lons)) if lons else 0.0


def format_map_value(value: float, metric: MapMetric, lang: str) -> str:
    """How the map, its hover and its table print one value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric == "count":
        return fmt_int(value, lang)
    if metric == "per_1000":
        return fmt_decimal(value, lang)
    if metric == "median_minutes":
        return t("figure.map.minutes", lang, minutes=fmt_int(value, lang))
    return fmt_pct(value, lang)
