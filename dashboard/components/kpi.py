"""KPI cards: one number each, with a title and a sentence that says what it counts.

A bare "38%" is read a dozen ways; every card therefore carries a plain-words line
built from the same numbers ("Of 4,210 calls that met STAR's criteria, STAR answered
1,600"). Cards are a heading, a value and a paragraph in reading order, so a screen
reader's heading navigation lands on each.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd
from dash import html

from dashboard.contract.cities import City
from dashboard.contract.schema import ResponseType
from dashboard.figures import PROGRAM_COLORS, program_label
from dashboard.i18n import fmt_int, fmt_pct, t


def _share(value: object) -> float | None:
    if value is None:
        return None
    number = float(value)  # type: ignore[arg-type]
    return None if math.isnan(number) else number


def kpi_card(title: str, value: str, explanation: str, *, accent: str | None = None) -> html.Div:
    """One card. ``accent`` colours its left edge (a program's colour)."""
    style = {"borderLeftColor": accent} if accent else None
    return html.Div(
        html.Div(
            [
                html.H3(title, className="kpi-card__title"),
                html.P(value, className="kpi-card__value"),
                html.P(explanation, className="kpi-card__explain"),
            ],
            className="kpi-card card h-100" + (" kpi-card--accent" if accent else ""),
            style=style,
        ),
        className="col",
    )


def program_cards(
    counts: pd.DataFrame, *, total: int, lang: str, labels: Mapping[str, str] | None = None
) -> list[html.Div]:
    """Calls answered by each program (``queries.program_counts``), with its share."""
    cards = []
    for row in counts.itertuples(index=False):
        program = ResponseType(row.response_type)
        share = row.calls / total if total else None
        cards.append(
            kpi_card(
                t("kpi.program_calls.title", lang, program=program_label(program, lang, labels)),
                fmt_int(row.calls, lang),
                t("kpi.program_calls.explain", lang, share=fmt_pct(share, lang), calls=fmt_int(total, lang))
                if total
                else t("kpi.no_calls", lang),
                accent=PROGRAM_COLORS[program],
            )
        )
    return cards


def _explanation(key: str, recorded: bool, share: float | None, lang: str, *, program: str,
                 **values: str) -> str:
    """A share card's sentence: "not recorded" with the reason, the share explained, or
    why there is no share (``<key>.not_recorded`` / ``.explain`` / ``.none``)."""
    if not recorded:
        return t(f"{key}.not_recorded", lang, program=program)
    if share is not None:
        return t(f"{key}.explain", lang, program=program, **values)
    return t(f"{key}.none", lang, program=program)


def outcome_cards(kpis: pd.DataFrame, *, city: City, lang: str,
                  not_recorded: frozenset[str] = frozenset()) -> list[html.Div]:
    """The headline shares: alternative program's eligible share, minutes, arrests, backup.

    A field the city's data does not record (``not_recorded``: eligibility, backup) reads
    "not recorded", never the 0% its all-false column would give (issue 14)."""
    row = kpis.iloc[0]
    alt = program_label(city.alternative_program, lang, city.label_map)
    calls = int(row["calls"])
    cards = []

    alt_share = _share(row["alt_share"])
    criteria = "star_eligible" not in not_recorded
    alt_text = _explanation("kpi.alt_share", criteria, alt_share, lang, program=alt,
                            eligible=fmt_int(row["eligible"], lang),
                            answered=fmt_int(row["eligible_answered"], lang))
    cards.append(kpi_card(t("kpi.alt_share.title", lang, program=alt), fmt_pct(alt_share, lang), alt_text))

    median = _share(row["median_minutes"])
    cards.append(
        kpi_card(
            t("kpi.median.title", lang),
            t("kpi.minutes", lang, minutes=fmt_int(median, lang)) if median is not None else "—",
            t("kpi.median.explain", lang) if median is not None else t("kpi.no_times", lang),
        )
    )

    arrest_share = _share(row["arrest_share"])
    missing = int(row.get("outcome_not_recorded", 0))
    if not calls:
        arrest_text = t("kpi.no_calls", lang)
    elif missing:  # the share is of the calls with an outcome recorded: say so, and how many lack one
        arrest_text = t("kpi.arrest.explain_unrecorded", lang, arrests=fmt_int(row["arrests"], lang),
                        calls=fmt_int(calls - missing, lang), missing=fmt_int(missing, lang))
    else:
        arrest_text = t("kpi.arrest.explain", lang, arrests=fmt_int(row["arrests"], lang),
                        calls=fmt_int(calls, lang))
    cards.append(kpi_card(t("kpi.arrest.title", lang),
                          fmt_pct(arrest_share, lang, digits=1) if arrest_share is not None else "—",
                          arrest_text))

    recorded = "police_backup" not in not_recorded
    backup_share = _share(row["backup_share"]) if recorded else None
    backup_text = _explanation("kpi.backup", recorded, backup_share, lang, program=alt,
                               backup=fmt_int(row["backup"], lang), alt_calls=fmt_int(row["alt_calls"], lang))
    cards.append(kpi_card(t("kpi.backup.title", lang, program=alt),
                          fmt_pct(backup_share, lang, digits=1) if backup_share is not None else "—",
                          backup_text))
    return cards


def kpi_section(kpis: pd.DataFrame, counts: pd.DataFrame, *, city: City, lang: str,
                not_recorded: frozenset[str] = frozenset()) -> list:
    """Program counts then headline shares, as two responsive card grids."""
    total = int(kpis.iloc[0]["calls"]) if len(kpis) else 0
    return [
        html.H2(t("kpi.heading", lang), className="visually-hidden"),
        html.Div(
            program_cards(counts, total=total, lang=lang, labels=city.label_map),
            className="row row-cols-2 row-cols-md-4 g-2 mb-2 kpi-grid",
        ),
        html.Div(
            outcome_cards(kpis, city=city, lang=lang, not_recorded=not_recorded),
            className="row row-cols-1 row-cols-sm-2 row-cols-xl-4 g-2 kpi-grid",
        ),
    ]
