"""Lane County's real MCS-LC records through the ingest, with no code written for them.

The expectations are recomputed here from the source CSV with plain pandas, restating
the decisions of ``data/cities/lane_county.toml`` (labels compared case-insensitively,
End Point of Dispatch before Disposition), so the test fails if either the ingest or
the config drifts. Which calls the public rows keep is the privacy ladder's decision
(k = 11 and, since issue 12, no class more than half arrests, detox, hospital...): the
test runs the ladder's pandas reference (``privacy.k_anonymize``) on the restated calls
and expects exactly the rows it publishes, then the headline counts (outcomes, minutes,
cities) over them.
"""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest

from dashboard.contract.releases import current_release_dir
from dashboard.ingest.pipeline import ingest
from dashboard.publish import privacy
from dashboard.publish.release_rows import public_rows
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
#: The config's call types (``Reason for Dispatch #1``, a blank one included) -> category.
CATEGORY = {
    "agitation or disruptive behavior": "disturbance",
    "harm/risk of harm to self/others/property": "disturbance",
    "suicidality or suicide attempt": "suicidal_threat",
    "disorganized behavior": "mental_health", "paranoia": "mental_health", "trauma": "mental_health",
    "concerns about treatment engagement": "mental_health",
    "difficulty functioning": "welfare_check", "running away": "welfare_check",
    "needing social/mental health services": "public_assist",
    "adult social/interpersonal problems": "public_assist",
    "substance use": "intoxication", "other": "other", "": "other",
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
    kept["call_category"] = _norm(kept["Reason for Dispatch #1"]).map(CATEGORY)
    assert kept["call_category"].notna().all()
    return kept


@pytest.fixture(scope="module")
def published(expected: pd.DataFrame) -> pd.DataFrame:
    """The calls the public rows must keep, with their published values: the restated
    calls as internal rows (every call STAR, eligible, no backup, no repeat contact, no
    reason unanswered, the place its City), through the ladder's pandas reference."""
    internal = pd.DataFrame({
        "jurisdiction": "lane_county",
        "received_hour": pd.to_datetime(expected[RECEIVED], format="%Y-%m-%d %H:%M:%S"),
        "district": expected["City"].to_numpy(),
        "call_category": expected["call_category"].to_numpy(),
        "star_eligible": True, "response_type": "STAR", "outcome": expected["outcome"].to_numpy(),
        "police_backup": False, "unanswered_reason": pd.NA, "repeat_contact_90d": False,
    })
    rows = public_rows(internal)
    rows["response_minutes"] = expected["response_minutes"].to_numpy()
    out, _ = privacy.k_anonymize(rows, 11)
    return out


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> dict:
    out = {}
    for name in ("mcslc_dispatches.csv", "MCSLC.xlsx"):
        releases = tmp_path_factory.mktemp(name.replace(".", "-"))
        out[name] = ingest(SOURCE / name, CONFIG, releases, geo_dir=REPO_ROOT / "geo", k=11, quiet=True)
    return out


def _calls(path) -> pd.DataFrame:
    return pd.read_csv(path / "calls.csv", dtype={"district": "string"})


def test_accounting_reconciles_to_every_source_row(results, source, published):
    for name, result in results.items():
        manifest = json.loads((result.release.path / "manifest.json").read_text())
        rows = manifest["rows"]
        assert rows["read"] == rows["accepted"] + rows["rejected"] == len(source) == 4682, name
        assert rows["rejected"] == 77 and rows["accepted"] == 4605, name
        assert manifest["ingest"]["rejected_by_reason"] == {"missing_required_field": 77}
        assert rows["published"] + rows["withheld"] == rows["accepted"], name
        assert rows["published"] == len(published) == len(_calls(result.release.path)), name
        assert 0 < rows["withheld"] < 0.02 * rows["accepted"], name  # a few rare, outcome-revealing calls


def test_rejects_are_the_rows_without_a_request_time(results, source):
    blank_lines = source.loc[source[RECEIVED].str.strip() == "", "line"].tolist()
    for name, result in results.items():
        with result.rejects_file.open(encoding="utf-8") as fh:
            rejects = list(csv.DictReader(fh))
        assert [int(r["line"]) for r in rejects] == blank_lines, name  # sheet row = CSV line here
        assert {(r["reason"], r["field"], r["detail"]) for r in rejects} == {
            ("missing_required_field", RECEIVED, "")}


def test_headline_counts_match_the_source(results, expected, published):
    path = results["MCSLC.xlsx"].release.path
    calls = _calls(path)
    assert len(expected) == 4605 and len(calls) == len(published)
    assert (calls["response_type"] == "STAR").all() and calls["star_eligible"].all()
    assert not calls["police_backup"].any() and not calls["repeat_contact_90d"].any()
    assert calls["unanswered_reason"].isna().all()
    # The very rows the reference ladder publishes (week or month, place, category, outcome).
    columns = ["time_grain", "district", "call_category", "outcome"]
    got_rows = calls[columns].assign(week=calls["week"]).value_counts().to_dict()
    want_rows = published[columns].assign(
        week=pd.to_datetime(published["week"]).dt.strftime("%Y-%m-%d")).value_counts().to_dict()
    assert got_rows == want_rows
    got = calls["outcome"].value_counts().to_dict()
    source = expected["outcome"].value_counts().to_dict()
    assert source["arrest"] == 10 and source["gone_on_arrival"] == 1157 and source["refused"] == 568
    assert all(got.get(o, 0) <= n for o, n in source.items())  # withheld calls only ever lower a count
    assert sum(source.values()) - sum(got.values()) == len(expected) - len(calls)
    # Minutes are published per minute (rollup_minutes), over exactly the published calls.
    minutes = pd.read_parquet(path / "rollup_minutes.parquet")
    timed = published["response_minutes"].dropna()
    assert expected["response_minutes"].notna().sum() == 4151
    assert minutes["n"].sum() == len(timed)
    by_minute = minutes.groupby("response_minutes")["n"].sum()
    assert by_minute.to_dict() == timed.astype(int).value_counts().to_dict()
    # Small (week, city, category, ...) classes are generalized to `citywide`, never moved to
    # another city: each city keeps at most its source count.
    by_city = calls["district"].value_counts().to_dict()
    source_city = expected["City"].value_counts().to_dict()
    assert set(by_city) <= set(source_city) | {"citywide"}
    assert all(by_city.get(city, 0) <= n for city, n in source_city.items())
    assert sum(by_city.values()) == len(calls)


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
