"""The data contract: the one place that names the release's columns, types and values.

Pages, API, downloads, the sample generator, the release builder and the tests all
import these definitions; nothing else may hard-code a list of column names. The
data dictionary (``data_dictionary.json``/``.md`` in every release) is generated
from this module, so the published description cannot drift from the code.

The descriptions here are English, and the release files stay English. The /data page
shows them in the reader's language through the message catalogs (``schema.column.<name>``,
``schema.table.<name>``, ``schema.derived.<name>`` in ``dashboard/i18n/*.json``), whose
English must equal this module's text (``tests/unit/test_i18n.py``): change a description
here and the test names the catalog entries (and their translations) to update.

A release has three kinds of table (see docs in README "Data model"):

* ``calls``: the public row-level file, one row per in-scope call at a coarse grain
  (ISO week or month x police district x call category x program x police backup),
  k-anonymous on those columns and with no sensitive outcome dominating any class.
* rollups: exact GROUP BYs of the ``calls`` rows, built once at release time so
  pages read a few thousand rows instead of millions. They hold nothing the rows
  do not, so every number they feed is reproducible from the CSV download; the one
  exception is ``rollup_minutes``, response minutes for the same rows (not in them).
* cubes: aggregates at grains finer than the rows (precinct, hour of day, council
  district), built from the same calls as the rows with small-cell suppression and
  complements chosen so that no hidden cell can be narrowed (``disclosure``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ResponseType(StrEnum):
    """Who answered the call."""

    STAR = "STAR"
    CO_RESPONDER = "CO_RESPONDER"
    CIT_OFFICER = "CIT_OFFICER"
    PATROL = "PATROL"


class Outcome(StrEnum):
    """What happened after the response (public categories)."""

    RESOLVED_ON_SCENE = "resolved_on_scene"
    REFERRED_TO_SERVICES = "referred_to_services"
    TRANSPORTED_SHELTER = "transported_shelter"
    TRANSPORTED_HOSPITAL = "transported_hospital"
    TRANSPORTED_DETOX = "transported_detox"
    MENTAL_HEALTH_HOLD = "mental_health_hold"
    CITATION = "citation"
    ARREST = "arrest"
    GONE_ON_ARRIVAL = "gone_on_arrival"
    REFUSED = "refused"
    #: The export holds no outcome for the call (a "-" disposition, say). Shares are of
    #: the calls with an outcome recorded; these are counted beside them, never as one.
    NOT_RECORDED = "not_recorded"


class UnansweredReason(StrEnum):
    """Why an eligible call was not answered by the alternative team."""

    OUT_OF_HOURS = "out_of_hours"
    OUTSIDE_SERVICE_AREA = "outside_service_area"
    NO_TEAM_AVAILABLE = "no_team_available"
    SAFETY_SCREEN = "safety_screen"
    UNKNOWN = "unknown"


class CallCategory(StrEnum):
    """Public call categories (a city's config maps its own call types onto these)."""

    WELFARE_CHECK = "welfare_check"
    MENTAL_HEALTH = "mental_health"
    SUICIDAL_THREAT = "suicidal_threat"
    INTOXICATION = "intoxication"
    TRESPASS = "trespass_unwanted_person"
    DISTURBANCE = "disturbance"
    INDECENT_EXPOSURE = "indecent_exposure"
    PUBLIC_ASSIST = "public_assist"
    OTHER = "other"  # not otherwise classified, or generalized for privacy


class TimeGrain(StrEnum):
    """How precise a row's ``week`` is: generalized rows carry the first day of the month."""

    WEEK = "week"
    MONTH = "month"


#: District value of rows placed only at city level: the city has no district
#: geography, or privacy generalization moved the row up from its district.
CITYWIDE = "citywide"

#: Responses that are not ordinary patrol, in display order.
PROGRAMS: tuple[ResponseType, ...] = tuple(ResponseType)


@dataclass(frozen=True)
class Column:
    """One published column: its name, storage type, values and meaning."""

    name: str
    dtype: str  # "string" | "date" | "bool" | "int"
    description: str
    nullable: bool = False
    values: tuple[str, ...] = ()


CALLS_COLUMNS: tuple[Column, ...] = (
    Column("call_id", "string", "Random identifier of this release row; never a CAD incident number."),
    Column("jurisdiction", "string", "City or county whose program answered, e.g. `denver`."),
    Column(
        "week",
        "date",
        "Monday of the local ISO week the call came in. Where `time_grain` is `month` the row was "
        "generalized for privacy and this is the first day of the month of that Monday.",
    ),
    Column(
        "time_grain",
        "string",
        "`week`, or `month` where the row was generalized for privacy.",
        values=tuple(TimeGrain),
    ),
    Column(
        "district",
        "string",
        "The area the call came from, at the level the city reports: its police districts, beats "
        "or zones (each city's own word for them is noted with the city). "
        f"`{CITYWIDE}` where the city has no districts or the row was generalized to city level "
        "for privacy.",
    ),
    Column("call_category", "string", "Public call category.", values=tuple(CallCategory)),
    Column(
        "star_eligible",
        "bool",
        "The call met the alternative-response dispatch criteria in force (only assessed while "
        "the city's alternative program operates).",
    ),
    Column("response_type", "string", "Who answered the call.", values=tuple(ResponseType)),
    Column("outcome", "string", "What happened after the response.", values=tuple(Outcome)),
    Column("police_backup", "bool", "The alternative team asked for police."),
    Column(
        "unanswered_reason",
        "string",
        "For an eligible call the alternative team did not answer: why. Empty otherwise.",
        nullable=True,
        values=tuple(UnansweredReason),
    ),
    Column(
        "repeat_contact_90d",
        "bool",
        "The same person had an in-scope call in the prior 90 days (computed at ingest from a "
        "salted key that is never published).",
    ),
)

CALLS_COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in CALLS_COLUMNS)

#: Quasi-identifiers of the row-level file: k-anonymity is measured on these. Besides
#: when, where and what kind of call, they include what a neighbour or relative could see
#: of it: which team came (``response_type``) and whether police came to back it up
#: (``police_backup``). How many minutes the team took is seen too, and is so fine that
#: it would single out most calls: it is not in the rows at all (``rollup_minutes``).
QUASI_IDENTIFIERS: tuple[str, ...] = (
    "jurisdiction", "week", "time_grain", "district", "call_category", "response_type", "police_backup",
)

#: k of k-anonymity: every quasi-identifier class of the rows, and every published cube
#: cell, holds at least this many calls or is hidden (``dashboard.publish.privacy``). The
#: planner hides its small cells by the same k, so it lives with the contract.
DEFAULT_K = 11

#: Values of the rows' other columns that say something sensitive about a person (they
#: were arrested, held, taken to hospital or detox, cited, a repeat caller, screened out
#: as a safety risk). In every quasi-identifier class of the rows, each of these values
#: may hold at most ``privacy.ALPHA`` of the rows, so knowing which class a person's
#: call is in never tells an attacker such an outcome with more than that confidence.
SENSITIVE_VALUES: dict[str, tuple[str, ...]] = {
    "outcome": (
        "arrest", "citation", "mental_health_hold", "transported_hospital", "transported_detox",
    ),
    "repeat_contact_90d": ("true",),
    "unanswered_reason": ("safety_screen",),
}

#: Area, precinct and council-district value of the cubes for calls with no such place
#: (no precinct recorded, outside every council district): present so that a cube's
#: cells add up exactly to the totals the rows publish.
UNKNOWN_AREA = "unknown"

#: Columns of the internal (never published) frame that the release builder takes in,
#: beyond the public ones: the exact hour, finer places and the person key.
INTERNAL_EXTRA_COLUMNS: tuple[Column, ...] = (
    Column("received_hour", "timestamp", "Local time the call came in, truncated to the hour."),
    Column("precinct", "string", "Police precinct (may be empty where the city has none).", True),
    Column("neighborhood", "string", "Statistical neighborhood.", True),
    Column("council_district", "string", "City council district.", True),
    Column("person_key", "string", "Salted key of the person; used for repeat contacts only.", True),
    Column("busy_minutes", "int", "Whole minutes from the unit's dispatch to it clearing the call.", True),
    Column("followed_90d", "bool", "The same person had another crisis call within 90 days after this "
           "one; empty where no person is recorded or the 90 days run past the data.", True),
    Column(
        "response_minutes",
        "int",
        "Whole minutes from call received to first unit on scene; empty when no unit arrived. "
        "Published only as counts per minute (`rollup_minutes`), never in a row.",
        nullable=True,
    ),
)


@dataclass(frozen=True)
class Table:
    """A derived table of a release: its file stem, grouping columns and measure."""

    name: str
    dims: tuple[str, ...]
    description: str
    suppressed: bool  # True for cubes finer than the rows (small cells hidden)
    measures: tuple[str, ...] = ("n",)  # counts; see release.MEASURE_SQL
    #: A rollup that is an exact GROUP BY of the public rows (validate recomputes it);
    #: False for ``rollup_minutes``, built from the minutes the rows do not carry.
    from_rows: bool = True
    #: Groups of cells whose totals are public elsewhere (the rows, another cube, the
    #: cube's own coarser cells): complementary suppression keeps every such group at
    #: zero or at least two hidden cells, so no hidden cell is recovered by subtraction.
    margins: tuple[tuple[str, ...], ...] = ()


#: Rollups: exact aggregates of the published rows. ``month`` is the first day of the
#: month of the row's ``week`` (a week belongs to the month its Monday falls in).
ROLLUP_OVERVIEW = Table(
    "rollup_overview",
    ("jurisdiction", "month", "district", "call_category", "response_type", "star_eligible"),
    "Published rows (`n`), those ending in arrest (`arrests`) and those where the alternative "
    "team asked for police (`backups`) for each combination: the Overview's numbers, from a "
    "table a few thousand rows long however many calls there are.",
    suppressed=False,
    measures=("n", "arrests", "backups"),
)
ROLLUP_COUNTS = Table(
    "rollup_counts",
    (
        "jurisdiction",
        "month",
        "district",
        "call_category",
        "response_type",
        "star_eligible",
        "outcome",
        "police_backup",
        "repeat_contact_90d",
        "unanswered_reason",
    ),
    "Number of published rows (`n`) for each combination; sums reproduce any count on the pages.",
    suppressed=False,
)
ROLLUP_MINUTES = Table(
    "rollup_minutes",
    ("jurisdiction", "month", "district", "call_category", "response_type", "response_minutes"),
    "Calls of the published rows (`n`) at each whole response minute, by month, district, call "
    "category and program as the rows publish them: medians and percentiles. Minutes are not in "
    "the rows (to the minute they would single out most calls and, with them, their outcome), so "
    "this is the one table not computed from `calls`; its counts add up to at most the rows' "
    "(calls where no unit arrived have no minute).",
    suppressed=False,
    from_rows=False,
)
#: Cube finer than the rows: precinct (by the year of the week's Monday).
#: Cells with 1..k-1 calls have ``n`` empty and
#: ``suppressed`` true; complementary suppression protects district totals.
CUBE_PRECINCT = Table(
    "cube_precinct",
    ("jurisdiction", "year", "district", "precinct", "response_type", "star_eligible"),
    "Calls by police precinct and calendar year (`n`) of the calls the rows publish with their "
    "district (`unknown`: no precinct recorded; calls whose row is generalized to `citywide` are "
    "left out, as their precinct would give their district back), so a district's precincts add "
    "up to its rows. Small cells suppressed (`suppressed` = true, `n` empty). Yearly, because "
    "monthly precinct cells are mostly too small to publish.",
    suppressed=True,
    margins=(("jurisdiction", "year", "district", "response_type", "star_eligible"),),
)

#: ``area_type`` values of the coverage cube.
AREA_CITY = "city"
AREA_DISTRICT = "district"
AREA_COUNCIL = "council"
AREA_TYPES: tuple[str, ...] = (AREA_CITY, AREA_DISTRICT, AREA_COUNCIL)

CUBE_COVERAGE = Table(
    "cube_coverage",
    ("jurisdiction", "year", "area_type", "area", "weekday", "hour"),
    "Eligible calls (`n`) among the calls the rows publish, by weekday (0 = Monday) and local "
    "hour of the call (0-23), per calendar year, for the whole city (`area_type` = `city`, `area` "
    "= `citywide`), each police district as the rows publish it (`district`, `citywide` included) "
    "and each council district (`council`, placed by the same spatial join as police districts; "
    "`unknown` outside every council district). Every weekday-hour of a year and area is present "
    "(zeros included); cells of 1..k-1 calls are suppressed, with complements until no hidden "
    "cell can be narrowed by the area's total, the city's cell or any other published relation.",
    suppressed=True,
    margins=(
        ("jurisdiction", "year", "area_type", "area"),
        ("jurisdiction", "year", "area_type", "weekday", "hour"),
    ),
)

#: ``measure`` values of the council cube. ``calls`` (value ``all``) is the district's
#: calls in the year; every other measure splits them a different way (``value`` holds the
#: category, as text), but ``response_band``, which splits the alternative team's calls.
#: Publishing the total as a cell of its own keeps each measure's suppression to itself:
#: as an unpublished total shared by every measure, hiding a cell of one measure spread
#: complements into all the others. The splits are coarse on purpose (issue 12):
#: per program x measure, 42% of Denver's cells had to be hidden and an attacker who ties
#: them to the rows by police district still narrowed some.
COUNCIL_MEASURES: tuple[str, ...] = (
    "calls", "program", "reason", "outcome", "repeat_contact_90d", "month", "response_band",
)
#: ``response_type`` of a series that pools every program (the council cube's figures).
ALL_PROGRAMS = "all"
#: ``reason`` values: not eligible, answered by the alternative team, or why not (safety
#: screen and unknown are one category here, as in the planner, so the split stays large).
REASON_NOT_ELIGIBLE = "not_eligible"
REASON_ANSWERED = "answered"
REASON_SCREENED = "safety_screen_or_unknown"
COUNCIL_REASONS: tuple[str, ...] = (
    REASON_NOT_ELIGIBLE, REASON_ANSWERED, "no_team_available", "out_of_hours", "outside_service_area",
    REASON_SCREENED,
)
#: Response-time bands of the council cube: 10-minute bands to 30, then ``30+``, which also
#: holds the calls no unit reached (apart, both are a few calls a year in most districts).
BAND_NO_UNIT = "30+"
RESPONSE_BANDS: tuple[str, ...] = ("00-09", "10-19", "20-29", BAND_NO_UNIT)

CUBE_COUNCIL = Table(
    "cube_council",
    ("jurisdiction", "year", "council_district", "measure", "value"),
    "Calls (`n`) among those the rows publish, per city council district (`unknown` outside "
    "every council district) and calendar year, all programs together: `calls` (value `all`) "
    "counts them all, and each other `measure` splits them: `program` (the `response_type`), "
    "`reason` (`not_eligible`, `answered` by the alternative team, or why an eligible call was "
    "not: `no_team_available`, `out_of_hours`, `outside_service_area`, "
    "`safety_screen_or_unknown`), `outcome`, `repeat_contact_90d` (`true`/`false`), `month` "
    "(`YYYY-MM`, the month of the week's Monday) and `response_band` (the alternative team's "
    "calls only, by whole minutes to the first unit on scene: `00-09`, `10-19`, `20-29`, or "
    "`30+`, which also holds the calls no unit reached). Council districts cut across police "
    "districts, so they are not in the rows. Cells of 1..k-1 calls are suppressed, with "
    "complements until no hidden cell that could be small can be narrowed below [0, k-1] by "
    "the district's `calls`, the city's total of each category, or the rows' counts by police "
    "district (each checked by `crisis-dashboard validate`).",
    suppressed=True,
    margins=(
        ("jurisdiction", "year", "council_district", "measure"),
        ("jurisdiction", "year", "measure", "value"),
    ),
)

#: The night of ``cube_night``: calls received from 22:00 to 05:59 local (``period`` =
#: ``night``); the rest of the day is ``day``.
NIGHT_HOURS: tuple[int, ...] = (22, 23, 0, 1, 2, 3, 4, 5)
PERIOD_NIGHT, PERIOD_DAY = "night", "day"
PERIODS: tuple[str, ...] = (PERIOD_NIGHT, PERIOD_DAY)
#: ``reason`` values of ``cube_night``: answered by the alternative team, or the two
#: reasons a planner acts on, and the rest pooled (outside the service area, safety screen,
#: unknown) so that the key figures stay large enough to publish at night.
REASON_OTHER = "other_reason"
NIGHT_REASONS: tuple[str, ...] = (REASON_ANSWERED, "out_of_hours", "no_team_available", REASON_OTHER)

CUBE_NIGHT = Table(
    "cube_night",
    ("jurisdiction", "year", "area_type", "area", "period", "reason"),
    "Eligible calls (`n`) among the calls the rows publish, per calendar year and area (as in "
    "`cube_coverage`: the city, each police district as the rows publish it, each council "
    "district), at night (`period` = `night`: received 22:00-05:59 local) or by day, by what "
    "became of them: `answered` by the alternative team, or why not: `out_of_hours` (no team "
    "on duty), `no_team_available` (every team busy) or `other_reason` (outside the service "
    "area, the safety screen, or not recorded). Only years in which the alternative team "
    "answered eligible calls in all twelve months (a program's first, partial year is left out). "
    "Every period and reason of a year and area is "
    "present (zeros included); cells of 1..k-1 calls are suppressed, with complements until no "
    "hidden cell can be narrowed by the rows' counts by reason, the coverage cube's night hours, "
    "the council cube's reasons or the city's cell.",
    suppressed=True,
    margins=(
        ("jurisdiction", "year", "area_type", "area", "period"),
        ("jurisdiction", "year", "area_type", "area", "reason"),
        ("jurisdiction", "year", "area_type", "period", "reason"),
    ),
)

#: ``outcome_group`` values of ``cube_outcome_period``: the page's outcomes pooled so that
#: a program's night cells stay large enough to publish (at night a program answers a
#: few hundred calls a year; split eleven ways most cells would be hidden).
OUTCOME_GROUPS: dict[str, tuple[str, ...]] = {
    "resolved_or_referred": ("resolved_on_scene", "referred_to_services"),
    "transported_or_held": ("transported_shelter", "transported_hospital", "transported_detox",
                            "mental_health_hold"),
    "citation_or_arrest": ("citation", "arrest"),
    "no_contact": ("gone_on_arrival", "refused"),
    "not_recorded": ("not_recorded",),
}
#: The cube's total of a (year, program, eligibility, period): its calls with an outcome
#: recorded, the shares' denominator. Published as a cell of its own (like the council
#: cube's ``calls``), a share of a published group stays known when another group of the
#: same calls is hidden.
OUTCOME_RECORDED = "recorded"
OUTCOME_GROUP_VALUES: tuple[str, ...] = (*OUTCOME_GROUPS, OUTCOME_RECORDED)

CUBE_OUTCOME_PERIOD = Table(
    "cube_outcome_period",
    ("jurisdiction", "year", "response_type", "star_eligible", "period", "outcome_group"),
    "Calls (`n`) among those the rows publish, for the whole city, per calendar year, program "
    "and eligibility, at night (`period` = `night`: received 22:00-05:59 local) or by day, by "
    "outcome group: `resolved_or_referred` (resolved on scene or referred to services), "
    "`transported_or_held` (taken to a shelter, hospital or detox, or a mental-health hold), "
    "`citation_or_arrest`, `no_contact` (gone on arrival or refused) and `not_recorded`, and "
    "their total with an outcome recorded (`recorded`: every group but `not_recorded`). "
    "Every period and group of a year, program and eligibility is present (zeros included); "
    "cells of 1..k-1 calls are suppressed, with complements until no hidden cell can be "
    "narrowed by the rows' counts by outcome, the coverage cube's hours, the night cube's "
    "answered calls or the city's other cells.",
    suppressed=True,
    margins=(
        ("jurisdiction", "year", "response_type", "star_eligible", "outcome_group"),
        ("jurisdiction", "year", "star_eligible", "period"),
    ),
)

CUBE_SERVICE = Table(
    "cube_service",
    ("jurisdiction", "year", "response_type"),
    "Time on task: calls with a recorded time (`n`) and their total minutes from dispatch to "
    "clearing the call (`busy_minutes`), per program and calendar year; the planner's time per "
    "call is `busy_minutes / n`. Police alone (patrol, CIT officers) are in `cube_police_time`. "
    "Suppressed under k calls.",
    suppressed=True,
    measures=("n", "busy_minutes"),
)
#: Responses by police alone: their time on eligible calls stands for the officer time an
#: alternative team's call saves. ``cube_service`` leaves them out, so no total of theirs is
#: published twice (a hidden category could be had by subtraction).
POLICE_ONLY: tuple[ResponseType, ...] = (ResponseType.PATROL, ResponseType.CIT_OFFICER)
CUBE_POLICE_TIME = Table(
    "cube_police_time",
    ("jurisdiction", "year", "call_category"),
    "Police time on eligible calls: eligible calls answered by police alone (patrol or CIT "
    "officers) with a recorded time (`n`) and their total minutes from dispatch to clearing the "
    "call (`busy_minutes`), per call category and calendar year; the Impact page's officer time "
    "returned. Suppressed under k calls.",
    suppressed=True,
    measures=("n", "busy_minutes"),
)

#: ``followed`` values of ``cube_followup``, and the days a call's follow-up looks ahead.
FOLLOWED_YES = "yes"
FOLLOWED_NO = "no"
FOLLOWED_UNKNOWN = "unknown"
FOLLOWED_VALUES: tuple[str, ...] = (FOLLOWED_YES, FOLLOWED_NO, FOLLOWED_UNKNOWN)
FOLLOWUP_DAYS = 90
CUBE_FOLLOWUP = Table(
    "cube_followup",
    ("jurisdiction", "year", "response_type", "followed"),
    "Repeat contacts after a response: calls (`n`) per program and year by whether the same "
    "person had another crisis call within 90 days after it (`yes`, `no`, or `unknown` where "
    "no person is recorded). Only weeks whose 90 days lie wholly inside the data; the "
    "values of a (year, program) add up to the rows' calls of those weeks. Suppressed under k "
    "calls, with complementary cells.",
    suppressed=True,
    margins=(("jurisdiction", "year", "response_type"),),
)

ROLLUPS: tuple[Table, ...] = (ROLLUP_OVERVIEW, ROLLUP_COUNTS, ROLLUP_MINUTES)
CUBES: tuple[Table, ...] = (
    CUBE_PRECINCT, CUBE_COVERAGE, CUBE_COUNCIL, CUBE_NIGHT, CUBE_OUTCOME_PERIOD, CUBE_SERVICE,
    CUBE_POLICE_TIME, CUBE_FOLLOWUP,
)
