"""One chunk of raw rows to staged contract rows and rejects.

The mapper runs each field's step (``times``, ``values``, ``places``, ``durations``,
``people``) over a chunk, then derives what the contract defines from several fields
(eligibility within the program's schedule, unanswered reasons, police backup of the
alternative team). The staged table is internal: it still holds the exact time and the
person hash, which ``dashboard.ingest.people.repeat_contacts`` drops.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from dashboard.contract.schema import UnansweredReason
from dashboard.ingest.accounting import MinuteCounts, Reason, Rejects
from dashboard.ingest.config_spec import IngestConfig, program_start
from dashboard.ingest.durations import busy_minutes, response_minutes
from dashboard.ingest.people import person_keys
from dashboard.ingest.places import assign_places
from dashboard.ingest.readers import Chunk
from dashboard.ingest.times import parse_received
from dashboard.ingest.values import optional, per_value, required, resolve

if TYPE_CHECKING:
    from dashboard.geo.assign import Assigner

#: The temporary (never published) table of accepted rows. ``seq`` keeps input order,
#: ``received_at`` the exact time for the 90-day window, ``person_hash`` the salted key.
STAGE_SCHEMA = pa.schema([
    ("seq", pa.int64()), ("jurisdiction", pa.string()), ("received_hour", pa.timestamp("s")),
    ("received_at", pa.timestamp("s")), ("district", pa.string()), ("precinct", pa.string()),
    ("neighborhood", pa.string()), ("council_district", pa.string()), ("call_category", pa.string()),
    ("star_eligible", pa.bool_()), ("response_type", pa.string()), ("response_minutes", pa.int32()),
    ("outcome", pa.string()), ("police_backup", pa.bool_()), ("unanswered_reason", pa.string()),
    ("busy_minutes", pa.int32()), ("person_hash", pa.string()),
])


@dataclass
class Mapper:
    """Everything needed to map chunks: the config and what it resolved to at start."""

    cfg: IngestConfig
    salt: bytes
    assigner: Assigner | None = None

    def map(self, chunk: Chunk, seq0: int) -> tuple[pa.Table, list[tuple], MinuteCounts, MinuteCounts]:
        """Accepted rows (STAGE_SCHEMA), rejects (line, reason, field, detail), nulled
        response minutes and nulled busy minutes."""
        cfg, n = self.cfg, len(chunk.frame)
        chunk.frame = chunk.frame.reset_index(drop=True)
        rej = Rejects(n)
        rej.flag(chunk.malformed, Reason.MALFORMED_ROW, "(row)", "field count differs from header")
        received = parse_received(chunk, cfg, rej)
        call_type = required(resolve(chunk.frame, cfg.call_type), rej)
        response_type = required(resolve(chunk.frame, cfg.response_type), rej)
        outcome = required(resolve(chunk.frame, cfg.outcome), rej)
        place = assign_places(chunk, cfg, self.assigner, rej)
        backup = optional(resolve(chunk.frame, cfg.police_backup), rej, False)
        reason = (optional(resolve(chunk.frame, cfg.unanswered_reason), rej, None)
                  if cfg.unanswered_reason else np.full(n, None, object))
        ok = ~rej.rejected
        minutes, counts = response_minutes(chunk, cfg, received, ok)
        busy, busy_counts = busy_minutes(chunk, cfg, received, ok)
        columns = self._columns(received, call_type, response_type, outcome, place, backup, reason, minutes)
        columns["busy_minutes"] = busy
        columns["seq"] = seq0 + np.arange(n)
        columns["person_hash"] = (person_keys(chunk.frame[cfg.person_column], self.salt)
                                  if cfg.person_column else np.full(n, None, object))
        accepted = pa.Table.from_pandas(pd.DataFrame(columns)[ok], schema=STAGE_SCHEMA, preserve_index=False)
        rejects = list(zip(chunk.lines[~ok].tolist(), rej.reason[~ok].tolist(),
                           rej.column[~ok].tolist(), rej.detail[~ok].tolist(), strict=True))
        return accepted, rejects, counts, busy_counts

    def _columns(self, received: pd.Series, call_type: np.ndarray, response_type: np.ndarray,
                 outcome: np.ndarray, place: dict[str, np.ndarray], backup: np.ndarray,
                 reason: np.ndarray, minutes: pd.Series) -> dict[str, Any]:
        city = self.cfg.city
        category = per_value(call_type, lambda t: t.category)
        eligible = per_value(call_type, lambda t: t.eligible, missing=False).astype(bool)
        start = program_start(city)
        # Eligibility is only assessed while the alternative program operates.
        eligible &= (received >= pd.Timestamp(start)).to_numpy(dtype=bool, na_value=False) if start else False
        rtype = response_type
        by_alt = rtype == city.alternative_program.value
        reason = np.where(pd.isna(reason), UnansweredReason.UNKNOWN.value, reason)
        unanswered = np.where(eligible & ~by_alt, reason, None)
        return {
            "jurisdiction": city.id,
            "received_hour": received.dt.floor("h").to_numpy(),
            "received_at": received.to_numpy(),
            **place,
            "call_category": category,
            "star_eligible": eligible,
            "response_type": rtype,
            "response_minutes": minutes,
            "outcome": outcome,
            # The contract's police_backup is "the alternative team asked for police".
            "police_backup": np.asarray(backup, bool) & by_alt,
            "unanswered_reason": unanswered,
        }
