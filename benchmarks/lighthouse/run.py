"""Lighthouse on the Overview's first view, served the way production serves it.

Starts the Procfile's ``web`` command (gunicorn, its default worker count) on a free
loopback port, warms it, then runs Lighthouse (npm package pinned in package.json,
Debian's Chromium) for each page and preset ``--runs`` times, and keeps the run with the
median performance score (Lighthouse's own advice for variance). Prints a Markdown table
and, unless ``--no-write``, replaces the generated table inside the Lighthouse section
of benchmarks/RESULTS.md (the hand-written notes around it stay). The JSON reports and
a summary go to benchmarks/work/lighthouse/<stamp>/ (git-ignored).

Performance scores depend on CPU load: the 1-minute load average is recorded before
every run. Stdlib only, so any Python 3.10+ with the project's venv for gunicorn works.
"""

# ruff: noqa: T201, S603, S607 - a command-line benchmark that prints and runs its tools

from __future__ import annotations

import argparse
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
RESULTS = ROOT / "benchmarks" / "RESULTS.md"
WORK = ROOT / "benchmarks" / "work" / "lighthouse"
LIGHTHOUSE = HERE / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu"
CATEGORIES = ("performance", "accessibility", "best-practices")
TABLE_START, TABLE_END = "<!-- lighthouse-table:start -->", "<!-- lighthouse-table:end -->"
SECTION_START, SECTION_END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"
PRESETS = ("mobile", "desktop")


def default_pages() -> list[str]:
    """Issue 18's pages, each in English and Spanish."""
    return [f"{path}{sep}" for path in ("/", "/district/3", "/outcomes", "/data")
            for sep in ("", "?lang=es")]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def procfile_command() -> str:
    """The Procfile's web command, bound to loopback instead of every interface."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    command = line.split(":", 1)[1].strip()
    return command.replace("0.0.0.0:", "127.0.0.1:")


def get(url: str, timeout: float = 30) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - loopback only
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def start_server(log_path: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    venv_bin = Path(sys.executable).parent
    env = {**os.environ, "PORT": str(port), "PATH": f"{venv_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    command = procfile_command()
    log = log_path.open("w")
    proc = subprocess.Popen(
        ["bash", "-c", "exec " + command], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    t0 = time.time()
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"gunicorn exited with {proc.returncode}; see {log_path}")
        try:
            if get(base + "/", timeout=5)[0] == 200:
                break
        except OSError:
            pass
        if time.time() - t0 > 180:
            stop_server(proc)
            raise SystemExit(f"server not ready after 180 s; see {log_path}")
        time.sleep(0.3)
    print(f"server: {command}  (PORT={port}; ready in {time.time() - t0:.1f} s)", flush=True)
    return proc, base


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def warm_urls(base: str, pages: list[str]) -> None:
    """Every script and style each page names, a few times (each worker warms its own)."""
    for page in pages:
        status, body = get(base + page)
        html = body.decode("utf-8", "replace")
        urls = ["/_dash-layout", "/_dash-dependencies"]
        urls += re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
        for _ in range(3):
            for url in urls:
                get(url if url.startswith("http") else base + url)


def lighthouse(url: str, preset: str, out: Path) -> dict:
    cmd = [
        str(LIGHTHOUSE), url,
        "--output=json", f"--output-path={out}",
        f"--chrome-flags={CHROME_FLAGS}",
        f"--only-categories={','.join(CATEGORIES)}",
        "--quiet",
    ]
    if preset == "desktop":
        cmd.append("--preset=desktop")
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    for attempt in range(3):  # Lighthouse 12 with Chromium 156 now and then fails to start a run
        done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
        if done.returncode == 0:
            return json.loads(out.read_text())
        why = done.stderr.decode()[-300:].strip()
        print(f"  lighthouse failed (attempt {attempt + 1}): {why}", flush=True)
    raise SystemExit(f"lighthouse failed 3 times on {url} ({preset})")


def summarize(report: dict, load: float) -> dict:
    audits = report["audits"]
    cats = report["categories"]

    def num(audit: str) -> float | None:
        return audits.get(audit, {}).get("numericValue")

    def failing(category: str) -> list[str]:
        refs = cats[category]["auditRefs"]
        return sorted(
            r["id"] for r in refs
            if r.get("weight", 0) > 0
            and audits[r["id"]].get("score") is not None
            and audits[r["id"]]["score"] < 1
        )

    return {
        "load1": load,
        "scores": {
            c: None if cats[c]["score"] is None else round(100 * cats[c]["score"]) for c in CATEGORIES
        },
        "fcp_ms": num("first-contentful-paint"),
        "lcp_ms": num("largest-contentful-paint"),
        "tbt_ms": num("total-blocking-time"),
        "cls": num("cumulative-layout-shift"),
        "si_ms": num("speed-index"),
        "bytes": num("total-byte-weight"),
        "failing": {c: failing(c) for c in ("accessibility", "best-practices")},
        "runtime_error": (report.get("runtimeError") or {}).get("code"),
        "lighthouse": report.get("lighthouseVersion"),
        "chrome": report.get("environment", {}).get("hostUserAgent", ""),
    }


def median_run(runs: list[dict]) -> dict:
    ordered = sorted(runs, key=lambda r: (r["scores"]["performance"] or 0))
    return ordered[(len(ordered) - 1) // 2]


def chromium_version() -> str:
    chrome = os.environ.get("CHROME_PATH", "/usr/bin/chromium")
    try:
        done = subprocess.run([chrome, "--version"], capture_output=True, text=True, timeout=30)
        return done.stdout.strip()
    except OSError:
        return "unknown"


def render(rows: list[dict], meta: dict) -> str:
    lines = [
        TABLE_START,
        f"Generated by `benchmarks/lighthouse/run.sh` ({meta['label']}): {meta['date']}, {meta['machine']}, "
        f"{meta['chromium']}, Lighthouse {meta['lighthouse']}, server `{meta['server']}`; "
        f"{meta['runs']} run(s) per page and preset, the run with the median performance score shown; "
        f"load average (1 min) before each run in the last column.",
        "",
        "| page | preset | perf (runs) | a11y | best practices | FCP | LCP | TBT | CLS | transfer "
        "| load avg |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        m = row["median"]
        s = m["scores"]
        perf_runs = ", ".join(str(r["scores"]["performance"]) for r in row["runs"])
        loads = ", ".join(f"{r['load1']:.1f}" for r in row["runs"])
        lines.append(
            f"| `{row['page']}` | {row['preset']} | **{s['performance']}** ({perf_runs}) "
            f"| {s['accessibility']} "
            f"| {s['best-practices']} | {m['fcp_ms'] / 1000:.2f} s | {m['lcp_ms'] / 1000:.2f} s "
            f"| {m['tbt_ms']:.0f} ms | {m['cls']:.3f} | {m['bytes'] / 1024:.0f} KiB | {loads} |"
        )
    fails = sorted(
        {(row["page"], c, a) for row in rows for c, ids in row["median"]["failing"].items() for a in ids}
    )
    if fails:
        listed = "; ".join(f"`{p}` {c}: `{a}`" for p, c, a in fails)
        lines += ["", f"Audits failing in the median runs: {listed}."]
    lines.append(TABLE_END)
    return "\n".join(lines)


def write_results(block: str) -> None:
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    if TABLE_START in text and TABLE_END in text:
        a, b = text.index(TABLE_START), text.index(TABLE_END) + len(TABLE_END)
        text = text[:a] + block + text[b:]
    else:
        text = (
            text.rstrip("\n") + "\n\n" + SECTION_START + "\n## Lighthouse (Overview, first view)\n\n"
            + block + "\n" + SECTION_END + "\n"
        )
    RESULTS.write_text(text)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="Lighthouse runs per page and preset")
    parser.add_argument("--pages", nargs="+", default=None,
                        help="paths (default: issue 18 pages, English and Spanish)")
    parser.add_argument("--presets", nargs="+", choices=PRESETS, default=list(PRESETS))
    parser.add_argument("--label", default="final", help="a name for this measurement (kept in the output)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--base", default=None, help="measure an already running server instead")
    args = parser.parse_args(argv)
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"{LIGHTHOUSE} missing: run benchmarks/lighthouse/run.sh (it runs npm ci)")
    pages = args.pages or default_pages()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    work = WORK / f"{stamp}-{re.sub(r'[^A-Za-z0-9]+', '-', args.label).strip('-')}"
    work.mkdir(parents=True, exist_ok=True)
    proc = None
    base = args.base
    if base is None:
        proc, base = start_server(work / "gunicorn.log")
    rows: list[dict] = []
    try:
        warm_urls(base, pages)
        for page in pages:  # one discarded run per page: data caches, both workers' first renders
            lighthouse(base + page, "desktop", work / "warmup.json")
        for preset in args.presets:
            for page in pages:
                runs = []
                for i in range(args.runs):
                    load = os.getloadavg()[0]
                    slug = re.sub(r"[^A-Za-z0-9]+", "_", page).strip("_") or "root"
                    report = lighthouse(base + page, preset, work / f"{preset}-{slug}-{i}.json")
                    runs.append(summarize(report, load))
                    s = runs[-1]
                    print(
                        f"  {preset:7} {page:12} run {i + 1}: perf {s['scores']['performance']} "
                        f"a11y {s['scores']['accessibility']} bp {s['scores']['best-practices']} "
                        f"FCP {s['fcp_ms']:.0f} LCP {s['lcp_ms']:.0f} TBT {s['tbt_ms']:.0f} "
                        f"CLS {s['cls']:.3f} "
                        f"{s['bytes'] / 1024:.0f} KiB (load {load:.2f})"
                        + (f" ERROR {s['runtime_error']}" if s["runtime_error"] else ""),
                        flush=True,
                    )
                rows.append({"page": page, "preset": preset, "runs": runs, "median": median_run(runs)})
    finally:
        if proc is not None:
            stop_server(proc)
    meta = {
        "label": args.label,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{os.cpu_count()} CPUs",
        "chromium": chromium_version(),
        "lighthouse": rows[0]["median"]["lighthouse"] if rows else "?",
        "server": procfile_command() if proc else base,
        "runs": args.runs,
    }
    (work / "summary.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=2))
    block = render(rows, meta)
    print()
    print(block)
    if not args.no_write:
        write_results(block)
        print(f"\nwrote {RESULTS.relative_to(ROOT)}; reports in {work.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
