"""A chart card with a "Show as table" toggle that reveals the same numbers as a table.

Charts are pictures to a screen reader and hard to read exactly on a phone; the table
under each chart holds the numbers the chart draws, in a real ``<table>`` with a
caption and header cells. The toggle is a native ``<details>``/``<summary>``: it is
keyboard-operable and announced as expanded/collapsed with no script at all.

For assistive technology a chart is a named ``role="figure"`` box (``CHART_ROLE``): its
name is one sentence saying what the chart shows, and plotly's SVG drawing inside it is
hidden (``aria-hidden``, set by ``assets/a11y.js``) because that sentence and the table
hold the same information. Not ``role="img"``: an image's content is presentational,
but plotly's mode bar holds a real button (the camera, "download as PNG"), which would
then be a focusable control nobody can name (axe's ``nested-interactive`` rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dash import Patch, dcc, html

from dashboard.figures import PatchOperations
from dashboard.i18n import DEFAULT_LANGUAGE, t

#: The role of the box around every plotly graph (see the module doc).
CHART_ROLE = "figure"

#: Plotly options shared by every chart: a mode bar with one button only, "download as
#: PNG" at twice the screen's resolution (sharp in print and slides), no plotly logo
#: (zoom, pan and the rest crowd phones and the charts are fixed anyway), shown while
#: the pointer is on the chart or after a tap (always shown, it covered the trend's
#: top-right points on a phone), responsive width, no scroll-zoom that would trap the
#: page scroll.
GRAPH_CONFIG: dict = {
    "displayModeBar": "hover",
    "modeBarButtons": [["toImage"]],
    "displaylogo": False,
    "toImageButtonOptions": {"format": "png", "filename": "chart", "scale": 2},
    "responsive": True,
    "scrollZoom": False,
}


def graph_config(png_name: str | None = None, lang: str = DEFAULT_LANGUAGE) -> dict:
    """``GRAPH_CONFIG`` with the PNG download named ``png_name`` (plotly adds ``.png``),
    e.g. ``trend_denver_2024-01-01_2024-12-31_release-...`` like the chart's CSV, and
    plotly's locale for ``lang`` (Spanish month names: ``assets/vendor/plotly-locale-es.js``)."""
    options = dict(GRAPH_CONFIG["toImageButtonOptions"])
    if png_name:
        options["filename"] = png_name
    locale = {} if lang == DEFAULT_LANGUAGE else {"locale": lang}
    return {**GRAPH_CONFIG, "toImageButtonOptions": options, **locale}


def data_table(
    caption: str,
    headers: Sequence[str],
    rows: Sequence[Sequence[object]],
    *,
    numeric_from: int = 1,
) -> html.Div:
    """An accessible table; the first cell of each row is its row header.

    Cells are text or components (a row header may be a link: the map table links each
    district to its page).

    Columns from ``numeric_from`` on are right-aligned (numbers line up by digit).
    The wrapper scrolls sideways on its own, so a wide table never makes the page
    scroll horizontally on a phone.
    """
    head = html.Thead(
        html.Tr(
            [
                html.Th(h, scope="col", className="text-end" if i >= numeric_from else None)
                for i, h in enumerate(headers)
            ]
        )
    )
    body = html.Tbody(
        [
            html.Tr(
                [
                    html.Th(cell, scope="row")
                    if i == 0
                    else html.Td(cell, className="text-end" if i >= numeric_from else None)
                    for i, cell in enumerate(row)
                ]
            )
            for row in rows
        ]
    )
    return html.Div(
        html.Table(
            [html.Caption(caption), head, body],
            className="table table-sm table-striped mb-0 data-table",
        ),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-label": caption},
    )


def table_toggle(table_id: str, table: html.Div | None, lang: str) -> html.Details:
    """The "Show as table" disclosure; its content (``table_id``) is replaced by callbacks."""
    return html.Details(
        [
            html.Summary(
                [
                    html.Span(t("chart.show_table", lang), className="when-closed"),
                    html.Span(t("chart.hide_table", lang), className="when-open"),
                ],
                className="btn btn-outline-secondary btn-sm table-toggle",
            ),
            html.Div(table, id=table_id, className="mt-2"),
        ],
        className="chart-table-toggle mt-2",
    )


def chart_card(
    *,
    heading: str,
    graph_id: str,
    figure: object,
    table_id: str,
    table: html.Div | None,
    graph_label: str,
    lang: str,
    section_id: str | None = None,
    before_graph: Sequence = (),
    after_graph: Sequence = (),
    graph_wrap_id: str | None = None,
    graph_hidden: bool = False,
    graph_class: str = "",
    download: html.A | None = None,
    png_name: str | None = None,
) -> html.Section:
    """A titled card: optional controls, the graph, notes, then the table toggle.

    ``graph_label`` is read instead of the drawing (``CHART_ROLE``): one sentence saying
    what the chart shows and that the table below holds its numbers. ``download`` is the
    "data behind this chart" link (``components.downloads``); ``png_name`` names the
    picture the mode bar's camera button saves (``graph_config``).
    """
    wrap_kwargs = {"id": graph_wrap_id} if graph_wrap_id else {}
    section_kwargs = {"id": section_id} if section_id else {}
    return html.Section(
        html.Div(
            [
                html.H2(heading, className="h5 card-title"),
                *before_graph,
                html.Div(
                    dcc.Graph(
                        id=graph_id,
                        figure=figure,
                        config=graph_config(png_name, lang),
                        responsive=True,
                        className=f"chart {graph_class}".strip(),
                    ),
                    role=CHART_ROLE,
                    hidden=graph_hidden,
                    **{"aria-label": graph_label},
                    **wrap_kwargs,
                ),
                *after_graph,
                html.Div(download, className="chart-actions mt-2") if download is not None else None,
                table_toggle(table_id, table, lang),
            ],
            className="card-body",
        ),
        className="card chart-card mb-3",
        **section_kwargs,
    )


def figure_patch(operations: PatchOperations) -> Patch:
    """A figure module's patch (``MapDrawing.patch``: path, value pairs) as a ``dash.Patch``,
    which sends only those values to the browser. Knows nothing of any figure's layout."""
    patch = Patch()
    for path, value in operations:
        target: Any = patch
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return patch
