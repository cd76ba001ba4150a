"""Maps as filled scatter traces (not ``go.Choropleth`` or map tiles), so they draw offline,
under a strict Content-Security-Policy, with plotly.js's basic bundle.

The sequential scale is ColorBrewer's YlGnBu, safe for colour-blind readers, with the
fill colour computed here in Python so a filter change can patch colours without
resending shapes.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import sample_colorscale, unlabel_rgb

from dashboard.contract.schema import ResponseType
from dashboard.figures.base import (
    NO_VALUE_COLOR,
    TEXT_DARK,
    TEXT_LIGHT,
    base_layout,
    empty_figure,
    make_figure,
    program_label,
)
from dashboard.i18n import fmt_decimal, fmt_int, fmt_pct, t

MapMetric = Literal["count", "per_1000", "alt_share", "median_minutes"]
MAP_METRICS: tuple[MapMetric, ...] = ("count", "per_1000", "alt_share", "median_minutes")
#: Why an area has no value (``map_metric_values``'s ``reason``), in the order notes list them.
MAP_REASONS: tuple[str, ...] = (
    "not_selected", "unpublished", "low_population", "no_eligible", "no_minutes", "no_timed_calls",
)

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
#: Margin around the drawn areas, as a share of their width/height: a sliver around the
#: whole city (so edge lines are not cut), more around a zoomed selection (its
#: neighbours stay in sight, grey, for orientation).
FULL_PAD = 0.02
ZOOM_PAD = 0.12


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
    eligible_answered, suppressed_cells), for ``median_minutes`` merged with
    ``queries.map_minutes`` (median_minutes, timed_calls); areas it lacks had no calls
    and get zeros, rows for unknown areas (e.g. ``citywide``) are ignored. ``value`` is
    NaN where it is not defined, and ``reason`` says why: ``low_population`` (a per-1,000
    rate over fewer residents than the threshold would mislead) or ``no_eligible`` (a
    share of zero eligible calls) or ``not_selected`` (an area in ``excluded``, outside
    the districts the filters select: a zero there would read as "no calls") or
    ``unpublished`` (an area the release never publishes separately, because every one of
    its rows was generalized to city level for privacy) or ``no_minutes`` (response
    times asked of a layer published without them, the precincts: ``values_df`` has no
    ``median_minutes`` column) or ``no_timed_calls`` (no call there has a recorded
    time); it is ``""`` where there is a value. ``roomy`` marks areas wide enough
    (``ROOMY_AREA_WIDTH`` of the map) to print their value on the map without it running
    into the neighbours' labels.
    """
    if metric not in MAP_METRICS:
        raise ValueError(f"unknown map metric {metric!r}")
    by_id = {str(row.area_id): row for row in values_df.itertuples(index=False)}
    has_minutes = "median_minutes" in values_df.columns
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
        median = float(row.median_minutes) if has_minutes and row is not None else math.nan
        timed = int(row.timed_calls) if has_minutes and row is not None and not math.isnan(median) else 0
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
        elif metric == "median_minutes":
            if not has_minutes:
                reason = "no_minutes"
            elif math.isnan(median):
                reason = "no_timed_calls"
            else:
                value = median
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
                "timed_calls": timed,
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
        "timed_calls",
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
        return fmt_decimal(value, lang)
    if metric == "median_minutes":
        return t("figure.map.minutes", lang, minutes=fmt_int(value, lang))
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
    show_scale: bool  # False when no area has a value (a colour bar would explain nothing)


def _luminance(rgb: str) -> float:
    r, g, b = (c / 255 for c in unlabel_rgb(rgb))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _scale(finite: Sequence[float], metric: MapMetric) -> tuple[float, float, bool]:
    """(cmin, cmax, capped) for the ascending finite values of ``metric`` (see ``map_style``)."""
    if metric == "alt_share":
        return 0.0, 1.0, False
    cmax = max(finite[-1] if finite else 0.0, 1.0)
    p90 = _percentile(finite, 0.9)
    if len(finite) >= 5 and p90 > 0 and cmax > 2 * p90:
        return 0.0, p90, True
    return 0.0, cmax, False


def _hover(row: object, metric: MapMetric, missing: bool, lang: str, program: str, hint: str | None) -> str:
    """The hover text of one area: its value (or "no value"), the counts behind it, why it
    is grey, what is hidden for privacy (the counts are then lower bounds: "at least"),
    and ``hint``. Areas outside the selection or never published get no call count: a
    zero there would read as "no calls"."""
    hidden = row.suppressed_cells > 0
    if missing:
        value_line = t("figure.map.hover.no_value", lang)
    else:
        key = f"at_least.{metric}" if hidden and metric in ("count", "per_1000") else metric
        value_line = t(f"figure.map.hover.{key}", lang, value=format_map_value(row.value, metric, lang),
                       program=program)
    lines = [f"<b>{row.name}</b>", value_line]
    counted = row.reason not in ("not_selected", "unpublished")
    if counted and (metric != "count" or missing):
        calls = fmt_int(row.calls, lang)
        lines.append(t("figure.map.hover.calls_at_least" if hidden else "figure.map.hover.calls", lang,
                       calls=calls))
    if metric == "alt_share" and not missing:
        lines.append(
            t(
                "figure.map.hover.eligible",
                lang,
                answered=fmt_int(row.eligible_answered, lang),
                eligible=fmt_int(row.eligible, lang),
            )
        )
    if metric == "median_minutes" and not missing:
        lines.append(t("figure.map.hover.timed_calls", lang, calls=fmt_int(row.timed_calls, lang)))
    if metric == "per_1000" or row.reason == "low_population":
        lines.append(t("figure.map.hover.population", lang, population=fmt_int(row.population, lang)))
    if row.reason:
        lines.append("<i>" + t(f"figure.map.hover.reason.{row.reason}", lang) + "</i>")
    if hidden and counted:
        kind = "hidden_cells_share" if metric == "alt_share" else "hidden_cells"
        if row.suppressed_cells == 1:
            kind += "_one"
        cells = fmt_int(row.suppressed_cells, lang)
        lines.append("<i>" + t(f"figure.map.hover.{kind}", lang, cells=cells) + "</i>")
    if hint:
        lines.append("<i>" + hint + "</i>")
    return "<br>".join(lines)


def map_style(
    values: pd.DataFrame,
    metric: MapMetric,
    *,
    lang: str,
    show_labels: bool,
    alt_program: ResponseType = ResponseType.STAR,
    labels: Mapping[str, str] | None = None,
    hover_hint: str | None = None,
    zoom_to: Collection[str] | None = None,
) -> MapStyle:
    """Fill colours, hover texts, label texts and colour-bar range for ``values``.

    Count, rate and minutes scales run from 0 to the largest value shown (darker: more
    calls, a higher rate, a slower median), unless that value is an outlier (more than
    twice the 90th percentile, e.g. the downtown precinct's rate over its few residents):
    then the scale stops at the 90th percentile, the outlier gets the darkest colour and
    the colour bar's last label reads "N+". The share scale is always 0-100 % so its
    colours mean the same thing whatever the filters. ``alt_program`` names the city's
    alternative program in the share's texts. ``hover_hint`` ends every hover text (the
    Overview says a click opens the district's page). On a map zoomed to some areas
    (``zoom_to``, see ``map_bounds``) only those are labelled: the neighbours around
    them are cut by the frame, and so would their labels be.
    """
    program = program_label(alt_program, lang, labels)
    finite = sorted(float(v) for v in values["value"] if not pd.isna(v))
    cmin, cmax, capped = _scale(finite, metric)
    zoomed = _zoomed(values["area_id"], zoom_to)
    fills, hovers, texts, label_colors = [], [], [], []
    for row in values.itertuples(index=False):
        missing = pd.isna(row.value)
        if missing:
            fill = NO_VALUE_COLOR
        else:
            position = min(max((float(row.value) - cmin) / (cmax - cmin), 0.0), 1.0)
            fill = sample_colorscale(list(MAP_SCALE), [position])[0]
        fills.append(fill)
        label_colors.append(TEXT_LIGHT if _luminance(fill) < 0.45 else TEXT_DARK)
        hovers.append(_hover(row, metric, missing, lang, program, hover_hint))
        short = row.area_id if len(row.area_id) <= 3 else row.name
        if not show_labels or (zoomed and row.area_id not in zoomed):
            texts.append("")
        else:
            shown = format_map_value(row.value, metric, lang)
            texts.append(f"<b>{short}</b><br>{shown}" if row.roomy and not missing else f"<b>{short}</b>")
    tickvals, ticktext = _colorbar_ticks(cmax, metric, capped, lang)
    return MapStyle(
        fillcolors=tuple(fills),
        hovertexts=tuple(hovers),
        labels=tuple(texts),
        label_colors=tuple(label_colors),
        cmin=cmin,
        cmax=float(cmax),
        colorbar_title=t(f"figure.map.colorbar.{metric}", lang, program=program),
        tickvals=tickvals,
        ticktext=ticktext,
        capped=capped,
        show_scale=bool(finite),
    )


def map_legend(
    values: pd.DataFrame,
    metric: MapMetric,
    *,
    lang: str,
    alt_program: ResponseType = ResponseType.STAR,
    labels: Mapping[str, str] | None = None,
) -> str:
    """The colour scale in words, for readers who cannot tell the colours apart.

    e.g. "Lighter areas had fewer calls, darker more: from 412 (District 1) to 3,905
    (District 6). Grey areas have no value: ..." The lowest and highest values are named
    with their areas (ties: the first two, then "and N more"); a capped scale says its
    darkest colour also covers everything above the cap; grey areas are explained by
    their reasons (``figure.map.hover.reason.*``).
    """
    program = program_label(alt_program, lang, labels)
    shown = values[~values["value"].isna()]
    finite = sorted(float(v) for v in shown["value"])
    sentences: list[str] = []
    if not finite:
        sentences.append(t("figure.map.legend.none", lang))
    else:
        low, high = finite[0], finite[-1]

        def named(value: float) -> str:
            names = [str(n) for n, v in zip(shown["name"], shown["value"], strict=True) if float(v) == value]
            text = ", ".join(names[:2])
            if len(names) > 2:
                text += " " + t("figure.map.legend.more", lang, n=len(names) - 2)
            return f"{format_map_value(value, metric, lang)} ({text})"

        if len(finite) == 1:
            sentences.append(t("figure.map.legend.one", lang, value=named(low)))
        elif low == high:
            sentences.append(t("figure.map.legend.same", lang, value=named(low)))
        else:
            sentences.append(
                t(f"figure.map.legend.{metric}", lang, low=named(low), high=named(high), program=program)
            )
        _, cmax, capped = _scale(finite, metric)
        if capped:
            sentences.append(t("figure.map.legend.capped", lang, value=format_map_value(cmax, metric, lang)))
    reasons = [r for r in MAP_REASONS if r in set(values["reason"])]
    if reasons:
        grey = [t("map.grey_note", lang)] if finite else []  # all grey: "no value" was just said
        sentences.append(" ".join([*grey, *(t(f"figure.map.hover.reason.{r}", lang) for r in reasons)]))
    return " ".join(sentences)


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
    whole = metric in ("count", "median_minutes")
    if metric == "alt_share":
        values = [0.0, 0.25, 0.5, 0.75, 1.0]
    else:
        step = _nice_step(cmax)
        if whole:
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


def _zoomed(area_ids: Iterable[object], zoom_to: Collection[str] | None) -> set[str]:
    """The ids of ``zoom_to`` among ``area_ids`` when they are some but not all of them
    (a zoom), else the empty set (the whole map is shown)."""
    ids = {str(a) for a in area_ids}
    chosen = ids & {str(z) for z in zoom_to or ()}
    return chosen if 0 < len(chosen) < len(ids) else set()


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
    wanted = _zoomed((a.id for a in areas), zoom_to)
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
    shown_areas = len(_zoomed((a.id for a in areas), zoom_to)) or len(areas)
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
    shown_areas = len(_zoomed(values["area_id"], zoom_to)) or n_areas
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
