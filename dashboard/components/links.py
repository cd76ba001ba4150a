"""Addresses of the app's pages, built in one place so every link agrees.

A police district's page is ``/district/<id>`` (``/district/3``); a council district's is
``/district/council-<id>`` (``/district/council-10``): the two kinds of district share
numbers, so the prefix tells them apart. The query carries the city and the period (and
the language when it is not the default), exactly as the Overview's filters write them,
so a click from the Overview's map keeps the period the reader chose. The slug and the
query are pure (``dashboard.params.districts``); this adds the app's prefix.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote, urlencode

import dash

from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG
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
