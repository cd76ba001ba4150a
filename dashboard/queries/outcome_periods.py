"""What happened after the call, by day and at night, city-wide (``cube_outcome_period``).

The rows carry no time of day (to the hour it would single calls out), so the Outcomes
page's day/night split reads the suppressed outcome cube: calls per year, program,
eligibility, period (night: received 22:00-05:59) and outcome group, for the whole city.
Its grain is coarser than the page's filters: calendar years, every district and call
category; the view says so. Summed over the period's years, a cell hidden in any year
makes the sum a lower bound, which ``hidden`` counts.

Pure data: no Dash, no Flask (import-linter contract).
"""

from __future__ import annotations

import pandas as pd

from dashboard.contract.schema import CUBE_OUTCOME_PERIOD, OUTCOME_GROUP_VALUES, OUTCOME_GROUPS, PERIODS
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries.district import cube_years, years

#: The groups shares are of (calls with an outcome recorded), in display order.
RECORDED_GROUPS: tuple[str, ...] = tuple(g for g in OUTCOME_GROUPS if g != "not_recorded")


def period_years(store: Store, f: Filters) -> tuple[int, ...]:
    """The calendar years of the period the cube has for the city, in order."""
    return cube_years(store, f, CUBE_OUTCOME_PERIOD.name)


def period_outcomes(store: Store, f: Filters, programs: tuple[str, ...], eligible_only: bool) -> pd.DataFrame:
    """Calls per program, period and outcome group over the period's calendar years.

    Columns: response_type, period, outcome_group, calls (sum of published cells), hidden
    (suppressed cells summed in). Every program of ``programs`` x ``PERIODS`` x
    ``OUTCOME_GROUP_VALUES`` is present (0 where the cube has no cell), in that order;
    ``recorded`` is the total of the groups with an outcome, a cell of its own.
    ``eligible_only``: only calls that met the alternative team's criteria; else all.
    """
    first, last = years(f)

    def compute() -> pd.DataFrame:
        return store.frame(
            f"""SELECT response_type, period, outcome_group, coalesce(sum(n), 0)::BIGINT AS calls,
                       count(*) FILTER (WHERE suppressed)::BIGINT AS hidden
                FROM {CUBE_OUTCOME_PERIOD.name}
                WHERE jurisdiction = ? AND year BETWEEN ? AND ? AND (star_eligible OR NOT ?)
                GROUP BY ALL""",
            [f.city, first, last, eligible_only],
        )

    got = store.cached(("outcome_period", f.city, first, last, eligible_only), compute)
    grid = pd.MultiIndex.from_product([list(programs), PERIODS, OUTCOME_GROUP_VALUES],
                                      names=["response_type", "period", "outcome_group"])
    out = got.astype({"response_type": "object", "period": "object", "outcome_group": "object"})
    out = out.set_index(["response_type", "period", "outcome_group"]).reindex(grid, fill_value=0)
    return out.reset_index().astype({"calls": "int64", "hidden": "int64"})
