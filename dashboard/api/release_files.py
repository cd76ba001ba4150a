"""The release routes of ``/api/v1``: every city's releases with their files, and one file.

``releases`` lists every release of every configured city, with its accounting,
privacy parameters, files and checksums, and how the city is served now (``ok``,
``previous`` or ``unavailable``). ``release_file`` sends a file a release's manifest
lists, only while its bytes are the ones the manifest describes: checked by stat
(hashed again if the file changed) before the answer, hashed again as it is sent, the
last chunk held back until it matches (``integrity.verified_chunks``); a file that
fails answers 503. Kept apart from the data routes (``routes``, which mounts these two
on the API's blueprint): they read release folders and manifests, not the store's
queries.
"""

from __future__ import annotations

import logging
from pathlib import Path

from flask import Response, request, send_file, url_for

from dashboard.api.answers import (
    IMMUTABLE_MAX_AGE,
    ApiError,
    all_releases_header,
    api_settings,
    api_store,
    attachment,
    bad_request,
    etag_for,
    etag_matches,
    json_response,
    not_modified,
    query_args,
    with_cache_headers,
)
from dashboard.contract.releases import MANIFEST, ReleaseError, list_releases, read_manifest, sha256_file
from dashboard.engine.integrity import SEALS, IntegrityError, manifest_files, verified_chunks
from dashboard.engine.serving import CityStatus
from dashboard.engine.store import Store
from dashboard.queries import api_params

#: The API's log, one name for all its routes (as before they were split into modules).
log = logging.getLogger("dashboard.api.routes")

#: Content types of release files by suffix (anything else is application/octet-stream).
FILE_TYPES = {
    ".csv": "text/csv",
    ".parquet": "application/vnd.apache.parquet",
    ".json": "application/json",
    ".md": "text/markdown",
}


def _city_status(status: CityStatus | None) -> dict[str, object]:
    """How a city is served, for ``/releases``: ``ok``, ``previous`` (the release CURRENT
    names failed its checks; the last good one is served) or ``unavailable``."""
    if status is None:
        return {"state": "unavailable", "serving": None, "named": None, "problem": None}
    state = "unavailable" if status.unavailable else "previous" if status.fallback else "ok"
    return {
        "state": state,
        "serving": status.serving.release_id if status.serving else None,
        "named": status.named,
        "problem": "The release CURRENT names failed its integrity check." if status.problem else None,
    }


def releases() -> Response:
    """Every release of every city, with its accounting, privacy parameters and files.

    ``current`` marks the release this server answers from (not necessarily the one
    CURRENT names: see each city's ``status``). Cities with no good release are listed
    too, so a client can see why their data answers 503.
    """
    if problems := api_params.unknown_parameters(query_args(), ()):
        raise bad_request(problems)
    store, settings = api_store(), api_settings()
    statuses = store.statuses()
    served = store.cities
    configured = {c: city for c, city in store.configured.items() if c in served or c in statuses}
    cities = []
    keys = []
    for city_id, city in configured.items():
        status = statuses.get(city_id)
        serving = status.serving.release_id if status and status.serving else ""
        entries = []
        for manifest in list_releases(settings.releases_dir, city_id, serving=serving):
            release_id = str(manifest["release_id"])
            keys.append(f"{city_id}/{release_id}/{manifest['current']}")
            files = [
                {
                    "name": name,
                    "sha256": meta["sha256"],
                    "bytes": meta["bytes"],
                    "url": url_for("api.release_file", city=city_id, release_id=release_id, name=name),
                }
                for name, meta in sorted(manifest.get("files", {}).items())
            ]
            entries.append(
                {
                    "id": release_id,
                    "city": city_id,
                    "created": manifest.get("created"),
                    "source": manifest.get("source"),
                    "synthetic": bool(manifest.get("synthetic")),
                    "current": bool(manifest["current"]),
                    "rows": manifest.get("rows", {}),
                    "privacy": manifest.get("privacy", {}),
                    "manifest_url": url_for(
                        "api.release_file", city=city_id, release_id=release_id, name=MANIFEST
                    ),
                    "files": files,
                }
            )
        city_status = _city_status(status)
        keys.append(f"{city_id}:{city_status['state']}:{city_status['named']}")
        cities.append({"city": city_id, "name": city.name, "status": city_status, "releases": entries})
    header = all_releases_header(store)
    etag = etag_for(keys, [])
    if etag_matches(etag):
        return not_modified(etag, header)
    return with_cache_headers(json_response({"cities": cities}), etag, header)


def _expected(store: Store, folder: Path, city: str, release_id: str, name: str) -> tuple[str, int]:
    """(sha256, bytes) the file must have: from its manifest (for the manifest itself, as
    verified when the release was opened, or as it is now for a release not served)."""
    manifest = read_manifest(folder)
    if manifest.get("release_id") != release_id or manifest.get("city") != city:
        raise ApiError(404, "No such release file.")
    if name != MANIFEST:
        files = manifest_files(manifest)
        if name not in files:
            raise ApiError(404, "No such release file.")
        return files[name]
    served = store.served_release(city)
    if served is not None and served.info.release_id == release_id:
        return served.expected[MANIFEST]
    return sha256_file(folder / MANIFEST), (folder / MANIFEST).stat().st_size


def release_file(city: str, release_id: str, name: str) -> Response:
    """A file of a release, only if its manifest lists it (or the manifest itself), and
    only if its bytes are the ones the manifest describes (else 503).

    Nothing from the URL reaches the file system unchecked: the city must be configured,
    the release id must be one ``list_releases`` returns and the name one its manifest
    lists, so ``..`` or any other path cannot name a file.
    """
    if problems := api_params.unknown_parameters(query_args(), ()):
        raise bad_request(problems)
    store, settings = api_store(), api_settings()
    not_found = ApiError(404, "No such release file.")
    if city not in store.cities and city not in store.statuses():
        raise not_found
    if release_id not in {str(m["release_id"]) for m in list_releases(settings.releases_dir, city)}:
        raise not_found
    folder = settings.releases_dir / city / release_id
    try:
        sha256, size = _expected(store, folder, city, release_id, name)
    except ReleaseError as exc:
        raise not_found from exc
    path = (folder / name).resolve()
    if path.parent != folder.resolve() or not path.is_file():
        raise not_found
    try:
        SEALS.check(path, sha256, size)  # a stat; hashed again only if the file changed
    except IntegrityError as exc:
        log.error("refusing to serve %s/%s/%s: %s", city, release_id, name, exc)
        raise ApiError(503, "This file no longer matches the checksum its release publishes, so it is "
                            "not served. The problem has been logged; try again later.") from exc
    if etag_matches(sha256):
        return not_modified(sha256, release_id, immutable=True)
    mimetype = FILE_TYPES.get(path.suffix, "application/octet-stream")
    if request.range is not None:  # a byte range cannot be checked whole: the check above guards it
        response = send_file(path, mimetype=mimetype, as_attachment=True, download_name=name,
                             conditional=True, etag=sha256, max_age=IMMUTABLE_MAX_AGE)
    else:
        response = Response(verified_chunks(path, sha256, size), mimetype=mimetype,
                            direct_passthrough=True)
        response.content_length = size
        response.headers["Accept-Ranges"] = "bytes"
        attachment(response, name)
    return with_cache_headers(response, sha256, release_id, immutable=True)
