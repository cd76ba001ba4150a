"""The Impact page's cost per call: a program's published budget over the calls it answered.

A budget is what the city says the program cost in a year (``[[budgets]]`` in its TOML,
each with its source); the calls are those the release shows the team answering that
year. A year the release does not cover whole gets no figure (a budget over part of a
year's calls would read as a cost per call several times too high). Where the release is
the synthetic sample, the calls are synthetic: the figure shows the method, not Denver's
real cost, and the page says so.

No Dash here (``pages.impact`` draws it).
"""

from __future__ import annotations

from dataclasses import dataclass

from dashboard.contract.cities import City
from dashboard.engine.store import Store
from dashboard.figures import program_label
from dashboard.i18n import fmt_int, t
from dashboard.queries.impact import answered_by_year
from dashboard.views.parts import Table


@dataclass(frozen=True)
class CostSection:
    table: Table | None
    note: str
    #: (year, source, address) of each budget, in year order. The source is quoted as the
    #: configuration gives it (in English: the page marks it so for screen readers).
    sources: tuple[tuple[int, str, str], ...] = ()


def dollars(value: float, lang: str) -> str:
    return t("impact.cost.dollars", lang, value=fmt_int(round(value), lang))


def cost_section(store: Store, city: City, lang: str) -> CostSection:
    """The section for a city (already ``localized``): its table, or why there is none."""
    program = program_label(city.alternative_program, lang, city.label_map)
    if not city.budgets:
        return CostSection(None, t("impact.cost.missing", lang, city=city.name, program=program))
    counts = answered_by_year(store, city.id, city.alternative_program.value).set_index("year")
    rows = []
    for budget in city.budgets:
        months = int(counts["months"].get(budget.year, 0))
        calls = int(counts["calls"].get(budget.year, 0))
        if months < 12:
            cost = t("impact.cost.partial", lang, months=months)
        else:
            cost = dollars(budget.amount / calls, lang) if calls else "—"
        rows.append([str(budget.year), dollars(budget.amount, lang),
                     fmt_int(calls, lang) if months else "—", cost])
    headers = [t(f"impact.cost.{k}", lang, program=program) for k in ("year", "budget", "calls", "per_call")]
    note = t("impact.cost.note", lang, program=program)
    if store.release_info(city.id).synthetic:
        note += " " + t("impact.cost.synthetic", lang, city=city.name)
    sources = tuple((b.year, b.source, b.url) for b in city.budgets)
    return CostSection(Table(t("impact.cost.caption", lang, program=program), headers, rows), note, sources)
