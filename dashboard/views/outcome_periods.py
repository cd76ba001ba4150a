"""The Outcomes page's day/night split, from ``queries.outcome_periods``.

What happened after calls received at night (22:00-05:59) and by day, per program: the
question "does a call at night end differently?" that the rows (which carry no hour)
cannot answer. The cube behind it is city-wide and yearly, coarser than the page's
filters, so the section names its own scope (years, whole city, which calls) instead of
borrowing the page's. Shares are of the calls with an outcome recorded; a share whose
calls include a hidden cell is unknown and shown as a dash, never computed from the
published part (that would be a share of some of the calls, read as of all).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import CUBE_OUTCOME_PERIOD, OUTCOME_RECORDED, PERIOD_DAY, PERIOD_NIGHT, PERIODS
from dashboard.engine.store import Store
from dashboard.figures import program_label
from dashboard.i18n import t
from dashboard.params.filters import Filters
from dashboard.queries.docs import file_url_path
from dashboard.queries.outcome_periods import RECORDED_GROUPS, period_outcomes, period_years
from dashboard.views.night import count_text
from dashboard.views.parts import Table, reading_share, years_label


@dataclass(frozen=True)
class PeriodSection:
    """The section: its sentence, what it counts, the table and the cube's download."""

    summary: str
    scope: str
    #: Why the page's district or category filters do not apply here (empty when none is set).
    coarser: str
    table: Table | None
    file_path: str


@dataclass(frozen=True)
class _Cell:
    """One program and period: calls with an outcome recorded, each group, what is hidden."""

    calls: int
    hidden: int
    #: Per group: (published sum, hidden cells).
    groups: dict[str, tuple[int, int]]

    def share(self, group: str) -> float | None:
        """The group's share of the recorded calls; None when a hidden cell of the group
        or of the total makes it unknown."""
        calls, hidden = self.groups[group]
        if hidden or self.hidden or not self.calls:
            return None
        return calls / self.calls


def _cell(frame: pd.DataFrame, program: str, period: str) -> _Cell:
    part = frame[(frame["response_type"] == program) & (frame["period"] == period)].set_index("outcome_group")
    groups = {str(g): (int(r.calls), int(r.hidden)) for g, r in part.iterrows()}
    return _Cell(*groups[OUTCOME_RECORDED], groups)


def _pct(cell: _Cell, group: str, lang: str) -> str:
    return reading_share(cell.share(group), lang)


def period_section(store: Store, f: Filters, city: City, programs: tuple[str, ...], eligible_only: bool,
                   lang: str) -> PeriodSection:
    """The section for the page's programs and comparison (``eligible_only``: the
    ``eligible`` comparison; the others count every call, as the cube has no categories)."""
    info = store.release_info(f.city)
    file_path = file_url_path(f.city, info.release_id, f"{CUBE_OUTCOME_PERIOD.name}.parquet")
    alt = program_label(city.alternative_program, lang, city.label_map)
    covered = period_years(store, f)
    when = years_label(covered)
    scope = t("outcomes.period.scope_eligible" if eligible_only else "outcomes.period.scope_all", lang,
              years=when, program=alt)
    coarser = t("outcomes.period.coarser", lang) if f.districts or f.categories else ""
    frame = period_outcomes(store, f, programs, eligible_only)
    cells = {(p, period): _cell(frame, p, period) for p in programs for period in PERIODS}
    shown = [p for p in programs
             if any(cells[p, period].calls or cells[p, period].hidden for period in PERIODS)]
    if not covered or not shown:
        return PeriodSection(t("outcomes.period.none", lang), scope, coarser, None, file_path)
    parts = []
    for p in shown:
        day, night = cells[p, PERIOD_DAY], cells[p, PERIOD_NIGHT]
        night_text = (t("outcomes.period.no_night", lang) if not night.calls and not night.hidden
                      else _pct(night, "resolved_or_referred", lang))
        parts.append(t("outcomes.period.part", lang, program=program_label(p, lang, city.label_map),
                       day=_pct(day, "resolved_or_referred", lang), night=night_text))
    summary = t("outcomes.period.summary", lang, parts="; ".join(parts))
    return PeriodSection(summary, scope, coarser, _table(cells, shown, city, lang), file_path)


def _table(cells: dict[tuple[str, str], _Cell], programs: list[str], city: City, lang: str) -> Table:
    """Program | when | calls with an outcome | share per group (| no outcome recorded)."""
    with_missing = any(any(c.groups["not_recorded"]) for c in cells.values())
    headers = [t("table.program", lang), t("outcomes.period.when", lang), t("outcomes.period.calls", lang),
               *(t(f"outcomes.period.group.{g}", lang) for g in RECORDED_GROUPS)]
    if with_missing:
        headers.append(t("outcomes.period.not_recorded", lang))
    rows = []
    for p in programs:
        for period in (PERIOD_DAY, PERIOD_NIGHT):
            cell = cells[p, period]
            row = [program_label(p, lang, city.label_map), t(f"outcomes.period.{period}", lang),
                   count_text(cell.calls, cell.hidden, lang),
                   *(_pct(cell, g, lang) for g in RECORDED_GROUPS)]
            if with_missing:
                row.append(count_text(*cell.groups["not_recorded"], lang))
            rows.append(row)
    return Table(t("outcomes.period.caption", lang), headers, rows)

