"""Checking an input file against the config before any row is read.

Its real format (from its bytes: a workbook renamed ``.csv`` is refused, not parsed as
garbage), a CSV's text encoding (over the whole file), and where each configured column
is in its header. Kept apart from the readers (``dashboard.ingest.readers``) because
these checks are what make a wrong file fail with one line naming the problem, before
anything is written; the readers can then trust what they are given.
"""

from __future__ import annotations

import codecs
import difflib
from pathlib import Path

from dashboard.ingest.config_spec import IngestConfig, normalize_label


class IngestError(RuntimeError):
    """The input cannot be ingested as configured; the message names the problem."""


_MAGIC = {b"PK\x03\x04": "xlsx", b"PAR1": "parquet", b"\xd0\xcf\x11\xe0": "xls"}
_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".parquet": "parquet",
               ".xls": "xls"}
_UNDEFINED_CP1252 = (b"\x81", b"\x8d", b"\x8f", b"\x90", b"\x9d")  # no character in cp1252


def sniff(path: Path) -> str:
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


def resolve_columns(header: list[str], cfg: IngestConfig, where: str) -> dict[str, str]:
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
