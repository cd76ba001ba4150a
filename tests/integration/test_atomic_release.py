"""A build killed halfway (SIGKILL, no cleanup code runs) leaves the previous release serving.

A real ingest runs in its own process; here a subprocess builds a release from a few
hundred thousand internal rows and is killed at a chosen stage: as soon as its scratch
folder appears, once the public rows are written, once the CSV and rollups are written,
and while it validates its finished temporary folder (the last moment before the move).
Each time the previous release must still be CURRENT, intact (validate passes), the only
published release folder, and served by a fresh Store; the leftovers are hidden
``.building-*`` entries, which the next successful build removes.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from dashboard.contract.releases import CURRENT_POINTER, current_release_dir
from dashboard.engine.store import Store
from dashboard.publish.atomic_publish import BUILDING_PREFIX
from dashboard.publish.release import build_release
from dashboard.publish.validate import validate_release
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame
from ..unit.test_release import random_internal_frame

BUILD_SCRIPT = """
import sys
from pathlib import Path
from dashboard.publish.release import build_release
build_release(Path(sys.argv[1]), Path(sys.argv[2]), city="denver", source="killed build",
              synthetic=True, k=11, seed=1)
"""


def _temp_folder(city_dir: Path) -> Path | None:
    found = [p for p in city_dir.glob(f"{BUILDING_PREFIX}*")
             if p.is_dir() and not p.name.endswith(".scratch")]
    return found[0] if found else None


def _reached(city_dir: Path, stage: str) -> bool:
    if stage == "scratch":
        return any(city_dir.glob(f"{BUILDING_PREFIX}*"))
    tmp = _temp_folder(city_dir)
    if tmp is None:
        return False
    marker = {"rows": "calls.parquet", "csv": "calls.csv", "validating": "manifest.json"}[stage]
    return (tmp / marker).is_file()


@pytest.fixture(scope="module")
def big_internal(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Enough rows that each stage of a build lasts long enough to be caught."""
    path = tmp_path_factory.mktemp("internal") / "internal.parquet"
    random_internal_frame(300_000, seed=5).to_parquet(path, index=False)
    return path


def _settings(root: Path) -> Settings:
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    return Settings(data_dir=root, privacy_k=11)


@pytest.mark.parametrize("stage", ["scratch", "rows", "csv", "validating"])
def test_a_killed_build_leaves_the_previous_release_serving(tmp_path, big_internal, stage):
    settings = _settings(tmp_path)
    releases = settings.releases_dir
    city_dir = releases / "denver"
    previous = build_release(tiny_internal_frame(), releases, city="denver", source="previous",
                             synthetic=True, k=11)
    pointer_before = (city_dir / CURRENT_POINTER).read_bytes()

    proc = subprocess.Popen(
        [sys.executable, "-c", BUILD_SCRIPT, str(big_internal), str(releases)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while not _reached(city_dir, stage):
            assert proc.poll() is None, f"the build ended before stage {stage!r}: {proc.communicate()}"
            assert time.monotonic() < deadline, f"stage {stage!r} never reached"
            time.sleep(0.002)
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    # The previous release is untouched, current and clean; nothing else is published.
    assert (city_dir / CURRENT_POINTER).read_bytes() == pointer_before
    assert current_release_dir(releases, "denver") == previous.path
    assert validate_release(previous.path) == []
    published = [p.name for p in city_dir.iterdir() if p.is_dir() and not p.name.startswith(".")]
    assert published == [previous.release_id]
    leftovers = [p.name for p in city_dir.iterdir() if p.name.startswith(BUILDING_PREFIX)]
    assert leftovers, "the kill came too late to leave anything behind"

    # A fresh Store serves the previous release and ignores the leftovers.
    store = Store(settings)
    assert store.release_info("denver").release_id == previous.release_id
    # conftest: 70 calls, none withheld
    assert store.frame("SELECT sum(n) AS n FROM rollup_overview")["n"].iloc[0] == 70

    # The next successful build publishes and removes what the killed one left behind.
    frame = tiny_internal_frame()
    frame["received_hour"] = frame["received_hour"] + pd.Timedelta(weeks=52)
    following = build_release(frame, releases, city="denver", source="next", synthetic=True, k=11)
    assert current_release_dir(releases, "denver") == following.path
    assert not [p for p in city_dir.iterdir() if p.name.startswith(BUILDING_PREFIX)]
    assert validate_release(previous.path) == [] and validate_release(following.path) == []
