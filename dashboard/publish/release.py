"""Write a release: coarse k-anonymous rows, exact rollups, suppressed cubes, manifest.

Layout::

    <releases_dir>/<city>/<release_id>/
        calls.parquet  calls.csv          the public rows (schema.CALLS_COLUMNS)
        rollup_overview.parquet           exact GROUP BYs of the rows (schema.ROLLUPS)
        rollup_counts.parquet  rollup_minutes.parquet
        cube_precinct.parquet             finer than the rows, suppressed (schema.CUBES,
        cube_coverage.parquet             dashboard.publish.cubes): precinct; weekday x hour
        cube_council.parquet              coverage; council districts; night and day;
        cube_night.parquet                outcomes by night and day; time on task of the
        cube_outcome_period.parquet       programs and of police alone on eligible calls
        cube_service.parquet
        cube_police_time.parquet
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
knows every relation between them. A pandas version of the rows
(``release_rows.reference_rows``) is kept as the reference the tests compare the DuckDB
path with.

A release is written to a hidden temporary folder (``.building-<pid>-<token>``),
re-checked there by ``dashboard.publish.validate`` and renamed into place only when
complete and clean; CURRENT is switched with an atomic rename. A failed, refused or
killed build therefore leaves the previous release serving and intact; the next
successful build removes the leftovers of a killed one. How servers open, verify and
switch to what CURRENT names is ``dashboard.engine.store``'s business.

This module runs the build; its steps are modules of their own: ``staging`` (the
internal input), ``release_rows`` (the public rows and rollups), ``cubes``,
``data_dictionary``, ``validate`` and ``atomic_publish`` (into place, CURRENT).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from dashboard.contract.releases import MANIFEST, ReleaseError, ReleaseInfo, read_release_info, sha256_file
from dashboard.contract.schema import QUASI_IDENTIFIERS, SENSITIVE_VALUES
from dashboard.publish import atomic_publish, cubes, privacy, release_rows, scratch, staging, validate
from dashboard.publish.data_dictionary import data_dictionary, data_dictionary_markdown


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
    column_notes: Mapping[str, str] | None = None,
) -> ReleaseInfo:
    """Turn internal (never published) rows into a checked release folder and make it current.

    ``internal`` is a DataFrame or the path of a Parquet file with the same columns
    (``staging.INTERNAL_REQUIRED``; any other column is ignored). The heavy work runs in
    DuckDB over the Parquet file, so memory stays flat for tens of millions of rows; a
    DataFrame is first written to a scratch Parquet file and takes the same path.

    The release is written to ``<city>/.building-<pid>-<token>/``, checked by
    ``dashboard.publish.validate`` (every privacy rule, every checksum), and only then
    moved into place and pointed at by CURRENT, for servers to switch to
    ``switch_delay`` seconds later (``atomic_publish.set_current``). Any failure, a
    violation included (ReleaseError), leaves the previous release current and untouched.
    """
    from dashboard.contract.datapackage import write_datapackage

    missing = sorted(set(staging.INTERNAL_REQUIRED) - set(staging.input_columns(internal)))
    if missing:
        raise ReleaseError(f"internal frame lacks columns: {', '.join(missing)}")
    if int(k) < 2:
        raise ReleaseError(f"k must be at least 2 (got {k})")

    city_dir = releases_dir / city
    city_dir.mkdir(parents=True, exist_ok=True)
    token = scratch.scratch_name(atomic_publish.BUILDING_PREFIX)
    tmp = city_dir / token
    # The scratch folder holds the internal rows (and DuckDB's spill of them): owner only.
    work = city_dir / f"{token}.scratch"
    work.mkdir(mode=scratch.PRIVATE_MODE)
    work.chmod(scratch.PRIVATE_MODE)
    try:
        internal_path = (staging.frame_to_parquet(internal, work / "internal.parquet")
                         if isinstance(internal, pd.DataFrame) else Path(internal))
        con = staging.connect(work)
        try:
            staging.stage(con, internal_path)
            tmp.mkdir()
            accepted, stats, published = release_rows.write_public_rows(con, tmp / "calls.parquet", k, seed)
            all_withheld = release_rows.programs_all_withheld(con, tmp / "calls.parquet")
            release_rows.write_rollups(con, tmp)
            cubes.write_cubes(con, str(tmp), k, seed)
        finally:
            con.close()
        (tmp / "data_dictionary.json").write_text(json.dumps(data_dictionary(column_notes), indent=2) + "\n")
        (tmp / "data_dictionary.md").write_text(data_dictionary_markdown(synthetic, column_notes))

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
                "programs_all_withheld": all_withheld,
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
        release_id = atomic_publish.publish(tmp, city_dir, manifest)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    atomic_publish.set_current(city_dir, release_id, switch_delay=switch_delay)
    atomic_publish.clean_stale_builds(city_dir)
    return read_release_info(city_dir / release_id)
