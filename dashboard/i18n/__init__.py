"""Translation: every user-facing string goes through ``t(key, lang, **values)``.

Catalogs are JSON files beside this module (``en.json``, ``es.json``), one flat
mapping of message key -> text with ``{name}`` placeholders. Both catalogs hold
exactly the same keys with the same placeholders: ``tests/unit/test_i18n.py`` fails
on any key missing from either and on any key the code uses that a catalog lacks.
At run time a key missing from a non-English catalog still falls back to English (a
page in mixed languages beats no page), and a key missing from English raises.

Numbers follow US conventions in both languages (1,234.5): Denver's Spanish-speaking
residents mostly read Mexican/US Spanish, whose separators are the same as English
(CLDR es-US / es-MX); the Spanish percent sign is spaced ("46 %", non-breaking).
Month and weekday names come from the catalogs (``month.<n>``, ``weekday.short.<n>``)
and, inside charts, from plotly's Spanish locale (``assets/vendor/plotly-locale-es.js``).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = ("en", "es")
DEFAULT_LANGUAGE = "en"
#: The query parameter every page reads its language from (``?lang=es``); left out for English.
PARAM_LANG = "lang"
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
    """A whole number with a thousands separator (the same in both languages)."""
    return f"{round(value):,}"


def fmt_decimal(value: float, lang: str = DEFAULT_LANGUAGE, digits: int = 1) -> str:
    """A number with ``digits`` decimals and a thousands separator ("1,234.5", both languages)."""
    return f"{value:,.{digits}f}"


def fmt_pct(share: float | None, lang: str = DEFAULT_LANGUAGE, digits: int = 0) -> str:
    """A share (0..1) as a percentage ("46%", Spanish "46 %"), or an em dash when undefined."""
    if share is None:
        return "—"
    text = f"{share * 100:.{digits}f}"
    return text + "\u00a0%" if lang == "es" else text + "%"
