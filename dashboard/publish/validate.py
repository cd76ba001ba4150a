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

This module runs the checks in order and is the CLI. The checks are grouped by what they
read, on one shared ``ValidationRun`` (``dashboard.publish.validate_run``):
``dashboard.publish.validate_files`` (manifest, ``datapackage.json``, k, manifest counts),
``dashboard.publish.validate_tables`` (contract, rules 1, 2 and 4, rollups) and
``dashboard.publish.validate_cubes`` (rule 5 and the attacks); what a direct identifier
looks like is ``dashboard.publish.identifier_patterns``.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable
from pathlib import Path

import duckdb
import pyarrow as pa

from dashboard.contract.releases import CURRENT_POINTER, MANIFEST, ReleaseError, read_pointer
from dashboard.publish.validate_cubes import CubeChecks
from dashboard.publish.validate_files import FileChecks
from dashboard.publish.validate_tables import TableChecks
from dashboard.settings import Settings


class _Check(FileChecks, TableChecks, CubeChecks):
    """Every check of a release, run in order; the violations found (``run``)."""

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
