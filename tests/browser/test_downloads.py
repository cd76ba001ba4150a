"""The journalist's path in a real Chromium: set a view, click each download, recompute.

Every figure read off the page (KPI cards, the trend, program and map tables) is
recomputed from the file the page's own "Rows behind this view" button downloads,
through the real server, and must match exactly as formatted on screen. Response times
are not in the rows (issue 12): medians and percentiles are recomputed from the release's
``rollup_minutes.parquet``, fetched through the release-file API like any download. The
precinct map comes from a suppressed cube, not the rows: its on-screen values must equal
the published cells of ``cube_precinct.parquet`` fetched the same way, and the page must
say how many cells are hidden.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest
import requests

from dashboard import ids
from dashboard.contract.schema import CALLS_COLUMN_NAMES, CUBE_PRECINCT, ROLLUP_MINUTES, ResponseType
from dashboard.i18n import fmt_int, fmt_pct
from dashboard.params.filters import Filters, parse_month
from tests.conftest import minute_quantile, select_minutes

pytestmark = pytest.mark.browser

KPI_VALUES = f"#{ids.OVERVIEW_KPIS} .kpi-card__value"
TREND_TRACES = f"#{ids.OVERVIEW_TREND_GRAPH} .scatterlayer .trace"


def open_overview(page, base: str, query: str = "") -> None:
    page.goto(base + "/" + query)
    page.wait_for_selector(KPI_VALUES)
    page.wait_for_function(f"() => document.querySelectorAll({TREND_TRACES!r}).length > 0")


def kpi_texts(page) -> list[str]:
    return page.locator(KPI_VALUES).all_inner_texts()

#: The views recomputed here (issue: at least three, one with suppressed cells).
VIEWS = {
    "district-3-2023": "?city=denver&start=2023-01-01&end=2023-12-31&district=3",
    "two-categories-pilot": "?city=denver&start=2020-06-01&end=2021-05-31&category=welfare_check"
                            "&category=intoxication",
    "grand-junction": "?city=grand_junction&start=2022-01-01&end=2024-12-31",
}
PRECINCT_VIEW = "?city=denver&start=2024-01-01&end=2024-12-31&level=precinct"


def download(page, selector: str) -> tuple[str, bytes]:
    with page.expect_download() as info:
        page.click(selector)
    got = info.value
    return got.suggested_filename, open(got.path(), "rb").read()  # noqa: PTH123


def table_rows(page, container_id: str) -> list[list[str]]:
    """Header-less cell texts of the table inside ``container_id`` (shown or not)."""
    return page.evaluate(
        """(id) => [...document.querySelectorAll('#' + id + ' tbody tr')].map(
               tr => [...tr.children].map(c => c.textContent.trim()))""",
        container_id,
    )


def view_filters(query: str) -> Filters:
    q = parse_qs(query.lstrip("?"))
    start = parse_month(q["start"][0])
    end = parse_month(q["end"][0])
    return Filters(q["city"][0], start, end, districts=tuple(q.get("district", [])),
                   categories=tuple(q.get("category", [])))


def release_file(base: str, city: str, name: str) -> bytes:
    """A file of the city's current release, downloaded through the release-file API."""
    payload = requests.get(f"{base}/api/v1/releases", timeout=30).json()
    release = next(r for r in _releases(payload, city) if r["current"])
    got = requests.get(f"{base}/api/v1/releases/{city}/{release['id']}/files/{name}", timeout=30)
    assert got.status_code == 200, name
    return got.content


def published_minutes(base: str, f: Filters) -> pd.DataFrame:
    """The view's cells of rollup_minutes (calls per whole response minute)."""
    frame = pd.read_parquet(io.BytesIO(release_file(base, f.city, f"{ROLLUP_MINUTES.name}.parquet")))
    return select_minutes(frame.assign(month=pd.to_datetime(frame["month"])), f)


@pytest.mark.parametrize("name", list(VIEWS))
def test_every_figure_on_screen_reproduces_from_the_rows_download(page, live_server, name):
    query = VIEWS[name]
    f = view_filters(query)
    open_overview(page, live_server, query)

    filename, body = download(page, f"#{ids.OVERVIEW_DOWNLOAD_ROWS}")
    payload = requests.get(f"{live_server}/api/v1/releases", timeout=30).json()
    current = next(r["id"] for r in _releases(payload, f.city) if r["current"])
    expected_name = f"calls_{f.city}_{query_value(query, 'start')}_{query_value(query, 'end')}"
    if f.districts:
        expected_name += "_district-" + "+".join(f.districts)
    assert filename.startswith(expected_name) and filename.endswith(f"_release-{current}.csv"), filename
    rows = pd.read_csv(io.BytesIO(body), dtype={"district": "string"}, keep_default_na=False,
                       na_values={"unanswered_reason": [""]})
    minutes = published_minutes(live_server, f)
    assert list(rows.columns) == list(CALLS_COLUMN_NAMES)
    assert len(rows) > 0

    # The downloaded rows are exactly the view: month of week in range, filters applied.
    month = pd.to_datetime(rows["week"]).dt.to_period("M").dt.start_time
    assert month.min() >= pd.Timestamp(f.start) and month.max() <= pd.Timestamp(f.end)
    if f.districts:
        assert set(rows["district"]) <= set(f.districts)
    if f.categories:
        assert set(rows["call_category"]) <= set(f.categories)

    programs = [p.value for p in ResponseType if p.value in set(rows["response_type"])] or []
    shown = kpi_texts(page)
    by_program = rows.groupby("response_type").size()
    calls = len(rows)
    # Program cards first (the city's programs in contract order), then the four shares.
    cards = len(shown) - 4
    city_programs = [p.value for p in ResponseType][:cards] if f.city == "denver" else None
    if city_programs is not None:
        assert shown[:cards] == [fmt_int(int(by_program.get(p, 0)), "en") for p in city_programs]
    alt = "STAR" if f.city == "denver" else "CO_RESPONDER"
    eligible = rows["star_eligible"].astype(str).str.lower() == "true"
    answered = int((eligible & (rows["response_type"] == alt)).sum())
    alt_share = answered / int(eligible.sum()) if eligible.any() else None
    assert shown[cards] == (fmt_pct(alt_share, "en") if alt_share is not None else "—")
    median = minute_quantile(minutes, 0.5)
    assert re.sub(r"\D", "", shown[cards + 1]) == str(int(median))
    arrests = int((rows["outcome"] == "arrest").sum())
    assert shown[cards + 2] == fmt_pct(arrests / calls, "en", digits=1)
    alt_rows = rows[rows["response_type"] == alt]
    backups = int((alt_rows["police_backup"].astype(str).str.lower() == "true").sum())
    assert shown[cards + 3] == (fmt_pct(backups / len(alt_rows), "en", digits=1) if len(alt_rows) else "—")

    # Trend table: one row per month, the month's calls per program, then the total.
    trend = table_rows(page, ids.OVERVIEW_TREND_TABLE)
    per_month = rows.assign(month=month).groupby("month").size()
    assert [r[-1] for r in trend] == [fmt_int(int(per_month.get(m, 0)), "en")
                                      for m in pd.date_range(f.start, f.end, freq="MS")]

    # Program table: calls, median and 90th percentile per program.
    for cells in table_rows(page, ids.OVERVIEW_PROGRAM_TABLE):
        program = _program_of(cells[0], programs)
        program_rows = rows[rows["response_type"] == program]
        assert cells[1] == fmt_int(len(program_rows), "en")
        timed = minutes[minutes["response_type"] == program]
        if timed["n"].sum():
            assert cells[3] == fmt_int(minute_quantile(timed, 0.5), "en")
            assert cells[4] == fmt_int(minute_quantile(timed, 0.9), "en")

    # Map table (districts): calls per district, rows generalized to city level left out.
    if page.locator(f"#{ids.OVERVIEW_MAP_TABLE} tbody tr").count():
        per_district = rows.groupby("district").size()
        for cells in table_rows(page, ids.OVERVIEW_MAP_TABLE):
            district = re.sub(r"\D", "", cells[0])
            if district and (not f.districts or district in f.districts) and "not published" not in cells[-1]:
                assert cells[2] == fmt_int(int(per_district.get(district, 0)), "en"), cells


def query_value(query: str, name: str) -> str:
    return parse_qs(query.lstrip("?"))[name][0]


def _releases(payload: dict, city: str) -> list[dict]:
    """The city's releases from ``/api/v1/releases`` (see its OpenAPI description)."""
    return next(c["releases"] for c in payload["cities"] if c["city"] == city)


def _program_of(label: str, programs: list[str]) -> str:
    names = {"STAR team": "STAR", "Co-responder team": "CO_RESPONDER", "CIT officers": "CIT_OFFICER",
             "Patrol officers": "PATROL"}
    return names.get(label, label)


def test_chart_downloads_hold_the_chart_numbers(page, live_server):
    query = VIEWS["district-3-2023"]
    open_overview(page, live_server, query)
    name, body = download(page, f"#{ids.OVERVIEW_TREND_DOWNLOAD}")
    assert name.startswith("trend_denver_2023-01-01_2023-12-31_district-3_release-"), name
    trend = pd.read_csv(io.BytesIO(body))
    shown_totals = [r[-1] for r in table_rows(page, ids.OVERVIEW_TREND_TABLE)]
    month_col = next(c for c in trend.columns if "month" in c)
    totals = trend.groupby(month_col)["calls"].sum().sort_index()
    assert [fmt_int(int(v), "en") for v in totals] == shown_totals

    name, body = download(page, f"#{ids.OVERVIEW_DOWNLOAD_KPIS}")
    assert name.startswith("kpis_denver_2023-01-01_2023-12-31_district-3_release-"), name
    kpis = pd.read_csv(io.BytesIO(body))
    cards = kpi_texts(page)
    assert len(kpis) == 1
    assert fmt_int(int(kpis["calls"].iloc[0]), "en") == fmt_int(
        sum(int(v.replace(",", "")) for v in cards[:4]), "en")

    name, body = download(page, f"#{ids.OVERVIEW_PROGRAMS_DOWNLOAD}")
    assert name.startswith("programs_denver_"), name
    programs = pd.read_csv(io.BytesIO(body))
    shown = {r[0]: r[1] for r in table_rows(page, ids.OVERVIEW_PROGRAM_TABLE)}
    assert sorted(fmt_int(int(v), "en") for v in programs["calls"]) == sorted(shown.values())


def test_download_links_follow_the_filters(page, live_server):
    open_overview(page, live_server, VIEWS["district-3-2023"])
    page.locator(f"#{ids.OVERVIEW_PROGRAMS} input[value='PATROL']").uncheck()
    page.wait_for_function(
        "(id) => document.getElementById(id).getAttribute('href').includes('program=')",
        arg=ids.OVERVIEW_DOWNLOAD_ROWS,
    )
    href = page.get_attribute(f"#{ids.OVERVIEW_DOWNLOAD_ROWS}", "href")
    params = parse_qs(urlsplit(href).query)
    assert "PATROL" not in params["program"] and "lang" not in params
    name, body = download(page, f"#{ids.OVERVIEW_DOWNLOAD_ROWS}")
    assert "_program-" in name
    rows = pd.read_csv(io.BytesIO(body))
    assert len(rows) > 0 and "PATROL" not in set(rows["response_type"])
    assert len(rows) == int(
        sum(int(v.replace(",", "")) for v in kpi_texts(page)[:3])
    )


def test_precinct_map_matches_the_published_cube_and_shows_suppression(page, live_server):
    open_overview(page, live_server, PRECINCT_VIEW)
    cube = pd.read_parquet(io.BytesIO(release_file(live_server, "denver", f"{CUBE_PRECINCT.name}.parquet")))
    cube = cube[(cube["jurisdiction"] == "denver") & (cube["year"] == 2024)]
    published = cube[~cube["suppressed"]].groupby("precinct")["n"].sum()
    hidden = cube[cube["suppressed"]].groupby("precinct").size()
    assert hidden.sum() > 0, "this view should have suppressed cells"
    notes = page.locator(f"#{ids.OVERVIEW_MAP_NOTES}").text_content()
    assert "suppress" in notes.lower() or "hidden" in notes.lower() or "fewer" in notes.lower()
    rows = table_rows(page, ids.OVERVIEW_MAP_TABLE)
    assert len(rows) > 20
    for cells in rows:
        precinct = re.sub(r"\D", "", cells[0])
        assert cells[2] == fmt_int(int(published.get(precinct, 0)), "en"), cells
        if hidden.get(precinct, 0):
            assert str(int(hidden[precinct])) in cells[-1], cells
    name, body = download(page, f"#{ids.OVERVIEW_MAP_DOWNLOAD}")
    assert name.startswith("map_denver_2024-01-01_2024-12-31"), name
    frame = pd.read_csv(io.BytesIO(body), dtype=str)
    assert any("suppress" in c for c in frame.columns)
