"""Where each call happened: points assigned to areas, a district column, or city-wide.

Points (longitude/latitude) are assigned with the city's boundary files
(``dashboard.geo.assign.Assigner``, imported lazily: only cities with points need it);
a city without points maps a district column through a value map, or puts every call
city-wide. Missing, impossible and outside-the-city points are rejected (or, as the
config says, placed city-wide) here.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.contract.schema import CITYWIDE
from dashboard.ingest.accounting import Reason, Rejects
from dashboard.ingest.config_spec import IngestConfig, normalize_label
from dashboard.ingest.input_format import IngestError
from dashboard.ingest.readers import Chunk
from dashboard.ingest.values import as_numbers, blank_cells, required, resolve

if TYPE_CHECKING:
    from dashboard.geo.assign import Assigner

#: The web layer whose ids a district column's codes are matched against.
DISTRICT_LAYER = "districts"


def _place_from_points(chunk: Chunk, cfg: IngestConfig, assigner: Assigner,
                       rej: Rejects) -> dict[str, np.ndarray]:
    points = cfg.points
    assert points is not None  # noqa: S101 - only called in points mode
    n = len(chunk.frame)
    lon_raw, lat_raw = chunk.frame[points.lon], chunk.frame[points.lat]
    lon, lat = as_numbers(lon_raw), as_numbers(lat_raw)
    lon_blank, lat_blank = blank_cells(lon_raw), blank_cells(lat_raw)
    missing = lon_blank | lat_blank
    if points.missing == "reject":
        rej.flag(lon_blank, Reason.MISSING_FIELD, points.lon)
        rej.flag(lat_blank, Reason.MISSING_FIELD, points.lat)
    lon_bad = ~lon_blank & ~(np.isfinite(lon) & (np.abs(lon) <= 180))
    lat_bad = ~lat_blank & ~(np.isfinite(lat) & (np.abs(lat) <= 90))
    null_island = (lon == 0) & (lat == 0)  # a common "no location" placeholder
    rej.flag(lon_bad | null_island, Reason.BAD_COORDINATES, points.lon)
    rej.flag(lat_bad, Reason.BAD_COORDINATES, points.lat)
    valid = ~(missing | lon_bad | lat_bad | null_island)
    places = assigner.assign(np.where(valid, lon, np.nan), np.where(valid, lat, np.nan))
    district = places["district"].to_numpy(dtype=object, na_value=None)
    rej.flag(valid & pd.isna(district), Reason.OUTSIDE_CITY, f"{points.lon}/{points.lat}")
    out = {"district": np.where(missing & (points.missing == "citywide"), CITYWIDE, district)}
    for col in ("precinct", "neighborhood", "council_district"):
        out[col] = (places[col].to_numpy(dtype=object, na_value=None) if col in places
                    else np.full(n, None, object))
    return out


def assign_places(chunk: Chunk, cfg: IngestConfig, assigner: Assigner | None,
                  rej: Rejects) -> dict[str, np.ndarray]:
    n = len(chunk.frame)
    if cfg.points is not None and assigner is not None:
        return _place_from_points(chunk, cfg, assigner, rej)
    empty = np.full(n, None, object)
    if cfg.district is None:
        return {"district": np.full(n, CITYWIDE, object), "precinct": empty, "neighborhood": empty,
                "council_district": empty}
    district = required(resolve(chunk.frame, cfg.district), rej)
    return {"district": district, "precinct": empty, "neighborhood": empty, "council_district": empty}


def with_boundary_codes(cfg: IngestConfig, geo_dir: Path) -> IngestConfig:
    """A district column's codes that equal the city's boundary ids match them directly.

    Compared the way every label is (trimmed, case-folded, ``normalize_label``), so a city
    whose export writes the boundary file's own ids ("A12", " a12 ") needs no place map at
    all; the map is for exceptions and renamings, and wins where it names a code. Codes
    that are neither an id nor in the map stay unknown: rejected, counted, and the most
    frequent named in the summary. A city without a district boundary layer keeps its map.
    """
    from dashboard.geo.web import layer_exists, load_web_layer

    place = cfg.district
    if place is None or not place.sources:
        return cfg
    if not layer_exists(geo_dir, cfg.city.id, DISTRICT_LAYER):
        maps = [source.values for source in place.sources]  # noqa: PD011 - ValueMaps, not pandas
        if any(not (m.entries or m.any_other or m.blank) for m in maps):
            raise IngestError(
                f"{cfg.path.name}: [ingest.place] has no map and {Path(geo_dir) / cfg.city.id} has no "
                f"{DISTRICT_LAYER} layer whose ids the codes could be: run `crisis-dashboard geo-build "
                f"--city {cfg.city.id}` first, or map the codes")
        return cfg
    ids = [area.id for area in load_web_layer(geo_dir, cfg.city.id, DISTRICT_LAYER)]
    sources = []
    for source in place.sources:
        given = source.values  # noqa: PD011 - a ValueMap, not pandas
        direct = {normalize_label(i): i for i in ids if normalize_label(i) not in given.defer}
        sources.append(replace(source, values=replace(given, entries={**direct, **given.entries})))
    return replace(cfg, district=replace(place, sources=tuple(sources)))


def load_assigner(cfg: IngestConfig, geo_dir: Path) -> Assigner | None:
    if cfg.points is None:
        return None
    from dashboard.geo.assign import Assigner

    source = Path(geo_dir) / cfg.points.boundaries / "source"
    if not source.is_dir():
        raise IngestError(f"{cfg.path.name} assigns points with boundaries {cfg.points.boundaries!r} "
                          f"but {source} does not exist")
    return Assigner.for_city(Path(geo_dir), cfg.points.boundaries)
