"""The page as the first response sends it is the finished page (issue 18).

The index page carries the page drawn as HTML (``dashboard.first_view``), and Dash's
first layout carries the same page, so the first paint already shows the headline,
the cards and the tables. Here Chromium opens each page twice: without JavaScript (what
a phone shows before Dash's scripts have run, and what a reader without JavaScript
keeps) and with it, once every chart is drawn. Every word and number in the page's
``main``, charts aside, must be the same; the finished page must have been drawn from
the first layout, without asking the router callback for the page again; and the
router, asked for the same address later (navigating inside the app), must draw the
same page.
"""

from __future__ import annotations

import re

import pytest

from tests.conftest import DASH_DREW, wait_for_dash

#: ``main``'s text without the charts (plotly.js draws their text only in the live page).
MAIN_TEXT = """() => {
  const main = document.querySelector('#main').cloneNode(true);
  main.querySelectorAll('.dash-graph').forEach((graph) => graph.replaceChildren());
  return main.textContent;
}"""

#: Finished: Dash has rendered, nothing is loading, every chart is drawn.
FINISHED = """() => {
  if (!window.dash_clientside || document.querySelector('[data-dash-is-loading="true"]')) { return false; }
  if (!document.querySelector('#main select:not([disabled]), #main a')) { return false; }
  const graphs = [...document.querySelectorAll('#main .dash-graph')].filter((g) => g.offsetParent !== null);
  return graphs.every((g) => g.querySelector('.main-svg'));
}"""

#: What a dcc.Link does: a new address without a reload, then Dash's router hears of it.
NAVIGATE = """(address) => {
  window.history.pushState({}, '', address);
  window.dispatchEvent(new CustomEvent('_dashprivate_pushstate'));
}"""

PAGES = ["/", "/?lang=es", "/district/3", "/district/3?lang=es", "/outcomes", "/outcomes?lang=es", "/data",
         "/data?lang=es", "/impact", "/districts", "/methodology", "/releases"]


def _words(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("path", PAGES)
def test_the_first_response_is_the_finished_page(browser, live_server, page, console, path):
    static = browser.new_context(viewport={"width": 1280, "height": 900}, java_script_enabled=False)
    try:
        first = static.new_page()
        first.goto(live_server + path)
        first_text = _words(first.evaluate(MAIN_TEXT))
        first_title = first.title()
        assert first.locator("#main h1").count() == 1  # a page, not Dash's "Loading..."
    finally:
        static.close()

    callbacks: list[str] = []
    page.on("request", lambda req: callbacks.append(req.post_data or "")
            if "_dash-update-component" in req.url else None)
    page.goto(live_server + path)
    wait_for_dash(page)
    page.wait_for_function(FINISHED)
    assert _words(page.evaluate(MAIN_TEXT)) == first_text
    assert page.title() == first_title
    numbers = re.findall(r"\d[\d,.]*", first_text)
    assert len(numbers) > 5  # the comparison covered the page's figures, not an empty frame
    # The page came in Dash's first layout: no router callback drew it again.
    assert not [body for body in callbacks if "_pages_content" in body]

    # And it is the page Dash's router draws for the address: leave for another page and
    # come back inside the app (as a dcc.Link does), and the router's page reads the same.
    other = "/releases" if not path.startswith("/releases") else "/methodology"
    for address in (other, path):
        with page.expect_response(lambda r: "_dash-update-component" in r.url
                                  and "_pages_content" in (r.request.post_data or "")):
            page.evaluate(NAVIGATE, address)
        page.wait_for_function(FINISHED)
    assert _words(page.evaluate(MAIN_TEXT)) == first_text


#: Records, from the first paint, whether "Loading..." was ever visible and the layout
#: shift the page accumulated (the swap must move nothing).
WATCH = """() => {
  window.__sawLoading = false;
  window.__shift = 0;
  new PerformanceObserver((list) => list.getEntries().forEach((e) => {
    if (!e.hadRecentInput) { window.__shift += e.value; }
  })).observe({type: 'layout-shift', buffered: true});
  new MutationObserver(() => {
    document.querySelectorAll('._dash-loading').forEach((el) => {
      if (el.checkVisibility({visibilityProperty: true})) { window.__sawLoading = true; }
    });
  }).observe(document.documentElement, {childList: true, subtree: true});
}"""


def _dash_scripts(requests: list[str]) -> list[str]:
    return [url for url in requests if "_dash-component-suites" in url or "_dash-layout" in url]


def test_a_phone_reads_the_page_before_dash_and_gets_charts_as_it_scrolls(phone_page, live_server, console):
    """On a phone the Overview's charts are below the first screen: nothing of Dash is
    fetched until the reader scrolls towards them; then Dash starts, draws them, and
    replaces the first view without "Loading..." ever showing or anything moving."""
    page = phone_page
    page.add_init_script(f"document.addEventListener('DOMContentLoaded', {WATCH})")
    page.goto(live_server + "/")
    page.wait_for_load_state("networkidle")
    assert _dash_scripts(console.requests) == []
    assert page.locator("#overview-kpis .kpi-value, #overview-kpis h3, #overview-kpis strong").count() > 0 \
        or re.search(r"\d", page.inner_text("#overview-kpis"))
    page.evaluate("() => document.querySelector('.dash-graph').scrollIntoView()")
    page.wait_for_function(DASH_DREW)
    page.wait_for_selector("#main .dash-graph .main-svg")
    assert _dash_scripts(console.requests)
    assert page.evaluate("() => window.__sawLoading") is False
    assert page.evaluate("() => window.__shift") < 0.01


def test_the_keyboard_keeps_its_place_when_dash_takes_over(page, live_server, console):
    """A page without charts (Data) waits for the reader; a Tab starts Dash, and the link
    that had the focus in the first view still has it in the live page."""
    page.goto(live_server + "/data")
    page.wait_for_load_state("networkidle")
    assert _dash_scripts(console.requests) == []
    for _ in range(3):  # the skip link, the site name, then the first navigation link
        page.keyboard.press("Tab")
    focused = page.evaluate("() => document.activeElement.id")
    assert focused  # a navigation link, whose id the live page shares
    page.wait_for_function(DASH_DREW)
    assert page.evaluate("() => document.activeElement.id") == focused
    assert page.evaluate("() => !document.getElementById('first-view')"
                         " && document.getElementById('react-entry-point').contains(document.activeElement)")
