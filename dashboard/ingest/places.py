"""Where each call happened: points assigned to areas, a district column, or city-wide.

Points (longitude/latitude) are assigned with the city's boundary files
(``dashboard.geo.assign.Assigner``, imported lazily: only cities with points need it);
a city without points maps a district column through a value map, or puts every call
city-wide. Missing, impossible and outside-the-city points are rejected (or, as the
config says, placed city-wide) here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from dashboard.contract.schema import CITYWIDE
from dashboard.ingest.accounting import Reason, Rejects
from dashboard.ingest.config_spec import IngestConfig
from dashboard.ingest.input_format import IngestError
from dashboard.ingest.readers import Chunk
from dashboard.ingest.values import as_numbers, blank_cells, required, resolve

if TYPE_CHECKING:
    from dashboard.geo.assign import Assigner


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


def load_assigner(cfg: IngestConfig, geo_dir: Path) -> Assigner | None:
    if cfg.points is None:
        return None
    from dashboard.geo.assign import Assigner

    source = Path(geo_dir) / cfg.points.boundaries / "source"
    if not source.is_dir():
        raise IngestError(f"{cfg.path.name} assigns points with boundaries {cfg.points.boundaries!r} "
                          f"but {source} does not exist")
    return Assigner.for_city(Path(geo_dir), cfg.points.boundaries)
