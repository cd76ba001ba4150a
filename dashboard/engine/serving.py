"""Which release each city should serve, and from what instant: one decision per city.

Every server process (gunicorn worker, on one host or several sharing the releases
folder) runs ``decide`` over the same files, so they all reach the same answer and
the same switch instant without talking to each other:

* **What.** The release CURRENT names, if every file it lists matches its manifest
  (``integrity.verify_release``); otherwise the last good one: the pointer's
  ``previous``, then older releases, newest first. A city with none is unavailable.
  Each city is decided on its own, so one bad file takes down no other city.
* **When.** ``at`` = the latest of the pointer's ``switch_at`` and the newest change
  (ctime) of the pointer and of the files of every release looked at, plus
  ``delay``. ctime is set by the file system, so every process reads the same value:
  a publish, a file damaged in place or a damaged file repaired all move every
  process at one instant, ``delay`` seconds after the change, which leaves each of
  them time to notice (a stat every ``store.POLL_SECONDS``) and to verify the new
  release before that instant.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dashboard.contract.releases import Pointer, ReleaseError, ReleaseInfo, list_releases, read_pointer
from dashboard.engine.integrity import SEALS, SealCache, VerifiedRelease, verify_release


@dataclass(frozen=True)
class CityStatus:
    """What a city is served from, and why not from what CURRENT names if it is not.

    ``problem`` is set when the release CURRENT names failed its checks: the city is
    then served from ``serving``, an earlier good release (``fallback``), or not at all
    (``unavailable``). While a switch is scheduled, ``serving`` differs from ``named``
    with no problem.
    """

    city: str
    serving: ReleaseInfo | None
    named: str
    problem: str | None = None

    @property
    def fallback(self) -> bool:
        return self.serving is not None and self.problem is not None

    @property
    def unavailable(self) -> bool:
        return self.serving is None


@dataclass(frozen=True)
class Decision:
    """A city's answer: ``release`` (None: nothing good) is to be served from ``at`` on."""

    city: str
    pointer: Pointer
    release: VerifiedRelease | None
    problem: str | None
    at: float

    def status(self) -> CityStatus:
        return CityStatus(self.city, self.release.info if self.release else None, self.pointer.release_id,
                          self.problem)

    @property
    def plan(self) -> tuple[str | None, str | None, float]:
        """What two decisions must share to be the same decision."""
        return (self.release.key if self.release else None, self.problem, self.at)


def newest_change_ns(folder: Path) -> int:
    """The latest ctime among a folder's files (0 if it cannot be read): a stat per file."""
    newest = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            with contextlib.suppress(OSError):
                newest = max(newest, entry.stat(follow_symlinks=False).st_ctime_ns)
    return newest


def _older_releases(releases_dir: Path, city: str, skip: set[str]) -> Iterator[str]:
    """Release ids other than ``skip``, created before the one CURRENT names, newest first.

    Only releases older than the named one: a newer one that is not current may have
    been withdrawn on purpose (CURRENT pointed back), and must not come back by itself.
    """
    manifests = list_releases(releases_dir, city)
    named = next((m for m in manifests if m.get("current")), None)
    limit = str(named.get("created", "")) if named else None
    for manifest in manifests:
        release_id = str(manifest.get("release_id", ""))
        if release_id in skip:
            continue
        if limit is not None and str(manifest.get("created", "")) > limit:
            continue
        yield release_id


def candidates(releases_dir: Path, city: str, pointer: Pointer) -> Iterator[str]:
    """The releases a city may serve, best first: named, previous, then older ones."""
    yield pointer.release_id
    skip = {pointer.release_id}
    if pointer.previous and pointer.previous not in skip:
        yield pointer.previous
        skip.add(pointer.previous)
    yield from _older_releases(releases_dir, city, skip)


def decide(releases_dir: Path, city: str, delay: float, cache: SealCache = SEALS) -> Decision | None:
    """This city's decision now; None if it has no readable CURRENT (the caller keeps
    whatever it serves, or does not offer the city).

    Only stats are read for files that have not changed since they were last hashed, so
    deciding every half second costs a few dozen stats per city.
    """
    city_dir = releases_dir / city
    try:
        pointer = read_pointer(city_dir)
    except ReleaseError:
        return None
    changed_ns = pointer.changed_ns
    release: VerifiedRelease | None = None
    problem: str | None = None
    for release_id in candidates(releases_dir, city, pointer):
        folder = city_dir / release_id
        changed_ns = max(changed_ns, newest_change_ns(folder))
        try:
            release = verify_release(folder, city, release_id, cache)
        except (ReleaseError, OSError) as exc:
            if release_id == pointer.release_id:
                problem = f"{city}/{release_id}: {exc}"
            continue
        break
    at = max(pointer.switch_at or 0.0, changed_ns / 1e9 + delay)
    return Decision(city, pointer, release, problem, at)


def previous_release(releases_dir: Path, decision: Decision,
                     cache: SealCache = SEALS) -> VerifiedRelease | None:
    """What a process starting before ``decision.at`` serves until then: the pointer's
    ``previous``, if it is good and not the decided release (else None)."""
    previous = decision.pointer.previous
    if not previous or (decision.release and decision.release.info.release_id == previous):
        return None
    try:
        return verify_release(releases_dir / decision.city / previous, decision.city, previous, cache)
    except (ReleaseError, OSError):
        return None
