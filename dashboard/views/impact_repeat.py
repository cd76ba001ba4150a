"""The Impact page's repeat contacts: did the person need help again within 90 days?

From ``cube_followup`` (calls per year and program by whether the same person had
another crisis call within 90 days after): the share is the calls followed over the
calls whose person is recorded, per program and year, a dash where a count it needs is
hidden. Counted per response (a person answered twice counts twice), and only in weeks
whose 90 days the data covers. A city whose data records no person says so instead.

The programs answer different calls for different people, so a gap between them is no
effect of the program: the note says so.

No Dash here (``pages.impact`` draws it).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from dashboard.contract.cities import City
from dashboard.contract.schema import CUBE_FOLLOWUP, FOLLOWED_NO, FOLLOWED_UNKNOWN, FOLLOWED_YES
from dashboard.engine.store import Store
from dashboard.figures import program_label
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.queries import impact as data
from dashboard.queries.docs import file_url_path
from dashboard.views.parts import Table


@dataclass(frozen=True)
class RepeatSection:
    """The shares, or only ``note`` saying why there are none."""

    note: str
    headline: str = ""
    table: Table | None = None
    #: The API path of ``cube_followup`` in the city's current release.
    file_path: str = ""


def shares(cube: pd.DataFrame) -> pd.DataFrame:
    """Per (year, response_type): followed (yes), known (yes + no), unknown and share;
    NaN where a count it needs is hidden."""
    shown = cube.assign(n=cube["n"].astype("Float64").where(~cube["suppressed"].astype(bool)))
    wide = shown.pivot_table(index=["year", "response_type"], columns="followed", values="n",
                             aggfunc=lambda n: n.sum(min_count=len(n)), dropna=False)
    wide = wide.reindex(columns=[FOLLOWED_YES, FOLLOWED_NO, FOLLOWED_UNKNOWN]).astype(float)
    out = pd.DataFrame({"followed": wide[FOLLOWED_YES], "known": wide[FOLLOWED_YES] + wide[FOLLOWED_NO],
                        "unknown": wide[FOLLOWED_UNKNOWN]})
    out["share"] = out["followed"] / out["known"].where(out["known"] > 0)
    return out.reset_index()


def repeat_section(store: Store, city: City, lang: str) -> RepeatSection:
    """The section for a city (already ``localized``)."""
    program = program_label(city.alternative_program, lang, city.label_map)
    info = store.release_info(city.id)
    if "repeat_contact_90d" in info.not_recorded:
        return RepeatSection(t("impact.repeat.not_recorded", lang, city=city.name))
    cube = data.followups(store, city.id)
    frame = shares(cube)
    frame = frame[frame["known"].fillna(1) > 0]
    if frame.empty:
        return RepeatSection(t("impact.repeat.missing", lang, city=city.name))
    programs = [p.value for p in city.programs if p.value in set(frame["response_type"])]
    years = sorted((int(y) for y in frame["year"].unique()), reverse=True)  # latest first: on a phone too
    by_key = frame.set_index(["year", "response_type"])
    rows = []
    for p in programs:
        label = program_label(p, lang, city.label_map)
        cells = [_cell(by_key, y, p, lang) for y in years]
        rows.append([label, *cells])
    headers = [t("impact.repeat.program", lang), *map(str, years)]
    table = Table(t("impact.repeat.caption", lang), headers, rows)
    alt = city.alternative_program.value
    whole = _whole_years(cube, data.answered_by_year(store, city.id, alt), alt)
    headline = ""
    last = whole[-1] if whole else None
    if last is not None and (last, alt) in by_key.index and pd.notna(by_key.loc[(last, alt), "share"]):
        row = by_key.loc[(last, alt)]
        headline = t("impact.repeat.headline", lang, year=last, program=program,
                     share=fmt_pct(float(row["share"]), lang), followed=fmt_int(int(row["followed"]), lang),
                     known=fmt_int(int(row["known"]), lang))
    note = t("impact.repeat.note", lang)
    if info.synthetic:
        note += " " + t("impact.repeat.synthetic", lang, city=city.name)
    path = file_url_path(city.id, info.release_id, f"{CUBE_FOLLOWUP.name}.parquet")
    return RepeatSection(note, headline, table, path)


def _whole_years(cube: pd.DataFrame, answered: pd.DataFrame, program: str) -> list[int]:
    """The years the cube counts whole for the program: twelve months in the release and
    every call of the year in the cube (the last year stops 90 days before the data)."""
    part = cube[cube["response_type"] == program]
    totals = part.groupby("year").agg(n=("n", "sum"), hidden=("suppressed", "any"))
    calls = answered.set_index("year")
    return [int(y) for y, row in totals.iterrows()
            if not row["hidden"] and y in calls.index and int(calls.loc[y, "months"]) == 12
            and int(row["n"]) == int(calls.loc[y, "calls"])]


def _cell(by_key: pd.DataFrame, year: int, program: str, lang: str) -> str:
    """ "21% (130 of 620)", or a dash where the program had no such calls or a count is hidden."""
    if (year, program) not in by_key.index:
        return "—"
    row = by_key.loc[(year, program)]
    if pd.isna(row["share"]):
        return "—"
    return t("impact.repeat.cell", lang, share=fmt_pct(float(row["share"]), lang),
             followed=fmt_int(int(row["followed"]), lang), known=fmt_int(int(row["known"]), lang))
