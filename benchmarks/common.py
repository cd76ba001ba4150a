"""What every benchmark step shares: where its data lives, its seeds and budgets, and how
it measures time, memory and the CPU other processes took meanwhile."""

from __future__ import annotations

import multiprocessing
import os
import re
import resource
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np
import psutil

from dashboard.settings import REPO_ROOT

#: Where generated bench data lives (gitignored).
WORK_DIR = REPO_ROOT / "benchmarks" / "work"
#: Seed of the synthetic release; seed of the list of filter changes.
DATA_SEED = 20200601
FILTER_SEED = 911
#: Filter changes run first and not timed (warm DuckDB, pandas and the server).
WARMUP = 3

#: Budgets from docs/architecture.md "Performance budgets" (the issue's targets at 10M).
TARGET_CALLBACK_P95_MS = 150.0
TARGET_SPEEDUP = 3.0
TARGET_FIRST_VIEW_BYTES = 1_000_000
TARGET_WORKER_RSS_MB = 500.0

MB = 1024 * 1024
NOTES_START = "<!-- notes:start -->"
NOTES_END = "<!-- notes:end -->"


def rss_mb(pid: int | None = None) -> float:
    return psutil.Process(pid).memory_info().rss / MB


def peak_rss_mb(pid: int | None = None) -> float:
    """Peak resident set (VmHWM) of a process; our own from getrusage as a fallback."""
    try:
        status = Path(f"/proc/{pid or os.getpid()}/status").read_text()
        match = re.search(r"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
        if match:
            return int(match.group(1)) / 1024
    except OSError:
        pass
    if pid is None:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return rss_mb(pid)


def cpu_snapshot(live: psutil.Process | None = None) -> tuple[float, float, float]:
    """(wall clock, CPU seconds the whole machine was busy, CPU seconds of this process, its
    reaped children and the ``live`` process tree): over a step, busy minus ours is what
    *other* processes used. A child still running (the gunicorn worker) is only counted
    through ``live``; ``getrusage`` sees children once they have been waited for."""
    t = psutil.cpu_times()
    busy = t.user + t.nice + t.system + getattr(t, "irq", 0.0) + getattr(t, "softirq", 0.0)
    ours = sum(
        u.ru_utime + u.ru_stime
        for u in (resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN))
    )
    if live is not None:
        for proc in [live, *live.children(recursive=True)]:
            try:
                c = proc.cpu_times()
                ours += c.user + c.system
            except psutil.Error:
                pass
    return time.monotonic(), busy, ours


def cpu_of_others(start: tuple[float, float, float], live: psutil.Process | None = None) -> dict[str, float]:
    wall, busy, ours = (b - a for a, b in zip(start, cpu_snapshot(live), strict=True))
    others = max(0.0, busy - ours)
    cpus = os.cpu_count() or 1
    return {"wall_s": wall, "others_cpu_s": others, "others_share": others / (wall * cpus) if wall else 0.0}


def summarize(seconds: Sequence[float]) -> dict[str, float]:
    """p50/p95/max in milliseconds (numpy's default linear interpolation)."""
    ms = np.asarray(seconds, dtype=float) * 1000
    if ms.size == 0:
        return {"n": 0, "p50": float("nan"), "p95": float("nan"), "max": float("nan")}
    return {
        "n": int(ms.size),
        "p50": float(np.percentile(ms, 50)),
        "p95": float(np.percentile(ms, 95)),
        "max": float(ms.max()),
    }


def run_in_fresh_process(func: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``func`` in a spawned interpreter: its RSS figures start from a clean process."""
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn")) as pool:
        return pool.submit(func, *args).result()


def replace_block(out: Path, start: str, end: str, block: str) -> None:
    """Replace (or append) the ``start``..``end`` block of RESULTS.md with ``block``,
    leaving the rest untouched: each step rewrites only its own figures."""
    text = out.read_text() if out.exists() else ""
    if start in text and end in text:
        a, b = text.index(start), text.index(end) + len(end)
        text = text[:a] + block.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + block
    out.write_text(text)


def save_results(name: str, raw: object, out: Path, start: str, end: str,
                 render: Callable[[str], str]) -> None:
    """Raw figures to ``benchmarks/work/<name>.json``; ``render(commit)`` (the short hash of
    the checkout measured) into RESULTS.md's ``start``..``end`` block."""
    import json
    import subprocess

    from dashboard.settings import REPO_ROOT

    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=REPO_ROOT).stdout.strip()
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    (WORK_DIR / f"{name}.json").write_text(json.dumps(raw, indent=2))
    replace_block(out, start, end, render(commit))
