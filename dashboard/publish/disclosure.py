"""What an attacker can learn about hidden cube cells, and complements chosen so it is nothing.

A release publishes cubes whose small cells are hidden. An attacker who has read this
code knows every published number and every linear relation between them: a cube's
cells add up to totals the rows publish, a district's cells add up to the city's cell,
every measure of a council group splits the same calls. Over those relations a linear
program gives each hidden cell a *feasible interval* [lo, hi]: every value the cell can
take with everything published held fixed. ``dashboard.publish.linear_system`` holds
that system (``SystemBuilder``); this module solves it (``audit``, with the LPs of
``dashboard.publish.lp_bounds``); ``dashboard.publish.complements`` chooses complementary
cells until the audit passes (``protect``); ``dashboard.publish.attacks`` holds the
attacks ``validate`` names one relation at a time.

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

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from dashboard.publish.linear_system import EPS, INF, LinearSystem
from dashboard.publish.lp_bounds import Component, Seen, certify_max, certify_min


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
        self._base_comps: dict[int, Component] = {}

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
        comp = Component(cols[rows, :].tocsr(), rhs_all[rows], self.upper[block], idx, need_hi)
        if not comp.feasible():
            return [Finding(f"{system.labels[block[0]]} and {len(block) - 1} linked cells: the published "
                            "relations are inconsistent", 0, 0, 0, 0)]
        seen = Seen(comp.width)
        lo = certify_min(comp, seen, idx, None if focus is None else focus[idx])
        small = lo < k - EPS  # provably k or more: not a small count, nothing to protect
        self.exempt[block[idx[~small]]] = True
        hi = np.full(len(idx), np.nan)
        if small.any():
            hi[small] = certify_max(comp, seen, np.flatnonzero(small), need_hi[small])
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
            self._base_comps[b] = Component(cols[rows, :].tocsr(), rhs[rows], np.full(len(blocks[b]), INF))
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
