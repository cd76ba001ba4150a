"""One size end to end, and the command line."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.baselines import BASELINES
from benchmarks.common import WARMUP, WORK_DIR, cpu_of_others, cpu_snapshot, run_in_fresh_process
from benchmarks.data import prepare_data
from benchmarks.downloads import (
    DOWNLOADS_END,
    DOWNLOADS_START,
    render_downloads,
    run_downloads_bench,
    update_downloads_section,
)
from benchmarks.ingest import INGEST_END, INGEST_START, run_ingest_bench, update_ingest_section
from benchmarks.load.run import LOAD_END, LOAD_START
from benchmarks.report import (
    LIGHTHOUSE_END,
    LIGHTHOUSE_START,
    existing_notes,
    keep_block,
    machine_info,
    render_results,
    target_rows,
)
from benchmarks.server import run_server_bench
from benchmarks.timing import compare_results, run_baseline_bench, run_query_bench
from benchmarks.views import ALL_VIEWS, make_filters
from dashboard.engine.store import Store
from dashboard.settings import REPO_ROOT, Settings


def _strip_results(run: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in run.items() if k != "results"}


def bench_size(
    size: int,
    settings: Settings,
    *,
    repeat: int,
    regenerate: bool,
    server: bool,
    log: Callable[[str], None] = print,
) -> dict[str, Any]:
    log(f"[{size:,}] data: preparing under {WORK_DIR / str(size)}")
    interference: dict[str, dict[str, float]] = {}
    cpu = cpu_snapshot()
    data = prepare_data(size, settings, regenerate=regenerate)
    if not data.info["reused"]:
        interference["data generation"] = cpu_of_others(cpu)
    verb = "reused" if data.info["reused"] else "generated"
    log(
        f"[{size:,}] data: {verb} {data.info['published']:,} published rows (scale {data.scale:.3f}, "
        f"{data.info['seconds']:.1f} s, {data.info['rows_per_s']:,.0f} rows/s)"
    )
    catalogs = Store(Settings(data_dir=data.data_dir, cache_entries=0)).catalogs()
    filters = make_filters(catalogs, repeat)

    log(f"[{size:,}] queries: {repeat} filter changes (+{WARMUP} warm-up), each from a cold cache")
    cpu = cpu_snapshot()
    cube = run_in_fresh_process(run_query_bench, data.data_dir, filters)
    interference["queries"] = cpu_of_others(cpu)
    log(
        f"[{size:,}] queries: Overview p50 {cube['overview']['p50']:.1f} ms, "
        f"p95 {cube['overview']['p95']:.1f} ms"
    )
    baselines: dict[str, dict[str, Any]] = {}
    agreement: dict[str, dict[str, Any]] = {}
    for kind in BASELINES:
        log(f"[{size:,}] baseline {kind}: same filters")
        cpu = cpu_snapshot()
        run = run_in_fresh_process(run_baseline_bench, data.data_dir, filters, kind)
        interference[f"baseline {kind}"] = cpu_of_others(cpu)
        log(
            f"[{size:,}] {kind}: Overview p50 {run['overview']['p50']:.1f} ms, "
            f"p95 {run['overview']['p95']:.1f} ms"
        )
        problems = compare_results(cube["results"], run["results"], filters)
        checked = len(filters) * len(ALL_VIEWS)
        log(f"[{size:,}] agreement with {kind}: {checked - len(problems)} of {checked} views identical")
        baselines[kind] = _strip_results(run)
        agreement[kind] = {"checked": checked, "problems": problems[:20], "mismatches": len(problems)}

    result: dict[str, Any] = {
        "size": size,
        "data": {k: v for k, v in data.info.items()},
        "repeat": repeat,
        "filters_sample": [f.to_query_string() for f in filters[:5]],
        "queries": _strip_results(cube),
        "baselines": baselines,
        "agreement": agreement,
        "interference": interference,
    }
    if server:
        log(f"[{size:,}] server: gunicorn -w 1 dashboard.app:server")
        try:
            result["server"] = run_server_bench(data, filters, catalogs)
            # only the replay: Chromium's orphaned helpers would count as "other" otherwise
            interference["server replay"] = result["server"]["replay"]["interference"]
            s = result["server"]
            log(
                f"[{size:,}] server: filter change p95 {s['replay']['filter_change']['p95']:.1f} ms, "
                f"worker peak {s['memory']['peak_rss_mb']:.0f} MB, first view "
                f"{s['first_view']['wire_bytes'] / 1000:.0f} kB"
            )
        except Exception as exc:  # noqa: BLE001 - record why, keep the other figures
            result["server"] = {"error": f"{type(exc).__name__}: {exc}"}
            log(f"[{size:,}] server: FAILED {exc}")
    (data.data_dir / "results.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


def downloads_step(out: Path, machine: dict[str, Any]) -> None:
    """Measure the rows download beside Datasette and rewrite its block of ``out``."""
    results = run_downloads_bench()
    cpu = machine["cpu"] or "this machine"
    where = f"{machine['nproc']} cores ({cpu}), {machine['ram_gib']:.0f} GiB"
    update_downloads_section(out, render_downloads(results, machine["commit"], where))


def main(args: argparse.Namespace, settings: Settings) -> int:
    out = Path(args.out)
    machine = machine_info()
    if getattr(args, "downloads_only", False):
        downloads_step(out, machine)
        print(f"wrote {out}")
        return 0
    sizes: list[int] = list(args.sizes)
    repeat: int = int(args.repeat)
    regenerate = bool(getattr(args, "regenerate", False)) or os.environ.get("CRISIS_BENCH_REGENERATE") == "1"
    server = not (getattr(args, "no_server", False) or os.environ.get("CRISIS_BENCH_NO_SERVER") == "1")
    command = "crisis-dashboard bench --sizes " + " ".join(str(s) for s in sizes) + f" --repeat {repeat}"
    results = [
        bench_size(size, settings, repeat=repeat, regenerate=regenerate, server=server) for size in sizes
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    previous_ingest = out.read_text() if out.exists() else ""
    out.write_text(render_results(results, machine, command, existing_notes(out)))
    if getattr(args, "skip_ingest", False) and INGEST_START in previous_ingest:
        a = previous_ingest.index(INGEST_START)
        b = previous_ingest.index(INGEST_END) + len(INGEST_END)
        out.write_text(out.read_text().rstrip("\n") + "\n\n" + previous_ingest[a:b] + "\n")
    elif not getattr(args, "skip_ingest", False):
        print("ingest: 1M-row synthetic export through crisis-dashboard ingest")
        update_ingest_section(out, run_ingest_bench(settings))
    keep_block(out, previous_ingest, LIGHTHOUSE_START, LIGHTHOUSE_END)
    keep_block(out, previous_ingest, LOAD_START, LOAD_END)  # python -m benchmarks.load writes it
    if getattr(args, "skip_downloads", False):
        keep_block(out, previous_ingest, DOWNLOADS_START, DOWNLOADS_END)
    else:
        print("downloads: /api/v1/calls.csv beside Datasette")
        downloads_step(out, machine)
    print(f"wrote {out}")
    failed = [row for r in results if r["size"] >= 10_000_000 for row in target_rows(r) if row[3] is False]
    for name, budget, measured, _ in failed:
        print(f"target missed at 10M: {name}: {measured} (budget {budget})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The benchmark: the performance budgets, measured (benchmarks/README.md).",
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--repeat", type=int, default=50, help="filter changes timed per query")
    parser.add_argument("--out", default=str(REPO_ROOT / "benchmarks" / "RESULTS.md"))
    parser.add_argument("--regenerate", action="store_true", help="regenerate the bench releases")
    parser.add_argument("--no-server", action="store_true", help="skip the gunicorn/Chromium step")
    parser.add_argument("--skip-ingest", action="store_true", help="keep the last ingest throughput figures")
    parser.add_argument("--skip-downloads", action="store_true", help="keep the last download figures")
    parser.add_argument("--downloads-only", action="store_true",
                        help="only the rows download beside Datasette (rewrites its block of --out)")
    return parser
