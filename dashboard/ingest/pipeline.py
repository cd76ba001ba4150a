"""``crisis-dashboard ingest``: a city's raw export becomes a privacy-safe release.

The one trusted path from a CAD/records export to what is published, configured per
city by the ``[ingest]`` section of its TOML (``dashboard.ingest.config``); no code
here knows a city. The steps, and why each is where it is:

1. **Check the file before anything is written.** The format is sniffed from its bytes
   (a workbook renamed ``.csv`` is refused, not parsed as garbage), a CSV's encoding is
   detected over the whole file (UTF-8, with or without BOM, UTF-16 by BOM, else
   cp1252, else latin-1), and every configured column must be in the header. A file
   that cannot be what the config says raises ``IngestError`` naming the problem.
2. **Stream.** Rows are read in chunks of ``readers.CHUNK_ROWS`` (CSV by Arrow's
   reader, which is ~10x faster, falling back to Python's csv, which numbers any record
   exactly, when a row has the wrong number of fields) and mapped with vectorized operations (value
   maps look up each distinct label once per chunk), so memory stays flat however long
   the export is. Accepted rows go to a temporary Parquet file, rejected rows to a
   temporary rejects file, both in a private scratch folder
   (``<releases>/.work/crisis-ingest-<pid>-<token>``, mode 0700, see
   ``dashboard.publish.scratch``; those left by killed ingests are removed when the next
   one starts); nothing lands in a release folder yet.
3. **Account for every row.** Each row is accepted or rejected with its line number,
   a reason and the name of the offending column, never the raw row: a raw row holds
   addresses, names and narratives, and the rejects file sits next to public releases.
   Only for an unknown code is the (truncated) label quoted, because the analyst needs
   it to fix the config, and the config refuses to value-map an identifier column.
   ``read = accepted + rejected`` is printed and stored in the manifest. A duration
   that cannot be right (response or busy minutes negative, over a day, unparseable)
   is nulled and counted, never a reason to reject: the call still happened.
4. **Repeat contacts** are computed by DuckDB over the temporary file (a window over a
   salted hash of the person column, ordered by time), then the hash is dropped. The
   salt comes from ``CRISIS_PERSON_SALT`` (or the caller) or is random per run; it is
   never written.
5. **Refuse a bad file** (``dashboard.ingest.guard``), before anything is built: a CSV
   whose last record is incomplete (cut off mid-line), more rejected rows than the
   city's ``max_reject_rate``, or a month the current release covers losing more than
   ``max_shrink`` of its calls. Each names the lines or months and exits 3, with
   nothing published; ``--accept-rejects`` / ``--accept-shrink`` let the last two through.
6. **Release**: ``build_release`` writes the k-anonymous rows, rollups, suppressed
   cubes and manifest atomically; only then is the rejects file moved into
   ``<releases>/<city>/rejects/`` (owner-only: rejects are internal, never published).

Each step's code is in its own module of this package, so that a change to one step
lands in one place: ``input_format`` (step 1) and ``readers`` (the chunks of step 2);
``mapper``, which maps a chunk with ``times``, ``values`` (value maps), ``places`` and
``durations``; ``accounting`` (step 3: reasons, rejects, the tally and the summary);
``people`` (step 4); ``guard`` (step 5). This module runs them in order, streams the
chunks to the scratch folder, writes the manifest's ``ingest`` record, and is the
command's entry point (``main``).
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import shutil
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import duckdb
import pyarrow.parquet as pq

from dashboard.contract.releases import NO_PERSON_COLUMN, ReleaseError, sha256_file
from dashboard.i18n.column_notes import column_notes
from dashboard.ingest.accounting import (
    REJECTS_DIR,
    REJECTS_HEADER,
    Reason,
    Result,
    Tally,
    reasons_text,
    summary,
)
from dashboard.ingest.config import load_ingest_config, maps_eligible
from dashboard.ingest.config_spec import IngestConfig
from dashboard.ingest.config_tables import IngestConfigError
from dashboard.ingest.guard import Checks, Overrides, Refused, check_last_record
from dashboard.ingest.input_format import IngestError
from dashboard.ingest.mapper import STAGE_SCHEMA, Mapper
from dashboard.ingest.people import person_salt, repeat_contacts
from dashboard.ingest.places import load_assigner, with_boundary_codes
from dashboard.ingest.readers import InputFile, NeedsExactReader, open_input
from dashboard.publish.release import build_release
from dashboard.publish.scratch import private_dir, scratch_dir, work_dir

if TYPE_CHECKING:
    from dashboard.settings import Settings

#: Scratch folders ``<releases>/.work/crisis-ingest-<pid>-<token>`` (see ``scratch``).
SCRATCH_PREFIX = "crisis-ingest-"
REFUSED_EXIT = 3  # the guard refused the file (dashboard.ingest.guard); other errors exit 1


class Progress:
    """Rows read and rate on stderr, at most every second (nothing when quiet)."""

    def __init__(self, quiet: bool, stream: TextIO | None = None) -> None:
        self.quiet, self.stream = quiet, stream or sys.stderr
        self.start = self.last = time.monotonic()

    def update(self, rows: int, *, final: bool = False) -> None:
        now = time.monotonic()
        if self.quiet or (now - self.last < 1.0 and not final):
            return
        self.last = now
        rate = rows / max(now - self.start, 1e-9)
        self.stream.write(f"ingest: {rows:,} rows read ({rate:,.0f} rows/s)\n")
        self.stream.flush()


def stream(src: InputFile, mapper: Mapper, work: Path, progress: Progress) -> Tally:
    """Map every chunk; accepted rows -> work/stage.parquet, rejects -> work/rejects.csv."""
    tally = Tally(busy_configured=mapper.cfg.response.cleared is not None)
    with (pq.ParquetWriter(work / "stage.parquet", STAGE_SCHEMA, compression="zstd") as writer,
          (work / "rejects.csv").open("w", newline="", encoding="utf-8") as rejects_fh):
        rejects_csv = csv.writer(rejects_fh)
        rejects_csv.writerow(REJECTS_HEADER)
        for chunk in src.chunks(mapper.cfg):
            accepted, rejects, minutes, busy = mapper.map(chunk, tally.read)
            writer.write_table(accepted)
            rejects_csv.writerows(rejects)
            tally.read += len(chunk.frame)
            tally.last_line = int(chunk.lines[-1]) if len(chunk.lines) else tally.last_line
            tally.accepted += accepted.num_rows
            tally.rejected_by_reason.update(r[1] for r in rejects)
            tally.unknown_codes.update((r[2], r[3]) for r in rejects if r[1] == Reason.UNKNOWN_CODE)
            tally.minutes_nulled.add(minutes)
            tally.busy_nulled.add(busy)
            tally.busy_filled += accepted.num_rows - accepted.column("busy_minutes").null_count
            progress.update(tally.read)
    progress.update(tally.read, final=True)
    if tally.read != tally.accepted + tally.rejected:  # pragma: no cover - an invariant
        raise IngestError(f"accounting failed: read {tally.read} != accepted + rejected")
    return tally


def _release_seed(salt: bytes) -> int:
    """Seed for the release's random call ids. Not a fixed public number: with a known
    seed anyone could regenerate the id sequence and recover each row's input position
    (its order in time within the week). With the environment salt it is reproducible."""
    digest = hashlib.blake2b(b"call-id-seed", key=salt, digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


def ingest(input_path: Path, config_path: Path, releases_dir: Path, *, geo_dir: Path, k: int,
           quiet: bool = True, synthetic: bool | None = None, salt: str | None = None,
           switch_delay: float = 0.0, overrides: Overrides | None = None) -> Result:
    """Run the whole ingest; raises IngestError/IngestConfigError before writing on bad input.

    ``synthetic`` overrides the config's ``synthetic`` flag (the sample generator's exports
    are synthetic whatever the city's config says); ``salt`` overrides CRISIS_PERSON_SALT.
    Servers switch to the new release ``switch_delay`` seconds after it is published
    (``atomic_publish.set_current``; the command line uses ``Settings.switch_delay``).
    A truncated file, too many rejects or a shrink of months the current release covers
    raise ``guard.Refused`` before anything is built (``overrides``: the operator's
    thresholds and flags, see ``dashboard.ingest.guard``).
    """
    cfg = with_boundary_codes(load_ingest_config(config_path), geo_dir)
    if synthetic is not None:
        cfg = replace(cfg, synthetic=synthetic)
    src = open_input(Path(input_path), cfg)
    assigner = load_assigner(cfg, geo_dir)
    key, salt_note = person_salt(salt)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with scratch_dir(work_dir(releases_dir), SCRATCH_PREFIX) as work:
        src, tally = _stream_all(src, Mapper(cfg, key, assigner), work, quiet)
        if tally.accepted == 0:
            raise IngestError(f"no row of {src.path.name} was accepted ({reasons_text(tally)}); "
                              "nothing was written")
        if src.kind == "csv":
            check_last_record(src.path, src.encoding, cfg.delimiter, len(src.header), tally.last_line)
        checks = Checks.of(cfg.max_shrink, cfg.max_reject_rate, overrides)
        checks.reject_rate(tally.read, tally.rejected, work / "rejects.csv")
        checks.shrink(work / "stage.parquet", releases_dir, cfg.city.id)
        repeat_contacts(work / "stage.parquet", work / "internal.parquet",
                        has_person=cfg.person_column is not None, work=work)
        rejects_name = f"{REJECTS_DIR}/{stamp}-rejects.csv"
        extra = _manifest_extra(src, cfg, tally, rejects_name, salt_note)
        extra["ingest"] |= {"guard": checks.record()}
        info = build_release(  # the Parquet path: DuckDB builds the release memory-flat
            work / "internal.parquet", releases_dir, city=cfg.city.id, source=src.path.name,
            synthetic=cfg.synthetic,
            k=k, seed=_release_seed(key), rows_read=tally.read, rows_rejected=tally.rejected,
            extra_manifest=extra,
            switch_delay=switch_delay,
            column_notes=column_notes(cfg.city, unrecorded_fields(cfg), "en"),
        )
        by_program = _by_program(work / "internal.parquet", info.path / "calls.parquet")
        rejects_file = releases_dir / cfg.city.id / rejects_name
        private_dir(rejects_file.parent)  # internal: never published, owner only
        shutil.move(work / "rejects.csv", rejects_file)
        rejects_file.chmod(0o600)
    return Result(info, tally, rejects_file, src, checks.warnings, by_program)


def _by_program(internal: Path, calls: Path) -> dict[str, tuple[int, int]]:
    """(accepted, published) calls per program, for the operator's summary."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            "SELECT i.response_type, i.n, coalesce(p.n, 0) FROM "
            "(SELECT response_type, count(*) AS n FROM read_parquet(?) GROUP BY 1) i LEFT JOIN "
            "(SELECT response_type, count(*) AS n FROM read_parquet(?) GROUP BY 1) p USING (response_type)",
            [str(internal), str(calls)],
        ).fetchall()
    finally:
        con.close()
    return {str(program): (int(accepted), int(published)) for program, accepted, published in rows}


def _stream_all(src: InputFile, mapper: Mapper, work: Path, quiet: bool) -> tuple[InputFile, Tally]:
    """Stream with the fast CSV reader; if it gives up (a ragged row), start again exactly.

    Starting again is safe: nothing has left the temporary folder, whose files are
    rewritten from the beginning.
    """
    try:
        return src, stream(src, mapper, work, Progress(quiet))
    except NeedsExactReader:
        exact = replace(src, fast=False)
        return exact, stream(exact, mapper, work, Progress(quiet))


def _manifest_extra(src: InputFile, cfg: IngestConfig, tally: Tally, rejects_name: str,
                    salt_note: str) -> dict[str, Any]:
    minutes, busy = tally.minutes_nulled, tally.busy_nulled
    response = cfg.response
    return {
        "source_sha256": sha256_file(src.path),
        "config_sha256": cfg.sha256,
        "ingest": {
            "config": cfg.path.name,
            "format": src.kind,
            "encoding": src.encoding,
            "sheet": src.sheet,
            "columns_used": list(dict.fromkeys(src.columns.values())),
            "columns_dropped": sorted(set(src.header) - set(src.columns.values())),
            "rows_read": tally.read,
            "rows_accepted": tally.accepted,
            "rows_rejected": tally.rejected,
            "rejected_by_reason": dict(sorted(tally.rejected_by_reason.items())),
            "rejects_file": rejects_name,
            "response_minutes_nulled": {"negative": minutes.negative, "over_24h": minutes.over_24h,
                                        "unparseable": minutes.unparseable},
            "busy_minutes": {
                "from": (response.dispatched or cfg.received).column if response.cleared else None,
                "to": response.cleared.column if response.cleared else None,
                "filled": tally.busy_filled,
                "nulled": {"negative": busy.negative, "over_24h": busy.over_24h,
                           "unparseable": busy.unparseable},
            },
            "repeat_contacts": salt_note if cfg.person_column else NO_PERSON_COLUMN,
            "not_recorded": unrecorded_fields(cfg),
        },
    }


def unrecorded_fields(cfg: IngestConfig) -> list[str]:
    """Contract fields the export does not hold, which the release therefore fills with a
    default (false): the pages say "not recorded" for them, never 0% (issue 14)."""
    missing = [] if maps_eligible(cfg.call_type) else ["star_eligible"]  # no dispatch criteria
    if not cfg.police_backup.sources:
        missing.append("police_backup")
    if not cfg.person_column:
        missing.append("repeat_contact_90d")
    return missing


def main(args: argparse.Namespace, settings: Settings) -> int:
    """CLI entry: errors about the input or config are one line on stderr, exit 1; a refusal
    of the guard (truncated file, too many rejects, a shrink) exits 3."""
    releases_dir = Path(args.out) if args.out else settings.releases_dir
    overrides = Overrides(getattr(args, "max_shrink", None), getattr(args, "max_reject_rate", None),
                          getattr(args, "accept_shrink", False), getattr(args, "accept_rejects", False))
    try:
        result = ingest(Path(args.input), Path(args.city), releases_dir, geo_dir=settings.geo_dir,
                        k=settings.privacy_k, quiet=args.quiet, switch_delay=settings.switch_delay,
                        overrides=overrides)
    except Refused as exc:
        sys.stderr.write(f"ingest: refused: {exc}\n")
        return REFUSED_EXIT
    except (IngestError, IngestConfigError, ReleaseError) as exc:
        sys.stderr.write(f"ingest: error: {exc}\n")
        return 1
    sys.stdout.write(summary(result))
    return 0
