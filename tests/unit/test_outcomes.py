"""The Outcomes page: its numbers recomputed from calls.csv, its figures, its URL handling.

The data layer reads the rollups; here every count is recomputed independently with
pandas from the release's public ``calls.csv`` (the journalist's path), for each of the
three comparisons, so a wrong filter, a wrong denominator or a lost category fails.
"""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import plotly.graph_objects as go
import pytest

from dashboard.contract.schema import Outcome, ResponseType
from dashboard.engine.engines import open_store
from dashboard.engine.store import Store
from dashboard.figures.flow import SMALL, flow_figure, merge_small
from dashboard.figures.outcomes import outcome_figure
from dashboard.params.filters import Filters
from dashboard.queries import outcomes
from dashboard.settings import Settings

from ..conftest import release_calls, route_page
from ..conftest import select_rows as select

K = 11
VIEWS = [
    Filters("denver", date(2023, 1, 1), date(2023, 12, 1)),
    Filters("denver", date(2024, 1, 1), date(2025, 6, 1), districts=("3",)),
    Filters("denver", date(2019, 6, 1), date(2020, 3, 1)),  # before STAR: no eligible call
    Filters("grand_junction", date(2022, 1, 1), date(2024, 12, 1)),
]


@pytest.fixture(scope="module")
def store(shipped_engine_settings):
    return open_store(shipped_engine_settings)


@pytest.fixture(scope="module")
def csv_rows(shipped_settings):
    return {city: release_calls(shipped_settings, city) for city in ("denver", "grand_junction")}


def truthy(series: pd.Series) -> pd.Series:
    return series.astype(str).str.lower() == "true"


def expected_scope(rows: pd.DataFrame, comparison: str, programs: list[str]) -> tuple[pd.DataFrame, str]:
    """The rows each comparison keeps, by the docstring's definitions, with its fallbacks."""
    rows = rows[rows["response_type"].isin(programs)]
    order = ["eligible", "shared", "all"][["eligible", "shared", "all"].index(comparison):]
    for name in order:
        if name == "eligible":
            kept = rows[truthy(rows["star_eligible"])]
        elif name == "shared":
            totals = rows.groupby("response_type").size()
            active = [p for p in programs if totals.get(p, 0) >= K]
            per = rows.groupby(["call_category", "response_type"]).size().unstack(fill_value=0)  # noqa: PD010
            per = per.reindex(columns=active, fill_value=0)
            cats = per.index[(per >= K).all(axis=1)]
            kept = rows[rows["call_category"].isin(cats)]
        else:
            kept = rows
        if name == "all" or len(kept):
            return kept, name
    raise AssertionError


@pytest.mark.parametrize("comparison", outcomes.COMPARISONS)
@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_every_count_recomputes_from_the_csv(f, comparison, store, csv_rows):
    rows = select(csv_rows[f.city], f)
    programs = [p.value for p in store.cities[f.city].programs]
    kept, shown = expected_scope(rows, comparison, programs)
    scope, fell_back = outcomes.resolve_comparison(store, f, comparison, K)
    assert scope.comparison == shown
    assert fell_back == (None if shown == comparison else comparison)
    if shown == "shared":
        assert {c.value for c in scope.categories} == set(kept["call_category"])

    table = outcomes.outcome_table(scope)
    want = kept.groupby(["response_type", "outcome"]).size()
    got = table.set_index(["response_type", "outcome"])["calls"]
    assert got[got > 0].sort_index().to_dict() == want.sort_index().to_dict()
    assert len(table) == len(programs) * len(Outcome)  # zeros included

    alternative = store.cities[f.city].alternative_program
    flags = outcomes.program_flags(scope, alternative).set_index("response_type")
    for program in programs:
        part = kept[kept["response_type"] == program]
        assert flags.loc[program, "calls"] == len(part)
        assert flags.loc[program, "repeats"] == truthy(part["repeat_contact_90d"]).sum()
        assert flags.loc[program, "backups"] == truthy(part["police_backup"]).sum()
        if len(part) and ResponseType(program) is alternative:
            assert flags.loc[program, "backup_share"] == pytest.approx(truthy(part["police_backup"]).mean())
        else:
            assert pd.isna(flags.loc[program, "backup_share"])

    flow = outcomes.flow_table(scope)
    want_flow = kept.groupby(["call_category", "response_type", "outcome"]).size()
    assert flow.set_index(["call_category", "response_type", "outcome"])["calls"].sort_index().to_dict() == (
        want_flow.sort_index().to_dict()
    )


@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_shares_sum_to_one_and_the_flow_adds_up_to_the_outcome_table(f, store):
    scope, _ = outcomes.resolve_comparison(store, f, "eligible", K)
    table = outcomes.outcome_table(scope)
    for program, part in table.groupby("response_type"):
        if part["total"].iloc[0]:
            assert part["share"].sum() == pytest.approx(1.0), program
            assert part["calls"].sum() == part["total"].iloc[0]
        else:
            assert part["share"].isna().all()
    flow = outcomes.flow_table(scope)
    by_pair = flow.groupby(["response_type", "outcome"])["calls"].sum()
    got = table.set_index(["response_type", "outcome"])["calls"]
    assert by_pair.to_dict() == got[got > 0].to_dict()
    # Merging small categories/outcomes keeps every program's total.
    merged = merge_small(flow, K)
    assert merged.groupby("response_type")["calls"].sum().to_dict() == flow.groupby("response_type")[
        "calls"
    ].sum().to_dict()
    small = merged.groupby("outcome")["calls"].sum()
    assert (small.drop(SMALL, errors="ignore") >= K).all()


def test_headline_numbers():
    table = pd.DataFrame(
        {
            "response_type": ["STAR"] * 3,
            "outcome": ["resolved_on_scene", "referred_to_services", "arrest"],
            "calls": [60, 23, 17],
        }
    )
    h = outcomes.headline(table, "STAR")
    assert (h.calls, h.resolved_or_referred, h.arrest) == (100, 0.83, 0.17)
    assert outcomes.headline(table, "PATROL").resolved_or_referred is None


def test_not_recorded_outcomes_are_counted_beside_the_shares_never_in_them():
    """Issue 14: a "-" disposition is neither dropped nor a real outcome."""
    counts = pd.DataFrame(
        {
            "call_category": ["welfare_check"] * 4,
            "response_type": ["CIT_OFFICER"] * 4,
            "outcome": ["resolved_on_scene", "arrest", "not_recorded", "referred_to_services"],
            "calls": [30, 10, 40, 10],
        }
    )
    scope = outcomes.Scope("all", ("CIT_OFFICER",), (), counts)
    table = outcomes.outcome_table(scope)
    recorded = table[table["outcome"] != Outcome.NOT_RECORDED.value]
    assert recorded["share"].sum() == pytest.approx(1.0)
    assert set(table["total"]) == {50}
    missing = table[table["outcome"] == Outcome.NOT_RECORDED.value].iloc[0]
    assert (missing["calls"], pd.isna(missing["share"])) == (40, True)
    h = outcomes.headline(table, "CIT_OFFICER")
    assert (h.calls, h.not_recorded, h.resolved_or_referred, h.arrest) == (90, 40, 0.8, 0.2)
    only_missing = table.assign(calls=table["calls"].where(table["outcome"] == "not_recorded", 0))
    assert outcomes.headline(only_missing, "CIT_OFFICER").resolved_or_referred is None
    fig = outcome_figure(table, lang="en", programs=["CIT_OFFICER"])
    assert "Not recorded" not in {trace.name for trace in fig.data}
    assert sum(trace.x[0] for trace in fig.data) == pytest.approx(1.0)


# ------------------------------------------------------------------------------ figures


def flow_labels_overlap(fig: go.Figure) -> list[tuple[str, str]]:
    """Pairs of labels in one column whose text boxes (14 px a line) overlap vertically."""
    clashes = []
    columns: dict[float, list] = {}
    for a in fig.layout.annotations:
        columns.setdefault(round(a.x, 3), []).append(a)
    for labels in columns.values():
        labels.sort(key=lambda a: a.y)
        for upper, lower in zip(labels, labels[1:], strict=False):
            # Half of each label's height (rendered: 13.7 px a line).
            half = (upper.text.count("<br>") + 1 + lower.text.count("<br>") + 1) * 14 / 2
            if lower.y - upper.y < half:
                clashes.append((upper.text, lower.text))
    return clashes


@pytest.mark.parametrize("lang", ["en", "es"])
@pytest.mark.parametrize("f", VIEWS, ids=lambda f: f.to_query_string())
def test_figures_validate_and_labels_do_not_overlap(f, lang, store):
    scope, _ = outcomes.resolve_comparison(store, f, "shared", K)
    programs = list(scope.programs)
    table = outcomes.outcome_table(scope)
    bars = outcome_figure(table, lang=lang, programs=programs)
    go.Figure(bars.to_dict())  # raises on a misspelt property
    shown = [p for p in programs if table.loc[table["response_type"] == p, "calls"].sum()]
    assert len(bars.layout.annotations) == len(shown)
    for trace in bars.data:  # one bar per program, shares add to 1 across the outcome traces
        assert len(trace.x) == len(shown)
    assert [sum(xs) for xs in zip(*(trace.x for trace in bars.data), strict=True)] == pytest.approx(
        [1.0] * len(shown)
    )

    flow = outcomes.flow_table(scope)
    fig = flow_figure(flow, lang=lang, programs=programs, k=K)
    go.Figure(fig.to_dict())
    assert flow_labels_overlap(fig) == []
    # Every node lies inside the plot, and each program's node says its total.
    height = fig.layout.height - fig.layout.margin.t - fig.layout.margin.b
    fills = [tr for tr in fig.data if tr.fill == "toself"]
    assert all(0 <= y <= height + 0.5 for tr in fills for y in tr.y)
    totals = flow.groupby("response_type")["calls"].sum()
    texts = [a.text for a in fig.layout.annotations]
    for program, calls in totals.items():
        assert any(text.endswith(f"{calls:,}") for text in texts), program
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < 200_000  # stays light on a phone


def test_empty_views_draw_a_message():
    empty = pd.DataFrame(columns=["call_category", "response_type", "outcome", "calls"])
    fig = flow_figure(empty, lang="en", programs=["STAR"], k=K)
    go.Figure(fig.to_dict())
    assert fig.layout.annotations[0].text == "No calls match these filters."
    table = pd.DataFrame(
        {"response_type": ["STAR"], "outcome": ["arrest"], "calls": [0], "total": [0],
         "share": [float("nan")]}
    )
    assert outcome_figure(table, lang="es", programs=["STAR"]).data == ()


# ---------------------------------------------------------------------------- the page


@pytest.fixture(scope="module")
def client():
    from dashboard.app import create_app

    return create_app(Settings()).server.test_client()


def route(client, search: str) -> str:
    """The Outcomes page for ``search``, as JSON text."""
    response = route_page(client, "/outcomes", search)
    assert response.status_code == 200
    return json.dumps(response.get_json(), ensure_ascii=False)  # "atendió", not "atendi\u00f3"


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("?city=denver&start=2023-01-01&end=2023-12-31",
         "From Jan 2023 to Dec 2023, the STAR team answered "),  # the number: test_every_count...
        ("?city=denver&start=2023-01&end=2023-12&lang=es",
         "De ene 2023 a dic 2023, el Equipo STAR atendió "),
        ("?compare=bogus", "is not a comparison"),
        ("?city=nowhere&start=banana&district=%3Cscript%3E", "Unknown city"),
        ("?city=denver&start=2019-06&end=2019-12", "No call in this view met the criteria for the STAR team"),
        ("?city=lane_county&compare=shared", "MCSLC mobile crisis team"),
        ("?city=grand_junction&compare=all&lang=es", "no es una comparación equivalente"),
        ("?start=2023-01&end=2023-12&compare=shared&category=welfare_check&program=PATROL", "Welfare check"),
    ],
)
def test_any_address_gives_a_page_with_a_message(client, search, expected):
    text = route(client, search)
    assert expected in text
    assert "Traceback" not in text and "could not be computed" not in text and "no se pudo" not in text


def test_spanish_page_is_in_spanish(client):
    text = route(client, "?lang=es")
    for words in ("¿Qué es esto?", "Comparar los programas en", "Léalo con cuidado",
                  "Del tipo de llamada", "Apoyo policial y contactos repetidos"):
        assert words in text


def navigate(client, triggered: str, **values):
    from dashboard import ids

    inputs = {
        "city": ids.OUTCOMES_CITY,
        "start": ids.OUTCOMES_START,
        "end": ids.OUTCOMES_END,
        "programs": ids.OUTCOMES_PROGRAMS,
        "districts": ids.OUTCOMES_DISTRICTS,
        "categories": ids.OUTCOMES_CATEGORIES,
        "compare": ids.OUTCOMES_COMPARE,
    }
    body = {
        "output": f"{ids.OUTCOMES_NAV}.href",
        "outputs": {"id": ids.OUTCOMES_NAV, "property": "href"},
        "inputs": [{"id": i, "property": "value", "value": values.get(n)} for n, i in inputs.items()],
        "state": [{"id": ids.OUTCOMES_STATE, "property": "data", "value": values.get("state")}],
        "changedPropIds": [f"{inputs[triggered]}.value"],
    }
    response = client.post("/_dash-update-component", json=body)
    assert response.status_code in (200, 204), response.get_data(as_text=True)
    if response.status_code == 204:
        return None
    return response.get_json()["response"].get(ids.OUTCOMES_NAV, {}).get("href")  # no_update: nothing


ALL_PROGRAMS = ["STAR", "CO_RESPONDER", "CIT_OFFICER", "PATROL"]


def test_controls_become_an_address_that_keeps_the_language(client):
    """The filter bar reads as on the Overview: a fully ticked group is no filter, a partly
    ticked one is listed (issue 15 item 7: Outcomes gets the Overview's filters)."""
    from dashboard.contract.schema import CallCategory

    every_category = [c.value for c in CallCategory]
    href = navigate(
        client, "districts", city="denver", start="2023-01-01", end="2023-12-01", districts=["3"],
        programs=ALL_PROGRAMS, categories=["welfare_check"], compare="shared", state={"lang": "es"},
    )
    assert href == (
        "/outcomes?city=denver&start=2023-01-01&end=2023-12-01&district=3&category=welfare_check"
        "&compare=shared&lang=es"
    )
    href = navigate(client, "programs", city="denver", start="2023-01-01", end="2023-12-01",
                    programs=["STAR", "PATROL"], districts=["1", "3"], categories=every_category,
                    compare="eligible", state={"lang": "en"})
    assert href == ("/outcomes?city=denver&start=2023-01-01&end=2023-12-01&program=STAR&program=PATROL"
                    "&district=1&district=3")
    # A new city starts from its own default period and districts.
    href = navigate(client, "city", city="grand_junction", start="2023-01-01", end="2023-12-01",
                    districts=["3"], compare="eligible", state={"lang": "en"})
    assert href == "/outcomes?city=grand_junction"
    # Garbage goes through as text for the page to name, or nowhere at all.
    assert navigate(client, "compare", city=None, compare=None, state="x") is None


def _prop(tree: object, component_id: str, prop: str) -> object:
    """``prop`` of the component ``component_id`` anywhere in a layout's JSON."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                return node["props"].get(prop)
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    raise AssertionError(f"no {component_id} in the layout")


def test_outcomes_page_has_the_overview_filters_applied(client):
    """Program, district and category from the address tick exactly those boxes, and
    every group has its "All" and "only" buttons (issue 15 items 7 and 8)."""
    from dashboard import ids

    layout = json.loads(route(client, "?city=denver&start=2023-01&end=2023-12&district=3"
                                      "&category=welfare_check&program=STAR"))
    assert _prop(layout, ids.OUTCOMES_PROGRAMS, "value") == ["STAR"]
    assert _prop(layout, ids.OUTCOMES_DISTRICTS, "value") == ["3"]
    assert _prop(layout, ids.OUTCOMES_CATEGORIES, "value") == ["welfare_check"]
    assert _prop(layout, ids.OUTCOMES_START, "value") == "2023-01-01"
    text = json.dumps(layout)
    for name in ("Only STAR team", "Only Police district 3", "Only Welfare check", "Only 2023",
                 "All programs", "All police districts", "All call categories", "All months"):
        assert f'"aria-label": "{name}"' in text, name


def test_repeat_contacts_a_city_does_not_record_read_not_recorded_not_zero(shipped_settings):
    """Issue 14: Lane County's export has no person id, so its repeat-contact column is all
    false by construction; the page says "not recorded" instead of 0%."""
    from dashboard.contract.releases import current_release_dir, read_release_info
    from dashboard.views import outcomes as vm

    lane = read_release_info(current_release_dir(shipped_settings.releases_dir, "lane_county"))
    denver = read_release_info(current_release_dir(shipped_settings.releases_dir, "denver"))
    assert "repeat_contact_90d" in lane.not_recorded and not denver.not_recorded
    store = Store(shipped_settings)
    for lang, words in (("en", "not recorded"), ("es", "no registrado")):
        view, _ = vm.parse_view({"city": "lane_county", "lang": lang}, store, "denver")
        rows = vm.render(store, view).flags_table.rows
        assert rows and all(r[4].startswith(words) and r[5].startswith(words) for r in rows), rows
        # Nor does its export say when police backed the team up (issue 14).
        assert rows[0][2].startswith(words) and rows[0][3] == "—", rows
    view, _ = vm.parse_view({"city": "denver"}, store, "denver")
    assert all(r[4].endswith("%") for r in vm.render(store, view).flags_table.rows)


def test_the_caveat_fits_a_city_whose_alternative_is_a_police_response(shipped_settings):
    """Issue 14: a city of patrol and CIT officers only was told its CIT officers 'only get
    calls that passed a dispatcher's safety screening; police get the rest'."""
    from dataclasses import replace

    from dashboard.contract.cities import load_cities
    from dashboard.contract.schema import ResponseType
    from dashboard.views.outcomes import caveat_text

    denver = load_cities(shipped_settings.cities_dir)["denver"]
    assert "safety screening; police get the rest" in caveat_text(denver, "STAR team", "en")
    cit = replace(denver, alternative_program=ResponseType.CIT_OFFICER, programs=(ResponseType.PATROL,
                                                                                   ResponseType.CIT_OFFICER))
    for lang in ("en", "es"):
        text = caveat_text(cit, "CIT officers", lang)
        assert "CIT officers" in text
        assert "police get the rest" not in text and "la policía recibe" not in text
    assert "itself a police response" in caveat_text(cit, "CIT officers", "en")
