"""``crisis-dashboard ingest``: a city's raw export becomes a privacy-safe release.

The one trusted path from a CAD/records export to what is published, configured per
city by the ``[ingest]`` section of its TOML (``dashboard.ingest.config``); no code
here knows a city. The steps, and why each is where it is:

1. **Check the file before anything is written.** The format is sniffed from its bytes
   (a workbook renamed ``.csv`` is refused, not parsed as garbage), a CSV's encoding is
   detected over the whole file (UTF-8, with or without BOM, UTF-16 by BOM, else
   cp1252, else latin-1), and every configured column must be in the header. A file
   that cannot be what the config says raises ``IngestError`` naming the problem.
2. **Stream.** Rows are read in chunks of ``CHUNK_ROWS`` (CSV by Arrow's reader, which
   is ~10x faster, falling back to Python's csv, which numbers any record exactly, when
   a row has the wrong number of fields) and mapped with vectorized operations (value
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
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import csv
import difflib
import gc
import hashlib
import os
import re
import secrets
import shutil
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from enum import StrEnum
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dashboard.contract.releases import ReleaseError, ReleaseInfo, sha256_file
from dashboard.contract.schema import CITYWIDE, UnansweredReason
from dashboard.ingest.config import (
    BLANK_LABEL,
    ISO8601,
    LOCAL,
    IngestConfig,
    IngestConfigError,
    MappedField,
    TimeColumn,
    ValueMap,
    load_ingest_config,
    normalize_label,
    program_start,
)
from dashboard.ingest.guard import Checks, Overrides, Refused, check_last_record
from dashboard.publish.release import build_release
from dashboard.publish.scratch import private_dir, scratch_dir, work_dir

if TYPE_CHECKING:
    from dashboard.geo.assign import Assigner
    from dashboard.settings import Settings

CHUNK_ROWS = 100_000  # rows mapped at a time: memory is a few hundred bytes per row times this
MAX_MINUTES = 24 * 60  # a response longer than a day is a data error, not a response
DETAIL_CHARS = 40  # an unknown label is quoted in the rejects file up to this length
SALT_ENV = "CRISIS_PERSON_SALT"
REPEAT_WINDOW_DAYS = 90
DUCKDB_MEMORY = "512MB"  # for the repeat-contact window; it spills to the temp folder beyond
EARLIEST_CALL = pd.Timestamp("1990-01-01")  # before CAD exports existed: a parse error
REJECTS_DIR = "rejects"
REJECTS_HEADER = ("line", "reason", "field", "detail")
#: Scratch folders ``<releases>/.work/crisis-ingest-<pid>-<token>`` (see ``scratch``).
SCRATCH_PREFIX = "crisis-ingest-"
REFUSED_EXIT = 3  # the guard refused the file (dashboard.ingest.guard); other errors exit 1


class IngestError(RuntimeError):
    """The input cannot be ingested as configured; the message names the problem."""


class Reason(StrEnum):
    """Why a row was rejected (the first problem found, checked in this order)."""

    MALFORMED_ROW = "malformed_row"  # a CSV/xlsx row with more or fewer fields than the header
    UNPARSEABLE_TIME = "unparseable_time"
    MISSING_FIELD = "missing_required_field"
    UNKNOWN_CODE = "unknown_code"
    BAD_COORDINATES = "bad_coordinates"
    OUTSIDE_CITY = "point_outside_city"


# == reading =============================================================================


@dataclass
class Chunk:
    """Up to CHUNK_ROWS input rows: the configured columns (raw values) and line numbers."""

    frame: pd.DataFrame
    lines: np.ndarray  # int64: CSV line / sheet row where the record starts
    malformed: np.ndarray  # bool: wrong number of fields


@dataclass
class InputFile:
    """An input whose format, encoding and header have been checked against the config."""

    path: Path
    kind: str  # "csv" | "xlsx" | "parquet"
    columns: dict[str, str]  # configured column -> header name in the file
    encoding: str | None = None
    sheet: str | None = None
    header: tuple[str, ...] = ()
    fast: bool = False  # CSV: try Arrow's reader first (see _arrow_csv_chunks)

    def chunks(self, cfg: IngestConfig, size: int | None = None) -> Iterator[Chunk]:
        readers = {"csv": _csv_chunks, "xlsx": _xlsx_chunks, "parquet": _parquet_chunks}
        yield from readers[self.kind](self, cfg, size or CHUNK_ROWS)


_MAGIC = {b"PK\x03\x04": "xlsx", b"PAR1": "parquet", b"\xd0\xcf\x11\xe0": "xls"}
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
               ".xls": "xls"}
_UNDEFINED_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")  # no character in cp1252


def _sniff(path: Path) -> str:
    """The file's real format, from its first bytes; refuses a mismatch with its extension."""
    try:
        with path.open("rb") as fh:
            head = fh.read(8)
    except OSError as exc:
        raise IngestError(f"cannot read {path}: {exc.strerror or exc}") from exc
    if not head:
        raise IngestError(f"{path.name} is empty (0 bytes)")
    kind = next((k for magic, k in _MAGIC.items() if head.startswith(magic)), "csv")
    claimed = _EXTENSIONS.get(path.suffix.lower())
    if claimed and claimed != kind:
        raise IngestError(f"{path.name} has the extension {path.suffix} but its content is "
                          f"{_describe(kind)}, not {_describe(claimed)}")
    if kind == "xls":
        raise IngestError(f"{path.name} is a legacy Excel .xls workbook: save it as .xlsx or CSV")
    return kind


def _describe(kind: str) -> str:
    return {"csv": "text (CSV)", "xlsx": "an Excel .xlsx workbook (zip)", "parquet": "Parquet",
            "xls": "a legacy .xls workbook"}[kind]


def detect_encoding(path: Path) -> str:
    """The text encoding of a CSV, checked over the whole file (a late é decides it too).

    A byte-order mark wins; otherwise UTF-8 if every byte sequence is valid UTF-8, else
    cp1252 (Excel's "CSV" on Windows), else latin-1 (which decodes anything). A NUL byte
    means the file is not text at all.
    """
    with path.open("rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        else:
            encoding = "utf-8"
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        utf8, cp1252, offset = True, True, 0
        for block in iter(lambda: fh.read(1 << 20), b""):
            if (nul := block.find(b"\x00")) >= 0:
                raise IngestError(f"{path.name} is not CSV text: binary data (a NUL byte) at "
                                  f"byte {offset + nul}")
            if block.isascii():  # valid in every candidate: skip the slow checks
                offset += len(block)
                continue
            if utf8:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8 = False
            cp1252 = cp1252 and not any(b in block for b in _UNDEFINED_CP1252)
            offset += len(block)
    if utf8:
        return encoding
    return "cp1252" if cp1252 else "latin-1"


def _resolve_columns(header: list[str], cfg: IngestConfig, where: str) -> dict[str, str]:
    """Map each configured column onto the header: exact (trimmed) name, else the unique
    case- and space-insensitive match. Missing or ambiguous columns fail the ingest."""
    names = [str(h).strip() if h is not None else "" for h in header]
    if not any(names):
        raise IngestError(f"{where}: the header row is empty; the file is not a table")
    out, missing = {}, []
    for col in cfg.columns():
        exact = [n for n in names if n == col]
        loose = [n for n in names if normalize_label(n) == normalize_label(col)]
        found = exact or loose
        if len(found) > 1:
            raise IngestError(f"{where}: column {col!r} appears {len(found)} times in the header")
        if found:
            out[col] = found[0]
        else:
            missing.append(col)
    if missing:
        raise IngestError(f"{where}: missing column(s) required by {cfg.path.name}: "
                          + "; ".join(_missing_hint(c, names) for c in missing)
                          + _delimiter_hint(names, cfg.delimiter))
    return out


def _missing_hint(col: str, names: list[str]) -> str:
    close = difflib.get_close_matches(col, names, n=1)
    return f"{col!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _delimiter_hint(names: list[str], delimiter: str) -> str:
    if len(names) == 1 and any(d in names[0] for d in ",;\t|" if d != delimiter):
        return f". The header has a single column {names[0][:60]!r}: is the delimiter wrong?"
    return f". The header has {len(names)} column(s)."


def open_input(path: Path, cfg: IngestConfig) -> InputFile:
    """Check that ``path`` is what the config says it is; raise IngestError if not."""
    path = Path(path)
    kind = _sniff(path)  # `sheet` applies to workbooks only: one config serves CSV and .xlsx
    opener = {"csv": _open_csv, "xlsx": _open_xlsx, "parquet": _open_parquet}[kind]
    return opener(path, cfg)


# -- CSV --------------------------------------------------------------------------------


def _open_csv(path: Path, cfg: IngestConfig) -> InputFile:
    encoding = detect_encoding(path)
    with path.open(newline="", encoding=encoding) as fh:
        try:
            header = next(csv.reader(fh, delimiter=cfg.delimiter), None)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise IngestError(f"{path.name}: not readable as CSV ({exc})") from exc
    if not header:
        raise IngestError(f"{path.name} has no header row (blank first line)")
    columns = _resolve_columns(header, cfg, path.name)
    with path.open(newline="", encoding=encoding) as fh:
        reader = csv.reader(fh, delimiter=cfg.delimiter)
        next(reader)
        header_lines = reader.line_num
        if not any(any(row) for row in islice(reader, 1000)):
            raise IngestError(f"{path.name} has a header but no data rows")
    return InputFile(path, "csv", columns, encoding=encoding, header=tuple(h.strip() for h in header),
                     fast=header_lines == 1)


def _csv_chunks(src: InputFile, cfg: IngestConfig, size: int) -> Iterator[Chunk]:
    """Arrow's CSV reader when it can number every record exactly, else Python's csv."""
    if src.fast:
        yield from _arrow_csv_chunks(src, cfg, size)
    else:
        yield from _python_csv_chunks(src, cfg, size)


class NeedsExactReader(Exception):  # noqa: N818 - a signal, not an error
    """The fast CSV reader met a record it cannot number: read again with Python's csv."""


#: Arrow's names for the CSV's encodings (it reads UTF-8 natively, BOM included).
_ARROW_ENCODING = {"utf-8": "utf8", "utf-8-sig": "utf8"}


def _arrow_csv_chunks(src: InputFile, cfg: IngestConfig, size: int) -> Iterator[Chunk]:
    """Record batches from Arrow's streaming reader, ~10x faster than Python's csv.

    Every column is read as text (positional names: duplicate or empty header names do
    not matter) so that newlines inside quoted values can be counted: the line a record
    starts on is 2 + the lines taken by the records before it. A record with the wrong
    number of fields stops this reader (NeedsExactReader) rather than being guessed at.
    """
    width = len(src.header)
    names = [f"c{i}" for i in range(width)]
    wanted = [src.header.index(src.columns[c]) for c in cfg.columns()]
    options = {
        # Small blocks: the reader keeps a few dozen blocks in flight whatever the file size.
        "read_options": pacsv.ReadOptions(column_names=names, skip_rows=1, block_size=1 << 21,
                                          use_threads=False,
                                          encoding=_ARROW_ENCODING.get(src.encoding or "", src.encoding)),
        "parse_options": pacsv.ParseOptions(delimiter=cfg.delimiter, newlines_in_values=True,
                                            ignore_empty_lines=False),
        "convert_options": pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                                strings_can_be_null=False, quoted_strings_can_be_null=False),
    }
    line, pending = 2, []
    try:
        for batch in pacsv.open_csv(src.path, **options):
            pending.append(batch)
            if sum(b.num_rows for b in pending) >= size:
                chunk, line = _arrow_chunk(pa.Table.from_batches(pending), wanted, cfg, line)
                pending = []
                yield chunk
    except pa.ArrowInvalid as exc:
        raise NeedsExactReader(str(exc)) from exc
    if pending:
        yield _arrow_chunk(pa.Table.from_batches(pending), wanted, cfg, line)[0]


def _arrow_chunk(batch: pa.Table, wanted: list[int], cfg: IngestConfig,
                 line: int) -> tuple[Chunk, int]:
    """Some record batches as one Chunk, and the line the next records start on."""
    spans = np.ones(batch.num_rows, np.int64)
    blank = np.ones(batch.num_rows, bool)
    for column in batch.columns:
        count = {nl: pc.count_substring(column, nl).to_numpy() for nl in ("\n", "\r", "\r\n")}
        spans += count["\n"] + count["\r"] - count["\r\n"]  # as Python's csv counts lines
        blank &= pc.equal(pc.utf8_length(column), 0).to_numpy(zero_copy_only=False)
    lines = line + np.concatenate(([0], np.cumsum(spans)[:-1]))
    keep = ~blank  # a record with every field empty is a blank line, not a row
    frame = pd.DataFrame({c: batch.column(i).to_numpy(zero_copy_only=False)[keep]
                          for c, i in zip(cfg.columns(), wanted, strict=True)}, dtype=object)
    return Chunk(frame, lines[keep], np.zeros(int(keep.sum()), bool)), line + int(spans.sum())


def _python_csv_chunks(src: InputFile, cfg: IngestConfig, size: int) -> Iterator[Chunk]:
    """Python's csv module: exact line numbers always, rows of any width (then flagged)."""
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))  # long narratives are legal
    width = len(src.header)
    getter = _getter([src.header.index(src.columns[c]) for c in cfg.columns()])
    with src.path.open(newline="", encoding=src.encoding) as fh:
        reader = csv.reader(fh, delimiter=cfg.delimiter)
        next(reader)
        while True:
            start = reader.line_num
            try:
                with _no_gc():  # millions of small lists: the cyclic collector would dominate
                    rows = list(islice(reader, size))
            except (csv.Error, UnicodeDecodeError) as exc:
                raise IngestError(f"{src.path.name}: not readable as CSV after line "
                                  f"{reader.line_num} ({exc})") from exc
            if not rows:
                return
            lines = _record_lines(rows, start, reader.line_num)
            keep = np.fromiter((any(r) for r in rows), bool, len(rows))  # blank lines are no rows
            rows = [r for r in rows if any(r)] if not keep.all() else rows
            yield _chunk_from_rows(rows, lines[keep], width, getter, cfg)


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _getter(indexes: list[int]) -> Any:
    get = itemgetter(*indexes)
    return get if len(indexes) > 1 else (lambda row: (get(row),))


def _record_lines(rows: list[list[str]], start: int, end: int) -> np.ndarray:
    """The line on which each record starts (a quoted field may span several lines)."""
    if end - start == len(rows):
        return np.arange(start + 1, end + 1, dtype=np.int64)
    spans = np.fromiter((1 + sum(_newlines(f) for f in r) for r in rows), np.int64, len(rows))
    if spans.sum() != end - start:
        raise IngestError(f"line numbers could not be accounted for between lines {start} and {end}")
    return start + 1 + np.concatenate(([0], np.cumsum(spans)[:-1]))


def _newlines(text: str) -> int:
    return text.count("\n") + text.count("\r") - text.count("\r\n")


def _chunk_from_rows(rows: list, lines: np.ndarray, width: int, getter: Any, cfg: IngestConfig) -> Chunk:
    """Columns of the configured fields; rows of the wrong width are padded and flagged."""
    malformed = np.fromiter((len(r) != width for r in rows), bool, len(rows))
    if malformed.any():
        rows = [r if len(r) == width else (list(r) + [None] * width)[:width] for r in rows]
    with _no_gc():
        picked = list(zip(*map(getter, rows), strict=True)) if rows else [()] * len(cfg.columns())
    # dtype=object: pandas would otherwise convert every text column to Arrow strings, a
    # copy that costs more than the parsing; the mapping works on distinct values anyway.
    frame = pd.DataFrame({c: np.array(v, dtype=object) for c, v in zip(cfg.columns(), picked, strict=True)},
                         dtype=object)
    return Chunk(frame, lines, malformed)


# -- Excel ------------------------------------------------------------------------------


def _load_workbook(path: Path) -> Any:
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise IngestError("reading .xlsx needs the openpyxl package (pip install openpyxl)") from exc
    try:
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged zip
        raise IngestError(f"{path.name} is not a readable .xlsx workbook ({exc})") from exc


def _worksheet(book: Any, path: Path, name: str | None) -> Any:
    """The named sheet (default: the first), read in full whatever size the file claims."""
    if name is None:
        sheet = book.worksheets[0]
    elif name in book.sheetnames:
        sheet = book[name]
    else:
        raise IngestError(f"{path.name} has no sheet {name!r} (sheets: "
                          f"{', '.join(map(repr, book.sheetnames))})")
    sheet.reset_dimensions()  # a stale size tag in the file would silently cut rows off
    return sheet


def _open_xlsx(path: Path, cfg: IngestConfig) -> InputFile:
    book = _load_workbook(path)
    try:
        sheet = _worksheet(book, path, cfg.sheet)
        rows = sheet.iter_rows(values_only=True)
        header = next(rows, None)
        where = f"{path.name} sheet {sheet.title!r}"
        if not header or not any(v is not None for v in header):
            raise IngestError(f"{where} is empty or its first row is blank; the header must be row 1")
        columns = _resolve_columns(list(header), cfg, where)
        if not any(any(v is not None for v in row) for row in islice(rows, 1000)):
            raise IngestError(f"{where} has a header but no data rows")
        names = tuple("" if h is None else str(h).strip() for h in header)
        return InputFile(path, "xlsx", columns, sheet=sheet.title, header=names)
    finally:
        book.close()


def _xlsx_chunks(src: InputFile, cfg: IngestConfig, size: int) -> Iterator[Chunk]:
    """Sheet rows, numbered as in the spreadsheet (header = row 1); empty rows are no rows."""
    width = len(src.header)
    getter = _getter([src.header.index(src.columns[c]) for c in cfg.columns()])
    book = _load_workbook(src.path)
    try:
        sheet = _worksheet(book, src.path, src.sheet)
        numbered = enumerate(sheet.iter_rows(min_row=2, values_only=True), start=2)
        while batch := list(islice(numbered, size)):
            batch = [(n, r) for n, r in batch if any(v is not None for v in r)]
            lines = np.fromiter((n for n, _ in batch), np.int64, len(batch))
            # Trailing empty cells are not stored in the file: pad short rows; a row is
            # malformed only if it holds values beyond the header's last column.
            longer = np.fromiter((any(v is not None for v in r[width:]) for _, r in batch), bool, len(batch))
            rows = [(tuple(r) + (None,) * width)[:width] for _, r in batch]
            chunk = _chunk_from_rows(rows, lines, width, getter, cfg)
            chunk.malformed = longer
            yield chunk
    finally:
        book.close()


# -- Parquet ----------------------------------------------------------------------------


def _open_parquet(path: Path, cfg: IngestConfig) -> InputFile:
    try:
        with pq.ParquetFile(path) as meta:
            header, rows = list(meta.schema_arrow.names), meta.metadata.num_rows
    except (pa.ArrowException, OSError) as exc:
        raise IngestError(f"{path.name} is not a readable Parquet file ({exc})") from exc
    columns = _resolve_columns(header, cfg, path.name)
    if rows == 0:
        raise IngestError(f"{path.name} has columns but no rows")
    return InputFile(path, "parquet", columns, header=tuple(header))


def _parquet_chunks(src: InputFile, cfg: IngestConfig, size: int) -> Iterator[Chunk]:
    """Parquet has no lines: row i is numbered i + 1 after a notional header line, so a
    record keeps the number it would have in the same export saved as CSV."""
    names = [src.columns[c] for c in cfg.columns()]
    offset = 2
    with pq.ParquetFile(src.path) as parquet:
        for batch in parquet.iter_batches(batch_size=size, columns=list(dict.fromkeys(names))):
            frame = batch.to_pandas()
            frame = pd.DataFrame({c: frame[src.columns[c]].to_numpy() for c in cfg.columns()})
            n = len(frame)
            yield Chunk(frame, np.arange(offset, offset + n, dtype=np.int64), np.zeros(n, bool))
            offset += n


# == mapping one chunk ===================================================================


@dataclass
class Rejects:
    """The first problem of each row of a chunk (later checks never overwrite it)."""

    n: int
    rejected: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    column: np.ndarray = field(init=False)
    detail: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.rejected = np.zeros(self.n, bool)
        self.reason = np.full(self.n, None, object)
        self.column = np.full(self.n, None, object)
        self.detail = np.full(self.n, None, object)

    def flag(self, mask: np.ndarray, reason: Reason, column: Any, detail: Any = None) -> None:
        new = np.asarray(mask, bool) & ~self.rejected
        if not new.any():
            return
        self.rejected |= new
        self.reason[new] = reason.value
        self.column[new] = column[new] if isinstance(column, np.ndarray) else column
        if detail is not None:
            self.detail[new] = detail[new] if isinstance(detail, np.ndarray) else detail


MAPPED, BLANK, DEFER, UNKNOWN = 0, 1, 2, 3


def lookup(values: pd.Series, vmap: ValueMap) -> tuple[np.ndarray, np.ndarray]:
    """(target, state) per row, looking each distinct label up once."""
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    targets = np.full(len(uniques) + 1, None, object)  # the extra slot is for missing cells
    states = np.full(len(uniques) + 1, BLANK, np.int8)
    for i, raw in enumerate([*uniques, None]):
        states[i], targets[i] = _lookup_label(normalize_label(raw), vmap)
    return targets[codes], states[codes]


def _lookup_label(label: str, vmap: ValueMap) -> tuple[int, Any]:
    if label == BLANK_LABEL:
        return (MAPPED, vmap.blank) if vmap.blank is not None else (BLANK, None)
    if label in vmap.defer:
        return DEFER, None
    if label in vmap.entries:
        return MAPPED, vmap.entries[label]
    if vmap.any_other is not None:
        return MAPPED, vmap.any_other
    return UNKNOWN, None


@dataclass
class Resolved:
    """A field resolved over a chain of columns, with what could not be resolved."""

    value: np.ndarray
    blank: np.ndarray  # no column of the chain said anything
    unknown: np.ndarray  # a label no map covers
    unknown_column: np.ndarray
    unknown_label: np.ndarray
    last_column: str


def resolve(frame: pd.DataFrame, spec: MappedField) -> Resolved:
    """First mapped value along the chain wins; blank and deferred labels fall through."""
    n = len(frame)
    if not spec.sources:
        return Resolved(np.full(n, spec.constant, object), np.zeros(n, bool), np.zeros(n, bool),
                        np.full(n, None, object), np.full(n, None, object), "")
    value = np.full(n, None, object)
    pending = np.ones(n, bool)
    unknown = np.zeros(n, bool)
    unknown_column = np.full(n, None, object)
    unknown_label = np.full(n, None, object)
    for source in spec.sources:
        targets, states = lookup(frame[source.column], source.values)
        hit = pending & (states == MAPPED)
        value[hit] = targets[hit]
        bad = pending & (states == UNKNOWN)
        unknown |= bad
        unknown_column[bad] = source.column
        unknown_label[bad] = [_quote(v) for v in frame[source.column].to_numpy(dtype=object)[bad]]
        pending &= ~(hit | bad)
    return Resolved(value, pending, unknown, unknown_column, unknown_label, spec.sources[-1].column)


def _quote(value: object) -> str:
    """An unknown label as it may appear in the rejects file: trimmed, truncated, inert in a
    spreadsheet (a leading = + - @ would be run as a formula)."""
    text = " ".join(str(value).split())
    text = text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def _required(res: Resolved, rej: Rejects) -> np.ndarray:
    rej.flag(res.unknown, Reason.UNKNOWN_CODE, res.unknown_column, res.unknown_label)
    rej.flag(res.blank, Reason.MISSING_FIELD, res.last_column)
    return res.value


def _optional(res: Resolved, rej: Rejects, default: Any) -> np.ndarray:
    rej.flag(res.unknown, Reason.UNKNOWN_CODE, res.unknown_column, res.unknown_label)
    return np.where(res.blank, default, res.value)


# -- times ------------------------------------------------------------------------------

_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")


def _blank(values: pd.Series) -> np.ndarray:
    """Missing, empty or whitespace-only cells."""
    objects = values.to_numpy(dtype=object)
    if pd.api.types.infer_dtype(objects, skipna=True) == "string":  # CSV text: vectorized
        text = pa.array(objects, pa.string(), from_pandas=True)
        empty = pc.equal(pc.utf8_trim_whitespace(text), "").to_numpy(zero_copy_only=False)
        return pd.isna(objects) | np.asarray(empty, dtype=bool)  # null compares as None: not empty
    empty = np.fromiter((isinstance(v, str) and not v.strip() for v in objects), bool, len(objects))
    return pd.isna(objects) | empty


def per_value(values: pd.Series | np.ndarray, fn: Any, *, missing: Any = None) -> np.ndarray:
    """``fn`` applied once per distinct value and spread back over the rows.

    Exports repeat a few labels millions of times; this keeps the Python work
    proportional to the number of distinct values, not of rows.
    """
    objects = values.to_numpy(dtype=object) if isinstance(values, pd.Series) else values
    codes, uniques = pd.factorize(objects, use_na_sentinel=True)
    mapped = np.empty(len(uniques) + 1, dtype=object)
    mapped[:-1] = [fn(u) for u in uniques]
    mapped[-1] = missing
    return mapped[codes]


def parse_times(values: pd.Series, spec: TimeColumn, city_tz: str) -> pd.Series:
    """Local wall-clock times of the city (naive), NaT where blank or unparseable.

    Naive values mean ``spec.timezone`` ("local" = the city's zone); values with an
    offset or a zone are converted to the city's zone. Spreadsheet and Parquet cells
    that already hold datetimes are taken as they are, whatever ``spec.format`` says.
    """
    values = values.reset_index(drop=True)
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        return _to_local(values, spec.timezone, city_tz)
    objects = values.to_numpy(dtype=object)
    is_dt = np.fromiter((isinstance(v, datetime) for v in objects), bool, len(objects))
    out = np.full(len(objects), np.datetime64("NaT"), dtype="datetime64[s]")
    if is_dt.any():
        cells = pd.to_datetime(pd.Series(list(objects[is_dt]), dtype=object))
        out[is_dt] = _to_local(cells, spec.timezone, city_tz).to_numpy()
    if (~is_dt).any():
        text = pd.Series(objects[~is_dt], dtype="string").str.strip()
        out[~is_dt] = _parse_text(text, spec, city_tz)
    return pd.Series(out)


def _parse_text(text: pd.Series, spec: TimeColumn, city_tz: str) -> np.ndarray:
    parsed = _strptime(text, spec.format)
    # Strings without an offset were read as UTC, so their UTC reading is their wall time.
    out = _to_local(parsed.dt.tz_localize(None), spec.timezone, city_tz).to_numpy().copy()
    aware = text.str.contains(_OFFSET, na=False).to_numpy(dtype=bool)
    if aware.any():
        out[aware] = _to_local(parsed[aware], LOCAL, city_tz).to_numpy()
    return out


def _strptime(text: pd.Series, fmt: str) -> pd.Series:
    """pandas' parsing (the reference), sped up with Arrow's strptime where it is exact.

    Arrow parses a non-ISO format ~25x faster but more leniently: a day past the end of
    the month rolls over (02/30 -> 03/02, so the result falls on day 1-3) and a two-digit
    year passes ``%Y`` (a year before 1900). Those results, and every value Arrow could
    not parse, go through pandas. Times come back tz-aware UTC (naive ones as if UTC).
    """
    if fmt == ISO8601 or "%z" in fmt or "%Z" in fmt:
        return pd.to_datetime(text, format=fmt, errors="coerce", utc=True)
    arrow_text = pa.array(text.to_numpy(dtype=object, na_value=None), pa.string())
    fast = pc.strptime(arrow_text, format=fmt, unit="s", error_is_null=True)
    suspect = pc.fill_null(pc.or_(pc.less_equal(pc.day(fast), 3), pc.less(pc.year(fast), 1900)), True)
    out = pd.Series(fast.to_numpy(zero_copy_only=False), index=text.index).dt.tz_localize("UTC")
    recheck = suspect.to_numpy(zero_copy_only=False)
    if recheck.any():
        out[recheck] = pd.to_datetime(text[recheck], format=fmt, errors="coerce", utc=True)
    return out


def _to_local(values: pd.Series, naive_means: str, city_tz: str) -> pd.Series:
    values = pd.Series(values).reset_index(drop=True)
    if values.dt.tz is not None:
        values = values.dt.tz_convert(city_tz).dt.tz_localize(None)
    elif naive_means != LOCAL:
        # The repeated hour when clocks go back is read as standard time, not dropped.
        standard = np.zeros(len(values), dtype=bool)
        values = (values.dt.tz_localize(naive_means, ambiguous=standard, nonexistent="shift_forward")
                  .dt.tz_convert(city_tz).dt.tz_localize(None))
    return values.astype("datetime64[s]")


def _received(chunk: Chunk, cfg: IngestConfig, rej: Rejects) -> pd.Series:
    column = cfg.received.column
    raw = chunk.frame[column]
    local = parse_times(raw, cfg.received, cfg.city.timezone)
    blank = _blank(raw)
    rej.flag(blank, Reason.MISSING_FIELD, column)
    latest = pd.Timestamp.now(tz=cfg.city.timezone).tz_localize(None) + pd.Timedelta(days=1)
    implausible = (local < EARLIEST_CALL) | (local > latest)
    rej.flag((local.isna() | implausible).to_numpy(dtype=bool) & ~blank, Reason.UNPARSEABLE_TIME, column)
    return local


# -- minutes, places, people ------------------------------------------------------------


@dataclass
class MinuteCounts:
    """Durations nulled rather than rejected: the call happened, its timing is wrong."""

    negative: int = 0
    over_24h: int = 0
    unparseable: int = 0

    def add(self, other: MinuteCounts) -> None:
        self.negative += other.negative
        self.over_24h += other.over_24h
        self.unparseable += other.unparseable


def _minutes(chunk: Chunk, cfg: IngestConfig, received: pd.Series,
             ok: np.ndarray) -> tuple[pd.Series, MinuteCounts]:
    frame, n = chunk.frame, len(chunk.frame)
    if cfg.response.on_scene:
        raw = frame[cfg.response.on_scene.column]
        on_scene = parse_times(raw, cfg.response.on_scene, cfg.city.timezone)
        unparseable = on_scene.isna().to_numpy() & ~_blank(raw)
        minutes = ((on_scene - received).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)
        bad_part = np.zeros(n, bool)
    elif cfg.response.minutes_columns:
        parts = [_numbers(frame[c]) for c in cfg.response.minutes_columns]
        unparseable = np.logical_or.reduce([np.isnan(p) & ~_blank(frame[c]) for c, p in
                                            zip(cfg.response.minutes_columns, parts, strict=True)])
        minutes = np.sum(parts, axis=0)  # NaN when any part is missing
        bad_part = np.logical_or.reduce([p < 0 for p in parts])
    else:
        return pd.Series(pd.array([pd.NA] * n, dtype="Int32")), MinuteCounts()
    negative = (minutes < 0) | bad_part
    over = minutes > MAX_MINUTES
    counts = MinuteCounts(int((negative & ok).sum()), int((over & ok & ~negative).sum()),
                          int((unparseable & ok).sum()))
    minutes = np.where(negative | over | unparseable, np.nan, np.rint(minutes))
    return pd.Series(pd.array(minutes, dtype="Float64")).astype("Int32"), counts


def _busy(chunk: Chunk, cfg: IngestConfig, received: pd.Series,
          ok: np.ndarray) -> tuple[pd.Series, MinuteCounts]:
    """Busy minutes: whole minutes from the unit being dispatched (or, without a dispatch
    column, the call being received) to the unit clearing the call.

    A negative, over-a-day or unparseable duration is a data error in the timestamps, not
    in the call: the minutes are nulled and counted (the summary warns), the row is kept.
    A blank cleared (or dispatched) time is simply no duration: most calls have none.
    """
    frame, n = chunk.frame, len(chunk.frame)
    spec = cfg.response
    if spec.cleared is None:
        return pd.Series(pd.array([pd.NA] * n, dtype="Int32")), MinuteCounts()
    raw = frame[spec.cleared.column]
    cleared = parse_times(raw, spec.cleared, cfg.city.timezone)
    unparseable = cleared.isna().to_numpy() & ~_blank(raw)
    start = received
    if spec.dispatched is not None:
        raw = frame[spec.dispatched.column]
        start = parse_times(raw, spec.dispatched, cfg.city.timezone)
        unparseable |= start.isna().to_numpy() & ~_blank(raw)
    minutes = ((cleared - start).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)
    negative = minutes < 0
    over = minutes > MAX_MINUTES
    counts = MinuteCounts(int((negative & ok).sum()), int((over & ok).sum()), int((unparseable & ok).sum()))
    minutes = np.where(negative | over | unparseable, np.nan, np.rint(minutes))
    return pd.Series(pd.array(minutes, dtype="Float64")).astype("Int32"), counts


def _place_from_points(chunk: Chunk, cfg: IngestConfig, assigner: Assigner,
                       rej: Rejects) -> dict[str, np.ndarray]:
    points = cfg.points
    assert points is not None  # noqa: S101 - only called in points mode
    n = len(chunk.frame)
    lon_raw, lat_raw = chunk.frame[points.lon], chunk.frame[points.lat]
    lon, lat = _numbers(lon_raw), _numbers(lat_raw)
    lon_blank, lat_blank = _blank(lon_raw), _blank(lat_raw)
    missing = lon_blank | lat_blank
    if points.missing == "reject":
        rej.flag(lon_blank, Reason.MISSING_FIELD, points.lon)
        rej.flag(lat_blank, Reason.MISSING_FIELD, points.lat)
    lon_bad = ~lon_blank & ~(np.isfinite(lon) & (np.abs(lon) <= 180))
    lat_bad = ~lat_blank & ~(np.isfinite(lat) & (np.abs(lat) <= 90))
    null_island = (lon == 0) & (lat == 0)  # a common "no location" placeholder
    rej.flag(lon_bad | null_island, Reason.BAD_COORDINATES, points.lon)
    rej.flag(lat_bad, Reason.BAD_COORDINATES, points.lat)
    valid = ~(missing | lon_bad | lat_bad | null_island)
    places = assigner.assign(np.where(valid, lon, np.nan), np.where(valid, lat, np.nan))
    district = places["district"].to_numpy(dtype=object, na_value=None)
    rej.flag(valid & pd.isna(district), Reason.OUTSIDE_CITY, f"{points.lon}/{points.lat}")
    out = {"district": np.where(missing & (points.missing == "citywide"), CITYWIDE, district)}
    for col in ("precinct", "neighborhood", "council_district"):
        out[col] = (places[col].to_numpy(dtype=object, na_value=None) if col in places
                    else np.full(n, None, object))
    return out


def _numbers(values: pd.Series) -> np.ndarray:
    """Floats, NaN where blank or not a number."""
    numbers = pd.to_numeric(values.reset_index(drop=True), errors="coerce")
    return numbers.to_numpy(dtype=float, na_value=np.nan)


def _place(chunk: Chunk, cfg: IngestConfig, assigner: Assigner | None, rej: Rejects) -> dict[str, np.ndarray]:
    n = len(chunk.frame)
    if cfg.points is not None and assigner is not None:
        return _place_from_points(chunk, cfg, assigner, rej)
    empty = np.full(n, None, object)
    if cfg.district is None:
        return {"district": np.full(n, CITYWIDE, object), "precinct": empty, "neighborhood": empty,
                "council_district": empty}
    district = _required(resolve(chunk.frame, cfg.district), rej)
    return {"district": district, "precinct": empty, "neighborhood": empty, "council_district": empty}


def person_keys(values: pd.Series, salt: bytes) -> np.ndarray:
    """Salted hashes of person ids (None where blank), one hash per distinct id.

    The salt makes the hash useless outside this run (or outside holders of the salt);
    the hashes live only in the temporary file and are dropped after the window.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    hashed = np.array([_person_hash(u, salt) for u in uniques] + [None], dtype=object)
    return hashed[codes]


def _person_hash(value: object, salt: bytes) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    return hashlib.blake2b(text.encode("utf-8"), key=salt, digest_size=16).hexdigest()


# -- the whole chunk --------------------------------------------------------------------

#: The temporary (never published) table of accepted rows. ``seq`` keeps input order,
#: ``received_at`` the exact time for the 90-day window, ``person_hash`` the salted key.
STAGE_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("jurisdiction", pa.string()), ("received_hour", pa.timestamp("s")),
    ("received_at", pa.timestamp("s")), ("district", pa.string()), ("precinct", pa.string()),
    ("neighborhood", pa.string()), ("council_district", pa.string()), ("call_category", pa.string()),
    ("star_eligible", pa.bool_()), ("response_type", pa.string()), ("response_minutes", pa.int32()),
    ("outcome", pa.string()), ("police_backup", pa.bool_()), ("unanswered_reason", pa.string()),
    ("busy_minutes", pa.int32()), ("person_hash", pa.string()),
])


@dataclass
class Mapper:
    """Everything needed to map chunks: the config and what it resolved to at start."""

    cfg: IngestConfig
    salt: bytes
    assigner: Assigner | None = None

    def map(self, chunk: Chunk, seq0: int) -> tuple[pa.Table, list[tuple], MinuteCounts, MinuteCounts]:
        """Accepted rows (STAGE_SCHEMA), rejects (line, reason, field, detail), nulled
        response minutes and nulled busy minutes."""
        cfg, n = self.cfg, len(chunk.frame)
        chunk.frame = chunk.frame.reset_index(drop=True)
        rej = Rejects(n)
        rej.flag(chunk.malformed, Reason.MALFORMED_ROW, "(row)", "field count differs from header")
        received = _received(chunk, cfg, rej)
        call_type = _required(resolve(chunk.frame, cfg.call_type), rej)
        response_type = _required(resolve(chunk.frame, cfg.response_type), rej)
        outcome = _required(resolve(chunk.frame, cfg.outcome), rej)
        place = _place(chunk, cfg, self.assigner, rej)
        backup = _optional(resolve(chunk.frame, cfg.police_backup), rej, False)
        reason = (_optional(resolve(chunk.frame, cfg.unanswered_reason), rej, None)
                  if cfg.unanswered_reason else np.full(n, None, object))
        ok = ~rej.rejected
        minutes, counts = _minutes(chunk, cfg, received, ok)
        busy, busy_counts = _busy(chunk, cfg, received, ok)
        columns = self._columns(received, call_type, response_type, outcome, place, backup, reason, minutes)
        columns["busy_minutes"] = busy
        columns["seq"] = seq0 + np.arange(n)
        columns["person_hash"] = (person_keys(chunk.frame[cfg.person_column], self.salt)
                                  if cfg.person_column else np.full(n, None, object))
        accepted = pa.Table.from_pandas(pd.DataFrame(columns)[ok], schema=STAGE_SCHEMA, preserve_index=False)
        rejects = list(zip(chunk.lines[~ok].tolist(), rej.reason[~ok].tolist(),
                           rej.column[~ok].tolist(), rej.detail[~ok].tolist(), strict=True))
        return accepted, rejects, counts, busy_counts

    def _columns(self, received: pd.Series, call_type: np.ndarray, response_type: np.ndarray,
                 outcome: np.ndarray, place: dict[str, np.ndarray], backup: np.ndarray,
                 reason: np.ndarray, minutes: pd.Series) -> dict[str, Any]:
        city = self.cfg.city
        category = per_value(call_type, lambda t: t.category)
        eligible = per_value(call_type, lambda t: t.eligible, missing=False).astype(bool)
        start = program_start(city)
        # Eligibility is only assessed while the alternative program operates.
        eligible &= (received >= pd.Timestamp(start)).to_numpy(dtype=bool, na_value=False) if start else False
        rtype = response_type
        by_alt = rtype == city.alternative_program.value
        reason = np.where(pd.isna(reason), UnansweredReason.UNKNOWN.value, reason)
        unanswered = np.where(eligible & ~by_alt, reason, None)
        return {
            "jurisdiction": city.id,
            "received_hour": received.dt.floor("h").to_numpy(),
            "received_at": received.to_numpy(),
            **place,
            "call_category": category,
            "star_eligible": eligible,
            "response_type": rtype,
            "response_minutes": minutes,
            "outcome": outcome,
            # The contract's police_backup is "the alternative team asked for police".
            "police_backup": np.asarray(backup, bool) & by_alt,
            "unanswered_reason": unanswered,
        }


# == the run =============================================================================


@dataclass
class Tally:
    """Running accounting over the whole input."""

    read: int = 0
    accepted: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    minutes_nulled: MinuteCounts = field(default_factory=MinuteCounts)
    busy_configured: bool = False  # the config names a cleared-time column
    busy_filled: int = 0  # accepted rows with busy minutes
    busy_nulled: MinuteCounts = field(default_factory=MinuteCounts)
    last_line: int = 0  # where the last record starts (the guard re-reads it)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())


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
            tally.minutes_nulled.add(minutes)
            tally.busy_nulled.add(busy)
            tally.busy_filled += accepted.num_rows - accepted.column("busy_minutes").null_count
            progress.update(tally.read)
    progress.update(tally.read, final=True)
    if tally.read != tally.accepted + tally.rejected:  # pragma: no cover - an invariant
        raise IngestError(f"accounting failed: read {tally.read} != accepted + rejected")
    return tally


def repeat_contacts(stage: Path, out: Path, *, has_person: bool, work: Path) -> None:
    """Write the internal frame: ``repeat_contact_90d`` by a window over the person hash.

    A call is a repeat when the same person's previous accepted call came in at most 90
    days earlier (exact times, not hours). The window runs on three narrow columns and
    its flags are sorted back into input order and attached by position, so no sort
    ever carries whole rows (the step stays within DUCKDB_MEMORY, spilling beyond).
    The hash, the exact time and the input order are dropped here; rows keep the input
    order, so the same input gives the same release whatever its file format.
    """
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET temp_directory = ?", [str(work / "duckdb.tmp")])
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.read_parquet(str(stage)).create_view("stage")
        if not has_person:
            rows = con.sql("SELECT * EXCLUDE (seq, received_at, person_hash), false AS repeat_contact_90d "
                           "FROM stage")
        else:
            con.execute(
                f"CREATE TEMP TABLE flags AS SELECT seq, coalesce(person_hash IS NOT NULL AND "
                f"received_at - lag(received_at) OVER w <= INTERVAL {REPEAT_WINDOW_DAYS} DAY, false) AS flag "
                "FROM (SELECT seq, person_hash, received_at FROM stage) "
                "WINDOW w AS (PARTITION BY person_hash ORDER BY received_at, seq)"
            )
            # The stage file is in seq order; a mismatch would mean a flag on the wrong call.
            rows = con.sql(
                "SELECT s.* EXCLUDE (seq, received_at, person_hash), CASE WHEN s.seq = f.seq THEN f.flag "
                "ELSE error('repeat-contact flags out of step with the rows') END AS repeat_contact_90d "
                "FROM stage s POSITIONAL JOIN (SELECT seq, flag FROM flags ORDER BY seq) f"
            )
        rows.write_parquet(str(out), compression="zstd")
    finally:
        con.close()


def _salt(given: str | None = None) -> tuple[bytes, str]:
    if given:
        return given.encode("utf-8"), "salted hash, salt given by the caller (not stored)"
    env = os.environ.get(SALT_ENV, "")
    if env:
        return env.encode("utf-8"), f"salted hash, salt from {SALT_ENV} (not stored)"
    return secrets.token_bytes(32), "salted hash, random salt for this run (not stored)"


def _release_seed(salt: bytes) -> int:
    """Seed for the release's random call ids. Not a fixed public number: with a known
    seed anyone could regenerate the id sequence and recover each row's input position
    (its order in time within the week). With the environment salt it is reproducible."""
    digest = hashlib.blake2b(b"call-id-seed", key=salt, digest_size=8).digest()
    return int.from_bytes(digest, "big") & (2**63 - 1)


@dataclass
class Result:
    """What one ingest produced: the release, the accounting and where rejects went."""

    release: ReleaseInfo
    tally: Tally
    rejects_file: Path
    source: InputFile
    warnings: list[str] = field(default_factory=list)  # what the operator let through (guard)


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
    cfg = load_ingest_config(config_path)
    if synthetic is not None:
        cfg = replace(cfg, synthetic=synthetic)
    src = open_input(Path(input_path), cfg)
    assigner = _assigner(cfg, geo_dir)
    key, salt_note = _salt(salt)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with scratch_dir(work_dir(releases_dir), SCRATCH_PREFIX) as work:
        src, tally = _stream_all(src, Mapper(cfg, key, assigner), work, quiet)
        if tally.accepted == 0:
            raise IngestError(f"no row of {src.path.name} was accepted ({_reasons_text(tally)}); "
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
        )
        rejects_file = releases_dir / cfg.city.id / rejects_name
        private_dir(rejects_file.parent)  # internal: never published, owner only
        shutil.move(work / "rejects.csv", rejects_file)
        rejects_file.chmod(0o600)
    return Result(info, tally, rejects_file, src, checks.warnings)


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


def _assigner(cfg: IngestConfig, geo_dir: Path) -> Assigner | None:
    if cfg.points is None:
        return None
    from dashboard.geo.assign import Assigner

    source = Path(geo_dir) / cfg.points.boundaries / "source"
    if not source.is_dir():
        raise IngestError(f"{cfg.path.name} assigns points with boundaries {cfg.points.boundaries!r} "
                          f"but {source} does not exist")
    return Assigner.for_city(Path(geo_dir), cfg.points.boundaries)


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
            "repeat_contacts": salt_note if cfg.person_column else "no person column: all false",
        },
    }


def _reasons_text(tally: Tally) -> str:
    return ", ".join(f"{reason} {n:,}" for reason, n in tally.rejected_by_reason.most_common()) or "none"


def summary(result: Result) -> str:
    """The closing report: it reconciles read = accepted + rejected, reason by reason."""
    t, info, m = result.tally, result.release, result.tally.minutes_nulled
    lines = [
        f"{info.city}: release {info.release_id} -> {info.path}",
        f"  source    {result.source.path.name} ({result.source.kind}"
        + (f", {result.source.encoding}" if result.source.encoding else "")
        + (f", sheet {result.source.sheet!r}" if result.source.sheet else "") + ")",
        f"  read      {t.read:>10,}",
        f"  accepted  {t.accepted:>10,}",
        f"  rejected  {t.rejected:>10,}  -> {result.rejects_file}",
        *(f"    {n:>10,}  {reason}" for reason, n in t.rejected_by_reason.most_common()),
        f"  read = accepted + rejected: {t.read:,} = {t.accepted:,} + {t.rejected:,}",
        f"  response minutes nulled (kept the call): negative {m.negative:,}, over 24 h "
        f"{m.over_24h:,}, unparseable {m.unparseable:,}",
        *_busy_summary(t),
        *(f"  warning: {w}" for w in result.warnings),
    ]
    return "\n".join(lines) + "\n"


def _busy_summary(t: Tally) -> list[str]:
    """Busy minutes filled, and a warning when timestamps gave impossible durations."""
    if not t.busy_configured:
        return ["  busy minutes: none (the config names no cleared-time column)"]
    b = t.busy_nulled
    lines = [f"  busy minutes on {t.busy_filled:,} calls; nulled (kept the call): negative "
             f"{b.negative:,}, over 24 h {b.over_24h:,}, unparseable {b.unparseable:,}"]
    nulled = b.negative + b.over_24h + b.unparseable
    if nulled:
        lines.append(f"  warning: {nulled:,} busy duration(s) negative, over 24 h or unparseable: "
                     "nulled, the calls kept")
    return lines


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
