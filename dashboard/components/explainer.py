""" "What is this?": the programs and measures of a page in plain words, for any reader.

Most visitors arrive from a news story and do not know what a co-responder is or what
makes a call "eligible". Each page that shows program figures puts this disclosure
under its heading: one short definition per program the city runs (in the city's own
name for it) and per measure the page shows, and a link to the methodology, where the
exact definitions live. Closed by default, so it costs a phone reader one line.

The texts are catalog entries (``explain.*``), so they exist in every language, and the
methodology page (``#programs``) shows the same program definitions
(``all_program_definitions``), so the two cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import dcc, html

from dashboard.components.links import page_href
from dashboard.contract.cities import City
from dashboard.contract.schema import ResponseType
from dashboard.figures import program_label
from dashboard.i18n import t

#: Measures a page can explain (catalog keys ``explain.measure.<name>``).
MEASURES = ("eligible", "share", "minutes", "outcome", "arrest", "backup", "repeat", "coverage")


def program_definition(program: ResponseType, city: City, lang: str) -> str:
    """What the team is, in one or two sentences; a locally named civilian team (Lane
    County's is not Denver's STAR) gets the generic civilian-team text."""
    if program is ResponseType.STAR and program.value in city.label_map:
        return t("explain.program.civilian", lang)
    return t(f"explain.program.{program.value}", lang)


def program_definitions(city: City, lang: str) -> html.Dl:
    """Every program the city runs: its name (the city's) and what it is."""
    items: list = []
    for program in city.programs:
        items.append(html.Dt(program_label(program, lang, city.label_map)))
        items.append(html.Dd(program_definition(program, city, lang)))
    return html.Dl(items, className="explainer__list")


def all_program_definitions(lang: str) -> html.Dl:
    """Every program of the contract with its definition, and what a locally named
    civilian team is (the methodology page: it covers every city)."""
    items: list = []
    for program in ResponseType:
        items.append(html.Dt(program_label(program, lang)))
        items.append(html.Dd(t(f"explain.program.{program.value}", lang)))
    items.append(html.Dt(t("explain.program.civilian.term", lang)))
    items.append(html.Dd(t("explain.program.civilian", lang)))
    return html.Dl(items, className="explainer__list")


def what_is_this(city: City, lang: str, measures: Sequence[str] = (), *, page: str) -> html.Details:
    """The disclosure: the page in one sentence, the programs, the measures, the link."""
    unknown = set(measures) - set(MEASURES)
    if unknown:
        raise ValueError(f"no plain-words text for measures {sorted(unknown)}")
    body: list = [
        html.P(t(f"explain.page.{page}", lang)),
        html.H2(t("explain.programs", lang), className="h6"),
    ]
    body.append(program_definitions(city, lang))
    if measures:
        alternative = program_label(city.alternative_program, lang, city.label_map)
        body.append(html.H2(t("explain.measures", lang), className="h6"))
        items: list = []
        for name in measures:
            items.append(html.Dt(t(f"explain.measure.{name}.term", lang)))
            items.append(html.Dd(t(f"explain.measure.{name}", lang, program=alternative)))
        body.append(html.Dl(items, className="explainer__list"))
    body.append(
        html.P(
            dcc.Link(t("explain.methodology", lang), href=page_href("/methodology", lang)),
            className="mb-0 link-row",
        )
    )
    return html.Details(
        [html.Summary(t("explain.summary", lang), className="explainer__summary"), html.Div(body)],
        className="explainer mb-3",
    )
