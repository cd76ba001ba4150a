"""The ``[ingest]`` section of a city TOML: how one city's raw export maps onto the contract.

A city is configuration plus data, so everything that differs between two cities'
exports (column names, time formats, the labels their dispatchers use) lives here and
the ingest code knows no city. The loader checks the whole section up front, so a typo
in a column name or an outcome that is not in the contract fails with the file and key
named, before any input is read. Format, by example (see README "Ingest")::

    [ingest]
    sheet = "Abbrev list"                       # .xlsx only; default: the first sheet
    identifiers = ["ID", "Address"]             # known identifiers / free text: never copied
    person_column = "Person ID"                 # optional: repeat contacts only, salted hash
    max_shrink = 0.05                           # refuse a month of calls falling by more (guard)
    max_reject_rate = 0.10                      # refuse more rejected rows than this share (guard)

    [ingest.received]                           # required: when the call came in
    column = "Call Received"                    # ... or date_column + time_column, read
                                                # together as "<date> <time>"
    format = "%m/%d/%Y %I:%M:%S %p"             # strptime, or "ISO8601" (default)
    timezone = "local"                          # what naive times mean: local | UTC | IANA name
    placeholders = ["1900-01-01 00:00:00"]      # values meaning "not recorded" (optional)
    [[ingest.received.fallback]]                # optional, in order: read where the columns
    date_column = "Call Date"                   # before hold no time (blank or placeholder)
    time_column = "Call Time"
    format = "%Y-%m-%d %H:%M"                   # default: the first source's format and zone

    [ingest.response]                           # optional: one of the three forms
    on_scene_column = "First On Scene"          # ... or minutes_columns = ["A", "B"] (summed)
    cleared_column = "Unit Cleared"             # optional: busy minutes (dispatch -> cleared)
    dispatched_column = "Unit Dispatched"       # optional; without it busy time runs from
                                                # the call being received

    [ingest.place]                              # optional (no place: every call citywide)
    lon = "Longitude"                           # ... spatial assignment with geo/<city>/
    lat = "Latitude"                            # ... or column = "City" + map = {...}

    [ingest.call_type]                          # required
    column = "Call Type"
    map = { "WELFARE CHECK" = { category = "welfare_check", eligible = true } }

    [ingest.response_type]                      # required: value = "STAR", or column + map
    [[ingest.outcome]]                          # required; several tables = first mapped wins
    [ingest.police_backup]                      # optional: value = false, or column + map
    [ingest.unanswered_reason]                  # optional: column + map

Value maps match labels case-insensitively with surrounding and repeated whitespace
ignored ("Engaged Client" = "engaged  client"), because real exports spell one label
several ways. Two keys are special: ``"*"`` maps any other non-blank label and ``""``
maps a blank cell. A label listed in ``defer`` says nothing about the field: the next
table of the chain decides (blank cells always defer when a next table exists).

A label that means "nobody recorded this" maps to the field's not-recorded value, never
to a real one: ``"-" = "not_recorded"`` for outcomes (shares leave those calls out and
count them beside), ``"other"`` for call types, ``"unknown"`` for unanswered reasons. A
field the export lacks altogether (``police_backup = { value = false }``, no person
column) is listed in the manifest's ``ingest.not_recorded`` and reads "not recorded".

This module is the loader: it reads each section and checks it against the contract.
What it builds (``IngestConfig`` and its parts) is in ``dashboard.ingest.config_spec``,
the typed TOML reading it uses in ``dashboard.ingest.config_tables``.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dashboard.contract.cities import City, CityConfigError, load_city
from dashboard.contract.schema import CallCategory, Outcome, ResponseType, UnansweredReason
from dashboard.ingest.config_spec import (
    ANY_LABEL,
    BLANK_LABEL,
    ISO8601,
    LOCAL,
    MISSING_POINT,
    CallType,
    IngestConfig,
    MappedField,
    Points,
    Response,
    Source,
    TimeColumn,
    ValueMap,
    normalize_label,
)
from dashboard.ingest.config_tables import IngestConfigError, Table, boolean, enum_value, nonblank
from dashboard.ingest.guard import DEFAULT_MAX_REJECT_RATE, DEFAULT_MAX_SHRINK, share

# -- converters of map targets ---------------------------------------------------------


def _call_type(where: Table, key: str) -> Callable[[object], CallType]:
    def convert(value: object) -> CallType:
        target = Table(value, f"{where.where}.{key}", where.path)
        category = enum_value(CallCategory, target, "category")(target.get("category", str, required=True))
        eligible = target.get("eligible", bool, required=True)
        target.done()
        return CallType(category, eligible)

    return convert


# -- value maps and chains -------------------------------------------------------------


def _value_map(table: Table, convert: Callable[[Table, str], Callable[[object], Any]],
               *, last: bool, may_be_empty: bool = False) -> ValueMap:
    """Read ``map`` (and ``defer``) of one source table. ``may_be_empty``: the place
    column, whose codes may be the boundary ids themselves (``places.with_boundary_codes``)."""
    raw = table.sub("map") if table.has("map") else None
    entries: dict[str, Any] = {}
    any_other = blank = None
    for label, target in (raw.raw.items() if raw else ()):
        value = convert(table, f"map.{label!r}")(target)
        key = normalize_label(label) if label != ANY_LABEL else ANY_LABEL
        if key == ANY_LABEL:
            any_other = value
        elif key == BLANK_LABEL:
            blank = value
        elif key in entries and entries[key] != value:
            raise table.error(f"{label!r} maps to {value!r} but the same label (ignoring case and "
                              f"spaces) already maps to {entries[key]!r}", "map")
        else:
            entries[key] = value
    defer = frozenset(normalize_label(x) for x in table.get("defer", list, []))
    if defer and last:
        raise table.error("only a table followed by another can defer labels", "defer")
    if clash := sorted(defer & set(entries)):
        raise table.error(f"labels both mapped and deferred: {', '.join(clash)}", "defer")
    if not entries and any_other is None and blank is None and not may_be_empty:
        raise table.error("needs a non-empty map", "map")
    return ValueMap(MappingProxyType(entries), any_other, blank, defer)


def _mapped_field(ingest: Table, name: str, convert: Callable[[Table, str], Callable[[object], Any]],
                  *, required: bool, may_be_empty: bool = False) -> MappedField | None:
    """A field as ``value = ...``, one ``[ingest.name]`` table, or ``[[ingest.name]]`` tables."""
    if not ingest.has(name):
        if required:
            raise ingest.error("is required", name)
        return None
    ingest.used.add(name)
    raw = ingest.raw[name]
    if isinstance(raw, str | bool):  # shorthand: response_type = "STAR"
        raw = {"value": raw}
    tables = raw if isinstance(raw, list) else [raw]
    where = [f"{ingest.where}.{name}" + (f"[{i}]" if isinstance(raw, list) else "")
             for i in range(len(tables))]
    if not tables:
        raise ingest.error("needs at least one table", name)
    first = Table(tables[0], where[0], ingest.path)
    if first.has("value"):
        if len(tables) > 1:
            raise first.error("a constant `value` cannot be part of a chain")
        value = convert(first, "value")(first.get("value", (str, bool)))
        first.done()
        return MappedField(name, constant=value)
    sources = []
    for i, (raw_table, at) in enumerate(zip(tables, where, strict=True)):
        table = Table(raw_table, at, ingest.path)
        column = nonblank(table, "column")(table.get("column", str, required=True))
        values = _value_map(table, convert, last=i == len(tables) - 1, may_be_empty=may_be_empty)
        table.done()
        sources.append(Source(column, values))
    return MappedField(name, tuple(sources))


# -- the sections ----------------------------------------------------------------------


def _time_column(table: Table, column_key: str = "column", format_key: str = "format",
                 tz_key: str = "timezone", default_format: str = ISO8601,
                 default_tz: str = LOCAL) -> TimeColumn:
    column = nonblank(table, column_key)(table.get(column_key, str, required=True))
    fmt = table.get(format_key, str, default_format)
    if fmt != ISO8601 and "%" not in fmt:
        raise table.error(f"{fmt!r} is neither a strptime format (with %-codes) nor {ISO8601!r}",
                          format_key)
    tz = table.get(tz_key, str, default_tz)
    if tz != LOCAL:
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError):
            raise table.error(f"{tz!r} is not 'local', 'UTC' or an IANA time zone name",
                              tz_key) from None
    return TimeColumn(column, fmt, tz)


def _received_source(table: Table, primary: TimeColumn | None = None) -> TimeColumn:
    """``column``, or ``date_column`` + ``time_column`` (read as ``"<date> <time>"``), with
    ``format`` and ``timezone``; a fallback defaults to the first source's format and zone."""
    fmt, tz = (primary.format, primary.timezone) if primary else (ISO8601, LOCAL)
    if table.has("date_column") or table.has("time_column"):
        if table.has("column"):
            raise table.error("give either column, or date_column and time_column", "column")
        spec = _time_column(table, "date_column", default_format=fmt, default_tz=tz)
        time_column = nonblank(table, "time_column")(table.get("time_column", str, required=True))
        return TimeColumn(spec.column, spec.format, spec.timezone, time_column)
    return _time_column(table, default_format=fmt, default_tz=tz)


def _received(ingest: Table) -> tuple[TimeColumn, tuple[TimeColumn, ...], frozenset[str]]:
    """The received time: its first source, the fallbacks (``[[ingest.received.fallback]]``,
    tried in order where the sources before them hold no time) and the placeholders."""
    table = ingest.sub("received")
    primary = _received_source(table)
    raw = table.get("placeholders", list, [])
    placeholders = frozenset(nonblank(table, "placeholders")(p) for p in raw)
    fallbacks = []
    for i, raw_table in enumerate(table.get("fallback", list, [])):
        fallback = Table(raw_table, f"{table.where}.fallback[{i}]", table.path)
        fallbacks.append(_received_source(fallback, primary))
        fallback.done()
    table.done()
    return primary, tuple(fallbacks), placeholders


def _response_time(table: Table, name: str, received: TimeColumn) -> TimeColumn | None:
    """``<name>_column`` with optional ``<name>_format``/``<name>_timezone`` (default:
    those of the received time, since one export writes all its times one way)."""
    if not table.has(f"{name}_column"):
        for key in (f"{name}_format", f"{name}_timezone"):
            if table.has(key):
                raise table.error(f"needs {name}_column", key)
        return None
    spec = _time_column(table, f"{name}_column", f"{name}_format", f"{name}_timezone")
    if not table.has(f"{name}_format"):
        spec = TimeColumn(spec.column, received.format, spec.timezone)
    if not table.has(f"{name}_timezone"):
        spec = TimeColumn(spec.column, spec.format, received.timezone)
    return spec


def _response(ingest: Table, received: TimeColumn) -> Response:
    if not ingest.has("response"):
        return Response()
    table = ingest.sub("response")
    dispatched = _response_time(table, "dispatched", received)
    cleared = _response_time(table, "cleared", received)
    if dispatched and not cleared:
        raise table.error("needs cleared_column: busy minutes run from dispatch to cleared",
                          "dispatched_column")
    forms = [k for k in ("on_scene_column", "minutes_columns") if table.has(k)]
    if len(forms) > 1 or (not forms and not cleared):
        raise table.error("give exactly one of on_scene_column, minutes_columns "
                          "(or only cleared_column)")
    if forms == ["on_scene_column"]:
        on_scene = _response_time(table, "on_scene", received)
        table.done()
        return Response(on_scene=on_scene, dispatched=dispatched, cleared=cleared)
    columns: tuple[str, ...] = ()
    if forms:
        raw = table.get("minutes_columns", (str, list))
        raw = [raw] if isinstance(raw, str) else raw
        columns = tuple(nonblank(table, "minutes_columns")(c) for c in raw)
        if not columns:
            raise table.error("needs at least one column", "minutes_columns")
    table.done()
    return Response(minutes_columns=columns, dispatched=dispatched, cleared=cleared)


def _place(ingest: Table, city: City) -> tuple[MappedField | None, Points | None]:
    """Points (lon/lat + boundaries), a district column with a value map, or nothing."""
    raw = ingest.raw.get("place")
    if raw is None:
        return None, None
    if not (isinstance(raw, dict) and ("lon" in raw or "lat" in raw)):
        district = _mapped_field(ingest, "place", lambda t, k: nonblank(t, k), required=True,
                                 may_be_empty=True)
        return (replace(district, name="district") if district else None), None
    table = ingest.sub("place")
    lon = nonblank(table, "lon")(table.get("lon", str, required=True))
    lat = nonblank(table, "lat")(table.get("lat", str, required=True))
    missing = table.get("missing", str, "reject")
    if missing not in MISSING_POINT:
        raise table.error(f"{missing!r} is not one of: {', '.join(MISSING_POINT)}", "missing")
    points = Points(lon, lat, table.get("boundaries", str, city.id), missing)
    table.done()
    return None, points


def _check_columns(cfg: IngestConfig, table: Table) -> None:
    """Identifier columns may feed only consumers that never copy a value out.

    Unknown labels of value-mapped columns are quoted (truncated) in the rejects file,
    so an identifier there could leak; lon/lat, the person column and time columns are
    consumed (assigned, hashed, truncated) and never copied.
    """
    value_columns = {c for f in cfg.value_fields for c in f.columns}
    if clash := sorted(value_columns & set(cfg.identifiers)):
        names = ", ".join(repr(c) for c in clash)
        raise table.error(f"identifier column(s) {names} cannot be value-mapped: only lon/lat, "
                          "person_column and time columns may read an identifier", "identifiers")
    if not cfg.city.schedule and maps_eligible(cfg.call_type):
        raise table.error("some call types are eligible = true but the city has no [[schedule]]; "
                          "eligibility is only assessed while the program operates", "call_type")


def maps_eligible(call_type: MappedField) -> bool:
    targets = [t for s in call_type.sources
               for t in (*s.values.entries.values(), s.values.any_other, s.values.blank)]
    return any(isinstance(t, CallType) and t.eligible for t in targets)


def _parse_ingest(raw: dict[str, Any], path: Path, city: City, sha: str) -> IngestConfig:
    if "ingest" not in raw:
        raise IngestConfigError(f"{path}: no [ingest] section: this city has no ingest configuration")
    ingest = Table(raw["ingest"], "ingest", path)
    received, fallbacks, placeholders = _received(ingest)
    district, points = _place(ingest, city)
    delimiter = ingest.get("delimiter", str, ",")
    if len(delimiter) != 1:
        raise ingest.error(f"{delimiter!r} must be one character", "delimiter")
    cfg = IngestConfig(
        path=path,
        sha256=sha,
        city=city,
        received=received,
        received_fallbacks=fallbacks,
        received_placeholders=placeholders,
        call_type=_mapped_field(ingest, "call_type", _call_type, required=True),
        response_type=_mapped_field(ingest, "response_type", lambda t, k: enum_value(ResponseType, t, k),
                                    required=True),
        outcome=_mapped_field(ingest, "outcome", lambda t, k: enum_value(Outcome, t, k), required=True),
        police_backup=_mapped_field(ingest, "police_backup", boolean, required=False)
        or MappedField("police_backup", constant=False),
        unanswered_reason=_mapped_field(ingest, "unanswered_reason",
                                        lambda t, k: enum_value(UnansweredReason, t, k), required=False),
        district=district,
        points=points,
        response=_response(ingest, received),
        person_column=ingest.get("person_column", str),
        identifiers=tuple(nonblank(ingest, "identifiers")(c) for c in ingest.get("identifiers", list, [])),
        sheet=ingest.get("sheet", str),
        delimiter=delimiter,
        synthetic=ingest.get("synthetic", bool, False),
        max_shrink=_share(ingest, "max_shrink", DEFAULT_MAX_SHRINK),
        max_reject_rate=_share(ingest, "max_reject_rate", DEFAULT_MAX_REJECT_RATE),
    )
    ingest.done()
    _check_columns(cfg, ingest)
    return cfg


def _share(table: Table, key: str, default: float) -> float:
    """A threshold of the guard (``dashboard.ingest.guard``): a number from 0 to 1."""
    try:
        return share(table.get(key, (int, float), default), "it")
    except ValueError as exc:
        raise table.error(str(exc), key) from None


def load_ingest_config(path: Path) -> IngestConfig:
    """Read a city TOML and its ``[ingest]`` section; any problem names the file and key.

    Unknown top-level tables (``[labels]``, ...) belong to other parts of the product and
    are ignored here; unknown keys *inside* ``[ingest]`` are errors, since a misspelt key
    would otherwise be silently ignored and change what gets published.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
        raw = tomllib.loads(data.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise IngestConfigError(f"{path}: {exc}") from exc
    try:
        city = load_city(path)
    except CityConfigError as exc:
        raise IngestConfigError(str(exc)) from exc
    return _parse_ingest(raw, path, city, hashlib.sha256(data).hexdigest())

