"""One release per answer, and the answer says which: a request is pinned to one snapshot.

Every request that reads data (the API under ``/api/``, Dash's callbacks, which also
render the pages) reads a single snapshot of the releases from its first query to its
last, even if a new release is switched in meanwhile (``Store.pinned``), and its
response names it in ``X-Release: city/release-id, ...``.

A page's later callbacks must answer from the release the page was rendered with: the
page carries that snapshot's key (``components.page.release_stamp``), Dash sends it
with each callback that declares it as a ``State``, and the callback is pinned to that
snapshot if this process still has it open (``Settings.release_grace``). If not, it is
pinned to the active one and the callback sees a key that differs from its page's
(``components.page.page_release_changed``): it then tells the page to reload.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, g, request

from dashboard.engine.engines import get_store
from dashboard.settings import Settings

#: Response header naming the releases an answer was read from.
RELEASE_HEADER = "X-Release"
_CALLBACK_PATH = "_dash-update-component"


def page_stamp(body: Any, stamp_id: str) -> str | None:
    """The value of component ``stamp_id`` in a Dash callback request, if it carries it."""
    if not isinstance(body, dict):
        return None
    for group in ("state", "inputs"):
        items = body.get(group)
        if not isinstance(items, list):
            continue
        for item in items:
            if isinstance(item, dict) and item.get("id") == stamp_id and isinstance(item.get("value"), str):
                return item["value"][:2000]
    return None


def install_release_scope(server: Flask, settings: Settings, *, prefix: str, stamp_id: str) -> None:
    """Pin data requests of ``server`` to one snapshot and name it in every answer.

    ``prefix`` is the Dash app's routes prefix; ``stamp_id`` the id of the component
    holding a page's release key.
    """
    callback_path = prefix + _CALLBACK_PATH

    def reads_data() -> bool:
        return request.path.startswith("/api/") or request.path == callback_path

    @server.before_request
    def _pin() -> None:
        if not reads_data():
            return  # static files, the index page, Dash's layout: no data, no store opened
        store = get_store(settings)
        stamp = None
        if request.path == callback_path:
            stamp = page_stamp(request.get_json(silent=True), stamp_id)
        pin = store.pinned(stamp)
        pin.__enter__()
        g.release_pin = pin
        g.release_key = store.release_key()

    @server.after_request
    def _name_the_release(response: Response) -> Response:
        key = g.get("release_key")
        if key is not None:
            response.headers[RELEASE_HEADER] = key or "none"
        return response

    @server.teardown_request
    def _unpin(_exc: BaseException | None) -> None:
        pin = g.pop("release_pin", None)
        if pin is not None:
            pin.__exit__(None, None, None)
