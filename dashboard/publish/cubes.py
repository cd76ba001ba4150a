"""The suppressed cubes: precinct, coverage by hour, council districts, time on task.

Each is computed at release time from the view ``published`` that ``release`` creates:
the internal rows of exactly the calls the public rows hold (withheld calls left out),
with the rows' published week, category and district, plus what the rows cannot carry:
the hour and weekday of a call, its precinct and council district, its response minutes
and the time a team spent on it. Building every cube over the same calls as the rows
makes each cube's totals equal, exactly, to numbers the rows publish, so the relations
an attacker can use are known exactly too (``release_system``), and the audit
(``dashboard.publish.disclosure``) can prove that no hidden cell is narrowed by them.

* ``cube_precinct``: calls by year x police district x precinct x program x eligibility
  (calls whose row was generalized to ``citywide`` are left out: listing their precinct
  would give their district back). Adds up to the rows' district totals.
* ``cube_coverage``: eligible calls by weekday x hour, per year, for the city, each
  police district as the rows publish it (``citywide`` included) and each council
  district (``unknown`` for calls outside every council district).
* ``cube_council``: a council district's calls per program and year, split by each
  measure the district profile shows (month, eligibility, outcome, backup, repeat
  contact, why unanswered, response-time band), one ``measure`` at a time.
* ``cube_service``: time on task per program and year (calls with a time, total
  minutes), the planner's "time per call"; under k calls hidden.

Every weekday-hour of a year and area (and every category of a council measure seen in
the city that year, every precinct of a district) is present, zero included: a small
cell that is the only non-zero one of its group could otherwise be read off its total.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.schema import (
    AREA_CITY,
    AREA_COUNCIL,
    AREA_DISTRICT,
    BAND_NO_UNIT,
    CITYWIDE,
    COUNCIL_MEASURES,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_PRECINCT,
    CUBE_SERVICE,
    REASON_ANSWERED,
    REASON_NOT_ELIGIBLE,
    REASON_SCREENED,
    UNKNOWN_AREA,
    Table,
)
from dashboard.publish import council_links, disclosure

WEEKDAYS = range(7)
HOURS = range(24)

#: Columns of ``published`` beyond the contract's that these cubes read (``release._stage``).
STAGED_EXTRA = ("weekday", "hour", "precinct", "council_district", "busy_minutes", "response_minutes")

#: The suppression method recorded in the manifest; ``validate`` models the rule by it.
SUPPRESSION_METHOD = "audited-keyed"

_TYPES = {"year": "int32", "weekday": "int32", "hour": "int32", "n": "int64", "busy_minutes": "int64",
          "star_eligible": "bool"}

#: The audited cubes, in the order their cells enter the linear system.
AUDITED: tuple[Table, ...] = (CUBE_PRECINCT, CUBE_COVERAGE, CUBE_COUNCIL)


def _typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Dims as the contract's storage types (strings unless numeric), in table order."""
    columns = [*table.dims, *table.measures]
    frame = frame[columns].copy()
    for column in columns:
        frame[column] = frame[column].astype(_TYPES.get(column, "string"))
    return frame


def _has(con: duckdb.DuckDBPyConnection, condition: str) -> bool:
    return bool(con.execute(f"SELECT count(*) > 0 FROM published WHERE {condition}").fetchall()[0][0])


# -- counts (true values, complete grids) ---------------------------------------------------


def precinct_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Calls per precinct of every district's published calls, zeros filled in per group."""
    if not _has(con, "precinct IS NOT NULL"):
        return _typed(pd.DataFrame(columns=[*CUBE_PRECINCT.dims, "n"]), CUBE_PRECINCT)
    counts = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, district, "
        f"coalesce(precinct, '{UNKNOWN_AREA}') AS precinct, response_type::VARCHAR AS response_type, "
        f"star_eligible, count(*)::BIGINT AS n FROM published WHERE district <> '{CITYWIDE}' "
        f"GROUP BY ALL ORDER BY ALL"
    ).df()
    counts = _typed(counts, CUBE_PRECINCT)
    margin = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    precincts = counts[["jurisdiction", "district", "precinct"]].drop_duplicates()
    grid = counts[margin].drop_duplicates().merge(precincts, on=["jurisdiction", "district"])
    full = grid.merge(counts, on=list(CUBE_PRECINCT.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, CUBE_PRECINCT).sort_values(list(CUBE_PRECINCT.dims)).reset_index(drop=True)


def coverage_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Eligible calls by year x area x weekday x hour, every weekday-hour of an area present."""
    select = ("SELECT jurisdiction, year, '{area_type}' AS area_type, {area} AS area, weekday, hour, "
              "count(*)::BIGINT AS n FROM e GROUP BY ALL")
    parts = [select.format(area_type=AREA_CITY, area=f"'{CITYWIDE}'")]
    if _has(con, f"district <> '{CITYWIDE}'"):
        parts.append(select.format(area_type=AREA_DISTRICT, area="district"))
    if _has(con, "council_district IS NOT NULL"):
        area = f"coalesce(council_district, '{UNKNOWN_AREA}')"
        parts.append(select.format(area_type=AREA_COUNCIL, area=area))
    sql = ("WITH e AS (SELECT jurisdiction, year(week)::INTEGER AS year, district, council_district, "
           "weekday, hour FROM published WHERE star_eligible) " + " UNION ALL ".join(parts))
    counts = _typed(con.execute(sql).df(), CUBE_COVERAGE)
    groups = counts[["jurisdiction", "year", "area_type", "area"]].drop_duplicates()
    cells = pd.DataFrame([(d, h) for d in WEEKDAYS for h in HOURS], columns=["weekday", "hour"])
    grid = groups.merge(cells.astype("int32"), how="cross")
    full = grid.merge(counts, on=list(CUBE_COVERAGE.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, CUBE_COVERAGE).sort_values(list(CUBE_COVERAGE.dims)).reset_index(drop=True)


#: The alternative team's programs, per city, as a CTE over ``{src}`` (``published`` or the
#: public ``calls``): the programs that answer eligible calls (every other program's
#: eligible calls carry the reason they were not answered). No city config needed, so
#: ``validate`` finds the same programs in the public rows.
ALT_CTE = ("alt AS (SELECT DISTINCT jurisdiction, response_type FROM {src} "
           "WHERE star_eligible AND unanswered_reason IS NULL)")
#: The condition (on a table joined to ``alt`` with a LEFT JOIN as ``a``) of the
#: alternative team's calls.
IS_ALT = "a.response_type IS NOT NULL"

#: SQL for each council measure's category (as text), over ``published`` (and the public
#: ``calls``, for the city totals and the rows' totals by police district; ``response_band``
#: from ``rollup_minutes`` there, as the rows carry no minutes).
COUNCIL_VALUE_SQL: dict[str, str] = {
    "calls": "'all'",
    "program": "response_type::VARCHAR",
    "reason": (
        f"CASE WHEN NOT star_eligible THEN '{REASON_NOT_ELIGIBLE}' WHEN unanswered_reason IS NULL "
        f"THEN '{REASON_ANSWERED}' WHEN unanswered_reason::VARCHAR IN ('safety_screen', 'unknown') "
        f"THEN '{REASON_SCREENED}' ELSE unanswered_reason::VARCHAR END"
    ),
    "outcome": "outcome::VARCHAR",
    "repeat_contact_90d": "repeat_contact_90d::VARCHAR",
    "month": "strftime(week, '%Y-%m')",
    "response_band": (
        "CASE WHEN response_minutes IS NULL OR response_minutes >= 30 THEN '30+' "
        "ELSE lpad((response_minutes // 10 * 10)::VARCHAR, 2, '0') || '-' "
        "|| lpad((response_minutes // 10 * 10 + 9)::VARCHAR, 2, '0') END"
    ),
}
assert tuple(COUNCIL_VALUE_SQL) == COUNCIL_MEASURES  # noqa: S101 (one list, two places)
def _measure_sql(src: str, keys: str, measures: tuple[str, ...]) -> str:
    """One SELECT per measure of ``keys``, measure, value and calls over ``src`` (UNION ALL);
    the query must define the CTE ``alt`` (``ALT_CTE``)."""
    parts = []
    for measure in measures:
        where = f"WHERE {IS_ALT}" if measure in council_links.ALT_ONLY else ""
        parts.append(f"SELECT {keys}, '{measure}' AS measure, {COUNCIL_VALUE_SQL[measure]} AS value, "
                     f"count(*)::BIGINT AS n FROM {src} LEFT JOIN alt a USING (jurisdiction, response_type) "
                     f"{where} GROUP BY ALL")
    return " UNION ALL ".join(parts)


def council_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Calls per council district x year x (measure, value), zeros filled in.

    Every council district of a year has every category any district has that year, so a
    district's zero is published as 0 rather than left out (a missing row would say as much).
    """
    if not _has(con, "council_district IS NOT NULL"):
        return _typed(pd.DataFrame(columns=[*CUBE_COUNCIL.dims, "n"]), CUBE_COUNCIL)
    keys = (f"jurisdiction, year(week)::INTEGER AS year, coalesce(council_district, '{UNKNOWN_AREA}') "
            "AS council_district")
    sql = f"WITH {ALT_CTE.format(src='published')} " + _measure_sql("published", keys, COUNCIL_MEASURES)
    counts = _typed(con.execute(sql).df(), CUBE_COUNCIL)
    districts = counts[["jurisdiction", "year", "council_district"]].drop_duplicates()
    values = counts[["jurisdiction", "year", "measure", "value"]].drop_duplicates()
    grid = districts.merge(values, on=["jurisdiction", "year"])
    full = grid.merge(counts, on=list(CUBE_COUNCIL.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, CUBE_COUNCIL).sort_values(list(CUBE_COUNCIL.dims)).reset_index(drop=True)


def service_cube(con: duckdb.DuckDBPyConnection, k: int) -> pd.DataFrame:
    """Calls with a recorded time on task and their total minutes; under k calls hidden.

    Not part of the audited system: its cells are no split of anything published (a
    program's calls with a time are at most its calls in the rows, which are k or more).
    """
    frame = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        "count(*)::BIGINT AS n, sum(busy_minutes)::BIGINT AS busy_minutes FROM published "
        "WHERE busy_minutes IS NOT NULL GROUP BY ALL ORDER BY ALL"
    ).df()
    frame = _typed(frame, CUBE_SERVICE)
    small = frame["n"] < k
    out = frame.astype({"n": "Int64", "busy_minutes": "Int64"})
    out["suppressed"] = small.to_numpy()
    out.loc[small, ["n", "busy_minutes"]] = pd.NA
    return out


# -- the totals the public files give ----------------------------------------------------------


def _council_by(con: duckdb.DuckDBPyConnection, extra: tuple[str, ...] = ()) -> pd.DataFrame:
    """Calls per (jurisdiction, year, ``extra``) x (measure, value) of every council measure,
    from the public files: ``calls`` for the measures the rows carry, ``rollup_minutes``
    (plus the alternative team's calls without a minute, which are in the band ``30+``)
    for ``response_band``."""
    split = tuple(m for m in COUNCIL_MEASURES if m != "response_band")
    more = "".join(f", {c}" for c in extra)
    band = COUNCIL_VALUE_SQL["response_band"]
    sql = (
        f"WITH {ALT_CTE.format(src='calls')}, "
        "m AS (SELECT r.*, year(month)::INTEGER AS year FROM rollup_minutes r "
        "  SEMI JOIN alt USING (jurisdiction, response_type)), "
        f"tc AS (SELECT jurisdiction, year(week)::INTEGER AS year{more}, count(*) AS n FROM calls "
        "  SEMI JOIN alt USING (jurisdiction, response_type) GROUP BY ALL), "
        f"mc AS (SELECT jurisdiction, year{more}, sum(n) AS n FROM m GROUP BY ALL) "
        f"SELECT jurisdiction, year{more}, measure, value, sum(n)::BIGINT AS n FROM ("
        + _measure_sql("calls", f"jurisdiction, year(week)::INTEGER AS year{more}", split)
        + f" UNION ALL SELECT jurisdiction, year{more}, 'response_band', {band}, sum(n)::BIGINT FROM m "
        "GROUP BY ALL"
        + f" UNION ALL SELECT jurisdiction, year{more}, 'response_band', '{BAND_NO_UNIT}', "
        f"(tc.n - coalesce(mc.n, 0))::BIGINT FROM tc LEFT JOIN mc USING (jurisdiction, year{more})"
        ") GROUP BY ALL"
    )
    frame = con.execute(sql).df()
    frame = frame[frame["n"] > 0]
    return frame.astype({c: {"year": "int32", "n": "int64"}.get(c, "string") for c in frame.columns}
                        ).reset_index(drop=True)


def alt_programs(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """(jurisdiction, response_type) of the alternative team's programs, from the public rows."""
    frame = con.execute(f"WITH {ALT_CTE.format(src='calls')} SELECT * FROM alt ORDER BY ALL").df()
    return frame.astype("string")


def public_margins(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Totals every audited cube adds up to, computed from the public ``calls`` and
    ``rollup_minutes`` views only (validate runs this on the published files).

    * ``eligible``: eligible calls per (jurisdiction, year, district);
    * ``precinct``: calls per (jurisdiction, year, district, response_type, star_eligible)
      of districts other than ``citywide``;
    * ``council``: calls per (jurisdiction, year, measure, value) for every council measure.
    """
    eligible = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, district, count(*)::BIGINT AS n FROM calls "
        "WHERE star_eligible GROUP BY ALL"
    ).df()
    precinct = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, district, "
        f"response_type::VARCHAR AS response_type, star_eligible, count(*)::BIGINT AS n FROM calls "
        f"WHERE district <> '{CITYWIDE}' GROUP BY ALL"
    ).df()
    types = {"year": "int32", "n": "int64", "star_eligible": "bool"}
    out = {
        name: frame.astype({c: types.get(c, "string") for c in frame.columns}).reset_index(drop=True)
        for name, frame in (("eligible", eligible), ("precinct", precinct))
    }
    out["council"] = _council_by(con)
    out["alt"] = alt_programs(con)
    return out


def district_margins(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """The rows' totals by police district that the deep audit (``council_links``) ties the
    council cells to, from the public ``calls`` and ``rollup_minutes`` only:

    * ``joint``: calls per (jurisdiction, year, district) and combination of the council
      measures that are columns of the rows (program, reason, outcome, repeat contact);
    * ``month_by_district`` / ``response_band_by_district``: calls per (..., district,
      value) (the alternative team's bands from ``rollup_minutes``; its calls without a
      minute are in the band ``30+``).
    """
    joint_cols = ", ".join(f"{COUNCIL_VALUE_SQL[m]} AS {m}" for m in council_links.JOINT_MEASURES)
    joint = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, district, {joint_cols}, count(*)::BIGINT AS n "
        "FROM calls GROUP BY ALL"
    ).df()
    joint = joint[joint["n"] > 0].astype({c: {"year": "int32", "n": "int64"}.get(c, "string")
                                          for c in joint.columns}).reset_index(drop=True)
    by_district = _council_by(con, ("district",))
    out = {"joint": joint, "alt": alt_programs(con)}
    for measure in council_links.SEPARATE_MEASURES:
        part = by_district[by_district["measure"] == measure].drop(columns="measure")
        out[f"{measure}_by_district"] = part.reset_index(drop=True)
    return out


# -- the linear system ------------------------------------------------------------------------


@dataclass
class CubeCells:
    """Where each audited cube's rows sit among the system's columns."""

    ids: dict[str, np.ndarray]


def _labels(table: Table, frame: pd.DataFrame) -> list[str]:
    dims = [d for d in table.dims if d != "jurisdiction"]
    text = frame[dims].astype(str)
    joined = text.iloc[:, 0].radd(f"{dims[0]}=")
    for d in dims[1:]:
        joined = joined + f" {d}=" + text[d]
    return [f"{table.name} {j}" for j in joined] if len(frame) else []


def _matched(frame: pd.DataFrame, margins: pd.DataFrame, keys: list[str]
             ) -> tuple[np.ndarray, np.ndarray, int]:
    """Group ids of ``frame`` by ``keys`` and the right-hand side (from ``margins``) per group.

    Groups present in the margins but absent from the cube (no cell) and the reverse both
    get a relation, so a mismatch shows up as an inconsistent relation, never silently.
    """
    left = frame[keys].drop_duplicates()
    right = margins[keys].drop_duplicates()
    groups = pd.concat([left, right]).drop_duplicates().sort_values(keys).reset_index(drop=True)
    groups["_g"] = np.arange(len(groups))
    member_group = frame[keys].merge(groups, on=keys, how="left")["_g"].to_numpy(np.int64)
    rhs = groups.merge(margins.groupby(keys, as_index=False, observed=True)["n"].sum(), on=keys,
                       how="left")["n"].fillna(0).to_numpy(float)
    return member_group, rhs, len(groups)


def release_system(cubes: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame],
                   deep: dict[str, pd.DataFrame] | None = None) -> tuple[disclosure.LinearSystem, CubeCells]:
    """Every cell of the audited cubes and every linear relation an attacker knows between them.

    ``cubes`` frames have their dims, ``n`` (true counts at build time; published counts,
    NA where hidden, when read back) and ``suppressed``. Relations:

    * precinct: a district's precincts add up to the rows' calls of that district, year,
      program and eligibility;
    * coverage: an area's 168 cells add up to its eligible calls (the rows' for the city
      and police districts; the council cube's eligible cells, summed over programs, for a
      council district), and for each weekday-hour the areas of one type add up to the
      city's cell;
    * council: every measure of a (year, council district, program) group adds up to the
      same unpublished total, and each (year, program, measure, value) adds up over council
      districts to the rows' city total.

    With ``deep`` (``district_margins``), the council cells are also the marginals of a
    hidden joint table tied to the rows by police district (``council_links``): the
    attacker of the outside review, who also uses the identities between measures and the
    police districts a council district can draw calls from. That system is several times
    larger; ``validate`` solves it too (``--shallow`` skips it).
    """
    b = disclosure.SystemBuilder()
    ids: dict[str, np.ndarray] = {}
    for table in AUDITED:
        frame = cubes.get(table.name)
        if frame is None or frame.empty:
            ids[table.name] = np.zeros(0, np.int64)
            continue
        values = pd.to_numeric(frame["n"], errors="coerce").astype(float).to_numpy()
        ids[table.name] = b.add_cells(_labels(table, frame), values, frame["suppressed"].to_numpy(bool))

    _precinct_relations(b, cubes, margins, ids)
    council = cubes.get(CUBE_COUNCIL.name)
    _council_relations(b, cubes, margins, ids)
    if deep is not None and council is not None and not council.empty:
        # Implied by the links, but kept: the relation-by-relation checks (no relation with
        # exactly one hidden cell) need them written out.
        council_links.add_council_links(b, cubes, ids, deep, council_links.all_pairs(deep, council))
    _coverage_relations(b, cubes, margins, ids)
    return b.build(), CubeCells(ids)


def _precinct_relations(b: disclosure.SystemBuilder, cubes: dict[str, pd.DataFrame],
                        margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_PRECINCT.name)
    if frame is None or frame.empty:
        return
    keys = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    group, rhs, _ = _matched(frame, margins["precinct"], keys)
    b.add_relations(group, ids[CUBE_PRECINCT.name], 1.0, rhs, constant=True)


def _council_relations(b: disclosure.SystemBuilder, cubes: dict[str, pd.DataFrame],
                       margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_COUNCIL.name)
    if frame is None or frame.empty:
        return
    council = frame.assign(_id=ids[CUBE_COUNCIL.name])
    council_links.measure_totals(b, council, margins["alt"])
    # Over council districts, each category adds up to the rows' city total.
    city_keys = ["jurisdiction", "year", "measure", "value"]
    council_links.relate(b, [(council, 1.0)], city_keys, margins["council"])


def _coverage_relations(b: disclosure.SystemBuilder, cubes: dict[str, pd.DataFrame],
                        margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_COVERAGE.name)
    if frame is None or frame.empty:
        return
    cells = ids[CUBE_COVERAGE.name]
    eligible = margins["eligible"]
    area_keys = ["jurisdiction", "year", "area_type", "area"]
    # City and police-district areas: their year adds up to the rows' eligible calls.
    city_margin = eligible.groupby(["jurisdiction", "year"], as_index=False)["n"].sum().assign(
        area_type=AREA_CITY, area=CITYWIDE)
    district_margin = eligible.assign(area_type=AREA_DISTRICT).rename(columns={"district": "area"})
    has_districts = (frame["area_type"] == AREA_DISTRICT).any()
    margin = pd.concat([city_margin, district_margin] if has_districts else [city_margin])
    known = frame["area_type"].isin([AREA_CITY, AREA_DISTRICT]).to_numpy()
    group, rhs, _ = _matched(frame[known], margin[area_keys + ["n"]], area_keys)
    b.add_relations(group, cells[known], 1.0, rhs, constant=True)
    # Council areas: their year adds up to the council cube's eligible cells (every reason
    # but ``not_eligible``).
    council = frame["area_type"] == AREA_COUNCIL
    cc = cubes.get(CUBE_COUNCIL.name)
    if council.any() and cc is not None and not cc.empty:
        sub = frame[council.to_numpy()]
        area_rel = disclosure.group_ids(sub, area_keys)
        areas = sub[area_keys].drop_duplicates().sort_values(area_keys).reset_index(drop=True)
        areas["_rel"] = np.arange(len(areas))
        is_el = ((cc["measure"] == "reason") & (cc["value"] != REASON_NOT_ELIGIBLE)).to_numpy()
        el = cc[is_el].assign(_id=ids[CUBE_COUNCIL.name][is_el])
        link = el.merge(areas, left_on=["jurisdiction", "year", "council_district"],
                        right_on=["jurisdiction", "year", "area"])
        b.add_relations(np.concatenate([area_rel, link["_rel"].to_numpy(np.int64)]),
                        np.concatenate([cells[council.to_numpy()], link["_id"].to_numpy(np.int64)]),
                        np.concatenate([np.ones(int(council.sum())), -np.ones(len(link))]),
                        np.zeros(len(areas)), constant=False)
    # Each weekday-hour: the areas of a type add up to the city's cell.
    city = (frame["area_type"] == AREA_CITY).to_numpy()
    city_cells = frame[city].assign(_id=cells[city])
    for area_type in (AREA_DISTRICT, AREA_COUNCIL):
        part = (frame["area_type"] == area_type).to_numpy()
        if not part.any():
            continue
        sub = frame[part]
        cell_keys = ["jurisdiction", "year", "weekday", "hour"]
        rel = disclosure.group_ids(sub, cell_keys)
        slots = sub[cell_keys].drop_duplicates().sort_values(cell_keys).reset_index(drop=True)
        slots["_rel"] = np.arange(len(slots))
        link = slots.merge(city_cells[[*cell_keys, "_id"]], on=cell_keys)
        b.add_relations(np.concatenate([rel, link["_rel"].to_numpy(np.int64)]),
                        np.concatenate([cells[part], link["_id"].to_numpy(np.int64)]),
                        np.concatenate([np.ones(int(part.sum())), -np.ones(len(link))]),
                        np.zeros(len(slots)), constant=False)


# -- suppression and writing ---------------------------------------------------------------------


def complement_tier(name: str, frame: pd.DataFrame) -> np.ndarray:
    """How much a reader loses when a cell is hidden as a complement, from structure alone.

    0: leftovers no page shows as a place ('citywide' and 'unknown' areas, precincts and
    council districts); 2: the city's own hour cells, which every coverage grid and the
    planner read, and the council cells the district profile headlines (its calls, calls
    per program, eligible, answered and out-of-hours calls, repeat contacts); 1: everything
    else. Counts play no part (``disclosure`` module doc).
    """
    tier = np.ones(len(frame), np.int64)
    leftovers = (CITYWIDE, UNKNOWN_AREA)
    if name == CUBE_COVERAGE.name:
        tier[frame["area"].isin(leftovers).to_numpy() & (frame["area_type"] != AREA_CITY).to_numpy()] = 0
        tier[(frame["area_type"] == AREA_CITY).to_numpy()] = 2
    elif name == CUBE_COUNCIL.name:
        measure, value = frame["measure"], frame["value"]
        key = (measure.isin(["calls", "program", "repeat_contact_90d"])
               | ((measure == "reason") & value.isin([REASON_ANSWERED, REASON_NOT_ELIGIBLE, "out_of_hours"])))
        tier[key.to_numpy()] = 2
        tier[(frame["council_district"] == UNKNOWN_AREA).to_numpy()] = 0
    elif name == CUBE_PRECINCT.name:
        tier[(frame["precinct"] == UNKNOWN_AREA).to_numpy()] = 0
    return tier


def suppression_key(seed: int) -> bytes:
    """The key of the complement order: from the release's seed, which ingest derives from
    the city's secret salt (never published)."""
    return hashlib.blake2b(f"cube-complements-{int(seed)}".encode(), digest_size=32).digest()


#: Deep and per-measure passes of ``suppress`` before it gives up (one or two suffice).
MAX_PASSES = 6


def suppress(cubes: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int,
             key: bytes, deep: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The published cubes: primary cells of 1..k-1 and the complements ``protect`` chooses
    hidden (``n`` NA, ``suppressed`` true).

    With ``deep`` (``district_margins``) and a council cube, a second pass protects against
    the deep system too (``council_links``: the council cells tied to the rows by police
    district), starting from the first pass's cells: the first, on the smaller system,
    does most of the work; the second adds what the rows by police district would reveal.
    """
    frames = {name: frame.assign(suppressed=False) for name, frame in cubes.items()}
    frames = _protected(frames, margins, k, key, None)
    council = frames.get(CUBE_COUNCIL.name)
    if deep is not None and council is not None and not council.empty:
        for _ in range(MAX_PASSES):
            frames = _protected(frames, margins, k, key, deep)
            # The rule is about cells that *could* be small: the deep attacker may know a
            # cell is k or more (nothing to protect) where the per-measure one only knows
            # it is 3 or more, which the rule does not allow. Both audits must pass.
            again = _protected(frames, margins, k, key, None)
            if all(again[n]["suppressed"].equals(frames[n]["suppressed"]) for n in frames):
                break
            frames = again
        else:
            raise disclosure.ProtectionError(f"the two audits did not agree in {MAX_PASSES} passes")
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        frame["n"] = frame["n"].astype("Int64").mask(frame["suppressed"].to_numpy(bool))
        out[name] = frame
    return out


def _protected(frames: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int, key: bytes,
               deep: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    """``frames`` (true counts) with ``suppressed`` widened until ``protect`` passes.

    The deep pass leaves the coverage cube out of its system: tied to the council cells
    only through each council district's eligible calls, its thousands of hour cells would
    make every LP of the pass many times larger for a second-order effect. ``validate``
    (which the builder runs before publishing) audits the deep system with them, so a
    release this shortcut let through is refused, never published.
    """
    if deep is not None:
        part = {name: frame for name, frame in frames.items() if name != CUBE_COVERAGE.name}
        return {**frames, **_protect_system(part, margins, k, key, deep)}
    return _protect_system(frames, margins, k, key, None)


def _protect_system(frames: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int, key: bytes,
                    deep: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    system, where = release_system(frames, margins, deep)
    tier = np.ones(system.size, np.int64)
    for name, frame in frames.items():
        tier[where.ids[name]] = complement_tier(name, frame)
    scope = None
    if deep is not None:
        # The deep relations tie the council cells to the rows: the deep pass checks those
        # (the per-measure pass checks everything, and validate both systems in full).
        scope = np.zeros(system.size, bool)
        scope[where.ids[CUBE_COUNCIL.name]] = True
    hidden = disclosure.protect(system, k, key, tier=tier, scope=scope)
    return {name: frame.assign(suppressed=hidden[where.ids[name]]) for name, frame in frames.items()}


_ARROW = {"int32": pa.int32(), "int64": pa.int64(), "Int64": pa.int64(), "bool": pa.bool_(),
          "boolean": pa.bool_()}


def _write(frame: pd.DataFrame, table: Table, path: str) -> None:
    """Parquet with a fixed schema, so an empty cube (no council layer) has typed columns."""
    fields = [
        pa.field(c, _ARROW.get(str(frame[c].dtype), pa.string()))
        for c in (*table.dims, *table.measures, "suppressed")
    ]
    arrow = pa.Table.from_pandas(frame[[f.name for f in fields]], schema=pa.schema(fields),
                                 preserve_index=False)
    pq.write_table(arrow, path, compression="zstd")


def write_cubes(con: duckdb.DuckDBPyConnection, out: str, k: int, seed: int) -> None:
    """Write every cube into the release folder ``out``.

    ``con`` has the view ``published`` and the public ``calls`` and ``rollup_minutes``
    (the files already written), whose totals the audited cubes are protected against.
    """
    counts = {
        CUBE_PRECINCT.name: precinct_counts(con),
        CUBE_COVERAGE.name: coverage_counts(con),
        CUBE_COUNCIL.name: council_counts(con),
    }
    published = suppress(counts, public_margins(con), k, suppression_key(seed), deep=district_margins(con))
    for table in AUDITED:
        _write(published[table.name], table, f"{out}/{table.name}.parquet")
    _write(service_cube(con, k), CUBE_SERVICE, f"{out}/{CUBE_SERVICE.name}.parquet")


def cross_measure_differencing(council: pd.DataFrame | None, margins: dict[str, pd.DataFrame],
                               k: int, limit: int = 3) -> list[str]:
    """Council cells narrowed because every measure of a group splits the same calls.

    A (year, council district)'s total is known as soon as one of its measures that
    split all its calls has no hidden cell; every other measure's hidden cells then add up to a
    known number. One hidden cell is recovered exactly; several adding up to fewer than
    k-1 (when the rows' city totals allow more) are each provably small.
    """
    if council is None or council.empty:
        return []
    group = ["jurisdiction", "year", "council_district"]
    council = council[~council["measure"].isin(council_links.ALT_ONLY)]
    frame = council.assign(hidden=council["suppressed"].astype(bool),
                           shown=pd.to_numeric(council["n"], errors="coerce").fillna(0))
    city = margins["council"].rename(columns={"n": "city"})
    frame = frame.merge(city, on=["jurisdiction", "year", "measure", "value"], how="left")
    frame["cap"] = frame["city"].fillna(0).where(frame["hidden"], 0)
    per = frame.groupby([*group, "measure"], observed=True).agg(
        published=("shown", "sum"), hidden=("hidden", "sum"), cap=("cap", "max")).reset_index()
    totals = per[per["hidden"] == 0].groupby(group, observed=True)["published"].first().rename("total")
    per = per.merge(totals.reset_index(), on=group)
    per = per[per["hidden"] > 0]
    per["rest"] = per["total"] - per["published"]
    exact = per[per["hidden"] == 1]
    small = per[(per["hidden"] > 1) & (per["rest"] < np.minimum(k - 1, per["cap"]))]
    out = []

    def name(r: pd.Series) -> str:
        return f"{r['year']} council district {r['council_district']} {r['measure']}"

    if len(exact):
        shown = "; ".join(f"{name(r)} = {r['rest']:g}" for _, r in exact.head(limit).iterrows())
        out.append(f"{len(exact):,} hidden cells recovered exactly from a group total another measure "
                   f"publishes: {shown}")
    if len(small):
        shown = "; ".join(f"{name(r)}: {int(r['hidden'])} hidden cells add up to {r['rest']:g}"
                          for _, r in small.head(limit).iterrows())
        out.append(f"{len(small):,} measures whose hidden cells add up to fewer than k-1={k - 1}: {shown}")
    return out
