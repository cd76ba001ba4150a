"""What the reader's first touch costs on a phone, now that Dash starts on demand.

Lighthouse scores the page as it loads; since issue 18, Dash's scripts start when a chart
nears the screen or the reader touches, types or moves the mouse
(``assets/dash-on-demand.js``), so their cost falls after the load, on that first
interaction, where Lighthouse's navigation report does not look. This measures it: the
Procfile's gunicorn on loopback, Debian's Chromium through Playwright at Lighthouse's
phone size (412 x 823) with DevTools throttling close to Lighthouse's mobile preset
(4x CPU slowdown; 150 ms round trip, 1.6 Mbit/s down, 750 kbit/s up), each page loaded
and left idle, then one tap on the middle of its heading. Reported, median of ``--runs``: the time from
the tap until the live page has replaced the first view (charts drawn), the main
thread's blocking time over that span (the sum of long tasks beyond 50 ms, Lighthouse's
TBT rule) and its longest task. A benchmark, not a test; prints a Markdown table.

    benchmarks/lighthouse/interaction.py [--runs 3] [--pages / /district/3 ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from benchmarks.chromium import launch_browser  # noqa: E402
from benchmarks.lighthouse.run import default_pages, start_server, stop_server, warm_urls  # noqa: E402

PHONE = {"width": 412, "height": 823}
NETWORK = {"offline": False, "latency": 150, "downloadThroughput": 1.6e6 / 8, "uploadThroughput": 750e3 / 8}
CPU_SLOWDOWN = 4

#: Long tasks from now on, kept in window.__long.
WATCH_LONG_TASKS = """() => {
  window.__long = [];
  new PerformanceObserver((list) => list.getEntries().forEach((e) => window.__long.push(e.duration)))
    .observe({type: 'longtask'});
}"""
LIVE = """() => !document.getElementById('first-view')"""


def measure(browser: object, url: str) -> dict[str, float]:
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True, device_scale_factor=1)
    try:
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", NETWORK)
        cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        page.goto(url, wait_until="load", timeout=120_000)
        page.wait_for_load_state("networkidle", timeout=120_000)
        page.evaluate(WATCH_LONG_TASKS)
        box = page.locator("main h1").bounding_box()
        t0 = page.evaluate("() => performance.now()")
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_function(LIVE, timeout=120_000, polling=50)
        t1 = page.evaluate("() => performance.now()")
        page.wait_for_timeout(500)  # the long task that ended the swap is reported after it
        tasks = page.evaluate("() => window.__long")
        if tasks is None:  # the page was replaced by another load: the tap did not start Dash
            raise SystemExit(f"{url}: the tap reloaded the page ({page.url})")
    finally:
        context.close()
    return {"live_ms": t1 - t0, "blocking_ms": sum(max(0.0, d - 50) for d in tasks),
            "longest_ms": max(tasks, default=0.0)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--pages", nargs="+", default=None)
    args = parser.parse_args(argv)
    pages = args.pages or default_pages()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="crisis-interaction-") as work:
        proc, base = start_server(Path(work) / "gunicorn.log")
        try:
            warm_urls(base, pages)
            rows = []
            with sync_playwright() as pw:
                browser = launch_browser(pw)
                try:
                    for path in pages:
                        runs = [measure(browser, base + path) for _ in range(args.runs)]
                        row = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
                        each = ", ".join(str(round(r["live_ms"])) for r in runs)
                        print(f"  {path:<22} tap -> live {row['live_ms']:.0f} ms, blocking "
                              f"{row['blocking_ms']:.0f} ms, longest task {row['longest_ms']:.0f} ms "
                              f"(runs: {each})", flush=True)
                        rows.append((path, row))
                finally:
                    browser.close()
        finally:
            stop_server(proc)
    print("\n| page | tap to live page | main thread blocked (TBT rule) | longest task |")
    print("|---|---:|---:|---:|")
    for path, row in rows:
        print(f"| `{path}` | {row['live_ms'] / 1000:.2f} s | {row['blocking_ms']:.0f} ms "
              f"| {row['longest_ms']:.0f} ms |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
