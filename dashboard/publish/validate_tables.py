"""Checks of what the public tables hold: the contract, rule 1, rules 2 and 4, the rollups.

``calls.parquet`` and ``calls.csv`` against the contract (columns, types, empty values,
enums, random ids, the same rows in both), no direct identifier in any table or text
file (rule 1, with ``dashboard.publish.identifier_patterns``), no time finer than the
week (rule 2), k-anonymous and alpha-diverse rows (rule 4), rollups equal to the GROUP
BYs of the rows.

Kept apart from the file checks and the cube checks: these are the DuckDB scans of the
rows, the bulk of a run's time at 10M rows, and read nothing of the cubes' audit.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable

import pyarrow.parquet as pq

from dashboard.contract.releases import MANIFEST
from dashboard.contract.schema import (
    CALLS_COLUMN_NAMES,
    CALLS_COLUMNS,
    CUBES,
    QUASI_IDENTIFIERS,
    ROLLUPS,
    SENSITIVE_VALUES,
    Table,
    TimeGrain,
)
from dashboard.contract.sql import calls_arrow_schema, contract_sql_checks, rollup_sql
from dashboard.publish import privacy
from dashboard.publish.identifier_patterns import CUBE_ONLY, identifier_hint, value_hint
from dashboard.publish.validate_run import EXAMPLES, ValidationRun


class TableChecks(ValidationRun):
    """The rows, the rollups and every table's columns and values."""

    def open_tables(self) -> None:
        for name in ("calls", *(t.name for t in (*ROLLUPS, *CUBES))):
            file = self.path / f"{name}.parquet"
            if file.is_file():
                self.con.read_parquet(str(file)).create_view(name)
                self.tables[name] = self.describe(name)
        csv_file = self.path / "calls.csv"
        if csv_file.is_file():
            self.con.read_csv(str(csv_file), header=True, all_varchar=True, sep=",",
                              quotechar='"', escapechar='"').create_view("calls_csv")
            self.tables["calls_csv"] = self.describe("calls_csv")

    # -- contract ----------------------------------------------------------------------
    def check_columns(self, label: str, actual: list[str], expected: Iterable[str],
                      *, suppressed: bool = False) -> None:
        expected = list(expected)
        for column in actual:
            if column in expected:
                continue
            hint = identifier_hint(column)
            if hint is not None and not (suppressed and hint in CUBE_ONLY):
                self.fail(f"{label}: column {column!r} is not in the contract and looks like a "
                          f"direct identifier or too fine a grain ({hint})")
            else:
                self.fail(f"{label}: column {column!r} is not in the contract")
        missing = [c for c in expected if c not in actual]
        if missing:
            self.fail(f"{label}: lacks the contract's column(s) {', '.join(missing)}")
        elif [c for c in actual if c in expected] != expected:
            self.fail(f"{label}: columns are not in the contract's order")

    def check_calls_parquet(self) -> None:
        file = self.path / "calls.parquet"
        if "calls" not in self.tables:
            return
        schema = pq.read_schema(file)
        self.check_columns("calls.parquet", list(schema.names), CALLS_COLUMN_NAMES)
        contract = calls_arrow_schema()
        for field in contract:
            if field.name in schema.names and schema.field(field.name).type != field.type:
                self.fail(f"calls.parquet: column {field.name!r} is {schema.field(field.name).type}, "
                          f"the contract says {field.type}")
        present = set(schema.names)
        extra = ["count(*)"]
        if set(CALLS_COLUMN_NAMES) <= present:
            extra.append(f"sum(hash({', '.join(CALLS_COLUMN_NAMES)})::HUGEINT)")
        found = self.report_conditions("calls.parquet", "calls", self.value_conditions(present), extra)
        self.row_counts["calls"] = found[0]
        self.fingerprints["calls"] = tuple(found)

    def value_conditions(self, present: set[str]) -> list[tuple[str, str, str]]:
        """NULLs where the contract forbids them, enum values, random-looking ids."""
        conditions: list[tuple[str, str, str]] = []
        for column, kind, condition in contract_sql_checks(include=present):
            if kind == "empty":
                conditions.append((f"column {column.name!r} is empty", condition, "NULL"))
            else:
                conditions.append((f"column {column.name!r} has values outside the contract",
                                   condition, column.name))
        if "call_id" in present:
            conditions.append(("call_id is not 16 hex digits (a random id)",
                               "NOT regexp_full_match(call_id::VARCHAR, '[0-9a-f]{16}')", "call_id"))
        return conditions

    def report_conditions(self, label: str, view: str, conditions: list[tuple[str, str, str]],
                          extra: Iterable[str] = ()) -> list:
        """Count the rows meeting each condition in one pass; quote a few for each that fails.

        ``extra`` aggregates ride along in the same pass; their values are returned.
        """
        extra = list(extra)
        aggregates = [f"count(*) FILTER (WHERE {c})" for _, c, _ in conditions] + extra
        if not aggregates:
            return []
        found = list(self.one(f"SELECT {', '.join(aggregates)} FROM {view}"))
        for n, (problem, cond, example) in zip(found, conditions, strict=False):
            if not n:
                continue
            eg = ""
            if example != "NULL":
                shown = self.con.execute(
                    f"SELECT DISTINCT {example}::VARCHAR FROM {view} WHERE {cond} LIMIT {EXAMPLES}"
                ).fetchall()
                eg = f" (e.g. {', '.join(repr(r[0]) for r in shown)})"
            self.fail(f"{label}: {problem}: {n:,} rows{eg}")
        return found[len(conditions):]

    def check_calls_csv(self) -> None:
        file = self.path / "calls.csv"
        if "calls_csv" not in self.tables:
            return
        with file.open(newline="", encoding="utf-8") as fh:
            header = next(csv.reader(fh), [])
        self.check_columns("calls.csv", header, CALLS_COLUMN_NAMES)
        present = {c for c, _ in self.tables["calls_csv"]}
        typed = {
            "date": r"NOT regexp_full_match({c}, '\d{{4}}-\d{{2}}-\d{{2}}') OR TRY_CAST({c} AS DATE) IS NULL",
            "bool": "{c} NOT IN ('true', 'false')",
            "int": r"NOT regexp_full_match({c}, '-?\d+') OR TRY_CAST({c} AS INTEGER) IS NULL",
        }
        conditions = [
            (f"column {col.name!r} is not a {col.dtype}",
             f"{col.name} IS NOT NULL AND ({typed[col.dtype].format(c=col.name)})", col.name)
            for col in CALLS_COLUMNS if col.name in present and col.dtype in typed
        ]
        # Same rows as calls.parquet: an order-free fingerprint (count and sum of row
        # hashes), in the same single streaming pass, so memory stays flat.
        extra = ["count(*)"]
        if set(CALLS_COLUMN_NAMES) <= present:
            types = {"date": "DATE", "bool": "BOOLEAN", "int": "INTEGER", "string": "VARCHAR"}
            cast = ", ".join(f"TRY_CAST({c.name} AS {types[c.dtype]})" for c in CALLS_COLUMNS)
            extra.append(f"sum(hash({cast})::HUGEINT)")
        found = self.report_conditions("calls.csv", "calls_csv",
                                       conditions + self.value_conditions(present), extra)
        self.row_counts["calls_csv"] = found[0]
        self.fingerprints["calls_csv"] = tuple(found)
        parquet = self.fingerprints.get("calls")
        if parquet is not None and len(parquet) == 2 and len(found) == 2 and parquet != tuple(found):
            self.fail(f"calls.csv and calls.parquet do not hold the same rows "
                      f"({found[0]:,} vs {parquet[0]:,} rows)")

    # -- rule 1 ------------------------------------------------------------------------
    def check_identifiers(self) -> None:
        """Column names and values of every table; identifier-looking text in text files."""
        suppressed = {t.name for t in CUBES if t.suppressed}
        expected = {t.name: [*t.dims, *t.measures] for t in ROLLUPS}
        expected.update({t.name: [*t.dims, *t.measures, "suppressed"] for t in CUBES})
        for view, columns in self.tables.items():
            label = "calls.csv" if view == "calls_csv" else f"{view}.parquet"
            names = [c for c, _ in columns]
            if view in expected:
                self.check_columns(label, names, expected[view], suppressed=view in suppressed)
            scan = []
            for column, sql_type in columns:
                kind = sql_type.upper()
                if "TIME" in kind or "INTERVAL" in kind:
                    self.fail(f"{label}: column {column!r} is a {sql_type}: time finer than the week")
                if any(t in kind for t in ("DOUBLE", "FLOAT", "DECIMAL", "REAL")):
                    self.fail(f"{label}: column {column!r} holds fractional numbers ({sql_type}), "
                              "which the contract never publishes (coordinates?)")
                if kind == "VARCHAR" and column != "call_id":
                    scan.append(column)
            if view == "calls_csv" and self.csv_matches_parquet():
                # Same values as calls.parquet, scanned there: only columns it lacks.
                scan = [c for c in scan if c not in CALLS_COLUMN_NAMES]
            self.scan_values(label, view, scan)
        for name in ("data_dictionary.json", "data_dictionary.md", MANIFEST):
            file = self.path / name
            if not file.is_file():
                continue
            text = file.read_text(errors="replace")
            if name == MANIFEST:  # hashes and ids are not identifiers; check the prose only
                text = "\n".join(_strings(self.manifest, skip={"files", "release_id", "created"}))
            for line in text.splitlines():
                hint = value_hint(line, cell=False)
                if hint is not None:
                    self.fail(f"{name}: text that looks like {hint}: {line.strip()[:80]!r}")
        self.check_dictionary()

    def csv_matches_parquet(self) -> bool:
        parquet, csv_print = self.fingerprints.get("calls"), self.fingerprints.get("calls_csv")
        return parquet is not None and parquet == csv_print and len(parquet) == 2

    def scan_values(self, label: str, view: str, columns: list[str]) -> None:
        """Distinct values of string columns, in one pass, matched against identifier patterns."""
        if not columns:
            return
        lists = ", ".join(f'list(DISTINCT "{c}")' for c in columns)
        for column, values in zip(columns, self.one(f"SELECT {lists} FROM {view}"), strict=True):
            hits: dict[str, list[str]] = {}
            for value in values or ():
                hint = value_hint(str(value))
                if hint is not None:
                    hits.setdefault(hint, []).append(str(value))
            for hint, examples in hits.items():
                shown = ", ".join(repr(v) for v in sorted(examples)[:EXAMPLES])
                self.fail(f"{label}: column {column!r} has {len(examples)} value(s) that look like "
                          f"{hint}: {shown}")

    def check_dictionary(self) -> None:
        file = self.path / "data_dictionary.json"
        if not file.is_file():
            return
        try:
            described = [c.get("name") for c in json.loads(file.read_text()).get("calls", [])]
        except (ValueError, AttributeError):
            self.fail("data_dictionary.json is not the contract's dictionary")
            return
        if tuple(described) != CALLS_COLUMN_NAMES:
            self.fail("data_dictionary.json does not describe exactly the contract's columns")

    # -- rules 2 and 4 ------------------------------------------------------------------
    def check_time(self) -> None:
        if not self.has("calls", "week", "time_grain"):
            return
        for grain, wrong, should in (
            (TimeGrain.WEEK.value, "isodow(week) <> 1", "a Monday"),
            (TimeGrain.MONTH.value, "day(week) <> 1", "the 1st of a month"),
        ):
            n, examples = self.one(
                f"SELECT count(*), list(DISTINCT strftime(week, '%Y-%m-%d (%A)')) FROM calls "
                f"WHERE time_grain = ? AND {wrong}", [grain]
            )
            if n:
                shown = ", ".join(sorted(examples)[:EXAMPLES])
                self.fail(f"calls.parquet: {n:,} rows with time_grain={grain} whose week is not "
                          f"{should}: {shown}")

    def check_k_anonymity(self) -> None:
        if self.k is None or not self.has("calls", *QUASI_IDENTIFIERS):
            return
        qi = ", ".join(QUASI_IDENTIFIERS)
        small = self.con.execute(
            f"SELECT {qi}, count(*) AS n FROM calls GROUP BY ALL HAVING count(*) < ? ORDER BY n, {qi}",
            [self.k],
        ).fetchall()
        if small:
            rows = sum(r[-1] for r in small)
            shown = "; ".join(" ".join(str(v) for v in r[:-1]) + f": {r[-1]} rows" for r in small[:EXAMPLES])
            self.fail(f"calls.parquet: not k-anonymous: {rows:,} rows in {len(small):,} "
                      f"quasi-identifier classes smaller than k={self.k} ({shown})")
        alpha = privacy.ALPHA
        for column, values in SENSITIVE_VALUES.items():
            if not self.has("calls", column):
                continue
            for value in values:
                found = self.con.execute(
                    f"SELECT {qi}, count(*) AS n, count(*) FILTER (WHERE lower({column}::VARCHAR) = ?) AS s "
                    f"FROM calls GROUP BY ALL HAVING s * {alpha.denominator} > n * {alpha.numerator} "
                    f"ORDER BY n, {qi}", [value],
                ).fetchall()
                if found:
                    shown = "; ".join(" ".join(str(v) for v in r[:-2]) + f": {r[-1]} of {r[-2]}"
                                      for r in found[:EXAMPLES])
                    self.fail(f"calls.parquet: {len(found):,} quasi-identifier classes where more than "
                              f"{alpha} of the rows have {column} = {value} (anyone who knows a call is in "
                              f"the class learns it is likely): {shown}")

    # -- rollups ------------------------------------------------------------------------
    def check_rollups(self) -> None:
        if not self.has("calls", *CALLS_COLUMN_NAMES):
            return
        for table in ROLLUPS:
            if table.name not in self.tables:
                continue
            if not table.from_rows:
                self.check_minutes(table)
                continue
            expected = f"expected_{table.name}"
            self.con.execute(f"CREATE OR REPLACE TEMP TABLE {expected} AS {rollup_sql(table)}")
            if self.describe(expected) != self.tables[table.name]:
                self.fail(f"{table.name}.parquet: columns or types differ from a GROUP BY of the rows")
                continue
            columns = ", ".join(f'"{c}"' for c, _ in self.tables[table.name])
            fingerprint = f"SELECT count(*), sum(hash({columns})::HUGEINT) FROM "
            if self.one(fingerprint + table.name) == self.one(fingerprint + expected):
                continue
            extra = self.one(f"SELECT count(*) FROM (FROM {table.name} EXCEPT ALL FROM {expected})")[0]
            lacking = self.one(f"SELECT count(*) FROM (FROM {expected} EXCEPT ALL FROM {table.name})")[0]
            if extra or lacking:
                self.fail(f"{table.name}.parquet is not the GROUP BY of calls.parquet: {extra:,} rows "
                          f"not in the recomputed rollup, {lacking:,} recomputed rows missing")

    def check_minutes(self, table: Table) -> None:
        """``rollup_minutes`` holds the rows' classes (by month) and never more calls than they do."""
        columns = [c for c, _ in self.tables[table.name]]
        if columns != [*table.dims, *table.measures]:
            return  # reported by check_identifiers
        keys = ", ".join(d for d in table.dims if d != "response_minutes")
        over, examples = self.one(
            f"SELECT count(*), list(concat_ws(' ', {keys}) || ': ' || m.n || ' > ' || coalesce(r.n, 0)) "
            f"FROM (SELECT {keys}, sum(n) AS n FROM {table.name} GROUP BY ALL) m "
            f"LEFT JOIN (SELECT jurisdiction, date_trunc('month', week)::DATE AS month, district, "
            f"call_category, response_type, count(*) AS n FROM calls GROUP BY ALL) r USING ({keys}) "
            f"WHERE m.n > coalesce(r.n, 0)"
        )
        if over:
            self.fail(f"{table.name}.parquet: {over:,} classes count more timed calls than the rows hold: "
                      + "; ".join(examples[:EXAMPLES]))
        negative = self.one(f"SELECT count(*) FROM {table.name} WHERE n <= 0 OR response_minutes < 0")[0]
        if negative:
            self.fail(f"{table.name}.parquet: {negative:,} rows with a count or minute below zero")


def _strings(value: object, *, skip: set[str]) -> list[str]:
    """Every string in a JSON value, except under the keys in ``skip``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _strings(v, skip=skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip=skip)]
    return []
