"""Ingest throughput (issue 3): a synthetic CAD export through ``crisis-dashboard ingest``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.common import MB, peak_rss_mb, replace_block, rss_mb, run_in_fresh_process
from dashboard.contract.cities import load_cities
from dashboard.settings import Settings

#: The ingest section of RESULTS.md (rewritten by this step, kept by the others).
INGEST_START, INGEST_END = "<!-- ingest:start -->", "<!-- ingest:end -->"


def _ingest_run(data_dir: str, geo_dir: str, rows: int, seed: int) -> dict[str, Any]:
    """In a fresh process: export ~``rows`` Denver calls with identifiers, then ingest them."""
    import tempfile

    from dashboard.contract.cities import city_config_path
    from dashboard.ingest.pipeline import ingest
    from dashboard.sample.generator import generate
    from dashboard.sample.raw_export import write_raw_export

    settings = Settings(data_dir=Path(data_dir), geo_dir=Path(geo_dir))
    city = load_cities(settings.cities_dir)["denver"]
    scale = rows / 145_000  # Denver's calls at scale 1.0
    frame = generate({"denver": city}, seed=seed, scale=scale, geo_dir=settings.geo_dir)["denver"]
    with tempfile.TemporaryDirectory(prefix="crisis-bench-ingest-") as tmp:
        raw = write_raw_export(frame, Path(tmp) / "export.csv", np.random.default_rng(seed))
        del frame
        rss_before = rss_mb()
        t0 = time.perf_counter()
        result = ingest(
            raw,
            city_config_path(settings.cities_dir, "denver"),
            Path(tmp) / "releases",
            geo_dir=settings.geo_dir,
            k=settings.privacy_k,
            synthetic=True,
            salt="bench",
        )
        seconds = time.perf_counter() - t0
        return {
            "rows_read": result.tally.read,
            "accepted": result.tally.accepted,
            "rejected": result.tally.rejected,
            "bytes": raw.stat().st_size,
            "seconds": seconds,
            "rows_per_s": result.tally.read / seconds,
            "rss_before_mb": rss_before,
            "peak_rss_mb": peak_rss_mb(),
        }


def run_ingest_bench(settings: Settings, rows: int = 1_000_000, seed: int = 7) -> dict[str, Any]:
    return run_in_fresh_process(_ingest_run, str(settings.data_dir), str(settings.geo_dir), rows, seed)


def render_ingest(r: dict[str, Any]) -> str:
    return "\n".join(
        [
            INGEST_START,
            "## Ingest throughput (`crisis-dashboard ingest`, synthetic Denver CAD export)",
            "",
            "| figure | value |",
            "|---|---|",
            f"| rows read (accepted + rejected) | {r['rows_read']:,} "
            f"({r['accepted']:,} + {r['rejected']:,}) |",
            f"| export size (CSV with identifiers) | {r['bytes'] / MB:,.0f} MB |",
            f"| wall time, parse + map + spatial join + repeat contacts + release + validate | "
            f"{r['seconds']:.1f} s |",
            f"| throughput | {r['rows_per_s']:,.0f} rows/s |",
            f"| peak resident memory of the ingest process | {r['peak_rss_mb']:,.0f} MB "
            f"(before ingest: {r['rss_before_mb']:,.0f} MB, the generator's leftovers) |",
            INGEST_END,
            "",
        ]
    )


def update_ingest_section(out: Path, r: dict[str, Any]) -> None:
    """Replace (or append) the ingest block of RESULTS.md, leaving the rest untouched."""
    replace_block(out, INGEST_START, INGEST_END, render_ingest(r))
