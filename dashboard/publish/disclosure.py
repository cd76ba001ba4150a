"""What an attacker can learn about hidden cube cells, and complements chosen so it is nothing.

A release publishes cubes whose small cells are hidden. An attacker who has read this
code knows every published number and every linear relation between them: a cube's
cells add up to totals the rows publish, a district's cells add up to the city's cell,
every measure of a council group splits the same calls. Over those relations a linear
program gives each hidden cell a *feasible interval* [lo, hi]: every value the cell can
take with everything published held fixed. This module builds that system
(``SystemBuilder``), solves it with HiGHS (``audit``) and chooses complementary cells
until the audit passes (``protect``).

The protection rule (docs/architecture.md "Privacy rules" 5, made precise):

    Every hidden cell that could hold a small count (its lowest feasible value is below
    k) has a feasible interval that reaches down to 0 and up to k-1: the attacker can
    neither tell whether anyone is in the cell nor that fewer than k are.

Two exceptions keep the rule about what the *cubes* reveal, since the rows are public
anyway: where the rows alone already bound a cell (a city-wide total of 3 arrests caps
every council district's arrest cell at 3; a district with one precinct makes that
precinct's cell equal to the district's total), the interval only has to reach what
the rows allow: down to the rows-only lowest value and up to min(k-1, rows-only highest).
Both rows-only bounds are computed by the same LP with every cube cell unknown.

Why [0, k-1] and not [1, k-1]: an interval that excludes 0 tells the attacker that
someone is in the cell (that a council district had a STAR call ending in arrest),
which is the attribute disclosure suppression exists to prevent.

The suppression rule is public, so it must not leak values either. Primary cells are
those of 1..k-1 calls; complements are chosen in a *keyed pseudo-random order* (a
keyed hash of the cell's name, key from the release's secret seed), preferring cells
that close a cycle with cells already hidden. Nothing in the choice compares the
values of published cells, so the rule adds no bound to the attacker's program beyond
"a hidden cell is 0 or more": the earlier rule ("the smallest published cell of the
group") capped every hidden cell at that smallest value and pinned cells exactly.

The LP relaxation is what is solved. For two-way tables with their margins (coverage,
precincts) it is exact (the constraint matrix is totally unimodular, so the bounds are
integers). The council cube's measures share a group total, which breaks that: integer
bounds could in principle be tighter. Checked once on the shipped Denver sample (175
random hidden council cells, HiGHS as a MIP with a zero gap): every integer bound
equalled the LP bound. The audit rounds nothing in the attacker's favour: a bound is
accepted only when the LP reaches it.
"""

from __future__ import annotations

import hashlib
import heapq
import os
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import highspy
import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

#: Numerical slack when comparing LP optima with integers.
EPS = 1e-6
INF = float("inf")


class ProtectionError(RuntimeError):
    """Complementary suppression could not protect every hidden cell."""


@dataclass(frozen=True)
class Finding:
    """A hidden cell whose feasible interval is narrower than the protection rule allows."""

    label: str
    lo: float
    hi: float
    need_lo: float
    need_hi: float

    def describe(self) -> str:
        def num(x: float) -> str:
            return "inf" if x == INF else f"{x:g}"

        parts = []
        if self.lo > self.need_lo + EPS:
            parts.append(f"at least {num(self.lo)} (must stay open down to {num(self.need_lo)})")
        if self.hi < self.need_hi - EPS:
            parts.append(f"at most {num(self.hi)} (must stay open up to {num(self.need_hi)})")
        what = "pinned exactly" if abs(self.hi - self.lo) < EPS else " and ".join(parts)
        return f"{self.label}: an attacker can prove it is {what} [feasible {num(self.lo)}..{num(self.hi)}]"


@dataclass
class LinearSystem:
    """Cells (columns) and the linear relations between them (rows: ``matrix @ x = rhs``).

    ``value`` holds each cell's count (the true one at build time, the published one or
    NaN when read back from files); ``hidden`` marks unpublished cells, ``checked`` those
    that must be protected (cube cells; auxiliary group totals are hidden but unchecked).
    ``cap`` is an upper bound each cell has from the rows alone (the smallest constant
    total of a relation it is a plain member of), used as the rows-only bound.
    """

    labels: list[str]
    value: np.ndarray
    hidden: np.ndarray
    checked: np.ndarray
    matrix: sp.csr_matrix
    rhs: np.ndarray
    constant: np.ndarray  # per relation: its total is a public constant (not another cell)
    cap: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.cap = np.full(len(self.labels), INF)
        coo = self.matrix.tocoo()
        plain = self.constant[coo.row] & (coo.data > 0)
        # A relation is a plain partition when every member has coefficient +1.
        negative = np.zeros(self.matrix.shape[0], bool)
        negative[coo.row[coo.data < 0]] = True
        plain &= ~negative[coo.row]
        np.minimum.at(self.cap, coo.col[plain], self.rhs[coo.row[plain]])

    @property
    def size(self) -> int:
        return len(self.labels)


class SystemBuilder:
    """Collects cells and relations from cube frames into a ``LinearSystem``."""

    def __init__(self) -> None:
        self.labels: list[str] = []
        self.values: list[np.ndarray] = []
        self.hidden: list[np.ndarray] = []
        self.checked: list[np.ndarray] = []
        self._rows: list[np.ndarray] = []
        self._cols: list[np.ndarray] = []
        self._coefs: list[np.ndarray] = []
        self._rhs: list[np.ndarray] = []
        self._constant: list[np.ndarray] = []
        self._n_rel = 0

    @property
    def n_cells(self) -> int:
        return len(self.labels)

    def add_cells(self, labels: Sequence[str], values: np.ndarray, hidden: np.ndarray,
                  checked: bool = True) -> np.ndarray:
        """Add cells; returns their column ids."""
        start = self.n_cells
        self.labels.extend(labels)
        self.values.append(np.asarray(values, dtype=float))
        self.hidden.append(np.asarray(hidden, dtype=bool))
        self.checked.append(np.full(len(labels), checked) & np.asarray(hidden, dtype=bool)
                            if checked else np.zeros(len(labels), bool))
        return np.arange(start, self.n_cells)

    def add_unknowns(self, labels: Sequence[str]) -> np.ndarray:
        """Unpublished totals the relations need (a council group's number of calls)."""
        n = len(labels)
        return self.add_cells(labels, np.full(n, np.nan), np.ones(n, bool), checked=False)

    def add_relations(self, group: np.ndarray, cols: np.ndarray, coefs: np.ndarray | float,
                      rhs: np.ndarray, constant: bool) -> None:
        """One relation per group id 0..len(rhs)-1: sum of coef * cell over its members = rhs.

        ``constant`` says the right-hand side is a public number (rows, a margin) rather
        than 0 with another cell moved to the left as -1.
        """
        group = np.asarray(group, dtype=np.int64)
        cols = np.asarray(cols, dtype=np.int64)
        coefs = np.broadcast_to(np.asarray(coefs, dtype=float), cols.shape)
        self._rows.append(group + self._n_rel)
        self._cols.append(cols)
        self._coefs.append(np.array(coefs))
        self._rhs.append(np.asarray(rhs, dtype=float))
        self._constant.append(np.full(len(rhs), constant))
        self._n_rel += len(rhs)

    def build(self) -> LinearSystem:
        n = self.n_cells

        def cat(parts: list[np.ndarray], dtype: type) -> np.ndarray:
            return np.concatenate(parts) if parts else np.zeros(0, dtype)

        matrix = sp.csr_matrix(
            (cat(self._coefs, float), (cat(self._rows, np.int64), cat(self._cols, np.int64))),
            shape=(self._n_rel, n),
        )
        matrix.sum_duplicates()
        return LinearSystem(
            labels=list(self.labels),
            value=cat(self.values, float),
            hidden=cat(self.hidden, bool),
            checked=cat(self.checked, bool),
            matrix=matrix,
            rhs=cat(self._rhs, float),
            constant=cat(self._constant, bool),
        )


# -- solving ---------------------------------------------------------------------------


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


class _Component:
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


class _Seen:
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


def _solve(comp: _Component, seen: _Seen, cost: np.ndarray, maximize: bool) -> np.ndarray:
    status, x = comp.optimize(cost, maximize)
    if status != "optimal" or x is None:
        raise RuntimeError("the published relations are inconsistent")
    return seen.record(x)


def _certify_min(comp: _Component, seen: _Seen, idx: np.ndarray,
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


def _certify_max(comp: _Component, seen: _Seen, which: np.ndarray, need: np.ndarray) -> np.ndarray:
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


def audit(system: LinearSystem, k: int, upper: np.ndarray | None = None) -> list[Finding]:
    """Every hidden, checked cell of ``system`` whose feasible interval breaks the protection rule.

    ``upper`` adds per-cell upper bounds an attacker knows from a suppression rule
    (validate uses it for releases made by the older, value-ordered rule).
    """
    return Auditor(system, k, upper).findings(system.hidden, system.value)


class Auditor:
    """Audits masks of one system: the rows-only bounds and unchanged blocks are solved once.

    ``findings(hidden, value)`` is the audit of the system published with that mask.
    ``focus`` (protect's shortcut while it is still adding complements) limits the
    one-by-one lowest-value solves to those cells; every other cell that no batch brought
    to 0 is taken as provably k or more. Only an audit without ``focus`` is a proof.
    """

    def __init__(self, system: LinearSystem, k: int, upper: np.ndarray | None = None) -> None:
        self.system = system
        self.k = k
        self.upper = np.full(system.size, INF) if upper is None else upper
        self.csc = system.matrix.tocsc()
        self._blocks: dict[bytes, tuple[list[Finding], np.ndarray]] = {}
        self._focus_blocks: dict[bytes, tuple[list[Finding], np.ndarray]] = {}
        self.exempt = np.zeros(system.size, bool)
        self._base: dict[int, tuple[float, float]] = {}
        self._base_blocks: tuple[np.ndarray, list[np.ndarray], dict[int, tuple[int, int]]] | None = None
        self._base_comps: dict[int, _Component] = {}

    def findings(self, hidden: np.ndarray, value: np.ndarray,
                 focus: np.ndarray | None = None) -> list[Finding]:
        system = self.system
        self.exempt = np.zeros(system.size, bool)
        pub = ~hidden
        rhs_all = system.rhs - system.matrix @ np.where(pub, np.nan_to_num(value), 0.0)
        out = [Finding(f"relation {r}: {msg}", 0, 0, 0, 0)
               for r, msg in _inconsistent(system, hidden, rhs_all)]
        for block in _blocks(system, hidden):
            if not system.checked[block].any():
                continue
            key = (block.tobytes() + system.checked[block].tobytes()
                   + rhs_all[np.unique(self.csc[:, block].tocoo().row)].tobytes())
            cache = self._blocks if focus is None else self._focus_blocks
            if key in cache:
                found, exempt = cache[key]
                self.exempt[block[exempt]] = True
                out.extend(found)
                continue
            found = self._audit_block(rhs_all, block, None if focus is None else focus[block])
            cache[key] = (found, np.flatnonzero(self.exempt[block]))
            out.extend(found)
        return out

    def _audit_block(self, rhs_all: np.ndarray, block: np.ndarray, focus: np.ndarray | None) -> list[Finding]:
        system, k = self.system, self.k
        checked = system.checked[block]
        if not checked.any():
            return []
        idx = np.flatnonzero(checked)
        need_hi = np.minimum(k - 1, system.cap[block[idx]])
        cols = self.csc[:, block]
        rows = np.unique(cols.tocoo().row)
        comp = _Component(cols[rows, :].tocsr(), rhs_all[rows], self.upper[block], idx, need_hi)
        if not comp.feasible():
            return [Finding(f"{system.labels[block[0]]} and {len(block) - 1} linked cells: the published "
                            "relations are inconsistent", 0, 0, 0, 0)]
        seen = _Seen(comp.width)
        lo = _certify_min(comp, seen, idx, None if focus is None else focus[idx])
        small = lo < k - EPS  # provably k or more: not a small count, nothing to protect
        self.exempt[block[idx[~small]]] = True
        hi = np.full(len(idx), np.nan)
        if small.any():
            hi[small] = _certify_max(comp, seen, np.flatnonzero(small), need_hi[small])
        out = []
        for j in np.flatnonzero(small & ((lo > EPS) | (hi < need_hi - EPS))):
            # The rows alone may already bound the cell: compare with the rows-only LP.
            b_lo, b_hi = self.base_bounds(int(block[idx[j]]))
            need_lo, need = max(0.0, b_lo), min(float(k - 1), b_hi)
            if lo[j] > need_lo + EPS or hi[j] < need - EPS:
                out.append(Finding(system.labels[block[idx[j]]], float(lo[j]), float(hi[j]), need_lo, need))
        return out

    def base_bounds(self, cell: int) -> tuple[float, float]:
        """The cell's lowest and highest value when no cube cell is published (rows only)."""
        if cell in self._base:
            return self._base[cell]
        if self._base_blocks is None:
            everything = np.ones(self.system.size, bool)
            rhs = self.system.rhs.copy()
            blocks = _blocks(self.system, everything)
            where = {int(c): (b, pos) for b, block in enumerate(blocks) for pos, c in enumerate(block)}
            self._base_blocks = (rhs, blocks, where)
        rhs, blocks, where = self._base_blocks
        b, pos = where[cell]
        if b not in self._base_comps:
            cols = self.csc[:, blocks[b]]
            rows = np.unique(cols.tocoo().row)
            self._base_comps[b] = _Component(cols[rows, :].tocsr(), rhs[rows], np.full(len(blocks[b]), INF))
        comp = self._base_comps[b]
        bounds = (max(0.0, comp.bound(pos, maximize=False)), comp.bound(pos, maximize=True))
        self._base[cell] = bounds
        return bounds


def _blocks(system: LinearSystem, hidden: np.ndarray) -> list[np.ndarray]:
    """Connected blocks of hidden cells (linked through relations they share)."""
    h_idx = np.flatnonzero(hidden)
    sub = system.matrix[:, h_idx].tocsr()
    n_rel, n_h = sub.shape
    if not n_h:
        return []
    graph = sp.bmat([[None, sub], [sub.T, None]], format="csr") if n_rel else sp.csr_matrix((n_h, n_h))
    _, labels = connected_components(graph, directed=False)
    cell_labels = labels[n_rel:] if n_rel else labels
    order = np.argsort(cell_labels, kind="stable")
    splits = np.flatnonzero(np.diff(cell_labels[order])) + 1
    return [h_idx[part] for part in np.split(order, splits)]


def _inconsistent(system: LinearSystem, hidden: np.ndarray, rhs: np.ndarray) -> list[tuple[int, str]]:
    """Relations with no hidden member whose published members do not add up to their total."""
    sub = system.matrix[:, np.flatnonzero(hidden)].tocsr()
    empty = np.diff(sub.indptr) == 0
    bad = np.flatnonzero(empty & (np.abs(rhs) > EPS))
    return [(int(r), f"its published cells are off by {rhs[r]:g}") for r in bad[:5]]


# -- choosing complements ------------------------------------------------------------------


def keyed_rank(labels: Iterable[str], key: bytes) -> np.ndarray:
    """A pseudo-random rank per label from a keyed hash: the order complements are tried in.

    Depends on the cell's name and the key only, never on a count.
    """
    return np.array([int.from_bytes(hashlib.blake2b(lab.encode(), key=key[:64], digest_size=8).digest(),
                                    "big") for lab in labels], dtype=np.uint64)


def primary(values: np.ndarray, k: int) -> np.ndarray:
    """Cells of 1..k-1 calls: hidden whatever else happens."""
    return (values >= 1) & (values <= k - 1)


def protect(system: LinearSystem, k: int, key: bytes, *, tier: np.ndarray | None = None,
            scope: np.ndarray | None = None, max_rounds: int = 400) -> np.ndarray:
    """The hidden mask: primary cells plus complements until ``audit`` finds nothing.

    ``system.value`` must hold the true counts of every cell (build time). ``tier`` ranks
    cells by how much a reader loses when they are hidden (0 first), known from the table
    structure alone (a city's total is worth more than a leftover 'unknown' area). Raises
    ProtectionError when no complement can fix a finding (it never happens for cubes
    whose relations are partitions: hiding a whole group always satisfies the rule).
    ``scope`` limits the cells checked (all the others stay in the system, as constraints):
    for a second pass over a larger system whose new relations reach only some cells,
    after a first pass has checked the rest. A proof only for the cells in scope.
    """
    values = system.value
    hidden = system.hidden.copy() | primary(np.nan_to_num(values), k)
    # Candidates are ordered by tier (a structural preference the caller states, e.g. a
    # city total last), then by the keyed rank: never by a count.
    tier = np.zeros(system.size, np.int64) if tier is None else np.asarray(tier, np.int64)
    rank = tier.astype(np.uint64) << np.uint64(56) | (keyed_rank(system.labels, key) >> np.uint64(8))
    csr = system.matrix.tocsr()
    csc = system.matrix.tocsc()
    _relation_prepass(system, csr, csc, hidden, values, k, rank)
    checkable = _checkable(system)
    if scope is not None:
        checkable &= scope
    auditor = Auditor(LinearSystem(system.labels, values, hidden, hidden & checkable, system.matrix,
                                   system.rhs, system.constant), k)
    index = {lab: i for i, lab in enumerate(system.labels)}
    # Hiding one more cell turns a published constant into an unknown, so every earlier
    # feasible point stays feasible: intervals only widen. A cell once found protected
    # stays protected, and each round re-examines only the cells not yet cleared (new
    # complements and earlier findings). While adding complements, only cells that
    # could plausibly be small get the costly one-by-one lowest-value solve; a final
    # full audit, from scratch and by the public rule alone, decides when to stop.
    focus = np.nan_to_num(values, nan=0.0) < k
    cleared = np.zeros(system.size, bool)
    failures: Counter[int] = Counter()
    full = False
    for _ in range(max_rounds):
        pending = hidden & checkable & ~cleared
        auditor.system.checked = pending
        findings = auditor.findings(hidden, np.where(hidden, np.nan, values), None if full else focus)
        failed = np.zeros(system.size, bool)
        failed[[index[f.label] for f in findings if f.label in index]] = True
        # Cells found protected stay so; cells found (or assumed) to be k or more can
        # become small once neighbours are hidden, so they are looked at again.
        cleared |= pending & ~failed & ~auditor.exempt
        if not findings:
            if full:
                return hidden
            full = True
            continue
        full = False
        added = 0
        used_relations: set[int] = set()
        for finding in findings:
            cell = index.get(finding.label)
            if cell is None:
                raise ProtectionError(finding.describe())
            # A cell that keeps failing gets more complements each time (1, 2, 4...):
            # one at a time can take a round per cell of a long cycle.
            failures[cell] += 1
            for choice in _complement_for(cell, csr, csc, hidden, rank, used_relations,
                                          want=2 ** min(failures[cell] - 1, 6)):
                hidden[choice] = True
                added += 1
                # Hiding it can bring a large hidden neighbour's lowest value under k:
                # look at its relations' cells properly from now on, not only in the
                # final full audit (which would find them one cascade step at a time).
                for r in _relations_of(csc, choice):
                    focus[_members(csr, r)] = True
        if not added:
            raise ProtectionError("; ".join(f.describe() for f in findings[:3]))
        _relation_prepass(system, csr, csc, hidden, values, k, rank)
    raise ProtectionError(f"complementary suppression did not converge in {max_rounds} rounds")


def _checkable(system: LinearSystem) -> np.ndarray:
    """Cells that are checked when hidden: every cell except auxiliary totals."""
    aux = system.hidden & ~system.checked & np.isnan(system.value)
    return ~aux


def _members(csr: sp.csr_matrix, r: int) -> np.ndarray:
    return csr.indices[csr.indptr[r]:csr.indptr[r + 1]]


def _relations_of(csc: sp.csc_matrix, c: int) -> np.ndarray:
    return csc.indices[csc.indptr[c]:csc.indptr[c + 1]]


def _complement_for(cell: int, csr: sp.csr_matrix, csc: sp.csc_matrix, hidden: np.ndarray,
                    rank: np.ndarray, used: set[int], want: int = 1) -> list[int]:
    """Published cells to hide (up to ``want``, from different relations) so that ``cell``
    gains room to move.

    Among the relations ``cell`` belongs to, take those with the fewest hidden members
    (the tightest), and in each the published member of the lowest tier that shares the
    most *other* relations with hidden cells (it closes a cycle through which values can
    shift), ties broken by the keyed rank. Counts are never compared. When every
    relation of the cell is fully hidden, the room it lacks is further out: the search
    widens through hidden cells, one layer of relations at a time.
    """
    seen_cells = {cell}
    seen_rel: set[int] = set()
    frontier = [cell]
    picked: list[int] = []
    for _ in range(8):
        layer = []
        for c in frontier:
            for r in _relations_of(csc, c):
                if r not in seen_rel:
                    seen_rel.add(int(r))
                    layer.append(int(r))
        best: list[tuple] = []
        for r in layer:
            if r in used:
                continue
            members = _members(csr, r)
            open_ = members[~hidden[members]]
            if not len(open_):
                continue
            n_hidden = int(hidden[members].sum())
            choice = None
            for c in open_:
                linked = sum(1 for r2 in _relations_of(csc, c) if r2 != r and hidden[_members(csr, r2)].any())
                score = (int(rank[c]) >> 56, n_hidden, -linked, int(rank[c]))  # tier first, then cycles
                if choice is None or score < choice[0]:
                    choice = (score, int(c), int(r))
            if choice is not None:
                best.append(choice)
        for _, c, r in sorted(best):
            if len(picked) >= want:
                break
            if c not in picked:
                used.add(r)
                picked.append(c)
        if len(picked) >= want:
            break
        frontier = []
        for r in layer:
            for c in _members(csr, r):
                if hidden[c] and c not in seen_cells:
                    seen_cells.add(int(c))
                    frontier.append(int(c))
        if not frontier:
            break
    return picked


def _relation_prepass(system: LinearSystem, csr: sp.csr_matrix, csc: sp.csc_matrix, hidden: np.ndarray,
                      values: np.ndarray, k: int, rank: np.ndarray) -> None:
    """Cheap necessary conditions, relation by relation, before any LP.

    No relation may have exactly one hidden member (it would be its total minus the
    rest), and in a relation whose total is a public constant the hidden members must
    add up to at least k-1 (otherwise each is provably below k-1). Complements are
    taken in keyed order. Hidden sums of such relations are public, so using them leaks
    nothing.
    """
    coefs = csr.data
    queue = list(range(csr.shape[0]))
    heapq.heapify(queue)
    in_queue = set(queue)
    while queue:
        r = heapq.heappop(queue)
        in_queue.discard(r)
        start, end = csr.indptr[r], csr.indptr[r + 1]
        members = csr.indices[start:end]
        hid = hidden[members]
        n_hidden = int(hid.sum())
        if n_hidden == 0 or hid.all():
            continue
        need = n_hidden == 1
        plain = system.constant[r] and (coefs[start:end] > 0).all()
        if not need and plain:
            hidden_sum = float(np.nansum(values[members[hid]]))
            need = 0 < hidden_sum < k - 1
        if not need:
            continue
        open_ = members[~hid]
        c = int(open_[np.argmin(rank[open_])])
        hidden[c] = True
        for r2 in _relations_of(csc, c):
            if r2 not in in_queue:
                heapq.heappush(queue, int(r2))
                in_queue.add(int(r2))
        if r not in in_queue:
            heapq.heappush(queue, r)
            in_queue.add(r)


# -- relations from frames --------------------------------------------------------------


def group_ids(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Dense 0..G-1 ids of ``frame``'s groups by ``keys`` (NaN-safe)."""
    if not keys:
        return np.zeros(len(frame), np.int64)
    return frame.groupby(keys, dropna=False, sort=True, observed=True).ngroup().to_numpy(np.int64)


def summarize(findings: list[Finding], limit: int = 3) -> str:
    """A few findings in words, and how many there are."""
    pinned = [f for f in findings if abs(f.hi - f.lo) < EPS]
    first = (pinned + [f for f in findings if f not in pinned])[:limit]
    shown = "; ".join(f.describe() for f in first)
    return f"{len(findings):,} hidden cells narrowed, {len(pinned):,} of them pinned exactly: {shown}"


def by_table(findings: list[Finding]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.label.split(" ", 1)[0]].append(f)
    return dict(out)


# -- the attacks, one relation at a time (validate reports them by name) ---------------------


def _aux(system: LinearSystem) -> np.ndarray:
    return ~_checkable(system)


def margin_differencing(system: LinearSystem, k: int, limit: int = 3) -> list[str]:
    """Hidden cells recovered by subtracting a relation's published cells from its total.

    A relation (a total and the cells that add up to it) with exactly one hidden cell
    gives that cell exactly; one whose hidden cells add up to fewer than k-1 (and to less
    than the total, which the rows publish anyway) caps every one of them below k-1.
    Relations through an unpublished group total are left to the cross-measure attack.
    """
    csr = system.matrix.tocsr()
    aux = _aux(system)
    hidden = system.hidden
    values = np.nan_to_num(system.value)
    exact, small = [], []
    for r in range(csr.shape[0]):
        start, end = csr.indptr[r], csr.indptr[r + 1]
        members, coefs = csr.indices[start:end], csr.data[start:end]
        if len(members) < 2 or aux[members].any():
            continue
        hid = hidden[members]
        if not hid.any() or hid.all():
            continue
        if hid.sum() == 1:
            cell = members[hid][0]
            value = (system.rhs[r] - float(coefs[~hid] @ values[members[~hid]])) / coefs[hid][0]
            exact.append(f"{system.labels[cell]} = {value:g}")
            continue
        if system.constant[r] and (coefs > 0).all():
            rest = system.rhs[r] - float(values[members[~hid]].sum())
            if rest < min(k - 1, system.rhs[r]) - EPS:
                shown = system.labels[members[hid][0]]
                small.append(f"{int(hid.sum())} hidden cells adding up to {rest:g} (e.g. {shown})")
    out = []
    if exact:
        out.append(f"{len(exact):,} hidden cells recovered exactly as a published total minus the "
                   f"published cells beside them: " + "; ".join(exact[:limit]))
    if small:
        out.append(f"{len(small):,} totals whose hidden cells add up to fewer than k-1={k - 1}, so each "
                   f"is provably small: " + "; ".join(small[:limit]))
    return out


def rule_bounds(system: LinearSystem, k: int) -> np.ndarray:
    """Upper bounds the older suppression rule gives away about every hidden cell.

    That rule hid, as a complement, the smallest published cell of a group; so a hidden
    cell is either small (at most k-1) or at most the smallest cell still published in
    one of its groups. An attacker who knows the rule adds these bounds to the program.
    """
    csr = system.matrix.tocsr()
    aux = _aux(system)
    values = np.where(system.hidden, np.inf, np.nan_to_num(system.value))
    bound = np.full(system.size, -np.inf)
    for r in range(csr.shape[0]):
        members = csr.indices[csr.indptr[r]:csr.indptr[r + 1]]
        cells = members[~aux[members]]
        if not len(cells):
            continue
        smallest = values[cells].min()
        hid = cells[system.hidden[cells]]
        bound[hid] = np.maximum(bound[hid], smallest)
    upper = np.maximum(bound, k - 1)
    upper[~system.hidden | aux] = np.inf
    upper[np.isneginf(bound)] = np.inf
    return upper
