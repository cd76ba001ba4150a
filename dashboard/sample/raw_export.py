"""A synthetic raw CAD export: what a city's dispatch system would hand its analyst.

SYNTHETIC DATA. The sample is produced the way a city would produce a release: the
generator's calls are written out as a CAD-style export *with* the identifiers a real
export carries (incident numbers, exact times to the second, block addresses, exact
points, person ids, a free-text narrative, a caller phone number), plus the time the
unit cleared each call the alternative team or police alone answered (its busy time),
and the ingest
(``crisis-dashboard ingest``, configured by ``data/cities/<city>.toml``) turns that
export into the published release. A test proves none of the identifiers survives.

Every name, address and number here is made up (phone numbers use the fictional 555
exchange); nothing describes a real person.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.contract.schema import CallCategory, Outcome, ResponseType, UnansweredReason

#: CAD call-type names. Calls screened as meeting the alternative program's criteria
#: carry a "(CRISIS TEAM CRITERIA)" suffix, as the dispatch protocol marks them.
CALL_TYPE = {
    CallCategory.WELFARE_CHECK: "WELFARE CHECK",
    CallCategory.MENTAL_HEALTH: "MENTAL HEALTH CRISIS",
    CallCategory.SUICIDAL_THREAT: "SUICIDAL PARTY",
    CallCategory.INTOXICATION: "INTOXICATED PERSON",
    CallCategory.TRESPASS: "UNWANTED PERSON/TRESPASS",
    CallCategory.DISTURBANCE: "DISTURBANCE",
    CallCategory.INDECENT_EXPOSURE: "INDECENT EXPOSURE",
    CallCategory.PUBLIC_ASSIST: "ASSIST - PUBLIC",
}
ELIGIBLE_SUFFIX = " (CRISIS TEAM CRITERIA)"
UNIT_TYPE = {
    ResponseType.STAR: "STAR",
    ResponseType.CO_RESPONDER: "CIRU",
    ResponseType.CIT_OFFICER: "CIT PATROL",
    ResponseType.PATROL: "PATROL",
}
UNIT_PREFIX = {ResponseType.STAR: "STAR", ResponseType.CO_RESPONDER: "CIRU",
               ResponseType.CIT_OFFICER: "CIT", ResponseType.PATROL: "P"}
DISPOSITION = {
    Outcome.RESOLVED_ON_SCENE: "RESOLVED-ON SCENE",
    Outcome.REFERRED_TO_SERVICES: "REFERRED-SERVICES",
    Outcome.TRANSPORTED_SHELTER: "TRANSPORT-SHELTER",
    Outcome.TRANSPORTED_HOSPITAL: "TRANSPORT-HOSPITAL",
    Outcome.TRANSPORTED_DETOX: "TRANSPORT-DETOX",
    Outcome.MENTAL_HEALTH_HOLD: "M1 HOLD",
    Outcome.CITATION: "CITATION ISSUED",
    Outcome.ARREST: "ARREST",
    Outcome.GONE_ON_ARRIVAL: "GOA",
    Outcome.REFUSED: "REFUSED SERVICES",
}
NOT_SENT_REASON = {
    UnansweredReason.OUT_OF_HOURS: "OOH",
    UnansweredReason.OUTSIDE_SERVICE_AREA: "OUT OF AREA",
    UnansweredReason.NO_TEAM_AVAILABLE: "NO UNIT AVAIL",
    UnansweredReason.SAFETY_SCREEN: "SAFETY SCREEN",
    UnansweredReason.UNKNOWN: "NOT RECORDED",
}
TIME_FORMAT = "%m/%d/%Y %I:%M:%S %p"

#: Columns of the export that identify people or places: the ingest config lists them
#: as identifiers to drop, and the privacy test plants and hunts for their values.
IDENTIFIER_COLUMNS = ("Incident Number", "Address", "Longitude", "Latitude", "Person ID",
                      "Narrative", "Caller Phone", "Primary Unit")

_STREETS = ("Elm", "Larimer", "Colfax", "Federal", "Broadway", "Alameda", "Quebec", "Holly",
            "Sheridan", "Evans", "Yale", "Montview", "Sable", "Peoria", "Tower", "Pecos")
_SUFFIX = ("St", "Ave", "Blvd", "Way", "Ct")
_FIRST = ("Alex", "Sam", "Jordan", "Casey", "Riley", "Taylor", "Morgan", "Jamie", "Avery", "Quinn")
_LAST = ("Rivera", "Nguyen", "Smith", "Okafor", "Garcia", "Kowalski", "Chen", "Baker", "Haddad")


def _pick(rng: np.random.Generator, options: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(options, dtype=object)[rng.integers(0, len(options), n)]


def raw_frame(internal: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """The CAD-style export for an internal frame (rows in call order)."""
    n = len(internal)
    # The generator's exact times: its queue decided who answered from these very seconds.
    received = pd.DatetimeIndex(internal["_received_at"])
    minutes = internal["response_minutes"].astype("Float64")
    on_scene = received + pd.to_timedelta(minutes.fillna(0).to_numpy(dtype=float), unit="m")
    cleared = pd.DatetimeIndex(internal["_cleared_at"])
    kind = internal["_eligible_kind"].to_numpy(dtype=bool)
    categories = internal["call_category"].map({k.value: v for k, v in CALL_TYPE.items()})
    response = internal["response_type"].astype(str)
    years = received.year.to_numpy()
    sequence = np.arange(1, n + 1)
    person = internal["person_key"].astype(str).str.replace("p", "PID-", regex=False)
    return pd.DataFrame(
        {
            "Incident Number": [f"{y}-{s:08d}" for y, s in zip(years, sequence, strict=True)],
            "Call Received": received.strftime(TIME_FORMAT),
            "First On Scene": np.where(minutes.isna().to_numpy(), "", on_scene.strftime(TIME_FORMAT)),
            # The unit clearing the call: the alternative team's, or police alone (blank for
            # co-responders and calls no unit reached). Every unit was dispatched the second
            # the call came in, so no "Unit Dispatched" column.
            "Unit Cleared": np.where(cleared.isna(), "", cleared.strftime(TIME_FORMAT)),
            "Call Type": np.where(kind, categories + ELIGIBLE_SUFFIX, categories),
            "Address": [
                f"{num} {d} {street} {suffix}" for num, d, street, suffix in zip(
                    rng.integers(1, 120, n) * 100, _pick(rng, ("N", "S", "E", "W"), n),
                    _pick(rng, _STREETS, n), _pick(rng, _SUFFIX, n), strict=True)
            ],
            "Longitude": np.round(internal["lon"].to_numpy(dtype=float), 6),
            "Latitude": np.round(internal["lat"].to_numpy(dtype=float), 6),
            "Unit Type": response.map({k.value: v for k, v in UNIT_TYPE.items()}),
            "Primary Unit": response.map({k.value: v for k, v in UNIT_PREFIX.items()})
            + "-" + pd.Series(rng.integers(1, 400, n)).astype(str),
            "Disposition": internal["outcome"].map({k.value: v for k, v in DISPOSITION.items()}),
            "Backup Requested": np.where(internal["police_backup"].to_numpy(dtype=bool), "Y", "N"),
            "STAR Not Sent Reason": internal["unanswered_reason"].map(
                {k.value: v for k, v in NOT_SENT_REASON.items()}).fillna(""),
            "Person ID": person,
            "Narrative": [
                f"RP reports {first} {last} needs help near the location; synthetic text."
                for first, last in zip(_pick(rng, _FIRST, n), _pick(rng, _LAST, n), strict=True)
            ],
            "Caller Phone": [f"303-555-{x:04d}" for x in rng.integers(0, 10000, n)],
        }
    )


def write_raw_export(internal: pd.DataFrame, path: Path, rng: np.random.Generator) -> Path:
    """Write the export as CSV (UTF-8 with a byte-order mark, as spreadsheet tools save it)."""
    raw_frame(internal, rng).to_csv(path, index=False, encoding="utf-8-sig")
    return path
