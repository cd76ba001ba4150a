"""The Impact page's officer time returned: what the team's calls would have cost police in time.

``dashboard.models.officer_time`` does the arithmetic on two published tables (police
minutes per eligible call by category and year; the team's calls by month, district and
category); this module picks the year the headline speaks of (the latest the release
covers whole), words it, and builds the tables behind the chart. Where the estimate does
not apply, it says why: a co-responder team brings an officer along (its calls free no
officer), and a release without police time on task has nothing to multiply by.

No Dash here (``pages.impact`` draws it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import CUBE_POLICE_TIME, ResponseType
from dashboard.engine.store import Store
from dashboard.figures import category_label, month_label, program_label
from dashboard.figures.impact import officer_hours_figure
from dashboard.i18n import fmt_decimal, fmt_int, t
from dashboard.models import officer_time as model
from dashboard.queries import impact as data
from dashboard.queries.docs import file_url_path
from dashboard.views.parts import Table, district_label

#: Programs whose team includes a police officer: their calls return no officer time.
WITH_AN_OFFICER = (ResponseType.CO_RESPONDER,)


@dataclass(frozen=True)
class OfficerTimeSection:
    """The estimate, or only ``note`` saying why there is none."""

    note: str
    headline: str = ""
    figure: Any = None
    monthly: Table | None = None
    districts: Table | None = None
    inputs: Table | None = None
    #: The API path of ``cube_police_time`` in the city's current release.
    file_path: str = ""


def _hours(value: float, lang: str) -> str:
    return "—" if pd.isna(value) else fmt_int(round(value), lang)


def officer_time_section(store: Store, city: City, lang: str) -> OfficerTimeSection:
    """The section for a city (already ``localized``)."""
    program = program_label(city.alternative_program, lang, city.label_map)
    if city.alternative_program in WITH_AN_OFFICER:
        return OfficerTimeSection(t("impact.officer.with_officer", lang, program=program, city=city.name))
    minutes = model.police_minutes(data.police_time(store, city.id))
    program_id = city.alternative_program.value
    calls = data.team_calls(store, city.id, program_id)
    hours = model.officer_hours(calls, minutes)
    if minutes.empty or calls.empty or hours["hours"].isna().all():
        return OfficerTimeSection(t("impact.officer.missing", lang, program=program, city=city.name))
    per_month = model.monthly(hours)
    covered = data.answered_by_year(store, city.id, program_id).set_index("year")["months"]
    estimated = pd.to_datetime(per_month.dropna(subset=["hours"])["month"]).dt.year.unique()
    whole = sorted(int(y) for y in estimated if covered.get(y, 0) == 12)
    headline, year = "", None
    if whole:
        year = whole[-1]
        part = hours[hours["year"] == year]
        total = float(part["hours"].sum())
        headline = t("impact.officer.headline", lang, year=year, program=program,
                     calls=fmt_int(int(part["n"].sum()), lang),
                     minutes=fmt_int(round(60 * total / part["n"].sum()), lang),
                     hours=fmt_int(round(total), lang), per_month=fmt_int(round(total / 12), lang))
    info = store.release_info(city.id)
    note = t("impact.officer.note", lang, program=program)
    if info.synthetic:
        note += " " + t("impact.officer.synthetic", lang, city=city.name)
    return OfficerTimeSection(
        note, headline, officer_hours_figure(per_month, lang), _monthly_table(per_month, lang),
        _district_table(model.by_district(hours), city, lang), _inputs_table(hours, minutes, year, lang),
        file_url_path(city.id, info.release_id, f"{CUBE_POLICE_TIME.name}.parquet"),
    )


def _monthly_table(per_month: pd.DataFrame, lang: str) -> Table:
    rows = [[month_label(pd.Timestamp(r.month), lang), fmt_int(int(r.calls), lang), _hours(r.hours, lang)]
            for r in per_month.itertuples(index=False)]
    return Table(t("impact.officer.monthly_caption", lang),
                 [t(f"impact.officer.{k}", lang) for k in ("month", "calls", "hours")], rows)


def _district_table(frame: pd.DataFrame, city: City, lang: str) -> Table:
    wide = frame.pivot_table(index="district", columns="year", values="hours", aggfunc="sum")
    years = [int(y) for y in wide.columns]
    rows = [[district_label(str(d), city, lang)] + [_hours(wide.loc[d, y], lang) for y in years]
            for d in wide.index]
    return Table(t("impact.officer.district_caption", lang, label=city.geo.district_label),
                 [t("impact.officer.district", lang, label=city.geo.district_label), *map(str, years)], rows)


def _inputs_table(hours: pd.DataFrame, minutes: pd.DataFrame, year: int | None, lang: str) -> Table:
    """Per category of the team's calls in the headline's year (every year without one):
    police calls and minutes per call, and whether the category's own minutes or the
    year's were used. Every year's are in the downloadable cube."""
    if year is not None:
        hours = hours[hours["year"] == year]
    used = hours.groupby(["year", "call_category"], as_index=False).agg(
        team=("n", "sum"), per_call=("per_call", "first"), basis=("basis", "first"))
    police = minutes.set_index(["year", "call_category"])["calls"]
    rows = []
    for r in used.itertuples(index=False):
        count = police.get((r.year, r.call_category))
        rows.append([str(r.year), category_label(r.call_category, lang), fmt_int(int(r.team), lang),
                     fmt_int(int(count), lang) if count is not None else t("impact.officer.hidden", lang),
                     "—" if pd.isna(r.per_call) else fmt_decimal(r.per_call, lang, digits=1),
                     t(f"impact.officer.basis.{r.basis}", lang)])
    keys = ("year", "category", "team_calls", "police_calls", "per_call", "basis")
    headers = [t(f"impact.officer.{k}", lang) for k in keys]
    caption = t("impact.officer.inputs_caption_year", lang, year=year) if year is not None else t(
        "impact.officer.inputs_caption", lang)
    return Table(caption, headers, rows)
