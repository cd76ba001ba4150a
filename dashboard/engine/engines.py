"""Which engine answers: the one place that chooses (``CRISIS_DATABASE_URL``).

Separate from ``store`` and ``pg_store`` because it imports both: the embedded DuckDB
``Store`` over the releases folder by default, ``PgStore`` when a database is set.
"""

from __future__ import annotations

from functools import cache

from dashboard.engine.pg_store import PgStore
from dashboard.engine.store import Store
from dashboard.settings import Settings


def open_store(settings: Settings, *, watch: bool = True) -> Store:
    """A new Store on the engine the settings choose: PostgreSQL if ``database_url`` is
    set (``dashboard.engine.pg_store``), else the embedded DuckDB over the releases folder."""
    if settings.database_url:
        return PgStore(settings, watch=watch)
    return Store(settings, watch=watch)


@cache
def get_store(settings: Settings) -> Store:
    """The process's one Store for these settings (opened on first call)."""
    return open_store(settings)
