"""What the information pages (Data, Methodology, Releases) need from the data layer.

The pages hold no data access of their own (docs/architecture.md "Layers and import contracts":
no SQL in page modules): they ask here for a release's files with checksums, a city's changelog and
which city the URL asked for, as small frozen values. Everything comes from the
manifests the builder wrote (``releases.list_releases``, ``releases.read_manifest``),
the same ones ``/api/v1/releases`` serves, so the page and the API never disagree.

Manifests are read defensively: a hand-made or older release may lack a count or a
checksum, and the page must then show a dash, not fail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from dashboard.contract.datapackage import DATAPACKAGE, file_order
from dashboard.contract.releases import MANIFEST, ReleaseError, list_releases, read_manifest

#: Where the API serves things (another module builds the API; these are its URLs).
API_PREFIX = "/api/v1"
OPENAPI_PATH = f"{API_PREFIX}/openapi.json"

#: The manifest's row accounting, in the order a reader follows a call through ingest.
ROW_STEPS: tuple[str, ...] = (
    "read",
    "accepted",
    "rejected",
    "published",
    "generalized_time",
    "generalized_category",
    "generalized_place",
    "withheld",
)

#: Longest text of an untrusted URL value quoted back in a notice.
_QUOTE_LIMIT = 40


def file_url_path(city: str, release_id: str, name: str) -> str:
    """The API path that downloads one file of a release (no host; the page adds its prefix)."""
    parts = (quote(city, safe=""), quote(release_id, safe=""), quote(name, safe=""))
    return f"{API_PREFIX}/releases/{parts[0]}/{parts[1]}/files/{parts[2]}"


@dataclass(frozen=True)
class ReleaseFile:
    """One downloadable file of a release, as its manifest lists it."""

    name: str
    size: int | None
    sha256: str | None
    url_path: str


@dataclass(frozen=True)
class ReleaseEntry:
    """One release in a city's changelog (or the release the Data page describes)."""

    city: str
    release_id: str
    created: str
    source: str
    synthetic: bool
    current: bool
    k: int | None
    rows: Mapping[str, int | None]
    files: tuple[ReleaseFile, ...]
    previous_id: str | None = None
    #: Published rows minus the previous release's (None: first release, or unknown).
    published_change: int | None = None

    @property
    def has_datapackage(self) -> bool:
        """Older releases were built before ``datapackage.json`` existed."""
        return any(f.name == DATAPACKAGE for f in self.files)

    @property
    def manifest_url_path(self) -> str:
        return file_url_path(self.city, self.release_id, MANIFEST)


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def release_files(manifest: Mapping[str, object]) -> tuple[ReleaseFile, ...]:
    """The files a manifest lists (the ones the API serves), the public rows first."""
    city, release_id = str(manifest.get("city", "")), str(manifest.get("release_id", ""))
    files = manifest.get("files")
    if not isinstance(files, Mapping):
        return ()
    out = []
    for name in sorted((n for n in files if isinstance(n, str)), key=file_order):
        meta = files[name] if isinstance(files[name], Mapping) else {}
        sha = meta.get("sha256")
        out.append(ReleaseFile(
            name=name,
            size=_count(meta.get("bytes")),
            sha256=sha if isinstance(sha, str) else None,
            url_path=file_url_path(city, release_id, name),
        ))
    return tuple(out)


def release_entry(manifest: Mapping[str, object], *, current: bool = False,
                  previous: Mapping[str, object] | None = None) -> ReleaseEntry:
    """A manifest as a ReleaseEntry; ``previous`` (the next older release) gives the change."""
    rows_raw = manifest.get("rows")
    rows_map = rows_raw if isinstance(rows_raw, Mapping) else {}
    rows = {step: _count(rows_map.get(step)) for step in ROW_STEPS}
    privacy = manifest.get("privacy")
    k = _count(privacy.get("k")) if isinstance(privacy, Mapping) else None
    previous_id = change = None
    if previous is not None:
        previous_id = str(previous.get("release_id", ""))
        old_rows = previous.get("rows")
        old = _count(old_rows.get("published")) if isinstance(old_rows, Mapping) else None
        if old is not None and rows["published"] is not None:
            change = rows["published"] - old
    return ReleaseEntry(
        city=str(manifest.get("city", "")),
        release_id=str(manifest.get("release_id", "")),
        created=str(manifest.get("created", "")),
        source=str(manifest.get("source", "")),
        synthetic=manifest.get("synthetic") is True,
        current=current,
        k=k,
        rows=rows,
        files=release_files(manifest),
        previous_id=previous_id,
        published_change=change,
    )


def changelog(releases_dir: Path, city: str, serving: str | None = None) -> list[ReleaseEntry]:
    """Every complete release of ``city``, newest first, each compared with the one before
    (``current``: ``serving``, the one the pages show; see ``list_releases``)."""
    manifests = list_releases(releases_dir, city, serving=serving)
    entries = []
    for i, manifest in enumerate(manifests):
        older = manifests[i + 1] if i + 1 < len(manifests) else None
        entries.append(release_entry(manifest, current=bool(manifest.get("current")), previous=older))
    return entries


def current_release(path: Path) -> ReleaseEntry:
    """The release in folder ``path`` (the one a page is showing), marked current."""
    return release_entry(read_manifest(path), current=True)


def first_value(value: object) -> str | None:
    """The first string of an untrusted query value (str, list, or anything else)."""
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    if value is None:
        return None
    return value.strip() if isinstance(value, str) else repr(type(value))


def choose_city(raw: object, available: Iterable[str], default: str) -> tuple[str, str | None]:
    """The city a ``?city=`` value names, or the default and the (shortened) value to report.

    Never raises: a missing value is the default silently, an unknown one the default
    with a message, so a mistyped link still shows a page.
    """
    cities = list(available)
    if not cities:
        raise ReleaseError("no city has a current release")
    fallback = default if default in cities else cities[0]
    value = first_value(raw)
    if not value:
        return fallback, None
    if value in cities:
        return value, None
    shown = value if len(value) <= _QUOTE_LIMIT else value[: _QUOTE_LIMIT - 3] + "..."
    return fallback, shown

