"""Spanish as a reader gets it: the switch, the address, and no English left on the page.

The switch is a visible link in the nav ("Español" / "English"); the language lives in
the address (``?lang=es``) with every other part of the view kept, and survives moving
between pages. Each page in Spanish is checked twice for English left on it:

* no English sentence of the catalog may appear in its visible text (a string the code
  forgot to translate, or one rendered with the default language);
* no common English word (``ENGLISH_WORDS``: "the", "and", "calls", "district", ...)
  may appear in what a reader sees or hears: the page's text (including SVG, collapsed
  sections and select options), its ``aria-label``/``title``/``alt`` attributes, the
  <title> and meta description, and the charts' hover texts (from the figure data).
  This catches English that is not in the catalogs: the data contract's descriptions,
  boundary-file area names ("District 5"), city configs, plotly templates. Removed first:
  <code>/<pre> (column names and values stay as published), elements marked with
  another ``lang`` (the "English" switch), URLs, file names, and the words of the
  data itself (city names, release ``source`` strings).

Charts use Spanish month names, and numbers the shared US-Spanish separators.
"""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard.contract.cities import load_cities
from dashboard.i18n import catalog
from dashboard.queries import docs
from dashboard.settings import Settings
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

SPANISH_PAGES = [
    "/?lang=es",
    "/outcomes?lang=es",
    "/data?lang=es",
    "/methodology?lang=es",
    "/releases?lang=es",
    "/impact?lang=es",
    "/district/3?lang=es",
    "/district/council-10?lang=es",
    "/?city=lane_county&lang=es",
    "/?city=grand_junction&lang=es",
    "/no-such-page?lang=es",
]

#: English words no Spanish sentence uses (Spanish "no", "a", "total" are not in it).
ENGLISH_WORDS = re.compile(
    r"\b(?:the|and|of|with|from|calls?|districts?|which|were|this|that|these|those|is|are|was|"
    r"for|to|by|on|in|at|an|or|not|only|has|have|had|their|there|when|where|who|what|how|"
    r"each|every|than|into|team|police|answered|eligible|hidden|shows?)\b",
    re.IGNORECASE,
)
#: Text that is not prose: addresses, file names, release ids, plotly placeholders, tags.
NOT_PROSE = re.compile(
    r"https?://\S+|(?<![\w/])/[\w-]+(?:/[\w.-]*)*(?:\?\S*)?"
    r"|\b[\w.-]+\.(?:csv|parquet|json|md|xlsx|js|geojson)\b|\b\d{8}-[0-9a-f]{8}\b|%\{[^}]*\}|<[^>]*>"
)

#: Everything a reader sees or hears that is meant to be Spanish (see the module docstring).
_PAGE_WORDS_JS = """() => {
  const SKIP = "code, pre, kbd, samp, script, style, noscript, template";
  const foreign = (el) => {
    const marked = el.closest("[lang]");
    return marked !== null && !marked.getAttribute("lang").startsWith("es");
  };
  const out = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement;
    if (el && !el.closest(SKIP) && !foreign(el)) out.push(walker.currentNode.nodeValue);
  }
  for (const meta of document.querySelectorAll('meta[name="description"], meta[property^="og:"]')) {
    out.push(meta.getAttribute("content") || "");
  }
  const names = ["aria-label", "title", "alt", "placeholder", "aria-description"];
  for (const el of document.querySelectorAll(names.map((n) => "[" + n + "]").join(","))) {
    if (foreign(el)) continue;
    for (const n of names) if (el.hasAttribute(n)) out.push(el.getAttribute(n));
  }
  const strings = (value) => (Array.isArray(value) ? value : [value]).filter((v) => typeof v === "string");
  for (const gd of document.querySelectorAll(".js-plotly-plot")) {
    for (const trace of gd.data || []) {
      for (const key of ["name", "hovertemplate", "hovertext", "text"]) out.push(...strings(trace[key]));
    }
    for (const note of (gd.layout && gd.layout.annotations) || []) out.push(...strings(note.hovertext));
  }
  return out;
}"""


@cache
def _verbatim() -> tuple[str, ...]:
    """Words of the data, shown as they are in every language: city names and places,
    release ``source`` strings (longest first, so a name inside another goes with it)."""
    settings = Settings()
    cities = load_cities(settings.cities_dir)
    words: set[str] = set()
    for city_id, city in cities.items():
        words |= {city.name, city.localized("es").name}
        words |= {entry.source for entry in docs.changelog(settings.releases_dir, city_id) if entry.source}
    return tuple(sorted(words, key=len, reverse=True))


def english_words(texts: list[str]) -> list[str]:
    """Each English word found in ``texts``, with a little context, after removing what
    is not prose and the data's own words."""
    found = []
    for text in texts:
        text = NOT_PROSE.sub(" ", text)
        for verbatim in _verbatim():
            text = text.replace(verbatim, " ")
        found += [text[max(m.start() - 40, 0): m.end() + 40].strip() for m in ENGLISH_WORDS.finditer(text)]
    return found


def _query(url: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(url).query)


def _settled(page) -> None:
    page.wait_for_selector("main h1")
    wait_for_dash(page)
    page.wait_for_function("() => !document.querySelector('._dash-loading, [data-dash-is-loading=\"true\"]')")


def _english_sentences() -> list[str]:
    """English catalog texts that differ from Spanish, as fixed pieces (between their
    placeholders) long enough to be unambiguous."""
    english, spanish = catalog("en"), catalog("es")
    pieces: set[str] = set()
    for key, text in english.items():
        if text == spanish[key]:
            continue
        for piece in re.split(r"\{[a-z_]+\}", text):
            piece = piece.strip(" .,:;()")
            if len(piece) >= 18 and re.search(r"[a-z]{3} [a-z]{3}", piece):
                pieces.add(piece)
    return sorted(pieces)


def test_switch_keeps_the_view_and_round_trips(page, live_server):
    page.goto(live_server + "/?city=denver&start=2024-01-01&end=2024-06-01")
    _settled(page)
    assert page.locator("html").get_attribute("lang") == "en"
    switch = page.locator("#lang-switch")
    assert switch.inner_text() == "Español"
    assert switch.get_attribute("lang") == "es"
    switch.click()
    page.wait_for_url(re.compile(r"lang=es"))
    _settled(page)
    query = _query(page.url)
    assert query["lang"] == ["es"] and query["start"] == ["2024-01-01"] and query["end"] == ["2024-06-01"]
    assert page.locator("html").get_attribute("lang") == "es"
    assert page.locator("main h1").inner_text() == "Cómo atiende Denver las llamadas de crisis"
    assert "ene 2024" in page.locator("main .lead").first.inner_text()
    back = page.locator("#lang-switch")
    assert back.inner_text() == "English"
    back.click()
    page.wait_for_url(lambda url: "lang=" not in url)
    _settled(page)
    assert page.locator("html").get_attribute("lang") == "en"
    assert _query(page.url)["start"] == ["2024-01-01"]


def test_spanish_follows_the_reader_from_page_to_page(page, live_server):
    page.goto(live_server + "/?lang=es")
    _settled(page)
    page.get_by_role("link", name="Metodología").click()
    page.wait_for_url(re.compile(r"/methodology\?lang=es"))
    _settled(page)
    assert page.locator("main h1").inner_text() != catalog("en")["method.heading"]
    assert page.title().startswith("Metodología")
    # The switch follows the page it is on (it was built for the first page).
    assert urlsplit(page.locator("#lang-switch").get_attribute("href")).path == "/methodology"
    page.get_by_role("link", name="Datos", exact=True).click()
    page.wait_for_url(re.compile(r"/data\?lang=es"))


def test_keyboard_reaches_and_uses_the_switch(page, live_server):
    page.goto(live_server + "/data")
    _settled(page)
    page.locator("#lang-switch").focus()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/data\?lang=es"))
    _settled(page)
    assert page.locator("html").get_attribute("lang") == "es"


@pytest.mark.parametrize("path", SPANISH_PAGES)
def test_no_english_on_a_spanish_page(page, live_server, path):
    page.goto(live_server + path)
    _settled(page)
    page.wait_for_timeout(300)  # charts draw after the layout
    assert page.locator("html").get_attribute("lang") == "es"
    text = page.evaluate("document.body.innerText")
    svg_text = " ".join(page.locator("svg text").all_text_contents())
    found = [s for s in _english_sentences() if s in text or s in svg_text]
    assert found == [], f"English on {path}: {found[:10]}"
    words = english_words(page.evaluate(_PAGE_WORDS_JS))
    assert words == [], f"English words on {path}: {words[:10]}"
    # Every link to another page of the app keeps the reader in Spanish.
    hrefs = page.eval_on_selector_all(
        "a[href^='/']:not(#lang-switch)", "els => els.map(e => e.getAttribute('href'))"
    )
    pages = [h for h in hrefs if not h.startswith(("/api/", "/assets/", "/_dash"))]
    assert pages and [h for h in pages if "lang=es" not in h] == [], f"links without lang on {path}"
    if path == "/?lang=es":
        ticks = page.locator(".xtick text").all_text_contents()
        assert any(re.match(r"(ene|feb|mar|abr|may|jun|jul|ago|sept|oct|nov|dic)\b", t) for t in ticks), ticks


def test_the_word_detector_flags_english_and_passes_spanish():
    """The detector itself, without a browser: a Spanish sentence with code, a file, a
    URL and a place passes; English prose, an English hover or area name fails."""
    spanish = [
        "Llamadas en Lane County (Eugene–Springfield): descargue calls.csv de https://example.org/a/the",
        "Enlace: /district/3?city=denver&from=the",
        "%{y:,.0f} por semana<extra>Equipo STAR</extra>",
        "No hay llamadas elegibles; el total no incluye el distrito 7.",
    ]
    assert english_words(spanish) == []
    english = ["The alternative team answered", "<b>District 5</b><br>12 llamadas", "Calls per week"]
    assert [bool(english_words([text])) for text in english] == [True, True, True]
