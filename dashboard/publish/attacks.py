"""The attacks ``validate`` reports by name, one relation at a time, and an old rule's bounds.

Margin differencing (a relation with one hidden cell, or hidden cells adding up to fewer
than k-1), cross-measure differencing (a council group's total known from one measure
narrows another's hidden cells) and the upper bounds the older, value-ordered suppression
rule gives away (``rule_bounds``, added to the LP audit of releases made by it).

Kept apart from the LP audit (``dashboard.publish.disclosure``): these are quick,
readable checks that name what an attacker does, which the audit proves in general; a
finding here says in plain words which published numbers give a cell away.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.publish import council_links
from dashboard.publish.linear_system import EPS, LinearSystem, checkable_cells


def _aux(system: LinearSystem) -> np.ndarray:
    return ~checkable_cells(system)


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


def cross_measure_differencing(council: pd.DataFrame | None, margins: dict[str, pd.DataFrame],
                               k: int, limit: int = 3) -> list[str]:
    """Council cells narrowed because every measure of a group splits the same calls.

    A (year, council district)'s total is known as soon as one of its measures that
    split all its calls has no hidden cell; every other measure's hidden cells then add up to a
    known number. One hidden cell is recovered exactly; several adding up to fewer than
    k-1 (when the rows' city totals allow more) are each provably small.
    """
    if council is None or council.empty:
        return []
    group = ["jurisdiction", "year", "council_district"]
    council = council[~council["measure"].isin(council_links.ALT_ONLY)]
    frame = council.assign(hidden=council["suppressed"].astype(bool),
                           shown=pd.to_numeric(council["n"], errors="coerce").fillna(0))
    city = margins["council"].rename(columns={"n": "city"})
    frame = frame.merge(city, on=["jurisdiction", "year", "measure", "value"], how="left")
    frame["cap"] = frame["city"].fillna(0).where(frame["hidden"], 0)
    per = frame.groupby([*group, "measure"], observed=True).agg(
        published=("shown", "sum"), hidden=("hidden", "sum"), cap=("cap", "max")).reset_index()
    totals = per[per["hidden"] == 0].groupby(group, observed=True)["published"].first().rename("total")
    per = per.merge(totals.reset_index(), on=group)
    per = per[per["hidden"] > 0]
    per["rest"] = per["total"] - per["published"]
    exact = per[per["hidden"] == 1]
    small = per[(per["hidden"] > 1) & (per["rest"] < np.minimum(k - 1, per["cap"]))]
    out = []

    def name(r: pd.Series) -> str:
        return f"{r['year']} council district {r['council_district']} {r['measure']}"

    if len(exact):
        shown = "; ".join(f"{name(r)} = {r['rest']:g}" for _, r in exact.head(limit).iterrows())
        out.append(f"{len(exact):,} hidden cells recovered exactly from a group total another measure "
                   f"publishes: {shown}")
    if len(small):
        shown = "; ".join(f"{name(r)}: {int(r['hidden'])} hidden cells add up to {r['rest']:g}"
                          for _, r in small.head(limit).iterrows())
        out.append(f"{len(small):,} measures whose hidden cells add up to fewer than k-1={k - 1}: {shown}")
    return out
