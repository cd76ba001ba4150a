"""Steps 2 and 3: the views timed, each filter change from a cold cache."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from benchmarks.baselines import BASELINES
from benchmarks.common import MB, WARMUP, peak_rss_mb, rss_mb, summarize
from benchmarks.views import ALL_VIEWS, OVERVIEW_VIEWS, QUERY_VIEWS, frames_agree
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.settings import Settings


def _time_views(
    run: Callable[[str, Filters], pd.DataFrame],
    filters: Sequence[Filters],
    warmup: int,
    keep_results: bool,
    clear: Callable[[], None],
) -> dict[str, Any]:
    """Two passes over the filter changes, warm-up filters first (untimed).

    1. As the page does it: per change, ``clear`` the result cache, then the Overview
       views in page order (each timed, and the whole set timed: the figure the budget
       is about; the views of one change share what they computed), then the precinct map.
    2. Each view alone from a cold cache (``clear`` before every view): per-view figures
       that compare cold with cold, not a cache hit with a full scan.
    """
    for f in filters[:warmup]:
        for name in ALL_VIEWS:
            run(name, f)
    in_change: dict[str, list[float]] = {name: [] for name in ALL_VIEWS}
    alone: dict[str, list[float]] = {name: [] for name in ALL_VIEWS}
    overview: list[float] = []
    results: list[dict[str, pd.DataFrame]] = []
    for f in filters:
        clear()
        got: dict[str, pd.DataFrame] = {}
        start = time.perf_counter()
        for name in OVERVIEW_VIEWS:
            t0 = time.perf_counter()
            got[name] = run(name, f)
            in_change[name].append(time.perf_counter() - t0)
        overview.append(time.perf_counter() - start)
        t0 = time.perf_counter()
        got["map_precinct"] = run("map_precinct", f)
        in_change["map_precinct"].append(time.perf_counter() - t0)
        if keep_results:
            results.append(got)
    for f in filters:
        for name in ALL_VIEWS:
            clear()
            t0 = time.perf_counter()
            run(name, f)
            alone[name].append(time.perf_counter() - t0)
    return {
        "views": {name: summarize(v) for name, v in alone.items()},
        "views_in_change": {name: summarize(v) for name, v in in_change.items()},
        "overview": summarize(overview),
        "results": results,
    }


def run_query_bench(
    data_dir: Path, filters: Sequence[Filters], warmup: int = WARMUP, keep_results: bool = True
) -> dict[str, Any]:
    """The data layer's queries (DuckDB over rollups and cubes), from a cold result cache.

    The store's cache is cleared before every filter change (and, in the per-view pass,
    before every view): nothing is reused across changes.
    """
    rss0 = rss_mb()
    t0 = time.perf_counter()
    store = Store(Settings(data_dir=Path(data_dir)))
    open_s = time.perf_counter() - t0
    rss_open = rss_mb()
    out = _time_views(
        lambda name, f: QUERY_VIEWS[name](store, f), filters, warmup, keep_results, clear=store.clear_cache
    )
    tables = {
        name: store.frame(f"SELECT count(*) AS n FROM {name}")["n"].iloc[0]
        for name in ("rollup_counts", "rollup_minutes", "cube_precinct")
    }
    out.update(
        {
            "open_s": open_s,
            "rss_start_mb": rss0,
            "rss_open_mb": rss_open,
            "rss_end_mb": rss_mb(),
            "peak_rss_mb": peak_rss_mb(),
            "table_rows": {k: int(v) for k, v in tables.items()},
        }
    )
    return out


def run_baseline_bench(
    data_dir: Path,
    filters: Sequence[Filters],
    kind: str = "pandas",
    warmup: int = WARMUP,
    keep_results: bool = True,
) -> dict[str, Any]:
    """One of ``BASELINES`` over the row-level file, same filters, same cold caches."""
    rss0 = rss_mb()
    t0 = time.perf_counter()
    baseline = BASELINES[kind](Settings(data_dir=Path(data_dir)))
    load_s = time.perf_counter() - t0
    rss_loaded = rss_mb()
    out = _time_views(baseline.view, filters, warmup, keep_results, clear=baseline.clear_cache)
    out.update(
        {
            "kind": kind,
            "load_s": load_s,
            "rows": baseline.row_count(),
            "frame_mb": baseline.memory_bytes() / MB,
            "rss_start_mb": rss0,
            "rss_loaded_mb": rss_loaded,
            "rss_end_mb": rss_mb(),
            "peak_rss_mb": peak_rss_mb(),
        }
    )
    return out


def compare_results(
    cube: Sequence[dict[str, pd.DataFrame]],
    naive: Sequence[dict[str, pd.DataFrame]],
    filters: Sequence[Filters],
) -> list[str]:
    """Every view of every filter change: the messages where the two implementations differ."""
    problems = []
    for f, a, b in zip(filters, cube, naive, strict=True):
        for name in ALL_VIEWS:
            diff = frames_agree(a[name], b[name])
            if diff:
                problems.append(f"{name} {f.to_query_string()}: {diff.splitlines()[0]}")
    return problems
