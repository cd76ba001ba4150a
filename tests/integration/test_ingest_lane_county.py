"""Lane County's real MCS-LC records through the ingest, with no code written for them.

The expectations are recomputed here from the source CSV with plain pandas, restating
the decisions of ``data/cities/lane_county.toml`` (labels compared case-insensitively,
End Point of Dispatch before Disposition), so the test fails if either the ingest or
the config drifts. Headline counts (calls, outcomes, minutes, cities) are sums over the
public ``calls.csv``: they are exact whatever k-anonymity generalized.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from dashboard.data.ingest import ingest
from dashboard.data.release import current_release_dir
from dashboard.settings import REPO_ROOT

SOURCE = REPO_ROOT / "data" / "reference" / "lane_county"
CONFIG = REPO_ROOT / "data" / "cities" / "lane_county.toml"
RECEIVED = "Dispatch Request Date & Time"
NO_CONTACT = {"unable to locate", "unable to locate client", "cancelled", "dispatch canceled before arrival",
              "no contact due to safety concern"}
DECLINED = {"refused", "client declined to engage"}
DISPOSITION = {
    "remained in community": "resolved_on_scene", "other": "resolved_on_scene",
    "emergency department": "transported_hospital", "sobering/detox facility": "transported_detox",
    "sobering or detox facility": "transported_detox", "respite": "transported_shelter",
    "crisis walk-in center": "referred_to_services", "arrest": "arrest",
}


def _norm(series: pd.Series) -> pd.Series:
    return series.fillna("").astype(str).str.split().str.join(" ").str.casefold()


@pytest.fixture(scope="module")
def source() -> pd.DataFrame:
    frame = pd.read_csv(SOURCE / "mcslc_dispatches.csv", dtype=str, keep_default_na=False)
    frame["line"] = range(2, len(frame) + 2)  # no record spans lines in this file
    return frame


@pytest.fixture(scope="module")
def expected(source: pd.DataFrame) -> pd.DataFrame:
    """The accepted rows as the config's decisions say they should come out."""
    kept = source[source[RECEIVED].str.strip() != ""].copy()
    end_point, disposition = _norm(kept["End Point of Dispatch"]), _norm(kept["Disposition"])
    kept["outcome"] = disposition.map(DISPOSITION)
    kept.loc[end_point.isin(NO_CONTACT), "outcome"] = "gone_on_arrival"
    kept.loc[end_point.isin(DECLINED), "outcome"] = "refused"
    minutes = (pd.to_numeric(kept["Minutes: Request → Dispatch"], errors="coerce")
               + pd.to_numeric(kept["Minutes: Dispatch → Arrival"], errors="coerce"))
    kept["response_minutes"] = minutes
    return kept


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for name in ("mcslc_dispatches.csv", "MCSLC.xlsx"):
        releases = tmp_path_factory.mktemp(name.replace(".", "-"))
        out[name] = ingest(SOURCE / name, CONFIG, releases, geo_dir=REPO_ROOT / "geo", k=11, quiet=True)
    return out


def _calls(path) -> pd.DataFrame:
    return pd.read_csv(path / "calls.csv", dtype={"district": "string"})


def test_accounting_reconciles_to_every_source_row(results, source):
    for name, result in results.items():
        manifest = json.loads((result.release.path / "manifest.json").read_text())
        rows = manifest["rows"]
        assert rows["read"] == rows["accepted"] + rows["rejected"] == len(source) == 4682, name
        assert rows["rejected"] == 77 and rows["accepted"] == 4605, name
        assert manifest["ingest"]["rejected_by_reason"] == {"missing_required_field": 77}
        assert rows["published"] == 4605 and rows["withheld"] == 0, name


def test_rejects_are_the_rows_without_a_request_time(results, source):
    blank_lines = source.loc[source[RECEIVED].str.strip() == "", "line"].tolist()
    for name, result in results.items():
        with result.rejects_file.open(encoding="utf-8") as fh:
            rejects = list(csv.DictReader(fh))
        assert [int(r["line"]) for r in rejects] == blank_lines, name  # sheet row = CSV line here
        assert {(r["reason"], r["field"], r["detail"]) for r in rejects} == {
            ("missing_required_field", RECEIVED, "")}


def test_headline_counts_match_the_source(results, expected):
    calls = _calls(results["MCSLC.xlsx"].release.path)
    assert len(calls) == len(expected) == 4605
    assert (calls["response_type"] == "STAR").all() and calls["star_eligible"].all()
    assert not calls["police_backup"].any() and not calls["repeat_contact_90d"].any()
    assert calls["unanswered_reason"].isna().all()
    got = calls["outcome"].value_counts().to_dict()
    assert got == expected["outcome"].value_counts().to_dict()
    assert got["arrest"] == 10 and got["gone_on_arrival"] == 1157 and got["refused"] == 568
    assert calls["response_minutes"].notna().sum() == expected["response_minutes"].notna().sum() == 4151
    assert calls["response_minutes"].median() == expected["response_minutes"].median() == 30
    # Small (week, city, category) classes are generalized to `citywide`, never moved to
    # another city: each city keeps at most its source count, and the totals add up.
    by_city = calls["district"].value_counts().to_dict()
    source_city = expected["City"].value_counts().to_dict()
    assert set(by_city) <= set(source_city) | {"citywide"}
    assert all(by_city.get(city, 0) <= n for city, n in source_city.items())
    assert sum(by_city.values()) == sum(source_city.values())


def test_csv_and_workbook_give_the_same_rows(results):
    a, b = (_calls(r.release.path).drop(columns="call_id") for r in results.values())
    key = list(a.columns)
    pd.testing.assert_frame_equal(a.sort_values(key).reset_index(drop=True),
                                  b.sort_values(key).reset_index(drop=True))


def test_the_shipped_release_is_this_ingest(results):
    shipped = current_release_dir(REPO_ROOT / "data" / "releases", "lane_county")
    manifest = json.loads((shipped / "manifest.json").read_text())
    assert manifest["source"] == "MCSLC.xlsx" and manifest["synthetic"] is False
    fresh = _calls(results["MCSLC.xlsx"].release.path).drop(columns="call_id")
    served = _calls(shipped).drop(columns="call_id")
    key = list(fresh.columns)
    pd.testing.assert_frame_equal(fresh.sort_values(key).reset_index(drop=True),
                                  served.sort_values(key).reset_index(drop=True))
