"""Hour-of-day demand by police district, shaped by real offense reports.

Crisis calls are daytime-heavy (``HOUR_WEIGHTS``), but not equally everywhere: the
sample used to give every district the same hour-of-day profile, so every district had
the same off-duty share (issue 13 item 7). Each district's profile is now the city's
crisis-call profile scaled, hour by hour, by how that district's real offense reports
spread over the day relative to the whole city's: a district whose offenses are reported
at night more often than the city's gets more night calls.

The source is the hour of ``REPORTED_DATE`` (when the offense was reported, the nearest
thing in these records to a call) of 10,000 real Denver offenses, 2019-2024
(``tests/fixtures/denver_crime_points_sample.csv``, with its SOURCE note), counted by
DPD's own ``DISTRICT_ID``. The counts are shipped as
``data/reference/denver_offense_hours_by_district.csv`` (``derive_offense_hours`` makes
it; ``tests/unit/test_sample_queue.py`` checks the two agree), so the generator reads
no test fixture. Each district's counts are smoothed over three hours (about 1,100 to
2,300 reports a district; district 7, the airport, has 294) before the ratio is taken.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.settings import REPO_ROOT

OFFENSE_HOURS_CSV = REPO_ROOT / "data" / "reference" / "denver_offense_hours_by_district.csv"
DISTRICTS = tuple("1234567")


def derive_offense_hours(points_csv: Path) -> pd.DataFrame:
    """Offense reports per (district, hour of ``REPORTED_DATE``) from the real points file."""
    points = pd.read_csv(points_csv, dtype=str, usecols=["REPORTED_DATE", "DISTRICT_ID"])
    reported = pd.to_datetime(points["REPORTED_DATE"], format="%m/%d/%Y %I:%M:%S %p", errors="coerce")
    known = points["DISTRICT_ID"].isin(DISTRICTS) & reported.notna()
    counts = pd.crosstab(points.loc[known, "DISTRICT_ID"], reported[known].dt.hour)
    counts = counts.reindex(index=list(DISTRICTS), columns=range(24), fill_value=0)
    out = counts.rename_axis(index="district", columns="hour").reset_index().melt(
        id_vars="district", var_name="hour", value_name="reports")
    out = out.sort_values(["district", "hour"], kind="stable").reset_index(drop=True)
    return out.astype({"district": str, "hour": "int64", "reports": "int64"})


def _smoothed(counts: np.ndarray) -> np.ndarray:
    """A circular three-hour moving sum (midnight wraps to 23:00)."""
    return counts + np.roll(counts, 1) + np.roll(counts, -1)


def district_hour_weights(base: np.ndarray, path: Path = OFFENSE_HOURS_CSV) -> dict[str, np.ndarray]:
    """Per police district: ``base`` (the city's crisis-call weights by hour) times the
    district's smoothed share of offense reports in each hour over the city's share."""
    table = pd.read_csv(path, dtype={"district": str})
    grid = table.pivot_table(index="district", columns="hour", values="reports", aggfunc="sum").reindex(
        index=list(DISTRICTS), columns=range(24), fill_value=0).to_numpy(dtype=float)
    city = _smoothed(grid.sum(axis=0))
    city_share = city / city.sum()
    out = {}
    for district, counts in zip(DISTRICTS, grid, strict=True):
        smooth = _smoothed(counts)
        out[district] = base * (smooth / smooth.sum()) / city_share
    return out
