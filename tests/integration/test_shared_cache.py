"""The shared cache (issue 16, item 3): workers share query results through a real Redis,
and the site keeps answering, with the same numbers, when Redis stops or is flushed.

Redis is Debian's ``redis-server``, started on loopback by ``benchmarks.services`` and
stopped in the middle of a run for the outage test.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import replace

import pytest
import redis as redis_client

from benchmarks.services import start_redis
from dashboard.engine import shared_cache as shared_cache_module
from dashboard.engine.engines import open_store
from dashboard.engine.store import Store
from dashboard.params.filters import default_filters
from dashboard.queries import overview as queries
from dashboard.settings import Settings

from ..unit.test_engines import PAGES, _first_view, _without_tokens


@pytest.fixture
def redis_server():
    server = start_redis()
    yield server
    server.stop()


class CountingStore:
    """Counts the queries a store sends to its engine (``frame``)."""

    def __init__(self, store: Store) -> None:
        self.store, self.queries = store, 0
        original = store.frame

        def frame(*args, **kwargs):
            self.queries += 1
            return original(*args, **kwargs)

        store.frame = frame  # type: ignore[method-assign]


def views(store: Store) -> list:
    base = default_filters(store.catalogs()["denver"])
    return [base, base.with_(districts=("3",)), base.with_(start=base.end)]


def answers(store: Store) -> list:
    return [(queries.kpis(store, f), queries.program_counts(store, f), queries.monthly_by_program(store, f))
            for f in views(store)]


def test_a_view_computed_by_one_worker_is_read_by_the_others(shipped_settings, redis_server):
    settings = replace(shipped_settings, redis_url=redis_server.url)
    first, second = (CountingStore(Store(settings, watch=False)) for _ in range(2))
    plain = Store(shipped_settings, watch=False)
    want = answers(plain)
    got_first = answers(first.store)
    assert first.queries > 0
    got_second = answers(second.store)
    assert second.queries == 0, "the second worker ran queries the first had already run"
    for a, b, c in zip(want, got_first, got_second, strict=True):
        for x, y, z in zip(a, b, c, strict=True):
            assert x.equals(y) and x.equals(z)
            assert list(x.dtypes) == list(z.dtypes)
    # Keys name the releases: another snapshot (another release) would not read these.
    keys = redis_client.Redis.from_url(redis_server.url).keys("crisis:*")
    assert len(keys) >= 3 and all(k.decode().startswith(f"crisis:{shared_cache_module.code_version()}:")
                                  for k in keys)
    # The engine and the city configurations are part of every key.
    assert first.store._shared.space != shared_cache_module.namespace("postgres", settings.cities_dir)


def test_pages_read_from_the_shared_cache_are_the_pages_computed_fresh(shipped_settings, redis_server):
    """Every page, drawn by a worker that read all its numbers from Redis, is the page a
    worker without Redis draws (values cross Redis as Arrow: no type may change)."""
    from dashboard.app import create_app

    settings = replace(shipped_settings, redis_url=redis_server.url)
    filler = create_app(settings).server.test_client()
    for address in PAGES:
        filler.get(address)
    reader_settings = replace(settings, cache_entries=1)  # another worker, its LRU all but off
    reader_app = create_app(reader_settings)
    plain = create_app(replace(shipped_settings, cache_entries=1)).server.test_client()
    reader = reader_app.server.test_client()
    for address in PAGES:
        got, want = reader.get(address), plain.get(address)
        assert got.status_code == want.status_code == 200
        assert _without_tokens(_first_view(got.get_data(as_text=True))) == _without_tokens(
            _first_view(want.get_data(as_text=True))), address
    from dashboard.engine.engines import get_store

    shared = get_store(reader_settings)._shared
    assert shared is not None and shared.hits > 0


def test_the_site_keeps_answering_when_redis_stops_and_uses_it_again_when_it_is_back(
        shipped_settings, redis_server, caplog, monkeypatch):
    monkeypatch.setattr(shared_cache_module, "RETRY_SECONDS", 0.5)
    settings = replace(shipped_settings, redis_url=redis_server.url)
    plain = answers(Store(shipped_settings, watch=False))
    worker = CountingStore(open_store(settings, watch=False))
    answers(worker.store)
    from dashboard.app import create_app

    site = create_app(replace(settings, cache_entries=1)).server.test_client()
    url = "/api/v1/summary?city=denver&district=3"
    before = site.get(url)
    port = redis_server.port
    redis_server.stop()  # Redis goes away mid-run
    after = site.get(url)
    assert before.status_code == after.status_code == 200 and after.get_data() == before.get_data()
    worker.store.clear_cache()
    caplog.set_level(logging.ERROR, logger="dashboard.engine.shared_cache")
    caplog.clear()  # the site's worker has logged its outage; now this one's queries
    during = answers(worker.store)  # from the engine, same numbers, no error
    for a, b in zip(plain, during, strict=True):
        assert all(x.equals(y) for x, y in zip(a, b, strict=True))
    outage_logs = [r for r in caplog.records if "unavailable" in r.getMessage()]
    assert len(outage_logs) == 1, "an outage is logged once, not once per query"
    # Redis is back (empty: as after a flush or a restart): the worker fills it again.
    back = start_redis(port)
    try:
        time.sleep(0.6)  # the worker tries Redis again RETRY_SECONDS after the last error
        worker.store.clear_cache()
        answers(worker.store)
        assert redis_client.Redis.from_url(back.url).dbsize() >= 3
    finally:
        back.stop()


def test_a_flushed_or_tampered_cache_is_computed_again(shipped_settings, redis_server):
    settings = replace(shipped_settings, redis_url=redis_server.url)
    plain = answers(Store(shipped_settings, watch=False))
    answers(Store(settings, watch=False))
    client = redis_client.Redis.from_url(redis_server.url)
    for key in client.keys("crisis:*"):
        client.set(key, b"not arrow at all")  # someone with access to Redis writes junk
    worker = CountingStore(Store(settings, watch=False))
    got = answers(worker.store)
    assert worker.queries > 0
    for a, b in zip(plain, got, strict=True):
        assert all(x.equals(y) for x, y in zip(a, b, strict=True))
    client.flushall()
    again = CountingStore(Store(settings, watch=False))
    answers(again.store)
    assert again.queries > 0


def test_without_redis_configured_there_is_no_shared_cache():
    assert Store(Settings(), watch=False)._shared is None
    assert re.fullmatch(r"[0-9a-f]{12}", shared_cache_module.code_version())
