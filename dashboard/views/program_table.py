"""The Overview's program table: calls, share and response minutes per program.

Separate from ``views.overview`` (which was at its size limit) and small on purpose: a
program whose every call the privacy rules withheld says so instead of reading 0 calls
(issue 14: "a zero that is really withheld never reads as zero").
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import pandas as pd

from dashboard.figures import program_label
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.views.parts import Table


def program_table(
    counts: pd.DataFrame, minutes: pd.DataFrame, total: int, lang: str, labels: Mapping[str, str],
    withheld: Collection[str] = (),
) -> Table:
    """One row per program; ``withheld``: programs of the release with calls, none published."""
    by_program = {str(r.response_type): r for r in minutes.itertuples(index=False)}
    rows = []
    for row in counts.itertuples(index=False):
        m = by_program.get(str(row.response_type))
        if not row.calls and str(row.response_type) in withheld:
            hidden = t("overview.programs.withheld", lang)
            rows.append([program_label(row.response_type, lang, labels), hidden, "—", "—", "—"])
            continue
        rows.append(
            [
                program_label(row.response_type, lang, labels),
                fmt_int(row.calls, lang),
                fmt_pct(row.calls / total if total else None, lang),
                fmt_int(m.median, lang) if m is not None and not pd.isna(m.median) else "—",
                fmt_int(m.p90, lang) if m is not None and not pd.isna(m.p90) else "—",
            ]
        )
    headers = [
        t("table.program", lang),
        t("table.calls", lang),
        t("table.share_of_calls", lang),
        t("table.median_minutes", lang),
        t("table.p90_minutes", lang),
    ]
    return Table(t("overview.programs.table_caption", lang), headers, rows)
