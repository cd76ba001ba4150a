"""The running dashboard follows CURRENT without a restart (issue 3, item 5), and serves
only releases whose files match their manifests, city by city (issue 12, items 5-6).

Most tests drive the Store by hand (``watch=False``, then ``refresh()``: what the
watcher thread does every half second) so that each step is deterministic; the thread
itself is tested too.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import threading
import time
from datetime import date

import pandas as pd
import pytest

from dashboard.contract.releases import CURRENT_POINTER, read_pointer
from dashboard.engine.integrity import IntegrityError
from dashboard.engine.store import Store
from dashboard.publish.atomic_publish import set_current
from dashboard.publish.release import build_release
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame

TOTAL = "SELECT sum(n)::BIGINT AS n FROM rollup_overview WHERE jurisdiction = 'denver'"

#: Calls of the tiny frame (conftest), all published at k = 11; ``later(copies=c)`` publishes
#: c times as many (its classes are c times as big, so none is generalized further).
TINY = 70


def later(weeks: int, copies: int = 1, city: str = "denver") -> pd.DataFrame:
    """The tiny frame moved ``weeks`` later, repeated ``copies`` times: a different release."""
    frame = pd.concat([tiny_internal_frame()] * copies, ignore_index=True)
    frame["received_hour"] = frame["received_hour"] + pd.Timedelta(weeks=weeks)
    frame["jurisdiction"] = city
    return frame


def build(settings: Settings, frame: pd.DataFrame, city: str = "denver", **options: object):
    return build_release(frame, settings.releases_dir, city=city, source="test", synthetic=True, k=11,
                         **options)


@pytest.fixture
def settings(tmp_path) -> Settings:
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    return Settings(data_dir=tmp_path, privacy_k=11, switch_delay=0.0)


def total(store: Store) -> int:
    return int(store.frame(TOTAL)["n"].iloc[0])


def test_a_new_current_release_is_served_without_a_restart(settings):
    a = build(settings, tiny_internal_frame())
    store = Store(settings, watch=False)
    assert store.release_info("denver").release_id == a.release_id
    assert total(store) == TINY
    assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == TINY
    assert store.catalogs()["denver"].last_month == date(2023, 2, 1)

    b = build(settings, later(weeks=52, copies=2))
    store.refresh()
    assert store.release_info("denver").release_id == b.release_id
    assert total(store) == 2 * TINY
    assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == 2 * TINY  # keyed by release
    assert store.catalogs()["denver"].last_month == date(2024, 2, 1)
    assert store.release_path("denver") == b.path
    assert store.frame("SELECT count(*) AS n FROM calls")["n"].iloc[0] == 2 * TINY  # the row view too
    assert store.release_key() == f"denver/{b.release_id}"


def test_the_watcher_thread_picks_up_a_new_release(settings):
    build(settings, tiny_internal_frame())
    store = Store(settings)
    try:
        b = build(settings, later(weeks=52, copies=2))
        deadline = time.monotonic() + 5
        while store.release_info("denver").release_id != b.release_id:
            assert time.monotonic() < deadline, "the watcher never switched"
            time.sleep(0.05)
        assert total(store) == 2 * TINY
    finally:
        store.close()


def test_a_release_that_fails_its_checks_leaves_the_old_one_serving_and_is_retried(settings, caplog):
    b = build(settings, tiny_internal_frame())
    store = Store(settings, watch=False)
    set_current(settings.releases_dir / "denver", "20990101-missing")
    with caplog.at_level(logging.ERROR, logger="dashboard.engine.store"):
        store.refresh()
    assert store.release_info("denver").release_id == b.release_id
    assert total(store) == TINY
    assert "20990101-missing" in caplog.text and "not served" in caplog.text
    status = store.statuses()["denver"]
    assert status.fallback and status.named == "20990101-missing" and "no manifest.json" in status.problem

    # A corrupt release (its rollups overwritten) is refused the same way: by its checksums.
    c = build(settings, later(weeks=10))
    good_bytes = (c.path / "rollup_overview.parquet").read_bytes()
    (c.path / "rollup_overview.parquet").write_bytes(b"not parquet")
    set_current(settings.releases_dir / "denver", c.release_id)
    store.refresh()
    assert store.release_info("denver").release_id == b.release_id
    assert total(store) == TINY
    assert "rollup_overview.parquet" in store.statuses()["denver"].problem
    store.refresh()  # nothing changed: still refused, still the old one
    assert store.release_info("denver").release_id == b.release_id

    # Repairing the file is enough: the failed release is looked at again, and served.
    (c.path / "rollup_overview.parquet").write_bytes(good_bytes)
    store.refresh()
    assert store.release_info("denver").release_id == c.release_id
    assert store.statuses()["denver"].problem is None

    # Once the pointer moves to another good release, it is served.
    (settings.releases_dir / "denver" / CURRENT_POINTER).unlink()
    d = build(settings, later(weeks=20, copies=3))
    store.refresh()
    assert store.release_info("denver").release_id == d.release_id
    assert total(store) == 3 * TINY


def test_a_file_damaged_in_place_falls_back_to_the_previous_release_of_that_city_only(settings):
    gj = build(settings, later(weeks=0, city="grand_junction"), city="grand_junction")
    a = build(settings, tiny_internal_frame())
    b = build(settings, later(weeks=52, copies=2))
    store = Store(settings, watch=False)
    assert store.release_key() == f"denver/{b.release_id}, grand_junction/{gj.release_id}"

    calls = b.path / "calls.parquet"
    with calls.open("r+b") as fh:  # truncate -s 50%
        fh.truncate(calls.stat().st_size // 2)
    with pytest.raises(IntegrityError, match="calls.parquet"):  # rows are never read from it
        store.snapshot_cursor("denver")
    store.refresh()
    status = store.statuses()["denver"]
    assert status.fallback and status.serving.release_id == a.release_id and status.named == b.release_id
    assert "calls.parquet" in status.problem
    assert total(store) == TINY
    assert store.snapshot_cursor("denver")[0].release_id == a.release_id
    assert store.release_info("grand_junction").release_id == gj.release_id  # untouched
    assert store.statuses()["grand_junction"].problem is None

    # Opened from scratch (a worker restart) it is the same: no exception, same choice.
    fresh = Store(settings, watch=False)
    assert fresh.release_key() == f"denver/{a.release_id}, grand_junction/{gj.release_id}"


def test_a_city_with_no_good_release_is_unavailable_and_the_others_are_served(settings):
    gj = build(settings, later(weeks=0, city="grand_junction"), city="grand_junction")
    only = build(settings, tiny_internal_frame())
    data = bytearray((only.path / "calls.parquet").read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: same size, different sha256
    (only.path / "calls.parquet").write_bytes(bytes(data))
    store = Store(settings, watch=False)
    assert list(store.cities) == ["grand_junction"]
    assert store.release_key() == f"grand_junction/{gj.release_id}"
    assert list(store.unavailable()) == ["denver"]
    assert "sha256" in store.unavailable()["denver"].problem
    assert "denver" not in store.catalogs()


def test_a_release_that_matches_its_checksums_but_cannot_be_loaded_costs_only_its_city(settings):
    """A release broken when it was built (its manifest describes the broken file)."""
    gj = build(settings, later(weeks=0, city="grand_junction"), city="grand_junction")
    bad = build(settings, tiny_internal_frame())
    broken = b"not parquet at all"
    (bad.path / "rollup_overview.parquet").write_bytes(broken)
    manifest = json.loads((bad.path / "manifest.json").read_text())
    manifest["files"]["rollup_overview.parquet"] = {"sha256": hashlib.sha256(broken).hexdigest(),
                                                    "bytes": len(broken)}
    (bad.path / "manifest.json").write_text(json.dumps(manifest))
    store = Store(settings, watch=False)
    assert store.release_key() == f"grand_junction/{gj.release_id}"
    assert "cannot be loaded" in store.unavailable()["denver"].problem


def test_a_scheduled_switch_waits_for_its_instant_in_every_process(settings):
    a = build(settings, tiny_internal_frame())
    store = Store(settings, watch=False)
    b = build(settings, later(weeks=52, copies=2), switch_delay=1.5)
    pointer = read_pointer(settings.releases_dir / "denver")
    assert pointer.release_id == b.release_id and pointer.previous == a.release_id
    store.refresh()  # seen and opened, but not yet due
    fresh = Store(settings, watch=False)  # a worker started in the window serves the old one too
    for s in (store, fresh):
        assert s.release_info("denver").release_id == a.release_id
    time.sleep(max(0.0, pointer.switch_at - time.time()) + 0.05)
    for s in (store, fresh):  # no refresh needed: the switch happens at the instant
        assert s.release_info("denver").release_id == b.release_id
        assert total(s) == 2 * TINY


def test_a_page_pinned_to_a_replaced_release_answers_from_it_within_the_grace(settings):
    a = build(settings, tiny_internal_frame())
    store = Store(settings, watch=False)
    old_key = store.release_key()
    b = build(settings, later(weeks=52, copies=2))
    store.refresh()
    assert store.release_key() == f"denver/{b.release_id}"
    with store.pinned(old_key) as found:
        assert found and store.release_info("denver").release_id == a.release_id and total(store) == TINY
        assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == TINY
    assert store.cached(("total",), lambda: store.frame(TOTAL))["n"].iloc[0] == 2 * TINY
    with store.pinned("denver/19990101-gone") as found:
        assert not found and total(store) == 2 * TINY  # unknown: the active one (the page reloads)

    expired = Store(Settings(data_dir=settings.data_dir, privacy_k=11, switch_delay=0.0, release_grace=0.0),
                    watch=False)
    key = expired.release_key()
    build(settings, later(weeks=60))
    expired.refresh()
    time.sleep(0.01)
    with expired.pinned(key) as found:
        assert not found


def test_threads_see_the_old_or_the_new_release_never_an_error(settings):
    build(settings, tiny_internal_frame())
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
        build(settings, later(weeks=30, copies=2))
        deadline = time.monotonic() + 5
        while (not seen or seen[-1] != 2 * TINY) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        for t in threads:
            t.join()
        store.close()
    assert not errors
    assert set(seen) <= {TINY, 2 * TINY} and seen[-1] == 2 * TINY
    assert seen == sorted(seen), "a reader saw the old release after the new one"
