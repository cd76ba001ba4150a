"""The suppressed cubes: precinct, coverage by hour, council districts, night, outcomes by
period, time on task.

Each is computed at release time from the view ``published`` that ``release`` creates
(``release_rows.write_public_rows``):
the internal rows of exactly the calls the public rows hold (withheld calls left out),
with the rows' published week, category and district, plus what the rows cannot carry:
the hour and weekday of a call, its precinct and council district, its response minutes
and the time a team spent on it. Building every cube over the same calls as the rows
makes each cube's totals equal, exactly, to numbers the rows publish, so the relations
an attacker can use are known exactly too (``cube_system.release_system``), and the audit
(``dashboard.publish.disclosure``) can prove that no hidden cell is narrowed by them.

* ``cube_precinct``: calls by year x police district x precinct x program x eligibility
  (calls whose row was generalized to ``citywide`` are left out: listing their precinct
  would give their district back). Adds up to the rows' district totals.
* ``cube_coverage``: eligible calls by weekday x hour, per year, for the city, each
  police district as the rows publish it (``citywide`` included) and each council
  district (``unknown`` for calls outside every council district).
* ``cube_council``: a council district's calls per program and year, split by each
  measure the district profile shows (month, eligibility, outcome, backup, repeat
  contact, why unanswered, response-time band), one ``measure`` at a time.
* ``cube_night``: eligible calls by night (22:00-05:59) or day and what became of them
  (answered, out of hours, no team free, other), per year, for the same areas as
  ``cube_coverage``; tied to its night hours, the rows' reasons and the council cube's.
* ``cube_outcome_period``: the city's calls by night or day and outcome group, per year,
  program and eligibility (the Outcomes page's day/night split); tied to the rows'
  outcomes, the coverage cube's hours and the night cube's answered calls.
* ``cube_followup``: calls per year and program by whether the person had another crisis
  call within 90 days after (the Impact page's repeat contacts), in the weeks whose 90
  days the data covers; tied to the rows' calls of those weeks.
* ``cube_service``: time on task per program and year (calls with a time, total
  minutes), the planner's "time per call"; under k calls hidden.
* ``cube_police_time``: time on task of police alone on eligible calls, per call category
  and year: the Impact page's officer time returned; under k calls hidden.

Every weekday-hour of a year and area (and every category of a council measure seen in
the city that year, every precinct of a district) is present, zero included: a small
cell that is the only non-zero one of its group could otherwise be read off its total.

This module suppresses and writes them (``suppress``, ``write_cubes``); the counts and
the public totals are ``dashboard.publish.cube_counts``, the linear system they are
audited as is ``dashboard.publish.cube_system``.
"""

from __future__ import annotations

import hashlib

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from dashboard.contract.schema import (
    AREA_CITY,
    CITYWIDE,
    CUBE_COUNCIL,
    CUBE_COVERAGE,
    CUBE_FOLLOWUP,
    CUBE_NIGHT,
    CUBE_OUTCOME_PERIOD,
    CUBE_POLICE_TIME,
    CUBE_PRECINCT,
    CUBE_SERVICE,
    FOLLOWED_UNKNOWN,
    PERIOD_NIGHT,
    REASON_ANSWERED,
    REASON_NOT_ELIGIBLE,
    UNKNOWN_AREA,
    Table,
)
from dashboard.publish import complements
from dashboard.publish.cube_counts import (
    council_counts,
    coverage_counts,
    district_margins,
    followup_counts,
    night_counts,
    outcome_period_counts,
    police_time_cube,
    precinct_counts,
    public_margins,
    service_cube,
)
from dashboard.publish.cube_system import AUDITED, release_system

#: The suppression method recorded in the manifest; ``validate`` models the rule by it.
SUPPRESSION_METHOD = "audited-keyed"


def complement_tier(name: str, frame: pd.DataFrame) -> np.ndarray:
    """How much a reader loses when a cell is hidden as a complement, from structure alone.

    0: leftovers no page shows as a place ('citywide' and 'unknown' areas, precincts and
    council districts); 2: the city's own hour cells, which every coverage grid and the
    planner read, and the council cells the district profile headlines (its calls, calls
    per program, eligible, answered and out-of-hours calls, repeat contacts); 1: everything
    else. Counts play no part (``disclosure`` module doc).
    """
    tier = np.ones(len(frame), np.int64)
    leftovers = (CITYWIDE, UNKNOWN_AREA)
    if name == CUBE_COVERAGE.name:
        tier[frame["area"].isin(leftovers).to_numpy() & (frame["area_type"] != AREA_CITY).to_numpy()] = 0
        tier[(frame["area_type"] == AREA_CITY).to_numpy()] = 2
    elif name == CUBE_COUNCIL.name:
        measure, value = frame["measure"], frame["value"]
        key = (measure.isin(["calls", "program", "repeat_contact_90d"])
               | ((measure == "reason") & value.isin([REASON_ANSWERED, REASON_NOT_ELIGIBLE, "out_of_hours"])))
        tier[key.to_numpy()] = 2
        tier[(frame["council_district"] == UNKNOWN_AREA).to_numpy()] = 0
    elif name == CUBE_NIGHT.name:
        # The figure the district profile headlines: eligible calls left unanswered at
        # night because no team was on duty or every team was busy.
        key = (frame["period"] == PERIOD_NIGHT) & frame["reason"].isin(["out_of_hours", "no_team_available"])
        tier[key.to_numpy() | (frame["area_type"] == AREA_CITY).to_numpy()] = 2
        tier[frame["area"].isin(leftovers).to_numpy() & (frame["area_type"] != AREA_CITY).to_numpy()] = 0
    elif name == CUBE_FOLLOWUP.name:
        # The share followed within 90 days is yes over yes + no: "unknown" is a leftover.
        tier[(frame["followed"] == FOLLOWED_UNKNOWN).to_numpy()] = 0
    elif name == CUBE_OUTCOME_PERIOD.name:
        # The Outcomes page's day/night figures: the shares resolved or referred and ending
        # in custody. Calls with no outcome recorded are counted beside the shares only.
        group = frame["outcome_group"]
        tier[group.isin(["resolved_or_referred", "citation_or_arrest"]).to_numpy()] = 2
        tier[(group == "not_recorded").to_numpy()] = 0
    elif name == CUBE_PRECINCT.name:
        tier[(frame["precinct"] == UNKNOWN_AREA).to_numpy()] = 0
    return tier


def suppression_key(seed: int) -> bytes:
    """The key of the complement order: from the release's seed, which ingest derives from
    the city's secret salt (never published)."""
    return hashlib.blake2b(f"cube-complements-{int(seed)}".encode(), digest_size=32).digest()


#: Deep and per-measure passes of ``suppress`` before it gives up (one or two suffice).
MAX_PASSES = 6


def suppress(cubes: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int,
             key: bytes, deep: dict[str, pd.DataFrame] | None = None) -> dict[str, pd.DataFrame]:
    """The published cubes: primary cells of 1..k-1 and the complements ``protect`` chooses
    hidden (``n`` NA, ``suppressed`` true).

    With ``deep`` (``district_margins``) and a council cube, a second pass protects against
    the deep system too (``council_links``: the council cells tied to the rows by police
    district), starting from the first pass's cells: the first, on the smaller system,
    does most of the work; the second adds what the rows by police district would reveal.
    """
    frames = {name: frame.assign(suppressed=False) for name, frame in cubes.items()}
    frames = _protected(frames, margins, k, key, None)
    council = frames.get(CUBE_COUNCIL.name)
    if deep is not None and council is not None and not council.empty:
        for _ in range(MAX_PASSES):
            frames = _protected(frames, margins, k, key, deep)
            # The rule is about cells that *could* be small: the deep attacker may know a
            # cell is k or more (nothing to protect) where the per-measure one only knows
            # it is 3 or more, which the rule does not allow. Both audits must pass.
            again = _protected(frames, margins, k, key, None)
            if all(again[n]["suppressed"].equals(frames[n]["suppressed"]) for n in frames):
                break
            frames = again
        else:
            raise complements.ProtectionError(f"the two audits did not agree in {MAX_PASSES} passes")
    out = {}
    for name, frame in frames.items():
        frame = frame.copy()
        frame["n"] = frame["n"].astype("Int64").mask(frame["suppressed"].to_numpy(bool))
        out[name] = frame
    return out


def _protected(frames: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int, key: bytes,
               deep: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    """``frames`` (true counts) with ``suppressed`` widened until ``protect`` passes.

    The deep pass leaves the coverage cube out of its system: tied to the council cells
    only through each council district's eligible calls, its thousands of hour cells would
    make every LP of the pass many times larger for a second-order effect. The night cube
    stays in: its reasons are tied to the council cube's cell by cell, and without it the
    deep audit of ``validate`` narrowed council cells the pass had left open. ``validate``
    (which the builder runs before publishing) audits the deep system with them, so a
    release this shortcut let through is refused, never published.
    """
    if deep is not None:
        part = {name: frame for name, frame in frames.items() if name != CUBE_COVERAGE.name}
        return {**frames, **_protect_system(part, margins, k, key, deep)}
    return _protect_system(frames, margins, k, key, None)


def _protect_system(frames: dict[str, pd.DataFrame], margins: dict[str, pd.DataFrame], k: int, key: bytes,
                    deep: dict[str, pd.DataFrame] | None) -> dict[str, pd.DataFrame]:
    system, where = release_system(frames, margins, deep)
    tier = np.ones(system.size, np.int64)
    for name, frame in frames.items():
        tier[where.ids[name]] = complement_tier(name, frame)
    scope = None
    if deep is not None:
        # The deep relations tie the council cells to the rows: the deep pass checks those
        # (the per-measure pass checks everything, and validate both systems in full).
        scope = np.zeros(system.size, bool)
        scope[where.ids[CUBE_COUNCIL.name]] = True
    hidden = complements.protect(system, k, key, tier=tier, scope=scope)
    return {name: frame.assign(suppressed=hidden[where.ids[name]]) for name, frame in frames.items()}


_ARROW = {"int32": pa.int32(), "int64": pa.int64(), "Int64": pa.int64(), "bool": pa.bool_(),
          "boolean": pa.bool_()}


def _write(frame: pd.DataFrame, table: Table, path: str) -> None:
    """Parquet with a fixed schema, so an empty cube (no council layer) has typed columns."""
    fields = [
        pa.field(c, _ARROW.get(str(frame[c].dtype), pa.string()))
        for c in (*table.dims, *table.measures, "suppressed")
    ]
    arrow = pa.Table.from_pandas(frame[[f.name for f in fields]], schema=pa.schema(fields),
                                 preserve_index=False)
    pq.write_table(arrow, path, compression="zstd")


def write_cubes(con: duckdb.DuckDBPyConnection, out: str, k: int, seed: int) -> None:
    """Write every cube into the release folder ``out``.

    ``con`` has the view ``published`` and the public ``calls`` and ``rollup_minutes``
    (the files already written), whose totals the audited cubes are protected against.
    """
    counts = {
        CUBE_PRECINCT.name: precinct_counts(con),
        CUBE_COVERAGE.name: coverage_counts(con),
        CUBE_COUNCIL.name: council_counts(con),
        CUBE_NIGHT.name: night_counts(con),
        CUBE_OUTCOME_PERIOD.name: outcome_period_counts(con),
        CUBE_FOLLOWUP.name: followup_counts(con),
    }
    published = suppress(counts, public_margins(con), k, suppression_key(seed), deep=district_margins(con))
    for table in AUDITED:
        _write(published[table.name], table, f"{out}/{table.name}.parquet")
    _write(service_cube(con, k), CUBE_SERVICE, f"{out}/{CUBE_SERVICE.name}.parquet")
    _write(police_time_cube(con, k), CUBE_POLICE_TIME, f"{out}/{CUBE_POLICE_TIME.name}.parquet")
