"""The Outcomes page's component tree, drawn from its view model (``views.outcomes.Outcomes``).

``page`` is the whole page: the controls (folded behind a button on a phone), the
statement of which calls are compared and why an outcome share is not a verdict, the
outcome bars, the backup and repeat-contact table, outcomes by day and at night, the
flow from category to outcome, and the "rows behind this view" link.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table
from dashboard.components.downloads import download_link, rows_href
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import OUTCOMES_BAR, filter_bar
from dashboard.components.page import release_stamp
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.engine.store import Store
from dashboard.i18n import t
from dashboard.queries.outcomes import COMPARISONS
from dashboard.views.outcomes import Outcomes
from dashboard.views.parts import Table


def _table(model: Table, *, numeric_from: int = 1) -> html.Div:
    return data_table(model.caption, model.headers, model.rows, numeric_from=numeric_from)


def _controls(model: Outcomes, store: Store) -> html.Div:
    """The Overview's filter bar (folded behind a button on a phone), with the comparison."""
    f, lang = model.view.filters, model.view.lang
    compare = html.Fieldset(
        [
            html.Legend(t("outcomes.compare.label", lang), className="form-label fw-semibold fs-6 mb-1"),
            dbc.RadioItems(
                id=ids.OUTCOMES_COMPARE,
                name=ids.OUTCOMES_COMPARE,  # one radio group: arrow keys move the choice
                options=[
                    {"label": t(f"outcomes.compare.{c}", lang, program=model.alternative), "value": c}
                    for c in COMPARISONS
                ],
                value=model.compare_choice,
            ),
        ],
        className="filter-field mb-0",
    )
    return filter_bar(cities=store.cities, catalog=store.catalogs()[f.city], filters=f, lang=lang,
                      bar=OUTCOMES_BAR, extra=[compare])


def _downloads(model: Outcomes) -> html.Section:
    lang = model.view.lang
    return html.Section(
        html.Div(
            [
                html.H2(t("download.heading", lang), className="h5 card-title"),
                html.P(t("download.note", lang, release_id=model.info.release_id), className="small mb-1"),
                html.P(model.download_note, className="small mb-2"),
                download_link(ids.OUTCOMES_DOWNLOAD_ROWS, rows_href(model.rows_filters),
                              t("download.rows", lang), primary=True),
            ],
            className="card-body",
        ),
        className="card mb-3",
    )


def _period_section(model: Outcomes) -> html.Section:
    """Outcomes by day and at night: its own scope (whole city, whole years), a sentence,
    the table and the cube it is counted from."""
    periods, lang = model.periods, model.view.lang
    table = [] if periods.table is None else [
        html.Div(_table(periods.table, numeric_from=2), id=ids.OUTCOMES_PERIOD_TABLE),
        html.P(t("outcomes.period.note", lang), className="map-note small mt-2 mb-1"),
    ]
    return html.Section(
        html.Div(
            [
                html.H2(t("outcomes.period.heading", lang), className="h5 card-title"),
                html.P([periods.scope, *([" ", periods.coarser] if periods.coarser else [])],
                       className="small"),
                html.P(periods.summary, id=ids.OUTCOMES_PERIOD_SUMMARY, className="key-figure"),
                *table,
                download_link(ids.OUTCOMES_PERIOD_DOWNLOAD, dash.get_relative_path(periods.file_path),
                              t("outcomes.period.download", lang)),
            ],
            className="card-body",
        ),
        className="card mb-3",
        id=ids.OUTCOMES_PERIOD_SECTION,
    )


def _notice(errors: Sequence[str], advice: Sequence[str], lang: str) -> html.Div | None:
    """The link's problems and the comparison's fallback; none when there are none."""
    if errors:
        return notice([*errors, *advice], heading=t("notice.link_problems", lang))
    return notice(list(advice))


def page(model: Outcomes, errors: Sequence[str], store: Store) -> html.Div:
    """The page for one view; ``errors`` are what the address held that could not be used."""
    view, city = model.view, model.city
    lang = view.lang
    caveat = html.Div(
        [
            html.P(html.Strong(model.scope_text), id=ids.OUTCOMES_SCOPE, className="mb-1"),
            html.P(model.caveat, className="mb-0"),
        ],
        id=ids.OUTCOMES_CAVEAT,
        className="comparison-note outcomes-caveat small mb-3",
        role="note",
    )
    return html.Div(
        [
            dcc.Location(id=ids.OUTCOMES_NAV, refresh="callback-nav"),
            dcc.Store(id=ids.OUTCOMES_STATE, data={"lang": lang}),
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(view.filters.city), city.name, lang),
            synthetic_banner(model.info, city.name, lang),
            html.Header(
                [
                    html.H1(t("outcomes.heading", lang, city=city.name), id=ids.OUTCOMES_HEADING,
                            className="h3 mb-1"),
                    html.P(model.headline, id=ids.OUTCOMES_HEADLINE, className="lead mb-1"),
                ],
                className="page-header mb-3",
            ),
            _notice(errors, model.advice, lang),
            what_is_this(city, lang, ("eligible", "outcome", "backup", "repeat"), page="outcomes"),
            html.Div(
                [
                    html.Aside(_controls(model, store), className="col-lg-3 mb-3",
                               **{"aria-label": t("filters.heading", lang)}),
                    html.Div(_body(model, caveat), className="col-lg-9"),
                ],
                className="row",
            ),
        ],
        className="container-xxl py-3 outcomes-page",
    )


def _body(model: Outcomes, caveat: html.Div) -> list:
    """Everything right of the filters: the comparison's statement, the charts, downloads."""
    lang, k, alt = model.view.lang, model.k, model.alternative
    return [
        caveat,
        chart_card(
            heading=t("outcomes.bars.heading", lang),
            graph_id=ids.OUTCOMES_BARS_GRAPH,
            figure=model.bars_figure,
            table_id=ids.OUTCOMES_BARS_TABLE,
            table=_table(model.bars_table),
            graph_label=model.bars_summary,
            lang=lang,
            section_id=ids.OUTCOMES_BARS_SECTION,
            # The box's height follows the number of bars (assets/app.css).
            graph_class=f"chart--outcomes chart--rows-{model.bar_count}",
            before_graph=[html.P(model.bars_summary, id=ids.OUTCOMES_BARS_SUMMARY, className="small")],
        ),
        html.Section(
            html.Div(
                [
                    html.H2(t("outcomes.flags.heading", lang), className="h5 card-title"),
                    html.P(t("outcomes.flags.lead", lang), className="small"),
                    html.Div(_table(model.flags_table), id=ids.OUTCOMES_FLAGS_TABLE),
                    html.P(
                        t("outcomes.flags.note", lang, program=alt), className="map-note small mt-2 mb-0"
                    ),
                ],
                className="card-body",
            ),
            className="card mb-3",
            id=ids.OUTCOMES_FLAGS,
        ),
        _period_section(model),
        chart_card(
            heading=t("outcomes.flow.heading", lang),
            graph_id=ids.OUTCOMES_FLOW_GRAPH,
            figure=model.flow_figure,
            table_id=ids.OUTCOMES_FLOW_TABLE,
            table=_table(model.flow_table, numeric_from=3),
            graph_label=model.flow_summary,
            lang=lang,
            section_id=ids.OUTCOMES_FLOW_SECTION,
            graph_class="chart--flow",
            before_graph=[html.P(model.flow_summary, id=ids.OUTCOMES_FLOW_SUMMARY, className="small")],
            after_graph=[html.P(t("outcomes.flow.note", lang, k=k), className="map-note small")],
        ),
        _downloads(model),
        html.P(release_line(model.info, lang), id=ids.OUTCOMES_RELEASE, className="release-line small"),
    ]
