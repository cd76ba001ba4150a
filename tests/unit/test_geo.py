"""The geography layer on Denver's real boundary files and 10,000 real crime points.

Everything expensive (loading layers, building the web files into a temporary folder,
the assigner, the crime sample) is built once per module.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import shutil
import time
from itertools import combinations
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from dashboard.geo import boundaries, web
from dashboard.geo.assign import Assigner
from dashboard.geo.boundaries import GeoValidationError, LayerSpec
from dashboard.geo.build import build_city_geo, main, round_preserving_total, summary_lines
from dashboard.settings import REPO_ROOT, Settings

GEO_DIR = REPO_ROOT / "geo"
SOURCE_DIR = GEO_DIR / "denver" / "source"
WEB_DIR = GEO_DIR / "denver" / "web"
CRIME_SAMPLE = REPO_ROOT / "tests" / "fixtures" / "denver_crime_points_sample.csv"
LAYERS = ("districts", "precincts", "neighborhoods", "council_districts")
EXPECTED_COUNTS = {"districts": 7, "precincts": 36, "neighborhoods": 78, "council_districts": 11}
CENSUS_2020 = 715_522
NEIGHBORHOOD_POPULATION_2020 = 715_878
PRECINCT_IDS = {
    "111", "112", "113", "121", "122", "123", "211", "212", "213", "221", "222", "223",
    "311", "312", "313", "314", "321", "322", "323", "324", "411", "412", "421", "422",
    "423", "511", "512", "521", "522", "523", "611", "612", "621", "622", "623", "759",
}  # fmt: skip
GLENDALE = (-104.937, 39.706)  # an enclave: a hole in every Denver layer
UTM13N = "EPSG:26913"


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sources() -> boundaries.CitySources:
    return boundaries.read_sources(SOURCE_DIR)


@pytest.fixture(scope="module")
def raw_layers(sources: boundaries.CitySources) -> dict[str, gpd.GeoDataFrame]:
    """As published: loaded and normalized, not repaired."""
    return {s.layer: boundaries.load_layer(SOURCE_DIR / s.file, s) for s in sources.layers}


@pytest.fixture(scope="module")
def layers(sources: boundaries.CitySources) -> dict[str, gpd.GeoDataFrame]:
    return boundaries.load_city_layers(sources)


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path]:
    """A fresh build into a temporary folder (the checked-in files must equal it)."""
    out = tmp_path_factory.mktemp("geo") / "denver"
    summary = build_city_geo(SOURCE_DIR, out / "web")
    return summary, out


@pytest.fixture(scope="module")
def web_layers() -> dict[str, gpd.GeoDataFrame]:
    """The checked-in web files, as the app ships them."""
    return {name: gpd.read_file(WEB_DIR / f"{name}.geojson") for name in LAYERS}


@pytest.fixture(scope="module")
def assigner() -> Assigner:
    return Assigner.for_city(GEO_DIR, "denver")


@pytest.fixture(scope="module")
def crimes(assigner: Assigner) -> pd.DataFrame:
    """The 10k real offenses with DPD's labels (as text) and our assignment beside them."""
    df = pd.read_csv(
        CRIME_SAMPLE,
        encoding="utf-8-sig",  # the upstream extract can start with a BOM
        dtype={"DISTRICT_ID": "string", "PRECINCT_ID": "string", "NEIGHBORHOOD_ID": "string"},
        usecols=["GEO_LON", "GEO_LAT", "DISTRICT_ID", "PRECINCT_ID", "NEIGHBORHOOD_ID"],
    )
    got = assigner.assign(df["GEO_LON"].to_numpy(), df["GEO_LAT"].to_numpy())
    return pd.concat([df, got], axis=1)


def _metric_area(geoms: object) -> np.ndarray:
    return gpd.GeoSeries(geoms, crs="EPSG:4326").to_crs(UTM13N).area.to_numpy()


# --- source layers: load, repair, validate ---------------------------------------------


def test_source_layers_load_with_normalized_ids_and_names(raw_layers):
    assert set(raw_layers) == set(LAYERS)
    for name, gdf in raw_layers.items():
        assert gdf.crs.to_epsg() == 4326, name
        assert {"id", "name", "geometry"} <= set(gdf.columns), name
        assert all(isinstance(i, str) for i in gdf["id"]), name
    assert set(raw_layers["districts"]["id"]) == {str(i) for i in range(1, 8)}
    assert set(raw_layers["precincts"]["id"]) == PRECINCT_IDS
    assert set(raw_layers["neighborhoods"]["id"]) == {str(i) for i in range(1, 79)}
    assert set(raw_layers["council_districts"]["id"]) == {str(i) for i in range(1, 12)}
    names = {n: dict(zip(g["id"], g["name"], strict=True)) for n, g in raw_layers.items()}
    assert names["districts"]["3"] == "District 3"
    assert names["precincts"]["311"] == "Precinct 311"
    assert names["council_districts"]["4"] == "Council district 4"
    assert "Auraria" in names["neighborhoods"].values()
    precincts = raw_layers["precincts"]
    assert (precincts["district"] == precincts["id"].str[0]).all()


def test_district_3_is_invalid_as_published_and_valid_after_repair(raw_layers, layers):
    raw = raw_layers["districts"].set_index("id").geometry
    assert not raw["3"].is_valid
    assert raw.drop("3").is_valid.all()  # only district 3 is broken
    fixed = layers["districts"].set_index("id").geometry
    assert fixed["3"].is_valid
    # Repair must read the nested rings as holes: Glendale is not Denver.
    assert not fixed["3"].intersects(shapely.Point(GLENDALE))
    assert _metric_area([fixed["3"]])[0] / 1e6 == pytest.approx(87.81, abs=0.05)


def test_every_layer_valid_after_repair_with_expected_counts(layers, sources):
    for name, gdf in layers.items():
        assert len(gdf) == EXPECTED_COUNTS[name], name
        assert gdf.is_valid.all(), name
        assert set(gdf.geom_type) <= {"Polygon", "MultiPolygon"}, name
        assert gdf["id"].is_unique, name
        assert sources.spec(name).expected_count == EXPECTED_COUNTS[name]


def test_repair_keeps_only_polygonal_parts():
    square_with_spike = shapely.Polygon([(0, 0), (2, 0), (3, 0), (2, 0), (2, 2), (0, 2)])
    assert shapely.make_valid(square_with_spike).geom_type == "GeometryCollection"
    bowtie = shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)])
    gdf = gpd.GeoDataFrame({"id": ["1", "2"]}, geometry=[square_with_spike, bowtie], crs=4326)
    fixed = boundaries.repair(gdf)
    assert list(fixed.geom_type) == ["Polygon", "MultiPolygon"]
    assert fixed.is_valid.all()
    assert fixed.geometry.iloc[0].area == pytest.approx(4.0)
    assert gdf.geometry.iloc[1] is bowtie  # the input frame is not modified


def test_validate_lists_every_problem_at_once():
    ok = shapely.box(-105.0, 39.7, -104.99, 39.71)
    gdf = gpd.GeoDataFrame(
        {"id": ["1", "1", None, "4", "5"]},
        geometry=[
            ok,
            ok,
            ok,
            shapely.Polygon([(0, 0), (1, 1), (1, 0), (0, 1)]),  # bowtie, far from Denver
            shapely.Polygon(),
        ],
        crs="EPSG:26913",
    )
    with pytest.raises(GeoValidationError) as info:
        boundaries.validate(gdf, layer="bad", expected_count=7, region=(-106, 39, -104, 40))
    err = info.value
    assert isinstance(err, ValueError)
    text = "\n".join(err.problems)
    for expected in ("not lon/lat", "5 features, expected 7", "duplicate id(s) 1",
                     "missing id in row(s) 2", "id 4: invalid geometry", "id 5: empty geometry",
                     "outside the expected region"):  # fmt: skip
        assert expected in text
    assert len(err.problems) == 7
    assert str(err).startswith("bad: 7 problem(s)")


def test_validate_passes_a_good_layer_and_load_normalizes_ids(tmp_path):
    doc = {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"N": 3.0 if i else None, "label": f" A{i} "},
             "geometry": shapely.geometry.mapping(shapely.box(-105 + i / 10, 39.7, -104.95 + i / 10, 39.75))}  # noqa: E501
            for i in range(2)
        ],
    }  # fmt: skip
    path = tmp_path / "t.geojson"
    path.write_text(json.dumps(doc))
    gdf = boundaries.load_layer(path, LayerSpec("t", "t.geojson", "N", name_field="label"))
    assert gdf["id"].isna().tolist() == [True, False]
    assert gdf["id"].iloc[1] == "3"  # not "3.0"
    assert gdf["name"].tolist() == ["A0", "A1"]
    with pytest.raises(GeoValidationError, match="missing id"):
        boundaries.validate(gdf)
    assert boundaries.validate(gdf.iloc[1:], expected_count=1) is not None
    with pytest.raises(GeoValidationError, match="missing field 'NOPE'"):
        boundaries.load_layer(path, LayerSpec("t", "t.geojson", "NOPE"))
    with pytest.raises(FileNotFoundError, match="missing.geojson"):
        boundaries.load_layer(tmp_path / "missing.geojson", LayerSpec("t", "x", "N"))


# --- web files --------------------------------------------------------------------------


def test_checked_in_web_files_match_a_fresh_build(rebuilt):
    summary, out = rebuilt
    for name in LAYERS:
        fresh = (out / "web" / f"{name}.geojson").read_bytes()
        assert fresh == (WEB_DIR / f"{name}.geojson").read_bytes(), (
            f"geo/denver/web/{name}.geojson is stale: run `crisis-dashboard geo-build`"
        )
    checked_in = GEO_DIR / "denver" / "population.csv"
    assert (out / "population.csv").read_bytes() == checked_in.read_bytes()
    assert set(summary["layers"]) == set(LAYERS)


def test_web_files_are_valid_compact_and_carry_the_published_properties(web_layers):
    for name, gdf in web_layers.items():
        text = (WEB_DIR / f"{name}.geojson").read_text(encoding="utf-8")
        assert "\n " not in text and '": ' not in text, f"{name} is not compact JSON"
        assert not re.search(r"\d\.\d{6,}", text), f"{name} has more than 5 decimals"
        assert len(gdf) == EXPECTED_COUNTS[name]
        assert gdf.is_valid.all() and not gdf.is_empty.any(), name
        doc = json.loads(text)
        for feature in doc["features"]:
            props = feature["properties"]
            assert isinstance(props["id"], str) and props["name"], name
            assert isinstance(props["population"], int) and props["population"] >= 0, name
            assert isinstance(props["area_km2"], float) and props["area_km2"] > 0, name
            assert round(props["area_km2"], 2) == props["area_km2"]
            if name == "precincts":
                assert props["approximate"] is True
                assert props["district"] == props["id"][0]
            else:
                assert "approximate" not in props and "district" not in props


def test_districts_and_precincts_fit_the_payload_budget():
    size = sum((WEB_DIR / f"{n}.geojson").stat().st_size for n in ("districts", "precincts"))
    assert size < 200 * 1024, f"districts + precincts = {size / 1024:.0f} KB"


@pytest.mark.parametrize("name", LAYERS)
def test_simplification_keeps_the_coverage(name, web_layers, layers):
    simplified = np.asarray(web_layers[name].to_crs(UTM13N).geometry.array, dtype=object)
    original = layers[name].to_crs(UTM13N).union_all()
    union = shapely.union_all(simplified)
    assert union.area == pytest.approx(original.area, rel=0.01)
    assert union.symmetric_difference(original).area < 0.01 * original.area
    tree = shapely.STRtree(simplified)
    left, right = tree.query(simplified, predicate="intersects")
    pairs = [(i, j) for i, j in zip(left, right, strict=True) if i < j]
    assert pairs, "neighbouring areas must touch"
    overlap = [shapely.intersection(simplified[i], simplified[j]).area for i, j in pairs]
    assert max(overlap) < 1.0, f"{name}: neighbours overlap by {max(overlap):.1f} m²"
    # shared edges stay shared, and no sliver gaps between neighbours: the only holes
    # left are real enclaves (Glendale, Holly Hills...), the smallest ~3,700 m²
    holes = [shapely.Polygon(r).area for p in shapely.get_parts(union) for r in p.interiors]
    assert 5 <= len(holes) <= 12
    assert min(holes) > 1000, f"{name}: a {min(holes):.0f} m² gap between neighbours"


# --- populations ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["districts", "precincts", "council_districts"])
def test_interpolated_populations_add_up_to_the_census(name, web_layers):
    total = int(web_layers[name]["population"].sum())
    assert total == pytest.approx(CENSUS_2020, rel=0.01)
    # and exactly to the neighborhoods' own total: nobody lost in slivers or rounding
    assert total == NEIGHBORHOOD_POPULATION_2020
    assert (web_layers[name]["population"] > 0).all()


def test_neighborhood_population_is_the_counted_one(web_layers):
    assert int(web_layers["neighborhoods"]["population"].sum()) == NEIGHBORHOOD_POPULATION_2020


def test_airport_district_has_a_small_population(web_layers):
    pop = dict(zip(web_layers["districts"]["id"], web_layers["districts"]["population"],
                   strict=True))  # fmt: skip
    assert pop["7"] < 0.01 * CENSUS_2020
    assert all(pop[d] > 40_000 for d in "123456")


def test_population_csv_matches_the_web_files(web_layers):
    table = pd.read_csv(GEO_DIR / "denver" / "population.csv", dtype={"id": str})
    assert list(table.columns) == ["layer", "id", "name", "population"]
    for name, gdf in web_layers.items():
        rows = table[table["layer"] == name]
        assert dict(zip(rows["id"], rows["population"], strict=True)) == dict(
            zip(gdf["id"], gdf["population"], strict=True)
        )


def test_round_preserving_total():
    assert round_preserving_total([0.5, 0.5, 0.5, 0.5], 2).tolist() == [1, 1, 0, 0]
    assert round_preserving_total([1.4, 2.4, 3.4], 6).tolist() == [1, 2, 3]
    assert round_preserving_total([1.25, 2.5, 3.25], 7).tolist() == [1, 3, 3]
    assert round_preserving_total([1.25, 2.5, 3.25], 8).tolist() == [2, 3, 3]
    assert round_preserving_total([1.75, 2.5, 3.75], 7).tolist() == [2, 2, 3]  # tie: first
    assert round_preserving_total([1.75, 2.5, 3.75], 5).tolist() == [1, 1, 3]  # over: take


# --- web.load_web_layer -----------------------------------------------------------------


def test_load_web_layer_gives_immutable_cached_areas(web_layers):
    areas = web.load_web_layer(GEO_DIR, "denver", "precincts")
    assert web.load_web_layer(GEO_DIR, "denver", "precincts") is areas
    assert [a.id for a in areas] == sorted(PRECINCT_IDS, key=int)
    first = areas[0]
    with pytest.raises(dataclasses.FrozenInstanceError):
        first.population = 0  # type: ignore[misc]
    assert all(a.approximate and a.district == a.id[0] for a in areas)
    by_id = web_layers["precincts"].set_index("id")
    for area in areas:
        geom = by_id.loc[area.id, "geometry"]
        assert area.population == by_id.loc[area.id, "population"]
        assert geom.contains(shapely.Point(area.label_lon, area.label_lat))
        expected_rings = sum(1 + len(p.interiors) for p in shapely.get_parts(geom))
        assert len(area.rings) == expected_rings
        for lons, lats in area.rings:
            assert isinstance(lons, tuple) and len(lons) == len(lats) >= 4
            assert (lons[0], lats[0]) == (lons[-1], lats[-1])
    districts = web.load_web_layer(GEO_DIR, "denver", "districts")
    three = next(d for d in districts if d.id == "3")
    assert len(three.rings) > 1  # district 3 keeps its enclaves as holes
    assert not three.approximate and three.district is None


def test_missing_web_layer_is_a_clear_error(tmp_path):
    assert web.layer_exists(GEO_DIR, "denver", "districts")
    assert not web.layer_exists(GEO_DIR, "denver", "beats")
    assert not web.layer_exists(GEO_DIR, "grand_junction", "districts")
    with pytest.raises(FileNotFoundError, match="geo-build --city denver"):
        web.load_web_layer(GEO_DIR, "denver", "beats")
    broken = tmp_path / "x" / "web"
    broken.mkdir(parents=True)
    (broken / "districts.geojson").write_text('{"type": "FeatureCollection"}')
    with pytest.raises(web.WebLayerError, match="not a geo-build web layer"):
        web.load_web_layer(tmp_path, "x", "districts")


# --- assignment -------------------------------------------------------------------------


def test_district_assignment_agrees_with_dpd_labels(crimes):
    has_xy = crimes["GEO_LON"].notna() & crimes["GEO_LAT"].notna()
    labelled = has_xy & crimes["DISTRICT_ID"].isin(list("1234567"))
    agree = (crimes.loc[labelled, "district"] == crimes.loc[labelled, "DISTRICT_ID"]).mean()
    print(f"district agreement with DPD DISTRICT_ID: {agree:.2%} of {labelled.sum()}")  # noqa: T201
    assert agree >= 0.97
    # The known systematic difference: precinct 622 is in official polygon 2, labelled 6.
    wrong = labelled & (crimes["district"] != crimes["DISTRICT_ID"])
    assert (crimes.loc[wrong, "PRECINCT_ID"] == "622").mean() > 0.8


def test_precinct_assignment_agrees_with_dpd_labels(crimes):
    """In-sample: the derived precincts were fitted to labelled points of the same extract
    these are a sample of (geo/denver/SOURCE.md), so this bounds how well the polygons
    reproduce their own fit, not how well they place new calls."""
    has_xy = crimes["GEO_LON"].notna() & crimes["GEO_LAT"].notna()
    labelled = has_xy & crimes["PRECINCT_ID"].isin(PRECINCT_IDS)  # drops 999 and data errors
    agree = (crimes.loc[labelled, "precinct"] == crimes.loc[labelled, "PRECINCT_ID"]).mean()
    print(f"precinct agreement with DPD PRECINCT_ID (in-sample): {agree:.2%} of {labelled.sum()}")  # noqa: T201
    assert agree >= 0.95


def test_neighborhood_assignment_agrees_with_dpd_labels(crimes, layers):
    """DPD labels neighborhoods by slug: lower(name), " - "/" / " -> "-", spaces -> "-"."""
    names = layers["neighborhoods"]
    slugs = names["name"].str.lower().str.replace(r" [-/] ", "-", regex=True).str.replace(" ", "-")
    id_of = dict(zip(slugs, names["id"], strict=True))
    has_xy = crimes["GEO_LON"].notna() & crimes["GEO_LAT"].notna()
    labelled = has_xy & crimes["NEIGHBORHOOD_ID"].isin(id_of)
    assert labelled.sum() > 9900  # every slug in the data maps to a neighborhood
    expected = crimes.loc[labelled, "NEIGHBORHOOD_ID"].map(id_of)
    agree = (crimes.loc[labelled, "neighborhood"] == expected).mean()
    assert agree >= 0.99


def test_assignment_result_shape_and_types(crimes, assigner):
    assert assigner.columns == ("district", "precinct", "neighborhood", "council_district")
    for column in assigner.columns:
        assert isinstance(crimes[column].dtype, pd.StringDtype)
        assert crimes[column].dropna().isin(assigner.ids(column)).all()
    no_xy = crimes["GEO_LON"].isna() | crimes["GEO_LAT"].isna()
    assert no_xy.sum() > 0
    assert crimes.loc[no_xy, list(assigner.columns)].isna().all().all()
    # most offenses are in Denver and get all four
    assert crimes[list(assigner.columns)].notna().all(axis=1).mean() > 0.99


def test_points_outside_the_city_get_na(assigner):
    lon = np.array([0.0, -115.46, -105.2062, GLENDALE[0], np.nan, np.inf, -104.99])
    lat = np.array([0.0, 34.64, 39.6652, GLENDALE[1], 39.74, 39.74, 39.74])
    got = assigner.assign(lon, lat)
    assert got.iloc[:6].isna().all().all()
    assert got.iloc[6].tolist() == ["6", "611", "16", "10"]  # Civic Center, downtown
    # nullable pandas columns (what read_csv gives with dtype_backend) work as well
    nullable = assigner.assign(pd.Series(lon, dtype="Float64").where(np.isfinite(lon), pd.NA),
                               pd.Series(lat, dtype="Float64"))  # fmt: skip
    assert nullable.equals(got)
    indexed = assigner.assign(pd.Series(lon, index=range(10, 17)), lat)
    assert indexed.index.tolist() == list(range(10, 17))
    with pytest.raises(ValueError, match="equal length"):
        assigner.assign(lon, lat[:3])


def _border_vertex(gdf: gpd.GeoDataFrame, small: str, big: str) -> tuple[float, float] | None:
    """A vertex of ``big`` lying exactly on the boundary of ``small``, if they share one."""
    by_id = gdf.set_index("id").geometry
    coords = shapely.get_coordinates(by_id[big].boundary)
    on_small = shapely.intersects_xy(by_id[small], coords[:, 0], coords[:, 1])
    inside_small = shapely.contains_xy(by_id[small], coords[:, 0], coords[:, 1])
    hits = np.flatnonzero(on_small & ~inside_small)
    return None if hits.size == 0 else (float(coords[hits[0], 0]), float(coords[hits[0], 1]))


def test_a_point_on_a_shared_border_gets_the_smaller_id_every_time(layers, assigner):
    # Council districts: pick neighbours whose text order differs from numeric order
    # ("10" < "9" as text), so the test also proves ids are compared as numbers.
    council = layers["council_districts"]
    found = None
    for a, b in combinations(sorted(council["id"], key=int), 2):
        if str(a) > str(b):
            vertex = _border_vertex(council, a, b)
            if vertex is not None:
                found = (a, b, vertex)
                break
    assert found is not None, "no shared council border vertex found"
    small, big, (x, y) = found
    by_id = council.set_index("id").geometry
    point = shapely.Point(x, y)
    assert by_id[small].intersects(point) and by_id[big].intersects(point)
    rng = np.random.default_rng(7)
    lon = np.concatenate([[x], rng.uniform(-105.05, -104.75, 500), [x]])
    lat = np.concatenate([[y], rng.uniform(39.65, 39.8, 500), [y]])
    answers = set()
    for order in (np.arange(lon.size), rng.permutation(lon.size), np.arange(lon.size)[::-1]):
        got = assigner.assign(lon[order], lat[order])["council_district"]
        answers |= set(got[(order == 0) | (order == lon.size - 1)])
    assert answers == {small}


def test_smallest_id_rule_on_synthetic_squares():
    left = shapely.box(-105.0, 39.7, -104.9, 39.8)
    right = shapely.box(-104.9, 39.7, -104.8, 39.8)
    gdf = gpd.GeoDataFrame({"id": ["10", "9"]}, geometry=[left, right], crs=4326)
    got = Assigner({"area": gdf}).assign([-104.9, -104.95, -104.85, -104.7], [39.75] * 4)
    assert got["area"].tolist() == ["9", "10", "9", pd.NA]


def test_assignment_matches_geopandas_sjoin(layers, assigner):
    """An independent implementation agrees on points with a single candidate (and on
    points outside every police district: no district)."""
    rng = np.random.default_rng(11)
    lon = rng.uniform(-105.11, -104.6, 20_000)
    lat = rng.uniform(39.61, 39.92, 20_000)
    got = assigner.assign(lon, lat)
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs=4326)
    placed = points.index.isin(gpd.sjoin(points, layers["districts"][["id", "geometry"]],
                                         predicate="intersects").index)
    assert got.loc[~placed, "district"].isna().all()
    for name, column in (("districts", "district"), ("precincts", "precinct")):
        joined = gpd.sjoin(points, layers[name][["id", "geometry"]], predicate="intersects")
        single = joined[~joined.index.duplicated(keep=False)]
        unique = points.index.isin(single.index)
        assert got.loc[unique, column].equals(single["id"].astype("string").reindex(points.index)[unique])


def test_a_point_another_layer_places_takes_the_nearest_polygon_within_500_m():
    """Layers that tile the city differently leave slivers: a point the police-district
    layer places is given another layer's nearest polygon within SNAP_METRES; farther, or
    outside every police district, it stays <NA>."""
    city = shapely.box(-105.0, 39.7, -104.8, 39.8)
    west = shapely.box(-105.0, 39.7, -104.9, 39.8)
    east = shapely.box(-104.895, 39.7, -104.85, 39.8)  # a ~430 m gap, then nothing east of -104.85
    assigner = Assigner({"district": gpd.GeoDataFrame({"id": ["A"]}, geometry=[city], crs=4326),
                         "council": gpd.GeoDataFrame({"id": ["2", "1"]}, geometry=[west, east], crs=4326)})
    lon = [-104.8985, -104.8965, -104.81, -104.7]
    got = assigner.assign(lon, [39.75] * 4)
    assert got["council"].tolist() == ["2", "1", pd.NA, pd.NA]
    assert got["district"].tolist() == ["A", "A", "A", pd.NA]


def test_assigns_a_million_points_without_a_per_point_loop(assigner):
    rng = np.random.default_rng(3)
    lon = rng.uniform(-105.11, -104.6, 1_000_000)
    lat = rng.uniform(39.61, 39.92, 1_000_000)
    start = time.perf_counter()
    got = assigner.assign(lon, lat)
    elapsed = time.perf_counter() - start
    assert len(got) == 1_000_000
    assert 0.2 < got["district"].notna().mean() < 0.4  # the city fills ~27% of its bbox
    # Budgets live in the benchmarks; this only catches a per-point Python loop (~minutes).
    assert elapsed < 20, f"{elapsed:.1f} s for 1M points"


def test_for_city_is_cached_per_process(assigner):
    assert Assigner.for_city(GEO_DIR, "denver") is assigner
    assert Assigner.for_city(Path(str(GEO_DIR) + "/"), "denver") is assigner


# --- CLI --------------------------------------------------------------------------------


def test_main_builds_into_settings_geo_dir_and_reports(tmp_path, capsys):
    shutil.copytree(SOURCE_DIR, tmp_path / "denver" / "source")
    settings = Settings(geo_dir=tmp_path)
    assert main(argparse.Namespace(city="denver"), settings) == 0
    out = capsys.readouterr().out
    assert "districts" in out and "715,878" in out
    assert (tmp_path / "denver" / "web" / "precincts.geojson").is_file()
    assert (tmp_path / "denver" / "population.csv").is_file()
    assert main(argparse.Namespace(city="atlantis"), settings) == 1
    assert "layers.toml" in capsys.readouterr().err


def test_build_refuses_an_invalid_source(tmp_path):
    source = tmp_path / "denver" / "source"
    shutil.copytree(SOURCE_DIR, source)
    manifest = source / "layers.toml"
    manifest.write_text(manifest.read_text().replace("expected_count = 36", "expected_count = 37"))
    with pytest.raises(GeoValidationError, match="36 features, expected 37"):
        build_city_geo(source, tmp_path / "denver" / "web")
    assert not (tmp_path / "denver" / "web").exists()


def test_boundaries_without_population_build_and_per_capita_says_why(tmp_path, capsys):
    """Issue 14: a city's boundary files need carry no population. geo-build writes every
    layer with a null population, the map's per-1,000 rate is withheld with its reason, and
    every other measure works."""
    import pandas as pd

    from dashboard.figures.mapstyle import map_style
    from dashboard.figures.mapvalues import map_metric_values
    from dashboard.views.parts import population_text

    source = tmp_path / "nopop" / "source"
    shutil.copytree(SOURCE_DIR, source)
    manifest = source / "layers.toml"
    text = manifest.read_text()
    text = "".join(line for line in text.splitlines(keepends=True) if not line.startswith("population_field"))
    text = text.replace("census_population = 715522\n", "")
    assert "population_field" not in text
    manifest.write_text(text)
    summary = build_city_geo(source, tmp_path / "nopop" / "web")
    assert {s.population for s in summary["layers"].values()} == {None}
    assert {s.population_source for s in summary["layers"].values()} == {"none"}
    assert "population      none" in "\n".join(summary_lines(summary))
    table = pd.read_csv(tmp_path / "nopop" / "population.csv", dtype=str, keep_default_na=False)
    assert len(table) == 7 + 36 + 78 + 11 and set(table["population"]) == {""}
    districts = web.load_web_layer(tmp_path, "nopop", "districts")
    assert [a.population for a in districts] == [None] * 7 and districts[0].density_km2 == 0.0

    calls = pd.DataFrame({"area_id": [a.id for a in districts], "calls": 100, "eligible": 40,
                          "eligible_answered": 20, "suppressed_cells": 0})
    rates = map_metric_values(calls, districts, "per_1000", 1000)
    assert rates["value"].isna().all() and set(rates["reason"]) == {"no_population"}
    style = map_style(rates, "per_1000", lang="en", show_labels=False)
    assert all("Residents" not in h for h in style.hovertexts)
    assert "boundary files carry none" in style.hovertexts[0]
    counts = map_metric_values(calls, districts, "count", 1000)
    assert counts["value"].tolist() == [100.0] * 7 and set(counts["reason"]) == {""}
    assert population_text(rates["population"].iloc[0], "en") == "—"


def test_population_from_a_census_table_keyed_by_area_id(tmp_path, rebuilt):
    """Issue 14: population may come from a separate table (id, population) instead of a
    field of the boundary file; the build gives the same populations, and an area the
    table lacks is named."""
    import pandas as pd

    source = tmp_path / "census" / "source"
    shutil.copytree(SOURCE_DIR, source)
    manifest = source / "layers.toml"
    text = manifest.read_text().replace(
        'population_field = "POPULATION_2020"', 'population_table = "census_2020.csv"')
    manifest.write_text(text)
    neighborhoods = gpd.read_file(source / "neighborhoods_population.geojson")
    census = pd.DataFrame({"id": neighborhoods["NBHD_ID"].astype(int).astype(str),
                           "population": neighborhoods["POPULATION_2020"].astype(int)})
    census.to_csv(source / "census_2020.csv", index=False)
    summary = build_city_geo(source, tmp_path / "census" / "web")
    original, _ = rebuilt
    for layer, s in summary["layers"].items():
        assert s.population == original["layers"][layer].population, layer
    assert summary["layers"]["neighborhoods"].population_source == "counted"

    census.iloc[1:].to_csv(source / "census_2020.csv", index=False)  # one area missing
    with pytest.raises(GeoValidationError, match=rf"no population for id\(s\) {census['id'].iloc[0]}\b"):
        build_city_geo(source, tmp_path / "census2" / "web")
