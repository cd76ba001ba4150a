"""Every page on a 390 px phone and a 1280 px desktop (issue 6): no sideways scrolling,
44 px tap targets, and the filters folded behind a button on the phone.

One browser page per viewport serves every test of this module (a fresh page per test
would cost a second each); a test fails if the console reported an error since the
previous one. Each page is saved as ``screenshots/<page>-<width>[-es].png`` for a
person to look at.

The tap-target rule (``SMALL_TARGETS``): every visible interactive element (links,
buttons, form controls, ``<summary>``, ``[role=button|tab]``, ``[tabindex="0"]``) is at
least 44 × 44 CSS px, or is a check box or radio whose whole ``.form-check`` row (the
label's box covers it) is. Exempt are only: a link inside a sentence (its ``<p>``,
``<li>`` or ``<dd>`` holds other words and it is not in the navigation, the footer, a
``.link-row``/``.link-list`` or a table), the skip link (off screen until focused), and
plotly's mode bar (shown on hover; the same numbers are downloadable beside each chart).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dashboard import ids
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

PHONE = (390, 844)
DESKTOP = (1280, 900)

#: (screenshot name, address); ``?lang=es`` variants get an ``-es`` suffix.
PAGES = [
    ("overview", "/"),
    ("outcomes", "/outcomes"),
    ("data", "/data"),
    ("methodology", "/methodology"),
    ("releases", "/releases"),
    ("impact", "/impact"),
    ("districts", "/districts?city=denver&area=capitol%20hill"),
    ("district-3", "/district/3"),
    ("district-council-10", "/district/council-10"),
    ("overview-grand-junction", "/?city=grand_junction"),
    ("overview", "/?lang=es"),
    ("district-3", "/district/3?lang=es"),
]

#: Folding panels: (page, panel id, a control inside it).
PANELS = [
    ("/", ids.OVERVIEW_FILTERS, f"#{ids.OVERVIEW_CITY}"),
    ("/district/3", "district-controls", "#district-area"),
    ("/outcomes", "outcomes-controls", "#outcomes-city"),
]

NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"

READY = """() => !document.querySelector('[data-dash-is-loading="true"]')
    && [...document.querySelectorAll('.js-plotly-plot')].every(
        g => !g.checkVisibility() || g.querySelector('.main-svg'))"""

SMALL_TARGETS = """() => {
  const SELECTOR = 'a[href], button, input:not([type=hidden]), select, textarea, summary, '
    + '[role=button], [role=tab], [tabindex="0"], .Select-control';
  const MIN = 44 - 0.5;  // sub-pixel rounding
  const big = r => r.width >= MIN && r.height >= MIN;
  const inSentence = a => {
    if (a.tagName !== 'A' || a.classList.contains('btn')) return false;
    if (a.closest('.site-nav, .site-footer, .link-row, .link-list, table')) return false;
    const block = a.closest('p, li, dd');
    if (!block) return false;
    const rest = block.textContent.replace(a.textContent, '');
    return /[\\p{L}\\p{N}]{2,}/u.test(rest);
  };
  const out = [];
  for (const el of document.querySelectorAll(SELECTOR)) {
    if (!el.checkVisibility({visibilityProperty: true, contentVisibilityAuto: true})) continue;
    if (el.closest('.modebar-container') || el.classList.contains('skip-link')) continue;
    if (big(el.getBoundingClientRect()) || inSentence(el)) continue;
    const row = el.matches('input[type=checkbox], input[type=radio]') && el.closest('.form-check');
    if (row && row.querySelector('label') && big(row.getBoundingClientRect())) continue;
    const r = el.getBoundingClientRect();
    const name = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 40);
    out.push(`<${el.tagName.toLowerCase()} class="${el.getAttribute('class') || ''}"> `
      + `${Math.round(r.width)}×${Math.round(r.height)} "${name}"`);
  }
  return out;
}"""


def _screenshot_name(name: str, path: str, width: int) -> str:
    return f"{name}-{width}{'-es' if 'lang=es' in path else ''}.png"


def _open(page, base: str, path: str) -> None:
    page.goto(base + path)
    page.wait_for_selector("main h1")
    wait_for_dash(page)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(READY)


def _listen(page) -> list[str]:
    """Console errors, uncaught exceptions, failed requests and HTTP errors (as conftest's
    ``Console``, which is per test), appended to the list returned."""
    errors: list[str] = []
    page.on(
        "console",
        lambda msg: errors.append(f"console.{msg.type}: {msg.text}") if msg.type == "error" else None,
    )
    page.on("pageerror", lambda exc: errors.append(f"pageerror: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url} {req.failure}"))
    page.on("response", lambda r: errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return errors


@pytest.fixture(scope="module")
def viewports(browser, live_server) -> Iterator[dict[int, tuple[object, list[str]]]]:
    """One page (and its error list) per viewport width, for the whole module."""
    out = {}
    for width, height in (PHONE, DESKTOP):
        context = browser.new_context(viewport={"width": width, "height": height}, device_scale_factor=1)
        page = context.new_page()
        page.set_default_timeout(15_000)
        out[width] = (page, _listen(page))
    yield out
    for page, _ in out.values():
        page.context.close()


@pytest.fixture
def phone(viewports) -> Iterator[object]:
    yield from _checked(viewports[PHONE[0]])


@pytest.fixture
def desktop(viewports) -> Iterator[object]:
    yield from _checked(viewports[DESKTOP[0]])


def _checked(pair: tuple[object, list[str]]) -> Iterator[object]:
    page, errors = pair
    errors.clear()
    yield page
    found, errors[:] = list(errors), []
    assert found == [], "browser console errors:\n" + "\n".join(found)


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p for _, p in PAGES])
def test_phone_page_fits_and_every_target_is_big_enough(phone, live_server, screenshots, name, path):
    _open(phone, live_server, path)
    assert phone.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 390 px"
    phone.screenshot(path=str(screenshots / _screenshot_name(name, path, PHONE[0])), full_page=True)
    # Everything that folds, unfolded: the filter panels, "show as table", details.
    phone.evaluate(
        """() => {
          document.querySelectorAll('.collapse-panel__toggle[aria-expanded="false"]').forEach(b => b.click());
          document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; });
        }"""
    )
    phone.wait_for_function(
        "() => !document.querySelector('.collapse-panel__toggle[aria-expanded=\"false\"]')"
    )
    assert phone.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 390 px with its tables open"
    small = phone.evaluate(SMALL_TARGETS)
    assert small == [], f"{path}: tap targets under 44×44 px at 390 px:\n" + "\n".join(small)


@pytest.mark.parametrize(("name", "path"), PAGES, ids=[p for _, p in PAGES])
def test_desktop_page_fits(desktop, live_server, screenshots, name, path):
    _open(desktop, live_server, path)
    assert desktop.evaluate(NO_SIDEWAYS_SCROLL), f"{path} scrolls sideways at 1280 px"
    desktop.screenshot(path=str(screenshots / _screenshot_name(name, path, DESKTOP[0])), full_page=True)


@pytest.mark.parametrize(("path", "panel", "control"), PANELS, ids=[p for p, _, _ in PANELS])
def test_filters_fold_on_a_phone_and_open_by_click_and_keyboard(phone, live_server, path, panel, control):
    _open(phone, live_server, path)
    toggle = phone.locator(f"#{panel} .collapse-panel__toggle")
    body = phone.locator(f"#{panel}-body")
    assert toggle.is_visible()
    assert toggle.get_attribute("aria-controls") == f"{panel}-body"
    assert toggle.get_attribute("aria-expanded") == "false"
    assert not body.is_visible() and not phone.locator(control).is_visible()

    toggle.click()
    phone.wait_for_function(
        "t => document.querySelector(t).getAttribute('aria-expanded') === 'true'",
        arg=f"#{panel} .collapse-panel__toggle",
    )
    assert body.is_visible() and phone.locator(control).is_visible()
    toggle.click()
    phone.locator(control).wait_for(state="hidden")
    assert toggle.get_attribute("aria-expanded") == "false"

    toggle.focus()  # a native button: Enter and Space work without any key handling of ours
    phone.keyboard.press("Enter")
    phone.locator(control).wait_for(state="visible")
    assert toggle.get_attribute("aria-expanded") == "true"
    phone.keyboard.press("Space")
    phone.locator(control).wait_for(state="hidden")
    assert toggle.get_attribute("aria-expanded") == "false"


def test_filter_button_summarises_the_choice(phone, live_server):
    _open(phone, live_server, "/")
    toggle = phone.locator(f"#{ids.OVERVIEW_FILTERS} .collapse-panel__toggle")
    summary = phone.locator(f"#{ids.OVERVIEW_FILTERS_SUMMARY}")
    assert toggle.inner_text().startswith("Filters")
    assert summary.inner_text().startswith("Denver · ")
    toggle.click()
    phone.get_by_label("Patrol officers", exact=True).uncheck()
    phone.wait_for_function(
        "sel => document.querySelector(sel).innerText.includes('Who answered: 3 of 4')",
        arg=f"#{ids.OVERVIEW_FILTERS_SUMMARY}",
    )
    assert toggle.get_attribute("aria-expanded") == "true"  # the update left the panel open


@pytest.mark.parametrize(("path", "panel", "control"), PANELS, ids=[p for p, _, _ in PANELS])
def test_filters_are_open_on_a_desktop(desktop, live_server, path, panel, control):
    _open(desktop, live_server, path)
    assert not desktop.locator(f"#{panel} .collapse-panel__toggle").is_visible()
    assert desktop.locator(f"#{panel}-body").is_visible()
    assert desktop.locator(control).is_visible()
