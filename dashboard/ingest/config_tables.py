"""Reading TOML tables with the key path in every message, for the ``[ingest]`` loader.

A misspelt key or a value of the wrong kind must fail naming the file and the key
(``[ingest.response.on_scene_column]``), never be silently ignored, since it would
change what gets published. This is the generic part of that: typed access by key,
unknown keys refused, converters that name what was allowed. It knows nothing of the
ingest's sections, which ``dashboard.ingest.config`` reads with it.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any


class IngestConfigError(ValueError):
    """The ``[ingest]`` section is missing a key or has a value of the wrong kind."""


class Table:
    """A TOML table being read: typed access by key, and unknown keys refused at the end."""

    def __init__(self, raw: object, where: str, path: Path) -> None:
        self.path, self.where = path, where
        if not isinstance(raw, dict):
            raise self.error(f"must be a table, got {type(raw).__name__}")
        self.raw: dict[str, Any] = raw
        self.used: set[str] = set()

    def error(self, message: str, key: str | None = None) -> IngestConfigError:
        at = f"{self.where}.{key}" if key else self.where
        return IngestConfigError(f"{self.path}: [{at}] {message}")

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = None, *,
            required: bool = False) -> Any:
        self.used.add(key)
        if key not in self.raw:
            if required:
                raise self.error("is required", key)
            return default
        value = self.raw[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise self.error(f"must be {_kind_name(kind)}, got {value!r}", key)
        return value

    def has(self, key: str) -> bool:
        return key in self.raw

    def sub(self, key: str) -> Table:
        self.used.add(key)
        if key not in self.raw:
            raise self.error("is required", key)
        return Table(self.raw[key], f"{self.where}.{key}", self.path)

    def done(self) -> None:
        unknown = sorted(set(self.raw) - self.used)
        if unknown:
            raise self.error(f"unknown key(s): {', '.join(unknown)}")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {str: "a string", bool: "true or false", int: "an integer", list: "a list",
             dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def enum_value(enum: type, where: Table, key: str) -> Callable[[object], str]:
    """A converter from a TOML value to the value of a member of ``enum``, naming the allowed values."""

    def convert(value: object) -> str:
        try:
            return enum(value).value
        except ValueError:
            allowed = ", ".join(m.value for m in enum)
            raise where.error(f"{value!r} is not one of: {allowed}", key) from None

    return convert


def boolean(where: Table, key: str) -> Callable[[object], bool]:
    def convert(value: object) -> bool:
        if not isinstance(value, bool):
            raise where.error(f"{value!r} must be true or false", key)
        return value

    return convert


def nonblank(where: Table, key: str) -> Callable[[object], str]:
    def convert(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise where.error(f"{value!r} must be a non-empty string", key)
        return value.strip()

    return convert

