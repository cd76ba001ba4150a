"""Privacy rules, applied once at release time and re-checked on a finished release.

Rules (DESIGN.md "Privacy rules"): no direct identifiers; time at most to the hour and
hour only inside suppressed cubes; place at most to the precinct and precinct only inside
suppressed cubes; the row-level file is k-anonymous on its quasi-identifiers; every cube
cell with 1..k-1 calls is suppressed, with complementary suppression.

Generalization ladder for rows in classes smaller than k (each step only merges rows
into coarser classes, so class sizes never shrink):

1. week -> month (``time_grain`` = ``month``, ``week`` = first day of that month);
2. district -> ``citywide``;
3. call category -> ``other``;
4. still too small: the row is withheld from the row-level file and counted in the
   manifest (its call still counts in the suppressed cubes).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from dashboard.data.schema import CITYWIDE, QUASI_IDENTIFIERS, CallCategory, TimeGrain

DEFAULT_K = 11


@dataclass(frozen=True)
class AnonymizationStats:
    generalized_time: int
    generalized_place: int
    generalized_category: int
    withheld: int


def _class_sizes(rows: pd.DataFrame) -> pd.Series:
    return rows.groupby(list(QUASI_IDENTIFIERS), dropna=False, observed=True)[
        QUASI_IDENTIFIERS[0]
    ].transform("size")


def month_start(weeks: pd.Series) -> pd.Series:
    """First day of the month of each date (a week belongs to the month of its Monday)."""
    return weeks.dt.to_period("M").dt.start_time.astype(weeks.dtype)


def k_anonymize(rows: pd.DataFrame, k: int = DEFAULT_K) -> tuple[pd.DataFrame, AnonymizationStats]:
    """Generalize (then withhold) rows until every quasi-identifier class has >= k rows."""
    rows = rows.copy()
    small = _class_sizes(rows) < k
    generalized_time = int(small.sum())
    if generalized_time:
        rows.loc[small, "week"] = month_start(rows.loc[small, "week"])
        rows.loc[small, "time_grain"] = TimeGrain.MONTH.value

    small = (_class_sizes(rows) < k) & (rows["district"] != CITYWIDE)
    generalized_place = int(small.sum())
    if generalized_place:
        rows.loc[small, "district"] = CITYWIDE

    small = (_class_sizes(rows) < k) & (rows["call_category"] != CallCategory.OTHER.value)
    generalized_category = int(small.sum())
    if generalized_category:
        rows.loc[small, "call_category"] = CallCategory.OTHER.value

    small = _class_sizes(rows) < k
    withheld = int(small.sum())
    if withheld:
        rows = rows.loc[~small]
    stats = AnonymizationStats(generalized_time, generalized_place, generalized_category, withheld)
    return rows.reset_index(drop=True), stats


def suppress_cells(cube: pd.DataFrame, k: int, margin_keys: list[str]) -> pd.DataFrame:
    """Hide counts 1..k-1 (primary), then protect one published margin (complementary).

    ``cube`` has a count column ``n``; it may hold explicit zero cells (zero is not a
    small count, but a zero cell may be hidden as a complement). ``margin_keys`` are the
    columns of a margin that is public elsewhere (e.g. year x district x program,
    derivable from the row-level file): within each margin group a lone suppressed cell
    could be recovered by subtraction, so the smallest published cell of that group is
    suppressed too, until every group has zero or at least two suppressed cells. A group
    with a single cell cannot be protected that way: give it zero cells first (see
    ``release.precinct_cube``). Returns ``n`` as nullable Int64 (NA where suppressed) and
    a boolean ``suppressed``.
    """
    return suppress_cells_margins(cube, k, [margin_keys])


def suppress_cells_margins(cube: pd.DataFrame, k: int, margins: list[list[str]]) -> pd.DataFrame:
    """``suppress_cells`` for a cube with several public margins (a two-way table).

    A cell of a district x weekday-hour table sits in two groups whose totals are public
    (the district's total, and the city's cell for that weekday-hour): hiding a
    complement in one group can leave a lone hidden cell in the other, so the passes
    repeat over every margin until no group of any margin has exactly one hidden cell.
    Each pass only adds hidden cells, so it ends. Ties are broken by the cube's sorted
    order, so the result depends on the data only, never on the order of input rows.
    """
    first = margins[0] if margins else []
    cube = cube.sort_values([*first, *[c for c in cube.columns if c not in first and c != "n"], "n"],
                            kind="stable").reset_index(drop=True)
    counts = cube["n"].to_numpy()
    suppressed = ((counts >= 1) & (counts < k)).copy()
    groupings = [
        cube.groupby(keys, dropna=False, observed=True, sort=False).ngroup().to_numpy() for keys in margins
    ]
    position = np.arange(len(cube))
    changed = True
    while changed:
        changed = False
        for group_ids in groupings:
            n_groups = int(group_ids.max()) + 1 if len(group_ids) else 0
            hidden = np.bincount(group_ids, weights=suppressed, minlength=n_groups)
            size = np.bincount(group_ids, minlength=n_groups)
            lone = (hidden == 1) & (size > 1)
            if not lone.any():
                continue
            # The smallest published cell of each lone group (first in cube order on ties).
            candidates = lone[group_ids] & ~suppressed
            idx = position[candidates]
            order = np.lexsort((idx, counts[idx], group_ids[idx]))
            picked = idx[order]
            first_of_group = np.ones(len(picked), bool)
            first_of_group[1:] = group_ids[picked][1:] != group_ids[picked][:-1]
            suppressed[picked[first_of_group]] = True
            changed = True
    out = cube.copy()
    out["suppressed"] = suppressed
    out["n"] = out["n"].astype("Int64").mask(out["suppressed"])
    return out


def class_size_violations(rows: pd.DataFrame, k: int) -> int:
    """Rows of a row-level table that sit in a quasi-identifier class smaller than k."""
    if rows.empty:
        return 0
    return int((_class_sizes(rows) < k).sum())


# -- the same ladder in DuckDB ---------------------------------------------------------
#
# Every row of one quasi-identifier class is transformed identically at every step of
# the ladder (the decision depends only on the class and its size), so the ladder can
# run on the table of classes with their row counts instead of on the rows: a few
# thousand class rows stand for millions of calls, and window sums of the counts are the
# class sizes. ``build_release`` joins the resulting map back onto the rows in one
# streaming pass, which keeps memory flat however many calls there are.
# ``k_anonymize`` above stays the reference; tests check both give the same rows.

#: The map from each input class to its published class (``*_in`` columns are the
#: input values); ``withheld`` rows are left out of the row-level file.
QI_MAP_TABLE = "qi_map"

_QI_SQL = ", ".join(QUASI_IDENTIFIERS)

#: (stats field, extra condition, replacements) for each generalization step, in order.
_SQL_STEPS: tuple[tuple[str, str, dict[str, str]], ...] = (
    (
        "generalized_time",
        "TRUE",
        {"week": "date_trunc('month', week)::DATE", "time_grain": f"'{TimeGrain.MONTH.value}'"},
    ),
    ("generalized_place", f"district <> '{CITYWIDE}'", {"district": f"'{CITYWIDE}'"}),
    (
        "generalized_category",
        f"call_category <> '{CallCategory.OTHER.value}'",
        {"call_category": f"'{CallCategory.OTHER.value}'"},
    ),
)


def k_anonymize_classes(con: duckdb.DuckDBPyConnection, rows: str, k: int = DEFAULT_K) -> AnonymizationStats:
    """Run the generalization ladder in DuckDB on the classes of relation ``rows``.

    ``rows`` names a table or view with the quasi-identifier columns (``week`` a DATE).
    Creates the temporary table ``qi_map``: one row per input class with its input values
    (``<column>_in``), its published values, its size ``n`` and ``withheld``. Quasi-
    identifiers must not be NULL (the release builder refuses such input first).
    """
    k = int(k)  # formatted into SQL: make sure it is a number
    inputs = ", ".join(f"{c} AS {c}_in" for c in QUASI_IDENTIFIERS)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
        f"SELECT {inputs}, {_QI_SQL}, count(*)::BIGINT AS n FROM {rows} GROUP BY ALL"
    )
    for flag, condition, replacements in _SQL_STEPS:
        small = f"(class_n < {k} AND {condition})"
        replace = ", ".join(f"CASE WHEN {small} THEN {expr} ELSE {col} END AS {col}"
                            for col, expr in replacements.items())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
            f"SELECT * EXCLUDE (class_n) REPLACE ({replace}), {small} AS {flag} "
            f"FROM (SELECT *, sum(n) OVER (PARTITION BY {_QI_SQL}) AS class_n FROM {QI_MAP_TABLE})"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
        f"SELECT *, sum(n) OVER (PARTITION BY {_QI_SQL}) < {k} AS withheld FROM {QI_MAP_TABLE}"
    )
    flags = [flag for flag, _, _ in _SQL_STEPS] + ["withheld"]
    sums = ", ".join(f"coalesce(sum(n) FILTER (WHERE {f}), 0)::BIGINT" for f in flags)
    counts = con.execute(f"SELECT {sums} FROM {QI_MAP_TABLE}").fetchall()[0]
    return AnonymizationStats(*(int(c) for c in counts))


def k_anonymize_sql(rows: pd.DataFrame, k: int = DEFAULT_K) -> tuple[pd.DataFrame, AnonymizationStats]:
    """``k_anonymize`` computed by the DuckDB ladder (for tests and notebooks).

    Same input and output as ``k_anonymize``: rows keep their order, withheld rows are
    dropped, ``week`` keeps its dtype.
    """
    con = duckdb.connect()
    try:
        frame = rows.reset_index(drop=True).assign(_row=np.arange(len(rows)))
        frame["week"] = pd.to_datetime(frame["week"]).dt.date
        con.register("input_frame", frame)
        con.execute(
            "CREATE TEMP VIEW input_rows AS SELECT * REPLACE (week::DATE AS week) FROM input_frame"
        )
        stats = k_anonymize_classes(con, "input_rows", k)
        published = ", ".join(f"m.{c}" for c in QUASI_IDENTIFIERS)
        join = " AND ".join(f"r.{c} = m.{c}_in" for c in QUASI_IDENTIFIERS)
        out = con.execute(
            f"SELECT r.* EXCLUDE ({_QI_SQL}), {published} FROM input_rows r "
            f"JOIN {QI_MAP_TABLE} m ON {join} WHERE NOT m.withheld ORDER BY r._row"
        ).df()
    finally:
        con.close()
    out = out[list(rows.columns)].reset_index(drop=True)
    out["week"] = pd.to_datetime(out["week"]).astype(rows["week"].dtype)
    for col in rows.columns:
        if col != "week":
            out[col] = out[col].astype(rows[col].dtype)
    return out, stats
