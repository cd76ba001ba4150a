"""The suppressed cubes a council member's district view reads: coverage, council, service.

Each is computed at release time from the internal rows (the ``staged`` view that
``release._stage`` creates), never from the public rows, because it holds what the rows
cannot: the hour and weekday of a call, the council district (which cuts across police
districts), and the time a team spent on a call. That is why every cell of 1..k-1
calls is suppressed here, with complementary suppression over every margin the cube's
``Table.margins`` names (``privacy.suppress_cells_margins``).

* ``cube_coverage``: eligible calls by weekday x hour, per year, for the city, each
  police district and each council district: the demand the coverage heatmap draws
  against the alternative team's hours and the planner turns into calls per hour.
* ``cube_council``: a council district's calls per program and year, split by each
  measure the district profile shows (month, eligibility, outcome, backup, repeat
  contact, why unanswered, response-time band), one ``measure`` at a time (long form,
  so one margin rule covers all of them).
* ``cube_service``: time on task per program and year (calls with a time, total
  minutes), the planner's "time per call".

Every weekday-hour of a year and area (and every category of a council measure seen in
the city that year) is present, zero included: a small cell that is the only non-zero
one of its group could otherwise be read off the group's public total.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.data import privacy
from dashboard.data.schema import (
    AREA_CITY,
    AREA_COUNCIL,
    AREA_DISTRICT,
    CITYWIDE,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_SERVICE,
    Table,
)

WEEKDAYS = range(7)
HOURS = range(24)

#: Columns of ``staged`` beyond the contract's that these cubes read (``release._stage``).
STAGED_EXTRA = ("weekday", "hour", "council_district", "busy_minutes")

_TYPES = {"year": "int32", "weekday": "int32", "hour": "int32", "n": "int64", "busy_minutes": "int64"}


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Dims as the contract's storage types (strings unless numeric), in table order."""
    columns = [*table.dims, *table.measures]
    frame = frame[columns].copy()
    for column in columns:
        frame[column] = frame[column].astype(_TYPES.get(column, "string"))
    return frame


# -- coverage -----------------------------------------------------------------------------


def coverage_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Eligible calls by year x area x weekday x hour (non-zero cells only)."""
    select = "SELECT jurisdiction, year, {area_type} AS area_type, {area} AS area, weekday, hour, " \
             "count(*)::BIGINT AS n FROM e {where} GROUP BY ALL"
    parts = [
        select.format(area_type=f"'{AREA_CITY}'", area=f"'{CITYWIDE}'", where=""),
        select.format(area_type=f"'{AREA_DISTRICT}'", area="district",
                      where=f"WHERE district IS NOT NULL AND district <> '{CITYWIDE}'"),
        select.format(area_type=f"'{AREA_COUNCIL}'", area="council_district",
                      where="WHERE council_district IS NOT NULL"),
    ]
    sql = (
        "WITH e AS (SELECT jurisdiction, year(week)::INTEGER AS year, district, council_district, "
        "weekday, hour FROM staged WHERE star_eligible) "
        + " UNION ALL ".join(parts) + " ORDER BY ALL"
    )
    return _typed(con.execute(sql).df(), CUBE_COVERAGE)


def complete_coverage(counts: pd.DataFrame) -> pd.DataFrame:
    """Every weekday-hour of each (year, area) that has eligible calls, zeros filled in."""
    groups = counts[["jurisdiction", "year", "area_type", "area"]].drop_duplicates()
    cells = pd.DataFrame([(d, h) for d in WEEKDAYS for h in HOURS], columns=["weekday", "hour"])
    grid = groups.merge(cells.astype("int32"), how="cross")
    full = grid.merge(counts, on=list(CUBE_COVERAGE.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, CUBE_COVERAGE)


def coverage_cube(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    """The published coverage cube: complete grid, small cells and complements hidden."""
    full = complete_coverage(counts)
    return privacy.suppress_cells_margins(full, k, [list(m) for m in CUBE_COVERAGE.margins])


# -- council districts ------------------------------------------------------------------------

#: SQL for each council measure's category (as text) over ``staged``.
_COUNCIL_VALUE_SQL: dict[str, str] = {
    "month": "strftime(week, '%Y-%m')",
    "star_eligible": "star_eligible::VARCHAR",
    "outcome": "outcome::VARCHAR",
    "police_backup": "police_backup::VARCHAR",
    "repeat_contact_90d": "repeat_contact_90d::VARCHAR",
    "unanswered_reason": "coalesce(unanswered_reason::VARCHAR, 'none')",
    "response_band": (
        "CASE WHEN response_minutes IS NULL THEN 'none' WHEN response_minutes >= 60 THEN '60+' "
        "ELSE lpad((response_minutes // 5 * 5)::VARCHAR, 2, '0') || '-' "
        "|| lpad((response_minutes // 5 * 5 + 4)::VARCHAR, 2, '0') END"
    ),
}


def council_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Calls per council district x year x program x (measure, value), non-zero cells only."""
    parts = [
        f"SELECT jurisdiction, year(week)::INTEGER AS year, council_district, response_type::VARCHAR "
        f"AS response_type, '{measure}' AS measure, {value} AS value, count(*)::BIGINT AS n "
        f"FROM staged WHERE council_district IS NOT NULL GROUP BY ALL"
        for measure, value in _COUNCIL_VALUE_SQL.items()
    ]
    return _typed(con.execute(" UNION ALL ".join(parts) + " ORDER BY ALL").df(), CUBE_COUNCIL)


def complete_council(counts: pd.DataFrame) -> pd.DataFrame:
    """Zero cells for every category of a measure seen in the city that year, per group."""
    group_keys = ["jurisdiction", "year", "council_district", "response_type", "measure"]
    groups = counts[group_keys].drop_duplicates()
    values = counts[["jurisdiction", "year", "measure", "value"]].drop_duplicates()
    grid = groups.merge(values, on=["jurisdiction", "year", "measure"])
    full = grid.merge(counts, on=list(CUBE_COUNCIL.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, CUBE_COUNCIL)


def council_cube(counts: pd.DataFrame, k: int) -> pd.DataFrame:
    full = complete_council(counts)
    return privacy.suppress_cells_margins(full, k, [list(m) for m in CUBE_COUNCIL.margins])


# -- time on task -------------------------------------------------------------------------------


def service_cube(con: duckdb.DuckDBPyConnection, k: int) -> pd.DataFrame:
    """Calls with a recorded time on task and their total minutes; under k calls hidden."""
    frame = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        "count(*)::BIGINT AS n, sum(busy_minutes)::BIGINT AS busy_minutes FROM staged "
        "WHERE busy_minutes IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).df()
    frame = _typed(frame, CUBE_SERVICE)
    small = frame["n"] < k
    out = frame.astype({"n": "Int64", "busy_minutes": "Int64"})
    out["suppressed"] = small.to_numpy()
    out.loc[small, ["n", "busy_minutes"]] = pd.NA
    return out


# -- writing ------------------------------------------------------------------------------------

_ARROW = {"int32": pa.int32(), "int64": pa.int64(), "Int64": pa.int64(), "bool": pa.bool_()}


def _write(frame: pd.DataFrame, table: Table, path: str) -> None:
    """Parquet with a fixed schema, so an empty cube (no council layer) has typed columns."""
    fields = [
        pa.field(c, _ARROW.get(str(frame[c].dtype), pa.string()))
        for c in (*table.dims, *table.measures, "suppressed")
    ]
    arrow = pa.Table.from_pandas(frame[[f.name for f in fields]], schema=pa.schema(fields),
                                 preserve_index=False)
    pq.write_table(arrow, path, compression="zstd")


def write_cubes(con: duckdb.DuckDBPyConnection, out: str, k: int) -> None:
    """Write cube_coverage, cube_council and cube_service into the release folder ``out``."""
    _write(coverage_cube(coverage_counts(con), k), CUBE_COVERAGE, f"{out}/{CUBE_COVERAGE.name}.parquet")
    _write(council_cube(council_counts(con), k), CUBE_COUNCIL, f"{out}/{CUBE_COUNCIL.name}.parquet")
    _write(service_cube(con, k), CUBE_SERVICE, f"{out}/{CUBE_SERVICE.name}.parquet")
