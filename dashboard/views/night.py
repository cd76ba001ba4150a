"""The district profile's "unanswered at night" figures, from ``queries.night``.

One sentence a council member can quote ("N eligible calls in my district went
unanswered at night, and why") and the table behind it: what became of the area's
eligible calls at night (22:00-05:59) and by day. A count summed over a hidden cell is
a lower bound ("≥ N") or, when nothing of it is published, "hidden": never the 0 or the
partial sum the published cells add up to.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import NIGHT_REASONS, PERIOD_DAY, PERIOD_NIGHT, REASON_ANSWERED
from dashboard.engine.store import Store
from dashboard.figures import program_label
from dashboard.i18n import fmt_int, t
from dashboard.params.filters import Filters
from dashboard.queries.night import night_reasons, night_years
from dashboard.views.parts import Table, years_label

#: The reasons an eligible call went unanswered, in the order the sentence names them.
UNANSWERED = tuple(r for r in NIGHT_REASONS if r != REASON_ANSWERED)


@dataclass(frozen=True)
class NightSection:
    key_figure: str
    table: Table | None


def count_text(calls: int, hidden: int, lang: str) -> str:
    """A summed count: exact, a lower bound over hidden cells, or hidden."""
    if not hidden:
        return fmt_int(calls, lang)
    return "≥ " + fmt_int(calls, lang) if calls else t("profile.hidden", lang)


def _cell(frame: pd.DataFrame, period: str, reasons: tuple[str, ...]) -> tuple[int, int]:
    part = frame[(frame["period"] == period) & frame["reason"].isin(reasons)]
    return int(part["calls"].sum()), int(part["hidden"].sum())


def night_section(store: Store, f: Filters, city: City, area_type: str, area: str, name: str,
                  lang: str) -> NightSection | None:
    """The section for one area, or None where the city records no eligibility (nothing
    to be unanswered)."""
    if "star_eligible" in store.release_info(f.city).not_recorded:
        return None
    program = program_label(city.alternative_program, lang, city.label_map)
    covered = night_years(store, f)
    if not covered:
        return NightSection(t("district.night.none", lang, program=program), None)
    frame = night_reasons(store, f, area_type, area)
    when = years_label(covered)
    night = {r: count_text(*_cell(frame, PERIOD_NIGHT, (r,)), lang) for r in NIGHT_REASONS}
    key_figure = t(
        "district.night.key_figure", lang, period=when, area=name,
        program=program, unanswered=count_text(*_cell(frame, PERIOD_NIGHT, UNANSWERED), lang),
        off=night["out_of_hours"], busy=night["no_team_available"], other=night["other_reason"],
        answered=night[REASON_ANSWERED],
    )
    rows = []
    for reason in (*NIGHT_REASONS, None):
        reasons = NIGHT_REASONS if reason is None else (reason,)
        label = (t("district.night.total", lang) if reason is None
                 else t(f"district.night.reason.{reason}", lang, program=program))
        rows.append([label, count_text(*_cell(frame, PERIOD_NIGHT, reasons), lang),
                     count_text(*_cell(frame, PERIOD_DAY, reasons), lang)])
    headers = [t("district.night.reason", lang), t("district.night.at_night", lang),
               t("district.night.by_day", lang)]
    return NightSection(key_figure, Table(t("district.night.caption", lang, area=name), headers, rows))
