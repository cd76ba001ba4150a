"""The queries, written once in DuckDB's SQL, as PostgreSQL runs them (SQLGlot).

Why a translator and not two sets of SQL: every query in ``dashboard.queries`` is
written once, and the same test suites run it on both engines (``tests/unit/
test_engines.py`` and the parametrized ``engine`` fixture), so a number cannot differ
between them without a test failing. SQLGlot parses DuckDB's dialect and writes
PostgreSQL's: ``list_contains(?, x)`` becomes ``x = ANY(%s)``, ``::`` casts become
``CAST``, ``?`` placeholders psycopg's ``%s`` (a literal ``%`` becomes ``%%``). Values
stay bound parameters on both engines: the translation only ever sees the SQL text,
which is built from contract names alone.

What SQLGlot leaves in DuckDB's dialect is rewritten here (``_rewrite``):

* ``GROUP BY ALL`` (not in PostgreSQL 15, Debian 12's): grouped by the ordinal
  of every projection that holds no aggregate.
* ``ORDER BY ALL``: by the ordinal of every projection, in order.
* ``contains(text, part)``: ``strpos(text, part) > 0``.

(``/`` on two integers, which DuckDB divides as decimals and PostgreSQL truncates,
SQLGlot already writes with a cast to ``double precision``.)

Translations are cached by SQL text: a query's text depends only on which filters are
set (a few variants each), never on their values.
"""

from __future__ import annotations

import functools
from decimal import Decimal

import pandas as pd
import sqlglot
from sqlglot import exp


@functools.lru_cache(maxsize=2048)
def to_postgres(sql: str) -> str:
    """``sql`` (DuckDB's dialect, ``?`` placeholders) as PostgreSQL text for psycopg."""
    trees = sqlglot.parse(sql, read="duckdb")
    if len(trees) != 1 or trees[0] is None:
        raise ValueError("one statement expected")
    tree = trees[0].transform(_rewrite)
    # psycopg reads every % as a placeholder: a literal % (in LIKE '%x', say) must be %%.
    tree = tree.transform(lambda n: exp.Var(this=_PLACEHOLDER) if isinstance(n, exp.Placeholder) else n)
    return tree.sql(dialect="postgres").replace("%", "%%").replace(_PLACEHOLDER, "%s")


#: What a ``?`` placeholder is written as until every literal % has been doubled.
_PLACEHOLDER = "__crisis_placeholder__"


def _rewrite(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Contains):
        return exp.GT(this=exp.Anonymous(this="strpos", expressions=[node.this, node.expression]),
                      expression=exp.Literal.number(0))
    if isinstance(node, exp.Select):
        group = node.args.get("group")
        if group is not None and group.args.get("all"):
            ordinals = [exp.Literal.number(i + 1) for i, projection in enumerate(node.expressions)
                        if not projection.find(exp.AggFunc)]
            node.set("group", exp.Group(expressions=ordinals) if ordinals else None)
        order = node.args.get("order")
        if order is not None and len(order.expressions) == 1 and _is_all(order.expressions[0].this):
            by = order.expressions[0]
            node.set("order", exp.Order(expressions=[
                exp.Ordered(this=exp.Literal.number(i + 1), desc=by.args.get("desc"),
                            nulls_first=by.args.get("nulls_first"))
                for i in range(len(node.expressions))]))
    return node


def _is_all(node: exp.Expression) -> bool:
    return isinstance(node, exp.Var | exp.Column) and node.name.upper() == "ALL" and not (
        isinstance(node, exp.Column) and node.this.args.get("quoted"))


def frame(cursor: object, sql: str, params: list[object]) -> pd.DataFrame:
    """Run ``sql`` (DuckDB's dialect) on a psycopg cursor; the answer as DuckDB's ``.df()``
    would give it: integer columns as int64, sums as numbers, dates as datetime64."""
    cursor.execute(to_postgres(sql), params)  # type: ignore[attr-defined]
    names = [d.name for d in cursor.description or ()]  # type: ignore[attr-defined]
    rows = cursor.fetchall()  # type: ignore[attr-defined]
    out = pd.DataFrame.from_records(rows, columns=names) if rows else pd.DataFrame(
        {n: pd.Series(dtype="object") for n in names})
    for name, kind in zip(names, [d.type_code for d in cursor.description or ()], strict=True):  # type: ignore[attr-defined]
        out[name] = _typed(out[name], kind)
    return out


#: PostgreSQL type oids the answers use (pg_type): how each becomes a pandas column, as
#: DuckDB's ``.df()`` types the same SQL type (checked: duckdb 2.0, pandas 3).
_INT32_OIDS = {21, 23}  # smallint, integer: int32 (Int32 with NULLs)
_INT64_OID = 20  # bigint: int64 (Int64 with NULLs)
_FLOAT_OIDS = {700, 701, 1700}  # real, double precision, numeric (a sum): float64
_DATE_OIDS = {1082, 1114, 1184}  # date, timestamp, timestamptz: datetime64[us]
_BOOL_OID = 16  # bool (boolean with NULLs)


def _typed(column: pd.Series, oid: int) -> pd.Series:
    nulls = bool(column.isna().any())
    if oid in _INT32_OIDS:
        return column.astype("Int32" if nulls else "int32")
    if oid == _INT64_OID:
        return column.astype("Int64" if nulls else "int64")
    if oid in _FLOAT_OIDS:
        return column.map(lambda v: float(v) if isinstance(v, Decimal) else v).astype("float64")
    if oid in _DATE_OIDS:
        return pd.to_datetime(column).astype("datetime64[us]")
    if oid == _BOOL_OID:
        return column.astype("boolean" if nulls else "bool")
    return column
