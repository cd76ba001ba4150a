"""Police time on task in the sample: how long a call kept the patrol or CIT unit busy.

SYNTHETIC. Every call police alone answered (``schema.POLICE_ONLY``) with a unit on
scene gets a busy time: its response minutes (the drive) plus a time on scene drawn
lognormal with a median of 43 minutes, never under 2 nor over 600. The median is the
one measured on 200 police mental-health calls from body-worn camera and police records
in New Brunswick, Canada (calls lasted a median of 43 min, range 2 to 642; University of
New Brunswick, "Police-Citizen Mental Health Call Duration and Associations with Call
Outcomes", April 2025, https://unbscholar.lib.unb.ca/items/bee7e0b5-0012-4796-9141-645e8ee46b00);
the spread (sigma 0.9) makes that range plausible for a few hundred calls. No category
effect is drawn: the page's per-category times differ only by chance here.

Drawn last, from its own stream of the city's generator, so adding it left every other
field of the sample as it was.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dashboard.contract.schema import POLICE_ONLY

#: Lognormal time on scene of a police-only call: (median minutes, sigma), and its bounds.
ON_SCENE = (43.0, 0.9)
ON_SCENE_BOUNDS = (2, 600)


def add_police_time(frame: pd.DataFrame, rng: np.random.Generator) -> None:
    """Set ``busy_minutes`` and ``_cleared_at`` of the police-only calls with a unit on
    scene (the alternative team's were set by its queue; every other call keeps none)."""
    police = (frame["response_type"].isin([p.value for p in POLICE_ONLY])
              & frame["response_minutes"].notna()).to_numpy(dtype=bool)
    median, sigma = ON_SCENE
    on_scene = np.clip(np.rint(median * np.exp(sigma * rng.standard_normal(int(police.sum())))),
                       *ON_SCENE_BOUNDS)
    drive = frame.loc[police, "response_minutes"].to_numpy(dtype=float)
    busy = drive + on_scene
    frame.loc[police, "busy_minutes"] = pd.array(busy.astype(np.int64), dtype="Int32")
    received = frame.loc[police, "_received_at"].to_numpy(dtype="datetime64[s]")
    cleared = received + (busy * 60).astype("timedelta64[s]")
    frame.loc[police, "_cleared_at"] = cleared
