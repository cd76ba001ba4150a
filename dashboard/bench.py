"""``crisis-dashboard bench``: the budgets of docs/architecture.md "Performance budgets", measured.

For each size (synthetic calls in the release) the benchmark

1. makes a data dir under ``benchmarks/work/<size>/`` (the city configs plus a
   synthetic release written by ``dashboard.sample.generator.write_sample`` at the scale
   that gives ~size rows), reusing one generated earlier for the same size and seed;
2. times every Overview query (``dashboard.queries.overview``, DuckDB over the release's
   rollups and cubes, cache cleared before each change) over a seeded list of realistic
   filter changes;
3. times the same views computed the way a naive Dash app does it, with plain pandas
   over the row-level ``calls.parquet`` held in one DataFrame, checks that both give
   the same numbers, and reports the speed-up and the memory each needs;
4. starts the real server (``gunicorn -w 1 dashboard.app:server``), captures the
   request the page makes when a filter changes (Playwright + Chromium), replays it
   with ``requests`` over the same seeded filters, and records the worker's peak
   resident memory and the bytes a fresh first view of ``/`` transfers;
5. writes ``benchmarks/RESULTS.md`` (hand-written notes between the
   ``notes:start``/``notes:end`` markers survive a re-run) and one JSON per size.

Steps 2 and 3 each run in a fresh (spawned) process, so their memory figures are not
polluted by each other or by data generation.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import multiprocessing
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import pandas as pd
import psutil

from dashboard import ids
from dashboard.contract.cities import City, load_cities
from dashboard.contract.releases import ReleaseError, current_release_dir
from dashboard.contract.schema import CITYWIDE, UNKNOWN_AREA, Outcome
from dashboard.engine.store import Store
from dashboard.params.filters import Catalog, Filters
from dashboard.queries import overview as queries
from dashboard.settings import REPO_ROOT, Settings

#: Where generated bench data lives (gitignored).
WORK_DIR = REPO_ROOT / "benchmarks" / "work"
#: Seed of the synthetic release; seed of the list of filter changes.
DATA_SEED = 20200601
FILTER_SEED = 911
#: Filter changes run first and not timed (warm DuckDB, pandas and the server).
WARMUP = 3

#: Budgets from docs/architecture.md "Performance budgets" (the issue's targets at 10M).
TARGET_CALLBACK_P95_MS = 150.0
TARGET_SPEEDUP = 3.0
TARGET_FIRST_VIEW_BYTES = 1_000_000
TARGET_WORKER_RSS_MB = 500.0

MB = 1024 * 1024
NOTES_START = "<!-- notes:start -->"
NOTES_END = "<!-- notes:end -->"


# ----------------------------------------------------------------------------------
# The views: the data layer's queries and the naive pandas implementation
# ----------------------------------------------------------------------------------

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


def _share(part: float, whole: float) -> float:
    return float(part) / float(whole) if whole else float("nan")


def _minute_quantiles(minutes: pd.DataFrame) -> tuple[float, float, int]:
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


class PandasBaseline:
    """The way a plain Dash app does it: every city's ``calls.parquet`` read into one
    DataFrame at start-up, then for each view: boolean-mask the rows by the filters and
    group by. Same definitions as ``dashboard.queries.overview`` (the smoke test checks the
    two agree on every number). Response minutes are not in the rows (issue 12): they
    come from ``rollup_minutes.parquet``, read into a second DataFrame and masked the same
    way. The precinct map reads the suppressed precinct cube, because the public rows
    carry no precinct (privacy rule 3), without its ``unknown`` precinct (no place)."""

    def __init__(self, settings: Settings) -> None:
        cities = load_cities(settings.cities_dir)
        calls, cubes, minutes = [], [], []
        self.cities: dict[str, City] = {}
        for city_id, city in cities.items():
            try:
                path = current_release_dir(settings.releases_dir, city_id)
            except ReleaseError:
                continue
            self.cities[city_id] = city
            calls.append(pd.read_parquet(path / "calls.parquet"))
            cubes.append(pd.read_parquet(path / "cube_precinct.parquet"))
            minutes.append(pd.read_parquet(path / "rollup_minutes.parquet"))
        rows = pd.concat(calls, ignore_index=True)
        rows["week"] = pd.to_datetime(rows["week"])
        rows["month"] = rows["week"] - pd.to_timedelta(rows["week"].dt.day - 1, unit="D")
        self.calls = rows
        self.cube = pd.concat(cubes, ignore_index=True)
        self.minutes = pd.concat(minutes, ignore_index=True)
        self.minutes["month"] = pd.to_datetime(self.minutes["month"])

    def memory_bytes(self) -> int:
        frames = (self.calls, self.cube, self.minutes)
        return int(sum(frame.memory_usage(deep=True).sum() for frame in frames))

    def _programs(self, f: Filters) -> list[str]:
        return [p.value for p in self.cities[f.city].programs if not f.programs or p in f.programs]

    def rows(self, f: Filters, *, programs: bool = True) -> pd.DataFrame:
        calls = self.calls
        mask = (
            (calls["jurisdiction"] == f.city)
            & (calls["month"] >= pd.Timestamp(f.start))
            & (calls["month"] <= pd.Timestamp(f.end))
        )
        if programs and f.programs:
            mask &= calls["response_type"].isin([p.value for p in f.programs])
        if f.districts:
            mask &= calls["district"].isin(list(f.districts))
        if f.categories:
            mask &= calls["call_category"].isin([c.value for c in f.categories])
        return calls[mask]

    def minute_cells(self, f: Filters) -> pd.DataFrame:
        """The ``rollup_minutes`` cells of the view (programs not filtered, as in ``rows``)."""
        cells = self.minutes
        mask = (
            (cells["jurisdiction"] == f.city)
            & (cells["month"] >= pd.Timestamp(f.start))
            & (cells["month"] <= pd.Timestamp(f.end))
        )
        if f.districts:
            mask &= cells["district"].isin(list(f.districts))
        if f.categories:
            mask &= cells["call_category"].isin([c.value for c in f.categories])
        return cells[mask]

    @staticmethod
    def _in_programs(frame: pd.DataFrame, f: Filters) -> pd.Series:
        if not f.programs:
            return pd.Series(True, index=frame.index)
        return frame["response_type"].isin([p.value for p in f.programs])

    def kpis(self, f: Filters) -> pd.DataFrame:
        # calls, arrests and the median respect the program filter; the alternative
        # team's figures do not (see dashboard.queries.overview.kpis).
        sub = self.rows(f, programs=False)
        chosen = self._in_programs(sub, f)
        alt = self.cities[f.city].alternative_program.value
        is_alt = sub["response_type"] == alt
        eligible = sub["star_eligible"]
        calls = int(chosen.sum())
        n_eligible = int(eligible.sum())
        answered = int((eligible & is_alt).sum())
        arrests = int((chosen & (sub["outcome"] == Outcome.ARREST.value)).sum())
        alt_calls = int(is_alt.sum())
        backup = int((is_alt & sub["police_backup"]).sum())
        cells = self.minute_cells(f)
        median, _, _ = _minute_quantiles(cells[self._in_programs(cells, f)])
        return pd.DataFrame(
            {
                "calls": [calls],
                "eligible": [n_eligible],
                "eligible_answered": [answered],
                "alt_share": [_share(answered, n_eligible)],
                "median_minutes": [median],
                "arrests": [arrests],
                "arrest_share": [_share(arrests, calls)],
                "alt_calls": [alt_calls],
                "backup": [backup],
                "backup_share": [_share(backup, alt_calls)],
            }
        )

    def program_counts(self, f: Filters) -> pd.DataFrame:
        counts = self.rows(f)["response_type"].value_counts()
        programs = self._programs(f)
        return pd.DataFrame({"response_type": programs, "calls": [int(counts.get(p, 0)) for p in programs]})

    def monthly_by_program(self, f: Filters) -> pd.DataFrame:
        got = self.rows(f).groupby(["month", "response_type"]).size()
        months = pd.date_range(pd.Timestamp(f.start), pd.Timestamp(f.end), freq="MS")
        grid = pd.MultiIndex.from_product([months, self._programs(f)], names=["month", "response_type"])
        out = got.reindex(grid, fill_value=0).astype("int64").rename("calls").reset_index()
        # weeks in a month = its Mondays (a week belongs to the month of its Monday)
        mondays = {m: len(pd.date_range(m, m + pd.offsets.MonthEnd(0), freq="W-MON")) for m in months}
        out["weeks"] = out["month"].map(mondays).astype("int64")
        out["per_week"] = out["calls"] / out["weeks"]
        # months in which the city has no call at all, whatever the filters (drawn as gaps)
        recorded = self.rows(f.with_(districts=(), categories=()), programs=False)["month"].unique()
        out["no_records"] = ~out["month"].isin(recorded)
        return out

    def minutes_by_program(self, f: Filters) -> pd.DataFrame:
        cells = self.minute_cells(f)
        rows = []
        for program in self._programs(f):
            median, p90, n = _minute_quantiles(cells[cells["response_type"] == program])
            if n:
                rows.append({"response_type": program, "median": median, "p90": p90, "n": n})
        return pd.DataFrame(rows, columns=["response_type", "median", "p90", "n"])

    def map_district(self, f: Filters) -> pd.DataFrame:
        # calls respect the program filter, the eligible figures do not (as in kpis)
        sub = self.rows(f, programs=False)
        sub = sub[sub["district"] != CITYWIDE]
        alt = self.cities[f.city].alternative_program.value
        frame = pd.DataFrame(
            {
                "area_id": sub["district"],
                "calls": self._in_programs(sub, f).astype("int64"),
                "eligible": sub["star_eligible"].astype("int64"),
                "eligible_answered": (sub["star_eligible"] & (sub["response_type"] == alt)).astype("int64"),
            }
        )
        out = frame.groupby("area_id", as_index=False).sum()
        out["suppressed_cells"] = 0
        return out.sort_values("area_id").reset_index(drop=True)

    def map_precinct(self, f: Filters) -> pd.DataFrame:
        cube = self.cube
        mask = (
            (cube["jurisdiction"] == f.city) & (cube["year"] >= f.start.year) & (cube["year"] <= f.end.year)
        )
        if f.districts:
            mask &= cube["district"].isin(list(f.districts))
        sub = cube[mask & (cube["precinct"] != UNKNOWN_AREA)]
        chosen = self._in_programs(sub, f)
        alt = self.cities[f.city].alternative_program.value
        n = sub["n"].fillna(0).astype("int64")
        frame = pd.DataFrame(
            {
                "area_id": sub["precinct"],
                "calls": n.where(chosen, 0),
                "eligible": n.where(sub["star_eligible"], 0),
                "eligible_answered": n.where(sub["star_eligible"] & (sub["response_type"] == alt), 0),
                "suppressed_cells": (sub["suppressed"] & chosen).astype("int64"),
            }
        )
        out = frame.groupby("area_id", as_index=False).sum()
        return out.sort_values("area_id").reset_index(drop=True)

    def view(self, name: str, f: Filters) -> pd.DataFrame:
        return getattr(self, name)(f)


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


# ----------------------------------------------------------------------------------
# Filters: a seeded list of realistic filter changes
# ----------------------------------------------------------------------------------


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


# ----------------------------------------------------------------------------------
# Timing helpers
# ----------------------------------------------------------------------------------


def _rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / MB


def _peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set (VmHWM) of a process; our own from getrusage as a fallback."""
    try:
        status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            return int(match.group(1)) / 1024
    except OSError:
        pass
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return _rss_mb(pid)


def _cpu_snapshot(live: psutil.Process | None = None) -> tuple[float, float, float]:
    """(wall clock, CPU seconds the whole machine was busy, CPU seconds of this process, its
    reaped children and the ``live`` process tree): over a step, busy minus ours is what
    *other* processes used. A child still running (the gunicorn worker) is only counted
    through ``live``; ``getrusage`` sees children once they have been waited for."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    ours = sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )
    if live is not None:
        for proc in [live, *live.children(recursive=True)]:
            try:
                c = proc.cpu_times()
                ours += c.user + c.system
            except psutil.Error:
                pass
    return time.monotonic(), busy, ours


def _interference(start: tuple[float, float, float], live: psutil.Process | None = None) -> dict[str, float]:
    wall, busy, ours = (b - a for a, b in zip(start, _cpu_snapshot(live), strict=True))
    others = max(0.0, busy - ours)
    cpus = os.cpu_count() or 1
    return {"wall_s": wall, "others_cpu_s": others, "others_share": others / (wall * cpus) if wall else 0.0}


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/max in milliseconds (numpy's default linear interpolation)."""
    ms = np.asarray(seconds, dtype=float) * 1000
    if ms.size == 0:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    return {
        "n": int(ms.size),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "max": float(ms.max()),
    }


def _time_views(
    run: Callable[[str, Filters], pd.DataFrame],
    filters: Sequence[Filters],
    warmup: int,
    keep_results: bool,
    before_change: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    """Per filter change: the Overview views in page order (each timed, and the whole
    set timed), then the precinct map. Warm-up filters run first, untimed.
    ``before_change`` runs before each timed change (the store clears its cache there)."""
    for f in filters[:warmup]:
        for name in ALL_VIEWS:
            run(name, f)
    times: dict[str, list[float]] = {name: [] for name in ALL_VIEWS}
    overview: list[float] = []
    results: list[dict[str, pd.DataFrame]] = []
    for f in filters:
        before_change()
        got: dict[str, pd.DataFrame] = {}
        start = time.perf_counter()
        for name in OVERVIEW_VIEWS:
            t0 = time.perf_counter()
            got[name] = run(name, f)
            times[name].append(time.perf_counter() - t0)
        overview.append(time.perf_counter() - start)
        t0 = time.perf_counter()
        got["map_precinct"] = run("map_precinct", f)
        times["map_precinct"].append(time.perf_counter() - t0)
        if keep_results:
            results.append(got)
    return {
        "views": {name: summarize(v) for name, v in times.items()},
        "overview": summarize(overview),
        "results": results,
    }


def run_query_bench(
    data_dir: Path, filters: Sequence[Filters], warmup: int = WARMUP, keep_results: bool = True
) -> dict[str, Any]:
    """The data layer's queries (DuckDB over rollups and cubes), each filter change cold.

    The store's cache is cleared before every filter change: the views of one change
    share their two scans (as in the running app), nothing is reused across changes.
    """
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    store = Store(Settings(data_dir=Path(data_dir)))
    open_s = time.perf_counter() - t0
    rss_open = _rss_mb()
    out = _time_views(lambda name, f: QUERY_VIEWS[name](store, f), filters, warmup, keep_results,
                      before_change=store.clear_cache)
    tables = {
        name: store.frame(f"SELECT count(*) AS n FROM {name}")["n"].iloc[0]
        for name in ("rollup_counts", "rollup_minutes", "cube_precinct")
    }
    out.update(
        {
            "open_s": open_s,
            "rss_start_mb": rss0,
            "rss_open_mb": rss_open,
            "rss_end_mb": _rss_mb(),
            "peak_rss_mb": _peak_rss_mb(),
            "table_rows": {k: int(v) for k, v in tables.items()},
        }
    )
    return out


def run_baseline_bench(
    data_dir: Path, filters: Sequence[Filters], warmup: int = WARMUP, keep_results: bool = True
) -> dict[str, Any]:
    """The naive pandas implementation over the row-level file, same filters."""
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    baseline = PandasBaseline(Settings(data_dir=Path(data_dir)))
    load_s = time.perf_counter() - t0
    rss_loaded = _rss_mb()
    out = _time_views(baseline.view, filters, warmup, keep_results)
    out.update(
        {
            "load_s": load_s,
            "rows": len(baseline.calls),
            "frame_mb": baseline.memory_bytes() / MB,
            "rss_start_mb": rss0,
            "rss_loaded_mb": rss_loaded,
            "rss_end_mb": _rss_mb(),
            "peak_rss_mb": _peak_rss_mb(),
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


def _in_fresh_process(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``func`` in a spawned interpreter: its RSS figures start from a clean process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(func, *args).result()


# ----------------------------------------------------------------------------------
# Step 1: the bench data dir
# ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class BenchData:
    size: int
    data_dir: Path
    scale: float
    info: dict[str, Any]  # generation figures (from bench_data.json)


#: Code whose change changes what the generator writes (plus the city configs).
GENERATOR_MODULES = (
    "sample/generator.py",
    "publish/release.py",
    "publish/staging.py",
    "publish/release_rows.py",
    "publish/data_dictionary.py",
    "publish/privacy.py",
    "contract/schema.py",
    "contract/sql.py",
    "contract/releases.py",
    "sample/calibration.py",
    "contract/cities.py",
    "geo/assign.py",
)


def generator_fingerprint(settings: Settings) -> str:
    """A hash of the generator's code and the city configs: bench data made by another
    version of the generator is not reused."""
    digest = hashlib.sha256()
    package = Path(__file__).resolve().parent
    for name in GENERATOR_MODULES:
        path = package / name
        digest.update(name.encode() + (path.read_bytes() if path.is_file() else b""))
    for path in sorted(settings.cities_dir.glob("*.toml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def rows_at_scale_1(settings: Settings, seed: int = DATA_SEED, work_dir: Path = WORK_DIR) -> int:
    """Calls the sample generator makes at scale 1.0 (all cities), measured once per
    generator version and cached."""
    from dashboard.sample.generator import SAMPLE_CITIES, generate

    cache = work_dir / "rows_at_scale_1.json"
    fingerprint = generator_fingerprint(settings)
    try:
        known = json.loads(cache.read_text())
        if known.get("seed") == seed and known.get("generator") == fingerprint:
            return int(known["rows"])
    except (OSError, ValueError, KeyError):
        pass
    cities = {k: v for k, v in load_cities(settings.cities_dir).items() if k in SAMPLE_CITIES}
    frames = generate(cities, seed=seed, scale=1.0, geo_dir=settings.geo_dir)
    rows = sum(len(frame) for frame in frames.values())
    work_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"seed": seed, "generator": fingerprint, "rows": rows}) + "\n")
    return rows


def _generate(data_dir: str, geo_dir: str, privacy_k: int, seed: int, scale: float) -> dict[str, Any]:
    """Write the synthetic release (runs in a fresh process: its peak RSS is its own)."""
    from dashboard.sample.generator import write_sample

    settings = Settings(data_dir=Path(data_dir), geo_dir=Path(geo_dir), privacy_k=privacy_k)
    t0 = time.perf_counter()
    infos = write_sample(settings, seed=seed, scale=scale, out=settings.releases_dir, via_export=False)
    seconds = time.perf_counter() - t0
    per_city = {}
    for info in infos:
        manifest = json.loads((info.path / "manifest.json").read_text())
        per_city[info.city] = {
            "release_id": info.release_id,
            "accepted": manifest["rows"]["accepted"],
            "published": manifest["rows"]["published"],
            "calls_parquet_bytes": manifest["files"]["calls.parquet"]["bytes"],
            "calls_csv_bytes": manifest["files"]["calls.csv"]["bytes"],
        }
    return {"seconds": seconds, "peak_rss_mb": _peak_rss_mb(), "cities": per_city}


def prepare_data(
    size: int,
    settings: Settings,
    *,
    regenerate: bool = False,
    work_dir: Path = WORK_DIR,
    seed: int = DATA_SEED,
    in_fresh_process: bool = True,
) -> BenchData:
    """The data dir for ``size`` calls, generated (timed) or reused when one made by the
    same generator version, seed and size is there."""
    scale = size / rows_at_scale_1(settings, seed, work_dir)
    fingerprint = generator_fingerprint(settings)
    data_dir = work_dir / str(size)
    meta_path = data_dir / "bench_data.json"
    if not regenerate and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        try:
            for city in meta["cities"]:
                current_release_dir(data_dir / "releases", city)
            if meta["seed"] == seed and meta["size"] == size and meta["generator"] == fingerprint:
                return BenchData(size, data_dir, meta["scale"], {**meta, "reused": True})
        except (ReleaseError, KeyError):
            pass
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(settings.cities_dir, data_dir / "cities")
    args = (str(data_dir), str(settings.geo_dir), settings.privacy_k, seed, scale)
    got = _in_fresh_process(_generate, *args) if in_fresh_process else _generate(*args)
    accepted = sum(c["accepted"] for c in got["cities"].values())
    published = sum(c["published"] for c in got["cities"].values())
    meta = {
        "size": size,
        "seed": seed,
        "generator": fingerprint,
        "scale": scale,
        "accepted": accepted,
        "published": published,
        "seconds": got["seconds"],
        "rows_per_s": accepted / got["seconds"],
        "peak_rss_mb": got["peak_rss_mb"],
        "cities": got["cities"],
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return BenchData(size, data_dir, scale, {**meta, "reused": False})


# ----------------------------------------------------------------------------------
# Step 4: the real server
# ----------------------------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
UPDATE_PATH = "/_dash-update-component"
#: Present once the page has drawn its monthly chart (plotly's SVG root).
RENDERED_SELECTOR = f"#{ids.OVERVIEW_TREND_GRAPH} .main-svg"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    data_dir: Path, *, cache_entries: int = Settings().cache_entries, ready_timeout: float = 180.0
) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """``gunicorn -w 1 dashboard.app:server`` on a free local port, warmed; yields
    (base url, the master process, seconds until it answered ``/``)."""
    import requests

    port = _free_port()
    env = {
        **os.environ,
        "CRISIS_DATA_DIR": str(data_dir),
        "CRISIS_CACHE_ENTRIES": str(cache_entries),
        "PORT": str(port),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = (data_dir / "gunicorn.log").open("w")
    cmd = [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "300", "dashboard.app:server"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {data_dir / 'gunicorn.log'}")
            try:
                if requests.get(base + "/", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.perf_counter() - t0 > ready_timeout:
                raise RuntimeError(f"server not ready after {ready_timeout:.0f} s")
            time.sleep(0.2)
        ready_s = time.perf_counter() - t0
        _warm(base)
        yield base, proc, ready_s
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _warm(base: str) -> None:
    """Fetch the page and each script and style it names until all answer 200: a fresh
    worker can answer 500 for Dash's own scripts (dash issue #3971)."""
    import requests

    html = requests.get(base + "/", timeout=30).text
    urls = ["/", "/_dash-layout", "/_dash-dependencies"]
    urls += re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
    for url in urls:
        full = url if url.startswith("http") else base + url
        for _ in range(5):
            if requests.get(full, timeout=30).status_code == 200:
                break
            time.sleep(0.2)


def _worker_memory(master: psutil.Process) -> dict[str, float]:
    """Resident memory of the gunicorn worker(s) (children of the master, with their own
    children): current and peak (VmHWM), in MB; the master's own too."""
    workers = master.children(recursive=False)
    current = peak = 0.0
    for worker in workers:
        for proc in [worker, *worker.children(recursive=True)]:
            current += _rss_mb(proc.pid)
            peak += _peak_rss_mb(proc.pid)
    return {
        "workers": len(workers),
        "rss_mb": current,
        "peak_rss_mb": peak,
        "master_rss_mb": _rss_mb(master.pid),
    }


def _launch_browser(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)


def first_view_bytes(base: str) -> dict[str, Any]:
    """A fresh load of ``/`` (new profile, cache disabled) until the network is idle:
    bytes on the wire (Chromium's encodedDataLength: headers + body as sent, i.e.
    compressed) and decoded body bytes, per resource type, plus the largest responses."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    responses: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = _launch_browser(p)
        try:
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

            def on_response(event: dict[str, Any]) -> None:
                headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0}).update(
                    url=event["response"]["url"],
                    type=event.get("type", "Other"),
                    status=event["response"]["status"],
                    encoding=headers.get("content-encoding", ""),
                )

            def on_data(event: dict[str, Any]) -> None:
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0})["decoded"] += event[
                    "dataLength"
                ]

            def on_finished(event: dict[str, Any]) -> None:
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0})["wire"] = event[
                    "encodedDataLength"
                ]

            cdp.on("Network.responseReceived", on_response)
            cdp.on("Network.dataReceived", on_data)
            cdp.on("Network.loadingFinished", on_finished)
            t0 = time.perf_counter()
            page.goto(base + "/", wait_until="networkidle", timeout=120_000)
            # "networkidle" can come while plotly.js is still being parsed, before the
            # renderer fetches its layout: wait for the drawn chart, then for quiet.
            rendered = True
            try:
                page.wait_for_selector(RENDERED_SELECTOR, state="attached", timeout=60_000)
            except PlaywrightTimeout:
                rendered = False
            page.wait_for_load_state("networkidle")
            load_s = time.perf_counter() - t0
            page.wait_for_timeout(1000)  # let the last DevTools events arrive
            context.close()
        finally:
            browser.close()
    done = [r for r in responses.values() if "url" in r]
    by_type: dict[str, dict[str, int]] = {}
    for r in done:
        slot = by_type.setdefault(r["type"], {"requests": 0, "wire": 0, "decoded": 0})
        slot["requests"] += 1
        slot["wire"] += r["wire"]
        slot["decoded"] += r["decoded"]
    largest = sorted(done, key=lambda r: r["wire"], reverse=True)
    return {
        "requests": len(done),
        "wire_bytes": sum(r["wire"] for r in done),
        "decoded_bytes": sum(r["decoded"] for r in done),
        "compressed_responses": sum(1 for r in done if r["encoding"]),
        "load_s": load_s,
        "rendered": rendered,
        "by_type": by_type,
        "largest": [
            {k: r[k] for k in ("url", "type", "wire", "decoded", "encoding", "status")} for r in largest
        ],
        "non_200": [r["url"] for r in done if r["status"] != 200],
    }


def capture_filter_change(base: str) -> dict[str, Any]:
    """Load ``/`` in Chromium, change the start month, and record every POST to
    ``/_dash-update-component`` the page makes for that one change (body and response)."""
    from playwright.sync_api import sync_playwright

    captured: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = _launch_browser(p)
        try:
            page = browser.new_page()
            page.goto(base + "/", wait_until="networkidle", timeout=120_000)
            page.wait_for_selector(f"#{ids.OVERVIEW_START}", timeout=60_000)

            def on_request(request: Any) -> None:
                if request.method == "POST" and urlsplit(request.url).path == UPDATE_PATH:
                    captured.append({"body": request.post_data_json, "request": request})

            page.on("request", on_request)
            options = page.eval_on_selector_all(
                f"#{ids.OVERVIEW_START} option:not([disabled])", "els => els.map(e => e.value)"
            )
            current = page.input_value(f"#{ids.OVERVIEW_START}")
            new = next(v for v in options if v != current)
            page.select_option(f"#{ids.OVERVIEW_START}", new)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # a chained callback may follow its parent
            out = []
            for item in captured:
                response = item["request"].response()
                out.append(
                    {
                        "url": item["request"].url,  # keeps Dash's signed ?endId= token
                        "body": item["body"],
                        "status": response.status if response else None,
                        "outputs": item["body"].get("output"),
                    }
                )
        finally:
            browser.close()
    if not out:
        raise RuntimeError("changing the start month made no request to " + UPDATE_PATH)
    return {"changed": {"id": ids.OVERVIEW_START, "value": new}, "requests": out}


def _control_values(f: Filters, catalog: Catalog) -> dict[str, Any]:
    """What the page's filter controls hold for ``f`` (an empty group = every box ticked)."""

    def ticked(selected: Sequence[str], options: Sequence[str]) -> list[str]:
        return list(selected) if selected else list(options)

    return {
        ids.OVERVIEW_CITY: f.city,
        ids.OVERVIEW_START: f.start.isoformat(),
        ids.OVERVIEW_END: f.end.isoformat(),
        ids.OVERVIEW_PROGRAMS: ticked([p.value for p in f.programs], [p.value for p in catalog.programs]),
        ids.OVERVIEW_DISTRICTS: ticked(list(f.districts), list(catalog.districts)),
        ids.OVERVIEW_CATEGORIES: ticked(
            [c.value for c in f.categories], [c.value for c in catalog.categories]
        ),
    }


def substitute(body: dict[str, Any], f: Filters, catalog: Catalog) -> tuple[dict[str, Any], int]:
    """A copy of a captured callback body with every filter control's value (and the
    page URL's query string) replaced by ``f``'s; also how many values were replaced."""

    values = _control_values(f, catalog)
    replaced = 0
    out = json.loads(json.dumps(body))

    def visit(item: Any) -> None:
        nonlocal replaced
        if isinstance(item, list):
            for x in item:
                visit(x)
            return
        if not isinstance(item, dict) or "id" not in item:
            return
        cid, prop = item["id"], item.get("property")
        if isinstance(cid, str) and cid in values and prop == "value":
            item["value"] = values[cid]
            replaced += 1
        elif cid == ids.OVERVIEW_URL and prop == "search":
            item["value"] = f.to_query_string()
            replaced += 1
        elif cid == ids.OVERVIEW_URL and prop == "href" and isinstance(item.get("value"), str):
            item["value"] = item["value"].split("?", 1)[0] + f.to_query_string()
            replaced += 1

    visit(out.get("inputs", []))
    visit(out.get("state", []))
    return out, replaced


def replay(
    base: str,
    captured: dict[str, Any],
    filters: Sequence[Filters],
    catalogs: dict[str, Catalog],
    warmup: int = WARMUP,
) -> dict[str, Any]:
    """Replay the captured request(s) of one filter change for each of ``filters``, in
    the captured order; time each request and the whole change (HTTP round trip)."""
    import requests

    session = requests.Session()
    session.headers.update({"Content-Type": "application/json", "Accept-Encoding": "gzip, br"})
    names = [_output_name(r["outputs"]) for r in captured["requests"]]
    per_request: dict[str, list[float]] = {name: [] for name in names}
    wire: dict[str, list[int]] = {name: [] for name in names}
    decoded: dict[str, list[int]] = {name: [] for name in names}
    totals: list[float] = []
    by_city: dict[str, list[float]] = {}
    errors: list[str] = []
    replaced_counts = set()
    for i, f in enumerate([*filters[:warmup], *filters]):
        timed = i >= warmup
        start = time.perf_counter()
        for name, item in zip(names, captured["requests"], strict=True):
            body, replaced = substitute(item["body"], f, catalogs[f.city])
            replaced_counts.add(replaced)
            t0 = time.perf_counter()
            response = session.post(item["url"], data=json.dumps(body), timeout=120)
            content = response.content
            elapsed = time.perf_counter() - t0
            if response.status_code not in (200, 204):
                errors.append(f"{name} {f.to_query_string()}: HTTP {response.status_code}")
            if timed:
                per_request[name].append(elapsed)
                decoded[name].append(len(content))
                wire[name].append(int(response.headers.get("Content-Length", len(content))))
        if timed:
            totals.append(time.perf_counter() - start)
            by_city.setdefault(f.city, []).append(totals[-1])
    return {
        "requests": {
            name: {
                **summarize(per_request[name]),
                "wire_bytes_p50": float(np.median(wire[name])),
                "decoded_bytes_p50": float(np.median(decoded[name])),
            }
            for name in names
        },
        "filter_change": summarize(totals),
        "filter_change_by_city": {city: summarize(v) for city, v in sorted(by_city.items())},
        "errors": errors[:20],
        "error_count": len(errors),
        "values_replaced": sorted(replaced_counts),
    }


def _output_name(output: Any) -> str:
    """``first-output.prop (+N outputs)`` for Dash's ``..a.b...c.d..`` output string."""
    parts = [p for p in str(output).strip(".").split("...") if p]
    if len(parts) <= 1:
        return str(output).strip(".")
    return f"{parts[0]} (+{len(parts) - 1} outputs)"


def run_server_bench(
    data: BenchData, filters: Sequence[Filters], catalogs: dict[str, Catalog]
) -> dict[str, Any]:
    with running_server(data.data_dir) as (base, proc, ready_s):
        master = psutil.Process(proc.pid)
        idle = _worker_memory(master)
        view = first_view_bytes(base)
        captured = capture_filter_change(base)
        cpu = _cpu_snapshot(master)
        timings = replay(base, captured, filters, catalogs)
        timings["interference"] = _interference(cpu, master)
        memory = _worker_memory(master)
    return {
        "ready_s": ready_s,
        "idle_memory": idle,
        "memory": memory,
        "first_view": view,
        "captured": {
            "changed": captured["changed"],
            "requests": [
                {
                    "outputs": _output_name(r["outputs"]),
                    "status": r["status"],
                    "inputs": [i.get("id") for i in _flat(r["body"].get("inputs", []))],
                    "state": [i.get("id") for i in _flat(r["body"].get("state", []))],
                }
                for r in captured["requests"]
            ],
        },
        "replay": timings,
    }


def _flat(items: Any) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out


# ----------------------------------------------------------------------------------
# One size, end to end
# ----------------------------------------------------------------------------------


def _strip_results(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "results"}


def bench_size(
    size: int,
    settings: Settings,
    *,
    repeat: int,
    regenerate: bool,
    server: bool,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    log(f"[{size:,}] data: preparing under {WORK_DIR / str(size)}")
    interference: dict[str, dict[str, float]] = {}
    cpu = _cpu_snapshot()
    data = prepare_data(size, settings, regenerate=regenerate)
    if not data.info["reused"]:
        interference["data generation"] = _interference(cpu)
    verb = "reused" if data.info["reused"] else "generated"
    log(
        f"[{size:,}] data: {verb} {data.info['published']:,} published rows (scale {data.scale:.3f}, "
        f"{data.info['seconds']:.1f} s, {data.info['rows_per_s']:,.0f} rows/s)"
    )
    catalogs = Store(Settings(data_dir=data.data_dir, cache_entries=0)).catalogs()
    filters = make_filters(catalogs, repeat)

    log(f"[{size:,}] queries: {repeat} filter changes (+{WARMUP} warm-up), each from a cold cache")
    cpu = _cpu_snapshot()
    cube = _in_fresh_process(run_query_bench, data.data_dir, filters)
    interference["queries"] = _interference(cpu)
    log(
        f"[{size:,}] queries: Overview p50 {cube['overview']['p50']:.1f} ms, "
        f"p95 {cube['overview']['p95']:.1f} ms"
    )
    log(f"[{size:,}] pandas baseline: same filters")
    cpu = _cpu_snapshot()
    naive = _in_fresh_process(run_baseline_bench, data.data_dir, filters)
    interference["baseline"] = _interference(cpu)
    log(
        f"[{size:,}] pandas: Overview p50 {naive['overview']['p50']:.1f} ms, "
        f"p95 {naive['overview']['p95']:.1f} ms"
    )
    problems = compare_results(cube["results"], naive["results"], filters)
    log(
        f"[{size:,}] agreement: {len(filters) * len(ALL_VIEWS) - len(problems)} of "
        f"{len(filters) * len(ALL_VIEWS)} views identical"
    )

    result: dict[str, Any] = {
        "size": size,
        "data": {k: v for k, v in data.info.items()},
        "repeat": repeat,
        "filters_sample": [f.to_query_string() for f in filters[:5]],
        "queries": _strip_results(cube),
        "baseline": _strip_results(naive),
        "agreement": {
            "checked": len(filters) * len(ALL_VIEWS),
            "problems": problems[:20],
            "mismatches": len(problems),
        },
        "interference": interference,
    }
    if server:
        log(f"[{size:,}] server: gunicorn -w 1 dashboard.app:server")
        try:
            result["server"] = run_server_bench(data, filters, catalogs)
            # only the replay: Chromium's orphaned helpers would count as "other" otherwise
            interference["server replay"] = result["server"]["replay"]["interference"]
            s = result["server"]
            log(
                f"[{size:,}] server: filter change p95 {s['replay']['filter_change']['p95']:.1f} ms, "
                f"worker peak {s['memory']['peak_rss_mb']:.0f} MB, first view "
                f"{s['first_view']['wire_bytes'] / 1000:.0f} kB"
            )
        except Exception as exc:  # noqa: BLE001 - record why, keep the other figures
            result["server"] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"[{size:,}] server: FAILED {exc}")
    (data.data_dir / "results.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


# ----------------------------------------------------------------------------------
# RESULTS.md
# ----------------------------------------------------------------------------------


def machine_info() -> dict[str, Any]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    cpu = ""
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else ""
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": psutil.virtual_memory().total / 1024**3,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("duckdb", "pandas", "pyarrow", "numpy", "dash", "plotly", "gunicorn", "playwright")
        },
        "chromium": _chromium_version(),
        "loadavg": os.getloadavg(),
    }


def _chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False)
        return out.stdout.strip() or "-"
    except (OSError, subprocess.TimeoutExpired):
        return "-"


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:,.1f}"  # NaN check


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _ok(passed: bool | None) -> str:
    return "n/a" if passed is None else ("**pass**" if passed else "**FAIL**")


def _speedup(naive: dict[str, float], cube: dict[str, float], key: str = "p95") -> float:
    return naive[key] / cube[key] if cube[key] else float("nan")


def target_rows(r: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, budget, measured, passed) for one size."""
    q, b = r["queries"], r["baseline"]
    server = r.get("server", {})
    rows: list[tuple[str, str, str, bool | None]] = []
    if "replay" in server:
        p95 = server["replay"]["filter_change"]["p95"]
        rows.append(
            (
                "filter change, every callback answered (HTTP round trip, server side) p95",
                f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
                f"{p95:,.1f} ms",
                p95 < TARGET_CALLBACK_P95_MS,
            )
        )
    else:
        rows.append(
            (
                "filter change, every callback answered (HTTP round trip) p95",
                f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
                "not measured: " + server.get("error", "skipped"),
                None,
            )
        )
    p95 = q["overview"]["p95"]
    rows.append(
        (
            "the five Overview queries per filter change, in process, p95",
            f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
            f"{p95:,.1f} ms",
            p95 < TARGET_CALLBACK_P95_MS,
        )
    )
    ratio = _speedup(b["overview"], q["overview"])
    rows.append(
        (
            "speed-up over plain pandas (Overview set, p95 / p95)",
            f">= {TARGET_SPEEDUP:.0f}x",
            f"{ratio:,.1f}x",
            ratio >= TARGET_SPEEDUP,
        )
    )
    if "first_view" in server:
        wire = server["first_view"]["wire_bytes"]
        rows.append(
            (
                "first view of `/` transferred (compressed, cache disabled)",
                f"< {TARGET_FIRST_VIEW_BYTES / 1e6:.0f} MB",
                f"{wire / 1000:,.0f} kB",
                wire < TARGET_FIRST_VIEW_BYTES,
            )
        )
    else:
        rows.append(("first view of `/` transferred", "< 1 MB", "not measured", None))
    if "memory" in server:
        peak = server["memory"]["peak_rss_mb"]
        rows.append(
            (
                "one gunicorn worker, peak resident (with children)",
                f"< {TARGET_WORKER_RSS_MB:.0f} MB",
                _mb(peak),
                peak < TARGET_WORKER_RSS_MB,
            )
        )
    else:
        rows.append(("one gunicorn worker, peak resident", "< 500 MB", "not measured", None))
    rows.append(
        (
            "baseline and cube queries give the same numbers",
            "every view",
            f"{r['agreement']['checked'] - r['agreement']['mismatches']} / {r['agreement']['checked']}",
            r["agreement"]["mismatches"] == 0,
        )
    )
    return rows


def render_results(
    results: Sequence[dict[str, Any]], machine: dict[str, Any], command: str, notes: str
) -> str:
    v = machine["versions"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `crisis-dashboard bench` (see [README.md](README.md) for how to run it and "
        "what each figure measures). All data is SYNTHETIC (the seeded sample generator).",
        "",
        f"- **Date:** {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- **Machine:** {machine['nproc']} CPUs ({machine['cpu'] or 'unknown CPU'}), "
        f"{machine['ram_gib']:.1f} GiB RAM, {machine['os']}",
        f"- **Software:** Python {machine['python']}, duckdb {v['duckdb']}, pandas {v['pandas']}, "
        f"pyarrow {v['pyarrow']}, numpy {v['numpy']}, dash {v['dash']}, plotly {v['plotly']}, "
        f"gunicorn {v['gunicorn']}, Playwright {v['playwright']} with {machine['chromium']}",
        f"- **Command:** `{command}`",
        "",
        '## Targets (docs/architecture.md "Performance budgets"; the budgets apply at 10M)',
        "",
    ]
    header = "| target | budget | " + " | ".join(f"{r['size']:,} calls" for r in results) + " |"
    lines += [header, "|---|---|" + "---|" * len(results)]
    per_size = [target_rows(r) for r in results]
    for i, (name, budget, _, _) in enumerate(per_size[0]):
        cells = [f"{rows[i][2]} {_ok(rows[i][3])}" for rows in per_size]
        lines.append(f"| {name} | {budget} | " + " | ".join(cells) + " |")
    lines += ["", NOTES_START, notes.strip("\n"), NOTES_END, ""]
    for r in results:
        lines += _render_size(r)
    return "\n".join(lines) + "\n"


def _render_size(r: dict[str, Any]) -> list[str]:
    d, q, b = r["data"], r["queries"], r["baseline"]
    lines = [f"## {r['size']:,} calls", ""]
    if "interference" in r:
        steps = ", ".join(
            f"{step} {i['others_share']:.0%} ({i['others_cpu_s']:,.0f} CPU-s over {i['wall_s']:,.0f} s)"
            for step, i in r["interference"].items()
        )
        lines += [
            f"CPU used by other processes on the machine during each step, as a share of its "
            f"{os.cpu_count()} CPUs: {steps}. Near 0% means the step's timings are the benchmark's alone.",
            "",
        ]
    lines += ["### Data", "", "| figure | value |", "|---|---|"]
    lines += [
        f"| rows generated (accepted) / published after k-anonymity | {d['accepted']:,} / "
        f"{d['published']:,} |",
        f"| sample scale (x the shipped sample) | {d['scale']:.3f} |",
        f"| generator version (hash of its code and the city configs) | `{d.get('generator', '-')}` |",
        f"| generation + release build (`write_sample`) | {d['seconds']:,.1f} s "
        f"({'reused from ' + d['generated'] if d.get('reused') else 'this run'}) |",
        f"| throughput | {d['rows_per_s']:,.0f} rows/s |",
        f"| peak resident memory while generating | {_mb(d['peak_rss_mb'])} |",
    ]
    parquet = sum(c["calls_parquet_bytes"] for c in d["cities"].values())
    csv = sum(c["calls_csv_bytes"] for c in d["cities"].values())
    tables = q["table_rows"]
    lines += [
        f"| calls.parquet / calls.csv (all cities) | {parquet / MB:,.1f} MB / {csv / MB:,.1f} MB |",
        f"| rows in rollup_counts / rollup_minutes / cube_precinct | {tables['rollup_counts']:,} / "
        f"{tables['rollup_minutes']:,} / {tables['cube_precinct']:,} |",
        "",
        f"### Queries: {q['overview']['n']} seeded filter changes (after {WARMUP} warm-up), "
        "each change from a cold query cache, ms",
        "",
        "| view | cube p50 | cube p95 | pandas p50 | pandas p95 | speed-up (p50) | speed-up (p95) |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ALL_VIEWS:
        cq, cb = q["views"][name], b["views"][name]
        lines.append(
            f"| `{name}` | {_ms(cq['p50'])} | {_ms(cq['p95'])} | {_ms(cb['p50'])} | {_ms(cb['p95'])} | "
            f"{_speedup(cb, cq, 'p50'):,.1f}x | {_speedup(cb, cq):,.1f}x |"
        )
    cq, cb = q["overview"], b["overview"]
    lines += [
        f"| **all five Overview queries together** | **{_ms(cq['p50'])}** | **{_ms(cq['p95'])}** | "
        f"**{_ms(cb['p50'])}** | **{_ms(cb['p95'])}** | **{_speedup(cb, cq, 'p50'):,.1f}x** | "
        f"**{_speedup(cb, cq):,.1f}x** |",
        "",
        "### Memory of the two implementations (each in a fresh process)",
        "",
        "| figure | cube store (DuckDB) | pandas baseline |",
        "|---|---|---|",
        f"| open / load time | {q['open_s']:.2f} s | {b['load_s']:.2f} s |",
        f"| RSS of the fresh process before opening | {_mb(q['rss_start_mb'])} | {_mb(b['rss_start_mb'])} |",
        f"| RSS growth from opening / loading | {_mb(q['rss_open_mb'] - q['rss_start_mb'])} | "
        f"{_mb(b['rss_loaded_mb'] - b['rss_start_mb'])} |",
        f"| RSS after the timed run | {_mb(q['rss_end_mb'])} | {_mb(b['rss_end_mb'])} |",
        f"| peak RSS | {_mb(q['peak_rss_mb'])} | {_mb(b['peak_rss_mb'])} |",
        f"| DataFrame `memory_usage(deep=True)` | - | {_mb(b['frame_mb'])} |",
        "",
        f"Cube and pandas results compared on every view of every filter change: "
        f"{r['agreement']['checked'] - r['agreement']['mismatches']} of "
        f"{r['agreement']['checked']} identical.",
    ]
    for problem in r["agreement"]["problems"]:
        lines.append(f"- mismatch: `{problem[:200]}`")
    lines += [
        "", "### Server (gunicorn -w 1, default query cache; no two timed filter changes share a query)", ""
    ]
    s = r.get("server")
    if not s or "error" in s:
        lines += [f"Not measured: {s['error'] if s else 'skipped (--no-server)'}.", ""]
        return lines
    rep, mem, view = s["replay"], s["memory"], s["first_view"]
    lines += [
        f"Captured by changing `#{s['captured']['changed']['id']}` in Chromium: "
        f"{len(s['captured']['requests'])} request(s) to `{UPDATE_PATH}` per filter change; replayed with "
        f"`requests` for the same {rep['filter_change']['n']} seeded filters (values substituted: "
        f"{rep['values_replaced']} per request; HTTP errors: {rep['error_count']}).",
        "",
        "| request (callback outputs) | p50 ms | p95 ms | max ms | response wire / decoded (p50) |",
        "|---|---|---|---|---|",
    ]
    for name, t in rep["requests"].items():
        lines.append(
            f"| `{name}` | {_ms(t['p50'])} | {_ms(t['p95'])} | {_ms(t['max'])} | "
            f"{t['wire_bytes_p50'] / 1000:,.1f} kB / {t['decoded_bytes_p50'] / 1000:,.1f} kB |"
        )
    fc = rep["filter_change"]
    lines.append(
        f"| **whole filter change** | **{_ms(fc['p50'])}** | **{_ms(fc['p95'])}** | {_ms(fc['max'])} | |"
    )
    for city, t in rep.get("filter_change_by_city", {}).items():
        lines.append(
            f"| whole filter change, {city} only ({t['n']}) | {_ms(t['p50'])} | {_ms(t['p95'])} | "
            f"{_ms(t['max'])} | |"
        )
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| server start until `/` answered | {s['ready_s']:.1f} s |",
        f"| worker RSS idle (after warm-up) | {_mb(s['idle_memory']['rss_mb'])} |",
        f"| worker RSS after the run / peak (VmHWM) | {_mb(mem['rss_mb'])} / {_mb(mem['peak_rss_mb'])} |",
        f"| gunicorn master RSS | {_mb(mem['master_rss_mb'])} |",
        f"| first view: requests | {view['requests']} ({view['compressed_responses']} compressed) |",
        f"| first view: bytes on the wire (compressed, headers included) | "
        f"{view['wire_bytes'] / 1000:,.1f} kB |",
        f"| first view: decoded bytes (uncompressed bodies) | {view['decoded_bytes'] / 1000:,.1f} kB |",
        f"| first view: load until the chart is drawn and the network idle | {view['load_s']:.2f} s"
        f"{'' if view.get('rendered', True) else ' (chart never drew)'} |",
        "",
        "First view by resource type:",
        "",
        "| type | requests | wire | decoded |",
        "|---|---|---|---|",
    ]
    for kind, t in sorted(view["by_type"].items(), key=lambda kv: -kv[1]["wire"]):
        lines.append(
            f"| {kind} | {t['requests']} | {t['wire'] / 1000:,.1f} kB | {t['decoded'] / 1000:,.1f} kB |"
        )
    lines += [
        "",
        "Largest responses of the first view:",
        "",
        "| url | wire | decoded | encoding |",
        "|---|---|---|---|",
    ]
    for item in view["largest"][:12]:
        path = item["url"].split("//", 1)[-1].split("/", 1)[-1]
        lines.append(
            f"| `/{path[:80]}` | {item['wire'] / 1000:,.1f} kB | {item['decoded'] / 1000:,.1f} kB | "
            f"{item['encoding'] or 'none'} |"
        )
    if view["non_200"]:
        lines += ["", "Non-200 responses: " + ", ".join(f"`{u}`" for u in view["non_200"])]
    lines.append("")
    return lines


def _existing_notes(path: Path) -> str:
    try:
        text = path.read_text()
    except OSError:
        return DEFAULT_NOTES
    if NOTES_START in text and NOTES_END in text:
        return text.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0]
    return DEFAULT_NOTES


DEFAULT_NOTES = """
Notes: the cube figures are the data layer's queries over the release's rollups and cubes
(exact GROUP BYs of the rows, built once at release time); the pandas figures are the same
views computed from the row-level file in memory. Write the interpretation here; this block
is kept when the benchmark re-runs.
"""


# ----------------------------------------------------------------------------------
# Entry points
# ----------------------------------------------------------------------------------


# ----------------------------------------------------------------------------------
# Ingest throughput (issue 3): a synthetic CAD export through `crisis-dashboard ingest`
# ----------------------------------------------------------------------------------

INGEST_START, INGEST_END = "<!-- ingest:start -->", "<!-- ingest:end -->"


def _ingest_run(data_dir: str, geo_dir: str, rows: int, seed: int) -> dict[str, Any]:
    """In a fresh process: export ~``rows`` Denver calls with identifiers, then ingest them."""
    import tempfile

    from dashboard.contract.cities import city_config_path
    from dashboard.ingest.pipeline import ingest
    from dashboard.sample.generator import generate
    from dashboard.sample.raw_export import write_raw_export

    settings = Settings(data_dir=Path(data_dir), geo_dir=Path(geo_dir))
    city = load_cities(settings.cities_dir)["denver"]
    scale = rows / 145_000  # Denver's calls at scale 1.0
    frame = generate({"denver": city}, seed=seed, scale=scale, geo_dir=settings.geo_dir)["denver"]
    with tempfile.TemporaryDirectory(prefix="crisis-bench-ingest-") as tmp:
        raw = write_raw_export(frame, Path(tmp) / "export.csv", np.random.default_rng(seed))
        del frame
        rss_before = _rss_mb()
        t0 = time.perf_counter()
        result = ingest(raw, city_config_path(settings.cities_dir, "denver"), Path(tmp) / "releases",
                        geo_dir=settings.geo_dir, k=settings.privacy_k, synthetic=True, salt="bench")
        seconds = time.perf_counter() - t0
        return {
            "rows_read": result.tally.read,
            "accepted": result.tally.accepted,
            "rejected": result.tally.rejected,
            "bytes": raw.stat().st_size,
            "seconds": seconds,
            "rows_per_s": result.tally.read / seconds,
            "rss_before_mb": rss_before,
            "peak_rss_mb": _peak_rss_mb(),
        }


def run_ingest_bench(settings: Settings, rows: int = 1_000_000, seed: int = 7) -> dict[str, Any]:
    return _in_fresh_process(_ingest_run, str(settings.data_dir), str(settings.geo_dir), rows, seed)


def render_ingest(r: dict[str, Any]) -> str:
    return "\n".join([
        INGEST_START,
        "## Ingest throughput (`crisis-dashboard ingest`, synthetic Denver CAD export)",
        "",
        "| figure | value |",
        "|---|---|",
        f"| rows read (accepted + rejected) | {r['rows_read']:,} ({r['accepted']:,} + {r['rejected']:,}) |",
        f"| export size (CSV with identifiers) | {r['bytes'] / MB:,.0f} MB |",
        f"| wall time, parse + map + spatial join + repeat contacts + release + validate | "
        f"{r['seconds']:.1f} s |",
        f"| throughput | {r['rows_per_s']:,.0f} rows/s |",
        f"| peak resident memory of the ingest process | {r['peak_rss_mb']:,.0f} MB "
        f"(before ingest: {r['rss_before_mb']:,.0f} MB, the generator's leftovers) |",
        INGEST_END,
        "",
    ])


def update_ingest_section(out: Path, r: dict[str, Any]) -> None:
    """Replace (or append) the ingest block of RESULTS.md, leaving the rest untouched."""
    text = out.read_text() if out.exists() else ""
    block = render_ingest(r)
    if INGEST_START in text and INGEST_END in text:
        a, b = text.index(INGEST_START), text.index(INGEST_END) + len(INGEST_END)
        text = text[:a] + block.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    out.write_text(text)


#: The Lighthouse section, written by benchmarks/lighthouse/run.sh; kept when this re-runs.
LIGHTHOUSE_START, LIGHTHOUSE_END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"


def _keep_block(out: Path, previous: str, start: str, end: str) -> None:
    """Append the ``start``..``end`` block of the previous RESULTS.md to the new one."""
    if start in previous and end in previous:
        block = previous[previous.index(start) : previous.index(end) + len(end)]
        out.write_text(out.read_text().rstrip("\n") + "\n\n" + block + "\n")


def main(args: argparse.Namespace, settings: Settings) -> int:
    sizes: list[int] = list(args.sizes)
    repeat: int = int(args.repeat)
    out = Path(args.out)
    regenerate = bool(getattr(args, "regenerate", False)) or os.environ.get("CRISIS_BENCH_REGENERATE") == "1"
    server = not (getattr(args, "no_server", False) or os.environ.get("CRISIS_BENCH_NO_SERVER") == "1")
    machine = machine_info()
    command = "crisis-dashboard bench --sizes " + " ".join(str(s) for s in sizes) + f" --repeat {repeat}"
    results = [
        bench_size(size, settings, repeat=repeat, regenerate=regenerate, server=server) for size in sizes
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    previous_ingest = out.read_text() if out.exists() else ""
    out.write_text(render_results(results, machine, command, _existing_notes(out)))
    if getattr(args, "skip_ingest", False) and INGEST_START in previous_ingest:
        a = previous_ingest.index(INGEST_START)
        b = previous_ingest.index(INGEST_END) + len(INGEST_END)
        out.write_text(out.read_text().rstrip("\n") + "\n\n" + previous_ingest[a:b] + "\n")
    elif not getattr(args, "skip_ingest", False):
        print("ingest: 1M-row synthetic export through crisis-dashboard ingest")
        update_ingest_section(out, run_ingest_bench(settings))
    _keep_block(out, previous_ingest, LIGHTHOUSE_START, LIGHTHOUSE_END)
    print(f"wrote {out}")
    failed = [row for r in results if r["size"] >= 10_000_000 for row in target_rows(r) if row[3] is False]
    for name, budget, measured, _ in failed:
        print(f"target missed at 10M: {name}: {measured} (budget {budget})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m dashboard.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=50, help="filter changes timed per query")
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument("--regenerate", action="store_true", help="regenerate the bench releases")
    parser.add_argument("--no-server", action="store_true", help="skip the gunicorn/Chromium step")
    return parser


if __name__ == "__main__":
    sys.exit(main(build_parser().parse_args(), Settings.from_env()))
