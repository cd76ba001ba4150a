"""What release the numbers come from: the synthetic-data banner and the release line.

A synthetic sample must never be mistaken for real calls, in a screenshot or a quote,
so the banner is part of the page content (not a dismissible toast) whenever the
release says ``synthetic``.
"""

from __future__ import annotations

from dash import html

from dashboard.data.release import ReleaseInfo
from dashboard.i18n import t


def synthetic_banner(info: ReleaseInfo | None, city_name: str, lang: str) -> html.Div | None:
    """The banner for a synthetic release, or None for real data."""
    if info is None or not info.synthetic:
        return None
    return html.Div(
        [
            html.Strong(t("banner.synthetic.title", lang), className="synthetic-banner__title"),
            html.Span(" " + t("banner.synthetic.body", lang, city=city_name)),
        ],
        className="synthetic-banner",
        role="note",
    )


def release_line(info: ReleaseInfo | None, lang: str) -> list:
    """Release id, creation date and source, for the footer of a data page."""
    if info is None:
        return []
    parts: list = [
        t("footer.release", lang, release_id=info.release_id, created=str(info.created)[:10]),
        " ",
        t("footer.source", lang, source=info.source.strip().rstrip(".")),
    ]
    if info.synthetic:
        parts += [" ", html.Strong(t("footer.synthetic", lang))]
    return parts
