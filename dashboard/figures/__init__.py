"""Pure figure builders: small DataFrame in, ``plotly.graph_objects.Figure`` out.

No I/O, no filtering, no Dash: a notebook or the CLI can call these with the frames
``dashboard.queries.overview`` returns, and the unit tests assert on ``fig.to_dict()``.
Figures are built by hand from ``go`` traces rather than plotly express: ``px`` costs
about five times as much per figure, and every filter change rebuilds them.

Only trace types in plotly.js's *basic* bundle are used (scatter, bar), because that
is the only bundle the app serves (see docs/architecture.md "Payload"). Maps are filled scatter
traces, not ``go.Choropleth`` or map tiles, so they draw offline and under a strict
Content-Security-Policy.

Colours are fixed per program (Okabe-Ito palette, distinguishable with the common
colour-vision deficiencies) and every line also has its own dash pattern, so no
information is carried by colour alone. The map's sequential scale is ColorBrewer's
YlGnBu, also safe for colour-blind readers, with the fill colour computed here in
Python so a filter change can patch colours without resending shapes.

The package splits by figure: ``base`` (colours, names, layout), ``trend`` (the
monthly series), the area maps (``mapvalues``: the number each area is coloured by;
``mapstyle``: colours, labels, hover texts and legend; ``maps``: the drawing and its
patch), ``coverage`` (weekday x hour heatmaps), ``planner`` (the planner's bars),
``outcomes`` (outcome shares) and ``flow`` (the category -> program -> outcome flow).
Pages import from here. Every module is pure: none reads the store (an
import-linter contract holds it); a view's map data (store and boundary files) is
assembled by the view model ``dashboard.views.mapview``, for the Overview and the API alike.
"""

from dashboard.figures.base import (
    FONT_FAMILY,
    NO_VALUE_COLOR,
    PROGRAM_COLORS,
    PROGRAM_DASHES,
    TEXT_DARK,
    TEXT_LIGHT,
    category_label,
    empty_figure,
    month_label,
    period_label,
    program_label,
)
from dashboard.figures.coverage import COVERAGE_HEIGHT, coverage_figure, coverage_legend, duty_runs
from dashboard.figures.flow import FLOW_HEIGHT, flow_figure
from dashboard.figures.maps import (
    MAP_HEIGHT,
    MapDrawing,
    PatchOperations,
    map_bounds,
    map_figure,
    map_patch_paths,
)
from dashboard.figures.mapstyle import MAP_SCALE, MapStyle, map_legend, map_style
from dashboard.figures.mapvalues import (
    MAP_METRICS,
    MAP_REASONS,
    MapAreaLike,
    MapMetric,
    format_map_value,
    map_metric_values,
)
from dashboard.figures.outcomes import OUTCOME_COLORS, outcome_figure, outcome_label
from dashboard.figures.planner import PLANNER_PARTS, PLANNER_SEGMENTS, planner_figure, planner_parts
from dashboard.figures.trend import TIME_SERIES_HEIGHT, monthly_figure

__all__ = [
    "COVERAGE_HEIGHT",
    "FLOW_HEIGHT",
    "FONT_FAMILY",
    "MAP_HEIGHT",
    "MAP_METRICS",
    "MAP_REASONS",
    "MAP_SCALE",
    "NO_VALUE_COLOR",
    "OUTCOME_COLORS",
    "PLANNER_PARTS",
    "PLANNER_SEGMENTS",
    "PROGRAM_COLORS",
    "PROGRAM_DASHES",
    "TEXT_DARK",
    "TEXT_LIGHT",
    "TIME_SERIES_HEIGHT",
    "MapAreaLike",
    "MapMetric",
    "MapStyle",
    "coverage_figure",
    "coverage_legend",
    "duty_runs",
    "empty_figure",
    "flow_figure",
    "format_map_value",
    "map_bounds",
    "map_figure",
    "map_legend",
    "map_metric_values",
    "map_patch_paths",
    "MapDrawing",
    "PatchOperations",
    "map_style",
    "month_label",
    "monthly_figure",
    "outcome_figure",
    "outcome_label",
    "planner_figure",
    "planner_parts",
    "program_label",
    "category_label",
    "period_label",
]
