"""The disclosure audit and complement choice on tables small enough to check by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard.contract.schema import CUBE_COUNCIL
from dashboard.publish import attacks, cube_system, disclosure, linear_system
from dashboard.publish.complements import primary, protect

K = 11


def two_way(values: np.ndarray, hidden: np.ndarray) -> linear_system.LinearSystem:
    """Areas x hours with each area's total (from the rows) and each hour's city cell
    (published, as a cube cell of its own) public."""
    rows_n, cols_n = values.shape
    b = linear_system.SystemBuilder()
    cells = b.add_cells([f"cov area{r} h{c}" for r in range(rows_n) for c in range(cols_n)],
                        np.where(hidden, np.nan, values).ravel(), hidden.ravel())
    city = b.add_cells([f"cov city h{c}" for c in range(cols_n)], values.sum(0), np.zeros(cols_n, bool))
    b.add_relations(np.repeat(np.arange(rows_n), cols_n), cells, 1.0, values.sum(1), constant=True)
    b.add_relations(np.r_[np.tile(np.arange(cols_n), rows_n), np.arange(cols_n)], np.r_[cells, city],
                    np.r_[np.ones(values.size), -np.ones(cols_n)], np.zeros(cols_n), constant=False)
    return b.build()


#: The issue's first attack in miniature: in hour 0 the city cell is 88, the published
#: districts add up to 58 (0 + 20 + 38), so the three hidden districts hold 30. Hour 1
#: gives every row room (its small cells are hidden too), and each row and column has a
#: published 0.
ATTACK_VALUES = np.array([
    [0, 25, 40],
    [20, 30, 0],
    [38, 0, 30],
    [10, 9, 0],
    [10, 8, 0],
    [10, 7, 0],
], dtype=float)
ATTACK_HIDDEN = np.zeros_like(ATTACK_VALUES, bool)
ATTACK_HIDDEN[3:, :2] = True


def test_the_old_rule_lets_an_attacker_pin_three_hidden_cells():
    system = two_way(ATTACK_VALUES, ATTACK_HIDDEN)
    # Relations alone: the 30 can be spread many ways, nothing is narrowed.
    assert disclosure.audit(system, K) == []
    assert attacks.margin_differencing(system, K) == []
    # The older rule hid, as a complement, the smallest published cell of a group (here
    # 0): so every hidden cell is at most 10, and three of them make 30.
    findings = disclosure.audit(system, K, attacks.rule_bounds(system, K))
    pinned = {f.label for f in findings if f.lo == f.hi}
    assert {"cov area3 h0", "cov area4 h0", "cov area5 h0"} <= pinned
    assert all(f.lo == 10 for f in findings if f.label.endswith("h0"))


def test_a_lone_hidden_cell_is_recovered_by_margin_differencing():
    hidden = np.zeros_like(ATTACK_VALUES, bool)
    hidden[3, 0] = hidden[3, 1] = hidden[4, 1] = True  # hour 0 has one hidden cell
    system = two_way(ATTACK_VALUES, hidden)
    found = attacks.margin_differencing(system, K)
    assert any("recovered exactly" in p and "cov area3 h0 = 10" in p for p in found)
    labels = {f.label for f in disclosure.audit(system, K)}
    assert "cov area3 h0" in labels


def test_protect_hides_every_small_cell_and_leaves_none_narrowed(rng):
    means = np.outer(rng.uniform(0.5, 3, 6), np.r_[np.full(4, 2.0), np.full(8, 15.0)])
    values = rng.poisson(means).astype(float)
    system = two_way(values, np.zeros_like(values, bool))
    hidden = protect(system, K, b"k1")
    area = hidden[: values.size]
    assert area[primary(values.ravel(), K)].all()
    published = linear_system.LinearSystem(system.labels, np.where(hidden, np.nan, system.value), hidden,
                                           hidden.copy(), system.matrix, system.rhs, system.constant)
    assert disclosure.audit(published, K) == []
    # The same counts with another key: the complements may differ, the guarantee may not.
    other = protect(system, K, b"k2")
    again = linear_system.LinearSystem(system.labels, np.where(other, np.nan, system.value), other,
                                       other.copy(), system.matrix, system.rhs, system.constant)
    assert disclosure.audit(again, K) == []
    assert (protect(system, K, b"k1") == hidden).all()


def test_complements_are_not_chosen_by_size():
    """The key orders the candidates, not their counts: over many tables, complements are
    often larger than a cell left published in the same hour (the old rule never did that)."""
    rng = np.random.default_rng(3)
    larger = 0
    for seed in range(8):
        means = np.outer(rng.uniform(0.5, 3, 5), np.r_[np.full(3, 2.0), np.full(6, 20.0)])
        values = rng.poisson(means).astype(float)
        system = two_way(values, np.zeros_like(values, bool))
        hidden = protect(system, K, f"key{seed}".encode())[: values.size].reshape(values.shape)
        complements = hidden & ~primary(values, K)
        for r, c in zip(*np.nonzero(complements), strict=True):
            shown = values[~hidden[:, c], c]
            larger += bool(len(shown) and values[r, c] > shown.min())
    assert larger > 0


def test_what_the_rows_already_publish_is_not_held_against_the_cubes():
    """A district with one precinct: its precinct cell is the district's total from the
    rows, small or not. Hiding it protects nothing and the audit does not ask it to."""
    b = linear_system.SystemBuilder()
    cell = b.add_cells(["prec d9 p91"], np.array([np.nan]), np.array([True]))
    b.add_relations(np.array([0]), cell, 1.0, np.array([4.0]), constant=True)
    assert disclosure.audit(b.build(), K) == []


def test_cells_that_do_not_add_up_are_reported():
    b = linear_system.SystemBuilder()
    cells = b.add_cells(["x a", "x b"], np.array([5.0, 20.0]), np.zeros(2, bool))
    b.add_relations(np.zeros(2, int), cells, 1.0, np.array([30.0]), constant=True)
    findings = disclosure.audit(b.build(), K)
    assert findings and "off by 5" in findings[0].label


def council(cells: list[tuple]) -> pd.DataFrame:
    """(council district, measure, value, n, hidden) for 2020."""
    frame = pd.DataFrame(cells, columns=["council_district", "measure", "value", "n", "suppressed"])
    frame.insert(0, "year", 2020)
    frame.insert(0, "jurisdiction", "denver")
    frame["n"] = frame["n"].astype("Int64").mask(frame["suppressed"])
    return frame[[*CUBE_COUNCIL.dims, "n", "suppressed"]]


def test_cross_measure_differencing_finds_a_group_total_published_by_another_measure():
    """The issue's second attack: council district 1's calls are 80 by program (all
    published, though its own total is hidden), so the two hidden reason cells add up to
    80 - 78 = 2."""
    frame = council([
        ("1", "calls", "all", 80, True),
        ("1", "program", "PATROL", 50, False),
        ("1", "program", "STAR", 30, False),
        ("1", "reason", "not_eligible", 78, False),
        ("1", "reason", "out_of_hours", 1, True),
        ("1", "reason", "safety_screen_or_unknown", 1, True),
        ("2", "calls", "all", 80, True),
        ("2", "program", "PATROL", 40, False),
        ("2", "program", "STAR", 40, False),
        ("2", "reason", "not_eligible", 60, False),
        ("2", "reason", "out_of_hours", 11, True),
        ("2", "reason", "safety_screen_or_unknown", 9, True),
    ])
    city = frame.assign(n=frame["n"].fillna(0)).groupby(
        ["jurisdiction", "year", "measure", "value"], as_index=False)["n"].sum()
    city.loc[city["value"] == "all", "n"] = 160
    city.loc[city["value"] == "out_of_hours", "n"] = 12
    city.loc[city["value"] == "safety_screen_or_unknown", "n"] = 10
    alt = pd.DataFrame({"jurisdiction": [], "response_type": []}, dtype="string")  # no band cells here
    margins = {"council": city, "eligible": city.iloc[:0], "precinct": city.iloc[:0], "alt": alt}
    found = attacks.cross_measure_differencing(frame, margins, K)
    assert any("add up to 2" in p and "2020 council district 1 reason" in p for p in found), found
    system, _ = cube_system.release_system({CUBE_COUNCIL.name: frame}, margins)
    narrowed = {f.label for f in disclosure.audit(system, K)}
    assert any("council_district=1" in label and "out_of_hours" in label for label in narrowed)


@pytest.mark.parametrize("k", [3, 11])
def test_zero_cells_may_be_hidden_and_can_take_the_mass(k):
    """A primary of 5 beside a hidden 0 and a hidden 40 in the same row: the audit lets
    the 5 move to 0 only if the relations let the others absorb it."""
    values = np.array([[5, 0, 40], [30, 20, 50]], dtype=float)
    hidden = np.array([[True, True, True], [True, True, True]])
    system = two_way(values, hidden)
    assert disclosure.audit(system, k) == []
