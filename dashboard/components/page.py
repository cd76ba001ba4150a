"""What every page shares around its content: a layout that never raises, the row of
links that switches city, and the stamp of the releases the page was rendered with.

A broken release or a bug in one section must still give the reader a page with a
message (and the log the traceback), never a bare HTTP 500; ``safe_layout`` is that
guard, written once. The city switcher is a row of plain links (no callback), so each
city's view is a permalink and works without JavaScript.

A page and its callbacks never mix releases (``dashboard.release_scope``): the page
carries ``release_stamp``, a callback that reads data declares it as a ``State`` and is
answered from that snapshot; when the snapshot is gone (``page_release_changed``) the
callback sets ``ids.PAGE_RELOAD`` to the page's address and the browser loads it afresh
(``assets/release.js``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from dash import ClientsideFunction, Input, Output, clientside_callback, dcc, html

from dashboard import ids
from dashboard.components.alert import notice
from dashboard.components.links import page_href
from dashboard.i18n import t


def safe_layout(
    build: Callable[[], html.Div], *, heading: str, lang: str, logger: logging.Logger, what: str
) -> html.Div:
    """``build()``, or a page with ``heading`` and the generic error message if it raises."""
    try:
        return build()
    except Exception:  # a broken release or a bug must still give a page, not a 500
        logger.exception("%s layout failed", what)
        return html.Div(
            [html.H1(heading, className="h3"), notice([t("notice.error", lang)], color="danger")],
            className="container-xxl py-3",
        )


def city_switcher(
    cities: Mapping[str, str],
    chosen: str,
    path: str,
    lang: str,
    extra: Sequence[tuple[str, str]] = (),
) -> html.Nav | None:
    """Links to the same page for every other city (``extra``: query kept, e.g. ``lang``)."""
    if len(cities) < 2:
        return None
    items = []
    for city_id, name in cities.items():
        if city_id == chosen:
            items.append(html.Li(html.Strong(name, **{"aria-current": "page"})))
        else:
            href = page_href(path, lang, [("city", city_id), *extra])
            items.append(html.Li(dcc.Link(name, href=href)))
    return html.Nav(
        [html.Span(t("data.city_label", lang) + " "), html.Ul(items, className="city-switcher__list")],
        className="city-switcher small mb-3",
        **{"aria-label": t("data.city_nav", lang)},
    )


def release_stamp(key: str) -> html.Div:
    """The releases the page was rendered with (``city/release-id, ...``), for its callbacks."""
    return html.Div(
        [dcc.Store(id=ids.PAGE_RELEASE, data=key), dcc.Store(id=ids.PAGE_RELOAD)],
        id=ids.PAGE_RELEASE + "-box",
        hidden=True,
    )


def page_release_changed(answering_key: str, stamp: object) -> bool:
    """Is a callback answered from other releases than its page was rendered with?

    ``answering_key`` is the request's snapshot (``Store.release_key``), which is the
    page's own while this process still has it open. A page without a stamp (rendered
    before stamps existed) is never reloaded.
    """
    return isinstance(stamp, str) and stamp != answering_key


# A callback whose page's releases are gone sets PAGE_RELOAD to an address: load it.
clientside_callback(
    ClientsideFunction(namespace="release", function_name="reload"),
    Output(ids.PAGE_RELEASE + "-box", "title"),
    Input(ids.PAGE_RELOAD, "data"),
    prevent_initial_call=True,
)
