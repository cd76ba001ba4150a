"""Are a release's files the files its manifest describes? Checked by sha256, cheaply.

A release is immutable once published, and its manifest lists every file's sha256 and
size. A file can still change under a running server (a disk error, an operator's
``truncate`` or ``cp``, a half-finished rsync), and a truncated Parquet file is no
longer the data the release id promises. So:

* **Before a release is served** every file it lists is hashed and compared with the
  manifest (``verify_release``); a release with one bad file is not served at all.
* **Before a file is used again** (served for download, or read for rows), its stat is
  compared with the one it had when it was hashed: size, inode, mtime and ctime. Only
  when they differ is it hashed again (``SealCache.check``). Hashing a multi-GB
  ``calls.parquet`` per request would be far too slow; a stat is microseconds. ctime
  cannot be set from user space, so a change followed by ``touch -d`` is still seen.
* **While a file is sent** its bytes are hashed as they go and the last chunk is held
  back until the whole digest matches (``verified_chunks``): if the file changed during
  the download the client gets a broken transfer, never a complete wrong file.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
import threading
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.contract.releases import MANIFEST, ReleaseError, ReleaseInfo, read_release_info

#: Bytes read (and sent) at a time.
CHUNK_BYTES = 1 << 20
#: Files whose digest a process remembers (by path and stat).
SEAL_CACHE_ENTRIES = 4096


class IntegrityError(ReleaseError):
    """A release file is missing or differs from its manifest; the message names it."""


@dataclass(frozen=True)
class FileStat:
    """What changes when a file's content changes: size, inode, mtime and ctime (ns)."""

    size: int
    inode: int
    mtime_ns: int
    ctime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileStat | None:
        """The file's stat, or None if it is missing or not a regular file."""
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not stat.S_ISREG(st.st_mode):
            return None
        return cls(st.st_size, st.st_ino, st.st_mtime_ns, st.st_ctime_ns)


def _hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK_BYTES), b""):
            digest.update(chunk)
    return digest.hexdigest()


class SealCache:
    """Per process: the sha256 each file had at a given stat, so a file is hashed again
    only after it changed. Thread-safe; one thread hashes a given file at a time."""

    def __init__(self, entries: int = SEAL_CACHE_ENTRIES) -> None:
        self._known: OrderedDict[Path, tuple[FileStat, str]] = OrderedDict()
        self._entries = entries
        self._lock = threading.Lock()
        self._file_locks: dict[Path, threading.Lock] = {}

    def digest(self, path: Path) -> tuple[FileStat, str]:
        """The file's stat and sha256 (hashed only if unseen or changed since last hashed)."""
        path = Path(path)
        for _ in range(3):  # a file changing while it is hashed is hashed again
            before = FileStat.of(path)
            if before is None:
                raise IntegrityError(f"{path.name} is missing")
            with self._lock:
                known = self._known.get(path)
                file_lock = self._file_locks.setdefault(path, threading.Lock())
            if known is not None and known[0] == before:
                return known
            with file_lock:
                digest = _hash(path)
            if FileStat.of(path) == before:
                with self._lock:
                    self._known[path] = (before, digest)
                    self._known.move_to_end(path)
                    while len(self._known) > self._entries:
                        old, _ = self._known.popitem(last=False)
                        self._file_locks.pop(old, None)
                return before, digest
        raise IntegrityError(f"{path.name} keeps changing while it is read")

    def check(self, path: Path, sha256: str, size: int) -> FileStat:
        """Raise IntegrityError unless the file has exactly ``size`` bytes and ``sha256``."""
        st = FileStat.of(path)
        if st is None:
            raise IntegrityError(f"{Path(path).name} is missing")
        if st.size != size:  # cheap: no need to hash a truncated file
            raise IntegrityError(f"{Path(path).name} has {st.size:,} bytes; its manifest says {size:,}")
        st, found = self.digest(path)
        if found != sha256:
            raise IntegrityError(f"{Path(path).name}: sha256 {found[:12]}... differs from its manifest's "
                                 f"{sha256[:12]}...")
        return st

    def forget(self, path: Path) -> None:
        with self._lock:
            self._known.pop(Path(path), None)


#: The process's cache (release files are the same files for every Store in a process).
SEALS = SealCache()


@dataclass(frozen=True)
class VerifiedRelease:
    """A release whose every listed file matched its manifest when it was opened.

    ``expected`` is each file's (sha256, bytes) from the manifest, plus the manifest's
    own digest as it was read; ``stats`` what each file's stat was when it matched.
    """

    info: ReleaseInfo
    expected: dict[str, tuple[str, int]]
    stats: dict[str, FileStat]

    @property
    def key(self) -> str:
        return f"{self.info.city}/{self.info.release_id}"

    def changed(self) -> list[str]:
        """Names of the files whose stat differs from when they were verified (no reads)."""
        return [name for name, st in self.stats.items() if FileStat.of(self.info.path / name) != st]

    def check(self, name: str, cache: SealCache = SEALS) -> Path:
        """The path of file ``name``, after checking it still matches (IntegrityError if not)."""
        sha256, size = self.expected[name]
        path = self.info.path / name
        if FileStat.of(path) != self.stats[name]:
            cache.check(path, sha256, size)
        return path


def manifest_files(manifest: dict) -> dict[str, tuple[str, int]]:
    """(sha256, bytes) by file name, from a manifest (ReleaseError if malformed)."""
    try:
        return {str(name): (str(meta["sha256"]), int(meta["bytes"]))
                for name, meta in manifest["files"].items()}
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ReleaseError(f"manifest lists its files badly: {exc}") from exc


def verify_release(path: Path, city: str, release_id: str, cache: SealCache = SEALS) -> VerifiedRelease:
    """Check every file ``path``'s manifest lists (IntegrityError/ReleaseError naming the first bad).

    ``city`` and ``release_id`` are what the caller expects the folder to hold: a
    manifest naming another release is refused too.
    """
    manifest_path = path / MANIFEST
    manifest_stat = FileStat.of(manifest_path)
    if manifest_stat is None:
        raise ReleaseError(f"release {release_id} of {city} has no {MANIFEST}")
    raw = manifest_path.read_bytes()
    try:
        manifest = json.loads(raw)
    except ValueError as exc:
        raise IntegrityError(f"{MANIFEST} is not valid JSON: {exc}") from exc
    if manifest.get("release_id") != release_id or manifest.get("city") != city:
        raise IntegrityError(f"{MANIFEST} names {manifest.get('city')}/{manifest.get('release_id')}, "
                             f"not {city}/{release_id}")
    expected = manifest_files(manifest)
    if "calls.parquet" not in expected:
        raise IntegrityError(f"{MANIFEST} lists no calls.parquet")
    stats = {name: cache.check(path / name, sha256, size) for name, (sha256, size) in expected.items()}
    if FileStat.of(manifest_path) != manifest_stat:
        raise IntegrityError(f"{MANIFEST} changed while the release was checked")
    expected[MANIFEST] = (hashlib.sha256(raw).hexdigest(), len(raw))
    stats[MANIFEST] = manifest_stat
    return VerifiedRelease(read_release_info(path), expected, stats)


def verified_chunks(path: Path, sha256: str, size: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """The file's bytes, hashed as they are read; the last chunk is only given once the
    whole file matched ``sha256`` and ``size`` (IntegrityError instead, so a streamed
    response ends short of its Content-Length: a failed download, never a wrong file)."""
    digest = hashlib.sha256()
    total = 0
    with Path(path).open("rb") as fh:
        held = fh.read(chunk_bytes)
        while held:
            following = fh.read(chunk_bytes)
            digest.update(held)
            total += len(held)
            if not following:
                break
            yield held
            held = following
        if total != size or digest.hexdigest() != sha256:
            SEALS.forget(Path(path))
            raise IntegrityError(f"{Path(path).name} changed while it was sent")
        if held:
            yield held
