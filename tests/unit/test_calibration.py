"""The shipped synthetic release matches the published program figures it is calibrated to.

Every figure is recomputed from the public rows (calls.csv), as a journalist would.
"""

import pandas as pd
import pytest

from dashboard.contract.cities import load_cities
from dashboard.sample.calibration import (
    PUBLISHED_CSV,
    TARGETS,
    TOLERANCE,
    CalibrationError,
    load_targets,
)

from ..conftest import release_calls


@pytest.fixture(scope="module")
def calls(shipped_settings):
    return {city: release_calls(shipped_settings, city) for city in ("denver", "grand_junction")}


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: f"{t.city}-{t.metric}-{t.start}-{t.end}")
def test_target_within_tolerance(target, calls, shipped_settings):
    alt = load_cities(shipped_settings.cities_dir)[target.city].alternative_program.value
    df = calls[target.city]
    week = pd.to_datetime(df["week"])
    window = df[(week >= pd.Timestamp(target.start)) & (week <= pd.Timestamp(target.end))]
    eligible = window["star_eligible"].astype(bool)
    answered = int((eligible & (window["response_type"] == alt)).sum())
    value = {
        "alt_calls": answered,
        "eligible": int(eligible.sum()),
        "alt_share": answered / max(1, int(eligible.sum())),
        "co_responder_calls": int((window["response_type"] == "CO_RESPONDER").sum()),
    }[target.metric]
    if target.annualize:
        months = (target.end.year - target.start.year) * 12 + target.end.month - target.start.month + 1
        value = value * 12 / months
    assert abs(value / target.value - 1) <= TOLERANCE, f"{value:.3f} vs {target.value} ({target.source})"


def test_pilot_had_no_arrests_and_no_police_backup(calls):
    df = calls["denver"]
    week = pd.to_datetime(df["week"])
    pilot = df[(week >= "2020-06-01") & (week <= "2020-11-30") & (df["response_type"] == "STAR")]
    assert len(pilot) > 700
    assert (pilot["outcome"] != "arrest").all()
    assert not pilot["police_backup"].astype(bool).any()


def test_every_unanswered_eligible_call_has_a_reason(calls):
    df = calls["denver"]
    eligible = df["star_eligible"].astype(bool)
    unanswered = eligible & (df["response_type"] != "STAR")
    assert df.loc[unanswered, "unanswered_reason"].notna().all()
    assert df.loc[~unanswered, "unanswered_reason"].isna().all()
    reasons = set(df.loc[unanswered, "unanswered_reason"])
    assert {"out_of_hours", "outside_service_area", "no_team_available", "safety_screen"} <= reasons


def test_targets_are_read_from_the_published_metrics_file(tmp_path):
    """A corrected figure in data/reference/program_metrics_published.csv changes the target
    (and so this test's expectation); a target row missing from it is an error, not a skip."""
    text = PUBLISHED_CSV.read_text(encoding="utf-8")
    assert ",calls_responded,748,calls," in text
    changed = tmp_path / "metrics.csv"
    changed.write_text(text.replace(",calls_responded,748,", ",calls_responded,800,"), encoding="utf-8")
    pilot = [t for t in load_targets(changed) if t.metric == "alt_calls" and t.start.year == 2020]
    assert [t.value for t in pilot] == [800.0, 25144]  # the pilot row, then the brief's total
    assert "denvergazette.com" in pilot[0].source and "748 calls" in pilot[0].source
    shares = [t.value for t in TARGETS if t.metric == "alt_share"]
    assert shares == [0.44, 0.46]  # "44 percent" read as a share
    missing = tmp_path / "missing.csv"
    kept = [line for line in text.splitlines() if ",2837," not in line]
    missing.write_text("\n".join(kept), encoding="utf-8")
    with pytest.raises(CalibrationError, match="0 rows for STAR calls_responded 2022-01-01..2022-07-01"):
        load_targets(missing)
