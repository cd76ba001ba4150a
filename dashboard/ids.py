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
NAV_LINK = "nav-link"  # the type of a nav link's pattern-matching id: it keeps the view's context
NAV_CONTEXT = "nav-context"  # the parameters a link keeps (params.context), for assets/context.js

# --- any data page (dashboard/components/page.py, dashboard/release_scope.py) ----------
PAGE_RELEASE = "page-release"  # the releases the page was rendered with (its callbacks' too)
PAGE_RELOAD = "page-reload"  # set by a callback whose page's releases are gone: reload it
RELEASE_NOTICE = "release-notice"  # "the newest release failed its check; showing the previous"

# --- collapsible panels and share bar (components) ---
COLLAPSE_TOGGLE = "collapse-toggle"  # the type of a toggle's pattern-matching id
# --- filter bars' "only this" and "all" buttons (components/filter_shortcuts.py) -------
FILTER_SHORTCUT = "filter-shortcut"  # the type of a shortcut button's pattern-matching id

# --- overview page (dashboard/pages/overview.py, pages/layouts/overview.py,
# --- components/filter_bar.py) ------------------------------------------------------
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
OVERVIEW_DATA_LINK = "overview-data-link"

# --- outcomes page (dashboard/pages/outcomes.py, pages/layouts/outcomes.py) -----------
OUTCOMES_NAV = "outcomes-nav"  # a dcc.Location: controls navigate to the new address
OUTCOMES_STATE = "outcomes-state"
OUTCOMES_CONTROLS = "outcomes-controls"  # the collapsible panel of the controls
OUTCOMES_HEADING = "outcomes-heading"
OUTCOMES_HEADLINE = "outcomes-headline"
OUTCOMES_SCOPE = "outcomes-scope"
OUTCOMES_CITY = "outcomes-city"
OUTCOMES_START = "outcomes-start"
OUTCOMES_END = "outcomes-end"
OUTCOMES_FILTERS_SUMMARY = "outcomes-filters-summary"  # on the phone's toggle button
OUTCOMES_PROGRAMS = "outcomes-programs"
OUTCOMES_DISTRICTS = "outcomes-districts"
OUTCOMES_DISTRICTS_GROUP = "outcomes-districts-group"
OUTCOMES_CATEGORIES = "outcomes-categories"
OUTCOMES_COMPARE = "outcomes-compare"
OUTCOMES_CAVEAT = "outcomes-caveat"
OUTCOMES_BARS_SECTION = "outcomes-bars"
OUTCOMES_BARS_GRAPH = "outcomes-bars-graph"
OUTCOMES_BARS_TABLE = "outcomes-bars-table"
OUTCOMES_BARS_SUMMARY = "outcomes-bars-summary"
OUTCOMES_FLAGS = "outcomes-flags"
OUTCOMES_FLAGS_TABLE = "outcomes-flags-table"
OUTCOMES_PERIOD_SECTION = "outcomes-period"  # outcomes by day and at night
OUTCOMES_PERIOD_SUMMARY = "outcomes-period-summary"
OUTCOMES_PERIOD_TABLE = "outcomes-period-table"
OUTCOMES_PERIOD_DOWNLOAD = "outcomes-period-download"
OUTCOMES_FLOW_SECTION = "outcomes-flow"
OUTCOMES_FLOW_GRAPH = "outcomes-flow-graph"
OUTCOMES_FLOW_TABLE = "outcomes-flow-table"
OUTCOMES_FLOW_SUMMARY = "outcomes-flow-summary"
OUTCOMES_DOWNLOAD_ROWS = "outcomes-download-rows"
OUTCOMES_RELEASE = "outcomes-release"

# --- district page (dashboard/pages/district.py, pages/layouts/district.py) -----------
DISTRICT_NAV = "district-nav"  # a dcc.Location: every control navigates to the new address
DISTRICT_CONTROLS = "district-controls"
DISTRICT_HEADING = "district-heading"
DISTRICT_TO_OUTCOMES = "district-to-outcomes"  # Outcomes with this district chosen
DISTRICT_SUMMARY = "district-summary"
DISTRICT_AREA = "district-area"
DISTRICT_START = "district-start"
DISTRICT_END = "district-end"
DISTRICT_PLAN_ACTIVE = "district-plan-active"  # the shifts the URL adds, and the language
DISTRICT_PLAN_FROM = "district-plan-from"
DISTRICT_PLAN_TO = "district-plan-to"
DISTRICT_PLAN_DAYS = "district-plan-days"
DISTRICT_PLAN_VANS = "district-plan-vans"
DISTRICT_PLAN_RUN = "district-plan-run"
DISTRICT_PLAN_RESULT = "district-plan-result"
DISTRICT_PLAN_SHIFTS = "district-plan-shifts"
DISTRICT_COMPARISON = "district-comparison"
DISTRICT_RANKING = "district-ranking"
DISTRICT_COVERAGE_GRAPH = "district-coverage-graph"
DISTRICT_COVERAGE_TABLE = "district-coverage-table"
DISTRICT_OUT_OF_HOURS = "district-out-of-hours"
DISTRICT_TREND_GRAPH = "district-trend-graph"
DISTRICT_TREND_TABLE = "district-trend-table"
DISTRICT_MAP_GRAPH = "district-map-graph"
DISTRICT_MAP_TABLE = "district-map-table"
DISTRICT_PLANNER_GRAPH = "district-planner-graph"
DISTRICT_PLANNER_TABLE = "district-planner-table"
DISTRICT_PRINT_META = "district-print-meta"
DISTRICT_RELEASE = "district-release"
DISTRICT_COVERAGE_SECTION = "district-coverage"
DISTRICT_NIGHT_SECTION = "district-night"
DISTRICT_NIGHT_FIGURE = "district-night-figure"
DISTRICT_MAP_SECTION = "district-map"
DISTRICT_PLANNER = "planner"  # the planner card: /district/3#planner

# --- data page (dashboard/pages/data.py) ----------------------------------------------
DATA_HEADING = "data-heading"
DATA_NOTICE = "data-notice"
DATA_RELEASE = "data-release"
DATA_FILES = "data-files"
DATA_DICTIONARY = "data-dictionary"
DATA_TABLES = "data-tables"

# --- methodology page (dashboard/pages/methodology.py) --------------------------------
METHOD_HEADING = "method-heading"
METHOD_OUTCOMES = "method-outcomes"
METHOD_PRIVACY = "method-privacy"
#: What an attacker can and cannot learn (issue 12): linked from the Data page and README.
METHOD_ATTACKER = "attacker"
# Section anchors other pages link to (``/methodology#planner``): keep them stable.
METHOD_COVERAGE = "coverage"
METHOD_COUNCIL = "council-districts"
METHOD_PLANNER = "planner"
METHOD_RATES = "rates"
METHOD_IMPACT = "impact"
#: Hidden store whose first render triggers the scroll to the address's anchor.
METHOD_SCROLL = "method-scroll"

# --- releases page (dashboard/pages/releases.py) --------------------------------------
RELEASES_HEADING = "releases-heading"
RELEASES_NOTICE = "releases-notice"
RELEASES_LIST = "releases-list"

# --- share bar (dashboard/components/share.py) ----------------------------------------
SHARE_COPY = "share-copy"
SHARE_PRINT = "share-print"
SHARE_STATUS = "share-status"
SHARE_LINK_BOX = "share-link-box"  # also named in assets/share.js
SHARE_COPIED_TEXT = "share-copied-text"
SHARE_FAILED_TEXT = "share-failed-text"

# --- Districts page (/districts): every district, and "Find my area" ------------------------
DISTRICTS_NAV = "districts-nav"  # a dcc.Location: the search navigates to its answer's address
DISTRICTS_SEARCH = "districts-search"
DISTRICTS_SEARCH_LIST = "districts-search-list"
DISTRICTS_FIND = "districts-find"
DISTRICTS_ANSWER = "districts-answer"
DISTRICTS_POLICE = "districts-police"
DISTRICTS_COUNCIL = "districts-council"
DISTRICTS_STATE = "districts-state"  # the page's city and language, for the search callback

# Impact (/impact)
IMPACT_HEADING = "impact-heading"
IMPACT_NOTICE = "impact-notice"
IMPACT_MISSING = "impact-missing"
IMPACT_GROUPS = "impact-groups"
IMPACT_HEADLINE = "impact-headline"
IMPACT_WARNINGS = "impact-warnings"
IMPACT_AREA = "impact-area"
IMPACT_TYPES = "impact-types"
IMPACT_EVENT_SECTION = "impact-event"
IMPACT_EVENT_GRAPH = "impact-event-graph"
IMPACT_EVENT_TABLE = "impact-event-table"
IMPACT_CHECKS = "impact-checks"
IMPACT_ESTIMATES = "impact-estimates"
IMPACT_MONTHLY_GRAPH = "impact-monthly-graph"
IMPACT_MONTHLY_TABLE = "impact-monthly-table"
IMPACT_LIMITS = "impact-limits"
IMPACT_READINGS = "impact-readings"
IMPACT_SOURCE = "impact-source"
IMPACT_DOWNLOAD = "impact-download"  # + "-<file>"
IMPACT_COSTS = "impact-costs"
IMPACT_COST_TABLE = "impact-cost-table"
IMPACT_COST_NOTE = "impact-cost-note"
IMPACT_REPEAT = "impact-repeat"
IMPACT_REPEAT_HEADLINE = "impact-repeat-headline"
IMPACT_REPEAT_TABLE = "impact-repeat-table"
IMPACT_REPEAT_NOTE = "impact-repeat-note"
IMPACT_REPEAT_DOWNLOAD = "impact-repeat-download"
IMPACT_OFFICER = "impact-officer"
IMPACT_OFFICER_HEADLINE = "impact-officer-headline"
IMPACT_OFFICER_GRAPH = "impact-officer-graph"
IMPACT_OFFICER_TABLE = "impact-officer-table"
IMPACT_OFFICER_DISTRICTS = "impact-officer-districts"
IMPACT_OFFICER_INPUTS = "impact-officer-inputs"
IMPACT_OFFICER_NOTE = "impact-officer-note"
IMPACT_OFFICER_DOWNLOAD = "impact-officer-download"
