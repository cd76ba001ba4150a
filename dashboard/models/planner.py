"""What-if planner: the share of eligible calls an alternative team could answer.

The arithmetic behind the planner page, as pure functions (no database, no files, no web
framework). The same functions estimate the *current* schedule (``schedule_plans`` turns
the city's published schedule into plans) and the *planned* one the user chooses, so the
two estimates differ only in the plan.

This module holds the estimate, which puts the model together; its parts live beside it
in ``dashboard.models``: ``erlang`` (the formulas), ``plans`` (plans, the schedule as
plans, hours on duty), ``demand`` (the demand grid, suppressed cells imputed), ``weeks``
(weekdays in a period, the weeks of a year) and ``checks`` (argument checks).

Model
-----
**Demand.** Eligible calls are counted by day of the week (Monday = 0) and hour of the day
(0-23, local clock time) over a period of dates. For each of the 168 weekday-hour cells
the arrival rate is ``lambda = calls in the cell / number of times that weekday-hour occurs
in the period`` (for a whole number of weeks, the number of weeks), in calls per hour.
Calls within an hour are assumed to arrive at random (a Poisson process), and demand is
assumed to be the same in every week of the period. Daylight-saving days are counted as
ordinary days.

**Suppressed cells.** Published hour-of-day counts hide small cells for privacy: a hidden
cell holds between 1 and k-1 calls (or, when it was hidden as a complement to protect
another cell, any number). A hidden cell is imputed by spreading the known remainder (the
area's published total minus the published cells) evenly over the hidden cells; when no
total is given, each hidden cell counts (k-1)/2 calls. The estimate reports how many of
the eligible calls were imputed this way.

**Which calls are answered.** A call is answered only if all four hold, checked in this
order; a call that fails one is counted as lost for the first reason it fails:

1. *In hours:* its weekday-hour is inside the plan's days and hours and at least one van
   is on duty (otherwise: out of hours). Hours are ``[from, to)``; a shift whose ``to`` is
   not after its ``from`` runs past midnight, and belongs to the day it starts on: Friday
   ``[22, 6)`` covers Friday 22:00-24:00 and Saturday 00:00-06:00. ``[0, 24)`` is all day;
   ``from == to`` is no hours.
2. *In the service area:* a given share of the eligible calls lies inside the area the team
   serves (otherwise: outside the service area).
3. *Not screened out:* the dispatcher sends the team to a given share of the calls left
   (the rest, e.g. for safety concerns, go to police: screened). The screened share is
   measured from the data by the caller.
4. *A team is free when the call arrives* (otherwise: no team available). In each cell
   with ``c`` vans on duty, calls reaching step 4 arrive at ``lambda_offered = lambda x area
   share x (1 - screened share)`` per hour and keep a van busy for a mean of ``m`` minutes,
   an offered load of ``a = lambda_offered x m / 60`` (Erlangs). The share of them that find
   every van busy is the Erlang loss probability (Erlang B), computed with the recursion
   ``B(0) = 1, B(j) = a B(j-1) / (j + a B(j-1))``. Erlang B and not Erlang C, because a
   call that finds every team busy is not held in a queue for the team: it goes to police.

Expected answered calls in a cell = calls x area share x (1 - screened share) x (1 - B(c, a))
for on-duty cells and 0 otherwise; the estimated share is the sum over cells divided by
all eligible calls. When the schedule changed during the period, each part of the period
is estimated with the schedule then in force (each weekday's calls are split between the
parts by how many of that weekday fall in each) and the parts are added up.

For comparison ``dashboard.models.erlang`` also gives the Erlang C (queueing) formulas:
the probability that a call has to wait, ``C = c B / (c - a (1 - B))`` for ``a < c``
(else 1), and the service level ``P(wait <= t) = 1 - C exp(-(c - a) t / m)`` (0 when
``a >= c``). With ``model="erlang_c"`` a call counts as answered when its wait in such a queue would be at
most ``max_wait`` minutes, and lost (no team available) otherwise. That variant assumes
calls would queue; Erlang B (the default) is the model the estimate is quoted with.

Limits: the model knows nothing of travel time, shift changes, breaks, calls the team
finds itself, or calls that need two vans; the mean time per call and the screened share
are taken as the same in every hour.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dashboard.contract.schema import UnansweredReason
from dashboard.models.checks import check_real, check_share
from dashboard.models.demand import Demand
from dashboard.models.erlang import erlang_b_array, service_level_array
from dashboard.models.plans import Plan, PlanSpan, ordered_spans
from dashboard.models.weeks import weekday_counts

MODELS: tuple[str, ...] = ("erlang_b", "erlang_c")
#: Columns of ``Estimate.cells``, in order.
CELL_COLUMNS: tuple[str, ...] = (
    "weekday",
    "hour",
    "calls",
    "imputed",
    "on_duty",
    "duty_share",
    "vans",
    "offered",
    "load",
    "blocking",
    "answered",
)


@dataclass(frozen=True, eq=False)
class Estimate:
    """Expected answered calls of a plan against a demand.

    ``eligible = answered + out_of_hours + outside_area + screened + no_team``. ``share`` is
    ``answered / eligible`` (NaN when there are no eligible calls). ``imputed`` is how many
    of the eligible calls were imputed for suppressed cells. ``cells`` has one row per
    weekday-hour with columns ``CELL_COLUMNS``: ``calls`` eligible calls; ``imputed`` the
    imputed part; ``on_duty`` a van was on duty there at some time in the period;
    ``duty_share`` the share of the period's occurrences of that weekday-hour on duty;
    ``vans`` vans on duty (mean over on-duty occurrences, 0 when never on duty);
    ``offered`` calls reaching step 4 (in hours, in area, not screened); ``load`` offered
    load in Erlangs while on duty; ``blocking`` share of offered calls lost for want of a
    free team (NaN when never on duty); ``answered`` expected answered calls.
    """

    eligible: float
    answered: float
    share: float
    out_of_hours: float
    outside_area: float
    screened: float
    no_team: float
    imputed: float
    model: str
    cells: pd.DataFrame = field(repr=False)

    @property
    def lost(self) -> dict[UnansweredReason, float]:
        """Eligible calls not answered, by reason (keys are the contract's reason values)."""
        return {
            UnansweredReason.OUT_OF_HOURS: self.out_of_hours,
            UnansweredReason.OUTSIDE_SERVICE_AREA: self.outside_area,
            UnansweredReason.SAFETY_SCREEN: self.screened,
            UnansweredReason.NO_TEAM_AVAILABLE: self.no_team,
        }

    @property
    def imputed_share(self) -> float:
        """Share of the eligible calls that were imputed (NaN when there are none)."""
        return self.imputed / self.eligible if self.eligible > 0 else math.nan


def _free_share(vans: np.ndarray, load: np.ndarray, model: str, wait: float, minutes: float) -> np.ndarray:
    """Per weekday-hour, the chance a call finds a van free (loss model) or is answered
    within ``wait`` (queue model), with that hour's vans (added shifts change them)."""
    free = np.zeros_like(load, dtype=float)
    for count in np.unique(vans[vans > 0]):
        cells = vans == count
        if model == "erlang_b":
            free[cells] = 1.0 - erlang_b_array(int(count), load[cells])
        else:
            free[cells] = service_level_array(int(count), load[cells], wait, minutes)
    return free


def estimate(
    demand: Demand,
    plan: Plan | Sequence[PlanSpan],
    *,
    minutes_per_call: float,
    screen_share: float = 0.0,
    model: str = "erlang_b",
    max_wait: float | None = None,
) -> Estimate:
    """Expected answered eligible calls under ``plan`` (see the module docstring).

    ``plan`` is one ``Plan`` for the whole demand period, or ``PlanSpan``s (e.g. from
    ``schedule_plans``) that must not overlap; demand days outside every span count as out
    of hours. ``minutes_per_call`` is the mean time a call keeps a van busy;
    ``screen_share`` the share of in-hours, in-area eligible calls the dispatcher does not
    send the team to. ``model`` is ``"erlang_b"`` (lost if no van is free) or
    ``"erlang_c"`` (answered if the wait in a queue would be at most ``max_wait`` minutes).
    """
    minutes = check_real(minutes_per_call, "minutes_per_call", open_low=True)
    screen = check_share(screen_share, "screen_share")
    if model not in MODELS:
        raise ValueError(f"model: must be one of {', '.join(MODELS)}, got {model!r}")
    wait = 0.0
    if model == "erlang_c":
        if max_wait is None:
            raise ValueError("max_wait: required with model 'erlang_c' (minutes a call may wait)")
        wait = check_real(max_wait, "max_wait")
    if isinstance(plan, Plan):
        spans: tuple[PlanSpan, ...] = (PlanSpan(plan, demand.start, demand.end),)
    else:
        spans = ordered_spans(plan, "plan", "a Plan or a list of PlanSpan")

    calls = demand.cells["calls"].to_numpy(dtype=float).reshape(7, 24)
    rates = demand.rates()
    occurrences = demand.weekdays.astype(float)[:, None]  # 7 x 1
    duty_weight = np.zeros((7, 24))  # share of the cell's occurrences (and calls) on duty
    van_weight = np.zeros((7, 24))
    load_weight = np.zeros((7, 24))
    lost_weight = np.zeros((7, 24))
    offered = np.zeros((7, 24))
    answered = np.zeros((7, 24))
    outside = np.zeros((7, 24))
    screened = np.zeros((7, 24))
    for span in spans:
        first, last = max(span.start, demand.start), min(span.end, demand.end)
        if last < first:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            fraction = np.where(occurrences > 0, weekday_counts(first, last)[:, None] / occurrences, 0.0)
        vans_grid = span.plan.vans_grid()
        duty = (vans_grid > 0) * fraction
        area = span.plan.area_share
        in_duty = calls * duty
        outside += in_duty * (1.0 - area)
        screened += in_duty * area * screen
        sent = in_duty * area * (1.0 - screen)
        load = rates * area * (1.0 - screen) * minutes / 60.0
        free = _free_share(vans_grid, load, model, wait, minutes)
        offered += sent
        answered += sent * free
        duty_weight += duty
        van_weight += duty * vans_grid
        load_weight += duty * load
        lost_weight += duty * (1.0 - free)

    on_duty = duty_weight > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        vans = np.where(on_duty, van_weight / duty_weight, 0.0)
        load_mean = np.where(on_duty, load_weight / duty_weight, 0.0)
        # Share of offered calls lost; where nothing is offered (area share 0, all screened,
        # no calls), the loss probability itself, averaged over the on-duty occurrences.
        blocking = np.where(
            offered > 0,
            (offered - answered) / offered,
            np.where(on_duty, lost_weight / duty_weight, np.nan),
        )
    out_of_hours = calls * np.clip(1.0 - duty_weight, 0.0, None)
    no_team = offered - answered
    eligible = float(calls.sum())
    total_answered = float(answered.sum())
    frame = pd.DataFrame(
        {
            "weekday": np.repeat(np.arange(7), 24),
            "hour": np.tile(np.arange(24), 7),
            "calls": calls.ravel(),
            "imputed": demand.cells["imputed"].to_numpy(dtype=float),
            "on_duty": on_duty.ravel(),
            "duty_share": duty_weight.ravel(),
            "vans": vans.ravel(),
            "offered": offered.ravel(),
            "load": load_mean.ravel(),
            "blocking": blocking.ravel(),
            "answered": answered.ravel(),
        },
        columns=list(CELL_COLUMNS),
    )
    return Estimate(
        eligible=eligible,
        answered=total_answered,
        share=total_answered / eligible if eligible > 0 else math.nan,
        out_of_hours=float(out_of_hours.sum()),
        outside_area=float(outside.sum()),
        screened=float(screened.sum()),
        no_team=float(no_team.sum()),
        imputed=float(demand.cells["imputed"].sum()),
        model=model,
        cells=frame,
    )
