"""How a map looks for one view: fill colours, colour bar, labels, hover texts, the legend in words.

Everything here changes with the filters, so a page patches it into a drawn map
(``maps.map_patch_paths``) without resending the shapes. The sequential scale is
ColorBrewer's YlGnBu, safe for colour-blind readers, with the fill colour computed here
in Python; ``map_legend`` says in words what the colours show. Kept apart from the
drawing (``maps``), which lays the shapes out once per city and level.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd
from plotly.colors import sample_colorscale, unlabel_rgb

from dashboard.contract.schema import ResponseType
from dashboard.figures.base import NO_VALUE_COLOR, TEXT_DARK, TEXT_LIGHT, program_label
from dashboard.figures.mapvalues import MAP_REASONS, MapMetric, format_map_value
from dashboard.i18n import fmt_int, t

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


#: Neighborhood names a hover lists before "and N more".
HOVER_NEIGHBORHOODS = 4


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
    names = getattr(row, "neighborhoods", ())
    if names:
        shown = ", ".join(names[:HOVER_NEIGHBORHOODS])
        more = len(names) - HOVER_NEIGHBORHOODS
        key = "figure.map.hover.neighborhoods_more" if more > 0 else "figure.map.hover.neighborhoods"
        lines.append(t(key, lang, names=shown, more=more))
    known = row.population is not None and row.population == row.population  # None or NaN: unknown
    if known and (metric == "per_1000" or row.reason == "low_population"):
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
    zoomed = zoomed_ids(values["area_id"], zoom_to)
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


def zoomed_ids(area_ids: Iterable[object], zoom_to: Collection[str] | None) -> set[str]:
    """The ids of ``zoom_to`` among ``area_ids`` when they are some but not all of them
    (a zoom), else the empty set (the whole map is shown)."""
    ids = {str(a) for a in area_ids}
    chosen = ids & {str(z) for z in zoom_to or ()}
    return chosen if 0 < len(chosen) < len(ids) else set()
