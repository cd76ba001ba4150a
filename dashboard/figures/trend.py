"""The monthly trend: calls per week by program, with the program's milestones marked."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from dashboard.contract.cities import Milestone
from dashboard.contract.schema import ALL_PROGRAMS, PROGRAMS
from dashboard.figures.base import (
    PROGRAM_COLORS,
    PROGRAM_DASHES,
    TEXT_DARK,
    base_layout,
    empty_figure,
    make_figure,
    month_label,
    program_label,
)
from dashboard.i18n import t

TIME_SERIES_HEIGHT = 380
_BADGE_ROW_PX = 20
_BADGE_MIN_GAP = 0.1  # fraction of the x range two badges in one row keep apart


def _milestone_rows(positions: Sequence[float], min_gap: float) -> list[int]:
    """Row (0 = lowest) for each badge so badges in one row are ``min_gap`` apart.

    ``positions`` are fractions of the x range in ascending order. Greedy first fit:
    optimal for points on a line, and stable (the same milestones give the same rows).
    """
    last_in_row: list[float] = []
    rows = []
    for x in positions:
        for row, last in enumerate(last_in_row):
            if x - last >= min_gap:
                last_in_row[row] = x
                rows.append(row)
                break
        else:
            last_in_row.append(x)
            rows.append(len(last_in_row) - 1)
    return rows


def _mark_gaps(df: pd.DataFrame, shapes: list, annotations: list, lang: str) -> None:
    """Shade each run of months without records and say so on the chart: the break in
    the line alone could read as a drawing fault."""
    if "no_records" not in df:
        return
    months = sorted(pd.to_datetime(df.loc[df["no_records"].astype(bool), "month"]).unique())
    runs: list[list[pd.Timestamp]] = []
    for month in months:
        if runs and month == runs[-1][-1] + pd.offsets.MonthBegin(1):
            runs[-1].append(month)
        else:
            runs.append([month])
    for run in runs:
        start, end = run[0] - pd.Timedelta(days=15), run[-1] + pd.Timedelta(days=15)
        shapes.append({"type": "rect", "xref": "x", "yref": "paper", "x0": start.strftime("%Y-%m-%d"),
                       "x1": end.strftime("%Y-%m-%d"), "y0": 0, "y1": 1, "fillcolor": "#e9ecef",
                       "line": {"width": 0}, "layer": "below"})
        middle = run[0] + (run[-1] - run[0]) / 2
        annotations.append({"x": middle.strftime("%Y-%m-%d"), "xref": "x", "y": 0.5, "yref": "paper",
                            "text": t("figure.no_records", lang), "showarrow": False, "textangle": -90,
                            "font": {"size": 12, "color": TEXT_DARK}})


def _month_step(span_days: int) -> str:
    """Months between x-axis ticks: every month up to a year, every quarter up to three
    years, every year beyond (at most about a dozen labels at phone width)."""
    if span_days <= 366:
        return "M1"
    return "M3" if span_days < 3 * 366 else "M12"


def monthly_figure(
    df: pd.DataFrame,
    *,
    lang: str,
    milestones: Sequence[Milestone] = (),
    labels: Mapping[str, str] | None = None,
    height: int = TIME_SERIES_HEIGHT,
) -> go.Figure:
    """Calls per week (averaged over each month), one line per program, milestones marked.

    ``df`` is ``queries.monthly_by_program`` output: month (datetime64), response_type,
    calls, weeks, per_week, zero-filled (``response_type`` ``ALL_PROGRAMS``: one line for
    every program together, a council district's); a ``hidden`` column (council districts) marks
    months whose count is suppressed, drawn as gaps. Per week, because months are four or five
    whole weeks and raw monthly counts would zig-zag with the calendar. Milestones
    inside the months shown are drawn as dotted vertical lines with a numbered badge on
    top (the number is the milestone's position in the city's full list, so it matches
    the list printed under the chart whatever the date range); badges that would touch
    are stacked in rows. Full milestone text is in the badge's hover and in that list,
    because long rotated labels collide on a phone-width chart.
    """
    if df.empty:
        return empty_figure(t("figure.no_data", lang), lang=lang, height=height)
    months = pd.to_datetime(df["month"])
    first, last = months.min(), months.max()
    traces = []
    present = set(df["response_type"].astype(str))
    for program in (*PROGRAMS, ALL_PROGRAMS):
        value = getattr(program, "value", program)
        if value not in present:
            continue
        part = df[df["response_type"].astype(str) == value].sort_values("month")
        # A month whose count is hidden for privacy is a gap, never a zero: a drop to zero
        # would tell a reader the team answered nothing that month.
        hidden = part["hidden"].to_numpy() > 0 if "hidden" in part else np.zeros(len(part), bool)
        # So is a month with no records at all (the city's export has none): not zero calls.
        if "no_records" in part:
            hidden = hidden | part["no_records"].to_numpy(bool)
        pooled = program == ALL_PROGRAMS
        name = t("profile.all_programs", lang) if pooled else program_label(program, lang, labels)
        color = TEXT_DARK if pooled else PROGRAM_COLORS[program]
        hover = t("figure.per_week_hover", lang, per_week="%{y:,.0f}", calls="%{customdata:,}")
        traces.append(
            dict(
                type="scatter",
                x=pd.to_datetime(part["month"]).dt.strftime("%Y-%m-%d").tolist(),
                y=[None if gap else round(float(v), 2)
                   for v, gap in zip(part["per_week"], hidden, strict=True)],
                customdata=part["calls"].astype("int64").tolist(),
                name=name,
                mode="lines+markers" if len(part) <= 24 else "lines",
                line={"color": color, "width": 2.5, "dash": "solid" if pooled else PROGRAM_DASHES[program]},
                marker={"size": 5, "color": color},
                hovertemplate=hover + "<extra>" + name + "</extra>",
            )
        )

    shapes, annotations = [], []
    span_days = max((last - first).days, 1)
    shown = [
        (number, m)
        for number, m in enumerate(milestones, start=1)
        if first <= pd.Timestamp(m.when) <= last + pd.offsets.MonthEnd(0)
    ]
    rows = _milestone_rows(
        [(pd.Timestamp(m.when) - first).days / span_days for _, m in shown], _BADGE_MIN_GAP
    )
    for (number, milestone), row in zip(shown, rows, strict=True):
        when = pd.Timestamp(milestone.when).strftime("%Y-%m-%d")
        shapes.append(
            {
                "type": "line",
                "xref": "x",
                "yref": "paper",
                "x0": when,
                "x1": when,
                "y0": 0,
                "y1": 1,
                "line": {"color": "#6c757d", "width": 1.5, "dash": "dot"},
                "layer": "below",
            }
        )
        annotations.append(
            {
                "x": when,
                "xref": "x",
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 2 + row * _BADGE_ROW_PX,
                "text": f"<b>{number}</b>",
                "showarrow": False,
                "font": {"size": 12, "color": TEXT_DARK},
                "bgcolor": "#ffffff",
                "bordercolor": "#6c757d",
                "borderwidth": 1,
                "borderpad": 2,
                "hovertext": f"{month_label(milestone.when, lang)}: {milestone.label}",
            }
        )
    badge_rows = (max(rows) + 1) if rows else 0
    _mark_gaps(df, shapes, annotations, lang)

    layout = base_layout(height, lang)
    layout.update(
        margin={"l": 56, "r": 12, "t": 12 + badge_rows * _BADGE_ROW_PX, "b": 40},
        hovermode="x unified",
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.14,
            "yanchor": "top",
            "font": {"size": 13},
        },
        xaxis={
            "type": "date",
            "fixedrange": True,
            "hoverformat": "%b %Y",
            "tickformat": "%b\n%Y" if span_days < 3 * 366 else "%Y",
            # Ticks on month starts only: left to itself plotly puts weekly ticks on a
            # short range, each labelled with its month ("May, May, May, May"), and
            # half-year ticks labelled "%Y" on a long one (each year twice).
            "dtick": _month_step(span_days),
            "tick0": "2000-01-01",
            "showgrid": False,
            "linecolor": "#adb5bd",
            "ticks": "outside",
        },
        yaxis={
            "title": {"text": t("figure.calls_per_week", lang)},
            "fixedrange": True,
            "rangemode": "tozero",
            "gridcolor": "#e9ecef",
            "tickformat": ",",
            "zeroline": False,
        },
        shapes=shapes,
        annotations=annotations,
    )
    return make_figure(traces, layout)


