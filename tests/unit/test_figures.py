"""Figure builders on hand-made frames: assertions on ``fig.to_dict()``, no browser."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.data.cities import Milestone
from dashboard.data.schema import ResponseType
from dashboard.figures import (
    MAP_SCALE,
    NO_VALUE_COLOR,
    PROGRAM_COLORS,
    PROGRAM_DASHES,
    empty_figure,
    map_figure,
    map_metric_values,
    map_patch_paths,
    map_style,
    monthly_figure,
)
from dashboard.figures.trend import _milestone_rows

BASIC_BUNDLE_TRACES = {"scatter", "bar", "pie"}


def monthly_frame(programs=("STAR", "PATROL", "CIT_OFFICER"), months=6, start="2023-01-01") -> pd.DataFrame:
    rows = []
    for i, month in enumerate(pd.date_range(start, periods=months, freq="MS")):
        for j, program in enumerate(programs):
            calls = 10 * (j + 1) + i
            rows.append({"month": month, "response_type": program, "calls": calls, "weeks": 4,
                         "per_week": calls / 4})
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    population: int
    rings: tuple
    label_lon: float
    label_lat: float


def square(x: float, y: float, size: float = 1.0) -> tuple[tuple[float, ...], tuple[float, ...]]:
    return ((x, x + size, x + size, x, x), (y, y, y + size, y + size, y))


AREAS = (
    Area("1", "District 1", 50_000, (square(0, 40),), 0.5, 40.5),
    # two rings (an exclave): joined with a None gap in one trace
    Area("2", "District 2", 80_000, (square(1, 40), square(3, 40, 0.5)), 1.5, 40.5),
    Area("3", "District 3", 400, (square(0, 41),), 0.5, 41.5),  # below the 1,000 threshold
)


def map_frame(**overrides) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "area_id": ["1", "2", "3", "citywide"],
            "calls": [100, 300, 5, 999],
            "eligible": [40, 0, 2, 9],
            "eligible_answered": [10, 0, 1, 9],
            "suppressed_cells": [0, 2, 0, 0],
        }
    )
    return frame.assign(**overrides)


# ---------------------------------------------------------------------------- time series


def test_monthly_figure_one_line_per_program_in_fixed_order_and_colours():
    fig = monthly_figure(monthly_frame(), lang="en").to_dict()
    names = [trace["name"] for trace in fig["data"]]
    assert names == ["STAR team", "CIT officers", "Patrol officers"]  # schema order, not frame order
    for trace, program in zip(fig["data"], ["STAR", "CIT_OFFICER", "PATROL"], strict=True):
        assert trace["type"] == "scatter"
        assert trace["line"]["color"] == PROGRAM_COLORS[ResponseType(program)]
        assert trace["line"]["dash"] == PROGRAM_DASHES[ResponseType(program)]
        assert len(trace["x"]) == 6 and trace["x"][0] == "2023-01-01"
    assert fig["data"][0]["y"] == [2.5, 2.75, 3.0, 3.25, 3.5, 3.75]  # calls per week
    assert fig["data"][0]["customdata"] == [10, 11, 12, 13, 14, 15]  # calls in the month
    assert fig["layout"]["dragmode"] is False


def test_program_colours_are_distinct_and_lines_differ_in_more_than_colour():
    assert len(set(PROGRAM_COLORS.values())) == len(PROGRAM_COLORS)
    assert len(set(PROGRAM_DASHES.values())) == len(PROGRAM_DASHES)


def test_milestones_in_range_become_dotted_lines_with_numbered_badges():
    milestones = (
        Milestone(date(2020, 6, 1), "before the range"),
        Milestone(date(2023, 2, 1), "first"),
        Milestone(date(2023, 5, 1), "second"),
        Milestone(date(2024, 1, 1), "after the range"),
    )
    fig = monthly_figure(monthly_frame(), lang="en", milestones=milestones).to_dict()
    shapes = fig["layout"]["shapes"]
    assert [s["x0"] for s in shapes] == ["2023-02-01", "2023-05-01"]
    assert all(s["line"]["dash"] == "dot" and s["yref"] == "paper" for s in shapes)
    badges = fig["layout"]["annotations"]
    # numbered by position in the city's full list, so the list under the chart matches
    assert [a["text"] for a in badges] == ["<b>2</b>", "<b>3</b>"]
    assert "first" in badges[0]["hovertext"]


def test_close_milestones_stack_instead_of_overlapping():
    milestones = (
        Milestone(date(2023, 2, 1), "a"),
        Milestone(date(2023, 2, 1), "b"),  # same month: must not share a row
        Milestone(date(2023, 6, 1), "c"),
    )
    fig = monthly_figure(monthly_frame(months=60), lang="en", milestones=milestones).to_dict()
    shifts = [a["yshift"] for a in fig["layout"]["annotations"]]
    assert shifts[0] != shifts[1]
    assert fig["layout"]["margin"]["t"] > 12  # room for the second row


def test_milestone_rows_greedy_first_fit():
    assert _milestone_rows([0.0, 0.01, 0.02, 0.5], 0.07) == [0, 1, 2, 0]
    assert _milestone_rows([], 0.07) == []


def test_empty_monthly_frame_says_so():
    empty = monthly_frame().iloc[0:0]
    fig = monthly_figure(empty, lang="en").to_dict()
    assert fig.get("data", []) == []
    assert "No calls" in fig["layout"]["annotations"][0]["text"]


# ----------------------------------------------------------------------------- map values


def test_map_metric_values_counts_missing_areas_as_zero_and_ignores_unknown():
    values = map_metric_values(map_frame().iloc[[0, 3]], AREAS, "count", 1000)
    assert list(values["area_id"]) == ["1", "2", "3"]  # areas order; "citywide" dropped
    assert list(values["value"]) == [100.0, 0.0, 0.0]


def test_per_1000_is_missing_below_the_population_threshold():
    values = map_metric_values(map_frame(), AREAS, "per_1000", 1000)
    assert values.loc[0, "value"] == pytest.approx(2.0)  # 100 calls / 50,000 * 1000
    assert values.loc[1, "value"] == pytest.approx(3.75)
    assert math.isnan(values.loc[2, "value"])
    assert list(values["reason"]) == ["", "", "low_population"]


def test_alt_share_is_missing_without_eligible_calls():
    values = map_metric_values(map_frame(), AREAS, "alt_share", 1000)
    assert values.loc[0, "value"] == pytest.approx(0.25)
    assert math.isnan(values.loc[1, "value"])
    assert values.loc[1, "reason"] == "no_eligible"
    assert values.loc[2, "value"] == pytest.approx(0.5)


def test_areas_outside_the_selected_districts_have_no_value():
    values = map_metric_values(map_frame(), AREAS, "count", 1000, excluded={"2"})
    assert math.isnan(values.loc[1, "value"]) and values.loc[1, "reason"] == "not_selected"
    assert values.loc[0, "value"] == 100.0
    style = map_style(values, "count", lang="en", show_labels=True)
    assert style.fillcolors[1] == NO_VALUE_COLOR
    assert "Outside the districts selected" in style.hovertexts[1]


def test_an_unpublished_district_is_grey_with_its_reason_not_zero():
    values = map_metric_values(map_frame(), AREAS, "count", 1000, unpublished={AREAS[1].id})
    assert math.isnan(values.loc[1, "value"]) and values.loc[1, "reason"] == "unpublished"
    style = map_style(values, "count", lang="en", show_labels=True)
    assert style.fillcolors[1] == NO_VALUE_COLOR
    assert "for privacy" in style.hovertexts[1]


def test_unknown_metric_is_rejected():
    with pytest.raises(ValueError):
        map_metric_values(map_frame(), AREAS, "bogus", 1000)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------------- map


def test_map_figure_one_filled_trace_per_area_then_labels_then_colour_bar():
    values = map_metric_values(map_frame(), AREAS, "per_1000", 1000)
    fig = map_figure(values, AREAS, "per_1000", lang="en").to_dict()
    data = fig["data"]
    assert len(data) == len(AREAS) + 2
    assert {trace["type"] for trace in data} <= BASIC_BUNDLE_TRACES
    fills = data[: len(AREAS)]
    assert all(trace["fill"] == "toself" and trace["hoveron"] == "fills" for trace in fills)
    # rings of one area joined by a None gap
    assert fills[1]["x"].count(None) == 1 and fills[0]["x"].count(None) == 0
    assert fills[1]["x"][5] is None
    # no value -> neutral grey, explained on hover
    assert fills[2]["fillcolor"] == NO_VALUE_COLOR
    assert "Too few residents" in fills[2]["text"]
    assert fills[0]["fillcolor"] != fills[1]["fillcolor"]
    assert "suppressed" in fills[1]["text"] and "suppressed" not in fills[0]["text"]
    labels, bar = data[len(AREAS)], data[len(AREAS) + 1]
    assert labels["mode"] == "text" and len(labels["text"]) == len(AREAS)
    assert bar["marker"]["showscale"] is True
    assert bar["marker"]["colorscale"][0][1] == MAP_SCALE[0]
    layout = fig["layout"]
    assert layout["xaxis"]["visible"] is False and layout["yaxis"]["visible"] is False
    assert layout["yaxis"]["scaleanchor"] == "x"
    assert layout["yaxis"]["scaleratio"] == pytest.approx(1 / math.cos(math.radians(40.83)), rel=0.01)
    assert layout["height"] > 0


def test_map_colours_come_from_the_colour_blind_safe_scale():
    values = map_metric_values(map_frame(), AREAS, "count", 1000)
    style = map_style(values, "count", lang="en", show_labels=True)
    assert style.cmin == 0 and style.cmax == 300
    assert style.fillcolors[1].replace(" ", "") == MAP_SCALE[-1]  # the largest value: darkest
    assert style.label_colors[1] == "#ffffff"  # white text on the dark fill


def test_share_scale_is_always_zero_to_one():
    values = map_metric_values(map_frame(), AREAS, "alt_share", 1000)
    style = map_style(values, "alt_share", lang="en", show_labels=True)
    assert (style.cmin, style.cmax) == (0.0, 1.0)
    assert style.ticktext == ("0%", "25%", "50%", "75%", "100%")


def test_one_outlier_caps_the_scale_and_says_so():
    areas = tuple(Area(str(i), f"P{i}", 10_000, (square(i, 40),), i + 0.5, 40.5) for i in range(10))
    frame = pd.DataFrame(
        {
            "area_id": [str(i) for i in range(10)],
            "calls": [10, 12, 11, 9, 13, 10, 12, 11, 10, 500],
            "eligible": [0] * 10,
            "eligible_answered": [0] * 10,
            "suppressed_cells": [0] * 10,
        }
    )
    style = map_style(map_metric_values(frame, areas, "count", 1000), "count", lang="en", show_labels=False)
    assert style.capped and style.cmax < 500
    assert style.ticktext[-1].endswith("+")
    assert style.labels == ("",) * 10


def test_patch_paths_turn_one_metric_into_the_other():
    """Applying the Patch paths to the drawn map gives the full figure of the new metric."""
    before = map_figure(map_metric_values(map_frame(), AREAS, "count", 1000), AREAS, "count", lang="en")
    after_values = map_metric_values(map_frame(), AREAS, "alt_share", 1000)
    expected = map_figure(after_values, AREAS, "alt_share", lang="en").to_dict()
    patched = copy.deepcopy(before.to_dict())
    for path, value in map_patch_paths(after_values, "alt_share", lang="en"):
        target = patched
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    assert patched["data"] == expected["data"]


def test_patch_is_small_compared_with_the_shapes():
    values = map_metric_values(map_frame(), AREAS, "count", 1000)
    touched = {path[2] for path, _ in map_patch_paths(values, "count", lang="en") if path[0] == "data"}
    assert "x" not in touched and "y" not in touched


def test_long_ranges_get_one_tick_per_year():
    fig = monthly_figure(monthly_frame(months=60, start="2020-01-01"), lang="en").to_dict()
    assert fig["layout"]["xaxis"]["dtick"] == "M12"
    short = monthly_figure(monthly_frame(months=12), lang="en").to_dict()
    assert "dtick" not in short["layout"]["xaxis"]


def test_every_figure_passes_plotly_validation():
    """Figures are built without validation for speed; validate them here instead."""
    figures = [
        monthly_figure(monthly_frame(), lang="en", milestones=()),
        map_figure(map_metric_values(map_frame(), AREAS, "per_1000", 1000), AREAS, "per_1000", lang="en"),
        empty_figure("nothing", lang="en"),
    ]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property
