"""Privacy rules for the rows, applied once at release time and re-checked on a finished release.

Rules (docs/architecture.md "Privacy rules"): no direct identifiers; time at most to the hour and
hour only inside suppressed cubes; place at most to the precinct and precinct only inside
suppressed cubes; the row-level file is k-anonymous on its quasi-identifiers; every cube
cell with 1..k-1 calls is suppressed, with complements that leave every hidden cell
unrecoverable (``dashboard.publish.disclosure``).

The rows' quasi-identifiers (``schema.QUASI_IDENTIFIERS``) are what someone who knows of
a call could know: when (week), where (police district), what kind of call, which team
came and whether police came as backup. Knowing those, an attacker finds the call's
class of rows; two rules bound what the class tells them:

* k-anonymity: every class has at least k rows;
* alpha-diversity (Wong et al. 2006, "(alpha, k)-anonymity"): no sensitive value
  (``schema.SENSITIVE_VALUES``: arrest, hold, hospital...) holds more than ``ALPHA`` of
  a class's rows, so the attacker's confidence in such an outcome stays at or below it.

Generalization ladder for rows in a class that breaks either rule (each step only merges
rows into coarser classes; the rule is checked again after each):

1. week -> month (``time_grain`` = ``month``, ``week`` = first day of that month);
2. call category -> ``other`` (before place: a call's district is what residents and
   council members ask about most, and the category mix is also published by month);
3. district -> ``citywide``;
4. still breaking a rule: the row is withheld from every public table and counted in
   the manifest.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import duckdb
import numpy as np
import pandas as pd

from dashboard.contract.schema import (
    CITYWIDE,
    DEFAULT_K,
    QUASI_IDENTIFIERS,
    SENSITIVE_VALUES,
    CallCategory,
    TimeGrain,
)

#: Largest share of a class's rows any sensitive value may hold. One half: an attacker
#: who knows which class a person's call is in is never more likely right than wrong in
#: guessing that it ended in arrest, a hold or any other sensitive outcome.
ALPHA = Fraction(1, 2)


@dataclass(frozen=True)
class AnonymizationStats:
    generalized_time: int
    generalized_category: int
    generalized_place: int
    withheld: int


def _sensitive_flags(rows: pd.DataFrame) -> pd.DataFrame:
    """One boolean column per sensitive value (``s0``, ``s1``...), in ``SENSITIVE_VALUES`` order."""
    flags = {}
    i = 0
    for column, values in SENSITIVE_VALUES.items():
        text = rows[column].astype("string").str.lower()
        for value in values:
            flags[f"s{i}"] = (text == value).fillna(False).to_numpy()
            i += 1
    return pd.DataFrame(flags, index=rows.index)


def _breaks_rules(rows: pd.DataFrame, flags: pd.DataFrame, k: int, alpha: Fraction = ALPHA) -> pd.Series:
    """Rows whose quasi-identifier class is under k rows or too dominated by a sensitive value."""
    keys = [rows[c] for c in QUASI_IDENTIFIERS]
    size = rows.groupby(keys, dropna=False, observed=True)[QUASI_IDENTIFIERS[0]].transform("size")
    worst = flags.groupby(keys, dropna=False, observed=True).transform("sum").max(axis=1) if len(
        flags.columns) else pd.Series(0, index=rows.index)
    return (size < k) | (worst * alpha.denominator > size * alpha.numerator)


def month_start(weeks: pd.Series) -> pd.Series:
    """First day of the month of each date (a week belongs to the month of its Monday)."""
    return weeks.dt.to_period("M").dt.start_time.astype(weeks.dtype)


def k_anonymize(rows: pd.DataFrame, k: int = DEFAULT_K) -> tuple[pd.DataFrame, AnonymizationStats]:
    """Generalize (then withhold) rows until every class has >= k rows and is alpha-diverse.

    The pandas reference of ``k_anonymize_classes``; tests check both give the same rows.
    """
    rows = rows.copy()
    flags = _sensitive_flags(rows)
    small = _breaks_rules(rows, flags, k)
    generalized_time = int(small.sum())
    if generalized_time:
        rows.loc[small, "week"] = month_start(rows.loc[small, "week"])
        rows.loc[small, "time_grain"] = TimeGrain.MONTH.value

    small = _breaks_rules(rows, flags, k) & (rows["call_category"] != CallCategory.OTHER.value)
    generalized_category = int(small.sum())
    if generalized_category:
        rows.loc[small, "call_category"] = CallCategory.OTHER.value

    small = _breaks_rules(rows, flags, k) & (rows["district"] != CITYWIDE)
    generalized_place = int(small.sum())
    if generalized_place:
        rows.loc[small, "district"] = CITYWIDE

    small = _breaks_rules(rows, flags, k)
    withheld = int(small.sum())
    if withheld:
        rows = rows.loc[~small]
    stats = AnonymizationStats(generalized_time, generalized_category, generalized_place, withheld)
    return rows.reset_index(drop=True), stats


def class_size_violations(rows: pd.DataFrame, k: int) -> int:
    """Rows of a row-level table whose class is under k rows or not alpha-diverse."""
    if rows.empty:
        return 0
    return int(_breaks_rules(rows, _sensitive_flags(rows), k).sum())


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
    (
        "generalized_category",
        f"call_category <> '{CallCategory.OTHER.value}'",
        {"call_category": f"'{CallCategory.OTHER.value}'"},
    ),
    ("generalized_place", f"district <> '{CITYWIDE}'", {"district": f"'{CITYWIDE}'"}),
)

#: (count column of ``qi_map``, SQL condition on a row) for each sensitive value.
_SENSITIVE_SQL: tuple[tuple[str, str], ...] = tuple(
    (f"s{i}", f"lower({column}::VARCHAR) = '{value}'")
    for i, (column, value) in enumerate(
        (column, value) for column, values in SENSITIVE_VALUES.items() for value in values
    )
)


def _breaks_sql(k: int, alpha: Fraction) -> tuple[str, str]:
    """(window sums to add, condition true for a class that breaks k or alpha) over ``qi_map``."""
    window = f"OVER (PARTITION BY {_QI_SQL})"
    sums = ", ".join([f"sum(n) {window} AS class_n",
                      *(f"sum({col}) {window} AS class_{col}" for col, _ in _SENSITIVE_SQL)])
    worst = (f"greatest({', '.join(f'class_{col}' for col, _ in _SENSITIVE_SQL)})"
             if len(_SENSITIVE_SQL) > 1 else f"class_{_SENSITIVE_SQL[0][0]}")
    breaks = (f"(class_n < {int(k)} OR {worst} * {int(alpha.denominator)} "
              f"> class_n * {int(alpha.numerator)})")
    return sums, breaks


def k_anonymize_classes(con: duckdb.DuckDBPyConnection, rows: str, k: int = DEFAULT_K,
                        alpha: Fraction = ALPHA) -> AnonymizationStats:
    """Run the generalization ladder in DuckDB on the classes of relation ``rows``.

    ``rows`` names a table or view with the quasi-identifier columns (``week`` a DATE)
    and the sensitive ones. Creates the temporary table ``qi_map``: one row per input
    class with its input values (``<column>_in``), its published values, its size ``n``,
    its count of each sensitive value and ``withheld``. Quasi-identifiers must not be
    NULL (the release builder refuses such input first).
    """
    k = int(k)  # formatted into SQL: make sure it is a number
    inputs = ", ".join(f"{c} AS {c}_in" for c in QUASI_IDENTIFIERS)
    counts_sql = ", ".join(f"count(*) FILTER (WHERE {cond})::BIGINT AS {col}" for col, cond in _SENSITIVE_SQL)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
        f"SELECT {inputs}, {_QI_SQL}, count(*)::BIGINT AS n, {counts_sql} FROM {rows} GROUP BY ALL"
    )
    sums, breaks = _breaks_sql(k, alpha)
    drop = ", ".join(["class_n", *(f"class_{col}" for col, _ in _SENSITIVE_SQL)])
    for flag, condition, replacements in _SQL_STEPS:
        small = f"({breaks} AND {condition})"
        replace = ", ".join(f"CASE WHEN {small} THEN {expr} ELSE {col} END AS {col}"
                            for col, expr in replacements.items())
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
            f"SELECT * EXCLUDE ({drop}) REPLACE ({replace}), {small} AS {flag} "
            f"FROM (SELECT *, {sums} FROM {QI_MAP_TABLE})"
        )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {QI_MAP_TABLE} AS "
        f"SELECT * EXCLUDE ({drop}), {breaks} AS withheld FROM (SELECT *, {sums} FROM {QI_MAP_TABLE})"
    )
    flags = [flag for flag, _, _ in _SQL_STEPS] + ["withheld"]
    totals = ", ".join(f"coalesce(sum(n) FILTER (WHERE {f}), 0)::BIGINT" for f in flags)
    counts = con.execute(f"SELECT {totals} FROM {QI_MAP_TABLE}").fetchall()[0]
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
