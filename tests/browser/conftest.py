"""Browser tests: the real app on the shipped release, driven by a real headless Chromium.

One live server per session (werkzeug in a background thread on a free loopback
port: the same WSGI app gunicorn serves) and one Chromium per session; each test gets
a fresh page whose console errors and uncaught exceptions fail the test, so every
test is also a "no errors in the console" smoke test.

Chromium is Debian's ``/usr/bin/chromium`` (``make system-deps``); never
``playwright install``, which downloads.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from benchmarks.chromium import CHROMIUM as _CHROMIUM
from benchmarks.chromium import CHROMIUM_ARGS
from dashboard.settings import REPO_ROOT, Settings

CHROMIUM = Path(_CHROMIUM)
SCREENSHOTS = REPO_ROOT / "screenshots"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def live_server() -> Iterator[str]:
    """Base URL of the app (create_app on the shipped release) served from a thread."""
    from dashboard.app import create_app

    app = create_app(Settings())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request is noise
    server = make_server("127.0.0.1", 0, app.server, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} not found: run `make system-deps` (Debian's chromium package)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


#: Addresses the tests open on purpose to see the not-found page: the server answers them
#: 404 (dashboard.routing), which is no error of the page.
NOT_FOUND_PATHS = frozenset({"/no-such-page", "/no/such/page"})


def _expected_404(url: str, status: int) -> bool:
    return status == 404 and urlsplit(url).path in NOT_FOUND_PATHS


@dataclass
class Console:
    """What the page said: console errors, uncaught exceptions, failed requests."""

    errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)

    def _on_console(self, msg: object) -> None:
        if msg.type != "error":
            return
        # Chromium also reports the document's expected 404 as "Failed to load resource".
        if "status of 404" in msg.text and _expected_404(msg.location.get("url", ""), 404):
            return
        self.errors.append(f"console.{msg.type}: {msg.text}")

    def _on_response(self, resp: object) -> None:
        if resp.status >= 400 and not _expected_404(resp.url, resp.status):
            self.errors.append(f"HTTP {resp.status}: {resp.url}")

    def attach(self, page: object) -> None:
        page.on("console", self._on_console)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on("requestfailed", lambda req: self.errors.append(f"request failed: {req.url} {req.failure}"))
        page.on("response", self._on_response)
        page.on("request", lambda req: self.requests.append(req.url))


@pytest.fixture
def console() -> Console:
    return Console()


def _new_page(browser: object, console: Console, width: int, height: int) -> object:
    context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console.attach(page)
    return page


@pytest.fixture
def page(browser: object, console: Console) -> Iterator[object]:
    """A desktop-width page; the test fails if the console reported any error."""
    page = _new_page(browser, console, 1280, 900)
    yield page
    page.context.close()
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


@pytest.fixture
def phone_page(browser: object, console: Console) -> Iterator[object]:
    """A 390 px wide page (a common phone), same console rule."""
    page = _new_page(browser, console, 390, 844)
    yield page
    page.context.close()
    assert console.errors == [], "browser console errors:\n" + "\n".join(console.errors)


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS
