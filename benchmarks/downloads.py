"""The rows download (issue 18): ``/api/v1/calls.csv`` for a whole release, beside Datasette.

For each release measured (the shipped Denver sample, and the 1M and 10M benchmark
releases when present), Denver's whole period is downloaded from ``gunicorn -w 1
dashboard.app:server`` three times: rows/s, time to first byte, and the worker's resident
memory while it streams (sampled every 20 ms; its peak over the download, against its
memory before). The same rows (the release's ``calls.parquet``, Denver) are then loaded
into SQLite and served by Datasette 0.65 (``datasette serve``, one process), whose
streamed CSV of the table (``?_stream=on``) is timed the same way, in the same run.
Datasette is what a competent analyst would put up to publish a table as CSV; it is
installed by ``make bench`` (the ``bench`` extra), never needed to serve or test.

Both answers are read to the end by the same client (``requests``, 1 MB chunks); rows
are the body's lines minus the header. Figures go to the downloads section of
``benchmarks/RESULTS.md`` (``DOWNLOADS_START``/``DOWNLOADS_END``), which the other steps keep.
"""

from __future__ import annotations

import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psutil
import pyarrow.parquet as pq

from benchmarks.common import MB, WORK_DIR, replace_block
from benchmarks.server import _free_port, running_server
from dashboard.contract.releases import current_release_dir
from dashboard.engine.store import Store
from dashboard.settings import REPO_ROOT, Settings

DOWNLOADS_START, DOWNLOADS_END = "<!-- downloads:start -->", "<!-- downloads:end -->"
RUNS = 3
CITY = "denver"
CHUNK = 1 << 20


def _fetch(url: str, memory_of: Callable[[], float] | None = None) -> dict[str, float]:
    """One GET read to the end: seconds, seconds to the first body byte, bytes, rows, and
    the peak of ``memory_of()`` (MB) sampled while it runs."""
    import requests

    peak = [memory_of() if memory_of else 0.0]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], memory_of())
            time.sleep(0.02)

    sampler = threading.Thread(target=sample, daemon=True) if memory_of else None
    if sampler:
        sampler.start()
    t0 = time.perf_counter()
    first = None
    size = lines = 0
    try:
        with requests.get(url, stream=True, timeout=600, headers={"Accept-Encoding": "identity"}) as answer:
            answer.raise_for_status()
            for chunk in answer.iter_content(CHUNK):
                if first is None:
                    first = time.perf_counter() - t0
                size += len(chunk)
                lines += chunk.count(b"\n")
    finally:
        done.set()
        if sampler:
            sampler.join()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "ttfb": first or seconds, "bytes": size, "rows": lines - 1,
            "peak_mb": peak[0]}


def _worker_rss(master: psutil.Process) -> Callable[[], float]:
    def rss() -> float:
        procs = [p for w in master.children() for p in [w, *w.children(recursive=True)]]
        return sum(p.memory_info().rss for p in procs) / MB
    return rss


def _median(runs: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in runs) for key in runs[0]}


def _ours(data_dir: Path) -> dict[str, Any]:
    catalog = Store(Settings(data_dir=data_dir, cache_entries=0)).catalogs()[CITY]
    last = _last_day(catalog.last_month)
    query = f"city={CITY}&start={catalog.first_month.isoformat()}&end={last.isoformat()}"
    with tempfile.TemporaryDirectory(prefix="crisis-bench-log-") as logs, \
            running_server(data_dir, log_dir=Path(logs)) as (base, proc, _ready):
        master = psutil.Process(proc.pid)
        rss = _worker_rss(master)
        # One month first: the worker opens its store (the release's tables), so "before"
        # is a serving worker and the peak above it is the download's alone.
        month = catalog.last_month.isoformat()
        _fetch(f"{base}/api/v1/calls.csv?city={CITY}&start={month}&end={_last_day(catalog.last_month)}")
        before = rss()
        runs = [_fetch(f"{base}/api/v1/calls.csv?{query}", rss) for _ in range(RUNS)]
    out = _median(runs)
    out["rss_before_mb"] = before
    out["runs_s"] = [r["seconds"] for r in runs]
    return out


def _last_day(month: Any) -> Any:
    import calendar

    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def _datasette(data_dir: Path) -> dict[str, Any]:
    """The same rows in SQLite behind ``datasette serve`` (one process), streamed as CSV."""
    release = current_release_dir(Settings(data_dir=data_dir).releases_dir, CITY)
    with tempfile.TemporaryDirectory(prefix="crisis-bench-datasette-") as tmp:
        db = Path(tmp) / "release.db"
        rows = _to_sqlite(release / "calls.parquet", db)
        port = _free_port()
        datasette = Path(sys.executable).parent / "datasette"
        proc = subprocess.Popen([str(datasette), "serve", str(db), "-h", "127.0.0.1", "-p", str(port),
                                 "--setting", "sql_time_limit_ms", "600000",
                                 "--setting", "max_csv_mb", "0"],  # its default stops at 100 MB
                                cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base, proc)
            server = psutil.Process(proc.pid)

            def rss() -> float:
                return server.memory_info().rss / MB

            before = rss()
            runs = [_fetch(f"{base}/release/calls.csv?_stream=on&_size=max", rss) for _ in range(RUNS)]
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    out = _median(runs)
    out["rss_before_mb"] = before
    out["runs_s"] = [r["seconds"] for r in runs]
    out["loaded_rows"] = rows
    return out


def _wait(base: str, proc: subprocess.Popen) -> None:
    import requests

    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 120:
        if proc.poll() is not None:
            raise RuntimeError(f"datasette exited with {proc.returncode}")
        try:
            if requests.get(base + "/-/versions.json", timeout=10).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError("datasette not ready after 120 s")


def _to_sqlite(parquet: Path, db: Path) -> int:
    """The city's rows as one SQLite table ``calls`` (same columns, in release order)."""
    source = pq.ParquetFile(parquet)
    names = source.schema_arrow.names
    con = sqlite3.connect(db)
    con.execute(f"CREATE TABLE calls ({', '.join(names)})")
    total = 0
    insert = f"INSERT INTO calls VALUES ({', '.join('?' * len(names))})"
    for batch in source.iter_batches(batch_size=200_000):
        city = batch.filter(batch.column(names.index("jurisdiction")).to_numpy(zero_copy_only=False) == CITY)
        rows = list(zip(*(c.to_pylist() for c in city.columns), strict=True))
        con.executemany(insert, rows)
        total += len(rows)
    con.commit()
    con.close()
    return total


def releases_to_measure() -> list[tuple[str, Path]]:
    """(label, data dir): the shipped sample, then the benchmark releases already built."""
    out = [("shipped sample", REPO_ROOT / "data")]
    for size in (1_000_000, 10_000_000):
        data_dir = WORK_DIR / str(size)
        if (data_dir / "releases" / CITY / "CURRENT").is_file():
            out.append((f"{size // 1_000_000}M-call benchmark", data_dir))
    return out


def run_downloads_bench(log: Callable[[str], None] = print) -> list[dict[str, Any]]:
    results = []
    for label, data_dir in releases_to_measure():
        log(f"downloads [{label}]: /api/v1/calls.csv, {RUNS} runs")
        ours = _ours(data_dir)
        log(f"downloads [{label}]: {ours['rows']:,.0f} rows in {ours['seconds']:.2f} s; Datasette next")
        theirs = _datasette(data_dir)
        log(f"downloads [{label}]: Datasette {theirs['rows']:,.0f} rows in {theirs['seconds']:.2f} s")
        if theirs["rows"] != ours["rows"]:
            raise RuntimeError(f"{label}: Datasette sent {theirs['rows']:,.0f} rows, "
                               f"ours {ours['rows']:,.0f}")
        results.append({"label": label, "ours": ours, "datasette": theirs})
    return results


def render_downloads(results: list[dict[str, Any]], commit: str, machine: str) -> str:
    lines = [
        DOWNLOADS_START,
        "## Rows download (`/api/v1/calls.csv`, whole period) beside Datasette 0.65",
        "",
        f"Measured at commit `{commit}` on {machine}; `python -m benchmarks --downloads-only` "
        "(also run by `make bench`). Median of 3 runs each, one gunicorn worker, one Datasette "
        "process, the same Denver rows; memory is the serving process's resident set, before "
        "(ours: once one month's download has opened the release) and at its peak while "
        "streaming.",
        "",
        "| release | rows | ours: s | rows/s | first byte | worker MB before / peak "
        "| Datasette: s | rows/s | first byte | MB before / peak | ours / Datasette |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        o, d = r["ours"], r["datasette"]
        lines.append(
            f"| {r['label']} | {o['rows']:,.0f} | {o['seconds']:.2f} | {o['rows'] / o['seconds']:,.0f} "
            f"| {o['ttfb'] * 1000:.0f} ms | {o['rss_before_mb']:.0f} / {o['peak_mb']:.0f} "
            f"| {d['seconds']:.2f} | {d['rows'] / d['seconds']:,.0f} | {d['ttfb'] * 1000:.0f} ms "
            f"| {d['rss_before_mb']:.0f} / {d['peak_mb']:.0f} | {d['seconds'] / o['seconds']:.1f}x |"
        )
    lines += ["", DOWNLOADS_END, ""]
    return "\n".join(lines)


def update_downloads_section(out: Path, block: str) -> None:
    """Replace (or append) the downloads block of RESULTS.md, leaving the rest untouched."""
    replace_block(out, DOWNLOADS_START, DOWNLOADS_END, block)
