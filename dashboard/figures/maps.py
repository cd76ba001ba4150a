"""Maps as filled scatter traces (not ``go.Choropleth`` or map tiles), so they draw offline,
under a strict Content-Security-Policy, with plotly.js's basic bundle.

The sequential scale is ColorBrewer's YlGnBu, safe for colour-blind readers, with the
fill colour computed here in Python so a filter change can patch colours without
resending shapes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb

from dashboard.data.schema import ResponseType
from dashboard.figures.base import (
    NO_VALUE_COLOR,
    TEXT_DARK,
    TEXT_LIGHT,
    base_layout,
    empty_figure,
    make_figure,
    program_label,
)
from dashboard.i18n import fmt_int, fmt_pct, t

MapMetric = Literal["count", "per_1000", "alt_share"]
MAP_METRICS: tuple[MapMetric, ...] = ("count", "per_1000", "alt_share")

#: ColorBrewer YlGnBu without its near-white first class (it vanished against the page).
MAP_SCALE: tuple[str, ...] = (
    "rgb(237,248,177)",
    "rgb(199,233,180)",
    "rgb(127,205,187)",
    "rgb(65,182,196)",
    "rgb(29,145,192)",
    "rgb(34,94,168)",
    "rgb(37,52,148)",
    "rgb(8,29,88)",
)
#: Fill for an area with no value (no rate for a small population, no eligible calls).
MAP_LINE_COLOR = "#ffffff"
MAX_LABELLED_AREAS = 12
ROOMY_AREA_WIDTH = 0.15  # share of the map's width an area needs to print its value
MAP_HEIGHT = 480


class MapAreaLike(Protocol):
    """What the map needs of an area (``dashboard.geo.web.WebArea`` has all of it)."""

    @property
    def id(self) -> str: ...
    @property
    def name(self) -> str: ...
    @property
    def population(self) -> int: ...
    @property
    def rings(self) -> tuple[tuple[tuple[float, ...], tuple[float, ...]], ...]: ...
    @property
    def label_lon(self) -> float: ...
    @property
    def label_lat(self) -> float: ...



def map_metric_values(
    values_df: pd.DataFrame,
    areas: Sequence[MapAreaLike],
    metric: MapMetric,
    low_population_threshold: int,
    excluded: Collection[str] = (),
    unpublished: Collection[str] = (),
) -> pd.DataFrame:
    """One row per area (in ``areas`` order) with the number the map colours by.

    ``values_df`` is ``queries.map_values`` output (area_id, calls, eligible,
    eligible_answered, suppressed_cells); areas it lacks had no calls and get zeros,
    rows for unknown areas (e.g. ``citywide``) are ignored. ``value`` is NaN where it is
    not defined, and ``reason`` says why: ``low_population`` (a per-1,000 rate over
    fewer residents than the threshold would mislead) or ``no_eligible`` (a share of
    zero eligible calls) or ``not_selected`` (an area in ``excluded``, outside the
    districts the filters select: a zero there would read as "no calls") or
    ``unpublished`` (an area the release never publishes separately, because every one of
    its rows was generalized to city level for privacy); it is ``""``
    where there is a value. ``roomy`` marks areas
    wide enough (``ROOMY_AREA_WIDTH`` of the map) to print their value on the map
    without it running into the neighbours' labels.
    """
    if metric not in MAP_METRICS:
        raise ValueError(f"unknown map metric {metric!r}")
    by_id = {str(row.area_id): row for row in values_df.itertuples(index=False)}
    widths = [_lon_width(area) for area in areas]
    all_lons = [lon for area in areas for lons, _ in area.rings for lon in lons]
    span = (max(all_lons) - min(all_lons)) if all_lons else 0.0
    records = []
    for area, width in zip(areas, widths, strict=True):
        row = by_id.get(str(area.id))
        calls = int(row.calls) if row is not None else 0
        eligible = int(row.eligible) if row is not None else 0
        answered = int(row.eligible_answered) if row is not None else 0
        suppressed = int(row.suppressed_cells) if row is not None else 0
        value: float = math.nan
        reason = ""
        if str(area.id) in excluded:
            reason = "not_selected"
        elif str(area.id) in unpublished:
            reason = "unpublished"
        elif metric == "count":
            value = float(calls)
        elif metric == "per_1000":
            if area.population < low_population_threshold or area.population <= 0:
                reason = "low_population"
            else:
                value = calls / area.population * 1000
        elif eligible > 0:
            value = answered / eligible
        else:
            reason = "no_eligible"
        records.append(
            {
                "area_id": str(area.id),
                "name": area.name,
                "population": int(area.population),
                "calls": calls,
                "eligible": eligible,
                "eligible_answered": answered,
                "suppressed_cells": suppressed,
                "value": value,
                "reason": reason,
                "roomy": span > 0 and width / span >= ROOMY_AREA_WIDTH,
            }
        )
    columns = [
        "area_id",
        "name",
        "population",
        "calls",
        "eligible",
        "eligible_answered",
        "suppressed_cells",
        "value",
        "reason",
        "roomy",
    ]
    return pd.DataFrame.from_records(records, columns=columns)


def _lon_width(area: MapAreaLike) -> float:
    lons = [lon for ring_lons, _ in area.rings for lon in ring_lons]
    return (max(lons) - min(lons)) if lons else 0.0


def format_map_value(value: float, metric: MapMetric, lang: str) -> str:
    """How the map, its hover and its table print one value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if metric == "count":
        return fmt_int(value, lang)
    if metric == "per_1000":
        text = f"{value:,.1f}"
        return text.replace(",", " ").replace(".", ",") if lang == "es" else text
    return fmt_pct(value, lang)


@dataclass(frozen=True)
class MapStyle:
    """Everything about the map that changes with the filters (what a Patch sends)."""

    fillcolors: tuple[str, ...]
    hovertexts: tuple[str, ...]
    labels: tuple[str, ...]
    label_colors: tuple[str, ...]
    cmin: float
    cmax: float
    colorbar_title: str
    tickvals: tuple[float, ...]
    ticktext: tuple[str, ...]
    capped: bool  # cmax is below the largest value: one outlier would wash out the rest


def _luminance(rgb: str) -> float:
    r, g, b = (c / 255 for c in unlabel_rgb(rgb))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def map_style(
    values: pd.DataFrame,
    metric: MapMetric,
    *,
    lang: str,
    show_labels: bool,
    alt_program: ResponseType = ResponseType.STAR,
    labels: Mapping[str, str] | None = None,
) -> MapStyle:
    """Fill colours, hover texts, label texts and colour-bar range for ``values``.

    Count and rate scales run from 0 to the largest value shown, unless that value is
    an outlier (more than twice the 90th percentile, e.g. the downtown precinct's rate
    over its few residents): then the scale stops at the 90th percentile, the outlier
    gets the darkest colour and the colour bar's last label reads "N+". The share
    scale is always 0-100 % so its colours mean the same thing whatever the filters.
    ``alt_program`` names the city's alternative program in the share's texts.
    """
    program = program_label(alt_program, lang, labels)
    finite = sorted(float(v) for v in values["value"] if not pd.isna(v))
    cmin = 0.0
    capped = False
    if metric == "alt_share":
        cmax = 1.0
    else:
        cmax = max(finite[-1] if finite else 0.0, 1.0)
        p90 = _percentile(finite, 0.9)
        if len(finite) >= 5 and p90 > 0 and cmax > 2 * p90:
            cmax, capped = p90, True
    fills, hovers, labels, label_colors = [], [], [], []
    for row in values.itertuples(index=False):
        missing = pd.isna(row.value)
        if missing:
            fill = NO_VALUE_COLOR
        else:
            position = min(max((float(row.value) - cmin) / (cmax - cmin), 0.0), 1.0)
            fill = sample_colorscale(list(MAP_SCALE), [position])[0]
        fills.append(fill)
        label_colors.append(TEXT_LIGHT if _luminance(fill) < 0.45 else TEXT_DARK)
        shown = format_map_value(row.value, metric, lang)
        lines = [
            f"<b>{row.name}</b>",
            t(f"figure.map.hover.{metric}", lang, value=shown, program=program),
            t("figure.map.hover.calls", lang, calls=fmt_int(row.calls, lang)),
        ]
        if metric == "alt_share" and not missing:
            lines.append(
                t(
                    "figure.map.hover.eligible",
                    lang,
                    answered=fmt_int(row.eligible_answered, lang),
                    eligible=fmt_int(row.eligible, lang),
                )
            )
        if metric == "per_1000" or row.reason == "low_population":
            lines.append(t("figure.map.hover.population", lang, population=fmt_int(row.population, lang)))
        if row.reason:
            lines.append("<i>" + t(f"figure.map.hover.reason.{row.reason}", lang) + "</i>")
        if row.suppressed_cells > 0:
            lines.append("<i>" + t("figure.map.hover.suppressed", lang, cells=row.suppressed_cells) + "</i>")
        hovers.append("<br>".join(lines))
        short = row.area_id if len(row.area_id) <= 3 else row.name
        if not show_labels:
            labels.append("")
        else:
            labels.append(f"<b>{short}</b><br>{shown}" if row.roomy else f"<b>{short}</b>")
    tickvals, ticktext = _colorbar_ticks(cmax, metric, capped, lang)
    return MapStyle(
        fillcolors=tuple(fills),
        hovertexts=tuple(hovers),
        labels=tuple(labels),
        label_colors=tuple(label_colors),
        cmin=cmin,
        cmax=float(cmax),
        colorbar_title=t(f"figure.map.colorbar.{metric}", lang, program=program),
        tickvals=tickvals,
        ticktext=ticktext,
        capped=capped,
    )


def _percentile(ordered: Sequence[float], q: float) -> float:
    """Linear-interpolated quantile of an ascending list (0 for an empty one)."""
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _nice_step(top: float) -> float:
    """A round tick step (1, 2, 2.5 or 5 x 10^k) giving about four ticks up to ``top``."""
    raw = top / 4
    magnitude = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= factor * magnitude:
            return factor * magnitude
    return 10 * magnitude


def _colorbar_ticks(
    cmax: float, metric: MapMetric, capped: bool, lang: str
) -> tuple[tuple[float, ...], tuple[str, ...]]:
    """Colour-bar ticks in the language's number format; "N+" on a capped scale's end."""
    whole = metric == "count"
    if metric == "alt_share":
        values = [0.0, 0.25, 0.5, 0.75, 1.0]
    else:
        step = _nice_step(cmax)
        if metric == "count":
            step = max(step, 1.0)
        values = [i * step for i in range(int(cmax // step) + 1)]
        if capped:
            values = [v for v in values if cmax - v > step / 2] + [cmax]
        whole = step >= 1
    texts = [fmt_int(v, lang) if whole else format_map_value(v, metric, lang) for v in values]
    if capped:
        texts[-1] += "+"
    return tuple(values), tuple(texts)


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
) -> go.Figure:
    """Areas as filled polygons coloured by ``values`` (``map_metric_values`` output).

    Trace order is fixed: one fill trace per area (``areas`` order), then the label
    trace, then an invisible marker trace that carries the colour bar. A filter change
    therefore only needs ``map_patch_paths`` to recolour it; shapes are sent once.
    Axes are hidden and locked to the latitude's aspect ratio so shapes are not
    stretched to the card's width. Labels are the short area id and its value (the
    full name is in the hover and the table): long names collide in small districts.
    """
    if not areas:
        return empty_figure(t("figure.map.no_areas", lang), lang=lang, height=height)
    style = map_style(
        values, metric, lang=lang, show_labels=_show_labels(len(areas), show_labels), alt_program=alt_program,
        labels=labels,
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
                "showscale": True,
                "colorbar": _colorbar(style),
            },
            hoverinfo="skip",
            showlegend=False,
        )
    )
    mean_lat = sum(a.label_lat for a in areas) / len(areas)
    layout = base_layout(height, lang)
    layout.update(
        margin={"l": 4, "r": 4, "t": 4, "b": 56},
        showlegend=False,
        hovermode="closest",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"visible": False, "fixedrange": True, "constrain": "domain"},
        yaxis={
            "visible": False,
            "fixedrange": True,
            "scaleanchor": "x",
            # one degree of longitude is cos(latitude) as long as one of latitude
            "scaleratio": 1 / math.cos(math.radians(mean_lat)),
            "constrain": "domain",
        },
    )
    return make_figure(traces, layout)


def _colorbar(style: MapStyle) -> dict:
    return {
        "title": {"text": style.colorbar_title, "side": "top"},
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
) -> list[tuple[tuple[str | int, ...], object]]:
    """(path into the figure, new value) pairs that recolour a drawn ``map_figure``.

    ``values`` must list the same areas in the same order as the drawn figure. The page
    applies the pairs to a ``dash.Patch`` (this module cannot import Dash): about a
    kilobyte on the wire instead of every polygon again.
    """
    n_areas = len(values)
    style = map_style(
        values, metric, lang=lang, show_labels=_show_labels(n_areas, show_labels), alt_program=alt_program,
        labels=labels,
    )
    paths: list[tuple[tuple[str | int, ...], object]] = []
    for i in range(n_areas):
        paths.append((("data", i, "fillcolor"), style.fillcolors[i]))
        paths.append((("data", i, "text"), style.hovertexts[i]))
    paths.append((("data", n_areas, "text"), list(style.labels)))
    paths.append((("data", n_areas, "textfont", "color"), list(style.label_colors)))
    marker: tuple[str | int, ...] = ("data", n_areas + 1, "marker")
    paths.append(((*marker, "cmin"), style.cmin))
    paths.append(((*marker, "cmax"), style.cmax))
    paths.append(((*marker, "color"), [style.cmin]))
    paths.append(((*marker, "colorbar"), _colorbar(style)))
    return paths


def _show_labels(n_areas: int, requested: bool | None) -> bool:
    """Area labels by default only when few enough to stay legible (districts, not precincts)."""
    return n_areas <= MAX_LABELLED_AREAS if requested is None else requested
