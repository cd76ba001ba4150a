"""Translation: every user-facing string goes through ``t(key, lang, **values)``.

Catalogs are JSON files beside this module (``en.json`` now, ``es.json`` later), one
flat mapping of message key -> text with ``{name}`` placeholders. A missing key in a
non-English catalog falls back to English; a key missing from English is a bug and
raises, so a test that renders every page catches it.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("en",)
DEFAULT_LANGUAGE = "en"
_DIR = Path(__file__).parent


@cache
def catalog(lang: str) -> dict[str, str]:
    """The message catalog for ``lang`` (read once per process, never mutated)."""
    path = _DIR / f"{lang}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def normalize_language(lang: object) -> str:
    """A supported language code for any untrusted value (unknown -> English)."""
    return lang if isinstance(lang, str) and lang in LANGUAGES else DEFAULT_LANGUAGE


def t(key: str, lang: str = DEFAULT_LANGUAGE, **values: object) -> str:
    """The text for ``key`` in ``lang`` with ``{placeholders}`` filled from ``values``."""
    lang = normalize_language(lang)
    text = catalog(lang).get(key)
    if text is None:
        text = catalog(DEFAULT_LANGUAGE)[key]
    return text.format(**values) if values else text


def fmt_int(value: float | int, lang: str = DEFAULT_LANGUAGE) -> str:
    """A whole number with the language's thousands separator."""
    text = f"{round(value):,}"
    return text.replace(",", ".") if lang == "es" else text


def fmt_pct(share: float | None, lang: str = DEFAULT_LANGUAGE, digits: int = 0) -> str:
    """A share (0..1) as a percentage, or an em dash when undefined."""
    if share is None:
        return "—"
    text = f"{share * 100:.{digits}f}"
    if lang == "es":
        text = text.replace(".", ",")
    return text + " %" if lang == "es" else text + "%"
