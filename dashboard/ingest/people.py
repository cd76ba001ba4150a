"""Repeat contacts: person ids under a salted hash, and the 90-day window over them.

The person column is an identifier: it is hashed with a salt that is never written
(``CRISIS_PERSON_SALT``, the caller's, or random per run), the hashes live only in the
temporary stage file, and ``repeat_contacts`` drops them once the flag is computed.
Kept together so that everything that touches a person id is in one module.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

SALT_ENV = "CRISIS_PERSON_SALT"
REPEAT_WINDOW_DAYS = 90
DUCKDB_MEMORY = "512MB"  # for the repeat-contact window; it spills to the temp folder beyond


def person_keys(values: pd.Series, salt: bytes) -> np.ndarray:
    """Salted hashes of person ids (None where blank), one hash per distinct id.

    The salt makes the hash useless outside this run (or outside holders of the salt);
    the hashes live only in the temporary file and are dropped after the window.
    """
    codes, uniques = pd.factorize(values.to_numpy(dtype=object), use_na_sentinel=True)
    hashed = np.array([_person_hash(u, salt) for u in uniques] + [None], dtype=object)
    return hashed[codes]


def _person_hash(value: object, salt: bytes) -> str | None:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    if not text:
        return None
    return hashlib.blake2b(text.encode("utf-8"), key=salt, digest_size=16).hexdigest()


def repeat_contacts(stage: Path, out: Path, *, has_person: bool, work: Path) -> None:
    """Write the internal frame: ``repeat_contact_90d`` and ``followed_90d`` by a window
    over the person hash.

    A call is a repeat when the same person's previous accepted call came in at most 90
    days earlier (exact times, not hours); it is followed when the person's next accepted
    call comes at most 90 days later (unknown when no person is recorded, or when its 90
    days run past the export's last call with no later call of the person before). The
    window runs on three narrow columns and its flags are sorted back into input order
    and attached by position, so no sort ever carries whole rows (the step stays within
    DUCKDB_MEMORY, spilling beyond).
    The hash, the exact time and the input order are dropped here; rows keep the input
    order, so the same input gives the same release whatever its file format.
    """
    con = duckdb.connect()
    try:
        con.execute("SET enable_progress_bar = false")
        con.execute("SET temp_directory = ?", [str(work / "duckdb.tmp")])
        con.execute(f"SET memory_limit = '{DUCKDB_MEMORY}'")
        con.read_parquet(str(stage)).create_view("stage")
        if not has_person:
            rows = con.sql("SELECT * EXCLUDE (seq, received_at, person_hash), false AS repeat_contact_90d, "
                           "NULL::BOOLEAN AS followed_90d FROM stage")
        else:
            window = f"INTERVAL {REPEAT_WINDOW_DAYS} DAY"
            con.execute(
                f"CREATE TEMP TABLE flags AS SELECT seq, coalesce(person_hash IS NOT NULL AND "
                f"received_at - lag(received_at) OVER w <= {window}, false) AS flag, "
                # Looking ahead: unknown without a person, or when the 90 days run past the
                # last call of the export and no later call of the person came first.
                f"CASE WHEN person_hash IS NULL THEN NULL "
                f"WHEN lead(received_at) OVER w - received_at <= {window} THEN true "
                f"WHEN received_at + {window} > last THEN NULL ELSE false END AS followed "
                "FROM (SELECT seq, person_hash, received_at, max(received_at) OVER () AS last FROM stage) "
                "WINDOW w AS (PARTITION BY person_hash ORDER BY received_at, seq)"
            )
            # The stage file is in seq order; a mismatch would mean a flag on the wrong call.
            rows = con.sql(
                "SELECT s.* EXCLUDE (seq, received_at, person_hash), CASE WHEN s.seq = f.seq THEN f.flag "
                "ELSE error('repeat-contact flags out of step with the rows') END AS repeat_contact_90d, "
                "f.followed AS followed_90d "
                "FROM stage s POSITIONAL JOIN (SELECT seq, flag, followed FROM flags ORDER BY seq) f"
            )
        rows.write_parquet(str(out), compression="zstd")
    finally:
        con.close()


def person_salt(given: str | None = None) -> tuple[bytes, str]:
    if given:
        return given.encode("utf-8"), "salted hash, salt given by the caller (not stored)"
    env = os.environ.get(SALT_ENV, "")
    if env:
        return env.encode("utf-8"), f"salted hash, salt from {SALT_ENV} (not stored)"
    return secrets.token_bytes(32), "salted hash, random salt for this run (not stored)"
