"""A plain "page not found" for unknown paths, with a way back (Dash's default is a bare H1).

Registered under the module name Dash looks for (``..._404``) so its router uses it.
"""

import dash
from dash import dcc, html

from dashboard.i18n import t


def layout(**_query: object) -> html.Div:
    """Any query is ignored: there is nothing here to filter."""
    return html.Div(
        [
            html.H1(t("not_found.heading"), className="h3"),
            html.P(t("not_found.body")),
            dcc.Link(t("not_found.link"), href="/", className="btn btn-primary"),
        ],
        className="container-xxl py-4",
    )


dash.register_page(
    "dashboard.pages.not_found_404",
    order=9,
    path="/404",
    name=t("not_found.heading"),
    title=t("not_found.title"),
    layout=layout,
)
