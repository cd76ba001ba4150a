"""The feasible bounds of hidden cells, by linear programming (HiGHS), one block at a time.

A block of hidden cells linked by relations is one LP (``Component``), built once and
asked many questions by changing its objective; ``certify_min`` and ``certify_max``
find each cell's lowest value and how high it can go, batching while that pays.
``dashboard.publish.disclosure`` turns those bounds into findings.

Kept apart from the audit because this is the numerical machinery (the solver, its
options, its warm starts), while the audit decides what the bounds must be: the rule
and the solver change for different reasons.
"""

from __future__ import annotations

import os
import sys

import highspy
import numpy as np
import scipy.sparse as sp

from dashboard.publish.linear_system import EPS, INF

_QUIET = False


def _highs() -> highspy.Highs:
    global _QUIET  # noqa: PLW0603 (once per process)
    if not _QUIET:
        # HiGHS prints a banner to the C-level stdout when the first solver is made, before
        # any option can silence it; validate's report must not start with it.
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        _QUIET = True
    else:
        h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    # Thousands of solves of one model that differ only in the objective: each starts
    # from the last basis, which stays primal feasible, so primal simplex without
    # presolve is several times faster than the defaults (measured: 1.7 vs 10 ms).
    h.setOptionValue("presolve", "off")
    h.setOptionValue("simplex_strategy", 4)
    return h


class Component:
    """One connected block of hidden cells and the relations between them, as a HiGHS LP.

    Columns 0..n-1 are the block's cells. For the cells in ``capped`` (the checked ones)
    a helper column t_j with 0 <= t_j <= cap_j and t_j <= x_j follows, so "how many cells
    can reach their cap at once" is a plain objective on the helpers. The model is built
    once; every question is a change of objective, solved from the last basis.
    """

    def __init__(self, matrix: sp.csr_matrix, rhs: np.ndarray, upper: np.ndarray,
                 capped: np.ndarray | None = None, caps: np.ndarray | None = None) -> None:
        n = matrix.shape[1]
        capped = np.zeros(0, np.int64) if capped is None else np.asarray(capped, np.int64)
        caps = np.zeros(0) if caps is None else np.minimum(np.asarray(caps, float), 1e9)
        m = len(capped)
        self.n = n
        self.capped = capped
        helper = sp.csr_matrix((np.r_[np.ones(m), -np.ones(m)],
                                (np.r_[np.arange(m), np.arange(m)], np.r_[n + np.arange(m), capped])),
                               shape=(m, n + m))
        full = sp.vstack([sp.hstack([matrix, sp.csr_matrix((matrix.shape[0], m))]), helper]).tocsc()
        self.width = n + m
        self.h = _highs()
        lp = highspy.HighsLp()
        lp.num_col_ = self.width
        lp.num_row_ = full.shape[0]
        lp.col_cost_ = np.zeros(self.width)
        lp.col_lower_ = np.zeros(self.width)
        lp.col_upper_ = np.r_[np.where(np.isinf(upper), highspy.kHighsInf, upper), caps].astype(float)
        lp.row_lower_ = np.r_[rhs.astype(float), np.full(m, -highspy.kHighsInf)]
        lp.row_upper_ = np.r_[rhs.astype(float), np.zeros(m)]
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = full.indptr.astype(np.int32)
        lp.a_matrix_.index_ = full.indices.astype(np.int32)
        lp.a_matrix_.value_ = full.data.astype(float)
        self.h.passModel(lp)
        self._cost = np.zeros(self.width)

    def optimize(self, cost: np.ndarray, maximize: bool) -> tuple[str, np.ndarray | None]:
        """Solve with this objective (over all columns, helpers included);
        ('optimal', x), ('unbounded', None) or ('infeasible', None)."""
        changed = np.flatnonzero(cost != self._cost)
        if len(changed):
            self.h.changeColsCost(len(changed), changed.astype(np.int32), cost[changed].astype(float))
            self._cost = cost.copy()
        sense = highspy.ObjSense.kMaximize if maximize else highspy.ObjSense.kMinimize
        self.h.changeObjectiveSense(sense)
        self.h.run()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kOptimal:
            return "optimal", np.asarray(self.h.getSolution().col_value)
        if status in (highspy.HighsModelStatus.kUnbounded, highspy.HighsModelStatus.kUnboundedOrInfeasible):
            # Unbounded needs a feasible point; kUnboundedOrInfeasible is settled below.
            if status == highspy.HighsModelStatus.kUnboundedOrInfeasible and not self.feasible():
                return "infeasible", None
            return "unbounded", None
        if status == highspy.HighsModelStatus.kInfeasible:
            return "infeasible", None
        raise RuntimeError(f"HiGHS stopped with status {self.h.modelStatusToString(status)}")

    def feasible(self) -> bool:
        status, _ = self.optimize(np.zeros(self.width), maximize=False)
        return status == "optimal"

    def bound(self, i: int, maximize: bool) -> float:
        cost = np.zeros(self.width)
        cost[i] = 1.0
        status, x = self.optimize(cost, maximize)
        if status == "unbounded":
            return INF if maximize else -INF
        if status != "optimal" or x is None:
            raise RuntimeError("the published relations are inconsistent")
        return float(x[i])


class Seen:
    """The lowest and highest value each column took in any solution found so far.

    Every solve returns a whole vertex, in which many cells sit at their extremes: a cell
    already seen at 0 (or at its need) is certified without a solve of its own.
    """

    def __init__(self, width: int) -> None:
        self.low = np.full(width, np.inf)
        self.high = np.full(width, -np.inf)

    def record(self, x: np.ndarray) -> np.ndarray:
        np.minimum(self.low, x, out=self.low)
        np.maximum(self.high, x, out=self.high)
        return x


def _solve(comp: Component, seen: Seen, cost: np.ndarray, maximize: bool) -> np.ndarray:
    status, x = comp.optimize(cost, maximize)
    if status != "optimal" or x is None:
        raise RuntimeError("the published relations are inconsistent")
    return seen.record(x)


def certify_min(comp: Component, seen: Seen, idx: np.ndarray,
                 focus: np.ndarray | None = None) -> np.ndarray:
    """Lowest feasible value of each column in ``idx`` (0 for those that reach 0).

    Batches first (minimize the sum of the cells not yet seen at 0: a vertex sets many to
    0 at once), while they pay; then one solve per cell still not seen at 0, each of
    which may show others at 0 too.
    """
    lo = np.full(len(idx), np.nan)
    while True:
        todo = np.flatnonzero(seen.low[idx] > EPS)
        if not len(todo):
            break
        cost = np.zeros(comp.width)
        cost[idx[todo]] = 1.0
        x = _solve(comp, seen, cost, maximize=False)
        if (x[idx[todo]] <= EPS).sum() < max(1, len(todo) // 20):
            break  # batches have stopped paying
    lo[seen.low[idx] <= EPS] = 0.0
    for j in np.flatnonzero(np.isnan(lo)):
        if seen.low[idx[j]] <= EPS:
            lo[j] = 0.0
        elif focus is not None and not focus[j]:
            lo[j] = INF  # protect's shortcut: assumed large, proved by the final full audit
        else:
            cost = np.zeros(comp.width)
            cost[idx[j]] = 1.0
            lo[j] = max(0.0, float(_solve(comp, seen, cost, maximize=False)[idx[j]]))
    return lo


def certify_max(comp: Component, seen: Seen, which: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Highest feasible value of the capped cells ``comp.capped[which]``, or ``need`` where
    it reaches it.

    Batches maximize the sum of the helpers (each capped at its cell's need) of the cells
    not yet seen at their need, while they pay; then one solve per cell still short.
    """
    cols = comp.capped[which]
    helper = comp.n + which
    while True:
        todo = np.flatnonzero(seen.high[cols] < need - EPS)
        if not len(todo):
            break
        cost = np.zeros(comp.width)
        cost[helper[todo]] = 1.0
        x = _solve(comp, seen, cost, maximize=True)
        if (x[cols[todo]] >= need[todo] - EPS).sum() < max(1, len(todo) // 20):
            break  # batches have stopped paying
    hi = np.where(seen.high[cols] >= need - EPS, need, np.nan)
    for j in np.flatnonzero(np.isnan(hi)):
        if seen.high[cols[j]] >= need[j] - EPS:
            hi[j] = need[j]
            continue
        cost = np.zeros(comp.width)
        cost[cols[j]] = 1.0
        status, x = comp.optimize(cost, maximize=True)
        if status == "unbounded":
            hi[j] = INF
            continue
        if status != "optimal" or x is None:
            raise RuntimeError("the published relations are inconsistent")
        hi[j] = float(seen.record(x)[cols[j]])
    return hi
