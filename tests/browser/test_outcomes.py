"""The Outcomes page in a real Chromium: read the numbers, recompute them from the rows.

A journalist's path: open ``/outcomes`` for Denver 2023, read the headline sentence and
the per-program tables, click "Rows behind this view", and recompute every number from
the downloaded CSV by the definitions the page states (keep ``star_eligible`` rows for
the default comparison). Then change a filter (keyboard on the month select, mouse on
the comparison), check the address and the numbers change, read the Spanish page, and
check the phone layout (no sideways scroll). Screenshots at 1280 and 390 px go to
``screenshots/outcomes-*.png``.
"""

from __future__ import annotations

import io
import re
from urllib.parse import parse_qs, urlparse

import pandas as pd
import pytest

from dashboard import ids
from dashboard.i18n import fmt_int, fmt_pct
from dashboard.queries.outcomes import OUTCOME_ORDER
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser

QUERY = "city=denver&start=2023-01-01&end=2023-12-31"
PROGRAMS = {"STAR": "STAR team", "CO_RESPONDER": "Co-responder team", "CIT_OFFICER": "CIT officers",
            "PATROL": "Patrol officers"}


def pct(share: float | None) -> str:
    """The page's rule: whole percent, one decimal between 0 and 10%."""
    if share is None:
        return "—"
    return fmt_pct(share, "en", digits=1 if 0 < share < 0.1 else 0)


def open_outcomes(page, base: str, query: str = QUERY) -> None:
    page.goto(f"{base}/outcomes?{query}")
    wait_ready(page)


def wait_ready(page) -> None:
    wait_for_dash(page)
    page.wait_for_selector(f"#{ids.OUTCOMES_HEADLINE}")
    page.wait_for_selector(f"#{ids.OUTCOMES_FLOW_GRAPH} .main-svg")
    page.wait_for_selector(f"#{ids.OUTCOMES_BARS_GRAPH} .main-svg")
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")


def table_rows(page, container_id: str) -> list[list[str]]:
    return page.evaluate(
        """(id) => [...document.querySelectorAll('#' + id + ' tbody tr')].map(
               tr => [...tr.children].map(c => c.textContent.trim()))""",
        container_id,
    )


def download_rows(page) -> pd.DataFrame:
    with page.expect_download() as info:
        page.click(f"#{ids.OUTCOMES_DOWNLOAD_ROWS}")
    with open(info.value.path(), "rb") as fh:  # noqa: PTH123
        body = fh.read()
    return pd.read_csv(io.BytesIO(body), dtype={"district": "string"}, keep_default_na=False,
                       na_values={"unanswered_reason": [""]})


def truthy(series: pd.Series) -> pd.Series:
    return series.astype(str).str.lower() == "true"


def test_numbers_on_screen_reproduce_from_the_rows_download(page, live_server):
    open_outcomes(page, live_server)
    rows = download_rows(page)
    assert len(rows) > 0
    kept = rows[truthy(rows["star_eligible"])]  # the default comparison, as the page's note says

    star = kept[kept["response_type"] == "STAR"]
    good = star["outcome"].isin(["resolved_on_scene", "referred_to_services"]).mean()
    arrest = (star["outcome"] == "arrest").mean()
    headline = page.inner_text(f"#{ids.OUTCOMES_HEADLINE}")
    assert headline == (
        f"From Jan 2023 to Dec 2023, the STAR team answered {fmt_int(len(star))} of the calls compared here; "
        f"{pct(good)} were "
        f"resolved on scene or referred to services; {pct(arrest)} ended in arrest."
    )
    scope = page.inner_text(f"#{ids.OUTCOMES_SCOPE}")
    assert fmt_int(len(kept)) in scope

    flags = {r[0]: r[1:] for r in table_rows(page, ids.OUTCOMES_FLAGS_TABLE)}
    for program, name in PROGRAMS.items():
        part = kept[kept["response_type"] == program]
        # Backup is recorded for Denver's alternative program (STAR) only.
        backup = pct(truthy(part["police_backup"]).mean()) if program == "STAR" else "—"
        assert flags[name] == [
            fmt_int(len(part)),
            backup,
            fmt_int(truthy(part["police_backup"]).sum()) if backup != "—" else "—",
            pct(truthy(part["repeat_contact_90d"]).mean()),
            fmt_int(truthy(part["repeat_contact_90d"]).sum()),
        ], name

    shown = {r[0]: r[1:] for r in table_rows(page, ids.OUTCOMES_BARS_TABLE)}
    assert len(shown) == len(OUTCOME_ORDER) + 1  # every outcome and the total (none unrecorded here)
    counts = kept.groupby(["outcome", "response_type"]).size()
    totals = kept.groupby("response_type").size()
    first_cells = list(shown.values())
    for row, outcome in zip(first_cells, [o.value for o in OUTCOME_ORDER], strict=False):
        expected = []
        for program in PROGRAMS:
            n = int(counts.get((outcome, program), 0))
            expected += [fmt_int(n), pct(n / totals[program])]
        assert row == expected, outcome
    assert first_cells[-1] == [c for p in PROGRAMS for c in (fmt_int(int(totals[p])), "100%")]

    # The flow's table adds up to the same calls.
    flow = table_rows(page, ids.OUTCOMES_FLOW_TABLE)
    assert sum(int(r[-1].replace(",", "")) for r in flow) == len(kept)


def test_day_and_night_split_reproduces_from_its_cube_and_the_rows(page, live_server):
    """Issue 15: the day/night section. Its table is recomputed from the cube file its own
    download link gives (shares of the calls with an outcome recorded, a dash where a
    hidden cell leaves a share unknown), and, over whole years, a program's day and night
    calls add up to the rows download's eligible calls with an outcome."""
    open_outcomes(page, live_server, "city=denver&start=2023-01-01&end=2024-12-31")
    with page.expect_download() as info:
        page.click(f"#{ids.OUTCOMES_PERIOD_DOWNLOAD}")
    cube = pd.read_parquet(info.value.path())
    cube = cube[cube["star_eligible"] & cube["year"].between(2023, 2024)]
    rows = download_rows(page)
    kept = rows[truthy(rows["star_eligible"]) & (rows["outcome"] != "not_recorded")]
    scope = page.inner_text(f"#{ids.OUTCOMES_PERIOD_SECTION}")
    assert "Whole city, 2023–2024 (whole calendar years)" in scope
    assert "do not apply here" not in scope  # no district or category filter set
    shown = table_rows(page, ids.OUTCOMES_PERIOD_TABLE)
    assert len(shown) == 2 * len(PROGRAMS)
    groups = ["resolved_or_referred", "transported_or_held", "citation_or_arrest", "no_contact"]
    for program, name in PROGRAMS.items():
        periods = {}
        for period, label in (("day", "Day"), ("night", "Night")):
            part = cube[(cube["response_type"] == program) & (cube["period"] == period)]
            cells = part.groupby("outcome_group").agg(n=("n", "sum"), hidden=("suppressed", "sum"))
            total, total_hidden = int(cells.loc["recorded", "n"]), int(cells.loc["recorded", "hidden"])
            expected = [name, label, ("≥ " if total_hidden else "") + fmt_int(total)]
            for g in groups:
                unknown = total_hidden or cells.loc[g, "hidden"] or not total
                expected.append("—" if unknown else pct(int(cells.loc[g, "n"]) / total))
            assert expected in shown, (expected, shown)
            periods[period] = (total, total_hidden)
        if not any(hidden for _, hidden in periods.values()):
            assert sum(t for t, _ in periods.values()) == int((kept["response_type"] == program).sum()), name
    # STAR does not work nights in Denver: the sentence says so rather than a share.
    assert "STAR team" in page.inner_text(f"#{ids.OUTCOMES_PERIOD_SUMMARY}")
    assert "no calls at night" in page.inner_text(f"#{ids.OUTCOMES_PERIOD_SUMMARY}")
    # A district filter does not apply to this city-wide split, and the section says so.
    open_outcomes(page, live_server, "city=denver&start=2023-01-01&end=2024-12-31&district=3")
    assert "do not apply here" in page.inner_text(f"#{ids.OUTCOMES_PERIOD_SECTION}")
    assert table_rows(page, ids.OUTCOMES_PERIOD_TABLE) == shown


def test_filters_change_the_address_and_the_numbers(page, live_server, screenshots):
    open_outcomes(page, live_server)
    page.screenshot(path=str(screenshots / "outcomes-1280.png"), full_page=True)
    page.locator("#outcomes-flow").screenshot(path=str(screenshots / "outcomes-1280-flow.png"))
    before = page.inner_text(f"#{ids.OUTCOMES_HEADLINE}")

    # Keyboard: focus the "From month" select and choose a later month.
    page.focus(f"#{ids.OUTCOMES_START}")
    page.select_option(f"#{ids.OUTCOMES_START}", "2023-07-01")
    page.wait_for_url(re.compile(r"start=2023-07-01"))
    wait_ready(page)
    after = page.inner_text(f"#{ids.OUTCOMES_HEADLINE}")
    assert after.startswith("From Jul 2023 to Dec 2023") and after != before

    # Mouse: the comparison radio.
    page.get_by_label("All calls (not like for like)").click()
    page.wait_for_url(re.compile(r"compare=all"))
    wait_ready(page)
    query = parse_qs(urlparse(page.url).query)
    assert query["start"] == ["2023-07-01"] and query["compare"] == ["all"]
    assert "not a like-for-like comparison" in page.inner_text(f"#{ids.OUTCOMES_SCOPE}")


def test_spanish_page_keeps_its_language(page, live_server):
    open_outcomes(page, live_server, QUERY + "&lang=es")
    assert page.inner_text(f"#{ids.OUTCOMES_HEADING}").startswith("Qué pasó después de la llamada")
    assert page.inner_text(f"#{ids.OUTCOMES_HEADLINE}").startswith("De ene 2023 a dic 2023, el Equipo STAR")
    page.select_option(f"#{ids.OUTCOMES_END}", "2023-06-01")
    page.wait_for_url(re.compile(r"end=2023-06"))
    wait_ready(page)
    assert parse_qs(urlparse(page.url).query)["lang"] == ["es"]
    assert "Léalo con cuidado" in page.inner_text(f"#{ids.OUTCOMES_CAVEAT}")


def test_phone_layout_has_no_sideways_scroll(phone_page, live_server, screenshots):
    open_outcomes(phone_page, live_server)
    assert phone_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    # The flow's labels stay inside the chart at 390 px.
    box = phone_page.locator(f"#{ids.OUTCOMES_FLOW_GRAPH} .main-svg").first.bounding_box()
    phone_page.screenshot(path=str(screenshots / "outcomes-390.png"), full_page=True)
    for part in ("bars", "flow"):  # close-ups: the full page is too tall to judge the charts by
        phone_page.locator(f"#outcomes-{part}").screenshot(path=str(screenshots / f"outcomes-390-{part}.png"))
    texts = phone_page.eval_on_selector_all(
        f"#{ids.OUTCOMES_FLOW_GRAPH} .annotation-text",
        "els => els.map(e => [e.textContent, e.getBoundingClientRect().toJSON()])",
    )
    right = box["x"] + box["width"] + 1
    outside = [text for text, r in texts if r["left"] < box["x"] - 1 or r["right"] > right]
    assert texts and outside == []
    open_outcomes(phone_page, live_server, QUERY + "&lang=es")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    phone_page.screenshot(path=str(screenshots / "outcomes-390-es.png"), full_page=True)
