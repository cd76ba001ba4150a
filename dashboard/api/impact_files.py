"""``/api/v1/impact/<city>/<name>.csv``: the files behind the Impact page, as CSV.

The before/after estimates (``dashboard.impact.build``) are computed offline from public
offense reports and written beside the releases, not into one: no manifest lists them
and no privacy rule applies. This route sends the CSV forms of the three tables the page
shows (``queries.impact.DOWNLOADS``) for a configured city that has them, and nothing
else: the city must be a configured city and the name one of the three before any path is
built, so no value a client sends reaches the file system. The ETag is the file's hash.
"""

from __future__ import annotations

import hashlib

from flask import Response

from dashboard.api.answers import (
    ApiError,
    all_releases_header,
    api_store,
    attachment,
    bad_request,
    etag_matches,
    not_modified,
    query_args,
    with_cache_headers,
)
from dashboard.queries import api_params, impact


def impact_file(city: str, name: str) -> Response:
    """One CSV of the city's impact files; 404 (JSON) for anything else."""
    if problems := api_params.unknown_parameters(query_args(), ()):
        raise bad_request(problems)
    store = api_store()
    if city not in store.configured or name not in impact.DOWNLOADS or not impact.available(store, city):
        raise ApiError(404, "No such impact file: the city has no before/after estimates, or the file is "
                            f"not one of {', '.join(f'{n}.csv' for n in impact.DOWNLOADS)}.")
    body = (impact.folder(store, city) / f"{name}.csv").read_bytes()
    etag = hashlib.sha256(body).hexdigest()[:40]
    header = all_releases_header(store)
    if etag_matches(etag):
        return not_modified(etag, header)
    response = Response(body, mimetype="text/csv")
    return attachment(with_cache_headers(response, etag, header), f"{city}-impact-{name}.csv")
