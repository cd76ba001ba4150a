"""Maps as filled scatter traces (not ``go.Choropleth`` or map tiles), so they draw offline,
under a strict Content-Security-Policy, with plotly.js's basic bundle.

This module lays a map out: one fill trace per area, the labels, the trace carrying the
colour bar, the frame (``map_bounds``), and the patch that turns a drawn map into
another view's (``map_patch_paths``, ``MapDrawing``). The numbers it colours by come
from ``mapvalues``; the colours, labels, hover texts and legend, which change with the
filters, from ``mapstyle`` (ColorBrewer's YlGnBu, computed in Python so a filter change
can patch colours without resending shapes).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from dashboard.contract.schema import ResponseType
from dashboard.figures.base import base_layout, empty_figure, make_figure
from dashboard.figures.mapstyle import MAP_SCALE, MapStyle, map_style, zoomed_ids
from dashboard.figures.mapvalues import MapAreaLike, MapMetric
from dashboard.i18n import t

#: Outline of every area.
MAP_LINE_COLOR = "#ffffff"
MAX_LABELLED_AREAS = 12
MAP_HEIGHT = 480
#: Margin around the drawn areas, as a share of their width/height: a sliver around the
#: whole city (so edge lines are not cut), more around a zoomed selection (its
#: neighbours stay in sight, grey, for orientation).
FULL_PAD = 0.02
ZOOM_PAD = 0.12


def _ring_coordinates(area: MapAreaLike) -> tuple[list[float | None], list[float | None]]:
    """All rings of an area in one x/y list, separated by ``None`` (one trace per area)."""
    xs: list[float | None] = []
    ys: list[float | None] = []
    for lons, lats in area.rings:
        if xs:
            xs.append(None)
            ys.append(None)
        xs.extend(lons)
        ys.extend(lats)
    return xs, ys


def _mean_lat(areas: Sequence[MapAreaLike]) -> float:
    return sum(a.label_lat for a in areas) / len(areas)


def map_bounds(
    areas: Sequence[MapAreaLike], zoom_to: Collection[str] | None = None
) -> tuple[tuple[float, float], tuple[float, float]]:
    """((lon min, lon max), (lat min, lat max)) the map shows: the areas in ``zoom_to``
    (by id) with a ``ZOOM_PAD`` margin, or every area with a ``FULL_PAD`` sliver when
    ``zoom_to`` is empty, names no area, or names them all.

    The margins are taken on the drawn shape: the latitude's margin is measured in the
    same ground distance as the longitude's (a degree of longitude is cos(latitude) of a
    degree of latitude), so a tall and a wide district get the same frame around them.
    """
    wanted = zoomed_ids((a.id for a in areas), zoom_to)
    zoomed = bool(wanted)
    chosen = [a for a in areas if str(a.id) in wanted] if zoomed else list(areas)
    lons = [lon for a in chosen for ring_lons, _ in a.rings for lon in ring_lons]
    lats = [lat for a in chosen for _, ring_lats in a.rings for lat in ring_lats]
    x0, x1, y0, y1 = min(lons), max(lons), min(lats), max(lats)
    ratio = math.cos(math.radians(_mean_lat(areas)))  # ground length of a longitude degree
    pad = (ZOOM_PAD if zoomed else FULL_PAD) * max(x1 - x0, (y1 - y0) / ratio)
    return (x0 - pad, x1 + pad), (y0 - pad * ratio, y1 + pad * ratio)


def map_figure(
    values: pd.DataFrame,
    areas: Sequence[MapAreaLike],
    metric: MapMetric,
    *,
    lang: str,
    show_labels: bool | None = None,
    alt_program: ResponseType = ResponseType.STAR,
    labels: Mapping[str, str] | None = None,
    height: int | None = MAP_HEIGHT,
    zoom_to: Collection[str] | None = None,
    hover_hint: str | None = None,
) -> go.Figure:
    """Areas as filled polygons coloured by ``values`` (``map_metric_values`` output).

    Trace order is fixed: one fill trace per area (``areas`` order), then the label
    trace, then an invisible marker trace that carries the colour bar. A filter change
    therefore only needs ``map_patch_paths`` to recolour it; shapes are sent once.
    Each fill trace's ``customdata`` is ``[area id]`` (a click on a fill reports its
    trace's ``customdata``: the page turns it into a link).
    Axes are hidden and locked to the latitude's aspect ratio so shapes are not
    stretched to the card's width; their ranges are ``map_bounds(areas, zoom_to)``, so
    ``zoom_to`` (area ids: the selected districts, a district's precincts) frames those
    areas while the others stay drawn around them. Labels are the short area id and its
    value (the full name is in the hover and the table): long names collide in small
    districts. ``hover_hint`` ends every hover text.
    """
    if not areas:
        return empty_figure(t("figure.map.no_areas", lang), lang=lang, height=height)
    shown_areas = len(zoomed_ids((a.id for a in areas), zoom_to)) or len(areas)
    style = map_style(
        values, metric, lang=lang, show_labels=_show_labels(shown_areas, show_labels),
        alt_program=alt_program, labels=labels, hover_hint=hover_hint, zoom_to=zoom_to,
    )
    traces: list[dict] = []
    for area, fill, hover in zip(areas, style.fillcolors, style.hovertexts, strict=True):
        xs, ys = _ring_coordinates(area)
        traces.append(
            dict(
                type="scatter",
                x=xs,
                y=ys,
                name=area.name,
                mode="lines",
                fill="toself",
                fillcolor=fill,
                line={"color": MAP_LINE_COLOR, "width": 1.2},
                hoveron="fills",
                hoverinfo="text",
                text=hover,
                customdata=[str(area.id)],
                showlegend=False,
            )
        )
    traces.append(
        dict(
            type="scatter",
            x=[a.label_lon for a in areas],
            y=[a.label_lat for a in areas],
            mode="text",
            text=list(style.labels),
            textfont={"size": 11, "color": list(style.label_colors)},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    traces.append(
        dict(
            type="scatter",
            x=[areas[0].label_lon],
            y=[areas[0].label_lat],
            mode="markers",
            marker={
                "size": 0.1,
                "opacity": 0,
                "color": [style.cmin],
                "cmin": style.cmin,
                "cmax": style.cmax,
                "colorscale": [[i / (len(MAP_SCALE) - 1), c] for i, c in enumerate(MAP_SCALE)],
                "showscale": style.show_scale,
                "colorbar": _colorbar(style),
            },
            hoverinfo="skip",
            showlegend=False,
        )
    )
    x_range, y_range = map_bounds(areas, zoom_to)
    layout = base_layout(height, lang)
    layout.update(
        margin={"l": 4, "r": 4, "t": 4, "b": 56},
        showlegend=False,
        hovermode="closest",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False, "fixedrange": True, "constrain": "domain", "range": list(x_range)},
        yaxis={
            "visible": False,
            "fixedrange": True,
            "scaleanchor": "x",
            # one degree of longitude is cos(latitude) as long as one of latitude
            "scaleratio": 1 / math.cos(math.radians(_mean_lat(areas))),
            "constrain": "domain",
            "range": list(y_range),
        },
    )
    return make_figure(traces, layout)


def _wrap_title(text: str, width: int = 32) -> str:
    """Break a long colour-bar title onto two lines at the space nearest its middle: plotly
    does not wrap titles, and a phone-width map cut "Share of eligible calls answered by
    the STAR team" at both ends."""
    if len(text) <= width or " " not in text:
        return text
    middle = len(text) // 2
    cut = min((i for i, c in enumerate(text) if c == " "), key=lambda i: abs(i - middle))
    return text[:cut] + "<br>" + text[cut + 1:]


def _colorbar(style: MapStyle) -> dict:
    return {
        "title": {"text": _wrap_title(style.colorbar_title), "side": "top"},
        "orientation": "h",
        "x": 0.5,
        "xanchor": "center",
        "y": -0.02,
        "yanchor": "top",
        "thickness": 12,
        "len": 0.9,
        "tickmode": "array",
        "tickvals": list(style.tickvals),
        "ticktext": list(style.ticktext),
        "outlinewidth": 0,
    }


def map_patch_paths(
    values: pd.DataFrame,
    metric: MapMetric,
    *,
    lang: str,
    show_labels: bool | None = None,
    alt_program: ResponseType = ResponseType.STAR,
    labels: Mapping[str, str] | None = None,
    areas: Sequence[MapAreaLike] | None = None,
    zoom_to: Collection[str] | None = None,
    hover_hint: str | None = None,
) -> PatchOperations:
    """(path into the figure, new value) pairs that recolour a drawn ``map_figure``.

    ``values`` must list the same areas in the same order as the drawn figure. The page
    applies the pairs to a ``dash.Patch`` (this module cannot import Dash): about a
    kilobyte on the wire instead of every polygon again. With ``areas`` (the drawn ones)
    the axis ranges follow ``zoom_to`` too, so a new district selection re-frames the map
    without resending it.
    """
    n_areas = len(values)
    shown_areas = len(zoomed_ids(values["area_id"], zoom_to)) or n_areas
    style = map_style(
        values, metric, lang=lang, show_labels=_show_labels(shown_areas, show_labels),
        alt_program=alt_program, labels=labels, hover_hint=hover_hint, zoom_to=zoom_to,
    )
    paths: PatchOperations = []
    for i in range(n_areas):
        paths.append((("data", i, "fillcolor"), style.fillcolors[i]))
        paths.append((("data", i, "text"), style.hovertexts[i]))
    paths.append((("data", n_areas, "text"), list(style.labels)))
    paths.append((("data", n_areas, "textfont", "color"), list(style.label_colors)))
    marker: tuple[str | int, ...] = ("data", n_areas + 1, "marker")
    paths.append(((*marker, "cmin"), style.cmin))
    paths.append(((*marker, "cmax"), style.cmax))
    paths.append(((*marker, "color"), [style.cmin]))
    paths.append(((*marker, "showscale"), style.show_scale))
    paths.append(((*marker, "colorbar"), _colorbar(style)))
    if areas:
        x_range, y_range = map_bounds(areas, zoom_to)
        paths.append((("layout", "xaxis", "range"), list(x_range)))
        paths.append((("layout", "yaxis", "range"), list(y_range)))
    return paths


#: A figure change as (path into the figure, new value) pairs: ``("data", 3, "fillcolor")``
#: is ``figure["data"][3]["fillcolor"]``. A page applies them to a ``dash.Patch``.
PatchOperations = list[tuple[tuple[str | int, ...], object]]


@dataclass(frozen=True)
class MapDrawing:
    """One map, as the arguments of ``map_figure``: the whole figure, or the patch to it.

    A page draws ``figure()`` the first time (and for a new city or level, whose areas
    differ); for any other view change it sends ``patch()``, which turns the map drawn
    for an earlier view of the same areas into this one (colours, texts, colour bar,
    frame). Both come from the same arguments, so the page never needs to know how the
    figure is laid out.
    """

    values: pd.DataFrame  # ``map_metric_values`` output, one row per area of ``areas``
    areas: Sequence[MapAreaLike]
    metric: MapMetric
    lang: str
    alt_program: ResponseType = ResponseType.STAR
    labels: Mapping[str, str] | None = None
    zoom_to: Collection[str] | None = None
    hover_hint: str | None = None
    height: int | None = MAP_HEIGHT

    def figure(self) -> go.Figure:
        return map_figure(
            self.values, self.areas, self.metric, lang=self.lang, alt_program=self.alt_program,
            height=self.height, labels=self.labels, zoom_to=self.zoom_to, hover_hint=self.hover_hint,
        )

    def patch(self) -> PatchOperations:
        """What turns a drawn ``figure()`` of the same areas (any view) into this one."""
        return map_patch_paths(
            self.values, self.metric, lang=self.lang, alt_program=self.alt_program, labels=self.labels,
            areas=self.areas, zoom_to=self.zoom_to, hover_hint=self.hover_hint,
        )


def _show_labels(n_areas: int, requested: bool | None) -> bool:
    """Area labels by default only when few enough to stay legible (districts, not precincts;
    the precincts of a district when the map is zoomed to it)."""
    return n_areas <= MAX_LABELLED_AREAS if requested is None else requested
