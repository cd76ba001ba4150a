"""How releases are laid out in PostgreSQL: one schema per release, one per serving snapshot.

``crisis-dashboard publish RELEASE --to URL`` (``dashboard.publish.to_database``) writes,
and ``dashboard.engine.pg_store.PgStore`` reads:

* ``rel_<city>_<release id>``: one release's tables under the contract's names
  (``calls``, ``schema.ROLLUPS``, ``schema.CUBES``), text collated "C" so it sorts by
  bytes as in DuckDB.
* ``crisis.releases``: every published release, its schema and its manifest (JSON).
* ``snap_<n>``: a serving snapshot, views over one release of each city
  (``UNION ALL``), the tables the queries name. A snapshot is created whole and never
  changed, like a DuckDB snapshot, so an answer never mixes releases, and a page
  rendered on one can finish its callbacks on it while a newer one serves.
* ``crisis.snapshots``: each snapshot's key (``city/release-id, ...``, the string a
  DuckDB snapshot has) and each city's release and previous release in it.
* ``crisis.serving``: one row naming the newest snapshot, the one served before it, and
  ``switch_at``, the instant every worker moves from one to the other. A publish loads
  its schema, creates the next snapshot and updates this row in one transaction:
  readers never see a half-loaded release, and until the commit (or after a failed
  load) nothing changes for them.

Names are made only of a city id checked against ``SAFE_CITY`` and a release id (or its
digest), and quoted with ``psycopg.sql.Identifier`` wherever they enter SQL.
"""

from __future__ import annotations

import hashlib
import re

from psycopg import sql

from dashboard.contract.schema import CUBES, ROLLUPS

#: Schema of the bookkeeping tables.
META = "crisis"
#: Every table a release has, under the name the queries use.
TABLES: tuple[str, ...] = ("calls", *(t.name for t in ROLLUPS), *(t.name for t in CUBES))
#: A city id that may become part of a schema name (city ids are lower case, ``_``).
SAFE_CITY = re.compile(r"^[a-z][a-z0-9_]{0,30}$")
#: A release id written as it is (the build's ``YYYYMMDD-hash``); any other is hashed.
PLAIN_RELEASE = re.compile(r"^[a-z0-9][a-z0-9-]{0,30}$")

#: The bookkeeping tables (created by the first publish, idempotent).
SETUP = f"""
CREATE SCHEMA IF NOT EXISTS {META};
CREATE TABLE IF NOT EXISTS {META}.releases (
    city text NOT NULL, release_id text NOT NULL, schema_name text NOT NULL UNIQUE,
    manifest jsonb NOT NULL, published_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (city, release_id));
CREATE TABLE IF NOT EXISTS {META}.snapshots (
    snapshot text PRIMARY KEY, key text NOT NULL, cities jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now());
CREATE TABLE IF NOT EXISTS {META}.serving (
    id int PRIMARY KEY CHECK (id = 1), snapshot text NOT NULL REFERENCES {META}.snapshots,
    previous text REFERENCES {META}.snapshots, switch_at timestamptz NOT NULL);
CREATE SEQUENCE IF NOT EXISTS {META}.snapshot_numbers;
"""


def release_schema(city: str, release_id: str) -> str:
    """The schema holding one release's tables: ``rel_<city>_<release id>`` for the build's
    ids (``-`` as ``_``), ``rel_<city>_h<digest>`` for any other id (so no two ids share a
    name and none exceeds PostgreSQL's 63 bytes). ValueError for a city id that is not safe."""
    if not SAFE_CITY.match(city):
        raise ValueError(f"{city!r} cannot name a schema")
    if PLAIN_RELEASE.match(release_id):
        return f"rel_{city}_{release_id.replace('-', '_')}"
    return f"rel_{city}_h{hashlib.sha256(release_id.encode()).hexdigest()[:24]}"


def snapshot_schema(number: int) -> str:
    return f"snap_{int(number)}"


def snapshot_number(schema: str | None) -> int:
    """A snapshot's number (``snap_<n>``; -1 for none): later publishes have larger ones."""
    return int(schema.removeprefix("snap_")) if schema else -1


def ident(*parts: str) -> sql.Identifier:
    return sql.Identifier(*parts)
