"""The Impact page's charts: the event study and the monthly reports behind it.

The event study draws each month's difference between served and other precincts
(relative to the month before the start) as a point with its 95% band, a zero line and
the start marked: points near 0 before the start are what make the comparison
believable, and the reader sees at a glance whether they are. Percent on the y axis, as
the page's sentences say it. The monthly chart shows the raw material: reports per
precinct in the served and the other precincts, each in its own colour and dash.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from dashboard.figures.base import TEXT_DARK, base_layout, empty_figure, make_figure, month_label
from dashboard.i18n import fmt_int, fmt_pct, t

HEIGHT = 360
SERVED_COLOR = "#009E73"  # the alternative team's colour (figures.base, STAR)
OTHER_COLOR = "#4D4D4D"


def _month_axis(months: pd.Series, lang: str) -> dict:
    """A date axis ticked every January and July, in the reader's language (plotly's own
    month names are English only)."""
    ticks = [m for m in pd.to_datetime(months).drop_duplicates().sort_values() if m.month in (1, 7)]
    return {"type": "date", "showgrid": False, "tickvals": [m.isoformat() for m in ticks],
            "ticktext": [month_label(m, lang) for m in ticks]}


def _start_marks(start: pd.Timestamp, label: str) -> tuple[list[dict], list[dict]]:
    x = (start - pd.Timedelta(days=15)).isoformat()
    shapes = [{"type": "line", "xref": "x", "yref": "paper", "x0": x, "x1": x, "y0": 0, "y1": 1,
               "line": {"color": TEXT_DARK, "width": 1, "dash": "dot"}}]
    annotations = [{"x": x, "xref": "x", "y": 1, "yref": "paper", "text": label, "showarrow": False,
                    "xanchor": "left", "yanchor": "bottom", "font": {"size": 12}}]
    return shapes, annotations


def event_study_figure(frame: pd.DataFrame, start: pd.Timestamp, lang: str) -> go.Figure:
    """Points (effect) with 95% error bars per month; the reference month sits at 0."""
    if frame.empty:
        return empty_figure(t("figure.no_data", lang), lang=lang)
    hover = [
        t("impact.figure.event_hover", lang, month=month_label(m, lang), effect=fmt_pct(e, lang, digits=0),
          low=fmt_pct(lo, lang, digits=0), high=fmt_pct(hi, lang, digits=0))
        for m, e, lo, hi in zip(frame["month"], frame["effect"], frame["low"], frame["high"], strict=True)
    ]
    trace = {
        "type": "scatter", "mode": "markers", "x": [m.isoformat() for m in frame["month"]],
        "y": frame["effect"].tolist(), "name": t("impact.figure.event_name", lang),
        "marker": {"color": SERVED_COLOR, "size": 7},
        "error_y": {"type": "data", "symmetric": False, "array": (frame["high"] - frame["effect"]).tolist(),
                    "arrayminus": (frame["effect"] - frame["low"]).tolist(), "color": SERVED_COLOR,
                    "thickness": 1.2, "width": 0},
        "hovertext": hover, "hoverinfo": "text",
    }
    shapes, annotations = _start_marks(start, t("impact.figure.start", lang))
    shapes.append({"type": "line", "xref": "paper", "yref": "y", "x0": 0, "x1": 1, "y0": 0, "y1": 0,
                   "line": {"color": TEXT_DARK, "width": 1}})
    layout = base_layout(HEIGHT, lang) | {
        "margin": {"l": 56, "r": 12, "t": 28, "b": 40},
        "showlegend": False,
        "xaxis": _month_axis(frame["month"], lang),
        "yaxis": {"tickformat": ".0%", "zeroline": False, "gridcolor": "#e9ecef",
                  "title": {"text": t("impact.figure.event_axis", lang)}},
        "shapes": shapes, "annotations": annotations,
    }
    return make_figure([trace], layout)


def monthly_figure(frame: pd.DataFrame, start: pd.Timestamp, lang: str) -> go.Figure:
    """Reports per precinct and month, served precincts and the others."""
    if frame.empty:
        return empty_figure(t("figure.no_data", lang), lang=lang)
    traces = []
    for served, color, dash in ((True, SERVED_COLOR, "solid"), (False, OTHER_COLOR, "dash")):
        part = frame[frame["served"] == served]
        name = t("impact.figure.served" if served else "impact.figure.others", lang,
                 n=int(part["precincts"].max()) if len(part) else 0)
        traces.append({
            "type": "scatter", "mode": "lines", "name": name, "x": [m.isoformat() for m in part["month"]],
            "y": part["mean"].round(2).tolist(), "line": {"color": color, "dash": dash, "width": 2},
            "hovertemplate": "%{y:.1f}<extra>" + name + "</extra>",
        })
    shapes, annotations = _start_marks(start, t("impact.figure.start", lang))
    layout = base_layout(HEIGHT, lang) | {
        "margin": {"l": 56, "r": 12, "t": 28, "b": 40},
        "legend": {"orientation": "h", "x": 0, "y": -0.15, "yanchor": "top"},
        "xaxis": _month_axis(frame["month"], lang),
        "yaxis": {"rangemode": "tozero", "gridcolor": "#e9ecef",
                  "title": {"text": t("impact.figure.monthly_axis", lang)}},
        "shapes": shapes, "annotations": annotations,
    }
    return make_figure(traces, layout)


def officer_hours_figure(frame: pd.DataFrame, lang: str) -> go.Figure:
    """Officer-hours returned per month (bars); months without an estimate are left out."""
    known = frame[frame["hours"].notna()]
    if known.empty:
        return empty_figure(t("figure.no_data", lang), lang=lang)
    months = pd.to_datetime(known["month"])
    name = t("impact.officer.figure_name", lang)
    trace = {
        "type": "bar", "name": name, "x": [m.isoformat() for m in months],
        "y": known["hours"].round(0).tolist(), "marker": {"color": SERVED_COLOR},
        "hovertext": [t("impact.officer.figure_hover", lang, month=month_label(m, lang),
                        hours=fmt_int(round(h), lang)) for m, h in zip(months, known["hours"], strict=True)],
        "hoverinfo": "text",
    }
    layout = base_layout(HEIGHT, lang) | {
        "margin": {"l": 56, "r": 12, "t": 16, "b": 40},
        "showlegend": False,
        "xaxis": _month_axis(months, lang),
        "yaxis": {"rangemode": "tozero", "gridcolor": "#e9ecef",
                  "title": {"text": t("impact.officer.figure_axis", lang)}},
    }
    return make_figure([trace], layout)
