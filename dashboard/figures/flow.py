"""A Sankey flow (call category -> who answered -> outcome) drawn from basic traces.

The app serves plotly.js's *basic* bundle only (docs/architecture.md "Payload"), which has no
``sankey`` trace, so the flow is drawn by hand: each node is a filled scatter rectangle
and each link a filled scatter polygon (``fill="toself"``) whose edges are cubic Bézier
curves sampled at ``CURVE_POINTS`` points. Filled scatter polygons hover (``hoveron =
"fills"``), so every node and link tells its count, exactly like the maps.

Why this layout (it was chosen over a table-only view or three separate bar charts
because the one picture shows at once where each kind of call goes and what follows):

* **Labels never overlap, at 1280 or 390 px.** Category labels sit in a band left of
  the first column, outcome labels in a band right of the last (``LABEL_BAND`` of the
  width each), wrapped to ``WRAP_CHARS`` characters, so the text never crosses a link.
  The vertical axis is in pixels of a fixed-height figure: every node gets a slot at
  least as tall as its label (``_layout_column``), and only the bar inside the slot is
  proportional to the calls. Program names sit on their (tall) bars with a white badge.
* **Small flows are merged** (privacy k, 11 by default): a category or an outcome with
  fewer than ``k`` calls in the view joins one node "fewer than k calls each", and a
  link of fewer than ``k`` calls is drawn without a count ("fewer than 11 calls"). The
  rows are public and k-anonymous already; this is about not reading meaning into a
  handful of calls, and about keeping the labels readable.
* **Links take the colour of the program** (base's Okabe-Ito program colours,
  translucent), so a reader follows one program from the categories it answers to its
  outcomes; the middle column is the same program on both sides.

The figure is a picture of ``data.outcomes.flow_table``; the page puts the same numbers
in a table under it (``chart_card``).
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.contract.schema import Outcome, ResponseType
from dashboard.figures.base import (
    PROGRAM_COLORS,
    TEXT_DARK,
    base_layout,
    category_label,
    empty_figure,
    make_figure,
    program_label,
)
from dashboard.figures.outcomes import NOT_RECORDED_COLOR, OUTCOME_COLORS, outcome_label
from dashboard.i18n import fmt_int, t

FLOW_HEIGHT = 620
#: Share of the plot's width kept for the category labels (left) and outcome labels (right).
LABEL_BAND = 0.28
NODE_WIDTH = 0.022
WRAP_CHARS = 12
CURVE_POINTS = 16
_MARGIN = {"l": 4, "r": 4, "t": 8, "b": 8}
_LINE_PX = 15  # one line of 11 px text, with room to spare
_MIN_GAP_PX = 6
SMALL = "__small__"  # node key of the merged small categories / outcomes
_SMALL_COLOR = "#adb5bd"


@dataclass(frozen=True)
class Node:
    key: str
    label: str
    calls: int
    color: str
    column: int  # 0 categories, 1 programs, 2 outcomes
    x0: float = 0.0
    x1: float = 0.0
    y0: float = 0.0  # pixels from the top of the plot
    y1: float = 0.0


@dataclass(frozen=True)
class Link:
    source: str
    target: str
    calls: int
    color: str


def _wrap(text: str, width: int = WRAP_CHARS) -> list[str]:
    return textwrap.wrap(text, width=width, break_long_words=False) or [text]


def _key(node: Node) -> str:
    return f"{node.column}:{node.key}"


def _label_lines(node: Node, lang: str) -> list[str]:
    return [*_wrap(node.label), fmt_int(node.calls, lang)]


def merge_small(flow: pd.DataFrame, k: int) -> pd.DataFrame:
    """``flow`` with categories and outcomes of fewer than ``k`` calls (in the whole view)
    renamed ``SMALL``, summed again. Programs are never merged (there are four at most)."""
    out = flow.copy()
    for column in ("call_category", "outcome"):
        totals = out.groupby(column)["calls"].sum()
        small = set(totals.index[totals < k])
        out[column] = out[column].where(~out[column].isin(small), SMALL)
    return out.groupby(["call_category", "response_type", "outcome"], as_index=False)["calls"].sum()


def _outcome_color(outcome: str) -> str:
    if outcome == SMALL:
        return _SMALL_COLOR
    return OUTCOME_COLORS.get(Outcome(outcome), (NOT_RECORDED_COLOR, ""))[0]


def _nodes(
    merged: pd.DataFrame, programs: Sequence[str], lang: str, k: int, labels: Mapping[str, str] | None
) -> list[list[Node]]:
    small_label = t("outcomes.figure.flow_small", lang, k=k)
    categories = merged.groupby("call_category")["calls"].sum()
    cat_order = sorted((c for c in categories.index if c != SMALL), key=lambda c: (-categories[c], c))
    if SMALL in categories.index:
        cat_order.append(SMALL)
    left = [
        Node(c, small_label if c == SMALL else category_label(c, lang),
             int(categories[c]), _SMALL_COLOR, 0)
        for c in cat_order
    ]
    by_program = merged.groupby("response_type")["calls"].sum()
    middle = [
        Node(p, program_label(p, lang, labels), int(by_program[p]), PROGRAM_COLORS[ResponseType(p)], 1)
        for p in programs
        if int(by_program.get(p, 0)) > 0
    ]
    by_outcome = merged.groupby("outcome")["calls"].sum()
    out_order = [o.value for o in OUTCOME_COLORS if o.value in by_outcome.index]
    out_order += [o for o in (Outcome.NOT_RECORDED.value, SMALL) if o in by_outcome.index]
    right = [
        Node(
            o,
            small_label if o == SMALL else outcome_label(o, lang),
            int(by_outcome[o]),
            _outcome_color(o),
            2,
        )
        for o in out_order
    ]
    return [left, middle, right]


def _scale(columns: Sequence[Sequence[Node]], heights: Mapping[str, float], plot_px: float) -> float:
    """Pixels per call such that every column's slots (each at least its label's height,
    ``heights``) plus minimal gaps fit in ``plot_px``. Slots whose bar would be shorter than
    the label are fixed at the label height, then the scale is solved for the rest."""
    best = float("inf")
    for nodes in columns:
        if not nodes:
            continue
        room = plot_px - _MIN_GAP_PX * (len(nodes) - 1)
        fixed: set[str] = set()
        while True:
            flexible = sum(n.calls for n in nodes if n.key not in fixed)
            fixed_px = sum(heights[f"{n.column}:{n.key}"] for n in nodes if n.key in fixed)
            scale = (room - fixed_px) / flexible if flexible else float("inf")
            grow = {n.key for n in nodes if n.key not in fixed and n.calls * scale < heights[_key(n)]}
            if not grow:
                break
            fixed |= grow
        best = min(best, scale)
    return max(best, 0.0) if best != float("inf") else 0.0


def _layout_column(nodes: Sequence[Node], heights: Mapping[str, float], scale: float, plot_px: float,
                   x0: float) -> list[Node]:
    """Place the column's nodes top to bottom, spreading the spare height as equal gaps."""
    slots = [max(n.calls * scale, heights[f"{n.column}:{n.key}"]) for n in nodes]
    spare = plot_px - sum(slots)
    gap = spare / (len(nodes) - 1) if len(nodes) > 1 else 0.0
    top = 0.0 if len(nodes) > 1 else spare / 2
    placed = []
    for node, slot in zip(nodes, slots, strict=True):
        bar = node.calls * scale
        y0 = top + (slot - bar) / 2
        placed.append(Node(node.key, node.label, node.calls, node.color, node.column,
                           x0, x0 + NODE_WIDTH, y0, y0 + bar))
        top += slot + gap
    return placed


def _bezier(x0: float, y0: float, x1: float, y1: float) -> tuple[list[float], list[float]]:
    """A horizontal-tangent cubic Bézier from (x0, y0) to (x1, y1), sampled."""
    xm = (x0 + x1) / 2
    xs, ys = [], []
    for i in range(CURVE_POINTS + 1):
        s = i / CURVE_POINTS
        a, b, c, d = (1 - s) ** 3, 3 * (1 - s) ** 2 * s, 3 * (1 - s) * s**2, s**3
        # Rounded: a tenth of a pixel is invisible, and it halves the figure's JSON.
        xs.append(round(a * x0 + b * xm + c * xm + d * x1, 4))
        ys.append(round(a * y0 + b * y0 + c * y1 + d * y1, 1))
    return xs, ys


def _rgba(hex_color: str, alpha: float) -> str:
    h = hex_color.lstrip("#")
    r, g, b = (int(h[i:i + 2], 16) for i in (0, 2, 4))
    return f"rgba({r},{g},{b},{alpha})"


def flow_figure(
    flow: pd.DataFrame,
    *,
    lang: str,
    programs: Sequence[str],
    k: int,
    labels: Mapping[str, str] | None = None,
    height: int = FLOW_HEIGHT,
) -> go.Figure:
    """Category -> program -> outcome for ``flow`` (``data.outcomes.flow_table``)."""
    flow = flow[flow["response_type"].isin(programs) & (flow["calls"] > 0)]
    if flow.empty:
        return empty_figure(t("figure.no_data", lang), lang=lang)
    merged = merge_small(flow, k)
    columns = _nodes(merged, programs, lang, k, labels)
    heights = {
        f"{n.column}:{n.key}": len(_label_lines(n, lang)) * _LINE_PX + 4 for col in columns for n in col
    }
    plot_px = height - _MARGIN["t"] - _MARGIN["b"]
    scale = _scale(columns, heights, plot_px)
    xs = (LABEL_BAND, 0.5 - NODE_WIDTH / 2, 1 - LABEL_BAND - NODE_WIDTH)
    placed = [_layout_column(col, heights, scale, plot_px, x) for col, x in zip(columns, xs, strict=True)]
    index = {(n.column, n.key): n for col in placed for n in col}
    names = {(n.column, n.key): n.label for col in placed for n in col}

    left_links = merged.groupby(["call_category", "response_type"], as_index=False)["calls"].sum()
    right_links = merged.groupby(["response_type", "outcome"], as_index=False)["calls"].sum()
    stages = [
        (0, 1, [Link(r.call_category, r.response_type, int(r.calls), r.response_type)
                for r in left_links.itertuples(index=False)]),
        (1, 2, [Link(r.response_type, r.outcome, int(r.calls), r.response_type)
                for r in right_links.itertuples(index=False)]),
    ]
    traces: list[dict] = []
    for src_col, dst_col, links in stages:
        links = [li for li in links if li.calls > 0]
        # Stack each link at its source in the order of its target, and vice versa, so
        # links do not cross inside a node.
        out_offset = {key: 0.0 for (c, key) in index if c == src_col}
        in_offset = {key: 0.0 for (c, key) in index if c == dst_col}
        def at(li: Link, src: int = src_col, dst: int = dst_col) -> tuple[float, float]:
            return index[(src, li.source)].y0, index[(dst, li.target)].y0

        by_source = sorted(links, key=at)
        tops: dict[tuple[str, str], float] = {}
        for li in by_source:
            tops[(li.source, li.target)] = index[(src_col, li.source)].y0 + out_offset[li.source]
            out_offset[li.source] += li.calls * scale
        by_target = sorted(links, key=lambda li: at(li)[::-1])
        for li in by_target:
            src, dst = index[(src_col, li.source)], index[(dst_col, li.target)]
            thick = li.calls * scale
            y_src = tops[(li.source, li.target)]
            y_dst = dst.y0 + in_offset[li.target]
            in_offset[li.target] += thick
            top_x, top_y = _bezier(src.x1, y_src, dst.x0, y_dst)
            bot_x, bot_y = _bezier(dst.x0, y_dst + thick, src.x1, y_src + thick)
            count = (
                t("outcomes.figure.flow_few", lang, k=k) if li.calls < k
                else t("outcomes.figure.calls", lang, calls=fmt_int(li.calls, lang))
            )
            hover = f"{names[(src_col, li.source)]} → {names[(dst_col, li.target)]}: {count}"
            traces.append(
                {
                    "type": "scatter",
                    "x": top_x + bot_x + [top_x[0]],
                    "y": top_y + bot_y + [top_y[0]],
                    "mode": "lines",
                    "line": {"width": 0, "color": "rgba(0,0,0,0)"},
                    "fill": "toself",
                    "fillcolor": _rgba(PROGRAM_COLORS[ResponseType(li.color)], 0.38),
                    "hoveron": "fills",
                    "hoverinfo": "text",
                    "text": hover,
                    "name": hover,
                    "showlegend": False,
                }
            )
    annotations = []
    for col in placed:
        for n in col:
            traces.append(
                {
                    "type": "scatter",
                    "x": [n.x0, n.x1, n.x1, n.x0, n.x0],
                    "y": [n.y0, n.y0, n.y1, n.y1, n.y0],
                    "mode": "lines",
                    "line": {"width": 0.5, "color": n.color},
                    "fill": "toself",
                    "fillcolor": n.color,
                    "hoveron": "fills",
                    "hoverinfo": "text",
                    "text": f"{n.label}: {t('outcomes.figure.calls', lang, calls=fmt_int(n.calls, lang))}",
                    "name": n.label,
                    "showlegend": False,
                }
            )
            text = "<br>".join(_label_lines(n, lang))
            middle = (n.y0 + n.y1) / 2
            if n.column == 0:
                spot = {"x": n.x0 - 0.006, "xanchor": "right", "align": "right"}
            elif n.column == 2:
                spot = {"x": n.x1 + 0.006, "xanchor": "left", "align": "left"}
            else:
                spot = {"x": (n.x0 + n.x1) / 2, "xanchor": "center", "align": "center",
                        "bgcolor": "rgba(255,255,255,0.92)", "bordercolor": n.color, "borderwidth": 1,
                        "borderpad": 2}
                text = "<br>".join([*_wrap(n.label, 12), fmt_int(n.calls, lang)])
            annotations.append(
                {"text": text, "y": middle, "yanchor": "middle", "xref": "x", "yref": "y", "showarrow": False,
                 "font": {"size": 11, "color": TEXT_DARK}, **spot}
            )
    layout = base_layout(height, lang)
    layout.update(
        showlegend=False,
        margin=_MARGIN,
        xaxis={"range": [0, 1], "visible": False, "fixedrange": True},
        yaxis={"range": [plot_px, 0], "visible": False, "fixedrange": True},
        annotations=annotations,
        hovermode="closest",
    )
    return make_figure(traces, layout)
