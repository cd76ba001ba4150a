"""A panel of controls that folds behind a toggle button on a phone and is always open wider.

Below Bootstrap's ``md`` breakpoint (768 px) a page's filters would push its numbers a
whole screen down, so the panel starts folded behind a labelled button ("Filters" and a
short summary of what is chosen); from ``md`` up the button is hidden and the panel is
always open (``assets/app.css``, ``.collapse-panel``). The button is a native
``<button>`` (Enter and Space work, no key handling of our own) following the WAI-ARIA
disclosure pattern: ``aria-expanded`` says whether the panel is shown, ``aria-controls``
names it. Opening and closing is a Dash clientside callback defined in
``assets/collapse.js`` (served from this origin: the Content-Security-Policy allows
it), so it costs no request to the server; the CSS hides the panel while the button
says ``aria-expanded="false"``.

One clientside callback serves every panel on every page: the button's id is a
pattern-matching id (``{"type": "collapse-toggle", "index": <panel id>}``).
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import MATCH, ClientsideFunction, Input, Output, State, clientside_callback, html

from dashboard import ids


def toggle_id(panel_id: str) -> dict[str, str]:
    """The pattern-matching id of ``panel_id``'s toggle button."""
    return {"type": ids.COLLAPSE_TOGGLE, "index": panel_id}


def body_id(panel_id: str) -> str:
    """The id of the part that folds (what the button's ``aria-controls`` names)."""
    return f"{panel_id}-body"


def collapsible_panel(
    panel_id: str,
    *,
    title: str,
    summary: object,
    body: Sequence,
    summary_id: str | None = None,
    heading_level: int = 2,
    title_visible: bool = True,
    class_name: str = "",
) -> html.Div:
    """``title`` as a heading (from ``md`` up), a toggle button (below ``md``), and ``body``.

    ``summary`` is shown on the button after the title (what is chosen, in a few words);
    give ``summary_id`` when a callback rewrites it. The heading stays in the page for
    screen readers at every width (visually hidden on a phone, where the button shows
    the same word); with ``title_visible=False`` it is visually hidden at every width.
    """
    heading = getattr(html, f"H{heading_level}")
    summary_kwargs = {"id": summary_id} if summary_id else {}
    return html.Div(
        [
            heading(
                title, className="h5 collapse-panel__title" + ("" if title_visible else " visually-hidden")
            ),
            html.Button(
                [
                    html.Span(title, className="collapse-panel__label"),
                    html.Span(summary, className="collapse-panel__summary", **summary_kwargs),
                ],
                id=toggle_id(panel_id),
                type="button",
                n_clicks=0,
                className="btn collapse-panel__toggle",
                **{"aria-expanded": "false", "aria-controls": body_id(panel_id)},
            ),
            html.Div(list(body), id=body_id(panel_id), className="collapse-panel__body"),
        ],
        id=panel_id,
        className=f"collapse-panel {class_name}".strip(),
    )


clientside_callback(
    ClientsideFunction(namespace="collapse", function_name="toggle"),
    Output({"type": ids.COLLAPSE_TOGGLE, "index": MATCH}, "aria-expanded"),
    Input({"type": ids.COLLAPSE_TOGGLE, "index": MATCH}, "n_clicks"),
    State({"type": ids.COLLAPSE_TOGGLE, "index": MATCH}, "aria-expanded"),
    prevent_initial_call=True,
)
