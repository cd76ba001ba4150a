"""A district page's address, without the app's prefix: the slug and the query.

A police district's page is ``/district/<id>`` (``/district/3``); a council district's is
``/district/council-<id>`` (``/district/council-10``): the two kinds of district share
numbers, so the prefix tells them apart. The query carries the city and the period (and
the language when it is not the default), exactly as the Overview's filters write them.
``components.links.district_href`` adds the app's prefix (which needs Dash).
"""

from __future__ import annotations

from typing import Literal

from dashboard.i18n import DEFAULT_LANGUAGE, PARAM_LANG
from dashboard.params.filters import PARAM_CITY, PARAM_DISTRICT, PARAM_END, PARAM_START, Filters

DistrictKind = Literal["police", "council"]
DISTRICT_PATH = "/district"
COUNCIL_PREFIX = "council-"


def district_slug(area_id: str, kind: DistrictKind = "police") -> str:
    """The last part of a district page's path: ``3`` or ``council-10``."""
    return f"{COUNCIL_PREFIX}{area_id}" if kind == "council" else str(area_id)


def parse_district_slug(slug: object) -> tuple[DistrictKind, str] | None:
    """``3`` -> ("police", "3"); ``council-10`` -> ("council", "10"); anything else None.

    Only the shape is checked here; whether the city has that district is the page's job.
    """
    if not isinstance(slug, str):
        return None
    slug = slug.strip()
    if not slug or len(slug) > 40:
        return None
    if slug.startswith(COUNCIL_PREFIX):
        rest = slug[len(COUNCIL_PREFIX):]
        return ("council", rest) if rest else None
    return ("police", slug)


def district_query(filters: Filters, lang: str = DEFAULT_LANGUAGE) -> list[tuple[str, str]]:
    """The query of a district page: city and period (district pages show every program,
    district and category of that district, so the other filters are not carried)."""
    params = [p for p in filters.to_params() if p[0] in (PARAM_CITY, PARAM_START, PARAM_END)]
    if lang != DEFAULT_LANGUAGE:
        params.append((PARAM_LANG, lang))
    return params


def area_view_query(
    filters: Filters, kind: DistrictKind, area: str, lang: str = DEFAULT_LANGUAGE
) -> list[tuple[str, str]]:
    """The Overview's or Outcomes' query for a district page's view (issue 15 item 7): its
    city and period, and a police district as the ``district`` filter (a council district
    is no value of that filter, so its links keep the city and period only)."""
    params = district_query(filters)
    if kind == "police":
        params.append((PARAM_DISTRICT, area))
    if lang != DEFAULT_LANGUAGE:
        params.append((PARAM_LANG, lang))
    return params
