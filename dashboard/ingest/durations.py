"""Response and busy minutes of each call, nulled and counted when they cannot be right.

A duration that is negative, over a day or unparseable is a data error in the
timestamps, not in the call: the minutes are nulled and counted (``MinuteCounts``, in
the summary), the row is kept. Separate from the row rejects for that reason.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.ingest.accounting import MinuteCounts
from dashboard.ingest.config_spec import IngestConfig
from dashboard.ingest.readers import Chunk
from dashboard.ingest.times import parse_times
from dashboard.ingest.values import as_numbers, blank_cells

MAX_MINUTES = 24 * 60  # a response longer than a day is a data error, not a response


def response_minutes(chunk: Chunk, cfg: IngestConfig, received: pd.Series,
                     ok: np.ndarray) -> tuple[pd.Series, MinuteCounts]:
    frame, n = chunk.frame, len(chunk.frame)
    if cfg.response.on_scene:
        raw = frame[cfg.response.on_scene.column]
        on_scene = parse_times(raw, cfg.response.on_scene, cfg.city.timezone)
        unparseable = on_scene.isna().to_numpy() & ~blank_cells(raw)
        minutes = ((on_scene - received).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)
        bad_part = np.zeros(n, bool)
    elif cfg.response.minutes_columns:
        parts = [as_numbers(frame[c]) for c in cfg.response.minutes_columns]
        unparseable = np.logical_or.reduce([np.isnan(p) & ~blank_cells(frame[c]) for c, p in
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


def busy_minutes(chunk: Chunk, cfg: IngestConfig, received: pd.Series,
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
    unparseable = cleared.isna().to_numpy() & ~blank_cells(raw)
    start = received
    if spec.dispatched is not None:
        raw = frame[spec.dispatched.column]
        start = parse_times(raw, spec.dispatched, cfg.city.timezone)
        unparseable |= start.isna().to_numpy() & ~blank_cells(raw)
    minutes = ((cleared - start).dt.total_seconds() / 60).to_numpy(dtype=float, na_value=np.nan)
    negative = minutes < 0
    over = minutes > MAX_MINUTES
    counts = MinuteCounts(int((negative & ok).sum()), int((over & ok).sum()), int((unparseable & ok).sum()))
    minutes = np.where(negative | over | unparseable, np.nan, np.rint(minutes))
    return pd.Series(pd.array(minutes, dtype="Float64")).astype("Int32"), counts
