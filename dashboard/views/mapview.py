"""The map's data steps for one view, in one place: the Overview map, its table and the
API's map download (``api/charts.py``) all call these, so they cannot drift apart.

A view-model step: it reads the store and the boundary files and hands the figure
builders (``dashboard.figures.maps``, which never read the store) plain data. Both the
pages and the API may import ``dashboard.views``. What it does, for a view (Filters,
measure, level):

* the levels a city offers: none without district boundaries, precincts only where the
  city has a precinct layer;
* areas outside the selected districts are "not selected" (grey, not zero);
* districts the release never publishes separately (every row generalized to city
  level for privacy, like Denver's airport district) are "unpublished";
* precinct figures come from the suppressed precinct cube (``suppressed_cells`` > 0:
  lower bounds), and have no response times (``no_minutes``);
* median minutes (districts) come from ``queries.map_minutes``;
* ``zoom_ids``: the areas a district selection frames (``map_figure(zoom_to=...)``);
* ``map_areas(..., lang)`` / ``localized_areas``: area names in the reader's language.
  The boundary files name areas in English, "<Noun> <id>" ("District 5", "Precinct 111",
  "Council district 3"): the noun is translated by the catalog key ``area.name.<noun>``
  (``area.name.council_district``), every other name (a real place, "Eugene") is kept.
  The API's download keeps the files' names (its callers pass no language).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pandas as pd

from dashboard.engine.store import Store
from dashboard.figures.mapvalues import MapMetric, map_metric_values
from dashboard.geo.lookup import names_by_area
from dashboard.geo.web import WebArea, layer_exists, load_web_layer
from dashboard.i18n import DEFAULT_LANGUAGE, catalog, t
from dashboard.params.filters import Filters
from dashboard.queries import overview as queries

LEVELS: tuple[queries.MapLevel, ...] = ("district", "precinct")
#: Web layer file of each map level (``dashboard.geo.web``).
LAYERS: dict[str, str] = {"district": "districts", "precinct": "precincts"}


def map_levels(store: Store, geo_dir: Path, city_id: str) -> tuple[queries.MapLevel, ...]:
    """The map levels offered for a city (none without district boundaries)."""
    city = store.cities[city_id]
    if not city.has_districts or not layer_exists(geo_dir, city_id, LAYERS["district"]):
        return ()
    if city.geo.precincts and layer_exists(geo_dir, city_id, LAYERS["precinct"]):
        return LEVELS
    return ("district",)


#: "<Noun> <id>", the boundary files' names of numbered areas ("Council district 10").
_NUMBERED_AREA = re.compile(r"^([A-Z][a-z]+(?: [a-z]+)*) (\d[\w-]*)$")


def area_name(name: str, lang: str) -> str:
    """An area's name in ``lang``: "District 5" -> "Distrito 5"; other names unchanged."""
    match = _NUMBERED_AREA.match(name)
    if match is None:
        return name
    noun = match.group(1).lower().replace(" ", "_")
    if f"area.name.{noun}" not in catalog(DEFAULT_LANGUAGE):
        return name
    return t(f"area.name.{noun}", lang, id=match.group(2))


def localized_areas(areas: Sequence[WebArea], lang: str) -> tuple[WebArea, ...]:
    """``areas`` with their names in ``lang`` (shapes shared, not copied)."""
    if lang == DEFAULT_LANGUAGE:
        return tuple(areas)
    return tuple(replace(a, name=area_name(a.name, lang)) for a in areas)


def map_areas(
    geo_dir: Path, city_id: str, level: queries.MapLevel, lang: str = DEFAULT_LANGUAGE
) -> tuple[WebArea, ...]:
    """The areas of a level, in the order the map draws them, named in ``lang`` (the
    files are read once per process)."""
    return localized_areas(load_web_layer(geo_dir, city_id, LAYERS[level]), lang)


def _district_of(area: WebArea, level: queries.MapLevel) -> str | None:
    return area.id if level == "district" else area.district


def excluded_ids(areas: Sequence[WebArea], f: Filters, level: queries.MapLevel) -> set[str]:
    """Areas outside the districts the filters select (none when no district is chosen).
    A precinct that belongs to no district is never excluded: nothing says it is outside."""
    if not f.districts:
        return set()
    districts = {a.id: _district_of(a, level) for a in areas}
    return {area_id for area_id, d in districts.items() if d is not None and d not in f.districts}


def zoom_ids(areas: Sequence[WebArea], f: Filters, level: queries.MapLevel) -> tuple[str, ...]:
    """The areas the map frames: those of the selected districts (empty: the whole city)."""
    if not f.districts:
        return ()
    return tuple(a.id for a in areas if _district_of(a, level) in f.districts)


def area_values(
    store: Store,
    geo_dir: Path,
    f: Filters,
    metric: MapMetric,
    level: queries.MapLevel,
    areas: Sequence[WebArea] | None = None,
) -> pd.DataFrame:
    """``figures.map_metric_values`` for the view: one row per area of the layer, exactly
    what the Overview map colours and its table lists (``level`` must be in ``map_levels``;
    ``areas``, when given, must be ``map_areas`` of that level)."""
    city = store.cities[f.city]
    if areas is None:
        areas = map_areas(geo_dir, city.id, level)
    unpublished: set[str] = set()
    if level == "district":
        published = set(store.catalogs()[city.id].districts)
        unpublished = {a.id for a in areas if a.id not in published}
    values = queries.map_values(store, f, level)
    if metric == "median_minutes" and level == "district":
        values = values.merge(queries.map_minutes(store, f), on="area_id", how="left")
    out = map_metric_values(
        values,
        areas,
        metric,
        city.geo.low_population_threshold,
        excluded=excluded_ids(areas, f, level),
        unpublished=unpublished,
    )
    # The neighborhoods in each area, for the hover: residents know those names (issue 15).
    names = names_by_area(geo_dir, city.id, level)
    out["neighborhoods"] = [names.get(str(a), ()) for a in out["area_id"]]
    return out
