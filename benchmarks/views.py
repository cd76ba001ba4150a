"""The views the benchmark times (the Overview's queries), how two implementations' answers
are compared, and the seeded list of filter changes."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from benchmarks.common import FILTER_SEED
from dashboard.engine.store import Store
from dashboard.params.filters import Catalog, Filters
from dashboard.queries import overview as queries

#: The queries the Overview page runs on every filter change (the map at its default
#: level, district); the precinct map is the same page with the map switched.
OVERVIEW_VIEWS: tuple[str, ...] = (
    "kpis",
    "program_counts",
    "monthly_by_program",
    "minutes_by_program",
    "map_district",
)
ALL_VIEWS: tuple[str, ...] = (*OVERVIEW_VIEWS, "map_precinct")

QUERY_VIEWS: dict[str, Callable[[Store, Filters], pd.DataFrame]] = {
    "kpis": queries.kpis,
    "program_counts": queries.program_counts,
    "monthly_by_program": queries.monthly_by_program,
    "minutes_by_program": queries.minutes_by_program,
    "map_district": lambda store, f: queries.map_values(store, f, "district"),
    "map_precinct": lambda store, f: queries.map_values(store, f, "precinct"),
}


def share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


def minute_quantiles(minutes: pd.DataFrame) -> tuple[float, float, int]:
    """(median, p90, n) of ``rollup_minutes`` cells (``response_minutes``, ``n``) by the
    queries' definition: the smallest whole minute m with at least 50% / 90% of the
    recorded times <= m. Integer comparisons, exactly as DuckDB's DECIMAL arithmetic does
    it (``0.9 * total`` in floating point would misplace ties)."""
    counts = minutes.groupby("response_minutes")["n"].sum().sort_index()
    counts = counts[counts > 0]
    if counts.empty:
        return float("nan"), float("nan"), 0
    cum = counts.cumsum().to_numpy()
    total = int(cum[-1])
    values = counts.index.to_numpy()
    median = float(values[np.argmax(2 * cum >= total)])
    p90 = float(values[np.argmax(10 * cum >= 9 * total)])
    return median, p90, total


def frames_agree(a: pd.DataFrame, b: pd.DataFrame) -> str | None:
    """None when two views hold the same numbers (dtypes aside), else the difference."""
    try:
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True),
            b.reset_index(drop=True),
            check_dtype=False,
            check_index_type=False,
            check_column_type=False,
            rtol=1e-12,
        )
    except AssertionError as exc:
        return str(exc)
    return None


def _months(catalog: Catalog) -> list[date]:
    out, current = [], catalog.first_month
    while current <= catalog.last_month:
        out.append(current)
        index = current.year * 12 + current.month
        current = date(index // 12, index % 12 + 1, 1)
    return out


def make_filters(catalogs: dict[str, Catalog], n: int, seed: int = FILTER_SEED) -> list[Filters]:
    """``n`` filter changes: a city (either), a random month range of the catalog, and
    0-2 programs, 0-2 districts, 0-2 categories (0 = all). Same seed, same list."""
    rng = np.random.default_rng(seed)
    city_ids = sorted(catalogs)
    out: list[Filters] = []
    seen: set[Filters] = set()  # no two changes share a cached scan (programs aside)
    while len(out) < n:
        catalog = catalogs[city_ids[int(rng.integers(len(city_ids)))]]
        months = _months(catalog)
        i, j = sorted(int(x) for x in rng.integers(len(months), size=2))

        def pick(options: Sequence[Any]) -> tuple[Any, ...]:
            k = min(int(rng.integers(3)), len(options))
            chosen = {int(x) for x in rng.choice(len(options), size=k, replace=False)}
            return tuple(options[x] for x in sorted(chosen))

        f = Filters(
            city=catalog.city,
            start=months[i],
            end=months[j],
            programs=pick(catalog.programs),
            districts=pick(catalog.districts),
            categories=pick(catalog.categories),
        )
        if f.with_(programs=()) not in seen:
            seen.add(f.with_(programs=()))
            out.append(f)
    return out
