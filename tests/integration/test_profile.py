"""The district profile's figures, recomputed from the public calls.csv (police districts
and the city; response times from rollup_minutes.parquet, since minutes are not in the
rows) or checked against the council cube's own cells (council districts).

A council member quoting "district 3: 46% of eligible calls answered" must be able to
get the same number by filtering the download to district 3 and counting.
"""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from dashboard.contract.schema import CITYWIDE, RESPONSE_BANDS
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.queries import profile

from ..conftest import minute_quantile, release_calls, release_minutes, select_minutes

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


@pytest.fixture(scope="module")
def minutes(shipped_settings):
    return release_minutes(shipped_settings, "denver")


@pytest.mark.parametrize("f", PERIODS, ids=lambda f: f.to_query_string())
@pytest.mark.parametrize("district", ["3", "6", None], ids=lambda d: d or "city")
def test_police_district_and_city_figures_reproduce_from_csv(f, district, store, rows, minutes):
    city = store.cities["denver"]
    got = profile.rows_figures(
        store, f, "city" if district is None else "police", district or CITYWIDE, 50_000
    )
    part = _select(rows, f, district)
    timed = select_minutes(minutes, f.with_(districts=(district,) if district else ()))
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
        mine_timed = timed[timed["response_type"] == program.value]
        expected = minute_quantile(mine_timed, 0.5)
        assert (median is None and np.isnan(expected)) or median == expected
        expected90 = minute_quantile(mine_timed, 0.9)
        assert (p90 is None and np.isnan(expected90)) or p90 == expected90
    by_outcome = part.dropna(subset=["outcome"]).groupby(["response_type", "outcome"]).size()
    mine = got.outcomes.set_index(["response_type", "outcome"])["calls"]
    assert mine.sort_index().to_dict() == by_outcome.sort_index().to_dict()
    assert got.per_1000(5_000) == pytest.approx(len(part) / 50_000 * 1000)
    assert np.isnan(got.per_1000(60_000))  # under the low-population threshold: no rate


def test_council_figures_are_the_cubes_published_cells(store, shipped_settings, rows):
    """Council figures sum the cube's published cells for the period's years, so they are
    lower bounds of the city's (hidden cells are left out, and calls outside every council
    district are in no council district). Since issue 12 the cube counts exactly the
    published calls: where a category of a measure has no hidden cell in any council
    district ('unknown' included), its cells add up to the rows' city count exactly."""
    f = PERIODS[0]
    city = store.cities["denver"]
    from dashboard.contract.releases import current_release_dir
    from dashboard.publish.cube_counts import COUNCIL_VALUE_SQL

    cube = pd.read_parquet(
        current_release_dir(shipped_settings.releases_dir, "denver") / "cube_council.parquet"
    )
    areas = profile.ranking(store, f, city, "council", _council_ids(store), {})
    assert len(areas) >= 10
    city_fig = profile.rows_figures(store, f, "city", CITYWIDE, city.population)
    assert sum(a.calls for a in areas) <= city_fig.calls
    assert sum(a.eligible_answered for a in areas) <= city_fig.eligible_answered
    year = cube[cube["year"] == 2023]
    total = year[year["measure"] == "calls"].set_index("council_district")
    reason = year[year["measure"] == "reason"]
    for a in areas:
        assert not total.loc[a.area, "suppressed"]
        assert a.calls == int(total.loc[a.area, "n"])
        mine = reason[reason["council_district"] == a.area].set_index("value")
        assert a.eligible_answered == int(mine["n"].fillna(0).get("answered", 0))
        assert a.eligible == int(total.loc[a.area, "n"]) - int(mine.loc["not_eligible", "n"])
        assert ("eligible_answered" in a.hidden_measures) == bool(mine["suppressed"].get("answered", False))
        assert a.unavailable == {"backups"}

    part = _select(rows, f, None)  # 2023: the cube's whole year
    from_rows = {
        "calls": pd.Series("all", index=part.index),
        "program": part["response_type"].astype(str),
        "outcome": part["outcome"].astype(str),
        "repeat_contact_90d": part["repeat_contact_90d"].astype(str).str.lower(),
        "month": pd.to_datetime(part["week"]).dt.strftime("%Y-%m"),
    }
    checked = 0
    for measure, value in from_rows.items():
        assert measure in COUNCIL_VALUE_SQL
        cells = year[year["measure"] == measure]
        counts = value.value_counts()
        for category, group in cells.groupby("value"):
            if group["suppressed"].any():
                continue
            assert int(group["n"].sum()) == int(counts.get(category, 0)), (measure, category)
            checked += 1
    assert checked >= 20  # enough whole categories to make the check mean something


def _council_ids(store):
    from dashboard.queries.district import council_districts

    return council_districts(store, "denver")


@pytest.mark.parametrize(
    ("counts", "q", "band"),
    [
        ({"00-09": 1, "10-19": 1}, 0.5, "00-09"),  # 1 of 2 reaches half in the first band
        ({"00-09": 1, "10-19": 2}, 0.5, "10-19"),
        ({"10-19": 5, "30+": 5}, 0.9, "30+"),
        ({"30+": 50, "20-29": 1}, 0.5, "30+"),  # 30+ (and no unit) is the slowest band
        ({"elsewhere": 3}, 0.5, ""),
        ({}, 0.9, ""),
    ],
)
def test_band_quantile_on_hand_made_bands(counts, q, band):
    assert profile.band_quantile(counts, q) == band
    assert band == "" or band in RESPONSE_BANDS


def test_council_counts_in_hidden_cells_are_marked_unknown_not_zero(store, shipped_settings):
    """A council district's count under k is hidden in the cube: the profile must say
    "hidden", never print the 0 that summing the published cells gives, and mark sums over
    hidden cells as lower bounds. The headline counts (answered, out of hours) are never
    complements, so in the shipped sample only other reasons are hidden."""
    from dashboard.contract.releases import current_release_dir

    f = Filters("denver", date(2020, 1, 1), date(2021, 12, 1))
    city = store.cities["denver"]
    cube = pd.read_parquet(
        current_release_dir(shipped_settings.releases_dir, "denver") / "cube_council.parquet"
    )
    cells = cube[cube["year"].isin([2020, 2021]) & (cube["measure"] == "reason")]
    areas = profile.ranking(store, f, city, "council", _council_ids(store), {})
    for name, value in (("out_of_hours", "out_of_hours"), ("eligible_answered", "answered")):
        marked = {a.area for a in areas if name in a.hidden_measures}
        mine = cells[cells["value"] == value]
        expected = set(mine.loc[mine["suppressed"], "council_district"].astype(str))
        assert marked == expected, name
    # Other reasons are hidden in the pilot years, yet eligible calls stay exact: the
    # district's calls minus its not-eligible ones, two cells never hidden.
    assert cells["suppressed"].any(), "the pilot years hide some council reasons"
    assert not any("eligible" in a.bounded for a in areas)
    pilot = cube[cube["year"].isin([2020, 2021])]
    totals = pilot[pilot["measure"] == "calls"].groupby("council_district")["n"].sum()
    not_eligible = cells[cells["value"] == "not_eligible"].groupby("council_district")["n"].sum()
    for a in areas:
        assert a.eligible == int(totals[a.area]) - int(not_eligible[a.area])


def test_measures_a_city_does_not_record_read_not_recorded_never_zero(shipped_settings):
    """Issue 14: Lane County records neither police backup nor people, so its backup and
    repeat shares are 0 in the files; the profile tables say "not recorded" instead."""
    from dashboard.components.profile import measure_rows
    from dashboard.i18n import t

    store = Store(shipped_settings)
    lane, denver = store.cities["lane_county"], store.cities["denver"]
    start, end = date(2024, 9, 1), date(2025, 6, 1)
    figures = profile.rows_figures(store, Filters("lane_county", start, end), "city", CITYWIDE, None)
    assert figures.not_recorded == {"backups", "repeat_calls"}
    for lang in ("en", "es"):
        values = dict(measure_rows(figures, lane, lang))
        unrecorded = [v for v in values.values() if v == t("profile.not_recorded", lang)]
        assert len(unrecorded) == 2, values
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    denver_figures = profile.rows_figures(store, f, "city", CITYWIDE, None)
    assert not denver_figures.not_recorded
    assert t("profile.not_recorded", "en") not in dict(measure_rows(denver_figures, denver, "en")).values()
