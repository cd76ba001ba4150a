"""The coverage heatmap and the planner bars on hand-made frames: assertions on the figure dicts."""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest
from plotly.colors import unlabel_rgb

from dashboard.figures import (
    COVERAGE_HEIGHT,
    MAP_SCALE,
    NO_VALUE_COLOR,
    PLANNER_PARTS,
    PROGRAM_COLORS,
    coverage_figure,
    coverage_legend,
    duty_runs,
    planner_figure,
    planner_parts,
)
from dashboard.figures.coverage import COVERAGE_DAY, HIDDEN_PATTERN, PARTLY_HIDDEN_PATTERN
from dashboard.figures.planner import text_color_on
from dashboard.models.plans import Plan, PlanSpan, duty_shares

BASIC_BUNDLE_TRACES = {"scatter", "bar", "pie"}
K = 11
WEEK = (date(2024, 1, 1), date(2024, 1, 7))  # Monday to Sunday


Cells = dict[tuple[int, int], int]


def cell_frame(calls: Cells | None = None, hidden: Cells | None = None) -> pd.DataFrame:
    """168 cells with 5 calls each, except those given (weekday, hour) -> value."""
    rows = []
    for weekday in range(7):
        for hour in range(24):
            rows.append(
                {
                    "weekday": weekday,
                    "hour": hour,
                    "calls": (calls or {}).get((weekday, hour), 5),
                    "hidden": (hidden or {}).get((weekday, hour), 0),
                }
            )
    return pd.DataFrame(rows)


def weekdays_10_18() -> np.ndarray:
    return duty_shares([PlanSpan(Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18)), *WEEK)])


def index(weekday: int, hour: int) -> int:
    return weekday * 24 + hour


def hours_of(x: str) -> float:
    return (pd.Timestamp(x) - pd.Timestamp(COVERAGE_DAY)) / pd.Timedelta(hours=1)


def outlines(fig: go.Figure, name: str) -> list[tuple[int, float, float, str]]:
    """(row, from hour, to hour, dash) of the outline shapes called ``name``."""
    found = []
    for shape in fig.to_dict()["layout"].get("shapes", []):
        if shape.get("name") == name:
            row = round((shape["y0"] + shape["y1"]) / 2)
            found.append((row, hours_of(shape["x0"]), hours_of(shape["x1"]), shape["line"]["dash"]))
    return sorted(found)


def rgb(color: str) -> tuple[float, ...]:
    """"rgb(1, 2, 3)" and "rgb(1,2,3)" alike."""
    return tuple(unlabel_rgb(color))


def heat(fig: go.Figure) -> dict:
    return fig.to_dict()["data"][0]


# ---------------------------------------------------------------------------- heatmap


def test_heatmap_is_one_bar_trace_of_168_cells_in_the_basic_bundle():
    fig = coverage_figure(cell_frame(), weekdays_10_18(), lang="en", k=K)
    go.Figure(fig.to_dict())  # every property is a real plotly property
    data = fig.to_dict()["data"]
    assert {trace["type"] for trace in data} <= BASIC_BUNDLE_TRACES
    bars = data[0]
    assert bars["type"] == "bar" and bars["orientation"] == "h"
    assert len(bars["y"]) == len(bars["base"]) == len(bars["x"]) == 168
    assert len(bars["marker"]["color"]) == len(bars["hovertext"]) == 168
    # weekday-major order: cell 25 is Tuesday 01:00, one hour long
    assert bars["y"][25] == 1 and hours_of(bars["base"][25]) == 1
    assert set(bars["x"]) == {3_600_000}
    assert fig.layout.height == COVERAGE_HEIGHT
    assert coverage_figure(cell_frame(), weekdays_10_18(), lang="en", k=K, height=300).layout.height == 300


def test_monday_is_the_top_row_and_hours_run_across_one_day():
    layout = coverage_figure(cell_frame(), weekdays_10_18(), lang="en", k=K).to_dict()["layout"]
    assert layout["yaxis"]["range"] == [6.5, -0.5]  # reversed: row 0 (Monday) on top
    assert layout["yaxis"]["ticktext"][0] == "Mon" and layout["yaxis"]["ticktext"][6] == "Sun"
    assert layout["xaxis"]["type"] == "date"
    assert [hours_of(x) for x in layout["xaxis"]["range"]] == [0, 24]
    # tick spacing left to plotly, which picks it from the width: no fixed ticks to collide
    assert "tickvals" not in layout["xaxis"] and "nticks" not in layout["xaxis"]
    assert layout["dragmode"] is False


def test_cell_colours_follow_the_scale_and_hidden_cells_are_grey_and_hatched():
    cells = cell_frame(
        calls={(0, 0): 0, (0, 1): 40, (0, 2): 0, (0, 3): 7},
        hidden={(0, 2): 2, (0, 3): 1},
    )
    bars = heat(coverage_figure(cells, weekdays_10_18(), lang="en", k=K))
    colors, shapes = bars["marker"]["color"], bars["marker"]["pattern"]["shape"]
    assert rgb(colors[index(0, 0)]) == rgb(MAP_SCALE[0])  # no calls: the scale's lightest
    assert rgb(colors[index(0, 1)]) == rgb(MAP_SCALE[-1])  # the largest cell: the darkest
    assert shapes[index(0, 1)] == ""
    assert colors[index(0, 2)] == NO_VALUE_COLOR  # only hidden counts
    assert shapes[index(0, 2)] == HIDDEN_PATTERN != ""
    others = {rgb(c) for c in (NO_VALUE_COLOR, MAP_SCALE[0], MAP_SCALE[-1])}
    assert rgb(colors[index(0, 3)]) not in others  # 7 of 40: in between
    assert shapes[index(0, 3)] == PARTLY_HIDDEN_PATTERN != ""  # a lower bound: dotted
    assert colors.count(NO_VALUE_COLOR) == 1
    assert sum(1 for s in shapes if s) == 2


def test_colour_bar_runs_from_zero_to_the_largest_cell():
    fig = coverage_figure(cell_frame(calls={(3, 3): 120}), weekdays_10_18(), lang="en", k=K).to_dict()
    scale = fig["data"][1]
    assert scale["type"] == "scatter" and scale["marker"]["showscale"] is True
    assert scale["marker"]["cmin"] == 0 and scale["marker"]["cmax"] == 120
    assert scale["marker"]["colorbar"]["tickvals"][-1] <= 120
    assert scale["marker"]["colorbar"]["ticktext"][0] == "0"


def test_on_duty_hours_are_outlined_one_solid_rectangle_per_weekday():
    fig = coverage_figure(cell_frame(), weekdays_10_18(), lang="en", k=K)
    assert outlines(fig, "duty-full") == [(day, 10, 18, "solid") for day in range(5)]
    assert outlines(fig, "duty-part") == []
    assert len(outlines(fig, "duty-full-halo")) == 5  # the white halo under each line
    shapes = fig.to_dict()["layout"]["shapes"]
    names = [s["name"] for s in shapes]
    assert names.index("duty-full") > max(i for i, n in enumerate(names) if n.endswith("halo"))
    line = next(s for s in shapes if s["name"] == "duty-full")["line"]
    assert line["color"] == "#000000" and line["width"] >= 2


def test_hours_on_duty_part_of_the_period_get_dashed_outlines():
    # week 1: Mon-Fri 10-18; week 2: every day 6-22 (Denver's 2021 change, in miniature)
    spans = [
        PlanSpan(Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18)), *WEEK),
        PlanSpan(Plan(2, hours=(6, 22)), date(2024, 1, 8), date(2024, 1, 14)),
    ]
    fig = coverage_figure(cell_frame(), duty_shares(spans), lang="en", k=K)
    assert outlines(fig, "duty-full") == [(day, 10, 18, "solid") for day in range(5)]
    part = outlines(fig, "duty-part")
    assert [p for p in part if p[0] == 0] == [(0, 6, 10, "dash"), (0, 18, 22, "dash")]
    assert [p for p in part if p[0] == 5] == [(5, 6, 22, "dash")]
    assert len(part) == 5 * 2 + 2


def test_partial_hours_with_different_shares_merge_into_one_outline():
    duty = np.zeros((7, 24))
    duty[2, 8:10] = 0.25
    duty[2, 10:12] = 0.75
    duty[2, 12:14] = 1.0
    duty[2, 14] = 0.5
    assert duty_runs(duty) == [(2, 8, 12, False), (2, 12, 14, True), (2, 14, 15, False)]
    fig = coverage_figure(cell_frame(), duty, lang="en", k=K)
    assert outlines(fig, "duty-part") == [(2, 8, 12, "dash"), (2, 14, 15, "dash")]
    assert duty_runs(np.zeros((7, 24))) == []
    assert duty_runs(np.ones((7, 24))) == [(day, 0, 24, True) for day in range(7)]


def test_a_shift_past_midnight_is_outlined_on_both_days():
    duty = duty_shares([PlanSpan(Plan(1, days=(4,), hours=(22, 6)), *WEEK)])
    fig = coverage_figure(cell_frame(), duty, lang="en", k=K)
    assert outlines(fig, "duty-full") == [(4, 22, 24, "solid"), (5, 0, 6, "solid")]


def test_hover_says_calls_hidden_counts_and_duty_in_words():
    spans = [
        PlanSpan(Plan(1, days=(0, 1, 2, 3, 4), hours=(10, 18)), *WEEK),
        PlanSpan(Plan(2, hours=(6, 22)), date(2024, 1, 8), date(2024, 1, 14)),
    ]
    cells = cell_frame(
        calls={(0, 10): 1234, (0, 2): 0, (0, 3): 7, (0, 4): 0, (0, 5): 0},
        hidden={(0, 2): 3, (0, 3): 2, (0, 4): 1},
    )
    fig = coverage_figure(cells, duty_shares(spans), lang="en", k=K, team="STAR team")
    hover = heat(fig)["hovertext"]
    assert hover[index(0, 10)].startswith("<b>Monday, 10 am–11 am</b>")
    assert "Eligible calls: 1,234" in hover[index(0, 10)]
    assert "STAR team on duty" in hover[index(0, 10)] and "%" not in hover[index(0, 10)]
    assert "STAR team on duty on 50% of these days" in hover[index(0, 7)]
    assert "No STAR team on duty" in hover[index(0, 2)]
    assert "Hidden for privacy in 3 years" in hover[index(0, 2)] and "1–10 calls" in hover[index(0, 2)]
    assert "Hidden for privacy<br>" in hover[index(0, 4)] and "1–10 calls" in hover[index(0, 4)]
    assert "at least 7" in hover[index(0, 3)] and "2 years' counts hidden" in hover[index(0, 3)]
    assert "No eligible calls" in hover[index(0, 5)]
    assert "Saturday, 11 am–noon" in hover[index(5, 11)]
    assert "Sunday, 11 pm–12 am" in hover[index(6, 23)]
    default = heat(coverage_figure(cells, weekdays_10_18(), lang="en", k=K))["hovertext"]
    assert "Alternative team on duty" in default[index(0, 10)]  # capitalised at the line's start


def test_k_sets_the_hidden_range():
    cells = cell_frame(calls={(1, 1): 0}, hidden={(1, 1): 1})
    hover = heat(coverage_figure(cells, weekdays_10_18(), lang="en", k=5))["hovertext"][index(1, 1)]
    assert "1–4 calls" in hover


def test_legend_sentences_name_what_the_figure_shows():
    duty = weekdays_10_18()
    plain = coverage_legend("en", k=K, team="STAR team", cells=cell_frame(), duty=duty)
    assert len(plain) == 2
    assert "yellow" in plain[0] and "blue" in plain[0]
    assert plain[1].startswith("Solid") and "STAR team" in plain[1]
    cells = cell_frame(calls={(0, 0): 0, (0, 1): 3}, hidden={(0, 0): 1, (0, 1): 1})
    duty[5, 12] = 0.5
    full = coverage_legend("en", k=K, team="STAR team", cells=cells, duty=duty)
    assert len(full) == 5
    assert any("hatching" in s and "1–10" in s for s in full)
    assert any(s.startswith("Dotted") for s in full)
    assert any(s.startswith("Dashed") and "some days" in s for s in full)
    assert len(coverage_legend("en", k=K)) == 5  # without the data: every sentence
    never = coverage_legend("en", k=K, cells=cell_frame(), duty=np.zeros((7, 24)))
    assert "not on duty at any hour" in never[-1]


def test_no_calls_gives_an_empty_figure_and_bad_duty_is_refused():
    empty = coverage_figure(cell_frame(calls={(d, h): 0 for d in range(7) for h in range(24)}),
                            weekdays_10_18(), lang="en", k=K)
    assert empty.to_dict()["data"] == []
    assert "No eligible calls" in empty.layout.annotations[0].text
    only_hidden = cell_frame(calls={(d, h): 0 for d in range(7) for h in range(24)}, hidden={(0, 0): 1})
    assert len(coverage_figure(only_hidden, weekdays_10_18(), lang="en", k=K).to_dict()["data"]) == 2
    with pytest.raises(ValueError, match="^duty:"):
        coverage_figure(cell_frame(), np.zeros((24, 7)), lang="en", k=K)
    with pytest.raises(ValueError, match="^duty:"):
        coverage_figure(cell_frame(), np.full((7, 24), 1.5), lang="en", k=K)
    with pytest.raises(ValueError, match="^cells: missing"):
        coverage_figure(cell_frame().drop(columns="calls"), weekdays_10_18(), lang="en", k=K)


def test_missing_cells_count_as_no_calls():
    cells = cell_frame(calls={(2, 5): 50}).iloc[[index(2, 5)]]  # one row only
    bars = heat(coverage_figure(cells, weekdays_10_18(), lang="en", k=K))
    assert len(bars["x"]) == 168
    assert rgb(bars["marker"]["color"][index(2, 5)]) == rgb(MAP_SCALE[-1])
    assert rgb(bars["marker"]["color"][index(2, 6)]) == rgb(MAP_SCALE[0])


def test_text_colour_contrasts_with_its_fill():
    assert text_color_on(MAP_SCALE[-1]) == "#ffffff"
    assert text_color_on(MAP_SCALE[0]) != "#ffffff"
    assert text_color_on("#E69F00") != "#ffffff"


# ---------------------------------------------------------------------------- planner


def planner_rows() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"label": "Observed", "answered": 0.31},
            {"label": "Model: schedule in force", "answered": 0.34, "no_team": 0.08, "out_of_hours": 0.30,
             "outside_area": 0.22, "screened": 0.06},
            {"label": "Model: your plan", "answered": 0.55, "no_team": 0.004, "out_of_hours": 0.14,
             "outside_area": 0.25, "screened": 0.056},
        ]
    )


def bar_values(trace: dict) -> list[float]:
    return [0.0 if v is None else v for v in trace["x"]]


def test_planner_bars_stack_to_100_percent_in_a_fixed_order():
    fig = planner_figure(planner_rows(), lang="en")
    go.Figure(fig.to_dict())
    data = fig.to_dict()["data"]
    assert {trace["type"] for trace in data} <= BASIC_BUNDLE_TRACES
    assert [trace["name"] for trace in data] == [
        "Answered", "No team free", "Out of hours", "Outside the area", "Screened out", "Reason not known",
    ]
    assert fig.layout.barmode == "stack"
    assert all(trace["orientation"] == "h" for trace in data)
    totals = np.sum([bar_values(trace) for trace in data], axis=0)
    assert totals == pytest.approx([1.0, 1.0, 1.0])
    answered = data[0]
    assert answered["x"] == pytest.approx([0.31, 0.34, 0.55])
    assert answered["marker"]["color"] == PROGRAM_COLORS["STAR"]
    assert answered["marker"]["pattern"]["shape"] == ""  # the only solid part
    lost = data[1:]
    assert all(trace["marker"]["pattern"]["shape"] for trace in lost)
    assert len({trace["marker"]["pattern"]["shape"] for trace in lost}) == len(lost)
    assert len({trace["marker"]["color"] for trace in data}) == len(data)


def test_unknown_parts_are_left_out_and_the_rest_is_reason_not_known():
    data = planner_figure(planner_rows(), lang="en").to_dict()["data"]
    no_team, unknown = data[1], data[-1]
    assert no_team["x"][0] is None and no_team["text"][0] == ""  # the observed row does not know it
    assert unknown["x"][0] == pytest.approx(0.69)
    assert unknown["x"][1] is None and unknown["x"][2] is None  # complete rows: nothing unknown
    parts = planner_parts(planner_rows())
    assert list(parts.columns) == [*PLANNER_PARTS, "unknown"]
    assert math.isnan(parts.loc[0, "screened"]) and parts.loc[0, "unknown"] == pytest.approx(0.69)


def test_a_part_no_row_knows_gets_no_trace():
    rows = pd.DataFrame({"label": ["A", "B"], "answered": [0.4, 0.5], "out_of_hours": [0.6, 0.5]})
    names = [trace["name"] for trace in planner_figure(rows, lang="en").to_dict()["data"]]
    assert names == ["Answered", "Out of hours"]


def test_planner_texts_labels_and_axis():
    fig = planner_figure(planner_rows(), lang="en")
    data = fig.to_dict()["data"]
    assert data[0]["text"] == ["31%", "34%", "55%"]
    assert data[1]["text"][2] == ""  # 0.4 %: too small to print
    assert "Model: schedule in force" in data[2]["hovertext"][1] and "30.0%" in data[2]["hovertext"][1]
    labels = [a.text for a in fig.layout.annotations]
    assert labels == ["<b>Observed</b>", "<b>Model: schedule in force</b>", "<b>Model: your plan</b>"]
    ys = [a.y for a in fig.layout.annotations]
    assert ys == sorted(ys)  # first row on top (the y axis is reversed)
    assert list(fig.layout.yaxis.range) == [2.5, -0.5]
    assert list(fig.layout.xaxis.range) == [0, 1]
    assert list(fig.layout.xaxis.ticktext) == ["0%", "25%", "50%", "75%", "100%"]
    spanish = planner_figure(planner_rows(), lang="es").layout.xaxis.ticktext
    assert spanish[1] == "25\u00a0%"  # the Spanish spaced percent, which plotly's ".0%" cannot write
    assert fig.layout.legend.orientation == "h"
    assert fig.layout.uniformtext.mode == "hide"


def test_long_scenario_names_wrap_and_the_chart_grows():
    short = planner_figure(planner_rows(), lang="en")
    rows = planner_rows()
    rows.loc[2, "label"] = "Model: your plan (8 vans, every day, 6 am–2 am, every district of the city)"
    long = planner_figure(rows, lang="en")
    assert "<br>" in long.layout.annotations[2].text
    assert long.layout.height > short.layout.height
    assert planner_figure(rows, lang="en", height=400).layout.height == 400


def test_planner_refuses_bad_rows_and_draws_nothing_for_none():
    with pytest.raises(ValueError, match="answered"):
        planner_figure(pd.DataFrame({"label": ["A"], "answered": [1.4]}), lang="en")
    with pytest.raises(ValueError, match="label"):
        planner_figure(pd.DataFrame({"answered": [0.4]}), lang="en")
    empty = planner_figure(pd.DataFrame(columns=["label", "answered"]), lang="en")
    assert empty.to_dict()["data"] == []
    assert "No scenarios" in empty.layout.annotations[0].text
