"""What became of a district's eligible calls at night and by day (``cube_night``).

The question a council member brings: "how many eligible calls in my district went
unanswered at night last year, and why?". The hour grid cannot say it (its night cells
are small and hidden, and it counts eligible calls, not unanswered ones); the night cube
answers it per area and year at a grain the privacy rule lets through. Summed over the
period's years: a cell hidden in any year makes the sum a lower bound, which the view
says.
"""

from __future__ import annotations

import pandas as pd

from dashboard.contract.schema import CUBE_NIGHT, NIGHT_REASONS, PERIODS
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries.district import area_sums, cube_years


def night_years(store: Store, f: Filters) -> tuple[int, ...]:
    """The period's years the night cube covers for the city (it leaves out a program's
    first, partial year: ``cube_counts.FULL_YEARS_SQL``), in order."""
    return cube_years(store, f, CUBE_NIGHT.name)


def night_reasons(store: Store, f: Filters, area_type: str, area: str) -> pd.DataFrame:
    """Eligible calls per period (night, day) and reason for one area over the period's years.

    Columns: period, reason, calls (sum of published cells), hidden (suppressed cells
    summed in). Every period and reason is present, in ``PERIODS`` x ``NIGHT_REASONS``
    order; empty cells (a release without the cube, an area with no eligible call) are 0.
    """
    got = area_sums(store, f, CUBE_NIGHT.name, ("period", "reason"), area_type, area)
    grid = pd.MultiIndex.from_product([PERIODS, NIGHT_REASONS], names=["period", "reason"])
    out = got.astype({"period": "object", "reason": "object"}).set_index(["period", "reason"])
    out = out.reindex(grid, fill_value=0).reset_index()
    return out.astype({"calls": "int64", "hidden": "int64"})
