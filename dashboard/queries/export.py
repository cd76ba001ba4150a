"""Downloads: the release rows behind a view as streamed CSV or JSON pages, chart data as CSV.

This is the data layer of the versioned API (``dashboard.api`` adds the HTTP part).
Everything here is plain Python over the ``Store``: no web framework, so a notebook or
the CLI can export exactly what the API serves.

Why each piece is the way it is:

* **One row filter for pages and downloads.** A view (a ``Filters``) selects the rows
  of its city whose month (the first day of the month of ``week``) lies between the
  view's start and end months, and, when the view names any, whose ``response_type``,
  ``district`` and ``call_category`` are among those named. That is exactly what the
  rollups behind the Overview sum, so the downloaded rows recompute every count on
  the page (response minutes are not in the rows: the chart CSVs and the release's
  ``rollup_minutes`` give them, for the same selection). The SQL says
  ``week >= start AND week < end_exclusive``, which is the same set (``week`` and its
  month share the month) and lets DuckDB skip row groups.
* **Streamed, in a fixed order, in flat memory.** ``calls_csv`` sorts by ``ROW_SORT``
  (week, district, call category, response type, call id): the same view of the same
  release always downloads byte for byte the same file. It sorts runs of consecutive
  months of at most ``SORT_ROWS`` rows (``week`` leads the sort, so the runs in turn are
  the whole view sorted), so DuckDB never sorts more than that (a month above it, alone);
  rows leave it as Arrow batches of ``BATCH_ROWS``, each line ending in its newline, and
  a batch's chunk is its string column's data buffer, with no Python object per row.
  One sort of a whole view grew memory by about 320 bytes a row (measured on the
  1M-call release), which would be 2.6 GB on the 10M-call one; one query per month
  spent more on the queries than on the rows (0.9 s for the shipped 145k Denver rows,
  against 0.1 s now). The ``bench`` downloads step measures rows/s, time to first byte
  and worker memory, beside Datasette.
* **Formatted like the release's ``calls.csv``, CSV injection neutralized**: the rules
  are ``dashboard.queries.download_format``'s, and each CSV line is built in SQL there.
* **Strict parameters** are read by ``dashboard.queries.api_params``, which also
  writes the links to these downloads.

SQL here is built only from contract column names (``schema.CALLS_COLUMNS``); every
value a user sends is a bound parameter.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.contract.releases import ReleaseInfo
from dashboard.contract.schema import CALLS_COLUMN_NAMES
from dashboard.params.filters import Filters, add_months
from dashboard.queries import overview as queries
from dashboard.queries.download_format import csv_header, csv_line_sql, download_filename, json_value

if TYPE_CHECKING:

    from dashboard.engine.store import Store

# --------------------------------------------------------------------------- constants

#: Chart-data downloads, one per Overview chart (``map`` also takes ``metric``/``level``).
CHARTS: tuple[str, ...] = ("programs", "trend", "kpis", "map")

#: Columns of each chart CSV built here, in order (the OpenAPI document lists these
#: tuples; the map's columns are ``dashboard.api.charts.MAP_COLUMNS``).
PROGRAMS_COLUMNS: tuple[str, ...] = ("program", "calls", "share", "median_minutes", "p90_minutes")
TREND_COLUMNS: tuple[str, ...] = ("month", "weeks", "program", "calls", "per_week")
KPIS_COLUMNS: tuple[str, ...] = (
    "calls",
    "eligible",
    "eligible_answered",
    "alt_share",
    "median_minutes",
    "arrests",
    "outcome_not_recorded",
    "arrest_share",
    "alt_calls",
    "backup",
    "backup_share",
)

#: Order of downloaded rows: deterministic (``call_id`` is unique within a release).
ROW_SORT: tuple[str, ...] = ("week", "district", "call_category", "response_type", "call_id")

#: Rows per Arrow batch (= per streamed chunk, about 6 MB of CSV text).
BATCH_ROWS = 50_000
#: Most rows DuckDB sorts at once: consecutive months are sorted together up to this many
#: (a month with more is sorted alone). One query per month cost more than the rows did on
#: a whole-release download (0.9 s for 145k rows, against 0.1 s for two queries); 250,000
#: was 13% faster on the 10M-call release but raised the worker's peak by 90 MB.
SORT_ROWS = 100_000

for _name in ROW_SORT:  # the sort is part of the contract: fail at import if a name drifts
    if _name not in CALLS_COLUMN_NAMES:
        raise RuntimeError(f"ROW_SORT names {_name!r}, which is not a contract column")


# ------------------------------------------------------------------------------- rows


def _where(filters: Filters, month: date | None = None, after: date | None = None
           ) -> tuple[str, list[object]]:
    """The row filter (module docstring): the pages' view as SQL over ``calls``, or only
    its rows from ``month`` (the first day of a month of the view) to the month before
    ``after`` (that one month when ``after`` is not given)."""
    if month is None:
        first, after = filters.start, filters.end_exclusive
    else:
        first, after = month, after or _next_month(month)
    clauses = ["jurisdiction = ?", "week >= ?", "week < ?"]
    params: list[object] = [filters.city, first, after]
    if filters.programs:
        clauses.append("list_contains(?, response_type)")
        params.append([p.value for p in filters.programs])
    if filters.districts:
        clauses.append("list_contains(?, district)")
        params.append(list(filters.districts))
    if filters.categories:
        clauses.append("list_contains(?, call_category)")
        params.append([c.value for c in filters.categories])
    return " AND ".join(clauses), params


def _next_month(month: date) -> date:
    return add_months(month, 1)


def _months(filters: Filters) -> list[date]:
    """The view's months, in order: rows are sorted one month at a time (see ``CallsCsv``)."""
    out, month = [], filters.start
    while month <= filters.end:
        out.append(month)
        month = _next_month(month)
    return out


_ORDER_BY = "ORDER BY " + ", ".join(ROW_SORT)


@dataclass(frozen=True)
class CallsCsv:
    """A rows download, ready to stream: nothing has been queried until ``chunks()`` runs,
    so an answer that needs no body (304 Not Modified, HEAD) costs no scan.

    Rows are sorted in runs of months (``_spans``): ``week`` leads ``ROW_SORT`` and a
    month's weeks all precede the next month's, so the runs' sorted rows, one after the
    other, are the view sorted whole, while DuckDB never holds more than ``SORT_ROWS``
    rows to sort (sorting a whole 10M-row release at once took about 330 bytes per row).
    """

    release: ReleaseInfo
    filters: Filters
    filename: str
    _cursor: Any = field(repr=False)

    def close(self) -> None:
        """Release the cursor of a download that will not be streamed (e.g. a 304)."""
        self._cursor.close()

    def chunks(self) -> Iterator[bytes]:
        """One chunk of CSV lines per Arrow batch of ``BATCH_ROWS`` rows, the header with
        the first: an error reading the rows surfaces before anything is sent (the API
        takes the first chunk before it answers 200).

        Each line ends in its newline in SQL, so a batch's text is the string column's
        data buffer as it stands: no Python string per row.
        """
        line = csv_line_sql()
        header = csv_header().encode("utf-8")
        try:
            for first, after in _spans(self._cursor, self.filters):
                where, params = _where(self.filters, first, after)
                sql = f"SELECT {line} || chr(10) AS line FROM calls WHERE {where} {_ORDER_BY}"
                reader = self._cursor.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
                try:
                    for batch in reader:
                        if batch.num_rows:
                            yield header + _text(batch.column(0))
                            header = b""
                finally:
                    reader.close()
            if header:
                yield header  # a view with no rows: the header alone
        finally:
            self._cursor.close()


def _spans(cursor: Any, filters: Filters) -> list[tuple[date, date]]:
    """The view's months as runs sorted in one query each: (first month, month after),
    each run at most ``SORT_ROWS`` rows unless one month alone is more; months without
    rows are left out."""
    counts = _month_counts(cursor, filters)
    spans: list[tuple[date, date]] = []
    first, rows = None, 0
    for month in _months(filters):
        n = counts.get(month, 0)
        if first is not None and rows + n > SORT_ROWS:
            spans.append((first, month))
            first, rows = None, 0
        if n and first is None:
            first = month
        rows += n
    if first is not None:
        spans.append((first, filters.end_exclusive))
    return spans


def _month_counts(cursor: Any, filters: Filters) -> dict[date, int]:
    """Rows of the view per month (the first day of a month of the view): one query."""
    where, params = _where(filters)
    return {month: int(n) for month, n in cursor.execute(
        f"SELECT date_trunc('month', week)::DATE, count(*) FROM calls WHERE {where} GROUP BY 1", params,
    ).fetchall()}


def _text(column: pa.Array) -> bytes:
    """The concatenated values of a string column without nulls (its data buffer)."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    if column.type not in (pa.string(), pa.large_string()):
        column = column.cast(pa.large_string())  # e.g. a string view
    width = np.int32 if column.type == pa.string() else np.int64
    offsets = np.frombuffer(column.buffers()[1], dtype=width)
    start, end = offsets[column.offset], offsets[column.offset + len(column)]
    return memoryview(column.buffers()[2])[start:end].tobytes()


def calls_csv(store: Store, filters: Filters) -> CallsCsv:
    """The rows of ``filters``' view as CSV (see ``CallsCsv``; the caller streams ``chunks``)."""
    release, cursor = store.snapshot_cursor(filters.city)
    return CallsCsv(release, filters, download_filename("calls", filters, release.release_id), cursor)


@dataclass(frozen=True)
class RowsPage:
    """One page of a view's rows, as JSON-ready dicts, with the view's total row count."""

    release: ReleaseInfo
    filters: Filters
    page: int
    page_size: int
    total_rows: int
    rows: list[dict[str, object]]

    @property
    def last_page(self) -> int:
        return max(1, math.ceil(self.total_rows / self.page_size))


def calls_page(store: Store, filters: Filters, page: int, page_size: int) -> RowsPage:
    """Rows ``(page - 1) * page_size`` onwards in ``ROW_SORT`` order (pages are 1-based).

    Each page is the same slice of the same order the CSV streams, so walking every
    page gives every row exactly once. One count per month tells which months hold the
    page; only those are sorted (a late page of a large view costs what an early one
    does). Values are JSON-ready (ISO dates, null).
    """
    release, cursor = store.snapshot_cursor(filters.city)
    try:
        counts = _month_counts(cursor, filters)
        total = sum(counts.values())
        skip, wanted = (page - 1) * page_size, page_size
        rows: list[dict[str, object]] = []
        for month in _months(filters):
            n = counts.get(month, 0)
            if wanted <= 0:
                break
            if skip >= n:
                skip -= n
                continue
            month_where, month_params = _where(filters, month)
            cursor.execute(
                f"SELECT {', '.join(CALLS_COLUMN_NAMES)} FROM calls WHERE {month_where} {_ORDER_BY} "
                "LIMIT ? OFFSET ?",
                [*month_params, wanted, skip],
            )
            got = cursor.fetchall()
            rows += [dict(zip(CALLS_COLUMN_NAMES, map(json_value, row), strict=True)) for row in got]
            wanted -= len(got)
            skip = 0
    finally:
        cursor.close()
    return RowsPage(release, filters, page, page_size, total, rows)


# ------------------------------------------------------------------------- chart data


def programs_frame(store: Store, f: Filters) -> pd.DataFrame:
    """The Overview's program table: calls, share of the view's calls, median and p90 minutes.

    From the same ``queries`` functions as the page (``share`` = calls / the headline
    calls; minutes empty where a program has no recorded times).
    """
    counts = queries.program_counts(store, f)
    minutes = queries.minutes_by_program(store, f).set_index("response_type")
    total = int(queries.kpis(store, f).iloc[0]["calls"])
    programs = counts["response_type"].astype(str)
    return pd.DataFrame(
        {
            "program": programs,
            "calls": counts["calls"].astype("int64"),
            "share": [c / total if total else math.nan for c in counts["calls"]],
            "median_minutes": [minutes["median"].get(p, math.nan) for p in programs],
            "p90_minutes": [minutes["p90"].get(p, math.nan) for p in programs],
        },
        columns=list(PROGRAMS_COLUMNS),
    )


def trend_frame(store: Store, f: Filters) -> pd.DataFrame:
    """The Overview's monthly series: calls per month and program, and calls per week
    (``weeks`` = Mondays in the month, README "Methodology"). Zero months included."""
    monthly = queries.monthly_by_program(store, f)
    return pd.DataFrame(
        {
            "month": [pd.Timestamp(m).date() for m in monthly["month"]],
            "weeks": monthly["weeks"].astype("int64"),
            "program": monthly["response_type"].astype(str),
            "calls": monthly["calls"].astype("int64"),
            "per_week": monthly["per_week"].astype("float64"),
        },
        columns=list(TREND_COLUMNS),
    )


def kpis_frame(store: Store, f: Filters) -> pd.DataFrame:
    """The Overview's headline figures, one row (``queries.kpis``, in ``KPIS_COLUMNS`` order;
    a column ``queries.kpis`` stopped computing fails here, not silently in a download)."""
    return queries.kpis(store, f)[list(KPIS_COLUMNS)]
