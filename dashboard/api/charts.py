"""Map data for downloads and summaries: the Overview map's numbers, area by area.

The map needs boundaries (``dashboard.geo``) and the map measures
(``figures.map_metric_values``), which the data layer may not import; so its data is
assembled here, at the level of the pages, by the same steps as the Overview's map
(``pages/overview.py`` ``_map_parts``): areas outside the selected districts are "not
selected" (not zero), districts the release never publishes separately are
"unpublished", and precinct figures come from the suppressed precinct cube, where an
area with suppressed cells has lower bounds, not exact counts. A test compares this
module's output with the page's for the same view, so the two cannot drift apart.
"""

from __future__ import annotations

import math
from typing import cast

import pandas as pd

from dashboard.data import queries
from dashboard.data.filters import Filters
from dashboard.data.schema import CITYWIDE
from dashboard.data.store import Store
from dashboard.figures import MAP_METRICS, MapMetric, map_metric_values
from dashboard.geo.web import layer_exists, load_web_layer
from dashboard.i18n import t
from dashboard.settings import Settings

LEVELS: tuple[queries.MapLevel, ...] = ("district", "precinct")
DEFAULT_LEVEL: queries.MapLevel = "district"
DEFAULT_METRIC: MapMetric = "count"
_LAYER = {"district": "districts", "precinct": "precincts"}

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
    city = store.cities[city_id]
    if not city.has_districts or not layer_exists(settings.geo_dir, city_id, _LAYER["district"]):
        return ()
    if city.geo.precincts and layer_exists(settings.geo_dir, city_id, _LAYER["precinct"]):
        return LEVELS
    return ("district",)


def area_values(
    store: Store, settings: Settings, f: Filters, metric: MapMetric, level: queries.MapLevel
) -> pd.DataFrame:
    """``figures.map_metric_values`` for the view: one row per area of the layer, exactly
    what the Overview map colours and its table lists (the level must be in ``map_levels``)."""
    city = store.cities[f.city]
    areas = load_web_layer(settings.geo_dir, city.id, _LAYER[level])
    excluded: set[str] = set()
    if f.districts:
        excluded = {
            a.id
            for a in areas
            if (a.id if level == "district" else a.district) not in f.districts
            and (level == "district" or a.district is not None)
        }
    unpublished: set[str] = set()
    if level == "district":
        published = set(store.catalogs()[city.id].districts)
        unpublished = {a.id for a in areas if a.id not in published}
    return map_metric_values(
        queries.map_values(store, f, level),
        areas,
        metric,
        city.geo.low_population_threshold,
        excluded=excluded,
        unpublished=unpublished,
    )


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
            "population": values["population"].astype("int64"),
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
        return [
            {
                "district": str(row.area_id),
                "name": None,
                "population": None,
                "calls": int(row.calls),
                "eligible": int(row.eligible),
                "eligible_answered": int(row.eligible_answered),
                "values": {"count": int(row.calls), "per_1000": None,
                           "alt_share": None if math.isnan(share) else share},
                "reasons": {"count": None, "per_1000": "no_boundaries",
                            "alt_share": "no_eligible" if math.isnan(share) else None},
            }
            for row, share in zip(values.itertuples(index=False), alt_share, strict=True)
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
                "population": int(row.population),
                "calls": int(row.calls),
                "eligible": int(row.eligible),
                "eligible_answered": int(row.eligible_answered),
                "values": values_out,
                "reasons": reasons,
            }
        )
    return records
