"""The Impact page in a real Chromium (issue 17, before/after on real offense reports).

A journalist's path: open ``/impact`` for Denver, read the headline estimate and its
interval, download the estimates through the page's own link and find the same numbers
there, see the checks named (the fake start dates do move: the page must say so), switch
the offense group by its link, read the Spanish page, and open Grand Junction, which
has no before/after and must say what is missing. Screenshots at 1280 and 390 px go to
``screenshots/impact-*.png``.
"""

from __future__ import annotations

import io
import re

import pandas as pd
import pytest

from dashboard import ids
from dashboard.i18n import fmt_int, fmt_pct
from tests.conftest import wait_for_dash

pytestmark = pytest.mark.browser


def open_impact(page, base: str, query: str = "city=denver") -> None:
    page.goto(f"{base}/impact?{query}")
    page.wait_for_selector(f"#{ids.IMPACT_HEADING}")
    wait_for_dash(page)
    page.wait_for_function("() => !document.querySelector('[data-dash-is-loading=\"true\"]')")
    if page.locator(f"#{ids.IMPACT_EVENT_GRAPH}").count():  # charts drawn before the next step
        page.wait_for_selector(f"#{ids.IMPACT_EVENT_GRAPH} .main-svg")
        page.wait_for_selector(f"#{ids.IMPACT_MONTHLY_GRAPH} .main-svg")


def download(page, link_id: str) -> pd.DataFrame:
    with page.expect_download() as info:
        page.click(f"#{link_id}")
    with open(info.value.path(), "rb") as fh:  # noqa: PTH123
        return pd.read_csv(io.BytesIO(fh.read()), dtype={"variant": str})


def test_the_headline_estimate_is_the_downloaded_one_with_its_checks(page, live_server, screenshots):
    open_impact(page, live_server)
    page.wait_for_selector(f"#{ids.IMPACT_EVENT_GRAPH} .main-svg")
    estimates = download(page, f"{ids.IMPACT_DOWNLOAD}-estimates")
    main = estimates[(estimates["group"] == "targeted") & (estimates["variant"] == "main")].iloc[0]
    headline = page.inner_text(f"#{ids.IMPACT_HEADLINE}")
    change = fmt_pct(abs(main["effect"]), "en", digits=0) + (" lower" if main["effect"] < 0 else " higher")
    assert change in headline
    assert f"95% interval {fmt_pct(main['low'], 'en', digits=0)} to {fmt_pct(main['high'], 'en', digits=0)}" \
        in headline
    assert f"the {int(main['n_treated'])} precincts the STAR team served" in headline
    assert f"about {fmt_int(round(abs(main['implied_change'])))} fewer reports" in headline
    assert fmt_pct(main["p_permutation"], "en", digits=1) in headline
    # Every estimate of the group is a row of the checks table, with the same change.
    rows = page.evaluate("""() => [...document.querySelectorAll('#impact-estimates tbody tr')]
                            .map(tr => [...tr.children].map(c => c.textContent.trim()))""")
    part = estimates[estimates["group"] == "targeted"]
    assert len(rows) == len(part)
    assert [r[1] for r in rows] == [fmt_pct(e, "en", digits=0) for e in part["effect"]]
    # The fake start dates find a change on this data: the page must say so in words.
    placebo = part[part["variant"].str.startswith("placebo:")]
    if ((placebo["low"] > 0) | (placebo["high"] < 0)).any():
        assert "fake start date" in page.inner_text(f"#{ids.IMPACT_WARNINGS}")
    assert "approximate" in page.inner_text(f"#{ids.IMPACT_AREA}")
    assert "criminal-trespassing" in page.inner_text(f"#{ids.IMPACT_TYPES}")
    readings = page.inner_text(f"#{ids.IMPACT_READINGS}")
    assert "Dee and Pyne" in readings and "Wheeler" in readings
    hrefs = page.eval_on_selector_all(f"#{ids.IMPACT_READINGS} a", "els => els.map(e => e.href)")
    assert any("PMC9176742" in h for h in hrefs) and any("crimede-coder.com" in h for h in hrefs)
    # The event study's table has one row per month of the comparison window.
    months = page.eval_on_selector_all(f"#{ids.IMPACT_EVENT_TABLE} tbody tr", "els => els.length")
    events = download(page, f"{ids.IMPACT_DOWNLOAD}-event_study")
    assert months == int((events["group"] == "targeted").sum())
    page.screenshot(path=str(screenshots / "impact-1280.png"), full_page=True)


def test_the_offense_group_is_a_link_and_serious_offenses_show_no_change(page, live_server):
    open_impact(page, live_server)
    page.get_by_role("link", name="Serious and violent offenses").click()
    page.wait_for_url(lambda url: "group=serious" in url)
    page.wait_for_function("() => (document.querySelector('#impact-groups [aria-current=page]') || {})"
                           ".textContent === 'Serious and violent offenses'")
    page.wait_for_selector(f"#{ids.IMPACT_MONTHLY_GRAPH} .main-svg")
    current = page.locator(f"#{ids.IMPACT_GROUPS} [aria-current=page]").inner_text()
    assert current == "Serious and violent offenses"
    assert "serious and violent offenses" in page.inner_text(f"#{ids.IMPACT_HEADLINE}")


def test_spanish_and_a_city_without_a_before_after(page, live_server):
    open_impact(page, live_server, "city=denver&lang=es")
    assert page.inner_text(f"#{ids.IMPACT_HEADING}").startswith("¿Funciona?")
    assert "sectores" in page.inner_text(f"#{ids.IMPACT_HEADLINE}")
    open_impact(page, live_server, "city=grand_junction")
    missing = page.inner_text(f"#{ids.IMPACT_MISSING}")
    assert "No before/after comparison is published for Grand Junction" in missing
    open_impact(page, live_server, "city=denver&group=nonsense")
    assert "is not an offense group" in page.inner_text(f"#{ids.IMPACT_NOTICE}")


def test_the_phone_layout_has_no_sideways_scroll(phone_page, live_server, screenshots):
    open_impact(phone_page, live_server)
    phone_page.wait_for_selector(f"#{ids.IMPACT_EVENT_GRAPH} .main-svg")
    assert phone_page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    phone_page.screenshot(path=str(screenshots / "impact-390.png"), full_page=True)


def test_cost_per_call_is_the_budget_over_the_calls_in_the_rows_download(page, live_server):
    """Issue 17 item 3: each budget year's cost per call is the configured budget over the
    STAR calls of that year in the rows download (the page's own API), and the sources
    are linked; Grand Junction, with no budget configured, says so."""
    from dashboard.contract.cities import load_cities
    from dashboard.settings import Settings

    budgets = load_cities(Settings().cities_dir)["denver"].budgets
    assert budgets, "Denver's configuration should carry its published budgets"
    open_impact(page, live_server)
    rows = page.evaluate("""() => [...document.querySelectorAll('#impact-cost-table tbody tr')]
                            .map(tr => [...tr.children].map(c => c.textContent.trim()))""")
    assert [r[0] for r in rows] == [str(b.year) for b in budgets]
    for budget, row in zip(budgets, rows, strict=True):
        answer = page.request.get(f"{live_server}/api/v1/calls.csv?city=denver&start={budget.year}-01-01"
                                  f"&end={budget.year}-12-31&program=STAR")
        assert answer.ok
        calls = pd.read_csv(io.StringIO(answer.text()))
        assert row[1] == "$" + fmt_int(round(budget.amount))
        assert row[2] == fmt_int(len(calls))
        assert row[3] == "$" + fmt_int(round(budget.amount / len(calls)))
    hrefs = page.eval_on_selector_all(f"#{ids.IMPACT_COSTS} a", "els => els.map(e => e.href)")
    assert hrefs and all(h.startswith("https://www.nlc.org/") for h in hrefs)
    assert "synthetic" in page.inner_text(f"#{ids.IMPACT_COST_NOTE}")
    open_impact(page, live_server, "city=grand_junction")
    assert "No program budget is configured for Grand Junction" in page.inner_text(f"#{ids.IMPACT_COST_NOTE}")


def test_officer_time_returned_is_the_rows_times_the_police_minutes_downloaded(page, live_server,
                                                                              screenshots):
    """Issue 17 item 2: the headline's officer-hours are the STAR calls of the year in the
    rows download, category by category, times the police minutes per eligible call of
    the downloaded ``cube_police_time`` (the year's pooled minutes where a category is
    hidden). Grand Junction's co-responders bring an officer (nothing returned); Lane
    County records no police time: each page says so."""
    open_impact(page, live_server)
    page.wait_for_selector(f"#{ids.IMPACT_OFFICER_GRAPH} .main-svg")
    headline = page.inner_text(f"#{ids.IMPACT_OFFICER_HEADLINE}")
    match = re.search(r"In (\d{4}), the STAR team answered ([\d,]+) calls\..* about ([\d,]+) officer-hours",
                      headline)
    assert match, headline
    year = int(match.group(1))
    with page.expect_download() as info:
        page.click(f"#{ids.IMPACT_OFFICER_DOWNLOAD}")
    cube = pd.read_parquet(info.value.path())
    cube = cube[(cube["year"] == year) & ~cube["suppressed"]]
    per_call = (cube["busy_minutes"] / cube["n"]).set_axis(cube["call_category"])
    pooled = cube["busy_minutes"].sum() / cube["n"].sum()
    answer = page.request.get(f"{live_server}/api/v1/calls.csv?city=denver&start={year}-01-01"
                              f"&end={year}-12-31&program=STAR")
    assert answer.ok
    calls = pd.read_csv(io.StringIO(answer.text()))
    by_category = calls.groupby("call_category").size()
    hours = sum(n * float(per_call.get(c, pooled)) for c, n in by_category.items()) / 60
    assert match.group(2) == fmt_int(len(calls))
    assert match.group(3) == fmt_int(round(hours))
    months = page.evaluate("""() => [...document.querySelectorAll('#impact-officer-table tbody tr')]
                              .map(tr => tr.children[0].textContent.trim())""")
    assert f"Jan {year}" in months and f"Dec {year}" in months
    assert "one officer per call" in page.inner_text(f"#{ids.IMPACT_OFFICER_NOTE}")
    page.locator(f"#{ids.IMPACT_OFFICER}").screenshot(path=str(screenshots / "impact-officer-1280.png"))
    open_impact(page, live_server, "city=grand_junction")
    assert "brings a police officer to each call" in page.inner_text(f"#{ids.IMPACT_OFFICER_NOTE}")
    open_impact(page, live_server, "city=lane_county")
    assert "records none" in page.inner_text(f"#{ids.IMPACT_OFFICER_NOTE}")


def test_repeat_contacts_are_the_shares_of_the_downloaded_followup_cube(page, live_server):
    """Issue 17 item 4: each program's share of responses followed within 90 days by another
    crisis call of the same person is yes / (yes + no) of the downloaded ``cube_followup``,
    the headline's year counted whole; Lane County records no person, and says so."""
    from dashboard.contract.cities import load_cities
    from dashboard.figures import program_label
    from dashboard.settings import Settings

    denver = load_cities(Settings().cities_dir)["denver"]
    open_impact(page, live_server)
    headline = page.inner_text(f"#{ids.IMPACT_REPEAT_HEADLINE}")
    match = re.search(r"After a STAR team response in (\d{4}), .* in (\d+)% of cases \(([\d,]+) of ([\d,]+) ",
                      headline)
    assert match, headline
    with page.expect_download() as info:
        page.click(f"#{ids.IMPACT_REPEAT_DOWNLOAD}")
    cube = pd.read_parquet(info.value.path())
    assert not cube["suppressed"].any()  # the sample's programs are large: every share shown
    counts = cube.pivot_table(index=["year", "response_type"], columns="followed", values="n", aggfunc="sum")
    star = counts.loc[(int(match.group(1)), "STAR")]
    assert match.group(3) == fmt_int(int(star["yes"]))
    assert match.group(4) == fmt_int(int(star["yes"] + star["no"]))
    assert match.group(2) + "%" == fmt_pct(star["yes"] / (star["yes"] + star["no"]))
    table = page.evaluate("""() => {
        const t = document.querySelector('#impact-repeat-table table');
        const head = [...t.querySelectorAll('thead th')].map(c => c.textContent.trim());
        const cells = tr => [...tr.children].map(c => c.textContent.trim());
        return [head, [...t.querySelectorAll('tbody tr')].map(cells)];
    }""")
    years, rows = table[0][1:], {r[0]: r[1:] for r in table[1]}
    for (year, program), row in counts.iterrows():
        known = int(row["yes"] + row["no"])
        share = f"{fmt_pct(row['yes'] / known)} ({fmt_int(int(row['yes']))} of {fmt_int(known)})"
        cell = rows[program_label(program, "en", denver.label_map)][years.index(str(year))]
        assert cell == (share if known else "—"), (year, program)
    open_impact(page, live_server, "city=lane_county")
    assert "no person identifier" in page.inner_text(f"#{ids.IMPACT_REPEAT_NOTE}")
    assert page.locator(f"#{ids.IMPACT_REPEAT_TABLE}").count() == 0
