"""Map data for downloads and summaries: the Overview map's numbers, area by area.

The steps that turn a view into the map's numbers (which areas, which are "not
selected" or "unpublished", precinct figures from the suppressed cube, median minutes
by district) live in ``views.mapview``, which the Overview page calls too: this module
only shapes them into the map CSV and the summary's district records.
"""

from __future__ import annotations

import math
from typing import cast

import pandas as pd

from dashboard.contract.schema import CITYWIDE
from dashboard.engine.store import Store
from dashboard.figures import MAP_METRICS, MapMetric
from dashboard.i18n import t
from dashboard.params.filters import Filters
from dashboard.queries import overview as queries
from dashboard.settings import Settings
from dashboard.views import mapview

LEVELS: tuple[queries.MapLevel, ...] = mapview.LEVELS
DEFAULT_LEVEL: queries.MapLevel = "district"
DEFAULT_METRIC: MapMetric = "count"

#: Columns of the map CSV, in order (the OpenAPI document lists the same tuple).
MAP_COLUMNS: tuple[str, ...] = (
    "level",
    "area_id",
    "name",
    "metric",
    "value",
    "calls",
    "eligible",
    "eligible_answered",
    "population",
    "suppressed_cells",
    "reason",
    "note",
)


def map_levels(store: Store, settings: Settings, city_id: str) -> tuple[queries.MapLevel, ...]:
    """The map levels the Overview offers for a city (none without district boundaries)."""
    return mapview.map_levels(store, settings.geo_dir, city_id)


def area_values(
    store: Store, settings: Settings, f: Filters, metric: MapMetric, level: queries.MapLevel
) -> pd.DataFrame:
    """What the Overview map colours and its table lists (``mapview.area_values``)."""
    return mapview.area_values(store, settings.geo_dir, f, metric, level)


def _note(reason: str, suppressed_cells: int, precinct_categories: bool) -> str:
    """Plain words for why a value is missing or only a lower bound (the page's wording)."""
    notes = []
    if reason:
        notes.append(t(f"figure.map.hover.reason.{reason}"))
    if suppressed_cells:
        notes.append(t("figure.map.hover.suppressed", cells=suppressed_cells))
    if precinct_categories:
        notes.append(t("map.precinct_categories"))
    return " ".join(notes)


def map_frame(
    store: Store, settings: Settings, f: Filters, metric: MapMetric, level: queries.MapLevel
) -> pd.DataFrame:
    """The map chart's data (``MAP_COLUMNS``): the page's value for ``metric`` (empty where
    the map is grey, ``reason`` saying why), the counts behind it, and, for precincts,
    ``suppressed_cells`` > 0 with a ``note`` where the counts are lower bounds."""
    values = area_values(store, settings, f, metric, level)
    precinct_categories = level == "precinct" and bool(f.categories)
    out = pd.DataFrame(
        {
            "level": level,
            "area_id": values["area_id"].astype(str),
            "name": values["name"].astype(str),
            "metric": metric,
            "value": values["value"].astype("float64"),
            "calls": values["calls"].astype("int64"),
            "eligible": values["eligible"].astype("int64"),
            "eligible_answered": values["eligible_answered"].astype("int64"),
            "population": values["population"].astype("Int64"),  # null: no population known
            "suppressed_cells": values["suppressed_cells"].astype("int64"),
            "reason": values["reason"].astype(str),
            "note": [
                _note(str(r), int(s), precinct_categories)
                for r, s in zip(values["reason"], values["suppressed_cells"], strict=True)
            ],
        },
        columns=list(MAP_COLUMNS),
    )
    return out


def district_records(store: Store, settings: Settings, f: Filters) -> list[dict[str, object]]:
    """Per-district figures for the summary: counts, and each map measure as the map shows it.

    For a city without district boundaries (no map on the page) the districts are those
    of the rows (``citywide`` left out), with no name, population or per-1,000 rate.
    """
    if "district" not in map_levels(store, settings, f.city):
        values = queries.map_values(store, f, "district")
        values = values[values["area_id"] != CITYWIDE]
        alt_share = [a / e if e else math.nan for a, e in zip(values["eligible_answered"], values["eligible"],
                                                            strict=True)]
        medians = queries.map_minutes(store, f).set_index("area_id")["median_minutes"]
        median = [float(medians.get(str(d), math.nan)) for d in values["area_id"]]
        return [
            {
                "district": str(row.area_id),
                "name": None,
                "population": None,
                "calls": int(row.calls),
                "eligible": int(row.eligible),
                "eligible_answered": int(row.eligible_answered),
                "values": {"count": int(row.calls), "per_1000": None,
                           "alt_share": None if math.isnan(share) else share,
                           "median_minutes": None if math.isnan(minutes) else minutes},
                "reasons": {"count": None, "per_1000": "no_boundaries",
                            "alt_share": "no_eligible" if math.isnan(share) else None,
                            "median_minutes": "no_timed_calls" if math.isnan(minutes) else None},
            }
            for row, share, minutes in zip(values.itertuples(index=False), alt_share, median, strict=True)
        ]
    by_metric = {m: area_values(store, settings, f, cast(MapMetric, m), "district") for m in MAP_METRICS}
    base = by_metric["count"]
    records = []
    for i, row in enumerate(base.itertuples(index=False)):
        values_out: dict[str, object] = {}
        reasons: dict[str, object] = {}
        for metric, frame in by_metric.items():
            value = float(frame["value"].iloc[i])
            values_out[metric] = None if math.isnan(value) else value
            reasons[metric] = str(frame["reason"].iloc[i]) or None
        records.append(
            {
                "district": str(row.area_id),
                "name": str(row.name),
                "population": None if row.population is None or row.population != row.population
                else int(row.population),
                "calls": int(row.calls),
                "eligible": int(row.eligible),
                "eligible_answered": int(row.eligible_answered),
                "values": values_out,
                "reasons": reasons,
            }
        )
    return records
