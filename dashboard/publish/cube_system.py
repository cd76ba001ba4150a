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
    CUBE_FOLLOWUP,
    CUBE_NIGHT,
    CUBE_OUTCOME_PERIOD,
    CUBE_PRECINCT,
    NIGHT_HOURS,
    NIGHT_REASONS,
    OUTCOME_GROUPS,
    OUTCOME_RECORDED,
    PERIOD_DAY,
    PERIOD_NIGHT,
    REASON_ANSWERED,
    REASON_NOT_ELIGIBLE,
    REASON_OTHER,
    REASON_SCREENED,
    Table,
)
from dashboard.publish import council_links
from dashboard.publish.linear_system import LinearSystem, SystemBuilder, group_ids

#: The audited cubes, in the order their cells enter the linear system.
AUDITED: tuple[Table, ...] = (CUBE_PRECINCT, CUBE_COVERAGE, CUBE_COUNCIL, CUBE_NIGHT, CUBE_OUTCOME_PERIOD,
                              CUBE_FOLLOWUP)

#: The council cube's reasons as the night cube pools them.
_NIGHT_REASON_OF_COUNCIL = {r: r for r in NIGHT_REASONS} | {
    "outside_service_area": REASON_OTHER, REASON_SCREENED: REASON_OTHER}


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
      districts to the rows' city total;
    * night: an area's night (day) cells add up to its coverage cells of the night (day)
      hours; its night and day cells of a reason to the rows' eligible calls of that reason
      (city and police districts) or the council cube's reason cells (council districts);
      and for each period and reason the areas of one type add up to the city's cell;
    * outcome by period: a (year, program, eligibility, outcome group)'s night and day cells
      add up to the rows' count; a period's groups with an outcome to its ``recorded``
      cell; a year's eligible cells of a period, over programs and groups, to the city's
      coverage cells of that period's hours; and, where the rows show that the alternative
      team's programs are exactly the eligible calls answered, its eligible cells of a
      period to the night cube's city ``answered`` cell;
    * follow-up: a (year, program)'s values add up to the rows' calls of its weeks.

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
    _night_relations(b, cubes, margins, ids)
    _outcome_period_relations(b, cubes, margins, ids)
    _followup_relations(b, cubes, margins, ids)
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


def _tie(b: SystemBuilder, left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> None:
    """One relation per group of ``left`` by ``keys``: its cells minus the ``right`` cells
    with the same keys add up to 0 (both frames carry their system column as ``_id``)."""
    if left.empty:
        return
    groups = left[keys].drop_duplicates().sort_values(keys).reset_index(drop=True)
    groups["_rel"] = np.arange(len(groups))
    rel = left[keys].merge(groups, on=keys, how="left")["_rel"].to_numpy(np.int64)
    link = right[[*keys, "_id"]].merge(groups, on=keys)
    b.add_relations(np.concatenate([rel, link["_rel"].to_numpy(np.int64)]),
                    np.concatenate([left["_id"].to_numpy(np.int64), link["_id"].to_numpy(np.int64)]),
                    np.concatenate([np.ones(len(left)), -np.ones(len(link))]),
                    np.zeros(len(groups)), constant=False)


def _night_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                     margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    night = _keyed_cells(cubes, ids, CUBE_NIGHT)
    if night is None:
        return
    area_keys = ["jurisdiction", "year", "area_type", "area"]
    # Night (day) cells add up to the area's coverage cells of the night (day) hours.
    coverage = cubes.get(CUBE_COVERAGE.name)
    if coverage is not None and not coverage.empty:
        hours = coverage.assign(_id=ids[CUBE_COVERAGE.name], period=np.where(
            coverage["hour"].astype(int).isin(NIGHT_HOURS), PERIOD_NIGHT, PERIOD_DAY))
        _tie(b, night, _keyed(hours), [*area_keys, "period"])
    # City and police districts: both periods of a reason add up to the rows' eligible calls
    # of that reason.
    reasons = margins["reasons"]
    city_margin = reasons.groupby(["jurisdiction", "year", "reason"], as_index=False)["n"].sum().assign(
        area_type=AREA_CITY, area=CITYWIDE)
    district_margin = reasons.assign(area_type=AREA_DISTRICT).rename(columns={"district": "area"})
    known = night["area_type"].isin([AREA_CITY, AREA_DISTRICT]).to_numpy()
    has_districts = (night["area_type"] == AREA_DISTRICT).any()
    margin = _keyed(pd.concat([city_margin, district_margin] if has_districts else [city_margin]))
    group, rhs, _ = _matched(night[known], margin[[*area_keys, "reason", "n"]], [*area_keys, "reason"])
    b.add_relations(group, night.loc[known, "_id"].to_numpy(np.int64), 1.0, rhs, constant=True)
    # Council districts: ... to the council cube's cells of the same reason(s).
    council = cubes.get(CUBE_COUNCIL.name)
    if council is not None and not council.empty:
        is_reason = ((council["measure"] == "reason") & (council["value"] != REASON_NOT_ELIGIBLE)).to_numpy()
        cells = council[is_reason].assign(_id=ids[CUBE_COUNCIL.name][is_reason])
        cells = cells.assign(area_type=AREA_COUNCIL, area=cells["council_district"],
                             reason=cells["value"].astype(str).map(_NIGHT_REASON_OF_COUNCIL))
        on_council = night[(night["area_type"] == AREA_COUNCIL).to_numpy()]
        _tie(b, on_council, _keyed(cells), [*area_keys, "reason"])
    # For each period and reason, the areas of one type add up to the city's cell.
    city = night[(night["area_type"] == AREA_CITY).to_numpy()]
    for area_type in (AREA_DISTRICT, AREA_COUNCIL):
        _tie(b, night[(night["area_type"] == area_type).to_numpy()], city,
             ["jurisdiction", "year", "period", "reason"])


def _outcome_period_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                              margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    cells = _keyed_cells(cubes, ids, CUBE_OUTCOME_PERIOD)
    if cells is None:
        return
    # Night and day add up to the rows' calls of the program, eligibility and group.
    keys = ["jurisdiction", "year", "response_type", "star_eligible", "outcome_group"]
    rows = _keyed(margins["outcomes"])
    as_bool = {"star_eligible": bool}
    group, rhs, _ = _matched(cells.astype(as_bool), rows.astype(as_bool), keys)
    b.add_relations(group, cells["_id"].to_numpy(np.int64), 1.0, rhs, constant=True)
    # A period's groups with an outcome add up to its ``recorded`` cell.
    total = (cells["outcome_group"] == OUTCOME_RECORDED).to_numpy()
    with_outcome = [g for g in OUTCOME_GROUPS if g != "not_recorded"]
    recorded = cells[cells["outcome_group"].isin(with_outcome).to_numpy()]
    _tie(b, recorded, cells[total], ["jurisdiction", "year", "response_type", "star_eligible", "period"])
    # Below, sums over groups: every group once, the total left out.
    groups = cells[~total]
    eligible = groups[groups["star_eligible"].astype(bool).to_numpy()]
    period_keys = ["jurisdiction", "year", "period"]
    # A period's eligible calls, all programs and groups, are the city's coverage cells of
    # that period's hours.
    coverage = cubes.get(CUBE_COVERAGE.name)
    if coverage is not None and not coverage.empty:
        city = (coverage["area_type"] == AREA_CITY).to_numpy()
        hours = coverage[city].assign(_id=ids[CUBE_COVERAGE.name][city], period=np.where(
            coverage.loc[city, "hour"].astype(int).isin(NIGHT_HOURS), PERIOD_NIGHT, PERIOD_DAY))
        _tie(b, _shared_keys(eligible, _keyed(hours), period_keys), _keyed(hours), period_keys)
    # The alternative team's eligible calls of a period are the night cube's answered cell,
    # where the rows say the two are the same calls (``margins["alt_exact"]``).
    night = cubes.get(CUBE_NIGHT.name)
    exact = margins.get("alt_exact")
    if night is not None and not night.empty and exact is not None and not exact.empty:
        answered = _keyed(night.assign(_id=ids[CUBE_NIGHT.name]))
        answered = answered[((answered["area_type"] == AREA_CITY) & (answered["reason"] == REASON_ANSWERED))
                            .to_numpy()]
        alt = _keyed(margins["alt"])
        exact_cities = set(exact["jurisdiction"].astype(str))
        on = ["jurisdiction", "response_type"]
        alt_cells = eligible.merge(alt[on], on=on)
        alt_cells = alt_cells[alt_cells["jurisdiction"].isin(exact_cities).to_numpy()]
        _tie(b, _shared_keys(alt_cells, answered, period_keys), answered, period_keys)


def _followup_relations(b: SystemBuilder, cubes: dict[str, pd.DataFrame],
                        margins: dict[str, pd.DataFrame], ids: dict[str, np.ndarray]) -> None:
    """A (year, program)'s values add up to the rows' calls of the cube's weeks."""
    cells = _keyed_cells(cubes, ids, CUBE_FOLLOWUP)
    if cells is None:
        return
    keys = ["jurisdiction", "year", "response_type"]
    group, rhs, _ = _matched(cells, _keyed(margins["followup"]), keys)
    b.add_relations(group, cells["_id"].to_numpy(np.int64), 1.0, rhs, constant=True)


def _shared_keys(left: pd.DataFrame, right: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """The rows of ``left`` whose ``keys`` also occur in ``right``: a tie over a group the
    other cube does not cover (a year it leaves out) would claim it adds up to 0."""
    present = right[keys].drop_duplicates()
    return left.merge(present, on=keys)


def _keyed_cells(cubes: dict[str, pd.DataFrame], ids: dict[str, np.ndarray], table: Table
                 ) -> pd.DataFrame | None:
    """A cube's cells with their system column (``_id``) and keys typed for joins; None
    when the release has no such cells."""
    frame = cubes.get(table.name)
    if frame is None or frame.empty:
        return None
    return _keyed(frame.assign(_id=ids[table.name]))


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """The join keys of the night relations in one type each (text, the year an int)."""
    out = frame.copy()
    for column in ("jurisdiction", "area_type", "area", "period", "reason", "response_type", "outcome_group"):
        if column in out:
            out[column] = out[column].astype(str)
    if "year" in out:
        out["year"] = out["year"].astype("int64")
    return out
