"""Download links: "rows behind this view" and, on each chart, "data behind this chart".

They are plain links to the read-only API (``dashboard.api``) carrying the view's own
filters, so the file is exactly what the page shows, streamed by the server, named
after the view and the release, and reachable without JavaScript. The API takes only
the filter parameters (and the map's ``metric``/``level``): a page's other parameters
(``lang``) never reach it, because the API answers unknown names with HTTP 400.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from dashboard.i18n import t
from dashboard.params.filters import Filters
from dashboard.queries.api_params import api_url
from dashboard.queries.export import CHARTS


def rows_href(filters: Filters) -> str:
    """The CSV of the release rows matching ``filters``."""
    return api_url("calls.csv", filters)


def summary_href(filters: Filters) -> str:
    """The JSON of every aggregate the Overview shows for ``filters``."""
    return api_url("summary", filters)


def chart_href(chart: str, filters: Filters, extra: Sequence[tuple[str, str]] = ()) -> str:
    """The CSV of one chart's numbers (``extra``: the map's metric and level)."""
    if chart not in CHARTS:
        raise ValueError(f"unknown chart {chart!r}")
    return api_url(f"charts/{chart}.csv", filters, extra)


def download_link(
    link_id: str, href: str, label: str, *, primary: bool = False, hidden: bool = False
) -> html.A:
    """A button-styled link with ``download``: the browser saves the file the server names."""
    style = "btn-primary" if primary else "btn-outline-secondary"
    return html.A(
        [html.Span("⤓", className="download-icon", **{"aria-hidden": "true"}), " ", label],
        id=link_id,
        href=href,
        download="",
        className=f"btn btn-sm {style} download-link",
        hidden=hidden,
    )


def chart_download(link_id: str, href: str, lang: str, *, hidden: bool = False) -> html.A:
    return download_link(link_id, href, t("download.chart", lang), hidden=hidden)
