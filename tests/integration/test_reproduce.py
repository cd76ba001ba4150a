"""Every headline number the Overview shows is recomputed from the public calls.csv.

The journalist's path: download the CSV, apply the same filters, count. The data
layer reads rollups, not the CSV, so agreement here proves the rollups are exact.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.data import queries
from dashboard.data.filters import Filters
from dashboard.data.schema import CallCategory, ResponseType
from dashboard.data.store import Store

from ..conftest import release_calls
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


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_kpis_reproduce_from_csv(f, store, csv_rows):
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
    minutes = rows["response_minutes"].dropna().to_numpy()
    assert k["median_minutes"] == np.percentile(minutes, 50, method="inverted_cdf")


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_series_and_map_reproduce_from_csv(f, store, csv_rows):
    rows = select(csv_rows[f.city], f)
    month = pd.to_datetime(rows["week"]).dt.to_period("M").dt.start_time
    expected = rows.groupby([month.rename("month"), "response_type"]).size()
    got = queries.monthly_by_program(store, f).set_index(["month", "response_type"])["calls"]
    assert got[got > 0].sort_index().to_dict() == expected.sort_index().to_dict()
    by_district = rows[rows["district"] != "citywide"].groupby("district").size().to_dict()
    got_map = queries.map_values(store, f, "district").set_index("area_id")["calls"].to_dict()
    assert got_map == by_district
    for program, row in queries.minutes_by_program(store, f).set_index("response_type").iterrows():
        m = rows.loc[rows["response_type"] == program, "response_minutes"].dropna().to_numpy()
        assert row["median"] == np.percentile(m, 50, method="inverted_cdf")
        assert row["p90"] == np.percentile(m, 90, method="inverted_cdf")
