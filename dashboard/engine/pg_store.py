"""The data layer's second engine: PostgreSQL, for deployments larger than one machine.

Chosen by ``CRISIS_DATABASE_URL`` (``dashboard.engine.engines.get_store``). Releases reach
the database with ``crisis-dashboard publish RELEASE --to URL``
(``dashboard.publish.to_database``), which loads a release and switches to it in one
transaction; the layout is ``dashboard.engine.pg_layout``.

``PgStore`` is a ``Store`` with the same surface and the same serving rules, read from
the database instead of the releases folder:

* **What serves** is the snapshot ``crisis.serving`` names: views over one release of
  each city. A snapshot is never changed, so an answer never mixes releases, and pages
  pin one by its key (``city/release-id, ...``) for their callbacks, as on DuckDB.
* **Every worker switches at the same instant.** A publish records ``switch_at`` (its
  commit time on the database's clock plus ``CRISIS_SWITCH_DELAY``) and the snapshot
  served until then. Each worker looks every ``POLL_SECONDS`` (one indexed row), opens
  the new snapshot ahead of time (its catalogs) and swaps it in at ``switch_at``, so a
  client polling across workers and hosts sees old, then new, never old again.
* **Queries are the same text** as on DuckDB, translated once by ``pg_sql.to_postgres``,
  values bound. Each thread has its own connection (psycopg, autocommit, read only, no
  prepared statements, so each query is planned with its values). A download streams
  through a server-side cursor on a connection of its own.

The release folders are not needed to answer queries. The pages still read each
release's manifest and the files a reader downloads whole from
``CRISIS_DATA_DIR/releases``, which every host receives as before (README "Beyond one
machine").
"""

from __future__ import annotations

import itertools
import logging
import time
import weakref
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import psycopg
import pyarrow as pa
from psycopg import sql

from dashboard.contract.cities import City
from dashboard.contract.releases import ReleaseError, ReleaseInfo, release_info
from dashboard.engine import pg_sql
from dashboard.engine.integrity import VerifiedRelease
from dashboard.engine.pg_layout import META, ident, snapshot_number
from dashboard.engine.serving import CityStatus
from dashboard.engine.snapshot import build_catalogs
from dashboard.engine.store import RETRY_SECONDS, Store
from dashboard.params.filters import Catalog
from dashboard.settings import Settings

logger = logging.getLogger(__name__)

#: Seconds a connection waits to connect, and a query to finish, before it fails.
CONNECT_TIMEOUT = 3
STATEMENT_TIMEOUT_MS = 60_000


@dataclass(frozen=True)
class PgRelease:
    """A release as the database holds it: what a ``VerifiedRelease`` gives callers."""

    info: ReleaseInfo

    @property
    def key(self) -> str:
        return f"{self.info.city}/{self.info.release_id}"


@dataclass(frozen=True)
class PgSnapshot:
    """A serving snapshot (``snap_<n>``), with what pages need to know of it."""

    schema: str | None  # None: nothing published yet
    releases: dict[str, PgRelease]
    statuses: dict[str, CityStatus]
    cities: dict[str, City]
    catalogs: dict[str, Catalog]
    generation: int

    @property
    def key(self) -> str:
        return ", ".join(v.key for v in self.releases.values())


class _Rows:
    """A cursor in the shape ``dashboard.queries.export`` streams from: ``execute`` /
    ``fetchall`` and ``sql(...).to_arrow_reader(n)``, on a connection of its own."""

    def __init__(self, url: str, schema: str | None) -> None:
        self._conn = psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT, prepare_threshold=None)
        self._conn.read_only = True
        self._cur = self._conn.cursor()
        if schema:
            self._cur.execute(sql.SQL("SET LOCAL search_path TO {}").format(ident(schema)))
        self._names = itertools.count()

    def execute(self, text: str, params: Sequence[object] = ()) -> _Rows:
        self._cur.execute(pg_sql.to_postgres(text), list(params))
        return self

    def fetchall(self) -> list[tuple]:
        return self._cur.fetchall()

    def sql(self, text: str, params: Sequence[object] = ()) -> _Relation:
        return _Relation(self._conn, pg_sql.to_postgres(text), list(params), f"rows_{next(self._names)}")

    def close(self) -> None:
        self._conn.close()


@dataclass
class _Relation:
    conn: psycopg.Connection
    text: str
    params: list[object]
    name: str

    def to_arrow_reader(self, batch_rows: int) -> Iterator[pa.RecordBatch]:
        """One-column batches (the CSV lines), fetched through a server-side cursor."""
        with self.conn.cursor(name=self.name) as cur:
            cur.itersize = batch_rows
            cur.execute(self.text, self.params)
            while rows := cur.fetchmany(batch_rows):
                yield pa.record_batch([pa.array([r[0] for r in rows], pa.large_string())], names=["line"])


class PgStore(Store):
    """``Store`` answering from PostgreSQL (module docstring). ``watch=False``: no watcher
    thread; the caller calls ``refresh``."""

    ENGINE = "postgres"

    def __init__(self, settings: Settings, *, watch: bool = True) -> None:  # noqa: D107
        # Not Store.__init__, which decides from the releases folder: the same state,
        # with the snapshot read from the database.
        self._start(settings)
        self._url = settings.database_url
        self._plan: tuple | None = None  # type: ignore[assignment]
        self._snap = PgSnapshot(None, {}, {}, {}, {}, next(self._generations))  # type: ignore[assignment]
        self._connections: weakref.WeakSet = weakref.WeakSet()
        self._unreachable = False
        self.refresh()
        self._start_watcher(watch)

    # -- connections ------------------------------------------------------------------
    def _connection(self) -> psycopg.Connection:
        """This thread's connection (opened again if the server dropped it)."""
        conn: psycopg.Connection | None = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            conn = psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT,
                                   prepare_threshold=None,
                                   options=f"-c statement_timeout={STATEMENT_TIMEOUT_MS} "
                                           "-c default_transaction_read_only=on")
            self._local.conn = conn
            self._local.schema = None
            self._connections.add(conn)
        return conn

    def _cursor(self, snap: PgSnapshot) -> psycopg.Cursor:  # type: ignore[override]
        conn = self._connection()
        if snap.schema is not None and self._local.schema != snap.schema:
            conn.execute(sql.SQL("SET search_path TO {}").format(ident(snap.schema)))
            self._local.schema = snap.schema
        return conn.cursor()

    def close(self) -> None:
        self._stop.set()
        for conn in list(self._connections):
            conn.close()

    # -- following crisis.serving -----------------------------------------------------
    def _serving_row(self) -> tuple | None:
        conn = self._connection()
        try:
            return conn.execute(sql.SQL(
                "SELECT snapshot, previous, extract(epoch FROM switch_at)::float8 FROM {} WHERE id = 1"
            ).format(ident(META, "serving"))).fetchone()
        except psycopg.errors.UndefinedTable:
            return None  # nothing published yet

    def _open(self, schema: str) -> PgSnapshot:
        """Build a snapshot object for ``schema``: its releases' manifests and catalogs."""
        conn = self._connection()
        rows = conn.execute(sql.SQL(
            "SELECT r.city, r.manifest FROM {} r WHERE (r.city, r.release_id) IN "
            "(SELECT key, value->>'release' FROM jsonb_each((SELECT cities FROM {} WHERE snapshot = %s)))"
        ).format(ident(META, "releases"), ident(META, "snapshots")), [schema]).fetchall()
        manifests = {str(city): dict(manifest) for city, manifest in rows}
        folder = self.settings.releases_dir  # where each host keeps the release's files
        releases = {c: PgRelease(release_info(m, folder / c / str(m["release_id"])))
                    for c in self._configured if (m := manifests.get(c)) is not None}
        statuses = {c: CityStatus(c, r.info, r.info.release_id) for c, r in releases.items()}
        cities = {c: self._configured[c] for c in releases}
        snap = PgSnapshot(schema, releases, statuses, cities, {}, next(self._generations))
        catalogs = build_catalogs(_SnapshotQueries(self, snap), cities)  # type: ignore[arg-type]
        return PgSnapshot(schema, releases, statuses, cities, catalogs, snap.generation)

    def _known(self, schema: str) -> PgSnapshot | None:
        for snap in (self._snap, *(s for _, s in self._pending), *(s for _, s in self._retired)):
            if snap.schema == schema:
                return snap
        return None

    def refresh(self) -> None:
        """Look at ``crisis.serving`` now (the watcher does every POLL_SECONDS); open a new
        snapshot ahead of its instant, and swap in whatever is due."""
        with self._refresh_lock:
            try:
                row = self._serving_row()
            except psycopg.OperationalError as exc:
                if not self._unreachable:  # once per outage, not every half second
                    logger.error("the database is unreachable; still serving %s: %s", self._snap.key, exc)
                self._unreachable = True
                return
            if self._unreachable:
                logger.info("the database is reachable again")
                self._unreachable = False
            now = time.time()
            retry_due = self._retry_at is None or now >= self._retry_at
            if row is not None and tuple(row) != self._plan and retry_due:
                self._plan_switch(tuple(row), now)
        self._promote_due(time.time())

    def _plan_switch(self, row: tuple, now: float) -> None:
        """Open the snapshots ``row`` (``crisis.serving``) names and schedule them.

        The snapshot served before the switch (``previous``) is taken only by a worker
        serving nothing yet, one started in the window; a worker never moves back to a
        snapshot older than the one it serves (two publishes closer together than the
        switch delay must not make it go new, old, newer).
        """
        snapshot, previous, switch_at = row
        due = [(now, previous)] if previous and now < switch_at and self._snap.schema is None else []
        due.append((switch_at, snapshot))
        current = snapshot_number(self._snap.schema)
        due = [(at, s) for at, s in due if snapshot_number(s) > current]
        try:
            pending = [(at, self._known(s) or self._open(s)) for at, s in due]
        except (psycopg.Error, ReleaseError) as exc:
            logger.error("the new snapshot %s could not be opened (trying again in %.0f s); "
                         "still serving %s: %s", snapshot, RETRY_SECONDS, self._snap.key, exc)
            self._retry_at = now + RETRY_SECONDS
            return
        with self._swap_lock:
            self._pending = pending
        self._plan, self._retry_at = row, None

    # -- answers ----------------------------------------------------------------------
    def served_release(self, city: str) -> VerifiedRelease | None:
        """None: the release's files are not opened by this engine (downloads of a release's
        files hash them from the releases folder)."""
        return None

    def snapshot_cursor(self, city: str) -> tuple[ReleaseInfo, Any]:  # type: ignore[override]
        snap = self._scope()
        release = snap.releases[city]
        return release.info, _Rows(self._url, snap.schema)

    def frame(self, sql_text: str, params: Sequence[object] = ()) -> pd.DataFrame:
        snap = self._scope()
        return pg_sql.frame(self._cursor(snap), sql_text, list(params))


class _SnapshotQueries:
    """``execute(sql).fetchall()`` on a snapshot, for ``snapshot.build_catalogs``."""

    def __init__(self, store: PgStore, snap: PgSnapshot) -> None:
        self._cur = store._cursor(snap)

    def execute(self, text: str, params: Sequence[object] = ()) -> psycopg.Cursor:
        return self._cur.execute(pg_sql.to_postgres(text), list(params))

