"""benchmarks/RESULTS.md: the tables written from the raw figures."""

from __future__ import annotations

import os
import platform
import re
import subprocess
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import psutil

from benchmarks.chromium import CHROMIUM
from benchmarks.common import (
    MB,
    NOTES_END,
    NOTES_START,
    TARGET_CALLBACK_P95_MS,
    TARGET_FIRST_VIEW_BYTES,
    TARGET_SPEEDUP,
    TARGET_WORKER_RSS_MB,
    WARMUP,
)
from benchmarks.server import UPDATE_PATH
from benchmarks.views import ALL_VIEWS
from dashboard.settings import REPO_ROOT


def machine_info() -> dict[str, Any]:
    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "-"

    cpu = ""
    try:
        match = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.MULTILINE)
        cpu = match.group(1).strip() if match else ""
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": psutil.virtual_memory().total / 1024**3,
        "os": platform.platform(),
        "python": platform.python_version(),
        "versions": {
            name: version(name)
            for name in ("duckdb", "pandas", "pyarrow", "numpy", "dash", "plotly", "gunicorn", "playwright")
        },
        "chromium": _chromium_version(),
        "commit": source_commit(),
        "loadavg": os.getloadavg(),
    }


def _chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20, check=False)
        return out.stdout.strip() or "-"
    except (OSError, subprocess.TimeoutExpired):
        return "-"


def _ms(value: float) -> str:
    return "-" if value != value else f"{value:,.1f}"  # NaN check


def _mb(value: float) -> str:
    return f"{value:,.0f} MB"


def _ok(passed: bool | None) -> str:
    return "n/a" if passed is None else ("**pass**" if passed else "**FAIL**")


def _speedup(naive: dict[str, float], cube: dict[str, float], key: str = "p95") -> float:
    return naive[key] / cube[key] if cube[key] else float("nan")


def target_rows(r: dict[str, Any]) -> list[tuple[str, str, str, bool | None]]:
    """(target, budget, measured, passed) for one size."""
    q, baselines = r["queries"], r["baselines"]
    server = r.get("server", {})
    rows: list[tuple[str, str, str, bool | None]] = []
    if "replay" in server:
        p95 = server["replay"]["filter_change"]["p95"]
        rows.append(
            (
                "filter change, every callback answered (HTTP round trip, server side) p95",
                f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
                f"{p95:,.1f} ms",
                p95 < TARGET_CALLBACK_P95_MS,
            )
        )
    else:
        rows.append(
            (
                "filter change, every callback answered (HTTP round trip) p95",
                f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
                "not measured: " + server.get("error", "skipped"),
                None,
            )
        )
    p95 = q["overview"]["p95"]
    rows.append(
        (
            "the five Overview queries per filter change, in process, p95",
            f"< {TARGET_CALLBACK_P95_MS:.0f} ms",
            f"{p95:,.1f} ms",
            p95 < TARGET_CALLBACK_P95_MS,
        )
    )
    ratio = _speedup(baselines["pandas"]["overview"], q["overview"])
    rows.append(
        (
            "speed-up over a well-made pandas app (Overview set, p95 / p95)",
            f">= {TARGET_SPEEDUP:.0f}x",
            f"{ratio:,.1f}x",
            ratio >= TARGET_SPEEDUP,
        )
    )
    ratio = _speedup(baselines["duckdb_rows"]["overview"], q["overview"])
    rows.append(
        (
            "speed-up over DuckDB on the rows, no rollups (Overview set, p95 / p95)",
            "(no budget)",
            f"{ratio:,.1f}x",
            None,
        )
    )
    if "first_view" in server:
        wire = server["first_view"]["wire_bytes"]
        rows.append(
            (
                "first view of `/` transferred (compressed, cache disabled)",
                f"< {TARGET_FIRST_VIEW_BYTES / 1e6:.0f} MB",
                f"{wire / 1000:,.0f} kB",
                wire < TARGET_FIRST_VIEW_BYTES,
            )
        )
    else:
        rows.append(("first view of `/` transferred", "< 1 MB", "not measured", None))
    if "memory" in server:
        peak = server["memory"]["peak_rss_mb"]
        rows.append(
            (
                "one gunicorn worker, peak resident (with children)",
                f"< {TARGET_WORKER_RSS_MB:.0f} MB",
                _mb(peak),
                peak < TARGET_WORKER_RSS_MB,
            )
        )
    else:
        rows.append(("one gunicorn worker, peak resident", "< 500 MB", "not measured", None))
    for kind, agreed in r["agreement"].items():
        rows.append(
            (
                f"{BASELINE_NAMES[kind]} and cube queries give the same numbers",
                "every view",
                f"{agreed['checked'] - agreed['mismatches']} / {agreed['checked']}",
                agreed["mismatches"] == 0,
            )
        )
    return rows


def render_results(
    results: Sequence[dict[str, Any]], machine: dict[str, Any], command: str, notes: str
) -> str:
    v = machine["versions"]
    lines = [
        "# Benchmark results",
        "",
        "Written by `crisis-dashboard bench` (see [README.md](README.md) for how to run it and "
        "what each figure measures). All data is SYNTHETIC (the seeded sample generator).",
        "",
        f"- **Date:** {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')}",
        f"- **Machine:** {machine['nproc']} CPUs ({machine['cpu'] or 'unknown CPU'}), "
        f"{machine['ram_gib']:.1f} GiB RAM, {machine['os']}",
        f"- **Software:** Python {machine['python']}, duckdb {v['duckdb']}, pandas {v['pandas']}, "
        f"pyarrow {v['pyarrow']}, numpy {v['numpy']}, dash {v['dash']}, plotly {v['plotly']}, "
        f"gunicorn {v['gunicorn']}, Playwright {v['playwright']} with {machine['chromium']}",
        f"- **Command:** `{command}`",
        f"- **Commit measured:** `{machine['commit']}`",
        "",
        '## Targets (docs/architecture.md "Performance budgets"; the budgets apply at 10M)',
        "",
    ]
    header = "| target | budget | " + " | ".join(f"{r['size']:,} calls" for r in results) + " |"
    lines += [header, "|---|---|" + "---|" * len(results)]
    per_size = [target_rows(r) for r in results]
    for i, (name, budget, _, _) in enumerate(per_size[0]):
        cells = [f"{rows[i][2]} {_ok(rows[i][3])}" for rows in per_size]
        lines.append(f"| {name} | {budget} | " + " | ".join(cells) + " |")
    lines += ["", NOTES_START, _dated_notes(notes, machine["commit"]), NOTES_END, ""]
    for r in results:
        lines += _render_size(r)
    return "\n".join(lines) + "\n"


BASELINE_NAMES = {"pandas": "pandas baseline", "duckdb_rows": "DuckDB-on-rows baseline"}


def _queries_table(q: dict[str, Any], baselines: dict[str, dict[str, Any]]) -> list[str]:
    """Per view alone from a cold cache, then the Overview set as the page runs it."""
    kinds = list(baselines)
    head = ["view", "cube p50", "cube p95"]
    for kind in kinds:
        head += [f"{kind} p50", f"{kind} p95", f"x {kind} (p95)"]
    lines = [
        f"### Queries: {q['overview']['n']} seeded filter changes (after {WARMUP} warm-up), ms",
        "",
        "Each view alone from a cold result cache (cleared before every view, in all three), then "
        "the five Overview queries as the page runs them: the cache cleared once per filter change, "
        "the views of that change sharing what they computed (the cube path its two scans, the "
        "pandas app its row mask). `x` = baseline time / cube time.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]

    def row(label: str, cube: dict[str, float], got: list[dict[str, float]], bold: bool = False) -> str:
        cells = [label, _ms(cube["p50"]), _ms(cube["p95"])]
        for b in got:
            cells += [_ms(b["p50"]), _ms(b["p95"]), f"{_speedup(b, cube):,.1f}x"]
        if bold:
            cells = [f"**{c}**" for c in cells]
        return "| " + " | ".join(cells) + " |"

    for name in ALL_VIEWS:
        lines.append(row(f"`{name}`", q["views"][name], [baselines[k]["views"][name] for k in kinds]))
    lines.append(
        row(
            "all five Overview queries, one filter change",
            q["overview"],
            [baselines[k]["overview"] for k in kinds],
            bold=True,
        )
    )
    return lines


def _memory_table(q: dict[str, Any], baselines: dict[str, dict[str, Any]]) -> list[str]:
    kinds = list(baselines)
    b = [baselines[k] for k in kinds]

    def row(label: str, cube: str, values: list[str]) -> str:
        return "| " + " | ".join([label, cube, *values]) + " |"

    return [
        "| figure | cube store (DuckDB over rollups) | "
        + " | ".join(BASELINE_NAMES[k] for k in kinds)
        + " |",
        "|---|---|" + "---|" * len(kinds),
        row("open / load time", f"{q['open_s']:.2f} s", [f"{x['load_s']:.2f} s" for x in b]),
        row(
            "RSS of the fresh process before opening",
            _mb(q["rss_start_mb"]),
            [_mb(x["rss_start_mb"]) for x in b],
        ),
        row(
            "RSS growth from opening / loading",
            _mb(q["rss_open_mb"] - q["rss_start_mb"]),
            [_mb(x["rss_loaded_mb"] - x["rss_start_mb"]) for x in b],
        ),
        row("RSS after the timed run", _mb(q["rss_end_mb"]), [_mb(x["rss_end_mb"]) for x in b]),
        row("peak RSS", _mb(q["peak_rss_mb"]), [_mb(x["peak_rss_mb"]) for x in b]),
        row(
            "data held (pandas `memory_usage(deep=True)`; DuckDB `duckdb_memory()`)",
            "-",
            [_mb(x["frame_mb"]) for x in b],
        ),
    ]


def _dated_notes(notes: str, commit: str) -> str:
    """The hand-written notes, flagged when they were written for another commit than the
    one just measured (they carry ``<!-- notes-commit: ... -->``)."""
    text = notes.strip("\n")
    match = re.search(r"<!-- notes-commit: (\S+) -->", text)
    written_for = match.group(1) if match else "an unrecorded commit"
    if match and commit.startswith(written_for):
        return text
    stale = (
        f"> **Stale notes:** written for {written_for}; the tables in this file were measured at "
        f"`{commit}`. Where the notes and the tables disagree, the tables are right."
    )
    return stale + "\n\n" + re.sub(r"^> \*\*Stale notes:\*\*.*?\n\n", "", text, flags=re.DOTALL)


def source_commit() -> str:
    """The checkout's commit, and whether the measured code differed from it."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(
                ["git", *args], cwd=REPO_ROOT, capture_output=True, text=True, timeout=20, check=False
            ).stdout.strip()
        except (OSError, subprocess.TimeoutExpired):
            return ""

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    dirty = git(
        "status", "--porcelain", "--untracked-files=no", "--", "dashboard", "benchmarks", "data/cities"
    )
    return head + (" (with uncommitted changes)" if dirty else "")


def _render_size(r: dict[str, Any]) -> list[str]:
    d, q = r["data"], r["queries"]
    lines = [f"## {r['size']:,} calls", ""]
    if "interference" in r:
        steps = ", ".join(
            f"{step} {i['others_share']:.0%} ({i['others_cpu_s']:,.0f} CPU-s over {i['wall_s']:,.0f} s)"
            for step, i in r["interference"].items()
        )
        lines += [
            f"CPU used by other processes on the machine during each step, as a share of its "
            f"{os.cpu_count()} CPUs: {steps}. Near 0% means the step's timings are the benchmark's alone.",
            "",
        ]
    lines += ["### Data", "", "| figure | value |", "|---|---|"]
    lines += [
        f"| rows generated (accepted) / published after k-anonymity | {d['accepted']:,} / "
        f"{d['published']:,} |",
        f"| sample scale (x the shipped sample) | {d['scale']:.3f} |",
        f"| generator version (hash of its code and the city configs) | `{d.get('generator', '-')}` |",
        f"| generation + release build (`write_sample`) | {d['seconds']:,.1f} s "
        f"({'reused from ' + d['generated'] if d.get('reused') else 'this run'}) |",
        f"| throughput | {d['rows_per_s']:,.0f} rows/s |",
        f"| peak resident memory while generating | {_mb(d['peak_rss_mb'])} |",
    ]
    parquet = sum(c["calls_parquet_bytes"] for c in d["cities"].values())
    csv = sum(c["calls_csv_bytes"] for c in d["cities"].values())
    tables = q["table_rows"]
    lines += [
        f"| calls.parquet / calls.csv (all cities) | {parquet / MB:,.1f} MB / {csv / MB:,.1f} MB |",
        f"| rows in rollup_counts / rollup_minutes / cube_precinct | {tables['rollup_counts']:,} / "
        f"{tables['rollup_minutes']:,} / {tables['cube_precinct']:,} |",
        "",
        *_queries_table(q, r["baselines"]),
        "",
        "### Memory of the three implementations (each in a fresh process)",
        "",
        *_memory_table(q, r["baselines"]),
        "",
    ]
    for kind, agreed in r["agreement"].items():
        lines.append(
            f"Cube and {BASELINE_NAMES[kind]} results compared on every view of every filter change: "
            f"{agreed['checked'] - agreed['mismatches']} of {agreed['checked']} identical."
        )
        for problem in agreed["problems"]:
            lines.append(f"- mismatch: `{problem[:200]}`")
    lines += [
        "",
        "### Server (gunicorn -w 1, default query cache; no two timed filter changes share a query)",
        "",
    ]
    s = r.get("server")
    if not s or "error" in s:
        lines += [f"Not measured: {s['error'] if s else 'skipped (--no-server)'}.", ""]
        return lines
    rep, mem, view = s["replay"], s["memory"], s["first_view"]
    lines += [
        f"Captured by changing `#{s['captured']['changed']['id']}` in Chromium: "
        f"{len(s['captured']['requests'])} request(s) to `{UPDATE_PATH}` per filter change; replayed with "
        f"`requests` for the same {rep['filter_change']['n']} seeded filters (values substituted: "
        f"{rep['values_replaced']} per request; HTTP errors: {rep['error_count']}).",
        "",
        "| request (callback outputs) | p50 ms | p95 ms | max ms | response wire / decoded (p50) |",
        "|---|---|---|---|---|",
    ]
    for name, t in rep["requests"].items():
        lines.append(
            f"| `{name}` | {_ms(t['p50'])} | {_ms(t['p95'])} | {_ms(t['max'])} | "
            f"{t['wire_bytes_p50'] / 1000:,.1f} kB / {t['decoded_bytes_p50'] / 1000:,.1f} kB |"
        )
    fc = rep["filter_change"]
    lines.append(
        f"| **whole filter change** | **{_ms(fc['p50'])}** | **{_ms(fc['p95'])}** | {_ms(fc['max'])} | |"
    )
    for city, t in rep.get("filter_change_by_city", {}).items():
        lines.append(
            f"| whole filter change, {city} only ({t['n']}) | {_ms(t['p50'])} | {_ms(t['p95'])} | "
            f"{_ms(t['max'])} | |"
        )
    lines += [
        "",
        "| figure | value |",
        "|---|---|",
        f"| server start until `/` answered | {s['ready_s']:.1f} s |",
        f"| worker RSS idle (after warm-up) | {_mb(s['idle_memory']['rss_mb'])} |",
        f"| worker RSS after the run / peak (VmHWM) | {_mb(mem['rss_mb'])} / {_mb(mem['peak_rss_mb'])} |",
        f"| gunicorn master RSS | {_mb(mem['master_rss_mb'])} |",
        f"| first view: requests | {view['requests']} ({view['compressed_responses']} compressed) |",
        f"| first view: bytes on the wire (compressed, headers included) | "
        f"{view['wire_bytes'] / 1000:,.1f} kB |",
        f"| first view: decoded bytes (uncompressed bodies) | {view['decoded_bytes'] / 1000:,.1f} kB |",
        f"| first view: load until the chart is drawn and the network idle | {view['load_s']:.2f} s"
        f"{'' if view.get('rendered', True) else ' (chart never drew)'} |",
        "",
        "First view by resource type:",
        "",
        "| type | requests | wire | decoded |",
        "|---|---|---|---|",
    ]
    for kind, t in sorted(view["by_type"].items(), key=lambda kv: -kv[1]["wire"]):
        lines.append(
            f"| {kind} | {t['requests']} | {t['wire'] / 1000:,.1f} kB | {t['decoded'] / 1000:,.1f} kB |"
        )
    lines += [
        "",
        "Largest responses of the first view:",
        "",
        "| url | wire | decoded | encoding |",
        "|---|---|---|---|",
    ]
    for item in view["largest"][:12]:
        path = item["url"].split("//", 1)[-1].split("/", 1)[-1]
        lines.append(
            f"| `/{path[:80]}` | {item['wire'] / 1000:,.1f} kB | {item['decoded'] / 1000:,.1f} kB | "
            f"{item['encoding'] or 'none'} |"
        )
    if view["non_200"]:
        lines += ["", "Non-200 responses: " + ", ".join(f"`{u}`" for u in view["non_200"])]
    lines.append("")
    return lines


def existing_notes(path: Path) -> str:
    try:
        text = path.read_text()
    except OSError:
        return DEFAULT_NOTES
    if NOTES_START in text and NOTES_END in text:
        return text.split(NOTES_START, 1)[1].split(NOTES_END, 1)[0]
    return DEFAULT_NOTES


DEFAULT_NOTES = """
Notes: the cube figures are the data layer's queries over the release's rollups and cubes
(exact GROUP BYs of the rows, built once at release time); the pandas figures are the same
views computed from the row-level file in memory. Write the interpretation here; this block
is kept when the benchmark re-runs.
"""


#: The Lighthouse section, written by benchmarks/lighthouse/run.sh; kept when this re-runs.
LIGHTHOUSE_START, LIGHTHOUSE_END = "<!-- lighthouse:start -->", "<!-- lighthouse:end -->"


def keep_block(out: Path, previous: str, start: str, end: str) -> None:
    """Append the ``start``..``end`` block of the previous RESULTS.md to the new one."""
    if start in previous and end in previous:
        block = previous[previous.index(start) : previous.index(end) + len(end)]
        out.write_text(out.read_text().rstrip("\n") + "\n\n" + block + "\n")
