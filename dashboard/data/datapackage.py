"""``datapackage.json``: the release described as a Frictionless Data Package (v1).

A journalist's tools (frictionless-py, Datasette, R's ``frictionless``, Open Refine)
read a Data Package to know each file's format, checksum and, for tables, every
column's type, allowed values and whether it may be empty, without reading our code.
The descriptor is GENERATED from the contract (``dashboard.data.schema``) and the
manifest's file list, never written by hand, so it cannot drift from the files it
describes; ``dashboard.data.validate`` regenerates it and compares.

Choices the v1 spec leaves open, and why:

* ``hash`` is ``sha256:<hex>`` (the spec's ``{algorithm}:{hash}`` form), the same
  digest ``manifest.json`` lists, so one checksum serves both files.
* ``created`` is the build's UTC *day* (``YYYY-MM-DDT00:00:00Z``), not its second: a
  rebuild of identical data on the same day must write a byte-identical package, or the
  builder could not recognise the release as unchanged (``release._same_release``).
  ``manifest.json`` keeps the exact time.
* ``manifest.json`` is not a resource: it lists this file's checksum, so this file
  cannot list its checksum back. Nor is the package a resource of itself.
* ``encoding`` is given for text files only: Parquet is binary and has none.
* ``bytes`` is given for every file but Parquet: frictionless-py 5 (the reference
  validator) reads Parquet through pandas, cannot count its bytes and would report every
  Parquet file invalid. Parquet keeps its ``hash``; ``manifest.json`` has every size.
  (The same reader turns a NULL in an integer column into NaN, so it reports empty
  ``response_minutes`` in ``calls.parquet`` as type errors; ``calls.csv``, the same rows,
  validates clean. The package states the truth, NULL is "empty", and is left so.)
* ``licenses``: the synthetic sample is the project's own output and carries the
  project's licence; for real records the descriptor names none, because the city
  that publishes them decides, and the description says so (see ``licenses``).
* Release ids are not in the package: the builder may add a ``-2`` suffix after this
  file is written (``release._publish``), and the package must stay valid.

Columns the contract names only as a table's dim or measure (not yet described one by
one) are typed from the Parquet file's footer and point at the table's description.

This module imports the contract and nothing of ``release``, so ``release`` can call it
and ``validate`` can re-derive it without an import cycle.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.data.schema import (
    AREA_TYPES,
    CALLS_COLUMNS,
    CITYWIDE,
    COUNCIL_MEASURES,
    CUBES,
    INTERNAL_EXTRA_COLUMNS,
    ROLLUPS,
    Column,
    Table,
)

#: File name of the descriptor inside a release folder.
DATAPACKAGE = "datapackage.json"

#: Frictionless profile: a plain data package, because the release also holds the data
#: dictionaries (not tables); each table resource is a ``tabular-data-resource`` with a
#: Table Schema. (``tabular-data-package`` would require every resource to be a table.)
PROFILE = "data-package"

#: Contract storage type (or one read from a file) -> Table Schema field type.
FIELD_TYPES: dict[str, str] = {
    "string": "string",
    "date": "date",
    "bool": "boolean",
    "int": "integer",
    "number": "number",
    "timestamp": "datetime",
}

#: How an empty cell is written: DuckDB's CSV writer leaves it blank; Parquet has NULL.
MISSING_VALUES: list[str] = [""]

#: Columns of the aggregate tables that are not columns of ``calls``: the derived time
#: grains, the counts and the cubes' own dims. A name found neither here nor in the
#: contract is typed from its file and described by its table (``table_columns``).
DERIVED_COLUMNS: dict[str, Column] = {
    "month": Column(
        "month",
        "date",
        "First day of the month of the row's `week`: a week belongs to the month its Monday "
        "falls in, so a month is four or five whole weeks.",
    ),
    "year": Column("year", "int", "Calendar year of the Monday of the call's week."),
    "n": Column("n", "int", "Number of calls in this combination."),
    "arrests": Column("arrests", "int", "Of those calls, how many ended in arrest (`outcome` = `arrest`)."),
    "backups": Column(
        "backups",
        "int",
        "Of those calls, how many had the alternative team ask for police (`police_backup`).",
    ),
    # Dims and measures of the district-view cubes (dashboard.data.cubes).
    "area_type": Column("area_type", "string", "`city`, `district` (police) or `council` (council district).",
                        values=AREA_TYPES),
    "area": Column("area", "string", "The police or council district (`citywide` for the city)."),
    "weekday": Column("weekday", "int", "Local day of the week the call came in, 0 = Monday to 6 = Sunday."),
    "hour": Column("hour", "int", "Local hour of the day the call came in, 0-23."),
    "measure": Column("measure", "string", "Which split of the calls this row belongs to.",
                      values=COUNCIL_MEASURES),
    "value": Column("value", "string", "The category of `measure` (text: a month, `true`/`false`, "
                    "an outcome, a reason or a response-time band)."),
    "busy_minutes": Column("busy_minutes", "int", "Total minutes from dispatch to clearing the calls.",
                           nullable=True),
}

#: The flag every suppressed cube adds after its measures (see ``privacy.suppress_cells``).
CUBE_SUPPRESSED = Column(
    "suppressed",
    "bool",
    "True where the cell's counts are hidden for privacy: a small cell, or a cell hidden so that "
    "no small cell can be recovered from totals published elsewhere.",
)
#: What a suppressed cube's measure says besides its own meaning.
SUPPRESSED_MEASURE_NOTE = "Empty where the cell is suppressed (`suppressed` = true)."

#: Meaning of a column the contract names only as a table's dim or measure, not yet
#: described column by column; its type then comes from the file itself.
UNDESCRIBED = "See this table's description."

CALLS_TABLE_DESCRIPTION = (
    "The public rows: one row per in-scope call for service at a coarse, k-anonymous grain "
    "(ISO week x police district x call category, plus who answered, the outcome, whole "
    "response minutes and flags). Every number the dashboard shows can be recomputed from it."
)

#: The project's licence (pyproject.toml), used for the synthetic sample it generates.
PROJECT_LICENSE: dict[str, str] = {
    "name": "MIT",
    "path": "https://opensource.org/licenses/MIT",
    "title": "MIT License (the synthetic sample is generated by this project's code)",
}

#: (format, media type, text encoding or None) by file suffix.
_FORMATS: dict[str, tuple[str, str, str | None]] = {
    ".csv": ("csv", "text/csv", "utf-8"),
    ".parquet": ("parquet", "application/vnd.apache.parquet", None),
    ".json": ("json", "application/json", "utf-8"),
    ".md": ("md", "text/markdown", "utf-8"),
}

_TEXT_RESOURCES: dict[str, tuple[str, str]] = {
    "data_dictionary.json": (
        "Data dictionary (machine-readable)",
        "Every column and table of this release, generated from the data contract.",
    ),
    "data_dictionary.md": (
        "Data dictionary (human-readable)",
        "The same dictionary as a Markdown document.",
    ),
}


def known_column(name: str) -> Column | None:
    """The contract's (or this module's derived) definition of a column name, if any."""
    for column in (*CALLS_COLUMNS, *INTERNAL_EXTRA_COLUMNS):
        if column.name == name:
            return column
    return DERIVED_COLUMNS.get(name)


def table_column_names(table: Table) -> tuple[str, ...]:
    """Columns of a rollup or cube file, in file order: dims, measures, then ``suppressed``
    for suppressed cubes (the layout ``release`` and ``cubes`` write)."""
    return (*table.dims, *table.measures, *(("suppressed",) if table.suppressed else ()))


def _arrow_dtype(arrow_type: pa.DataType) -> str:
    """The contract's storage type (or a Table Schema type) for an Arrow type."""
    if pa.types.is_string(arrow_type) or pa.types.is_large_string(arrow_type):
        return "string"
    if pa.types.is_boolean(arrow_type):
        return "bool"
    if pa.types.is_integer(arrow_type):
        return "int"
    if pa.types.is_date(arrow_type):
        return "date"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "number"
    if pa.types.is_timestamp(arrow_type):
        return "timestamp"
    return "any"


def file_types(path: Path) -> dict[str, str]:
    """Column -> storage type of a Parquet file, from its footer only ({} if unreadable)."""
    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return {}
    return {f.name: _arrow_dtype(f.type) for f in schema}


def table_columns(table: Table, types: Mapping[str, str] | None = None) -> tuple[Column, ...]:
    """The columns of a rollup or cube file, in file order, with type and meaning.

    Dims are typed and described as in ``calls`` (or the internal columns a cube may
    carry, such as ``precinct``); ``month``, ``year`` and the counts are derived here. A
    suppressed cube's measures may be empty. A name the contract does not define column
    by column takes its type from ``types`` (the file's, see ``file_types``) and points
    at the table's description, so the package never claims more than is known.
    """
    out = []
    for name in table_column_names(table):
        if table.suppressed and name == "suppressed":
            out.append(CUBE_SUPPRESSED)
            continue
        known = known_column(name)
        dtype = known.dtype if known else (types or {}).get(name, "any")
        text = known.description if known else UNDESCRIBED
        nullable = known.nullable if known else True
        if table.suppressed and name in table.measures:
            text, nullable = f"{text} {SUPPRESSED_MEASURE_NOTE}", True
        values: tuple[str, ...] = known.values if known else ()  # noqa: PD011 (a tuple)
        out.append(Column(name, dtype, text, nullable=nullable, values=values))
    return tuple(out)


def schema_field(column: Column) -> dict:
    """A Table Schema field for a contract column: type, meaning and constraints."""
    constraints: dict[str, object] = {"required": not column.nullable}
    values: tuple[str, ...] = column.values  # noqa: PD011 (a tuple, not pandas)
    if values:
        constraints["enum"] = list(values)
    out: dict[str, object] = {
        "name": column.name,
        "type": FIELD_TYPES.get(column.dtype, "any"),
        "description": column.description,
    }
    if column.dtype == "date":
        out["format"] = "default"  # ISO 8601 YYYY-MM-DD
    out["constraints"] = constraints
    return out


def table_schema(columns: tuple[Column, ...], primary_key: tuple[str, ...] = ()) -> dict:
    """A Table Schema (fields, missing values, optional primary key)."""
    schema: dict[str, object] = {
        "fields": [schema_field(c) for c in columns],
        "missingValues": list(MISSING_VALUES),
    }
    if primary_key:
        schema["primaryKey"] = list(primary_key)
    return schema


def _tables(folder: Path | None) -> dict[str, tuple[str, str, dict]]:
    """File stem -> (title, description, Table Schema) for every table of a release.

    ``folder`` (the release being described) supplies the types of columns the contract
    does not define one by one; without it they are typed ``any``.
    """
    out = {
        "calls": (
            "Calls (public rows)",
            CALLS_TABLE_DESCRIPTION,
            table_schema(CALLS_COLUMNS, primary_key=("call_id",)),
        )
    }
    for table in (*ROLLUPS, *CUBES):
        kind = "Suppressed cube" if table.suppressed else "Rollup"
        file = folder / f"{table.name}.parquet" if folder is not None else None
        types = file_types(file) if file is not None and file.is_file() else {}
        out[table.name] = (f"{kind}: {table.name}", table.description,
                           table_schema(table_columns(table, types)))
    return out


def _resource(name: str, meta: Mapping[str, object], tables: Mapping[str, tuple[str, str, dict]]) -> dict:
    path = Path(name)
    fmt, mediatype, encoding = _FORMATS.get(path.suffix, (path.suffix.lstrip(".") or "data",
                                                          "application/octet-stream", None))
    resource: dict[str, object] = {"name": name.lower(), "path": name}
    table = tables.get(path.stem) if fmt in ("csv", "parquet") else None
    if table is not None:
        title, description, schema = table
        resource.update(profile="tabular-data-resource", title=title, description=description)
    else:
        schema = None
        title, description = _TEXT_RESOURCES.get(name, (name, ""))
        resource["profile"] = "data-resource"
        resource["title"] = title
        if description:
            resource["description"] = description
    resource.update(format=fmt, mediatype=mediatype)
    if encoding:
        resource["encoding"] = encoding
    if fmt != "parquet":  # see module doc: the reference validator cannot count Parquet bytes
        resource["bytes"] = meta.get("bytes")
    resource["hash"] = f"sha256:{meta.get('sha256')}"
    if fmt == "csv":
        resource["dialect"] = {"delimiter": ",", "header": True, "quoteChar": '"', "doubleQuote": True}
    if schema is not None:
        resource["schema"] = schema
    return resource


def file_order(name: str) -> tuple[int, str]:
    """calls first, then rollups and cubes in contract order, then the rest by name."""
    stems = ["calls", *(t.name for t in (*ROLLUPS, *CUBES))]
    stem = Path(name).stem
    return (stems.index(stem) if stem in stems else len(stems), name)


def licenses(synthetic: bool) -> list[dict[str, str]]:
    """The licences of a release's data: the project's for its own synthetic sample;
    none claimed for a city's records (their publisher decides; the description says so)."""
    return [dict(PROJECT_LICENSE)] if synthetic else []


def description(city: str, synthetic: bool, k: int) -> str:
    """The package's description: what the files are, how they are protected, whether real."""
    parts = []
    if synthetic:
        parts.append(
            "SYNTHETIC SAMPLE DATA: generated by a seeded simulation calibrated to published "
            "program figures. It describes no real call or person."
        )
    parts.append(
        f"911 calls about people in crisis in `{city}` and who answered them (an alternative "
        "non-police team, co-responders, CIT-trained officers or patrol), published by the Crisis "
        "Response Dashboard."
    )
    parts.append(
        f"Privacy: no direct identifiers; times at ISO-week grain; places at police-district grain. "
        f"Rows are k-anonymous with k = {k} on week x district x call category: a row in a smaller "
        "group is generalized (week to month, district to "
        f"`{CITYWIDE}`, category to `other`) and withheld if still too rare. Cubes finer than the "
        f"rows hide cells of 1 to {k - 1} calls, with complementary suppression."
    )
    parts.append("manifest.json beside this file holds the release id, the exact creation time and the "
                 "row counts (read, accepted, rejected, published, generalized, withheld).")
    if not synthetic:
        parts.append("No licence is stated here: see the publishing city's terms.")
    return "\n\n".join(parts)


def build_datapackage(
    files: Mapping[str, Mapping[str, object]],
    *,
    city: str,
    source: str,
    synthetic: bool,
    k: int,
    created: str,
    folder: Path | None = None,
) -> dict:
    """The descriptor for a release whose files are ``files`` ({name: {sha256, bytes}}).

    ``manifest.json`` and the package itself are left out if present (see module doc).
    ``folder`` is the release folder, read only for Parquet footers (see ``_tables``).
    Deterministic: the same arguments and files always give the same descriptor, which
    is how ``validate`` checks a published one.
    """
    tables = _tables(folder)
    names = sorted((n for n in files if n not in (DATAPACKAGE, "manifest.json")), key=file_order)
    title = f"Crisis response calls: {city}"
    if synthetic:
        title += " (SYNTHETIC sample data, not real calls)"
    package: dict[str, object] = {
        "profile": PROFILE,
        "name": f"crisis-response-{city}".lower(),
        "title": title,
        "description": description(city, synthetic, k),
        "created": created,
        "keywords": ["911", "crisis response", "alternative response", "co-responder", "police"]
        + (["synthetic"] if synthetic else []),
    }
    found_licenses = licenses(synthetic)
    if found_licenses:
        package["licenses"] = found_licenses
    package["sources"] = [{"title": source + (" (synthetic)" if synthetic else "")}]
    package["resources"] = [_resource(n, files[n], tables) for n in names]
    return package


def created_stamp(when: datetime | None = None) -> str:
    """``created`` for a package built at ``when`` (default now): the UTC day, see module doc."""
    moment = (when or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT00:00:00Z")


def dumps(package: Mapping[str, object]) -> str:
    """The descriptor's text: stable key order and indentation, so its sha256 is reproducible."""
    return json.dumps(package, indent=2, ensure_ascii=False) + "\n"


def write_datapackage(
    folder: Path,
    files: Mapping[str, Mapping[str, object]],
    *,
    city: str,
    source: str,
    synthetic: bool,
    k: int,
    when: datetime | None = None,
) -> dict[str, dict]:
    """Write ``datapackage.json`` into ``folder``; return ``files`` with it added, sorted.

    ``files`` are the checksums the builder already computed for the manifest: the
    package repeats them rather than hashing gigabytes twice.
    """
    package = build_datapackage(files, city=city, source=source, synthetic=synthetic, k=k,
                                created=created_stamp(when), folder=folder)
    data = dumps(package).encode("utf-8")
    (folder / DATAPACKAGE).write_bytes(data)
    entry = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    merged = {name: dict(meta) for name, meta in files.items() if name != DATAPACKAGE}
    merged[DATAPACKAGE] = entry
    return dict(sorted(merged.items()))


def resource_by_path(package: Mapping[str, object]) -> dict[str, dict]:
    """The package's resources keyed by ``path`` (malformed entries skipped)."""
    resources = package.get("resources")
    if not isinstance(resources, list):
        return {}
    return {r["path"]: r for r in resources if isinstance(r, dict) and isinstance(r.get("path"), str)}
