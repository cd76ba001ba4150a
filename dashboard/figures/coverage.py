"""When calls come and when the team works: the weekday x hour heatmap of the District page.

``coverage_figure`` draws with plotly.js's basic bundle (bar and scatter traces only): a
heatmap made of one horizontal bar trace of 168 bars, each bar one hour long (``base`` =
its start) on its weekday's row, coloured in Python on the map's colour-blind-safe
YlGnBu scale. The x axis is a *date* axis over one day, so plotly picks the tick step
from the chart's width (every 6 hours on a phone, every 3 hours from about 800 px) and
tick labels never overlap. The hours the alternative team is on duty are outlined on
top: a solid line where it was on duty on every day of the period, a dashed one where
only on some (the schedule changed during the period).

It carries no information by colour alone: hatching and line styles repeat it, and
``coverage_legend`` gives the sentences the page prints under the heatmap. The
planner's bars, the page's other figure, are in ``planner``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale

from dashboard.figures.base import NO_VALUE_COLOR, base_layout, empty_figure, make_figure
from dashboard.figures.mapstyle import MAP_SCALE
from dashboard.i18n import fmt_int, fmt_pct, t

COVERAGE_HEIGHT = 320
#: The day the heatmap's date x axis spans (any day without a clock change would do).
COVERAGE_DAY = datetime(2000, 1, 3)
#: Line of the team's on-duty outlines, drawn over a white halo so it shows on dark cells.
DUTY_LINE_COLOR = "#000000"
DUTY_HALO_COLOR = "#ffffff"
DUTY_LINE_WIDTH = 2
DUTY_HALO_WIDTH = 5
#: How far (in rows) an outline stays inside its weekday's row, so days read apart.
_OUTLINE_INSET = 0.08
#: Grey hatching of hidden cells, and the dots of cells with some years hidden.
HIDDEN_PATTERN = "/"
PARTLY_HIDDEN_PATTERN = "."
PATTERN_COLOR = "#5a6169"


# -- helpers -----------------------------------------------------------------------------


def _hour_label(hour: int, lang: str) -> str:
    """ "6 am", "noon", "12 am" (English); other catalogs may use ``{hour24}``."""
    hour %= 24
    if hour == 12:
        return t("figure.coverage.noon", lang, hour24=f"{hour:02d}")
    h12 = 12 if hour % 12 == 0 else hour % 12
    key = "figure.coverage.am" if hour < 12 else "figure.coverage.pm"
    return t(key, lang, hour=h12, hour24=f"{hour:02d}")


def _clock(hour: float) -> str:
    """The date axis position of ``hour`` (0-24) on ``COVERAGE_DAY``."""
    return (COVERAGE_DAY + timedelta(hours=hour)).strftime("%Y-%m-%d %H:%M")


def _nice_ticks(top: float) -> list[float]:
    """Round colour-bar ticks (steps of 1, 2, 2.5 or 5 x 10^k, at least 1) from 0 to ``top``."""
    raw = max(top, 1.0) / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(f * magnitude for f in (1, 2, 2.5, 5, 10) if raw <= f * magnitude)
    step = max(step, 1.0)
    return [i * step for i in range(int(top // step) + 1)]


def _duty_grid(duty: np.ndarray | Sequence[Sequence[float]]) -> np.ndarray:
    grid = np.asarray(duty, dtype=float)
    if grid.shape != (7, 24) or not np.isfinite(grid).all() or (grid < 0).any() or (grid > 1).any():
        raise ValueError("duty: must be a 7 x 24 grid of shares from 0 to 1")
    return grid


def _cell_grid(cells: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """``calls`` and ``hidden`` as 7 x 24 arrays (missing weekday-hours: 0, 0)."""
    missing = [c for c in ("weekday", "hour", "calls") if c not in cells.columns]
    if missing:
        raise ValueError(f"cells: missing column(s) {', '.join(missing)}")
    calls = np.zeros((7, 24))
    hidden = np.zeros((7, 24), dtype=np.int64)
    weekday = cells["weekday"].to_numpy(dtype=int)
    hour = cells["hour"].to_numpy(dtype=int)
    if ((weekday < 0) | (weekday > 6) | (hour < 0) | (hour > 23)).any():
        raise ValueError("cells: weekday must be 0-6 (Monday = 0) and hour 0-23")
    np.add.at(calls, (weekday, hour), cells["calls"].fillna(0).to_numpy(dtype=float))
    if "hidden" in cells.columns:
        np.add.at(hidden, (weekday, hour), cells["hidden"].fillna(0).to_numpy(dtype=np.int64))
    return calls, hidden


def duty_runs(duty: np.ndarray | Sequence[Sequence[float]]) -> list[tuple[int, int, int, bool]]:
    """The outlines to draw: ``(weekday, from_hour, to_hour, full)`` per run of hours.

    A run is consecutive hours of one weekday that are all fully on duty (share 1:
    ``full``) or all partly on duty (between 0 and 1); hours off duty end a run.
    """
    grid = _duty_grid(duty)
    runs = []
    for weekday in range(7):
        hour = 0
        while hour < 24:
            share = grid[weekday, hour]
            if share <= 0:
                hour += 1
                continue
            full = bool(share >= 1)
            end = hour + 1
            while end < 24 and grid[weekday, end] > 0 and bool(grid[weekday, end] >= 1) == full:
                end += 1
            runs.append((weekday, hour, end, full))
            hour = end
    return runs


# -- coverage heatmap --------------------------------------------------------------------


def _cell_hover(
    weekday: int, hour: int, calls: float, hidden: int, share: float, *, lang: str, k: int, team: str
) -> str:
    when = t(
        "figure.coverage.hover.when",
        lang,
        day=t(f"figure.coverage.weekday_long.{weekday}", lang),
        start=_hour_label(hour, lang),
        end=_hour_label(hour + 1, lang),
    )
    lines = [f"<b>{when}</b>"]
    count = fmt_int(calls, lang)
    suffix = "one" if hidden == 1 else "many"
    if hidden and calls > 0:
        lines.append(t(f"figure.coverage.hover.partly_hidden.{suffix}", lang, calls=count, cells=hidden))
    elif hidden:
        lines.append(t(f"figure.coverage.hover.hidden.{suffix}", lang, most=k - 1, cells=hidden))
    elif calls > 0:
        lines.append(t("figure.coverage.hover.calls", lang, calls=count))
    else:
        lines.append(t("figure.coverage.hover.no_calls", lang))
    team = team[:1].upper() + team[1:]  # it starts the line
    if share >= 1:
        lines.append(t("figure.coverage.hover.on_duty", lang, team=team))
    elif share > 0:
        lines.append(t("figure.coverage.hover.part_duty", lang, team=team, share=fmt_pct(share, lang)))
    else:
        lines.append(t("figure.coverage.hover.off_duty", lang, team=team))
    return "<br>".join(lines)


def _outline_shapes(duty: np.ndarray) -> list[dict]:
    """Halo then line for every run, so each line is drawn over every halo."""
    halos, lines = [], []
    for weekday, first, last, full in duty_runs(duty):
        kind = "full" if full else "part"
        box = {
            "type": "rect",
            "xref": "x",
            "yref": "y",
            "x0": _clock(first),
            "x1": _clock(last),
            "y0": weekday - 0.5 + _OUTLINE_INSET,
            "y1": weekday + 0.5 - _OUTLINE_INSET,
            "fillcolor": "rgba(0,0,0,0)",
            "layer": "above",
        }
        dash = "solid" if full else "dash"
        halos.append(box | {"name": f"duty-{kind}-halo", "line": {"color": DUTY_HALO_COLOR,
                                                                   "width": DUTY_HALO_WIDTH, "dash": dash}})
        lines.append(box | {"name": f"duty-{kind}", "line": {"color": DUTY_LINE_COLOR,
                                                              "width": DUTY_LINE_WIDTH, "dash": dash}})
    return halos + lines


def coverage_figure(
    cells: pd.DataFrame,
    duty: np.ndarray | Sequence[Sequence[float]],
    *,
    lang: str,
    k: int,
    team: str | None = None,
    height: int | None = None,
) -> go.Figure:
    """Eligible calls by weekday (rows, Monday on top) and hour (columns), the team's hours outlined.

    ``cells`` is ``district.coverage`` output: weekday (0 = Monday), hour, calls (the sum
    of the published yearly cells) and hidden (how many yearly cells were suppressed for
    privacy); missing weekday-hours count as no calls. ``duty`` is a 7 x 24 grid of the
    share of the period's days the team was on duty in each weekday-hour
    (``dashboard.models.plans.duty_shares``). ``k`` is the release's privacy threshold (hidden
    cells hold fewer than ``k`` calls, unless hidden as a complement). ``team`` names the
    team in the hover ("STAR team"). ``height`` defaults to ``COVERAGE_HEIGHT``; the
    width follows the container.

    Traces: one bar trace of 168 bars, in weekday-major order (Monday 00:00 first),
    then an invisible marker trace carrying the colour bar. Cells with calls take the
    map's scale from 0 to the largest cell; cells with no published count but hidden
    ones are grey and hatched; cells with some yearly counts hidden are dotted (their
    colour is a lower bound). Layout shapes outline the on-duty hours (``duty_runs``):
    each run once as a white halo and once as a black line, solid for full duty, dashed
    for part of the period.
    """
    calls, hidden = _cell_grid(cells)
    grid = _duty_grid(duty)
    height = COVERAGE_HEIGHT if height is None else height
    team = team if team is not None else t("figure.coverage.default_team", lang)
    if calls.sum() == 0 and hidden.sum() == 0:
        return empty_figure(t("figure.coverage.no_calls", lang), lang=lang, height=height)
    top = max(float(calls.max()), 1.0)
    colors, patterns, hovers, bases, rows = [], [], [], [], []
    for weekday in range(7):
        for hour in range(24):
            value, cells_hidden = calls[weekday, hour], int(hidden[weekday, hour])
            if cells_hidden and value <= 0:
                colors.append(NO_VALUE_COLOR)
                patterns.append(HIDDEN_PATTERN)
            else:
                colors.append(sample_colorscale(list(MAP_SCALE), [min(value / top, 1.0)])[0])
                patterns.append(PARTLY_HIDDEN_PATTERN if cells_hidden else "")
            share = float(grid[weekday, hour])
            hovers.append(_cell_hover(weekday, hour, value, cells_hidden, share, lang=lang, k=k, team=team))
            bases.append(_clock(hour))
            rows.append(weekday)
    heat = dict(
        type="bar",
        orientation="h",
        y=rows,
        base=bases,
        x=[3_600_000] * 168,  # one hour in milliseconds: a bar's length on the date axis
        width=1.0,
        marker={
            "color": colors,
            "line": {"color": "#ffffff", "width": 1},
            "pattern": {
                "shape": patterns,
                "fgcolor": PATTERN_COLOR,
                "fgopacity": 0.7,
                # dots stay faint: they mark a lower bound but must not hide the colour
                "size": [6 if shape == HIDDEN_PATTERN else 5 for shape in patterns],
                "solidity": [0.25 if shape == HIDDEN_PATTERN else 0.12 for shape in patterns],
            },
        },
        hovertext=hovers,
        hoverinfo="text",
        showlegend=False,
        name="",
    )
    ticks = _nice_ticks(top)
    scale = dict(
        type="scatter",
        x=[_clock(0)],
        y=[0],
        mode="markers",
        marker={
            "size": 0.1,
            "opacity": 0,
            "color": [0.0],
            "cmin": 0.0,
            "cmax": top,
            "colorscale": [[i / (len(MAP_SCALE) - 1), c] for i, c in enumerate(MAP_SCALE)],
            "showscale": True,
            "colorbar": {
                "title": {"text": t("figure.coverage.colorbar", lang), "side": "top", "font": {"size": 12}},
                "orientation": "h",
                "x": 0.5,
                "xanchor": "center",
                "y": -0.04,
                "yanchor": "top",
                "thickness": 10,
                "len": 0.9,
                "tickmode": "array",
                "tickvals": ticks,
                "ticktext": [fmt_int(v, lang) for v in ticks],
                "tickfont": {"size": 11},
                "outlinewidth": 0,
            },
        },
        hoverinfo="skip",
        showlegend=False,
    )
    layout = base_layout(height, lang)
    layout.update(
        margin={"l": 44, "r": 16, "t": 30, "b": 74},
        showlegend=False,
        hovermode="closest",
        bargap=0,
        xaxis={
            "type": "date",
            "side": "top",
            "range": [_clock(0), _clock(24)],
            "tickformat": t("figure.coverage.tickformat", lang),
            "ticks": "outside",
            "ticklen": 4,
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "tickfont": {"size": 12},
        },
        yaxis={
            "range": [6.5, -0.5],  # Monday on top
            "tickmode": "array",
            "tickvals": list(range(7)),
            "ticktext": [t(f"figure.coverage.weekday.{w}", lang) for w in range(7)],
            "showgrid": False,
            "zeroline": False,
            "fixedrange": True,
            "ticks": "",
            "tickfont": {"size": 12},
        },
        shapes=_outline_shapes(grid),
    )
    return make_figure([heat, scale], layout)


def coverage_legend(
    lang: str,
    *,
    k: int,
    team: str | None = None,
    cells: pd.DataFrame | None = None,
    duty: np.ndarray | Sequence[Sequence[float]] | None = None,
) -> list[str]:
    """Plain sentences explaining the heatmap's colours, hatching and outlines.

    The page prints them under the chart (words, not colour alone). Given ``cells`` and
    ``duty``, sentences about things the figure does not show (no hidden cells, no
    partly-on-duty hours) are left out.
    """
    team = team if team is not None else t("figure.coverage.default_team", lang)
    hidden = partly_hidden = True
    full = part = True
    if cells is not None:
        calls, counts = _cell_grid(cells)
        hidden = bool(((counts > 0) & (calls <= 0)).any())
        partly_hidden = bool(((counts > 0) & (calls > 0)).any())
    if duty is not None:
        grid = _duty_grid(duty)
        full = bool((grid >= 1).any())
        part = bool(((grid > 0) & (grid < 1)).any())
    sentences = [t("figure.coverage.legend.colour", lang)]
    if hidden:
        sentences.append(t("figure.coverage.legend.hidden", lang, most=k - 1))
    if partly_hidden:
        sentences.append(t("figure.coverage.legend.partly_hidden", lang))
    if full:
        sentences.append(t("figure.coverage.legend.on_duty", lang, team=team))
    if part:
        sentences.append(t("figure.coverage.legend.part_duty", lang, team=team))
    if not full and not part:
        sentences.append(t("figure.coverage.legend.never_on_duty", lang, team=team))
    return sentences
