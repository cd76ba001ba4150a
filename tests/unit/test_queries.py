"""Queries against the tiny fixture, whose counts are stated by hand in conftest.

The fixture (``conftest.tiny_internal_frame``), as the numbers below use it (k = 11, every
class at least 11 rows and at most 2 of 12 arrests, so all 70 calls are published):

  January: district 1 (precinct 111) 12 STAR eligible + 11 PATROL not eligible, all 10 min;
           district 2: 11 STAR eligible at 20 min (precinct 211) + 12 CIT_OFFICER eligible,
           unanswered, 10 min, 2 of them arrests (precinct 212).
  February: district 1 (precinct 112) 12 CO_RESPONDER mental-health calls, 10 min;
            district 2 (precinct 211) 12 PATROL disturbances, 10 min.
"""

import math
from datetime import date

import numpy as np
import pandas as pd

from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.params.filters import Filters
from dashboard.queries import overview as queries

ALL = Filters("denver", date(2023, 1, 1), date(2023, 2, 1))


def test_kpis_by_hand(tiny_store):
    k = queries.kpis(tiny_store, ALL).iloc[0]
    assert k["calls"] == 70
    assert k["eligible"] == 35  # 12 + 11 STAR, 12 CIT
    assert k["eligible_answered"] == 23
    assert math.isclose(k["alt_share"], 23 / 35)
    assert k["arrests"] == 2 and math.isclose(k["arrest_share"], 2 / 70)
    assert k["alt_calls"] == 23 and k["backup"] == 0
    assert k["median_minutes"] == 10  # 59 calls at 10 min, 11 at 20


def test_filters_narrow_every_query(tiny_store):
    jan_d2 = ALL.with_(end=date(2023, 1, 1), districts=("2",))
    k = queries.kpis(tiny_store, jan_d2).iloc[0]
    assert (k["calls"], k["eligible"], k["eligible_answered"]) == (23, 23, 11)
    assert k["median_minutes"] == 10  # 12 x 10 min and 11 x 20 min: the 12th of 23 is 10
    welfare = ALL.with_(categories=(CallCategory.WELFARE_CHECK,))
    assert queries.kpis(tiny_store, welfare).iloc[0]["calls"] == 46
    star = ALL.with_(programs=(ResponseType.STAR,))
    counts = queries.program_counts(tiny_store, star)
    assert counts.to_dict("records") == [{"response_type": "STAR", "calls": 23}]
    star_d2 = queries.kpis(tiny_store, jan_d2.with_(programs=(ResponseType.STAR,))).iloc[0]
    assert star_d2["median_minutes"] == 20  # district 2's STAR calls alone: all 20 min


def test_the_alternative_share_ignores_the_program_filter(tiny_store):
    patrol = queries.kpis(tiny_store, ALL.with_(programs=(ResponseType.PATROL,))).iloc[0]
    assert patrol["calls"] == 23 and patrol["arrests"] == 0  # 11 in January, 12 in February
    assert (patrol["eligible"], patrol["eligible_answered"]) == (35, 23)
    d = queries.map_values(tiny_store, ALL.with_(programs=(ResponseType.PATROL,)), "district")
    assert d.set_index("area_id").loc["2", "calls"] == 12
    assert d.set_index("area_id").loc["2", "eligible_answered"] == 11


def test_monthly_series_is_zero_filled(tiny_store):
    df = queries.monthly_by_program(tiny_store, ALL)
    assert len(df) == 2 * 4
    pivot = df.pivot(index="month", columns="response_type", values="calls")
    assert pivot.loc[pd.Timestamp("2023-01-01")].to_dict() == {
        "CIT_OFFICER": 12,
        "CO_RESPONDER": 0,
        "PATROL": 11,
        "STAR": 23,
    }
    assert pivot.loc[pd.Timestamp("2023-02-01"), "PATROL"] == 12


def test_minutes_by_program(tiny_store):
    df = queries.minutes_by_program(tiny_store, ALL).set_index("response_type")
    # STAR: 12 calls at 10 min, 11 at 20; the 12th of 23 is 10, the 21st (90%: 20.7) is 20.
    assert df.loc["STAR", "median"] == 10 and df.loc["STAR", "p90"] == 20
    assert df.loc["STAR", "n"] == 23
    assert df.loc["PATROL", "median"] == df.loc["PATROL", "p90"] == 10
    assert list(df.index) == ["STAR", "CO_RESPONDER", "CIT_OFFICER", "PATROL"]


def test_map_values_district_and_precinct(tiny_store):
    d = queries.map_values(tiny_store, ALL, "district").set_index("area_id")
    assert d.loc["1", "calls"] == 35 and d.loc["2", "eligible_answered"] == 11
    assert d["suppressed_cells"].sum() == 0
    p = queries.map_values(tiny_store, ALL, "precinct").set_index("area_id")
    # Every precinct cell (year x precinct x program x eligibility) holds 11 or 12 calls:
    # nothing is small, so nothing is hidden and the sums are exact.
    assert p["calls"].to_dict() == {"111": 23, "112": 12, "211": 23, "212": 12}
    assert p.loc["212", "eligible_answered"] == 0 and p.loc["211", "eligible_answered"] == 11
    assert p["suppressed_cells"].sum() == 0


def test_results_are_copies(tiny_store):
    a = queries.kpis(tiny_store, ALL)
    a.loc[0, "calls"] = -1
    assert queries.kpis(tiny_store, ALL).iloc[0]["calls"] == 70


def test_catalog_lists_what_the_release_has(tiny_store):
    cat = tiny_store.catalogs()["denver"]
    assert (cat.first_month, cat.last_month) == (date(2023, 1, 1), date(2023, 2, 1))
    assert cat.districts == ("1", "2")


def test_map_minutes_by_hand(tiny_store):
    """District 1: every call 10 min. District 2: 11 STAR calls at 20 min, 24 others at 10."""
    every = queries.map_minutes(tiny_store, ALL).set_index("area_id")
    assert every["median_minutes"].to_dict() == {"1": 10, "2": 10}
    assert every["timed_calls"].to_dict() == {"1": 35, "2": 35}
    star = queries.map_minutes(tiny_store, ALL.with_(programs=(ResponseType.STAR,))).set_index("area_id")
    assert star["median_minutes"].to_dict() == {"1": 10, "2": 20}
    assert star["timed_calls"].to_dict() == {"1": 12, "2": 11}
    only_2 = queries.map_minutes(tiny_store, ALL.with_(districts=("2",), programs=(ResponseType.STAR,)))
    assert only_2["area_id"].tolist() == ["2"] and only_2["median_minutes"].tolist() == [20]
    # a program with no call in district 2 leaves it out (not a zero)
    co = queries.map_minutes(tiny_store, ALL.with_(programs=(ResponseType.CO_RESPONDER,)))
    assert co["area_id"].tolist() == ["1"]


def test_map_minutes_equal_a_direct_computation_from_the_rollup(shipped_settings):
    """Per district, the smallest whole minute with at least half the timed calls at or under it,
    recomputed with numpy from ``rollup_minutes`` itself for three views."""
    from dashboard.engine.engines import get_store
    from dashboard.params.filters import default_filters

    store = get_store(shipped_settings)
    base = default_filters(store.catalogs()["denver"])
    views = [base, base.with_(programs=(ResponseType.STAR, ResponseType.CIT_OFFICER)),
             base.with_(districts=("3", "6"), categories=(CallCategory.MENTAL_HEALTH,))]
    for f in views:
        rollup = store.frame("SELECT * FROM rollup_minutes WHERE jurisdiction = 'denver'")
        month = pd.to_datetime(rollup["month"]).dt.date
        keep = (month >= f.start) & (month <= f.end) & (rollup["district"] != "citywide")
        if f.programs:
            keep &= rollup["response_type"].isin([p.value for p in f.programs])
        if f.districts:
            keep &= rollup["district"].isin(f.districts)
        if f.categories:
            keep &= rollup["call_category"].isin([c.value for c in f.categories])
        rows = rollup[keep & rollup["response_minutes"].notna()]
        expected = {
            district: float(np.quantile(
                np.repeat(part["response_minutes"].to_numpy(int), part["n"].to_numpy(int)), 0.5,
                method="inverted_cdf"))
            for district, part in rows.groupby("district")
        }
        got = queries.map_minutes(store, f).set_index("area_id")["median_minutes"].to_dict()
        assert expected and got == expected, f
