"""The Impact page's estimator on simulated panels: it finds a known effect, and none
where there is none (``dashboard.models.impact``).

Each panel is drawn like the real one: 36 precincts with their own levels (lognormal),
32 months with a citywide shock each, Poisson counts; 8 precincts "served" from month 17.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.models.impact import did, event_study, permutation_p

START = pd.Timestamp("2020-06-01")


def simulated(effect: float, seed: int, units: int = 36, months: int = 32, served: int = 8,
              start: int = 17) -> tuple[pd.DataFrame, list[str]]:
    rng = np.random.default_rng(seed)
    names = [f"{100 + i}" for i in range(units)]
    level = rng.lognormal(2.5, 0.6, units)
    shock = np.exp(rng.normal(0, 0.1, months))
    first = START - pd.DateOffset(months=start)
    rows = []
    for i, name in enumerate(names):
        for m in range(months):
            mean = level[i] * shock[m] * ((1 + effect) if i < served and m >= start else 1.0)
            rows.append((name, first + pd.DateOffset(months=m), int(rng.poisson(mean))))
    return pd.DataFrame(rows, columns=["unit", "month", "count"]), names[:served]


def test_a_known_fall_is_recovered_and_a_null_is_not_reported_as_one():
    """Over 20 panels with a 30% fall: unbiased, always detected. Over 20 without: centred
    on 0, rarely "significant". The clustered interval covers the truth in most panels
    but not 95% of them (8 served precincts are few clusters: the known optimism the page
    states, and why it also gives the permutation test)."""
    falls = [did(*simulated(-0.3, seed), START) for seed in range(1, 21)]
    assert abs(np.mean([g.effect for g in falls]) + 0.3) < 0.02
    assert all(g.high < 0 and g.implied_change < 0 for g in falls)
    assert sum(g.low <= -0.3 <= g.high for g in falls) >= 14
    assert {(g.n_treated, g.n_units, g.n_months) for g in falls} == {(8, 36, 32)}
    nulls = [did(*simulated(0.0, seed), START) for seed in range(21, 41)]
    assert abs(np.mean([g.effect for g in nulls])) < 0.02
    assert sum(g.low <= 0 <= g.high for g in nulls) >= 14


def test_the_event_study_is_flat_before_the_start_and_shows_the_fall_after():
    panel, served = simulated(-0.4, 7)
    frame = event_study(panel, served, START)
    assert len(frame) == 32
    reference = frame[frame["event_month"] == -1].iloc[0]
    assert reference["effect"] == 0 and reference["month"] == START - pd.DateOffset(months=1)
    before = frame[frame["event_month"] < -1]
    after = frame[frame["event_month"] >= 0]
    assert (before["low"] <= 0).mean() >= 0.85 and (before["high"] >= 0).mean() >= 0.85
    assert after["effect"].median() < -0.25
    assert (after["high"] < 0).mean() >= 0.5


def test_the_permutation_test_separates_a_real_effect_from_none():
    effect, served = simulated(-0.3, 8)
    none, _ = simulated(0.0, 8)
    assert permutation_p(effect, served, START, draws=39, seed=1) <= 0.05
    assert permutation_p(none, served, START, draws=39, seed=1) > 0.1


def test_a_precinct_without_reports_is_left_out_not_an_error():
    panel, served = simulated(-0.3, 9)
    panel.loc[panel["unit"] == "135", "count"] = 0
    got = did(panel, served, START)
    assert got.n_units == 35
