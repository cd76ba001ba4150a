"""The ``crisis-dashboard sample`` command: the synthetic sample, published as releases.

SYNTHETIC DATA: every release written here says so (``SOURCE_NOTE``, ``synthetic=True``)
and describes no real call or person. ``write_sample`` generates the frames of the
cities the generator knows (``SAMPLE_CITIES``, by ``dashboard.sample.generator``) and
publishes one release per city, through a raw export and the real ingest as a city would
(the shipped sample) or straight to the release builder (the benchmarks).
Separate from the generator because publishing runs the ingest and the release build,
while the generator only makes frames in memory.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from dashboard.contract.cities import city_config_path, load_cities
from dashboard.contract.releases import ReleaseInfo
from dashboard.publish.release import build_release
from dashboard.publish.scratch import scratch_dir, work_dir
from dashboard.sample.generator import generate
from dashboard.settings import Settings

#: Scratch folders ``<releases>/.work/crisis-sample-<pid>-<token>`` (see ``scratch``).
SCRATCH_PREFIX = "crisis-sample-"

#: The cities the generator knows how to simulate (others, like Lane County, ship real data).
SAMPLE_CITIES = ("denver", "grand_junction")

SOURCE_NOTE = (
    "SYNTHETIC sample made by `crisis-dashboard sample` (seed {seed}, scale {scale}); "
    "calibrated to published program figures; describes no real call or person. The "
    "alternative team's time per call is whatever lets a queue of its scheduled vans answer "
    "the published counts (hours per call from late 2021), not a measured figure."
)


def write_sample(settings: Settings, *, seed: int, scale: float, out: Path | None = None,
                 only: list[str] | None = None, via_export: bool = True) -> list[ReleaseInfo]:
    """Generate the sample and publish a release per city.

    ``via_export`` (the default, and how the shipped sample is made): write a synthetic
    CAD export with identifiers and run the real ingest on it, as a city would.
    Without it the generator's internal frame goes straight to the release builder
    (the benchmark does this: it measures the dashboard, not the ingest, at 10M rows).
    """
    cities = {k: v for k, v in load_cities(settings.cities_dir).items() if k in SAMPLE_CITIES}
    if only:
        cities = {k: v for k, v in cities.items() if k in only}
    frames = generate(cities, seed=seed, scale=scale, geo_dir=settings.geo_dir)
    releases_dir = out or settings.releases_dir
    if via_export:
        return [_publish_via_export(settings, city_id, frame, releases_dir, seed=seed)
                for city_id, frame in frames.items()]
    return [
        build_release(_without_attrs(frame), releases_dir, city=city_id,
                      source=SOURCE_NOTE.format(seed=seed, scale=scale), synthetic=True,
                      k=settings.privacy_k, seed=seed, switch_delay=settings.switch_delay)
        for city_id, frame in frames.items()
    ]


def _without_attrs(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame without the generator's notes (``attrs``): Arrow would try to store them
    in the release builder's scratch Parquet file, and they are not JSON."""
    bare = frame.copy(deep=False)
    bare.attrs = {}
    return bare


def _publish_via_export(settings: Settings, city_id: str, frame: pd.DataFrame, releases_dir: Path,
                        *, seed: int) -> ReleaseInfo:
    """Raw export (with identifiers) -> ``crisis-dashboard ingest`` -> release."""
    from dashboard.ingest.pipeline import ingest
    from dashboard.sample.raw_export import write_raw_export

    config = city_config_path(settings.cities_dir, city_id)
    # The raw export carries (made-up) identifiers: a private scratch folder, like ingest's.
    with scratch_dir(work_dir(releases_dir), SCRATCH_PREFIX) as tmp:
        raw = write_raw_export(frame, tmp / f"SYNTHETIC-{city_id}-cad-export-seed{seed}.csv",
                               np.random.default_rng([seed, 99]))
        # A fixed salt keeps the sample reproducible (same call ids, same release id);
        # the sample's people are made up, so this salt protects no one and is no secret.
        result = ingest(raw, config, releases_dir, geo_dir=settings.geo_dir, k=settings.privacy_k,
                        switch_delay=settings.switch_delay,
                        synthetic=True, salt=f"synthetic-sample-{seed}")
    return result.release


def main(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out) if args.out else None
    for info in write_sample(settings, seed=args.seed, scale=args.scale, out=out, only=args.city):
        print(f"{info.city}: release {info.release_id} -> {info.path}")  # noqa: T201
    return 0
