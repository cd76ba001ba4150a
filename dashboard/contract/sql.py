"""The contract as the release build and its re-check both use it: Arrow and SQL.

``dashboard.publish.release`` writes with these and ``dashboard.publish.validate``
checks a finished release with the same ones, so the two cannot disagree (and the
check imports nothing from the builder).
"""

from __future__ import annotations

from collections.abc import Collection

import pyarrow as pa

from dashboard.contract.schema import CALLS_COLUMNS, Column, Table

_ARROW_TYPES = {"string": pa.string(), "date": pa.date32(), "bool": pa.bool_(), "int": pa.int32()}


def calls_arrow_schema() -> pa.Schema:
    """The Arrow schema of ``calls.parquet``, from the contract (one writer, one schema)."""
    return pa.schema(
        [pa.field(c.name, _ARROW_TYPES[c.dtype], nullable=c.nullable) for c in CALLS_COLUMNS]
    )


def contract_sql_checks(
    include: Collection[str] | None = None, exclude: Collection[str] = ()
) -> list[tuple[Column, str, str]]:
    """The contract's row rules as SQL: (column, "empty" | "enum", condition true on a bad
    row). One source for the build's input check and ``validate``'s output check."""
    out: list[tuple[Column, str, str]] = []
    for column in CALLS_COLUMNS:
        if column.name in exclude or (include is not None and column.name not in include):
            continue
        if not column.nullable:
            out.append((column, "empty", f"{column.name} IS NULL"))
        values: tuple[str, ...] = column.values  # noqa: PD011 (a tuple, not pandas)
        if values:
            allowed = ", ".join(f"'{v}'" for v in values)
            out.append((column, "enum", f"{column.name}::VARCHAR NOT IN ({allowed})"))
    return out


#: How each rollup measure is counted from the public rows (values are contract enums).
MEASURE_SQL = {
    "n": "count(*)::BIGINT",
    "arrests": "(count(*) FILTER (WHERE outcome = 'arrest'))::BIGINT",
    "backups": "(count(*) FILTER (WHERE police_backup))::BIGINT",
}


def rollup_sql(table: Table) -> str:
    """The GROUP BY that makes ``table`` from a relation named ``calls`` (validate reuses it)."""
    dims = [("date_trunc('month', week)::DATE AS month" if d == "month" else d) for d in table.dims]
    measures = [f"{MEASURE_SQL[m]} AS {m}" for m in table.measures]
    # Sorted by city and month so DuckDB's zone maps skip row groups outside a date range.
    return f"SELECT {', '.join(dims + measures)} FROM calls GROUP BY ALL ORDER BY ALL"
