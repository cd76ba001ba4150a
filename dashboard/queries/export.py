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
  release always downloads byte for byte the same file. It sorts one month of the view
  at a time (``week`` leads the sort, so the months in turn are the whole view sorted),
  so DuckDB never sorts more than a month; rows leave it as Arrow batches of
  ``BATCH_ROWS`` and each batch becomes one chunk of text. Measured on the 10M-call
  benchmark release (8.2M Denver rows): about 500,000 rows/s with resident memory up
  by 150 MB at most; one sort of a whole view grew it by about 320 bytes a row
  (measured on the 1M-call release), which would be 2.6 GB there.
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
* **Strict parameters.** Pages and the API read the same parameters with the same
  grammar (``dashboard.params.filters``); pages forgive a bad link (a notice and the safe
  default), but an API answering a script must not silently change a query because of
  a typo, so ``parse_filters_strict`` reads it in strict mode: every problem, keyed by
  parameter, and no ``Filters`` at all unless the query is entirely valid.

SQL here is built only from contract column names (``schema.CALLS_COLUMNS``); every
value a user sends is a bound parameter.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import pandas as pd

from dashboard.contract.releases import ReleaseInfo
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CALLS_COLUMNS, Column
from dashboard.params.filters import FILTER_PARAMS, Catalog, Filters, add_months, ascii_int
from dashboard.params.grammar import STRICT, ParamProblem, parse, shorten
from dashboard.params.grammar import single_value as grammar_single_value
from dashboard.queries import overview as queries

if TYPE_CHECKING:

    from dashboard.engine.store import Store

# --------------------------------------------------------------------------- constants

#: Where the versioned API lives on the dashboard's server. Pages build their download
#: links with ``api_url`` below, and ``dashboard.api`` mounts its routes here, so a
#: link and its route cannot disagree.
API_PREFIX = "/api/v1"

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
    "arrest_share",
    "alt_calls",
    "backup",
    "backup_share",
)

#: Order of downloaded rows: deterministic (``call_id`` is unique within a release).
ROW_SORT: tuple[str, ...] = ("week", "district", "call_category", "response_type", "call_id")

#: Rows per Arrow batch (= per streamed chunk, about 6 MB of CSV text).
BATCH_ROWS = 50_000

#: A string cell starting with one of these is prefixed with ``INJECTION_GUARD``.
INJECTION_PREFIXES: tuple[str, ...] = ("=", "+", "-", "@", "\t", "\r")
INJECTION_GUARD = "'"

#: Largest JSON page, and the default one.
MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 1_000
PARAM_PAGE = "page"
PARAM_PAGE_SIZE = "page_size"

_FILENAME_UNSAFE = re.compile(r"[^A-Za-z0-9._+-]+")
_MAX_FILENAME = 200

for _name in ROW_SORT:  # the sort is part of the contract: fail at import if a name drifts
    if _name not in CALLS_COLUMN_NAMES:
        raise RuntimeError(f"ROW_SORT names {_name!r}, which is not a contract column")


# --------------------------------------------------------------------- strict parameters


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request parameter, as an API error answer lists it.

    ``status`` 400: the value breaks the API's grammar (which the OpenAPI document states
    exactly: a pattern, an enum, a bound); 404: each value is well formed, but together
    they name nothing the current release holds (a month outside the city's data, a
    district or program the city does not have, a start after the end, a page past the
    last). The document cannot state the second kind (it depends on the city and the
    release), so a schema-valid request is never answered 400. The filters' problems come
    from the one grammar (``grammar.ParamProblem``, ``api_problem``); this endpoint-level
    type also carries the API's own (an unknown name, ``page``, ``metric``...).
    """

    parameter: str
    value: str
    message: str
    status: int = 400

    def as_dict(self) -> dict[str, str]:
        return {"parameter": self.parameter, "value": self.value, "message": self.message}


def api_problem(problem: ParamProblem) -> Problem:
    """A grammar problem as the API says it (its English message, its status)."""
    return Problem(problem.parameter, problem.value, problem.message, problem.status)


def unknown_parameters(query: Mapping[str, Sequence[str]], allowed: Collection[str]) -> list[Problem]:
    """A problem for every parameter name this endpoint does not take (a typo would
    otherwise widen the query without a word). Pages ignore unknown names instead
    (``grammar`` module docstring): this is the API's rule, not the grammar's."""
    known = ", ".join(sorted(allowed)) or "none"
    return [
        Problem(shorten(name), shorten(values[0] if values else ""),
                f"Unknown parameter; this endpoint takes: {known}.")
        for name, values in query.items()
        if name not in allowed
    ]


def single_value(query: Mapping[str, Sequence[str]], name: str) -> tuple[str | None, list[Problem]]:
    """The one value of a single-valued parameter (None when absent), exactly as sent: the
    grammar's rule (``grammar.single_value``) for the API's own parameters."""
    value, problem = grammar_single_value(list(query.get(name, ())), name)
    return value, [] if problem is None else [api_problem(problem)]


def choice(
    query: Mapping[str, Sequence[str]], name: str, allowed: Sequence[str], default: str
) -> tuple[str, list[Problem]]:
    """A single value from a fixed list (e.g. the map's ``metric``)."""
    value, problems = single_value(query, name)
    if problems or value is None:
        return default, problems
    if value not in allowed:
        return default, [Problem(name, shorten(value), f"Not one of: {', '.join(allowed)}.")]
    return value, []


def bounded_int(
    query: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int
) -> tuple[int, list[Problem]]:
    """A whole number in ``low..high`` written with ASCII digits only (no sign, no space)."""
    value, problems = single_value(query, name)
    if problems or value is None:
        return default, problems
    number = ascii_int(value)
    if number is None or not low <= number <= high:
        return default, [Problem(name, shorten(value), f"Must be a whole number from {low} to {high:,}.")]
    return number, []


def parse_filters_strict(
    query: Mapping[str, Sequence[str]],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    extra_params: Collection[str] = (),
) -> tuple[Filters | None, list[Problem]]:
    """Validate an API query (``{name: [values...]}``) into ``Filters``, or say what is wrong.

    The filters are read by the one grammar in ``STRICT`` mode (``grammar.parse``: the
    pages' parameters and meanings, nothing forgiven or trimmed; 400 for what the OpenAPI
    document forbids, 404 for what the city's release lacks); on top of it, a parameter
    name this endpoint does not take (``filters.FILTER_PARAMS`` and ``extra_params``,
    which the caller checks) is a 400. Any problem means no ``Filters``.
    """
    problems = unknown_parameters(query, (*FILTER_PARAMS, *extra_params))
    filters, found = parse(query, catalogs, default_city, STRICT)
    problems += [api_problem(p) for p in found]
    return (None if problems else filters), problems


def filters_dict(filters: Filters) -> dict[str, Any]:
    """The view as JSON: what an API answer echoes so a script can see what it got."""
    return {
        "city": filters.city,
        "start": filters.start.isoformat(),
        "end": last_day(filters).isoformat(),
        "programs": [p.value for p in filters.programs],
        "districts": list(filters.districts),
        "categories": [c.value for c in filters.categories],
    }


def last_day(filters: Filters) -> date:
    """The last day of the view's end month (filenames and echoes name whole periods)."""
    return filters.end_exclusive - timedelta(days=1)


def api_url(endpoint: str, filters: Filters, extra: Sequence[tuple[str, str]] = ()) -> str:
    """Path and query of an API endpoint for a view, e.g. ``api_url("calls.csv", f)``.

    For the pages' download links: the query is the view's canonical parameters
    (``Filters.to_params``) plus ``extra`` (e.g. ``[("metric", "per_1000")]``), which is
    exactly what the strict API accepts (a page's own ``lang`` is not an API parameter).
    """
    return f"{API_PREFIX}/{endpoint}?" + urlencode([*filters.to_params(), *extra])


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


# ------------------------------------------------------------------------------- rows


def _where(filters: Filters, month: date | None = None) -> tuple[str, list[object]]:
    """The row filter (module docstring): the pages' view as SQL over ``calls``, or only
    its rows of one ``month`` (the first day of a month of the view)."""
    first, after = (month, _next_month(month)) if month else (filters.start, filters.end_exclusive)
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


def _csv_line_sql() -> str:
    """SQL making one CSV line (no line break) of a ``calls`` row."""
    return "concat_ws(',', " + ", ".join(_csv_cell_sql(c) for c in CALLS_COLUMNS) + ")"


@dataclass(frozen=True)
class CallsCsv:
    """A rows download, ready to stream: nothing has been queried until ``chunks()`` runs,
    so an answer that needs no body (304 Not Modified, HEAD) costs no scan.

    Rows are sorted one month of the view at a time: ``week`` leads ``ROW_SORT`` and a
    month's weeks all precede the next month's, so the months' sorted rows, one after
    the other, are the view sorted whole, while DuckDB never holds more than one month
    to sort (sorting a whole 10M-row release at once took about 330 bytes per row).
    """

    release: ReleaseInfo
    filters: Filters
    filename: str
    _cursor: Any = field(repr=False)

    def close(self) -> None:
        """Release the cursor of a download that will not be streamed (e.g. a 304)."""
        self._cursor.close()

    def chunks(self) -> Iterator[str]:
        """One chunk of CSV lines per Arrow batch of ``BATCH_ROWS`` rows, the header with
        the first: an error reading the rows surfaces before anything is sent (the API
        takes the first chunk before it answers 200)."""
        line = _csv_line_sql()
        header = csv_header()
        try:
            for month in _months(self.filters):
                where, params = _where(self.filters, month)
                sql = f"SELECT {line} AS line FROM calls WHERE {where} {_ORDER_BY}"
                reader = self._cursor.sql(sql, params=params).to_arrow_reader(BATCH_ROWS)
                try:
                    for batch in reader:
                        if batch.num_rows:
                            yield header + "\n".join(batch.column(0).to_pylist()) + "\n"
                            header = ""
                finally:
                    reader.close()
            if header:
                yield header  # a view with no rows: the header alone
        finally:
            self._cursor.close()


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
        where, params = _where(filters)
        counts = dict(cursor.execute(
            f"SELECT date_trunc('month', week)::DATE, count(*) FROM calls WHERE {where} GROUP BY 1",
            params,
        ).fetchall())
        total = int(sum(counts.values()))
        skip, wanted = (page - 1) * page_size, page_size
        rows: list[dict[str, object]] = []
        for month in _months(filters):
            n = int(counts.get(month, 0))
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
