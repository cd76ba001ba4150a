"""Demand for the planner: eligible calls by weekday x hour over a period, and their rates.

Built from published (suppressed) counts, imputing hidden cells as the planner's
docstring says (``dashboard.models.planner``, "Suppressed cells"), or from known rates.
Separate from the estimate because the query layer builds demand from a release's cube
and hands it on; the estimate only reads it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.contract.schema import DEFAULT_K
from dashboard.models.checks import check_real, check_whole
from dashboard.models.weeks import weekday_counts


@dataclass(frozen=True, eq=False)
class Demand:
    """Eligible calls by weekday x hour over ``start``..``end`` (both included).

    ``cells`` has 168 rows ``weekday, hour, calls, imputed`` (``imputed`` is the part of
    ``calls`` that was imputed for suppressed cells).
    """

    cells: pd.DataFrame
    start: date
    end: date

    @property
    def calls(self) -> float:
        return float(self.cells["calls"].sum())

    @property
    def imputed(self) -> float:
        return float(self.cells["imputed"].sum())

    @property
    def weekdays(self) -> np.ndarray:
        """Occurrences of each weekday in the period: the divisor of each cell's rate."""
        return weekday_counts(self.start, self.end)

    def rates(self) -> np.ndarray:
        """7 x 24 calls per hour (``lambda``) of each weekday-hour."""
        counts = self.weekdays
        grid = self.cells["calls"].to_numpy(dtype=float).reshape(7, 24)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(counts[:, None] > 0, grid / counts[:, None], 0.0)


def demand_from_cells(
    cells: pd.DataFrame,
    start: date,
    end: date,
    *,
    total: float | None = None,
    k: int = DEFAULT_K,
) -> Demand:
    """Build the demand grid from published counts, imputing suppressed cells.

    ``cells`` has columns ``weekday`` (0-6), ``hour`` (0-23), ``n`` (the published count,
    NA where suppressed) and optionally ``suppressed`` (bool; when absent, a missing ``n``
    means suppressed) - the shape of a suppressed cube. Rows may repeat a weekday-hour (a
    cube with further columns, e.g. district): they are added up after imputation. Missing
    weekday-hours have no calls. ``total`` is the area's published number of eligible calls
    in the period, if known: the remainder over the published cells is spread evenly over
    the suppressed rows; otherwise each suppressed row counts ``(k - 1) / 2`` calls.
    """
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    missing = [c for c in ("weekday", "hour", "n") if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing column(s) {', '.join(missing)}")
    k = check_whole(k, "k", 1)
    frame = cells.reset_index(drop=True)
    weekday = pd.to_numeric(frame["weekday"], errors="coerce")
    hour = pd.to_numeric(frame["hour"], errors="coerce")
    if not weekday.between(0, 6).all() or not (weekday % 1 == 0).all():
        raise ValueError("cells: weekday must be a whole number 0-6 (Monday = 0)")
    if not hour.between(0, 23).all() or not (hour % 1 == 0).all():
        raise ValueError("cells: hour must be a whole number 0-23")
    counts = pd.to_numeric(frame["n"], errors="coerce").astype("Float64")
    if "suppressed" in frame.columns:
        suppressed = frame["suppressed"].astype("boolean").fillna(False).to_numpy(dtype=bool)
    else:
        suppressed = counts.isna().to_numpy(dtype=bool)
    published = counts.to_numpy(dtype=float, na_value=np.nan)
    if np.isnan(published[~suppressed]).any():
        raise ValueError("cells: n is missing in a cell not marked suppressed")
    if (published[~suppressed] < 0).any() or not np.isfinite(published[~suppressed]).all():
        raise ValueError("cells: n must be a count of at least 0")
    known = float(published[~suppressed].sum())
    hidden = int(suppressed.sum())
    if total is not None:
        total = check_real(total, "total")
        remainder = total - known
        if remainder < -1e-9:
            raise ValueError(f"total: {total:g} is smaller than the published cells' sum {known:g}")
        each = max(remainder, 0.0) / hidden if hidden else 0.0
    else:
        each = (k - 1) / 2
    values = np.where(suppressed, each, np.nan_to_num(published))
    imputed = np.where(suppressed, each, 0.0)
    index = weekday.to_numpy(dtype=int) * 24 + hour.to_numpy(dtype=int)
    calls = np.bincount(index, weights=values, minlength=168)
    imputed_calls = np.bincount(index, weights=imputed, minlength=168)
    present = weekday_counts(start, end)
    absent = [w for w in range(7) if present[w] == 0 and calls[w * 24 : (w + 1) * 24].sum() > 0]
    if absent:
        raise ValueError(f"cells: calls on weekday(s) {absent} that do not occur between {start} and {end}")
    grid = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls,
            "imputed": imputed_calls,
        }
    )
    return Demand(grid, start, end)


def demand_from_rates(rates: np.ndarray | Sequence[Sequence[float]], start: date, end: date) -> Demand:
    """Demand whose weekday-hour ``rates`` (7 x 24, calls per hour) are known, over a period."""
    grid = np.asarray(rates, dtype=float)
    if grid.shape != (7, 24) or not np.isfinite(grid).all() or (grid < 0).any():
        raise ValueError("rates: must be a 7 x 24 grid of calls per hour, each at least 0")
    if end < start:
        raise ValueError(f"end: {end} is before start {start}")
    calls = grid * weekday_counts(start, end)[:, None]
    frame = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls.ravel(),
            "imputed": np.zeros(168),
        }
    )
    return Demand(frame, start, end)
