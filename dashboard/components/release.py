"""What release the numbers come from: the synthetic-data banner, the notice that an
earlier release is shown, and the release line.

A synthetic sample must never be mistaken for real calls, in a screenshot or a quote,
so the banner is part of the page content (not a dismissible toast) whenever the
release says ``synthetic``. For the same reason a page showing a city's previous release,
because the newest failed its integrity check (``dashboard.engine.serving``), says so at
the top, naming both releases: a figure quoted from it must be attributed to the right one.
"""

from __future__ import annotations

from dash import html

from dashboard import ids
from dashboard.contract.releases import ReleaseInfo
from dashboard.engine.serving import CityStatus
from dashboard.engine.store import Store
from dashboard.i18n import t
from dashboard.views.prelude import unavailable_cities


def release_notice(status: CityStatus | None, city_name: str, lang: str) -> html.Div | None:
    """The "showing the previous release" notice, or None when the newest is served."""
    if status is None or not status.fallback or status.serving is None:
        return None
    return html.Div(
        [
            html.Strong(t("release.fallback.title", lang)),
            " ",
            t("release.fallback.body", lang, city=city_name, named=status.named,
              serving=status.serving.release_id, created=str(status.serving.created)[:10]),
        ],
        id=ids.RELEASE_NOTICE,
        className="alert alert-warning notice release-notice",
        role="status",
    )


def city_message(store: Store, asked: str, shown: str, lang: str) -> str:
    """Why the page shows ``shown`` instead of the city ``asked`` for: unknown, or a city
    whose data cannot be served right now."""
    unavailable = unavailable_cities(store)
    if asked in unavailable:
        return t("data.unavailable_city", lang, value=unavailable[asked], city=shown)
    return t("data.bad_city", lang, value=asked, city=shown)


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
