"""The audited cubes as one linear system: their cells and every relation an attacker knows.

``release_system`` turns the cube frames (true counts at build time, published counts
when read back from a release) and the public totals (``dashboard.publish.cube_counts``)
into a ``dashboard.publish.linear_system.LinearSystem``: precincts add up to the rows'
district totals, an area's 168 hour cells to its eligible calls, a council district's
measures to one total; with ``deep``, the council cells tied to the rows by police
district too (``dashboard.publish.council_links``).

Kept apart because the build (``dashboard.publish.cubes``, which protects this system)
and ``validate`` (which audits it from the files) must model exactly the same relations:
one function both call.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from dashboard.contract.schema import (
    AREA_CITY,
    AREA_COUNCIL,
    AREA_DISTRICT,
    CITYWIDE,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_PRECINCT,
    REASON_NOT_ELIGIBLE,
    Table,
)
from dashboard.publish import council_links
from dashboard.publish.linear_system import LinearSystem, SystemBuilder, group_ids

#: The audited cubes, in the order their cells enter the linear system.
AUDITED: tuple[Table, ...] = (CUBE_PRECINCT, CUBE_COVERAGE, CUBE_COUNCIL)


@dataclass
class CubeCells:
    """Where each audited cube's rows sit among the system's columns."""

    ids: dict[str, np.ndarray]


def _labels(table: Table, frame: pd.DataFrame) -> list[str]:
    dims = [d for d in table.dims if d != "jurisdiction"]
    text = frame[dims].astype(str)
    joined = text.iloc[:, 0].radd(f"{dims[0]}=")
    for d in dims[1:]:
        joined = joined + f" {d}=" + text[d]
    return [f"{table.name} {j}" for j in joined] if len(frame) else []


def _matched(frame: pd.DataFrame, margins: pd.DataFrame, keys: list[str]
             ) -> tuple[np.ndarray, np.ndarray, int]:
    """Group ids of ``frame`` by ``keys`` and the right-hand side (from ``margins``) per group.

    Groups present in the margins but absent from the cube (no cell) and the reverse both
    get a relation, so a mismatch shows up as an inconsistent relation, never silently.
    """
    left = frame[keys].drop_duplicates()
    right = margins[keys].drop_duplicates()
    groups = pd.concat([left, right]).drop_duplicates().sort_values(keys).reset_index(drop=True)
    groups["_g"] = np.arange(len(groups))
    member_group = frame[keys].merge(groups, on=keys, how="left")["_g"].to_numpy(np.int64)
    rhs = groups.merge(margins.groupby(keys, as_index=False, observed=True)["n"].sum(), on=keys,
                       how="left")["n"].fillna(0).to_numpy(float)
    return member_group, rhs, len(groups)


def release_system(cubes: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame],
                   deep: dict[str, pd.DataFrame] | None = None) -> tuple[LinearSystem, CubeCells]:
    """Every cell of the audited cubes and every linear relation an attacker knows between them.

    ``cubes`` frames have their dims, ``n`` (true counts at build time; published counts,
    NA where hidden, when read back) and ``suppressed``. Relations:

    * precinct: a district's precincts add up to the rows' calls of that district, year,
      program and eligibility;
    * coverage: an area's 168 cells add up to its eligible calls (the rows' for the city
      and police districts; the council cube's eligible cells, summed over programs, for a
      council district), and for each weekday-hour the areas of one type add up to the
      city's cell;
    * council: every measure of a (year, council district, program) group adds up to the
      same unpublished total, and each (year, program, measure, value) adds up over council
      districts to the rows' city total.

    With ``deep`` (``district_margins``), the council cells are also the marginals of a
    hidden joint table tied to the rows by police district (``council_links``): the
    attacker of the outside review, who also uses the identities between measures and the
    police districts a council district can draw calls from. That system is several times
    larger; ``validate`` solves it too (``--shallow`` skips it).
    """
    b = SystemBuilder()
    ids: dict[str, np.ndarray] = {}
    for table in AUDITED:
        frame = cubes.get(table.name)
        if frame is None or frame.empty:
            ids[table.name] = np.zeros(0, np.int64)
            continue
        values = pd.to_numeric(frame["n"], errors="coerce").astype(float).to_numpy()
        ids[table.name] = b.add_cells(_labels(table, frame), values, frame["suppressed"].to_numpy(bool))

    _precinct_relations(b, cubes, margins, ids)
    council = cubes.get(CUBE_COUNCIL.name)
    _council_relations(b, cubes, margins, ids)
    if deep is not None and council is not None and not council.empty:
        # Implied by the links, but kept: the relation-by-relation checks (no relation with
        # exactly one hidden cell) need them written out.
        council_links.add_council_links(b, cubes, ids, deep, council_links.all_pairs(deep, council))
    _coverage_relations(b, cubes, margins, ids)
    return b.build(), CubeCells(ids)


def _precinct_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                        margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_PRECINCT.name)
    if frame is None or frame.empty:
        return
    keys = ["jurisdiction", "year", "district", "response_type", "star_eligible"]
    group, rhs, _ = _matched(frame, margins["precinct"], keys)
    b.add_relations(group, ids[CUBE_PRECINCT.name], 1.0, rhs, constant=True)


def _council_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                       margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_COUNCIL.name)
    if frame is None or frame.empty:
        return
    council = frame.assign(_id=ids[CUBE_COUNCIL.name])
    council_links.measure_totals(b, council, margins["alt"])
    # Over council districts, each category adds up to the rows' city total.
    city_keys = ["jurisdiction", "year", "measure", "value"]
    council_links.relate(b, [(council, 1.0)], city_keys, margins["council"])


def _coverage_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                        margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    frame = cubes.get(CUBE_COVERAGE.name)
    if frame is None or frame.empty:
        return
    cells = ids[CUBE_COVERAGE.name]
    eligible = margins["eligible"]
    area_keys = ["jurisdiction", "year", "area_type", "area"]
    # City and police-district areas: their year adds up to the rows' eligible calls.
    city_margin = eligible.groupby(["jurisdiction", "year"], as_index=False)["n"].sum().assign(
        area_type=AREA_CITY, area=CITYWIDE)
    district_margin = eligible.assign(area_type=AREA_DISTRICT).rename(columns={"district": "area"})
    has_districts = (frame["area_type"] == AREA_DISTRICT).any()
    margin = pd.concat([city_margin, district_margin] if has_districts else [city_margin])
    known = frame["area_type"].isin([AREA_CITY, AREA_DISTRICT]).to_numpy()
    group, rhs, _ = _matched(frame[known], margin[area_keys + ["n"]], area_keys)
    b.add_relations(group, cells[known], 1.0, rhs, constant=True)
    # Council areas: their year adds up to the council cube's eligible cells (every reason
    # but ``not_eligible``).
    council = frame["area_type"] == AREA_COUNCIL
    cc = cubes.get(CUBE_COUNCIL.name)
    if council.any() and cc is not None and not cc.empty:
        sub = frame[council.to_numpy()]
        area_rel = group_ids(sub, area_keys)
        areas = sub[area_keys].drop_duplicates().sort_values(area_keys).reset_index(drop=True)
        areas["_rel"] = np.arange(len(areas))
        is_el = ((cc["measure"] == "reason") & (cc["value"] != REASON_NOT_ELIGIBLE)).to_numpy()
        el = cc[is_el].assign(_id=ids[CUBE_COUNCIL.name][is_el])
        link = el.merge(areas, left_on=["jurisdiction", "year", "council_district"],
                        right_on=["jurisdiction", "year", "area"])
        b.add_relations(np.concatenate([area_rel, link["_rel"].to_numpy(np.int64)]),
                        np.concatenate([cells[council.to_numpy()], link["_id"].to_numpy(np.int64)]),
                        np.concatenate([np.ones(int(council.sum())), -np.ones(len(link))]),
                        np.zeros(len(areas)), constant=False)
    # Each weekday-hour: the areas of a type add up to the city's cell.
    city = (frame["area_type"] == AREA_CITY).to_numpy()
    city_cells = frame[city].assign(_id=cells[city])
    for area_type in (AREA_DISTRICT, AREA_COUNCIL):
        part = (frame["area_type"] == area_type).to_numpy()
        if not part.any():
            continue
        sub = frame[part]
        cell_keys = ["jurisdiction", "year", "weekday", "hour"]
        rel = group_ids(sub, cell_keys)
        slots = sub[cell_keys].drop_duplicates().sort_values(cell_keys).reset_index(drop=True)
        slots["_rel"] = np.arange(len(slots))
        link = slots.merge(city_cells[[*cell_keys, "_id"]], on=cell_keys)
        b.add_relations(np.concatenate([rel, link["_rel"].to_numpy(np.int64)]),
                        np.concatenate([cells[part], link["_id"].to_numpy(np.int64)]),
                        np.concatenate([np.ones(int(part.sum())), -np.ones(len(link))]),
                        np.zeros(len(slots)), constant=False)
