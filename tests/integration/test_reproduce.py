"""Every headline number the Overview shows is recomputed from the public files.

The journalist's path: download the CSV, apply the same filters, count. The data
layer reads rollups, not the CSV, so agreement here proves the rollups are exact.
Response minutes are not in the rows (issue 12: to the minute they would single out most
calls): medians and percentiles are recomputed from the release's rollup_minutes.parquet,
which counts the same calls per whole minute, and its counts must fit the rows' own.
"""

from datetime import date

import pandas as pd
import pytest

from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries import overview as queries

from ..conftest import minute_quantile, release_calls, release_minutes, select_minutes
from ..conftest import select_rows as select

VIEWS = [
    Filters("denver", date(2023, 1, 1), date(2023, 12, 1)),
    Filters("denver", date(2020, 6, 1), date(2021, 5, 1), districts=("6",),
            categories=(CallCategory.WELFARE_CHECK, CallCategory.INTOXICATION)),
    Filters("denver", date(2024, 3, 1), date(2025, 12, 1), programs=(ResponseType.STAR, ResponseType.PATROL),
            districts=("1", "3")),
    Filters("grand_junction", date(2022, 1, 1), date(2024, 12, 1)),
]


@pytest.fixture(scope="module")
def store(shipped_settings):
    return Store(shipped_settings)


@pytest.fixture(scope="module")
def csv_rows(shipped_settings):
    return {city: release_calls(shipped_settings, city) for city in ("denver", "grand_junction")}


@pytest.fixture(scope="module")
def published_minutes(shipped_settings):
    return {city: release_minutes(shipped_settings, city) for city in ("denver", "grand_junction")}


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_the_minutes_file_counts_the_rows_calls(f, csv_rows, published_minutes):
    """Per month, district, category and program, rollup_minutes counts at most the rows'
    calls (calls where no unit arrived have no minute) and has no cell the rows lack: the
    medians below are over the calls the page counts, not over some other set."""
    keys = ["month", "district", "call_category", "response_type"]
    rows = select(csv_rows[f.city], f)
    rows = rows.assign(month=pd.to_datetime(rows["week"]).dt.to_period("M").dt.start_time)
    calls = rows.groupby(keys).size().rename("calls")
    timed = select_minutes(published_minutes[f.city], f).groupby(keys)["n"].sum()
    both = pd.concat([calls, timed], axis=1).fillna(0)
    assert (both["n"] <= both["calls"]).all()
    assert 0.5 < both["n"].sum() / both["calls"].sum() <= 1  # most calls have a time


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_kpis_reproduce_from_csv(f, store, csv_rows, published_minutes):
    rows = select(csv_rows[f.city], f)
    every_program = select(csv_rows[f.city], f.with_(programs=()))
    alt = store.alternative_program(f.city).value
    eligible = every_program["star_eligible"].astype(bool)
    is_alt = every_program["response_type"] == alt
    k = queries.kpis(store, f).iloc[0]
    assert k["calls"] == len(rows) > 0
    assert k["eligible"] == eligible.sum()
    assert k["eligible_answered"] == (eligible & is_alt).sum()
    assert k["arrests"] == (rows["outcome"] == "arrest").sum()
    assert k["alt_calls"] == is_alt.sum()
    assert k["backup"] == (is_alt & every_program["police_backup"].astype(bool)).sum()
    minutes = select_minutes(published_minutes[f.city], f)
    assert k["median_minutes"] == minute_quantile(minutes, 0.5)


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_series_and_map_reproduce_from_csv(f, store, csv_rows, published_minutes):
    rows = select(csv_rows[f.city], f)
    month = pd.to_datetime(rows["week"]).dt.to_period("M").dt.start_time
    expected = rows.groupby([month.rename("month"), "response_type"]).size()
    got = queries.monthly_by_program(store, f).set_index(["month", "response_type"])["calls"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    by_district = rows[rows["district"] != "citywide"].groupby("district").size().to_dict()
    got_map = queries.map_values(store, f, "district").set_index("area_id")["calls"].to_dict()
    assert got_map == by_district
    minutes = select_minutes(published_minutes[f.city], f)
    by_program = queries.minutes_by_program(store, f).set_index("response_type")
    assert set(by_program.index) == set(minutes.loc[minutes["n"] > 0, "response_type"])
    for program, row in by_program.iterrows():
        mine = minutes[minutes["response_type"] == program]
        assert row["median"] == minute_quantile(mine, 0.5)
        assert row["p90"] == minute_quantile(mine, 0.9)
        assert row["n"] == mine["n"].sum()
