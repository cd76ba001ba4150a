"""The "only this" and "All" buttons of the filter bars (issue 15 item 8): what a click sets.

The buttons only set control values; the pages then read them like hand-ticked boxes,
so this pure step is where a shortcut can be wrong. The browser tests click them.
"""

from __future__ import annotations

import pytest
from dash import no_update

from dashboard.components.filter_shortcuts import ALL, OUTPUT_KEYS, shortcut_outputs, shortcut_values
from dashboard.i18n import t

MONTHS = [f"{y}-{m:02d}-01" for y in (2019, 2020) for m in range(1, 13)][5:]  # June 2019 to Dec 2020
OPTIONS = {
    "programs": ["STAR", "CO_RESPONDER", "PATROL"],
    "districts": ["1", "3", "citywide"],
    "categories": ["welfare_check", "other"],
    "months": MONTHS,
}


@pytest.mark.parametrize(
    ("group", "value", "expected"),
    [
        ("program", "STAR", {"programs": ["STAR"]}),
        ("district", "3", {"districts": ["3"]}),
        ("category", "other", {"categories": ["other"]}),
        ("program", ALL, {"programs": ["STAR", "CO_RESPONDER", "PATROL"]}),
        ("district", ALL, {"districts": ["1", "3", "citywide"]}),
        ("year", "2020", {"start": "2020-01-01", "end": "2020-12-01"}),
        # A year the release holds only part of is cut to its months.
        ("year", "2019", {"start": "2019-06-01", "end": "2019-12-01"}),
        ("year", ALL, {"start": "2019-06-01", "end": "2020-12-01"}),
    ],
)
def test_a_shortcut_sets_its_group_only(group, value, expected):
    assert shortcut_values(group, value, OPTIONS) == expected


@pytest.mark.parametrize(
    ("group", "value"),
    [("program", "NOPE"), ("district", "9"), ("year", "1999"), ("metric", "count"), (None, "STAR"),
     ("program", 3), (["program"], "STAR")],
)
def test_a_button_that_is_no_shortcut_of_these_options_changes_nothing(group, value):
    assert shortcut_values(group, value, OPTIONS) is None


def _options(values):
    return [{"label": v, "value": v} for v in values]


def test_a_click_changes_only_the_controls_of_its_group():
    options = {key: _options(values) for key, values in OPTIONS.items()}
    button = {"type": "filter-shortcut", "bar": "overview", "group": "district", "value": "3"}
    out = shortcut_outputs(button, [{"prop_id": "x.n_clicks", "value": 1}], options)
    assert set(out) == set(OUTPUT_KEYS)
    assert out["districts"] == ["3"]
    assert all(out[k] is no_update for k in OUTPUT_KEYS if k != "districts")


@pytest.mark.parametrize(
    ("triggered_id", "triggered"),
    [
        # A button drawn anew (a city change) reports n_clicks 0: no click.
        ({"group": "district", "value": "3"}, [{"prop_id": "x.n_clicks", "value": 0}]),
        ({"group": "district", "value": "3"}, []),
        (None, [{"prop_id": "x.n_clicks", "value": 1}]),
        ("district", [{"prop_id": "x.n_clicks", "value": 1}]),
        ({"group": "district", "value": "3"}, "garbage"),
    ],
)
def test_no_click_no_change(triggered_id, triggered):
    options = {key: _options(values) for key, values in OPTIONS.items()}
    out = shortcut_outputs(triggered_id, triggered, options)
    assert all(v is no_update for v in out.values())


def test_forged_options_are_ignored():
    out = shortcut_outputs({"group": "program", "value": ALL}, [{"value": 2}],
                           {"programs": "STAR", "months": [1, {"value": 2}]})
    assert all(v is no_update for v in out.values())


@pytest.mark.parametrize("lang", ["en", "es"])
def test_every_name_says_what_the_button_does_and_holds_its_visible_word(lang):
    """WCAG 2.5.3: the visible word is part of the accessible name ("only" in "Only STAR")."""
    assert t("filters.only", lang).lower() in t("filters.only_label", lang, name="X").lower()
    for group in ("program", "district", "category", "year"):
        shown = t(f"filters.all.{group}", lang)
        heard = t(f"filters.all_label.{group}", lang, label="distrito")
        assert shown.lower() in heard.lower() and len(heard) > len(shown)
