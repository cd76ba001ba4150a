"""``crisis-dashboard impact`` on the real Denver offense reports, and the files it ships.

* The panel counts exactly what the reference file holds for each group's offense types,
  precinct and month (recomputed here from the CSV, by the configuration's lists).
* The headline estimate is refitted here from the downloadable panel with statsmodels'
  formula interface (another path than the builder's matrices) and must agree.
* The files shipped in ``data/impact/denver`` were built from the reference file and the
  configuration as they are now (its sha256, precincts and offense lists), so a change to
  either without a rebuild fails here rather than showing stale numbers.
"""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from dashboard.contract.cities import load_cities
from dashboard.contract.impact import CATEGORY_PREFIX, GROUPS
from dashboard.impact.build import build
from dashboard.settings import Settings

SETTINGS = Settings()
CITY = load_cities(SETTINGS.cities_dir)["denver"]
SHIPPED = SETTINGS.data_dir / "impact" / "denver"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build(CITY, SETTINGS, out=tmp_path_factory.mktemp("impact"), draws=9)


def test_the_panel_counts_what_the_reference_file_holds(built):
    config = CITY.impact
    raw = pd.read_csv(SETTINGS.data_dir / config.offenses, dtype=str, keep_default_na=False)
    raw["offenses"] = raw["offenses"].astype(int)
    raw["month"] = pd.to_datetime(raw["month"] + "-01")
    panel = pd.read_csv(built / "offense_panel.csv", dtype={"precinct": str}, parse_dates=["month"])
    assert set(panel["group"]) == set(GROUPS)
    precincts = set(panel["precinct"])
    assert set(config.area.precincts) <= precincts and "999" not in precincts and len(precincts) >= 30
    window = raw[raw["month"].between(pd.Timestamp(config.first_month), pd.Timestamp(config.area.end))
                 & raw["precinct_id"].isin(precincts)]
    for group in GROUPS:
        entries = config.group(group)
        types = {e for e in entries if not e.startswith(CATEGORY_PREFIX)}
        categories = {e.removeprefix(CATEGORY_PREFIX) for e in entries if e.startswith(CATEGORY_PREFIX)}
        rows = window if not entries else window[window["offense_type_id"].isin(types)
                                                 | window["offense_category_id"].isin(categories)]
        expected = rows.groupby(["precinct_id", "month"])["offenses"].sum()
        got = panel[panel["group"] == group].set_index(["precinct", "month"])["offenses"]
        assert got.sum() == expected.sum() > 0, group
        assert (got.reindex(expected.index) == expected).all(), group
        assert len(got) == len(precincts) * got.index.get_level_values("month").nunique()
    served = panel.drop_duplicates("precinct").set_index("precinct")["served"]
    assert set(served[served].index) == set(config.area.precincts)


def test_the_headline_estimate_refits_from_the_downloadable_panel(built):
    panel = pd.read_csv(built / "offense_panel.csv", dtype={"precinct": str}, parse_dates=["month"])
    estimates = pd.read_csv(built / "estimates.csv")
    start = pd.Timestamp(CITY.impact.area.start)
    for group in ("targeted", "serious"):
        part = panel[panel["group"] == group].copy()
        part = part[part.groupby("precinct")["offenses"].transform("sum") > 0]
        part["treat"] = (part["served"] & (part["month"] >= start)).astype(float)
        part["m"] = part["month"].dt.strftime("%Y-%m")
        fit = smf.glm("offenses ~ treat + C(precinct) + C(m)", data=part,
                      family=__import__("statsmodels.api").api.families.Poisson()).fit(
            cov_type="cluster", cov_kwds={"groups": pd.Categorical(part["precinct"]).codes})
        main = estimates[(estimates["group"] == group) & (estimates["variant"] == "main")].iloc[0]
        assert np.expm1(fit.params["treat"]) == pytest.approx(main["effect"], abs=1e-4)
        assert fit.bse["treat"] == pytest.approx(main["se"], rel=1e-3)
        assert 0 < main["p_permutation"] <= 1


def test_every_check_the_page_shows_is_built(built):
    estimates = pd.read_csv(built / "estimates.csv", dtype={"variant": str})
    config = CITY.impact
    for group in GROUPS:
        variants = set(estimates.loc[estimates["group"] == group, "variant"])
        assert variants == {"main", *(f"leave_out:{p}" for p in config.area.precincts),
                            *(f"placebo:{d.isoformat()}" for d in config.placebo_starts)}
    events = pd.read_csv(built / "event_study.csv")
    months = pd.date_range(config.first_month, config.area.end, freq="MS")
    assert (events.groupby("group").size() == len(months)).all()


def test_the_shipped_files_match_the_reference_file_and_the_configuration():
    meta = json.loads((SHIPPED / "impact.json").read_text(encoding="utf-8"))
    config = CITY.impact
    source = SETTINGS.data_dir / config.offenses
    assert meta["offenses_sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert meta["service_area"]["precincts"] == list(config.area.precincts)
    assert meta["service_area"]["start"] == config.area.start.isoformat()
    assert meta["groups"] == {g: list(config.group(g)) for g in GROUPS}
    assert meta["placebo_starts"] == [d.isoformat() for d in config.placebo_starts]
    for name in ("offense_panel", "estimates", "event_study"):
        csv = pd.read_csv(SHIPPED / f"{name}.csv")
        parquet = pd.read_parquet(SHIPPED / f"{name}.parquet")
        assert len(csv) == len(parquet) > 0, name
