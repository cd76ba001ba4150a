"""What a competent developer would build instead of the release's rollups and cubes.

Two baselines, both over the same public files the dashboard serves and both held to the
same definitions as ``dashboard.queries.overview`` (the benchmark compares every number):

* ``PandasBaseline``: a well-made plain Dash app. Every city's ``calls.parquet`` read
  into one DataFrame at start-up with categorical dtypes; per filter change the row mask
  is computed once and shared by the views of that change (as the cube path shares its
  two scans), then each view is a group-by of the masked rows. The months with any call
  at all are known from start-up.
* ``DuckDBRowsBaseline``: DuckDB over the rows, no rollups: the rows loaded into an
  in-memory DuckDB table at start-up, one SQL ``GROUP BY`` per view, values bound.

Neither reuses a result across filter changes: ``clear_cache`` runs before each change,
as the store's cache is cleared for the cube path ("cold" means cold result caches; the
data itself is in memory for all three). Response minutes are not in the public rows
(issue 12): both read ``rollup_minutes.parquet`` for them. The precinct map reads the
suppressed precinct cube in all three (the public rows carry no precinct, privacy rule
3), without its ``unknown`` precinct (no place): that view is not a rows-versus-rollups
comparison.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

from benchmarks.views import minute_quantiles, share
from dashboard.contract.cities import City, load_cities
from dashboard.contract.releases import ReleaseError, current_release_dir
from dashboard.contract.schema import CITYWIDE, UNKNOWN_AREA, Outcome
from dashboard.params.filters import Filters
from dashboard.queries.export import KPIS_COLUMNS
from dashboard.settings import Settings

#: Text columns a competent pandas app stores as categoricals (a few values each).
CATEGORICAL = (
    "jurisdiction",
    "district",
    "call_category",
    "response_type",
    "outcome",
    "time_grain",
    "unanswered_reason",
)


def _release_files(settings: Settings) -> tuple[dict[str, City], dict[str, Path]]:
    """The configured cities that have a current release, and its folder."""
    cities, paths = {}, {}
    for city_id, city in load_cities(settings.cities_dir).items():
        try:
            paths[city_id] = current_release_dir(settings.releases_dir, city_id)
        except ReleaseError:
            continue
        cities[city_id] = city
    return cities, paths


def _month_grid(
    counts: pd.Series, f: Filters, programs: list[str], recorded: set[pd.Timestamp]
) -> pd.DataFrame:
    """``monthly_by_program``'s frame from calls per (month, program): zero-filled, with
    the weeks in each month (its Mondays) and the months the city has no record of."""
    months = pd.date_range(pd.Timestamp(f.start), pd.Timestamp(f.end), freq="MS")
    grid = pd.MultiIndex.from_product([months, programs], names=["month", "response_type"])
    out = counts.reindex(grid, fill_value=0).astype("int64").rename("calls").reset_index()
    mondays = {m: len(pd.date_range(m, m + pd.offsets.MonthEnd(0), freq="W-MON")) for m in months}
    out["weeks"] = out["month"].map(mondays).astype("int64")
    out["per_week"] = out["calls"] / out["weeks"]
    out["no_records"] = ~out["month"].isin(recorded)
    return out


def _kpi_frame(
    calls: int, eligible: int, answered: int, median: float, arrests: int, alt_calls: int, backup: int,
    no_outcome: int,
) -> pd.DataFrame:
    values = [
        calls,
        eligible,
        answered,
        share(answered, eligible),
        median,
        arrests,
        no_outcome,
        share(arrests, calls - no_outcome),  # of the calls with an outcome recorded
        alt_calls,
        backup,
        share(backup, alt_calls),
    ]
    return pd.DataFrame({name: [value] for name, value in zip(KPIS_COLUMNS, values, strict=True)})


def _minutes_frame(cells: pd.DataFrame, programs: list[str]) -> pd.DataFrame:
    rows = []
    for program in programs:
        median, p90, n = minute_quantiles(cells[cells["response_type"] == program])
        if n:
            rows.append({"response_type": program, "median": median, "p90": p90, "n": n})
    return pd.DataFrame(rows, columns=["response_type", "median", "p90", "n"])


class PandasBaseline:
    """A well-made plain pandas Dash app (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.cities, paths = _release_files(settings)
        calls = pd.concat([pd.read_parquet(p / "calls.parquet") for p in paths.values()], ignore_index=True)
        calls["week"] = pd.to_datetime(calls["week"])
        calls["month"] = calls["week"] - pd.to_timedelta(calls["week"].dt.day - 1, unit="D")
        self.calls = calls.astype({c: "category" for c in CATEGORICAL if c in calls})
        self.cube = pd.concat(
            [pd.read_parquet(p / "cube_precinct.parquet") for p in paths.values()], ignore_index=True
        )
        minutes = pd.concat(
            [pd.read_parquet(p / "rollup_minutes.parquet") for p in paths.values()], ignore_index=True
        )
        minutes["month"] = pd.to_datetime(minutes["month"])
        self.minutes = minutes.astype({c: "category" for c in CATEGORICAL if c in minutes})
        self.recorded = {
            city: set(part["month"].unique())
            for city, part in self.calls.groupby("jurisdiction", observed=True)
        }
        self._cache: dict[tuple[str, Filters], pd.DataFrame] = {}

    def clear_cache(self) -> None:
        self._cache.clear()

    def memory_bytes(self) -> int:
        frames = (self.calls, self.cube, self.minutes)
        return int(sum(frame.memory_usage(deep=True).sum() for frame in frames))

    def row_count(self) -> int:
        return len(self.calls)

    def _programs(self, f: Filters) -> list[str]:
        return [p.value for p in self.cities[f.city].programs if not f.programs or p in f.programs]

    def _masked(self, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        mask = (
            (frame["jurisdiction"] == f.city)
            & (frame["month"] >= pd.Timestamp(f.start))
            & (frame["month"] <= pd.Timestamp(f.end))
        )
        if f.districts:
            mask &= frame["district"].isin(list(f.districts))
        if f.categories:
            mask &= frame["call_category"].isin([c.value for c in f.categories])
        return frame[mask]

    def _shared(self, name: str, frame: pd.DataFrame, f: Filters) -> pd.DataFrame:
        """The masked rows of one filter change (programs aside), computed once per change."""
        key = (name, f.with_(programs=()))
        if key not in self._cache:
            self._cache[key] = self._masked(frame, f)
        return self._cache[key]

    def rows(self, f: Filters, *, programs: bool = True) -> pd.DataFrame:
        sub = self._shared("calls", self.calls, f)
        return sub[self._in_programs(sub, f)] if programs and f.programs else sub

    def minute_cells(self, f: Filters) -> pd.DataFrame:
        """The ``rollup_minutes`` cells of the view (programs not filtered, as in ``rows``)."""
        return self._shared("minutes", self.minutes, f)

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
        is_alt = sub["response_type"] == self.cities[f.city].alternative_program.value
        eligible = sub["star_eligible"]
        cells = self.minute_cells(f)
        median, _, _ = minute_quantiles(cells[self._in_programs(cells, f)])
        return _kpi_frame(
            calls=int(chosen.sum()),
            eligible=int(eligible.sum()),
            answered=int((eligible & is_alt).sum()),
            median=median,
            arrests=int((chosen & (sub["outcome"] == Outcome.ARREST.value)).sum()),
            alt_calls=int(is_alt.sum()),
            backup=int((is_alt & sub["police_backup"]).sum()),
            no_outcome=int((chosen & (sub["outcome"] == Outcome.NOT_RECORDED.value)).sum()),
        )

    def program_counts(self, f: Filters) -> pd.DataFrame:
        counts = self.rows(f)["response_type"].value_counts()
        programs = self._programs(f)
        return pd.DataFrame({"response_type": programs, "calls": [int(counts.get(p, 0)) for p in programs]})

    def monthly_by_program(self, f: Filters) -> pd.DataFrame:
        got = self.rows(f).groupby(["month", "response_type"], observed=True).size()
        got.index = got.index.set_levels(got.index.levels[1].astype(str), level=1)
        return _month_grid(got, f, self._programs(f), self.recorded.get(f.city, set()))

    def minutes_by_program(self, f: Filters) -> pd.DataFrame:
        return _minutes_frame(self.minute_cells(f), self._programs(f))

    def map_district(self, f: Filters) -> pd.DataFrame:
        # calls respect the program filter, the eligible figures do not (as in kpis)
        sub = self.rows(f, programs=False)
        sub = sub[sub["district"] != CITYWIDE]
        alt = self.cities[f.city].alternative_program.value
        frame = pd.DataFrame(
            {
                "area_id": sub["district"].astype(str),
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


class DuckDBRowsBaseline:
    """DuckDB over the rows, no rollups (see the module docstring)."""

    def __init__(self, settings: Settings) -> None:
        self.cities, paths = _release_files(settings)
        self.con = duckdb.connect()

        def load(table: str, file: str, extra: str = "") -> None:
            files = [str(p / file) for p in paths.values()]
            self.con.execute(
                f"CREATE TABLE {table} AS SELECT *{extra} FROM read_parquet(?, union_by_name = true)", [files]
            )

        load("calls", "calls.parquet", ", CAST(date_trunc('month', CAST(week AS DATE)) AS DATE) AS month")
        load("minutes", "rollup_minutes.parquet")
        load("cube", "cube_precinct.parquet")

    def clear_cache(self) -> None:
        """Nothing is cached between views: each view is its own query."""

    def memory_bytes(self) -> int:
        got = self.con.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()
        return int(got[0] or 0) if got else 0

    def row_count(self) -> int:
        got = self.con.execute("SELECT count(*) FROM calls").fetchone()
        return int(got[0]) if got else 0

    def _programs(self, f: Filters) -> list[str]:
        return [p.value for p in self.cities[f.city].programs if not f.programs or p in f.programs]

    @staticmethod
    def _where(f: Filters, *, programs: bool = False) -> tuple[str, list[object]]:
        """A WHERE clause for the filters (placeholders only) and its values."""
        clauses, params = ["jurisdiction = ?", "month BETWEEN ? AND ?"], [f.city, f.start, f.end]

        def among(column: str, values: Sequence[str]) -> None:
            if values:
                clauses.append(f"{column} IN ({', '.join('?' * len(values))})")
                params.extend(values)

        among("district", list(f.districts))
        among("call_category", [c.value for c in f.categories])
        if programs:
            among("response_type", [p.value for p in f.programs])
        return " AND ".join(clauses), params

    @staticmethod
    def _chosen(f: Filters) -> str:
        """A condition for the filter's programs (placeholders, values bound by the caller)."""
        return f"response_type IN ({', '.join('?' * len(f.programs))})" if f.programs else "true"

    def _frame(self, sql: str, params: list[object]) -> pd.DataFrame:
        return self.con.execute(sql, params).df()

    def _minute_cells(self, f: Filters, *, programs: bool) -> pd.DataFrame:
        where, params = self._where(f, programs=programs)
        return self._frame(
            f"SELECT response_type, response_minutes, sum(n) AS n FROM minutes WHERE {where} GROUP BY ALL",
            params,
        )

    def kpis(self, f: Filters) -> pd.DataFrame:
        where, params = self._where(f)
        chosen = self._chosen(f)
        alt = self.cities[f.city].alternative_program.value
        sql = f"""
            SELECT count(*) FILTER (WHERE {chosen}) AS calls,
                   count(*) FILTER (WHERE star_eligible) AS eligible,
                   count(*) FILTER (WHERE star_eligible AND response_type = ?) AS answered,
                   count(*) FILTER (WHERE {chosen} AND outcome = ?) AS arrests,
                   count(*) FILTER (WHERE response_type = ?) AS alt_calls,
                   count(*) FILTER (WHERE response_type = ? AND police_backup) AS backup,
                   count(*) FILTER (WHERE {chosen} AND outcome = ?) AS no_outcome
            FROM calls WHERE {where}"""
        chosen_params = [p.value for p in f.programs]
        row = self._frame(sql, [*chosen_params, alt, *chosen_params, Outcome.ARREST.value, alt, alt,
                                *chosen_params, Outcome.NOT_RECORDED.value, *params])
        median, _, _ = minute_quantiles(self._minute_cells(f, programs=True))
        got = {name: int(row[name].iloc[0]) for name in row.columns}
        return _kpi_frame(
            got["calls"],
            got["eligible"],
            got["answered"],
            median,
            got["arrests"],
            got["alt_calls"],
            got["backup"],
            got["no_outcome"],
        )

    def program_counts(self, f: Filters) -> pd.DataFrame:
        where, params = self._where(f, programs=True)
        got = self._frame(
            f"SELECT response_type, count(*) AS n FROM calls WHERE {where} GROUP BY ALL", params
        )
        counts = dict(zip(got["response_type"], got["n"], strict=True))
        programs = self._programs(f)
        return pd.DataFrame({"response_type": programs, "calls": [int(counts.get(p, 0)) for p in programs]})

    def monthly_by_program(self, f: Filters) -> pd.DataFrame:
        where, params = self._where(f, programs=True)
        got = self._frame(
            f"SELECT month, response_type, count(*) AS n FROM calls WHERE {where} GROUP BY ALL", params
        )
        counts = got.assign(month=pd.to_datetime(got["month"])).set_index(["month", "response_type"])["n"]
        recorded = self._frame("SELECT DISTINCT month FROM calls WHERE jurisdiction = ?", [f.city])
        return _month_grid(counts, f, self._programs(f), set(pd.to_datetime(recorded["month"])))

    def minutes_by_program(self, f: Filters) -> pd.DataFrame:
        return _minutes_frame(self._minute_cells(f, programs=False), self._programs(f))

    def map_district(self, f: Filters) -> pd.DataFrame:
        where, params = self._where(f)
        chosen = self._chosen(f)
        sql = f"""
            SELECT district AS area_id,
                   count(*) FILTER (WHERE {chosen}) AS calls,
                   count(*) FILTER (WHERE star_eligible) AS eligible,
                   count(*) FILTER (WHERE star_eligible AND response_type = ?) AS eligible_answered,
                   0 AS suppressed_cells
            FROM calls WHERE {where} AND district <> ? GROUP BY ALL ORDER BY area_id"""
        alt = self.cities[f.city].alternative_program.value
        return self._frame(sql, [*(p.value for p in f.programs), alt, *params, CITYWIDE])

    def map_precinct(self, f: Filters) -> pd.DataFrame:
        clauses, params = (
            ["jurisdiction = ?", "year BETWEEN ? AND ?", "precinct <> ?"],
            [f.city, f.start.year, f.end.year, UNKNOWN_AREA],
        )
        if f.districts:
            clauses.append(f"district IN ({', '.join('?' * len(f.districts))})")
            params.extend(f.districts)
        chosen = self._chosen(f)
        sql = f"""
            SELECT precinct AS area_id,
                   sum(CASE WHEN {chosen} THEN coalesce(n, 0) ELSE 0 END) AS calls,
                   sum(CASE WHEN star_eligible THEN coalesce(n, 0) ELSE 0 END) AS eligible,
                   sum(CASE WHEN star_eligible AND response_type = ? THEN coalesce(n, 0) ELSE 0 END)
                       AS eligible_answered,
                   count(*) FILTER (WHERE suppressed AND {chosen}) AS suppressed_cells
            FROM cube WHERE {" AND ".join(clauses)} GROUP BY ALL ORDER BY area_id"""
        alt = self.cities[f.city].alternative_program.value
        program_values = [p.value for p in f.programs]
        return self._frame(sql, [*program_values, alt, *program_values, *params])

    def view(self, name: str, f: Filters) -> pd.DataFrame:
        return getattr(self, name)(f)


#: The baselines the benchmark times, by the name its tables use.
BASELINES = {"pandas": PandasBaseline, "duckdb_rows": DuckDBRowsBaseline}
