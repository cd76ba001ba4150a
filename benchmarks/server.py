"""Step 4: the real server (gunicorn), a filter change captured in Chromium and replayed."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np
import psutil

from benchmarks.chromium import launch_browser
from benchmarks.common import WARMUP, cpu_of_others, cpu_snapshot, peak_rss_mb, rss_mb, summarize
from benchmarks.data import BenchData
from dashboard import ids
from dashboard.params.filters import Catalog, Filters
from dashboard.settings import REPO_ROOT, Settings

UPDATE_PATH = "/_dash-update-component"
#: Present once the page has drawn its monthly chart (plotly's SVG root).
RENDERED_SELECTOR = f"#{ids.OVERVIEW_TREND_GRAPH} .main-svg"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def running_server(
    data_dir: Path, *, cache_entries: int = Settings().cache_entries, ready_timeout: float = 180.0,
    log_dir: Path | None = None, env_extra: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen, float]]:
    """``gunicorn -w 1 dashboard.app:server`` on a free local port, warmed; yields
    (base url, the master process, seconds until it answered ``/``). Its log goes to
    ``log_dir`` (default: ``data_dir``) as ``gunicorn.log``."""
    import requests

    port = _free_port()
    env = {
        **os.environ,
        "CRISIS_DATA_DIR": str(data_dir),
        "CRISIS_CACHE_ENTRIES": str(cache_entries),
        "PORT": str(port),
        **(env_extra or {}),
    }
    gunicorn = Path(sys.executable).parent / "gunicorn"
    log = ((log_dir or data_dir) / "gunicorn.log").open("w")
    cmd = [str(gunicorn), "-w", "1", "-b", f"127.0.0.1:{port}", "--timeout", "300", "dashboard.app:server"]
    proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        t0 = time.perf_counter()
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {proc.returncode}; see {log.name}")
            try:
                if requests.get(base + "/", timeout=30).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.perf_counter() - t0 > ready_timeout:
                raise RuntimeError(f"server not ready after {ready_timeout:.0f} s")
            time.sleep(0.2)
        ready_s = time.perf_counter() - t0
        _warm(base)
        yield base, proc, ready_s
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def _warm(base: str) -> None:
    """Fetch the page and each script and style it names until all answer 200: a fresh
    worker can answer 500 for Dash's own scripts (dash issue #3971)."""
    import requests

    html = requests.get(base + "/", timeout=30).text
    urls = ["/", "/_dash-layout", "/_dash-dependencies"]
    urls += re.findall(r'<script[^>]+src="([^"]+)"', html) + re.findall(r'<link[^>]+href="([^"]+)"', html)
    for url in urls:
        full = url if url.startswith("http") else base + url
        for _ in range(5):
            if requests.get(full, timeout=30).status_code == 200:
                break
            time.sleep(0.2)


def _worker_memory(master: psutil.Process) -> dict[str, float]:
    """Resident memory of the gunicorn worker(s) (children of the master, with their own
    children): current and peak (VmHWM), in MB; the master's own too."""
    workers = master.children(recursive=False)
    current = peak = 0.0
    for worker in workers:
        for proc in [worker, *worker.children(recursive=True)]:
            current += rss_mb(proc.pid)
            peak += peak_rss_mb(proc.pid)
    return {
        "workers": len(workers),
        "rss_mb": current,
        "peak_rss_mb": peak,
        "master_rss_mb": rss_mb(master.pid),
    }


def first_view_bytes(base: str) -> dict[str, Any]:
    """A fresh load of ``/`` (new profile, cache disabled) until the network is idle:
    bytes on the wire (Chromium's encodedDataLength: headers + body as sent, i.e.
    compressed) and decoded body bytes, per resource type, plus the largest responses."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    responses: dict[str, dict[str, Any]] = {}
    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            context = browser.new_context()
            page = context.new_page()
            cdp = context.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})

            def on_response(event: dict[str, Any]) -> None:
                headers = {k.lower(): v for k, v in event["response"].get("headers", {}).items()}
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0}).update(
                    url=event["response"]["url"],
                    type=event.get("type", "Other"),
                    status=event["response"]["status"],
                    encoding=headers.get("content-encoding", ""),
                )

            def on_data(event: dict[str, Any]) -> None:
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0})["decoded"] += event[
                    "dataLength"
                ]

            def on_finished(event: dict[str, Any]) -> None:
                responses.setdefault(event["requestId"], {"decoded": 0, "wire": 0})["wire"] = event[
                    "encodedDataLength"
                ]

            cdp.on("Network.responseReceived", on_response)
            cdp.on("Network.dataReceived", on_data)
            cdp.on("Network.loadingFinished", on_finished)
            t0 = time.perf_counter()
            page.goto(base + "/", wait_until="networkidle", timeout=120_000)
            # "networkidle" can come while plotly.js is still being parsed, before the
            # renderer fetches its layout: wait for the drawn chart, then for quiet.
            rendered = True
            try:
                page.wait_for_selector(RENDERED_SELECTOR, state="attached", timeout=60_000)
            except PlaywrightTimeout:
                rendered = False
            page.wait_for_load_state("networkidle")
            load_s = time.perf_counter() - t0
            page.wait_for_timeout(1000)  # let the last DevTools events arrive
            context.close()
        finally:
            browser.close()
    done = [r for r in responses.values() if "url" in r]
    by_type: dict[str, dict[str, int]] = {}
    for r in done:
        slot = by_type.setdefault(r["type"], {"requests": 0, "wire": 0, "decoded": 0})
        slot["requests"] += 1
        slot["wire"] += r["wire"]
        slot["decoded"] += r["decoded"]
    largest = sorted(done, key=lambda r: r["wire"], reverse=True)
    return {
        "requests": len(done),
        "wire_bytes": sum(r["wire"] for r in done),
        "decoded_bytes": sum(r["decoded"] for r in done),
        "compressed_responses": sum(1 for r in done if r["encoding"]),
        "load_s": load_s,
        "rendered": rendered,
        "by_type": by_type,
        "largest": [
            {k: r[k] for k in ("url", "type", "wire", "decoded", "encoding", "status")} for r in largest
        ],
        "non_200": [r["url"] for r in done if r["status"] != 200],
    }


def capture_filter_change(base: str) -> dict[str, Any]:
    """Load ``/`` in Chromium, change the start month, and record every POST to
    ``/_dash-update-component`` the page makes for that one change (body and response)."""
    from playwright.sync_api import sync_playwright

    captured: list[dict[str, Any]] = []
    with sync_playwright() as p:
        browser = launch_browser(p)
        try:
            page = browser.new_page()
            page.goto(base + "/", wait_until="networkidle", timeout=120_000)
            page.wait_for_selector(f"#{ids.OVERVIEW_START}", timeout=60_000)

            def on_request(request: Any) -> None:
                if request.method == "POST" and urlsplit(request.url).path == UPDATE_PATH:
                    captured.append({"body": request.post_data_json, "request": request})

            page.on("request", on_request)
            options = page.eval_on_selector_all(
                f"#{ids.OVERVIEW_START} option:not([disabled])", "els => els.map(e => e.value)"
            )
            current = page.input_value(f"#{ids.OVERVIEW_START}")
            new = next(v for v in options if v != current)
            page.select_option(f"#{ids.OVERVIEW_START}", new)
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(1500)  # a chained callback may follow its parent
            out = []
            for item in captured:
                response = item["request"].response()
                out.append(
                    {
                        "url": item["request"].url,  # keeps Dash's signed ?endId= token
                        "body": item["body"],
                        "status": response.status if response else None,
                        "outputs": item["body"].get("output"),
                    }
                )
        finally:
            browser.close()
    if not out:
        raise RuntimeError("changing the start month made no request to " + UPDATE_PATH)
    return {"changed": {"id": ids.OVERVIEW_START, "value": new}, "requests": out}


def _control_values(f: Filters, catalog: Catalog) -> dict[str, Any]:
    """What the page's filter controls hold for ``f`` (an empty group = every box ticked)."""

    def ticked(selected: Sequence[str], options: Sequence[str]) -> list[str]:
        return list(selected) if selected else list(options)

    return {
        ids.OVERVIEW_CITY: f.city,
        ids.OVERVIEW_START: f.start.isoformat(),
        ids.OVERVIEW_END: f.end.isoformat(),
        ids.OVERVIEW_PROGRAMS: ticked([p.value for p in f.programs], [p.value for p in catalog.programs]),
        ids.OVERVIEW_DISTRICTS: ticked(list(f.districts), list(catalog.districts)),
        ids.OVERVIEW_CATEGORIES: ticked(
            [c.value for c in f.categories], [c.value for c in catalog.categories]
        ),
    }


def substitute(body: dict[str, Any], f: Filters, catalog: Catalog) -> tuple[dict[str, Any], int]:
    """A copy of a captured callback body with every filter control's value (and the
    page URL's query string) replaced by ``f``'s; also how many values were replaced."""

    values = _control_values(f, catalog)
    replaced = 0
    out = json.loads(json.dumps(body))

    def visit(item: Any) -> None:
        nonlocal replaced
        if isinstance(item, list):
            for x in item:
                visit(x)
            return
        if not isinstance(item, dict) or "id" not in item:
            return
        cid, prop = item["id"], item.get("property")
        if isinstance(cid, str) and cid in values and prop == "value":
            item["value"] = values[cid]
            replaced += 1
        elif cid == ids.OVERVIEW_URL and prop == "search":
            item["value"] = f.to_query_string()
            replaced += 1
        elif cid == ids.OVERVIEW_URL and prop == "href" and isinstance(item.get("value"), str):
            item["value"] = item["value"].split("?", 1)[0] + f.to_query_string()
            replaced += 1

    visit(out.get("inputs", []))
    visit(out.get("state", []))
    return out, replaced


def replay(
    base: str,
    captured: dict[str, Any],
    filters: Sequence[Filters],
    catalogs: dict[str, Catalog],
    warmup: int = WARMUP,
) -> dict[str, Any]:
    """Replay the captured request(s) of one filter change for each of ``filters``, in
    the captured order; time each request and the whole change (HTTP round trip)."""
    import requests

    session = requests.Session()
    session.headers.update({"Content-Type": "application/json", "Accept-Encoding": "gzip, br"})
    names = [_output_name(r["outputs"]) for r in captured["requests"]]
    per_request: dict[str, list[float]] = {name: [] for name in names}
    wire: dict[str, list[int]] = {name: [] for name in names}
    decoded: dict[str, list[int]] = {name: [] for name in names}
    totals: list[float] = []
    by_city: dict[str, list[float]] = {}
    errors: list[str] = []
    replaced_counts = set()
    for i, f in enumerate([*filters[:warmup], *filters]):
        timed = i >= warmup
        start = time.perf_counter()
        for name, item in zip(names, captured["requests"], strict=True):
            body, replaced = substitute(item["body"], f, catalogs[f.city])
            replaced_counts.add(replaced)
            t0 = time.perf_counter()
            response = session.post(item["url"], data=json.dumps(body), timeout=120)
            content = response.content
            elapsed = time.perf_counter() - t0
            if response.status_code not in (200, 204):
                errors.append(f"{name} {f.to_query_string()}: HTTP {response.status_code}")
            if timed:
                per_request[name].append(elapsed)
                decoded[name].append(len(content))
                wire[name].append(int(response.headers.get("Content-Length", len(content))))
        if timed:
            totals.append(time.perf_counter() - start)
            by_city.setdefault(f.city, []).append(totals[-1])
    return {
        "requests": {
            name: {
                **summarize(per_request[name]),
                "wire_bytes_p50": float(np.median(wire[name])),
                "decoded_bytes_p50": float(np.median(decoded[name])),
            }
            for name in names
        },
        "filter_change": summarize(totals),
        "filter_change_by_city": {city: summarize(v) for city, v in sorted(by_city.items())},
        "errors": errors[:20],
        "error_count": len(errors),
        "values_replaced": sorted(replaced_counts),
    }


def _output_name(output: Any) -> str:
    """``first-output.prop (+N outputs)`` for Dash's ``..a.b...c.d..`` output string."""
    parts = [p for p in str(output).strip(".").split("...") if p]
    if len(parts) <= 1:
        return str(output).strip(".")
    return f"{parts[0]} (+{len(parts) - 1} outputs)"


def run_server_bench(
    data: BenchData, filters: Sequence[Filters], catalogs: dict[str, Catalog]
) -> dict[str, Any]:
    with running_server(data.data_dir) as (base, proc, ready_s):
        master = psutil.Process(proc.pid)
        idle = _worker_memory(master)
        view = first_view_bytes(base)
        captured = capture_filter_change(base)
        cpu = cpu_snapshot(master)
        timings = replay(base, captured, filters, catalogs)
        timings["interference"] = cpu_of_others(cpu, master)
        memory = _worker_memory(master)
    return {
        "ready_s": ready_s,
        "idle_memory": idle,
        "memory": memory,
        "first_view": view,
        "captured": {
            "changed": captured["changed"],
            "requests": [
                {
                    "outputs": _output_name(r["outputs"]),
                    "status": r["status"],
                    "inputs": [i.get("id") for i in _flat(r["body"].get("inputs", []))],
                    "state": [i.get("id") for i in _flat(r["body"].get("state", []))],
                }
                for r in captured["requests"]
            ],
        },
        "replay": timings,
    }


def _flat(items: Any) -> list[dict[str, Any]]:
    out = []
    for item in items:
        out.extend(_flat(item) if isinstance(item, list) else [item])
    return out
