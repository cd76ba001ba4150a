"""The start every data page's query shares: language, default city, filters.

Overview, District and Outcomes read the same ``lang`` and the same filters with the
same default city; this is that one reading, so the pages cannot drift apart. Each page
adds its own parameters (``metric``, ``compare``, the plan) to the result. The Overview
and Outcomes also share their filter bar, whose values become a query here
(``filter_controls_query``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from dashboard.engine.store import Store
from dashboard.i18n import PARAM_LANG, normalize_language, t
from dashboard.params.filters import LIST_PARAMS, PARAM_CITY, PARAM_END, PARAM_START, Catalog, Filters
from dashboard.params.grammar import parse_filters
from dashboard.queries.docs import first_value


def query_language(query: Mapping[str, object]) -> str:
    """The page's language from its query (``?lang=``; anything unknown is English)."""
    return normalize_language(first_value(query.get(PARAM_LANG)))


def default_city(catalogs: Mapping[str, Catalog], configured: str) -> str:
    """The configured default city when it has a release being served, else the first that has."""
    return configured if configured in catalogs else next(iter(catalogs))


def unavailable_cities(store: Store) -> Mapping[str, str]:
    """Cities that have releases but none that passed its checks: id -> name."""
    configured = store.configured
    return {c: configured[c].name for c in store.unavailable() if c in configured}


@dataclass(frozen=True)
class PageQuery:
    """A page query's shared part, read leniently: what to show and what could not be used."""

    lang: str
    filters: Filters
    #: Notices (in ``lang``) for every value that was dropped or replaced.
    errors: list[str]


def page_query(query: Mapping[str, object], store: Store, configured_city: str) -> PageQuery:
    """Language and filters of an untrusted query (``parse_filters``, lenient). Never raises.

    ``configured_city`` is the city to show when the query names none (the settings'
    default city, or the city a control just chose).
    """
    lang = query_language(query)
    catalogs = store.catalogs()
    city = default_city(catalogs, configured_city)
    result = parse_filters(query, catalogs, city, unavailable_cities(store))
    return PageQuery(lang, result.filters, result.messages(lang))


def filter_controls_query(
    values: Mapping[str, object], catalogs: Mapping[str, Catalog], lang: str
) -> tuple[dict[str, object], list[str]]:
    """A filter bar's values ("city", "start", "end", "programs", "districts", "categories")
    -> a URL-style query for ``page_query``, plus "nothing ticked" advice.

    A group with every box ticked means "no filter" (short URLs, and the view keeps
    meaning "all" if a later release adds a district); a group with none ticked also
    falls back to all, with a message, because an empty result is never what was meant.
    """
    query: dict[str, object] = {
        PARAM_CITY: values.get("city"),
        PARAM_START: values.get("start"),
        PARAM_END: values.get("end"),
    }
    advice: list[str] = []
    city = values.get("city")
    catalog = catalogs.get(city) if isinstance(city, str) else None
    offered = (
        ([p.value for p in catalog.programs], list(catalog.districts), [c.value for c in catalog.categories])
        if catalog else ([], [], [])
    )
    # LIST_PARAMS are program, district, category: the bar's "programs", "districts", "categories".
    keys = ("programs", "districts", "categories")
    for param, key, allowed in zip(LIST_PARAMS, keys, offered, strict=True):
        value = values.get(key)
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            if not value:
                advice.append(t(f"notice.none_selected.{key}", lang))
                continue
            if set(value) == set(allowed):
                continue
        query[param] = value  # anything odd goes to parse_filters, which names it
    return query, advice
