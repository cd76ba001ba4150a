"""The query parameters of the OpenAPI document (``components.parameters``), as strict as the server.

Each value a parameter's schema allows is accepted by the routes or, when the chosen
city's own data lacks it, answered 404, never 400: the month patterns, the list
patterns and the enums are built from the served cities' ``Vocabulary`` and the tuples
the routes use (``figures.MAP_METRICS``, ``charts.LEVELS``). Kept apart from the
schemas (``openapi_schemas``) and the paths (``openapi``): the patterns that mirror the
grammar are a job of their own.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date
from typing import Any

from dashboard.api.charts import LEVELS
from dashboard.figures import MAP_METRICS
from dashboard.params.filters import DEFAULT_MONTHS
from dashboard.params.grammar import MAX_VALUE_LENGTH, Vocabulary
from dashboard.queries.api_params import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE


def _query_param(name: str, schema: dict[str, Any], description: str, max_items: int = 0) -> dict[str, Any]:
    """A query parameter; ``max_items`` > 0 makes it repeatable (``style: form``, exploded)."""
    param: dict[str, Any] = {"name": name, "in": "query", "required": False, "description": description}
    if max_items:
        param.update(style="form", explode=True, schema={"type": "array", "items": schema,
                                                          "maxItems": max_items})
    else:
        param["schema"] = schema
    return param


def _ecma_escape(text: str) -> str:
    """``text`` as a literal in a regular expression both ECMA-262 and Python read alike."""
    return "".join("\\" + ch if ch in "\\^$.|?*+()[]{}" else ch for ch in text)


def _list_pattern(values: tuple[str, ...]) -> str:
    """One value or a comma-separated list of them, nothing else (no spaces, no empties).

    The grammar (``grammar.list_items``) takes a known value whole before it splits on
    commas, so a value holding a comma is allowed alone, and a list is made of the values
    without one: exactly what the server accepts.
    """
    plain = [_ecma_escape(v) for v in values if "," not in v]
    whole = [_ecma_escape(v) for v in values if "," in v]
    one = "(" + "|".join(plain) + ")"
    if not whole:
        return f"^{one}(,{one})*$"
    lists = [f"{one}(,{one})*"] if plain else []
    return "^(" + "|".join([*whole, *lists]) + ")$"


_DAYS = {28: "(0[1-9]|1[0-9]|2[0-8])", 29: "(0[1-9]|[12][0-9])", 30: "(0[1-9]|[12][0-9]|30)",
         31: "(0[1-9]|[12][0-9]|3[01])"}


def month_pattern(first: date, last: date) -> str:
    """``YYYY-MM`` or ``YYYY-MM-DD`` (a real day: leap years, month lengths), ASCII digits,
    for the months ``first`` to ``last``: exactly what the grammar (``grammar.parse``)
    takes without a 400 (a month of another city's span is a 404, not a 400)."""
    groups: dict[tuple[int, int], list[int]] = defaultdict(list)  # (year, days in month) -> months
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        groups[(year, calendar.monthrange(year, month)[1])].append(month)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    alternatives = [
        f"{y}-(" + "|".join(f"{m:02d}" for m in months) + f")(-{_DAYS[days]})?"
        for (y, days), months in sorted(groups.items())
    ]
    return "^(" + "|".join(alternatives) + ")$"


def query_parameters(vocab: Vocabulary) -> dict[str, Any]:
    """Every query parameter, as strict as the server: each value the schema allows is
    accepted or, when the city's own data lacks it, answered 404 (never 400)."""
    span = f"{vocab.first_month:%Y-%m} to {vocab.last_month:%Y-%m}"
    date_schema = {"type": "string", "pattern": month_pattern(vocab.first_month, vocab.last_month)}

    def values(name: str, what: str) -> dict[str, Any]:
        known = vocab.values(name)
        schema = {"type": "string", "maxLength": MAX_VALUE_LENGTH, "pattern": _list_pattern(known)}
        description = (f"{what} (repeat or comma-separate, at most {len(known)} times and "
                       f"{MAX_VALUE_LENGTH} characters a value; repeats and lists add up; a value "
                       "holding a comma is given alone; default all). Values of every city: one the "
                       "chosen city lacks answers 404.")
        return _query_param(name, schema, description, max_items=len(known))

    return {
        "city": _query_param("city", {"type": "string", "enum": list(vocab.cities)},
                             "City id (default: the server's default city)."),
        "start": _query_param("start", date_schema,
                              f"First month (YYYY-MM or any day of it; default: {DEFAULT_MONTHS - 1} months "
                              "before `end`, not before the city's first month). Months of every city's "
                              f"data ({span}); one outside the city's own answers 404, as does a start "
                              "after the end."),
        "end": _query_param("end", date_schema,
                            "Last month (YYYY-MM or any day of it; default: the city's last month). With "
                            f"`end` alone the view is the {DEFAULT_MONTHS} months ending there."),
        "program": values("program", "Response types"),
        "district": values("district", "Police districts of the city, incl. `citywide`"),
        "category": values("category", "Call categories"),
        "page": _query_param("page", {"type": "integer", "minimum": 1, "maximum": 999_999_999, "default": 1},
                             "1-based page (past the last page: 404)."),
        "page_size": _query_param(
            "page_size",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            "Rows per page.",
        ),
        "metric": _query_param("metric", {"type": "string", "enum": list(MAP_METRICS), "default": "count"},
                               "Map measure. `median_minutes` (median response minutes "
                               "of the selected programs) is published by district only: at `level=precinct` "
                               "every `value` is empty with `reason` `no_minutes`."),
        "level": _query_param("level", {"type": "string", "enum": list(LEVELS), "default": "district"},
                              "Map areas (`precinct` where the city has them, else 404; a city without "
                              "district boundaries has no map: 404)."),
    }
