"""Write a release: coarse k-anonymous rows, exact rollups, suppressed cubes, manifest.

Layout::

    <releases_dir>/<city>/<release_id>/
        calls.parquet  calls.csv          the public rows (schema.CALLS_COLUMNS)
        rollup_counts.parquet             exact GROUP BYs of the rows (schema.ROLLUPS)
        rollup_minutes.parquet
        cube_precinct.parquet             finer than the rows, suppressed (schema.CUBES)
        data_dictionary.json  .md         generated from dashboard.data.schema
        manifest.json                     counts, privacy parameters, sha256 of every file
    <releases_dir>/<city>/CURRENT         the release id being served

A release is written to a hidden temporary folder and renamed into place only when
complete; CURRENT is switched with an atomic rename, so a failed build leaves the
previous release serving.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.data import privacy
from dashboard.data.schema import (
    CALLS_COLUMN_NAMES,
    CALLS_COLUMNS,
    CUBE_PRECINCT,
    CUBES,
    INTERNAL_EXTRA_COLUMNS,
    ROLLUP_MINUTES,
    ROLLUPS,
    TimeGrain,
)

CURRENT_POINTER = "CURRENT"
MANIFEST = "manifest.json"

_ARROW_TYPES = {"string": pa.string(), "date": pa.date32(), "bool": pa.bool_(), "int": pa.int32()}


class ReleaseError(RuntimeError):
    """A release could not be built or read; the message names the problem."""


@dataclass(frozen=True)
class ReleaseInfo:
    """What pages and downloads say about the release they show."""

    city: str
    release_id: str
    created: str
    source: str
    synthetic: bool
    path: Path


def calls_arrow_schema() -> pa.Schema:
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=c.nullable) for c in CALLS_COLUMNS]
    )


def public_rows(internal: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Project the internal frame onto the contract's coarse columns (no hour, no place below district)."""
    received = pd.to_datetime(internal["received_hour"])
    day = received.dt.normalize()
    week = (day - pd.to_timedelta(day.dt.day_of_week, unit="D")).astype("datetime64[s]")
    rows = pd.DataFrame(
        {
            "call_id": _random_ids(len(internal), rng),
            "jurisdiction": internal["jurisdiction"].astype("string").to_numpy(),
            "week": week.to_numpy(),
            "time_grain": TimeGrain.WEEK.value,
            "district": internal["district"].astype("string").to_numpy(),
            "call_category": internal["call_category"].astype("string").to_numpy(),
            "star_eligible": internal["star_eligible"].astype(bool).to_numpy(),
            "response_type": internal["response_type"].astype("string").to_numpy(),
            "response_minutes": internal["response_minutes"].astype("Int32").to_numpy(),
            "outcome": internal["outcome"].astype("string").to_numpy(),
            "police_backup": internal["police_backup"].astype(bool).to_numpy(),
            "unanswered_reason": internal["unanswered_reason"].astype("string").to_numpy(),
            "repeat_contact_90d": internal["repeat_contact_90d"].astype(bool).to_numpy(),
        }
    )
    return rows


def _random_ids(n: int, rng: np.random.Generator) -> np.ndarray:
    raw = rng.integers(0, 2**63 - 1, size=n, dtype=np.int64)
    return np.char.mod("%016x", raw).astype(object)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


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


def _write_calls_parquet(rows: pd.DataFrame, path: Path) -> None:
    table = pa.Table.from_pandas(rows[list(CALLS_COLUMN_NAMES)], schema=calls_arrow_schema(),
                                 preserve_index=False)
    pq.write_table(table, path, compression="zstd", row_group_size=1_000_000)


#: How each rollup measure is counted from the public rows (values are contract enums).
MEASURE_SQL = {
    "n": "count(*)::BIGINT",
    "arrests": "(count(*) FILTER (WHERE outcome = 'arrest'))::BIGINT",
    "backups": "(count(*) FILTER (WHERE police_backup))::BIGINT",
}


def _write_rollups(con: duckdb.DuckDBPyConnection, out: Path) -> None:
    calls = con.read_parquet(str(out / "calls.parquet"))
    for table in ROLLUPS:
        dims = [("date_trunc('month', week)::DATE AS month" if d == "month" else d) for d in table.dims]
        measures = [f"{MEASURE_SQL[m]} AS {m}" for m in table.measures]
        where = " WHERE response_minutes IS NOT NULL" if table is ROLLUP_MINUTES else ""
        # Sorted by city and month so DuckDB's zone maps skip row groups outside a date range.
        rel = calls.query(
            "calls",
            f"SELECT {', '.join(dims + measures)} FROM calls{where} GROUP BY ALL ORDER BY ALL",
        )
        rel.write_parquet(str(out / f"{table.name}.parquet"), compression="zstd")
    calls.write_csv(str(out / "calls.csv"), header=True)


def precinct_cube(internal: pd.DataFrame, k: int) -> pd.DataFrame:
    """Calls by year x district x precinct x program x eligibility, small cells suppressed."""
    received = pd.to_datetime(internal["received_hour"])
    day = received.dt.normalize()
    monday = day - pd.to_timedelta(day.dt.day_of_week, unit="D")
    frame = pd.DataFrame(
        {
            "jurisdiction": internal["jurisdiction"].astype("string"),
            "year": monday.dt.year.astype("int32"),
            "district": internal["district"].astype("string"),
            "precinct": internal["precinct"].astype("string"),
            "response_type": internal["response_type"].astype("string"),
            "star_eligible": internal["star_eligible"].astype(bool),
        }
    )
    frame = frame[frame["precinct"].notna()]
    dims = list(CUBE_PRECINCT.dims)
    margin = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    cube = frame.groupby(dims, observed=True).size().rename("n").reset_index()
    # Complete each margin group with explicit zero cells for every precinct seen in its
    # district: a group whose only non-zero cell is small could otherwise be read off the
    # public district total, and zero cells are what complementary suppression hides first.
    precincts = frame[["jurisdiction", "district", "precinct"]].drop_duplicates()
    groups = cube[margin].drop_duplicates()
    grid = groups.merge(precincts, on=["jurisdiction", "district"])
    cube = grid.merge(cube, on=dims, how="left")
    cube["n"] = cube["n"].fillna(0).astype("int64")
    return privacy.suppress_cells(cube[[*dims, "n"]], k, margin)


def build_release(
    internal: pd.DataFrame,
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
) -> ReleaseInfo:
    """Turn an internal (never published) frame into a release folder and make it current."""
    required = set(CALLS_COLUMN_NAMES) - {"call_id", "week", "time_grain"}
    required |= {c.name for c in INTERNAL_EXTRA_COLUMNS} - {"person_key", "neighborhood", "council_district"}
    missing = sorted(required - set(internal.columns))
    if missing:
        raise ReleaseError(f"internal frame lacks columns: {', '.join(missing)}")

    rng = np.random.default_rng(seed)
    rows = public_rows(internal, rng)
    rows, stats = privacy.k_anonymize(rows, k)
    rows = rows.sort_values(["jurisdiction", "week", "district", "call_category", "call_id"],
                            kind="stable").reset_index(drop=True)

    city_dir = releases_dir / city
    city_dir.mkdir(parents=True, exist_ok=True)
    tmp = city_dir / f".building-{os.getpid()}-{rng.integers(1 << 30)}"
    tmp.mkdir()
    try:
        _write_calls_parquet(rows, tmp / "calls.parquet")
        con = duckdb.connect()
        try:
            con.execute("SET enable_progress_bar = false")
            _write_rollups(con, tmp)
        finally:
            con.close()
        cube = precinct_cube(internal, k)
        cube.to_parquet(tmp / f"{CUBE_PRECINCT.name}.parquet", index=False, compression="zstd")
        (tmp / "data_dictionary.json").write_text(json.dumps(data_dictionary(), indent=2) + "\n")
        (tmp / "data_dictionary.md").write_text(data_dictionary_markdown(synthetic))

        files = {p.name: {"sha256": _sha256(p), "bytes": p.stat().st_size}
                 for p in sorted(tmp.iterdir()) if p.is_file()}
        release_id = datetime.now(UTC).strftime("%Y%m%d") + "-" + files["calls.parquet"]["sha256"][:8]
        accepted = len(internal)
        manifest = {
            "release_id": release_id,
            "city": city,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "source": source,
            "synthetic": synthetic,
            "rows": {
                "read": accepted + rows_rejected if rows_read is None else rows_read,
                "accepted": accepted,
                "rejected": rows_rejected,
                "published": len(rows),
                "generalized_time": stats.generalized_time,
                "generalized_place": stats.generalized_place,
                "generalized_category": stats.generalized_category,
                "withheld": stats.withheld,
            },
            "privacy": {
                "k": k,
                "quasi_identifiers": ["week", "district", "call_category"],
                "row_grain": "ISO week x police district x call category",
                "cube_suppression": f"cells of 1..{k - 1} calls hidden, with complementary suppression",
            },
            "files": files,
            **(extra_manifest or {}),
        }
        (tmp / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")
        final = city_dir / release_id
        if final.exists():
            shutil.rmtree(final)
        tmp.rename(final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    set_current(city_dir, release_id)
    return read_release_info(final)


def set_current(city_dir: Path, release_id: str) -> None:
    """Point CURRENT at ``release_id`` with an atomic rename."""
    tmp = city_dir / f".{CURRENT_POINTER}.tmp"
    tmp.write_text(release_id + "\n")
    os.replace(tmp, city_dir / CURRENT_POINTER)


def current_release_dir(releases_dir: Path, city: str) -> Path:
    pointer = releases_dir / city / CURRENT_POINTER
    try:
        release_id = pointer.read_text().strip()
    except OSError as exc:
        raise ReleaseError(f"no current release for {city!r} ({pointer} missing)") from exc
    path = releases_dir / city / release_id
    if not (path / MANIFEST).is_file():
        raise ReleaseError(f"current release {release_id!r} of {city!r} is incomplete")
    return path


def read_release_info(path: Path) -> ReleaseInfo:
    manifest = json.loads((path / MANIFEST).read_text())
    return ReleaseInfo(
        city=manifest["city"],
        release_id=manifest["release_id"],
        created=manifest["created"],
        source=manifest["source"],
        synthetic=bool(manifest["synthetic"]),
        path=path,
    )
