"""One validation run's state and the helpers every group of checks uses.

``ValidationRun`` holds the folder, k, a private DuckDB connection with bounded memory
and the violations found. The checks are its subclasses by what they read
(``dashboard.publish.validate_files``, ``validate_tables``, ``validate_cubes``), which
``dashboard.publish.validate`` combines and runs in order.

Kept apart so that each group of checks builds on the same state without importing
another group or the module that runs them all.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import duckdb

#: DuckDB's working memory while checking; beyond it, sorts and hashes spill to disk.
MEMORY_LIMIT = "1GB"

#: Most examples quoted per violation: enough to find the problem, short enough to read.
EXAMPLES = 3


class ValidationRun:
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

    def describe(self, view: str) -> list[tuple[str, str]]:
        return [(str(r[0]), str(r[1])) for r in self.con.execute(f"DESCRIBE {view}").fetchall()]

    def has(self, view: str, *columns: str) -> bool:
        present = {c for c, _ in self.tables.get(view, [])}
        return view in self.tables and set(columns) <= present
