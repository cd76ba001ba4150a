"""Calendar arithmetic of the planner: weekdays in a period, the weeks of a year.

A weekday-hour's rate is its calls divided by how often that weekday occurs in the
period (``weekday_counts``), and a year of weekly data means the weeks whose Monday falls
in it (``week_year_dates``). Separate because plans, demand and the estimate all weigh by
these counts, and the query and view layers ask for a year's dates directly.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from dashboard.models.checks import check_whole


def weekday_counts(start: date, end: date) -> np.ndarray:
    """How many of each weekday (Monday = 0) fall between ``start`` and ``end`` (included)."""
    if end < start:
        return np.zeros(7, dtype=np.int64)
    days = (end - start).days + 1
    weeks, rest = divmod(days, 7)
    counts = np.full(7, weeks, dtype=np.int64)
    for offset in range(rest):
        counts[(start.weekday() + offset) % 7] += 1
    return counts


def week_year_dates(year: int) -> tuple[date, date]:
    """First and last day of the weeks whose Monday falls in ``year``.

    That is what a release's ``year`` column means for weekly data (the year of the week's
    Monday), so a year of the coverage cube covers exactly these 52 or 53 whole weeks.
    """
    year = check_whole(year, "year", 1, 9998)
    first = date(year, 1, 1)
    first += timedelta(days=(7 - first.weekday()) % 7)
    last = date(year, 12, 31)
    last -= timedelta(days=last.weekday())
    return first, last + timedelta(days=6)
