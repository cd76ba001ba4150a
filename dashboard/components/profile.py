"""Tables of the district profile: the district beside the city, and every district ranked.

They take ``dashboard.queries.profile.AreaFigures`` and print them the same way, so the
comparison table and the ranking agree cell for cell. Council districts' figures are
lower bounds where cells were hidden for privacy, their times are 10-minute bands of the
alternative team's calls, their outcomes pool every program and their police backups are
not published; the tables say so instead of pretending to a precision the data lacks.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from dash import dcc, html

from dashboard.components.chart_table import data_table
from dashboard.contract.cities import City
from dashboard.contract.schema import ALL_PROGRAMS, Outcome
from dashboard.figures import program_label
from dashboard.i18n import fmt_decimal, fmt_int, fmt_pct, t
from dashboard.queries.profile import AreaFigures


def minutes_text(value: object, lang: str) -> str:
    """Whole minutes ("14"), a band ("10–14"), or an em dash."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value == "":
        return "—"
    if isinstance(value, str):
        return value.replace("-", "–")
    return fmt_int(float(value), lang)


def rate_text(value: float, lang: str) -> str:
    if math.isnan(value):
        return "—"
    return fmt_decimal(value, lang)


def share_text(figures: AreaFigures, lang: str) -> str:
    """The alternative team's share; "≤" when its denominator (eligible calls) is a lower
    bound, since the share is then at most what is shown."""
    text = fmt_pct(_nan_none(figures.alt_share), lang)
    return f"≤ {text}" if "eligible" in figures.bounded and text != "—" else text


def _measure(text: str, figures: AreaFigures, measure: str, lang: str) -> str:
    """The value, "hidden" when its count fell in a cell hidden for privacy, or "not
    published" for a measure this kind of area never publishes, or "not recorded" for
    one the city's data does not hold."""
    if measure in figures.not_recorded:
        return t("profile.not_recorded", lang)
    if measure in figures.unavailable:
        return t("profile.unavailable", lang)
    return t("profile.hidden", lang) if measure in figures.hidden_measures else text


def _lower_bound(text: str, figures: AreaFigures, measure: str) -> str:
    """"≥ N" where the figure sums published cells beside hidden ones."""
    return f"≥ {text}" if measure in figures.bounded and text != "—" else text


def measure_rows(figures: AreaFigures, city: City, lang: str) -> list[tuple[str, str]]:
    """(measure label, value) pairs in the order both tables use."""
    alt_name = program_label(city.alternative_program, lang, city.label_map)
    rows = [
        (t("profile.calls", lang), _lower_bound(fmt_int(figures.calls, lang), figures, "calls")),
        (t("profile.per_1000", lang), rate_text(figures.per_1000(city.geo.low_population_threshold), lang)),
    ]
    for program in city.programs:
        calls = figures.programs.loc[figures.programs["response_type"] == program.value, "calls"]
        value = int(calls.iloc[0]) if len(calls) else 0
        rows.append(
            (
                t("profile.program_calls", lang, program=program_label(program, lang, city.label_map)),
                _lower_bound(fmt_int(value, lang), figures, "programs"),
            )
        )
    rows += [
        (t("profile.eligible", lang),
         _measure(_lower_bound(fmt_int(figures.eligible, lang), figures, "eligible"), figures, "eligible",
                  lang)),
        (
            t("profile.alt_share", lang, program=alt_name),
            _measure(share_text(figures, lang), figures, "eligible_answered", lang),
        ),
        (
            t("profile.out_of_hours", lang),
            _measure(_lower_bound(fmt_int(figures.out_of_hours, lang), figures, "out_of_hours"),
                     figures, "out_of_hours", lang),
        ),
    ]
    for program in city.programs:
        if figures.kind == "council" and program != city.alternative_program:
            continue  # the council table has the alternative team's times only
        median, p90 = figures.minutes(program.value)
        name = program_label(program, lang, city.label_map)
        rows.append((t("profile.median", lang, program=name), minutes_text(median, lang)))
        rows.append((t("profile.p90", lang, program=name), minutes_text(p90, lang)))
    rows += [
        (
            t("profile.backup", lang, program=alt_name),
            _measure(fmt_pct(_nan_none(figures.backup_share), lang), figures, "backups", lang),
        ),
        (
            t("profile.repeat", lang),
            _measure(fmt_pct(_nan_none(figures.repeat_share), lang), figures, "repeat_calls", lang),
        ),
    ]
    return rows


def _nan_none(value: float) -> float | None:
    return None if math.isnan(value) else value


def comparison_table(
    area: AreaFigures, city_figures: AreaFigures, area_name: str, city: City, lang: str
) -> html.Div:
    """Measure | the district | the city."""
    mine = measure_rows(area, city, lang)
    theirs = dict(measure_rows(city_figures, city, lang))
    rows = [[label, value, theirs[label]] for label, value in mine]
    return data_table(
        t("profile.comparison_caption", lang, area=area_name, city=city.name),
        [t("profile.measure", lang), area_name, city.name],
        rows,
    )


def outcome_table(area: AreaFigures, city: City, lang: str) -> html.Div:
    """What happened after the response, per program (all programs together for a council
    district): calls and share of the program's calls."""
    outcomes = area.outcomes
    pooled = (outcomes["response_type"] == ALL_PROGRAMS).any()
    programs = [ALL_PROGRAMS] if pooled else [p.value for p in city.programs]
    missing = Outcome.NOT_RECORDED.value
    totals = outcomes[outcomes["outcome"] != missing].groupby("response_type")["calls"].sum()
    order = list(dict.fromkeys(outcomes.sort_values("calls", ascending=False)["outcome"].astype(str)))
    order = [o for o in order if o != missing] + [o for o in order if o == missing]
    rows = []
    for outcome in order:
        row = [t(f"method.outcome.{outcome}", lang)]
        for program in programs:
            part = outcomes[(outcomes["outcome"] == outcome) & (outcomes["response_type"] == program)]
            n = int(part["calls"].sum())
            total = int(totals.get(program, 0))
            # Shares are of the calls with an outcome recorded; the rest are counted only.
            share = None if outcome == missing or not total else n / total
            row.append(f"{fmt_pct(share, lang)} ({fmt_int(n, lang)})")
        rows.append(row)
    names = ([t("profile.all_programs", lang)] if pooled
             else [program_label(p, lang, city.label_map) for p in programs])
    headers = [t("profile.outcome", lang), *names]
    return data_table(t("profile.outcome_caption", lang), headers, rows)


def ranking_table(
    figures: Sequence[AreaFigures],
    names: Mapping[str, str],
    current: str,
    city: City,
    lang: str,
    hrefs: Mapping[str, str],
) -> html.Div:
    """Every district, ranked by the share of eligible calls the alternative team answered.

    The current district's row is marked (bold and ``aria-current``); each name links to
    its own profile with the same period.
    """
    alt_name = program_label(city.alternative_program, lang, city.label_map)
    ordered = sorted(figures, key=lambda f: (-(f.alt_share if not math.isnan(f.alt_share) else -1), f.area))
    headers = [
        t("profile.rank", lang),
        t("profile.district", lang),
        t("profile.calls", lang),
        t("profile.per_1000", lang),
        t("profile.eligible", lang),
        t("profile.alt_share", lang, program=alt_name),
        t("profile.out_of_hours_short", lang),
        t("profile.median", lang, program=alt_name),
        t("profile.backup", lang, program=alt_name),
        t("profile.repeat", lang),
    ]
    alt = city.alternative_program.value
    body = []
    for rank, f in enumerate(ordered, start=1):
        is_current = f.area == current
        name = names.get(f.area, f.area)
        link = (
            html.A(name, href=hrefs[f.area], **{"aria-current": "page"})
            if is_current
            else dcc.Link(name, href=hrefs[f.area])
        )
        cells = [
            str(rank),
            html.Strong(link) if is_current else link,
            _lower_bound(fmt_int(f.calls, lang), f, "calls"),
            rate_text(f.per_1000(city.geo.low_population_threshold), lang),
            _measure(_lower_bound(fmt_int(f.eligible, lang), f, "eligible"), f, "eligible", lang),
            _measure(share_text(f, lang), f, "eligible_answered", lang),
            _measure(_lower_bound(fmt_int(f.out_of_hours, lang), f, "out_of_hours"), f, "out_of_hours", lang),
            minutes_text(f.minutes(alt)[0], lang),
            _measure(fmt_pct(_nan_none(f.backup_share), lang), f, "backups", lang),
            _measure(fmt_pct(_nan_none(f.repeat_share), lang), f, "repeat_calls", lang),
        ]
        body.append(
            html.Tr(
                [
                    html.Td(cells[0], className="text-end"),
                    html.Th(cells[1], scope="row"),
                    *(html.Td(c, className="text-end") for c in cells[2:]),
                ],
                className="ranking-current" if is_current else None,
            )
        )
    caption = t("profile.ranking_caption", lang, program=alt_name)
    return html.Div(
        html.Table(
            [
                html.Caption(caption),
                html.Thead(
                    html.Tr(
                        [
                            html.Th(h, scope="col", className=None if i == 1 else "text-end")
                            for i, h in enumerate(headers)
                        ]
                    )
                ),
                html.Tbody(body),
            ],
            className="table table-sm table-striped mb-0 data-table ranking-table",
        ),
        className="table-responsive",
        tabIndex="0",
        role="region",
        **{"aria-label": caption},
    )
