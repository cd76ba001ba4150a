"""``crisis-dashboard validate RELEASE``: re-check every rule on a finished release folder.

The builder applies the privacy rules once (``dashboard.publish.privacy``); this module
proves them again from the published files alone, as an outsider would, without
trusting the code that wrote them. ``build_release`` runs it on the temporary folder
and refuses to publish on any violation; the CLI runs it on any release folder (a
copied, edited or hand-made one included) and exits non-zero, listing each violation.

What is checked (docs/architecture.md "Privacy rules" 1-5 and "Bad input"):

* integrity: ``manifest.json`` is present and complete, every file it lists has its
  sha256 and size, every file in the folder is listed, every expected file exists;
* contract: ``calls.parquet`` and ``calls.csv`` have exactly the contract's columns, in
  order, with its types, no NULL where the contract forbids it, enums within their
  values, ``call_id`` random-looking (16 hex digits), and the same rows in both files;
* rule 1: no column whose name or values look like a direct identifier (address,
  coordinates, phone, person, incident/CAD number, narrative, e-mail, hashed key) in
  any public file, tables and text files alike;
* rules 2-3: no timestamp or time column anywhere; every ``week`` is a Monday
  (``time_grain`` = week) or a 1st of the month (= month); precinct only in a
  suppressed cube;
* rule 4: every quasi-identifier class of the rows has at least k rows (k from the
  manifest, or ``--k``) and no sensitive value holds more than alpha of a class;
* rule 5: every published cube count is 0 or >= k and suppressed cells show no count;
  then the attacks, on every relation between the published files (the cubes, the
  totals the rows and ``rollup_minutes`` give, the suppression rule the manifest names):
  margin differencing (a relation with one hidden cell, or hidden cells adding up to
  fewer than k-1), cross-measure differencing (a council group's total known from one
  measure narrows another's hidden cells) and the LP audit of
  ``dashboard.publish.disclosure`` (no hidden cell that could be small has a feasible
  interval narrower than [0, k-1]);
* rollups equal the GROUP BYs of the rows (recomputed in DuckDB); ``rollup_minutes``
  counts no more calls per class than the rows hold;
* ``datapackage.json`` (Frictionless) is exactly the one the contract and the manifest
  generate: same resources, hashes, sizes and Table Schemas;
* the manifest's counts add up (read = accepted + rejected; published + withheld =
  accepted; published = the rows in the files).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.datapackage import DATAPACKAGE, build_datapackage, resource_by_path
from dashboard.contract.releases import CURRENT_POINTER, MANIFEST, ReleaseError, read_pointer, sha256_file
from dashboard.contract.schema import (
    CALLS_COLUMN_NAMES,
    CALLS_COLUMNS,
    CUBES,
    QUASI_IDENTIFIERS,
    ROLLUP_MINUTES,
    ROLLUPS,
    SENSITIVE_VALUES,
    Table,
    TimeGrain,
)
from dashboard.contract.sql import calls_arrow_schema, contract_sql_checks, rollup_sql
from dashboard.publish import cubes, disclosure, privacy
from dashboard.settings import Settings

#: Files every release holds besides ``manifest.json``.
EXPECTED_FILES: tuple[str, ...] = (
    "calls.parquet",
    "calls.csv",
    *(f"{t.name}.parquet" for t in (*ROLLUPS, *CUBES)),
    "data_dictionary.json",
    "data_dictionary.md",
)

#: Suppression rules whose complements are chosen without comparing counts, so knowing the
#: rule bounds no hidden cell (``disclosure``). Any other rule a manifest names (or none,
#: as releases before it did) is taken to be the older one, whose complement was the
#: smallest published cell of its group: the audit then adds the bounds that gives away.
VALUE_BLIND_METHODS = frozenset({"audited-keyed"})

#: DuckDB's working memory while checking; beyond it, sorts and hashes spill to disk.
MEMORY_LIMIT = "1GB"

#: Most examples quoted per violation: enough to find the problem, short enough to read.
EXAMPLES = 3

# -- what a direct identifier looks like ----------------------------------------------

#: Words in a column name that mark a direct identifier (rule 1) or a place or time
#: finer than the rules allow outside suppressed cubes (rules 2 and 3). Matched against
#: the name's words (split at ``_``, ``-``, spaces and camelCase) and as substrings for
#: the long, unambiguous ones.
_NAME_WORDS: dict[str, str] = {
    "address": "address", "addr": "address", "street": "address", "block": "address",
    "location": "location", "loc": "location", "geom": "coordinates", "geometry": "coordinates",
    "lat": "coordinates", "lon": "coordinates", "lng": "coordinates", "long": "coordinates",
    "latitude": "coordinates", "longitude": "coordinates", "coord": "coordinates",
    "coords": "coordinates", "coordinates": "coordinates", "x": "coordinates", "y": "coordinates",
    "person": "person", "persons": "person", "name": "name", "names": "name",
    "subject": "person", "patient": "person", "dob": "person",
    "birth": "person", "birthdate": "person", "ssn": "person", "race": "person",
    "gender": "person", "sex": "person", "age": "person", "email": "e-mail",
    "phone": "phone", "telephone": "phone", "tel": "phone", "mobile": "phone",
    "incident": "incident number", "cad": "incident number", "case": "incident number",
    "report": "incident number", "event": "incident number",
    "narrative": "narrative", "comment": "narrative", "comments": "narrative",
    "note": "narrative", "notes": "narrative", "remarks": "narrative", "description": "narrative",
    "text": "narrative", "unit": "unit", "badge": "officer", "officer": "officer",
    "precinct": "precinct", "neighborhood": "place finer than the district",
    "neighbourhood": "place finer than the district", "tract": "place finer than the district",
    "council": "place finer than the district", "beat": "place finer than the district",
    "zip": "place finer than the district", "zipcode": "place finer than the district",
    "hour": "time finer than the week", "timestamp": "time finer than the week",
    "datetime": "time finer than the week", "received": "time finer than the week",
    "key": "person key", "hash": "person key", "salt": "person key",
}
_NAME_SUBSTRINGS = ("address", "latitude", "longitude", "coordinate", "narrative", "phone",
                    "incident", "person", "precinct", "neighborhood", "timestamp")
#: Allowed only inside suppressed cubes (docs/architecture.md "Privacy rules" 2 and 3).
_CUBE_ONLY = {"precinct", "time finer than the week", "place finer than the district"}

#: (what it looks like, pattern), checked in table cells and in text files alike.
_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("coordinates", re.compile(
        r"^\s*[-+]?\d{1,3}\.\d{3,}\s*$"  # a lone decimal degree
        r"|[-+]?\d{1,3}\.\d{2,}\s*[,; ]\s*[-+]?\d{1,3}\.\d{2,}"  # a pair
        r"|\bPOINT\s*\(",
        re.IGNORECASE,
    )),
    ("a phone number", re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"
                                  r"|^\s*\+?1?\d{10}\s*$")),
    # A house number, an optional direction, one to three capitalized words, a street
    # suffix ("1500 N Broadway St", "2200 BLOCK OF E COLFAX AVE").
    ("a street address", re.compile(
        r"\b\d{1,6}\s+(?:(?i:block)\s+(?:(?i:of)\s+)?)?(?:[NSEWnsew]\.?\s+)?"
        r"(?:[A-Z0-9][A-Za-z0-9'.]*\s+){1,3}"
        r"(?i:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|ct|court|pl|place|"
        r"pkwy|parkway|hwy|highway|cir|circle|ter|terrace)\b"
    )),
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
)
#: Checked in table cells only: prose and manifests legitimately hold hashes, long
#: numbers (dates, seeds) and phrases like "2024 block report".
_CELL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a street address", re.compile(r"\b\d+\s+(?i:block)\b")),  # "1500 BLOCK", a CAD staple
    ("a hashed key", re.compile(r"\b[0-9a-fA-F]{32,}\b")),
    ("a CAD-like incident number", re.compile(
        r"\d{6,}|\b[A-Za-z]{1,4}-?\d{2}-\d{4,}\b|\b\d{2,4}-\d{5,}\b"
    )),
)


def identifier_hint(column: str) -> str | None:
    """What a column name suggests it holds (address, coordinates...), or None."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
    for word in words:
        if word in _NAME_WORDS:
            return _NAME_WORDS[word]
    lowered = column.lower()
    for part in _NAME_SUBSTRINGS:
        if part in lowered:
            return _NAME_WORDS.get(part, part)
    return None


def value_hint(value: str, *, cell: bool = True) -> str | None:
    """What a value looks like (coordinates, a phone number...), or None."""
    for label, pattern in (*_VALUE_PATTERNS, *(_CELL_PATTERNS if cell else ())):
        if pattern.search(value):
            return label
    return None


# -- the checks --------------------------------------------------------------------------


class _Check:
    """One validation run: the folder, k, a DuckDB connection and the violations found."""

    def __init__(self, path: Path, k: int | None, deep: bool = True) -> None:
        self.path = path
        self.k_arg = k
        self.deep = deep
        self.k: int | None = None
        self.problems: list[str] = []
        self.manifest: dict = {}
        self.con = duckdb.connect()
        self.con.execute("SET enable_progress_bar = false")
        # Bounded memory at any release size; spills go to a private temporary folder
        # (DuckDB's default is ``.tmp`` in the working directory).
        self._spill = tempfile.TemporaryDirectory(prefix="crisis-validate-")
        self.con.execute("SET memory_limit = ?", [MEMORY_LIMIT])
        self.con.execute("SET temp_directory = ?", [self._spill.name])
        self.tables: dict[str, list[tuple[str, str]]] = {}  # view -> [(column, DuckDB type)]
        self.row_counts: dict[str, int] = {}
        self.fingerprints: dict[str, tuple] = {}  # (rows, sum of row hashes) of calls files

    def fail(self, message: str) -> None:
        self.problems.append(message)

    def one(self, sql: str, params: Iterable[object] = ()) -> tuple:
        rows = self.con.execute(sql, list(params)).fetchall()
        return rows[0] if rows else ()

    def run(self) -> list[str]:
        steps: list[tuple[str, Callable[[], None]]] = [
            ("manifest", self.check_manifest),
            ("datapackage", self.check_datapackage),
            ("k", self.choose_k),
            ("tables", self.open_tables),
            ("calls.parquet", self.check_calls_parquet),
            ("calls.csv", self.check_calls_csv),
            ("identifiers", self.check_identifiers),
            ("time", self.check_time),
            ("k-anonymity", self.check_k_anonymity),
            ("rollups", self.check_rollups),
            ("cubes", self.check_cubes),
            ("counts", self.check_counts),
        ]
        try:
            for label, step in steps:
                try:
                    step()
                except (duckdb.Error, OSError, pa.ArrowException, ValueError, KeyError, TypeError) as exc:
                    self.fail(f"{label}: could not be checked ({type(exc).__name__}: {exc})")
        finally:
            self.con.close()
            self._spill.cleanup()
        return self.problems

    # -- integrity ---------------------------------------------------------------------
    def check_manifest(self) -> None:
        path = self.path / MANIFEST
        if not path.is_file():
            self.fail(f"{MANIFEST} is missing")
            return
        try:
            manifest = json.loads(path.read_text())
        except ValueError as exc:
            self.fail(f"{MANIFEST} is not valid JSON ({exc})")
            return
        if not isinstance(manifest, dict):
            self.fail(f"{MANIFEST} is not a JSON object")
            return
        self.manifest = manifest
        for key in ("release_id", "city", "created", "source", "synthetic", "rows", "privacy", "files"):
            if key not in manifest:
                self.fail(f"{MANIFEST} lacks {key!r}")
        files = manifest.get("files")
        if not isinstance(files, dict):
            return
        for name, meta in sorted(files.items()):
            file = self.path / name
            if Path(name).name != name or name in {"", ".", ".."}:
                self.fail(f"{MANIFEST} lists {name!r}, which is not a file of this folder")
                continue
            if not file.is_file():
                self.fail(f"{name} is listed in {MANIFEST} but missing")
                continue
            digest = sha256_file(file)
            if not isinstance(meta, dict) or meta.get("sha256") != digest:
                expected = meta.get("sha256") if isinstance(meta, dict) else None
                self.fail(f"{name}: sha256 {digest[:12]}... does not match the manifest's "
                          f"{str(expected)[:12]}... (file changed after release)")
            elif meta.get("bytes") != file.stat().st_size:
                self.fail(f"{name}: size {file.stat().st_size} does not match the manifest's "
                          f"{meta.get('bytes')}")
        for entry in sorted(self.path.iterdir()):
            if entry.name == MANIFEST:
                continue
            if entry.is_dir():
                self.fail(f"unexpected folder {entry.name!r} in the release")
            elif entry.name not in files:
                hint = identifier_hint(entry.stem)
                extra = f" (its name suggests {hint})" if hint else ""
                self.fail(f"file {entry.name!r} is not listed in {MANIFEST}{extra}")
        for name in EXPECTED_FILES:
            if not (self.path / name).is_file():
                self.fail(f"{name} is missing from the release")

    # -- datapackage.json ----------------------------------------------------------------
    def check_datapackage(self) -> None:
        """``datapackage.json`` is exactly what the contract and the manifest generate.

        Every field, type, enum and description comes from ``dashboard.contract.schema``; every
        hash and size must equal the manifest's, which ``check_manifest`` proved against the
        files (so no file is read twice). Only ``created`` is the package's own.
        """
        file = self.path / DATAPACKAGE
        files = self.manifest.get("files")
        if not isinstance(files, dict) or (not file.is_file() and DATAPACKAGE in files):
            return  # no file list, or a listed file missing: reported by check_manifest
        label = DATAPACKAGE
        if not file.is_file():
            self.fail(f"{label} is missing from the release (releases built before the Frictionless "
                      "package was added lack it: rebuild with `crisis-dashboard sample` or `ingest`)")
            return
        try:
            found = json.loads(file.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            self.fail(f"{label} is not valid JSON ({exc})")
            return
        if not isinstance(found, dict):
            self.fail(f"{label} is not a JSON object")
            return
        created = found.get("created")
        if not isinstance(created, str) or not _RFC3339.fullmatch(created):
            self.fail(f"{label}: 'created' is not an RFC 3339 date-time ({created!r})")
            created = ""
        privacy = self.manifest.get("privacy")
        k = privacy.get("k") if isinstance(privacy, dict) else None
        if not isinstance(k, int) or isinstance(k, bool):
            return  # reported by choose_k
        synthetic = self.manifest.get("synthetic") is True
        expected = build_datapackage(files, city=str(self.manifest.get("city")),
                                     source=str(self.manifest.get("source")), synthetic=synthetic,
                                     k=k, created=created or "", folder=self.path)
        want, got = resource_by_path(expected), resource_by_path(found)
        for path in sorted(want.keys() - got.keys()):
            self.fail(f"{label} does not describe {path}, which {MANIFEST} lists")
        for path in sorted(got.keys() - want.keys()):
            self.fail(f"{label} describes {path!r}, which {MANIFEST} does not list")
        for path in sorted(want.keys() & got.keys()):
            w, g = want[path], got[path]
            if g.get("hash") != w["hash"]:
                self.fail(f"{label}: {path} has hash {str(g.get('hash'))[:19]}..., the file's sha256 "
                          f"is {w['hash'][:19]}... ({MANIFEST} agrees with the file)")
            if g.get("bytes") != w.get("bytes"):
                self.fail(f"{label}: {path} has bytes {g.get('bytes')!r}, expected {w.get('bytes')!r}")
            if g.get("schema") != w.get("schema"):
                self.fail(f"{label}: the Table Schema of {path} is not the contract's "
                          f"({_schema_difference(w.get('schema'), g.get('schema'))})")
            other = sorted(key for key in w.keys() | g.keys()
                           if key not in ("hash", "bytes", "schema") and w.get(key) != g.get(key))
            if other:
                self.fail(f"{label}: {path}: {', '.join(other)} differ from what the contract generates")
        if want.keys() == got.keys() and list(want) != list(got):
            self.fail(f"{label}: resources are not in the generated order")
        top = sorted(key for key in expected.keys() | found.keys()
                     if key not in ("resources", "created") and expected.get(key) != found.get(key))
        if top:
            why = (" (a synthetic release must say so in its title and description)"
                   if synthetic and {"title", "description"} & set(top) else "")
            self.fail(f"{label}: {', '.join(top)} differ from what the contract and {MANIFEST} "
                      f"generate{why}")

    def choose_k(self) -> None:
        k = self.k_arg
        if k is None:
            privacy = self.manifest.get("privacy")
            k = privacy.get("k") if isinstance(privacy, dict) else None
        if not isinstance(k, int) or isinstance(k, bool) or k < 2:
            self.fail(f"no usable k (manifest privacy.k or --k; got {k!r}): k-anonymity and "
                      "suppression cannot be checked")
            return
        self.k = k

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

    def describe(self, view: str) -> list[tuple[str, str]]:
        return [(str(r[0]), str(r[1])) for r in self.con.execute(f"DESCRIBE {view}").fetchall()]

    # -- contract ----------------------------------------------------------------------
    def check_columns(self, label: str, actual: list[str], expected: Iterable[str],
                      *, suppressed: bool = False) -> None:
        expected = list(expected)
        for column in actual:
            if column in expected:
                continue
            hint = identifier_hint(column)
            if hint is not None and not (suppressed and hint in _CUBE_ONLY):
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
    def has(self, view: str, *columns: str) -> bool:
        present = {c for c, _ in self.tables.get(view, [])}
        return view in self.tables and set(columns) <= present

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

    # -- rule 5 -------------------------------------------------------------------------
    def check_cubes(self) -> None:
        for table in CUBES:
            if table.name not in self.tables or self.k is None:
                continue
            if not self.has(table.name, *table.dims, *table.measures, "suppressed"):
                continue
            self.check_cube(table, self.k)
        self.check_disclosure()

    def check_cube(self, table: Table, k: int) -> None:
        label = f"{table.name}.parquet"
        dims = ", ".join(table.dims)
        checks = (
            ("published cells with a count of 1..k-1", f"NOT suppressed AND n BETWEEN 1 AND {k - 1}"),
            ("published cells without a count", "NOT suppressed AND n IS NULL"),
            ("suppressed cells that still show their count", "suppressed AND n IS NOT NULL"),
            ("cells with a negative count", "n < 0"),
            ("cells whose suppression flag is empty", "suppressed IS NULL"),
            *((f"suppressed cells that still show their {m}", f"suppressed AND {m} IS NOT NULL")
              for m in table.measures if m != "n"),
        )
        for problem, cond in checks:
            n, examples = self.one(
                f"SELECT count(*), list(concat_ws(' ', {dims}, 'n=' || coalesce(n::VARCHAR, 'empty'))) "
                f"FROM {table.name} WHERE {cond}"
            )
            if n:
                shown = "; ".join(examples[:EXAMPLES])
                self.fail(f"{label}: {n:,} {problem} (k={k}): {shown}")

    def check_disclosure(self) -> None:
        """The attacks, on every relation between the published files (module doc, rule 5)."""
        if (self.k is None or not self.has("calls", *CALLS_COLUMN_NAMES)
                or ROLLUP_MINUTES.name not in self.tables):
            return
        frames = {}
        for table in cubes.AUDITED:
            if not self.has(table.name, *table.dims, "n", "suppressed"):
                return
            frames[table.name] = self.con.execute(f"SELECT * FROM {table.name}").df()
        margins = cubes.public_margins(self.con)
        system, _ = cubes.release_system(frames, margins)
        if self.deep:
            self.check_deep(frames, margins)
        for problem in disclosure.margin_differencing(system, self.k):
            self.fail(f"margin differencing: {problem}")
        for problem in cubes.cross_measure_differencing(frames.get(cubes.CUBE_COUNCIL.name), margins, self.k):
            self.fail(f"cross-measure differencing: {problem}")
        method = _suppression_method(self.manifest)
        upper = None if method in VALUE_BLIND_METHODS else disclosure.rule_bounds(system, self.k)
        findings = disclosure.audit(system, self.k, upper)
        if findings:
            rule = ("the public suppression rule" if upper is None
                    else f"the suppression rule {method!r} (complements never larger than the smallest "
                         "published cell of their group)")
            self.fail(f"linear programming over every published relation and {rule}: "
                      + disclosure.summarize(findings, EXAMPLES))

    def check_deep(self, frames: dict, margins: dict) -> None:
        """The council cells as marginals of a joint table tied to the rows by police
        district (``council_links``); skipped with ``--shallow``."""
        if frames.get(cubes.CUBE_COUNCIL.name) is None or frames[cubes.CUBE_COUNCIL.name].empty:
            return
        system, _ = cubes.release_system(frames, margins, deep=cubes.district_margins(self.con))
        method = _suppression_method(self.manifest)
        upper = None if method in VALUE_BLIND_METHODS else disclosure.rule_bounds(system, self.k)
        findings = disclosure.audit(system, self.k, upper)
        if findings:
            self.fail("deep audit (council cells as marginals of the rows' joint table by police "
                      "district): " + disclosure.summarize(findings, EXAMPLES))

    # -- manifest counts ----------------------------------------------------------------
    def check_counts(self) -> None:
        rows = self.manifest.get("rows")
        if not isinstance(rows, dict):
            if self.manifest:
                self.fail(f"{MANIFEST}: 'rows' is missing or not an object")
            return
        keys = ("read", "accepted", "rejected", "published", "withheld",
                "generalized_time", "generalized_place", "generalized_category")
        bad = [key for key in keys if not isinstance(rows.get(key), int) or rows[key] < 0]
        if bad:
            self.fail(f"{MANIFEST}: row counts missing or not counts: {', '.join(bad)}")
            return
        if rows["read"] != rows["accepted"] + rows["rejected"]:
            self.fail(f"{MANIFEST}: rows read ({rows['read']:,}) != accepted ({rows['accepted']:,}) "
                      f"+ rejected ({rows['rejected']:,})")
        if rows["published"] + rows["withheld"] != rows["accepted"]:
            self.fail(f"{MANIFEST}: rows published ({rows['published']:,}) + withheld "
                      f"({rows['withheld']:,}) != accepted ({rows['accepted']:,})")
        for view, label in (("calls", "calls.parquet"), ("calls_csv", "calls.csv")):
            n = self.row_counts.get(view)
            if n is not None and n != rows["published"]:
                self.fail(f"{label} holds {n:,} rows, the manifest says {rows['published']:,} published")


def _suppression_method(manifest: dict) -> str:
    """The cube suppression rule a release names (releases before the audited rule named none)."""
    privacy = manifest.get("privacy")
    rule = privacy.get("cube_suppression") if isinstance(privacy, dict) else None
    if isinstance(rule, dict) and isinstance(rule.get("method"), str):
        return rule["method"]
    return "smallest-published"


#: ``created`` of a Data Package (RFC 3339 date-time, as the Frictionless spec requires).
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def _schema_difference(expected: object, found: object) -> str:
    """Which fields of a Table Schema differ from the contract's, in a few words."""
    if not isinstance(expected, dict) or not isinstance(found, dict):
        return "no schema" if not isinstance(found, dict) else "unexpected schema"
    want = {f["name"]: f for f in expected.get("fields", [])}
    got_list = found.get("fields")
    got = ({f.get("name"): f for f in got_list if isinstance(f, dict)}
           if isinstance(got_list, list) else {})
    parts = []
    missing = [n for n in want if n not in got]
    extra = [str(n) for n in got if n not in want]
    changed = [n for n in want if n in got and got[n] != want[n]]
    if missing:
        parts.append("lacks " + ", ".join(missing))
    if extra:
        parts.append("adds " + ", ".join(extra))
    if changed:
        parts.append("differs on " + ", ".join(changed))
    if not parts and list(got) != list(want):
        parts.append("fields out of order")
    for key in ("missingValues", "primaryKey"):
        if expected.get(key) != found.get(key):
            parts.append(f"{key} differs")
    return "; ".join(parts) or "differs"


def _strings(value: object, *, skip: set[str]) -> list[str]:
    """Every string in a JSON value, except under the keys in ``skip``."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _strings(v, skip=skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip=skip)]
    return []


def validate_release(path: Path, k: int | None = None, *, deep: bool = True) -> list[str]:
    """Every violation of the release rules in the folder ``path`` (empty: the release is clean).

    ``k`` overrides the manifest's ``privacy.k``; ``deep`` (the default) adds the deep audit
    of the council cells (``council_links``), which the build protects against too: ~20 s
    on Denver's full sample. ``deep=False`` (``--shallow``) is for quick looks only.
    """
    path = Path(path)
    if not path.is_dir():
        return [f"{path} is not a release folder"]
    return _Check(path, k, deep).run()


def resolve_release(path: Path) -> Path:
    """A release folder, or a city folder (``releases/<city>``) whose CURRENT release is meant."""
    if (path / CURRENT_POINTER).is_file() and not (path / MANIFEST).exists():
        with contextlib.suppress(ReleaseError):
            return path / read_pointer(path).release_id
    return path


def main(args: argparse.Namespace, settings: Settings) -> int:
    """CLI entry: print each violation; exit 1 if there is any, 2 if there is no release."""
    path = resolve_release(Path(args.release))
    if not path.is_dir():
        sys.stderr.write(f"validate: {path} is not a release folder\n")
        return 2
    problems = validate_release(path, args.k, deep=not getattr(args, "shallow", False))
    if problems:
        sys.stdout.write(f"{path}: {len(problems)} violation(s)\n")
        for problem in problems:
            sys.stdout.write(f"  - {problem}\n")
        return 1
    sys.stdout.write(f"{path}: OK (every rule holds)\n")
    return 0
