"""The data layer's engine: an embedded DuckDB over each city's current release.

One ``Store`` per process (``get_store``), opened on first use, never at import time,
so gunicorn workers each open their own after the fork. The rollups and cubes are
small (thousands to a few hundred thousand rows even at 10M calls) and are loaded
into DuckDB tables once; the row-level file stays a view over Parquet for downloads.

A new release (an ingest switching a city's CURRENT pointer) is picked up without a
restart: see ``Store``. Releases are never modified in place, so the files of the
release being served stay valid while a new one is built next to them.

Queries live in ``dashboard.data.queries``; they pass SQL made only of contract
column names, with every user value as a bound parameter, through ``Store.frame``.
Results are cached per (query, Filters) in a small LRU and handed out as copies, so
no caller can mutate a shared DataFrame.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.data.cities import City, load_cities
from dashboard.data.datapackage import table_columns
from dashboard.data.filters import Catalog
from dashboard.data.release import (
    CURRENT_POINTER,
    ReleaseError,
    ReleaseInfo,
    current_release_dir,
    read_release_info,
)
from dashboard.data.schema import CITYWIDE, CUBES, ROLLUPS, ResponseType
from dashboard.settings import Settings

logger = logging.getLogger(__name__)


def _district_sort_key(value: str) -> tuple[int, int, str]:
    if value == CITYWIDE:
        return (2, 0, value)
    return (0, int(value), value) if value.isdigit() else (1, 0, value)


#: Seconds between two looks at the CURRENT pointers (a stat per city, no reads).
RELOAD_CHECK_SECONDS = 1.0


@dataclass(frozen=True)
class _Snapshot:
    """Everything opened from one set of current releases; replaced whole, never mutated.

    Readers take ``store._snap`` once per call and keep using that snapshot, so a swap in
    another thread never mixes two releases within one answer.
    """

    releases: dict[str, ReleaseInfo]
    cities: dict[str, City]
    con: duckdb.DuckDBPyConnection
    catalogs: dict[str, Catalog]
    generation: int


class Store:
    """Read-only access to every city's current release, following CURRENT without a restart.

    Each public call (``catalogs``, ``release_info``, ``frame``...) looks at the CURRENT
    pointers' stat at most once per ``RELOAD_CHECK_SECONDS``. When one has changed to a
    new release id, the new releases are opened into a fresh DuckDB connection beside
    the old one, then swapped in with one assignment and the result cache cleared. If
    the new release cannot be opened, the old one keeps serving and the failure is
    logged (once per pointer change). Old connections are left to the garbage
    collector, so queries already running on them finish normally.
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._configured: dict[str, City] = load_cities(settings.cities_dir)
        self._cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._cache_lock = threading.Lock()
        self._reload_lock = threading.Lock()
        self._local = threading.local()
        self._pointers = self._pointer_stats()
        self._next_check = time.monotonic() + RELOAD_CHECK_SECONDS
        self._snap = self._open(generation=0)

    # -- opening ---------------------------------------------------------------------
    def _open(self, generation: int) -> _Snapshot:
        """Open every city's current release into a new connection (raises ReleaseError)."""
        releases: dict[str, ReleaseInfo] = {}
        for city_id in self._configured:
            try:
                releases[city_id] = read_release_info(
                    current_release_dir(self.settings.releases_dir, city_id)
                )
            except ReleaseError:
                continue  # a configured city with no release yet is simply not offered
        if not releases:
            raise ReleaseError(f"no city has a current release under {self.settings.releases_dir}")
        cities = {k: v for k, v in self._configured.items() if k in releases}
        con = duckdb.connect(":memory:")
        try:
            _load_tables(con, releases)
            catalogs = _build_catalogs(con, cities)
        except BaseException:
            con.close()
            raise
        return _Snapshot(releases, cities, con, catalogs, generation)

    def _pointer_stats(self) -> dict[str, tuple[int, int, int] | None]:
        """(inode, mtime, size) of each CURRENT pointer: an atomic rename changes the inode."""
        stats: dict[str, tuple[int, int, int] | None] = {}
        for city_id in self._configured:
            try:
                st = (self.settings.releases_dir / city_id / CURRENT_POINTER).stat()
            except OSError:
                stats[city_id] = None
                continue
            stats[city_id] = (st.st_ino, st.st_mtime_ns, st.st_size)
        return stats

    def _maybe_reload(self) -> _Snapshot:
        """The snapshot to answer from, after a cheap, rate-limited look for a new release."""
        snap = self._snap
        now = time.monotonic()
        if now < self._next_check or not self._reload_lock.acquire(blocking=False):
            return snap  # checked recently, or another thread is checking right now
        try:
            self._next_check = now + RELOAD_CHECK_SECONDS
            pointers = self._pointer_stats()
            if pointers == self._pointers:
                return snap
            self._pointers = pointers
            try:
                fresh = self._open(generation=snap.generation + 1)
            except Exception:
                logger.exception("a new current release could not be opened; still serving %s",
                                 {c: i.release_id for c, i in snap.releases.items()})
                return snap
            if {c: i.path for c, i in fresh.releases.items()} == {
                c: i.path for c, i in snap.releases.items()
            }:
                fresh.con.close()  # pointer rewritten with the same ids: nothing to swap
                return snap
            self._snap = fresh
            self.clear_cache()
            logger.info("now serving %s", {c: i.release_id for c, i in fresh.releases.items()})
            return fresh
        finally:
            self._reload_lock.release()

    # -- public API ------------------------------------------------------------------
    @property
    def cities(self) -> dict[str, City]:
        """Configured cities that have a current release."""
        return self._maybe_reload().cities

    def catalogs(self) -> dict[str, Catalog]:
        return dict(self._maybe_reload().catalogs)

    def release_info(self, city: str) -> ReleaseInfo:
        return self._maybe_reload().releases[city]

    def release_path(self, city: str) -> Path:
        return self._maybe_reload().releases[city].path

    def alternative_program(self, city: str) -> ResponseType:
        return self._maybe_reload().cities[city].alternative_program

    def snapshot_cursor(self, city: str) -> tuple[ReleaseInfo, duckdb.DuckDBPyConnection]:
        """The city's release and a new cursor on the snapshot it belongs to.

        For a stream read over many requests' worth of time (a download): it keeps reading
        the release it started on even if a new one is switched in meanwhile, and it does
        not share the thread's cursor, whose result other queries would reset. The caller
        closes it.
        """
        snap = self._maybe_reload()
        return snap.releases[city], snap.con.cursor()

    def _cursor(self, snap: _Snapshot) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the snapshot's connection (a new one after a swap)."""
        cur = getattr(self._local, "cursor", None)
        if cur is None or getattr(self._local, "generation", None) != snap.generation:
            cur = snap.con.cursor()
            self._local.cursor = cur
            self._local.generation = snap.generation
        return cur

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a parameterised query and return a fresh DataFrame."""
        return self._cursor(self._maybe_reload()).execute(sql, list(params)).df()

    def clear_cache(self) -> None:
        """Forget every cached result (benchmarks time each filter change from cold)."""
        with self._cache_lock:
            self._cache.clear()

    def cached(self, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """LRU by (query, Filters, ...) key; callers always get their own copy.

        Entries are keyed by the snapshot too, so a result computed on the old release
        while a swap happens is never served for the new one.
        """
        key = (self._maybe_reload().generation, *key)
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit.copy()
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > self.settings.cache_entries:
                self._cache.popitem(last=False)
        return value.copy()


def _files(releases: dict[str, ReleaseInfo], name: str) -> list[str]:
    return [str(info.path / f"{name}.parquet") for info in releases.values()
            if (info.path / f"{name}.parquet").is_file()]


_SQL_TYPES = {"string": "VARCHAR", "date": "DATE", "bool": "BOOLEAN", "int": "BIGINT"}


def _load_tables(con: duckdb.DuckDBPyConnection, releases: dict[str, ReleaseInfo]) -> None:
    for table in (*ROLLUPS, *CUBES):
        files = _files(releases, table.name)
        if files:
            con.read_parquet(files, union_by_name=True).create(table.name)
        else:  # releases built before this table existed: an empty table, not a crash
            columns = ", ".join(f"{c.name} {_SQL_TYPES.get(c.dtype, 'VARCHAR')}"
                                for c in table_columns(table))
            con.execute(f"CREATE TABLE {table.name} ({columns})")
    con.read_parquet(_files(releases, "calls"), union_by_name=True).create_view("calls")


def _build_catalogs(con: duckdb.DuckDBPyConnection, cities: dict[str, City]) -> dict[str, Catalog]:
    bounds = con.execute(
        "SELECT jurisdiction, min(month), max(month) FROM rollup_overview GROUP BY 1"
    ).fetchall()
    districts = con.execute("SELECT DISTINCT jurisdiction, district FROM rollup_overview").fetchall()
    city_ids = tuple(cities)
    out = {}
    for city_id, first, last in bounds:
        if city_id not in cities:
            continue
        ds = sorted((d for c, d in districts if c == city_id), key=_district_sort_key)
        out[city_id] = Catalog(
            city=city_id, cities=city_ids, first_month=_as_date(first), last_month=_as_date(last),
            districts=tuple(ds), programs=cities[city_id].programs,
        )
    return out


def _as_date(value: object) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return date.fromisoformat(str(value)[:10])


@cache
def get_store(settings: Settings) -> Store:
    """The process's one Store for these settings (opened on first call)."""
    return Store(settings)
