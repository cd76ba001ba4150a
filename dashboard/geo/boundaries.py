"""Load, repair and validate a city's source boundary layers.

Every layer comes out of :func:`load_layer` with the same columns whatever the source
called them: ``id`` (string, e.g. district ``"3"``, precinct ``"311"``), ``name`` (a human
label), optional ``district`` (parent police district) and ``population``, and
``geometry`` in EPSG:4326. Downstream code (build, assign, web) only ever sees these.

Published boundary files are not always valid geometry (Denver's police district 3 has
nested shells as published), and a silently invalid polygon makes overlays and
point-in-polygon tests return wrong answers rather than errors. So every layer goes
through :func:`repair` and then :func:`validate`, which reports *every* problem in one
error so a bad file is fixed in one round trip, not one problem at a time.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

#: Boundary files are GeoJSON, whose coordinates are WGS84 lon/lat (RFC 7946).
LONLAT = "EPSG:4326"
#: UTM zone 13N: metres, good for areas and tolerances around Denver. Cities elsewhere
#: can name another projected CRS in their layers.toml (``projected_crs``).
DEFAULT_PROJECTED_CRS = "EPSG:26913"
MANIFEST = "layers.toml"

_POLYGONAL = ("Polygon", "MultiPolygon")


class GeoValidationError(ValueError):
    """A boundary layer failed validation; ``problems`` lists every reason found."""

    def __init__(self, layer: str, problems: Iterable[str]) -> None:
        self.layer = layer
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"{layer}: {len(self.problems)} problem(s)\n{listed}")


@dataclass(frozen=True)
class LayerSpec:
    """How to read one source layer: which fields hold the id, name, population.

    ``name_template`` (``"District {id}"``) is used when the file has no name field.
    ``approximate`` marks a layer that is not an official boundary (it is carried into
    the web file so every map can say so).
    """

    layer: str
    file: str
    id_field: str
    name_field: str | None = None
    name_template: str = "{id}"
    district_field: str | None = None
    population_field: str | None = None
    #: Or a census table beside the file: a CSV with columns ``id`` and ``population``
    #: (boundary files often carry no population; issue 14).
    population_table: str | None = None
    expected_count: int | None = None
    approximate: bool = False
    assign_column: str | None = None

    @property
    def column(self) -> str:
        """Column name for this layer in an assignment result (``district``...)."""
        return self.assign_column or self.layer

    @property
    def counts_population(self) -> bool:
        """Whether this layer brings counted population (a field, or a census table)."""
        return self.population_field is not None or self.population_table is not None


@dataclass(frozen=True)
class CitySources:
    """A city's source layers as described by ``geo/<city>/source/layers.toml``."""

    source_dir: Path
    layers: tuple[LayerSpec, ...]
    region: tuple[float, float, float, float] | None = None
    census_population: int | None = None
    projected_crs: str = DEFAULT_PROJECTED_CRS

    def spec(self, layer: str) -> LayerSpec:
        for spec in self.layers:
            if spec.layer == layer:
                return spec
        known = ", ".join(s.layer for s in self.layers)
        raise KeyError(f"no layer {layer!r} in {self.source_dir / MANIFEST} (have: {known})")

    def path(self, layer: str) -> Path:
        return self.source_dir / self.spec(layer).file


def read_sources(source_dir: Path) -> CitySources:
    """Parse ``source_dir/layers.toml``; a missing or malformed manifest names the file."""
    manifest = source_dir / MANIFEST
    try:
        raw = tomllib.loads(manifest.read_text(encoding="utf-8"))
    except OSError as exc:
        raise FileNotFoundError(
            f"{manifest}: no boundary manifest ({exc.strerror}); "
            "each city's geo/<city>/source/ needs a layers.toml"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise GeoValidationError(str(manifest), [str(exc)]) from exc
    try:
        layers = tuple(LayerSpec(layer=name, **fields) for name, fields in raw.get("layers", {}).items())
        region = raw.get("region")
        return CitySources(
            source_dir=source_dir,
            layers=layers,
            region=tuple(float(v) for v in region) if region else None,  # type: ignore[arg-type]
            census_population=raw.get("census_population"),
            projected_crs=raw.get("projected_crs", DEFAULT_PROJECTED_CRS),
        )
    except TypeError as exc:
        raise GeoValidationError(str(manifest), [str(exc)]) from exc


def _normalize_ids(values: pd.Series) -> pd.Series:
    """Ids as strings: ``3``, ``3.0`` and ``" 3 "`` are all ``"3"``; blank is <NA>.

    Source files store the same id as int, float (when a null forced the column to
    float) or text; joins across layers and with DPD's labels need one spelling.
    """
    if pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values)
        whole = numbers.dropna()
        if (whole == whole.round()).all():
            out = numbers.astype("Int64").astype("string")
        else:
            out = numbers.astype("string")
    else:
        out = values.astype("string").str.strip()
    return out.mask(out == "", pd.NA)


def load_layer(path: Path, spec: LayerSpec) -> gpd.GeoDataFrame:
    """Read one GeoJSON layer into the normalized columns (not yet repaired or validated).

    A file without a CRS is taken as lon/lat (the GeoJSON standard); a file in another
    CRS is reprojected to EPSG:4326 so every layer downstream shares one CRS.
    """
    if not path.is_file():
        raise FileNotFoundError(f"{path}: boundary file for layer {spec.layer!r} not found")
    raw = gpd.read_file(path)
    missing = [
        f
        for f in (spec.id_field, spec.name_field, spec.district_field, spec.population_field)
        if f is not None and f not in raw.columns
    ]
    if missing:
        raise GeoValidationError(
            f"{spec.layer} ({path.name})",
            [f"missing field {f!r} (fields: {', '.join(map(str, raw.columns))})" for f in missing],
        )
    ids = _normalize_ids(raw[spec.id_field])
    if spec.name_field is not None:
        names = raw[spec.name_field].astype("string").str.strip()
    else:
        names = pd.Series(
            [pd.NA if pd.isna(i) else spec.name_template.format(id=i) for i in ids],
            index=raw.index,
            dtype="string",
        )
    data: dict[str, object] = {"id": ids, "name": names}
    if spec.district_field is not None:
        data["district"] = _normalize_ids(raw[spec.district_field])
    if spec.population_field is not None:
        data["population"] = pd.to_numeric(raw[spec.population_field]).astype("Int64")
    elif spec.population_table is not None:
        data["population"] = _census_population(path.parent / spec.population_table, spec, ids)
    gdf = gpd.GeoDataFrame(data, geometry=raw.geometry.values, crs=raw.crs)
    if gdf.crs is None:
        gdf = gdf.set_crs(LONLAT)
    elif not is_lonlat(gdf.crs):
        gdf = gdf.to_crs(LONLAT)
    return gdf


def _census_population(table: Path, spec: LayerSpec, ids: pd.Series) -> pd.Series:
    """Population per area from a census table keyed by area id (ids compared as the
    boundary ids are: ``_normalize_ids``); an area the table lacks gets none (the build
    then names it)."""
    if not table.is_file():
        raise FileNotFoundError(f"{table}: population table for layer {spec.layer!r} not found")
    census = pd.read_csv(table, dtype=str)
    if not {"id", "population"} <= set(census.columns):
        raise GeoValidationError(f"{spec.layer} ({table.name})",
                                 [f"needs columns id and population (has: {', '.join(census.columns)})"])
    by_id = pd.to_numeric(census["population"], errors="coerce").set_axis(_normalize_ids(census["id"]))
    if by_id.index.duplicated().any():
        dupes = ", ".join(sorted(set(by_id.index[by_id.index.duplicated()].astype(str))))
        raise GeoValidationError(f"{spec.layer} ({table.name})", [f"ids listed twice: {dupes}"])
    return pd.Series(ids.map(by_id).to_numpy(), index=ids.index).astype("Int64")


def is_lonlat(crs: CRS | None) -> bool:
    """True for WGS84 lon/lat as GeoJSON means it (EPSG:4326 or OGC:CRS84)."""
    if crs is None:
        return False
    return crs.to_epsg() == 4326 or crs.equals(CRS.from_user_input("OGC:CRS84"))


def _polygonal_part(geom: shapely.Geometry | None) -> shapely.Geometry:
    """The polygons of a geometry, dropping points and lines that ``make_valid`` can leave."""
    if geom is None or geom.is_empty:
        return shapely.Polygon()
    if geom.geom_type in _POLYGONAL:
        return geom
    parts = [p for p in shapely.get_parts(geom) if p.geom_type in _POLYGONAL]
    if not parts:
        return shapely.Polygon()
    polys = [q for p in parts for q in shapely.get_parts(p)]
    return polys[0] if len(polys) == 1 else shapely.MultiPolygon(polys)


def repair(gdf: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Make every geometry valid, keeping only its polygonal parts.

    Uses ``shapely.make_valid``'s default "linework" method on purpose: it rebuilds areas
    with even-odd (XOR) semantics. Denver's district 3 is published as separate polygons,
    one per ring, so the enclaves it surrounds (Glendale, Holly Hills) are nested shells;
    "linework" turns them back into holes, while the "structure" method would union them
    and wrongly put ~3 km² of other jurisdictions inside the district.
    Valid geometries come back unchanged.
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    fixed = shapely.make_valid(geoms)
    polygonal = [_polygonal_part(g) for g in fixed]
    out = gdf.copy()
    out = out.set_geometry(gpd.GeoSeries(polygonal, index=gdf.index, crs=gdf.crs))
    return out


def find_problems(
    gdf: gpd.GeoDataFrame,
    *,
    expected_count: int | None = None,
    region: tuple[float, float, float, float] | None = None,
) -> list[str]:
    """Every reason ``gdf`` is not a usable boundary layer (empty list when it is)."""
    problems: list[str] = []
    if gdf.crs is None:
        problems.append("no CRS: expected lon/lat (EPSG:4326)")
    elif not is_lonlat(gdf.crs):
        problems.append(f"CRS is {gdf.crs.to_string()}, not lon/lat (EPSG:4326)")

    if expected_count is not None and len(gdf) != expected_count:
        problems.append(f"{len(gdf)} features, expected {expected_count}")

    if "id" not in gdf.columns:
        problems.append("no 'id' column")
        labels = [f"row {i}" for i in range(len(gdf))]
    else:
        ids = gdf["id"].astype("string")
        missing = np.flatnonzero(ids.isna().to_numpy())
        if len(missing):
            problems.append(f"missing id in row(s) {', '.join(map(str, missing))}")
        dup = sorted(set(ids[ids.duplicated(keep=False) & ids.notna()]))
        if dup:
            problems.append(f"duplicate id(s) {', '.join(dup)}")
        labels = [f"row {i}" if pd.isna(v) else f"id {v}" for i, v in enumerate(ids)]

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    for label, geom in zip(labels, geoms, strict=True):
        if geom is None or geom.is_empty:
            problems.append(f"{label}: empty geometry")
        elif geom.geom_type not in _POLYGONAL:
            problems.append(f"{label}: {geom.geom_type}, not a polygon")
        elif not geom.is_valid:
            problems.append(f"{label}: invalid geometry ({shapely.is_valid_reason(geom)})")

    if region is not None and len(gdf) and not gdf.geometry.is_empty.all():
        west, south, east, north = region
        minx, miny, maxx, maxy = gdf.total_bounds
        if not (minx >= west and miny >= south and maxx <= east and maxy <= north):
            problems.append(
                f"bounds ({minx:.4f}, {miny:.4f}, {maxx:.4f}, {maxy:.4f}) fall outside the "
                f"expected region ({west}, {south}, {east}, {north})"
            )
    return problems


def validate(
    gdf: gpd.GeoDataFrame,
    *,
    layer: str = "layer",
    expected_count: int | None = None,
    region: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Return ``gdf`` unchanged, or raise :class:`GeoValidationError` listing every problem."""
    problems = find_problems(gdf, expected_count=expected_count, region=region)
    if problems:
        raise GeoValidationError(layer, problems)
    return gdf


def load_city_layers(sources: CitySources) -> dict[str, gpd.GeoDataFrame]:
    """Load, repair and validate every layer of a city (full source resolution).

    Problems from all layers are gathered into one :class:`GeoValidationError`.
    """
    layers: dict[str, gpd.GeoDataFrame] = {}
    problems: list[str] = []
    for spec in sources.layers:
        gdf = repair(load_layer(sources.source_dir / spec.file, spec))
        found = find_problems(gdf, expected_count=spec.expected_count, region=sources.region)
        problems.extend(f"{spec.layer} ({spec.file}): {p}" for p in found)
        layers[spec.layer] = gdf
    if problems:
        raise GeoValidationError(str(sources.source_dir), problems)
    return layers


def id_sort_key(value: str) -> tuple[int, int, str]:
    """Natural order for ids: numeric ids by number ("2" < "11"), then text ids."""
    return (0, int(value), "") if value.isdigit() else (1, 0, value)


def area_km2(gdf: gpd.GeoDataFrame, projected_crs: str = DEFAULT_PROJECTED_CRS) -> np.ndarray:
    """Area of each feature in km², measured in a metric projected CRS."""
    return gdf.geometry.to_crs(projected_crs).area.to_numpy() / 1e6
