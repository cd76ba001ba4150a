"""Every Dash component id, in one place, prefixed by the page that owns it.

Dash ids share one namespace across all pages of the app; a typo in a callback's id
fails only at run time. Naming them here makes collisions impossible to write and
lets tests find elements by the same constants (``#overview-city``).
"""

from __future__ import annotations

# --- app shell (dashboard/app.py) ---------------------------------------------------
SHELL_NAV = "shell-nav"
SHELL_MAIN = "main"  # target of the "Skip to main content" link
SHELL_FOOTER = "shell-footer"
LANG_SWITCH = "lang-switch"

# --- any data page (dashboard/components/page.py, dashboard/release_scope.py) ----------
PAGE_RELEASE = "page-release"  # the releases the page was rendered with (its callbacks' too)
PAGE_RELOAD = "page-reload"  # set by a callback whose page's releases are gone: reload it
RELEASE_NOTICE = "release-notice"  # "the newest release failed its check; showing the previous"

# --- overview page (dashboard/pages/overview.py) -------------------------------------
OVERVIEW_URL = "overview-url"
OVERVIEW_LANG = "overview-lang"
OVERVIEW_BANNER = "overview-banner"
OVERVIEW_HEADING = "overview-heading"
OVERVIEW_SUMMARY = "overview-summary"
OVERVIEW_NOTICE = "overview-notice"
OVERVIEW_RELEASE = "overview-release"

OVERVIEW_FILTERS = "overview-filters"
OVERVIEW_FILTERS_SUMMARY = "overview-filters-summary"  # on the phone's "Filters" button
OVERVIEW_CITY = "overview-city"
OVERVIEW_START = "overview-start"
OVERVIEW_END = "overview-end"
OVERVIEW_PROGRAMS = "overview-programs"
OVERVIEW_DISTRICTS = "overview-districts"
OVERVIEW_DISTRICTS_GROUP = "overview-districts-group"
OVERVIEW_CATEGORIES = "overview-categories"

OVERVIEW_KPIS = "overview-kpis"

OVERVIEW_TREND_GRAPH = "overview-trend-graph"
OVERVIEW_TREND_TABLE = "overview-trend-table"
OVERVIEW_MILESTONES = "overview-milestones"

OVERVIEW_PROGRAM_TABLE = "overview-program-table"

OVERVIEW_MAP_SECTION = "overview-map-section"
OVERVIEW_MAP_CONTROLS = "overview-map-controls"
OVERVIEW_MAP_METRIC = "overview-map-metric"
OVERVIEW_MAP_LEVEL = "overview-map-level"
OVERVIEW_MAP_GRAPH = "overview-map-graph"
OVERVIEW_MAP_WRAP = "overview-map-wrap"
OVERVIEW_MAP_TABLE = "overview-map-table"
OVERVIEW_MAP_NOTES = "overview-map-notes"
OVERVIEW_MAP_KEY = "overview-map-key"
OVERVIEW_MAP_GO = "overview-map-go"  # a dcc.Location: a map click opens a district page
# Downloads (links to the API carrying the view's filters)
OVERVIEW_DOWNLOADS = "overview-downloads"
OVERVIEW_DOWNLOAD_ROWS = "overview-download-rows"
OVERVIEW_DOWNLOAD_KPIS = "overview-download-kpis"
OVERVIEW_DOWNLOAD_SUMMARY = "overview-download-summary"
OVERVIEW_DOWNLOAD_NOTE = "overview-download-note"
OVERVIEW_TREND_DOWNLOAD = "overview-trend-download"
OVERVIEW_PROGRAMS_DOWNLOAD = "overview-programs-download"
OVERVIEW_MAP_DOWNLOAD = "overview-map-download"

# --- outcomes page (dashboard/pages/outcomes.py) -------------------------------------
OUTCOMES_NAV = "outcomes-nav"  # a dcc.Location: controls navigate to the new address
OUTCOMES_STATE = "outcomes-state"
OUTCOMES_HEADING = "outcomes-heading"
OUTCOMES_HEADLINE = "outcomes-headline"
OUTCOMES_SCOPE = "outcomes-scope"
OUTCOMES_CITY = "outcomes-city"
OUTCOMES_START = "outcomes-start"
OUTCOMES_END = "outcomes-end"
OUTCOMES_DISTRICT = "outcomes-district"
OUTCOMES_COMPARE = "outcomes-compare"
OUTCOMES_CAVEAT = "outcomes-caveat"
OUTCOMES_BARS_GRAPH = "outcomes-bars-graph"
OUTCOMES_BARS_TABLE = "outcomes-bars-table"
OUTCOMES_BARS_SUMMARY = "outcomes-bars-summary"
OUTCOMES_FLAGS_TABLE = "outcomes-flags-table"
OUTCOMES_FLOW_GRAPH = "outcomes-flow-graph"
OUTCOMES_FLOW_TABLE = "outcomes-flow-table"
OUTCOMES_FLOW_SUMMARY = "outcomes-flow-summary"
OUTCOMES_DOWNLOAD_ROWS = "outcomes-download-rows"
OUTCOMES_RELEASE = "outcomes-release"
