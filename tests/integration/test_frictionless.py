"""Every release passes the reference validator, frictionless-py 5 (issue 14 item 9).

``dashboard.publish.validate`` checks ``datapackage.json`` by regenerating it; this
checks what a journalist's tool sees: the real ``frictionless`` package reads every
file of the package (every row of every table, Parquet included, and every hash) and
must find nothing wrong. It runs on each shipped release and on the tiny release the
tests build, so a change to the generator is caught before a release is shipped.

Speed: frictionless reads Parquet through pandas row by row (~0.25 ms a row), so the
Denver release alone takes ~75 s in one process. Each package is validated with
frictionless's own ``parallel=True`` (one process per resource, as many at once as
there are cores), ~40 s for Denver on two cores; no row limit is used.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import frictionless  # a test dependency (pyproject `test` extra): never skipped
import pyarrow.parquet as pq
import pytest

from dashboard.contract.datapackage import DATAPACKAGE
from dashboard.contract.releases import MANIFEST, current_release_dir
from dashboard.settings import Settings

#: Every shipped release folder of every city (not only the current ones).
SHIPPED = sorted(path.parent for path in Settings().releases_dir.glob(f"*/*/{MANIFEST}"))


def _errors(report) -> list[str]:
    """Every error of a frictionless report, one line each: resource, row, field, message."""
    out = [f"package: {e.type}: {e.message}" for e in report.errors]
    for task in report.tasks:
        out += [f"{task.name} row {getattr(e, 'row_number', '-')} field {getattr(e, 'field_name', '-')}: "
                f"{e.type}: {e.message}" for e in task.errors]
    return out


def _validate(folder: Path):
    return frictionless.validate(str(folder / DATAPACKAGE), parallel=True)


def _assert_valid(folder: Path) -> None:
    report = _validate(folder)
    errors = _errors(report)
    assert report.valid and not errors, f"frictionless finds {folder} INVALID:\n" + "\n".join(errors[:50])
    # Every resource the package lists was read, Parquet tables to their last row.
    package = json.loads((folder / DATAPACKAGE).read_text(encoding="utf-8"))
    assert [t.name for t in report.tasks] == [r["name"] for r in package["resources"]]
    for task, resource in zip(report.tasks, package["resources"], strict=True):
        if resource["format"] == "parquet":
            rows = pq.read_metadata(folder / resource["path"]).num_rows
            assert task.stats.get("rows", 0) == rows, task.name  # an empty table has no "rows"


def test_every_city_ships_a_release() -> None:
    assert {path.parent.name for path in SHIPPED} >= {"denver", "grand_junction", "lane_county"}


@pytest.mark.parametrize("folder", SHIPPED, ids=lambda path: f"{path.parent.name}/{path.name}")
def test_shipped_release_passes_frictionless(folder: Path) -> None:
    _assert_valid(folder)


def test_fresh_release_passes_frictionless(tiny_settings: Settings) -> None:
    _assert_valid(current_release_dir(tiny_settings.releases_dir, "denver"))


def test_frictionless_reads_an_empty_parquet_integer_as_empty(tmp_path: Path) -> None:
    """The check is not vacuous, and a NULL integer in Parquet is an empty cell, not "nan".

    A suppressed cube's ``n`` is NULL in hidden cells (Lane County's ``cube_coverage`` has
    hundreds). Declared required, frictionless must report those cells as missing
    (constraint-error), never as values of the wrong type (type-error).
    """
    source = current_release_dir(Settings().releases_dir, "lane_county")
    name = "cube_coverage.parquet"
    assert pq.read_table(source / name).column("n").null_count > 0
    shutil.copy(source / name, tmp_path / name)
    package = json.loads((source / DATAPACKAGE).read_text(encoding="utf-8"))
    package["resources"] = [r for r in package["resources"] if r["path"] == name]
    next(f for f in package["resources"][0]["schema"]["fields"] if f["name"] == "n")["constraints"][
        "required"] = True
    (tmp_path / DATAPACKAGE).write_text(json.dumps(package), encoding="utf-8")
    report = frictionless.validate(str(tmp_path / DATAPACKAGE))
    assert not report.valid
    types = {e.type for task in report.tasks for e in task.errors}
    assert types == {"constraint-error"}, _errors(report)
