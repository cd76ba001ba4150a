"""The suppressed cubes: exact over the published calls, complete grids, totals the rows publish."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest

from dashboard.contract.schema import (
    CITYWIDE,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_FOLLOWUP,
    CUBE_NIGHT,
    CUBE_OUTCOME_PERIOD,
    CUBE_POLICE_TIME,
    CUBE_PRECINCT,
    CUBE_SERVICE,
    FOLLOWED_VALUES,
    NIGHT_HOURS,
    NIGHT_REASONS,
    OUTCOME_GROUP_VALUES,
    OUTCOME_GROUPS,
    PERIODS,
    POLICE_ONLY,
    RESPONSE_BANDS,
    UNKNOWN_AREA,
)
from dashboard.publish import privacy
from dashboard.publish.cube_counts import police_time_cube
from dashboard.publish.release import build_release
from dashboard.publish.release_rows import public_rows
from dashboard.publish.validate import validate_release

K = 11
POLICE = [p.value for p in POLICE_ONLY]


def internal_frame(n: int, seed: int) -> pd.DataFrame:
    """Internal rows with council districts and time on task, over one calendar year."""
    from tests.unit.test_release import random_internal_frame

    rng = np.random.default_rng(seed)
    frame = random_internal_frame(n, seed)
    # One whole year (the night cube covers only years the team ran all twelve months).
    hours = pd.Timestamp("2023-01-02") + pd.to_timedelta(rng.integers(0, 24 * 7 * 52, n), unit="h")
    frame["received_hour"] = hours
    council = rng.choice(["1", "2", "3", "4", None], n, p=[0.4, 0.3, 0.15, 0.1, 0.05])
    frame["council_district"] = pd.array(council, dtype="string")
    busy = pd.array(rng.integers(20, 240, n), dtype="Int32")
    busy[frame["response_type"].to_numpy() == "CO_RESPONDER"] = pd.NA  # the team and police alone have one
    frame["busy_minutes"] = busy
    followed = rng.choice([True, False, None], n, p=[0.15, 0.8, 0.05])
    frame["followed_90d"] = pd.array(followed, dtype="boolean")
    return frame


@pytest.fixture(scope="module")
def release(tmp_path_factory):
    internal = internal_frame(8000, seed=11)
    info = build_release(internal, tmp_path_factory.mktemp("cubes"), city="denver", source="x",
                         synthetic=True, k=K)
    return internal, info.path


def published_calls(internal: pd.DataFrame) -> pd.DataFrame:
    """The internal rows of the calls the release publishes, with their published district.

    Worked out independently of the builder: the pandas ladder on the projected rows, with
    each row's position carried along.
    """
    rows = public_rows(internal).assign(_row=np.arange(len(internal)))
    kept, _ = privacy.k_anonymize(rows, K)
    out = internal.iloc[kept["_row"].to_numpy()].copy()
    out["district"] = kept["district"].to_numpy()
    out["call_category"] = kept["call_category"].to_numpy()
    out["week"] = pd.to_datetime(kept["week"]).to_numpy()
    day = pd.to_datetime(out["received_hour"]).dt.normalize()
    out["year"] = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).dt.year
    return out


def test_the_release_with_the_new_cubes_validates(release):
    _, path = release
    assert validate_release(path, k=K) == []


def test_coverage_cells_are_the_published_eligible_calls_by_weekday_and_hour(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_COVERAGE.name}.parquet")
    eligible = published_calls(internal).query("star_eligible")
    received = pd.to_datetime(eligible["received_hour"])
    expected = (eligible.assign(weekday=received.dt.day_of_week, hour=received.dt.hour)
                .groupby(["year", "weekday", "hour"]).size())
    city = cube[cube["area_type"] == "city"].set_index(["year", "weekday", "hour"])
    published = city[~city["suppressed"]]
    got = published["n"].astype(int)
    assert len(got) > 100, "the fixture should publish cells"
    assert (got == expected.reindex(got.index, fill_value=0)).all()
    for _, group in cube.groupby(["year", "area_type", "area"]):
        assert len(group) == 168
    # Police districts as the rows publish them ('citywide' included); council districts
    # with 'unknown' for calls outside every council district.
    assert CITYWIDE in set(cube.loc[cube["area_type"] == "district", "area"])
    assert set(cube.loc[cube["area_type"] == "council", "area"]) == {"1", "2", "3", "4", UNKNOWN_AREA}


def test_night_cells_are_the_published_eligible_calls_by_period_and_reason(release):
    """Issue 15: what became of eligible calls at night (22:00-05:59) and by day, per area,
    worked out in pandas from the internal rows; every period and reason of an area is
    present, and published cells are 0 or at least k (the relations to the coverage and
    council cubes are audited by ``validate``, the test above)."""
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_NIGHT.name}.parquet")
    eligible = published_calls(internal).query("star_eligible")
    hour = pd.to_datetime(eligible["received_hour"]).dt.hour
    reason = eligible["unanswered_reason"].astype("string")
    kept = reason.where(reason.isin(["out_of_hours", "no_team_available"]), "other_reason")
    eligible = eligible.assign(period=np.where(hour.isin(NIGHT_HOURS), "night", "day"),
                               reason=kept.where(reason.notna(), "answered").astype(str))
    for area_type, column in (("city", None), ("council", "council_district")):
        part = cube[cube["area_type"] == area_type]
        assert (part.groupby(["year", "area"]).size() == len(PERIODS) * len(NIGHT_REASONS)).all()
        keys = ["year", "period", "reason"] if column is None else ["year", "area", "period", "reason"]
        frame = eligible if column is None else eligible.assign(
            area=eligible[column].astype("string").fillna(UNKNOWN_AREA))
        expected = frame.groupby(keys).size()
        shown = part[~part["suppressed"]].set_index(keys)["n"].astype(int)
        assert len(shown) >= (4 if column is None else 8), "the fixture should publish cells"
        assert (shown == expected.reindex(shown.index, fill_value=0)).all(), area_type
    assert (cube.loc[~cube["suppressed"], "n"] >= K).sum() + (cube.loc[~cube["suppressed"], "n"] == 0).sum() \
        == int((~cube["suppressed"]).sum())


def test_outcome_period_cells_are_the_published_calls_by_period_and_outcome_group(release):
    """Issue 15: the Outcomes page's day/night split. Every published cell equals the count
    worked out in pandas (``recorded``: the calls with an outcome recorded); every (year,
    program, eligibility) has all periods and groups; a
    published cell is 0 or at least k; where no cell of a (year, program, eligibility,
    group) is hidden, night and day add up to the rows' count."""
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_OUTCOME_PERIOD.name}.parquet")
    calls = published_calls(internal)
    group_of = {o: g for g, outcomes in OUTCOME_GROUPS.items() for o in outcomes}
    hour = pd.to_datetime(calls["received_hour"]).dt.hour
    calls = calls.assign(period=np.where(hour.isin(NIGHT_HOURS), "night", "day"),
                         outcome_group=calls["outcome"].astype(str).map(group_of),
                         response_type=calls["response_type"].astype(str))
    assert calls["outcome_group"].notna().all()
    # ``recorded``: every call with an outcome recorded, counted once more as the total.
    with_outcome = calls[calls["outcome_group"] != "not_recorded"]
    calls = pd.concat([calls, with_outcome.assign(outcome_group="recorded")])
    keys = ["year", "response_type", "star_eligible", "period", "outcome_group"]
    expected = calls.groupby(keys).size()
    assert (cube.groupby(["year", "response_type", "star_eligible"]).size()
            == len(PERIODS) * len(OUTCOME_GROUP_VALUES)).all()
    shown = cube[~cube["suppressed"]].astype({"star_eligible": bool}).set_index(keys)["n"].astype(int)
    assert len(shown) >= 20, "the fixture should publish cells"
    assert (shown == expected.reindex(shown.index, fill_value=0)).all()
    assert ((shown == 0) | (shown >= K)).all()
    assert cube["suppressed"].any(), "the fixture should hide some cells (small night cells)"
    whole = cube.groupby(keys[:3] + ["outcome_group"]).filter(lambda g: not g["suppressed"].any())
    sums = whole.groupby(keys[:3] + ["outcome_group"])["n"].sum()
    rows = calls.groupby(keys[:3] + ["outcome_group"]).size()
    assert len(sums) and (sums == rows.reindex(sums.index, fill_value=0)).all()


def test_every_cube_adds_up_to_the_totals_the_rows_publish(release):
    """Where no cell of a group is hidden, its cells add up to the rows' count exactly:
    the relations the disclosure audit reasons with are true equalities."""
    _, path = release
    con = duckdb.connect()
    con.read_parquet(str(path / "calls.parquet")).create_view("calls")
    rows = con.execute("SELECT year(week) AS year, district, response_type, star_eligible, count(*) AS n "
                       "FROM calls GROUP BY ALL").df()
    precinct = pd.read_parquet(path / f"{CUBE_PRECINCT.name}.parquet")
    assert CITYWIDE not in set(precinct["district"])
    keys = ["year", "district", "response_type", "star_eligible"]
    whole = precinct.groupby(keys).filter(lambda g: not g["suppressed"].any())
    assert len(whole)
    sums = whole.groupby(keys)["n"].sum().reset_index().merge(rows, on=keys, suffixes=("_cube", "_rows"))
    assert (sums["n_cube"] == sums["n_rows"]).all()
    coverage = pd.read_parquet(path / f"{CUBE_COVERAGE.name}.parquet")
    eligible = rows[rows["star_eligible"]].groupby("district")["n"].sum()
    areas = coverage[coverage["area_type"] == "district"].groupby("area").filter(
        lambda g: not g["suppressed"].any()).groupby("area")["n"].sum()
    for area, n in areas.items():
        assert n == eligible[area]


def _council_values(placed: pd.DataFrame) -> dict[str, pd.Series]:
    """Each council measure's category per call, worked out in pandas from the contract."""
    eligible = placed["star_eligible"].astype(bool)
    reason = placed["unanswered_reason"].astype("string")
    answered = eligible & reason.isna()
    why = reason.where(~reason.isin(["safety_screen", "unknown"]), "safety_screen_or_unknown")
    minutes = placed["response_minutes"].astype("Float64")
    band = pd.Series("30+", index=placed.index)
    for low in (0, 10, 20):
        band[(minutes >= low).fillna(False) & (minutes < low + 10).fillna(False)] = f"{low:02d}-{low + 9:02d}"
    return {
        "calls": pd.Series("all", index=placed.index),
        "program": placed["response_type"].astype(str),
        "reason": pd.Series(
            np.where(~eligible, "not_eligible", np.where(answered, "answered", why.fillna(""))),
            index=placed.index),
        "outcome": placed["outcome"].astype(str),
        "repeat_contact_90d": placed["repeat_contact_90d"].map({True: "true", False: "false"}),
        "month": pd.to_datetime(placed["received_hour"]).dt.to_period("W-SUN").dt.start_time
        .dt.strftime("%Y-%m"),
        "response_band": band,
    }


def test_council_cells_are_the_published_calls_split_one_way_at_a_time(release):
    """Every published council cell equals the count worked out in pandas; every measure's
    hidden cells hold exactly what its published ones leave of the district's calls;
    response bands count the alternative team's calls only."""
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_COUNCIL.name}.parquet")
    placed = published_calls(internal)
    placed["council_district"] = placed["council_district"].fillna(UNKNOWN_AREA)
    alt = set(placed.loc[placed["star_eligible"].astype(bool) & placed["unanswered_reason"].isna(),
                         "response_type"].astype(str))
    values = _council_values(placed)
    keys = ["year", "council_district"]
    totals = placed.groupby(keys).size()
    alt_totals = placed[placed["response_type"].astype(str).isin(alt)].groupby(keys).size()
    assert set(cube["measure"]) == set(values)
    for measure, part in cube.groupby("measure"):
        rows = placed[placed["response_type"].astype(str).isin(alt)] if measure == "response_band" else placed
        exact = rows.assign(value=values[measure]).groupby([*keys, "value"]).size()
        shown = part[~part["suppressed"]]
        assert len(shown), measure
        for row in shown.itertuples():
            assert row.n == exact.get((row.year, row.council_district, row.value), 0), (measure, row)
        whole = alt_totals if measure == "response_band" else totals
        published = shown.groupby(keys)["n"].sum()
        hidden = part.groupby(keys)["suppressed"].sum()
        gap = whole.reindex(hidden.index, fill_value=0) - published.reindex(hidden.index, fill_value=0)
        assert (gap >= 0).all(), measure
        assert (gap[hidden == 0] == 0).all(), measure
    assert set(cube.loc[cube["measure"] == "response_band", "value"]) <= set(RESPONSE_BANDS)


def test_service_time_is_total_minutes_of_the_published_calls_with_a_time(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_SERVICE.name}.parquet")
    calls = published_calls(internal)
    timed = calls[calls["busy_minutes"].notna() & ~calls["response_type"].isin(POLICE)]
    expected = timed.groupby(["year", "response_type"])["busy_minutes"].agg(["size", "sum"])
    assert set(cube["response_type"]) == {"STAR"}  # police alone are in cube_police_time
    assert len(cube) == len(expected)
    for row in cube.itertuples():
        size, total = expected.loc[(row.year, row.response_type)]
        if size < K:
            assert row.suppressed and pd.isna(row.n) and pd.isna(row.busy_minutes)
        else:
            assert (row.n, row.busy_minutes) == (size, total)


def test_police_time_is_police_alone_on_eligible_calls_per_category(release):
    """Each cell is the published eligible calls police alone answered with a time, and
    their minutes; a cell under k is hidden; no other file totals these calls' time."""
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_POLICE_TIME.name}.parquet")
    calls = published_calls(internal)
    police = calls["star_eligible"] & calls["response_type"].isin(POLICE)
    timed = calls[calls["busy_minutes"].notna() & police]
    expected = timed.groupby(["year", "call_category"])["busy_minutes"].agg(["size", "sum"])
    assert len(cube) == len(expected) > 3
    for row in cube.itertuples():
        size, total = expected.loc[(row.year, row.call_category)]
        if size < K:
            assert row.suppressed and pd.isna(row.n) and pd.isna(row.busy_minutes)
        else:
            assert not row.suppressed and (row.n, row.busy_minutes) == (size, total)


def test_followup_counts_the_calls_of_the_weeks_whose_90_days_the_data_covers(release):
    internal, path = release
    cube = pd.read_parquet(path / f"{CUBE_FOLLOWUP.name}.parquet")
    calls = published_calls(internal)
    weeks = calls[calls["week"] + pd.Timedelta(days=97) <= calls["week"].max()]
    assert 0 < len(weeks) < len(calls)
    flag = weeks["followed_90d"].map({True: "yes", False: "no"}).fillna("unknown")
    expected = weeks.assign(followed=flag, year=weeks["week"].dt.year).groupby(
        ["year", "response_type", "followed"]).size()
    assert set(cube["followed"]) == set(FOLLOWED_VALUES)
    for row in cube.itertuples():
        size = int(expected.get((row.year, row.response_type, row.followed), 0))
        assert row.suppressed or row.n == size, row
        assert not (0 < size < K) or row.suppressed, row


def test_police_time_hides_cells_under_k_and_counts_police_alone_on_eligible_calls():
    n = 12 + 3 + 20 + 20
    published = pd.DataFrame({
        "jurisdiction": "denver", "week": pd.Timestamp("2023-01-02"),
        "call_category": ["welfare_check"] * 12 + ["mental_health"] * 3 + ["welfare_check"] * 40,
        "star_eligible": [True] * 15 + [False] * 20 + [True] * 20,
        "response_type": ["PATROL"] * 10 + ["CIT_OFFICER"] * 5 + ["PATROL"] * 20 + ["STAR"] * 20,
        "busy_minutes": pd.array([30] * n, dtype="Int32"),
    })
    con = duckdb.connect()
    con.register("published", published)
    cube = police_time_cube(con, K).set_index("call_category")
    assert (cube.loc["welfare_check", "n"], cube.loc["welfare_check", "busy_minutes"]) == (12, 360)
    assert cube.loc["mental_health", "suppressed"] and pd.isna(cube.loc["mental_health", "n"])
    assert not cube.loc["welfare_check", "suppressed"] and len(cube) == 2


def test_the_same_input_in_another_order_gives_the_same_cubes(tmp_path):
    internal = internal_frame(1500, seed=3)
    a = build_release(internal, tmp_path / "a", city="denver", source="x", synthetic=True, k=K, seed=1)
    b = build_release(internal.sample(frac=1, random_state=2), tmp_path / "b", city="denver", source="x",
                      synthetic=True, k=K, seed=1)
    for table in (CUBE_PRECINCT, CUBE_COVERAGE, CUBE_COUNCIL):
        pd.testing.assert_frame_equal(pd.read_parquet(a.path / f"{table.name}.parquet"),
                                      pd.read_parquet(b.path / f"{table.name}.parquet"))


def test_every_relation_the_audit_uses_holds_exactly_on_the_true_counts(tmp_path, monkeypatch):
    """The attacker's system (``cube_system.release_system``) must be true: a relation that
    does not hold (a tie over a year one cube leaves out, a total counted twice) would make
    the audit reason about a different release. Checked on the true counts the builder
    protects, every relation of every audited cube, the outcome cube's included."""
    from dashboard.publish import cube_system, cubes

    seen = {}
    original = cubes.suppress

    def spy(counts, margins, k, key, deep=None):
        seen.update(counts=counts, margins=margins)
        return original(counts, margins, k, key, deep)

    monkeypatch.setattr(cubes, "suppress", spy)
    build_release(internal_frame(4000, seed=5), tmp_path, city="denver", source="x", synthetic=True, k=K)
    frames = {name: frame.assign(suppressed=False) for name, frame in seen["counts"].items()}
    assert not frames[CUBE_OUTCOME_PERIOD.name].empty
    system, where = cube_system.release_system(frames, seen["margins"])
    residual = system.matrix @ np.nan_to_num(system.value) - system.rhs
    assert np.abs(residual).max() < 1e-9
    # The outcome cube is tied into the system, not left floating.
    touched = np.unique(system.matrix.tocoo().col)
    assert np.isin(where.ids[CUBE_OUTCOME_PERIOD.name], touched).all()
