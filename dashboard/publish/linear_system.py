"""The attacker's linear system over the cube cells: ``LinearSystem`` and ``SystemBuilder``.

Cells are columns and published relations are rows (``matrix @ x = rhs``): a cube's
cells add up to a total the rows publish, a district's cells to the city's cell, every
measure of a council group to the same calls. ``dashboard.publish.cube_system`` and
``dashboard.publish.council_links`` write the relations; ``dashboard.publish.disclosure``
audits the system, ``dashboard.publish.complements`` chooses the cells to hide and
``dashboard.publish.attacks`` reads it relation by relation.

Kept apart from the solving and the choosing because every one of them reads this model
and none of it needs a solver: it is the one description of what an attacker knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import scipy.sparse as sp

#: Numerical slack when comparing LP optima with integers.
EPS = 1e-6
INF = float("inf")


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


def checkable_cells(system: LinearSystem) -> np.ndarray:
    """Cells that are checked when hidden: every cell except auxiliary totals."""
    aux = system.hidden & ~system.checked & np.isnan(system.value)
    return ~aux


# -- relations from frames --------------------------------------------------------------


def group_ids(frame: pd.DataFrame, keys: list[str]) -> np.ndarray:
    """Dense 0..G-1 ids of ``frame``'s groups by ``keys`` (NaN-safe)."""
    if not keys:
        return np.zeros(len(frame), np.int64)
    return frame.groupby(keys, dropna=False, sort=True, observed=True).ngroup().to_numpy(np.int64)
