"""The district profile's figures, recomputed from the public calls.csv (police districts
and the city) or checked against the council cube's own cells (council districts).

A council member quoting "district 3: 46% of eligible calls answered" must be able to
get the same number by filtering the download to district 3 and counting.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.data import profile
from dashboard.data.filters import Filters
from dashboard.data.schema import CITYWIDE, RESPONSE_BANDS
from dashboard.data.store import Store

from ..conftest import release_calls

PERIODS = [
    Filters("denver", date(2023, 1, 1), date(2023, 12, 1)),
    Filters("denver", date(2021, 6, 1), date(2022, 5, 1)),
]


@pytest.fixture(scope="module")
def store(shipped_settings):
    return Store(shipped_settings)


@pytest.fixture(scope="module")
def rows(shipped_settings):
    return release_calls(shipped_settings, "denver")


def _select(df: pd.DataFrame, f: Filters, district: str | None) -> pd.DataFrame:
    month = pd.to_datetime(df["week"]).dt.to_period("M").dt.start_time
    keep = (month >= pd.Timestamp(f.start)) & (month <= pd.Timestamp(f.end))
    if district is not None:
        keep &= df["district"] == district
    return df[keep]


def _quantile_minutes(minutes: pd.Series, q: float) -> float:
    values = np.sort(minutes.dropna().to_numpy())
    return float(np.quantile(values, q, method="inverted_cdf")) if len(values) else float("nan")


@pytest.mark.parametrize("f", PERIODS, ids=lambda f: f.to_query_string())
@pytest.mark.parametrize("district", ["3", "6", None], ids=lambda d: d or "city")
def test_police_district_and_city_figures_reproduce_from_csv(f, district, store, rows):
    city = store.cities["denver"]
    got = profile.rows_figures(
        store, f, "city" if district is None else "police", district or CITYWIDE, 50_000
    )
    part = _select(rows, f, district)
    eligible = part["star_eligible"].astype(bool)
    alt = part["response_type"] == city.alternative_program.value
    assert got.calls == len(part) > 0
    assert got.eligible == int(eligible.sum())
    assert got.eligible_answered == int((eligible & alt).sum())
    assert got.out_of_hours == int((eligible & (part["unanswered_reason"] == "out_of_hours")).sum())
    assert got.alt_calls == int(alt.sum())
    assert got.backups == int((alt & part["police_backup"].fillna(False).astype(bool)).sum())
    assert got.repeat_calls == int(part["repeat_contact_90d"].fillna(False).astype(bool).sum())
    for program in city.programs:
        mine = part[part["response_type"] == program.value]
        median, p90 = got.minutes(program.value)
        assert int(got.programs.set_index("response_type").loc[program.value, "calls"]) == len(mine)
        expected = _quantile_minutes(mine["response_minutes"], 0.5)
        assert (median is None and np.isnan(expected)) or median == expected
        expected90 = _quantile_minutes(mine["response_minutes"], 0.9)
        assert (p90 is None and np.isnan(expected90)) or p90 == expected90
    by_outcome = part.dropna(subset=["outcome"]).groupby(["response_type", "outcome"]).size()
    mine = got.outcomes.set_index(["response_type", "outcome"])["calls"]
    assert mine.sort_index().to_dict() == by_outcome.sort_index().to_dict()
    assert got.per_1000(5_000) == pytest.approx(len(part) / 50_000 * 1000)
    assert np.isnan(got.per_1000(60_000))  # under the low-population threshold: no rate


def test_council_figures_are_the_cubes_published_cells(store, shipped_settings):
    """Council figures sum the cube's published cells for the period's years. The cube is
    built from the internal rows, including the few (<0.5%) withheld from calls.csv for
    privacy, so the council districts' total is within that of the city's published total."""
    f = PERIODS[0]
    city = store.cities["denver"]
    from dashboard.data.release import current_release_dir

    cube = pd.read_parquet(
        current_release_dir(shipped_settings.releases_dir, "denver") / "cube_council.parquet"
    )
    areas = profile.ranking(store, f, city, "council", _council_ids(store), {})
    assert len(areas) >= 10
    city_fig = profile.rows_figures(store, f, "city", CITYWIDE, city.population)
    assert sum(a.calls for a in areas) == pytest.approx(city_fig.calls, rel=0.005)
    assert sum(a.eligible_answered for a in areas) == pytest.approx(city_fig.eligible_answered, rel=0.005)
    year = cube[(cube["year"] == 2023) & (cube["measure"] == "star_eligible")]
    for a in areas:
        cells = year[year["council_district"] == a.area]
        assert a.calls == int(cells["n"].fillna(0).sum())
        assert a.hidden == int(cells["suppressed"].sum())


def _council_ids(store):
    from dashboard.data.district import council_districts

    return council_districts(store, "denver")


@pytest.mark.parametrize(
    ("counts", "q", "band"),
    [
        ({"00-04": 1, "05-09": 1}, 0.5, "00-04"),  # 1 of 2 reaches half in the first band
        ({"00-04": 1, "05-09": 2}, 0.5, "05-09"),
        ({"10-14": 5, "60+": 5}, 0.9, "60+"),
        ({"none": 50, "20-24": 1}, 0.5, "20-24"),  # no unit on scene is not a time
        ({"none": 3}, 0.5, ""),
        ({}, 0.9, ""),
    ],
)
def test_band_quantile_on_hand_made_bands(counts, q, band):
    assert profile.band_quantile(counts, q) == band
    assert band == "" or band in RESPONSE_BANDS


def test_council_counts_in_hidden_cells_are_marked_unknown_not_zero(store, shipped_settings):
    """A STAR-backup count under k is hidden in the cube: the profile must say "hidden",
    never print the 0 that summing the published cells gives."""
    from dashboard.data.release import current_release_dir

    f = PERIODS[0]
    city = store.cities["denver"]
    cube = pd.read_parquet(
        current_release_dir(shipped_settings.releases_dir, "denver") / "cube_council.parquet"
    )
    cells = cube[
        (cube["year"] == 2023)
        & (cube["measure"] == "police_backup")
        & (cube["value"] == "true")
        & (cube["response_type"] == city.alternative_program.value)
    ]
    areas = profile.ranking(store, f, city, "council", _council_ids(store), {})
    marked = {a.area for a in areas if "backups" in a.hidden_measures}
    expected = set(cells.loc[cells["suppressed"], "council_district"].astype(str))
    assert marked == expected
    assert marked, "the shipped sample has at least one council district with a hidden backup count"
