"""Before/after estimates on a panel of counts: did offense reports fall where a team started?

The Impact page asks whether reports of low-level offenses fell in the precincts an
alternative team began to serve, compared with precincts it did not serve yet. The
estimator is the one such studies use for counts (Dee & Pyne 2022 report a difference in
differences over precinct-months): a Poisson regression with precinct and month fixed
effects, so that each precinct keeps its own level and every month its citywide shock,
and the treatment enters as a rate ratio. Errors are clustered by precinct, because
months of one precinct are not independent draws.

With a handful of served precincts, clustered errors are optimistic (few treated
clusters); ``permutation_p`` therefore also asks how often a random set of as many
precincts, "served" from the same date, shows an effect at least as large: a test that
needs no distributional assumption and that a reader can understand.

What this cannot show is said on the page: reports are not offenses (a team that does not
write reports lowers reports by itself), the served area may differ from the configured
one, and other changes that started at the same time in the same precincts (2020 had
many) would look the same.

Pure numbers (numpy, pandas, statsmodels): no store, no web. The panel is a frame with
one row per unit and month: ``unit`` (text), ``month`` (a Timestamp, first of month),
``count`` (whole number); every unit has every month (zeros included).
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

import numpy as np
import pandas as pd
import statsmodels.api as sm

#: Two-sided 95% normal quantile (the band of the event study and the interval).
Z95 = 1.959963984540054


@dataclass(frozen=True)
class Estimate:
    """One difference in differences: the served units' change relative to the others."""

    #: Rate ratio minus 1: -0.34 reads "34% fewer reports than expected".
    effect: float
    low: float
    high: float
    #: Log rate ratio and its precinct-clustered standard error.
    coef: float
    se: float
    p_cluster: float
    n_units: int
    n_treated: int
    n_months: int
    #: Reports in the served units after the start, and the change the estimate implies
    #: there (observed minus what the model expects without the team; negative: fewer).
    treated_after: float
    implied_change: float


def _complete(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel with units that never report in the window left out (a unit of zeros
    has no level to compare: Poisson fixed effects drop it anyway, explicitly here)."""
    totals = panel.groupby("unit")["count"].sum()
    keep = totals.index[totals > 0]
    return panel[panel["unit"].isin(keep)].reset_index(drop=True)


def _design(panel: pd.DataFrame, extra: pd.DataFrame) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Regressors: ``extra`` columns, then unit and month dummies (first of each dropped,
    a constant kept). Returns the matrix, its column names and each row's unit code."""
    units = pd.Categorical(panel["unit"])
    months = pd.Categorical(panel["month"])
    unit_d = pd.get_dummies(units, prefix="u", drop_first=True, dtype=float)
    month_d = pd.get_dummies(months, prefix="m", drop_first=True, dtype=float)
    frame = pd.concat([extra.reset_index(drop=True), unit_d, month_d], axis=1)
    frame.insert(0, "const", 1.0)
    return frame.to_numpy(float), list(frame.columns), np.asarray(units.codes)


def _fit(panel: pd.DataFrame, extra: pd.DataFrame):  # noqa: ANN202 (a statsmodels result)
    matrix, names, groups = _design(panel, extra)
    model = sm.GLM(panel["count"].to_numpy(float), matrix, family=sm.families.Poisson())
    result = model.fit(cov_type="cluster", cov_kwds={"groups": groups}, maxiter=200)
    return result, names


def did(panel: pd.DataFrame, treated: Collection[str], start: pd.Timestamp) -> Estimate:
    """Poisson difference in differences: ``treated`` units from ``start`` on (the months of
    ``panel`` before and after it; the caller chooses the window)."""
    panel = _complete(panel)
    served = panel["unit"].isin(set(treated))
    after = panel["month"] >= start
    extra = pd.DataFrame({"treat_after": (served & after).astype(float)})
    result, _ = _fit(panel, extra)
    coef, se = float(result.params[1]), float(result.bse[1])
    fitted = np.asarray(result.fittedvalues)
    cell = (served & after).to_numpy()
    observed = float(panel.loc[cell, "count"].sum())
    without = float((fitted[cell] / np.exp(coef)).sum())
    return Estimate(
        effect=float(np.expm1(coef)), low=float(np.expm1(coef - Z95 * se)),
        high=float(np.expm1(coef + Z95 * se)), coef=coef, se=se, p_cluster=float(result.pvalues[1]),
        n_units=int(panel["unit"].nunique()), n_treated=int(panel.loc[served, "unit"].nunique()),
        n_months=int(panel["month"].nunique()), treated_after=observed, implied_change=observed - without,
    )


def event_study(panel: pd.DataFrame, treated: Collection[str], start: pd.Timestamp) -> pd.DataFrame:
    """The served units' monthly difference, each month relative to the month before
    ``start`` (event month -1, the reference: 0 by construction).

    Columns: event_month (months since ``start``), month, effect (rate ratio - 1), low,
    high (95%, precinct-clustered). Flat around 0 before the start is what makes the
    comparison believable (no trend of its own in the served precincts beforehand).
    """
    panel = _complete(panel)
    served = panel["unit"].isin(set(treated)).to_numpy()
    event = ((panel["month"].dt.year - start.year) * 12 + (panel["month"].dt.month - start.month)).to_numpy()
    months = sorted(set(event.tolist()) - {-1})
    extra = pd.DataFrame({f"k{k}": (served & (event == k)).astype(float) for k in months})
    result, _ = _fit(panel, extra)
    coefs = np.asarray(result.params[1:1 + len(months)])
    ses = np.asarray(result.bse[1:1 + len(months)])
    rows = [{"event_month": k, "effect": float(np.expm1(c)), "low": float(np.expm1(c - Z95 * s)),
             "high": float(np.expm1(c + Z95 * s))} for k, c, s in zip(months, coefs, ses, strict=True)]
    rows.append({"event_month": -1, "effect": 0.0, "low": 0.0, "high": 0.0})
    out = pd.DataFrame(rows).sort_values("event_month").reset_index(drop=True)
    out.insert(1, "month", [start + pd.DateOffset(months=int(k)) for k in out["event_month"]])
    return out


def permutation_p(panel: pd.DataFrame, treated: Collection[str], start: pd.Timestamp, draws: int,
                  seed: int) -> float:
    """How often ``draws`` random sets of as many units, "served" from ``start``, give an
    estimate at least as far from 0 as the real set's (two-sided, the real set counted:
    (1 + at least as extreme) / (1 + draws)). Seeded, so a rebuild gives the same p."""
    panel = _complete(panel)
    units = np.array(sorted(panel["unit"].unique()))
    real = abs(did(panel, treated, start).coef)
    size = int(np.isin(units, list(treated)).sum())
    rng = np.random.default_rng(seed)
    extreme = 0
    for _ in range(draws):
        fake = rng.choice(units, size=size, replace=False)
        if abs(did(panel, fake, start).coef) >= real - 1e-12:
            extreme += 1
    return (1 + extreme) / (1 + draws)
