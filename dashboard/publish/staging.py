"""Staging the internal table in DuckDB: the columns read, the checks, the view ``staged``.

The builder reads only ``INTERNAL_REQUIRED`` (and ``INTERNAL_OPTIONAL`` when present),
so nothing else an export carries can reach a public file; ``stage`` projects the rows
onto the contract's grain and refuses (ReleaseError) input that cannot make a valid
release. ``connect`` opens the build's private DuckDB with bounded memory.

Kept apart from writing the public files: this is the boundary where internal data
comes in, and what it lets through (and refuses) is reviewed on its own.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.releases import ReleaseError
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, TimeGrain
from dashboard.contract.sql import contract_sql_checks
from dashboard.publish.release_rows import ROW_GROUP_ROWS

#: Columns of the internal table the builder reads. Every other column is never read,
#: so nothing an export carries beyond these (addresses, points, narratives, keys) can
#: reach a public file, whatever its name.
INTERNAL_REQUIRED: tuple[str, ...] = (
    *(c for c in CALLS_COLUMN_NAMES if c not in {"call_id", "week", "time_grain"}),
    "received_hour",
    "precinct",
    "response_minutes",
)

#: Internal columns read when present (NULL when an export has no such field): the
#: council district (coverage and council cubes), time on task (service and police
#: time cubes) and the follow-up flag (follow-up cube).
INTERNAL_OPTIONAL: tuple[str, ...] = ("council_district", "busy_minutes", "followed_90d")

#: DuckDB's working memory while building; sorts and joins beyond it spill to the
#: build's scratch folder, which is what keeps a 10M-row build's memory flat.
BUILD_MEMORY_LIMIT = "512MB"


def input_columns(internal: pd.DataFrame | Path) -> list[str]:
    """Column names, read from the Parquet footer only: missing columns fail before any write."""
    if isinstance(internal, pd.DataFrame):
        return [str(c) for c in internal.columns]
    try:
        return list(pq.read_schema(internal).names)
    except (OSError, pa.ArrowException) as exc:
        raise ReleaseError(f"cannot read the internal Parquet file {internal}: {exc}") from exc


def frame_to_parquet(internal: pd.DataFrame, path: Path) -> Path:
    """Write the columns the builder reads (and only those) for the DuckDB path."""
    frame = internal[[*INTERNAL_REQUIRED, *(c for c in INTERNAL_OPTIONAL if c in internal.columns)]]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS)
    return path


def connect(work: Path) -> duckdb.DuckDBPyConnection:
    """A private DuckDB with bounded memory that spills into the build's scratch folder
    (removed with it, or by the next build if this one is killed)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
    con.execute("SET temp_directory = ?", [str(work / "duckdb.tmp")])
    con.execute("SET preserve_insertion_order = true")  # ORDER BY survives into the files
    return con


_BOOL_COLUMNS = {c.name for c in CALLS_COLUMNS if c.dtype == "bool"}


def stage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
    """Create the view ``staged``: the internal rows projected onto the contract's grain.

    Only the columns in ``INTERNAL_REQUIRED`` are read. Refuses (ReleaseError) input
    that cannot make a valid release: a time zone on ``received_hour`` (the week must be
    the local one), NULLs in a column the contract says is never empty, values outside
    the contract's enums, fractional minutes.
    """
    con.read_parquet(str(path)).create_view("internal")
    types = dict(con.execute("SELECT column_name, column_type FROM (DESCRIBE internal)").fetchall())
    if "TIME ZONE" in str(types["received_hour"]).upper():
        raise ReleaseError("internal data: received_hour carries a time zone; give local wall-clock "
                           "time (the week is the city's local ISO week)")
    select = []
    for column in CALLS_COLUMNS:
        name = column.name
        if name == "call_id":
            continue
        if name == "week":
            select.append("date_trunc('week', received_hour::TIMESTAMP)::DATE AS week")
        elif name == "time_grain":
            select.append(f"'{TimeGrain.WEEK.value}' AS time_grain")
        else:
            sql_type = {"string": "VARCHAR", "bool": "BOOLEAN", "int": "INTEGER"}[column.dtype]
            select.append(f"{name}::{sql_type} AS {name}")
    select.append("precinct::VARCHAR AS precinct")
    select.append("response_minutes::INTEGER AS response_minutes")
    # For the suppressed cubes only (dashboard.publish.cubes): never in a public row.
    select.append("(isodow(received_hour::TIMESTAMP) - 1)::INTEGER AS weekday")
    select.append("hour(received_hour::TIMESTAMP)::INTEGER AS hour")
    select.append("council_district::VARCHAR AS council_district" if "council_district" in types
                  else "NULL::VARCHAR AS council_district")
    select.append("busy_minutes::INTEGER AS busy_minutes" if "busy_minutes" in types
                  else "NULL::INTEGER AS busy_minutes")
    select.append("followed_90d::BOOLEAN AS followed_90d" if "followed_90d" in types
                  else "NULL::BOOLEAN AS followed_90d")
    con.execute(f"CREATE TEMP VIEW staged AS SELECT {', '.join(select)} FROM internal")

    checks: list[tuple[str, str, str]] = []  # (problem, condition on raw columns, example)
    for column, kind, condition in contract_sql_checks(exclude={"call_id", "week", "time_grain"}):
        name = column.name
        if kind == "empty":
            checks.append((f"{name} is empty", condition, "NULL"))
        else:
            checks.append((f"{name} is not one of the contract's values", condition, f"{name}::VARCHAR"))
    checks.append(("received_hour is empty", "received_hour IS NULL", "NULL"))
    minutes_type = str(types["response_minutes"]).upper()
    if "INT" not in minutes_type and minutes_type != "NULL":
        checks.append(("response_minutes is not a whole number",
                       "response_minutes::DOUBLE <> round(response_minutes::DOUBLE)",
                       "response_minutes::VARCHAR"))
    counts = ", ".join(f"count(*) FILTER (WHERE {cond})" for _, cond, _ in checks)
    examples = ", ".join(f"any_value({ex}) FILTER (WHERE {cond})" for _, cond, ex in checks)
    # Counting every cast also surfaces values DuckDB cannot convert (a ReleaseError).
    casts = ", ".join(f"count({c})" for c in ("week", "star_eligible", "response_minutes",
                                             "police_backup", "repeat_contact_90d"))
    try:
        found = con.execute(f"SELECT {counts}, {examples} FROM internal").fetchall()[0]
        con.execute(f"SELECT {casts} FROM staged").fetchall()
    except duckdb.Error as exc:
        raise ReleaseError(f"internal data cannot be read as the contract's types: {exc}") from exc
    problems = []
    for i, (label, _, example) in enumerate(checks):
        if found[i]:
            shown = "" if example == "NULL" else f" (e.g. {found[i + len(checks)]!r})"
            problems.append(f"{found[i]:,} rows where {label}{shown}")
    if problems:
        raise ReleaseError("internal data: " + "; ".join(problems))
