"""One bad file takes no city down (issue 12, items 5 and 6), through the real app.

The shipped release of all three cities is copied to a temporary data folder; Denver
gets a second, newer release (a copy of the shipped one under a new id) that CURRENT
names, and one of its files is damaged the way the review did it: ``truncate -s 50%``
or one flipped byte. The app (Flask's test client; every API answer checked against
the OpenAPI document) must keep the other cities answering, keep Denver on its last
good release and say so on its pages in English and Spanish, answer 503 (never a 200
with wrong bytes) where nothing good is left, and follow the repair. A page and its
callbacks must answer from one release.

``test_workers_switch_together`` runs the production server, gunicorn with two workers,
as a subprocess, and polls it while the file is repaired and while a new release is
published: every worker converges, and no client ever sees the old release after the
new one.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from dashboard import ids
from dashboard.contract.releases import read_manifest
from dashboard.engine.engines import get_store
from dashboard.i18n import t
from dashboard.publish.atomic_publish import set_current
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import route_page
from ..unit.test_api import Api
from ..unit.test_app import controls_callback

SHIPPED = REPO_ROOT / "data" / "releases"
CITIES = ("denver", "grand_junction", "lane_county")
NEWER = "20991231-newer000"
NEWEST = "20991231-newest00"


def shipped_id(city: str) -> str:
    return (SHIPPED / city / "CURRENT").read_text().split()[0]


def copy_release(city_dir: Path, source: str, new_id: str, created: str) -> Path:
    """A new release of the same files under ``new_id`` (its manifest says so)."""
    target = city_dir / new_id
    shutil.copytree(city_dir / source, target)
    manifest = read_manifest(target)
    manifest.update(release_id=new_id, created=created)
    (target / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return target


def truncate_half(path: Path) -> None:
    """``truncate -s 50%``."""
    with path.open("r+b") as fh:
        fh.truncate(path.stat().st_size // 2)


def flip_byte(path: Path) -> None:
    with path.open("r+b") as fh:
        fh.seek(path.stat().st_size // 2)
        byte = fh.read(1)
        fh.seek(-1, os.SEEK_CUR)
        fh.write(bytes([byte[0] ^ 0xFF]))


def data_dir(root: Path, *, newer: bool) -> Path:
    """The shipped cities and releases; with ``newer``, Denver's CURRENT names a copy."""
    shutil.copytree(REPO_ROOT / "data" / "cities", root / "cities")
    shutil.copytree(SHIPPED, root / "releases", ignore=shutil.ignore_patterns("rejects"))
    if newer:
        city_dir = root / "releases" / "denver"
        copy_release(city_dir, shipped_id("denver"), NEWER, "2099-12-31T00:00:00+00:00")
        set_current(city_dir, NEWER)
    return root


def api_for(root: Path) -> Api:
    from dashboard.app import create_app

    return Api(create_app(Settings(data_dir=root, switch_delay=0.0)))


def release_header(response) -> dict[str, str]:
    """``X-Release: city/id, ...`` as {city: id}."""
    return dict(part.split("/", 1) for part in response.headers["X-Release"].split(", ") if part)


def page_text(client, search: str) -> str:
    response = route_page(client, "/", search)
    assert response.status_code == 200
    return json.dumps(response.get_json()["response"]["_pages_content"]["children"], ensure_ascii=False)


# ------------------------------------------------------------------- in-process: the app


@pytest.mark.parametrize("damage", [truncate_half, flip_byte])
def test_a_damaged_city_serves_its_last_good_release_and_the_others_are_untouched(tmp_path, damage):
    root = data_dir(tmp_path, newer=True)
    good = shipped_id("denver")
    bad_file = root / "releases" / "denver" / NEWER / "calls.parquet"
    damage(bad_file)
    api = api_for(root)  # a fresh process's view: a worker restarted after the damage

    releases = api.get("/api/v1/releases")
    assert releases.status_code == 200
    status = {c["city"]: c["status"] for c in releases.get_json()["cities"]}
    assert status["denver"]["state"] == "previous"
    assert status["denver"]["serving"] == good and status["denver"]["named"] == NEWER
    assert all(status[c]["state"] == "ok" for c in ("grand_junction", "lane_county"))
    denver = next(c for c in releases.get_json()["cities"] if c["city"] == "denver")
    assert [r["id"] for r in denver["releases"] if r["current"]] == [good]

    for city in CITIES:
        summary = api.get(f"/api/v1/summary?city={city}")
        assert summary.status_code == 200, summary.get_data(as_text=True)
        expected = good if city == "denver" else shipped_id(city)
        assert summary.get_json()["release"]["id"] == expected
        assert release_header(summary) == {"denver": good, **{c: shipped_id(c) for c in CITIES[1:]}}

    # Rows: the whole download, from the good release.
    rows = api.get("/api/v1/calls.csv?city=denver&start=2024-01&end=2024-03")
    assert rows.status_code == 200 and rows.headers["X-Release-Id"] == good
    kpis = api.get("/api/v1/summary?city=denver&start=2024-01&end=2024-03").get_json()["kpis"]
    assert rows.get_data(as_text=True).count("\n") == kpis["calls"] + 1

    # Files: the damaged one is refused, never sent; the good release's are sent whole.
    damaged = api.get(f"/api/v1/releases/denver/{NEWER}/files/calls.parquet")
    assert damaged.status_code == 503 and damaged.headers["Cache-Control"] == "no-store"
    assert damaged.headers["Retry-After"]
    intact = api.get(f"/api/v1/releases/denver/{good}/files/calls.parquet")
    manifest = read_manifest(root / "releases" / "denver" / good)
    assert intact.status_code == 200
    assert hashlib.sha256(intact.get_data()).hexdigest() == manifest["files"]["calls.parquet"]["sha256"]

    # Pages: Denver's say which release they show, in both languages; the others say nothing.
    for lang, search in (("en", "?city=denver"), ("es", "?city=denver&lang=es")):
        words = page_text(api.client, search)
        assert t("release.fallback.title", lang) in words
        assert good in words and NEWER in words
        assert t("notice.error", lang) not in words
    assert t("release.fallback.title") not in page_text(api.client, "?city=grand_junction")

    # Repaired in place: looked at again (no restart) and served.
    shutil.copyfile(root / "releases" / "denver" / good / "calls.parquet", bad_file)
    get_store(api.app.server.config["CRISIS_SETTINGS"]).refresh()
    summary = api.get("/api/v1/summary?city=denver")
    assert summary.get_json()["release"]["id"] == NEWER
    assert t("release.fallback.title") not in page_text(api.client, "?city=denver")


def test_a_city_with_no_good_release_answers_503_and_the_others_200(tmp_path):
    root = data_dir(tmp_path, newer=False)
    only = root / "releases" / "denver" / shipped_id("denver")
    flip_byte(only / "calls.parquet")
    api = api_for(root)

    for path in ("/api/v1/summary?city=denver", "/api/v1/calls.csv?city=denver",
                 "/api/v1/calls.json?city=denver", "/api/v1/charts/kpis.csv?city=denver",
                 f"/api/v1/releases/denver/{only.name}/files/calls.parquet"):
        response = api.get(path)
        assert response.status_code == 503, path
        assert response.get_json()["error"]["message"]
    for city in CITIES[1:]:
        assert api.get(f"/api/v1/summary?city={city}").status_code == 200
        assert api.get(f"/api/v1/calls.csv?city={city}").status_code == 200
    releases = api.get("/api/v1/releases")
    assert releases.status_code == 200
    denver = next(c for c in releases.get_json()["cities"] if c["city"] == "denver")
    assert denver["status"]["state"] == "unavailable" and denver["status"]["serving"] is None
    # Files that are intact are still served, even of the unavailable city.
    assert api.get(f"/api/v1/releases/denver/{only.name}/files/calls.csv").status_code == 200

    for lang in ("en", "es"):
        words = page_text(api.client, f"?city=denver&lang={lang}")
        message = t("filters.problem.unavailable_city", lang, value="Denver", city="@")
        assert message.split("@")[0] in words  # "... Denver cannot be shown ...; showing <another>"
        assert t("notice.error", lang) not in words


def test_a_file_damaged_under_a_running_server_is_refused_at_once(tmp_path):
    root = data_dir(tmp_path, newer=False)
    api = api_for(root)
    release = shipped_id("denver")
    assert api.get("/api/v1/summary?city=denver").status_code == 200  # opened, verified
    truncate_half(root / "releases" / "denver" / release / "calls.parquet")
    # Before any look for changes: the stat differs, so the bytes are checked again.
    assert api.get(f"/api/v1/releases/denver/{release}/files/calls.parquet").status_code == 503
    assert api.get("/api/v1/calls.csv?city=denver").status_code == 503
    assert api.get("/api/v1/calls.json?city=denver").status_code == 503
    assert api.get("/api/v1/summary?city=grand_junction").status_code == 200


def test_a_page_and_its_callbacks_answer_from_one_release(tmp_path):
    root = data_dir(tmp_path, newer=False)
    api = api_for(root)
    store = get_store(api.app.server.config["CRISIS_SETTINGS"])
    rendered = route_page(api.client, "/", "?city=denver")
    stamp = re.search(rf'"id": "{ids.PAGE_RELEASE}", "data": "([^"]+)"', json.dumps(rendered.get_json()))
    assert stamp and stamp.group(1) == rendered.headers["X-Release"]
    old = stamp.group(1)

    city_dir = root / "releases" / "denver"
    copy_release(city_dir, shipped_id("denver"), NEWER, "2099-12-31T00:00:00+00:00")
    set_current(city_dir, NEWER)
    store.refresh()
    assert release_header(api.get("/api/v1/"))["denver"] == NEWER

    view = dict(city="denver", start="2024-01-01", end="2024-06-01", programs=None, districts=None,
                categories=None, metric="count", level="district")
    answer = controls_callback(api.client, page_release=old, **view)  # the page's release is still open
    assert answer.status_code == 200 and answer.headers["X-Release"] == old
    body = answer.get_json()["response"]
    assert shipped_id("denver") in json.dumps(body[ids.OVERVIEW_RELEASE]) and ids.PAGE_RELOAD not in body

    gone = controls_callback(api.client, page_release="denver/19990101-gone", **view)
    body = gone.get_json()["response"]
    assert body[ids.PAGE_RELOAD]["data"].startswith("/?city=denver&start=2024-01")  # reload the page
    assert ids.OVERVIEW_KPIS not in body  # and show nothing computed from another release

    fresh = route_page(api.client, "/", "?city=denver")
    assert fresh.headers["X-Release"].startswith(f"denver/{NEWER}")


# ------------------------------------------------------------- gunicorn, two workers


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn as in the Procfile (two sync workers), on a loopback port, logging each
    answer's worker pid and X-Release."""

    def __init__(self, root: Path, log: Path, switch_delay: float) -> None:
        self.port = _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {**os.environ, "CRISIS_DATA_DIR": str(root), "CRISIS_SWITCH_DELAY": str(switch_delay)}
        self.log = log
        self.proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", "2",
             "--bind", f"127.0.0.1:{self.port}", "--access-logfile", "-",
             "--access-logformat", "ACCESS %(p)s %({x-release}o)s", "dashboard.app:server"],
            cwd=REPO_ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT,
        )

    def get(self, path: str) -> tuple[int, dict[str, str]]:
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as response:  # noqa: S310
                response.read()
                return response.status, release_header(response)
        except urllib.error.HTTPError as exc:
            return exc.code, {}

    def wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, self.log.read_text()
            try:
                if self.get("/api/v1/")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        pytest.fail("gunicorn did not answer:\n" + self.log.read_text())

    def answers_by_worker(self) -> dict[str, list[str]]:
        """Denver's release in each answer, per worker pid, in the order each worker gave them."""
        out: dict[str, list[str]] = {}
        for line in self.log.read_text(errors="replace").splitlines():
            if line.startswith("ACCESS ") and "denver/" in line:
                _, pid, rest = line.split(" ", 2)
                out.setdefault(pid, []).append(rest.split("denver/", 1)[1].split(",")[0].strip())
        return out

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Poller:
    """Clients asking for Denver's figures as fast as they can, each remembering the order."""

    def __init__(self, server: Server, clients: int = 2) -> None:
        self.server = server
        self.seen: list[list[str]] = [[] for _ in range(clients)]
        self.errors: list[str] = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(i,)) for i in range(clients)]
        for thread in self.threads:
            thread.start()

    def _run(self, i: int) -> None:
        while not self.stop.is_set():
            status, releases = self.server.get("/api/v1/")  # cheap: many answers per second
            if status != 200:
                self.errors.append(f"{status}")
            elif "denver" in releases:
                self.seen[i].append(releases["denver"])

    def until(self, release: str, timeout: float) -> None:
        """Poll until every client has seen ``release`` a few times, then stop."""
        deadline = time.monotonic() + timeout
        while not all(s[-20:] == [release] * 20 for s in self.seen):
            assert time.monotonic() < deadline, f"not every client reached {release}: {self.tails()}"
            time.sleep(0.05)
        self.stop.set()
        for thread in self.threads:
            thread.join()

    def tails(self) -> list[list[str]]:
        return [s[-5:] for s in self.seen]


def _in_order(sequence: list[str], order: list[str]) -> bool:
    """Never an earlier release after a later one."""
    ranks = [order.index(r) for r in sequence]
    return ranks == sorted(ranks)


def test_workers_switch_together(tmp_path):
    root = data_dir(tmp_path / "data", newer=True)
    good = shipped_id("denver")
    city_dir = root / "releases" / "denver"
    flip_byte(city_dir / NEWER / "calls.parquet")
    server = Server(root, tmp_path / "gunicorn.log", switch_delay=1.5)
    try:
        server.wait_ready()
        # Both workers open the data on their own and both fall back to the good release.
        # (Concurrent requests: one after another, the worker that just answered tends to
        # take the next one too.)
        with ThreadPoolExecutor(4) as pool:
            for _ in range(10):
                answers = list(pool.map(lambda _: server.get("/api/v1/summary?city=denver"), range(40)))
                assert all(status == 200 for status, _ in answers)
                assert all(r["denver"] == good and r["grand_junction"] == shipped_id("grand_junction")
                           for _, r in answers)
                if len(server.answers_by_worker()) == 2:
                    break
        workers = server.answers_by_worker()
        assert len(workers) == 2 and all(set(r) == {good} for r in workers.values()), workers

        # The file is repaired while clients poll: every worker moves to it, together.
        polling = Poller(server)
        time.sleep(0.5)
        shutil.copyfile(city_dir / good / "calls.parquet", city_dir / NEWER / "calls.parquet")
        polling.until(NEWER, timeout=20)
        assert not polling.errors
        for seen in polling.seen:
            assert _in_order(seen, [good, NEWER]), seen

        # A new release is published (CURRENT flipped) while clients poll.
        copy_release(city_dir, good, NEWEST, "2099-12-31T12:00:00+00:00")
        polling = Poller(server)
        time.sleep(0.5)
        set_current(city_dir, NEWEST, switch_delay=1.0)
        polling.until(NEWEST, timeout=20)
        assert not polling.errors
        for seen in polling.seen:
            assert _in_order(seen, [NEWER, NEWEST]), f"old after new: {seen}"
            assert seen.count(NEWER) > 5, "the publish was not polled across"

        workers = server.answers_by_worker()
        assert len(workers) == 2
        for pid, answers in workers.items():
            assert _in_order(answers, [good, NEWER, NEWEST]), f"worker {pid} went back: {answers}"
            assert answers[-1] == NEWEST, f"worker {pid} did not converge"
            assert NEWER in answers, f"worker {pid} never answered during the switches"
    finally:
        server.stop()
