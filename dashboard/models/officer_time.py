"""Officer time returned: the police time an alternative team's calls would otherwise have taken.

The estimate is a product of two published tables, so a reader can redo it with a
spreadsheet:

* what police alone (patrol or CIT officers) spent on an **eligible** call of each
  category that year (``cube_police_time``: total busy minutes over calls, dispatch to
  clearing): the calls police took because the team was off duty or busy are the
  closest comparison the data has to the team's own calls;
* how many calls of each category the team answered, by month and district (the rows,
  as ``rollup_overview`` sums them).

A month's officer time returned is the sum over categories of the team's calls times
police minutes per call of that category and year. Where a category's police cell is
hidden (under k calls) or absent, the year's police minutes per call over every
published category stand in, and the table of inputs says so. A year with no published
police time gets no estimate.

Assumptions the page states: each call would otherwise have been answered by police, as
long as police took on eligible calls of the same category; one officer per call (the
figures are hours of one officer: a lower bound where two go); time after clearing
(reports, a hospital wait after the unit cleared) is not counted; the team's calls
include some police would not have answered at all, which makes the figure high.

Pure numbers (pandas): no store, no web.
"""

from __future__ import annotations

import pandas as pd

#: How a category's minutes per call were found (the inputs table says which).
FROM_CATEGORY = "category"
FROM_YEAR = "year"
NO_BASIS = "none"


def police_minutes(cube: pd.DataFrame) -> pd.DataFrame:
    """Police minutes per eligible call, by year and category, from ``cube_police_time``
    (year, call_category, n, busy_minutes, suppressed).

    Returns one row per published (year, category): year, call_category, calls, minutes,
    per_call. The year's pooled minutes per call (all published categories) is
    ``pooled_minutes`` of the same frame.
    """
    published = cube[~cube["suppressed"].astype(bool)].copy()
    published = published.assign(calls=published["n"].astype("int64"),
                                 minutes=published["busy_minutes"].astype("int64"))
    published = published[published["calls"] > 0]
    published["per_call"] = published["minutes"] / published["calls"]
    return published[["year", "call_category", "calls", "minutes", "per_call"]].sort_values(
        ["year", "call_category"]).reset_index(drop=True)


def pooled_minutes(minutes: pd.DataFrame) -> pd.Series:
    """Minutes per call over every published category of each year (index: year)."""
    totals = minutes.groupby("year")[["calls", "minutes"]].sum()
    return totals["minutes"] / totals["calls"]


def officer_hours(calls: pd.DataFrame, minutes: pd.DataFrame) -> pd.DataFrame:
    """The team's calls (month, district, call_category, n) with the police minutes each
    stands for: adds year, per_call, basis (``category``, ``year`` or ``none``) and hours.

    Calls of a year without published police time get ``per_call`` and ``hours`` NaN.
    """
    out = calls.copy()
    out["year"] = pd.to_datetime(out["month"]).dt.year.astype("int64")
    by_category = minutes.set_index(["year", "call_category"])["per_call"]
    key = pd.MultiIndex.from_frame(out[["year", "call_category"]])
    exact = by_category.reindex(key).to_numpy()
    pooled = pooled_minutes(minutes).reindex(out["year"]).to_numpy()
    out["basis"] = [FROM_CATEGORY if pd.notna(e) else FROM_YEAR if pd.notna(p) else NO_BASIS
                    for e, p in zip(exact, pooled, strict=True)]
    out["per_call"] = pd.Series(exact).fillna(pd.Series(pooled)).to_numpy()
    out["hours"] = out["n"] * out["per_call"] / 60
    return out


def monthly(hours: pd.DataFrame) -> pd.DataFrame:
    """Officer-hours per month (month, calls, hours); months without an estimate are NaN."""
    out = hours.groupby("month", as_index=False).agg(
        calls=("n", "sum"), hours=("hours", lambda h: h.sum() if h.notna().all() else float("nan")))
    return out.sort_values("month").reset_index(drop=True)


def by_district(hours: pd.DataFrame) -> pd.DataFrame:
    """Officer-hours per year and district (year, district, calls, hours)."""
    known = hours[hours["per_call"].notna()]
    out = known.groupby(["year", "district"], as_index=False).agg(calls=("n", "sum"), hours=("hours", "sum"))
    return out.sort_values(["year", "district"]).reset_index(drop=True)
