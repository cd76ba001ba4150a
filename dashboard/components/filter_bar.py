"""The filter bar: city, month range, programs, districts and call categories.

Native form controls only (``<select>``, checkboxes and radio buttons inside a
``<fieldset>`` with a ``<legend>``): screen readers announce their labels and
groups, phones open their own pickers, and nothing depends on a JavaScript widget's
accessibility. Options come from the city's ``Catalog``; initial values come from the
parsed ``Filters``, so a permalink restores the same controls.

"All" is spelled as every box ticked (``Filters`` uses an empty tuple for it); the
page turns a fully ticked group back into "no filter" so URLs stay short. Each group
has one-click "only this" and "All" buttons, and the period whole years
(``components.filter_shortcuts``).

The Overview and Outcomes draw the same bar (issue 15 item 7: Outcomes gets the
Overview's filters); ``FilterBarIds`` names each page's controls.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import dash_bootstrap_components as dbc
from dash import ALL, Input, Output, State, html

from dashboard import ids
from dashboard.components.collapse import collapsible_panel
from dashboard.components.filter_shortcuts import CONTROL_KEYS, all_button, list_id, only_buttons, years_row
from dashboard.contract.cities import City
from dashboard.contract.schema import ResponseType
from dashboard.figures import category_label, month_label, program_label
from dashboard.i18n import t
from dashboard.params.filters import PARAM_CATEGORY, PARAM_DISTRICT, PARAM_PROGRAM, Catalog, Filters
from dashboard.views.parts import district_label, has_district_choice


@dataclass(frozen=True)
class FilterBarIds:
    """The ids of one page's filter bar (``bar``: its shortcut buttons' ``bar`` key)."""

    bar: str
    panel: str
    summary: str
    city: str
    start: str
    end: str
    programs: str
    districts: str
    districts_group: str
    categories: str


OVERVIEW_BAR = FilterBarIds(
    "overview", ids.OVERVIEW_FILTERS, ids.OVERVIEW_FILTERS_SUMMARY, ids.OVERVIEW_CITY, ids.OVERVIEW_START,
    ids.OVERVIEW_END, ids.OVERVIEW_PROGRAMS, ids.OVERVIEW_DISTRICTS, ids.OVERVIEW_DISTRICTS_GROUP,
    ids.OVERVIEW_CATEGORIES,
)
OUTCOMES_BAR = FilterBarIds(
    "outcomes", ids.OUTCOMES_CONTROLS, ids.OUTCOMES_FILTERS_SUMMARY, ids.OUTCOMES_CITY, ids.OUTCOMES_START,
    ids.OUTCOMES_END, ids.OUTCOMES_PROGRAMS, ids.OUTCOMES_DISTRICTS, ids.OUTCOMES_DISTRICTS_GROUP,
    ids.OUTCOMES_CATEGORIES,
)


def _months(catalog: Catalog) -> list[date]:
    out, current = [], catalog.first_month
    while current <= catalog.last_month:
        out.append(current)
        year, month = divmod(current.year * 12 + current.month, 12)
        current = date(year, month + 1, 1)
    return out


def month_options(catalog: Catalog, lang: str) -> list[dict[str, str]]:
    """Every month of the city's release, newest last, valued ``YYYY-MM-01``."""
    return [{"label": month_label(m, lang), "value": m.isoformat()} for m in _months(catalog)]


def city_options(cities: Mapping[str, City]) -> list[dict[str, str]]:
    return [{"label": city.name, "value": city_id} for city_id, city in cities.items()]


def program_options(
    programs: Sequence[ResponseType], lang: str, labels: Mapping[str, str] | None = None
) -> list[dict[str, str]]:
    return [{"label": program_label(p, lang, labels), "value": p.value} for p in programs]


def district_options(catalog: Catalog, city: City, lang: str) -> list[dict[str, str]]:
    return [{"label": district_label(d, city, lang, short=True), "value": d} for d in catalog.districts]


def category_options(catalog: Catalog, lang: str) -> list[dict[str, str]]:
    return [{"label": category_label(c, lang), "value": c.value} for c in catalog.categories]


def checked(selected: Sequence[str], options: Sequence[dict[str, str]]) -> list[str]:
    """Checkbox values for a Filters tuple: empty (= all) ticks every box."""
    return list(selected) if selected else [o["value"] for o in options]


def select_field(control_id: str, label: str, options: list[dict[str, str]], value: str) -> html.Div:
    """A labelled select (the filter bar's and the district page's controls look alike)."""
    return html.Div(
        [
            dbc.Label(label, html_for=control_id, class_name="fw-semibold mb-1"),
            dbc.Select(id=control_id, options=options, value=value, size="sm"),
        ],
        className="filter-field",
    )


def _checklist(
    bar: FilterBarIds,
    group: str,
    control_id: str,
    legend: str,
    options: list[dict[str, str]],
    value: list[str],
    names: Sequence[tuple[str, str]],
    lang: str,
    *,
    group_id: str | None = None,
    hidden: bool = False,
    label: str = "",
) -> html.Fieldset:
    """A group of boxes with its "All" button beside the legend and an "only" button on each
    box's row (``assets/app.css`` lines the two lists up in one grid)."""
    kwargs = {"id": group_id} if group_id else {}
    return html.Fieldset(
        [
            html.Legend(legend, className="form-label fw-semibold fs-6 mb-1"),
            all_button(bar.bar, group, lang, label=label),
            html.Div(
                [
                    dbc.Checklist(id=control_id, options=options, value=value, class_name="filter-checklist"),
                    html.Div(only_buttons(bar.bar, group, names, lang), id=list_id(control_id),
                             className="filter-only-list"),
                ],
                className="filter-options",
            ),
        ],
        className="filter-field filter-group",
        hidden=hidden,
        **kwargs,
    )


def option_names(catalog: Catalog, city: City, lang: str) -> dict[str, list[tuple[str, str]]]:
    """(value, full name) of every option, by group: what each "only" button's name says."""
    return {
        PARAM_PROGRAM: [(p.value, program_label(p, lang, city.label_map)) for p in catalog.programs],
        PARAM_DISTRICT: [(d, district_label(d, city, lang)) for d in catalog.districts],
        PARAM_CATEGORY: [(c.value, category_label(c, lang)) for c in catalog.categories],
    }


def shortcut_lists(bar: FilterBarIds, catalog: Catalog, city: City, lang: str) -> dict[str, list]:
    """The "only" buttons of a city by control ("programs", "districts", "categories"): what
    a city change draws anew."""
    names = option_names(catalog, city, lang)
    return {CONTROL_KEYS[group]: only_buttons(bar.bar, group, names[group], lang) for group in names}


def shortcut_wiring(bar: FilterBarIds) -> dict[str, Any]:
    """``dash.callback``'s output, inputs and state for a page's shortcut callback: every
    shortcut button of ``bar`` in, the values of its boxes and month selects out (which the
    Overview's city change also sets, hence ``allow_duplicate``), their options as state."""
    controls = {"programs": bar.programs, "districts": bar.districts, "categories": bar.categories}
    return {
        "output": {
            key: Output(control, "value", allow_duplicate=True)
            for key, control in {**controls, "start": bar.start, "end": bar.end}.items()
        },
        "inputs": {
            "clicks": Input(
                {"type": ids.FILTER_SHORTCUT, "bar": bar.bar, "group": ALL, "value": ALL}, "n_clicks"
            )
        },
        "state": {
            **{key: State(control, "options") for key, control in controls.items()},
            "months": State(bar.start, "options"),
        },
    }


def filter_bar(
    *,
    cities: Mapping[str, City],
    catalog: Catalog,
    filters: Filters,
    lang: str,
    bar: FilterBarIds = OVERVIEW_BAR,
    extra: Sequence = (),
) -> html.Div:
    """The whole filter panel: always open from ``md`` up, folded behind a "Filters" button
    (with ``filter_summary`` on it) on a phone (``components.collapse``). ``extra``: the
    page's own controls, after the filters (Outcomes' comparison)."""
    city = cities[filters.city].localized(lang)
    months = month_options(catalog, lang)
    programs = program_options(catalog.programs, lang, city.label_map)
    districts = district_options(catalog, city, lang)
    categories = category_options(catalog, lang)
    names = option_names(catalog, city, lang)
    district_word = city.geo.district_label
    return collapsible_panel(
        bar.panel,
        title=t("filters.heading", lang),
        summary=filter_summary(cities, catalog, filters, lang),
        summary_id=bar.summary,
        class_name="filter-panel card card-body",
        body=[
            html.Div(
                [
                    select_field(bar.city, t("filters.city", lang), city_options(cities), filters.city),
                    html.Div(
                        [
                            html.Div(
                                [
                                    select_field(bar.start, t("filters.start", lang), months,
                                                 filters.start.isoformat()),
                                    select_field(bar.end, t("filters.end", lang), months,
                                                 filters.end.isoformat()),
                                ],
                                className="filter-months",
                            ),
                            years_row(bar.bar, bar.start, [o["value"] for o in months], lang),
                        ],
                    ),
                    _checklist(
                        bar, PARAM_PROGRAM, bar.programs, t("filters.programs", lang), programs,
                        checked([p.value for p in filters.programs], programs), names[PARAM_PROGRAM], lang,
                    ),
                    _checklist(
                        bar, PARAM_DISTRICT, bar.districts, t("filters.districts", lang, label=district_word),
                        districts, checked(filters.districts, districts), names[PARAM_DISTRICT], lang,
                        group_id=bar.districts_group, hidden=not has_district_choice(catalog),
                        label=district_word.lower(),
                    ),
                    _checklist(
                        bar, PARAM_CATEGORY, bar.categories, t("filters.categories", lang), categories,
                        checked([c.value for c in filters.categories], categories), names[PARAM_CATEGORY],
                        lang,
                    ),
                    *extra,
                    html.P(t("filters.hint", lang), className="small text-body-secondary mb-0"),
                ],
                className="filter-body",
            ),
        ],
    )


def filter_summary(cities: Mapping[str, City], catalog: Catalog, filters: Filters, lang: str) -> str:
    """What the filters choose, in a few words for the phone's "Filters" button:
    "Denver · Jan 2024 – Dec 2024 · Who answered: 2 of 4" (groups with every box ticked
    are left out)."""
    city = cities[filters.city].localized(lang)
    start, end = month_label(filters.start, lang), month_label(filters.end, lang)
    parts = [city.name, t("filters.summary.range", lang, start=start, end=end)]
    groups = [
        (t("filters.programs", lang), len(filters.programs), len(catalog.programs)),
        (t("filters.categories", lang), len(filters.categories), len(catalog.categories)),
    ]
    if has_district_choice(catalog):
        label = t("filters.districts", lang, label=city.geo.district_label)
        groups.insert(1, (label, len(filters.districts), len(catalog.districts)))
    parts += [
        t("filters.summary.some", lang, group=group, n=n, total=total)
        for group, n, total in groups
        if 0 < n < total
    ]
    return " · ".join(parts)
