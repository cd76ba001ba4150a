"""The context a link keeps from page to page: city, period, filters and language.

Issue 15 item 7: the Outcomes link on a district page dropped the district, and every
page's navigation dropped the period. A reader who chose Denver, 2023, district 3 and
welfare checks on one page should find them chosen on the next. ``context_params``
reads that context from the address being shown (its query, and the district of a
police district's page, ``/district/3``); the navigation's links carry it to every page
(``dashboard.app``). Pages that do not use a parameter ignore it and their navigation
carries it on, so the context survives a visit to the Data or Methodology page.

The values are carried as the address had them, cut to the grammar's limits in count
and length: the page they reach validates them like any link (``params.grammar``), and
names what it cannot use. Pure: no Dash, no data.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote

from dashboard.i18n import PARAM_LANG
from dashboard.params.districts import DISTRICT_PATH, parse_district_slug
from dashboard.params.filters import FILTER_PARAMS, PARAM_DISTRICT

#: What a link keeps: the filters and the language.
CONTEXT_PARAMS = (*FILTER_PARAMS, PARAM_LANG)
#: At most this many parameters, each at most this long, are carried (a real view has
#: a few dozen short ones; the app refuses queries over 4,096 bytes anyway).
MAX_CARRIED = 60
MAX_VALUE = 64


def context_params(path: object, search: object) -> list[tuple[str, str]]:
    """The context of the address ``path`` + ``search`` (the path without the app's
    prefix), in the order it came: every filter parameter and ``lang``; on a police
    district's page, that district (``/district/3`` -> ``district=3``) unless the query
    names districts itself."""
    query = search.lstrip("?") if isinstance(search, str) and len(search) <= 8192 else ""
    params = [
        (k, v) for k, v in parse_qsl(query, keep_blank_values=False)
        if k in CONTEXT_PARAMS and len(v) <= MAX_VALUE
    ][:MAX_CARRIED]
    district = page_district(path)
    if district is not None and not any(k == PARAM_DISTRICT for k, _ in params):
        params.append((PARAM_DISTRICT, district))
    return sorted(params, key=lambda kv: kv[0] == PARAM_LANG)  # stable: ``lang`` last, as pages write it


def page_district(path: object) -> str | None:
    """The police district whose page ``path`` is (``/district/3`` -> "3"), else None: a
    council district is no value of the ``district`` filter."""
    if not isinstance(path, str) or not path.startswith(DISTRICT_PATH + "/"):
        return None
    parsed = parse_district_slug(unquote(path[len(DISTRICT_PATH) + 1:]))
    if parsed is None or parsed[0] != "police" or "/" in parsed[1] or len(parsed[1]) > MAX_VALUE:
        return None
    return parsed[1]
