"""Data and downloads: the release behind every number, its files with checksums, and
the data dictionary.

A journalist must be able to get exactly what the dashboard reads, prove the copy is
intact (sha256), and know what every column means. The file table comes from the
current release's manifest (``dashboard.queries.docs``); the dictionary is generated from
the contract (``dashboard.contract.schema`` and ``datapackage.table_column_names``), the
same source as ``data_dictionary.json`` and ``datapackage.json``, so the page cannot
describe a column the files lack. Links go to the API's file route, which serves only
names in the manifest's ``files`` plus ``manifest.json``.

The descriptions of columns and tables are shown in the reader's language from the
catalogs (``schema.column.<name>``, ``schema.table.<name>``, ``schema.derived.<name>``).
``dashboard.contract.schema`` stays the source of the English: the release files
(``data_dictionary.md``/``.json``, ``datapackage.json``) are English and read it
directly, and ``tests/unit/test_i18n.py`` fails when ``en.json``'s text differs from
the schema's, so a changed description cannot drift from its translations unnoticed.

The page has no callbacks: the city is the ``?city=`` query (validated; a bad value
gives a notice and the default city), so every view is a permalink.

No ``from __future__ import annotations`` (see ``overview``: Dash executes page
modules before registering them).
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
from dashboard.components.release import city_message, release_line, release_notice, synthetic_banner
from dashboard.contract.datapackage import DATAPACKAGE, table_column_names
from dashboard.contract.releases import ReleaseInfo
from dashboard.contract.schema import CALLS_COLUMNS, CUBES, ROLLUPS, Column
from dashboard.i18n import fmt_int, t
from dashboard.i18n.column_notes import column_notes
from dashboard.pages import current_settings, current_store, register_page
from dashboard.queries import docs
from dashboard.views.prelude import query_language

log = logging.getLogger(__name__)

PATH = "/data"
PARAM_CITY = "city"


register_page(__name__, key="data", order=1, path=PATH)


# ----------------------------------------------------------------------------- helpers


def code_text(text: str) -> list:
    """Contract prose with `backticks` shown as code (the dictionary's own convention)."""
    parts = text.split("`")
    return [html.Code(p) if i % 2 else p for i, p in enumerate(parts) if p]


def size_label(size: int | None, lang: str) -> str:
    """A file size a person reads at a glance (exact bytes are in the manifest)."""
    if size is None:
        return "—"
    for unit, scale in (("gb", 1e9), ("mb", 1e6), ("kb", 1e3)):
        if size >= scale:
            return t(f"data.size.{unit}", lang, value=f"{size / scale:.1f}")
    return t("data.size.bytes", lang, value=fmt_int(size, lang))


def file_label(name: str, lang: str, k: int | None) -> str:
    """What a release file is, in plain words (a file unknown to this version: generic)."""
    key = f"data.file.{name}"
    try:
        return t(key, lang, k=k if k is not None else "k")
    except KeyError:
        return t("data.file.other", lang)


def files_table(entry: docs.ReleaseEntry, caption: str, lang: str) -> html.Div:
    """Every file of a release: download link, what it is, sha256, size."""
    rows = [
        [
            html.A(f.name, href=dash.get_relative_path(f.url_path), className="file-link"),
            file_label(f.name, lang, entry.k),
            html.Code(f.sha256 or "—", className="sha256"),
            size_label(f.size, lang),
        ]
        for f in entry.files
    ]
    headers = [t("data.files.name", lang), t("data.files.what", lang), t("data.files.sha256", lang),
               t("data.files.size", lang)]
    return html.Div(data_table(caption, headers, rows, numeric_from=3), className="info-table")


def _section(heading: str, body: list, section_id: str | None = None) -> html.Section:
    kwargs = {"id": section_id} if section_id else {}
    return html.Section(
        html.Div([html.H2(heading, className="h5 card-title"), *body], className="card-body"),
        className="card mb-3",
        **kwargs,
    )


# ------------------------------------------------------------------------------ sections


def _about(entry: docs.ReleaseEntry, city_name: str, lang: str) -> html.Section:
    yes_no = t("data.yes", lang) if entry.synthetic else t("data.no", lang)
    published = entry.rows.get("published")
    facts = [
        (t("data.about.city", lang), city_name),
        (t("data.about.release", lang), entry.release_id),
        (t("data.about.created", lang), entry.created[:10] or "—"),
        (t("data.about.source", lang), entry.source or "—"),
        (t("data.about.synthetic", lang), yes_no),
        (t("data.about.rows", lang), fmt_int(published, lang) if published is not None else "—"),
        (t("data.about.k", lang), str(entry.k) if entry.k is not None else "—"),
    ]
    items = []
    for term, value in facts:
        items += [html.Dt(term, className="col-sm-4 col-lg-3"), html.Dd(value, className="col-sm-8 col-lg-9")]
    return _section(
        t("data.about.heading", lang),
        [
            html.Dl(items, className="row mb-2 release-facts"),
            html.P(
                dcc.Link(t("data.about.history", lang),
                         href=page_href("/releases", lang, [(PARAM_CITY, entry.city)])),
                className="mb-0 link-row",
            ),
        ],
        ids.DATA_RELEASE,
    )


def _files(entry: docs.ReleaseEntry, lang: str) -> html.Section:
    links = []
    if entry.has_datapackage:
        links.append(html.Li([
            html.A(t("data.links.datapackage", lang), href=dash.get_relative_path(
                docs.file_url_path(entry.city, entry.release_id, DATAPACKAGE))),
            " " + t("data.links.datapackage_note", lang),
        ]))
    links.append(html.Li([
        html.A(t("data.links.manifest", lang), href=dash.get_relative_path(entry.manifest_url_path)),
        " " + t("data.links.manifest_note", lang),
    ]))
    links.append(html.Li([
        html.A(t("data.links.api", lang), href=dash.get_relative_path(docs.OPENAPI_PATH)),
        " " + t("data.links.api_note", lang),
    ]))
    return _section(
        t("data.files.heading", lang),
        [
            html.P(t("data.files.intro", lang)),
            files_table(entry, t("data.files.caption", lang, release_id=entry.release_id), lang),
            html.P(t("data.files.verify", lang), className="small mt-2"),
            html.Ul(links, className="mb-0 link-list"),
        ],
        ids.DATA_FILES,
    )


def _allowed(column: Column, lang: str) -> list | str:
    values: tuple[str, ...] = column.values  # noqa: PD011 (a tuple, not pandas)
    if column.dtype == "bool":
        values = ("true", "false")  # how calls.csv writes them
    if not values:
        return t("data.dict.any_value", lang)
    out: list = []
    for i, value in enumerate(values):
        if i:
            out.append(", ")
        out.append(html.Code(value))
    return out


def dictionary_rows(lang: str, notes: Mapping[str, str] | None = None, city: str = "") -> list[list]:
    """One row per column of ``calls``, in the contract's order.

    The meaning comes second so that a phone shows name and meaning without scrolling
    the table sideways; type, values and emptiness follow. ``notes`` (column -> text,
    ``i18n.column_notes``) add what the column means in this city, in its own words.
    """
    notes = notes or {}
    return [
        [
            html.Code(c.name),
            _meaning(c.name, notes.get(c.name), city, lang),
            t(f"data.type.{c.dtype}", lang),
            _allowed(c, lang),
            t("data.yes", lang) if c.nullable else t("data.no", lang),
        ]
        for c in CALLS_COLUMNS
    ]


def _meaning(column: str, note: str | None, city: str, lang: str) -> list:
    parts = code_text(t(f"schema.column.{column}", lang))
    if note:
        parts += [html.Br(), html.Strong(t("data.dict.city_note", lang, city=city) + ": "), *code_text(note)]
    return parts


def _dictionary(lang: str, notes: Mapping[str, str], city: str) -> html.Section:
    headers = [t("data.dict.column", lang), t("data.dict.meaning", lang), t("data.dict.type", lang),
               t("data.dict.values", lang), t("data.dict.empty", lang)]
    table = data_table(t("data.dict.caption", lang), headers, dictionary_rows(lang, notes, city),
                       numeric_from=len(headers))
    return _section(
        t("data.dict.heading", lang),
        [html.P(t("data.dict.intro", lang)), html.Div(table, className="info-table info-table--prose")],
        ids.DATA_DICTIONARY,
    )


def _tables(lang: str) -> html.Section:
    rows = []
    for table in (*ROLLUPS, *CUBES):
        columns: list = []
        for i, name in enumerate(table_column_names(table)):
            if i:
                columns.append(", ")
            columns.append(html.Code(name))
        rows.append([
            html.Code(table.name),
            code_text(t(f"schema.table.{table.name}", lang)),
            columns,
            t("data.yes", lang) if table.suppressed else t("data.no", lang),
        ])
    headers = [t("data.tables.table", lang), t("data.tables.meaning", lang), t("data.tables.columns", lang),
               t("data.tables.suppressed", lang)]
    table_div = data_table(t("data.tables.caption", lang), headers, rows, numeric_from=len(headers))
    return _section(
        t("data.tables.heading", lang),
        [
            html.P(t("data.tables.intro", lang)),
            html.Div(table_div, className="info-table info-table--prose"),
            html.P(dcc.Link(t("data.tables.methodology", lang), href=page_href("/methodology", lang)),
                   className="mb-0 mt-2 link-row"),
        ],
        ids.DATA_TABLES,
    )


# -------------------------------------------------------------------------------- layout


def layout(**query: object) -> html.Div:
    """The page for any query: a bad city is named in a notice, never a traceback."""
    lang = query_language(query)
    return safe_layout(lambda: _page(query, lang), heading=t("data.heading", lang), lang=lang, logger=log,
                       what="data page")


def _page(query: Mapping[str, object], lang: str) -> html.Div:
    store = current_store()
    cities = store.cities
    city_id, bad = docs.choose_city(query.get(PARAM_CITY), cities, current_settings().default_city)
    city = cities[city_id]
    info: ReleaseInfo = store.release_info(city_id)
    entry = docs.current_release(info.path)
    messages = [city_message(store, bad, city.name, lang)] if bad is not None else []
    return html.Div(
        [
            release_stamp(store.release_key()),
            release_notice(store.statuses().get(city_id), city.name, lang),
            synthetic_banner(info, city.name, lang),
            html.Header(
                [
                    html.H1(t("data.heading", lang), id=ids.DATA_HEADING, className="h3 mb-1"),
                    html.P(t("data.lead", lang, city=city.name), className="lead mb-0"),
                ],
                className="page-header mb-3",
            ),
            html.Div(notice(messages), id=ids.DATA_NOTICE),
            city_switcher({c: v.name for c, v in cities.items()}, city_id, PATH, lang),
            _about(entry, city.name, lang),
            _files(entry, lang),
            _dictionary(lang, column_notes(city, info.not_recorded, lang), city.localized(lang).name),
            _tables(lang),
            html.P(release_line(info, lang), className="release-line small"),
        ],
        className="container-xxl py-3 info-page",
    )
