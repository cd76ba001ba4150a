"""Query results shared by every worker on every host, in Redis (``CRISIS_REDIS_URL``).

Each worker keeps its own LRU (``Store.cached``); behind it, this cache lets N workers
on M hosts compute each view once: a result computed by any of them is stored in Redis
and read by the others. Why it is safe to share, and how it fails:

* **Keys name everything an answer depends on**: the snapshot's releases
  (``city/release-id, ...``), the query and its canonical filters (``Filters`` is a
  frozen, normalised value), the engine, a digest of the city configurations, and
  ``code_version``: a digest of the code that computes answers and of the versions of
  the libraries it runs on. A publish, a configuration change or a deploy therefore
  starts new keys; old ones expire (``TTL``).
* **Values are Arrow IPC**, not pickle, and a frame is shared only if it comes back from
  Arrow with the same columns and types: a worker reading it gets what it would have
  computed. A value that does not decode is ignored and computed again. Redis is inside
  the trust boundary: whoever can write to it can change the numbers pages show (never
  run code), so it must listen on a private network with a password (README).
* **Redis is an accelerator, never a dependency.** Every call has a short timeout. When
  Redis is down, flushed or full, the store answers from the engine; after an error it
  does not try again for ``RETRY_SECONDS`` (one timeout per worker, not one per query),
  and the outage is logged once.
"""

from __future__ import annotations

import hashlib
import io
import logging
import threading
import time
from functools import cache
from pathlib import Path

import pandas as pd
import pyarrow as pa
import redis

logger = logging.getLogger(__name__)

#: Seconds an entry lives (a release's entries are dead once it is replaced anyway).
TTL = 24 * 3600
#: Seconds to wait for Redis on connect and on each command.
TIMEOUT = 0.25
#: Seconds after a Redis error before it is tried again.
RETRY_SECONDS = 5.0
#: Entries larger than this are not shared (a frame this big is a download's, not a view's).
MAX_BYTES = 8 * 2**20


@cache
def code_version() -> str:
    """A digest of the code that computes cached answers (the queries and the engine) and
    of the libraries' versions (a new pandas may type a column otherwise)."""
    from importlib.metadata import version

    root = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for folder in ("queries", "engine", "contract", "params"):
        for path in sorted((root / folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    for package in ("duckdb", "pandas", "pyarrow", "sqlglot", "psycopg", "numpy"):
        digest.update(f"{package}={version(package)}".encode())
    return digest.hexdigest()[:12]


def namespace(engine: str, cities_dir: Path) -> str:
    """What besides the key an answer depends on: the engine and the city configurations."""
    digest = hashlib.sha256(engine.encode())
    for path in sorted(cities_dir.glob("*.toml")):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return f"{code_version()}:{digest.hexdigest()[:12]}"


class SharedCache:
    """A Redis-backed map from cache keys to DataFrames (module docstring)."""

    def __init__(self, url: str, space: str) -> None:
        self.space = space
        self._client = redis.Redis.from_url(url, socket_timeout=TIMEOUT, socket_connect_timeout=TIMEOUT,
                                            health_check_interval=30)
        self._down_until = 0.0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def redis_key(self, key: tuple) -> str:
        return f"crisis:{self.space}:" + hashlib.sha256(repr(key).encode()).hexdigest()

    def get(self, key: tuple) -> pd.DataFrame | None:
        """The shared result for ``key``, or None (absent, undecodable, or Redis unavailable)."""
        raw = self._call(lambda: self._client.get(self.redis_key(key)))
        if not isinstance(raw, bytes):
            self.misses += 1
            return None
        try:
            frame = _decode(raw)
        except Exception:  # junk in Redis must cost a computation, never an answer
            logger.warning("a shared cache entry did not decode; computing it again")
            self.misses += 1
            return None
        self.hits += 1
        return frame

    def put(self, key: tuple, frame: pd.DataFrame) -> None:
        """Share ``frame`` under ``key`` (silently not, if it cannot be encoded or Redis is down)."""
        try:
            table = pa.Table.from_pandas(frame, preserve_index=False)
            sink = io.BytesIO()
            with pa.ipc.new_stream(sink, table.schema) as writer:
                writer.write_table(table)
            raw = sink.getvalue()
            back = _decode(raw)
        except (pa.ArrowException, ValueError, TypeError):
            return  # a frame Arrow cannot carry stays in this worker's LRU only
        same = (list(back.columns) == list(frame.columns) and list(back.dtypes) == list(frame.dtypes)
                and back.index.equals(frame.index))
        if same and len(raw) <= MAX_BYTES:
            self._call(lambda: self._client.set(self.redis_key(key), raw, ex=TTL))

    def _call(self, command):  # noqa: ANN001, ANN202 (a Redis command in a lambda)
        if time.monotonic() < self._down_until:
            return None
        try:
            result = command()
        except redis.RedisError as exc:
            with self._lock:
                if self._down_until == 0.0:
                    logger.error("the shared cache (Redis) is unavailable; answering from the engine: %s",
                                 exc)
                self._down_until = time.monotonic() + RETRY_SECONDS
            return None
        if self._down_until:
            with self._lock:
                if self._down_until:
                    logger.info("the shared cache (Redis) is back")
                self._down_until = 0.0
        return result


def _decode(raw: bytes) -> pd.DataFrame:
    with pa.ipc.open_stream(io.BytesIO(raw)) as reader:
        return reader.read_pandas()


def shared_cache(url: str, engine: str, cities_dir: Path) -> SharedCache | None:
    """The shared cache for ``url`` (None when no Redis is configured)."""
    return SharedCache(url, namespace(engine, cities_dir)) if url else None
