"""The district-view cubes: exact before suppression, complete grids, protected margins."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.data import privacy
from dashboard.data.release import build_release
from dashboard.data.schema import (
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_SERVICE,
    RESPONSE_BANDS,
)
from dashboard.data.validate import validate_release

K = 11


def internal_frame(n: int, seed: int) -> pd.DataFrame:
    """Internal rows with council districts and time on task, spread over two years."""
    from tests.unit.test_release import random_internal_frame

    rng = np.random.default_rng(seed)
    frame = random_internal_frame(n, seed)
    council = rng.choice(["1", "2", "3", "4", None], n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    frame["council_district"] = pd.array(council, dtype="string")
    busy = pd.array(rng.integers(20, 240, n), dtype="Int32")
    busy[frame["response_type"].to_numpy() != "STAR"] = pd.NA
    frame["busy_minutes"] = busy
    return frame


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    internal = internal_frame(6000, seed=11)
    info = build_release(internal, tmp_path_factory.mktemp("cubes"), city="denver", source="x",
                         synthetic=True, k=K)
    return internal, info.path


def _monday_year(received: pd.Series) -> pd.Series:
    day = pd.to_datetime(received).dt.normalize()
    return (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.year


def test_the_release_with_the_new_cubes_validates(release):
    _, path = release
    assert validate_release(path, k=K) == []


def test_coverage_cells_are_the_eligible_calls_by_weekday_and_hour(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_COVERAGE.name}.parquet")
    eligible = internal[internal["star_eligible"]]
    received = pd.to_datetime(eligible["received_hour"])
    expected = (
        pd.DataFrame({"year": _monday_year(eligible["received_hour"]), "weekday": received.dt.day_of_week,
                      "hour": received.dt.hour, "district": eligible["district"]})
        .groupby(["year", "weekday", "hour"]).size()
    )
    city = cube[cube["area_type"] == "city"].set_index(["year", "weekday", "hour"])
    published = city[~city["suppressed"]]
    got = published["n"].astype(int)
    assert (got == expected.reindex(got.index, fill_value=0)).all()
    # Hidden cells are the small ones (or complements), never a cell of k or more alone.
    assert len(city) == 168 * city.index.get_level_values("year").nunique()
    for _, group in cube.groupby(["year", "area_type", "area"]):
        assert len(group) == 168


def test_coverage_district_and_council_margins_each_have_zero_or_two_hidden_cells(release):
    _, path = release
    cube = pd.read_parquet(path / f"{CUBE_COVERAGE.name}.parquet")
    assert cube["suppressed"].any(), "the fixture should exercise suppression"
    for margin in CUBE_COVERAGE.margins:
        hidden = cube.groupby(list(margin))["suppressed"].agg(["sum", "size"])
        assert not ((hidden["sum"] == 1) & (hidden["size"] > 1)).any(), margin
    assert set(cube.loc[cube["area_type"] == "council", "area"]) == {"1", "2", "3", "4"}


def test_council_measures_each_split_the_same_calls(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_COUNCIL.name}.parquet")
    placed = internal[internal["council_district"].notna()]
    totals = placed.assign(year=_monday_year(placed["received_hour"])).groupby(
        ["year", "council_district", "response_type"]).size()
    for measure, part in cube.groupby("measure"):
        keys = ["year", "council_district", "response_type"]
        published = part[~part["suppressed"]].groupby(keys)["n"].sum()
        hidden = part.groupby(keys)["suppressed"].sum()
        gap = totals.reindex(hidden.index, fill_value=0) - published.reindex(hidden.index, fill_value=0)
        # Hidden cells hold exactly the calls the published ones do not.
        assert (gap >= 0).all(), measure
        assert (gap[hidden == 0] == 0).all(), measure
    # A published cell is the exact count: outcomes per district, year and program.
    outcomes = cube[(cube["measure"] == "outcome") & ~cube["suppressed"]]
    exact = placed.assign(year=_monday_year(placed["received_hour"])).groupby(
        ["year", "council_district", "response_type", "outcome"]).size()
    for row in outcomes.itertuples():
        assert row.n == exact.get((row.year, row.council_district, row.response_type, row.value), 0)
    bands = set(cube.loc[cube["measure"] == "response_band", "value"])
    assert bands <= set(RESPONSE_BANDS)
    for margin in CUBE_COUNCIL.margins:
        hidden = cube.groupby(list(margin))["suppressed"].agg(["sum", "size"])
        assert not ((hidden["sum"] == 1) & (hidden["size"] > 1)).any(), margin


def test_service_time_is_total_minutes_of_the_calls_with_a_time(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_SERVICE.name}.parquet")
    timed = internal[internal["busy_minutes"].notna()]
    expected = timed.assign(year=_monday_year(timed["received_hour"])).groupby(
        ["year", "response_type"])["busy_minutes"].agg(["size", "sum"])
    assert set(cube["response_type"]) == {"STAR"}
    for row in cube.itertuples():
        size, total = expected.loc[(row.year, row.response_type)]
        if size < K:
            assert row.suppressed and pd.isna(row.n) and pd.isna(row.busy_minutes)
        else:
            assert (row.n, row.busy_minutes) == (size, total)


def test_two_margins_hide_complements_until_no_group_has_a_lone_hidden_cell():
    # 3 areas x 3 hours. One small cell (a, hour 0). Area a then needs a complement: its
    # smallest other cell (a, 1). Hours 0 and 1 now each have one hidden cell, so each
    # hides its smallest other cell: (b, 0) and (b, 1). Every area and hour ends with
    # zero or two hidden cells.
    cells = [("a", 0, 3), ("a", 1, 12), ("a", 2, 50), ("b", 0, 30), ("b", 1, 20), ("b", 2, 60),
             ("c", 0, 40), ("c", 1, 45), ("c", 2, 70)]
    cube = pd.DataFrame(cells, columns=["area", "hour", "n"])
    out = privacy.suppress_cells_margins(cube, K, [["area"], ["hour"]])
    hidden = {(r.area, r.hour) for r in out.itertuples() if r.suppressed}
    assert hidden == {("a", 0), ("a", 1), ("b", 1), ("b", 0)}
    for keys in (["area"], ["hour"]):
        counts = out.groupby(keys)["suppressed"].sum()
        assert not (counts == 1).any()
    assert out.loc[out["suppressed"], "n"].isna().all()


def test_margin_suppression_ignores_input_order():
    rng = np.random.default_rng(5)
    cube = pd.DataFrame({"area": np.repeat(list("abcd"), 6), "hour": np.tile(range(6), 4),
                         "n": rng.integers(0, 30, 24)})
    a = privacy.suppress_cells_margins(cube, K, [["area"], ["hour"]])
    b = privacy.suppress_cells_margins(cube.sample(frac=1, random_state=1), K, [["area"], ["hour"]])
    key = ["area", "hour"]
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                  b.sort_values(key).reset_index(drop=True))
