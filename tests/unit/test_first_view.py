"""The first view sent as HTML (issue 18): the drawing rules, and what the index and
Dash's first layout carry for an address (``dashboard.first_view``).

That the drawn page reads like the finished one is checked in Chromium
(``tests/browser/test_first_view.py``); here, the rules a browser cannot see wrong:
escaping, attributes, controls drawn disabled, fallbacks.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser

import dash_bootstrap_components as dbc
import pytest
from dash import dcc, html

from dashboard.components.static_html import UnknownComponent, to_html
from dashboard.settings import Settings

# ------------------------------------------------------------------------- drawing rules


def test_text_and_attributes_are_escaped():
    hostile = '<script>alert("x")</script>'
    drawn = to_html(html.Div([hostile, html.A("a", href='" onclick="x', title=hostile)], id=hostile))
    assert "<script>" not in drawn
    assert drawn.count("&lt;script&gt;") == 3
    assert 'href="&quot; onclick=&quot;x"' in drawn


def test_react_names_become_html_attributes():
    drawn = to_html(html.Label("City", htmlFor="city", className="form-label",
                               style={"marginTop": 4, "opacity": 0.5, "display": None}))
    assert drawn == '<label for="city" class="form-label" style="margin-top:4px;opacity:0.5">City</label>'
    assert to_html(html.Br()) == "<br>"
    assert to_html(html.Div(hidden=True, tabIndex="-1", **{"aria-label": "x"})) == (
        '<div hidden tabindex="-1" aria-label="x"></div>')
    assert to_html(html.Div(hidden=False)) == "<div></div>"


def test_a_dict_id_is_the_json_dash_gives_the_element():
    drawn = to_html(dcc.Link("Data", href="/data", id={"type": "nav-link", "path": "/data"}))
    assert drawn == ('<a id="{&quot;path&quot;:&quot;/data&quot;,&quot;type&quot;:&quot;nav-link&quot;}" '
                     'href="/data">Data</a>')
    assert json.loads('{"path":"/data","type":"nav-link"}') == {"type": "nav-link", "path": "/data"}


def test_controls_and_buttons_are_drawn_disabled_with_their_values():
    checklist = to_html(dbc.Checklist(id="programs", options=[{"label": "STAR", "value": "star"},
                                                              {"label": "CIT", "value": "cit"}],
                                      value=["cit"], inline=True))
    assert checklist.count(" disabled") == 2
    assert checklist.count("checked") == 1 and 'value="cit" checked' in checklist
    assert '<label class="form-check-label" for="programs-0">STAR</label>' in checklist
    select = to_html(dbc.Select(id="start", options=[{"label": "Jan", "value": "2024-01-01"},
                                                     {"label": "Feb", "value": "2024-02-01"}],
                                value="2024-02-01", size="sm"))
    assert select.startswith('<select id="start" disabled class="form-select form-select-sm">')
    assert '<option value="2024-02-01" selected>Feb</option>' in select
    button = to_html(html.Button("only", id="b", type="button"))
    assert button == '<button id="b" type="button" disabled>only</button>'


def test_charts_are_empty_frames_and_stores_draw_nothing():
    graph = to_html(dcc.Graph(id="trend", figure={"data": [{"y": [1, 2]}]}, className="chart"))
    assert graph == '<div id="trend" class="dash-graph chart"></div>'
    assert to_html([dcc.Store(id="s", data={"x": 1}), dcc.Location(id="l")]) == ""


def test_a_component_it_cannot_draw_is_refused_not_half_drawn():
    with pytest.raises(UnknownComponent, match="Slider"):
        to_html(html.Div([html.P("before"), dcc.Slider(0, 10)]))


# --------------------------------------------------------------- the index and the layout


@pytest.fixture(scope="module")
def client():
    from dashboard.app import create_app

    return create_app(Settings()).server.test_client()


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.ids += [value for name, value in attrs if name == "id"]


def _entry(text: str) -> str:
    start = text.index('<div id="react-entry-point">')
    return text[start:text.index("<script", start)]


def test_the_index_carries_the_page_and_its_title(client):
    answer = client.get("/outcomes?lang=es")
    text = answer.get_data(as_text=True)
    entry = _entry(text)
    assert "_dash-loading" not in entry
    assert '<h1 id="outcomes-heading"' in entry or "<h1" in entry
    assert "<title>Resultados" in text
    parser = _Ids()
    parser.feed(entry)
    assert len(parser.ids) == len(set(parser.ids))  # one element per id, like the live page
    assert "_pages_content" in parser.ids


def test_bad_parameters_give_the_page_with_its_notice(client):
    text = client.get("/?start=garbage&city=<script>").get_data(as_text=True)
    entry = _entry(text)
    assert "<script>" not in entry
    assert "<h1" in entry and "alert" in entry  # the page, and the notice naming what was not used


def test_an_unknown_address_gets_dashs_shell(client):
    answer = client.get("/no-such-page")
    assert answer.status_code == 404
    assert "_dash-loading" in _entry(answer.get_data(as_text=True))


def _content(layout: dict) -> dict | None:
    """The ``_pages_content`` component of a ``/_dash-layout`` answer, if any."""
    stack = [layout]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "_pages_content":
                return node
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return None


def test_dashs_first_layout_has_the_referring_page_in_it(client):
    answer = client.get("/_dash-layout", headers={"Referer": "http://localhost/district/3?lang=es"})
    assert answer.headers["Cache-Control"] == "no-store"  # another page must never get it
    assert "Referer" in answer.headers["Vary"]
    with_page = answer.get_json()
    content = _content(with_page)
    assert content is not None and content["props"].get("children")
    assert "Distrito" in json.dumps(content["props"]["children"], ensure_ascii=False)
    location = json.dumps(with_page)
    assert '"pathname": "/district/3"' in location and '"search": "?lang=es"' in location


@pytest.mark.parametrize("referer", [None, "http://localhost/no-such-page", "http://localhost/_dash-layout"])
def test_without_a_page_to_draw_the_layout_is_dashs_empty_container(client, referer):
    headers = {"Referer": referer} if referer else {}
    content = _content(client.get("/_dash-layout", headers=headers).get_json())
    assert content is not None and not content["props"].get("children")
