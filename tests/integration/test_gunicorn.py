"""The production server for real: gunicorn with the Procfile's ``gunicorn.conf.py`` in a
subprocess on an ephemeral loopback port (issue 12, items 8 and 9; nothing mocked).

Addresses up to gunicorn's 8,190-byte request line reach the app, which refuses queries
over 4,096 bytes with a 414 naming the parameter (JSON under the API); longer lines and
oversized headers get gunicorn's refusal in plain text with the security headers (not
its HTML); malformed callback bodies get a JSON 4xx; and no log line holds more than a
few hundred characters of what a client sent.
"""

from __future__ import annotations

import http.client
import json
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboard.settings import REPO_ROOT

#: Longest log line a hostile request may cause: an access-log line has three client-sent
#: fields (request line, referrer, user agent), each cut to 300 characters.
MAX_LOG_LINE = 1200
BIG = "x" * 9000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    """(port, log file) of gunicorn serving the shipped release with the Procfile's config."""
    log = tmp_path_factory.mktemp("gunicorn") / "gunicorn.log"
    procfile = (REPO_ROOT / "Procfile").read_text(encoding="utf-8")
    assert "--config gunicorn.conf.py" in procfile
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--config", "gunicorn.conf.py", "--bind", "127.0.0.1:0",
             "--workers", "1", "dashboard.app:server"],
            cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT,
        )
    try:
        port = _wait_until_serving(process, log)
        yield port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(process: subprocess.Popen, log: Path, timeout: float = 60) -> int:
    deadline = time.monotonic() + timeout
    port = None
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text(errors="replace")
        if port is None:
            found = re.search(r"Listening at: http://127\.0\.0\.1:(\d+)", log.read_text(errors="replace"))
            port = int(found.group(1)) if found else None
        if port is not None:
            try:
                if request(port, "GET", "/api/v1/")[0] == 200:
                    return port
            except OSError:
                pass
        time.sleep(0.2)
    raise AssertionError("gunicorn did not start:\n" + log.read_text(errors="replace"))


def request(port: int, method: str, target: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, target, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def raw(port: int, data: bytes) -> bytes:
    """Send bytes that are not a request http.client would write; the answer as received."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def assert_secured(headers: dict[str, str]) -> None:
    assert "frame-ancestors 'none'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"


def test_a_long_query_reaches_the_app_and_is_named(server):
    port, _ = server
    status, headers, body = request(port, "GET", "/api/v1/summary?city=denver&category=" + "x" * 5000)
    assert status == 414 and headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["problems"][0]["parameter"] == "category"
    assert_secured(headers)
    status, headers, body = request(port, "GET", "/outcomes?lang=es&district=" + "x" * 7000)
    assert status == 414 and headers["content-type"].startswith("text/plain")
    assert "«district»" in body.decode("utf-8")
    assert_secured(headers)


@pytest.mark.parametrize(
    ("data", "status"),
    [
        (f"GET /api/v1/summary?start={BIG} HTTP/1.1\r\nHost: x\r\n\r\n".encode(), 414),
        (f"GET / HTTP/1.1\r\nHost: x\r\nX-Big: {BIG}\r\n\r\n".encode(), 431),
        (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: 1\r\n" % i for i in range(150)) + b"\r\n", 431),
        (b"NOT HTTP AT ALL\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n", 400),
        (b"GET / HTTP/1.1\r\nHost: x\r\nX-Evil: a\rInjected: b\r\n\r\n", 400),
    ],
    ids=["line-9000", "header-9000", "150-headers", "not-http", "header-name", "bare-cr"],
)
def test_what_gunicorn_cannot_read_is_refused_in_plain_text(server, data, status):
    port, _ = server
    answer = raw(port, data).decode("utf-8", errors="replace")
    head, _, body = answer.partition("\r\n\r\n")
    assert head.startswith(f"HTTP/1.1 {status} "), answer[:300]
    headers = {k.lower(): v for k, _, v in (line.partition(": ") for line in head.split("\r\n")[1:])}
    assert headers["content-type"] == "text/plain; charset=utf-8"
    assert_secured(headers)
    assert "<html" not in body and BIG[:100] not in body and len(body) < 400
    if status == 414:  # what the API's document says a 414 may be besides its JSON
        document = json.loads(request(port, "GET", "/api/v1/openapi.json")[2])
        assert "text/plain" in document["components"]["responses"]["UriTooLong"]["content"]


def test_callbacks_get_json_refusals(server):
    port, _ = server
    json_type = {"Content-Type": "application/json"}
    for body, status in ((b"[]", 400), (b"{}", 400), (b"not json", 400), (b'{"output": 1}', 400),
                         (json.dumps("A" * 1_000_000).encode(), 413)):
        got, headers, answer = request(port, "POST", "/_dash-update-component", body, json_type)
        assert got == status and headers["content-type"] == "application/json", (body[:20], got)
        assert json.loads(answer)["error"]["status"] == status
        assert_secured(headers)
    status, _, _ = request(port, "POST", "/_dash-update-component", b"[]", {"Content-Type": "text/plain"})
    assert status == 415


def test_methods_and_unknown_paths(server):
    port, _ = server
    assert request(port, "HEAD", "/")[0] == 200
    assert request(port, "GET", "/.git/config")[0] == 404
    status, headers, _ = request(port, "OPTIONS", "/api/v1/summary")
    assert status == 200 and headers["allow"] == "GET, HEAD, OPTIONS"
    status, headers, body = request(port, "BREW", "/api/v1/summary")
    assert status == 405 and json.loads(body)["error"]["status"] == 405
    assert request(port, "GET", "/api/v1/summary?start=%ff%fe&start=%D9%A2")[0] == 400


def test_nothing_a_client_sent_is_logged_at_length(server):
    """Runs last in this module: every request above is in the log by now."""
    port, log = server
    request(port, "GET", "/nope?" + "q" * 7000, headers={"User-Agent": "U" * 8000, "Referer": "R" * 8000})
    time.sleep(0.5)
    text = log.read_text(errors="replace")
    assert "Traceback" not in text
    long_lines = [line[:120] for line in text.splitlines() if len(line) > MAX_LOG_LINE]
    assert long_lines == []
    assert "U" * 400 not in text and "R" * 400 not in text and "q" * 400 not in text
