"""The release builder: files, manifest, checksums, privacy of every output, atomic pointer."""

import hashlib
import json
import os

import numpy as np
import pandas as pd
import pytest

from dashboard.data import privacy
from dashboard.data.release import (
    ReleaseError,
    build_release,
    current_release_dir,
    data_dictionary,
    read_release_info,
)
from dashboard.data.schema import CALLS_COLUMN_NAMES, CUBE_PRECINCT, CUBES, ROLLUP_COUNTS

from ..conftest import tiny_internal_frame

FORBIDDEN = {"received_hour", "precinct", "neighborhood", "council_district", "person_key", "lon", "lat"}


def test_release_files_and_manifest(tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    manifest = json.loads((path / "manifest.json").read_text())
    for name, meta in manifest["files"].items():
        assert hashlib.sha256((path / name).read_bytes()).hexdigest() == meta["sha256"], name
    rows = manifest["rows"]
    assert rows["read"] == rows["accepted"] + rows["rejected"] == 48
    assert rows["published"] + rows["withheld"] == rows["accepted"]
    assert rows["generalized_time"] == 12  # the two 6-call disturbance weeks
    assert manifest["privacy"]["k"] == 11
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


def test_precinct_cube_hides_small_cells_and_their_complements(tiny_settings):
    path = current_release_dir(tiny_settings.releases_dir, "denver")
    cube = pd.read_parquet(path / f"{CUBE_PRECINCT.name}.parquet")
    published = cube[~cube["suppressed"]]
    assert published["n"].dropna().between(0, 10).sum() == (published["n"] == 0).sum()
    assert ((published["n"] == 0) | (published["n"] >= 11)).all()
    # district 1 STAR eligible: 8 calls all in 111 -> hidden, with 112's zero as complement
    group = cube[(cube["district"] == "1") & (cube["response_type"] == "STAR")]
    assert set(group["precinct"]) == {"111", "112"}
    assert group["suppressed"].all()
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

    monkeypatch.setattr("dashboard.data.release._write_rollups", boom)
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
    reasons, calls without a precinct, a column that must never be published."""
    from dashboard.data.schema import CallCategory, Outcome, ResponseType, UnansweredReason

    rng = np.random.default_rng(seed)
    hours = pd.Timestamp("2022-12-26") + pd.to_timedelta(rng.integers(0, 24 * 7 * 40, n), unit="h")
    district = rng.choice(["1", "2", "3", "citywide"], n, p=[0.5, 0.3, 0.15, 0.05])
    precinct = np.where(district == "citywide", None,
                        np.char.add(district.astype(str), rng.choice(["11", "12", "13"], n)))
    minutes = pd.array(rng.integers(1, 90, n), dtype="Int32")
    minutes[rng.random(n) < 0.1] = pd.NA
    reason = pd.array(rng.choice([r.value for r in UnansweredReason], n), dtype="string")
    reason[rng.random(n) < 0.7] = pd.NA
    return pd.DataFrame({
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


def reference_calls_parquet(internal: pd.DataFrame, path, k: int, seed: int):
    """The pandas reference rows, written by the same Parquet writer as the builder."""
    import pyarrow as pa

    from dashboard.data.release import _write_calls_parquet, calls_arrow_schema, reference_rows

    rows, stats = reference_rows(internal, k, seed)
    body = pa.schema([f for f in calls_arrow_schema() if f.name != "call_id"])
    table = pa.Table.from_pandas(rows.drop(columns=["call_id"]), schema=body, preserve_index=False)
    _write_calls_parquet([table], path, np.random.default_rng(seed))
    return rows, stats


@pytest.mark.parametrize("k", [5, 11])
def test_duckdb_build_equals_the_pandas_reference(tmp_path, k):
    from dashboard.data.release import precinct_cube

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
    cube = pd.read_parquet(info.path / f"{CUBE_PRECINCT.name}.parquet")
    pd.testing.assert_frame_equal(cube, precinct_cube(internal, k))
    assert cube["suppressed"].any() and (~cube["suppressed"]).any()


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
