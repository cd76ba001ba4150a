"""WCAG 2.1 AA, checked by axe-core in real Chromium, plus keyboard and focus checks.

Every page, in English and Spanish, at desktop width (and the busiest ones at 390 px), is
loaded, left to finish rendering (no Dash callback pending, every chart drawn) and
checked with axe-core's default rule set: every WCAG 2.0/2.1 A and AA rule plus Deque's
best practices. Any violation fails with its rule, impact, help text and the first
offending elements, so the failure says what to fix.

axe is vendored (``tests/fixtures/axe``, see its SOURCE.md): nothing is fetched at test
time. It is injected with ``page.evaluate(<source>)``, which runs over the DevTools
protocol; the app's Content-Security-Policy blocks ``page.add_script_tag`` (an inline
script), as ``test_csp_blocks_an_injected_script_tag`` shows, so the CSP is not loosened
for tests.

Charts (decided in ``components.chart_table``): each chart's box is a ``role="figure"``
named by a one-sentence ``aria-label``, the same numbers are one "Show as table" away, and
plotly's SVG is ``aria-hidden`` (``assets/a11y.js``), so assistive technology reads the
sentence and the table, not hundreds of shapes. Not ``role="img"``: plotly's mode bar
holds a real button (the camera), and an image's content is presentational (axe's
``nested-interactive``). The camera button stays in the Tab order, with a visible focus.

Pages are checked twice in one load: as they open, then with every ``<details>`` and
folded panel opened (tables, explanations, a release's files, the phone's filters).
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from dashboard import ids
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(__file__).resolve().parents[1] / "fixtures" / "axe" / "axe.min.js").read_text()

#: Every page a reader can reach (the 404 included), by path and query.
PAGES = [
    "/",
    "/data",
    "/methodology",
    "/releases",
    "/impact",
    "/impact?city=grand_junction",
    "/districts?city=denver&area=capitol%20hill",
    "/district/3",
    "/district/council-10",
    "/no-such-page",
    "/?city=grand_junction",
    "/?city=lane_county",
    "/outcomes",
]
LANGUAGES = ["en", "es"]

#: True once Dash has rendered the page: the layout is in, no callback is pending, and
#: every chart on the page has drawn its SVG.
RENDERED = """() => {
    const content = document.getElementById('_pages_content');
    if (!content || !content.querySelector('h1')) { return false; }
    if (document.querySelector('._dash-loading, [data-dash-is-loading="true"]')) { return false; }
    const graphs = [...document.querySelectorAll('.dash-graph')];
    return graphs.every(g => g.querySelector('.js-plotly-plot .main-svg'));
}"""

#: Run axe and keep only what a failure message needs.
RUN_AXE = """async () => {
    const results = await axe.run(document, {resultTypes: ['violations']});
    return results.violations.map(v => ({
        id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
        nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html, summary: n.failureSummary})),
    }));
}"""


def with_lang(path: str, lang: str) -> str:
    if lang == "en":
        return path
    return path + ("&" if "?" in path else "?") + f"lang={lang}"


def wait_rendered(page) -> None:
    wait_for_dash(page)
    page.wait_for_function(RENDERED, timeout=20_000)
    # One more frame: plotly lays out its legend and axes after the first SVG appears.
    page.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def open_rendered(page, base: str, path: str) -> None:
    # No transitions (Bootstrap honours the setting): focus rings and colours are
    # measured at rest, without waiting for a fade.
    page.emulate_media(reduced_motion="reduce")
    page.goto(base + path)
    wait_rendered(page)


def axe_violations(page) -> list[dict]:
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_SOURCE)
    return page.evaluate(RUN_AXE)


def describe(violations: list[dict], limit: int = 4) -> str:
    lines = []
    for v in violations:
        lines.append(f"* {v['id']} ({v['impact']}): {v['help']} <{v['helpUrl']}>")
        for node in v["nodes"][:limit]:
            lines.append(f"    - {node['target']}\n      {node['html'][:300]}")
            if node.get("summary"):
                lines.append("      " + node["summary"].replace("\n", "\n      ")[:500])
        if len(v["nodes"]) > limit:
            lines.append(f"    ... and {len(v['nodes']) - limit} more")
    return "\n".join(lines)


def assert_no_violations(page, where: str) -> None:
    found = axe_violations(page)
    assert not found, f"axe found {len(found)} rule(s) violated on {where}:\n" + describe(found)


#: Open every closed disclosure ("Show as table", "What is this?", a release's files)
#: and every folded panel (the phone's filter panel, a button with aria-expanded);
#: returns how many were opened.
OPEN_EVERYTHING = """() => {
    let opened = 0;
    document.querySelectorAll('details:not([open])').forEach(d => { d.open = true; opened += 1; });
    document.querySelectorAll('button[aria-expanded="false"][aria-controls]').forEach(b => {
        if (b.offsetParent !== null) { b.click(); opened += 1; }
    });
    return opened;
}"""

#: True once no folded panel's toggle (a visible one) still says it is closed.
FOLDED_GONE = """() => ![...document.querySelectorAll('button[aria-expanded="false"][aria-controls]')]
    .some(b => b.offsetParent !== null)"""


def check_page(page, base: str, path: str) -> None:
    """axe on the page as loaded, then (one load, two runs) with everything folded opened."""
    open_rendered(page, base, path)
    assert_no_violations(page, path)
    if page.evaluate(OPEN_EVERYTHING):
        page.wait_for_function(FOLDED_GONE)
        wait_rendered(page)
        assert_no_violations(page, f"{path} with every disclosure and folded panel open")


# --- axe on every page ----------------------------------------------------------------


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("path", PAGES)
def test_page_has_no_axe_violations(page, live_server, path, lang):
    url = with_lang(path, lang)
    check_page(page, live_server, url)
    assert page.evaluate("document.documentElement.lang") == lang


@pytest.mark.parametrize("path", ["/", "/district/3", "/outcomes?lang=es"])
def test_phone_width_has_no_axe_violations(phone_page, live_server, path):
    """The phone layout folds the filters and shows other parts: checked on its own."""
    check_page(phone_page, live_server, path)


def test_csp_blocks_an_injected_script_tag(page, live_server, console):
    """Why axe goes in through ``page.evaluate``: the page's CSP refuses inline scripts."""
    open_rendered(page, live_server, "/data")
    with pytest.raises(Exception):  # noqa: B017, PT011 - playwright raises its own Error type
        page.add_script_tag(content="window.__injected = true;")
    assert page.evaluate("() => window.__injected === undefined")
    console.errors.clear()  # the CSP report of the refused script is the expected outcome
    page.evaluate(AXE_SOURCE)
    assert page.evaluate("() => typeof axe.run") == "function"


# --- keyboard and focus -----------------------------------------------------------------

#: What the focused element is, and whether it shows a focus indicator: an outline or a
#: box-shadow (Bootstrap's form controls use a box-shadow ring) on an element that is on
#: screen, not transparent (plotly fades its mode bar in on focus: transitions are let
#: finish first) and not hidden.
FOCUSED = """async () => {
    const running = document.getAnimations().map(a => a.finished.catch(() => null));
    await Promise.race([Promise.all(running), new Promise(r => setTimeout(r, 600))]);
    const el = document.activeElement;
    if (!el || el === document.body) { return null; }
    const s = getComputedStyle(el);
    const outline = s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0;
    const shadow = s.boxShadow && s.boxShadow !== 'none';
    let opacity = 1;
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
        opacity *= parseFloat(getComputedStyle(node).opacity);
    }
    const box = el.getBoundingClientRect();
    const shown = opacity >= 0.5 && s.visibility !== 'hidden' && box.width > 0 && box.height > 0;
    return {
        id: el.id, tag: el.tagName.toLowerCase(), type: el.type || '',
        cls: typeof el.className === 'string' ? el.className : '',
        text: (el.innerText || el.value || el.getAttribute('aria-label') || '').trim().slice(0, 60),
        visible: Boolean((outline || shadow) && shown), focusVisible: el.matches(':focus-visible'),
    };
}"""


def focused(page) -> dict | None:
    return page.evaluate(FOCUSED)


def tab_until(page, predicate, limit: int = 200) -> list[dict]:
    """Press Tab until ``predicate(focused)`` holds; return every element focused on the way."""
    seen = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        now = focused(page)
        seen.append(now)
        if now is not None and predicate(now):
            return seen
    raise AssertionError(f"never reached the element after {limit} Tabs; focused: {seen[-10:]}")


def query_of(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_skip_link_is_first_and_moves_focus_to_main(page, live_server):
    open_rendered(page, live_server, "/")
    page.keyboard.press("Tab")
    first = focused(page)
    assert first is not None and "skip-link" in first["cls"], first
    assert first["visible"], "the skip link shows no focus indicator"
    assert page.locator(".skip-link").is_visible()
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => document.activeElement.id === {ids.SHELL_MAIN!r}")
    # The next Tab goes into the page, not back to the navigation.
    page.keyboard.press("Tab")
    inside = "(id) => document.getElementById(id).contains(document.activeElement)"
    assert page.evaluate(inside, ids.SHELL_MAIN)


def test_every_overview_filter_is_reachable_by_tab_with_a_visible_focus(page, live_server):
    """Tab from the top through the filter panel: every control is reached, each shows focus."""
    open_rendered(page, live_server, "/")
    controls = page.evaluate(
        """(id) => [...document.getElementById(id).querySelectorAll('select, input, button, summary')]
            .filter(el => el.offsetParent !== null || el.tagName === 'SUMMARY')
            .map(el => el.id || el.tagName.toLowerCase())""",
        ids.OVERVIEW_FILTERS,
    )
    assert len(controls) > 10, controls
    last = controls[-1]
    seen = tab_until(page, lambda f: (f["id"] or f["tag"]) == last, limit=len(controls) + 40)
    reached = [(f["id"] or f["tag"]) for f in seen if f]
    missing = [c for c in controls if c not in reached]
    assert not missing, f"not reachable by Tab: {missing}"
    invisible = [f for f in seen if f and not f["visible"]]
    assert not invisible, f"focused without a visible indicator: {invisible}"


def test_overview_month_select_is_operable_by_keyboard(page, live_server):
    """Focus the start month with Tab, change it with the arrow keys: URL and numbers follow."""
    open_rendered(page, live_server, "/")
    before = page.locator(f"#{ids.OVERVIEW_KPIS} .kpi-card__value").all_inner_texts()
    tab_until(page, lambda f: f["id"] == ids.OVERVIEW_START)
    start = page.locator(f"#{ids.OVERVIEW_START}").input_value()
    # A focused, closed <select> changes its value with the arrow keys (no popup needed,
    # the way a keyboard user on Windows/Linux steps through it).
    for _ in range(12):
        page.keyboard.press("ArrowDown")
    after_value = page.locator(f"#{ids.OVERVIEW_START}").input_value()
    assert after_value > start
    page.wait_for_function("(v) => new URLSearchParams(location.search).get('start') === v", arg=after_value)
    page.wait_for_function(
        "([sel, before]) => JSON.stringify([...document.querySelectorAll(sel)].map(e => e.innerText))"
        " !== JSON.stringify(before)",
        arg=[f"#{ids.OVERVIEW_KPIS} .kpi-card__value", before],
    )


def test_overview_checkbox_is_operable_by_keyboard(page, live_server):
    """Tab to the first program checkbox, Space unticks it: URL and chart follow."""
    open_rendered(page, live_server, "/")
    before = page.locator(f"#{ids.OVERVIEW_KPIS} .kpi-card__value").all_inner_texts()
    seen = tab_until(page, lambda f: f["tag"] == "input" and f["type"] == "checkbox")
    assert seen[-1]["visible"] and seen[-1]["focusVisible"]
    page.keyboard.press("Space")
    page.wait_for_function("() => new URLSearchParams(location.search).getAll('program').length > 0")
    page.wait_for_function(
        "([sel, before]) => JSON.stringify([...document.querySelectorAll(sel)].map(e => e.innerText))"
        " !== JSON.stringify(before)",
        arg=[f"#{ids.OVERVIEW_KPIS} .kpi-card__value", before],
    )


def test_map_measure_radios_are_one_group_moved_by_arrow_keys(page, live_server):
    """The map's measure is one radio group: one Tab stop, the arrow keys change it, and
    the URL and the map's legend follow."""
    open_rendered(page, live_server, "/")
    prefix = f"_dbcprivate_radioitems_{ids.OVERVIEW_MAP_METRIC}_input_"
    seen = tab_until(page, lambda f: f["id"].startswith(prefix))
    assert seen[-1]["visible"] and seen[-1]["id"] == prefix + "count"
    legend = f"#{ids.OVERVIEW_MAP_NOTES} .map-legend"
    before = page.locator(legend).inner_text()
    page.keyboard.press("ArrowRight")
    page.wait_for_function("() => new URLSearchParams(location.search).get('metric') === 'per_1000'")
    assert focused(page)["id"] == prefix + "per_1000"
    page.wait_for_function(
        "([sel, before]) => document.querySelector(sel).innerText !== before",
        arg=[legend, before],
    )
    page.keyboard.press("Tab")  # out of the group in one step
    assert not focused(page)["id"].startswith(prefix)


def test_show_as_table_opens_with_the_keyboard(page, live_server):
    open_rendered(page, live_server, "/")
    seen = tab_until(page, lambda f: f["tag"] == "summary" and "table-toggle" in f["cls"])
    assert seen[-1]["visible"]
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('details.chart-table-toggle').open")
    # The table's scrolling box is the next stop, so a keyboard user can scroll it.
    page.keyboard.press("Tab")
    now = focused(page)
    assert now["visible"], now


def test_district_period_control_is_keyboard_operable(page, live_server):
    """On a district page, Tab to the end month and step it back with the arrow keys."""
    open_rendered(page, live_server, "/district/3?city=denver&start=2023-01-01&end=2023-12-31")
    before_text = page.locator("#district-comparison").inner_text()
    seen = tab_until(page, lambda f: f["id"] == "district-end")
    assert seen[-1]["visible"], seen[-1]
    page.keyboard.press("ArrowUp")
    page.wait_for_function("() => new URLSearchParams(location.search).get('end').startsWith('2023-11')")
    page.wait_for_function(
        "(before) => document.querySelector('#district-comparison').innerText !== before", arg=before_text
    )
    assert urlsplit(page.url).path == "/district/3"


def test_links_and_buttons_show_focus(page, live_server):
    """Every stop of the district page's Tab order (links, buttons, selects, boxes, the
    charts' camera buttons, the tables' scrolling boxes) shows a focus indicator."""
    open_rendered(page, live_server, "/district/3")
    seen = []
    for _ in range(100):  # one full round: focus leaves the page after the footer's last link
        page.keyboard.press("Tab")
        now = focused(page)
        if now is None:
            break
        seen.append(now)
    assert len(seen) > 30
    assert any("modebar-btn" in f["cls"] for f in seen)
    invisible = [f for f in seen if not f["visible"]]
    assert not invisible, "focused without a visible indicator:\n" + json.dumps(invisible, indent=1)


# --- the charts' colours ------------------------------------------------------------------
# (No browser needed; here because it is the same requirement: WCAG 1.4.11 and 1.4.1.)

#: Machado, Oliveira & Fernandes (2009) full-severity simulation matrices, linear RGB.
CVD_MATRICES = {
    "deuteranopia": (
        (0.367322, 0.860646, -0.227968),
        (0.280085, 0.672501, 0.047413),
        (-0.01182, 0.04294, 0.968881),
    ),
    "protanopia": (
        (0.152286, 1.052583, -0.204868),
        (0.114503, 0.786281, 0.099216),
        (-0.003882, -0.048116, 1.051998),
    ),
    "tritanopia": (
        (1.255528, -0.076749, -0.178779),
        (-0.078411, 0.930809, 0.147602),
        (0.004733, 0.691367, 0.3039),
    ),
}


def _linear(hex_color: str) -> list[float]:
    channels = [int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    return [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]


def _luminance(linear: list[float]) -> float:
    r, g, b = (min(max(c, 0.0), 1.0) for c in linear)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(a: str, b: str) -> float:
    hi, lo = sorted((_luminance(_linear(a)), _luminance(_linear(b))), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def _lab(linear: list[float]) -> tuple[float, float, float]:
    r, g, b = (min(max(c, 0.0), 1.0) for c in linear)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def test_program_colours_contrast_and_stay_distinct_for_colour_blind_readers():
    """Every program's line is >= 3:1 against the plot's white (WCAG 1.4.11), and any two
    programs stay clearly apart (CIE76 delta E >= 15) under simulated deuteranopia,
    protanopia and tritanopia. Each line has its own dash pattern too (not colour alone)."""
    from itertools import combinations

    from dashboard.figures.base import PROGRAM_COLORS, PROGRAM_DASHES

    assert len(set(PROGRAM_DASHES.values())) == len(PROGRAM_DASHES) == len(PROGRAM_COLORS)
    for program, color in PROGRAM_COLORS.items():
        assert _contrast(color, "#ffffff") >= 3.0, (program, color)
    for name, matrix in CVD_MATRICES.items():
        for (p1, c1), (p2, c2) in combinations(PROGRAM_COLORS.items(), 2):
            seen = [
                _lab([sum(row[j] * lin[j] for j in range(3)) for row in matrix])
                for lin in map(_linear, (c1, c2))
            ]
            delta = sum((u - v) ** 2 for u, v in zip(*seen, strict=True)) ** 0.5
            assert delta >= 15, f"{p1} and {p2} look alike under {name} (delta E {delta:.1f})"
