"""One-click "only this" and "all" for each group of a filter bar (issue 15 item 8).

Ticking boxes one by one to reach "STAR team, district 3, 2023" took a journalist 13
clicks. Each option of a group (who answered, district, call category) gets an "only"
button that leaves that option alone ticked, each group an "All" button that ticks every
box again, and the period a row of whole years ("2023": January to December, cut to the
months the release holds) with an "All" for every month. So that view is three clicks.

They are native ``<button>``s (Enter and Space work, no key handling of our own) whose
accessible name says what they do ("Only STAR team", "All call categories") while the
visible text stays short ("only", "All"); the visible word is part of the name, so a
speech user can say what they see. A button only sets the controls' values: the page's
own callback then reads the controls exactly as if the boxes had been ticked by hand
(the Overview recomputes in place, Outcomes navigates), so the URL grammar stays the one
place that validates a view. ``shortcut_values`` is that step, pure, for both pages.

Ids are pattern-matching (``{"type": FILTER_SHORTCUT, "bar": <page>, "group", "value"}``)
so one callback per page serves every button, including those a city change draws anew.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from dash import html, no_update

from dashboard import ids
from dashboard.i18n import t
from dashboard.params.filters import PARAM_CATEGORY, PARAM_DISTRICT, PARAM_PROGRAM

#: The groups a shortcut can set: the filter parameters, and the period as whole years.
GROUP_YEAR = "year"
GROUPS = (PARAM_PROGRAM, PARAM_DISTRICT, PARAM_CATEGORY, GROUP_YEAR)
#: The ``value`` of a group's "All" button. No option's value is empty (the grammar drops
#: empty values), so it cannot be mistaken for "only" an option.
ALL = ""
#: The control each checkbox group sets, as the callbacks' output keys.
CONTROL_KEYS = {PARAM_PROGRAM: "programs", PARAM_DISTRICT: "districts", PARAM_CATEGORY: "categories"}
#: Output keys of ``shortcut_values``: the three checkbox groups and the two month selects.
OUTPUT_KEYS = ("programs", "districts", "categories", "start", "end")


def shortcut_id(bar: str, group: str, value: str = ALL) -> dict[str, str]:
    """The pattern-matching id of one button (``value`` ``ALL``: the group's "All")."""
    return {"type": ids.FILTER_SHORTCUT, "bar": bar, "group": group, "value": value}


def list_id(control_id: str) -> str:
    """The id of the box holding a control's "only" buttons (a city change redraws it)."""
    return f"{control_id}-shortcuts"


def only_buttons(bar: str, group: str, names: Sequence[tuple[str, str]], lang: str) -> list[html.Button]:
    """One "only" button per option, in the options' order: ``names`` is (value, full name),
    the full name being what a screen reader hears ("Only Police district 3", not "Only 3")."""
    return [
        html.Button(
            t("filters.only", lang),
            id=shortcut_id(bar, group, value),
            type="button",
            n_clicks=0,
            className="filter-only",
            **{"aria-label": t("filters.only_label", lang, name=name)},
        )
        for value, name in names
    ]


def all_button(bar: str, group: str, lang: str, *, label: str = "") -> html.Button:
    """The group's "All" button ("All" shown; "All programs" heard). ``label``: the city's
    word for a district, for the districts' name."""
    return html.Button(
        t(f"filters.all.{group}", lang),
        id=shortcut_id(bar, group),
        type="button",
        n_clicks=0,
        className="filter-all",
        **{"aria-label": t(f"filters.all_label.{group}", lang, label=label)},
    )


def year_buttons(bar: str, months: Sequence[str], lang: str) -> list[html.Button]:
    """A button per calendar year of ``months`` (``YYYY-MM-01`` values), then "All" months."""
    years = sorted({m[:4] for m in months})
    buttons = [
        html.Button(
            year,
            id=shortcut_id(bar, GROUP_YEAR, year),
            type="button",
            n_clicks=0,
            className="filter-year",
            **{"aria-label": t("filters.only_label", lang, name=year)},
        )
        for year in years
    ]
    return [*buttons, all_button(bar, GROUP_YEAR, lang)]


def years_row(bar: str, control_id: str, months: Sequence[str], lang: str) -> html.Div:
    """The period's shortcuts under the month selects, as a labelled group."""
    heading_id = f"{list_id(control_id)}-label"
    return html.Div(
        [
            html.Span(t("filters.years", lang), id=heading_id, className="filter-years__label"),
            html.Div(year_buttons(bar, months, lang), id=list_id(control_id), className="filter-years__list"),
        ],
        role="group",
        className="filter-years",
        **{"aria-labelledby": heading_id},
    )


def shortcut_values(
    group: object, value: object, options: Mapping[str, Sequence[str]]
) -> dict[str, Any] | None:
    """The control values one button click sets, by output key (``OUTPUT_KEYS``); None for a
    button that is no shortcut of these options (a forged or stale id).

    ``options`` holds the values the page's controls offer right now: "programs",
    "districts", "categories" (checkbox values) and "months" (the month selects'
    ``YYYY-MM-01`` values, oldest first). A year is cut to the months offered.
    """
    if not isinstance(group, str) or not isinstance(value, str) or group not in GROUPS:
        return None
    if group == GROUP_YEAR:
        months = sorted(m for m in options.get("months", ()) if isinstance(m, str))
        chosen = [m for m in months if value == ALL or m[:4] == value]
        if not chosen:
            return None
        return {"start": chosen[0], "end": chosen[-1]}
    key = CONTROL_KEYS[group]
    offered = [v for v in options.get(key, ()) if isinstance(v, str)]
    if value == ALL:
        return {key: offered} if offered else None
    return {key: [value]} if value in offered else None


def _values(options: object) -> list[str]:
    """The values of a control's ``options`` as the browser sent them (anything odd: none)."""
    if not isinstance(options, list):
        return []
    return [o["value"] for o in options if isinstance(o, dict) and isinstance(o.get("value"), str)]


def shortcut_outputs(
    triggered_id: object, triggered: object, options: Mapping[str, object]
) -> dict[str, Any]:
    """A page callback's answer to a shortcut click: every ``OUTPUT_KEYS`` output, unchanged
    (``no_update``) but for those the button sets. ``triggered_id``/``triggered`` are
    ``dash.ctx``'s; a button drawn anew (``n_clicks`` 0) is no click. ``options``: the
    controls' ``options`` by "programs", "districts", "categories" and "months"."""
    out: dict[str, Any] = dict.fromkeys(OUTPUT_KEYS, no_update)
    clicked = isinstance(triggered, list) and any(
        isinstance(item, dict) and isinstance(item.get("value"), int) and item["value"] > 0
        for item in triggered
    )
    if not clicked or not isinstance(triggered_id, Mapping):
        return out
    offered = {key: _values(value) for key, value in options.items()}
    out.update(shortcut_values(triggered_id.get("group"), triggered_id.get("value"), offered) or {})
    return out
