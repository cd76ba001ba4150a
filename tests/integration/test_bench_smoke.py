"""The benchmark at a tiny size: both its baselines (pandas, DuckDB on the rows) must give
the same numbers as the cube queries for every view (otherwise a speed-up compares
different work).

No timing assertions: timings belong in benchmarks/RESULTS.md, not in a test.
"""

import json
import shutil
from datetime import date

import pytest

from benchmarks import common, report, run, server, timing, views
from benchmarks.baselines import BASELINES
from benchmarks.data import BenchData, generator_fingerprint, prepare_data
from dashboard.contract.schema import CallCategory, ResponseType
from dashboard.engine.store import Store
from dashboard.params.filters import Filters
from dashboard.settings import Settings

#: Calls generated. Small enough that the release build (whose deep privacy audit is
#: slowest around a tenth of the sample's size) takes seconds; at this size k-anonymity
#: withholds a quarter of the rows, so sizes are checked on accepted rows.
SIZE = 6_000


@pytest.fixture(scope="module")
def bench_data(tmp_path_factory: pytest.TempPathFactory) -> BenchData:
    work = tmp_path_factory.mktemp("bench-work")
    return prepare_data(SIZE, Settings(), work_dir=work, in_fresh_process=False)


@pytest.fixture(scope="module")
def catalogs(bench_data: BenchData):
    return Store(Settings(data_dir=bench_data.data_dir, cache_entries=0)).catalogs()


@pytest.fixture(scope="module")
def filters(catalogs) -> list[Filters]:
    denver = catalogs["denver"]
    edge = [
        # everything, the whole range
        Filters("denver", denver.first_month, denver.last_month),
        # STAR before STAR existed: every view empty or zero
        Filters("denver", date(2019, 6, 1), date(2019, 12, 1), programs=(ResponseType.STAR,)),
        # one district, one category, one month
        Filters(
            "denver",
            date(2023, 3, 1),
            date(2023, 3, 1),
            districts=(denver.districts[0],),
            categories=(CallCategory.WELFARE_CHECK,),
        ),
        # a city with no districts
        Filters("grand_junction", date(2022, 1, 1), date(2024, 12, 1)),
    ]
    return edge + views.make_filters(catalogs, 26)


@pytest.fixture(scope="module")
def runs(bench_data: BenchData, filters: list[Filters]):
    cube = timing.run_query_bench(bench_data.data_dir, filters, warmup=1)
    return cube, {kind: timing.run_baseline_bench(bench_data.data_dir, filters, kind, warmup=1)
                  for kind in BASELINES}


def test_release_has_about_the_requested_size_and_is_reused(bench_data: BenchData, tmp_path_factory):
    assert abs(bench_data.info["accepted"] - SIZE) < SIZE * 0.05
    assert SIZE * 0.5 < bench_data.info["published"] <= bench_data.info["accepted"]
    assert bench_data.info["reused"] is False and bench_data.info["rows_per_s"] > 0
    again = prepare_data(SIZE, Settings(), work_dir=bench_data.data_dir.parent, in_fresh_process=False)
    assert again.info["reused"] is True and again.data_dir == bench_data.data_dir


def test_data_from_another_generator_version_is_regenerated(bench_data: BenchData, tmp_path):
    work = tmp_path / "work"
    shutil.copytree(bench_data.data_dir.parent, work)
    meta_path = work / str(SIZE) / "bench_data.json"
    meta = json.loads(meta_path.read_text())
    meta["generator"] = "an-older-one"
    meta_path.write_text(json.dumps(meta))
    again = prepare_data(SIZE, Settings(), work_dir=work, in_fresh_process=False)
    assert again.info["reused"] is False
    assert again.info["generator"] == generator_fingerprint(Settings())
    assert again.info["published"] == bench_data.info["published"]  # same seed, same data


def test_filters_are_seeded_and_varied(catalogs):
    a = views.make_filters(catalogs, 40)
    assert a == views.make_filters(catalogs, 40)
    assert a != views.make_filters(catalogs, 40, seed=1)
    assert {f.city for f in a} == {"denver", "grand_junction"}
    assert any(f.programs for f in a) and any(not f.programs for f in a)
    assert any(f.districts for f in a) and any(f.categories for f in a)
    assert all(len(f.programs) <= 2 and len(f.districts) <= 2 and len(f.categories) <= 2 for f in a)


@pytest.mark.parametrize("kind", sorted(BASELINES))
def test_baseline_gives_the_same_numbers_as_the_cube_queries(runs, filters, kind):
    cube, baselines = runs
    assert len(cube["results"]) == len(baselines[kind]["results"]) == len(filters)
    assert timing.compare_results(cube["results"], baselines[kind]["results"], filters) == []
    # ...and the comparison is not vacuous: the views hold real numbers.
    everything = cube["results"][0]
    assert everything["kpis"].iloc[0]["calls"] > SIZE * 0.5
    assert everything["monthly_by_program"]["calls"].sum() == everything["kpis"].iloc[0]["calls"]
    # At this size k-anonymity places most rows city-wide; the downtown districts remain.
    assert len(everything["map_district"]) >= 2 and len(everything["map_precinct"]) > 10
    assert everything["minutes_by_program"]["n"].sum() > 0
    assert cube["results"][1]["kpis"].iloc[0]["calls"] == 0  # STAR before STAR


def test_comparison_catches_a_wrong_number(runs, filters):
    cube, baselines = runs
    tampered = [dict(r) for r in baselines["pandas"]["results"]]
    kpis = tampered[0]["kpis"].copy()
    kpis.loc[0, "eligible"] += 1
    tampered[0]["kpis"] = kpis
    minutes = tampered[0]["minutes_by_program"].copy()
    minutes.loc[0, "p90"] += 1
    tampered[0]["minutes_by_program"] = minutes
    problems = timing.compare_results(cube["results"], tampered, filters)
    assert len(problems) == 2
    assert problems[0].startswith("kpis") and problems[1].startswith("minutes_by_program")


def test_timings_and_memory_are_reported(runs, bench_data: BenchData):
    cube, baselines = runs
    for timed in (cube, *baselines.values()):
        assert set(timed["views"]) == set(timed["views_in_change"]) == set(views.ALL_VIEWS)
        assert timed["overview"]["n"] == timed["views"]["kpis"]["n"] == 30
        assert timed["peak_rss_mb"] > 0
    for baseline in baselines.values():
        assert baseline["rows"] == bench_data.info["published"] and baseline["frame_mb"] > 0


def test_results_markdown_without_a_server(runs, filters, bench_data: BenchData):
    cube, baselines = runs
    result = {
        "size": SIZE,
        "data": bench_data.info,
        "repeat": len(filters),
        "queries": run._strip_results(cube),
        "baselines": {kind: run._strip_results(b) for kind, b in baselines.items()},
        "agreement": {
            kind: {"checked": 6 * len(filters), "problems": [], "mismatches": 0} for kind in baselines
        },
        "server": {"error": "skipped"},
    }
    machine = report.machine_info()
    notes = f"<!-- notes-commit: {machine['commit'][:7]} -->\nKept notes."
    text = report.render_results([result], machine, "crisis-dashboard bench --sizes 20000", notes)
    assert "| `kpis` |" in text and "all five Overview queries, one filter change" in text
    assert "x duckdb_rows (p95)" in text and "DuckDB-on-rows baseline and cube queries" in text
    assert "not measured: skipped" in text
    assert f"**Commit measured:** `{machine['commit']}`" in text
    # notes written for the commit measured stay as written; older ones are flagged
    assert common.NOTES_START + "\n" + notes + "\n" + common.NOTES_END in text
    old_notes = "<!-- notes-commit: 0000000 -->\nOld."
    older = report.render_results([result], machine, "crisis-dashboard bench", old_notes)
    assert "**Stale notes:** written for 0000000" in older and "Old." in older


def test_substitute_replaces_every_filter_control(catalogs):
    from dashboard import ids

    body = {
        "inputs": [
            {"id": cid, "property": "value", "value": None}
            for cid in (
                ids.OVERVIEW_CITY,
                ids.OVERVIEW_START,
                ids.OVERVIEW_END,
                ids.OVERVIEW_PROGRAMS,
                ids.OVERVIEW_DISTRICTS,
                ids.OVERVIEW_CATEGORIES,
            )
        ]
        + [{"id": ids.OVERVIEW_MAP_LEVEL, "property": "value", "value": "district"}],
        "state": [{"id": ids.OVERVIEW_LANG, "property": "data", "value": "en"}],
    }
    f = Filters("denver", date(2021, 1, 1), date(2021, 6, 1), programs=(ResponseType.STAR,))
    out, replaced = server.substitute(body, f, catalogs["denver"])
    values = {item["id"]: item["value"] for item in out["inputs"]}
    assert replaced == 6
    assert values[ids.OVERVIEW_START] == "2021-01-01" and values[ids.OVERVIEW_PROGRAMS] == ["STAR"]
    assert values[ids.OVERVIEW_DISTRICTS] == list(catalogs["denver"].districts)  # all = every box
    assert values[ids.OVERVIEW_MAP_LEVEL] == "district"
    assert body["inputs"][0]["value"] is None  # the captured body is not modified
