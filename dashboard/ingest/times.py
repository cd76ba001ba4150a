"""Timestamps of an export to the city's local wall-clock time, and the received time.

Naive values mean the configured zone ("local" = the city's), values with an offset are
converted, spreadsheet and Parquet cells holding datetimes are taken as they are. The
received time is required (a row without one is rejected); the other times feed
durations (``dashboard.ingest.durations``), where a bad time only nulls the minutes.
"""

from __future__ import annotations

import datetime as dt
import re
from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from dashboard.ingest.accounting import Reason, Rejects
from dashboard.ingest.config_spec import ISO8601, LOCAL, IngestConfig, TimeColumn
from dashboard.ingest.readers import Chunk
from dashboard.ingest.values import blank_cells

EARLIEST_CALL = pd.Timestamp("1990-01-01")  # before CAD exports existed: a parse error
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}:?\d{2})$")


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


def _joined(frame: pd.DataFrame, spec: TimeColumn) -> pd.Series:
    """One source's raw values: its column, or ``"<date> <time>"`` from two columns.

    Spreadsheet cells that hold a date and a time (typed cells) are combined into a
    datetime, which ``parse_times`` takes as it is; text is joined with a space and read
    with the source's ``format``."""
    date = frame[spec.column].reset_index(drop=True)
    if spec.time_column is None:
        return date
    time = frame[spec.time_column].reset_index(drop=True)
    out = [_join_cells(d, t) for d, t in zip(date.to_numpy(dtype=object), time.to_numpy(dtype=object),
                                              strict=True)]
    return pd.Series(out, dtype=object)


def _join_cells(date: object, time: object) -> object:
    if _missing(date) or _missing(time):
        return None
    if isinstance(date, datetime | dt.date) and isinstance(time, datetime | dt.time):
        clock = time.time() if isinstance(time, datetime) else time
        day = date.date() if isinstance(date, datetime) else date
        return datetime.combine(day, clock)
    return f"{str(date).strip()} {str(time).strip()}"


def _missing(value: object) -> bool:
    return value is None or value is pd.NaT or (isinstance(value, float) and value != value) or (
        isinstance(value, str) and not value.strip())


def _placeholder(raw: pd.Series, spec: TimeColumn, frame: pd.DataFrame, placeholders: frozenset[str]
                 ) -> np.ndarray:
    """Cells holding a declared "not recorded" value (the whole value, or the date part)."""
    if not placeholders:
        return np.zeros(len(raw), bool)
    cells = [raw, *([frame[spec.column].reset_index(drop=True)] if spec.time_column else [])]
    hit = np.zeros(len(raw), bool)
    for values in cells:
        text = values.astype("string").str.strip()
        hit |= text.isin(list(placeholders)).to_numpy(dtype=bool, na_value=False)
    return hit


def parse_received(chunk: Chunk, cfg: IngestConfig, rej: Rejects) -> pd.Series:
    """The time each call came in: the first source (``cfg.received``, then its fallbacks in
    order) that holds one. Blank cells and declared placeholders hold none; a row none of
    whose sources holds a time is missing its received time, and a row whose first holding
    source cannot be read is rejected as unparseable (a fallback never hides a bad value)."""
    latest = pd.Timestamp.now(tz=cfg.city.timezone).tz_localize(None) + pd.Timedelta(days=1)
    n = len(chunk.frame)
    local = pd.Series(np.full(n, np.datetime64("NaT"), dtype="datetime64[s]"))
    pending = np.ones(n, bool)  # no source so far held a value
    bad = np.zeros(n, bool)
    bad_column = np.full(n, None, object)
    for spec in cfg.received_sources:
        raw = _joined(chunk.frame, spec)
        empty = blank_cells(raw) | _placeholder(raw, spec, chunk.frame, cfg.received_placeholders)
        holds = pending & ~empty
        if not holds.any():
            continue
        got = parse_times(raw, spec, cfg.city.timezone)
        implausible = ((got < EARLIEST_CALL) | (got > latest)).to_numpy(dtype=bool)
        unreadable = holds & (got.isna().to_numpy(dtype=bool) | implausible)
        bad |= unreadable
        bad_column[unreadable] = " + ".join(spec.columns)
        fill = holds & ~unreadable
        local[fill] = got[fill]
        pending &= ~holds
    rej.flag(pending, Reason.MISSING_FIELD, cfg.received.column)
    rej.flag(bad, Reason.UNPARSEABLE_TIME, bad_column)
    return local
