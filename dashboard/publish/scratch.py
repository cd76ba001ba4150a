"""Private scratch folders for internal data, named after the process that owns them.

An ingest or a release build holds internal rows (finer than anything published: exact
hours, precincts, salted person hashes) and the rejects in scratch folders while it
runs. Two rules, and why:

* **Private.** Scratch folders are made mode 0700 inside ``<releases_dir>/.work/``,
  itself 0700, so nothing in them can be read by another user whatever the umask:
  never in a shared ``/tmp``, where names are guessable and a careless umask leaves
  files world-readable.
* **Owned by a pid.** A folder is named ``<prefix><pid>-<token>``. A process killed by
  SIGKILL (or a power cut) runs no clean-up code, so the next run removes the folders
  whose pid no longer exists, and keeps those of live processes (a concurrent ingest).
  A reused pid keeps a dead folder one run longer: safe, never the other way round.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

#: Folder of private scratch space inside a releases folder (never read by the web app).
WORK_DIR = ".work"
#: Mode of every scratch folder: the owner only.
PRIVATE_MODE = 0o700


def pid_alive(pid: int) -> bool:
    """Whether a process exists (signal 0 checks without delivering anything)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, under another user
    return True


def owner_pid(name: str, prefix: str) -> int | None:
    """The pid encoded in a scratch name ``<prefix><pid>-...``, or None if there is none."""
    if not name.startswith(prefix):
        return None
    text = name[len(prefix):].split("-", 1)[0].split(".", 1)[0]
    return int(text) if text.isdigit() else None


def scratch_name(prefix: str) -> str:
    """A fresh name for this process: ``<prefix><pid>-<random token>``."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(4)}"


def private_dir(path: Path) -> Path:
    """Create ``path`` (and missing parents) and make it mode 0700; returns it."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(PRIVATE_MODE)
    return path


def work_dir(releases_dir: Path) -> Path:
    """The private scratch space of a releases folder: ``<releases_dir>/.work``, mode 0700."""
    return private_dir(Path(releases_dir) / WORK_DIR)


def clean_stale(parent: Path, prefix: str) -> list[Path]:
    """Remove entries ``<prefix><pid>-...`` in ``parent`` whose process is gone.

    Entries of live processes, and entries with no pid in their name, are kept.
    """
    removed: list[Path] = []
    if not parent.is_dir():
        return removed
    for entry in parent.glob(f"{prefix}*"):
        pid = owner_pid(entry.name, prefix)
        if pid is None or pid_alive(pid):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed.append(entry)
    return removed


@contextlib.contextmanager
def scratch_dir(parent: Path, prefix: str) -> Iterator[Path]:
    """A private (0700) folder ``<parent>/<prefix><pid>-<token>``, removed on exit.

    Stale folders of dead processes with the same prefix are removed first, so a killed
    run's internal data does not outlive the next run.
    """
    private_dir(parent)
    clean_stale(parent, prefix)
    path = parent / scratch_name(prefix)
    path.mkdir(mode=PRIVATE_MODE)
    path.chmod(PRIVATE_MODE)  # mkdir's mode is filtered by the umask; make sure
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
