"""Moving a checked release into place and switching CURRENT, atomically.

``publish`` renames the build's temporary folder into a free release id (never
overwriting a folder that may be serving); ``set_current`` points CURRENT at a release
with an atomic rename, for servers to switch to at one instant; ``clean_stale_builds``
removes what killed builds left. Files and folders are fsynced before each rename, so a
crash leaves the old release or the new one, never half of one.

Kept apart from writing the release: this is the part that must hold under crashes and
concurrent readers (``tests/integration/test_atomic_release.py``,
``tests/integration/test_release_faults.py``), whatever the files hold.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

from dashboard.contract.releases import CURRENT_POINTER, MANIFEST, RELEASE_ID, ReleaseError, read_pointer
from dashboard.publish import scratch

#: Prefix of a build's temporary folders inside ``<releases_dir>/<city>/``; the Store
#: never reads them, and a successful build removes those of dead processes.
BUILDING_PREFIX = ".building-"


def clean_stale_builds(city_dir: Path) -> list[Path]:
    """Remove temporary folders and pointer files left by builds whose process is gone.

    A killed build leaves ``.building-<pid>-...`` behind; it was never published and
    the Store never reads it. Folders of live processes (a concurrent build) are kept.
    """
    return scratch.clean_stale(city_dir, BUILDING_PREFIX)


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk: a rename is only atomic after a crash if what it
    points at reached the disk first."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_release(existing: Path, manifest: dict) -> bool:
    """An existing folder holds the same release if its manifest matches but for ``created``."""
    try:
        old = json.loads((existing / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    strip = ("created", "release_id")
    return {k: v for k, v in old.items() if k not in strip} == {
        k: v for k, v in manifest.items() if k not in strip
    }


def publish(tmp: Path, city_dir: Path, manifest: dict) -> str:
    """Move the checked temporary folder into place under a release id that is free.

    Never deletes or overwrites a release folder: the one CURRENT points at may be
    serving. A rebuild of an identical release (same files, same manifest but for the
    creation time) reuses the existing folder; a different one with the same id (same
    rows, same day) gets a ``-2``, ``-3``... suffix.
    """
    base = manifest["release_id"]
    release_id, n = base, 1
    while (city_dir / release_id).exists():
        if _same_release(city_dir / release_id, manifest):
            shutil.rmtree(tmp)
            return release_id
        n += 1
        release_id = f"{base}-{n}"
    if release_id != base:
        manifest = {**manifest, "release_id": release_id}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in tmp.iterdir():
        _fsync(path)
    tmp.rename(city_dir / release_id)
    _fsync(city_dir)
    return release_id


def _pointer_text(release_id: str, switch_at: float, previous: str | None) -> str:
    when = datetime.fromtimestamp(switch_at, UTC).isoformat(timespec="milliseconds")
    lines = [release_id, f"switch-at: {when}"]
    if previous and previous != release_id:
        lines.append(f"previous: {previous}")
    return "\n".join(lines) + "\n"


def set_current(city_dir: Path, release_id: str, *, switch_delay: float = 0.0) -> None:
    """Point CURRENT at ``release_id`` with an atomic rename (readers see old or new, never half).

    Servers switch to it ``switch_delay`` seconds from now, all at the same instant, and
    serve the release CURRENT named before (recorded as ``previous``) until then.
    """
    if not RELEASE_ID.match(release_id):
        raise ReleaseError(f"not a release id: {release_id!r}")
    previous = None
    with contextlib.suppress(ReleaseError):
        old = read_pointer(city_dir)
        complete = (city_dir / old.release_id / MANIFEST).is_file()
        previous = old.release_id if old.release_id != release_id and complete else old.previous
    tmp = city_dir / f"{scratch.scratch_name(BUILDING_PREFIX)}.{CURRENT_POINTER}"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(_pointer_text(release_id, time.time() + max(0.0, switch_delay), previous))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, city_dir / CURRENT_POINTER)
    _fsync(city_dir)
