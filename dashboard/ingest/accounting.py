"""Every row accepted or rejected, for one reason: the reject flags, the tally, the report.

A row is rejected with its line number, a reason and the name of the offending column,
never the raw row: a raw row holds addresses, names and narratives, and the rejects
file sits next to public releases. Only an unknown code is quoted (``quote_label``),
because the analyst needs it to fix the config. ``read = accepted + rejected`` is kept
here and printed by ``summary``. Separate from the mapping so that what may be written
about a row, and how the run reconciles, is in one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from dashboard.contract.releases import ReleaseInfo
from dashboard.ingest.readers import InputFile

DETAIL_CHARS = 40  # an unknown label is quoted in the rejects file up to this length
REJECTS_DIR = "rejects"
REJECTS_HEADER = ("line", "reason", "field", "detail")


class Reason(StrEnum):
    """Why a row was rejected (the first problem found, checked in this order)."""

    MALFORMED_ROW = "malformed_row"  # a CSV/xlsx row with more or fewer fields than the header
    UNPARSEABLE_TIME = "unparseable_time"
    MISSING_FIELD = "missing_required_field"
    UNKNOWN_CODE = "unknown_code"
    BAD_COORDINATES = "bad_coordinates"
    OUTSIDE_CITY = "point_outside_city"


@dataclass
class Rejects:
    """The first problem of each row of a chunk (later checks never overwrite it)."""

    n: int
    rejected: np.ndarray = field(init=False)
    reason: np.ndarray = field(init=False)
    column: np.ndarray = field(init=False)
    detail: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.rejected = np.zeros(self.n, bool)
        self.reason = np.full(self.n, None, object)
        self.column = np.full(self.n, None, object)
        self.detail = np.full(self.n, None, object)

    def flag(self, mask: np.ndarray, reason: Reason, column: Any, detail: Any = None) -> None:
        new = np.asarray(mask, bool) & ~self.rejected
        if not new.any():
            return
        self.rejected |= new
        self.reason[new] = reason.value
        self.column[new] = column[new] if isinstance(column, np.ndarray) else column
        if detail is not None:
            self.detail[new] = detail[new] if isinstance(detail, np.ndarray) else detail


def quote_label(value: object) -> str:
    """An unknown label as it may appear in the rejects file: trimmed, truncated, inert in a
    spreadsheet (a leading = + - @ would be run as a formula)."""
    text = " ".join(str(value).split())
    text = text if len(text) <= DETAIL_CHARS else text[: DETAIL_CHARS - 1] + "…"
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


@dataclass
class MinuteCounts:
    """Durations nulled rather than rejected: the call happened, its timing is wrong."""

    negative: int = 0
    over_24h: int = 0
    unparseable: int = 0

    def add(self, other: MinuteCounts) -> None:
        self.negative += other.negative
        self.over_24h += other.over_24h
        self.unparseable += other.unparseable


@dataclass
class Tally:
    """Running accounting over the whole input."""

    read: int = 0
    accepted: int = 0
    rejected_by_reason: Counter[str] = field(default_factory=Counter)
    minutes_nulled: MinuteCounts = field(default_factory=MinuteCounts)
    busy_configured: bool = False  # the config names a cleared-time column
    busy_filled: int = 0  # accepted rows with busy minutes
    busy_nulled: MinuteCounts = field(default_factory=MinuteCounts)
    last_line: int = 0  # where the last record starts (the guard re-reads it)
    unknown_codes: Counter[tuple[str, str]] = field(default_factory=Counter)  # (column, label)

    @property
    def rejected(self) -> int:
        return sum(self.rejected_by_reason.values())


@dataclass
class Result:
    """What one ingest produced: the release, the accounting and where rejects went."""

    release: ReleaseInfo
    tally: Tally
    rejects_file: Path
    source: InputFile
    warnings: list[str] = field(default_factory=list)  # what the operator let through (guard)
    #: Per program: (accepted, published) calls. For the operator's console only: the
    #: difference is what the privacy rules withheld, which may be a small count.
    by_program: dict[str, tuple[int, int]] = field(default_factory=dict)


def reasons_text(tally: Tally) -> str:
    return ", ".join(f"{reason} {n:,}" for reason, n in tally.rejected_by_reason.most_common()) or "none"


def summary(result: Result) -> str:
    """The closing report: it reconciles read = accepted + rejected, reason by reason."""
    t, info, m = result.tally, result.release, result.tally.minutes_nulled
    lines = [
        f"{info.city}: release {info.release_id} -> {info.path}",
        f"  source    {result.source.path.name} ({result.source.kind}"
        + (f", {result.source.encoding}" if result.source.encoding else "")
        + (f", sheet {result.source.sheet!r}" if result.source.sheet else "") + ")",
        f"  read      {t.read:>10,}",
        f"  accepted  {t.accepted:>10,}",
        f"  rejected  {t.rejected:>10,}  -> {result.rejects_file}",
        *(f"    {n:>10,}  {reason}" for reason, n in t.rejected_by_reason.most_common()),
        *_unknown_summary(t),
        *_program_summary(result.by_program),
        f"  read = accepted + rejected: {t.read:,} = {t.accepted:,} + {t.rejected:,}",
        f"  response minutes nulled (kept the call): negative {m.negative:,}, over 24 h "
        f"{m.over_24h:,}, unparseable {m.unparseable:,}",
        *_busy_summary(t),
        *(f"  warning: {w}" for w in result.warnings),
    ]
    return "\n".join(lines) + "\n"


def _program_summary(by_program: dict[str, tuple[int, int]]) -> list[str]:
    """Accepted, published and withheld calls per program: a program whose calls were all
    withheld shows on the pages as "withheld", and here with its count (issue 14)."""
    lines = []
    for program, (accepted, published) in sorted(by_program.items()):
        withheld = accepted - published
        note = "  (all withheld: pages say so)" if accepted and not published else ""
        lines.append(f"    {program:<14} accepted {accepted:>10,}  published {published:>10,}  "
                     f"withheld {withheld:>8,}{note}")
    return ["  by program:", *lines] if lines else []


#: Unknown labels named in the summary (the rejects file lists every one).
UNKNOWN_SHOWN = 5


def _unknown_summary(t: Tally) -> list[str]:
    """The labels no value map covers, most frequent first: what to add to the city's map."""
    if not t.unknown_codes:
        return []
    shown = t.unknown_codes.most_common(UNKNOWN_SHOWN)
    top = ", ".join(f"{column} {label!r} {n:,}" for (column, label), n in shown)
    more = len(t.unknown_codes) - UNKNOWN_SHOWN
    return [f"  unknown codes, most frequent: {top}" + (f" (and {more:,} more)" if more > 0 else "")]


def _busy_summary(t: Tally) -> list[str]:
    """Busy minutes filled, and a warning when timestamps gave impossible durations."""
    if not t.busy_configured:
        return ["  busy minutes: none (the config names no cleared-time column)"]
    b = t.busy_nulled
    lines = [f"  busy minutes on {t.busy_filled:,} calls; nulled (kept the call): negative "
             f"{b.negative:,}, over 24 h {b.over_24h:,}, unparseable {b.unparseable:,}"]
    nulled = b.negative + b.over_24h + b.unparseable
    if nulled:
        lines.append(f"  warning: {nulled:,} busy duration(s) negative, over 24 h or unparseable: "
                     "nulled, the calls kept")
    return lines
