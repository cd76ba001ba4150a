"""The planner's bars: what becomes of the eligible calls under each scenario.

``planner_figure`` draws one stacked horizontal bar per scenario (observed, the
schedule in force, the reader's plan), 100 % of the eligible calls split into those
answered and those lost for each reason, every part with its own colour *and* fill
pattern (bar traces only: plotly.js's basic bundle). ``planner_parts`` gives the shares
as drawn. Kept apart from the coverage heatmap (``coverage``): the two figures share
the District page, not their code.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import unlabel_rgb

from dashboard.contract.schema import ResponseType
from dashboard.figures.base import (
    NO_VALUE_COLOR,
    PROGRAM_COLORS,
    TEXT_DARK,
    TEXT_LIGHT,
    base_layout,
    empty_figure,
    make_figure,
)
from dashboard.i18n import fmt_pct, t

#: Parts of a planner bar, in drawing order: (column, colour, fill pattern).
#: Answered first, solid and in the team's colour; every lost reason hatched (Okabe-Ito).
PLANNER_SEGMENTS: tuple[tuple[str, str, str], ...] = (
    ("answered", PROGRAM_COLORS[ResponseType.STAR], ""),
    ("no_team", "#D55E00", "x"),
    ("out_of_hours", "#E69F00", "/"),
    ("outside_area", "#56B4E9", "."),
    ("screened", "#CC79A7", "\\"),
    ("unknown", NO_VALUE_COLOR, "-"),
)
PLANNER_PARTS: tuple[str, ...] = tuple(column for column, _, _ in PLANNER_SEGMENTS[:-1])
_PLANNER_BAR_PX = 30
_PLANNER_LINE_PX = 18  # a line of a scenario's name, above its bar
_PLANNER_GAP_PX = 14
_SHARE_TICKS = (0.0, 0.25, 0.5, 0.75, 1.0)
_PLANNER_CHROME_PX = 130  # axis, its title and a legend wrapped over three lines on a phone
_MIN_REMAINDER = 0.005  # a row's unknown part smaller than this is rounding, not drawn
_LABEL_WRAP = 44  # characters per line of a scenario's name (fits a phone at 13 px)


def _relative_luminance(rgb: str) -> float:
    def channel(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in unlabel_rgb(rgb))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def text_color_on(fill: str) -> str:
    """Dark or white text, whichever contrasts more with ``fill`` (WCAG contrast ratio)."""
    if fill.startswith("#"):
        fill = "rgb({},{},{})".format(*(int(fill[i : i + 2], 16) for i in (1, 3, 5)))
    lum = _relative_luminance(fill)
    dark = _relative_luminance("rgb(33,37,41)")
    on_dark = (lum + 0.05) / (dark + 0.05)
    on_white = 1.05 / (lum + 0.05)
    return TEXT_DARK if on_dark >= on_white else TEXT_LIGHT


def _wrap(label: str, width: int = _LABEL_WRAP) -> str:
    """Break a long scenario name into lines of about ``width`` characters (``<br>``)."""
    lines: list[str] = []
    for word in str(label).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def planner_parts(rows: pd.DataFrame) -> pd.DataFrame:
    """The share of each part per row, as drawn: ``PLANNER_SEGMENTS`` columns, NaN where unknown.

    ``unknown`` is what the known parts leave of 100 % when the row does not break all
    of it down (e.g. the observed row knows what was answered, not every reason the rest
    was not); it is NaN when that remainder is under half a percent.
    """
    if "label" not in rows.columns:
        raise ValueError("rows: missing column label")
    parts = pd.DataFrame(index=rows.index)
    for column in PLANNER_PARTS:
        values = rows[column] if column in rows.columns else pd.Series(math.nan, index=rows.index)
        values = pd.to_numeric(values, errors="coerce").astype(float)
        if ((values < 0) | (values > 1 + 1e-9)).any():
            raise ValueError(f"rows: {column} must be a share from 0 to 1")
        parts[column] = values
    remainder = 1.0 - parts.sum(axis=1, skipna=True)
    parts["unknown"] = remainder.where(remainder >= _MIN_REMAINDER)
    return parts


def planner_figure(rows: pd.DataFrame, *, lang: str, height: int | None = None) -> go.Figure:
    """What becomes of the eligible calls under each scenario: one stacked bar per row.

    ``rows`` has a ``label`` column (the scenario's name, e.g. "Observed", "Model: schedule
    in force", "Model: your plan") and shares of the eligible calls (0-1) in the columns
    ``PLANNER_PARTS``: answered, no_team, out_of_hours, outside_area, screened. A missing
    column or NaN means the row does not know that part; whatever the known parts leave of
    100 % is drawn as "reason not known" (``planner_parts``). Rows are drawn top to bottom
    in order.

    One bar trace per part, in ``PLANNER_SEGMENTS`` order (answered first, solid, in the
    team's colour; every lost reason in its own Okabe-Ito colour and hatch), stacked from
    0 to 100 %; a part no row knows gets no trace. Each segment prints its percentage when
    it fits (``uniformtext`` hides what does not). A scenario's name is written above its
    bar across the chart's full width (not as a y-axis label, which would take a third of
    a phone's width); the legend sits at the bottom and wraps on a phone. ``height``
    defaults to a fixed height per row plus room for the axis and legend.
    """
    if rows.empty:
        return empty_figure(t("figure.planner.no_rows", lang), lang=lang, height=height or 200)
    parts = planner_parts(rows)
    n = len(rows)
    labels = [str(label) for label in rows["label"]]
    wrapped = [_wrap(label) for label in labels]
    label_lines = max(text.count("<br>") + 1 for text in wrapped)
    row_px = _PLANNER_BAR_PX + label_lines * _PLANNER_LINE_PX + _PLANNER_GAP_PX
    height = _PLANNER_CHROME_PX + row_px * n if height is None else height
    # y: row i's band is i-0.5..i+0.5 (reversed axis: row 0 on top); the bar sits in the
    # band's lower part and its name above it.
    width = _PLANNER_BAR_PX / row_px
    offset = label_lines * _PLANNER_LINE_PX / (2 * row_px)
    centres = [i + offset for i in range(n)]
    traces = []
    for column, color, shape in PLANNER_SEGMENTS:
        values = parts[column].to_numpy(dtype=float)
        if np.isnan(values).all():
            continue
        name = t(f"figure.planner.part.{column}", lang)
        shown = [None if np.isnan(v) else float(v) for v in values]
        traces.append(
            dict(
                type="bar",
                orientation="h",
                name=name,
                y=centres,
                x=shown,
                width=width,
                text=["" if v is None or v < 0.01 else fmt_pct(v, lang) for v in shown],
                textposition="inside",
                insidetextanchor="middle",
                textangle=0,
                textfont={"color": text_color_on(color), "size": 12},
                hovertext=[
                    "" if v is None else t("figure.planner.hover", lang, scenario=label, part=name,
                                           share=fmt_pct(v, lang, 1))
                    for v, label in zip(shown, labels, strict=True)
                ],
                hoverinfo="text",
                marker={
                    "color": color,
                    "line": {"color": "#ffffff", "width": 1},
                    "pattern": {"shape": shape, "fgcolor": "#ffffff", "fgopacity": 0.55, "size": 7,
                                "solidity": 0.2},
                },
            )
        )
    annotations = [
        {
            "text": f"<b>{text}</b>",
            "xref": "paper",
            "yref": "y",
            "x": 0,
            "y": centre - width / 2,
            "xanchor": "left",
            "yanchor": "bottom",
            "align": "left",
            "showarrow": False,
            "yshift": 1,
            "font": {"size": 13},
        }
        for text, centre in zip(wrapped, centres, strict=True)
    ]
    layout = base_layout(height, lang)
    layout.update(
        barmode="stack",
        hovermode="closest",
        margin={"l": 14, "r": 22, "t": 4, "b": 4},
        uniformtext={"mode": "hide", "minsize": 11},
        annotations=annotations,
        xaxis={
            "range": [0, 1],
            "tickvals": list(_SHARE_TICKS),
            "ticktext": [fmt_pct(v, lang) for v in _SHARE_TICKS],  # "25 %" in Spanish (plotly: "25%")
            "showgrid": True,
            "gridcolor": "#dee2e6",
            "zeroline": False,
            "fixedrange": True,
            "title": {"text": t("figure.planner.axis", lang), "font": {"size": 12}, "standoff": 6},
            "automargin": True,
        },
        yaxis={"visible": False, "range": [n - 0.5, -0.5], "fixedrange": True},
        legend={
            "orientation": "h",
            "xref": "container",
            "yref": "container",
            "x": 0,
            "xanchor": "left",
            "y": 0,
            "yanchor": "bottom",
            "traceorder": "normal",
            "font": {"size": 12},
        },
    )
    return make_figure(traces, layout)
