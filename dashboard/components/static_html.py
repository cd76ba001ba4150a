"""A Dash component tree as the HTML React would draw for it: the first view, sent in the page.

Why (issue 18): Dash draws every page in the browser, so a phone showed nothing
readable until ~350 KB of Dash's scripts had arrived and run (Lighthouse mobile LCP
4.1 s). The index page now carries the page's own component tree, drawn here as HTML,
inside Dash's ``react-entry-point``; when Dash starts, React replaces it with the same
tree (``dashboard.first_view``), so the reader sees the same words and numbers from the
first paint on, and readers without JavaScript get the page rather than a note.

What is drawn, and how:

* ``dash.html`` components are their tag, with React's attribute names turned into
  HTML's (``className`` -> ``class``, ``htmlFor`` -> ``for``, ``style`` as CSS).
* The few ``dcc`` and ``dash_bootstrap_components`` the pages use are drawn as the
  markup those components render (Bootstrap's form classes), their controls (and
  every ``html.Button``) ``disabled`` until Dash replaces them: a control that does nothing must not look
  as if it worked. A ``dcc.Graph`` is its empty frame (the CSS reserves its height);
  plotly.js draws into the live one. ``dcc.Store`` and ``dcc.Location`` draw nothing.
* A component this module does not know raises ``UnknownComponent``: the caller then
  sends Dash's plain loading shell, never a half-drawn page.

Every text and attribute value is escaped; nothing a request sends reaches the HTML
unescaped (the values come from the page's own validated view).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from html import escape
from typing import Any

from dash.development.base_component import Component

#: Elements without a closing tag.
_VOID = frozenset({"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
                   "wbr"})
#: React props with another name in HTML.
_RENAMED = {"className": "class", "htmlFor": "for", "tabIndex": "tabindex", "hrefLang": "hreflang",
            "colSpan": "colspan", "rowSpan": "rowspan", "readOnly": "readonly", "maxLength": "maxlength",
            "autoComplete": "autocomplete", "accessKey": "accesskey", "contentEditable": "contenteditable",
            "spellCheck": "spellcheck", "dateTime": "datetime", "encType": "enctype"}
#: Dash props that are not attributes.
_NOT_ATTRIBUTES = frozenset({"children", "style", "n_clicks", "n_clicks_timestamp", "disable_n_clicks", "key",
                             "loading_state", "setProps", "id"})
#: Attributes that are present or absent.
_BOOLEAN = frozenset({"hidden", "open", "disabled", "readonly", "checked", "selected", "multiple",
                      "required", "download"})
#: CSS properties React writes without a unit.
_UNITLESS = frozenset({"opacity", "zIndex", "fontWeight", "lineHeight", "flex", "flexGrow", "flexShrink",
                       "order", "zoom", "columnCount", "fillOpacity", "strokeOpacity"})


class UnknownComponent(ValueError):
    """A component this module cannot draw: send Dash's loading shell instead."""


def to_html(node: Any) -> str:
    """``node`` (a component, a list of them, text, a number or None) as HTML."""
    if node is None or isinstance(node, bool):
        return ""
    if isinstance(node, str):
        return escape(node, quote=False)
    if isinstance(node, int | float):
        return escape(str(node), quote=False)
    if isinstance(node, list | tuple):
        return "".join(to_html(child) for child in node)
    if isinstance(node, Component):
        draw = _DRAWERS.get((node._namespace, node._type))  # noqa: SLF001 - the component's own type
        if draw is None and node._namespace == "dash_html_components":  # noqa: SLF001
            draw = _html_element
        if draw is None:
            raise UnknownComponent(f"{node._namespace}.{node._type}")  # noqa: SLF001
        return draw(_props(node))
    raise UnknownComponent(type(node).__name__)


# ------------------------------------------------------------------------ the pieces


def _props(node: Component) -> dict[str, Any]:
    """The props set on ``node`` (wildcards such as ``aria-*`` included), and its tag."""
    plotly = node.to_plotly_json()
    props = dict(plotly["props"])
    props["__tag"] = str(plotly["type"]).lower()
    return props


def dom_id(value: Any) -> str | None:
    """The DOM id Dash gives a component id (a dict id is its JSON, keys sorted)."""
    if value is None:
        return None
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return str(value)


def _css(style: dict[str, Any]) -> str:
    parts = []
    for name, value in style.items():
        if value is None:
            continue
        prop = re.sub(r"[A-Z]", lambda m: "-" + m.group(0).lower(), name)
        if isinstance(value, int | float) and not isinstance(value, bool) and name not in _UNITLESS and value:
            value = f"{value}px"
        parts.append(f"{prop}:{value}")
    return ";".join(parts)


def _attributes(props: dict[str, Any], extra_class: str = "") -> str:
    out: list[str] = []
    element_id = dom_id(props.get("id"))
    if element_id is not None:
        out.append(f'id="{escape(element_id)}"')
    classes = " ".join(c for c in (extra_class, props.get("className") or props.get("class_name") or "") if c)
    for name, value in props.items():
        if name.startswith("__") or name in _NOT_ATTRIBUTES or name in ("className", "class_name"):
            continue
        attr = _RENAMED.get(name, name)
        if attr in _BOOLEAN:
            if value:
                out.append(attr)
            continue
        if value is None or isinstance(value, dict | list):
            continue
        text = ("true" if value else "false") if isinstance(value, bool) else str(value)
        out.append(f'{attr}="{escape(text)}"')
    if classes:
        out.append(f'class="{escape(classes)}"')
    if props.get("style"):
        out.append(f'style="{escape(_css(props["style"]))}"')
    return (" " + " ".join(out)) if out else ""


def _element(tag: str, props: dict[str, Any], inner: str = "", extra_class: str = "") -> str:
    attrs = _attributes(props, extra_class)
    if tag in _VOID:
        return f"<{tag}{attrs}>"
    return f"<{tag}{attrs}>{inner}</{tag}>"


def _html_element(props: dict[str, Any]) -> str:
    if props["__tag"] == "button":  # a button does nothing until Dash runs: say so
        props = {**props, "disabled": True}
    return _element(props["__tag"], props, to_html(props.get("children")))


def _nothing(_props: dict[str, Any]) -> str:
    return ""


def _link(props: dict[str, Any]) -> str:
    keep = {k: props.get(k) for k in ("id", "className", "href", "title", "target")}
    return _element("a", keep, to_html(props.get("children")))


def _graph(props: dict[str, Any]) -> str:
    """The graph's frame: dcc.Graph's own classes, and the figure's height when it has
    one (else the CSS gives it: the map's aspect ratio), so the drawn chart, which
    replaces the frame, moves nothing below it."""
    style = dict(props.get("style") or {})
    figure = props.get("figure")
    layout = figure.get("layout") if isinstance(figure, dict) else getattr(figure, "layout", None)
    height = layout.get("height") if isinstance(layout, dict) else getattr(layout, "height", None)
    if isinstance(height, int | float) and not isinstance(height, bool):
        style.setdefault("height", height)
    keep = {"id": props.get("id"), "className": props.get("className"), "style": style or None}
    return _element("div", keep, extra_class="dash-graph")


def _label(props: dict[str, Any]) -> str:
    keep = {"id": props.get("id"), "htmlFor": props.get("html_for"), "className": props.get("class_name")}
    return _element("label", keep, to_html(props.get("children")), extra_class="form-label")


def _options(options: Iterable[Any]) -> list[tuple[str, Any]]:
    out = []
    for option in options or ():
        if isinstance(option, dict):
            out.append((option.get("value"), option.get("label", option.get("value"))))
        else:
            out.append((option, option))
    return out


def _select(props: dict[str, Any]) -> str:
    value = props.get("value")
    options = "".join(
        f'<option value="{escape(str(v))}"{" selected" if v == value else ""}>{to_html(label)}</option>'
        for v, label in _options(props.get("options"))
    )
    size = {"sm": " form-select-sm", "lg": " form-select-lg"}.get(props.get("size") or "", "")
    keep = {"id": props.get("id"), "className": props.get("class_name"), "disabled": True}
    return _element("select", keep, options, extra_class="form-select" + size)


def _choices(kind: str) -> Callable[[dict[str, Any]], str]:
    def draw(props: dict[str, Any]) -> str:
        base = dom_id(props.get("id")) or "choice"
        values = props.get("value")
        chosen = set(values or []) if kind == "checkbox" else {values}
        inline = " form-check-inline" if props.get("inline") else ""
        items = []
        for i, (value, label) in enumerate(_options(props.get("options"))):
            input_id = escape(f"{base}-{i}")
            checked = " checked" if value in chosen else ""
            name = f' name="{escape(str(props["name"]))}"' if props.get("name") else ""
            items.append(
                f'<div class="form-check{inline}">'
                f'<input class="form-check-input" type="{kind}" id="{input_id}"{name} '
                f'value="{escape(str(value))}"{checked} disabled>'
                f'<label class="form-check-label" for="{input_id}">{to_html(label)}</label></div>'
            )
        keep = {"id": props.get("id"), "className": props.get("class_name")}
        return _element("div", keep, "".join(items))
    return draw


def _input(extra_class: str) -> Callable[[dict[str, Any]], str]:
    """dcc.Input (its own ``className``) or dbc.Input (Bootstrap's ``form-control``)."""
    def draw(props: dict[str, Any]) -> str:
        keep = {k: props.get(k) for k in ("id", "type", "value", "placeholder", "min", "max", "step", "list",
                                          "maxLength", "autoComplete", "readOnly")}
        keep.update(disabled=True, className=props.get("className") or props.get("class_name"))
        return _element("input", keep, extra_class=extra_class)
    return draw


_DRAWERS: dict[tuple[str, str], Callable[[dict[str, Any]], str]] = {
    ("dash_core_components", "Store"): _nothing,
    ("dash_core_components", "Location"): _nothing,
    ("dash_core_components", "Link"): _link,
    ("dash_core_components", "Graph"): _graph,
    ("dash_core_components", "Input"): _input(""),
    ("dash_bootstrap_components", "Label"): _label,
    ("dash_bootstrap_components", "Select"): _select,
    ("dash_bootstrap_components", "Input"): _input("form-control"),
    ("dash_bootstrap_components", "Checklist"): _choices("checkbox"),
    ("dash_bootstrap_components", "RadioItems"): _choices("radio"),
}
