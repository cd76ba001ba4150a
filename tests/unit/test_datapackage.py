"""datapackage.json: generated from the contract and the manifest, proved against the files.

A journalist's tools trust the Data Package to say what each file holds; these tests
make sure it says exactly what the contract and the files say, that the builder
writes it into every release, and that ``validate`` notices when it is edited.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from dashboard.contract.datapackage import (
    DATAPACKAGE,
    FIELD_TYPES,
    build_datapackage,
    created_stamp,
    dumps,
    file_types,
    resource_by_path,
    table_column_names,
    write_datapackage,
)
from dashboard.contract.releases import current_release_dir, sha256_file
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, CUBES, ROLLUPS
from dashboard.publish.validate import validate_release

#: Frictionless v1 name pattern (packages and resources).
NAME = re.compile(r"^[-a-z0-9._/]+$")


@pytest.fixture(scope="module")
def release(tiny_settings) -> Path:
    return current_release_dir(tiny_settings.releases_dir, "denver")


@pytest.fixture(scope="module")
def manifest(release: Path) -> dict:
    return json.loads((release / "manifest.json").read_text())


@pytest.fixture(scope="module")
def package(release: Path) -> dict:
    return json.loads((release / DATAPACKAGE).read_text())


def test_every_release_has_a_datapackage_listed_in_its_manifest(release, manifest):
    entry = manifest["files"][DATAPACKAGE]
    assert entry["sha256"] == sha256_file(release / DATAPACKAGE)
    assert entry["bytes"] == (release / DATAPACKAGE).stat().st_size


def test_every_file_is_a_resource_whose_hash_is_the_file(release, manifest, package):
    resources = resource_by_path(package)
    assert set(resources) == set(manifest["files"]) - {DATAPACKAGE}
    for path, resource in resources.items():
        digest = hashlib.sha256((release / path).read_bytes()).hexdigest()
        assert resource["hash"] == f"sha256:{digest}", path
        assert NAME.match(resource["name"]), resource["name"]
        if resource["format"] != "parquet":  # see datapackage module doc
            assert resource["bytes"] == (release / path).stat().st_size, path
        assert resource["mediatype"] and resource["format"]
    assert [r["path"] for r in package["resources"]][:2] == ["calls.csv", "calls.parquet"]


def test_calls_fields_are_the_contract(package):
    resources = resource_by_path(package)
    for path in ("calls.csv", "calls.parquet"):
        schema = resources[path]["schema"]
        assert [f["name"] for f in schema["fields"]] == list(CALLS_COLUMN_NAMES)
        for column, found in zip(CALLS_COLUMNS, schema["fields"], strict=True):
            assert found["type"] == FIELD_TYPES[column.dtype]
            assert found["description"] == column.description
            assert found["constraints"]["required"] is (not column.nullable)
            assert found["constraints"].get("enum", []) == list(column.values)  # noqa: PD011
        assert schema["primaryKey"] == ["call_id"]
        assert schema["missingValues"] == [""]
    assert resources["calls.csv"]["encoding"] == "utf-8"
    assert resources["calls.csv"]["dialect"]["header"] is True
    assert "encoding" not in resources["calls.parquet"]


def test_table_fields_are_the_contract_and_the_files(release, package):
    resources = resource_by_path(package)
    by_name = {c.name: c for c in CALLS_COLUMNS}
    for table in (*ROLLUPS, *CUBES):
        path = f"{table.name}.parquet"
        fields = resources[path]["schema"]["fields"]
        names = [f["name"] for f in fields]
        assert names == list(table_column_names(table)) == pq.read_schema(release / path).names, path
        types = file_types(release / path)
        for found in fields:
            assert found["description"], (path, found["name"])
            assert found["type"] == FIELD_TYPES[types[found["name"]]], (path, found["name"])
            column = by_name.get(found["name"])
            if column is not None and column.values:  # noqa: PD011
                assert found["constraints"]["enum"] == list(column.values), (path, found["name"])  # noqa: PD011
        if table.suppressed:
            measures = [f for f in fields if f["name"] in table.measures]
            assert all(f["constraints"]["required"] is False for f in measures), path


def test_synthetic_releases_say_so_and_real_ones_claim_no_licence(package):
    assert "SYNTHETIC" in package["title"] and "SYNTHETIC" in package["description"]
    assert "synthetic" in package["keywords"]
    assert package["licenses"] and package["sources"][0]["title"].endswith("(synthetic)")
    real = build_datapackage({}, city="denver", source="CAD export", synthetic=False, k=11,
                             created="2024-01-01T00:00:00Z")
    assert "SYNTHETIC" not in real["title"] + real["description"]
    assert "licenses" not in real and "No licence" in real["description"]
    assert NAME.match(real["name"])
    assert package["profile"] == "data-package"


def test_the_package_is_reproducible_within_a_day(tmp_path, manifest):
    files = {k: v for k, v in manifest["files"].items() if k != DATAPACKAGE}
    morning = datetime(2024, 5, 6, 8, 1, tzinfo=UTC)
    evening = datetime(2024, 5, 6, 23, 59, tzinfo=UTC)
    a = write_datapackage(tmp_path, files, city="denver", source="x", synthetic=True, k=11, when=morning)
    first = (tmp_path / DATAPACKAGE).read_bytes()
    b = write_datapackage(tmp_path, files, city="denver", source="x", synthetic=True, k=11, when=evening)
    assert (tmp_path / DATAPACKAGE).read_bytes() == first and a == b
    assert list(a) == sorted(a) and DATAPACKAGE in a
    assert created_stamp(morning) == "2024-05-06T00:00:00Z"
    assert json.loads(first)["created"] == "2024-05-06T00:00:00Z"
    assert dumps(json.loads(first)) == first.decode()


# -- validate ----------------------------------------------------------------------------


def resign(path: Path) -> None:
    """Recompute the manifest's checksums, as someone editing a release by hand would."""
    manifest = json.loads((path / "manifest.json").read_text())
    manifest["files"] = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                         for p in sorted(path.iterdir()) if p.is_file() and p.name != "manifest.json"}
    (path / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


@pytest.fixture
def copy(tmp_path: Path, release: Path) -> Path:
    path = tmp_path / "release"
    shutil.copytree(release, path)
    return path


def test_the_built_package_validates(release):
    assert validate_release(release) == []


def _set_enum(p: dict) -> None:
    field = resource_by_path(p)["calls.csv"]["schema"]["fields"][CALLS_COLUMN_NAMES.index("outcome")]
    field["constraints"]["enum"].remove("arrest")


def _set_hash(p: dict) -> None:
    resource_by_path(p)["calls.csv"]["hash"] = "sha256:" + "0" * 64


def _drop_resource(p: dict) -> None:
    p["resources"] = [r for r in p["resources"] if r["path"] != "calls.parquet"]


def _unmark_synthetic(p: dict) -> None:
    p["title"] = "Crisis response calls: denver"


def _rename_field(p: dict) -> None:
    resource_by_path(p)["rollup_overview.parquet"]["schema"]["fields"][0]["name"] = "city"


def _bad_created(p: dict) -> None:
    p["created"] = "yesterday"


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (_set_enum, "Table Schema of calls.csv is not the contract's (differs on outcome)"),
        (_set_hash, "calls.csv has hash sha256:000000000000"),
        (_drop_resource, "does not describe calls.parquet"),
        (_unmark_synthetic, "must say so in its title"),
        (_rename_field, "rollup_overview.parquet is not the contract's (lacks jurisdiction; adds city)"),
        (_bad_created, "'created' is not an RFC 3339 date-time"),
    ],
    ids=["enum", "hash", "missing-resource", "synthetic-mark", "field-name", "created"],
)
def test_validate_catches_a_tampered_datapackage(copy, tamper, message):
    package = json.loads((copy / DATAPACKAGE).read_text())
    tamper(package)
    (copy / DATAPACKAGE).write_text(dumps(package))
    resign(copy)  # checksums made consistent again: only the package's content is wrong
    problems = validate_release(copy)
    assert any(message in p for p in problems), problems
    assert all(p.startswith(DATAPACKAGE) for p in problems), problems


def test_validate_catches_a_package_left_stale_by_a_changed_file(copy):
    with (copy / "data_dictionary.md").open("a") as fh:
        fh.write("\nEdited after the release.\n")
    resign(copy)
    problems = validate_release(copy)
    assert any("data_dictionary.md has hash" in p for p in problems), problems
    assert any("data_dictionary.md has bytes" in p for p in problems), problems


def test_validate_names_a_missing_package_and_how_to_get_one(copy):
    (copy / DATAPACKAGE).unlink()
    resign(copy)
    problems = validate_release(copy)
    assert problems == [
        f"{DATAPACKAGE} is missing from the release (releases built before the Frictionless package "
        "was added lack it: rebuild with `crisis-dashboard sample` or `ingest`)"
    ]
