"""The running dashboard picks up a new current release without a restart (issue 3, item 5)."""

from __future__ import annotations

import logging
import shutil
import threading
import time
from datetime import date

import pandas as pd
import pytest

from dashboard.data import store as store_module
from dashboard.data.release import CURRENT_POINTER, build_release, set_current
from dashboard.data.store import Store
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame

TOTAL = "SELECT sum(n)::BIGINT AS n FROM rollup_overview"

#: Calls of the tiny frame (conftest), all published at k = 11; ``later(copies=c)`` publishes
#: c times as many (its classes are c times as big, so none is generalized further).
TINY = 70


def later(weeks: int, copies: int = 1) -> pd.DataFrame:
    """The tiny frame moved ``weeks`` later, repeated ``copies`` times: a different release."""
    frame = pd.concat([tiny_internal_frame()] * copies, ignore_index=True)
    frame["received_hour"] = frame["received_hour"] + pd.Timedelta(weeks=weeks)
    return frame


@pytest.fixture
def settings(tmp_path) -> Settings:
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    return Settings(data_dir=tmp_path, privacy_k=11)


def wait_for_check() -> None:
    time.sleep(store_module.RELOAD_CHECK_SECONDS + 0.1)


def test_a_new_current_release_is_served_without_a_restart(settings):
    a = build_release(tiny_internal_frame(), settings.releases_dir, city="denver", source="A", synthetic=True)
    store = Store(settings)
    assert store.release_info("denver").release_id == a.release_id
    assert store.frame(TOTAL)["n"].iloc[0] == TINY
    assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == TINY
    assert store.catalogs()["denver"].last_month == date(2023, 2, 1)

    b = build_release(later(weeks=52, copies=2), settings.releases_dir, city="denver", source="B",
                      synthetic=True)
    wait_for_check()
    assert store.release_info("denver").release_id == b.release_id
    assert store.frame(TOTAL)["n"].iloc[0] == 2 * TINY
    assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == 2 * TINY  # cache cleared
    assert store.catalogs()["denver"].last_month == date(2024, 2, 1)
    assert store.release_path("denver") == b.path
    assert store.frame("SELECT count(*) AS n FROM calls")["n"].iloc[0] == 2 * TINY  # the row view too


def test_pointers_are_looked_at_at_most_once_a_second(settings, monkeypatch):
    build_release(tiny_internal_frame(), settings.releases_dir, city="denver", source="A", synthetic=True)
    store = Store(settings)
    looks = []
    original = store._pointer_stats
    monkeypatch.setattr(store, "_pointer_stats", lambda: looks.append(1) or original())
    for _ in range(200):
        store.frame(TOTAL)
        store.catalogs()
    assert len(looks) <= 1


def test_a_release_that_fails_to_open_leaves_the_old_one_serving(settings, caplog):
    b = build_release(tiny_internal_frame(), settings.releases_dir, city="denver", source="B", synthetic=True)
    store = Store(settings)
    set_current(settings.releases_dir / "denver", "20990101-missing")
    wait_for_check()
    with caplog.at_level(logging.ERROR, logger="dashboard.data.store"):
        assert store.release_info("denver").release_id == b.release_id
        assert store.frame(TOTAL)["n"].iloc[0] == TINY
    assert "could not be opened" in caplog.text

    # A corrupt release (its rollups unreadable) is refused the same way.
    c = build_release(later(weeks=10), settings.releases_dir, city="denver", source="C", synthetic=True)
    (c.path / "rollup_overview.parquet").write_bytes(b"not parquet")
    set_current(settings.releases_dir / "denver", c.release_id)
    wait_for_check()
    assert store.release_info("denver").release_id == b.release_id
    assert store.frame(TOTAL)["n"].iloc[0] == TINY

    # Once the pointer moves to a good release, it is served.
    (settings.releases_dir / "denver" / CURRENT_POINTER).unlink()
    d = build_release(later(weeks=20, copies=3), settings.releases_dir, city="denver", source="D",
                      synthetic=True)
    wait_for_check()
    assert store.release_info("denver").release_id == d.release_id
    assert store.frame(TOTAL)["n"].iloc[0] == 3 * TINY


def test_threads_see_the_old_or_the_new_release_never_an_error(settings):
    build_release(tiny_internal_frame(), settings.releases_dir, city="denver", source="A", synthetic=True)
    store = Store(settings)
    seen: list[int] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                seen.append(int(store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0]))
                store.catalogs()
                time.sleep(0.001)
            except BaseException as exc:  # noqa: BLE001 - every failure is the finding
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        build_release(later(weeks=30, copies=2), settings.releases_dir, city="denver", source="B",
                      synthetic=True)
        deadline = time.monotonic() + 5
        while (not seen or seen[-1] != 2 * TINY) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert set(seen) <= {TINY, 2 * TINY} and seen[-1] == 2 * TINY
