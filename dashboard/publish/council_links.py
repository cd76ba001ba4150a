"""The deep audit's model of the council cube: a hidden joint table tied to the rows.

The council cube publishes, for each (year, council district, program), one count per
category of each measure: marginals of a table no file publishes, the district's calls
split by eligibility x outcome x backup x repeat contact x reason at once. The rows
publish that joint table by police district, and every police district's calls go to
some council districts. An attacker who has read this code writes all of it as linear
relations (an outside review did, and narrowed 284 hidden Denver cells that the
per-measure model of ``cubes.release_system`` lets through):

* latent counts X[year, program, police district, council district, combo] >= 0, for
  every combination of the joint attributes the rows show in that police district;
* the rows: for each (year, program, police district, combo), the X add up over council
  districts to the rows' count;
* the cube: each published or hidden council cell of a joint measure is the sum of the X
  whose combo has that value (so "eligible and not answered by the team" = "has a
  reason" ties two measures together, as it does in the data);
* month and response band, which the rows hold by police district but not jointly with
  the rest: flows F[year, program, police district, council district, value] adding up
  to the rows (or ``rollup_minutes``) per police district, to the council cells per
  council district, and per (police, council) pair to the same calls as the X.

Not modelled (so the deep audit is a lower bound on the attacker, stated in the
Methodology): which pairs of police and council districts overlap on the map (every
pair is allowed, ``all_pairs``); hour flows tying the coverage cube's police and
council hour cells together; precincts inside council districts; and the schedule
(off-duty hour cells add up to the rows' "out of hours" calls). With hour flows the
Denver system has ~260,000 columns and the audit did not finish in 15 minutes.

``cubes.release_system(..., deep=...)`` adds these relations; ``validate --deep`` solves
them. The release build does not yet protect against them (issue 12's open part).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dashboard.publish import disclosure

#: Council measures that are columns of the rows, modelled jointly.
JOINT_MEASURES: tuple[str, ...] = (
    "star_eligible", "outcome", "police_backup", "repeat_contact_90d", "unanswered_reason",
)
#: Council measures the rows hold by police district but not jointly with the rest.
SEPARATE_MEASURES: tuple[str, ...] = ("month", "response_band")

J = "jurisdiction"


def relate(b: disclosure.SystemBuilder, parts: Sequence[tuple[pd.DataFrame, float]], keys: list[str],
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


def _unknowns(b: disclosure.SystemBuilder, frame: pd.DataFrame, prefix: str, keys: list[str]) -> pd.DataFrame:
    text = frame[keys].astype(str).agg(" ".join, axis=1) if len(frame) else pd.Series([], dtype=str)
    return frame.assign(_id=b.add_unknowns([f"{prefix} {t}" for t in text]))


def add_council_links(b: disclosure.SystemBuilder, cubes: dict[str, pd.DataFrame], ids: dict[str, np.ndarray],
                      margins: dict[str, pd.DataFrame], pairs: dict[str, pd.DataFrame]) -> None:
    """The relations of the module doc, for a release with a council cube.

    ``cubes`` holds the frames as ``release_system`` built them; ``ids`` their cells'
    columns; ``margins`` the rows' totals by police district (``cubes.district_margins``);
    ``pairs`` the (district, council_district) pairs that may share calls.
    """
    council = cubes["cube_council"].assign(_id=ids["cube_council"])
    groups = council[[J, "year", "council_district", "response_type"]].drop_duplicates()
    dc = pairs["district_council"]
    joint = margins["joint"]
    x = joint.drop(columns="n").merge(dc, on="district").merge(groups, on=[J, "year", "council_district",
                                                                              "response_type"])
    x = _unknowns(b, x, "calls",
                  [J, "year", "response_type", "district", "council_district", *JOINT_MEASURES])
    relate(b, [(x, 1.0)], [J, "year", "response_type", "district", *JOINT_MEASURES], joint)
    cell_keys = [J, "year", "council_district", "response_type", "value"]
    for measure in JOINT_MEASURES:
        cells = council[council["measure"] == measure]
        relate(b, [(cells, 1.0), (x.assign(value=x[measure]), -1.0)], cell_keys)
    for measure in SEPARATE_MEASURES:
        by_district = margins[f"{measure}_by_district"]
        f = by_district.drop(columns="n").merge(dc, on="district").merge(
            groups, on=[J, "year", "council_district", "response_type"])
        f = _unknowns(b, f, measure, [J, "year", "response_type", "district", "council_district", "value"])
        relate(b, [(f, 1.0)], [J, "year", "response_type", "district", "value"], by_district)
        relate(b, [(council[council["measure"] == measure], 1.0), (f, -1.0)], cell_keys)
        relate(b, [(f, 1.0), (x, -1.0)], [J, "year", "response_type", "district", "council_district"])


def all_pairs(deep: dict[str, pd.DataFrame], council: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Every (police district, council district) pair: a police district may send calls to
    any council district. An attacker who overlays the two public maps rules pairs out and
    so learns at least as much: the deep audit is a lower bound on what the map adds."""
    districts = deep["joint"]["district"].drop_duplicates()
    councils = council["council_district"].drop_duplicates()
    dc = pd.DataFrame({"district": districts}).merge(
        pd.DataFrame({"council_district": councils}), how="cross")
    return {"district_council": dc.astype("string")}
