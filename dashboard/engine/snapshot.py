"""One snapshot of the served releases: a DuckDB connection with their tables loaded, and catalogs.

A ``Snapshot`` is everything the ``Store`` (``dashboard.engine.store``) opened from one set
of verified releases, one per city: rollups and cubes loaded as tables, ``calls`` a view
over Parquet, each city's filter ``Catalog`` read from the loaded rows. It is built whole
by ``open_snapshot`` and never changed, so an answer read from it never mixes releases.
Separate from the store because opening a snapshot is DuckDB loading work, while the
store decides which releases to open, when to switch, and which snapshot answers.
"""

from __future__ import annotations

import itertools
import math
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.datapackage import table_columns
from dashboard.contract.releases import ReleaseError, ReleaseInfo
from dashboard.contract.schema import CALLS_COLUMNS, CITYWIDE, CUBES, ROLLUPS
from dashboard.engine.integrity import VerifiedRelease
from dashboard.engine.serving import CityStatus, Decision
from dashboard.params.filters import Catalog


@dataclass(frozen=True)
class Snapshot:
    """Everything opened from one set of served releases; replaced whole, never mutated."""

    releases: dict[str, VerifiedRelease]
    statuses: dict[str, CityStatus]
    cities: dict[str, City]
    con: duckdb.DuckDBPyConnection
    catalogs: dict[str, Catalog]
    generation: int

    @property
    def key(self) -> str:
        """``city/release-id, ...``: the same in every process serving the same releases."""
        return ", ".join(v.key for v in self.releases.values())

    def same_as(self, decision: Decision) -> bool:
        """Does this snapshot already serve what ``decision`` says, with the same status?"""
        served = self.releases.get(decision.city)
        status = self.statuses.get(decision.city)
        return ((served.key if served else None) == (decision.release.key if decision.release else None)
                and status is not None and status.problem == decision.problem
                and status.named == decision.pointer.release_id)


#: For each city to open: its chosen release (None: not served) and its status.
Selection = dict[str, tuple[VerifiedRelease | None, CityStatus]]


def open_snapshot(selection: Selection, configured: dict[str, City], generations: Iterator[int],
                  query_memory_mb: int = 0) -> Snapshot:
    """Open the selected releases into a new connection (ReleaseError if DuckDB cannot).

    Cities come in the configured order; ``generations`` numbers the snapshots a store
    opens (one number taken per snapshot opened, none for one that failed).
    ``query_memory_mb`` (0: none) caps DuckDB's memory above the loaded tables
    (``cap_query_memory``).
    """
    ordered = {c: selection[c] for c in configured if c in selection}
    releases = {c: v for c, (v, _) in ordered.items() if v is not None}
    statuses = {c: status for c, (_, status) in ordered.items()}
    cities = {c: configured[c] for c in releases}
    con = duckdb.connect(":memory:")
    try:
        _load_tables(con, {c: v.info for c, v in releases.items()})
        catalogs = build_catalogs(con, cities)
        if query_memory_mb > 0:
            cap_query_memory(con, query_memory_mb)
    except duckdb.Error as exc:
        con.close()
        raise ReleaseError(f"releases {', '.join(v.key for v in releases.values())} could not be "
                           f"loaded: {exc}") from exc
    return Snapshot(releases, statuses, cities, con, catalogs, next(generations))


def cap_query_memory(con: duckdb.DuckDBPyConnection, query_mb: int) -> int:
    """Cap DuckDB's memory at the loaded tables plus ``query_mb``; return the cap (MiB).

    Why: DuckDB's default limit is 80% of the machine, and a worker streaming the rows
    download kept what its sorts had used: its peak grew from about 275 MB (145k rows)
    to 440 MB (8.2M rows), by the number of rows (benchmarks/RESULTS.md "Rows
    download"). With the cap, a query works within ``query_mb`` and sorts beyond it
    spill to a temporary folder of their own (DuckDB removes it when the connection
    closes; for an in-memory database its default would be ``.tmp`` in the working
    directory). The tables are measured after loading, so the cap never evicts them.
    """
    tables = con.execute("SELECT coalesce(sum(memory_usage_bytes), 0) FROM duckdb_memory()").fetchone()
    cap_mb = math.ceil(int(tables[0] if tables else 0) / 2**20) + query_mb
    spill = Path(tempfile.gettempdir()) / f"crisis-duckdb-{os.getpid()}-{next(_SPILL_DIRS)}"
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET memory_limit = ?", [f"{cap_mb}MiB"])
    return cap_mb


_SPILL_DIRS = itertools.count()


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
    calls = _files(releases, "calls")
    if calls:
        con.read_parquet(calls, union_by_name=True).create_view("calls")
    else:  # no city served: an empty view, so every query answers (with nothing)
        columns = ", ".join(f"NULL::{_SQL_TYPES.get(c.dtype, 'VARCHAR')} AS {c.name}" for c in CALLS_COLUMNS)
        con.execute(f"CREATE VIEW calls AS SELECT {columns} WHERE false")


def build_catalogs(con: duckdb.DuckDBPyConnection, cities: dict[str, City]) -> dict[str, Catalog]:
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
    return {c: out[c] for c in cities if c in out}  # in the configured order, whatever DuckDB's


def _as_date(value: object) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return date.fromisoformat(str(value)[:10])


def _district_sort_key(value: str) -> tuple[int, int, str]:
    if value == CITYWIDE:
        return (2, 0, value)
    return (0, int(value), value) if value.isdigit() else (1, 0, value)
