"""``crisis-dashboard geo-build``: source boundaries -> populations + simplified web files.

For one city (``geo/<city>/source/`` with its ``layers.toml``) this:

1. loads, repairs and validates every layer at full resolution (``boundaries``);
2. gives every layer a 2020 population: the layer that has counted population
   (Denver: the 78 statistical neighborhoods) keeps it; every other layer gets it by
   area-weighted interpolation of that layer (overlay in a metric CRS). A city's
   boundaries need not carry population: with no such layer every layer's is left
   empty (null), and per-capita measures are not published;
3. writes ``web/<layer>.geojson``: coverage-cleaned, coverage-simplified (shared edges
   stay shared, so no gaps or slivers appear between neighbours on the map), back in
   lon/lat, rounded to 5 decimals (~1 m), compact JSON, features in natural id order;
4. writes ``population.csv`` beside ``web/`` (layer, id, name, population).

The outputs are checked in: the app reads them and never runs geopandas overlays at
request time. Rebuilding from the same sources gives byte-identical files.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import numpy.typing as npt
import pandas as pd
import shapely

from dashboard.geo.boundaries import (
    CitySources,
    GeoValidationError,
    LayerSpec,
    area_km2,
    find_problems,
    id_sort_key,
    load_city_layers,
    read_sources,
)
from dashboard.settings import Settings

#: Simplification tolerance in metres (Visvalingam-Whyatt, roughly the side of the
#: largest triangle removed). 25 m keeps every block-scale turn of a district edge while
#: shrinking each Denver layer to a few KB gzip (docs/architecture.md "Payload").
SIMPLIFY_TOLERANCE_M = 25.0
#: 5 decimals of a degree is ~1.1 m north-south and ~0.85 m east-west at Denver: far
#: below the simplification error, and each coordinate costs 2 bytes less than at 6.
COORD_DECIMALS = 5
#: Gaps between neighbours narrower than this (metres) are closed in the web files.
#: The derived precincts leave ~130 sliver gaps up to ~15 m wide (0.05 km² in all: an
#: artifact of how they were built, not land outside every precinct) that would show as
#: pinholes on the map; real enclaves (the smallest in Denver is ~3,700 m²) are wider
#: and stay holes. Measured: 20 m closes them all and changes no official layer.
COVERAGE_GAP_WIDTH_M = 20.0
#: A source area at least this much covered by the target layer counts as fully covered
#: for interpolation (Denver's least-covered neighborhood: 96% by the precincts).
SLIVER_COVERAGE = 0.9
#: Interpolated totals must be this close to the census count or the build fails.
POPULATION_TOLERANCE = 0.01


@dataclass(frozen=True)
class LayerSummary:
    """What the build wrote for one layer (returned to the CLI and the tests)."""

    layer: str
    features: int
    population: int | None  # None: the city's boundaries carry no population
    population_source: str  # "counted", "interpolated from <layer>" or "none"
    path: Path
    bytes: int
    gzip_bytes: int
    vertices: int


def build_city_geo(source_dir: Path, web_dir: Path, *, population_csv: Path | None = None) -> dict[str, Any]:
    """Build every web layer and the population table of one city; return a summary.

    ``population_csv`` defaults to ``web_dir.parent / "population.csv"`` (``geo/<city>/``).
    Raises :class:`GeoValidationError` (nothing is written) when a source layer, an
    interpolated total or a simplified layer fails its checks.
    """
    sources = read_sources(source_dir)
    layers = load_city_layers(sources)
    populations = _populations(sources, layers)
    _check_population_totals(sources, populations)

    web = {
        spec.layer: _web_layer(sources, spec, layers[spec.layer], populations[spec.layer])
        for spec in sources.layers
    }

    web_dir.mkdir(parents=True, exist_ok=True)
    summaries = []
    for spec in sources.layers:
        path = web_dir / f"{spec.layer}.geojson"
        payload = _feature_collection(web[spec.layer])
        _write_atomic(path, payload)
        summaries.append(
            LayerSummary(
                layer=spec.layer,
                features=len(web[spec.layer]),
                population=_total(populations[spec.layer]),
                population_source=_population_source(sources, spec),
                path=path,
                bytes=len(payload),
                gzip_bytes=len(gzip.compress(payload, mtime=0)),
                vertices=int(
                    shapely.get_num_coordinates(
                        np.asarray(web[spec.layer].geometry.array, dtype=object)
                    ).sum()
                ),
            )
        )

    csv_path = population_csv or web_dir.parent / "population.csv"
    _write_population_csv(csv_path, sources, web)
    return {
        "layers": {s.layer: s for s in summaries},
        "population_csv": csv_path,
        "census_population": sources.census_population,
    }


# --- population -------------------------------------------------------------------------


def _population_layer(sources: CitySources) -> LayerSpec | None:
    """The one layer with counted population, or None: a city's boundaries need not carry
    any (issue 14), and then per-capita measures are not published (the map says why)."""
    counted = [s for s in sources.layers if s.counts_population]
    if len(counted) > 1:
        raise GeoValidationError(
            str(sources.source_dir),
            [f"at most one layer may name a population_field or population_table, found {len(counted)}"],
        )
    return counted[0] if counted else None


def _population_source(sources: CitySources, spec: LayerSpec) -> str:
    base = _population_layer(sources)
    if base is None:
        return "none"
    return "counted" if spec.counts_population else f"interpolated from {base.layer}"


def _total(population: pd.Series | None) -> int | None:
    return None if population is None else int(population.sum())


def _populations(sources: CitySources, layers: dict[str, gpd.GeoDataFrame]) -> dict[str, pd.Series | None]:
    """Population per feature id (int Series indexed by id) for every layer; None for
    every layer when no layer counts population."""
    base_spec = _population_layer(sources)
    if base_spec is None:
        return {spec.layer: None for spec in sources.layers}
    base = layers[base_spec.layer]
    if base["population"].isna().any():
        missing = ", ".join(base.loc[base["population"].isna(), "id"])
        raise GeoValidationError(base_spec.layer, [f"no population for id(s) {missing}"])
    out = {
        base_spec.layer: pd.Series(base["population"].astype("int64").to_numpy(), index=base["id"].to_numpy())
    }
    for spec in sources.layers:
        if spec.layer != base_spec.layer:
            out[spec.layer] = interpolate_population(base, layers[spec.layer], sources.projected_crs)
    return out


def interpolate_population(
    source: gpd.GeoDataFrame, target: gpd.GeoDataFrame, projected_crs: str
) -> pd.Series:
    """Areal interpolation of ``source.population`` onto ``target`` (int per target id).

    Each source area's people are shared among the target areas it overlaps in
    proportion to overlap area, i.e. assuming people are spread evenly within a
    neighborhood. The denominator is the part of the source area that the target layer
    covers, not its whole area: the layers were digitized separately and disagree along
    the city edge by slivers (up to ~4% of a small neighborhood), which are digitizing
    noise, not unpopulated land; dividing by the whole area would lose ~800 people
    there. A neighborhood the target layer covers less than ``SLIVER_COVERAGE`` of is
    really cut off, not sliver-trimmed, and keeps its full area as the denominator.
    Shares are rounded by largest remainder so the integers keep the exact total.
    """
    src = source[["id", "population", "geometry"]].rename(columns={"id": "_src"})
    tgt = target[["id", "geometry"]]
    pieces = gpd.overlay(
        src.to_crs(projected_crs), tgt.to_crs(projected_crs), how="intersection", keep_geom_type=True
    )
    pieces["_area"] = pieces.geometry.area
    covered = pieces.groupby("_src")["_area"].transform("sum")
    whole = pieces["_src"].map(dict(zip(src["_src"], area_km2(src, projected_crs) * 1e6, strict=True)))
    # Slivers are noise; a neighborhood the target layer only partly covers is not.
    denominator = covered.where(covered >= SLIVER_COVERAGE * whole, whole)
    pieces["_people"] = pieces["population"].astype("float64") * pieces["_area"] / denominator
    shares = pieces.groupby("id")["_people"].sum().reindex(target["id"], fill_value=0.0)
    total = round(float(shares.sum()))
    return pd.Series(round_preserving_total(shares.to_numpy(), total), index=shares.index.to_numpy())


def round_preserving_total(values: npt.ArrayLike, total: int) -> npt.NDArray[np.int64]:
    """Integers close to ``values`` that sum exactly to ``total`` (largest remainder).

    Independent rounding of 36 precinct shares drifts the sum by a few people, which
    would make the districts, precincts and council districts disagree on the city
    total in the published CSV.
    """
    v = np.asarray(values, dtype=np.float64)
    base = np.floor(v).astype(np.int64)
    short = int(total - base.sum())
    if short > 0:
        order = np.lexsort((np.arange(v.size), -(v - base)))  # stable on ties
        base[order[:short]] += 1
    elif short < 0:
        order = np.lexsort((np.arange(v.size), v - base))
        base[order[:-short]] -= 1
    return base


def _check_population_totals(sources: CitySources, populations: dict[str, pd.Series | None]) -> None:
    if sources.census_population is None or any(p is None for p in populations.values()):
        return
    census = sources.census_population
    problems = [
        f"{layer}: population {int(pop.sum()):,} is more than {POPULATION_TOLERANCE:.0%} "
        f"off the census total {census:,}"
        for layer, pop in populations.items()
        if abs(int(pop.sum()) - census) > POPULATION_TOLERANCE * census
    ]
    if problems:
        raise GeoValidationError(str(sources.source_dir), problems)


# --- simplified web layers --------------------------------------------------------------


def simplify_coverage(
    geoms: npt.ArrayLike, projected_crs: str, tolerance_m: float = SIMPLIFY_TOLERANCE_M
) -> npt.NDArray[np.object_]:
    """Clean, coverage-simplify (in metres) and round a lon/lat polygon coverage.

    ``coverage_simplify`` only keeps shared edges shared if they were identical to start
    with; Denver's published layers have overlaps and edges whose vertices do not match
    (the derived precincts overlap by ~0.05 km²), so ``coverage_clean`` snaps them into
    a proper coverage first: overlaps and sliver gaps narrower than
    ``COVERAGE_GAP_WIDTH_M`` go to the neighbour with the longest shared border.
    Rounding maps equal vertices to equal vertices, so shared edges stay shared.
    """
    series = gpd.GeoSeries(np.asarray(geoms, dtype=object), crs="EPSG:4326")
    metric = np.asarray(series.to_crs(projected_crs).array, dtype=object)
    cleaned = shapely.coverage_clean(metric, gap_width=COVERAGE_GAP_WIDTH_M)
    simplified = shapely.coverage_simplify(cleaned, tolerance_m)
    lonlat = np.asarray(gpd.GeoSeries(simplified, crs=projected_crs).to_crs("EPSG:4326").array, dtype=object)
    rounded = shapely.transform(lonlat, lambda xy: np.round(xy, COORD_DECIMALS))
    return rounded


def _web_layer(
    sources: CitySources, spec: LayerSpec, gdf: gpd.GeoDataFrame, population: pd.Series | None
) -> gpd.GeoDataFrame:
    """The web version of one layer: simplified geometry plus the published properties."""
    area = area_km2(gdf, sources.projected_crs)
    out = gpd.GeoDataFrame(
        {
            "id": gdf["id"].to_numpy(),
            "name": gdf["name"].to_numpy(),
            "population": (np.full(len(gdf), None, dtype=object) if population is None
                           else population.reindex(gdf["id"].to_numpy()).to_numpy(dtype=np.int64)),
            "area_km2": np.round(area, 2),
        },
        geometry=simplify_coverage(gdf.geometry.array, sources.projected_crs),
        crs="EPSG:4326",
    )
    problems = []
    if spec.district_field is not None:
        out["district"] = gdf["district"].to_numpy()
        mismatch = out.loc[out["district"] != out["id"].str[0], "id"].tolist()
        if mismatch:
            problems.append(f"district is not the first digit of id for {', '.join(mismatch)}")
    if spec.approximate:
        out["approximate"] = True
    problems += find_problems(out, expected_count=spec.expected_count, region=sources.region)
    if problems:
        raise GeoValidationError(f"{spec.layer} (simplified)", problems)
    order = sorted(range(len(out)), key=lambda i: id_sort_key(out["id"].iloc[i]))
    return out.iloc[order].reset_index(drop=True)


def _feature_collection(gdf: gpd.GeoDataFrame) -> bytes:
    """Compact GeoJSON bytes with exactly the published properties, in a fixed order."""
    keys = [
        k for k in ("id", "name", "population", "area_km2", "district", "approximate") if k in gdf.columns
    ]
    features = []
    for row, geom in zip(gdf[keys].itertuples(index=False), gdf.geometry.array, strict=True):
        props = {k: _plain(v) for k, v in zip(keys, row, strict=True)}
        features.append({"type": "Feature", "properties": props, "geometry": shapely.geometry.mapping(geom)})
    doc = {"type": "FeatureCollection", "features": features}
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode("utf-8") + b"\n"


def _plain(value: object) -> object:
    """numpy/pandas scalars as the JSON types they stand for."""
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    if value is pd.NA:
        return None
    return value


def _write_atomic(path: Path, payload: bytes) -> None:
    """Write then rename, so a reader (or a failed build) never sees half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def _write_population_csv(path: Path, sources: CitySources, web: dict[str, gpd.GeoDataFrame]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["layer", "id", "name", "population"])
        for spec in sources.layers:
            for row in web[spec.layer][["id", "name", "population"]].itertuples(index=False):
                people = "" if row.population is None else int(row.population)  # blank: none known
                writer.writerow([spec.layer, row.id, row.name, people])
    os.replace(tmp, path)


# --- CLI --------------------------------------------------------------------------------


def summary_lines(summary: dict[str, Any]) -> list[str]:
    """Human-readable lines for the CLI (kept separate so tests need not capture stdout)."""
    census = summary.get("census_population")
    lines = []
    for s in summary["layers"].values():
        versus = ""
        if census and s.population is not None:
            versus = f" ({(s.population - census) / census:+.2%} vs census {census:,})"
        population = "     none" if s.population is None else f"{s.population:>9,}"
        lines.append(
            f"{s.layer:<18} {s.features:>3} features  population {population}{versus}  "
            f"{s.bytes / 1024:6.1f} KB ({s.gzip_bytes / 1024:.1f} KB gzip), "
            f"{s.vertices:,} vertices  [{s.population_source}]"
        )
    lines.append(f"population table: {summary['population_csv']}")
    return lines


def main(args: argparse.Namespace, settings: Settings) -> int:
    """Entry point of ``crisis-dashboard geo-build --city <id>``."""
    city_dir = Path(settings.geo_dir) / args.city
    try:
        summary = build_city_geo(city_dir / "source", city_dir / "web")
    except (GeoValidationError, FileNotFoundError) as exc:
        print(f"geo-build {args.city}: {exc}", file=sys.stderr)  # noqa: T201 - CLI error report
        return 1
    print(f"geo-build {args.city}: wrote {city_dir / 'web'}")  # noqa: T201
    for line in summary_lines(summary):
        print(f"  {line}")  # noqa: T201 - the CLI's summary
    return 0
