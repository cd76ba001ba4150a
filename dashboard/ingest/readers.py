"""Streaming a checked input file in chunks of configured columns with line numbers.

CSV by Arrow's reader (~10x faster), falling back to Python's csv, which numbers any
record exactly, when a row has the wrong number of fields; ``.xlsx`` by openpyxl; Parquet
by Arrow. Each chunk carries the raw values of the configured columns only (never the
whole row) and the line each record starts on, so that every reject names its line.
The format checks that come first are in ``dashboard.ingest.input_format``.
"""

from __future__ import annotations

import contextlib
import csv
import gc
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from dashboard.ingest.config_spec import IngestConfig
from dashboard.ingest.input_format import IngestError, detect_encoding, resolve_columns, sniff

CHUNK_ROWS = 100_000  # rows mapped at a time: memory is a few hundred bytes per row times this


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


def open_input(path: Path, cfg: IngestConfig) -> InputFile:
    """Check that ``path`` is what the config says it is; raise IngestError if not."""
    path = Path(path)
    kind = sniff(path)  # `sheet` applies to workbooks only: one config serves CSV and .xlsx
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
    columns = resolve_columns(header, cfg, path.name)
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
        columns = resolve_columns(list(header), cfg, where)
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
    columns = resolve_columns(header, cfg, path.name)
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
