"""Complementary suppression: which cells to hide besides the small ones (``protect``).

Primary cells (1..k-1 calls) are hidden whatever else happens; complements are added in
a keyed pseudo-random order, never by comparing counts, until the audit of
``dashboard.publish.disclosure`` finds nothing (the rule and why it leaks nothing are
that module's docstring). ``dashboard.publish.cubes`` runs ``protect`` at build time.

Kept apart from the audit because only the build chooses complements: ``validate``
re-proves a release with the audit alone, without the code that chose what to hide.
"""

from __future__ import annotations

import hashlib
import heapq
from collections import Counter
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

from dashboard.publish.disclosure import Auditor
from dashboard.publish.linear_system import LinearSystem, checkable_cells


class ProtectionError(RuntimeError):
    """Complementary suppression could not protect every hidden cell."""


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
    checkable = checkable_cells(system)
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
