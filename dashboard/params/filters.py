"""The one immutable ``Filters`` value every query, page, API call and download shares.

A ``Filters`` is read from a URL query (or a callback's values) by the one grammar of a
view's parameters (``dashboard.params.grammar``: strict for the API, lenient for the
pages), validated against the data contract and the city's ``Catalog``, and turns
itself back into its canonical query (``Filters.to_params``), so a page, its permalink
and its download links agree by construction. This module holds the value, the
parameter names and the month arithmetic; the grammar holds every rule about input.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import date
from urllib.parse import urlencode

from dashboard.contract.schema import CallCategory, ResponseType

#: URL parameter names: the pages and the API take the same.
PARAM_CITY = "city"
PARAM_START = "start"
PARAM_END = "end"
PARAM_PROGRAM = "program"
PARAM_DISTRICT = "district"
PARAM_CATEGORY = "category"
FILTER_PARAMS = (PARAM_CITY, PARAM_START, PARAM_END, PARAM_PROGRAM, PARAM_DISTRICT, PARAM_CATEGORY)
#: The repeatable ones (lists); the others are given at most once.
LIST_PARAMS = (PARAM_PROGRAM, PARAM_DISTRICT, PARAM_CATEGORY)

#: Months a view spans by default (and with ``end`` alone).
DEFAULT_MONTHS = 12

#: ASCII digits only: ``\d`` and ``int()`` also take Arabic-Indic or full-width digits,
#: so ``٢٠٢٣-٠١`` would read as 2023-01 (issue 12). Used with ``fullmatch``.
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?")
_ASCII_INT_RE = re.compile(r"[0-9]{1,9}")


@dataclass(frozen=True)
class Catalog:
    """What a city's current release allows: the valid values for its filters."""

    city: str
    cities: tuple[str, ...]
    first_month: date
    last_month: date
    districts: tuple[str, ...]
    programs: tuple[ResponseType, ...]
    categories: tuple[CallCategory, ...] = tuple(CallCategory)


@dataclass(frozen=True)
class Filters:
    """A validated view of a release. Months are first-of-month dates, both ends inclusive.

    Empty tuples mean "all". Tuples are sorted so equal views hash equal (cache keys).
    """

    city: str
    start: date
    end: date
    programs: tuple[ResponseType, ...] = ()
    districts: tuple[str, ...] = ()
    categories: tuple[CallCategory, ...] = ()

    def __post_init__(self) -> None:
        if self.start.day != 1 or self.end.day != 1:
            raise ValueError("Filters months must be first-of-month dates")
        if self.start > self.end:
            raise ValueError("Filters start is after end")

    @property
    def end_exclusive(self) -> date:
        """First day of the month after ``end``: queries use ``week < end_exclusive``."""
        return add_months(self.end, 1)

    def to_params(self) -> list[tuple[str, str]]:
        """The canonical URL parameters of this view: every value once, repeated names for
        lists (never a comma list, so a value holding a comma round-trips)."""
        params = [
            (PARAM_CITY, self.city),
            (PARAM_START, self.start.isoformat()),
            (PARAM_END, _last_day(self.end).isoformat()),
        ]
        params += [(PARAM_PROGRAM, p.value) for p in self.programs]
        params += [(PARAM_DISTRICT, d) for d in self.districts]
        params += [(PARAM_CATEGORY, c.value) for c in self.categories]
        return params

    def to_query_string(self) -> str:
        return "?" + urlencode(self.to_params())

    def with_(self, **changes: object) -> Filters:
        return replace(self, **changes)  # type: ignore[arg-type]


def add_months(d: date, n: int) -> date:
    """First day of the month ``n`` months after (or before) the month of ``d``."""
    month_index = d.year * 12 + d.month - 1 + n
    return date(month_index // 12, month_index % 12 + 1, 1)


def _last_day(month: date) -> date:
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


def default_filters(catalog: Catalog) -> Filters:
    """The view a bare URL shows: the city's last 12 months with data, everything selected."""
    end = catalog.last_month
    return Filters(city=catalog.city, start=window_start(catalog, end), end=end)


def window_start(catalog: Catalog, end: date) -> date:
    """First month of the default-length window ending at ``end`` (not before the data)."""
    return max(catalog.first_month, add_months(end, -(DEFAULT_MONTHS - 1)))


def ascii_int(text: object) -> int | None:
    """A whole number written with ASCII digits only, else None.

    ``int()`` and ``str.isdigit()`` also accept Arabic-Indic (``٣``) or full-width
    digits, and ``int()`` surrounding spaces: an address must not mean a number unless
    it spells one the way every other part of the app writes it.
    """
    if isinstance(text, str) and _ASCII_INT_RE.fullmatch(text):
        return int(text)
    return None


def parse_month(raw: object) -> date | None:
    """``2023-01`` or ``2023-01-15`` -> 2023-01-01 (ASCII digits, a real day, nothing
    around it: no trimming); anything else -> None."""
    if not isinstance(raw, str) or len(raw) > 10:
        return None
    m = _MONTH_RE.fullmatch(raw)
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        date(year, month, int(day) if day else 1)
    except ValueError:
        return None
    return date(year, month, 1)
