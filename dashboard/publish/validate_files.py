"""Checks of a release folder's files as files: the manifest, ``datapackage.json``, k and
the manifest's counts.

Integrity (every file listed with its sha256 and size, nothing unlisted, nothing
expected missing), the Frictionless package regenerated from the contract and compared,
the k every other check uses, and row counts that add up (``dashboard.publish.validate``
lists every check).

Kept apart from the checks of what the tables hold: these read the manifest and the
folder, never the rows, and run first (k comes from here).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from dashboard.contract.datapackage import DATAPACKAGE, build_datapackage, resource_by_path
from dashboard.contract.releases import MANIFEST, sha256_file
from dashboard.contract.schema import CUBES, ROLLUPS
from dashboard.publish.identifier_patterns import identifier_hint
from dashboard.publish.validate_run import ValidationRun

#: Files every release holds besides ``manifest.json``.
EXPECTED_FILES: tuple[str, ...] = (
    "calls.parquet",
    "calls.csv",
    *(f"{t.name}.parquet" for t in (*ROLLUPS, *CUBES)),
    "data_dictionary.json",
    "data_dictionary.md",
)


class FileChecks(ValidationRun):
    """The manifest, ``datapackage.json``, k and the manifest's counts."""

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
