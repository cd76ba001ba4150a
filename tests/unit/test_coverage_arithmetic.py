"""Coverage arithmetic on a hand-made release: the weekday x hour grid, its hidden cells,
and the key figure (eligible calls that came in with no team on duty), by district.

35 eligible calls, all in the week of Monday 2 January 2023:
  - district 1: 12 answered by STAR on Monday at 10:00; 11 that went to patrol because no
    team was on duty (out of hours), 3 on Monday at 22:00 and 8 on Tuesday at 23:00;
  - district 2: 12 on Sunday 8 January at 03:00, all out of hours, answered by CIT officers.
Program is a quasi-identifier of the rows (issue 12), so the 11 patrol calls are a class of
their own: 11 >= k, published. With k = 11 the 3- and 8-call cells are too small to publish:
they are hidden, never shown as zero.
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from dashboard.contract.schema import CITYWIDE
from dashboard.params.filters import Filters
from dashboard.queries import district, profile
from dashboard.settings import Settings

K = 11


def _rows() -> pd.DataFrame:
    rows = []

    def add(n, when, district_id, rtype, reason):
        for _ in range(n):
            rows.append(
                dict(
                    jurisdiction="denver",
                    received_hour=pd.Timestamp(when),
                    district=district_id,
                    precinct=None,
                    neighborhood=None,
                    council_district="5",
                    call_category="welfare_check",
                    star_eligible=True,
                    response_type=rtype,
                    response_minutes=12,
                    outcome="resolved_on_scene",
                    police_backup=False,
                    unanswered_reason=reason,
                    repeat_contact_90d=False,
                    person_key=None,
                )
            )

    add(12, "2023-01-02 10:00", "1", "STAR", None)
    add(3, "2023-01-02 22:00", "1", "PATROL", "out_of_hours")
    add(8, "2023-01-03 23:00", "1", "PATROL", "out_of_hours")
    add(12, "2023-01-08 03:00", "2", "CIT_OFFICER", "out_of_hours")
    frame = pd.DataFrame(rows)
    frame["response_minutes"] = frame["response_minutes"].astype("Int32")
    frame["unanswered_reason"] = frame["unanswered_reason"].astype("string")
    frame["council_district"] = frame["council_district"].astype("string")
    return frame


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import shutil

    from dashboard.engine.store import Store
    from dashboard.publish.release import build_release
    from dashboard.settings import REPO_ROOT

    root = tmp_path_factory.mktemp("coverage-data")
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    build_release(_rows(), root / "releases", city="denver", source="hand-made", synthetic=True, k=K, seed=1)
    return Store(Settings(data_dir=root, privacy_k=K))


F = Filters("denver", date(2023, 1, 1), date(2023, 1, 1))


def test_grid_has_every_weekday_hour_with_published_and_hidden_cells(store):
    grid = district.coverage(store, F, "district", "1").set_index(["weekday", "hour"])
    assert len(grid) == 168
    assert grid.loc[(0, 10), "calls"] == 12 and grid.loc[(0, 10), "hidden"] == 0
    assert grid.loc[(0, 22), "calls"] == 0 and grid.loc[(0, 22), "hidden"] == 1  # 3 calls: hidden, not zero
    assert grid.loc[(1, 23), "calls"] == 0 and grid.loc[(1, 23), "hidden"] == 1  # 8 calls
    # Published cells never add up to more than the district's eligible calls.
    assert grid["calls"].sum() <= 23
    city = district.coverage(store, F, "city", "ignored").set_index(["weekday", "hour"])
    assert city.loc[(6, 3), "calls"] == 12  # Sunday 03:00, district 2's calls
    assert city.loc[(0, 10), "calls"] == 12


def test_out_of_hours_key_figure_is_exact_per_district(store):
    frame = district.out_of_hours(store, F).set_index("district")
    assert frame.loc["1", "eligible"] == 23 and frame.loc["1", "out_of_hours"] == 11
    assert frame.loc["1", "share"] == pytest.approx(11 / 23)
    assert frame.loc["2", "eligible"] == 12 and frame.loc["2", "out_of_hours"] == 12
    assert frame.loc["2", "share"] == 1.0


def test_profile_figures_agree_with_the_grid_and_the_rows(store):
    one = profile.rows_figures(store, F, "police", "1", None)
    assert (one.calls, one.eligible, one.eligible_answered, one.out_of_hours) == (23, 23, 12, 11)
    assert one.alt_share == pytest.approx(12 / 23) and one.out_of_hours_share == pytest.approx(11 / 23)
    city = profile.rows_figures(store, F, "city", CITYWIDE, None)
    assert (city.eligible, city.out_of_hours) == (35, 23)
