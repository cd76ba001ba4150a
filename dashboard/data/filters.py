"""The one immutable ``Filters`` value every query, page, API call and download shares.

It is parsed from a URL query (or a callback's values), validated against the data
contract and the city's catalog, and can turn itself back into a query string and a
plain-language caption, so a page, its permalink and its CSV link agree by construction.

Every value a browser sends is untrusted: ``parse_filters`` never raises on bad input;
it returns the safe default for each bad parameter plus a message naming the problem.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from urllib.parse import urlencode

from dashboard.data.schema import CallCategory, ResponseType
from dashboard.i18n import t

#: URL parameter names. The API takes the same names.
PARAM_CITY = "city"
PARAM_START = "start"
PARAM_END = "end"
PARAM_PROGRAM = "program"
PARAM_DISTRICT = "district"
PARAM_CATEGORY = "category"
FILTER_PARAMS = (PARAM_CITY, PARAM_START, PARAM_END, PARAM_PROGRAM, PARAM_DISTRICT, PARAM_CATEGORY)

_MAX_VALUE_LEN = 64
_MAX_VALUES = 50
#: ASCII digits only: ``\d`` and ``int()`` also take Arabic-Indic or full-width digits,
#: so ``٢٠٢٣-٠١`` would read as 2023-01 (issue 12). Used with ``fullmatch``.
_MONTH_RE = re.compile(r"([0-9]{4})-([0-9]{2})(?:-([0-9]{2}))?")


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
        """The URL parameters that reproduce this view (repeatable names repeated)."""
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


@dataclass(frozen=True)
class ParseResult:
    """The filters, and what had to be dropped: ``problems`` are message keys with their
    values (catalog ``filters.problem.<key>``), so a page says them in its reader's
    language (``messages``); ``errors`` is the same in English (logs, tests)."""

    filters: Filters
    problems: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = field(default=())

    def messages(self, lang: str) -> list[str]:
        return [t(f"filters.problem.{key}", lang, **dict(values)) for key, values in self.problems]

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(self.messages("en"))


def add_months(d: date, n: int) -> date:
    """First day of the month ``n`` months after (or before) the month of ``d``."""
    month_index = d.year * 12 + d.month - 1 + n
    return date(month_index // 12, month_index % 12 + 1, 1)


def _last_day(month: date) -> date:
    return date.fromordinal(add_months(month, 1).toordinal() - 1)


def default_filters(catalog: Catalog) -> Filters:
    """The view a bare URL shows: the city's last 12 months with data, everything selected."""
    start = max(catalog.first_month, add_months(catalog.last_month, -11))
    return Filters(city=catalog.city, start=start, end=catalog.last_month)


def _as_list(value: object) -> list[str]:
    """Normalise a query value (str, list of str, None, or garbage) to a list of strings."""
    if value is None:
        return []
    if isinstance(value, str):
        items: Iterable[object] = value.split(",") if "," in value else [value]
    elif isinstance(value, list | tuple):
        items = value
    else:
        return ["<" + type(value).__name__ + ">"]
    out = []
    for item in items:
        if isinstance(item, str):
            item = item.strip()
            if item:
                out.append(item)
        elif item is not None:
            out.append("<" + type(item).__name__ + ">")
    return out


def _shorten(text: str) -> str:
    return text if len(text) <= 40 else text[:37] + "..."


_ASCII_INT_RE = re.compile(r"[0-9]{1,9}")


def ascii_int(text: object) -> int | None:
    """A whole number written with ASCII digits only, else None.

    ``int()`` and ``str.isdigit()`` also accept Arabic-Indic (``٣``) or full-width
    digits, and ``int()`` surrounding spaces: an address must not mean a number unless
    it spells one the way every other part of the app writes it.
    """
    if isinstance(text, str) and _ASCII_INT_RE.fullmatch(text):
        return int(text)
    return None


def parse_month(raw: str) -> date | None:
    """``2023-01`` or ``2023-01-15`` -> 2023-01-01 (ASCII digits, a real day); anything else -> None."""
    if not isinstance(raw, str) or len(raw) > 10:
        return None
    m = _MONTH_RE.fullmatch(raw.strip())
    if not m:
        return None
    year, month, day = int(m.group(1)), int(m.group(2)), m.group(3)
    try:
        date(year, month, int(day) if day else 1)
    except ValueError:
        return None
    return date(year, month, 1)


def parse_filters(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    unavailable: Mapping[str, str] | None = None,
) -> ParseResult:
    """Validate untrusted URL/callback values into ``Filters`` plus messages for bad ones.

    Unknown parameters are ignored (pages carry their own, e.g. ``metric``). A bad value
    never raises: it is dropped (or the default kept) and a message names it.
    ``unavailable`` (id -> name) are cities that exist but cannot be served now (no
    release passed its checks): asked for, they get their own message, not "unknown".
    """
    problems: list[tuple[str, tuple[tuple[str, str], ...]]] = []

    def problem(key: str, **values: object) -> None:
        problems.append((key, tuple((k, str(v)) for k, v in values.items())))

    city_values = _as_list(query.get(PARAM_CITY))
    city = default_city
    if city_values:
        if city_values[0] in catalogs:
            city = city_values[0]
        elif unavailable and city_values[0] in unavailable:
            problem("unavailable_city", value=unavailable[city_values[0]], city=default_city)
        else:
            problem("unknown_city", value=_shorten(city_values[0]), city=default_city)
    catalog = catalogs[city]
    default = default_filters(catalog)

    def month_param(name: str, fallback: date) -> date:
        values = _as_list(query.get(name))
        if not values:
            return fallback
        parsed = parse_month(values[0])
        if parsed is None:
            problem("bad_date", value=_shorten(values[0]), name=name)
            return fallback
        if parsed < catalog.first_month or parsed > catalog.last_month:
            clamped = min(max(parsed, catalog.first_month), catalog.last_month)
            problem(
                "outside", name=name, value=values[0], first=f"{catalog.first_month:%Y-%m}",
                last=f"{catalog.last_month:%Y-%m}", used=f"{clamped:%Y-%m}",
            )
            return clamped
        return parsed

    start = month_param(PARAM_START, default.start)
    end = month_param(PARAM_END, default.end)
    if start > end:
        problem("swapped")
        start, end = end, start

    def multi(name: str, allowed: Iterable[str]) -> tuple[str, ...]:
        allowed_set = list(allowed)
        values = _as_list(query.get(name))
        if len(values) > _MAX_VALUES:
            problem("too_many", name=name)
            return ()
        good = []
        for v in values:
            if len(v) <= _MAX_VALUE_LEN and v in allowed_set:
                if v not in good:
                    good.append(v)
            else:
                problem("unknown_value", name=name, value=_shorten(v))
        return tuple(sorted(good, key=allowed_set.index))

    programs = tuple(ResponseType(p) for p in multi(PARAM_PROGRAM, [p.value for p in catalog.programs]))
    districts = multi(PARAM_DISTRICT, catalog.districts)
    categories = tuple(CallCategory(c) for c in multi(PARAM_CATEGORY, [c.value for c in catalog.categories]))

    filters = Filters(
        city=city, start=start, end=end, programs=programs, districts=districts, categories=categories
    )
    return ParseResult(filters, tuple(problems))
