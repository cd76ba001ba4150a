"""Write a release: coarse k-anonymous rows, exact rollups, suppressed cubes, manifest.

Layout::

    <releases_dir>/<city>/<release_id>/
        calls.parquet  calls.csv          the public rows (schema.CALLS_COLUMNS)
        rollup_overview.parquet           exact GROUP BYs of the rows (schema.ROLLUPS)
        rollup_counts.parquet  rollup_minutes.parquet
        cube_precinct.parquet             finer than the rows, suppressed (schema.CUBES,
        cube_coverage.parquet             dashboard.publish.cubes): precinct; weekday x hour
        cube_council.parquet              coverage; council districts; time on task
        cube_service.parquet
        data_dictionary.json  .md         generated from dashboard.contract.schema
        datapackage.json                  Frictionless Data Package (dashboard.contract.datapackage)
        manifest.json                     counts, privacy parameters, sha256 of every file
    <releases_dir>/<city>/CURRENT         the release id to serve, when servers switch to it
                                          and the one before (``Pointer``)

How a release is built (``build_release``): the internal rows (a DataFrame, or a
Parquet file for inputs too large for memory) are projected, generalized and written by
DuckDB, which streams and spills, so memory stays flat at 10M rows; pandas holds only
the cubes (thousands of cells). The cubes count exactly the calls the rows publish
(the view ``published``), so their totals are the rows' totals and the disclosure audit
knows every relation between them. A pandas version of the rows (``reference_rows``) is
kept as the reference the tests compare the DuckDB path with.

A release is written to a hidden temporary folder (``.building-<pid>-<token>``),
re-checked there by ``dashboard.publish.validate`` and renamed into place only when
complete and clean; CURRENT is switched with an atomic rename. A failed, refused or
killed build therefore leaves the previous release serving and intact; the next
successful build removes the leftovers of a killed one. How servers open, verify and
switch to what CURRENT names is ``dashboard.engine.store``'s business.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.releases import (
    CURRENT_POINTER,
    MANIFEST,
    RELEASE_ID,
    ReleaseError,
    ReleaseInfo,
    read_pointer,
    read_release_info,
    sha256_file,
)
from dashboard.contract.schema import (
    CALLS_COLUMN_NAMES,
    CALLS_COLUMNS,
    CUBES,
    QUASI_IDENTIFIERS,
    ROLLUP_MINUTES,
    ROLLUPS,
    SENSITIVE_VALUES,
    TimeGrain,
)
from dashboard.contract.sql import calls_arrow_schema, contract_sql_checks, rollup_sql
from dashboard.publish import cubes, privacy, scratch, validate

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
#: council district (coverage and council cubes) and time on task (service cube).
INTERNAL_OPTIONAL: tuple[str, ...] = ("council_district", "busy_minutes")

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

#: DuckDB's working memory while building; sorts and joins beyond it spill to the
#: build's scratch folder, which is what keeps a 10M-row build's memory flat.
BUILD_MEMORY_LIMIT = "512MB"

#: Prefix of a build's temporary folders inside ``<releases_dir>/<city>/``; the Store
#: never reads them, and a successful build removes those of dead processes.
BUILDING_PREFIX = ".building-"


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


def data_dictionary() -> dict:
    """The machine-readable data dictionary, generated from the contract."""
    return {
        "calls": [asdict(c) for c in CALLS_COLUMNS],
        "tables": [
            {"name": t.name, "dims": list(t.dims), "measures": list(t.measures),
             "suppressed": t.suppressed, "description": t.description}
            for t in (*ROLLUPS, *CUBES)
        ],
    }


def data_dictionary_markdown(synthetic: bool) -> str:
    lines = ["# Data dictionary", ""]
    if synthetic:
        lines += [
            "**This release is SYNTHETIC sample data** made by a seeded generator calibrated to "
            "published program figures. It describes no real person or call.",
            "",
        ]
    lines += ["## calls (one row per in-scope call, coarse grain)", "",
              "| column | type | values | meaning |", "|---|---|---|---|"]
    for c in CALLS_COLUMNS:
        allowed = ", ".join(f"`{v}`" for v in c.values)  # noqa: PD011 (a tuple, not pandas)
        kind = c.dtype + (" or empty" if c.nullable else "")
        lines.append(f"| `{c.name}` | {kind} | {allowed} | {c.description} |")
    lines += ["", "## Aggregate tables", ""]
    for t in (*ROLLUPS, *CUBES):
        dims = ", ".join(f"`{d}`" for d in t.dims)
        measures = ", ".join(f"`{m}`" for m in t.measures)
        lines.append(f"- `{t.name}` ({dims}; counts {measures}): {t.description}")
    return "\n".join(lines) + "\n"


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


def _write_rollups(con: duckdb.DuckDBPyConnection, out: Path) -> None:
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


# -- staging the internal table in DuckDB ------------------------------------------------


def _input_columns(internal: pd.DataFrame | Path) -> list[str]:
    """Column names, read from the Parquet footer only: missing columns fail before any write."""
    if isinstance(internal, pd.DataFrame):
        return [str(c) for c in internal.columns]
    try:
        return list(pq.read_schema(internal).names)
    except (OSError, pa.ArrowException) as exc:
        raise ReleaseError(f"cannot read the internal Parquet file {internal}: {exc}") from exc


def _frame_to_parquet(internal: pd.DataFrame, path: Path) -> Path:
    """Write the columns the builder reads (and only those) for the DuckDB path."""
    frame = internal[[*INTERNAL_REQUIRED, *(c for c in INTERNAL_OPTIONAL if c in internal.columns)]]
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(table, path, row_group_size=ROW_GROUP_ROWS)
    return path


def _connect(work: Path) -> duckdb.DuckDBPyConnection:
    """A private DuckDB with bounded memory that spills into the build's scratch folder
    (removed with it, or by the next build if this one is killed)."""
    con = duckdb.connect()
    con.execute("SET enable_progress_bar = false")
    con.execute(f"SET memory_limit = '{BUILD_MEMORY_LIMIT}'")
    con.execute("SET temp_directory = ?", [str(work / "duckdb.tmp")])
    con.execute("SET preserve_insertion_order = true")  # ORDER BY survives into the files
    return con


_BOOL_COLUMNS = {c.name for c in CALLS_COLUMNS if c.dtype == "bool"}


def _stage(con: duckdb.DuckDBPyConnection, path: Path) -> None:
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


def _write_public_rows(con: duckdb.DuckDBPyConnection, path: Path, k: int, seed: int
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


def clean_stale_builds(city_dir: Path) -> list[Path]:
    """Remove temporary folders and pointer files left by builds whose process is gone.

    A killed build leaves ``.building-<pid>-...`` behind; it was never published and
    the Store never reads it. Folders of live processes (a concurrent build) are kept.
    """
    return scratch.clean_stale(city_dir, BUILDING_PREFIX)


def _fsync(path: Path) -> None:
    """Flush a file or folder to disk: a rename is only atomic after a crash if what it
    points at reached the disk first."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _same_release(existing: Path, manifest: dict) -> bool:
    """An existing folder holds the same release if its manifest matches but for ``created``."""
    try:
        old = json.loads((existing / MANIFEST).read_text())
    except (OSError, ValueError):
        return False
    strip = ("created", "release_id")
    return {k: v for k, v in old.items() if k not in strip} == {
        k: v for k, v in manifest.items() if k not in strip
    }


def _publish(tmp: Path, city_dir: Path, manifest: dict) -> str:
    """Move the checked temporary folder into place under a release id that is free.

    Never deletes or overwrites a release folder: the one CURRENT points at may be
    serving. A rebuild of an identical release (same files, same manifest but for the
    creation time) reuses the existing folder; a different one with the same id (same
    rows, same day) gets a ``-2``, ``-3``... suffix.
    """
    base = manifest["release_id"]
    release_id, n = base, 1
    while (city_dir / release_id).exists():
        if _same_release(city_dir / release_id, manifest):
            shutil.rmtree(tmp)
            return release_id
        n += 1
        release_id = f"{base}-{n}"
    if release_id != base:
        manifest = {**manifest, "release_id": release_id}
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
    for path in tmp.iterdir():
        _fsync(path)
    tmp.rename(city_dir / release_id)
    _fsync(city_dir)
    return release_id


def build_release(
    internal: pd.DataFrame | Path,
    releases_dir: Path,
    *,
    city: str,
    source: str,
    synthetic: bool,
    k: int = privacy.DEFAULT_K,
    seed: int = 0,
    rows_read: int | None = None,
    rows_rejected: int = 0,
    extra_manifest: dict | None = None,
    switch_delay: float = 0.0,
) -> ReleaseInfo:
    """Turn internal (never published) rows into a checked release folder and make it current.

    ``internal`` is a DataFrame or the path of a Parquet file with the same columns
    (``INTERNAL_REQUIRED``; any other column is ignored). The heavy work runs in DuckDB
    over the Parquet file, so memory stays flat for tens of millions of rows; a
    DataFrame is first written to a scratch Parquet file and takes the same path.

    The release is written to ``<city>/.building-<pid>-<token>/``, checked by
    ``dashboard.publish.validate`` (every privacy rule, every checksum), and only then
    moved into place and pointed at by CURRENT, for servers to switch to
    ``switch_delay`` seconds later (``set_current``). Any failure, a violation included
    (ReleaseError), leaves the previous release current and untouched.
    """
    from dashboard.contract.datapackage import write_datapackage

    missing = sorted(set(INTERNAL_REQUIRED) - set(_input_columns(internal)))
    if missing:
        raise ReleaseError(f"internal frame lacks columns: {', '.join(missing)}")
    if int(k) < 2:
        raise ReleaseError(f"k must be at least 2 (got {k})")

    city_dir = releases_dir / city
    city_dir.mkdir(parents=True, exist_ok=True)
    token = scratch.scratch_name(BUILDING_PREFIX)
    tmp = city_dir / token
    # The scratch folder holds the internal rows (and DuckDB's spill of them): owner only.
    work = city_dir / f"{token}.scratch"
    work.mkdir(mode=scratch.PRIVATE_MODE)
    work.chmod(scratch.PRIVATE_MODE)
    try:
        internal_path = (_frame_to_parquet(internal, work / "internal.parquet")
                         if isinstance(internal, pd.DataFrame) else Path(internal))
        con = _connect(work)
        try:
            _stage(con, internal_path)
            tmp.mkdir()
            accepted, stats, published = _write_public_rows(con, tmp / "calls.parquet", k, seed)
            _write_rollups(con, tmp)
            cubes.write_cubes(con, str(tmp), k, seed)
        finally:
            con.close()
        (tmp / "data_dictionary.json").write_text(json.dumps(data_dictionary(), indent=2) + "\n")
        (tmp / "data_dictionary.md").write_text(data_dictionary_markdown(synthetic))

        files = {p.name: {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                 for p in sorted(tmp.iterdir()) if p.is_file()}
        files = write_datapackage(tmp, files, city=city, source=source, synthetic=synthetic, k=k)
        manifest = {
            "release_id": datetime.now(UTC).strftime("%Y%m%d") + "-" + files["calls.parquet"]["sha256"][:8],
            "city": city,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": source,
            "synthetic": synthetic,
            "rows": {
                "read": accepted + rows_rejected if rows_read is None else rows_read,
                "accepted": accepted,
                "rejected": rows_rejected,
                "published": published,
                "generalized_time": stats.generalized_time,
                "generalized_place": stats.generalized_place,
                "generalized_category": stats.generalized_category,
                "withheld": stats.withheld,
            },
            "privacy": {
                "k": k,
                "alpha": str(privacy.ALPHA),
                "quasi_identifiers": [c for c in QUASI_IDENTIFIERS
                                      if c not in ("jurisdiction", "time_grain")],
                "sensitive_values": {c: list(v) for c, v in SENSITIVE_VALUES.items()},
                "row_grain": "ISO week (or month) x police district x call category x program x "
                             "police backup",
                "cube_suppression": {
                    "method": cubes.SUPPRESSION_METHOD,
                    "rule": f"cells of 1..{k - 1} calls hidden; complements taken in a keyed pseudo-random "
                            f"order until no hidden cell that could be small is narrowed below [0, {k - 1}] "
                            "by any published relation (LP audit)",
                },
            },
            "files": files,
            **(extra_manifest or {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        violations = validate.validate_release(tmp, k=k)
        if violations:
            raise ReleaseError(
                f"release for {city!r} not published: {len(violations)} violation(s):\n"
                + "\n".join(f"- {v}" for v in violations)
            )
        release_id = _publish(tmp, city_dir, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    set_current(city_dir, release_id, switch_delay=switch_delay)
    clean_stale_builds(city_dir)
    return read_release_info(city_dir / release_id)


def _pointer_text(release_id: str, switch_at: float, previous: str | None) -> str:
    when = datetime.fromtimestamp(switch_at, UTC).isoformat(timespec="milliseconds")
    lines = [release_id, f"switch-at: {when}"]
    if previous and previous != release_id:
        lines.append(f"previous: {previous}")
    return "\n".join(lines) + "\n"


def set_current(city_dir: Path, release_id: str, *, switch_delay: float = 0.0) -> None:
    """Point CURRENT at ``release_id`` with an atomic rename (readers see old or new, never half).

    Servers switch to it ``switch_delay`` seconds from now, all at the same instant, and
    serve the release CURRENT named before (recorded as ``previous``) until then.
    """
    if not RELEASE_ID.match(release_id):
        raise ReleaseError(f"not a release id: {release_id!r}")
    previous = None
    with contextlib.suppress(ReleaseError):
        old = read_pointer(city_dir)
        complete = (city_dir / old.release_id / MANIFEST).is_file()
        previous = old.release_id if old.release_id != release_id and complete else old.previous
    tmp = city_dir / f"{scratch.scratch_name(BUILDING_PREFIX)}.{CURRENT_POINTER}"
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(_pointer_text(release_id, time.time() + max(0.0, switch_delay), previous))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, city_dir / CURRENT_POINTER)
    _fsync(city_dir)
