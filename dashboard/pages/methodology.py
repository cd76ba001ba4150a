"""Methodology: every measure on the dashboard defined in plain words, and the privacy rules.

A number is only as useful as its definition: a reporter quoting "median response
time" must know which clock starts and stops, and a reader must know why a district
has no rate. The definitions here follow the code that computes them
(``dashboard.queries.overview`` module docstring, ``dashboard.publish.privacy``) and the
README's methodology; the values that vary (k, each city's alternative program and
low-population threshold, outcome categories) are read from settings, city configs
and the contract, never typed in, so the page cannot disagree with the numbers.

The coverage, council-district, planner, rates and impact sections carry stable anchors
(``#coverage``, ``#council-districts``, ``#planner``, ``#rates``, ``#impact``) that the
district and Impact pages link to. The planner's validation figures are text (``method.planner.check.*``), not
computed here: they are what the model gives on the shipped sample through the calls
``tests/integration/test_planner_history.py`` makes (which holds 2022, 2023 and
districts 3 and 6 within its tolerances). ``tests/unit/test_info_pages.py`` recomputes
every figure the text quotes and checks it against that test's expectations, so the
text cannot drift from the model silently.

One clientside callback and no data access beyond the store's city configs and release
info. The callback scrolls to the address's ``#anchor`` once the page is drawn: Dash
draws the page after the document has loaded, when the browser's own jump to the anchor
has already found nothing (checked: without the callback ``/methodology#planner`` opens
at the top), and a ``dcc.Link`` from another page (the district page's "How the planner
works") changes the address without any jump at all.
No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping

from dash import Input, Output, clientside_callback, dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.explainer import all_program_definitions
from dashboard.components.links import page_href
from dashboard.contract.cities import City
from dashboard.contract.releases import ReleaseInfo
from dashboard.contract.schema import Outcome
from dashboard.figures import program_label
from dashboard.i18n import fmt_int, t
from dashboard.logsafe import log_exception
from dashboard.pages import current_settings, current_store, register_page
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)



#: The validation figures of the planner (``method.planner.check.<key>``), in page order.
PLANNER_CHECKS: tuple[str, ...] = (
    "city_2021", "city_2022", "city_2023", "district3_2023", "district6_2023", "city_2024", "city_2025",
)
PLANNER_INPUTS: tuple[str, ...] = ("demand", "minutes", "screened", "area")
PLANNER_ASSUMPTIONS: tuple[str, ...] = ("random", "weeks", "same", "hour", "dst")

register_page(__name__, key="method", order=2, path="/methodology")


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
        ids.METHOD_OUTCOMES,
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
    if "denver" in cities:  # the example names Denver's airport district
        body += _paragraphs("method.rates.airport", lang=lang)
    body += _paragraphs("method.rates.council", lang=lang)
    return _section(t("method.rates.heading", lang), body, ids.METHOD_RATES)


def _coverage(k: int, lang: str) -> html.Section:
    return _section(
        t("method.coverage.heading", lang),
        _paragraphs("method.coverage.body", "method.coverage.years", "method.coverage.hidden",
                    "method.coverage.out_of_hours", lang=lang, k_minus=k - 1),
        ids.METHOD_COVERAGE,
    )


def _council(cities: Mapping[str, City], k: int, lang: str) -> html.Section:
    body = _paragraphs("method.council.body", "method.council.table", "method.council.hidden",
                       "method.council.bands", lang=lang, k_minus=k - 1)
    if "denver" in cities:  # the boundary vintage is Denver's (geo/denver/SOURCE.md)
        body += _paragraphs("method.council.boundaries", lang=lang)
    return _section(t("method.council.heading", lang), body, ids.METHOD_COUNCIL)


def _planner(k: int, lang: str) -> html.Section:
    values = {"k_minus": k - 1, "half": f"{(k - 1) / 2:g}"}

    def sub(key: str) -> html.H3:
        return html.H3(t(f"method.planner.h.{key}", lang), className="h6 fw-semibold mt-3")

    def items(prefix: str, keys: tuple[str, ...]) -> html.Ul:
        return html.Ul([html.Li(t(f"{prefix}.{key}", lang)) for key in keys])

    return _section(
        t("method.planner.heading", lang),
        [
            *_paragraphs("method.planner.body", lang=lang),
            sub("how"),
            *_paragraphs("method.planner.steps", "method.planner.erlang", "method.planner.sum",
                         "method.planner.loss", lang=lang),
            sub("inputs"),
            html.P(t("method.planner.inputs", lang), className="mb-1"),
            items("method.planner.input", PLANNER_INPUTS),
            *_paragraphs("method.planner.imputed", "method.planner.districts", lang=lang, **values),
            sub("limits"),
            html.P(t("method.planner.assumptions", lang), className="mb-1"),
            items("method.planner.assume", PLANNER_ASSUMPTIONS),
            *_paragraphs("method.planner.ignores", lang=lang),
            sub("check"),
            html.P(t("method.planner.check", lang), className="mb-1"),
            items("method.planner.check", PLANNER_CHECKS),
            *_paragraphs("method.planner.check.low", "method.planner.check.pilot",
                         "method.planner.check.synthetic", lang=lang),
            sub("time"),
            *_paragraphs("method.planner.time", lang=lang),
        ],
        ids.METHOD_PLANNER,
    )


def _privacy(k: int, lang: str) -> html.Section:
    rules = ["method.privacy.time", "method.privacy.minutes", "method.privacy.place", "method.privacy.rows",
             "method.privacy.cubes"]
    return _section(
        t("method.privacy.heading", lang),
        [
            *_paragraphs("method.privacy.body", lang=lang),
            html.Ul([html.Li(t(key, lang, k=k, k_minus=k - 1)) for key in rules]),
            *_paragraphs("method.privacy.k", lang=lang, k=k),
        ],
        ids.METHOD_PRIVACY,
    )


def _attacker(k: int, lang: str) -> html.Section:
    """What someone who has read the code and downloaded everything can and cannot learn.

    The figures about the rows before December 2026 are the outside review's, measured on
    the release that was withdrawn; they are text, not computed, because that release is
    no longer published.
    """
    values = {"k": k, "k_minus": k - 1}

    def items(*keys: str) -> html.Ul:
        return html.Ul([html.Li(t(key, lang, **values)) for key in keys])

    return _section(
        t("method.attacker.heading", lang),
        [
            *_paragraphs("method.attacker.model", lang=lang, **values),
            html.H3(t("method.attacker.can.heading", lang), className="h6"),
            items("method.attacker.can.class", "method.attacker.can.big"),
            html.H3(t("method.attacker.cannot.heading", lang), className="h6"),
            items("method.attacker.cannot.minutes", "method.attacker.cannot.finer",
                  "method.attacker.cannot.hidden"),
            html.H3(t("method.attacker.limits.heading", lang), className="h6"),
            *_paragraphs("method.attacker.limits.body", lang=lang, **values),
            *_paragraphs("method.attacker.limits.open", lang=lang, **values),
            html.H3(t("method.attacker.rows.heading", lang), className="h6"),
            *_paragraphs("method.attacker.rows.body", lang=lang, **values),
        ],
        ids.METHOD_ATTACKER,
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
    lang = query_language(query)
    try:
        return _page(lang)
    except Exception:  # a broken release or a bug must still give a page, not a 500
        log_exception(log, "methodology layout failed")
        return html.Div(
            [html.H1(t("method.heading", lang), className="h3"),
             notice([t("notice.error", lang)], color="danger")],
            className="container-xxl py-3",
        )


def _page(lang: str) -> html.Div:
    store = current_store()
    cities = {c: city.localized(lang) for c, city in store.cities.items()}  # the cities' own words too
    releases = {c: (city, store.release_info(c)) for c, city in cities.items()}
    k = current_settings().privacy_k
    sections = [
        _section(t("explain.programs", lang), [all_program_definitions(lang)], "programs"),
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
        _coverage(k, lang),
        _council(cities, k, lang),
        _planner(k, lang),
        _section(t("method.impact.heading", lang),
                 _paragraphs("method.impact.body", "method.impact.model", "method.impact.checks",
                             "method.impact.limits", "method.impact.officer", "method.impact.repeat",
                             lang=lang), ids.METHOD_IMPACT),
        _privacy(k, lang),
        _attacker(k, lang),
        _synthetic(releases, lang),
    ]
    return html.Div(
        html.Div(
            [
                html.Header(
                    [
                        html.H1(t("method.heading", lang), id=ids.METHOD_HEADING, className="h3 mb-1"),
                        html.P(t("method.lead", lang), className="lead mb-0"),
                    ],
                    className="page-header mb-3",
                ),
                *sections,
                html.P(dcc.Link(t("method.data_link", lang), href=page_href("/data", lang)),
                       className="small link-row"),
                dcc.Store(id=ids.METHOD_SCROLL, data=True),
            ],
            className="info-page__column",
        ),
        className="container-xxl py-3 info-page",
    )


# Scroll to ``#anchor`` once the page is drawn (see the module doc). The next frame, so
# the sections are in the document; ``no_update`` leaves the store as it is.
clientside_callback(
    """
    function (_) {
        var hash = window.location.hash ? decodeURIComponent(window.location.hash.slice(1)) : "";
        if (hash) {
            window.requestAnimationFrame(function () {
                var target = document.getElementById(hash);
                if (target) { target.scrollIntoView(); }
            });
        }
        return window.dash_clientside.no_update;
    }
    """,
    Output(ids.METHOD_SCROLL, "data"),
    Input(ids.METHOD_SCROLL, "data"),
)
