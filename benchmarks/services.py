"""Throwaway PostgreSQL and Redis servers on loopback, for the tests and the load benchmark.

Each one is the real Debian server (``postgresql``, ``redis-server``, installed by
``.ci/run`` / ``make system-deps``), started in a fresh temporary folder on a free
loopback port and removed with its folder when stopped: never a mock, never a shared
instance, nothing left behind.

PostgreSQL refuses to run as root, so as root the cluster's folder is given to the
``postgres`` user (the Debian package creates it) and the server runs as that user.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path


def free_port() -> int:
    """A TCP port nothing listens on now (the server binds it a moment later)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def pg_bin(name: str) -> str:
    """A PostgreSQL server program (Debian keeps them under /usr/lib/postgresql/<ver>/bin)."""
    versions = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"),
                      key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    found = versions[-1] if versions else shutil.which(name)
    if not found:
        raise FileNotFoundError(f"{name} not found: install Debian's postgresql package")
    return found


def _as_server_user() -> list[str]:
    """The command prefix that runs a PostgreSQL program as a user it accepts."""
    return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []


@dataclass
class Server:
    """A running throwaway server: its folder, its loopback port, its process."""

    folder: Path
    port: int
    process: subprocess.Popen = field(repr=False)
    #: The signal that stops it cleanly.
    STOP = signal.SIGTERM

    def stop(self) -> None:
        """Stop the server and remove its folder."""
        _stop_group(self.process, self.STOP, self.folder)


class Postgres(Server):
    """A running throwaway cluster: ``url`` reaches its ``crisis`` database as superuser."""

    STOP = signal.SIGINT  # PostgreSQL's fast shutdown

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/crisis"


def start_postgres(settings: dict[str, str] | None = None) -> Postgres:
    """``initdb`` a cluster in a new temporary folder and start it on a free loopback port.

    Trust authentication on loopback only (nothing else can connect), C collation so text
    sorts by bytes as in DuckDB, and ``fsync=off``: a throwaway cluster need not survive a
    power cut. ``settings`` adds server settings (e.g. ``shared_buffers`` for a benchmark).
    """
    folder = Path(tempfile.mkdtemp(prefix="crisis-pg-"))
    data = folder / "data"
    prefix = _as_server_user()
    if prefix:
        shutil.chown(folder, "postgres", "postgres")
    subprocess.run([*prefix, pg_bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                    "--locale=C", "--encoding=UTF8"], check=True, capture_output=True)
    port = free_port()
    options = {"listen_addresses": "127.0.0.1", "port": str(port), "unix_socket_directories": str(folder),
               "fsync": "off", "synchronous_commit": "off", "full_page_writes": "off",
               "max_connections": "200", **(settings or {})}
    args = [arg for k, v in options.items() for arg in ("-c", f"{k}={v}")]
    log = (folder / "server.log").open("wb")
    process = subprocess.Popen([*prefix, pg_bin("postgres"), "-D", str(data), *args],
                               stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    server = Postgres(folder, port, process)
    try:
        _wait_for_port(port, process, folder / "server.log")
        _wait_until(lambda: subprocess.run(
            [pg_bin("pg_isready"), "-h", "127.0.0.1", "-p", str(port)], capture_output=True).returncode == 0)
        subprocess.run([pg_bin("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "crisis"],
                       check=True, capture_output=True)
    except BaseException:
        server.stop()
        raise
    return server


class Redis(Server):
    """A running throwaway Redis: ``url`` reaches database 0."""

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"


def start_redis(port: int | None = None) -> Redis:
    """Debian's ``redis-server`` on loopback, no persistence, in a new temporary folder.

    ``port`` restarts a server on the port an earlier one had (the outage test brings
    Redis back where the app expects it).
    """
    folder = Path(tempfile.mkdtemp(prefix="crisis-redis-"))
    port = port or free_port()
    exe = shutil.which("redis-server") or "/usr/bin/redis-server"
    process = subprocess.Popen(
        [exe, "--bind", "127.0.0.1", "--port", str(port), "--dir", str(folder), "--save", "",
         "--appendonly", "no", "--protected-mode", "yes", "--maxmemory", "256mb",
         "--maxmemory-policy", "allkeys-lru"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    server = Redis(folder, port, process)
    try:
        _wait_for_port(port, process, None)
    except BaseException:
        server.stop()
        raise
    return server


def _stop_group(process: subprocess.Popen, sig: int, folder: Path) -> None:
    """Signal a server's whole process group (as root PostgreSQL runs under runuser, which
    does not pass a signal on), wait for it (kill after 30 s), remove its folder."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    shutil.rmtree(folder, ignore_errors=True)


def _wait_for_port(port: int, process: subprocess.Popen, log: Path | None, timeout: float = 30.0) -> None:
    def listening() -> bool:
        if process.poll() is not None:
            detail = log.read_text(errors="replace")[-2000:] if log and log.exists() else ""
            raise RuntimeError(f"server exited with {process.returncode}: {detail}")
        with contextlib.closing(socket.socket()) as sock:
            return sock.connect_ex(("127.0.0.1", port)) == 0

    _wait_until(listening, timeout)


def _wait_until(check, timeout: float = 30.0) -> None:  # noqa: ANN001 (a no-argument predicate)
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError("server did not start in time")
        time.sleep(0.05)


@contextlib.contextmanager
def postgres(settings: dict[str, str] | None = None) -> Iterator[Postgres]:
    """A throwaway PostgreSQL for the block."""
    server = start_postgres(settings)
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def redis() -> Iterator[Redis]:
    """A throwaway Redis for the block."""
    server = start_redis()
    try:
        yield server
    finally:
        server.stop()
