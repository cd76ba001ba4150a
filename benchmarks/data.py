"""Step 1: the bench data dir, a synthetic release of about the requested size."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dashboard
from benchmarks.common import DATA_SEED, WORK_DIR, peak_rss_mb, run_in_fresh_process
from dashboard.contract.cities import load_cities
from dashboard.contract.releases import ReleaseError, current_release_dir
from dashboard.settings import Settings


@dataclass(frozen=True)
class BenchData:
    size: int
    data_dir: Path
    scale: float
    info: dict[str, Any]  # generation figures (from bench_data.json)


#: Packages whose code decides what the generator writes (plus the city configs): every
#: module in them is hashed, so moving code between modules never goes unnoticed.
GENERATOR_PACKAGES = ("sample", "publish", "contract", "geo", "ingest")


def generator_fingerprint(settings: Settings) -> str:
    """A hash of the generator's code and the city configs: bench data made by another
    version of the generator is not reused."""
    digest = hashlib.sha256()
    package = Path(dashboard.__file__).resolve().parent
    for name in GENERATOR_PACKAGES:
        for path in sorted((package / name).rglob("*.py")):
            digest.update(str(path.relative_to(package)).encode() + path.read_bytes())
    for path in sorted(settings.cities_dir.glob("*.toml")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def rows_at_scale_1(settings: Settings, seed: int = DATA_SEED, work_dir: Path = WORK_DIR) -> int:
    """Calls the sample generator makes at scale 1.0 (all cities), measured once per
    generator version and cached."""
    from dashboard.sample.generator import generate
    from dashboard.sample.releases import SAMPLE_CITIES

    cache = work_dir / "rows_at_scale_1.json"
    fingerprint = generator_fingerprint(settings)
    try:
        known = json.loads(cache.read_text())
        if known.get("seed") == seed and known.get("generator") == fingerprint:
            return int(known["rows"])
    except (OSError, ValueError, KeyError):
        pass
    cities = {k: v for k, v in load_cities(settings.cities_dir).items() if k in SAMPLE_CITIES}
    frames = generate(cities, seed=seed, scale=1.0, geo_dir=settings.geo_dir)
    rows = sum(len(frame) for frame in frames.values())
    work_dir.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps({"seed": seed, "generator": fingerprint, "rows": rows}) + "\n")
    return rows


def _generate(data_dir: str, geo_dir: str, privacy_k: int, seed: int, scale: float) -> dict[str, Any]:
    """Write the synthetic release (runs in a fresh process: its peak RSS is its own)."""
    from dashboard.sample.releases import write_sample

    settings = Settings(data_dir=Path(data_dir), geo_dir=Path(geo_dir), privacy_k=privacy_k)
    t0 = time.perf_counter()
    infos = write_sample(settings, seed=seed, scale=scale, out=settings.releases_dir, via_export=False)
    seconds = time.perf_counter() - t0
    per_city = {}
    for info in infos:
        manifest = json.loads((info.path / "manifest.json").read_text())
        per_city[info.city] = {
            "release_id": info.release_id,
            "accepted": manifest["rows"]["accepted"],
            "published": manifest["rows"]["published"],
            "calls_parquet_bytes": manifest["files"]["calls.parquet"]["bytes"],
            "calls_csv_bytes": manifest["files"]["calls.csv"]["bytes"],
        }
    return {"seconds": seconds, "peak_rss_mb": peak_rss_mb(), "cities": per_city}


def prepare_data(
    size: int,
    settings: Settings,
    *,
    regenerate: bool = False,
    work_dir: Path = WORK_DIR,
    seed: int = DATA_SEED,
    in_fresh_process: bool = True,
) -> BenchData:
    """The data dir for ``size`` calls, generated (timed) or reused when one made by the
    same generator version, seed and size is there."""
    scale = size / rows_at_scale_1(settings, seed, work_dir)
    fingerprint = generator_fingerprint(settings)
    data_dir = work_dir / str(size)
    meta_path = data_dir / "bench_data.json"
    if not regenerate and meta_path.is_file():
        meta = json.loads(meta_path.read_text())
        try:
            for city in meta["cities"]:
                current_release_dir(data_dir / "releases", city)
            if meta["seed"] == seed and meta["size"] == size and meta["generator"] == fingerprint:
                return BenchData(size, data_dir, meta["scale"], {**meta, "reused": True})
        except (ReleaseError, KeyError):
            pass
    if data_dir.exists():
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)
    shutil.copytree(settings.cities_dir, data_dir / "cities")
    args = (str(data_dir), str(settings.geo_dir), settings.privacy_k, seed, scale)
    got = run_in_fresh_process(_generate, *args) if in_fresh_process else _generate(*args)
    accepted = sum(c["accepted"] for c in got["cities"].values())
    published = sum(c["published"] for c in got["cities"].values())
    meta = {
        "size": size,
        "seed": seed,
        "generator": fingerprint,
        "scale": scale,
        "accepted": accepted,
        "published": published,
        "seconds": got["seconds"],
        "rows_per_s": accepted / got["seconds"],
        "peak_rss_mb": got["peak_rss_mb"],
        "cities": got["cities"],
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    meta_path.write_text(json.dumps(meta, indent=2) + "\n")
    return BenchData(size, data_dir, scale, {**meta, "reused": False})
