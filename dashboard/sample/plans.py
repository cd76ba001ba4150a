"""The sample's calendar and its monthly volume targets, per city (SYNTHETIC DATA).

The months the sample covers (whole weeks only: it starts on the first Monday of
``FIRST_MONTH`` and ends on the Sunday of the week holding ``LAST_MONTH``'s last day)
and, for each month, the planned eligible, other, answered and co-responder calls: the
piecewise targets that encode the published figures in
``dashboard.sample.calibration.TARGETS`` (step 1 of ``dashboard.sample.generator``).
Separate from the generator because both the call generator and the loss queue's
calibration (``dashboard.sample.loss_queue``) read the plans and the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from dashboard.contract.cities import City

FIRST_MONTH = date(2019, 6, 1)
LAST_MONTH = date(2025, 12, 1)


@dataclass(frozen=True)
class MonthPlan:
    """Target volumes for one month of one city."""

    month: date
    eligible: float  # calls meeting the alternative program's criteria
    other: float  # other in-scope calls
    alt_answered: float  # eligible calls the alternative team answers
    co_responder: float  # co-responder calls (cities where co-responders are not the alt program)


def _months() -> list[date]:
    out, m = [], FIRST_MONTH
    while m <= LAST_MONTH:
        out.append(m)
        m = date(m.year + (m.month == 12), m.month % 12 + 1, 1)
    return out


def _piecewise(month: date, table: list[tuple[date, float]]) -> float:
    value = 0.0
    for start, v in table:
        if start <= month:
            value = v
    return value


# Denver monthly targets, derived from the published figures (see calibration.TARGETS):
# pilot 748 calls Jun-Nov 2020; >1,600 cumulative by Aug 2021; >2,700 by Feb 2022;
# 2,837 in Jan-Jun 2022; >5,700 in 2022 (44%); >7,000 in 2023 (46% of ~15,000);
# 25,144 from Jun 2020 to Jun 2025 of ~60,000 eligible.
DENVER_ELIGIBLE = [
    (date(2019, 6, 1), 400.0), (date(2021, 1, 1), 875.0), (date(2022, 1, 1), 1098.0),
    (date(2023, 1, 1), 1275.0), (date(2024, 1, 1), 1006.0),
]
DENVER_STAR = [
    (date(2020, 6, 1), 125.0), (date(2020, 12, 1), 100.0), (date(2021, 9, 1), 180.0),
    (date(2022, 3, 1), 619.0), (date(2022, 7, 1), 494.0), (date(2023, 1, 1), 587.5),
    (date(2024, 1, 1), 551.0),
]
DENVER_OTHER = [(date(2019, 6, 1), 900.0), (date(2022, 1, 1), 960.0), (date(2024, 1, 1), 1000.0)]
DENVER_CO_RESPONDER = [(date(2019, 6, 1), 138.0), (date(2021, 1, 1), 160.0), (date(2023, 1, 1), 180.0)]

# Grand Junction: >5,300 calls in ~2 years from July 2018; 1,070 (2022); 1,036 (2023);
# 1,962 (2024). The co-responder unit is its alternative program.
GJ_CO_RESPONDER = [
    (date(2019, 6, 1), 2650 / 12), (date(2021, 1, 1), 1500 / 12), (date(2022, 1, 1), 1070 / 12),
    (date(2023, 1, 1), 1036 / 12), (date(2024, 1, 1), 1962 / 12), (date(2025, 1, 1), 2000 / 12),
]
GJ_OTHER = [(date(2019, 6, 1), 170.0)]


def plan_city(city: City, scale: float) -> list[MonthPlan]:
    plans = []
    for m in _months():
        if city.id == "grand_junction":
            alt = _piecewise(m, GJ_CO_RESPONDER)
            plans.append(MonthPlan(m, alt / 0.6 * scale, _piecewise(m, GJ_OTHER) * scale,
                                   alt * scale, 0.0))
        else:
            program_on = city.period_at(m) is not None
            plans.append(MonthPlan(
                m,
                _piecewise(m, DENVER_ELIGIBLE) * scale,
                _piecewise(m, DENVER_OTHER) * scale,
                (_piecewise(m, DENVER_STAR) if program_on else 0.0) * scale,
                _piecewise(m, DENVER_CO_RESPONDER) * scale,
            ))
    return plans


def first_day(month: date) -> int:
    """The sample starts on the first Monday of FIRST_MONTH, so its first week is whole
    and lies in that month (a week belongs to the month of its Monday)."""
    if month != FIRST_MONTH:
        return 0
    return (7 - month.weekday()) % 7


def extra_days(month: date) -> int:
    """The sample ends on the Sunday of the week holding LAST_MONTH's last day, so its last
    week is whole too (those few January days belong to December's last week)."""
    if month != LAST_MONTH:
        return 0
    last = pd.Timestamp(month) + pd.offsets.MonthEnd(0)
    return (6 - last.weekday()) % 7


def month_fraction(month: date) -> float:
    days = pd.Timestamp(month).days_in_month
    return (days - first_day(month) + extra_days(month)) / days


def month_key(year: np.ndarray | int, month: np.ndarray | int) -> np.ndarray | int:
    """Months as integers (year * 12 + month - 1): fast vectorized comparisons."""
    return year * 12 + month - 1
