"""The District page's view model: from the URL to what the profile shows.

``parse_view`` reads the district's slug and an untrusted query into a ``DistrictView``
(the filters through the shared prelude, plus the planner's plan) and says what it could
not use; ``render`` runs the view's queries and returns a ``District`` of plain values
(texts, figures, ``Table`` and the ``district_sections`` parts); ``missing`` is what the page
shows for a district the city does not publish. Addresses are returned without the app's
prefix (``params.districts``): the layout adds it.

No Dash here (``pages.district`` wires the callback, ``pages.layouts.district`` draws).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import AREA_COUNCIL, AREA_DISTRICT, CITYWIDE
from dashboard.engine.store import Store
from dashboard.figures import empty_figure, monthly_figure, period_label, program_label
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, fmt_int, t
from dashboard.models.plans import MAX_SHIFTS, Plan
from dashboard.params.districts import (
    DISTRICT_PATH,
    DistrictKind,
    district_query,
    district_slug,
    parse_district_slug,
)
from dashboard.params.filters import PARAM_CITY, PARAM_END, PARAM_START, Filters, ascii_int
from dashboard.params.grammar import parse_filters
from dashboard.queries import district as district_data
from dashboard.queries import overview as queries
from dashboard.queries import profile
from dashboard.queries.docs import first_value
from dashboard.views import district_sections as sections
from dashboard.views.night import NightSection, night_section
from dashboard.views.parts import Table
from dashboard.views.prelude import page_query

if TYPE_CHECKING:
    from dashboard.contract.releases import ReleaseInfo

#: An added shift, repeated once per shift: ``vans-days-from-to``, e.g. ``2-0123456-22-2``.
PARAM_SHIFT = "shift"
#: One shift as separate parameters (the form's, and links made before shifts existed).
PARAM_VANS = "vans"
PARAM_DAYS = "days"
PARAM_FROM = "from"
PARAM_TO = "to"


# ----------------------------------------------------------------------------- the view


@dataclass(frozen=True)
class DistrictView:
    """What the URL decides: city and period, which district, the shifts added to the
    schedule in force (none: the planner shows the schedule alone), language."""

    filters: Filters
    kind: DistrictKind
    area: str
    shifts: tuple[Plan, ...]
    lang: str
    #: False when the city publishes no figures for this district (unknown or unpublished).
    published: bool = True

    @property
    def area_type(self) -> str:
        return AREA_COUNCIL if self.kind == "council" else AREA_DISTRICT

    def address(self) -> tuple[str, list[tuple[str, str]]]:
        """This view's path (without the app's prefix) and query, plan included."""
        query = district_query(self.filters, self.lang) + shift_params(self.shifts)
        return f"{DISTRICT_PATH}/{district_slug(self.area, self.kind)}", query


def shift_code(shift: Plan) -> str:
    """``vans-days-from-to``: the URL form of an added shift."""
    return f"{shift.vans}-{''.join(str(d) for d in shift.days)}-{shift.hours[0]}-{shift.hours[1]}"


def shift_params(shifts: Sequence[Plan]) -> list[tuple[str, str]]:
    return [(PARAM_SHIFT, shift_code(s)) for s in shifts]


def _whole_number(raw: Mapping[str, object], name: str) -> int:
    """The planner's number ``name`` in ASCII digits (``ascii_int``), or a ValueError saying so."""
    number = ascii_int(raw[name])
    if number is None:
        raise ValueError(f"{name}: {str(raw[name] or '')[:20]!r} is not a whole number")
    return number


def _shift(vans: object, days_text: object, first: object, last: object) -> Plan:
    """One added shift from its four untrusted parts, or a ValueError naming the bad one."""
    raw = {PARAM_VANS: vans, PARAM_DAYS: days_text, PARAM_FROM: first, PARAM_TO: last}
    text = str(days_text or "")
    days = tuple(n for n in (ascii_int(c) for c in text[:7]) if n is not None)
    if text and len(days) != len(text[:7]):
        raise ValueError(f"days: {text[:20]!r} is not a list of weekdays 0-6")
    number, start, end = (_whole_number(raw, name) for name in (PARAM_VANS, PARAM_FROM, PARAM_TO))
    if number < 1:
        raise ValueError("vans: add at least 1 van")
    return Plan(vans=number, days=days, hours=(start, end))


def _values(value: object) -> list[str]:
    items = value if isinstance(value, list | tuple) else [value]
    return [str(v) for v in items if v is not None][: MAX_SHIFTS + 1]


def parse_plan(query: Mapping[str, object], lang: str) -> tuple[tuple[Plan, ...], list[str]]:
    """The shifts the URL adds to the schedule in force (``shift=``, repeated; or one as
    ``vans``/``days``/``from``/``to``); none when absent, a message when malformed."""
    codes = _values(query.get(PARAM_SHIFT)) if query.get(PARAM_SHIFT) is not None else []
    legacy = {p: first_value(query.get(p)) for p in (PARAM_VANS, PARAM_DAYS, PARAM_FROM, PARAM_TO)}
    try:
        shifts = []
        for code in codes:
            parts = code.strip().split("-")
            if len(parts) != 4:
                raise ValueError(f"shift: {code[:20]!r} is not vans-days-from-to")
            shifts.append(_shift(*parts))
        if any(legacy.values()):
            shifts.append(_shift(*legacy.values()))
        if len(shifts) > MAX_SHIFTS:
            raise ValueError(f"shift: at most {MAX_SHIFTS} added shifts")
    except ValueError as exc:
        return (), [t("district.bad_plan", lang, problem=str(exc)[:120])]
    return tuple(shifts), []


def district_names(city: City, kind: DistrictKind, areas: Sequence[str], lang: str) -> dict[str, str]:
    if kind == "council":
        return {a: t("district.council_name", lang, id=a) for a in areas}
    return {a: t("district.police_name", lang, label=city.geo.district_label, id=city.district_name(a))
            for a in areas}


def areas(store: Store, city: City, kind: DistrictKind) -> tuple[str, ...]:
    """Districts of a kind with published figures, in natural order."""
    if kind == "council":
        return district_data.council_districts(store, city.id)
    return tuple(d for d in store.catalogs()[city.id].districts if d != CITYWIDE)


def parse_view(
    district_id: object, query: Mapping[str, object], store: Store, default_city: str
) -> tuple[DistrictView | None, list]:
    """Untrusted path and query -> the view plus messages; None when there is no such district."""
    period_query = {k: query.get(k) for k in (PARAM_CITY, PARAM_START, PARAM_END, PARAM_LANG) if k in query}
    prelude = page_query(period_query, store, default_city)
    lang, errors = prelude.lang, list(prelude.errors)
    shifts, plan_errors = parse_plan(query, lang)
    errors += plan_errors
    parsed = parse_district_slug(district_id)
    if parsed is None:
        return None, errors
    kind, area = parsed
    published = area in areas(store, store.cities[prelude.filters.city], kind)
    return DistrictView(prelude.filters, kind, area, shifts, lang, published), errors


def png_name(view: DistrictView, chart: str) -> str:
    """The chart toolbar's PNG file name: what, where and when, like the CSV names."""
    f = view.filters
    return f"{chart}_{f.city}_district-{district_slug(view.area, view.kind)}_{f.start:%Y-%m}_{f.end:%Y-%m}"


# ---------------------------------------------------------------------- missing district


@dataclass(frozen=True)
class Missing:
    """The page for a district the city does not publish: a message and every district."""

    lang: str
    filters: Filters
    message: str
    city_name: str
    #: (name, kind, area id) of every district with figures, police first.
    links: list[tuple[str, DistrictKind, str]]


def missing(view: DistrictView | None, raw: object, store: Store, geo_dir: Path) -> Missing:
    lang = view.lang if view else DEFAULT_LANGUAGE
    f = view.filters if view else None
    city = (store.cities[f.city] if f else store.cities[next(iter(store.catalogs()))]).localized(lang)
    if f is None:
        f = parse_filters({}, store.catalogs(), city.id).filters
    kinds: tuple[DistrictKind, ...] = ("police", "council")
    links = [(name, kind, a) for kind in kinds
             for a, name in district_names(city, kind, areas(store, city, kind), lang).items()]
    shown = str(raw)[:40] if isinstance(raw, str) else ""
    unpublished = bool(
        view and view.kind == "police"
        and any(a.id == view.area for a in sections.layer(geo_dir, city, "police"))
    )
    key = "district.unpublished" if unpublished else "district.missing" if links else "district.none"
    return Missing(lang, f, t(key, lang, value=shown, city=city.name), city.name, links)


# ------------------------------------------------------------------------------ sections


def _summary(
    view: DistrictView, name: str, area: profile.AreaFigures, city_fig: profile.AreaFigures, city: City
) -> str:
    """The headline sentence. A council district's count that fell in a hidden cell is said
    to be hidden, never printed as the 0 (or the share) its published cells add up to, and
    sums over hidden cells are marked as lower bounds."""
    lang = view.lang
    alt = program_label(city.alternative_program, lang, city.label_map)
    hidden = area.hidden_measures
    key = "district.summary" if area.eligible else "district.summary_no_eligible"
    if area.eligible and "eligible_answered" in hidden:
        key = "district.summary_share_hidden"
    if "eligible" in area.not_recorded:  # the city's data has no dispatch criteria
        key = "district.summary_no_criteria"

    # Over a lower bound of eligible calls the share is at most what it shows.
    at_most = "≤ " if "eligible" in area.bounded and area.eligible else ""

    def bound(n: int, measure: str) -> str:
        return ("≥ " if measure in area.bounded else "") + fmt_int(n, lang)

    return t(
        key,
        lang,
        area=name,
        period=period_label(view.filters.start, view.filters.end, lang),
        calls=bound(area.calls, "calls"),
        eligible=bound(area.eligible, "eligible"),
        program=alt,
        share=at_most + sections.pct(area.alt_share, lang),
        city_share=sections.pct(city_fig.alt_share, lang),
        out_of_hours=(t("district.hidden_number", lang) if "out_of_hours" in hidden
                      else bound(area.out_of_hours, "out_of_hours")),
    )


def _trend(view: DistrictView, city: City, store: Store) -> tuple[pd.DataFrame, int]:
    f = view.filters
    if view.kind == "council":
        monthly = profile.council_monthly(store, f, city, view.area)
        return monthly, int(monthly["hidden"].sum())
    return queries.monthly_by_program(store, f.with_(districts=(view.area,))), 0


# -------------------------------------------------------------------------------- page


@dataclass(frozen=True)
class District:
    """Everything the profile shows for one view, computed once."""

    view: DistrictView
    city: City
    info: ReleaseInfo
    name: str
    police_names: dict[str, str]
    council_names: dict[str, str]
    #: The districts of the view's kind, in the ranking's order.
    peers: tuple[str, ...]
    area: profile.AreaFigures
    city_figures: profile.AreaFigures
    ranking: list[profile.AreaFigures]
    summary: str
    scope: str
    heading: str
    trend_figure: Any
    trend_table: Table
    trend_hidden: int
    coverage: sections.Coverage
    #: Eligible calls unanswered at night, and why (None: the city records no eligibility).
    night: NightSection | None
    map: sections.MapModel | None
    #: The planner: what the URL's plan (if any) changes, and the plan its form shows.
    plan_result: sections.PlannerResult
    chosen: Plan

    @property
    def names(self) -> dict[str, str]:
        return self.council_names if self.view.kind == "council" else self.police_names


def _chosen_plan(view: DistrictView, city: City) -> Plan:
    """The form's shift: the last one added, else one van on the days and hours of the
    schedule in force at the end of the period."""
    if view.shifts:
        return view.shifts[-1]
    current = city.schedule[-1] if city.schedule else None
    for period in city.schedule:
        if period.start <= view.filters.end:
            current = period
    if current is None:
        return Plan(1)
    return Plan(1, days=current.days, hours=current.hours)


def render(store: Store, geo_dir: Path, view: DistrictView) -> District:
    """Run the view's queries (the district must be published: ``view.published``)."""
    lang, f = view.lang, view.filters
    city = store.cities[f.city].localized(lang)
    police, council = areas(store, city, "police"), areas(store, city, "council")
    police_names = district_names(city, "police", police, lang)
    council_names = district_names(city, "council", council, lang)
    peers = council if view.kind == "council" else police
    name = (council_names if view.kind == "council" else police_names)[view.area]
    populations = {a.id: a.population for a in sections.layer(geo_dir, city, view.kind)}
    if view.kind == "council":
        area = profile.council_figures(store, f, city, view.area, populations.get(view.area))
    else:
        area = profile.rows_figures(store, f, "police", view.area, populations.get(view.area))
    city_fig = profile.rows_figures(store, f, "city", CITYWIDE, city.population)
    ranking = profile.ranking(store, f, city, view.kind, peers, populations)
    monthly, trend_hidden = _trend(view, city, store)
    scope = t("district.scope", lang, period=period_label(f.start, f.end, lang))
    if view.kind == "council":
        first, last = district_data.years(f)
        scope += " · " + t("district.scope_council", lang, first=first, last=last)
    trend_figure = (monthly_figure(monthly, lang=lang, milestones=city.milestones, labels=city.label_map)
                    if not monthly.empty else empty_figure(t("figure.no_data", lang), lang=lang))
    comparison = district_data.compare_plans(store, f, city, view.area_type, view.area, view.shifts)
    return District(
        view=view, city=city, info=store.release_info(f.city), name=name,
        police_names=police_names, council_names=council_names, peers=peers,
        area=area, city_figures=city_fig, ranking=ranking,
        summary=_summary(view, name, area, city_fig, city), scope=scope,
        heading=t("district.heading", lang, area=name, city=city.name),
        trend_figure=trend_figure, trend_table=sections.trend_table(monthly, city, lang),
        trend_hidden=trend_hidden,
        coverage=sections.coverage(view, city, store, name, area),
        night=night_section(store, f, city, view.area_type, view.area, name, lang),
        map=sections.district_map(view, city, store, geo_dir, ranking),
        plan_result=sections.planner_result(lang, city, comparison, name),
        chosen=_chosen_plan(view, city),
    )
