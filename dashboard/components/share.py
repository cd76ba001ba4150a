"""Copy-link and print buttons for a view whose state is its URL.

Because every view's state lives in the address (docs/architecture.md "State lives in the URL"),
"copy link" copies ``window.location.href`` and nothing else. The buttons are Dash
clientside callbacks defined in ``assets/share.js`` (served from this origin, so the
Content-Security-Policy allows them); the status is announced through a live region.
Where the clipboard is unavailable (plain http on another host, permission refused)
the address appears in a read-only box, selected, with a message to copy it by hand.
"""

from __future__ import annotations

from dash import ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from dashboard import ids
from dashboard.i18n import t


def share_bar(lang: str) -> html.Div:
    """The two buttons, the hidden fallback address box and the status line."""
    return html.Div(
        [
            html.Button(
                t("share.copy", lang),
                id=ids.SHARE_COPY,
                type="button",
                className="btn btn-sm btn-primary",
                n_clicks=0,
            ),
            html.Button(
                t("share.print", lang),
                id=ids.SHARE_PRINT,
                type="button",
                className="btn btn-sm btn-outline-secondary",
                n_clicks=0,
            ),
            html.Span(
                id=ids.SHARE_STATUS, className="small share-status", role="status", **{"aria-live": "polite"}
            ),
            html.Label(t("share.box_label", lang), htmlFor=ids.SHARE_LINK_BOX, className="visually-hidden"),
            html.Div(
                [
                    html.Span(t("share.copied", lang), id=ids.SHARE_COPIED_TEXT),
                    html.Span(t("share.failed", lang), id=ids.SHARE_FAILED_TEXT),
                ],
                hidden=True,
            ),
            _link_box(),
        ],
        className="share-bar d-flex flex-wrap align-items-center gap-2 no-print",
    )


def _link_box() -> dcc.Input:
    return dcc.Input(
        id=ids.SHARE_LINK_BOX,
        type="text",
        readOnly=True,
        className="form-control form-control-sm share-link-box d-none",
    )


clientside_callback(
    ClientsideFunction(namespace="share", function_name="copy"),
    Output(ids.SHARE_STATUS, "children"),
    Input(ids.SHARE_COPY, "n_clicks"),
    State(ids.SHARE_COPIED_TEXT, "children"),
    State(ids.SHARE_FAILED_TEXT, "children"),
    prevent_initial_call=True,
)
clientside_callback(
    ClientsideFunction(namespace="share", function_name="print"),
    Output(ids.SHARE_PRINT, "title"),
    Input(ids.SHARE_PRINT, "n_clicks"),
    prevent_initial_call=True,
)
