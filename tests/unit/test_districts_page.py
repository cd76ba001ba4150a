"""The Districts page: every district with a profile, and "Find my area" (issue 15 item 6)."""

import json

import pytest

from dashboard.geo.lookup import find, fold, neighborhoods
from dashboard.settings import REPO_ROOT, Settings

from ..conftest import route_page

GEO = REPO_ROOT / "geo"


@pytest.fixture(scope="module")
def client():
    from dashboard.app import create_app

    return create_app(Settings()).server.test_client()


def _strings(node: object) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for v in node.values() for s in _strings(v)]
    if isinstance(node, list):
        return [s for v in node for s in _strings(v)]
    return []


def page_text(client, search: str) -> str:
    """Every text and attribute of the page the browser would get for ``/districts?search``."""
    response = route_page(client, "/districts", search)
    assert response.status_code == 200
    return "\n".join(_strings(json.loads(response.get_data(as_text=True))))


def test_every_neighborhood_is_placed_in_a_police_and_a_council_district():
    places = neighborhoods(GEO, "denver")
    assert len(places) == 78
    for place in places:
        police, council, precinct = place.place("police"), place.place("council"), place.place("precinct")
        assert police and council and precinct, place.name
        # Precinct 622 lies in official district 2 though DPD labels it 6 (geo/denver/SOURCE.md).
        assert precinct.area_id.startswith(police.area_id) or precinct.area_id == "622", place.name
    capitol = {p.name: p for p in places}["Capitol Hill"]
    assert (capitol.place("police").area_id, capitol.place("council").area_id) == ("6", "10")
    assert neighborhoods(GEO, "grand_junction") == ()  # no neighborhood layer: nothing to look up


def test_names_are_found_whatever_the_case_accents_and_spaces():
    places = neighborhoods(GEO, "denver")
    assert find(places, "  CAPITOL   hill ")[0].name == "Capitol Hill"
    assert find(places, "cbd")[0].name == "CBD"
    assert fold("Cólé-Park") == "cole park"
    none, close = find(places, "park")
    assert none is None and "City Park" in close and len(close) <= 5
    assert find(places, "") == (None, ())


def test_the_page_answers_a_neighborhood_with_both_profiles(client):
    text = page_text(client, "?city=denver&area=capitol%20hill")
    assert "Capitol Hill is in Police district 6 (approximate precinct 6" in text
    assert "Council district 10" in text
    assert "/district/6?city=denver" in text and "/district/council-10?city=denver" in text
    spanish = page_text(client, "?city=denver&area=capitol%20hill&lang=es")
    assert "Capitol Hill está en Distrito policial 6" in spanish and "lang=es" in spanish


def test_the_page_lists_every_district_and_answers_garbage_with_a_message(client):
    text = page_text(client, "?city=denver")
    for slug in ("/district/1?", "/district/6?", "/district/council-1?", "/district/council-11?"):
        assert slug in text
    assert "/district/7?" not in text  # district 7 publishes no figures of its own
    odd = page_text(client, "?city=denver&area=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
    assert "No neighborhood is called “<script>alert(1)</script>”." in odd  # as text, never markup
    assert "Did you mean" in page_text(client, "?city=denver&area=park")
    assert "publishes no figures by district" in page_text(client, "?city=grand_junction&area=x")
    assert "Unknown city" in page_text(client, "?city=atlantis")
    assert "Traceback" not in odd and "something went wrong" not in odd
    assert len(page_text(client, "?city=denver&area=" + "x" * 5000)) < 20_000  # what was typed is cut


def test_a_precinct_labelled_with_another_district_is_explained(client):
    text = page_text(client, "?city=denver&area=Cheesman%20Park")
    assert "Cheesman Park is in Police district 2 (approximate precinct 622)" in text
    assert "Police records label precinct 622 as district 6" in text


def test_map_hovers_name_the_neighborhoods_of_each_area(shipped_settings):
    """Residents know neighborhoods, not district numbers: the Overview map's hover names
    them (four, then "and N more"), in both languages."""
    from datetime import date

    from dashboard.engine.store import Store
    from dashboard.figures.mapstyle import map_style
    from dashboard.params.filters import Filters
    from dashboard.views import mapview

    store = Store(shipped_settings)
    f = Filters("denver", date(2023, 1, 1), date(2023, 12, 1))
    values = mapview.area_values(store, GEO, f, "count", "district")
    by_id = dict(zip(values["area_id"], values["neighborhoods"], strict=True))
    assert by_id["6"] == ("Capitol Hill", "CBD", "Civic Center", "North Capitol Hill", "Union Station")
    hovers = dict(zip(values["area_id"], map_style(values, "count", lang="en", show_labels=False).hovertexts,
                      strict=True))
    assert "Neighborhoods: Capitol Hill, CBD, Civic Center, North Capitol Hill and 1 more" in hovers["6"]
    spanish = map_style(values, "count", lang="es", show_labels=False).hovertexts
    wanted = "Vecindarios: Capitol Hill, CBD, Civic Center, North Capitol Hill y 1 más"
    assert any(wanted in hover for hover in spanish)
