"""The benchmark: the budgets of docs/architecture.md "Performance budgets", measured.

Run as ``python -m benchmarks`` from a checkout (``crisis-dashboard bench`` is a thin
entry to the same). It lives outside the shipped ``dashboard`` package: a server never
needs it.

For each size (synthetic calls in the release) the benchmark

1. makes a data dir under ``benchmarks/work/<size>/`` (the city configs plus a
   synthetic release written by ``dashboard.sample.generator.write_sample`` at the scale
   that gives ~size rows), reusing one generated earlier for the same size and seed;
2. times every Overview query (``dashboard.queries.overview``, DuckDB over the release's
   rollups and cubes, cache cleared before each change) over a seeded list of realistic
   filter changes;
3. times the same views computed the way a naive Dash app does it, with plain pandas
   over the row-level ``calls.parquet`` held in one DataFrame, checks that both give
   the same numbers, and reports the speed-up and the memory each needs;
4. starts the real server (``gunicorn -w 1 dashboard.app:server``), captures the
   request the page makes when a filter changes (Playwright + Chromium), replays it
   with ``requests`` over the same seeded filters, and records the worker's peak
   resident memory and the bytes a fresh first view of ``/`` transfers;
5. writes ``benchmarks/RESULTS.md`` (hand-written notes between the
   ``notes:start``/``notes:end`` markers survive a re-run) and one JSON per size.

Steps 2 and 3 run each implementation in a fresh (spawned) process, so their memory figures are not
polluted by each other or by data generation.
"""
