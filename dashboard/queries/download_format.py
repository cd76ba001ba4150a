"""How downloads are written: CSV and JSON cells, the rows' CSV lines in SQL, filenames.

Why each piece is the way it is:

* **Formatted like the release's ``calls.csv``.** Each CSV line is built in SQL, with
  the rules of DuckDB's CSV writer: ``true``/``false``, ISO dates, an empty cell for
  null, a string quoted only when it holds a comma, a quote, a line break or nothing at
  all. A download of a whole release therefore has the very lines of ``calls.csv``
  (those with a neutralized cell aside: the release writer does not neutralize).
* **CSV injection is neutralized** (docs/architecture.md "Bad input"): a spreadsheet runs a cell
  that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return as a formula.
  Every *string* cell of every CSV written here that starts with one of those gets a
  leading apostrophe (``'=1`` is shown as the text ``=1``). Numbers, dates and booleans
  are written as such and never altered: the contract has no negative numbers, and a
  number is data, not a formula. JSON is not a spreadsheet format and carries values
  unchanged.

Filenames name the view and the release, in characters any file system and shell
take (``download_filename``).

Separate from the downloads themselves (``dashboard.queries.export``) because the API's
chart CSVs and JSON answers and the pages' download links use these rules without
reading any rows.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Sequence
from datetime import date, datetime

import pandas as pd

from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, Column
from dashboard.params.filters import Filters
from dashboard.queries.api_params import last_day

#: A string cell starting with one of these is prefixed with ``INJECTION_GUARD``.
INJECTION_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
INJECTION_GUARD = "'"

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_MAX_FILENAME = 200


# ----------------------------------------------------------------------------- filenames


def _safe(text: str) -> str:
    return _FILENAME_UNSAFE.sub("-", text).strip("-") or "x"


def download_filename(
    kind: str, filters: Filters, release_id: str, extra: Sequence[tuple[str, str]] = ()
) -> str:
    """``<kind>_<city>_<first day>_<last day>[_district-…][_program-…][_category-…]_release-<id>.csv``.

    e.g. ``calls_denver_2023-01-01_2023-12-31_district-3_release-20261123-49b7ef0d.csv``.
    Several values are joined with ``+``; ``extra`` (name, value) pairs follow the
    filters (the map's level and metric). Only ``A-Z a-z 0-9 . _ + -`` appear: anything
    else in a value becomes ``-``. A name that would pass ``_MAX_FILENAME`` characters
    gives the number of values instead of the values (``category-5-values``).
    """
    head = [_safe(kind), _safe(filters.city), filters.start.isoformat(), last_day(filters).isoformat()]
    groups = [
        ("district", list(filters.districts)),
        ("program", [p.value for p in filters.programs]),
        ("category", [c.value for c in filters.categories]),
    ]
    tail = [f"{_safe(name)}-{_safe(value)}" for name, value in extra]
    tail.append(f"release-{_safe(release_id)}")

    def build(parts: list[str]) -> str:
        return "_".join([*head, *parts, *tail]) + ".csv"

    full = [f"{name}-" + "+".join(_safe(v) for v in values) for name, values in groups if values]
    name = build(full)
    if len(name) <= _MAX_FILENAME:
        return name
    return build([f"{name}-{len(values)}-values" for name, values in groups if values])


# --------------------------------------------------------------------- CSV formatting


def neutralize(value: str) -> str:
    """A string cell made safe to open in a spreadsheet (see module docstring)."""
    return INJECTION_GUARD + value if value.startswith(INJECTION_PREFIXES) else value


def _plain_csv(text: str) -> bool:
    """True when ``text`` is written as is: not empty, nothing to quote, nothing to guard."""
    return bool(text) and not any(ch in text for ch in ',"\r\n') and not text.startswith(INJECTION_PREFIXES)


def _csv_string_sql(name: str) -> str:
    """SQL for one string cell: neutralized, then quoted as DuckDB's CSV writer would."""
    starts = ", ".join(f"chr({ord(c)})" for c in INJECTION_PREFIXES)
    guard = f"chr({ord(INJECTION_GUARD)})"
    safe = f"(CASE WHEN left({name}, 1) IN ({starts}) THEN {guard} || {name} ELSE {name} END)"
    needs_quotes = " OR ".join(
        [f"{name} = ''", *(f"contains({name}, chr({ord(ch)}))" for ch in ',"\r\n')]
    )
    return (
        f"(CASE WHEN {name} IS NULL THEN '' "
        f"WHEN {needs_quotes} THEN chr(34) || replace({safe}, chr(34), chr(34) || chr(34)) || chr(34) "
        f"ELSE {safe} END)"
    )


def _csv_cell_sql(column: Column) -> str:
    """SQL for one cell of a CSV line (never NULL: ``concat_ws`` would drop the cell).

    Enum columns hold only contract values (every release is validated for it), and
    when all of those are plain (``_plain_csv``) they are written as they are: checking
    and quoting only the free-text columns triples the export's speed.
    """
    enum: tuple[str, ...] = column.values  # noqa: PD011 (a tuple, not pandas)
    if column.dtype == "string" and not (enum and all(_plain_csv(str(v)) for v in enum)):
        return _csv_string_sql(column.name)
    # Dates (ISO), whole numbers, booleans (true/false) and plain enums as DuckDB writes them.
    return f"coalesce(CAST({column.name} AS VARCHAR), '')"


def csv_header() -> str:
    """The header line of a rows download: contract names in contract order."""
    return ",".join(CALLS_COLUMN_NAMES) + "\n"


def _csv_text(value: object) -> str:
    """One cell of a chart CSV (small pandas frames; same conventions as the rows)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    if isinstance(value, int):
        return str(value)
    return neutralize(str(value))


def frame_to_csv(frame: pd.DataFrame) -> str:
    """A small frame as CSV text: empty cells for missing values, strings neutralized,
    floats at full precision (``repr``) so a download reproduces the page's numbers."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([neutralize(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([_csv_text(_plain(v)) for v in row])
    return out.getvalue()


def _plain(value: object) -> object:
    """numpy scalars -> Python ones (bool before int: numpy bools are not ints)."""
    item = getattr(value, "item", None)
    if item is not None and not isinstance(value, pd.Timestamp):
        return item()
    return value


def json_value(value: object) -> object:
    """A cell as JSON: ISO dates, ``None`` for NaN/NA (JSON has no NaN), Python scalars."""
    value = _plain(value)
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, pd.Timestamp | datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def frame_records(frame: pd.DataFrame) -> list[dict[str, object]]:
    """A small frame as JSON-ready records (see ``json_value``)."""
    return [
        {str(k): json_value(v) for k, v in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


def csv_line_sql() -> str:
    """SQL making one CSV line (no line break) of a ``calls`` row."""
    return "concat_ws(',', " + ", ".join(_csv_cell_sql(c) for c in CALLS_COLUMNS) + ")"
