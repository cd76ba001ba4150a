"""Shared fixtures: a tiny hand-made release whose every count is known in advance."""

from __future__ import annotations

import shutil
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dashboard.settings import REPO_ROOT, Settings


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Group the tests for ``pytest -n auto --dist loadgroup`` (``make test``).

    Every test gets its own node id. Each module stays on one worker, so its
    module-scoped fixtures (a generated city, a built release) are built once. Every
    browser test shares one group: one live server and one Chromium at a time, so a page
    never waits for a second browser's CPU.

    xdist reads a test's group from a ``@group`` suffix of its node id, which its own
    hook writes to ``item._nodeid``; pytest 9 reads node ids from ``item._id`` instead, so
    without the suffix written here no test had a group and modules were split across
    workers (each building its module fixtures again).
    """
    browser = Path(__file__).parent / "browser"
    grouped = bool(getattr(config.option, "loadgroup", False))
    for item in items:
        path = Path(str(item.fspath))
        group = "browser" if browser in path.parents else path.stem
        item.add_marker(pytest.mark.xdist_group(group))
        # xdist hands tests to workers by node id, and schemathesis gives each API
        # operation's test the same one: each gets its own, as pytest names any other item.
        if grouped:
            item._id = item.parent.id.child(f"{item.name}@{group}")
        elif not item.nodeid.endswith(item.name):
            item._id = item.parent.id.child(item.name)
    twice = sorted(nodeid for nodeid, n in Counter(item.nodeid for item in items).items() if n > 1)
    if twice:
        raise pytest.UsageError(f"tests share a node id, so xdist would run one of them: {twice}")


def tiny_internal_frame() -> pd.DataFrame:
    """70 Denver calls in two months, built so class sizes and counts are easy to state.

    A row's class is its week, district, call category, program and police backup
    (``schema.QUASI_IDENTIFIERS``), so each program below is a class of its own:

    January 2023 (weeks of Mon 2 and Mon 9), district 1 and 2, welfare checks:
      - district 1, week of Jan 2: 12 STAR (eligible, 10 min), 11 PATROL (not eligible, 10 min)
      - district 2, week of Jan 9: 11 STAR (eligible, 20 min), 12 CIT_OFFICER (eligible,
        unanswered: no_team_available, 10 min), 2 of the CIT calls ended in arrest
    February 2023:
      - 12 mental-health calls in district 1, week of Feb 6: all CO_RESPONDER, not eligible
      - 12 disturbance calls in district 2: 6 in week of Feb 6 and 6 in week of Feb 13,
        all PATROL: each week class has 6 < k=11 rows, so they generalize to the month.
    Response minutes are 10 for every call except STAR in district 2 (20).
    """
    rows = []

    def add(n, when, district, precinct, category, rtype, eligible, minutes, outcome="resolved_on_scene",
            reason=None, backup=False):
        for _ in range(n):
            rows.append(dict(
                jurisdiction="denver", received_hour=pd.Timestamp(when), district=district,
                precinct=precinct, neighborhood=None, council_district=None, call_category=category,
                star_eligible=eligible, response_type=rtype, response_minutes=minutes, outcome=outcome,
                police_backup=backup, unanswered_reason=reason, repeat_contact_90d=False, person_key=None,
            ))

    add(12, "2023-01-03 11:00", "1", "111", "welfare_check", "STAR", True, 10, backup=False)
    add(11, "2023-01-04 02:00", "1", "111", "welfare_check", "PATROL", False, 10)
    add(11, "2023-01-10 12:00", "2", "211", "welfare_check", "STAR", True, 20)
    add(10, "2023-01-11 23:00", "2", "212", "welfare_check", "CIT_OFFICER", True, 10,
        reason="no_team_available")
    add(2, "2023-01-11 23:00", "2", "212", "welfare_check", "CIT_OFFICER", True, 10, outcome="arrest",
        reason="no_team_available")
    add(12, "2023-02-07 15:00", "1", "112", "mental_health", "CO_RESPONDER", False, 10)
    add(6, "2023-02-07 20:00", "2", "211", "disturbance", "PATROL", False, 10)
    add(6, "2023-02-14 20:00", "2", "211", "disturbance", "PATROL", False, 10)
    frame = pd.DataFrame(rows)
    frame["response_minutes"] = frame["response_minutes"].astype("Int32")
    frame["unanswered_reason"] = frame["unanswered_reason"].astype("string")
    return frame


@pytest.fixture(scope="session")
def tiny_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings pointing at a data dir holding the real city configs and the tiny release."""
    from dashboard.publish.release import build_release

    root = tmp_path_factory.mktemp("tiny-data")
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    build_release(tiny_internal_frame(), root / "releases", city="denver", source="test fixture",
                  synthetic=True, k=11, seed=7)
    return Settings(data_dir=root, privacy_k=11)


#: The query engines every query, page-data and API suite runs on (``engine`` fixture).
ENGINES = ("duckdb", "postgres")


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine in turn: a test using a fixture built on this runs once per engine.

    Module-scoped, not session-scoped: pytest orders tests to set a parametrized fixture
    up as few times as possible, and at session scope that interleaves modules, setting
    their own module fixtures (a generated city, a built release) up again and again.
    """
    return request.param


@pytest.fixture(scope="session")
def postgres_server():
    """One throwaway PostgreSQL per test process (``benchmarks.services``), removed at the end."""
    from benchmarks.services import start_postgres

    server = start_postgres()
    yield server
    server.stop()


_PUBLISHED: dict[tuple[str, Path], str] = {}


def on_engine(settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    """``settings`` served by ``engine``: for PostgreSQL, every city's CURRENT release
    published (``crisis-dashboard publish``) into a database of its own, once per folder."""
    if engine == "duckdb":
        return settings
    from dataclasses import replace

    import psycopg

    from dashboard.contract.cities import load_cities
    from dashboard.contract.releases import ReleaseError, current_release_dir
    from dashboard.publish.to_database import publish_to_database

    server = request.getfixturevalue("postgres_server")
    key = (server.url, settings.data_dir)
    if key not in _PUBLISHED:
        name = f"data_{len(_PUBLISHED)}"
        with psycopg.connect(server.url, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        url = server.url.rsplit("/", 1)[0] + "/" + name
        for city in load_cities(settings.cities_dir):
            try:
                folder = current_release_dir(settings.releases_dir, city)
            except ReleaseError:
                continue
            publish_to_database(folder, url, validate=False, switch_delay=0)
        _PUBLISHED[key] = url
    return replace(settings, database_url=_PUBLISHED[key])


@pytest.fixture(scope="module")
def tiny_store(tiny_settings: Settings, engine: str, request: pytest.FixtureRequest):
    """The tiny release's store on each engine in turn."""
    from dashboard.engine.engines import open_store

    return open_store(on_engine(tiny_settings, engine, request))


@pytest.fixture(scope="session")
def shipped_settings() -> Settings:
    return Settings()


@pytest.fixture(scope="module")
def shipped_engine_settings(shipped_settings: Settings, engine: str,
                            request: pytest.FixtureRequest) -> Settings:
    """The shipped releases' settings on each engine in turn."""
    return on_engine(shipped_settings, engine, request)


@pytest.fixture(scope="module")
def tiny_engine_settings(tiny_settings: Settings, engine: str, request: pytest.FixtureRequest) -> Settings:
    """The tiny release's settings on each engine in turn."""
    return on_engine(tiny_settings, engine, request)


def select_rows(df: pd.DataFrame, f: object) -> pd.DataFrame:
    """The rows of a downloaded ``calls.csv`` a view (``Filters``) counts, done the way a
    journalist would in pandas: months by the week's Monday, then each filter."""
    month = pd.to_datetime(df["week"]).dt.to_period("M").dt.start_time
    keep = (month >= pd.Timestamp(f.start)) & (month <= pd.Timestamp(f.end))
    if f.programs:
        keep &= df["response_type"].isin([p.value for p in f.programs])
    if f.districts:
        keep &= df["district"].isin(f.districts)
    if f.categories:
        keep &= df["call_category"].isin([c.value for c in f.categories])
    return df[keep]


def routing_body(pathname: object = "/", search: object = "") -> dict:
    """The body of Dash's page-routing callback for ``pathname?search`` (values may be junk)."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [
            {"id": "_pages_content", "property": "children"},
            {"id": "_pages_store", "property": "data"},
        ],
        "inputs": [
            {"id": "_pages_location", "property": "pathname", "value": pathname},
            {"id": "_pages_location", "property": "search", "value": search},
        ],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [],
    }


def route_page(client: object, pathname: str, search: str) -> object:
    """What the browser asks when it opens ``pathname?search``: Dash's page-routing callback."""
    return client.post("/_dash-update-component", json=routing_body(pathname, search))


def release_calls(settings: Settings, city: str) -> pd.DataFrame:
    """The public rows of a city's current release, as a journalist would download them."""
    from dashboard.contract.releases import current_release_dir

    path = current_release_dir(settings.releases_dir, city) / "calls.csv"
    return pd.read_csv(path, dtype={"district": "string"}, keep_default_na=True)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(12345)


__all__ = ["release_calls", "tiny_internal_frame", "Path"]


def release_minutes(settings: Settings, city: str) -> pd.DataFrame:
    """The published response minutes of a city's current release, as a journalist reads them.

    Minutes are not in the rows (issue 12: to the minute they would single out most calls):
    ``rollup_minutes.parquet`` counts the calls (``n``) at each whole minute by month,
    district, call category and program, over the same calls as the rows. ``month`` is
    returned as a Timestamp.
    """
    from dashboard.contract.releases import current_release_dir

    frame = pd.read_parquet(current_release_dir(settings.releases_dir, city) / "rollup_minutes.parquet")
    frame["month"] = pd.to_datetime(frame["month"])
    return frame


def select_minutes(minutes: pd.DataFrame, f: object) -> pd.DataFrame:
    """The cells of ``release_minutes`` a view (``Filters``) counts: its months and filters,
    the same selection ``select_rows`` makes of the rows."""
    keep = (minutes["jurisdiction"] == f.city) & (minutes["month"] >= pd.Timestamp(f.start)) & (
        minutes["month"] <= pd.Timestamp(f.end))
    if f.programs:  # enum members or their values (both are str)
        keep &= minutes["response_type"].isin([str(p) for p in f.programs])
    if f.districts:
        keep &= minutes["district"].isin(f.districts)
    if f.categories:
        keep &= minutes["call_category"].isin([str(c) for c in f.categories])
    return minutes[keep]


def minute_quantile(minutes: pd.DataFrame, q: float) -> float:
    """numpy's inverted-CDF quantile of the calls a ``rollup_minutes`` selection counts (each
    minute repeated ``n`` times): the page's definition, computed independently. NaN when
    no call has a time."""
    calls = np.repeat(minutes["response_minutes"].to_numpy(int), minutes["n"].to_numpy(int))
    return float(np.quantile(calls, q, method="inverted_cdf")) if len(calls) else float("nan")


#: True once Dash shows the live page: until then the page holds the first view the
#: server sent as HTML (``dashboard.first_view``), which looks the same but whose
#: controls do nothing yet; ``assets/dash-on-demand.js`` removes it (``#first-view``)
#: once Dash has drawn the page. React marks the elements it creates (``__react...``).
DASH_DREW = """() => {
  if (document.getElementById('first-view')) { return false; }
  const first = document.getElementById('react-entry-point')?.firstElementChild;
  return !!first && Object.keys(first).some((key) => key.startsWith('__react'));
}"""


def wait_for_dash(page: object) -> None:
    """Start Dash as a reader would, and wait until it has replaced the first view.

    Dash's scripts start when a chart comes into view or the reader touches, clicks or
    types (``assets/dash-on-demand.js``); a Shift key press starts them, and does
    nothing else, on any page."""
    if not page.evaluate(DASH_DREW):
        page.keyboard.press("Shift")
    page.wait_for_function(DASH_DREW)
