"""Methodology: every measure on the dashboard defined in plain words, and the privacy rules.

A number is only as useful as its definition: a reporter quoting "median response
time" must know which clock starts and stops, and a reader must know why a district
has no rate. The definitions here follow the code that computes them
(``dashboard.data.queries`` module docstring, ``dashboard.data.privacy``) and the
README's methodology; the values that vary (k, each city's alternative program and
low-population threshold, outcome categories) are read from settings, city configs
and the contract, never typed in, so the page cannot disagree with the numbers.

No callbacks and no data access beyond the store's city configs and release info.
No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping

import dash
from dash import dcc, html

from dashboard.components.alert import notice
from dashboard.data.cities import City
from dashboard.data.docs import first_value
from dashboard.data.release import ReleaseInfo
from dashboard.data.schema import Outcome
from dashboard.figures import program_label
from dashboard.i18n import fmt_int, normalize_language, t
from dashboard.pages import current_settings, current_store

log = logging.getLogger(__name__)

PARAM_LANG = "lang"

# Element ids (tests find the page's parts by these).
METHOD_HEADING = "method-heading"
METHOD_OUTCOMES = "method-outcomes"
METHOD_PRIVACY = "method-privacy"
METHOD_RATES = "method-rates"

dash.register_page(
    __name__,
    order=2,
    path="/methodology",
    name=t("nav.methodology"),
    title=t("method.title"),
    description=t("method.description"),
)


def _section(heading: str, body: list, section_id: str | None = None) -> html.Section:
    kwargs = {"id": section_id} if section_id else {}
    return html.Section(
        html.Div([html.H2(heading, className="h5 card-title"), *body], className="card-body prose"),
        className="card mb-3",
        **kwargs,
    )


def _paragraphs(*keys: str, lang: str, **values: object) -> list[html.P]:
    return [html.P(t(key, lang, **values)) for key in keys]


def _eligible(cities: Mapping[str, City], lang: str) -> html.Section:
    programs = [
        html.Li(t("method.eligible.city", lang, city=c.name,
                  program=program_label(c.alternative_program, lang, c.label_map)))
        for c in cities.values()
    ]
    return _section(
        t("method.eligible.heading", lang),
        [
            *_paragraphs("method.eligible.body", "method.eligible.share", lang=lang),
            html.Ul(programs),
            *_paragraphs("method.eligible.filter", lang=lang),
        ],
    )


def _outcomes(lang: str) -> html.Section:
    items = []
    for outcome in Outcome:
        items += [
            html.Dt(t(f"method.outcome.{outcome.value}", lang)),
            html.Dd(t(f"method.outcome.{outcome.value}.text", lang)),
        ]
    return _section(
        t("method.outcomes.heading", lang),
        [
            *_paragraphs("method.outcomes.body", lang=lang),
            html.Dl(items, className="outcome-list"),
            *_paragraphs("method.outcomes.compare", lang=lang),
        ],
        METHOD_OUTCOMES,
    )


def _rates(cities: Mapping[str, City], lang: str) -> html.Section:
    thresholds = [
        html.Li(t("method.rates.city", lang, city=c.name,
                  threshold=fmt_int(c.geo.low_population_threshold, lang)))
        for c in cities.values()
        if c.has_districts
    ]
    body: list = _paragraphs("method.rates.body", "method.rates.population", "method.rates.low", lang=lang)
    if thresholds:
        body.append(html.Ul(thresholds))
    return _section(t("method.rates.heading", lang), body, METHOD_RATES)


def _privacy(k: int, lang: str) -> html.Section:
    rules = ["method.privacy.time", "method.privacy.place", "method.privacy.rows", "method.privacy.cubes"]
    return _section(
        t("method.privacy.heading", lang),
        [
            *_paragraphs("method.privacy.body", lang=lang),
            html.Ul([html.Li(t(key, lang, k=k, k_minus=k - 1)) for key in rules]),
            *_paragraphs("method.privacy.k", lang=lang, k=k),
        ],
        METHOD_PRIVACY,
    )


def _synthetic(releases: Mapping[str, tuple[City, ReleaseInfo]], lang: str) -> html.Section:
    items = []
    for city, info in releases.values():
        key = "method.synthetic.release_synthetic" if info.synthetic else "method.synthetic.release_real"
        items.append(html.Li(t(key, lang, city=city.name, release_id=info.release_id,
                               source=info.source.strip().rstrip("."))))
    return _section(
        t("method.synthetic.heading", lang),
        [
            *_paragraphs("method.synthetic.body", "method.synthetic.derived", lang=lang),
            html.Ul(items, className="mb-0"),
        ],
    )


def layout(**query: object) -> html.Div:
    """The page; any query but ``lang`` is ignored (nothing here is filtered)."""
    lang = normalize_language(first_value(query.get(PARAM_LANG)))
    try:
        return _page(lang)
    except Exception:  # a broken release or a bug must still give a page, not a 500
        log.exception("methodology layout failed")
        return html.Div(
            [html.H1(t("method.heading", lang), className="h3"),
             notice([t("notice.error", lang)], color="danger")],
            className="container-xxl py-3",
        )


def _page(lang: str) -> html.Div:
    store = current_store()
    cities = store.cities
    releases = {c: (city, store.release_info(c)) for c, city in cities.items()}
    k = current_settings().privacy_k
    sections = [
        _section(t("method.calls.heading", lang), _paragraphs("method.calls.body", lang=lang)),
        _eligible(cities, lang),
        _section(
            t("method.minutes.heading", lang),
            _paragraphs("method.minutes.body", "method.minutes.median", "method.minutes.p90",
                        "method.minutes.example", lang=lang),
        ),
        _outcomes(lang),
        _section(t("method.backup.heading", lang), _paragraphs("method.backup.body", lang=lang)),
        _section(t("method.repeat.heading", lang), _paragraphs("method.repeat.body", lang=lang)),
        _rates(cities, lang),
        _section(t("method.months.heading", lang),
                 _paragraphs("method.months.body", "method.months.per_week", lang=lang)),
        _section(t("method.map.heading", lang),
                 _paragraphs("method.map.body", "method.map.grey", "method.map.precincts", lang=lang)),
        _section(t("method.models.heading", lang), _paragraphs("method.models.body", lang=lang)),
        _privacy(k, lang),
        _synthetic(releases, lang),
    ]
    return html.Div(
        html.Div(
            [
                html.Header(
                    [
                        html.H1(t("method.heading", lang), id=METHOD_HEADING, className="h3 mb-1"),
                        html.P(t("method.lead", lang), className="lead mb-0"),
                    ],
                    className="page-header mb-3",
                ),
                *sections,
                html.P(dcc.Link(t("method.data_link", lang), href=dash.get_relative_path("/data")),
                       className="small"),
            ],
            className="info-page__column",
        ),
        className="container-xxl py-3 info-page",
    )
