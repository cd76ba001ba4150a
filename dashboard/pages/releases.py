"""Release history: every published release of a city, newest first, with what changed.

Numbers move when a city sends new records or the rules change; a journalist who
quoted last month's figure must be able to see which release it came from, how many
rows each release published, generalized and withheld, and get any release's files
with their checksums. The list is ``releases.list_releases`` (through
``dashboard.queries.docs.changelog``), the same one ``/api/v1/releases`` serves.

No callbacks: the city is the ``?city=`` query (validated; bad -> notice and the
default city). No ``from __future__ import annotations`` (see ``overview``).
"""

import logging
from collections.abc import Mapping

import dash
from dash import dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.chart_table import data_table
from dashboard.components.links import page_href
from dashboard.components.page import city_switcher, release_stamp, safe_layout
from dashboard.components.release import city_message, release_notice, synthetic_banner
from dashboard.i18n import fmt_int, t
from dashboard.pages import current_settings, current_store, register_page
from dashboard.queries import docs
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

PATH = "/releases"
PARAM_CITY = "city"


register_page(__name__, key="releases", order=3, path=PATH)


def _size(size: int | None, lang: str) -> str:
    if size is None:
        return "—"
    for unit, scale in (("gb", 1e9), ("mb", 1e6), ("kb", 1e3)):
        if size >= scale:
            return t(f"data.size.{unit}", lang, value=f"{size / scale:.1f}")
    return t("data.size.bytes", lang, value=fmt_int(size, lang))


def _count(value: int | None, lang: str) -> str:
    return "—" if value is None else fmt_int(value, lang)


def _change(entry: docs.ReleaseEntry, lang: str) -> str:
    """Published rows compared with the release before, in words."""
    if entry.previous_id is None:
        return t("releases.change.first", lang)
    if entry.published_change is None:
        return t("releases.change.unknown", lang, previous=entry.previous_id)
    if entry.published_change == 0:
        return t("releases.change.same", lang, previous=entry.previous_id)
    key = "releases.change.more" if entry.published_change > 0 else "releases.change.fewer"
    return t(key, lang, rows=fmt_int(abs(entry.published_change), lang), previous=entry.previous_id)


def _files(entry: docs.ReleaseEntry, lang: str) -> html.Details:
    rows = [
        [
            html.A(f.name, href=dash.get_relative_path(f.url_path), className="file-link"),
            html.Code(f.sha256 or "—", className="sha256"),
            _size(f.size, lang),
        ]
        for f in entry.files
    ]
    headers = [t("data.files.name", lang), t("data.files.sha256", lang), t("data.files.size", lang)]
    table = data_table(t("releases.files.caption", lang, release_id=entry.release_id), headers, rows,
                       numeric_from=2)
    return html.Details(
        [
            html.Summary(t("releases.files.summary", lang, n=len(entry.files)),
                         className="btn btn-outline-secondary btn-sm"),
            html.Div(
                [
                    html.Div(table, className="info-table"),
                    html.P(html.A(t("data.links.manifest", lang),
                                  href=dash.get_relative_path(entry.manifest_url_path)),
                           className="small mt-2 mb-0 link-row"),
                ],
                className="mt-2",
            ),
        ],
        className="release-files mt-2",
    )


def _entry(entry: docs.ReleaseEntry, lang: str) -> html.Section:
    heading: list = [t("releases.release", lang, release_id=entry.release_id)]
    if entry.current:
        heading += [" ", html.Span(t("releases.current", lang), className="badge text-bg-success")]
    if entry.synthetic:
        heading += [" ", html.Span(t("releases.synthetic", lang), className="badge text-bg-warning")]
    rows_table = data_table(
        t("releases.rows.caption", lang, release_id=entry.release_id),
        [t("releases.rows.step", lang), t("releases.rows.count", lang)],
        [[t(f"releases.rows.{step}", lang), _count(entry.rows.get(step), lang)] for step in docs.ROW_STEPS],
    )
    facts = t("releases.facts", lang, created=entry.created[:10] or "—", source=entry.source or "—",
              k=entry.k if entry.k is not None else "—")
    return html.Section(
        html.Div(
            [
                html.H2(heading, className="h5 card-title"),
                html.P(facts, className="mb-1"),
                html.P(_change(entry, lang), className="release-change mb-2"),
                html.Div(rows_table, className="info-table info-table--narrow"),
                _files(entry, lang),
            ],
            className="card-body",
        ),
        className="card mb-3 release-entry" + (" release-entry--current" if entry.current else ""),
        **{"data-release": entry.release_id},
    )


def layout(**query: object) -> html.Div:
    """The page for any query: a bad city is named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query, lang), heading=t("releases.heading", lang), lang=lang, logger=log,
                       what="releases")


def _page(query: Mapping[str, object], lang: str) -> html.Div:
    store = current_store()
    settings = current_settings()
    cities = store.cities
    city_id, bad = docs.choose_city(query.get(PARAM_CITY), cities, settings.default_city)
    city = cities[city_id]
    entries = docs.changelog(settings.releases_dir, city_id, serving=store.release_info(city_id).release_id)
    messages = [city_message(store, bad, city.name, lang)] if bad is not None else []
    body = [_entry(e, lang) for e in entries] or [html.P(t("releases.none", lang, city=city.name))]
    return html.Div(
        [
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(city_id), city.name, lang),
            synthetic_banner(store.release_info(city_id), city.name, lang),
            html.Header(
                [
                    html.H1(t("releases.heading", lang), id=ids.RELEASES_HEADING, className="h3 mb-1"),
                    html.P(t("releases.lead", lang, city=city.name, n=len(entries)), className="lead mb-0"),
                ],
                className="page-header mb-3",
            ),
            html.Div(notice(messages), id=ids.RELEASES_NOTICE),
            city_switcher({c: v.name for c, v in cities.items()}, city_id, PATH, lang),
            html.Div(body, id=ids.RELEASES_LIST),
            html.P(dcc.Link(t("releases.data_link", lang),
                            href=page_href("/data", lang, [(PARAM_CITY, city_id)])),
                   className="small link-row"),
        ],
        className="container-xxl py-3 info-page",
    )
