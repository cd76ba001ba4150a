"""Read the simplified web boundary files into immutable values for the map figure.

The map draws each area as a filled scatter trace (works offline, in plotly's basic
bundle and under a strict CSP; see docs/architecture.md "Maps"), so the figure needs plain ring
coordinates, not GeoJSON: every exterior ring and hole as (lons, lats). Joining rings
with ``None`` gaps into one trace is the figure's job.

Results are cached per process and per (geo_dir, city, layer). They are tuples of
frozen dataclasses holding tuples, so a caller cannot change what the next caller gets
(no mutable globals; CONVENTIONS #6).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape

#: (lons, lats) of one closed ring, first point repeated last.
Ring = tuple[tuple[float, ...], tuple[float, ...]]


class WebLayerError(ValueError):
    """A web boundary file is not what ``geo-build`` writes (a missing one is
    ``FileNotFoundError``)."""


@dataclass(frozen=True)
class WebArea:
    """One area of a web layer: its published properties and its rings for drawing."""

    id: str
    name: str
    population: int | None  # None: the city's boundaries carry no population (issue 14)
    area_km2: float
    rings: tuple[Ring, ...]
    label_lon: float
    label_lat: float
    district: str | None = None
    approximate: bool = False

    @property
    def density_km2(self) -> float:
        """Residents per km² (0 for an area of no size or no population)."""
        return self.population / self.area_km2 if self.area_km2 and self.population is not None else 0.0


def web_layer_path(geo_dir: Path, city: str, layer: str) -> Path:
    """Where ``geo-build`` writes ``layer`` for ``city``."""
    return Path(geo_dir) / city / "web" / f"{layer}.geojson"


def layer_exists(geo_dir: Path, city: str, layer: str) -> bool:
    """True when the web file for ``layer`` is there (cities may have no boundaries)."""
    return web_layer_path(geo_dir, city, layer).is_file()


def load_web_layer(geo_dir: Path, city: str, layer: str) -> tuple[WebArea, ...]:
    """The areas of one web layer, in file order (natural id order), cached per process."""
    return _load(Path(geo_dir).resolve(), city, layer)


@functools.cache
def _load(geo_dir: Path, city: str, layer: str) -> tuple[WebArea, ...]:
    path = web_layer_path(geo_dir, city, layer)
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: no {layer!r} boundaries for city {city!r}; "
            f"run `crisis-dashboard geo-build --city {city}`"
        )
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return tuple(_area(feature) for feature in doc["features"])
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WebLayerError(f"{path}: not a geo-build web layer ({exc!r})") from exc


def _area(feature: dict) -> WebArea:
    props = feature["properties"]
    geom = shape(feature["geometry"])
    if geom.geom_type not in ("Polygon", "MultiPolygon") or geom.is_empty:
        raise ValueError(f"area {props.get('id')!r} has {geom.geom_type} geometry")
    rings: list[Ring] = []
    for polygon in shapely.get_parts(geom):
        for ring in (polygon.exterior, *polygon.interiors):
            xs, ys = ring.xy
            rings.append((tuple(xs), tuple(ys)))
    label = geom.representative_point()  # inside the area, unlike a centroid
    district = props.get("district")
    return WebArea(
        id=str(props["id"]),
        name=str(props["name"]),
        population=None if props.get("population") is None else int(props["population"]),
        area_km2=float(props["area_km2"]),
        rings=tuple(rings),
        label_lon=round(label.x, 5),
        label_lat=round(label.y, 5),
        district=None if district is None else str(district),
        approximate=bool(props.get("approximate", False)),
    )
