"""Runtime settings: one frozen value read from environment variables.

Every knob has a default that serves the shipped sample release, and help text
that the README's settings table is checked against (tests/unit/test_docs.py).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

#: The repository root when the package is installed editable (the README's way).
#: A non-editable install must point CRISIS_DATA_DIR and CRISIS_GEO_DIR at copies
#: of the top-level data/ and geo/ folders.
REPO_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str) -> str:
    return os.environ.get(name, default)


@dataclass(frozen=True)
class Settings:
    """Everything the app, CLI and benchmark need to know about their environment."""

    data_dir: Path = field(
        default=REPO_ROOT / "data",
        metadata={"env": "CRISIS_DATA_DIR", "help": "Folder holding cities/ configs and releases/."},
    )
    geo_dir: Path = field(
        default=REPO_ROOT / "geo",
        metadata={"env": "CRISIS_GEO_DIR", "help": "Folder holding boundary files per city."},
    )
    default_city: str = field(
        default="denver",
        metadata={"env": "CRISIS_DEFAULT_CITY", "help": "City shown when the URL names none."},
    )
    privacy_k: int = field(
        default=11,
        metadata={"env": "CRISIS_PRIVACY_K", "help": "k for k-anonymous rows and cube suppression."},
    )
    cache_entries: int = field(
        default=512,
        metadata={"env": "CRISIS_CACHE_ENTRIES", "help": "Query results kept per worker (LRU)."},
    )
    query_memory_mb: int = field(
        default=64,
        metadata={"env": "CRISIS_QUERY_MEMORY_MB",
                  "help": "DuckDB memory (MiB) per worker for running queries, on top of the loaded tables "
                          "(beyond it, sorts spill to a temporary folder); 0: no cap."},
    )
    switch_delay: float = field(
        default=10.0,
        metadata={"env": "CRISIS_SWITCH_DELAY",
                  "help": "Seconds from a release change (a publish, a damaged or repaired file) to "
                          "the instant every worker switches together; must exceed the time to verify "
                          "a release."},
    )
    release_grace: float = field(
        default=900.0,
        metadata={"env": "CRISIS_RELEASE_GRACE",
                  "help": "Seconds a replaced release stays open for pages rendered on it."},
    )
    database_url: str = field(
        default="",
        metadata={"env": "CRISIS_DATABASE_URL",
                  "help": "PostgreSQL to answer from (`postgresql://user@host/db`, releases loaded by "
                          "`crisis-dashboard publish RELEASE --to`); empty: the embedded DuckDB over the "
                          "releases folder."},
    )
    redis_url: str = field(
        default="",
        metadata={"env": "CRISIS_REDIS_URL",
                  "help": "Redis shared by every worker and host for query results (`redis://host:6379/0`);"
                          " empty: each worker keeps its own LRU only."},
    )
    host: str = field(
        default="127.0.0.1",
        metadata={"env": "CRISIS_HOST", "help": "Address `crisis-dashboard serve` binds to."},
    )
    port: int = field(
        default=8050,
        metadata={"env": "PORT", "help": "Port for `serve` and the Procfile's gunicorn."},
    )

    @property
    def releases_dir(self) -> Path:
        return self.data_dir / "releases"

    @property
    def cities_dir(self) -> Path:
        return self.data_dir / "cities"

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        """Read every field from its environment variable; keyword overrides win."""
        values: dict[str, object] = {}
        for f in fields(cls):
            env_name = f.metadata["env"]
            if f.name in overrides:
                values[f.name] = overrides[f.name]
            elif env_name in os.environ:
                raw = os.environ[env_name]
                default = f.default
                if isinstance(default, Path):
                    values[f.name] = Path(raw)
                elif isinstance(default, float):
                    values[f.name] = float(raw)
                elif isinstance(default, int):
                    values[f.name] = int(raw)
                else:
                    values[f.name] = raw
        return cls(**values)  # type: ignore[arg-type]


def documented_settings() -> list[tuple[str, str, str]]:
    """(env var, default, help) for each setting: the README table is checked against this."""
    out = []
    for f in fields(Settings):
        default = f.default
        shown = "repo " + Path(default).name + "/" if isinstance(default, Path) else str(default)
        out.append((f.metadata["env"], shown, f.metadata["help"]))
    return out
