"""A release folder as servers, pages, the API and the builder read it: layout and pointer.

Layout (written by ``dashboard.publish.release``)::

    <releases_dir>/<city>/<release_id>/manifest.json   counts, privacy parameters, sha256 of every file
    <releases_dir>/<city>/CURRENT                      the release id to serve, when servers switch to it
                                                       and the one before (``Pointer``)

Only reading lives here (and the names both sides share), so the web process can read
releases without importing the release build, and the build's re-check
(``dashboard.publish.validate``) needs nothing from the builder that calls it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

CURRENT_POINTER = "CURRENT"
MANIFEST = "manifest.json"


class ReleaseError(RuntimeError):
    """A release could not be built or read; the message names the problem."""


@dataclass(frozen=True)
class ReleaseInfo:
    """What pages and downloads say about the release they show."""

    city: str
    release_id: str
    created: str
    source: str
    synthetic: bool
    path: Path
    #: Contract fields the source does not record (their values are placeholders, never a
    #: real 0): pages say "not recorded" for them (issue 14).
    not_recorded: frozenset[str] = frozenset()
    #: Programs with accepted calls of which the privacy rules published none: a page
    #: says "withheld", never 0 (issue 14). No count: that could be a small number.
    withheld_programs: frozenset[str] = frozenset()


#: What ``dashboard.ingest`` writes in a manifest for a release without person ids (older
#: releases say so only in words).
NO_PERSON_COLUMN = "no person column: all false"


def not_recorded(manifest: dict) -> frozenset[str]:
    """The fields a release's manifest says its source does not record."""
    ingest = manifest.get("ingest") if isinstance(manifest.get("ingest"), dict) else {}
    listed = ingest.get("not_recorded", [])
    fields = {str(f) for f in listed} if isinstance(listed, list) else set()
    if ingest.get("repeat_contacts") == NO_PERSON_COLUMN:
        fields.add("repeat_contact_90d")
    return frozenset(fields)


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MB chunks (release files can be gigabytes)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


#: A release id as it may appear in CURRENT and as a folder name (no path separators).
RELEASE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$")


@dataclass(frozen=True)
class Pointer:
    """What a city's CURRENT file says: the release to serve, from when, and the one before.

    ``switch_at`` (Unix seconds) is when every server process switches to ``release_id``
    together; until then they keep serving ``previous`` (see ``dashboard.engine.store``).
    A pointer written by hand with only a release id has neither: servers then switch a
    fixed delay after the file changed (``changed_ns``, its ctime), which every process
    reads the same.
    """

    release_id: str
    switch_at: float | None
    previous: str | None
    changed_ns: int


def read_pointer(city_dir: Path) -> Pointer:
    """The city's CURRENT pointer (ReleaseError if it is missing or names no valid id).

    The first line is the release id (so a pointer written by older code, or by hand,
    still reads); ``switch-at:`` and ``previous:`` lines follow.
    """
    path = city_dir / CURRENT_POINTER
    try:
        text = path.read_text(encoding="utf-8")
        changed_ns = path.stat().st_ctime_ns
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseError(f"no current release for {city_dir.name!r} ({path} missing)") from exc
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or not RELEASE_ID.match(lines[0]):
        raise ReleaseError(f"{path} names no release id")
    fields = dict(line.split(":", 1) for line in lines[1:] if ":" in line)
    switch_at = previous = None
    with contextlib.suppress(ValueError):
        switch_at = datetime.fromisoformat(fields.get("switch-at", "").strip()).timestamp()
    candidate = fields.get("previous", "").strip()
    if RELEASE_ID.match(candidate):
        previous = candidate
    return Pointer(lines[0], switch_at, previous, changed_ns)


def current_release_dir(releases_dir: Path, city: str) -> Path:
    """The folder of the release the city's CURRENT names (ReleaseError if absent or incomplete)."""
    release_id = read_pointer(releases_dir / city).release_id
    path = releases_dir / city / release_id
    if not (path / MANIFEST).is_file():
        raise ReleaseError(f"current release {release_id!r} of {city!r} is incomplete")
    return path


def read_release_info(path: Path) -> ReleaseInfo:
    return release_info(json.loads((path / MANIFEST).read_text()), path)


def release_info(manifest: dict, path: Path) -> ReleaseInfo:
    """What pages say about the release ``manifest`` describes, whose folder is ``path``
    (read from the folder, or from the database that holds the manifest)."""
    return ReleaseInfo(
        city=manifest["city"],
        release_id=manifest["release_id"],
        created=manifest["created"],
        source=manifest["source"],
        synthetic=bool(manifest["synthetic"]),
        path=path,
        not_recorded=not_recorded(manifest),
        withheld_programs=frozenset(
            str(p) for p in (manifest.get("privacy") or {}).get("programs_all_withheld", [])),
    )


def read_manifest(path: Path) -> dict:
    """The manifest of the release folder ``path`` (raises ReleaseError if absent or broken)."""
    try:
        return json.loads((path / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise ReleaseError(f"{path}: no readable {MANIFEST}: {exc}") from exc


def list_releases(releases_dir: Path, city: str, serving: str | None = None) -> list[dict]:
    """Every complete release of ``city``, newest first, as its manifest plus ``current``.

    ``current`` marks ``serving`` (the release the server answers from, which is not the
    one CURRENT names while a switch is scheduled or when that one failed its checks);
    without it, the one CURRENT names. The changelog page and ``/api/v1/releases`` both
    read this, so they list the same releases. Folders without a readable manifest (a
    build in progress, a stale ``.tmp-`` folder) are skipped, never shown half-made.
    """
    city_dir = releases_dir / city
    current = serving
    if current is None:
        with contextlib.suppress(ReleaseError):
            current = read_pointer(city_dir).release_id
    out = []
    for path in sorted(city_dir.iterdir()) if city_dir.is_dir() else []:
        if not path.is_dir() or path.name.startswith(".") or not (path / MANIFEST).is_file():
            continue
        try:
            manifest = read_manifest(path)
        except ReleaseError:
            continue
        out.append({**manifest, "current": manifest.get("release_id") == current})
    return sorted(out, key=lambda m: (m.get("created", ""), m.get("release_id", "")), reverse=True)
