"""Published program figures the synthetic sample is calibrated to, and checked against.

Each target quotes its source (rows of ``program_metrics_published.csv``, copied into
``data/reference/`` with its SOURCE note, or the project brief for the STAR five-year
totals). ``tests/unit/test_calibration.py`` recomputes every target from the shipped
release's public rows and requires agreement within ``TOLERANCE``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

TOLERANCE = 0.05  # relative


@dataclass(frozen=True)
class Target:
    city: str
    metric: str  # "alt_calls" | "eligible" | "alt_share" | "co_responder_calls"
    start: date  # first day included
    end: date  # last day included
    value: float
    source: str
    annualize: bool = False  # compare a part-year sum scaled to 12 months


TARGETS: tuple[Target, ...] = (
    Target("denver", "alt_calls", date(2020, 6, 1), date(2020, 11, 30), 748,
           "Denver Gazette 2021-03-24: STAR responded to 748 calls since June (pilot)"),
    Target("denver", "eligible", date(2020, 6, 1), date(2020, 11, 30), 2500,
           "Caring4Denver: roughly 2,500 of 92,400 calls qualified (pilot period)"),
    Target("denver", "alt_calls", date(2022, 1, 1), date(2022, 6, 30), 2837,
           "Axios 2022-10-20: 2,837 calls between Jan 1 and July 1, 2022"),
    Target("denver", "alt_calls", date(2022, 1, 1), date(2022, 12, 31), 5700,
           "NLC: more than 5,700 calls for service in 2022"),
    Target("denver", "alt_share", date(2022, 1, 1), date(2022, 12, 31), 0.44,
           "NLC: 44 percent of eligible calls in 2022"),
    Target("denver", "alt_calls", date(2023, 1, 1), date(2023, 12, 31), 7000,
           "Denverite 2024-07-18 / NLC: more than 7,000 calls in 2023"),
    Target("denver", "alt_share", date(2023, 1, 1), date(2023, 12, 31), 0.46,
           "NLC: 46 percent of all eligible calls in 2023"),
    Target("denver", "eligible", date(2023, 1, 1), date(2023, 12, 31), 15000,
           "Denverite 2024-07-18: the 15,000 or so 911 calls eligible for STAR in 2023"),
    Target("denver", "alt_calls", date(2020, 6, 1), date(2025, 6, 30), 25144,
           "Project brief (issue 2): 25,144 STAR calls from June 2020 to June 2025"),
    Target("denver", "eligible", date(2020, 6, 1), date(2025, 6, 30), 60000,
           "Project brief (issue 2): about 60,000 eligible calls June 2020 to June 2025"),
    Target("denver", "co_responder_calls", date(2019, 6, 1), date(2019, 12, 31), 1725,
           "Colorado Politics 2019-12-18: CIRU responded to 1,725 incidents in 2018 "
           "(used as the 2019 yearly level)", annualize=True),
    Target("grand_junction", "alt_calls", date(2022, 1, 1), date(2022, 12, 31), 1070,
           "gjcity.org: 1,070 behavioral health calls in 2022"),
    Target("grand_junction", "alt_calls", date(2023, 1, 1), date(2023, 12, 31), 1036,
           "GJ city news: 1,036 behavioral health calls in 2023"),
    Target("grand_junction", "alt_calls", date(2024, 1, 1), date(2024, 12, 31), 1962,
           "GJ city news: 1,962 behavioral health calls in 2024"),
)
