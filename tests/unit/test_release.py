"""The release builder: files, manifest, checksums, privacy of every output, atomic pointer."""

import hashlib
import json

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
from dashboard.data.schema import CALLS_COLUMN_NAMES, CUBE_PRECINCT, ROLLUP_COUNTS

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
