"""The public rows and the tables counted from them: ``calls.parquet``, ``calls.csv``, rollups.

``write_public_rows`` generalizes the staged rows (``dashboard.publish.privacy``), creates
the view ``published`` every other public table is counted from, and streams the rows,
sorted in ``ROW_ORDER`` with freshly drawn ids, into ``calls.parquet``; ``write_rollups``
writes the rollups and ``calls.csv`` from that file. ``public_rows`` and
``reference_rows`` are the pandas reference the tests compare the DuckDB path with.

Kept apart from staging (reading and refusing internal input) and from publishing
(moving a checked folder into place): this is what the public rows are, and the only
place ids are drawn.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.schema import (
    CALLS_COLUMN_NAMES,
    QUASI_IDENTIFIERS,
    ROLLUP_MINUTES,
    ROLLUPS,
    TimeGrain,
)
from dashboard.contract.sql import calls_arrow_schema, rollup_sql
from dashboard.publish import privacy

#: Order of the published rows: city, time and place first (DuckDB's zone maps then skip
#: row groups outside a filtered date range), then every other column. Ids are drawn in
#: this order, so a row's ``call_id`` depends only on the published content and the seed,
#: never on the order of the input export, which follows the exact call time.
ROW_ORDER: tuple[str, ...] = (
    "jurisdiction",
    "week",
    "district",
    "call_category",
    "time_grain",
    "response_type",
    "police_backup",
    "star_eligible",
    "outcome",
    "unanswered_reason",
    "repeat_contact_90d",
)

#: Rows per Parquet row group of ``calls.parquet`` (and per batch of drawn ids).
ROW_GROUP_ROWS = 1_000_000


def public_rows(internal: pd.DataFrame) -> pd.DataFrame:
    """pandas reference of the projection onto the contract's coarse columns.

    No hour, no place below the district, no ``call_id`` yet (ids are drawn after
    sorting, see ``ROW_ORDER``). ``build_release`` does the same in DuckDB.
    """
    received = pd.to_datetime(internal["received_hour"])
    day = received.dt.normalize()
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).astype("datetime64[s]")
    return pd.DataFrame(
        {
            "jurisdiction": internal["jurisdiction"].astype("string").to_numpy(),
            "week": week.to_numpy(),
            "time_grain": TimeGrain.WEEK.value,
            "district": internal["district"].astype("string").to_numpy(),
            "call_category": internal["call_category"].astype("string").to_numpy(),
            "star_eligible": internal["star_eligible"].astype(bool).to_numpy(),
            "response_type": internal["response_type"].astype("string").to_numpy(),
            "outcome": internal["outcome"].astype("string").to_numpy(),
            "police_backup": internal["police_backup"].astype(bool).to_numpy(),
            "unanswered_reason": internal["unanswered_reason"].astype("string").to_numpy(),
            "repeat_contact_90d": internal["repeat_contact_90d"].astype(bool).to_numpy(),
        }
    )


def reference_rows(
    internal: pd.DataFrame, k: int = privacy.DEFAULT_K, seed: int = 0
) -> tuple[pd.DataFrame, privacy.AnonymizationStats]:
    """The published rows computed in pandas: the reference ``build_release`` is tested against.

    Projection, ``privacy.k_anonymize``, ``ROW_ORDER``, then ids drawn in that order
    from ``numpy.random.default_rng(seed)``. Holds every row in memory: tests only.
    """
    rows, stats = privacy.k_anonymize(public_rows(internal), k)
    rows = rows.sort_values(list(ROW_ORDER), kind="stable", na_position="last").reset_index(drop=True)
    rows.insert(0, "call_id", _random_ids(len(rows), np.random.default_rng(seed)))
    return rows, stats


def _random_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
    return np.char.mod("%016x", raw).astype(object)


_HEX_DIGITS = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def _random_ids_arrow(n: int, rng: np.random.Generator) -> pa.Array:
    """``_random_ids`` as an Arrow string array, without a Python object per id.

    Same draws, same text (16 lower-case hex digits of a 63-bit number), about a
    tenth of the memory: ids are made a row group (a million rows) at a time.
    """
    raw = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
    octets = raw.astype(">u8").view(np.uint8).reshape(n, 8)
    digits = np.empty((n, 16), dtype=np.uint8)
    digits[:, 0::2] = _HEX_DIGITS[octets >> 4]
    digits[:, 1::2] = _HEX_DIGITS[octets & 0x0F]
    fixed = pa.FixedSizeBinaryArray.from_buffers(pa.binary(16), n, [None, pa.py_buffer(digits)])
    return fixed.cast(pa.binary()).cast(pa.string())


def _write_calls_parquet(chunks: Iterable[pa.RecordBatch | pa.Table], path: Path,
                         rng: np.random.Generator) -> int:
    """Write sorted rows (every contract column but ``call_id``) with freshly drawn ids.

    Rows are regrouped into row groups of exactly ``ROW_GROUP_ROWS`` and each group's ids
    drawn as it is written, so memory holds one row group at a time, and the file depends
    only on the rows and the seed, not on how the rows arrive (DuckDB batches or one
    pandas table). Returns the number of rows written.
    """
    schema = calls_arrow_schema()
    body = pa.schema([f for f in schema if f.name != "call_id"])

    def to_group(table: pa.Table) -> pa.Table:
        ids = _random_ids_arrow(table.num_rows, rng)
        return pa.Table.from_arrays([ids, *table.columns], schema=schema)

    written = 0
    pending: list[pa.Table] = []
    pending_rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for chunk in chunks:
            table = chunk if isinstance(chunk, pa.Table) else pa.Table.from_batches([chunk])
            pending.append(pa.Table.from_arrays([table.column(f.name).cast(f.type) for f in body],
                                                schema=body))
            pending_rows += table.num_rows
            while pending_rows >= ROW_GROUP_ROWS:
                whole = pa.concat_tables(pending)
                writer.write_table(to_group(whole.slice(0, ROW_GROUP_ROWS)), row_group_size=ROW_GROUP_ROWS)
                rest = whole.slice(ROW_GROUP_ROWS)
                pending, pending_rows = [rest], rest.num_rows
                written += ROW_GROUP_ROWS
        if pending_rows or not written:
            rest = pa.concat_tables(pending) if pending else body.empty_table()
            writer.write_table(to_group(rest), row_group_size=ROW_GROUP_ROWS)
            written += pending_rows
    return written


#: ``rollup_minutes`` from the view ``published`` (minutes are not in the rows).
MINUTES_SQL = (
    "SELECT jurisdiction, date_trunc('month', week)::DATE AS month, district, call_category, "
    "response_type, response_minutes, count(*)::BIGINT AS n FROM published "
    "WHERE response_minutes IS NOT NULL GROUP BY ALL ORDER BY ALL"
)


def write_rollups(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    """Rollups and ``calls.csv``: GROUP BYs of the written ``calls.parquet``, and the
    response minutes of the same calls from ``published``. Leaves the views ``calls``
    and ``rollup_minutes`` on the written files (the cubes' totals come from them)."""
    calls = con.read_parquet(str(out / "calls.parquet"))
    for table in ROLLUPS:
        rel = calls.query("calls", rollup_sql(table)) if table.from_rows else con.sql(MINUTES_SQL)
        rel.write_parquet(str(out / f"{table.name}.parquet"), compression="zstd")
    calls.create_view("calls")
    con.read_parquet(str(out / f"{ROLLUP_MINUTES.name}.parquet")).create_view(ROLLUP_MINUTES.name)
    # One thread: the CSV writer keeps rows in order by buffering what parallel threads
    # produce ahead, which needs more memory than BUILD_MEMORY_LIMIT at millions of rows.
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET threads = 1")
    try:
        calls.write_csv(str(out / "calls.csv"), header=True)
    finally:
        con.execute(f"SET threads = {int(threads)}")


def write_public_rows(con: duckdb.DuckDBPyConnection, path: Path, k: int, seed: int
                       ) -> tuple[int, privacy.AnonymizationStats, int]:
    """Generalize in DuckDB, then stream the sorted rows into ``calls.parquet``.

    Returns (accepted rows, anonymization stats, published rows).
    """
    stats = privacy.k_anonymize_classes(con, "staged", k)
    accepted = con.execute(f"SELECT coalesce(sum(n), 0)::BIGINT FROM {privacy.QI_MAP_TABLE}").fetchall()[0][0]
    # ``published``: the internal rows of the calls the public rows hold, with the rows'
    # (generalized) values. Every other public table is counted from it.
    replaced = ", ".join(f"m.{c} AS {c}" for c in QUASI_IDENTIFIERS)
    join = " AND ".join(f"s.{c} = m.{c}_in" for c in QUASI_IDENTIFIERS)
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW published AS SELECT s.* REPLACE ({replaced}) FROM staged s "
        f"JOIN {privacy.QI_MAP_TABLE} m ON {join} WHERE NOT m.withheld"
    )
    columns = ", ".join(c for c in CALLS_COLUMN_NAMES if c != "call_id")
    order = ", ".join(f"{c} NULLS LAST" for c in ROW_ORDER)
    rel = con.sql(f"SELECT {columns} FROM published ORDER BY {order}")
    reader = rel.to_arrow_reader(batch_size=ROW_GROUP_ROWS)
    written = _write_calls_parquet(reader, path, np.random.default_rng(seed))
    return int(accepted), stats, written


def programs_all_withheld(con: duckdb.DuckDBPyConnection, calls: Path) -> list[str]:
    """Programs with staged (accepted) calls of which no row reached ``calls``: every call
    withheld by the privacy rules. Listed by name only (a count could be small), so pages
    can say "withheld" rather than 0."""
    got = con.execute(
        "SELECT DISTINCT response_type FROM staged "
        "EXCEPT SELECT DISTINCT response_type FROM read_parquet(?)", [str(calls)]
    ).fetchall()
    return sorted(str(r[0]) for r in got)
