"""Downloads (``dashboard.queries.export``, ``download_format``, ``api_params``): every row
of a view once, in a fixed order, formatted like the release's ``calls.csv``, with
spreadsheet formulas neutralized; strict parameters.

Expected values are recomputed here with pandas from the release's ``calls.csv`` (the file a
journalist downloads), never typed in by hand.
"""

from __future__ import annotations

import csv
import gc
import io
import shutil
import tempfile
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from dashboard.contract.releases import current_release_dir
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CallCategory, ResponseType
from dashboard.engine.engines import open_store
from dashboard.engine.store import Store
from dashboard.params.filters import Filters, add_months, default_filters
from dashboard.params.grammar import parse_filters
from dashboard.publish.release import build_release
from dashboard.queries import api_params, download_format, export
from dashboard.queries import overview as queries
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import minute_quantile, release_calls, release_minutes, select_minutes, tiny_internal_frame

#: District values of the injection fixture: formulas, a negative-looking value, and
#: values that need CSV quoting.
FORMULA = "=HYPERLINK(1)"
NEEDS_QUOTES = 'a,"b"'


# ------------------------------------------------------------------------------ helpers


def read_csv_text(text: str) -> pd.DataFrame:
    """A CSV download read the way ``conftest.release_calls`` reads ``calls.csv``."""
    return pd.read_csv(io.StringIO(text), dtype={"district": "string"}, keep_default_na=True)


def expected_rows(settings: Settings, f: Filters) -> pd.DataFrame:
    """The view's rows, recomputed with pandas from calls.csv, sorted by the download order."""
    rows = release_calls(settings, f.city)
    month = pd.to_datetime(rows["week"]).dt.to_period("M").dt.to_timestamp().dt.date
    keep = (rows["jurisdiction"] == f.city) & (month >= f.start) & (month <= f.end)
    if f.programs:
        keep &= rows["response_type"].isin([p.value for p in f.programs])
    if f.districts:
        keep &= rows["district"].isin(list(f.districts))
    if f.categories:
        keep &= rows["call_category"].isin([c.value for c in f.categories])
    return rows[keep].sort_values(list(export.ROW_SORT)).reset_index(drop=True)


def export_text(store: Store, f: Filters) -> str:
    return b"".join(export.calls_csv(store, f).chunks()).decode("utf-8")


def assert_same_rows(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == list(CALLS_COLUMN_NAMES)
    pd.testing.assert_frame_equal(got.reset_index(drop=True), want, check_dtype=False)


def catalog_filters(store: Store, city: str, **changes: object) -> Filters:
    catalog = store.catalogs()[city]
    return Filters(city, catalog.first_month, catalog.last_month).with_(**changes)


@pytest.fixture(scope="module")
def shipped_store(shipped_engine_settings: Settings) -> Store:
    return open_store(shipped_engine_settings)


@pytest.fixture(scope="module")
def injection_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_injection_release(tmp_path_factory.mktemp("injection-data"))


def build_injection_release(root: Path) -> Settings:
    """The tiny release with district names a spreadsheet would run or must quote."""
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    frame = tiny_internal_frame()
    frame["district"] = frame["district"].map({"1": FORMULA, "2": NEEDS_QUOTES})
    build_release(frame, root / "releases", city="denver", source="test fixture", synthetic=True, k=11,
                  seed=7)
    return Settings(data_dir=root, privacy_k=11)


# ---------------------------------------------------------------------------------- rows


def test_every_row_of_the_tiny_release_once_in_order(tiny_settings, tiny_store):
    f = catalog_filters(tiny_store, "denver")
    want = expected_rows(tiny_settings, f)
    assert len(want) == 70  # conftest: 70 calls, none withheld
    assert_same_rows(read_csv_text(export_text(tiny_store, f)), want)


@pytest.mark.parametrize(
    "changes",
    [
        {"end": date(2023, 1, 1)},
        {"start": date(2023, 2, 1), "districts": ("2",)},
        {"programs": (ResponseType.STAR, ResponseType.CIT_OFFICER)},
        {"categories": (CallCategory.DISTURBANCE,)},
        {"districts": ("1",), "categories": (CallCategory.WELFARE_CHECK,),
         "programs": (ResponseType.PATROL,)},
    ],
)
def test_filters_select_what_pandas_selects(tiny_settings, tiny_store, changes):
    f = catalog_filters(tiny_store, "denver", **changes)
    want = expected_rows(tiny_settings, f)
    assert 0 < len(want) < 70
    assert_same_rows(read_csv_text(export_text(tiny_store, f)), want)


@pytest.mark.parametrize(
    ("city", "changes"),
    [
        ("denver", {"start": date(2023, 1, 1), "end": date(2023, 6, 1), "districts": ("3", "5"),
                    "programs": (ResponseType.STAR, ResponseType.PATROL)}),
        ("denver", {"start": date(2024, 11, 1), "end": date(2025, 2, 1),
                    "categories": (CallCategory.WELFARE_CHECK, CallCategory.TRESPASS)}),
        ("grand_junction", {}),
    ],
)
def test_shipped_views_match_pandas(shipped_settings, shipped_store, city, changes):
    f = catalog_filters(shipped_store, city, **changes)
    want = expected_rows(shipped_settings, f)
    assert len(want) > 100
    assert_same_rows(read_csv_text(export_text(shipped_store, f)), want)


def test_a_whole_release_downloads_the_very_lines_of_calls_csv(shipped_settings, shipped_store):
    """Same formatting as the release writer (quoting, booleans, dates, empty cells)."""
    f = catalog_filters(shipped_store, "denver")
    text = export_text(shipped_store, f)
    path = current_release_dir(shipped_settings.releases_dir, "denver") / "calls.csv"
    release_lines = path.read_text(encoding="utf-8").splitlines()
    lines = text.splitlines()
    assert lines[0] == release_lines[0] == ",".join(CALLS_COLUMN_NAMES)
    assert Counter(lines[1:]) == Counter(release_lines[1:])
    assert text == export_text(shipped_store, f)  # deterministic, byte for byte


def test_chunks_are_batches_and_nothing_runs_before_streaming(tiny_store, monkeypatch):
    monkeypatch.setattr(export, "BATCH_ROWS", 5)
    download = export.calls_csv(tiny_store, catalog_filters(tiny_store, "denver"))
    assert download.filename.startswith("calls_denver_2023-01-01_2023-02-28_release-")
    chunks = [chunk.decode("utf-8") for chunk in download.chunks()]
    header = download_format.csv_header()
    assert chunks[0].startswith(header)  # the header goes with the first rows (see chunks)
    assert not any(chunk.startswith(header) for chunk in chunks[1:])
    rows = [chunks[0].removeprefix(header), *chunks[1:]]
    assert all(0 < chunk.count("\n") <= 5 for chunk in rows)
    assert sum(chunk.count("\n") for chunk in rows) == 70


def test_months_sorted_in_runs_give_the_file_one_sort_gives(shipped_store, monkeypatch):
    """Rows are sorted in runs of months of at most SORT_ROWS rows: any run length gives
    the same file, byte for byte (week leads the sort), and a run is never empty."""
    f = catalog_filters(shipped_store, "denver", start=date(2022, 11, 1), end=date(2023, 3, 1))
    monkeypatch.setattr(export, "SORT_ROWS", 10**9)
    whole = export_text(shipped_store, f)
    _, cursor = shipped_store.snapshot_cursor("denver")
    try:
        assert len(export._spans(cursor, f)) == 1
        monkeypatch.setattr(export, "SORT_ROWS", 1500)  # under a month (about 2,100 rows): one run per month
        spans = export._spans(cursor, f)
    finally:
        cursor.close()
    assert [s[0].month for s in spans] == [11, 12, 1, 2, 3]
    assert export_text(shipped_store, f) == whole
    assert whole.count("\n") > 8000


def test_pages_cover_every_row_exactly_once_in_csv_order(shipped_store):
    f = catalog_filters(shipped_store, "denver", start=date(2023, 1, 1), end=date(2023, 4, 1),
                        districts=("1", "6"))
    csv_ids = read_csv_text(export_text(shipped_store, f))["call_id"].tolist()
    assert len(csv_ids) > 2000
    ids, page = [], 1
    while True:
        result = export.calls_page(shipped_store, f, page, 997)  # pages straddle months
        assert result.total_rows == len(csv_ids)
        assert result.last_page == -(-len(csv_ids) // 997)
        ids += [row["call_id"] for row in result.rows]
        if page == result.last_page:
            break
        assert len(result.rows) == 997
        page += 1
    assert ids == csv_ids
    assert export.calls_page(shipped_store, f, page + 1, 997).rows == []


def test_json_rows_are_typed_values(tiny_settings, tiny_store):
    f = catalog_filters(tiny_store, "denver")
    rows = export.calls_page(tiny_store, f, 1, 100).rows
    want = expected_rows(tiny_settings, f)
    assert [r["call_id"] for r in rows] == want["call_id"].tolist()
    first = rows[0]
    assert list(first) == list(CALLS_COLUMN_NAMES)
    assert isinstance(first["week"], str) and date.fromisoformat(first["week"])
    assert isinstance(first["star_eligible"], bool) and isinstance(first["repeat_contact_90d"], bool)
    assert "response_minutes" not in first  # minutes are published per minute only (rollup_minutes)
    reasons = {r["unanswered_reason"] for r in rows}
    assert None in reasons and "no_team_available" in reasons


# ----------------------------------------------------------------------- CSV injection


@pytest.mark.parametrize("value", ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_neutralize_guards_formula_starts(value):
    assert download_format.neutralize(value) == "'" + value


@pytest.mark.parametrize("value", ["1", "citywide", "a=b", "", " =x", "'=x"])
def test_neutralize_leaves_other_text(value):
    assert download_format.neutralize(value) == value


def test_downloads_neutralize_formulas_and_quote_like_the_release(injection_settings):
    store = Store(injection_settings)
    f = catalog_filters(store, "denver")
    text = export_text(store, f)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == 70
    districts = Counter(r["district"] for r in rows)
    assert districts["'" + FORMULA] == 35 and districts[NEEDS_QUOTES] == 35  # districts 1 and 2
    assert not any(cell.startswith(download_format.INJECTION_PREFIXES) for r in rows for cell in r.values())
    # Quoting needs no guard: those lines are the release writer's own.
    release_csv = (current_release_dir(injection_settings.releases_dir, "denver") / "calls.csv").read_text()
    quoted = [line for line in text.splitlines() if '"a,""b"""' in line]
    assert len(quoted) == 35 and set(quoted) <= set(release_csv.splitlines())
    # JSON is not a spreadsheet: the value is the data.
    json_districts = {r["district"] for r in export.calls_page(store, f, 1, 100).rows}
    assert json_districts == {FORMULA, NEEDS_QUOTES}
    # Filtering on such a value works like any other.
    only = export_text(store, f.with_(districts=(FORMULA,)))
    assert len(read_csv_text(only)) == 35


def test_chart_csv_cells(tmp_path):
    frame = pd.DataFrame(
        {"name": ["=cmd", "ok", None], "n": np.array([1, 2, 3], dtype="int64"), "share": [0.5, np.nan, 1 / 3],
         "flag": [True, False, True], "month": pd.to_datetime(["2023-01-01", "2023-02-01", "2023-03-01"])}
    )
    rows = list(csv.reader(io.StringIO(download_format.frame_to_csv(frame))))
    assert rows[0] == ["name", "n", "share", "flag", "month"]
    assert rows[1] == ["'=cmd", "1", "0.5", "true", "2023-01-01"]
    assert rows[2] == ["ok", "2", "", "false", "2023-02-01"]
    assert float(rows[3][2]) == 1 / 3  # full precision
    assert rows[3][0] == ""


# ------------------------------------------------------------------------------ filenames


def test_filename_of_the_issue_example():
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1), districts=("3",))
    name = download_format.download_filename("calls", f, "20261123-49b7ef0d")
    assert name == "calls_denver_2023-01-01_2023-12-31_district-3_release-20261123-49b7ef0d.csv"


def test_filename_joins_values_and_ends_on_the_last_day():
    f = Filters("denver", date(2024, 1, 1), date(2024, 2, 1), districts=("1", "citywide"),
                programs=(ResponseType.STAR, ResponseType.PATROL), categories=(CallCategory.WELFARE_CHECK,))
    name = download_format.download_filename("map", f, "r1", [("level", "precinct"), ("metric", "per_1000")])
    assert name == ("map_denver_2024-01-01_2024-02-29_district-1+citywide_program-STAR+PATROL"
                    "_category-welfare_check_level-precinct_metric-per_1000_release-r1.csv")


def test_filename_has_only_safe_characters_and_a_bounded_length():
    f = Filters("denver", date(2023, 1, 1), date(2023, 1, 1), districts=('../a b/"c";', *map(str, range(60))))
    name = download_format.download_filename("calls", f, "x/../y")
    assert set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-")
    assert len(name) <= 200 and "district-61-values" in name and "/" not in name


# ---------------------------------------------------------------------- strict parameters


def strict(tiny_store, query, extra=()):
    return api_params.parse_filters_strict(query, tiny_store.catalogs(), "denver", extra)


def test_strict_defaults_are_the_pages_defaults(tiny_store):
    f, problems = strict(tiny_store, {})
    assert problems == []
    assert f == parse_filters({}, tiny_store.catalogs(), "denver").filters
    assert f == default_filters(tiny_store.catalogs()["denver"])


def test_strict_takes_repeated_or_comma_separated_values(tiny_store):
    a, _ = strict(tiny_store, {"program": ["PATROL", "STAR"], "district": ["2", "1"]})
    b, _ = strict(tiny_store, {"program": ["STAR,PATROL"], "district": ["1,2"]})
    assert a == b and a is not None
    assert a.programs == (ResponseType.STAR, ResponseType.PATROL)  # catalog order
    assert a.districts == ("1", "2")
    # Nothing is trimmed: the OpenAPI document's pattern allows no spaces, nor does the server.
    spaced, problems = strict(tiny_store, {"district": ["1, 2"]})
    assert spaced is None
    assert [(p.parameter, p.value, p.status) for p in problems] == [("district", " 2", 400)]


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ({"start": ["٢٠٢٣-٠١"]}, 400),  # Arabic-Indic digits: int() would read 2023-01
        ({"end": ["２０２３-０１"]}, 400),  # full-width digits
        ({"start": ["2023-01 "]}, 400),
        ({"start": [" 2023-01"]}, 400),
        ({"end": ["2023-00"]}, 400),
        ({"end": ["2023-01\n"]}, 400),
        ({"end": ["1999-01"]}, 400),  # outside the data of every city
        ({"start": ["2023-02"], "end": ["2023-01"]}, 404),  # each allowed; no month lies between
        ({"end": ["2023-03"]}, 400),  # the only city's data ends in 2023-02 (two cities: test_api)
        ({"program": ["CO_RESPONDER,STAR"], "city": ["denver"]}, None),
    ],
)
def test_strict_is_ascii_and_tells_grammar_from_data(tiny_store, query, status):
    """400: the document's grammar says no; 404: allowed values the city's release lacks."""
    f, problems = strict(tiny_store, query)
    if status is None:
        assert problems == [] and f is not None
    else:
        assert f is None and problems and {p.status for p in problems} == {status}, problems


@pytest.mark.parametrize("text", ["١٠", "１０", " 10", "10 ", "+10", "10\n", "0x10", "1_0"])
def test_numbers_are_ascii_digits_only(text):
    assert api_params.bounded_int({"n": [text]}, "n", 5, 1, 100) == (5, [api_params.Problem(
        "n", text, "Must be a whole number from 1 to 100.")])
    assert api_params.bounded_int({"n": ["10"]}, "n", 5, 1, 100) == (10, [])


def test_an_end_alone_gives_twelve_months_up_to_it(tiny_store):
    f, problems = strict(tiny_store, {"end": ["2023-01-31"]})
    assert problems == [] and f is not None
    assert (f.start, f.end) == (tiny_store.catalogs()["denver"].first_month, date(2023, 1, 1))


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ({"distrct": ["1"]}, "distrct"),
        ({"start": ["2023-13-01"]}, "start"),
        ({"end": ["yesterday"]}, "end"),
        ({"start": ["2019-01"]}, "start"),
        ({"end": ["2030-01-01"]}, "end"),
        ({"start": ["2023-02"], "end": ["2023-01"]}, "start"),
        ({"city": ["atlantis"]}, "city"),
        ({"city": ["denver", "denver"]}, "city"),
        ({"city": [""]}, "city"),
        ({"district": ["99"]}, "district"),
        ({"district": ["1,,2"]}, "district"),
        ({"program": ["star"]}, "program"),
        ({"category": ["x" * 65]}, "category"),
        ({"category": [",".join(["welfare_check"] * 51)]}, "category"),
        ({"page": ["1"]}, "page"),
    ],
)
def test_strict_names_the_bad_parameter(tiny_store, query, parameter):
    f, problems = strict(tiny_store, query)
    assert f is None
    assert parameter in {p.parameter for p in problems}
    assert all(len(p.value) <= 40 for p in problems)


def test_strict_reports_every_problem_at_once(tiny_store):
    _, problems = strict(tiny_store, {"start": ["bad"], "district": ["9"], "nope": ["1"]})
    assert {p.parameter for p in problems} == {"start", "district", "nope"}


def test_extra_parameters_are_left_to_the_caller(tiny_store):
    f, problems = strict(tiny_store, {"page": ["2"]}, extra=("page",))
    assert problems == [] and f is not None


@hyp_settings(max_examples=60, deadline=None)
@given(
    months=st.tuples(st.integers(0, 1), st.integers(0, 1)),
    programs=st.sets(st.sampled_from(list(ResponseType))),
    districts=st.sets(st.sampled_from(["1", "2"])),
    categories=st.sets(st.sampled_from(list(CallCategory))),
)
def test_a_pages_canonical_query_is_valid_and_means_the_same_view(tiny_store, months, programs, districts,
                                                                   categories):
    """The download links carry ``Filters.to_params()``: the strict parser must take them as is."""
    first = tiny_store.catalogs()["denver"].first_month
    a, b = sorted(months)
    view = {"program": [p.value for p in programs], "district": list(districts),
            "category": [c.value for c in categories],
            "start": add_months(first, a).isoformat(),
            "end": add_months(first, b).isoformat()}
    f = parse_filters(view, tiny_store.catalogs(), "denver").filters
    query: dict[str, list[str]] = {}
    for name, value in f.to_params():
        query.setdefault(name, []).append(value)
    parsed, problems = strict(tiny_store, query)
    assert problems == [] and parsed == f
    assert api_params.api_url("calls.csv", f) == "/api/v1/calls.csv" + f.to_query_string()


# ----------------------------------------------------------------------------- chart data


@pytest.mark.parametrize(
    "changes",
    [{}, {"districts": ("2", "5"), "programs": (ResponseType.STAR, ResponseType.CO_RESPONDER)},
     {"start": date(2024, 3, 1), "end": date(2024, 8, 1), "categories": (CallCategory.MENTAL_HEALTH,)}],
)
def test_chart_frames_are_the_pages_numbers_and_recompute_from_rows(shipped_settings, shipped_store, changes):
    """Counts recompute from calls.csv; response minutes, which the rows do not carry, from
    the release's rollup_minutes.parquet (the journalist's route since issue 12)."""
    catalog = shipped_store.catalogs()["denver"]
    f = default_filters(catalog).with_(**changes)
    rows = expected_rows(shipped_settings, f)
    all_programs = expected_rows(shipped_settings, f.with_(programs=()))
    minutes = select_minutes(release_minutes(shipped_settings, "denver"), f)
    assert 0 < minutes["n"].sum() <= len(rows)  # calls where no unit arrived have no minute

    kpis = export.kpis_frame(shipped_store, f)
    pd.testing.assert_frame_equal(kpis, queries.kpis(shipped_store, f)[list(export.KPIS_COLUMNS)])
    k = kpis.iloc[0]
    assert k["calls"] == len(rows)
    assert k["eligible"] == int(all_programs["star_eligible"].sum())
    answered = all_programs["star_eligible"] & (all_programs["response_type"] == "STAR")
    assert k["eligible_answered"] == int(answered.sum())
    assert k["arrests"] == int((rows["outcome"] == "arrest").sum())
    assert k["median_minutes"] == minute_quantile(minutes, 0.5)

    programs = export.programs_frame(shipped_store, f)
    assert list(programs.columns) == list(export.PROGRAMS_COLUMNS)
    counts = rows["response_type"].value_counts()
    for row in programs.itertuples(index=False):
        mine = minutes[minutes["response_type"] == row.program]
        assert row.calls == counts.get(row.program, 0)
        assert row.share == pytest.approx(row.calls / len(rows))
        want = (minute_quantile(mine, 0.5), minute_quantile(mine, 0.9))  # NaN for a program with no time
        assert (row.median_minutes, row.p90_minutes) == pytest.approx(want, nan_ok=True, abs=0)
    selected = [p.value for p in f.programs] or [p.value for p in catalog.programs]
    assert programs["program"].tolist() == [p.value for p in catalog.programs if p.value in selected]

    trend = export.trend_frame(shipped_store, f)
    assert list(trend.columns) == list(export.TREND_COLUMNS)
    month = pd.to_datetime(rows["week"]).dt.to_period("M").dt.to_timestamp().dt.date
    by_month = rows.groupby([month, rows["response_type"]]).size()
    for row in trend.itertuples(index=False):
        assert row.calls == by_month.get((row.month, row.program), 0)
        assert row.per_week == pytest.approx(row.calls / row.weeks)
        assert row.weeks == queries.weeks_in_month(pd.Timestamp(row.month))
    assert len(trend) == len(export._months(f)) * len(selected)


def test_kpis_frame_follows_queries(tiny_store):
    f = catalog_filters(tiny_store, "denver")
    assert list(export.kpis_frame(tiny_store, f).columns) == list(export.KPIS_COLUMNS)
    assert set(queries.kpis(tiny_store, f).columns) == set(export.KPIS_COLUMNS)



def test_a_download_past_the_memory_cap_spills_and_gives_the_same_file(shipped_settings, shipped_store,
                                                                      monkeypatch):
    """Issue 18: the serving connection's memory is capped at its tables plus
    ``query_memory_mb`` (``snapshot.cap_query_memory``), so a worker streaming 10M rows
    keeps the memory it had at 145k. A whole release sorted in one run does not fit in
    a 24 MiB allowance: DuckDB sorts it through its spill folder and the file is the same
    byte for byte; the folder is gone when the connection closes."""
    f = catalog_filters(shipped_store, "denver")
    want = export_text(shipped_store, f)
    MB = 48
    capped = Store(replace(shipped_settings, query_memory_mb=MB), watch=False)
    monkeypatch.setattr(export, "SORT_ROWS", 10**9)  # one sort of every row: ~20 MB of lines
    _, cursor = capped.snapshot_cursor("denver")
    limit, spill = cursor.execute(
        "SELECT current_setting('memory_limit'), current_setting('temp_directory')").fetchone()
    tables = cursor.execute("SELECT sum(memory_usage_bytes) FROM duckdb_memory()").fetchone()[0]
    assert MB - 1 < float(limit.split()[0]) - tables / 2**20 < MB + 2  # the tables and MB
    assert Path(spill).parent == Path(tempfile.gettempdir())
    download = export.calls_csv(capped, f)
    chunks = download.chunks()
    first = next(chunks)
    spilled = cursor.execute("SELECT count(*) FROM duckdb_temporary_files()").fetchone()[0]
    assert first + b"".join(chunks) == want.encode("utf-8")
    assert spilled > 0
    cursor.close()
    capped.close()
    del capped, download, chunks, cursor
    gc.collect()
    assert not Path(spill).exists()
