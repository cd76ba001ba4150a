"""Areas the cubes carry that are no district: ``citywide`` and ``unknown`` (issue 12).

Since issue 12 the cubes count exactly the published calls, so their cells add up to the
totals the rows publish: ``cube_coverage`` has the police "district" ``citywide`` (calls
the rows place only at city level) and the council district ``unknown`` (calls outside
every council district), ``cube_council`` has ``unknown`` too and ``cube_precinct`` has the
precinct ``unknown`` (calls with no precinct on record). The data layer lists, ranks and
maps districts; none of those may show as one.

Each test first checks that its release really has such cells, so that it cannot pass
for want of them, then that the data layer leaves out exactly those. The shipped Denver
sample has no ``unknown`` council district or precinct (points in a gap between boundary
files go to the nearest area within 500 m), so those tests use a release built from
random rows in which 5% of calls have no council district and some no precinct.
"""

from __future__ import annotations

import shutil

import pytest

from dashboard.contract.schema import CITYWIDE, UNKNOWN_AREA
from dashboard.engine.store import Store
from dashboard.params.filters import Filters, default_filters
from dashboard.queries import district
from dashboard.queries import overview as queries
from dashboard.settings import Settings


@pytest.fixture(scope="module")
def store(shipped_settings: Settings) -> Store:
    return Store(shipped_settings)


@pytest.fixture(scope="module")
def view(store: Store) -> Filters:
    return default_filters(store.catalogs()["denver"])


@pytest.fixture(scope="module")
def unknown_store(tmp_path_factory) -> Store:
    """A release whose cubes have ``unknown`` council districts and precincts."""
    from dashboard.publish.release import build_release
    from dashboard.settings import REPO_ROOT
    from tests.unit.test_cubes import internal_frame

    root = tmp_path_factory.mktemp("unknown-areas")
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    frame = internal_frame(6000, seed=11)
    frame.loc[frame.index[::40], "precinct"] = None
    build_release(frame, root / "releases", city="denver", source="x", synthetic=True, k=11, seed=3)
    return Store(Settings(data_dir=root, privacy_k=11))


@pytest.fixture(scope="module")
def unknown_view(unknown_store: Store) -> Filters:
    catalog = unknown_store.catalogs()["denver"]
    return Filters("denver", catalog.first_month, catalog.last_month)


def cube_values(store: Store, column: str, table: str, f: Filters, where: str = "TRUE",
                params: tuple[object, ...] = ()) -> set[str]:
    """Distinct values of one cube column for Denver over the years ``f`` touches."""
    frame = store.frame(f"SELECT DISTINCT {column} AS v FROM {table} WHERE jurisdiction = 'denver' "
                        f"AND year BETWEEN ? AND ? AND {where}", [f.start.year, f.end.year, *params])
    return set(frame["v"].astype(str))


def test_coverage_areas_are_the_cubes_areas_but_citywide(store, view):
    in_cube = cube_values(store, "area", "cube_coverage", view, "area_type = ?", ("district",))
    assert CITYWIDE in in_cube  # the release has such cells: the test can fail
    areas = district.coverage_areas(store, view, "district")
    assert set(areas["area"]) == in_cube - {CITYWIDE}
    assert len(areas) >= 6


def test_council_coverage_areas_leave_out_unknown(unknown_store, unknown_view):
    in_cube = cube_values(unknown_store, "area", "cube_coverage", unknown_view, "area_type = ?", ("council",))
    assert UNKNOWN_AREA in in_cube
    areas = district.coverage_areas(unknown_store, unknown_view, "council")
    assert set(areas["area"]) == in_cube - {UNKNOWN_AREA}
    assert len(areas) == 4


def test_the_planners_district_shares_spread_over_real_districts_only(store, view):
    """The city's planner weighs the schedule's service areas by each police district's
    share of eligible calls: a share for ``citywide`` would count as outside every area."""
    city = store.cities["denver"]
    inputs = district.planner_inputs(store, view, city, "city", CITYWIDE)
    assert isinstance(inputs.area_share, dict)
    assert CITYWIDE not in inputs.area_share
    assert sum(inputs.area_share.values()) == pytest.approx(1.0)
    areas = district.coverage_areas(store, view, "district")
    assert set(inputs.area_share) == set(areas["area"])
    assert set(areas["area"]) <= set(store.catalogs()["denver"].districts) - {CITYWIDE}


def test_council_districts_leave_out_unknown(unknown_store, unknown_view):
    in_cube = cube_values(unknown_store, "council_district", "cube_council", unknown_view)
    assert UNKNOWN_AREA in in_cube
    listed = district.council_districts(unknown_store, "denver")
    assert listed == ("1", "2", "3", "4")  # in numeric order
    assert set(listed) == in_cube - {UNKNOWN_AREA}


def test_the_shipped_denver_councils_are_its_eleven(store):
    assert district.council_districts(store, "denver") == tuple(str(n) for n in range(1, 12))


def test_the_precinct_map_leaves_out_the_unknown_precinct(unknown_store, unknown_view):
    store, view = unknown_store, unknown_view
    in_cube = cube_values(store, "precinct", "cube_precinct", view)
    assert UNKNOWN_AREA in in_cube
    got = queries.map_values(store, view, "precinct")
    assert set(got["area_id"]) == in_cube - {UNKNOWN_AREA}
    # The known precincts' figures are untouched: each equals its cube cells' published sum.
    cells = store.frame("SELECT precinct, n FROM cube_precinct WHERE jurisdiction = 'denver' "
                        "AND year BETWEEN ? AND ?", [view.start.year, view.end.year])
    sums = cells.groupby("precinct")["n"].sum().astype("int64")
    assert got.set_index("area_id")["calls"].to_dict() == {
        p: int(v) for p, v in sums.items() if p != UNKNOWN_AREA}
