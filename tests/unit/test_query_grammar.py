"""One grammar for the pages and the API (issue 13, item 1): ``grammar.parse`` in two modes.

The pages used to parse a view with one function and the API with another, and they
disagreed (``?end=2022-06``, ``district=3,4&district=5``). Now both read it with
``dashboard.params.grammar.parse``; what these tests prove, for any query string:

* **Same values.** Strict mode (the API) accepts a query exactly when lenient mode (the
  pages) reads it without a notice, and then both give the very same ``Filters``. Each
  side decodes the query string as it does in the app: the API with Werkzeug's
  ``request.args``, a page with Dash's router.
* **Links work.** Whatever view a page shows, its canonical query (its permalink and its
  download links) is accepted by strict mode as that same view.
* **The document is the grammar.** The OpenAPI document rejects a query exactly when
  strict mode answers it 400 (the 404s depend on the city's release, which a document
  cannot state).
* **End to end**, through the app: the page and the API name the same view or both
  object, for the cases the old parsers disagreed on and for generated query strings.
"""

from __future__ import annotations

import json
import re
import string
from datetime import date
from functools import cache, partial
from urllib.parse import parse_qsl, quote, quote_plus, urlencode, urlsplit

import pytest
from dash._pages import _parse_query_string  # what Dash's router hands a page's layout
from hypothesis import example, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from dashboard.api.openapi import build_openapi
from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.params.filters import (
    FILTER_PARAMS,
    LIST_PARAMS,
    PARAM_CITY,
    PARAM_END,
    PARAM_START,
    Catalog,
    Filters,
)
from dashboard.params.grammar import LENIENT, STRICT, Vocabulary, parse, vocabulary
from dashboard.queries import api_params
from dashboard.settings import Settings

from ..conftest import route_page

#: Two cities with different spans, districts, programs and categories; ``beta`` has a
#: district whose name holds a comma (taken whole) beside one that is its first part.
ALPHA = Catalog(
    city="alpha",
    cities=("alpha", "beta"),
    first_month=date(2019, 6, 1),
    last_month=date(2025, 12, 1),
    districts=("1", "2", "3", "4", "5", "citywide"),
    programs=tuple(ResponseType),
)
BETA = Catalog(
    city="beta",
    cities=("alpha", "beta"),
    first_month=date(2022, 3, 1),
    last_month=date(2024, 8, 1),
    districts=("citywide", "N", "N,E"),
    programs=(ResponseType.CO_RESPONDER, ResponseType.PATROL),
    categories=(CallCategory.WELFARE_CHECK, CallCategory.MENTAL_HEALTH),
)
CATALOGS = {"alpha": ALPHA, "beta": BETA}
VOCAB = vocabulary(CATALOGS)


# --------------------------------------------------------------------------- decoding


def api_query(query_string: str) -> dict[str, list[str]]:
    """The query as an API route reads it (``request.args``, every value of every name)."""
    return Request(EnvironBuilder(query_string=query_string).get_environ()).args.to_dict(flat=False)


def page_query(query_string: str) -> dict[str, object]:
    """The query as a page's ``layout(**query)`` gets it from Dash's router."""
    return _parse_query_string("?" + query_string)


# ------------------------------------------------------------------------ query strings


def _values(vocab: Vocabulary, name: str) -> st.SearchStrategy[str]:
    """Values of one parameter: mostly good ones (so that many queries are accepted), else
    near misses that fail in each way the grammar knows, now and then anything at all."""
    if name == PARAM_CITY:
        good = st.sampled_from(vocab.cities)
        bad = st.sampled_from(["atlantis", "", vocab.cities[0].upper(), vocab.cities[0] + " "])
    elif name in (PARAM_START, PARAM_END):
        day = st.dates(min_value=date(2017, 1, 1), max_value=date(2028, 12, 31))
        good = day.flatmap(lambda d: st.sampled_from([f"{d:%Y-%m}", d.isoformat()]))
        bad = st.sampled_from(["", "2023-13", "2023-02-30", "2023-1", " 2023-01", "2023-01 ", "٢٠٢٣-٠١",
                               "２０２３-０１", "2023-01\n", "2023-01-01T00:00", "banana"])
    else:
        known = vocab.values(name)
        good = st.lists(st.sampled_from(known), min_size=1, max_size=3).map(",".join)
        item = st.sampled_from([*known, "", "x", " 2", known[0].lower() + "!", "N,E,citywide"])
        bad = st.lists(item, min_size=1, max_size=3).map(",".join)
    noise = st.text(alphabet=string.ascii_letters + string.digits + "-,% +;=", max_size=12)
    return st.integers(0, 9).flatmap(lambda n: noise if n == 0 else bad if n < 3 else good)


def _encoders() -> st.SearchStrategy:
    return st.sampled_from([quote_plus, partial(quote, safe=""), partial(quote, safe=",")])


@st.composite
def query_strings(draw: st.DrawFn, vocab: Vocabulary, names: tuple[str, ...] = FILTER_PARAMS) -> str:
    """An ASCII query string (what a browser or a script sends) over ``names``: values
    encoded this way or that, names repeated, now and then raw junk (``%ff``, bare
    names, ``;``) that each side must decode alike."""
    parts = []
    for _ in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(names))
        value = draw(_values(vocab, name))
        parts.append(f"{name}={draw(_encoders())(value)}")
    if draw(st.integers(0, 5)) == 0:
        raw = draw(st.text(alphabet="aedn,%=&+;2-0fF", max_size=16))
        parts.insert(draw(st.integers(0, len(parts))), draw(st.sampled_from(names)) + raw)
    return "&".join(parts)


# ----------------------------------------------------------------------------- the modes


def _kinds(problems) -> list[tuple[str, str, int]]:
    return [(p.parameter, p.key, p.status) for p in problems]


@settings(max_examples=600, deadline=None)
@given(query_strings(VOCAB))
@example("end=2022-06")
@example("district=3,4&district=5")
@example("city=beta&district=N,E&district=citywide&program=PATROL,CO_RESPONDER")
@example("city=beta&start=2022-01")
@example("start=2024-05&end=2023-01")
def test_strict_accepts_exactly_what_lenient_takes_without_a_notice(query_string):
    strict, problems = parse(api_query(query_string), CATALOGS, "alpha", STRICT)
    lenient = parse(page_query(query_string), CATALOGS, "alpha", LENIENT)
    assert (strict is not None) == (not lenient.problems), (strict, lenient.errors)
    if strict is not None:
        assert strict == lenient.filters
    assert _kinds(problems) == _kinds(lenient.problems)  # the same problems, found the same way
    # The API's own entry adds only its rule on names it does not take (a page ignores them).
    query = api_query(query_string)
    unknown = [name for name in query if name not in FILTER_PARAMS]
    api_filters, api_problems = api_params.parse_filters_strict(query, CATALOGS, "alpha")
    assert api_filters == (None if unknown else strict)
    assert [(p.parameter, p.status) for p in api_problems[len(unknown):]] == [
        (p.parameter, p.status) for p in problems
    ]


@settings(max_examples=300, deadline=None)
@given(query_strings(VOCAB))
def test_the_view_a_page_shows_is_one_the_api_accepts(query_string):
    """The page's permalink and download links (``Filters.to_params``) name its view exactly."""
    shown = parse(page_query(query_string), CATALOGS, "alpha", LENIENT).filters
    again, problems = parse(api_query(urlencode(shown.to_params())), CATALOGS, "alpha", STRICT)
    assert problems == () and again == shown


def _document_accepts(query: dict[str, list[str]], parameters: dict) -> bool:
    """Whether ``query`` satisfies the OpenAPI document's parameter schemas. Patterns are
    anchored ECMA-262 expressions (``$`` only at the very end): ``re.fullmatch`` reads them
    alike (``re.search`` would let ``$`` match before a final line break)."""
    for name in FILTER_PARAMS:
        values = query.get(name, [])
        schema = parameters[name]["schema"]
        if schema.get("type") == "array":  # repeatable: style form, exploded
            if len(values) > schema["maxItems"]:
                return False
            schema = schema["items"]
        elif len(values) > 1:  # a single parameter has one value
            return False
        for value in values:
            if "enum" in schema and value not in schema["enum"]:
                return False
            if len(value) > schema.get("maxLength", len(value)):
                return False
            if "pattern" in schema and not re.fullmatch(schema["pattern"], value):
                return False
    return True


@cache
def _parameters() -> dict:
    return build_openapi(VOCAB)["components"]["parameters"]


@settings(max_examples=600, deadline=None)
@given(query_strings(VOCAB))
@example("city=beta&district=N,E")
@example("city=beta&district=N,E,citywide")
@example("district=N,citywide")
@example("end=2023-01%0A")
def test_the_openapi_document_rejects_exactly_what_strict_mode_answers_400(query_string):
    query = api_query(query_string)
    _, problems = parse(query, CATALOGS, "alpha", STRICT)
    assert _document_accepts(query, _parameters()) == (not any(p.status == 400 for p in problems)), problems


# ------------------------------------------------------------------ the cases of issue 13


def test_an_end_alone_is_the_twelve_months_ending_there_in_both_modes():
    for mode in (STRICT, LENIENT):
        result = parse(page_query("end=2022-06"), CATALOGS, "alpha", mode)
        filters, problems = result if mode == STRICT else (result.filters, result.problems)
        assert problems == ()
        assert (filters.start, filters.end) == (date(2021, 7, 1), date(2022, 6, 1))
    # Cut at the city's first month, still without a notice.
    result = parse({"city": "beta", "end": "2022-06"}, CATALOGS, "alpha", LENIENT)
    assert result.problems == () and (result.filters.start, result.filters.end) == (BETA.first_month,
                                                                                   date(2022, 6, 1))


def test_repeats_and_comma_lists_add_up_in_both_modes():
    want = ("3", "4", "5")
    strict, problems = parse(api_query("district=3,4&district=5"), CATALOGS, "alpha", STRICT)
    lenient = parse(page_query("district=3,4&district=5"), CATALOGS, "alpha", LENIENT)
    assert problems == () and lenient.problems == ()
    assert strict.districts == lenient.filters.districts == want


def test_a_value_holding_a_comma_is_taken_whole_so_every_district_can_be_named():
    whole = parse({"city": ["beta"], "district": ["N,E"]}, CATALOGS, "alpha", STRICT)
    assert whole == (Filters("beta", date(2023, 9, 1), date(2024, 8, 1), districts=("N,E",)), ())
    # A link names it by repeating the parameter, never by a comma list: it round-trips.
    both = Filters("beta", date(2023, 1, 1), date(2023, 2, 1), districts=("N", "N,E"))
    assert parse(api_query(urlencode(both.to_params())), CATALOGS, "alpha", STRICT) == (both, ())


@pytest.mark.parametrize(
    ("query", "key", "status"),
    [
        ("start=2024-05&end=2023-01", "swapped", 404),  # both given: no month lies between
        ("district=1,%202", "unknown_value", 400),  # nothing is trimmed, on a page either
        ("start=", "empty", 400),
        ("city=alpha&city=beta", "repeated", 400),
        ("city=beta&district=3", "not_in_city", 404),
        ("city=beta&start=2020-01", "outside", 404),  # alpha has it
        ("start=2030-01", "outside", 400),  # no city has it
        ("district=" + "&district=".join(["1"] * 9), "too_many", 400),  # more than the 8 districts known
    ],
)
def test_a_problem_is_a_notice_on_a_page_and_an_error_in_the_api(query, key, status):
    strict, problems = parse(api_query(query), CATALOGS, "alpha", STRICT)
    lenient = parse(page_query(query), CATALOGS, "alpha", LENIENT)
    assert strict is None and (key, status) in [(p.key, p.status) for p in problems]
    assert _kinds(lenient.problems) == _kinds(problems)
    assert lenient.errors and all(lenient.messages("es"))
    assert ALPHA.first_month <= lenient.filters.start <= lenient.filters.end <= ALPHA.last_month


def test_the_lenient_defaults_are_safe():
    """A bad value falls back: the parameter as if absent, a list item dropped, a month
    moved to the nearest end of the data, a reversed period swapped."""
    query = page_query("city=alpha&city=beta&start=2030-01&district=1,x,2")
    lenient = parse(query, CATALOGS, "alpha", LENIENT)
    assert lenient.filters == Filters("alpha", date(2025, 12, 1), date(2025, 12, 1), districts=("1", "2"))
    swapped = parse(page_query("start=2024-05&end=2023-01"), CATALOGS, "alpha", LENIENT).filters
    assert (swapped.start, swapped.end) == (date(2023, 1, 1), date(2024, 5, 1))


def test_list_params_are_the_vocabularys():
    assert {name: VOCAB.values(name) for name in LIST_PARAMS} == {
        "program": tuple(p.value for p in ResponseType),
        "district": ("1", "2", "3", "4", "5", "citywide", "N", "N,E"),
        "category": tuple(c.value for c in CallCategory),
    }


# ------------------------------------------------------------------------- end to end


@pytest.fixture(scope="module")
def client():
    from dashboard.app import create_app

    return create_app(Settings()).server.test_client()


def _walk(node: object):
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)


def overview(client, query_string: str) -> tuple[str, bool]:
    """The Overview for ``?query_string``: its summary download link (its view, as the
    page hands it to the API) and whether it shows a notice about the link."""
    body = route_page(client, "/", "?" + query_string).get_json()
    hrefs = [n["href"] for n in _walk(body) if isinstance(n.get("href"), str)]
    summary = next(h for h in hrefs if urlsplit(h).path == "/api/v1/summary")
    return summary, "could not be used" in json.dumps(body)


def api_view(client, url: str) -> tuple[int, dict | None]:
    response = client.get(url)
    return response.status_code, response.get_json().get("filters")


@pytest.mark.parametrize(
    ("query_string", "start", "end", "districts"),
    [
        ("end=2022-06", "2021-07-01", "2022-06-30", []),
        ("district=3,4&district=5", "2025-01-01", "2025-12-31", ["3", "4", "5"]),
    ],
)
def test_the_page_and_the_api_show_the_same_view(client, query_string, start, end, districts):
    link, noticed = overview(client, query_string)
    assert not noticed
    status, view = api_view(client, "/api/v1/summary?" + query_string)
    assert status == 200
    assert (view["start"], view["end"], view["districts"]) == (start, end, districts)
    assert api_view(client, link) == (200, view)
    assert dict(parse_qsl(urlsplit(link).query))["end"] == end


@cache
def _shipped_vocabulary() -> Vocabulary:
    from dashboard.engine.store import Store

    return vocabulary(Store(Settings()).catalogs())


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_for_any_link_the_page_objects_exactly_when_the_api_does(client, data):
    query_string = data.draw(query_strings(_shipped_vocabulary()))
    link, noticed = overview(client, query_string)
    # Names the grammar does not know (``city0``) a page ignores, and the API refuses
    # (its own rule, not the grammar's): ask it without them.
    query = api_query(query_string)
    if any(name not in FILTER_PARAMS for name in query):
        assert api_view(client, "/api/v1/summary?" + query_string)[0] == 400
        query_string = urlencode([(k, v) for k, vs in query.items() if k in FILTER_PARAMS for v in vs])
    status, view = api_view(client, "/api/v1/summary?" + query_string)
    assert noticed == (status != 200), (query_string, status)
    if status == 200:
        assert api_view(client, link) == (200, view)
