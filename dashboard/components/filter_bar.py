"""The filter bar: city, month range, programs, districts and call categories.

Native form controls only (``<select>``, checkboxes and radio buttons inside a
``<fieldset>`` with a ``<legend>``): screen readers announce their labels and
groups, phones open their own pickers, and nothing depends on a JavaScript widget's
accessibility. Options come from the city's ``Catalog``; initial values come from the
parsed ``Filters``, so a permalink restores the same controls.

"All" is spelled as every box ticked (``Filters`` uses an empty tuple for it); the
page turns a fully ticked group back into "no filter" so URLs stay short.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

import dash_bootstrap_components as dbc
from dash import html

from dashboard import ids
from dashboard.components.collapse import collapsible_panel
from dashboard.contract.cities import City
from dashboard.contract.schema import ResponseType
from dashboard.figures import category_label, month_label, program_label
from dashboard.i18n import t
from dashboard.params.filters import Catalog, Filters
from dashboard.views.parts import district_label, has_district_choice


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
    group_id: str | None,
    control_id: str,
    legend: str,
    options: list[dict[str, str]],
    value: list[str],
    *,
    hidden: bool = False,
) -> html.Fieldset:
    kwargs = {"id": group_id} if group_id else {}
    return html.Fieldset(
        [
            html.Legend(legend, className="form-label fw-semibold fs-6 mb-1"),
            dbc.Checklist(
                id=control_id,
                options=options,
                value=value,
                class_name="filter-checklist",
            ),
        ],
        className="filter-field",
        hidden=hidden,
        **kwargs,
    )


def filter_bar(
    *,
    cities: Mapping[str, City],
    catalog: Catalog,
    filters: Filters,
    lang: str,
) -> html.Div:
    """The whole filter panel: always open from ``md`` up, folded behind a "Filters" button
    (with ``filter_summary`` on it) on a phone (``components.collapse``)."""
    city = cities[filters.city].localized(lang)
    months = month_options(catalog, lang)
    programs = program_options(catalog.programs, lang, city.label_map)
    districts = district_options(catalog, city, lang)
    categories = category_options(catalog, lang)
    return collapsible_panel(
        ids.OVERVIEW_FILTERS,
        title=t("filters.heading", lang),
        summary=filter_summary(cities, catalog, filters, lang),
        summary_id=ids.OVERVIEW_FILTERS_SUMMARY,
        class_name="filter-panel card card-body",
        body=[
            html.Div(
                [
                    select_field(
                        ids.OVERVIEW_CITY, t("filters.city", lang), city_options(cities), filters.city
                    ),
                    html.Div(
                        [
                            select_field(
                                ids.OVERVIEW_START,
                                t("filters.start", lang),
                                months,
                                filters.start.isoformat(),
                            ),
                            select_field(
                                ids.OVERVIEW_END, t("filters.end", lang), months, filters.end.isoformat()
                            ),
                        ],
                        className="filter-months",
                    ),
                    _checklist(
                        None,
                        ids.OVERVIEW_PROGRAMS,
                        t("filters.programs", lang),
                        programs,
                        checked([p.value for p in filters.programs], programs),
                    ),
                    _checklist(
                        ids.OVERVIEW_DISTRICTS_GROUP,
                        ids.OVERVIEW_DISTRICTS,
                        t("filters.districts", lang, label=city.geo.district_label),
                        districts,
                        checked(filters.districts, districts),
                        hidden=not has_district_choice(catalog),
                    ),
                    _checklist(
                        None,
                        ids.OVERVIEW_CATEGORIES,
                        t("filters.categories", lang),
                        categories,
                        checked([c.value for c in filters.categories], categories),
                    ),
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
