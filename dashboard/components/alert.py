"""Notices shown in the page instead of a stack trace.

Bad links, empty selections and failed computations all end up here: a visible,
announced message (``role="status"`` for advice, ``role="alert"`` for errors) that
names what was wrong and what the page shows instead.
"""

from __future__ import annotations

from collections.abc import Sequence

from dash import html


def notice(
    messages: Sequence[str],
    *,
    heading: str | None = None,
    color: str = "warning",
) -> html.Div | None:
    """An alert listing ``messages`` (None when there is nothing to say)."""
    if not messages:
        return None
    body: list = []
    if heading:
        body.append(html.P(html.Strong(heading), className="mb-1"))
    if len(messages) == 1:
        body.append(html.P(messages[0], className="mb-0"))
    else:
        body.append(html.Ul([html.Li(m) for m in messages], className="mb-0 ps-3"))
    # A plain Bootstrap alert div: dbc.Alert cannot carry a ``role``.
    return html.Div(
        body,
        className=f"alert alert-{color} notice",
        role="alert" if color == "danger" else "status",
    )
