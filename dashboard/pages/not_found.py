"""A plain "page not found" for unknown paths, with a way back (Dash's default is a bare H1).

Registered under the module name Dash looks for (``..._404``) so its router uses it.
"""

import dash
from dash import dcc, html

from dashboard.components.links import page_href
from dashboard.i18n import t
from dashboard.pages import request_language
from dashboard.views.prelude import query_language


def layout(**query: object) -> html.Div:
    """Only the language is read from the query: there is nothing here to filter."""
    lang = query_language(query)
    return html.Div(
        [
            html.H1(t("not_found.heading", lang), className="h3"),
            html.P(t("not_found.body", lang)),
            dcc.Link(t("not_found.link", lang), href=page_href("/", lang), className="btn btn-primary"),
        ],
        className="container-xxl py-4",
    )


dash.register_page(
    "dashboard.pages.not_found_404",
    order=9,
    path="/404",
    name=t("not_found.heading"),
    title=lambda **_: t("not_found.title", request_language()),
    description=lambda **_: t("not_found.body", request_language()),
    layout=layout,
)
