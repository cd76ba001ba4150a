"""The Impact page's view model: did reports of low-level offenses fall where the team started?

From the URL (city, offense group, language) to plain values: the headline estimate in
one sentence, the checks that could undo it (fake start dates, serious offenses, each
precinct left out), the event study and the monthly reports with the tables behind
them, what was compared and where it comes from, and both published readings. The
numbers are ``queries.impact``'s (computed offline by ``crisis-dashboard impact``); this
module only words them.

Every warning is computed, never written in: a placebo whose interval excludes 0, or a
change in serious offenses, is named as such, because a reader cannot be expected to
read a table of placebos to learn that the comparison is doubtful.

No Dash here (``pages.impact`` draws it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.impact import GROUPS
from dashboard.engine.store import Store
from dashboard.figures import month_label, program_label
from dashboard.figures.impact import event_study_figure, monthly_figure
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.queries import impact as data
from dashboard.queries.docs import choose_city, first_value
from dashboard.views.impact_costs import CostSection, cost_section
from dashboard.views.impact_officer_time import OfficerTimeSection, officer_time_section
from dashboard.views.impact_repeat import RepeatSection, repeat_section
from dashboard.views.parts import Table

PARAM_GROUP = "group"
DEFAULT_GROUP = "targeted"


@dataclass(frozen=True)
class ImpactView:
    city: str
    group: str
    lang: str
    #: The ``?city=`` value when it named no served city (the page names it), else None.
    bad_city: str | None = None


@dataclass(frozen=True)
class Impact:
    """Everything the page shows for one city and group (``available`` False: only ``missing``)."""

    view: ImpactView
    city: City
    available: bool
    missing: str = ""
    headline: str = ""
    warnings: tuple[str, ...] = ()
    area: str = ""
    offense_types: str = ""
    #: The group's offense types and categories, as the reference file spells them (codes).
    type_codes: tuple[str, ...] = ()
    source: str = ""
    estimates: Table | None = None
    event_figure: Any = None
    event_table: Table | None = None
    event_summary: str = ""
    monthly_figure: Any = None
    monthly_table: Table | None = None
    #: Officer time returned (every city: the estimate, or why there is none).
    officer: OfficerTimeSection | None = None
    #: Cost per call answered (every city: a table, or why there is none).
    costs: CostSection | None = None
    #: Repeat contacts after a response (every city: the shares, or why there are none).
    repeat: RepeatSection | None = None


def parse_view(query: Mapping[str, object], store: Store, default_city: str, lang: str
               ) -> tuple[ImpactView, list[str]]:
    """Untrusted query -> (view, messages). Never raises."""
    errors: list[str] = []
    city, bad = choose_city(query.get("city"), store.cities, default_city)
    raw = first_value(query.get(PARAM_GROUP))
    group = data.valid_group(raw) or DEFAULT_GROUP
    if raw and data.valid_group(raw) is None:
        errors.append(t("impact.bad_group", lang, value=raw[:40]))
    return ImpactView(city, group, lang, bad), errors


def _change(effect: float, lang: str) -> str:
    """-0.30 -> "30% lower"; 0.12 -> "12% higher"."""
    key = "impact.lower" if effect < 0 else "impact.higher"
    return t(key, lang, share=fmt_pct(abs(effect), lang, digits=0))


def _interval(low: float, high: float, lang: str) -> str:
    return t("impact.interval", lang, low=fmt_pct(low, lang, digits=0), high=fmt_pct(high, lang, digits=0))


def _range(low: float, high: float, lang: str) -> str:
    """An interval in a table cell whose header already says "95% interval"."""
    return t("impact.range", lang, low=fmt_pct(low, lang, digits=0), high=fmt_pct(high, lang, digits=0))


def _excludes_zero(row: pd.Series) -> bool:
    return bool(row["low"] > 0 or row["high"] < 0)


def _variant_label(variant: str, lang: str) -> str:
    kind, _, value = variant.partition(":")
    if kind == "main":
        return t("impact.variant.main", lang)
    if kind == "leave_out":
        return t("impact.variant.leave_out", lang, precinct=value)
    return t("impact.variant.placebo", lang, date=month_label(pd.Timestamp(value), lang))


def _estimates_table(frame: pd.DataFrame, lang: str) -> Table:
    rows = [[_variant_label(r.variant, lang), fmt_pct(r.effect, lang, digits=0),
             _range(r.low, r.high, lang), f"{r.p_cluster:.3f}", fmt_int(int(r.n_treated), lang),
             fmt_int(int(r.n_units - r.n_treated), lang)] for r in frame.itertuples(index=False)]
    keys = ("variant", "change", "interval", "p", "served", "others")
    headers = [t(f"impact.table.{key}", lang) for key in keys]
    return Table(t("impact.table.caption", lang), headers, rows)


def _warnings(frame: pd.DataFrame, serious: pd.DataFrame, group: str, lang: str) -> tuple[str, ...]:
    out = []
    placebos = frame[frame["variant"].str.startswith("placebo:")]
    moved = [month_label(pd.Timestamp(r["variant"].partition(":")[2]), lang)
             for _, r in placebos.iterrows() if _excludes_zero(r)]
    if moved:
        out.append(t("impact.warn.placebo", lang, dates=", ".join(moved)))
    main_serious = serious[serious["variant"] == "main"]
    if group != "serious" and len(main_serious) and _excludes_zero(main_serious.iloc[0]):
        change = _change(float(main_serious.iloc[0]["effect"]), lang)
        out.append(t("impact.warn.serious", lang, change=change))
    leave = frame[frame["variant"].str.startswith("leave_out:")]
    main = frame[frame["variant"] == "main"].iloc[0]
    if len(leave) and (leave["effect"] < 0).any() and (leave["effect"] > 0).any():
        out.append(t("impact.warn.sign", lang))
    elif len(leave) and _excludes_zero(main) and not leave.apply(_excludes_zero, axis=1).all():
        out.append(t("impact.warn.leave_out", lang))
    return tuple(out)


def render(store: Store, view: ImpactView) -> Impact:
    lang = view.lang
    city = store.cities[view.city].localized(lang)
    program = program_label(city.alternative_program, lang, city.label_map)
    if city.impact is None or not data.available(store, view.city):
        return Impact(view, city, False, missing=t("impact.missing", lang, city=city.name, program=program),
                      officer=officer_time_section(store, city, lang), costs=cost_section(store, city, lang),
                      repeat=repeat_section(store, city, lang))
    meta = data.meta(store, view.city)
    config = city.impact
    frame = data.estimates(store, view.city, view.group)
    main = frame[frame["variant"] == "main"].iloc[0]
    start = pd.Timestamp(config.area.start)
    end = pd.Timestamp(config.area.end)
    headline = t(
        "impact.headline", lang, n=fmt_int(int(main["n_treated"]), lang), program=program,
        start=month_label(start, lang), end=month_label(end, lang),
        group=t(f"impact.group.{view.group}", lang), change=_change(float(main["effect"]), lang),
        interval=_interval(float(main["low"]), float(main["high"]), lang),
        others=fmt_int(int(main["n_units"] - main["n_treated"]), lang),
        implied=fmt_int(round(abs(float(main["implied_change"]))), lang),
        direction=t("impact.fewer" if main["implied_change"] < 0 else "impact.more", lang),
        p=fmt_pct(float(main["p_permutation"]), lang, digits=1),
    )
    area_key = "impact.area.approximate" if config.area.approximate else "impact.area.official"
    area = t(area_key, lang, precincts=", ".join(config.area.precincts), start=month_label(start, lang),
             end=month_label(end, lang), source=config.area.source, program=program)
    types = meta["groups"].get(view.group) or []
    offense_types = t("impact.types.list", lang) if types else t("impact.types.all", lang)
    events = data.event_study(store, view.city, view.group)
    monthly = data.monthly_reports(store, view.city, view.group)
    before = events[events["event_month"] < -1]
    event_summary = t("impact.event.summary", lang,
                      pre_low=fmt_pct(float(before["effect"].min()), lang, digits=0) if len(before) else "—",
                      pre_high=fmt_pct(float(before["effect"].max()), lang, digits=0) if len(before) else "—",
                      reference=month_label(start - pd.DateOffset(months=1), lang))
    return Impact(
        view, city, True, headline=headline,
        warnings=_warnings(frame, data.estimates(store, view.city, "serious"), view.group, lang),
        area=area, offense_types=offense_types, type_codes=tuple(x.removeprefix("category:") for x in types),
        source=t("impact.source", lang, source=config.offenses_source, built=meta["built"]),
        estimates=_estimates_table(frame, lang),
        event_figure=event_study_figure(events, start, lang),
        event_table=Table(t("impact.event.caption", lang),
                          [t("impact.event.month", lang), t("impact.table.change", lang),
                           t("impact.table.interval", lang)],
                          [[month_label(r.month, lang), fmt_pct(r.effect, lang, digits=0),
                            _range(r.low, r.high, lang)] for r in events.itertuples(index=False)]),
        event_summary=event_summary,
        monthly_figure=monthly_figure(monthly, start, lang),
        monthly_table=_monthly_table(monthly, lang),
        officer=officer_time_section(store, city, lang),
        costs=cost_section(store, city, lang),
        repeat=repeat_section(store, city, lang),
    )


def _monthly_table(monthly: pd.DataFrame, lang: str) -> Table:
    wide = monthly.pivot_table(index="month", columns="served", values="mean").sort_index()
    rows = [[month_label(m, lang), f"{wide.loc[m].get(True, float('nan')):.1f}",
             f"{wide.loc[m].get(False, float('nan')):.1f}"] for m in wide.index]
    return Table(t("impact.monthly.caption", lang),
                 [t(f"impact.{k}", lang) for k in ("event.month", "monthly.served", "monthly.others")], rows)


__all__ = ["GROUPS", "Impact", "ImpactView", "parse_view", "render"]
