"""The Chromium the benchmark and the browser tests drive: Debian's package at
``/usr/bin/chromium`` (never a downloaded build), with the switches a headless run in a
container needs."""

from __future__ import annotations

from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch_browser(playwright: Any) -> Any:
    """Headless Debian Chromium through a Playwright instance."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
