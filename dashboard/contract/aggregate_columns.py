"""Descriptions of the rollups' and cubes' own columns: the derived time grains, counts and dims.

Apart from ``schema`` (the tables, the enums and the calls' columns) so each stays a
size one can read; ``datapackage`` and the translations read these texts.
"""

from __future__ import annotations

from dashboard.contract.schema import (
    AREA_TYPES,
    COUNCIL_MEASURES,
    FOLLOWED_VALUES,
    NIGHT_REASONS,
    OUTCOME_GROUP_VALUES,
    PERIODS,
    Column,
)

# -- columns of the aggregate tables --------------------------------------------------------

#: Columns of the rollups and cubes that are not columns of ``calls``: the derived time
#: grains, the counts and the cubes' own dims. Described here, beside ``CALLS_COLUMNS``,
#: so the Data Package (``datapackage``) and any other description of the tables read
#: one text. A name found neither here nor among the calls and internal columns is typed
#: from its file and described by its table (``datapackage.table_columns``).
DERIVED_COLUMNS: dict[str, Column] = {
    "month": Column(
        "month",
        "date",
        "First day of the month of the row's `week`: a week belongs to the month its Monday "
        "falls in, so a month is four or five whole weeks.",
    ),
    "year": Column("year", "int", "Calendar year of the Monday of the call's week."),
    "n": Column("n", "int", "Number of calls in this combination."),
    "arrests": Column("arrests", "int", "Of those calls, how many ended in arrest (`outcome` = `arrest`)."),
    "backups": Column(
        "backups",
        "int",
        "Of those calls, how many had the alternative team ask for police (`police_backup`).",
    ),
    # Dims and measures of the district-view cubes (dashboard.publish.cubes).
    "area_type": Column("area_type", "string", "`city`, `district` (police) or `council` (council district).",
                        values=AREA_TYPES),
    "area": Column("area", "string", "The police district as the rows publish it (`citywide` for calls "
                   "placed only at city level) or the council district (`unknown` for calls outside every "
                   "council district); `citywide` for the city itself."),
    "weekday": Column("weekday", "int", "Local day of the week the call came in, 0 = Monday to 6 = Sunday."),
    "hour": Column("hour", "int", "Local hour of the day the call came in, 0-23."),
    "period": Column("period", "string", "`night` (received 22:00-05:59 local) or `day`.", values=PERIODS),
    "reason": Column("reason", "string", "What became of the eligible calls: `answered` by the alternative "
                     "team, `out_of_hours`, `no_team_available` or `other_reason`.", values=NIGHT_REASONS),
    "outcome_group": Column("outcome_group", "string", "The call's outcome, grouped: "
                            "`resolved_or_referred`, `transported_or_held`, `citation_or_arrest`, "
                            "`no_contact` or `not_recorded`; `recorded` totals the calls with an "
                            "outcome recorded.",
                            values=OUTCOME_GROUP_VALUES),
    "measure": Column("measure", "string", "Which split of the calls this row belongs to.",
                      values=COUNCIL_MEASURES),
    "value": Column("value", "string", "The category of `measure` (text: a month, `true`/`false`, "
                    "an outcome, a reason or a response-time band)."),
    "followed": Column("followed", "string", "Whether the same person had another crisis call within "
                       "90 days after this one: `yes`, `no`, or `unknown` (no person recorded).",
                       values=FOLLOWED_VALUES),
    "busy_minutes": Column("busy_minutes", "int", "Total minutes from dispatch to clearing the calls.",
                           nullable=True),
}

#: The flag every suppressed cube adds after its measures (see ``privacy.suppress_cells``).
CUBE_SUPPRESSED = Column(
    "suppressed",
    "bool",
    "True where the cell's counts are hidden for privacy: a small cell, or a cell hidden so that "
    "no small cell can be recovered from totals published elsewhere.",
)
#: What a suppressed cube's measure says besides its own meaning.
SUPPRESSED_MEASURE_NOTE = "Empty where the cell is suppressed (`suppressed` = true)."
