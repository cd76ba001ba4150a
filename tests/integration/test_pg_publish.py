"""``crisis-dashboard publish RELEASE --to URL`` and the PostgreSQL store (issue 16, items 1-2).

Against a real throwaway PostgreSQL (``benchmarks.services``): a release is loaded and
switched to in one transaction, a publish killed mid-load leaves the previous release
serving and nothing half-made, a bad release is refused, every worker switches at the
instant the publish set, and a page pinned to the replaced release still answers from it.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import pandas as pd
import psycopg
import pytest

from dashboard.contract.releases import ReleaseError
from dashboard.engine.pg_layout import TABLES, release_schema
from dashboard.engine.pg_store import PgStore
from dashboard.engine.store import Store
from dashboard.publish.release import build_release
from dashboard.publish.to_database import publish_to_database
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import tiny_internal_frame

TOTAL = "SELECT sum(n)::BIGINT AS n FROM rollup_overview WHERE jurisdiction = 'denver'"
TINY = 70  # calls in the tiny frame (conftest), all published at k = 11


def copies(n: int, weeks: int = 0) -> pd.DataFrame:
    """The tiny frame ``n`` times (classes n times as big, so none generalizes further)."""
    frame = pd.concat([tiny_internal_frame()] * n, ignore_index=True)
    frame["received_hour"] = frame["received_hour"] + pd.Timedelta(weeks=weeks)
    return frame


@pytest.fixture
def database(postgres_server, request) -> str:
    """A fresh database on the session's server, dropped after the test."""
    name = "t_" + "".join(c if c.isalnum() else "_" for c in request.node.name)[-40:].lower()
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_server.url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_server.url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def settings(tmp_path: Path, database: str) -> Settings:
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    return Settings(data_dir=tmp_path, privacy_k=11, switch_delay=0.0, database_url=database)


def build(settings: Settings, frame: pd.DataFrame) -> Path:
    info = build_release(frame, settings.releases_dir, city="denver", source="test", synthetic=True, k=11)
    return settings.releases_dir / "denver" / info.release_id


def total(store: PgStore) -> int:
    return int(store.frame(TOTAL)["n"].iloc[0])


def test_a_published_release_serves_and_the_next_one_replaces_it(settings):
    first = build(settings, copies(1))
    done = publish_to_database(first, settings.database_url, validate=True, switch_delay=0)
    assert done.loaded and done.rows == TINY
    store = PgStore(settings, watch=False)
    assert total(store) == TINY
    assert store.release_key() == f"denver/{first.name}"
    assert store.release_info("denver").release_id == first.name
    embedded = Store(replace(settings, database_url=""), watch=False)  # the same folder on DuckDB
    assert store.catalogs() == embedded.catalogs() and store.catalogs()["denver"].districts == ("1", "2")
    old_key = store.release_key()

    second = build(settings, copies(2, weeks=60))
    publish_to_database(second, settings.database_url, validate=False, switch_delay=0)
    store.refresh()
    assert total(store) == 2 * TINY and store.release_key() == f"denver/{second.name}"
    # A page rendered on the first release finishes its callbacks on it (the grace period).
    with store.pinned(old_key) as found:
        assert found and total(store) == TINY
    # Publishing the first again is a rollback: nothing loaded, one switch.
    again = publish_to_database(first, settings.database_url, validate=False, switch_delay=0)
    assert not again.loaded
    store.refresh()
    assert total(store) == TINY


def test_every_worker_switches_at_the_instant_the_publish_set(settings):
    publish_to_database(build(settings, copies(1)), settings.database_url, validate=False, switch_delay=0)
    workers = [PgStore(settings, watch=False) for _ in range(2)]
    publish_to_database(build(settings, copies(2, weeks=60)), settings.database_url, validate=False,
                        switch_delay=3)
    for store in workers:
        store.refresh()  # each sees the publish and opens the new snapshot ahead of time...
        assert total(store) == TINY  # ...but serves the old one until the instant
    late = PgStore(settings, watch=False)  # a worker started in the window serves the old one too
    assert total(late) == TINY
    time.sleep(3.2)
    assert [total(s) for s in (*workers, late)] == [2 * TINY] * 3  # no refresh needed: it was due


def test_a_damaged_release_is_refused_and_the_served_one_stays(settings, capsys):
    good = build(settings, copies(1))
    publish_to_database(good, settings.database_url, validate=False, switch_delay=0)
    bad = build(settings, copies(2, weeks=60))
    with (bad / "rollup_overview.parquet").open("r+b") as fh:  # one byte changed
        fh.seek(100)
        byte = fh.read(1)
        fh.seek(100)
        fh.write(bytes([byte[0] ^ 0xFF]))
    with pytest.raises(ReleaseError):
        publish_to_database(bad, settings.database_url, validate=False, switch_delay=0)
    store = PgStore(settings, watch=False)
    assert total(store) == TINY and store.release_key() == f"denver/{good.name}"
    with psycopg.connect(settings.database_url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rel_%'")}
    assert schemas == {release_schema("denver", good.name)}
    # The command line says why and exits 1.
    from dashboard.cli import main

    assert main(["publish", str(bad), "--to", settings.database_url]) == 1
    assert "the previous release keeps serving" in capsys.readouterr().err


def test_a_publish_killed_mid_load_leaves_the_old_release_serving_and_nothing_half_made(settings):
    good = build(settings, copies(1))
    publish_to_database(good, settings.database_url, validate=False, switch_delay=0)
    store = PgStore(settings, watch=False)
    new = build(settings, copies(2, weeks=60))
    blocker = psycopg.connect(settings.database_url)
    # Hold the snapshot list: the publish loads every table of the new release, then waits
    # here, inside its transaction, just before it would switch.
    blocker.execute("LOCK TABLE crisis.snapshots IN ACCESS EXCLUSIVE MODE")
    env = {**os.environ, "CRISIS_DATA_DIR": str(settings.data_dir)}
    publish = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "publish", str(new), "--to",
                                settings.database_url, "--no-validate"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Activity is read on a connection of its own: a transaction sees one copy of it.
    watcher = psycopg.connect(settings.database_url, autocommit=True)
    try:
        waiting = "FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query ILIKE '%crisis%snapshots%'"
        assert wait_for(lambda: watcher.execute(f"SELECT count(*) {waiting}").fetchone()[0] == 1), \
            "the publish never reached its switch"
        # It has loaded the new release's rows, in a transaction nobody else can see.
        pid = watcher.execute(f"SELECT pid {waiting}").fetchone()[0]
        assert watcher.execute("SELECT count(*) FROM pg_locks WHERE pid = %s AND mode = 'AccessExclusiveLock'"
                               " AND relation IS NOT NULL", [pid]).fetchone()[0] >= len(TABLES)
        publish.send_signal(signal.SIGKILL)
        publish.wait(10)
    finally:
        blocker.rollback()
        blocker.close()
        if publish.poll() is None:
            publish.kill()
    # The killed publish's server process finds its client gone and rolls back.
    assert wait_for(lambda: watcher.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0] == 0)
    watcher.close()
    store.refresh()
    assert total(store) == TINY and store.release_key() == f"denver/{good.name}"
    with psycopg.connect(settings.database_url) as conn:
        schemas = {r[0] for r in conn.execute("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'rel_%'")}
        published = conn.execute("SELECT count(*) FROM crisis.releases").fetchone()[0]
    assert schemas == {release_schema("denver", good.name)} and published == 1
    # Nothing to clean up: the same publish run again succeeds.
    publish_to_database(new, settings.database_url, validate=False, switch_delay=0)
    store.refresh()
    assert total(store) == 2 * TINY


def test_the_store_keeps_serving_while_the_database_restarts(tmp_path, postgres_server):
    """A worker whose connection the server dropped opens a new one at the next query."""
    shutil.copytree(REPO_ROOT / "data" / "cities", tmp_path / "cities")
    from benchmarks.services import start_postgres

    server = start_postgres()
    try:
        settings = Settings(data_dir=tmp_path, privacy_k=11, switch_delay=0.0, database_url=server.url)
        publish_to_database(build(settings, copies(1)), server.url, validate=False, switch_delay=0)
        store = PgStore(settings, watch=False)
        assert total(store) == TINY
        with psycopg.connect(server.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE pid <> pg_backend_pid() AND datname = current_database()")
        with pytest.raises(psycopg.OperationalError):
            total(store)  # the query that finds the connection gone fails...
        assert total(store) == TINY  # ...and the next one reconnects
        store.refresh()
    finally:
        server.stop()


def test_the_web_app_answers_from_postgresql_without_the_release_folder(settings, tmp_path):
    """The queries need only the database: pages and the API answer with the folder gone."""
    folder = build(settings, copies(1))
    publish_to_database(folder, settings.database_url, validate=False, switch_delay=0)
    shutil.rmtree(settings.releases_dir)
    from dashboard.app import create_app

    client = create_app(replace(settings)).server.test_client()
    summary = client.get("/api/v1/summary?city=denver&start=2023-01&end=2023-02")
    assert summary.status_code == 200, summary.get_data(as_text=True)
    assert summary.get_json()["kpis"]["calls"] == TINY
    rows = client.get("/api/v1/calls.csv?city=denver&start=2023-01&end=2023-02").get_data(as_text=True)
    assert len(rows.strip().splitlines()) == TINY + 1


def wait_for(check, timeout: float = 30.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def test_a_query_for_one_city_reads_only_that_citys_tables(settings):
    """Each release's tables carry ``CHECK (jurisdiction = city)``, so a snapshot's
    ``UNION ALL`` views skip every other city's tables (constraint exclusion) when a
    query names its city as a bound value, as every query does."""
    from dashboard.contract.releases import current_release_dir

    publish_to_database(build(settings, copies(1)), settings.database_url, validate=False, switch_delay=0)
    other = copies(1)
    other["jurisdiction"] = "grand_junction"
    build_release(other, settings.releases_dir, city="grand_junction", source="test", synthetic=True, k=11)
    publish_to_database(current_release_dir(settings.releases_dir, "grand_junction"), settings.database_url,
                        validate=False, switch_delay=0)
    store = PgStore(settings, watch=False)
    assert set(store.catalogs()) == {"denver", "grand_junction"}
    with psycopg.connect(settings.database_url, prepare_threshold=None) as conn:
        schema = conn.execute("SELECT snapshot FROM crisis.serving").fetchone()[0]
        conn.execute(f"SET search_path TO {schema}")
        for table in ("calls", "rollup_overview"):
            plan = "\n".join(r[0] for r in conn.execute(
                f"EXPLAIN (VERBOSE) SELECT count(*) FROM {table} WHERE jurisdiction = %s", ["denver"]))
            assert "rel_denver_" in plan and "rel_grand_junction_" not in plan, plan
    assert total(store) == TINY


def test_the_app_reads_as_a_read_only_role_that_publish_granted(settings):
    with psycopg.connect(settings.database_url, autocommit=True) as admin:
        admin.execute("DROP ROLE IF EXISTS crisis_reader")
        admin.execute("CREATE ROLE crisis_reader LOGIN")
    publish_to_database(build(settings, copies(1)), settings.database_url, validate=False, switch_delay=0,
                        reader="crisis_reader")
    reader_url = settings.database_url.replace("postgres@", "crisis_reader@")
    store = PgStore(replace(settings, database_url=reader_url), watch=False)
    assert total(store) == TINY
    publish_to_database(build(settings, copies(2, weeks=60)), settings.database_url, validate=False,
                        switch_delay=0, reader="crisis_reader")
    store.refresh()
    assert total(store) == 2 * TINY  # each new release and snapshot is granted too
    with psycopg.connect(reader_url) as conn, pytest.raises(psycopg.errors.InsufficientPrivilege):
        conn.execute("DELETE FROM crisis.serving")


def test_a_release_id_names_one_set_of_files_forever(settings):
    first = build(settings, copies(1))
    publish_to_database(first, settings.database_url, validate=False, switch_delay=0)
    other = build(settings, copies(2, weeks=60))
    impostor = settings.releases_dir / "denver" / "impostor"
    shutil.copytree(other, impostor)
    manifest = json.loads((impostor / "manifest.json").read_text())
    manifest["release_id"] = first.name
    shutil.rmtree(first)
    impostor.rename(first)
    (first / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(ReleaseError, match="other files"):
        publish_to_database(first, settings.database_url, validate=False, switch_delay=0)
    assert total(PgStore(settings, watch=False)) == TINY
