"""Published program figures the synthetic sample is calibrated to, and checked against.

The figures and their sources are read from ``data/reference/program_metrics_published.csv``
(real published metrics, copied with their SOURCE note: each row carries its URL and the
quoted sentence), so a corrected figure there changes the targets and
``tests/unit/test_calibration.py``, which recomputes every target from the shipped
release's public rows and requires agreement within ``TOLERANCE``. This module only says
*which* rows are targets and how the sample is held to each (``PUBLISHED``); the two
five-year STAR totals come from the project brief, not from a published page, and are
the only figures written here (``BRIEF``).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from dashboard.settings import REPO_ROOT

TOLERANCE = 0.05  # relative
PUBLISHED_CSV = REPO_ROOT / "data" / "reference" / "program_metrics_published.csv"


@dataclass(frozen=True)
class Target:
    city: str
    metric: str  # "alt_calls" | "eligible" | "alt_share" | "co_responder_calls"
    start: date  # first day included
    end: date  # last day included
    value: float
    source: str
    annualize: bool = False  # compare a part-year sum scaled to 12 months


@dataclass(frozen=True)
class Published:
    """One row of the published-metrics CSV used as a target, and how the sample meets it."""

    program: str
    metric: str  # the CSV's metric
    period_start: str  # the CSV's period, to find the row
    period_end: str
    city: str  # our city id
    target: str  # our metric (``Target.metric``)
    applies: tuple[date, date] | None = None  # the sample's window when not the CSV's period
    annualize: bool = False
    note: str = ""


PUBLISHED: tuple[Published, ...] = (
    Published("STAR", "calls_responded", "2020-06-01", "2020-11-30", "denver", "alt_calls"),
    Published("STAR", "star_eligible_calls", "2020-06-01", "2020-11-30", "denver", "eligible"),
    Published("STAR", "calls_responded", "2022-01-01", "2022-07-01", "denver", "alt_calls",
              applies=(date(2022, 1, 1), date(2022, 6, 30)), note='"between Jan. 1 and July 1": to June 30'),
    Published("STAR", "calls_responded", "2022-01-01", "2022-12-31", "denver", "alt_calls"),
    Published("STAR", "share_of_eligible_calls_responded", "2022-01-01", "2022-12-31", "denver", "alt_share"),
    Published("STAR", "calls_responded", "2023-01-01", "2023-12-31", "denver", "alt_calls"),
    Published("STAR", "share_of_eligible_calls_responded", "2023-01-01", "2023-12-31", "denver", "alt_share"),
    Published("STAR", "star_eligible_calls", "2023-01-01", "2023-12-31", "denver", "eligible"),
    Published("CIRU co-responder", "incidents_responded", "2018-01-01", "2018-12-31", "denver",
              "co_responder_calls", applies=(date(2019, 6, 1), date(2019, 12, 31)), annualize=True,
              note="the 2018 figure used as the 2019 yearly level (the sample starts in June 2019)"),
    *(
        Published("Co-Responder Unit", "behavioral_health_calls", f"{year}-01-01", f"{year}-12-31",
                  "grand_junction", "alt_calls")
        for year in (2022, 2023, 2024)
    ),
)

#: Figures from the project brief (issue 2), not from a published page.
BRIEF: tuple[Target, ...] = (
    Target("denver", "alt_calls", date(2020, 6, 1), date(2025, 6, 30), 25144,
           "Project brief (issue 2): 25,144 STAR calls from June 2020 to June 2025"),
    Target("denver", "eligible", date(2020, 6, 1), date(2025, 6, 30), 60000,
           "Project brief (issue 2): about 60,000 eligible calls June 2020 to June 2025"),
)


class CalibrationError(ValueError):
    """A target names a row the published-metrics CSV does not hold exactly once."""


def load_targets(path: Path = PUBLISHED_CSV) -> tuple[Target, ...]:
    """The targets: each ``PUBLISHED`` row's value and source from the CSV, then ``BRIEF``."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    targets = []
    for want in PUBLISHED:
        found = [
            r for r in rows
            if (r["program"], r["metric"], r["period_start"], r["period_end"])
            == (want.program, want.metric, want.period_start, want.period_end)
        ]
        if len(found) != 1:
            raise CalibrationError(f"{path.name}: {len(found)} rows for {want.program} {want.metric} "
                                   f"{want.period_start}..{want.period_end}, expected 1")
        row = found[0]
        value = float(row["value"])
        if row["unit"].startswith("percent"):
            value /= 100
        start, end = want.applies or (
            date.fromisoformat(row["period_start"]), date.fromisoformat(row["period_end"]))
        source = f'{row["source_url"]}: "{row["source_quote"]}"' + (f" ({want.note})" if want.note else "")
        targets.append(Target(want.city, want.target, start, end, value, source, want.annualize))
    return (*targets, *BRIEF)


TARGETS: tuple[Target, ...] = load_targets()
