"""The data dictionary every release carries, generated from the contract (JSON and Markdown).

``data_dictionary`` is ``data_dictionary.json``, ``data_dictionary_markdown`` is
``data_dictionary.md``: every column of the rows and every aggregate table, with the
contract's types, values and descriptions (``dashboard.contract.schema``).

Kept apart from the build: it depends on the contract alone, not on any release's data.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict

from dashboard.contract.schema import CALLS_COLUMNS, CUBES, ROLLUPS


def data_dictionary(notes: Mapping[str, str] | None = None) -> dict:
    """The machine-readable data dictionary, generated from the contract; ``notes``
    (column -> what it means in this city, ``i18n.column_notes``) go beside each column."""
    notes = notes or {}
    return {
        "calls": [asdict(c) | ({"city_note": notes[c.name]} if c.name in notes else {})
                  for c in CALLS_COLUMNS],
        "tables": [
            {"name": t.name, "dims": list(t.dims), "measures": list(t.measures),
             "suppressed": t.suppressed, "description": t.description}
            for t in (*ROLLUPS, *CUBES)
        ],
    }


def data_dictionary_markdown(synthetic: bool, notes: Mapping[str, str] | None = None) -> str:
    notes = notes or {}
    lines = ["# Data dictionary", ""]
    if synthetic:
        lines += [
            "**This release is SYNTHETIC sample data** made by a seeded generator calibrated to "
            "published program figures. It describes no real person or call.",
            "",
        ]
    lines += ["## calls (one row per in-scope call, coarse grain)", "",
              "| column | type | values | meaning |", "|---|---|---|---|"]
    for c in CALLS_COLUMNS:
        allowed = ", ".join(f"`{v}`" for v in c.values)  # noqa: PD011 (a tuple, not pandas)
        kind = c.dtype + (" or empty" if c.nullable else "")
        note = f" *In this city:* {notes[c.name]}" if c.name in notes else ""
        lines.append(f"| `{c.name}` | {kind} | {allowed} | {c.description}{note} |")
    lines += ["", "## Aggregate tables", ""]
    for t in (*ROLLUPS, *CUBES):
        dims = ", ".join(f"`{d}`" for d in t.dims)
        measures = ", ".join(f"`{m}`" for m in t.measures)
        lines.append(f"- `{t.name}` ({dims}; counts {measures}): {t.description}")
    return "\n".join(lines) + "\n"
