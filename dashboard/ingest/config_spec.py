"""What a city's ``[ingest]`` section says, as frozen values the ingest reads.

The loader (``dashboard.ingest.config``) builds these from the TOML and the ingest maps
rows with them. They are separate from the loader so that code mapping rows depends
only on what the config means, never on how the TOML is read and checked; the one rule
both share, how labels compare (``normalize_label``), lives here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

from dashboard.contract.cities import City
from dashboard.ingest.guard import DEFAULT_MAX_REJECT_RATE, DEFAULT_MAX_SHRINK

ANY_LABEL = "*"
BLANK_LABEL = ""
ISO8601 = "ISO8601"
LOCAL = "local"
MISSING_POINT = ("reject", "citywide")


def normalize_label(value: object) -> str:
    """The form in which source labels and map keys are compared.

    Case-folded, trimmed, inner runs of whitespace collapsed; a blank or missing cell
    is ``""``. Whole-number floats print as integers so that a code read as ``10``
    from a CSV and as ``10.0`` from a spreadsheet cell are the same label.
    """
    if value is None or value != value:  # None, NaN, NaT, pd.NA (pd.NA != pd.NA is NA)
        return BLANK_LABEL
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split()).casefold()


class CallType(NamedTuple):
    """What a source call type means in the contract.

    A tuple of plain values (like every map target: contract enums are stored as their
    string values) because the ingest hashes millions of targets, and tuples of
    strings hash in C while Enum members and dataclasses hash in Python.
    """

    category: str  # a CallCategory value
    eligible: bool


@dataclass(frozen=True)
class ValueMap:
    """Source labels (normalized) -> contract values, with the two special keys split out."""

    entries: Mapping[str, Any]
    any_other: Any = None  # target of "*", None when absent
    blank: Any = None  # target of "", None when absent
    defer: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Source:
    """One column consulted for a field, with its value map."""

    column: str
    values: ValueMap


@dataclass(frozen=True)
class MappedField:
    """A contract field taken from a chain of source columns, or a constant."""

    name: str
    sources: tuple[Source, ...] = ()
    constant: Any = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(s.column for s in self.sources)


@dataclass(frozen=True)
class TimeColumn:
    """A timestamp column: strptime format (or ISO 8601) and what naive values mean.

    With ``time_column`` the time is split over two columns: ``column`` holds the date and
    ``time_column`` the time of day, read together as ``"<date> <time>"`` with ``format``.
    """

    column: str
    format: str = ISO8601
    timezone: str = LOCAL  # "local" = the city's time zone
    time_column: str | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return (self.column,) if self.time_column is None else (self.column, self.time_column)


@dataclass(frozen=True)
class Response:
    """How response minutes are found (on-scene time, or minute column(s) summed), and
    how busy minutes are: from ``dispatched`` (else the call received) to ``cleared``.

    Busy minutes are the unit's time per call, which a staffing model needs next to the
    demand; an export without a cleared time leaves them empty.
    """

    on_scene: TimeColumn | None = None
    minutes_columns: tuple[str, ...] = ()
    dispatched: TimeColumn | None = None
    cleared: TimeColumn | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        minutes = (self.on_scene.column,) if self.on_scene else self.minutes_columns
        busy = tuple(t.column for t in (self.dispatched, self.cleared) if t is not None)
        return (*minutes, *busy)


@dataclass(frozen=True)
class Points:
    """Longitude/latitude columns, assigned to areas with the city's boundary files."""

    lon: str
    lat: str
    boundaries: str  # folder under geo/ (default: the city id)
    missing: str = "reject"  # or "citywide": a call without a point is placed city-wide


@dataclass(frozen=True)
class IngestConfig:
    """Everything the ingest needs to know about one city's export."""

    path: Path
    sha256: str  # of the whole TOML file, recorded in the manifest
    city: City
    received: TimeColumn
    call_type: MappedField
    response_type: MappedField
    outcome: MappedField
    police_backup: MappedField
    unanswered_reason: MappedField | None = None
    district: MappedField | None = None
    points: Points | None = None
    response: Response = field(default_factory=Response)
    person_column: str | None = None
    identifiers: tuple[str, ...] = ()
    sheet: str | None = None
    delimiter: str = ","
    synthetic: bool = False  # the export itself was made by a generator: the release says so
    max_shrink: float = DEFAULT_MAX_SHRINK  # dashboard.ingest.guard: refusals before publishing
    max_reject_rate: float = DEFAULT_MAX_REJECT_RATE
    #: Where the received time is read when ``received`` holds none (blank or a placeholder),
    #: in order; and the values that mean "not recorded" in any of them.
    received_fallbacks: tuple[TimeColumn, ...] = ()
    received_placeholders: frozenset[str] = frozenset()

    @property
    def received_sources(self) -> tuple[TimeColumn, ...]:
        return (self.received, *self.received_fallbacks)

    @property
    def value_fields(self) -> tuple[MappedField, ...]:
        """Fields whose labels are looked up in a map (their unknown labels are quoted in rejects)."""
        fields = (self.call_type, self.response_type, self.outcome, self.police_backup,
                  self.unanswered_reason, self.district)
        return tuple(f for f in fields if f is not None)

    def columns(self) -> tuple[str, ...]:
        """Every input column the ingest reads, in a stable order, without repeats."""
        cols: list[str] = [c for t in self.received_sources for c in t.columns]
        cols += self.response.columns
        for f in self.value_fields:
            cols += f.columns
        if self.points:
            cols += [self.points.lon, self.points.lat]
        if self.person_column:
            cols.append(self.person_column)
        return tuple(dict.fromkeys(cols))


def program_start(city: City) -> date | None:
    """First day the alternative program operates (eligibility is assessed from then on)."""
    return city.schedule[0].start if city.schedule else None
