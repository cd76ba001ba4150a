"""The message catalogs: every string the app shows exists in English and Spanish.

A key missing from a catalog would show English on a Spanish page (the run-time
fallback), so these tests make it a failure instead. Together with
``test_app.test_every_message_key_exists_in_english`` (every key the code uses is in
English) they prove every used key is in Spanish too.
"""

from __future__ import annotations

import re
from string import Formatter

import pytest

from dashboard.i18n import LANGUAGES, catalog, fmt_decimal, fmt_int, fmt_pct, t

# Values that read the same in both languages (patterns, units, file names, "No").
SAME_IN_BOTH = re.compile(r"^[\s{}a-z_.%\-–:,IpBKMG0-9·]*$|^(Total|No|{[a-z]+} (bytes|KB|MB|GB))$")


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_catalog_has_exactly_the_english_keys(lang: str):
    english, other = catalog("en"), catalog(lang)
    assert sorted(set(english) - set(other)) == [], f"missing from {lang}.json"
    assert sorted(set(other) - set(english)) == [], f"in {lang}.json but not en.json"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_placeholders_match_english_and_no_value_is_empty(lang: str):
    english, other = catalog("en"), catalog(lang)
    wrong = {k: (english[k], v) for k, v in other.items() if _placeholders(v) != _placeholders(english[k])}
    assert wrong == {}
    assert [k for k, v in other.items() if not v.strip()] == []


def test_spanish_is_translated_not_copied():
    english, spanish = catalog("en"), catalog("es")
    copied = [k for k, v in spanish.items() if v == english[k] and not SAME_IN_BOTH.match(v)]
    assert copied == []


def test_a_missing_key_is_a_failure_not_a_silent_fallback_in_tests(monkeypatch: pytest.MonkeyPatch):
    """The run-time fallback exists (a page in mixed languages beats no page) and is
    exactly what the catalog tests above rule out: here it is shown to work."""
    patched = dict(catalog("es"))
    patched.pop("nav.skip")
    monkeypatch.setattr("dashboard.i18n.catalog", lambda lang: patched if lang == "es" else catalog("en"))
    assert t("nav.skip", "es") == catalog("en")["nav.skip"]
    with pytest.raises(KeyError):
        t("no.such.key", "es")


def test_numbers_in_both_languages():
    assert fmt_int(7012.4, "en") == fmt_int(7012.4, "es") == "7,012"
    assert fmt_pct(0.4612, "en") == "46%"
    assert fmt_pct(0.4612, "es", digits=1) == "46.1\u00a0%"
    assert fmt_pct(None, "es") == "—"
    assert fmt_decimal(1234.56, "es") == fmt_decimal(1234.56, "en") == "1,234.6"


def test_unknown_language_reads_english():
    assert t("nav.skip", "fr") == t("nav.skip", "en") == t("nav.skip", "<script>")


@pytest.mark.parametrize("lang", LANGUAGES)
def test_no_key_is_written_twice(lang: str):
    """JSON keeps the last of two equal keys silently; a catalog must not rely on that."""
    import json

    from dashboard.i18n import _DIR

    pairs = json.loads((_DIR / f"{lang}.json").read_text(encoding="utf-8"), object_pairs_hook=lambda p: p)
    keys = [k for k, _ in pairs]
    assert sorted({k for k in keys if keys.count(k) > 1}) == []


def _schema_texts() -> dict[str, str]:
    """Every description of the data contract, by the catalog key the pages read it from.

    Columns are the rows' and, under the same ``schema.column.`` keys, the internal columns
    a rollup publishes as a dim: ``response_minutes`` left the rows (issue 12) but is still
    published, per minute, in ``rollup_minutes``, and its description with it.
    """
    from dashboard.contract.aggregate_columns import CUBE_SUPPRESSED, DERIVED_COLUMNS, SUPPRESSED_MEASURE_NOTE
    from dashboard.contract.schema import CALLS_COLUMNS, CUBES, INTERNAL_EXTRA_COLUMNS, ROLLUPS

    texts = {f"schema.column.{c.name}": c.description for c in CALLS_COLUMNS}
    rollup_dims = {d for table in ROLLUPS for d in table.dims}
    texts |= {f"schema.column.{c.name}": c.description
              for c in INTERNAL_EXTRA_COLUMNS if c.name in rollup_dims}
    texts |= {f"schema.table.{table.name}": table.description for table in (*ROLLUPS, *CUBES)}
    texts |= {f"schema.derived.{name}": c.description for name, c in DERIVED_COLUMNS.items()}
    texts[f"schema.derived.{CUBE_SUPPRESSED.name}"] = CUBE_SUPPRESSED.description
    texts["schema.suppressed_measure_note"] = SUPPRESSED_MEASURE_NOTE
    return texts


def test_schema_descriptions_are_in_the_catalogs_word_for_word():
    """The schema is the English of the release files; en.json must say exactly the same
    (so the /data page in English and the files cannot drift apart), and no catalog may
    keep a description the schema no longer has."""
    texts = _schema_texts()
    english = catalog("en")
    assert sorted(set(texts) - set(english)) == [], "schema descriptions missing from en.json"
    drifted = {k: (english[k], v) for k, v in texts.items() if english[k] != v}
    assert drifted == {}, "en.json differs from dashboard/contract/schema.py: update both catalogs"
    stale = sorted(k for k in english if k.startswith("schema.") and k not in texts)
    assert stale == []


@pytest.mark.parametrize("lang", [code for code in LANGUAGES if code != "en"])
def test_schema_translations_keep_every_code_span(lang: str):
    """Column names and values in `backticks` are shown as code and are not translated."""
    english, other = catalog("en"), catalog(lang)
    def code(text: str) -> list[str]:
        return sorted(re.findall(r"`[^`]*`", text))

    wrong = {k: other[k] for k in _schema_texts() if code(other[k]) != code(english[k])}
    assert wrong == {}
