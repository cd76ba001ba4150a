"""The Outcomes page's component tree, drawn from its view model (``views.outcomes.Outcomes``).

``page`` is the whole page: the controls (folded behind a button on a phone), the
statement of which calls are compared and why an outcome share is not a verdict, the
outcome bars, the backup and repeat-contact table, the flow from category to outcome,
and the "rows behind this view" link.
"""

from __future__ import annotations

from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import chart_card, data_table
from dashboard.components.collapse import collapsible_panel
from dashboard.components.downloads import download_link, rows_href
from dashboard.components.explainer import what_is_this
from dashboard.components.filter_bar import city_options, month_options, select_field
from dashboard.components.page import release_stamp
from dashboard.components.release import release_line, release_notice, synthetic_banner
from dashboard.engine.store import Store
from dashboard.figures import period_label
from dashboard.i18n import t
from dashboard.queries.outcomes import COMPARISONS
from dashboard.views.outcomes import ALL_DISTRICTS, Outcomes, district_options
from dashboard.views.parts import Table, has_district_choice


def _table(model: Table, *, numeric_from: int = 1) -> html.Div:
    return data_table(model.caption, model.headers, model.rows, numeric_from=numeric_from)


def _controls(model: Outcomes, store: Store) -> html.Div:
    """City, period, district and comparison, folded behind a button on a phone."""
    city, f, lang = model.city, model.view.filters, model.view.lang
    catalog = store.catalogs()[city.id]
    months = month_options(catalog, lang)
    districts, chosen = district_options(store, city, f, lang)
    alt = model.alternative
    fields = [
        select_field(ids.OUTCOMES_CITY, t("filters.city", lang), city_options(store.cities), city.id),
        select_field(ids.OUTCOMES_START, t("filters.start", lang), months, f.start.isoformat()),
        select_field(ids.OUTCOMES_END, t("filters.end", lang), months, f.end.isoformat()),
    ]
    if has_district_choice(catalog):
        fields.append(
            select_field(
                ids.OUTCOMES_DISTRICT, t("outcomes.district", lang, label=city.geo.district_label), districts,
                chosen,
            )
        )
    else:  # keep the callback's input present; nothing to choose
        fields.append(html.Div(dcc.Input(id=ids.OUTCOMES_DISTRICT, type="hidden", value=ALL_DISTRICTS),
                               hidden=True))
    summary = " · ".join([city.name, period_label(f.start, f.end, lang)])
    return collapsible_panel(
        ids.OUTCOMES_CONTROLS,
        title=t("outcomes.controls", lang),
        summary=summary,
        class_name="outcomes-controls card card-body mb-3",
        body=[
            html.Div(fields, className="outcomes-controls__fields"),
            html.Fieldset(
                [
                    html.Legend(
                        t("outcomes.compare.label", lang), className="form-label fw-semibold fs-6 mb-1"
                    ),
                    dbc.RadioItems(
                        id=ids.OUTCOMES_COMPARE,
                        name=ids.OUTCOMES_COMPARE,  # one radio group: arrow keys move the choice
                        options=[
                            {"label": t(f"outcomes.compare.{c}", lang, program=alt), "value": c}
                            for c in COMPARISONS
                        ],
                        value=model.compare_choice,
                    ),
                ],
                className="filter-field mt-2 mb-0",
            ),
        ],
    )


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


def _notice(errors: Sequence[str], advice: Sequence[str], lang: str) -> html.Div | None:
    """The link's problems and the comparison's fallback; none when there are none."""
    if errors:
        return notice([*errors, *advice], heading=t("notice.link_problems", lang))
    return notice(list(advice))


def page(model: Outcomes, errors: Sequence[str], store: Store) -> html.Div:
    """The page for one view; ``errors`` are what the address held that could not be used."""
    view, city, k, alt = model.view, model.city, model.k, model.alternative
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
            _controls(model, store),
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
        ],
        className="container-xxl py-3 outcomes-page",
    )
