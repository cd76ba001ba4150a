"""The Impact page's numbers: the before/after files ``crisis-dashboard impact`` wrote.

``data/impact/<city>/`` holds the offense panel, the estimates and the event study (module
``dashboard.impact.build``), as Parquet read here with pandas and as CSV for the
downloads. They are computed offline (the permutation test alone takes seconds per
group) from public offense reports, not from a release: no privacy rule applies to them,
and no release switch changes them. Results are cached by file modification time, so a
rebuild shows without a restart.

Pure data: no Dash, no Flask (import-linter contract).
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

import pandas as pd

from dashboard.contract.impact import GROUPS
from dashboard.engine.store import Store

#: The files a reader can download, in the order the page lists them.
DOWNLOADS: tuple[str, ...] = ("estimates", "event_study", "offense_panel")
META = "impact.json"


def folder(store: Store, city: str) -> Path:
    """Where the city's impact files are (whether or not they exist)."""
    return store.settings.data_dir / "impact" / city


def available(store: Store, city: str) -> bool:
    """The city has impact files (its config has ``[impact]`` and the command was run)."""
    return all((folder(store, city) / f"{n}.parquet").is_file() for n in DOWNLOADS) and (
        folder(store, city) / META).is_file()


def meta(store: Store, city: str) -> dict:
    """What was compared (``impact.json``): area, dates, offense types, sources, estimator.
    Read once per version of the file (by its modification time), not on every page view."""
    path = folder(store, city) / META
    return dict(_read_meta(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=16)
def _read_meta(path: Path, stamp: int) -> dict:  # noqa: ARG001 (the stamp is the cache key)
    return json.loads(path.read_text(encoding="utf-8"))


def _table(store: Store, city: str, name: str) -> pd.DataFrame:
    path = folder(store, city) / f"{name}.parquet"
    stamp = path.stat().st_mtime_ns

    def compute() -> pd.DataFrame:  # a local file, whatever engine serves the releases
        return pd.read_parquet(path)

    return store.cached(("impact", city, name, stamp), compute)


def estimates(store: Store, city: str, group: str) -> pd.DataFrame:
    """Every estimate of one offense group: ``main``, ``leave_out:<precinct>``,
    ``placebo:<date>`` (columns of ``dashboard.models.impact.Estimate``, plus variant,
    start and p_permutation)."""
    frame = _table(store, city, "estimates")
    return frame[frame["group"] == group].reset_index(drop=True)


def event_study(store: Store, city: str, group: str) -> pd.DataFrame:
    """Monthly differences of one group: event_month, month, effect, low, high."""
    frame = _table(store, city, "event_study")
    part = frame[frame["group"] == group].sort_values("event_month").reset_index(drop=True)
    return part.assign(month=pd.to_datetime(part["month"]))


def monthly_reports(store: Store, city: str, group: str) -> pd.DataFrame:
    """Reports per month in the served and the other precincts, and per precinct on
    average (the precincts differ in number): month, served, offenses, precincts, mean."""
    frame = _table(store, city, "offense_panel")
    part = frame[frame["group"] == group]
    out = part.groupby(["month", "served"], as_index=False).agg(
        offenses=("offenses", "sum"), precincts=("precinct", "nunique"))
    out["mean"] = out["offenses"] / out["precincts"]
    out = out.assign(month=pd.to_datetime(out["month"]))
    return out.sort_values(["served", "month"]).reset_index(drop=True)


def answered_by_year(store: Store, city: str, program: str) -> pd.DataFrame:
    """Calls the program answered per calendar year in the city's release (the rows'
    ``rollup_overview``; a year is its months', a month its weeks' by Monday), with the
    number of months the release has in that year: year, calls, months."""

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT year(month)::INTEGER AS year,
                      coalesce(sum(n) FILTER (WHERE response_type = ?), 0)::BIGINT AS calls,
                      count(DISTINCT month)::INTEGER AS months
               FROM rollup_overview WHERE jurisdiction = ? GROUP BY 1 ORDER BY 1""",
            [program, city],
        )

    return store.cached(("answered_by_year", city, program), compute)


def police_time(store: Store, city: str) -> pd.DataFrame:
    """The city's ``cube_police_time``: police alone on eligible calls, per year and
    category (year, call_category, n, busy_minutes, suppressed); empty where the release
    records no police time."""

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT year::INTEGER AS year, call_category, n, busy_minutes, suppressed
               FROM cube_police_time WHERE jurisdiction = ? ORDER BY year, call_category""",
            [city],
        )

    return store.cached(("police_time", city), compute)


def team_calls(store: Store, city: str, program: str) -> pd.DataFrame:
    """The program's answered calls per month, district and category, as the rows publish
    them (``rollup_overview``): month, district, call_category, n."""

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT month, district, call_category, sum(n)::BIGINT AS n
               FROM rollup_overview WHERE jurisdiction = ? AND response_type = ?
               GROUP BY ALL HAVING sum(n) > 0 ORDER BY ALL""",
            [city, program],
        )

    return store.cached(("team_calls", city, program), compute)


def followups(store: Store, city: str) -> pd.DataFrame:
    """The city's ``cube_followup``: calls per year and program by whether the person had
    another crisis call within 90 days after (year, response_type, followed, n, suppressed)."""

    def compute() -> pd.DataFrame:
        return store.frame(
            """SELECT year::INTEGER AS year, response_type, followed, n, suppressed
               FROM cube_followup WHERE jurisdiction = ? ORDER BY year, response_type, followed""",
            [city],
        )

    return store.cached(("followups", city), compute)


def valid_group(value: object) -> str | None:
    """A group name from a browser, or None when it is not one."""
    return value if isinstance(value, str) and value in GROUPS else None
