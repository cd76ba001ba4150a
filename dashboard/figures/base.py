"""Shared parts of every figure: program colours and names, fonts, the base layout.

Colours are fixed per program (Okabe-Ito palette, distinguishable with the common
colour-vision deficiencies) and every line also has its own dash pattern, so no
information is carried by colour alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pandas as pd
import plotly.graph_objects as go

from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.i18n import t
from dashboard.i18n.column_notes import local_program_name

#: One colour per program, fixed across every chart and city (Okabe-Ito).
PROGRAM_COLORS: dict[ResponseType, str] = {
    ResponseType.STAR: "#009E73",  # bluish green
    ResponseType.CO_RESPONDER: "#0072B2",  # blue
    ResponseType.CIT_OFFICER: "#D55E00",  # vermillion
    ResponseType.PATROL: "#4D4D4D",  # dark grey
}
#: A line pattern per program, so the lines differ in more than colour.
PROGRAM_DASHES: dict[ResponseType, str] = {
    ResponseType.STAR: "solid",
    ResponseType.CO_RESPONDER: "dash",
    ResponseType.CIT_OFFICER: "dot",
    ResponseType.PATROL: "dashdot",
}

#: Fill for an area or cell with no value (no rate for a small population, a hidden cell).
NO_VALUE_COLOR = "rgb(222,226,230)"
TEXT_DARK = "#212529"
TEXT_LIGHT = "#ffffff"
FONT_FAMILY = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'


def program_label(program: ResponseType | str, lang: str, labels: Mapping[str, str] | None = None) -> str:
    """The plain-words name of a program ("STAR team", "Patrol officers"), or the city's
    own name for it (``City.label_map``: Lane County's civilian team is not "STAR")."""
    return local_program_name(ResponseType(program).value, lang, labels)


def category_label(category: CallCategory | str, lang: str) -> str:
    """The plain-words name of a call category ("Welfare check")."""
    return t(f"category.{CallCategory(category).value}", lang)


def month_label(month: date | pd.Timestamp, lang: str) -> str:
    """ "Jan 2024": month names come from the language catalog, not the OS locale."""
    return t("month.short", lang, month=t(f"month.{month.month}", lang), year=month.year)


def period_label(start: date | pd.Timestamp, end: date | pd.Timestamp, lang: str) -> str:
    """ "Jan 2024 to Dec 2024": the period a view covers, as every page words it."""
    return t("overview.period", lang, start=month_label(start, lang), end=month_label(end, lang))


def make_figure(traces: list[dict], layout: dict) -> go.Figure:
    """A go.Figure from plain dicts without plotly's property validation.

    Validation made up most of a filter change's figure time (~25 ms of ~30 ms for the
    monthly chart at 79 months); the unit tests validate every figure once instead
    (``go.Figure(fig.to_dict())`` must construct), so a misspelt property still fails.
    """
    return go.Figure(data=traces, layout=layout, _validate=False)


def base_layout(height: int | None, lang: str) -> dict:
    """Layout shared by every figure: readable font, no drag (page scrolling on phones).

    ``height=None`` leaves the height to the container (the page gives the map a CSS
    aspect ratio so it is not a small drawing in a tall empty box on a phone).
    """
    layout: dict = {} if height is None else {"height": height}
    return layout | {
        "autosize": True,
        "font": {"family": FONT_FAMILY, "size": 13, "color": TEXT_DARK},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "#ffffff",
        "dragmode": False,
        "separators": ".,",  # US separators in both languages (see dashboard.i18n)
        "hoverlabel": {"font": {"family": FONT_FAMILY, "size": 13}},
    }


def empty_figure(message: str, *, lang: str, height: int = 240) -> go.Figure:
    """A figure that says why there is nothing to draw (instead of blank axes)."""
    layout = base_layout(height, lang)
    layout.update(
        xaxis={"visible": False},
        yaxis={"visible": False},
        margin={"l": 8, "r": 8, "t": 8, "b": 8},
        annotations=[
            {
                "text": message,
                "showarrow": False,
                "xref": "paper",
                "yref": "paper",
                "x": 0.5,
                "y": 0.5,
                "font": {"size": 15},
            }
        ],
    )
    return make_figure([], layout)

