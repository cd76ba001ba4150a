"""Officer time returned (``dashboard.models.officer_time``) on tables small enough to work by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.models import officer_time as model


def cube() -> pd.DataFrame:
    """2023: welfare checks 10 police calls, 600 min (60 a call); mental health 20 calls,
    1,800 min (90 a call); trespass hidden. 2024: every cell hidden."""
    return pd.DataFrame({
        "year": [2023, 2023, 2023, 2024],
        "call_category": ["welfare_check", "mental_health", "trespass_unwanted_person", "welfare_check"],
        "n": pd.array([10, 20, None, None], dtype="Int64"),
        "busy_minutes": pd.array([600, 1800, None, None], dtype="Int64"),
        "suppressed": [False, False, True, True],
    })


def team() -> pd.DataFrame:
    return pd.DataFrame({
        "month": pd.to_datetime(["2023-01-01", "2023-01-01", "2023-02-01", "2024-01-01"]),
        "district": ["1", "2", "1", "1"],
        "call_category": ["welfare_check", "mental_health", "trespass_unwanted_person", "welfare_check"],
        "n": [6, 4, 3, 5],
    })


def test_minutes_per_call_from_published_cells_only():
    minutes = model.police_minutes(cube())
    assert minutes[["year", "call_category", "calls", "minutes"]].values.tolist() == [
        [2023, "mental_health", 20, 1800], [2023, "welfare_check", 10, 600]]
    assert minutes["per_call"].tolist() == [90.0, 60.0]
    assert model.pooled_minutes(minutes).to_dict() == {2023: 80.0}  # 2,400 min over 30 calls


def test_each_call_counts_its_category_else_its_year_else_nothing():
    hours = model.officer_hours(team(), model.police_minutes(cube()))
    assert hours["basis"].tolist() == [model.FROM_CATEGORY, model.FROM_CATEGORY, model.FROM_YEAR,
                                       model.NO_BASIS]
    # 6 x 60 min, 4 x 90 min, 3 x 80 min (the year's pooled minutes), no 2024 police time
    assert hours["hours"].iloc[:3].tolist() == pytest.approx([6.0, 6.0, 4.0])
    assert pd.isna(hours["hours"].iloc[3])


def test_months_and_districts_add_up():
    hours = model.officer_hours(team(), model.police_minutes(cube()))
    monthly = model.monthly(hours)
    assert monthly["calls"].tolist() == [10, 3, 5]
    assert monthly["hours"].iloc[:2].tolist() == pytest.approx([12.0, 4.0])
    assert pd.isna(monthly["hours"].iloc[2])  # no estimate is not zero hours
    districts = model.by_district(hours)
    assert districts.values.tolist() == [[2023, "1", 9, pytest.approx(10.0)],
                                         [2023, "2", 4, pytest.approx(6.0)]]
