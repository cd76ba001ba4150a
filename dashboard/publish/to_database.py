"""``crisis-dashboard publish RELEASE --to URL``: a release into PostgreSQL, switched atomically.

The release folder is the unit that is built, validated and checksummed
(``dashboard.publish.release``); this copies a finished one into a PostgreSQL database
for deployments that serve from one (``CRISIS_DATABASE_URL``, ``dashboard.engine.pg_store``).

* **Checked first.** Every file must match the manifest (``integrity.verify_release``:
  the same files the build validated), and by default every privacy rule is proved
  again (``validate``), so the database never holds what the folder would not serve.
* **One transaction.** The release's schema, its rows, its indexes, its row in
  ``crisis.releases``, the next serving snapshot and the switch of ``crisis.serving``
  all commit together (``dashboard.engine.pg_layout``). Readers keep the previous
  snapshot until the commit; if the load fails or the process is killed, PostgreSQL
  rolls it all back and the previous release keeps serving, with nothing to clean up.
* **Streamed.** Each Parquet file is read in batches and sent with ``COPY ... FROM
  STDIN`` as CSV, so memory stays flat whatever the release's size.
* **Serialised.** Two publishes queue on a lock of ``crisis.serving`` that readers
  never wait for, so each snapshot includes every city's latest release.

Publishing a release that is already loaded only switches to it (a rollback is
``publish`` of the previous release).
"""

from __future__ import annotations

import argparse
import io
import logging
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from psycopg import sql
from psycopg.types.json import Jsonb

from dashboard.contract.datapackage import table_columns
from dashboard.contract.releases import ReleaseError, read_manifest
from dashboard.contract.schema import CALLS_COLUMNS, CUBES, ROLLUPS
from dashboard.engine.integrity import verify_release
from dashboard.engine.pg_layout import (
    META,
    SETUP,
    TABLES,
    ident,
    release_schema,
    snapshot_number,
    snapshot_schema,
)
from dashboard.settings import Settings

logger = logging.getLogger(__name__)

#: Rows per COPY batch (about 10 MB of CSV for the calls table).
BATCH_ROWS = 100_000
#: Serving snapshots kept (older ones are dropped by the next publish): pages rendered on
#: a replaced snapshot finish their callbacks on it for the release grace period.
KEEP_SNAPSHOTS = 8

_PG_TYPES = {"string": "text COLLATE \"C\"", "date": "date", "bool": "boolean", "int": "bigint"}


@dataclass(frozen=True)
class Published:
    city: str
    release_id: str
    schema: str
    snapshot: str
    rows: int
    loaded: bool  # False: the release was in the database already; only switched
    seconds: float


def _arrow_type(t: pa.DataType) -> str:
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_string_view(t):
        return _PG_TYPES["string"]
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t):
        return "timestamp"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int32(t) or pa.types.is_int16(t) or pa.types.is_int8(t):
        return "integer"
    if pa.types.is_integer(t):
        return "bigint"
    if pa.types.is_floating(t):
        return "double precision"
    raise ReleaseError(f"no PostgreSQL type for Arrow type {t}")


def _contract_columns(table: str) -> list[tuple[str, str]]:
    if table == "calls":
        return [(c.name, _PG_TYPES.get(c.dtype, "text")) for c in CALLS_COLUMNS]
    spec = next(t for t in (*ROLLUPS, *CUBES) if t.name == table)
    return [(c.name, _PG_TYPES.get(c.dtype, "text")) for c in table_columns(spec)]


def _load_table(cur: psycopg.Cursor, schema: str, table: str, path: Path) -> int:
    """Create ``schema.table`` with the file's columns and COPY its rows; the row count."""
    parquet = pq.ParquetFile(path) if path.is_file() else None
    # A release from before this table existed: empty, with the contract's columns (as in DuckDB).
    columns = ([(f.name, _arrow_type(f.type)) for f in parquet.schema_arrow] if parquet
               else _contract_columns(table))
    cur.execute(sql.SQL("CREATE TABLE {} ({})").format(ident(schema, table), sql.SQL(", ").join(
        sql.SQL("{} {}").format(ident(n), sql.SQL(t)) for n, t in columns)))
    if parquet is None:
        return 0
    copy_sql = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT csv)").format(
        ident(schema, table), sql.SQL(", ").join(ident(n) for n, _ in columns))
    rows = 0
    options = pacsv.WriteOptions(include_header=False, quoting_style="needed")
    with cur.copy(copy_sql) as copy:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            buffer = io.BytesIO()
            pacsv.write_csv(batch, buffer, options)
            copy.write(buffer.getvalue())
            rows += batch.num_rows
    return rows


def _indexes(cur: psycopg.Cursor, schema: str, city: str) -> None:
    """What queries need at scale: the downloads' month runs (``week``), and a check that
    every row is the city's, which lets PostgreSQL skip the other cities' tables of a
    snapshot's ``UNION ALL`` views for ``WHERE jurisdiction = ...`` (constraint exclusion)."""
    cur.execute(sql.SQL("CREATE INDEX ON {} (week)").format(ident(schema, "calls")))
    for table in TABLES:
        if "jurisdiction" in dict(_columns_of(cur, schema, table)):
            cur.execute(sql.SQL("ALTER TABLE {} ADD CHECK (jurisdiction = {})").format(
                ident(schema, table), sql.Literal(city)))
        cur.execute(sql.SQL("ANALYZE {}").format(ident(schema, table)))


def _columns_of(cur: psycopg.Cursor, schema: str, table: str) -> list[tuple[str, str]]:
    cur.execute("SELECT a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_attribute a "
                "JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = %s AND c.relname = %s AND a.attnum > 0 AND NOT a.attisdropped "
                "ORDER BY a.attnum", [schema, table])
    return [(str(n), str(t)) for n, t in cur.fetchall()]


def _create_snapshot(cur: psycopg.Cursor, snapshot: str, schemas: dict[str, str]) -> None:
    """Views over each city's release, by column name (a column a city lacks is NULL)."""
    cur.execute(sql.SQL("CREATE SCHEMA {}").format(ident(snapshot)))
    for table in TABLES:
        per_city = {city: _columns_of(cur, schema, table) for city, schema in schemas.items()}
        names: dict[str, str] = {}
        for columns in per_city.values():
            for name, kind in columns:
                names.setdefault(name, kind)
        if not names:
            names = dict(_contract_columns(table))
        parts = []
        for city, schema in schemas.items():
            have = dict(per_city[city])
            cols = sql.SQL(", ").join(
                ident(n) if n in have else sql.SQL("NULL::{} AS {}").format(sql.SQL(k), ident(n))
                for n, k in names.items())
            parts.append(sql.SQL("SELECT {} FROM {}").format(cols, ident(schema, table)))
        if not parts:  # no city at all: an empty view of the contract's columns
            cols = sql.SQL(", ").join(sql.SQL("NULL::{} AS {}").format(sql.SQL(k), ident(n))
                                      for n, k in names.items())
            parts.append(sql.SQL("SELECT {} WHERE false").format(cols))
        cur.execute(sql.SQL("CREATE VIEW {} AS {}").format(ident(snapshot, table),
                                                         sql.SQL(" UNION ALL ").join(parts)))


def publish_to_database(release: Path, url: str, *, validate: bool = True, k: int | None = None,
                        switch_delay: float = 10.0, keep_seconds: float = 900.0,
                        reader: str | None = None) -> Published:
    """Load the release folder ``release`` into the database at ``url`` and serve it
    (module docstring); every worker switches ``switch_delay`` seconds after the commit
    (``CRISIS_SWITCH_DELAY``). Replaced snapshots are dropped once more than
    ``KEEP_SNAPSHOTS`` newer ones exist and they were replaced ``keep_seconds`` ago
    (``CRISIS_RELEASE_GRACE``: pages rendered on them finish their callbacks). ``reader``:
    a role (the app's, read only) given USAGE and SELECT on what it must read.
    ReleaseError if the release is not fit to serve."""
    started = time.monotonic()
    manifest = read_manifest(release)
    city, release_id = str(manifest.get("city", "")), str(manifest.get("release_id", ""))
    try:
        schema = release_schema(city, release_id)
    except ValueError as exc:
        raise ReleaseError(str(exc)) from exc
    verify_release(release, city, release_id)
    if validate:
        from dashboard.publish.validate import validate_release

        problems = validate_release(release, k)
        if problems:
            raise ReleaseError(f"{release} breaks {len(problems)} rule(s), first: {problems[0]}")
    with psycopg.connect(url, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(7243101)")  # first publish: SETUP once
        cur.execute(SETUP)
        conn.commit()
        cur.execute(sql.SQL("LOCK TABLE {} IN SHARE ROW EXCLUSIVE MODE").format(ident(META, "serving")))
        cur.execute(sql.SQL("SELECT schema_name FROM {} WHERE city = %s AND release_id = %s").format(
            ident(META, "releases")), [city, release_id])
        stored = cur.fetchone()
        loaded = stored is None
        rows = 0
        if stored is not None:
            cur.execute(sql.SQL("SELECT manifest FROM {} WHERE city = %s AND release_id = %s").format(
                ident(META, "releases")), [city, release_id])
            if dict(cur.fetchone()[0]).get("files") != manifest.get("files"):
                raise ReleaseError(f"{city}/{release_id} is in the database with other files: a release id "
                                   "names one set of files forever; build a new release")
        if loaded:
            cur.execute(sql.SQL("CREATE SCHEMA {}").format(ident(schema)))
            for table in TABLES:
                count = _load_table(cur, schema, table, release / f"{table}.parquet")
                rows += count if table == "calls" else 0
            _indexes(cur, schema, city)
            cur.execute(sql.SQL("INSERT INTO {} (city, release_id, schema_name, manifest) "
                                "VALUES (%s, %s, %s, %s)").format(ident(META, "releases")),
                        [city, release_id, schema, Jsonb(manifest)])
        snapshot = _switch(cur, city, release_id, switch_delay)
        if reader:
            _grant(cur, reader, (META, schema, snapshot))
        conn.commit()
        try:  # housekeeping, after the switch has committed: a failure here loses nothing
            _drop_old_snapshots(cur, keep_seconds)
            conn.commit()
        except psycopg.Error as exc:
            conn.rollback()
            logger.warning("old snapshots were not dropped (the next publish tries again): %s", exc)
    return Published(city, release_id, schema, snapshot, rows, loaded, time.monotonic() - started)


def _switch(cur: psycopg.Cursor, city: str, release_id: str, delay: float) -> str:
    """The next snapshot: ``city`` at ``release_id``, every other city as it is served;
    served by every worker from ``delay`` seconds after now (``pg_store``)."""
    cur.execute(sql.SQL(
        "SELECT s.snapshot, s.previous, s.switch_at <= clock_timestamp(), n.cities FROM {} s "
        "JOIN {} n ON n.snapshot = s.snapshot WHERE s.id = 1").format(
        ident(META, "serving"), ident(META, "snapshots")))
    row = cur.fetchone()
    newest, previous, switched, cities = (row[0], row[1], bool(row[2]), dict(row[3])) if row else (
        None, None, True, {})
    serving_now = newest if switched else previous
    before = cities.get(city, {}).get("release")
    cities[city] = {"release": release_id,
                    "previous": before if before and before != release_id else cities.get(city, {}).get(
                        "previous")}
    cities = dict(sorted(cities.items()))
    cur.execute(sql.SQL("SELECT nextval({})").format(sql.Literal(f"{META}.snapshot_numbers")))
    snapshot = snapshot_schema(int(cur.fetchone()[0]))
    _create_snapshot(cur, snapshot, {c: release_schema(c, v["release"]) for c, v in cities.items()})
    key = ", ".join(f"{c}/{v['release']}" for c, v in cities.items())
    cur.execute(sql.SQL("INSERT INTO {} (snapshot, key, cities, created_at) "
                        "VALUES (%s, %s, %s, clock_timestamp())").format(ident(META, "snapshots")),
                [snapshot, key, Jsonb(cities)])
    cur.execute(sql.SQL(
        "INSERT INTO {} (id, snapshot, previous, switch_at) "
        "VALUES (1, %s, %s, clock_timestamp() + make_interval(secs => %s)) ON CONFLICT (id) DO UPDATE "
        "SET snapshot = excluded.snapshot, previous = excluded.previous, switch_at = excluded.switch_at"
    ).format(ident(META, "serving")), [snapshot, serving_now, float(delay)])
    return snapshot


def _grant(cur: psycopg.Cursor, role: str, schemas: tuple[str, ...]) -> None:
    """Let the app's read-only role read the bookkeeping, the release and the snapshot."""
    for schema in schemas:
        cur.execute(sql.SQL("GRANT USAGE ON SCHEMA {} TO {}").format(ident(schema), ident(role)))
        cur.execute(sql.SQL("GRANT SELECT ON ALL TABLES IN SCHEMA {} TO {}").format(
            ident(schema), ident(role)))


def _drop_old_snapshots(cur: psycopg.Cursor, keep_seconds: float) -> None:
    """Drop snapshots (views only: releases stay) older than the newest ``KEEP_SNAPSHOTS``
    and replaced (the next one created) more than ``keep_seconds`` ago, never the two
    ``crisis.serving`` names."""
    cur.execute(sql.SQL("SELECT s.snapshot FROM {} s WHERE s.snapshot NOT IN "
                        "(SELECT snapshot FROM {} UNION SELECT previous FROM {} WHERE previous IS NOT NULL) "
                        "AND (SELECT min(n.created_at) FROM {} n WHERE n.created_at > s.created_at) "
                        "< now() - make_interval(secs => %s)"
                        ).format(ident(META, "snapshots"), ident(META, "serving"), ident(META, "serving"),
                                 ident(META, "snapshots")),
                [float(keep_seconds)])
    old = {snapshot_number(str(n)) for (n,) in cur.fetchall()}
    cur.execute(sql.SQL("SELECT snapshot FROM {}").format(ident(META, "snapshots")))
    newest = sorted(snapshot_number(str(n)) for (n,) in cur.fetchall())[-KEEP_SNAPSHOTS:]
    for number in sorted(old - set(newest)):
        cur.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(ident(snapshot_schema(number))))
        cur.execute(sql.SQL("DELETE FROM {} WHERE snapshot = %s").format(ident(META, "snapshots")),
                    [snapshot_schema(number)])


def main(args: argparse.Namespace, settings: Settings) -> int:
    """CLI entry: publish one release folder (or a city folder's CURRENT) into ``--to``."""
    from dashboard.publish.validate import resolve_release

    path = resolve_release(Path(args.release))
    url = args.to or settings.database_url
    if not url:
        sys.stderr.write("publish: give --to postgresql://... (or set CRISIS_DATABASE_URL)\n")
        return 2
    try:
        done = publish_to_database(path, url, validate=not args.no_validate, k=args.k,
                                   switch_delay=settings.switch_delay, keep_seconds=settings.release_grace,
                                   reader=args.reader)
    except (ReleaseError, OSError, psycopg.Error) as exc:
        sys.stderr.write(f"publish: {path}: not published, the previous release keeps serving: {exc}\n")
        return 1
    what = f"loaded {done.rows:,} calls into {done.schema}" if done.loaded else "already loaded"
    sys.stdout.write(f"{done.city}/{done.release_id}: {what}; serving as {done.snapshot} "
                     f"({done.seconds:.1f} s)\n")
    return 0
