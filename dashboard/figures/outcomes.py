"""Outcome shares per program: 100%-stacked horizontal bars, one bar per program.

``outcome_figure(table, ...)`` takes ``data.outcomes.outcome_table`` (response_type,
outcome, calls, total, share) and draws each program as one bar split by outcome.

Why it looks the way it does:

* **Names above the bars, not beside them.** At 390 px a y-axis of "Co-responder team"
  would eat a third of the width; a name above each bar leaves the bar the whole width.
* **Direct labels where they fit** (a segment of at least ``LABEL_MIN_SHARE`` gets its
  percentage inside), the exact numbers on hover and in the table under the chart.
* **Colours: Paul Tol's "muted" scheme**, designed to stay distinct for the common
  colour-vision deficiencies, in a fixed order from "handled on the spot" (greens) through
  transports (blues, purple) to custody (rose, wine) and "no contact" (olive, grey). It is
  kept apart from the program colours of ``base`` on purpose: here colour means outcome,
  and the program colours mean who answered everywhere else. The legend sits under the
  plot (plotly pushes the bottom margin for it, so it never covers the bars) and the
  values are also in the table, so colour never carries information alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import plotly.graph_objects as go

from dashboard.contract.schema import Outcome
from dashboard.figures.base import (
    TEXT_DARK,
    TEXT_LIGHT,
    base_layout,
    empty_figure,
    make_figure,
    program_label,
)
from dashboard.i18n import fmt_int, fmt_pct, t

#: One colour per outcome (Paul Tol "muted"), and the text colour readable on it.
OUTCOME_COLORS: dict[Outcome, tuple[str, str]] = {
    Outcome.RESOLVED_ON_SCENE: ("#117733", TEXT_LIGHT),
    Outcome.REFERRED_TO_SERVICES: ("#44AA99", TEXT_DARK),
    Outcome.TRANSPORTED_SHELTER: ("#88CCEE", TEXT_DARK),
    Outcome.TRANSPORTED_HOSPITAL: ("#332288", TEXT_LIGHT),
    Outcome.TRANSPORTED_DETOX: ("#AA4499", TEXT_LIGHT),
    Outcome.MENTAL_HEALTH_HOLD: ("#DDCC77", TEXT_DARK),
    Outcome.CITATION: ("#CC6677", TEXT_DARK),
    Outcome.ARREST: ("#882255", TEXT_LIGHT),
    Outcome.GONE_ON_ARRIVAL: ("#999933", TEXT_DARK),
    Outcome.REFUSED: ("#DDDDDD", TEXT_DARK),
}
#: Segments narrower than this share get no percentage inside (it would not fit at 390 px).
LABEL_MIN_SHARE = 0.08
_ROW_PX = 64
_BASE_PX = 180  # room for the legend's two lines beside the filter bar (assets/app.css)


#: Calls with no outcome recorded: grey, like everything that is not a real outcome.
NOT_RECORDED_COLOR = "#BBBBBB"


def outcome_label(outcome: Outcome | str, lang: str) -> str:
    """The plain-words name of an outcome (the Methodology page's term)."""
    return t(f"method.outcome.{Outcome(outcome).value}", lang)


def _totals(table: pd.DataFrame, programs: Sequence[str]) -> list[int]:
    """Calls with an outcome recorded, per program: what the bar's 100% stands for."""
    recorded = table[table["outcome"] != Outcome.NOT_RECORDED.value]
    return [int(recorded.loc[recorded["response_type"] == p, "calls"].sum()) for p in programs]


def outcome_figure(
    table: pd.DataFrame,
    *,
    lang: str,
    programs: Sequence[str],
    labels: Mapping[str, str] | None = None,
) -> go.Figure:
    """One 100% bar per program in ``programs`` (top to bottom), split by outcome."""
    shown = [p for p, total in zip(programs, _totals(table, programs), strict=True) if total > 0]
    if not shown:
        return empty_figure(t("figure.no_data", lang), lang=lang)
    names = [program_label(p, lang, labels) for p in shown]
    traces = []
    for outcome, (color, text_color) in OUTCOME_COLORS.items():
        part = table[table["outcome"] == outcome.value].set_index("response_type")
        shares = [float(part.loc[p, "share"]) for p in shown]
        calls = [int(part.loc[p, "calls"]) for p in shown]
        totals = [int(part.loc[p, "total"]) for p in shown]
        name = outcome_label(outcome, lang)
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "x": shares,
                "y": list(range(len(shown))),
                "width": 0.5,
                # A dark edge: the light segments (refused, shelter) are under 3:1
                # against the white card, so each segment's boundary carries the contrast.
                "marker": {"color": color, "line": {"color": "#495057", "width": 1}},
                "text": [fmt_pct(s, lang) if s >= LABEL_MIN_SHARE else "" for s in shares],
                "textposition": "inside",
                "insidetextanchor": "middle",
                "textangle": 0,
                "textfont": {"color": text_color, "size": 12},
                "hovertext": [
                    t(
                        "outcomes.figure.bar_hover",
                        lang,
                        program=program,
                        outcome=name,
                        calls=fmt_int(n, lang),
                        total=fmt_int(total, lang),
                        share=fmt_pct(s, lang, digits=1),
                    )
                    for program, n, total, s in zip(names, calls, totals, shares, strict=True)
                ],
                "hoverinfo": "text",
            }
        )
    annotations = [
        {
            "text": t("outcomes.figure.bar_title", lang, program=name, calls=fmt_int(total, lang)),
            "x": 0,
            "xref": "x",
            "xanchor": "left",
            "y": i - 0.3,
            "yref": "y",
            "yanchor": "bottom",
            "showarrow": False,
            "font": {"size": 13, "color": TEXT_DARK},
        }
        for i, (name, total) in enumerate(zip(names, _totals(table, shown), strict=True))
    ]
    layout = base_layout(_BASE_PX + _ROW_PX * len(shown), lang)
    layout.update(
        barmode="stack",
        bargap=0,
        showlegend=True,
        legend={
            "orientation": "h",
            "x": 0,
            "xanchor": "left",
            "y": -0.04,
            "yanchor": "top",
            "traceorder": "normal",
            "font": {"size": 12},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        uniformtext={"mode": "hide", "minsize": 10},
        margin={"l": 4, "r": 4, "t": 28, "b": 8},
        xaxis={
            "range": [0, 1],
            "tickvals": [0, 0.25, 0.5, 0.75, 1],
            "ticktext": [fmt_pct(v, lang) for v in (0, 0.25, 0.5, 0.75, 1)],  # "25 %" in Spanish
            "side": "top",
            "fixedrange": True,
            "gridcolor": "#e9ecef",
            "zeroline": False,
        },
        yaxis={
            "range": [len(shown) - 0.5, -0.75],
            "visible": False,
            "fixedrange": True,
        },
        annotations=annotations,
    )
    return make_figure(traces, layout)
