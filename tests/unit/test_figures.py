"""Figure builders on hand-made frames: assertions on ``fig.to_dict()``, no browser."""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.contract.cities import Milestone
from dashboard.contract.schema import ResponseType
from dashboard.figures import (
    MAP_SCALE,
    NO_VALUE_COLOR,
    PROGRAM_COLORS,
    PROGRAM_DASHES,
    MapDrawing,
    empty_figure,
    map_bounds,
    map_figure,
    map_legend,
    map_metric_values,
    map_patch_paths,
    map_style,
    monthly_figure,
)
from dashboard.figures.maps import FULL_PAD, ZOOM_PAD
from dashboard.figures.trend import _milestone_rows

BASIC_BUNDLE_TRACES = {"scatter", "bar", "pie"}


def monthly_frame(programs=("STAR", "PATROL", "CIT_OFFICER"), months=6, start="2023-01-01") -> pd.DataFrame:
    rows = []
    for i, month in enumerate(pd.date_range(start, periods=months, freq="MS")):
        for j, program in enumerate(programs):
            calls = 10 * (j + 1) + i
            rows.append(
                {"month": month, "response_type": program, "calls": calls, "weeks": 4, "per_week": calls / 4}
            )
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


def minutes_frame() -> pd.DataFrame:
    """``map_frame`` merged with ``queries.map_minutes`` as ``mapview`` does: area 3 has no timed call."""
    minutes = pd.DataFrame(
        {
            "area_id": ["1", "2", "citywide"],
            "median_minutes": [9.0, 14.0, 30.0],
            "timed_calls": [90, 280, 900],
        }
    )
    return map_frame().merge(minutes, on="area_id", how="left")


def apply_paths(figure: dict, paths) -> dict:
    patched = copy.deepcopy(figure)
    for path, value in paths:
        target = patched
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value
    return patched


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
    # no value and no call count: a zero outside the selection would read as "no calls"
    assert style.hovertexts[1].split("<br>")[1] == "No value"
    assert "Calls" not in style.hovertexts[1] and "hidden" not in style.hovertexts[1]
    share = map_style(
        map_metric_values(map_frame(), AREAS, "alt_share", 1000, excluded={"2"}),
        "alt_share",
        lang="en",
        show_labels=True,
    )
    assert "Calls" not in share.hovertexts[1] and "Calls: 100" in share.hovertexts[0]


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
    # an area with cells hidden for privacy: its numbers are lower bounds, and say so
    assert "At least 3.8 calls per 1,000" in fills[1]["text"] and "Calls: at least 300" in fills[1]["text"]
    assert "2 cells hidden for privacy" in fills[1]["text"]
    one_hidden = map_metric_values(map_frame(suppressed_cells=[1, 0, 0, 0]), AREAS, "count", 1000)
    one = map_style(one_hidden, "count", lang="en", show_labels=False)
    assert "At least 100 calls<br><i>1 cell hidden for privacy" in one.hovertexts[0]
    assert "hidden" not in fills[0]["text"] and "at least" not in fills[0]["text"].lower()
    # a click on a fill reports its trace's customdata: the area id
    assert [trace["customdata"] for trace in fills] == [["1"], ["2"], ["3"]]
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
    patched = apply_paths(before.to_dict(), map_patch_paths(after_values, "alt_share", lang="en"))
    assert patched["data"] == expected["data"]


def test_patch_paths_follow_a_new_zoom_and_hint():
    """A district selection changes the frame: the Patch carries the new axis ranges."""
    before = map_figure(map_metric_values(map_frame(), AREAS, "count", 1000), AREAS, "count", lang="en")
    after_values = map_metric_values(map_frame(), AREAS, "median_minutes", 1000, excluded={"1", "3"})
    expected = map_figure(
        after_values, AREAS, "median_minutes", lang="en", zoom_to=["2"], hover_hint="Click me"
    ).to_dict()
    assert expected["layout"]["xaxis"]["range"] != before.to_dict()["layout"]["xaxis"]["range"]
    paths = map_patch_paths(
        after_values, "median_minutes", lang="en", areas=AREAS, zoom_to=["2"], hover_hint="Click me"
    )
    patched = apply_paths(before.to_dict(), paths)
    assert patched["data"] == expected["data"]
    assert patched["layout"] == expected["layout"]
    # and back to the whole city
    back = apply_paths(patched, map_patch_paths(after_values, "count", lang="en", areas=AREAS))
    assert back["layout"]["xaxis"] == before.to_dict()["layout"]["xaxis"]
    assert back["layout"]["yaxis"] == before.to_dict()["layout"]["yaxis"]


def test_a_map_drawing_patches_any_earlier_view_into_its_own_figure():
    """``MapDrawing.patch`` is what a page sends for a view change: applied to the map
    drawn for another view of the same areas, it gives this drawing's whole figure."""
    before = MapDrawing(map_metric_values(map_frame(), AREAS, "count", 1000), AREAS, "count", lang="en")
    after = MapDrawing(
        map_metric_values(map_frame(), AREAS, "alt_share", 1000, excluded={"1"}), AREAS, "alt_share",
        lang="en", zoom_to=["2", "3"], hover_hint="Click me",
    )
    patched = apply_paths(before.figure().to_dict(), after.patch())
    expected = after.figure().to_dict()
    assert patched["data"] == expected["data"]
    assert patched["layout"] == expected["layout"]


def test_patch_is_small_compared_with_the_shapes():
    values = map_metric_values(map_frame(), AREAS, "count", 1000)
    touched = {path[2] for path, _ in map_patch_paths(values, "count", lang="en") if path[0] == "data"}
    assert "x" not in touched and "y" not in touched


def test_long_ranges_get_one_tick_per_year():
    fig = monthly_figure(monthly_frame(months=60, start="2020-01-01"), lang="en").to_dict()
    assert fig["layout"]["xaxis"]["dtick"] == "M12"
    short = monthly_figure(monthly_frame(months=12), lang="en").to_dict()
    assert short["layout"]["xaxis"]["dtick"] == "M1"  # month starts on short ranges too


def test_every_figure_passes_plotly_validation():
    """Figures are built without validation for speed; validate them here instead."""
    figures = [
        monthly_figure(monthly_frame(), lang="en", milestones=()),
        map_figure(map_metric_values(map_frame(), AREAS, "per_1000", 1000), AREAS, "per_1000", lang="en"),
        map_figure(
            map_metric_values(minutes_frame(), AREAS, "median_minutes", 1000),
            AREAS,
            "median_minutes",
            lang="en",
            zoom_to=["1"],
            hover_hint="hint",
        ),
        empty_figure("nothing", lang="en"),
    ]
    for fig in figures:
        go.Figure(fig.to_dict())  # raises ValueError on any invalid property


# ------------------------------------------------------------------------ median minutes


def test_median_minutes_per_area_and_why_some_are_grey():
    values = map_metric_values(minutes_frame(), AREAS, "median_minutes", 1000).set_index("area_id")
    assert values.loc["1", "value"] == 9 and values.loc["2", "value"] == 14
    assert values.loc["2", "timed_calls"] == 280
    assert math.isnan(values.loc["3", "value"]) and values.loc["3", "reason"] == "no_timed_calls"
    style = map_style(values.reset_index(), "median_minutes", lang="en", show_labels=True)
    assert style.fillcolors[1].replace(" ", "") == MAP_SCALE[-1]  # slowest: darkest
    assert "Median response: 14 min" in style.hovertexts[1]
    assert "Calls with a recorded time: 280" in style.hovertexts[1]
    assert all(text.isdigit() for text in style.ticktext)  # whole minutes on the colour bar
    assert "darker: slower" in style.colorbar_title


def test_precincts_have_no_minutes_never_a_zero():
    """Without a median_minutes column (the precinct cube has none) every area is grey."""
    values = map_metric_values(map_frame(), AREAS, "median_minutes", 1000)
    assert values["value"].isna().all()
    assert set(values["reason"]) == {"no_minutes"}
    style = map_style(values, "median_minutes", lang="en", show_labels=True)
    assert set(style.fillcolors) == {NO_VALUE_COLOR}
    assert all("published by district only" in text for text in style.hovertexts)
    assert not style.show_scale  # a colour bar would explain nothing
    assert all("—" not in label for label in style.labels)
    legend = map_legend(values, "median_minutes", lang="en")
    assert legend == (
        "No area has a value for this measure. Response times are published by district only: "
        "the precinct table has no times."
    )


# ---------------------------------------------------------------------------- legend


def test_words_legend_names_the_ends_of_the_scale_and_the_grey_areas():
    values = map_metric_values(map_frame(), AREAS, "count", 1000, excluded={"3"})
    legend = map_legend(values, "count", lang="en")
    assert legend.startswith(
        "Lighter areas had fewer calls, darker more: from 100 (District 1) to 300 (District 2)."
    )
    assert "Grey areas have no value. Outside the districts selected in the filters." in legend
    share = map_legend(map_metric_values(map_frame(), AREAS, "alt_share", 1000), "alt_share", lang="en")
    assert "the STAR team answered a smaller share" in share
    assert "from 25% (District 1) to 50% (District 3)" in share
    assert "No eligible calls here." in share  # district 2
    minutes = map_legend(
        map_metric_values(minutes_frame(), AREAS, "median_minutes", 1000), "median_minutes", lang="en"
    )
    assert "darker slower" in minutes and "from 9 min (District 1) to 14 min (District 2)" in minutes


def test_words_legend_on_ties_and_a_capped_scale():
    areas = tuple(Area(str(i), f"P{i}", 10_000, (square(i, 40),), i + 0.5, 40.5) for i in range(10))
    frame = pd.DataFrame(
        {
            "area_id": [str(i) for i in range(10)],
            "calls": [10, 10, 10, 10, 13, 11, 12, 11, 12, 500],
            "eligible": [0] * 10,
            "eligible_answered": [0] * 10,
            "suppressed_cells": [0] * 10,
        }
    )
    legend = map_legend(map_metric_values(frame, areas, "count", 1000), "count", lang="en")
    assert "from 10 (P0, P1 and 2 more) to 500 (P9)." in legend
    # the scale stops at the 90th percentile (13 + 0.1 x (500 - 13) = 61.7): one outlier
    assert "The darkest colour also covers every value above 62." in legend
    assert "Grey" not in legend
    same = map_legend(map_metric_values(frame.assign(calls=7), areas, "count", 1000), "count", lang="en")
    assert same.startswith("Every area with a value has the same figure: 7 (P0, P1 and 8 more).")


# ------------------------------------------------------------------------------ zoom


def test_bounds_frame_the_zoomed_areas_with_a_margin():
    (x0, x1), (y0, y1) = map_bounds(AREAS, ["3"])  # the square (0, 41)-(1, 42)
    ratio = math.cos(math.radians((40.5 + 40.5 + 41.5) / 3))  # ground length of a longitude degree
    # a degree square is taller than wide on the ground: its height sets the margin
    pad = ZOOM_PAD / ratio
    assert (x0, x1) == pytest.approx((-pad, 1 + pad))
    assert (y0, y1) == pytest.approx((41 - pad * ratio, 42 + pad * ratio))
    assert (y0, y1) == pytest.approx((41 - ZOOM_PAD, 42 + ZOOM_PAD))
    # a tall selection is framed by its height: the margin is the same ground distance
    (tx0, tx1), (ty0, ty1) = map_bounds(AREAS, ["1", "3"])  # (0, 40)-(1, 42)
    pad = ZOOM_PAD * 2 / ratio
    assert (tx0, tx1) == pytest.approx((-pad, 1 + pad))
    assert (ty0, ty1) == pytest.approx((40 - pad * ratio, 42 + pad * ratio))


def test_no_zoom_all_zoomed_or_unknown_ids_show_the_whole_city():
    whole = map_bounds(AREAS)
    (x0, x1), (y0, y1) = whole
    ratio = math.cos(math.radians((40.5 + 40.5 + 41.5) / 3))
    pad = FULL_PAD * max(3.5, 2 / ratio)
    assert (x0, x1) == pytest.approx((-pad, 3.5 + pad))
    assert (y0, y1) == pytest.approx((40 - pad * ratio, 42 + pad * ratio))
    assert map_bounds(AREAS, ["1", "2", "3"]) == whole
    assert map_bounds(AREAS, ["citywide", "99"]) == whole
    assert map_bounds(AREAS, []) == whole


def test_a_zoomed_map_labels_only_the_areas_it_frames():
    values = map_metric_values(map_frame(), AREAS, "count", 1000, excluded={"1", "3"})
    style = map_style(values, "count", lang="en", show_labels=True, zoom_to=["2"])
    assert style.labels[0] == style.labels[2] == "" and style.labels[1].startswith("<b>2</b>")
    whole = map_style(values, "count", lang="en", show_labels=True, zoom_to=["1", "2", "3"])
    assert all(whole.labels)
    # too many areas for labels, unless the map is zoomed to a few of them
    many = tuple(
        Area(str(i), f"P{i}", 10_000, (square(i % 5, 40 + i // 5),), i % 5 + 0.5, 40.5 + i // 5)
        for i in range(20)
    )
    frame = pd.DataFrame(
        {
            "area_id": [a.id for a in many],
            "calls": range(20),
            "eligible": 0,
            "eligible_answered": 0,
            "suppressed_cells": 0,
        }
    )
    many_values = map_metric_values(frame, many, "count", 1000)
    assert not any(map_figure(many_values, many, "count", lang="en").to_dict()["data"][20]["text"])
    zoomed = map_figure(many_values, many, "count", lang="en", zoom_to=["0", "1", "5"]).to_dict()
    assert [bool(text) for text in zoomed["data"][20]["text"]] == [i in (0, 1, 5) for i in range(20)]
    patched = dict(map_patch_paths(many_values, "count", lang="en", areas=many, zoom_to=["0", "1", "5"]))
    assert patched[("data", 20, "text")] == zoomed["data"][20]["text"]
    legend = map_legend(values, "count", lang="en")
    assert legend.startswith("Only one area has a value: 300 (District 2).")


def test_map_figure_zooms_its_axes_and_keeps_the_aspect_lock():
    values = map_metric_values(map_frame(), AREAS, "count", 1000, excluded={"1", "3"})
    layout = map_figure(values, AREAS, "count", lang="en", zoom_to={"2"}).to_dict()["layout"]
    want_x, want_y = map_bounds(AREAS, {"2"})
    assert layout["xaxis"]["range"] == list(want_x) and layout["yaxis"]["range"] == list(want_y)
    assert layout["xaxis"]["range"][1] - layout["xaxis"]["range"][0] < 3.5  # narrower than the city
    assert layout["yaxis"]["scaleanchor"] == "x" and layout["yaxis"]["constrain"] == "domain"
    assert layout["xaxis"]["fixedrange"] and layout["yaxis"]["fixedrange"]


def test_hover_ends_with_the_hint():
    values = map_metric_values(map_frame(), AREAS, "count", 1000)
    hint = "Click for the district's profile"
    fig = map_figure(values, AREAS, "count", lang="en", hover_hint=hint).to_dict()
    assert all(trace["text"].endswith("<i>Click for the district's profile</i>") for trace in fig["data"][:3])
    plain = map_figure(values, AREAS, "count", lang="en").to_dict()
    assert not any("Click" in trace["text"] for trace in plain["data"][:3])


def test_long_colour_bar_titles_break_onto_two_lines():
    from dashboard.figures.maps import _wrap_title

    assert _wrap_title("Calls") == "Calls"
    wrapped = _wrap_title("Share of eligible calls answered by the STAR team")
    assert wrapped.count("<br>") == 1
    first, second = wrapped.split("<br>")
    assert (
        abs(len(first) - len(second)) <= 8
        and f"{first} {second}".split() == wrapped.replace("<br>", " ").split()
    )


def test_numbered_area_names_are_translated_and_place_names_kept():
    from dashboard.views.mapview import area_name

    assert area_name("District 5", "es") == "Distrito 5"
    assert area_name("Precinct 111", "es") == "Sector 111"
    assert area_name("Council district 10", "es") == "Distrito del concejo 10"
    assert area_name("Council district 10", "en") == "Council district 10"
    assert area_name("Eugene", "es") == "Eugene"
    assert area_name("Neighborhood 3", "es") == "Neighborhood 3"  # no catalog noun: kept


def test_decimals_keep_us_separators_in_spanish():
    from dashboard.figures import format_map_value

    assert format_map_value(1234.56, "per_1000", "es") == "1,234.6"
    assert format_map_value(1234.56, "per_1000", "en") == "1,234.6"


def test_a_hidden_month_is_a_gap_not_a_zero():
    """Council districts' months come from a suppressed cube: a hidden month drawn at 0
    would say the team answered nothing; it is left out of the line instead."""
    frame = monthly_frame()
    frame["hidden"] = 0
    star = frame.index[frame["response_type"] == "STAR"]
    frame.loc[star[1], "hidden"] = 1
    frame.loc[star[1], ["calls", "per_week"]] = 0
    fig = monthly_figure(frame, lang="en").to_dict()
    line = next(tr for tr in fig["data"] if "STAR" in tr["name"])
    assert line["y"][1] is None
    assert all(v is not None for i, v in enumerate(line["y"]) if i != 1)
    others = [tr for tr in fig["data"] if "STAR" not in tr["name"]]
    assert others and all(None not in tr["y"] for tr in others)


@pytest.mark.parametrize(("months", "step", "fmt"), [(2, "M1", "%b\n%Y"), (12, "M1", "%b\n%Y"),
                                                     (24, "M3", "%b\n%Y"), (60, "M12", "%Y")])
def test_trend_ticks_fall_on_month_starts_whatever_the_range(months, step, fmt):
    """A two-month range labelled its axis "May, May, May, May" (weekly ticks, each named by
    its month; issue 14): ticks are whole months, fewer as the range grows."""
    axis = monthly_figure(monthly_frame(months=months), lang="en").to_dict()["layout"]["xaxis"]
    assert (axis["dtick"], axis["tickformat"], axis["tick0"]) == (step, fmt, "2000-01-01")


def test_months_without_any_record_are_gaps_not_zero_calls(shipped_settings):
    """Lane County's export has no record in October-November 2024 (issue 14): those months
    are gaps in the line, shaded and labelled on the chart and 'no records' in its table,
    while a month with records stays a number."""
    from dashboard.engine.engines import get_store
    from dashboard.params.filters import Filters
    from dashboard.queries import overview as queries
    from dashboard.views.overview import _trend_table

    store = get_store(shipped_settings)
    start, end = pd.Timestamp("2024-08-01").date(), pd.Timestamp("2025-01-01").date()
    f = Filters(city="lane_county", start=start, end=end)
    monthly = queries.monthly_by_program(store, f)
    gaps = monthly.loc[monthly["no_records"], "month"].dt.strftime("%Y-%m").tolist()
    assert gaps == ["2024-10", "2024-11"]
    fig = monthly_figure(monthly, lang="es").to_dict()
    (trace,) = fig["data"]
    assert [y is None for y in trace["y"]] == [False, False, True, True, False, False]
    assert [a["text"] for a in fig["layout"]["annotations"] if a.get("textangle") == -90] == ["Sin registros"]
    rows = _trend_table(monthly, "en", {}).rows
    assert [r[-1] for r in rows][1:4] == [rows[1][-1], "no records", "no records"] and rows[1][-1] != "0"
