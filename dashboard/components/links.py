"""Addresses of the app's pages, built in one place so every link agrees.

A police district's page is ``/district/<id>`` (``/district/3``); a council district's is
``/district/council-<id>`` (``/district/council-10``): the two kinds of district share
numbers, so the prefix tells them apart. The query carries the city and the period (and
the language when it is not the default), exactly as the Overview's filters write them,
so a click from the Overview's map keeps the period the reader chose. The slug and the
query are pure (``dashboard.params.districts``); this adds the app's prefix.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote, urlencode

import dash

from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG
from dashboard.params.context import context_params
from dashboard.params.districts import DISTRICT_PATH, DistrictKind, district_query, district_slug
from dashboard.params.filters import Filters


def page_href(path: str, lang: str = DEFAULT_LANGUAGE, params: Sequence[tuple[str, str]] = ()) -> str:
    """The relative address of any page of the app, keeping the reader's language.

    Every internal link goes through here (or ``district_href``) so a Spanish reader
    stays in Spanish from page to page: ``lang`` is added when it is not the default.
    """
    query = [*params, *([(PARAM_LANG, lang)] if lang != DEFAULT_LANGUAGE else [])]
    return dash.get_relative_path(path) + (f"?{urlencode(query)}" if query else "")


def district_href(
    filters: Filters, area_id: str, kind: DistrictKind = "police", lang: str = DEFAULT_LANGUAGE
) -> str:
    """The relative address of a district's page for the city and period of ``filters``."""
    path = f"{DISTRICT_PATH}/{quote(district_slug(area_id, kind), safe='')}"
    return dash.get_relative_path(path) + "?" + urlencode(district_query(filters, lang))


def nav_hrefs(outputs: Sequence[Mapping[str, object]], path: str, search: object) -> list[str]:
    """The navigation's links (``outputs``: their pattern-matching ids, as ``dash.ctx``
    lists them) for the page at ``path`` + ``search`` (``context_hrefs``)."""
    targets = []
    for output in outputs:
        link_id = output.get("id") if isinstance(output, Mapping) else None
        targets.append(link_id.get("path") if isinstance(link_id, Mapping) else None)
    return context_hrefs(targets, path, search)


def context_hrefs(targets: Sequence[object], path: str, search: object) -> list[str]:
    """Links to the pages ``targets`` (paths; anything else: the home page) from the page
    at ``path`` + ``search``: each keeps the view's context (``params.context``: city,
    period, filters, language, a district page's district)."""
    context = context_params(path, search)
    return [page_href(target if isinstance(target, str) else "/", DEFAULT_LANGUAGE, context)
            for target in targets]

