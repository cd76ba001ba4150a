"""Refusals that keep a bad export from replacing a good release (issue 14 item 5).

An export cut off mid-line used to ingest with exit 0 and replace the current release
with half its rows. Three checks now run after the file has been read into the scratch
folder and before anything is built. Each refusal raises ``Refused`` (exit 3 from the
command line, where other errors exit 1), names the lines or months, and writes nothing:
the release folders, ``CURRENT`` and the rejects folder keep their bytes, and the
scratch folder is removed.

1. **Incomplete last record** (CSV, ``check_last_record``): the file's last record has
   fewer fields than the header, or ends inside an open quote (a quoted value never
   closed, which both CSV readers would otherwise take, cut, as the value). The line it
   starts on is named. A file that merely lacks a final newline, its last record
   complete, is fine. There is no override: re-export the file. A cut-off ``.xlsx`` or
   Parquet file is not readable at all (its directory or footer is at the end) and fails
   before this.
2. **Reject rate** (``Checks.reject_rate``): more than ``max_reject_rate`` of the rows
   read rejected (``[ingest] max_reject_rate``, default 0.10) is refused unless the
   operator passes ``--accept-rejects``. The message names each reason with its count
   and first lines, and for unknown codes the most frequent labels.
3. **Shrink** (``Checks.shrink``): for each month the current release of the city
   covers, the new export's calls are compared with the current release's; a month
   whose calls fall by more than ``max_shrink`` of them (``[ingest] max_shrink``,
   default 0.05) is refused, the worst months named, unless the operator passes
   ``--accept-shrink``. Per month, not over the total: an export sorted by time and cut
   near its end loses most of its last month and little of its total. A covered month
   the new export lacks falls by 100% (a deliberately narrower window needs the flag).
   Months the current release does not cover, and growth, are never checked.

What is compared: published calls per month of the current release
(``rollup_overview``, the month of the week's Monday, as the rollup counts) against the
new export's accepted calls counted the same way, before privacy. Published calls are
accepted calls less those withheld for privacy, so the comparison can understate a
fall, never overstate it. Accepted calls per month are deliberately not recorded in the
public manifest: beside the published counts they would tell how many calls of each
month were withheld, a small count about the rarest calls.

The thresholds come from the city's TOML and can be overridden on the command line
(``--max-shrink``, ``--max-reject-rate``). What the operator let through with a flag is
recorded in the manifest (``ingest.guard``) and printed as a warning in the summary.
"""

from __future__ import annotations

import csv
import io
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

import duckdb

from dashboard.contract.releases import ReleaseError, current_release_dir, read_manifest
from dashboard.contract.schema import ROLLUP_OVERVIEW

DEFAULT_MAX_SHRINK = 0.05
DEFAULT_MAX_REJECT_RATE = 0.10
SHOWN = 6  # months or reasons named in a message at most
LINES_SHOWN = 5  # first lines named per reject reason


class Refused(RuntimeError):
    """The ingest refused to publish; the message names the lines or months and what to do."""


def share(value: object, what: str) -> float:
    """A share between 0 and 1 (a threshold); ValueError naming ``what`` otherwise."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"{what} must be a number from 0 to 1, got {value!r}")
    try:
        number = float(value)
    except ValueError:
        raise ValueError(f"{what} must be a number from 0 to 1, got {value!r}") from None
    if not 0.0 <= number <= 1.0:
        raise ValueError(f"{what} must be a number from 0 to 1, got {value!r}")
    return number


# -- 1. the last record -------------------------------------------------------------------


def check_last_record(path: Path, encoding: str | None, delimiter: str, width: int,
                      start_line: int) -> None:
    """Refuse a CSV whose last record (starting on ``start_line``) is incomplete.

    The text from that line to the end of the file is parsed again, strictly: an open
    quote at the end of the data is "unexpected end of data"; otherwise the record must
    have at least the header's ``width`` fields (more is a malformed row, rejected as such).
    """
    if start_line < 2:
        return
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 24))
    with path.open(newline="", encoding=encoding) as fh:
        for _ in islice(fh, start_line - 1):
            pass
        tail = fh.read()
    try:
        records = list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter, strict=True))
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            raise Refused(f"{path.name} is incomplete: its last record (line {start_line}) ends inside "
                          "an open quote, as a file cut off mid-line does; nothing was published. "
                          "Export the file again.") from exc
        records = list(csv.reader(io.StringIO(tail, newline=""), delimiter=delimiter))
    records = [r for r in records if any(r)]
    if records and len(records[-1]) < width:
        raise Refused(f"{path.name} is incomplete: its last record (line {start_line}) has "
                      f"{len(records[-1])} of the header's {width} fields, as a file cut off "
                      "mid-line does; nothing was published. Export the file again.")


# -- 2 and 3: reject rate and shrink ---------------------------------------------------------


@dataclass(frozen=True)
class Overrides:
    """What the operator said on the command line (None: the city's TOML decides)."""

    max_shrink: float | None = None
    max_reject_rate: float | None = None
    accept_shrink: bool = False
    accept_rejects: bool = False


@dataclass
class Checks:
    """The reject-rate and shrink checks of one ingest, and what they let through."""

    max_shrink: float
    max_reject_rate: float
    overrides: Overrides = field(default_factory=Overrides)
    warnings: list[str] = field(default_factory=list)
    shrink_accepted: list[dict[str, Any]] = field(default_factory=list)
    rejects_accepted: bool = False

    @classmethod
    def of(cls, max_shrink: float, max_reject_rate: float, overrides: Overrides | None) -> Checks:
        """The city's thresholds, each replaced by the command line's when given."""
        o = overrides or Overrides()
        return cls(max_shrink if o.max_shrink is None else o.max_shrink,
                   max_reject_rate if o.max_reject_rate is None else o.max_reject_rate, o)

    def record(self) -> dict[str, Any]:
        """For the manifest: the thresholds used and what a flag let through."""
        return {"max_shrink": self.max_shrink, "max_reject_rate": self.max_reject_rate,
                "shrink_accepted": self.shrink_accepted, "rejects_accepted": self.rejects_accepted}

    def reject_rate(self, read: int, rejected: int, rejects_csv: Path) -> None:
        """Refuse when more than ``max_reject_rate`` of the rows read were rejected."""
        if read == 0 or rejected <= self.max_reject_rate * read:
            return
        head = (f"{rejected:,} of {read:,} rows rejected ({rejected / read:.1%}), more than "
                f"max_reject_rate {self.max_reject_rate:.0%}")
        if self.overrides.accept_rejects:
            self.rejects_accepted = True
            self.warnings.append(f"{head}: published because --accept-rejects was given")
            return
        raise Refused(f"{head}: {describe_rejects(rejects_csv)}. Nothing was published. Fix the "
                      "config (value maps, time formats, columns) or the export; if these rows "
                      "really are to be left out, run again with --accept-rejects.")

    def shrink(self, stage: Path, releases_dir: Path, city: str) -> None:
        """Refuse when a month the current release covers falls by more than ``max_shrink``.

        The current release's published calls per month against the new export's accepted
        calls, both by the month of the week's Monday (module doc).
        """
        current = current_months(releases_dir, city)
        if current is None:
            return
        release_id, before = current
        after = accepted_by_month(stage, by_week=True)
        falls = shrunk_months(before, after, self.max_shrink)
        if not falls:
            return
        basis = "published calls by the month of the week's Monday"
        head = (f"{len(falls)} month(s) the current release {release_id} covers would fall by more "
                f"than max_shrink {self.max_shrink:.0%} ({basis}): {describe_falls(falls)}")
        if self.overrides.accept_shrink:
            self.shrink_accepted = [{"month": m, "before": b, "after": a} for m, b, a in falls]
            self.warnings.append(f"{head}; published because --accept-shrink was given")
            return
        raise Refused(f"{head}. Nothing was published; {release_id} stays current. A file cut "
                      "short or an export with a narrower date range does this; if the new "
                      "figures are right, run again with --accept-shrink.")


def describe_rejects(rejects_csv: Path) -> str:
    """Each reason with its count and first lines, most frequent first; for unknown codes
    the labels met most often (from the scratch rejects file)."""
    counts: Counter[str] = Counter()
    lines: dict[str, list[str]] = defaultdict(list)
    labels: Counter[tuple[str, str]] = Counter()
    with rejects_csv.open(newline="", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            reason = row["reason"]
            counts[reason] += 1
            if len(lines[reason]) < LINES_SHOWN:
                lines[reason].append(row["line"])
            if reason == "unknown_code" and row["detail"]:
                labels[(row["field"], row["detail"])] += 1
    parts = []
    for reason, n in counts.most_common(SHOWN):
        more = ", …" if n > len(lines[reason]) else ""
        text = f"{reason} {n:,} (lines {', '.join(lines[reason])}{more}"
        top = [f"{f} {d!r} {c:,}" for (f, d), c in labels.most_common(3)] if reason == "unknown_code" else []
        parts.append(text + (f"; most frequent: {', '.join(top)}" if top else "") + ")")
    if len(counts) > SHOWN:
        parts.append(f"and {len(counts) - SHOWN} more reason(s)")
    return "; ".join(parts)


def accepted_by_month(stage: Path, *, by_week: bool = False) -> dict[str, int]:
    """Accepted calls per month (``YYYY-MM``) of the staged rows: of the received time, or
    ``by_week`` of the Monday of its week, as ``rollup_overview`` counts months."""
    hour = "received_hour::TIMESTAMP"
    month = f"date_trunc('month', date_trunc('week', {hour}))" if by_week else f"date_trunc('month', {hour})"
    return _month_sums(f"SELECT strftime({month}, '%Y-%m') AS m, count(*) AS n FROM read_parquet(?) "
                       "GROUP BY m", stage)


def current_months(releases_dir: Path, city: str) -> tuple[str, dict[str, int]] | None:
    """(release id, published calls per month from ``rollup_overview``) of the city's
    current release; None when there is no readable current release (nothing to protect)."""
    try:
        path = current_release_dir(releases_dir, city)
        manifest = read_manifest(path)
    except ReleaseError:
        return None
    release_id = str(manifest.get("release_id", path.name))
    try:
        months = _month_sums("SELECT strftime(month, '%Y-%m') AS m, sum(n) AS n FROM read_parquet(?) "
                             "GROUP BY m", path / f"{ROLLUP_OVERVIEW.name}.parquet")
    except duckdb.Error:
        return None
    return release_id, months


def _month_sums(sql: str, path: Path) -> dict[str, int]:
    con = duckdb.connect()
    try:
        return {str(m): int(n) for m, n in con.execute(sql + " ORDER BY m", [str(path)]).fetchall()}
    finally:
        con.close()


def shrunk_months(before: dict[str, int], after: dict[str, int],
                  max_shrink: float) -> list[tuple[str, int, int]]:
    """(month, calls before, calls after) for every month of ``before`` whose calls fall
    by more than ``max_shrink`` of them, the largest falls (as a share) first."""
    falls = [(m, b, after.get(m, 0)) for m, b in before.items()
             if b > 0 and b - after.get(m, 0) > max_shrink * b]
    return sorted(falls, key=lambda f: (f[2] / f[1], f[0]))


def describe_falls(falls: list[tuple[str, int, int]]) -> str:
    text = ", ".join(f"{m} {b:,} -> {a:,} ({(a - b) / b:+.0%})" for m, b, a in falls[:SHOWN])
    return text + (f" and {len(falls) - SHOWN} more" if len(falls) > SHOWN else "")
