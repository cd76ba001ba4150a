"""District profile: one police or council district beside its city, for a council member.

``/district/3`` is police district 3; ``/district/council-10`` council district 10
(``params.districts``). The query holds the city, the period and, once the planner
has been run, the shifts added to the schedule (``shift``, repeated). The whole view is the
URL: every control only computes a new address and navigates to it inside the page
(``dcc.Location(refresh="callback-nav")``), so the layout, rendered on the server from
the URL, is the only place numbers are made, and "copy link" is simply the address.
The view model (``dashboard.views.district``) reads the URL and computes every number;
``dashboard.pages.layouts.district`` draws them. One callback, no SQL in it.

This module is executed by Dash for every app it builds (callbacks belong to one app),
so the callback lives here, beside the registration, and stays thin.

No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

import dash
from dash import Input, Output, State, callback, html, no_update

from dashboard import ids
from dashboard.components.page import safe_layout
from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG, normalize_language, t
from dashboard.models.plans import MAX_SHIFTS
from dashboard.pages import current_settings, current_store, register_page
from dashboard.pages.layouts import district as draw
from dashboard.params.districts import DISTRICT_PATH, parse_district_slug
from dashboard.params.filters import PARAM_CITY, PARAM_END, PARAM_START
from dashboard.views import district as vm
from dashboard.views.district import PARAM_DAYS, PARAM_FROM, PARAM_SHIFT, PARAM_TO, PARAM_VANS
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

register_page(__name__, key="district", order=5, path_template=DISTRICT_PATH + "/<district_id>")


def layout(district_id: object = None, **query: object) -> html.Div:
    """The profile for any path and query: bad values get a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(
        lambda: _page(district_id, query),
        heading=t("district.heading_generic", lang),
        lang=lang,
        logger=log,
        what="district",
    )


def _page(district_id: object, query: Mapping[str, object]) -> html.Div:
    store, settings = current_store(), current_settings()
    view, errors = vm.parse_view(district_id, query, store, settings.default_city)
    if view is None or not view.published:
        return draw.missing(vm.missing(view, district_id, store, settings.geo_dir), errors)
    return draw.page(vm.render(store, settings.geo_dir, view), errors, store)


# ---------------------------------------------------------------------------- callback


@callback(
    Output(ids.DISTRICT_NAV, "href"),
    inputs={
        "area": Input(ids.DISTRICT_AREA, "value"),
        "start": Input(ids.DISTRICT_START, "value"),
        "end": Input(ids.DISTRICT_END, "value"),
        "run": Input(ids.DISTRICT_PLAN_RUN, "n_clicks"),
    },
    state={
        "plan_from": State(ids.DISTRICT_PLAN_FROM, "value"),
        "plan_to": State(ids.DISTRICT_PLAN_TO, "value"),
        "days": State(ids.DISTRICT_PLAN_DAYS, "value"),
        "vans": State(ids.DISTRICT_PLAN_VANS, "value"),
        "active": State(ids.DISTRICT_PLAN_ACTIVE, "data"),
        "search": State(ids.DISTRICT_NAV, "search"),
    },
    prevent_initial_call=True,
)
def on_change(**values: Any) -> Any:
    """Any control: the address of the new view (validated when that page is rendered)."""
    triggered = set(dash.ctx.triggered_prop_ids.values())
    active = values.get("active") if isinstance(values.get("active"), dict) else {}
    lang = normalize_language(active.get("lang"))
    slug = values.get("area")
    if not isinstance(slug, str) or parse_district_slug(slug) is None:
        return no_update
    query: list[tuple[str, str]] = []
    current = dict(_search_pairs(values.get("search")))
    city = current.get(PARAM_CITY)
    if isinstance(city, str):
        query.append((PARAM_CITY, city))
    for param, key in ((PARAM_START, "start"), (PARAM_END, "end")):
        if isinstance(values.get(key), str):
            query.append((param, values[key]))
    if lang != DEFAULT_LANGUAGE:
        query.append((PARAM_LANG, lang))
    shifts = active.get("shifts") if isinstance(active.get("shifts"), list) else []
    query += [(PARAM_SHIFT, str(code)) for code in shifts[:MAX_SHIFTS]]
    if ids.DISTRICT_PLAN_RUN in triggered:  # the form's shift, added to those in the address
        days = values.get("days") if isinstance(values.get("days"), list) else []
        query += [
            (PARAM_VANS, str(values.get("vans") if values.get("vans") is not None else "")),
            (PARAM_DAYS, "".join(sorted(str(d)[:1] for d in days))),
            (PARAM_FROM, str(values.get("plan_from") or "")),
            (PARAM_TO, str(values.get("plan_to") or "")),
        ]
    path = f"{DISTRICT_PATH}/{slug}"
    return dash.get_relative_path(path) + "?" + urlencode(query)


def _search_pairs(search: object) -> list[tuple[str, str]]:
    if not isinstance(search, str):
        return []
    return parse_qsl(search.lstrip("?"))[:50]
