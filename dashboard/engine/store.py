"""The data layer's engine: an embedded DuckDB over each city's served release.

One ``Store`` per process (``engines.get_store``), opened on first use, never at import time,
so gunicorn workers each open their own after the fork (and start their own watcher
thread: do not run gunicorn with ``--preload``). The rollups and cubes are small
(thousands to a few hundred thousand rows even at 10M calls) and are loaded into DuckDB
tables once; the row-level file stays a view over Parquet for downloads.

How releases are served (README "Serving releases"), and why:

* **Verified before use.** A release is served only if every file its manifest lists
  has the manifest's size and sha256 (``integrity``), hashed once when it is opened.
  Rows are read from ``calls.parquet`` only after a stat shows it unchanged (hashed
  again if it changed). A bad file never takes down the process, nor any other city.
* **Each city on its own, last good release kept.** ``serving.decide`` picks each
  city's release: the one CURRENT names, else the last good one (the city's pages say
  so), else none (the city is unavailable: the API answers 503 for it).
* **Every worker switches at the same instant.** A watcher thread looks every
  ``POLL_SECONDS`` (stats only), and when a city's decision changes it verifies and
  opens the new set of releases in a fresh connection ahead of time, to be swapped in
  at the decision's instant, which every process computes alike. A client polling
  across workers during a publish sees old, then new, never old again. A release that
  failed is looked at again on every poll, so a repaired file is picked up.
* **An answer never mixes releases.** A snapshot (``dashboard.engine.snapshot``: the
  releases opened in one DuckDB connection) is replaced whole, never changed.
  Code that must read one snapshot for several calls (a request, a page and its later
  callbacks) pins it (``pinned``): replaced snapshots stay open for
  ``Settings.release_grace`` seconds, so a page rendered on one can finish its
  callbacks on it; its key (``city/release-id, ...``) names it across processes.

Queries live in ``dashboard.queries.overview``; they pass SQL made only of contract
column names, with every user value as a bound parameter, through ``Store.frame``.
Results are cached per (snapshot, query, Filters) in a small LRU and handed out as
copies, so no caller can mutate a shared DataFrame.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.contract.cities import City, load_cities
from dashboard.contract.releases import ReleaseError, ReleaseInfo, read_pointer
from dashboard.contract.schema import ResponseType
from dashboard.engine.integrity import VerifiedRelease
from dashboard.engine.serving import CityStatus, Decision, decide, previous_release
from dashboard.engine.shared_cache import shared_cache
from dashboard.engine.snapshot import Selection, Snapshot, open_snapshot
from dashboard.params.filters import Catalog
from dashboard.settings import Settings

logger = logging.getLogger(__name__)

#: Seconds between two looks at the pointers and the served files (stats, no reads).
POLL_SECONDS = 0.5
#: A request at or after a switch instant waits at most this long for this process to
#: have the new releases open (only when verifying took longer than the switch delay).
SWITCH_WAIT_SECONDS = 10.0
#: Replaced snapshots kept open for pages rendered on them (within the grace period).
MAX_RETIRED = 4
#: Seconds before opening releases that verified but could not be loaded is tried again.
RETRY_SECONDS = 30.0


class Store:
    """Read-only access to every city's served release, following CURRENT without a restart.

    See the module docstring. ``watch=False`` starts no watcher thread: the caller
    calls ``refresh`` itself (tests, one-off scripts).
    """

    #: The engine's name in shared cache keys (``shared_cache.namespace``).
    ENGINE = "duckdb"

    def __init__(self, settings: Settings, *, watch: bool = True) -> None:
        self._start(settings)
        self._plan: dict[str, tuple] = {}
        self._pointers_seen: dict[str, int] = {}  # city -> ctime of CURRENT at the last look
        self._snap = self._open_initial()
        self._start_watcher(watch)

    def _start(self, settings: Settings) -> None:
        """What every engine's store holds, before it opens its first snapshot."""
        self.settings = settings
        self._configured: dict[str, City] = load_cities(settings.cities_dir)
        self._cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._shared = shared_cache(settings.redis_url, self.ENGINE, settings.cities_dir)
        self._cache_lock = threading.Lock()
        self._swap_lock = threading.Lock()
        self._refresh_lock = threading.Lock()
        self._local = threading.local()
        self._generations = itertools.count()
        self._pending: list[tuple[float, Snapshot]] = []  # (instant, snapshot), by instant
        self._retired: list[tuple[float, Snapshot]] = []  # (replaced at, snapshot), oldest first
        self._ready = threading.Event()
        self._ready.set()
        self._ready_by: float | None = None
        self._retry_at: float | None = None  # when to try again a plan that could not be opened

    def _start_watcher(self, watch: bool) -> None:
        """Start the watcher thread (``refresh`` every POLL_SECONDS) unless ``watch`` is False."""
        self._stop = threading.Event()
        if watch:
            weakref.finalize(self, self._stop.set)
            threading.Thread(target=_watch, args=(weakref.ref(self), self._stop), name="release-watcher",
                             daemon=True).start()

    def close(self) -> None:
        """Stop the watcher (connections close when the last reader lets go of them)."""
        self._stop.set()

    # -- deciding and opening ---------------------------------------------------------
    def _decide_all(self) -> dict[str, Decision]:
        out = {}
        for city_id in self._configured:
            decision = decide(self.settings.releases_dir, city_id, self.settings.switch_delay)
            if decision is not None:
                out[city_id] = decision
        return out

    def _open_initial(self) -> Snapshot:
        """What this process serves from its start: each city's decision, except that
        before a scheduled instant it serves what the other processes still serve (the
        pointer's ``previous``) and schedules the switch like them."""
        now = time.time()
        decisions = self._decide_all()
        self._plan = {c: d.plan for c, d in decisions.items()}
        self._pointers_seen = {c: d.pointer.changed_ns for c, d in decisions.items()}
        now_selection: Selection = {}
        for city_id, d in decisions.items():
            before = previous_release(self.settings.releases_dir, d) if now < d.at else None
            chosen = before or d.release
            now_selection[city_id] = (chosen, CityStatus(city_id, chosen.info if chosen else None,
                                                         d.pointer.release_id, d.problem))
            self._log_decision(d)
        snap = self._build_each_city(now_selection, None)
        later = [d for d in decisions.values() if not snap.same_as(d)]
        if later:
            self._pending = self._schedule(snap, later)
        return snap

    def _build_each_city(self, selection: Selection, base: Snapshot | None) -> Snapshot:
        """``_build``, but a city whose verified files DuckDB still cannot load (a release
        broken when it was built) costs only that city: it keeps ``base``'s release or is
        left out, with the problem in its status."""
        try:
            return self._build(selection)
        except ReleaseError:
            logger.exception("releases could not be loaded together; opening each city alone")
        selection = dict(selection)
        for city_id, (release, status) in list(selection.items()):
            if release is None:
                continue
            try:
                self._build({city_id: (release, status)}).con.close()
            except ReleaseError as exc:
                kept = base.releases.get(city_id) if base else None
                problem = f"{release.key}: cannot be loaded: {exc}"
                selection[city_id] = (kept, CityStatus(city_id, kept.info if kept else None, status.named,
                                                       problem))
        return self._build(selection)

    def _build(self, selection: Selection) -> Snapshot:
        """Open the selected releases into a new connection (ReleaseError if DuckDB cannot)."""
        return open_snapshot(selection, self._configured, self._generations, self.settings.query_memory_mb)

    def _schedule(self, base: Snapshot, changes: list[Decision]) -> list[tuple[float, Snapshot]]:
        """Snapshots to swap in, one per distinct instant, each with every change due by then."""
        selection: Selection = {c: (base.releases.get(c), s) for c, s in base.statuses.items()}
        out = []
        for at in sorted({d.at for d in changes}):
            for d in changes:
                if d.at == at:
                    selection[d.city] = (d.release, d.status())
            out.append((at, self._build_each_city(dict(selection), base)))
        return out

    @staticmethod
    def _log_decision(d: Decision) -> None:
        if d.problem and d.release is not None:
            logger.error("release not served: %s; %s serves %s instead", d.problem, d.city, d.release.key)
        elif d.problem:
            logger.error("release not served: %s; %s has no good release and is unavailable",
                         d.problem, d.city)

    def refresh(self) -> None:
        """Look at the pointers and release files now (the watcher does every POLL_SECONDS).

        When a city's decision changed, verify and open the new releases and schedule
        them for the decision's instant; then swap in whatever is due.
        """
        with self._refresh_lock:
            hint = self._switch_hint()
            if hint is not None:
                self._ready_by = hint
                self._ready.clear()
            try:
                decisions = self._decide_all()
                plan = {c: d.plan for c, d in decisions.items()}
                retry = self._retry_at is not None and time.time() >= self._retry_at
                if plan != self._plan or retry:
                    self._plan = plan
                    self._retry_at = None if self._replan(decisions) else time.time() + RETRY_SECONDS
            finally:
                self._ready_by = None
                self._ready.set()
        self._promote_due(time.time())

    def _switch_hint(self) -> float | None:
        """The earliest switch instant of a pointer that changed since the last look, if
        any: requests from then on wait (bounded) until this refresh has finished."""
        hints = []
        for city_id in self._configured:
            try:
                pointer = read_pointer(self.settings.releases_dir / city_id)
            except ReleaseError:
                continue
            if self._pointers_seen.get(city_id) != pointer.changed_ns:
                self._pointers_seen[city_id] = pointer.changed_ns
                delayed = pointer.changed_ns / 1e9 + self.settings.switch_delay
                hints.append(max(pointer.switch_at or 0.0, delayed))
        return min(hints) if hints else None

    def _replan(self, decisions: dict[str, Decision]) -> bool:
        """Schedule what changed; False if it could not be opened (tried again later)."""
        with self._swap_lock:
            base = self._snap
        changes = [d for d in decisions.values() if not base.same_as(d)]
        for d in changes:
            self._log_decision(d)
        try:
            pending = self._schedule(base, changes) if changes else []
        except ReleaseError:
            logger.exception("the new releases could not be opened; still serving %s", base.key)
            return False
        with self._swap_lock:
            self._pending = pending
        return True

    def _promote_due(self, now: float) -> None:
        with self._swap_lock:
            while self._pending and self._pending[0][0] <= now:
                _, snap = self._pending[0]
                self._pending = self._pending[1:]
                self._retired = [*self._retired, (now, self._snap)][-MAX_RETIRED:]
                self._snap = snap
                logger.info("now serving %s", snap.key or "no city")
            grace = self.settings.release_grace
            self._retired = [(t, s) for t, s in self._retired if now - t <= grace]

    def _active(self) -> Snapshot:
        """The snapshot to answer from now (swapping in one that is due)."""
        now = time.time()
        ready_by = self._ready_by
        if ready_by is not None and now >= ready_by:
            self._ready.wait(SWITCH_WAIT_SECONDS)  # the new releases are still being verified
        pending = self._pending
        if pending and pending[0][0] <= now:
            self._promote_due(now)
        return self._snap

    def _held(self, key: str) -> Snapshot | None:
        """A snapshot this process has open with ``key``: the active one, one scheduled
        (another process may have switched a moment earlier) or one replaced lately."""
        active = self._active()
        if active.key == key:
            return active
        for _, snap in self._pending:
            if snap.key == key:
                return snap
        now = time.time()
        for replaced_at, snap in reversed(self._retired):
            if snap.key == key and now - replaced_at <= self.settings.release_grace:
                return snap
        return None

    def _scope(self) -> Snapshot:
        pinned = getattr(self._local, "pinned", None)
        return pinned if pinned is not None else self._active()

    @contextlib.contextmanager
    def pinned(self, key: str | None = None) -> Iterator[bool]:
        """Every call in the block (in this thread) answers from one snapshot.

        With ``key``, the snapshot of that key if this process still has it open; else
        (and without ``key``) the one already pinned or the active one. Yields whether
        ``key`` was found (True without ``key``).
        """
        outer = getattr(self._local, "pinned", None)
        snap = self._held(key) if key is not None else None
        found = key is None or snap is not None
        self._local.pinned = snap or outer or self._active()
        try:
            yield found
        finally:
            self._local.pinned = outer

    # -- public API ------------------------------------------------------------------
    @property
    def cities(self) -> dict[str, City]:
        """Configured cities that are served (a release passed its checks)."""
        return self._scope().cities

    @property
    def configured(self) -> dict[str, City]:
        """Every configured city, served or not."""
        return dict(self._configured)

    def served_release(self, city: str) -> VerifiedRelease | None:
        """The verified release the city is served from (None if it is not served)."""
        return self._scope().releases.get(city)

    def catalogs(self) -> dict[str, Catalog]:
        return dict(self._scope().catalogs)

    def release_key(self) -> str:
        """``city/release-id, ...`` of the snapshot in scope: what an answer was read from."""
        return self._scope().key

    def statuses(self) -> dict[str, CityStatus]:
        """Every city that has a CURRENT pointer: what it is served from, and any problem."""
        return dict(self._scope().statuses)

    def unavailable(self) -> dict[str, CityStatus]:
        """Cities that have releases but none that passed its checks."""
        return {c: s for c, s in self._scope().statuses.items() if s.unavailable}

    def release_info(self, city: str) -> ReleaseInfo:
        return self._scope().releases[city].info

    def release_path(self, city: str) -> Path:
        return self._scope().releases[city].info.path

    def alternative_program(self, city: str) -> ResponseType:
        return self._scope().cities[city].alternative_program

    def snapshot_cursor(self, city: str) -> tuple[ReleaseInfo, duckdb.DuckDBPyConnection]:
        """The city's release and a new cursor on the snapshot it belongs to.

        For a stream read over many requests' worth of time (a download): it keeps reading
        the release it started on even if a new one is switched in meanwhile, and it does
        not share the thread's cursor, whose result other queries would reset. The caller
        closes it. ``calls.parquet`` is checked first (a stat; hashed again only if it
        changed): IntegrityError if it no longer matches its manifest, KeyError if the
        city is not served.
        """
        snap = self._scope()
        release = snap.releases[city]
        release.check("calls.parquet")
        return release.info, snap.con.cursor()

    def _cursor(self, snap: Snapshot) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the snapshot's connection (a few kept, one per snapshot)."""
        cursors: OrderedDict[int, duckdb.DuckDBPyConnection] | None = getattr(self._local, "cursors", None)
        if cursors is None:
            cursors = self._local.cursors = OrderedDict()
        cur = cursors.get(snap.generation)
        if cur is None:
            cur = cursors[snap.generation] = snap.con.cursor()
            while len(cursors) > MAX_RETIRED + 1:
                cursors.popitem(last=False)
        return cur

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a parameterised query and return a fresh DataFrame."""
        return self._cursor(self._scope()).execute(sql, list(params)).df()

    def clear_cache(self) -> None:
        """Forget every cached result (benchmarks time each filter change from cold)."""
        with self._cache_lock:
            self._cache.clear()

    def cached(self, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """LRU by (snapshot, query, Filters, ...) key; callers always get their own copy.

        Behind the LRU, the shared cache (Redis, ``CRISIS_REDIS_URL``) when configured: a
        result any worker computed is read, not computed again (``shared_cache``). The
        snapshot is pinned while ``compute`` runs, so a result is always stored under the
        snapshot it was computed on.
        """
        with self.pinned():
            key = (self._scope().key, *key)
            with self._cache_lock:
                hit = self._cache.get(key)
                if hit is not None:
                    self._cache.move_to_end(key)
                    return hit.copy()
            value = self._shared.get(key) if self._shared else None
            if value is None:
                value = compute()
                if self._shared:
                    self._shared.put(key, value)
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > self.settings.cache_entries:
                self._cache.popitem(last=False)
        return value.copy()


def _watch(ref: weakref.ReferenceType[Store], stop: threading.Event) -> None:
    """The watcher thread: ``refresh`` every POLL_SECONDS until the Store is gone."""
    while not stop.wait(POLL_SECONDS):
        store = ref()
        if store is None:
            return
        try:
            store.refresh()
        except Exception:  # keep watching: the next look may succeed
            logger.exception("looking for release changes failed; trying again")
        del store
