"""Internal data in scratch folders: private while an ingest runs, gone after one is killed.

A real ingest runs in a subprocess over an export big enough to be caught mid-run: its
scratch folders (the ingest's own and the release build's) must be owner-only (0700)
and live in the releases folder's private ``.work``, never the shared system temp
folder. It is then killed with SIGKILL (no clean-up code runs). The next ingest must
remove what the dead one left and keep the folder of a process that is still alive.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

from dashboard.ingest.pipeline import SCRATCH_PREFIX
from dashboard.publish.atomic_publish import BUILDING_PREFIX
from dashboard.publish.scratch import WORK_DIR, owner_pid, pid_alive
from dashboard.settings import REPO_ROOT

from ..unit.test_ingest import CONFIG, GEO, export_rows, run, write_csv

INGEST_SCRIPT = """
import sys
from pathlib import Path
from dashboard.ingest.pipeline import ingest
ingest(Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), geo_dir=Path(sys.argv[4]), k=2)
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _wait_for(find, proc: subprocess.Popen, what: str, timeout: float = 120) -> Path:
    deadline = time.monotonic() + timeout
    while True:
        found = find()
        if found is not None:
            return found
        assert proc.poll() is None, f"the ingest ended before {what}: {proc.communicate()}"
        assert time.monotonic() < deadline, f"{what} never appeared"
        time.sleep(0.005)


def _first(pattern_dir: Path, prefix: str, suffix: str = "") -> Path | None:
    if not pattern_dir.is_dir():
        return None
    found = [p for p in pattern_dir.glob(f"{prefix}*{suffix}") if p.is_dir()]
    return found[0] if found else None


def test_scratch_is_private_and_what_a_killed_ingest_left_is_removed_by_the_next(tmp_path):
    out = tmp_path / "releases"
    big = write_csv(export_rows() * 2500, tmp_path / "big-export.csv")  # ~140k rows: seconds to ingest
    proc = subprocess.Popen(
        [sys.executable, "-c", INGEST_SCRIPT, str(big), str(CONFIG), str(out), str(GEO)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    try:
        work = out / WORK_DIR
        ingest_dir = _wait_for(lambda: _first(work, SCRATCH_PREFIX), proc, "the ingest's scratch folder")
        # In the releases folder's private space (not the shared system temp folder), 0700.
        assert ingest_dir.parent == work
        assert _mode(work) == 0o700 and _mode(ingest_dir) == 0o700
        assert owner_pid(ingest_dir.name, SCRATCH_PREFIX) == proc.pid
        # The release build's scratch (internal rows and DuckDB's spill of them) too.
        build_dir = _wait_for(lambda: _first(out / "testville", BUILDING_PREFIX, ".scratch"), proc,
                              "the build's scratch folder")
        assert _mode(build_dir) == 0o700
        os.kill(proc.pid, signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    assert ingest_dir.is_dir() and not pid_alive(proc.pid), "the kill left nothing to clean"
    assert any(ingest_dir.iterdir()), "the killed ingest's internal files should be left behind"

    # A folder of a process that is alive (a concurrent ingest) must survive the clean-up.
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = work / f"{SCRATCH_PREFIX}{sleeper.pid}-feedbeef"
        live.mkdir(mode=0o700)
        (live / "stage.parquet").write_bytes(b"in use")

        result = run(write_csv(export_rows(), tmp_path / "export.csv"), out)

        assert not ingest_dir.exists(), "the dead ingest's scratch folder was not removed"
        assert live.is_dir() and (live / "stage.parquet").read_bytes() == b"in use"
        assert [p.name for p in work.iterdir()] == [live.name]  # this run removed its own
    finally:
        sleeper.kill()
        sleeper.wait()
    # The next build removed the killed build's leftovers; rejects stay owner-only.
    assert not list((out / "testville").glob(f"{BUILDING_PREFIX}*"))
    assert _mode(result.rejects_file) == 0o600 and _mode(result.rejects_file.parent) == 0o700
