"""``crisis-dashboard validate``: shipped releases are clean, every planted violation is named.

Each planted-violation test copies a release (built once from a few thousand random
internal rows, so that each check runs in a fraction of a second; the shipped ones are
checked clean above), breaks one rule the way a careless edit or a buggy builder would,
re-signs the manifest (so the checksum check does not hide the rule under test; the
tampering test leaves it unsigned) and expects a message that names the violation.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from dashboard.cli import main as cli_main
from dashboard.contract.releases import ReleaseError, current_release_dir, sha256_file
from dashboard.contract.schema import CUBE_PRECINCT, ROLLUP_OVERVIEW
from dashboard.contract.sql import calls_arrow_schema
from dashboard.publish.identifier_patterns import identifier_hint, value_hint
from dashboard.publish.release import build_release
from dashboard.publish.validate import validate_release
from dashboard.settings import REPO_ROOT

from ..conftest import tiny_internal_frame
from .test_release import random_internal_frame

SHIPPED = REPO_ROOT / "data" / "releases"


@pytest.mark.parametrize("city", ["denver", "grand_junction", "lane_county"])
def test_shipped_releases_validate_clean(city):
    assert validate_release(current_release_dir(SHIPPED, city)) == []


def test_the_tiny_release_validates_clean(tiny_settings):
    assert validate_release(current_release_dir(tiny_settings.releases_dir, "denver")) == []


@pytest.fixture(scope="module")
def built_release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    internal = pd.concat([tiny_internal_frame(), random_internal_frame(8000, seed=11)], ignore_index=True)
    info = build_release(internal, tmp_path_factory.mktemp("planted"), city="denver", source="x",
                         synthetic=True, k=11, seed=3)
    return info.path


@pytest.fixture
def release(tmp_path: Path, built_release: Path) -> Path:
    path = tmp_path / "release"
    shutil.copytree(built_release, path)
    return path


def resign(path: Path) -> None:
    """Recompute the manifest's checksums, as someone editing a release by hand would."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                         for p in sorted(path.iterdir()) if p.is_file() and p.name != "manifest.json"}
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


def read_calls(path: Path) -> pd.DataFrame:
    return pq.read_table(path / "calls.parquet").to_pandas()


def write_calls(path: Path, calls: pd.DataFrame) -> None:
    """Write rows back with the contract's types (extra columns as they come)."""
    schema = calls_arrow_schema()
    known = [f for f in schema if f.name in calls.columns]
    table = pa.Table.from_pandas(calls[[f.name for f in known]], schema=pa.schema(known),
                                 preserve_index=False)
    for column in calls.columns:
        if column not in schema.names:
            table = table.append_column(column, pa.array(calls[column].tolist()))
    pq.write_table(table, path / "calls.parquet")


def problems_after(path: Path, *, k: int | None = None) -> list[str]:
    resign(path)
    problems = validate_release(path, k)
    assert problems, "the planted violation went unnoticed"
    return problems


def assert_named(problems: list[str], *words: str) -> None:
    hits = [p for p in problems if all(w in p for w in words)]
    assert hits, f"no violation names {words}: {problems}"


def test_an_address_column_is_named(release):
    calls = read_calls(release)
    calls["address"] = "1500 N Broadway St"
    write_calls(release, calls)
    problems = problems_after(release)
    assert_named(problems, "calls.parquet", "'address'", "direct identifier")
    assert_named(problems, "'address'", "street address", "1500 N Broadway St")


def test_an_address_column_in_the_csv_is_named(release):
    csv = pd.read_csv(release / "calls.csv", dtype=str, keep_default_na=False)
    csv.insert(3, "incident_number", "DPD-23-004512")
    csv.to_csv(release / "calls.csv", index=False)
    problems = problems_after(release)
    assert_named(problems, "calls.csv", "'incident_number'", "incident number")
    assert_named(problems, "calls.csv", "CAD-like", "DPD-23-004512")


def test_a_coordinate_value_is_named(release):
    calls = read_calls(release)
    calls.loc[0, "district"] = "-104.98765"
    write_calls(release, calls)
    assert_named(problems_after(release), "calls.parquet", "'district'", "coordinates", "-104.98765")


def test_a_coordinate_pair_in_a_cube_is_named(release):
    cube = pd.read_parquet(release / f"{CUBE_PRECINCT.name}.parquet")
    cube["precinct"] = cube["precinct"].astype("string")
    cube.loc[0, "precinct"] = "39.7392, -104.9903"
    cube.to_parquet(release / f"{CUBE_PRECINCT.name}.parquet", index=False)
    assert_named(problems_after(release), "cube_precinct.parquet", "'precinct'", "coordinates")


def test_a_week_that_is_not_a_monday_is_named(release):
    calls = read_calls(release)
    row = calls.index[calls["time_grain"] == "week"][0]
    calls.loc[row, "week"] = calls.loc[row, "week"] + pd.Timedelta(days=2)
    write_calls(release, calls)
    assert_named(problems_after(release), "time_grain=week", "not a Monday", "Wednesday")


def test_a_class_of_two_is_named(release):
    calls = read_calls(release)
    donor = calls[calls["time_grain"] == "week"].iloc[[0]]
    pair = pd.concat([donor, donor], ignore_index=True)
    pair["week"] = pd.Timestamp("2031-03-03").date()  # a Monday no row has
    pair["call_id"] = ["00000000000000aa", "00000000000000bb"]
    write_calls(release, pd.concat([calls, pair], ignore_index=True))
    problems = problems_after(release)
    assert_named(problems, "not k-anonymous", "smaller than k=11", "2031-03-03", "2 rows")


def test_a_smaller_k_than_asked_is_named(release):
    assert_named(problems_after(release, k=10_000), "not k-anonymous", "k=10000")


def unsuppress(release: Path, pick, n: int) -> None:
    path = release / f"{CUBE_PRECINCT.name}.parquet"
    cube = pd.read_parquet(path)
    index = pick(cube)
    cube.loc[index, "suppressed"] = False
    cube.loc[index, "n"] = n
    cube.to_parquet(path, index=False)


def test_an_unsuppressed_small_cell_is_named(release):
    unsuppress(release, lambda cube: cube.index[cube["suppressed"]][0], 3)
    assert_named(problems_after(release), "cube_precinct.parquet", "count of 1..k-1", "n=3")


def test_a_margin_group_with_one_hidden_cell_is_named(release):
    """Publish all but one hidden cell of a district's precincts: that one is the rows'
    total minus the rest, and margin differencing says so."""
    margin = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    path = release / f"{CUBE_PRECINCT.name}.parquet"
    cube = pd.read_parquet(path)
    hidden = cube[cube["suppressed"]]
    group = hidden.groupby(margin).filter(lambda g: len(g) >= 2).groupby(margin).head(99)
    first_group = group[(group[margin] == group[margin].iloc[0]).all(axis=1)]
    shown = first_group.index[1:]
    cube.loc[shown, "n"] = 0
    cube.loc[shown, "suppressed"] = False
    cube.to_parquet(path, index=False)
    resign(release)
    assert_named(problems_after(release), "margin differencing", "recovered exactly")


def test_a_suppressed_cell_that_shows_its_count_is_named(release):
    path = release / f"{CUBE_PRECINCT.name}.parquet"
    cube = pd.read_parquet(path)
    cube.loc[cube.index[cube["suppressed"]][0], "n"] = 4
    cube.to_parquet(path, index=False)
    assert_named(problems_after(release), "suppressed cells that still show their count")


def test_a_tampered_file_is_named(release):
    with (release / "calls.csv").open("a") as fh:
        fh.write("\n")
    problems = validate_release(release)
    assert_named(problems, "calls.csv", "sha256", "does not match")


def test_an_unlisted_file_and_a_missing_one_are_named(release):
    (release / "caller_addresses.csv").write_text("who,where\n")
    (release / "rollup_minutes.parquet").unlink()
    problems = validate_release(release)
    assert_named(problems, "'caller_addresses.csv'", "not listed", "address")
    assert_named(problems, "rollup_minutes.parquet", "missing")


def test_a_missing_manifest_is_named(release):
    (release / "manifest.json").unlink()
    assert_named(validate_release(release), "manifest.json is missing")


def test_a_rollup_that_is_not_the_group_by_is_named(release):
    path = release / f"{ROLLUP_OVERVIEW.name}.parquet"
    rollup = pq.read_table(path)
    n = rollup.column("n").to_pylist()
    n[0] += 1
    pq.write_table(rollup.set_column(rollup.schema.get_field_index("n"), "n", pa.array(n, pa.int64())), path)
    assert_named(problems_after(release), "rollup_overview.parquet", "not the GROUP BY")


def test_inconsistent_manifest_counts_are_named(release):
    manifest = json.loads((release / "manifest.json").read_text())
    manifest["rows"]["read"] += 5
    manifest["rows"]["withheld"] += 1
    (release / "manifest.json").write_text(json.dumps(manifest))
    problems = validate_release(release)
    assert_named(problems, "rows read", "accepted", "rejected")
    assert_named(problems, "published", "withheld")


def test_a_cad_number_as_call_id_is_named(release):
    calls = read_calls(release)
    calls.loc[0, "call_id"] = "2023-000123456"
    write_calls(release, calls)
    assert_named(problems_after(release), "call_id is not 16 hex digits", "2023-000123456")


def test_values_outside_the_contract_are_named(release):
    calls = read_calls(release)
    calls.loc[0, "outcome"] = "booked into jail"
    write_calls(release, calls)
    assert_named(problems_after(release), "'outcome'", "outside the contract", "booked into jail")


def test_the_cli_exits_non_zero_listing_each_violation(release, capsys):
    assert cli_main(["validate", str(release)]) == 0
    assert "OK" in capsys.readouterr().out
    unsuppress(release, lambda cube: cube.index[cube["suppressed"]][0], 2)
    resign(release)
    assert cli_main(["validate", str(release), "--k", "11"]) == 1
    out = capsys.readouterr().out
    assert "violation" in out and "count of 1..k-1" in out
    assert cli_main(["validate", str(release.parent / "nowhere")]) == 2


def test_the_cli_follows_a_city_folders_current_pointer(capsys):
    assert cli_main(["validate", str(SHIPPED / "grand_junction")]) == 0
    assert "OK" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "hint"),
    [("address", "address"), ("StreetName", "address"), ("caller_phone", "phone"), ("lat", "coordinates"),
     ("LONGITUDE", "coordinates"), ("incident_no", "incident number"), ("cad_number", "incident number"),
     ("person_key", "person"), ("narrative_text", "narrative"), ("precinct", "precinct"),
     ("received_hour", "time finer than the week"), ("call_category", None), ("response_minutes", None),
     ("time_grain", None), ("star_eligible", None), ("repeat_contact_90d", None), ("district", None)],
)
def test_identifier_names(name, hint):
    assert identifier_hint(name) == hint


@pytest.mark.parametrize(
    ("value", "hint"),
    [("-104.99031", "coordinates"), ("39.7392,-104.9903", "coordinates"),
     ("POINT (-104.9 39.7)", "coordinates"),
     ("(303) 555-0142", "a phone number"), ("303.555.0142", "a phone number"),
     ("1500 N Broadway St", "a street address"), ("2200 BLOCK OF E COLFAX AVE", "a street address"),
     ("DPD23-0004512", "a CAD-like incident number"), ("2023-000123", "a CAD-like incident number"),
     ("someone@example.org", "an e-mail address"), ("d41d8cd98f00b204e9800998ecf8427e", "a hashed key"),
     ("denver", None), ("citywide", None), ("1", None), ("welfare_check", None), ("111", None),
     ("grand_junction", None), ("2023", None)],
)
def test_identifier_values(value, hint):
    assert value_hint(value) == hint


def test_a_build_with_a_violation_is_refused_and_nothing_moves(tmp_path, monkeypatch):
    good = build_release(tiny_internal_frame(), tmp_path, city="denver", source="x", synthetic=True)
    before = sorted(p.name for p in (tmp_path / "denver").iterdir())

    def no_suppression(counts: dict, margins: dict, k: int, key: bytes, deep: dict | None = None) -> dict:
        return {name: cube.assign(n=cube["n"].astype("Int64"), suppressed=False)
                for name, cube in counts.items()}

    monkeypatch.setattr("dashboard.publish.cubes.suppress", no_suppression)
    frame = tiny_internal_frame()
    frame.loc[0, "precinct"] = "112"  # one STAR call alone in its precinct: a cell of 1
    with pytest.raises(ReleaseError, match="(?s)not published.*count of 1..k-1"):
        build_release(frame, tmp_path, city="denver", source="x", synthetic=True, seed=5)
    assert current_release_dir(tmp_path, "denver") == good.path
    assert sorted(p.name for p in (tmp_path / "denver").iterdir()) == before
    assert validate_release(good.path) == []


@pytest.mark.parametrize("text", [
    "Lane County MCSLC export, 2024 block report (sha256 " + "ab12" * 16 + ")",
    "SYNTHETIC sample (seed 20200601, scale 1.0); calibrated to published program figures",
    "cells of 1..10 calls hidden, with complementary suppression",
    "Whole minutes from call received to first unit on scene; empty when no unit arrived.",
])
def test_prose_in_text_files_is_not_mistaken_for_an_identifier(text):
    assert value_hint(text, cell=False) is None
