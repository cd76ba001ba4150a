"""The release builder: files, manifest, checksums, privacy of every output, atomic pointer."""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from dashboard.contract.releases import ReleaseError, current_release_dir, read_release_info
from dashboard.contract.schema import (
    CALLS_COLUMN_NAMES,
    CITYWIDE,
    CUBE_PRECINCT,
    CUBES,
    ROLLUP_COUNTS,
    ROLLUP_MINUTES,
    UNKNOWN_AREA,
)
from dashboard.publish import privacy
from dashboard.publish.data_dictionary import data_dictionary
from dashboard.publish.release import build_release
from dashboard.publish.release_rows import public_rows

from ..conftest import tiny_internal_frame

FORBIDDEN = {"received_hour", "precinct", "neighborhood", "council_district", "person_key", "lon", "lat"}


def test_release_files_and_manifest(tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    manifest = json.loads((path / "manifest.json").read_text())
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((path / name).read_bytes()).hexdigest() == meta["sha256"], name
    rows = manifest["rows"]
    assert rows["read"] == rows["accepted"] + rows["rejected"] == 70
    assert rows["published"] + rows["withheld"] == rows["accepted"]
    assert rows["generalized_time"] == 12  # the two 6-call disturbance weeks
    # Every other class (week x district x category x program x backup) has 11 or 12 calls
    # and at most 2 arrests in 12: nothing climbs further up the ladder.
    assert rows["generalized_category"] == rows["generalized_place"] == rows["withheld"] == 0
    assert manifest["privacy"]["k"] == 11
    assert {"week", "district", "call_category", "response_type", "police_backup"} <= set(
        manifest["privacy"]["quasi_identifiers"])
    assert manifest["synthetic"] is True
    assert read_release_info(path).release_id == manifest["release_id"] == path.name


def test_public_rows_follow_the_contract_and_carry_no_identifier(tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    calls = pd.read_parquet(path / "calls.parquet")
    assert tuple(calls.columns) == CALLS_COLUMN_NAMES
    csv = pd.read_csv(path / "calls.csv")
    assert tuple(csv.columns) == CALLS_COLUMN_NAMES and len(csv) == len(calls)
    assert not FORBIDDEN & set(calls.columns)
    assert privacy.class_size_violations(calls, 11) == 0
    assert calls["call_id"].is_unique
    # weeks are Mondays unless generalized to a month
    weekly = calls[calls["time_grain"] == "week"]
    assert (pd.to_datetime(weekly["week"]).dt.day_of_week == 0).all()
    month_rows = calls[calls["time_grain"] == "month"]
    assert (pd.to_datetime(month_rows["week"]).dt.day == 1).all() and len(month_rows) == 12


def test_rollups_are_exact_aggregates_of_the_rows(tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    calls = pd.read_parquet(path / "calls.parquet")
    rollup = pd.read_parquet(path / f"{ROLLUP_COUNTS.name}.parquet")
    assert rollup["n"].sum() == len(calls)
    by_type = rollup.groupby("response_type")["n"].sum().to_dict()
    assert by_type == calls["response_type"].value_counts().to_dict()


def test_precinct_cube_hides_small_cells_and_their_complements(tmp_path):
    """The tiny fixture's precinct cells all hold 11 or 12 calls, so 12 more STAR calls in
    district 1 (a class of their own, week of 16 January) are added, 3 of them in precinct
    112: district 1's eligible STAR calls are then 21 in 111 and 3 in 112. The 3 are hidden,
    and 111 with them, or 24 (public: the rows' count) minus 21 would give them back."""
    frame = tiny_internal_frame()
    more = frame[(frame["district"] == "1") & (frame["response_type"] == "STAR")].assign(
        received_hour=pd.Timestamp("2023-01-17 11:00"))
    more["precinct"] = ["111"] * 9 + ["112"] * 3
    info = build_release(pd.concat([frame, more], ignore_index=True), tmp_path, city="denver", source="x",
                         synthetic=True, k=11, seed=7)
    assert json.loads((info.path / "manifest.json").read_text())["rows"]["withheld"] == 0
    cube = pd.read_parquet(info.path / f"{CUBE_PRECINCT.name}.parquet")
    published = cube[~cube["suppressed"]]
    assert ((published["n"] == 0) | (published["n"] >= 11)).all()
    assert cube.loc[cube["suppressed"], "n"].isna().all()
    group = cube[(cube["district"] == "1") & (cube["response_type"] == "STAR")]
    assert set(group["precinct"]) == {"111", "112"}
    assert group["suppressed"].all()
    # Cells no small count needs hidden stay published: district 2's are all 0 or 11-12.
    assert not cube.loc[cube["district"] == "2", "suppressed"].any()
    margin = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    hidden_per_group = cube.groupby(margin)["suppressed"].sum()
    assert not (hidden_per_group == 1).any()


def test_missing_columns_fail_before_anything_is_written(tmp_path):
    frame = tiny_internal_frame().drop(columns=["outcome"])
    with pytest.raises(ReleaseError, match="outcome"):
        build_release(frame, tmp_path, city="denver", source="x", synthetic=True)
    assert not (tmp_path / "denver").exists() or not any((tmp_path / "denver").iterdir())


def test_a_failed_build_keeps_the_previous_release_current(tmp_path, monkeypatch):
    good = build_release(tiny_internal_frame(), tmp_path, city="denver", source="x", synthetic=True)

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("dashboard.publish.release_rows.write_rollups", boom)
    frame = tiny_internal_frame()
    frame["response_minutes"] = frame["response_minutes"] + 1
    with pytest.raises(OSError, match="disk full"):
        build_release(frame, tmp_path, city="denver", source="x", synthetic=True, seed=99)
    assert current_release_dir(tmp_path, "denver") == good.path
    assert [p.name for p in (tmp_path / "denver").iterdir() if p.is_dir()] == [good.release_id]


def test_data_dictionary_covers_every_column():
    names = [c["name"] for c in data_dictionary()["calls"]]
    assert tuple(names) == CALLS_COLUMN_NAMES


# -- the DuckDB build equals the pandas reference -----------------------------------------


def random_internal_frame(n: int, seed: int) -> pd.DataFrame:
    """Internal rows with every kind of value: small and big classes, NULL minutes and
    reasons, calls without a precinct (in a district, or placed citywide), a column that must
    never be published."""
    from dashboard.contract.schema import CallCategory, Outcome, ResponseType, UnansweredReason

    rng = np.random.default_rng(seed)
    hours = pd.Timestamp("2022-12-26") + pd.to_timedelta(rng.integers(0, 24 * 7 * 40, n), unit="h")
    district = rng.choice(["1", "2", "3", "citywide"], n, p=[0.5, 0.3, 0.15, 0.05])
    precinct = np.where(district == "citywide", None,
                        np.char.add(district.astype(str), rng.choice(["11", "12", "13"], n)))
    minutes = pd.array(rng.integers(1, 90, n), dtype="Int32")
    minutes[rng.random(n) < 0.1] = pd.NA
    reason = pd.array(rng.choice([r.value for r in UnansweredReason], n), dtype="string")
    reason[rng.random(n) < 0.7] = pd.NA
    frame = pd.DataFrame({
        "jurisdiction": "denver",
        "received_hour": hours,
        "district": district,
        "precinct": pd.array(precinct, dtype="string"),
        "neighborhood": None,
        "council_district": None,
        "call_category": rng.choice([c.value for c in CallCategory], n, p=[0.4, 0.2, 0.1, 0.1, 0.1, 0.04,
                                                                          0.03, 0.02, 0.01]),
        "star_eligible": rng.random(n) < 0.4,
        "response_type": rng.choice([r.value for r in ResponseType], n),
        "response_minutes": minutes,
        "outcome": rng.choice([o.value for o in Outcome], n),
        "police_backup": rng.random(n) < 0.05,
        "unanswered_reason": reason,
        "repeat_contact_90d": rng.random(n) < 0.2,
        "person_key": pd.array(np.char.mod("p%07d", rng.integers(0, 500, n)), dtype="string"),
        "caller_phone": "303-555-0100",
    })
    frame.loc[rng.random(n) < 0.03, "precinct"] = pd.NA  # drawn last: earlier columns keep their draws
    return frame


def reference_calls_parquet(internal: pd.DataFrame, path, k: int, seed: int):
    """The pandas reference rows, written by the same Parquet writer as the builder."""
    import pyarrow as pa

    from dashboard.contract.sql import calls_arrow_schema
    from dashboard.publish.release_rows import _write_calls_parquet, reference_rows

    rows, stats = reference_rows(internal, k, seed)
    body = pa.schema([f for f in calls_arrow_schema() if f.name != "call_id"])
    table = pa.Table.from_pandas(rows.drop(columns=["call_id"]), schema=body, preserve_index=False)
    _write_calls_parquet([table], path, np.random.default_rng(seed))
    return rows, stats


def published_internal(internal: pd.DataFrame, k: int) -> pd.DataFrame:
    """The internal rows of the calls the rows publish, with their published (generalized)
    week, district and category, computed in pandas: the projection and ladder of the
    reference rows (``privacy.k_anonymize``) with precinct and minutes carried along."""
    rows = public_rows(internal)
    rows["precinct"] = internal["precinct"].astype("string").to_numpy()
    rows["response_minutes"] = internal["response_minutes"].astype("Int32").to_numpy()
    published, _ = privacy.k_anonymize(rows, k)
    return published


def expected_precinct_counts(published: pd.DataFrame) -> pd.DataFrame:
    """Calls per year x district x precinct x program x eligibility of the published calls
    placed in a district; a call with no precinct counts under ``unknown``."""
    placed = published[published["district"] != CITYWIDE]
    keys = ["year", "district", "precinct", "response_type", "star_eligible"]
    counts = placed.assign(year=pd.to_datetime(placed["week"]).dt.year.astype("int32"),
                           precinct=placed["precinct"].fillna(UNKNOWN_AREA)).groupby(keys).size()
    return counts.rename("true_n").reset_index().astype({"district": "string", "precinct": "string",
                                                         "response_type": "string"})


def expected_minutes(published: pd.DataFrame) -> pd.DataFrame:
    """``rollup_minutes`` recomputed in pandas: the published calls with a time, by month and
    the rows' (generalized) district, category and program, per whole minute."""
    timed = published.dropna(subset=["response_minutes"])
    month = pd.to_datetime(timed["week"]).dt.to_period("M").dt.start_time.dt.date
    keys = ["jurisdiction", "month", "district", "call_category", "response_type", "response_minutes"]
    counts = timed.assign(month=month).groupby(keys).size().rename("n").reset_index()
    return counts.sort_values(keys).reset_index(drop=True)


@pytest.mark.parametrize("k", [5, 11])
def test_duckdb_build_equals_the_pandas_reference(tmp_path, k):
    lone = tiny_internal_frame().head(1).assign(received_hour=pd.Timestamp("2031-05-07 03:00"))
    internal = pd.concat([tiny_internal_frame(), random_internal_frame(6000, seed=k), lone],
                         ignore_index=True)
    info = build_release(internal, tmp_path / "releases", city="denver", source="x", synthetic=True,
                         k=k, seed=42)
    ref_rows, ref_stats = reference_calls_parquet(internal, tmp_path / "reference.parquet", k, 42)

    calls = pd.read_parquet(info.path / "calls.parquet")
    assert calls["call_id"].tolist() == ref_rows["call_id"].tolist()  # same ids, same order
    assert (info.path / "calls.parquet").read_bytes() == (tmp_path / "reference.parquet").read_bytes()
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert {f: manifest["rows"][f] for f in ref_stats.__dataclass_fields__} == vars(ref_stats)
    assert manifest["rows"]["published"] == len(ref_rows) == len(calls)
    assert ref_stats.generalized_time > 0 and ref_stats.withheld > 0  # the ladder was exercised
    # The other tables count exactly those calls (issue 12), recomputed here in pandas.
    published = published_internal(internal, k)
    assert len(published) == len(calls)
    minutes = pd.read_parquet(info.path / f"{ROLLUP_MINUTES.name}.parquet")
    keys = list(ROLLUP_MINUTES.dims)
    pd.testing.assert_frame_equal(minutes.sort_values(keys).reset_index(drop=True),
                                  expected_minutes(published), check_dtype=False)
    cube = pd.read_parquet(info.path / f"{CUBE_PRECINCT.name}.parquet")
    keys = ["year", "district", "precinct", "response_type", "star_eligible"]
    both = cube.merge(expected_precinct_counts(published), on=keys, how="outer", indicator=True)
    assert (both["_merge"] != "right_only").all()  # every call's cell is in the cube
    both["true_n"] = both["true_n"].fillna(0)
    shown = both[~both["suppressed"].astype(bool)]
    assert (shown["n"] == shown["true_n"]).all()  # a published cell is its exact count
    small = both["true_n"].between(1, k - 1)
    assert both.loc[small, "suppressed"].all()  # a small cell is hidden
    assert cube["suppressed"].any() and (~cube["suppressed"]).any()
    assert UNKNOWN_AREA in set(cube["precinct"])  # calls without a precinct are counted too


def test_a_parquet_file_builds_the_same_release_as_a_frame(tmp_path):
    internal = random_internal_frame(3000, seed=3)
    from_frame = build_release(internal, tmp_path / "a", city="denver", source="x", synthetic=True, seed=9)
    parquet = tmp_path / "internal.parquet"
    internal.to_parquet(parquet, index=False)
    from_file = build_release(parquet, tmp_path / "b", city="denver", source="x", synthetic=True, seed=9)
    a = json.loads((from_frame.path / "manifest.json").read_text())
    b = json.loads((from_file.path / "manifest.json").read_text())
    assert a["files"] == b["files"] and a["rows"] == b["rows"]
    assert from_frame.release_id == from_file.release_id


def test_no_column_outside_the_contract_reaches_any_file(tmp_path):
    internal = random_internal_frame(2000, seed=4)
    info = build_release(internal, tmp_path, city="denver", source="x", synthetic=True)
    for path in info.path.iterdir():
        if path.suffix == ".parquet":
            columns = set(pd.read_parquet(path).columns)
            # A suppressed cube may hold the finer place it is declared with, nothing else.
            cube = {f"{t.name}.parquet": t for t in CUBES}.get(path.name)
            allowed = set(cube.dims) if cube is not None and cube.suppressed else set()
            assert not columns & (FORBIDDEN | {"caller_phone"}) - allowed, path.name
        text = path.read_bytes()
        assert b"555-0100" not in text and b"caller_phone" not in text, path.name


# -- refusing bad internal data, versioned folders, leftovers ----------------------------


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda f: f.assign(district=f["district"].where(f.index > 3, None)),
         "4 rows where district is empty"),
        (lambda f: f.assign(outcome=f["outcome"].where(f.index > 0, "booked")),
         "outcome is not one of the contract's values \\(e.g. 'booked'\\)"),
        (lambda f: f.assign(received_hour=f["received_hour"].dt.tz_localize("America/Denver")), "time zone"),
        (lambda f: f.assign(response_minutes=f["response_minutes"].astype(float) + 0.5), "whole number"),
        (lambda f: f.assign(star_eligible="maybe"), "cannot be read as the contract's types"),
    ],
    ids=["null-district", "unknown-outcome", "tz-aware", "fractional-minutes", "not-a-bool"],
)
def test_internal_data_that_cannot_make_a_valid_release_is_refused_by_name(tmp_path, change, message):
    with pytest.raises(ReleaseError, match=message):
        build_release(change(tiny_internal_frame()), tmp_path, city="denver", source="x", synthetic=True)
    assert not [p for p in (tmp_path / "denver").iterdir()]  # nothing written, nothing left


def test_rebuilding_never_overwrites_a_published_release(tmp_path):
    first = build_release(tiny_internal_frame(), tmp_path, city="denver", source="x", synthetic=True)
    again = build_release(tiny_internal_frame(), tmp_path, city="denver", source="x", synthetic=True)
    assert again.release_id == first.release_id  # identical: the folder is reused as is
    other = build_release(tiny_internal_frame(), tmp_path, city="denver", source="y", synthetic=True)
    assert other.release_id == f"{first.release_id}-2"  # same rows, new manifest: a new folder
    assert current_release_dir(tmp_path, "denver") == other.path
    assert json.loads((first.path / "manifest.json").read_text())["source"] == "x"
    assert sorted(p.name for p in (tmp_path / "denver").iterdir()) == sorted(
        ["CURRENT", first.release_id, other.release_id])


def test_a_successful_build_removes_leftovers_of_dead_builds_only(tmp_path):
    city_dir = tmp_path / "denver"
    dead = city_dir / ".building-999999999-dead"
    live = city_dir / f".building-{os.getpid()}-concurrent"
    (dead / "sub").mkdir(parents=True)
    live.mkdir()
    (city_dir / ".building-999999999-x.CURRENT").write_text("half")
    build_release(tiny_internal_frame(), tmp_path, city="denver", source="x", synthetic=True)
    assert not dead.exists() and not (city_dir / ".building-999999999-x.CURRENT").exists()
    assert live.exists()


def test_a_program_whose_every_call_is_withheld_is_named_never_counted(tmp_path, shipped_settings):
    """Issue 14: a program all of whose calls the privacy rules withheld read "0 calls".
    The manifest names such programs (no count: it could be small) and the Overview's
    program table says "withheld" for them."""
    from dashboard.views.program_table import program_table

    frame = tiny_internal_frame()
    frame = frame[frame["response_type"] != "CO_RESPONDER"]
    few = frame.iloc[:2].copy()  # two co-responder calls: a class far under k, withheld
    few["response_type"], few["star_eligible"], few["unanswered_reason"] = "CO_RESPONDER", False, None
    info = build_release(pd.concat([frame, few], ignore_index=True), tmp_path, city="denver", source="t",
                         synthetic=True, k=11, seed=1)
    manifest = json.loads((info.path / "manifest.json").read_text())
    assert manifest["privacy"]["programs_all_withheld"] == ["CO_RESPONDER"]
    assert info.withheld_programs == {"CO_RESPONDER"} and manifest["rows"]["withheld"] >= 2
    shipped = read_release_info(current_release_dir(shipped_settings.releases_dir, "denver"))
    assert shipped.withheld_programs == frozenset()
    counts = pd.DataFrame({"response_type": ["STAR", "CO_RESPONDER"], "calls": [23, 0]})
    minutes = pd.DataFrame(columns=["response_type", "median", "p90", "n"])
    rows = program_table(counts, minutes, 23, "en", {}, info.withheld_programs).rows
    assert rows[0][1] == "23" and rows[1][1].startswith("withheld for privacy")
    assert program_table(counts, minutes, 23, "en", {}).rows[1][1] == "0"  # a real zero stays 0
