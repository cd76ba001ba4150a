"""What the cubes count: true counts from the calls a release publishes, and the public totals.

The counts (``precinct_counts``, ``coverage_counts``, ``night_counts``, ``council_counts``,
``outcome_period_counts``, ``service_cube``)
are computed at build time over the view ``published`` (module ``dashboard.publish.cubes``
says what each cube holds), as complete grids with zeros filled in. The totals
(``public_margins``, ``district_margins``) are what the public ``calls`` and
``rollup_minutes`` give: the right-hand sides of the relations between the cubes and the
rows, which the build protects against and ``validate`` recomputes from the files.

Kept apart from the suppression and the linear system: this is the SQL that reads a
release's calls, one definition of each council measure (``COUNCIL_VALUE_SQL``) shared by
the counts and the totals, so the two cannot drift apart.
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dashboard.contract.schema import (
    AREA_CITY,
    AREA_COUNCIL,
    AREA_DISTRICT,
    BAND_NO_UNIT,
    CITYWIDE,
    COUNCIL_MEASURES,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_FOLLOWUP,
    CUBE_NIGHT,
    CUBE_OUTCOME_PERIOD,
    CUBE_POLICE_TIME,
    CUBE_PRECINCT,
    CUBE_SERVICE,
    FOLLOWED_NO,
    FOLLOWED_UNKNOWN,
    FOLLOWED_VALUES,
    FOLLOWED_YES,
    FOLLOWUP_DAYS,
    NIGHT_HOURS,
    NIGHT_REASONS,
    OUTCOME_GROUP_VALUES,
    OUTCOME_GROUPS,
    OUTCOME_RECORDED,
    PERIOD_DAY,
    PERIOD_NIGHT,
    PERIODS,
    POLICE_ONLY,
    REASON_ANSWERED,
    REASON_NOT_ELIGIBLE,
    REASON_OTHER,
    REASON_SCREENED,
    UNKNOWN_AREA,
    Table,
)
from dashboard.publish import council_links

WEEKDAYS = range(7)
HOURS = range(24)

#: Columns of ``published`` beyond the contract's that these cubes read (``staging.stage``).
STAGED_EXTRA = ("weekday", "hour", "precinct", "council_district", "busy_minutes", "response_minutes",
                "followed_90d")

_TYPES = {"year": "int32", "weekday": "int32", "hour": "int32", "n": "int64", "busy_minutes": "int64",
          "star_eligible": "bool"}


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


def _area_counts(con: duckdb.DuckDBPyConnection, table: Table, columns: str, cells: pd.DataFrame,
                 years: str = "") -> pd.DataFrame:
    """Eligible calls of ``published`` by year x area x the ``cells`` columns (``columns``:
    their SQL over ``published``), for the city, each police district as the rows publish
    it and each council district, every cell of an area present (zeros included)."""
    names = ", ".join(cells.columns)
    select = ("SELECT jurisdiction, year, '{area_type}' AS area_type, {area} AS area, "
              f"{names}, count(*)::BIGINT AS n FROM e GROUP BY ALL")
    parts = [select.format(area_type=AREA_CITY, area=f"'{CITYWIDE}'")]
    if _has(con, f"district <> '{CITYWIDE}'"):
        parts.append(select.format(area_type=AREA_DISTRICT, area="district"))
    if _has(con, "council_district IS NOT NULL"):
        area = f"coalesce(council_district, '{UNKNOWN_AREA}')"
        parts.append(select.format(area_type=AREA_COUNCIL, area=area))
    only = f" AND (jurisdiction, year(week)::INTEGER) IN ({years})" if years else ""
    sql = ("WITH e AS (SELECT jurisdiction, year(week)::INTEGER AS year, district, council_district, "
           f"{columns} FROM published WHERE star_eligible{only}) " + " UNION ALL ".join(parts))
    counts = _typed(con.execute(sql).df(), table)
    groups = counts[["jurisdiction", "year", "area_type", "area"]].drop_duplicates()
    grid = groups.merge(cells, how="cross")
    full = grid.merge(counts, on=list(table.dims), how="left")
    full["n"] = full["n"].fillna(0)
    return _typed(full, table).sort_values(list(table.dims)).reset_index(drop=True)


def coverage_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Eligible calls by year x area x weekday x hour, every weekday-hour of an area present."""
    cells = pd.DataFrame([(d, h) for d in WEEKDAYS for h in HOURS], columns=["weekday", "hour"])
    return _area_counts(con, CUBE_COVERAGE, "weekday, hour", cells.astype("int32"))


#: ``period`` of a call in ``published`` (which carries its local hour).
PERIOD_SQL = (f"CASE WHEN hour IN ({', '.join(str(h) for h in NIGHT_HOURS)}) THEN '{PERIOD_NIGHT}' "
              f"ELSE '{PERIOD_DAY}' END")
#: ``reason`` of an eligible call in the night cube, over ``published`` or the public ``calls``.
NIGHT_REASON_SQL = (
    f"CASE WHEN unanswered_reason IS NULL THEN '{REASON_ANSWERED}' "
    "WHEN unanswered_reason::VARCHAR IN ('out_of_hours', 'no_team_available') "
    f"THEN unanswered_reason::VARCHAR ELSE '{REASON_OTHER}' END"
)


#: The years of ``cube_night``, over ``{src}`` (``published`` or the public ``calls``, which
#: agree): those in which the alternative team answered eligible calls in all twelve
#: months, as the rows show. A program's first, partial year (Denver's 2020 pilot) has
#: night cells so small that hiding them spread complements through the council cube
#: (every council district's calls of 2020 hidden); the rule reads public rows only, so
#: leaving such a year out tells nobody anything the rows do not.
FULL_YEARS_SQL = ("SELECT jurisdiction, year(week)::INTEGER FROM {src} "
                  "WHERE star_eligible AND unanswered_reason IS NULL "
                  "GROUP BY ALL HAVING count(DISTINCT month(week)) = 12")


def night_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Eligible calls by year x area x period (night, day) x reason, every cell present,
    for the years the alternative program ran all year (``FULL_YEARS_SQL``)."""
    cells = pd.DataFrame([(p, r) for p in PERIODS for r in NIGHT_REASONS], columns=["period", "reason"])
    return _area_counts(con, CUBE_NIGHT, f"{PERIOD_SQL} AS period, {NIGHT_REASON_SQL} AS reason",
                        cells.astype("string"), years=FULL_YEARS_SQL.format(src="published"))


#: ``outcome_group`` of a call, over ``published`` or the public ``calls``.
OUTCOME_GROUP_SQL = "CASE " + " ".join(
    "WHEN outcome::VARCHAR IN ({}) THEN '{}'".format(", ".join(f"'{o}'" for o in outcomes), group)
    for group, outcomes in OUTCOME_GROUPS.items()
) + " END"


def _recorded_totals(counts: pd.DataFrame, extra: list[str]) -> pd.DataFrame:
    """The ``recorded`` cells: per (jurisdiction, year, program, eligibility, *extra), the
    calls of every group but ``not_recorded``."""
    keys = ["jurisdiction", "year", "response_type", "star_eligible", *extra]
    recorded = counts[counts["outcome_group"] != "not_recorded"]
    totals = recorded.groupby(keys, as_index=False, observed=True)["n"].sum()
    return totals.assign(outcome_group=OUTCOME_RECORDED).astype({"outcome_group": "string"})


def outcome_period_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """City-wide calls by year x program x eligibility x period x outcome group, every
    period and group of a (year, program, eligibility) present (zeros included)."""
    counts = _typed(con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        f"star_eligible, {PERIOD_SQL} AS period, {OUTCOME_GROUP_SQL} AS outcome_group, "
        "count(*)::BIGINT AS n FROM published GROUP BY ALL"
    ).df(), CUBE_OUTCOME_PERIOD)
    counts = pd.concat([counts, _recorded_totals(counts, ["period"])], ignore_index=True)
    groups = counts[["jurisdiction", "year", "response_type", "star_eligible"]].drop_duplicates()
    cells = pd.DataFrame([(p, g) for p in PERIODS for g in OUTCOME_GROUP_VALUES],
                         columns=["period", "outcome_group"]).astype("string")
    full = groups.merge(cells, how="cross").merge(counts, on=list(CUBE_OUTCOME_PERIOD.dims), how="left")
    full["n"] = full["n"].fillna(0)
    dims = list(CUBE_OUTCOME_PERIOD.dims)
    return _typed(full, CUBE_OUTCOME_PERIOD).sort_values(dims).reset_index(drop=True)


#: The weeks whose calls' 90 days after lie wholly inside the data, over ``{src}`` (``published``
#: or the public ``calls``, so ``validate`` finds the same weeks): the week's last day plus 90
#: days falls before the Monday of the city's last week, a day every release holds calls
#: after. A month-generalized row counts by the week it publishes (its month's first day).
FOLLOWUP_WEEKS_SQL = (
    "week + INTERVAL " + str(FOLLOWUP_DAYS + 7) + " DAY <= "
    "(SELECT max(m.week) FROM {src} m WHERE m.jurisdiction = {alias}.jurisdiction)"
)
FOLLOWED_SQL = (f"CASE WHEN followed_90d THEN '{FOLLOWED_YES}' WHEN NOT followed_90d THEN '{FOLLOWED_NO}' "
                f"ELSE '{FOLLOWED_UNKNOWN}' END")


def followup_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Calls per year x program x followed (``FOLLOWED_SQL``) in the weeks of
    ``FOLLOWUP_WEEKS_SQL``, every value of a (year, program) present (zeros included)."""
    counts = _typed(con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        f"{FOLLOWED_SQL} AS followed, count(*)::BIGINT AS n FROM published p "
        f"WHERE {FOLLOWUP_WEEKS_SQL.format(src='published', alias='p')} GROUP BY ALL"
    ).df(), CUBE_FOLLOWUP)
    groups = counts[["jurisdiction", "year", "response_type"]].drop_duplicates()
    values = pd.DataFrame({"followed": list(FOLLOWED_VALUES)}).astype("string")
    full = groups.merge(values, how="cross").merge(counts, on=list(CUBE_FOLLOWUP.dims), how="left")
    full["n"] = full["n"].fillna(0)
    dims = list(CUBE_FOLLOWUP.dims)
    return _typed(full, CUBE_FOLLOWUP).sort_values(dims).reset_index(drop=True)


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


#: The police-only programs as an SQL list (contract enum values, never data).
_POLICE_SQL = ", ".join(f"'{p.value}'" for p in POLICE_ONLY)


def service_cube(con: duckdb.DuckDBPyConnection, k: int) -> pd.DataFrame:
    """Calls with a recorded time on task and their total minutes, per program and year
    (police alone left out: ``police_time_cube``); under k calls hidden.

    Not part of the audited system: its cells are no split of anything published (a
    program's calls with a time are at most its calls in the rows, which are k or more).
    """
    return _time_cube(con, k, CUBE_SERVICE, "response_type::VARCHAR AS response_type",
                      f"response_type::VARCHAR NOT IN ({_POLICE_SQL})")


def police_time_cube(con: duckdb.DuckDBPyConnection, k: int) -> pd.DataFrame:
    """Eligible calls answered by police alone with a recorded time, and their total
    minutes, per call category and year; under k calls hidden.

    Not audited either, for the same reason, and no other file totals these calls' time
    (``cube_service`` leaves police alone out), so no hidden cell is a difference.
    """
    return _time_cube(con, k, CUBE_POLICE_TIME, "call_category::VARCHAR AS call_category",
                      f"star_eligible AND response_type::VARCHAR IN ({_POLICE_SQL})")


def _time_cube(con: duckdb.DuckDBPyConnection, k: int, table: Table, dim: str, where: str) -> pd.DataFrame:
    # ``where`` is built from the contract's enum values above, never from data.
    frame = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, {dim}, "
        "count(*)::BIGINT AS n, sum(busy_minutes)::BIGINT AS busy_minutes FROM published "
        f"WHERE busy_minutes IS NOT NULL AND {where} GROUP BY ALL ORDER BY ALL"
    ).df()
    frame = _typed(frame, table)
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
    * ``reasons``: the same split by the night cube's ``reason`` (``NIGHT_REASON_SQL``), in
      the night cube's years (``FULL_YEARS_SQL``);
    * ``precinct``: calls per (jurisdiction, year, district, response_type, star_eligible)
      of districts other than ``citywide``;
    * ``council``: calls per (jurisdiction, year, measure, value) for every council measure;
    * ``outcomes``: calls per (jurisdiction, year, response_type, star_eligible,
      outcome_group, ``recorded`` included): what the outcome cube's two periods add up to;
    * ``followup``: calls per (jurisdiction, year, response_type) in the follow-up cube's
      weeks (``FOLLOWUP_WEEKS_SQL``): what its values add up to;
    * ``alt_exact``: the cities whose eligible calls answered (no ``unanswered_reason``) are
      exactly the eligible calls of the alternative team's programs, where the outcome
      cube's alternative-team cells are the night cube's ``answered`` ones.
    """
    eligible = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, district, count(*)::BIGINT AS n FROM calls "
        "WHERE star_eligible GROUP BY ALL"
    ).df()
    reasons = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, district, {NIGHT_REASON_SQL} AS reason, "
        "count(*)::BIGINT AS n FROM calls WHERE star_eligible "
        f"AND (jurisdiction, year(week)::INTEGER) IN ({FULL_YEARS_SQL.format(src='calls')}) GROUP BY ALL"
    ).df()
    precinct = con.execute(
        f"SELECT jurisdiction, year(week)::INTEGER AS year, district, "
        f"response_type::VARCHAR AS response_type, star_eligible, count(*)::BIGINT AS n FROM calls "
        f"WHERE district <> '{CITYWIDE}' GROUP BY ALL"
    ).df()
    outcomes = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        f"star_eligible, {OUTCOME_GROUP_SQL} AS outcome_group, count(*)::BIGINT AS n FROM calls GROUP BY ALL"
    ).df()
    followup = con.execute(
        "SELECT jurisdiction, year(week)::INTEGER AS year, response_type::VARCHAR AS response_type, "
        f"count(*)::BIGINT AS n FROM calls c WHERE {FOLLOWUP_WEEKS_SQL.format(src='calls', alias='c')} "
        "GROUP BY ALL"
    ).df()
    types = {"year": "int32", "n": "int64", "star_eligible": "bool"}
    outcomes = outcomes.astype({c: types.get(c, "string") for c in outcomes.columns})
    outcomes = pd.concat([outcomes, _recorded_totals(outcomes, [])], ignore_index=True)
    out = {
        name: frame.astype({c: types.get(c, "string") for c in frame.columns}).reset_index(drop=True)
        for name, frame in (("eligible", eligible), ("reasons", reasons), ("precinct", precinct),
                            ("outcomes", outcomes), ("followup", followup))
    }
    out["council"] = _council_by(con)
    out["alt"] = alt_programs(con)
    out["alt_exact"] = con.execute(
        f"WITH {ALT_CTE.format(src='calls')} SELECT c.jurisdiction FROM calls c LEFT JOIN alt a "
        "ON a.jurisdiction = c.jurisdiction AND a.response_type = c.response_type GROUP BY ALL "
        f"HAVING count(*) FILTER (WHERE c.star_eligible AND (c.unanswered_reason IS NULL) <> ({IS_ALT})) = 0"
    ).df().astype("string")
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
