"""The council cube's relations: the measures of a district, and the deep audit's model.

The council cube publishes, for each (year, council district), its calls and one count per
category of each measure: marginals of a table no file publishes, the district's calls
split by program x reason x outcome x repeat contact at once. ``measure_totals`` writes
the relations every reader sees: each measure of a district adds up to its ``calls``
cell, and ``response_band`` to the alternative team's ``program`` cells.

The rows publish that joint table by police district, and every police district's calls
go to some council districts. An attacker who has read this code writes all of it as
linear relations (an outside review did, and narrowed hidden Denver cells that the
per-measure model lets through); ``add_council_links`` writes them for ``validate``
and for the release build, which protects against them:

* latent counts X[year, police district, council district, combo] >= 0, for every
  combination of the joint attributes the rows show in that police district;
* the rows: for each (year, police district, combo), the X add up over council districts
  to the rows' count;
* the cube: each council cell of a joint measure is the sum of the X whose combo has that
  value (so "answered by the alternative team" ties ``program`` and ``reason`` together);
* month and response band, which the rows (and ``rollup_minutes``) hold by police district
  but not jointly with the rest: flows F[year, police district, council district, value]
  adding up to the rows per police district, to the council cells per council district,
  and per (police, council) pair to the same calls as the X (the alternative team's, for
  response bands).

Not modelled (so the deep audit is a lower bound on the attacker, stated in the
Methodology): which pairs of police and council districts overlap on the map (every
pair is allowed, ``all_pairs``; the build and ``validate`` must use the same model: the
rule is about cells that *could* be small, so an attacker who knows more can make a cell
provably large that a weaker one can only narrow); hour flows tying the coverage cube's police and
council hour cells together; precincts inside council districts; and the schedule
(off-duty hour cells add up to the rows' "out of hours" calls).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.publish.linear_system import SystemBuilder

#: Council measures that are columns of the rows, modelled jointly.
JOINT_MEASURES: tuple[str, ...] = ("calls", "program", "reason", "outcome", "repeat_contact_90d")
#: Council measures the rows hold by police district but not jointly with the rest.
SEPARATE_MEASURES: tuple[str, ...] = ("month", "response_band")
#: Council measures that split only the alternative team's calls (``cubes.ALT_ONLY_MEASURES``).
ALT_ONLY: tuple[str, ...] = ("response_band",)

J = "jurisdiction"


def relate(b: SystemBuilder, parts: Sequence[tuple[pd.DataFrame, float]], keys: list[str],
           totals: pd.DataFrame | None = None) -> None:
    """One relation per distinct ``keys`` value: sum of coef x cell ``_id`` over every part's
    rows with that value = the ``n`` of ``totals`` there (0 without totals).

    A key value that appears in ``totals`` but in no part gets a relation with no member,
    which the audit reports as inconsistent unless its total is 0: a mismatch between a
    cube and the rows never passes silently.
    """
    frames = [p[keys] for p, _ in parts if len(p)]
    if totals is not None and len(totals):
        frames.append(totals[keys])
    if not frames:
        return
    index = pd.concat(frames, ignore_index=True).drop_duplicates().reset_index(drop=True)
    index["_rel"] = np.arange(len(index))
    groups, cols, coefs = [], [], []
    for frame, coef in parts:
        if not len(frame):
            continue
        rel = frame[keys].merge(index, on=keys, how="left")["_rel"].to_numpy(np.int64)
        groups.append(rel)
        cols.append(frame["_id"].to_numpy(np.int64))
        coefs.append(np.full(len(frame), coef))
    rhs = np.zeros(len(index))
    if totals is not None and len(totals):
        summed = totals.groupby(keys, as_index=False, observed=True)["n"].sum()
        at = summed[keys].merge(index, on=keys, how="left")["_rel"].to_numpy(np.int64)
        rhs[at] = summed["n"].to_numpy(float)
    b.add_relations(np.concatenate(groups) if groups else np.zeros(0, np.int64),
                    np.concatenate(cols) if cols else np.zeros(0, np.int64),
                    np.concatenate(coefs) if coefs else np.zeros(0), rhs, constant=totals is not None)


def _unknowns(b: SystemBuilder, frame: pd.DataFrame, prefix: str, keys: list[str]) -> pd.DataFrame:
    text = frame[keys].astype(str).agg(" ".join, axis=1) if len(frame) else pd.Series([], dtype=str)
    return frame.assign(_id=b.add_unknowns([f"{prefix} {t}" for t in text]))


def _alt_cells(frame: pd.DataFrame, alt: pd.DataFrame, value: str) -> pd.DataFrame:
    """Rows of ``frame`` whose program (column ``value``) is an alternative team's."""
    alt = alt.rename(columns={"response_type": value})
    return frame.merge(alt, on=[J, value])


def measure_totals(b: SystemBuilder, council: pd.DataFrame, alt: pd.DataFrame) -> None:
    """Every measure of a (year, council district) adds up to its ``calls`` cell;
    ``response_band`` to its ``program`` cells of the alternative team."""
    keys = [J, "year", "council_district"]
    total = council[council["measure"] == "calls"]
    whole = council[~council["measure"].isin((*ALT_ONLY, "calls"))]
    per_measure = total.drop(columns="measure").merge(whole[[*keys, "measure"]].drop_duplicates(), on=keys)
    relate(b, [(whole, 1.0), (per_measure, -1.0)], [*keys, "measure"])
    bands = council[council["measure"].isin(ALT_ONLY)]
    programs = council[council["measure"] == "program"]
    relate(b, [(bands, 1.0), (_alt_cells(programs, alt, "value"), -1.0)], keys)


def add_council_links(b: SystemBuilder, cubes: dict[str, pd.DataFrame], ids: dict[str, np.ndarray],
                      margins: dict[str, pd.DataFrame], pairs: dict[str, pd.DataFrame]) -> None:
    """The relations of the module doc, for a release with a council cube.

    ``cubes`` holds the frames as ``release_system`` built them; ``ids`` their cells'
    columns; ``margins`` the rows' totals by police district (``cube_counts.district_margins``);
    ``pairs`` the (district, council_district) pairs that may share calls.
    """
    council = cubes["cube_council"].assign(_id=ids["cube_council"])
    keys = [J, "year", "council_district"]
    districts = council[keys].drop_duplicates()
    dc = pairs["district_council"]
    on = [c for c in (J, "year", "district") if c in dc.columns]
    joint = margins["joint"]
    x = joint.drop(columns="n").merge(dc, on=on).merge(districts, on=[J, "year", "council_district"])
    x = _unknowns(b, x, "calls", [J, "year", "district", "council_district", *JOINT_MEASURES])
    relate(b, [(x, 1.0)], [J, "year", "district", *JOINT_MEASURES], joint)
    cell_keys = [*keys, "value"]
    for measure in JOINT_MEASURES:
        cells = council[council["measure"] == measure]
        relate(b, [(cells, 1.0), (x.assign(value=x[measure]), -1.0)], cell_keys)
    pair_keys = [J, "year", "district", "council_district"]
    for measure in SEPARATE_MEASURES:
        by_district = margins[f"{measure}_by_district"]
        f = by_district.drop(columns="n").merge(dc, on=on).merge(districts, on=keys)
        f = _unknowns(b, f, measure, [*pair_keys, "value"])
        relate(b, [(f, 1.0)], [J, "year", "district", "value"], by_district)
        relate(b, [(council[council["measure"] == measure], 1.0), (f, -1.0)], cell_keys)
        same_calls = _alt_cells(x, margins["alt"], "program") if measure in ALT_ONLY else x
        relate(b, [(f, 1.0), (same_calls, -1.0)], pair_keys)


def all_pairs(deep: dict[str, pd.DataFrame], council: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every (police district, council district) pair: a police district may send calls to
    any council district. An attacker who overlays the two public maps rules pairs out and
    so learns at least as much: the deep audit is a lower bound on what the map adds."""
    districts = deep["joint"]["district"].drop_duplicates()
    councils = council["council_district"].drop_duplicates()
    dc = pd.DataFrame({"district": districts}).merge(
        pd.DataFrame({"council_district": councils}), how="cross")
    return {"district_council": dc.astype("string")}
