"""The data layer's engine: an embedded DuckDB over each city's current release.

One ``Store`` per process (``get_store``), opened on first use, never at import time,
so gunicorn workers each open their own after the fork. The rollups and cubes are
small (thousands to a few hundred thousand rows even at 10M calls) and are loaded
into DuckDB tables once; the row-level file stays a view over Parquet for downloads.

Queries live in ``dashboard.data.queries``; they pass SQL made only of contract
column names, with every user value as a bound parameter, through ``Store.frame``.
Results are cached per (query, Filters) in a small LRU and handed out as copies, so
no caller can mutate a shared DataFrame.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from dashboard.data.cities import City, load_cities
from dashboard.data.filters import Catalog
from dashboard.data.release import (
    ReleaseError,
    ReleaseInfo,
    current_release_dir,
    read_release_info,
)
from dashboard.data.schema import CITYWIDE, CUBES, ROLLUPS, ResponseType
from dashboard.settings import Settings


def _district_sort_key(value: str) -> tuple[int, int, str]:
    if value == CITYWIDE:
        return (2, 0, value)
    return (0, int(value), value) if value.isdigit() else (1, 0, value)


class Store:
    """Read-only access to every city's current release."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.cities: dict[str, City] = load_cities(settings.cities_dir)
        self._releases: dict[str, ReleaseInfo] = {}
        for city_id in self.cities:
            try:
                self._releases[city_id] = read_release_info(
                    current_release_dir(settings.releases_dir, city_id)
                )
            except ReleaseError:
                continue  # a configured city with no release yet is simply not offered
        if not self._releases:
            raise ReleaseError(f"no city has a current release under {settings.releases_dir}")
        self.cities = {k: v for k, v in self.cities.items() if k in self._releases}
        self._con = duckdb.connect(":memory:")
        self._local = threading.local()
        self._load_tables()
        self._catalogs = self._build_catalogs()
        self._cache: OrderedDict[tuple, pd.DataFrame] = OrderedDict()
        self._cache_lock = threading.Lock()

    # -- opening ---------------------------------------------------------------------
    def _files(self, name: str) -> list[str]:
        return [str(info.path / f"{name}.parquet") for info in self._releases.values()
                if (info.path / f"{name}.parquet").is_file()]

    def _load_tables(self) -> None:
        for table in (*ROLLUPS, *CUBES):
            files = self._files(table.name)
            self._con.read_parquet(files, union_by_name=True).create(table.name)
        self._con.read_parquet(self._files("calls"), union_by_name=True).create_view("calls")

    def _build_catalogs(self) -> dict[str, Catalog]:
        bounds = self._con.execute(
            "SELECT jurisdiction, min(month), max(month) FROM rollup_overview GROUP BY 1"
        ).fetchall()
        districts = self._con.execute(
            "SELECT DISTINCT jurisdiction, district FROM rollup_overview"
        ).fetchall()
        city_ids = tuple(self.cities)
        out = {}
        for city_id, first, last in bounds:
            if city_id not in self.cities:
                continue
            ds = sorted((d for c, d in districts if c == city_id), key=_district_sort_key)
            out[city_id] = Catalog(
                city=city_id, cities=city_ids, first_month=_as_date(first), last_month=_as_date(last),
                districts=tuple(ds), programs=self.cities[city_id].programs,
            )
        return out

    # -- public API ------------------------------------------------------------------
    def catalogs(self) -> dict[str, Catalog]:
        return dict(self._catalogs)

    def release_info(self, city: str) -> ReleaseInfo:
        return self._releases[city]

    def release_path(self, city: str) -> Path:
        return self._releases[city].path

    def alternative_program(self, city: str) -> ResponseType:
        return self.cities[city].alternative_program

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self._con.cursor()
            self._local.cursor = cur
        return cur

    def frame(self, sql: str, params: Sequence[object] = ()) -> pd.DataFrame:
        """Run a parameterised query and return a fresh DataFrame."""
        return self._cursor().execute(sql, list(params)).df()

    def clear_cache(self) -> None:
        """Forget every cached result (benchmarks time each filter change from cold)."""
        with self._cache_lock:
            self._cache.clear()

    def cached(self, key: tuple, compute: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """LRU by (query, Filters, ...) key; callers always get their own copy."""
        with self._cache_lock:
            hit = self._cache.get(key)
            if hit is not None:
                self._cache.move_to_end(key)
                return hit.copy()
        value = compute()
        with self._cache_lock:
            self._cache[key] = value
            while len(self._cache) > self.settings.cache_entries:
                self._cache.popitem(last=False)
        return value.copy()


def _as_date(value: object) -> date:
    if isinstance(value, pd.Timestamp):
        return value.date()
    if isinstance(value, date):
        return date(value.year, value.month, value.day)
    return date.fromisoformat(str(value)[:10])


@cache
def get_store(settings: Settings) -> Store:
    """The process's one Store for these settings (opened on first call)."""
    return Store(settings)
