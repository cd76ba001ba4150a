"""The Outcomes page's view model: from the URL to what the page shows.

``parse_view`` reads an untrusted query into an ``OutcomesView`` (the filters through the
shared prelude, plus this page's ``compare``) and says what it could not use; ``render``
resolves the comparison (``queries.outcomes.resolve_comparison``: it may fall back when
the asked one has too few calls), runs the view's queries and returns an ``Outcomes`` of
plain values (texts, small DataFrames, figures, ``Table``).

**The comparison** (``compare``): ``eligible`` by default, i.e. only calls that met the
alternative team's dispatch criteria, because the programs are sent different calls and
docs/architecture.md ("The data contract") asks that programs be compared on the same
calls; ``shared`` (categories every program answered at least k times) and ``all``
(every call, labelled as not like for like) are one click away.

No Dash here (``pages.outcomes`` wires the callback, ``pages.layouts.outcomes`` draws).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import Outcome, ResponseType
from dashboard.engine.store import Store
from dashboard.figures import category_label, period_label, program_label
from dashboard.figures.flow import flow_figure
from dashboard.figures.outcomes import outcome_figure, outcome_label
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.params.filters import Filters
from dashboard.queries import outcomes as data
from dashboard.queries.docs import first_value
from dashboard.views.outcome_periods import PeriodSection, period_section
from dashboard.views.parts import Table
from dashboard.views.parts import reading_share as pct
from dashboard.views.prelude import page_query

if TYPE_CHECKING:
    from dashboard.contract.releases import ReleaseInfo

PARAM_COMPARE = "compare"


# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class OutcomesView:
    """What the URL decides: city, period and districts, the comparison asked for, language."""

    filters: Filters
    compare: data.Comparison
    lang: str


def parse_view(
    query: Mapping[str, object], store: Store, default_city: str
) -> tuple[OutcomesView, list[str]]:
    """Untrusted query -> (view, messages). Never raises."""
    prelude = page_query(query, store, default_city)
    lang, errors = prelude.lang, prelude.errors
    compare: data.Comparison = data.DEFAULT_COMPARISON
    raw = first_value(query.get(PARAM_COMPARE))
    if raw:
        if raw in data.COMPARISONS:
            compare = cast(data.Comparison, raw)
        else:
            errors.append(t("outcomes.bad_compare", lang, value=raw[:40]))
    return OutcomesView(prelude.filters, compare, lang), errors


# ------------------------------------------------------------------------------ sections


def _headline(f: Filters, city: City, table: pd.DataFrame, scope: data.Scope, lang: str) -> str:
    """One sentence from the data about the alternative team (or the first program shown)."""
    alt = city.alternative_program.value
    with_calls = [p for p in scope.programs if data.headline(table, p).calls]
    program = alt if alt in with_calls or not with_calls else with_calls[0]
    h = data.headline(table, program)
    name = program_label(program, lang, city.label_map)
    if not h.calls:
        return t("outcomes.headline_none", lang, period=period_label(f.start, f.end, lang), program=name)
    sentence = t(
        "outcomes.headline",
        lang,
        period=period_label(f.start, f.end, lang),
        program=name,
        calls=fmt_int(h.calls, lang),
        resolved=pct(h.resolved_or_referred, lang),
        arrest=pct(h.arrest, lang),
    )
    if not h.not_recorded:
        return sentence
    recorded = fmt_int(h.calls - h.not_recorded, lang)
    return sentence + " " + t("outcomes.headline_not_recorded", lang, recorded=recorded,
                              missing=fmt_int(h.not_recorded, lang))


def _scope_text(scope: data.Scope, city: City, lang: str) -> str:
    alt = program_label(city.alternative_program, lang, city.label_map)
    calls = fmt_int(int(scope.counts["calls"].sum()), lang)
    if scope.comparison == "eligible":
        return t("outcomes.scope.eligible", lang, program=alt, calls=calls)
    if scope.comparison == "shared":
        names = ", ".join(category_label(c, lang) for c in scope.categories)
        return t("outcomes.scope.shared", lang, categories=names, calls=calls)
    return t("outcomes.scope.all", lang, calls=calls)


def _outcome_rows(table: pd.DataFrame, programs: Sequence[str], city: City, lang: str) -> Table:
    """Outcome | per program: calls, share; then the programs' totals."""
    headers = [t("outcomes.table.outcome", lang)]
    for p in programs:
        name = program_label(p, lang, city.label_map)
        headers += [
            t("outcomes.table.calls", lang, program=name),
            t("outcomes.table.share", lang, program=name),
        ]
    indexed = table.set_index(["outcome", "response_type"])
    rows: list[list[str]] = []
    for outcome in data.OUTCOME_ORDER:
        row: list[str] = [outcome_label(outcome, lang)]
        for p in programs:
            r = indexed.loc[(outcome.value, p)]
            row += [fmt_int(int(r["calls"]), lang), pct(float(r["share"]), lang)]
        rows.append(row)
    totals: list[str] = [t("table.total", lang)]
    for p in programs:
        total = int(table.loc[table["response_type"] == p, "total"].iloc[0])
        totals += [fmt_int(total, lang), fmt_pct(1.0, lang) if total else "—"]
    rows.append(totals)
    missing = table[table["outcome"] == Outcome.NOT_RECORDED.value].set_index("response_type")["calls"]
    if int(missing.sum()):
        # Counted beside the shares, never as an outcome: the totals above are of the
        # calls with an outcome recorded (issue 14).
        row = [outcome_label(Outcome.NOT_RECORDED, lang)]
        for p in programs:
            row += [fmt_int(int(missing.get(p, 0)), lang), "—"]
        rows.append(row)
    return Table(t("outcomes.table.caption", lang), headers, rows)


def _bar_count(table: pd.DataFrame, programs: Sequence[str]) -> int:
    """Bars the outcome chart draws (programs with calls), 1 to 4: the CSS height class."""
    drawn = sum(1 for p in programs if int(table.loc[table["response_type"] == p, "total"].max()))
    return min(max(drawn, 1), 4)


def _bars_summary(table: pd.DataFrame, programs: Sequence[str], city: City, lang: str) -> str:
    parts_good, parts_arrest = [], []
    for p in programs:
        h = data.headline(table, p)
        if not h.calls:
            continue
        name = program_label(p, lang, city.label_map)
        parts_good.append(f"{name} {pct(h.resolved_or_referred, lang)}")
        parts_arrest.append(f"{name} {pct(h.arrest, lang)}")
    if not parts_good:
        return t("figure.no_data", lang)
    return t("outcomes.bars.summary", lang, resolved="; ".join(parts_good), arrest="; ".join(parts_arrest))


#: Alternative programs that are themselves police responses: no "police get the rest".
POLICE_PROGRAMS = (ResponseType.CIT_OFFICER, ResponseType.PATROL)


def caveat_text(city: City, alt: str, lang: str) -> str:
    """Why outcome shares are not a verdict, in words that fit the city's programs: a city
    whose alternative response is itself police (CIT officers) gets no talk of a
    dispatcher's safety screen sending the rest to police (issue 14)."""
    key = "outcomes.caveat_police" if city.alternative_program in POLICE_PROGRAMS else "outcomes.caveat"
    return t(key, lang, program=alt)


def _flags_table(flags: pd.DataFrame, city: City, lang: str, not_recorded: frozenset[str] = frozenset()
                 ) -> Table:
    """Backup and repeat contacts per program. A field the city's data does not record
    says so: a repeat share of 0% without person ids would read as "nobody called again"."""
    unrecorded = t("outcomes.repeat_not_recorded", lang)
    no_repeats = "repeat_contact_90d" in not_recorded
    no_backups = "police_backup" in not_recorded
    rows = []
    for r in flags.itertuples(index=False):
        applies = not math.isnan(r.backup_share)
        backup_cells = (
            [t("outcomes.backup_not_recorded", lang), "—"] if no_backups and applies
            else [pct(float(r.backup_share) if applies else None, lang),
                  fmt_int(r.backups, lang) if applies else "—"]
        )
        rows.append(
            [
                program_label(r.response_type, lang, city.label_map),
                fmt_int(r.calls, lang),
                *backup_cells,
                unrecorded if no_repeats else pct(float(r.repeat_share), lang),
                unrecorded if no_repeats else fmt_int(r.repeats, lang),
            ]
        )
    headers = [
        t("table.program", lang),
        t("table.calls", lang),
        t("outcomes.flags.backup_share", lang),
        t("outcomes.flags.backups", lang),
        t("outcomes.flags.repeat_share", lang),
        t("outcomes.flags.repeats", lang),
    ]
    return Table(t("outcomes.flags.caption", lang), headers, rows)


def _flow_summary(flow: pd.DataFrame, table: pd.DataFrame, city: City, lang: str) -> str:
    if flow.empty:
        return t("figure.no_data", lang)
    by_category = flow.groupby("call_category")["calls"].sum().sort_values(ascending=False)
    top = str(by_category.index[0])
    part = flow[flow["call_category"] == top].groupby("response_type")["calls"].sum()
    part = part.sort_values(ascending=False)
    by_outcome = table.groupby("outcome")["calls"].sum().sort_values(ascending=False)
    total = int(by_outcome.sum())
    return t(
        "outcomes.flow.summary",
        lang,
        category=category_label(top, lang),
        calls=fmt_int(int(by_category.iloc[0]), lang),
        program=program_label(str(part.index[0]), lang, city.label_map),
        share=pct(float(part.iloc[0]) / float(by_category.iloc[0]), lang),
        outcome=outcome_label(str(by_outcome.index[0]), lang),
        outcome_share=pct(float(by_outcome.iloc[0]) / total if total else None, lang),
    )


def _flow_rows(flow: pd.DataFrame, city: City, k: int, lang: str) -> Table:
    """Every combination of at least k calls, then one line adding up the smaller ones."""
    big = flow[flow["calls"] >= k]
    small = flow[flow["calls"] < k]
    rows: list[list[str]] = [
        [
            category_label(r.call_category, lang),
            program_label(r.response_type, lang, city.label_map),
            outcome_label(r.outcome, lang),
            fmt_int(r.calls, lang),
        ]
        for r in big.itertuples(index=False)
    ]
    if not small.empty:
        rows.append(
            [
                t("outcomes.flow.small_row", lang, k=k, n=fmt_int(len(small), lang)),
                "",
                "",
                fmt_int(int(small["calls"].sum()), lang),
            ]
        )
    headers = [
        t("outcomes.flow.category", lang),
        t("table.program", lang),
        t("outcomes.table.outcome", lang),
        t("table.calls", lang),
    ]
    return Table(t("outcomes.flow.caption", lang), headers, rows)


# -------------------------------------------------------------------------------- page


@dataclass(frozen=True)
class Outcomes:
    """Everything the page shows for one view, computed once."""

    view: OutcomesView
    city: City
    info: ReleaseInfo
    #: The privacy threshold: flows of fewer calls are merged.
    k: int
    #: The comparison shown (``scope.comparison``: the asked one unless it fell back).
    scope: data.Scope
    #: The comparison the control shows: the one shown, or the one asked for after a fallback.
    compare_choice: data.Comparison
    #: Why the comparison shown is not the one asked for (empty when it is).
    advice: list[str]
    programs: list[str]
    alternative: str
    headline: str
    scope_text: str
    bars_figure: Any
    bars_table: Table
    bars_summary: str
    bar_count: int
    flags_table: Table
    caveat: str
    flow_figure: Any
    flow_table: Table
    flow_summary: str
    #: Outcomes by day and at night (city-wide, whole years: its own scope).
    periods: PeriodSection
    #: The filters of the "rows behind this view" link (``shared`` keeps its categories).
    rows_filters: Filters
    download_note: str


def render(store: Store, view: OutcomesView) -> Outcomes:
    """Resolve the comparison and run the view's queries."""
    f, lang, wanted = view.filters, view.lang, view.compare
    city = store.cities[f.city].localized(lang)  # the city's own words in the reader's language
    k = store.settings.privacy_k
    scope, fell_back = data.resolve_comparison(store, f, wanted, k)
    alt = program_label(city.alternative_program, lang, city.label_map)
    advice = []
    if fell_back == "eligible":
        advice.append(t("outcomes.fallback.no_eligible", lang, program=alt))
    if fell_back is not None:
        advice.append(t(f"outcomes.fallback.to_{scope.comparison}", lang, k=k))
    table = data.outcome_table(scope)
    flags = data.program_flags(scope, city.alternative_program)
    flow = data.flow_table(scope)
    programs = list(scope.programs)
    return Outcomes(
        view=view, city=city, info=store.release_info(f.city), k=k, scope=scope,
        compare_choice=scope.comparison if fell_back is None else wanted, advice=advice,
        programs=programs, alternative=alt,
        headline=_headline(f, city, table, scope, lang),
        scope_text=_scope_text(scope, city, lang),
        bars_figure=outcome_figure(table, lang=lang, programs=programs, labels=city.label_map),
        bars_table=_outcome_rows(table, programs, city, lang),
        bars_summary=_bars_summary(table, programs, city, lang),
        bar_count=_bar_count(table, programs),
        flags_table=_flags_table(flags, city, lang, store.release_info(f.city).not_recorded),
        caveat=caveat_text(city, alt, lang),
        flow_figure=flow_figure(flow, lang=lang, programs=programs, k=k, labels=city.label_map),
        flow_table=_flow_rows(flow, city, k, lang),
        flow_summary=_flow_summary(flow, table, city, lang),
        periods=period_section(store, f, city, scope.programs, scope.comparison == "eligible", lang),
        rows_filters=f.with_(categories=scope.categories) if scope.comparison == "shared" else f,
        download_note=t(f"outcomes.download.{scope.comparison}", lang, program=alt),
    )
