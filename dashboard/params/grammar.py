"""One grammar for a view's parameters, for the pages and the API alike.

``parse`` reads a URL query (or a callback's values) into a ``filters.Filters`` against
the served cities' catalogs; a page, its permalink, its download links and the API
therefore mean one view by one query.

**The grammar** (each rule is written once, in this module; the API's OpenAPI document,
``dashboard.api.openapi``, states it in parameters ``dashboard.api.openapi_parameters``
generates from the same ``Vocabulary``):

=====================  ==========================================================================
``city``               once; one of the served cities' ids. Default: the server's default city.
``start``, ``end``     once each; ``YYYY-MM`` or ``YYYY-MM-DD`` (a real day), ASCII digits,
                       taken to their month; within the city's data. Defaults: the city's last
                       12 months; ``start`` alone runs to the last month; ``end`` alone is the
                       12 months ending there (cut at the first month of data).
``program``,           repeatable; each value is a known value, or a comma-separated list of
``district``,          them (a value that is itself a known value, commas and all, is taken
``category``           whole: a district named ``a,b`` stays nameable). Repeats and lists add
                       up; duplicates count once; order does not matter (values are kept in the
                       catalog's order). At most as many values as the vocabulary has. Default:
                       all.
any value              at most ``MAX_VALUE_LENGTH`` characters, not empty, never trimmed: the
                       value is what was sent (``" 2"`` is not ``"2"``), and digits are ASCII
                       (``\\d`` and ``int()`` also read Arabic-Indic or full-width digits).
=====================  ==========================================================================

A value that breaks the grammar (a value no served city has, a month of no city's data,
a bad date, an empty or too long value, a single parameter given twice, too many values)
is a problem of status 400; a well-formed value the chosen city's release does not hold
(a month outside its data that another city has, a district or program it lacks, a start
after the end) is a 404; a city that exists but cannot be served now (no release passed
its checks) a 503. An unknown city is read as the default one, so the rest is still
checked (the API answers only the 400s when there are any). Each ``ParamProblem`` names
its parameter and a message key: ``filters.problem.<key>`` in the reader's language on
a page, ``API_MESSAGES[key]`` in an API answer.

**Two modes, one parser.** ``parse(query, catalogs, default_city, mode)`` finds the same
problems in both modes; only what follows differs:

* ``STRICT`` (the API, ``dashboard.queries.api_params.parse_filters_strict``): any problem
  means no ``Filters`` at all; the API answers 400/404 naming each parameter. A script
  must learn about its typo, not receive a silently different answer.
* ``LENIENT`` (the pages, ``parse_filters``): every problem becomes a notice and the
  offending value falls back to the safe default (the parameter is read as absent; an
  unusable list item is dropped; a month outside the data is moved to its nearest end;
  a start after the end is swapped with it). Never raises: a bad link still shows a page.

So for any query both modes accept exactly the same values, and where strict accepts,
lenient gives the very same ``Filters`` (``tests/unit/test_query_grammar.py`` checks
this, and that the OpenAPI document rejects exactly what strict mode answers 400).
Parameter names the grammar does not know are not its business: the API refuses those
an endpoint does not take (``api_params.unknown_parameters``); pages ignore them, since they
carry their own (``lang``, ``metric``...) and shared links pick up tracking parameters.
Lenient mode also takes a callback's values (``None`` for a cleared control, lists,
junk of any type), which no query string can hold.

**Where the pages' and the API's old parsers disagreed** (issue 13), decided here:

* ``end`` alone: the 12 months ending there, in both (the pages used to keep the default
  start, then swapped a start after the end with a notice: ``?end=2022-06`` showed June
  2022 – January 2025).
* Repeats and comma lists mean the same in both: ``district=3,4&district=5`` is 3, 4 and
  5 (the pages split a lone value on commas but not repeated ones, and dropped ``3,4``).
* Nothing is trimmed: ``district=1, 2`` is a problem for `` 2`` on a page too (the pages
  trimmed silently), and an empty value is a problem, not ignored.
* A single parameter given twice (``city=a&city=b``) is a problem, and a page uses the
  default (the pages took the first silently).
* Too many values: more than the vocabulary holds (the pages allowed 50).
* Lists take a known value whole before splitting on commas, in both (the API split
  always, so a district whose name holds a comma could not be downloaded).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Final, Literal, overload

from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.i18n import t
from dashboard.params.filters import (
    PARAM_CATEGORY,
    PARAM_CITY,
    PARAM_DISTRICT,
    PARAM_END,
    PARAM_PROGRAM,
    PARAM_START,
    Catalog,
    Filters,
    parse_month,
    window_start,
)

#: Longest value (a comma-separated list counts whole). With at most as many values as
#: the vocabulary holds, a valid query stays far below the server's limit on a query.
MAX_VALUE_LENGTH = 64
#: Longest echo of an untrusted value in a message.
_ECHO = 40

Mode = Literal["strict", "lenient"]
STRICT: Final = "strict"
LENIENT: Final = "lenient"


def shorten(text: str) -> str:
    """At most 40 characters of an untrusted value, to echo back (never a 1 MB string)."""
    return text if len(text) <= _ECHO else text[: _ECHO - 3] + "..."


# ------------------------------------------------------------------------- vocabulary


@dataclass(frozen=True)
class Vocabulary:
    """What the grammar accepts, from the catalogs of every served city: the OpenAPI
    document's enums, patterns and bounds are built from this, and so is the validation.

    Values another city has are well formed (a 404 if the chosen city lacks them), values
    no city has are not (400). Months likewise: any month of any city's data is well
    formed; one outside the chosen city's own span is a 404.
    """

    cities: tuple[str, ...]
    programs: tuple[str, ...]
    districts: tuple[str, ...]
    categories: tuple[str, ...]
    first_month: date
    last_month: date

    def values(self, name: str) -> tuple[str, ...]:
        """The known values of a list parameter (``LIST_PARAMS``)."""
        return {PARAM_PROGRAM: self.programs, PARAM_DISTRICT: self.districts,
                PARAM_CATEGORY: self.categories}[name]


def vocabulary(catalogs: Mapping[str, Catalog]) -> Vocabulary:
    """The union of every served city's catalog, in contract order (districts: first seen)."""
    programs = {p.value for c in catalogs.values() for p in c.programs}
    categories = {v.value for c in catalogs.values() for v in c.categories}
    districts = tuple(dict.fromkeys(d for c in catalogs.values() for d in c.districts))
    return Vocabulary(
        cities=tuple(catalogs),
        programs=tuple(p.value for p in ResponseType if p.value in programs),
        districts=districts,
        categories=tuple(c.value for c in CallCategory if c.value in categories),
        first_month=min(c.first_month for c in catalogs.values()),
        last_month=max(c.last_month for c in catalogs.values()),
    )


def catalog_values(catalog: Catalog, name: str) -> tuple[str, ...]:
    """The values a city's release has for a list parameter, in the catalog's order."""
    if name == PARAM_PROGRAM:
        return tuple(p.value for p in catalog.programs)
    if name == PARAM_CATEGORY:
        return tuple(c.value for c in catalog.categories)
    return catalog.districts


def list_items(value: str, known: Sequence[str] | frozenset[str]) -> list[str]:
    """The items one value of a list parameter names: the value itself if it is a known
    value (commas and all), else its comma-separated parts, exactly as given."""
    return [value] if value in known else value.split(",")


# --------------------------------------------------------------------------- problems


#: The API's English message for each problem key (``ParamProblem.message``). The pages
#: say the same problem with ``filters.problem.<key>`` of the message catalogs.
API_MESSAGES: Mapping[str, str] = {
    "repeated": "Give this parameter once.",
    "empty": "Empty value.",
    "too_long": "Longer than {limit} characters.",
    "unknown_city": "Unknown city; known: {known}.",
    "unavailable_city": "No release of this city passed its integrity check.",
    "bad_date": "Not a date: use YYYY-MM-DD or YYYY-MM.",
    "outside": "Outside the data of {where}: {span}.",
    "swapped": "The start month {start_month} is after the end month {end_month}: no month lies between.",
    "too_many": "More than {limit} values.",
    "unknown_value": "Unknown {name}; known: {known}.",
    "not_in_city": "{city} has no {name} {quoted}; it has: {allowed}.",
}


@dataclass(frozen=True)
class ParamProblem:
    """One thing wrong with one parameter: its ``key`` names the problem in both modes.

    ``status``: 400 the grammar forbids the value, 404 the chosen city's release does not
    hold it, 503 the city cannot be served now (module docstring). ``value`` is what was
    sent, cut to 40 characters; ``details`` fill the messages' other placeholders (and
    may override ``value``, e.g. a city's name for its id).
    """

    parameter: str
    key: str
    value: str
    status: int = 400
    details: tuple[tuple[str, str], ...] = ()

    def _values(self) -> dict[str, str]:
        return {"name": self.parameter, "value": self.value, **dict(self.details)}

    @property
    def message(self) -> str:
        """The API's English message (``API_MESSAGES``)."""
        return API_MESSAGES[self.key].format(**self._values())

    def notice(self, lang: str) -> str:
        """The pages' notice in the reader's language (``filters.problem.<key>``)."""
        return t(f"filters.problem.{self.key}", lang, **self._values())


@dataclass(frozen=True)
class ParseResult:
    """A lenient parse: the ``Filters`` to show and every problem met on the way, which a
    page says in its reader's language (``messages``); ``errors`` is the same in English
    (logs, tests)."""

    filters: Filters
    problems: tuple[ParamProblem, ...] = field(default=())

    def messages(self, lang: str) -> list[str]:
        return [p.notice(lang) for p in self.problems]

    @property
    def errors(self) -> tuple[str, ...]:
        return tuple(self.messages("en"))


def _values_of(value: object) -> list[str]:
    """A parameter's values as a list of strings. A query string gives a string (Dash, for
    a name given once) or a list of strings; a callback may give ``None`` (a cleared
    control: absent), a list, or anything at all, which becomes a ``<type>`` value no
    rule accepts."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [v if isinstance(v, str) else f"<{type(v).__name__}>" for v in value if v is not None]
    return [f"<{type(value).__name__}>"]


_LIMIT = (("limit", str(MAX_VALUE_LENGTH)),)


def single_value(values: Sequence[str], name: str) -> tuple[str | None, ParamProblem | None]:
    """The one value of a single-valued parameter, exactly as sent (None when absent or
    unusable): given twice, empty or longer than ``MAX_VALUE_LENGTH`` is a 400 problem.
    The API's own single parameters (``page``, ``metric``...) follow the same rule."""
    if not values:
        return None, None
    if len(values) > 1:
        return None, ParamProblem(name, "repeated", shorten(values[1]))
    value = values[0]
    if not value:
        return None, ParamProblem(name, "empty", "")
    if len(value) > MAX_VALUE_LENGTH:
        return None, ParamProblem(name, "too_long", shorten(value), details=_LIMIT)
    return value, None


# ------------------------------------------------------------------------------ parse


@overload
def parse(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    mode: Literal["lenient"],
    *,
    unavailable: Mapping[str, str] | None = None,
) -> ParseResult: ...


@overload
def parse(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    mode: Literal["strict"],
    *,
    unavailable: Mapping[str, str] | None = None,
) -> tuple[Filters | None, tuple[ParamProblem, ...]]: ...


def parse(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    mode: Mode,
    *,
    unavailable: Mapping[str, str] | None = None,
) -> ParseResult | tuple[Filters | None, tuple[ParamProblem, ...]]:
    """Read the grammar's parameters of ``query`` (name -> value or list of values; other
    names are ignored) against the served ``catalogs``.

    Both modes find the same problems (module docstring). ``LENIENT`` returns a
    ``ParseResult``: the view with every offending value at its safe default, and the
    problems. ``STRICT`` returns ``(filters, problems)``, with ``filters`` None as soon as
    there is any problem. ``default_city`` is used when the query names none (the first
    served city if it is not served); ``unavailable`` (id -> name) are cities that exist
    but cannot be served now, which get their own problem rather than "unknown".
    """
    view, problems = _read(query, catalogs, default_city, unavailable or {})
    if mode == LENIENT:
        return ParseResult(view, problems)
    if mode == STRICT:
        return (None if problems else view), problems
    raise ValueError(f"unknown parse mode {mode!r}")


def parse_filters(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    unavailable: Mapping[str, str] | None = None,
) -> ParseResult:
    """The pages' parse: ``parse`` in ``LENIENT`` mode (never raises on bad input)."""
    return parse(query, catalogs, default_city, LENIENT, unavailable=unavailable)


def _read(
    query: Mapping[str, object],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    unavailable: Mapping[str, str],
) -> tuple[Filters, tuple[ParamProblem, ...]]:
    """The lenient view and every problem: the one reading both modes share."""
    if not catalogs:
        raise ValueError("no served city: nothing to parse a view against")
    vocab = vocabulary(catalogs)
    problems: list[ParamProblem] = []

    def given(name: str) -> list[str]:
        return _values_of(query.get(name))

    def single(name: str) -> str | None:
        value, problem = single_value(given(name), name)
        if problem is not None:
            problems.append(problem)
        return value

    # city: once, a served city; else the default city.
    fallback = default_city if default_city in catalogs else next(iter(catalogs))
    city = fallback
    asked = single(PARAM_CITY)
    if asked is not None:
        if asked in catalogs:
            city = asked
        elif asked in unavailable:
            details = (("value", unavailable[asked]), ("city", fallback))
            problems.append(ParamProblem(PARAM_CITY, "unavailable_city", shorten(asked), 503, details))
        else:
            details = (("known", ", ".join(catalogs)), ("city", fallback))
            problems.append(ParamProblem(PARAM_CITY, "unknown_city", shorten(asked), 400, details))
    catalog = catalogs[city]

    # start, end: once each, a month of the city's data; outside it, the nearest end.
    def month(name: str) -> date | None:
        value = single(name)
        if value is None:
            return None
        parsed = parse_month(value)
        if parsed is None:
            problems.append(ParamProblem(name, "bad_date", shorten(value)))
            return None
        if catalog.first_month <= parsed <= catalog.last_month:
            return parsed
        used = min(max(parsed, catalog.first_month), catalog.last_month)
        elsewhere = vocab.first_month <= parsed <= vocab.last_month  # another city has it: 404
        where, first, last = (
            (catalog.city, catalog.first_month, catalog.last_month) if elsewhere
            else ("every city", vocab.first_month, vocab.last_month)
        )
        details = (
            ("where", where), ("span", f"{first:%Y-%m} to {last:%Y-%m}"),
            ("first", f"{catalog.first_month:%Y-%m}"), ("last", f"{catalog.last_month:%Y-%m}"),
            ("used", f"{used:%Y-%m}"),
        )
        problems.append(ParamProblem(name, "outside", shorten(value), 404 if elsewhere else 400, details))
        return used

    start, end = month(PARAM_START), month(PARAM_END)
    if end is None:
        end = catalog.last_month
    if start is None:  # with or without an end: the default-length window ending at the end
        start = window_start(catalog, end)
    if start > end:  # both were given (a default never ends before its start)
        details = (("start_month", f"{start:%Y-%m}"), ("end_month", f"{end:%Y-%m}"))
        problems.append(ParamProblem(PARAM_START, "swapped", shorten(given(PARAM_START)[0]), 404, details))
        start, end = end, start

    # program, district, category: repeats and comma lists add up; unusable items are dropped.
    def items(name: str) -> tuple[str, ...]:
        known = vocab.values(name)
        known_set = frozenset(known)
        allowed = catalog_values(catalog, name)
        values = given(name)
        if len(values) > len(known):
            details = (("limit", str(len(known))),)
            problems.append(ParamProblem(name, "too_many", shorten(values[len(known)]), details=details))
            return ()
        good: list[str] = []
        for value in values:
            if not value:
                problems.append(ParamProblem(name, "empty", ""))
                continue
            if len(value) > MAX_VALUE_LENGTH:
                problems.append(ParamProblem(name, "too_long", shorten(value), details=_LIMIT))
                continue
            for item in list_items(value, known_set):
                if not item:
                    problems.append(ParamProblem(name, "empty", ""))
                elif item not in known_set:
                    details = (("known", ", ".join(known)),)
                    problems.append(ParamProblem(name, "unknown_value", shorten(item), details=details))
                elif item not in allowed:
                    details = (("city", catalog.city), ("quoted", repr(item)),
                               ("allowed", ", ".join(allowed)))
                    problems.append(ParamProblem(name, "not_in_city", shorten(item), 404, details))
                elif item not in good:
                    good.append(item)
        return tuple(sorted(good, key=allowed.index))

    view = Filters(
        city=city,
        start=start,
        end=end,
        programs=tuple(ResponseType(p) for p in items(PARAM_PROGRAM)),
        districts=items(PARAM_DISTRICT),
        categories=tuple(CallCategory(c) for c in items(PARAM_CATEGORY)),
    )
    return view, tuple(problems)
