"""The API's parameters: read strictly, echoed back, and written into links.

Pages and the API read the same parameters with the same grammar
(``dashboard.params.filters``); pages forgive a bad link (a notice and the safe
default), but an API answering a script must not silently change a query because of a
typo, so ``parse_filters_strict`` reads it in strict mode: every problem, keyed by
parameter, and no ``Filters`` at all unless the query is entirely valid. The API's own
parameters (``page``, ``metric``...) are read by the same rules (``single_value``,
``choice``, ``bounded_int``). ``api_url`` writes a view's parameters into a link the
strict API accepts, and ``filters_dict`` echoes a view in an answer.

Separate from the downloads (``dashboard.queries.export``) because the routes read
parameters for every endpoint, and the pages build links, without reading any rows.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from dashboard.params.filters import FILTER_PARAMS, Catalog, Filters, ascii_int
from dashboard.params.grammar import STRICT, ParamProblem, parse, shorten
from dashboard.params.grammar import single_value as grammar_single_value

#: Where the versioned API lives on the dashboard's server. Pages build their download
#: links with ``api_url`` below, and ``dashboard.api`` mounts its routes here, so a
#: link and its route cannot disagree.
API_PREFIX = "/api/v1"

#: Largest JSON page, and the default one.
MAX_PAGE_SIZE = 10_000
DEFAULT_PAGE_SIZE = 1_000
PARAM_PAGE = "page"
PARAM_PAGE_SIZE = "page_size"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request parameter, as an API error answer lists it.

    ``status`` 400: the value breaks the API's grammar (which the OpenAPI document states
    exactly: a pattern, an enum, a bound); 404: each value is well formed, but together
    they name nothing the current release holds (a month outside the city's data, a
    district or program the city does not have, a start after the end, a page past the
    last). The document cannot state the second kind (it depends on the city and the
    release), so a schema-valid request is never answered 400. The filters' problems come
    from the one grammar (``grammar.ParamProblem``, ``api_problem``); this endpoint-level
    type also carries the API's own (an unknown name, ``page``, ``metric``...).
    """

    parameter: str
    value: str
    message: str
    status: int = 400

    def as_dict(self) -> dict[str, str]:
        return {"parameter": self.parameter, "value": self.value, "message": self.message}


def api_problem(problem: ParamProblem) -> Problem:
    """A grammar problem as the API says it (its English message, its status)."""
    return Problem(problem.parameter, problem.value, problem.message, problem.status)


def unknown_parameters(query: Mapping[str, Sequence[str]], allowed: Collection[str]) -> list[Problem]:
    """A problem for every parameter name this endpoint does not take (a typo would
    otherwise widen the query without a word). Pages ignore unknown names instead
    (``grammar`` module docstring): this is the API's rule, not the grammar's."""
    known = ", ".join(sorted(allowed)) or "none"
    return [
        Problem(shorten(name), shorten(values[0] if values else ""),
                f"Unknown parameter; this endpoint takes: {known}.")
        for name, values in query.items()
        if name not in allowed
    ]


def single_value(query: Mapping[str, Sequence[str]], name: str) -> tuple[str | None, list[Problem]]:
    """The one value of a single-valued parameter (None when absent), exactly as sent: the
    grammar's rule (``grammar.single_value``) for the API's own parameters."""
    value, problem = grammar_single_value(list(query.get(name, ())), name)
    return value, [] if problem is None else [api_problem(problem)]


def choice(
    query: Mapping[str, Sequence[str]], name: str, allowed: Sequence[str], default: str
) -> tuple[str, list[Problem]]:
    """A single value from a fixed list (e.g. the map's ``metric``)."""
    value, problems = single_value(query, name)
    if problems or value is None:
        return default, problems
    if value not in allowed:
        return default, [Problem(name, shorten(value), f"Not one of: {', '.join(allowed)}.")]
    return value, []


def bounded_int(
    query: Mapping[str, Sequence[str]], name: str, default: int, low: int, high: int
) -> tuple[int, list[Problem]]:
    """A whole number in ``low..high`` written with ASCII digits only (no sign, no space)."""
    value, problems = single_value(query, name)
    if problems or value is None:
        return default, problems
    number = ascii_int(value)
    if number is None or not low <= number <= high:
        return default, [Problem(name, shorten(value), f"Must be a whole number from {low} to {high:,}.")]
    return number, []


def parse_filters_strict(
    query: Mapping[str, Sequence[str]],
    catalogs: Mapping[str, Catalog],
    default_city: str,
    extra_params: Collection[str] = (),
) -> tuple[Filters | None, list[Problem]]:
    """Validate an API query (``{name: [values...]}``) into ``Filters``, or say what is wrong.

    The filters are read by the one grammar in ``STRICT`` mode (``grammar.parse``: the
    pages' parameters and meanings, nothing forgiven or trimmed; 400 for what the OpenAPI
    document forbids, 404 for what the city's release lacks); on top of it, a parameter
    name this endpoint does not take (``filters.FILTER_PARAMS`` and ``extra_params``,
    which the caller checks) is a 400. Any problem means no ``Filters``.
    """
    problems = unknown_parameters(query, (*FILTER_PARAMS, *extra_params))
    filters, found = parse(query, catalogs, default_city, STRICT)
    problems += [api_problem(p) for p in found]
    return (None if problems else filters), problems


def filters_dict(filters: Filters) -> dict[str, Any]:
    """The view as JSON: what an API answer echoes so a script can see what it got."""
    return {
        "city": filters.city,
        "start": filters.start.isoformat(),
        "end": last_day(filters).isoformat(),
        "programs": [p.value for p in filters.programs],
        "districts": list(filters.districts),
        "categories": [c.value for c in filters.categories],
    }


def last_day(filters: Filters) -> date:
    """The last day of the view's end month (filenames and echoes name whole periods)."""
    return filters.end_exclusive - timedelta(days=1)


def api_url(endpoint: str, filters: Filters, extra: Sequence[tuple[str, str]] = ()) -> str:
    """Path and query of an API endpoint for a view, e.g. ``api_url("calls.csv", f)``.

    For the pages' download links: the query is the view's canonical parameters
    (``Filters.to_params``) plus ``extra`` (e.g. ``[("metric", "per_1000")]``), which is
    exactly what the strict API accepts (a page's own ``lang`` is not an API parameter).
    """
    return f"{API_PREFIX}/{endpoint}?" + urlencode([*filters.to_params(), *extra])
