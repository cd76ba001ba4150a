"""Which police district, precinct and council district a neighborhood lies in.

A resident knows their neighborhood, not their police district (issue 15: "Find my
area"). Each neighborhood of a city's web layers is given the area of every other layer
that covers most of it, with that share: a neighborhood split by a boundary says
"mostly". Computed from the boundary files the project ships (``geo-build``'s web
layers), so it works offline; cached per process, as immutable values.
"""

from __future__ import annotations

import functools
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import shapely
from shapely.geometry import shape

from dashboard.geo.web import layer_exists, web_layer_path

#: The layers a neighborhood is placed in, by the page's word for them.
PLACED_IN: dict[str, str] = {"police": "districts", "precinct": "precincts", "council": "council_districts"}
NEIGHBORHOODS = "neighborhoods"


@dataclass(frozen=True)
class Placement:
    """The area of one layer that covers most of a neighborhood, and how much of it."""

    area_id: str
    share: float  # of the neighborhood's area inside ``area_id``


@dataclass(frozen=True)
class Neighborhood:
    id: str
    name: str
    places: tuple[tuple[str, Placement], ...]  # (kind, placement), kinds of ``PLACED_IN``

    def place(self, kind: str) -> Placement | None:
        return dict(self.places).get(kind)


def fold(text: str) -> str:
    """Names compared without case, accents or extra spaces ("Cbd" = "CBD", "Cole" = " cóle")."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().replace("-", " ").split())


def neighborhoods(geo_dir: Path, city: str) -> tuple[Neighborhood, ...]:
    """Every neighborhood of ``city`` placed in its other layers; () without a neighborhood layer."""
    return _neighborhoods(Path(geo_dir).resolve(), city)


@functools.cache
def _neighborhoods(geo_dir: Path, city: str) -> tuple[Neighborhood, ...]:
    if not layer_exists(geo_dir, city, NEIGHBORHOODS):
        return ()
    layers = {
        kind: _shapes(geo_dir, city, layer)
        for kind, layer in PLACED_IN.items()
        if layer_exists(geo_dir, city, layer)
    }
    out = []
    for nid, name, geom in _shapes(geo_dir, city, NEIGHBORHOODS):
        places = []
        for kind, areas in layers.items():
            best = _largest_overlap(geom, areas)
            if best is not None:
                places.append((kind, best))
        out.append(Neighborhood(nid, name, tuple(places)))
    return tuple(sorted(out, key=lambda n: fold(n.name)))


def _shapes(geo_dir: Path, city: str, layer: str) -> list[tuple[str, str, shapely.Geometry]]:
    doc = json.loads(web_layer_path(geo_dir, city, layer).read_text(encoding="utf-8"))
    return [
        (str(f["properties"]["id"]), str(f["properties"]["name"]), shape(f["geometry"]))
        for f in doc["features"]
    ]


def _largest_overlap(
    geom: shapely.Geometry, areas: list[tuple[str, str, shapely.Geometry]]
) -> Placement | None:
    """Areas in degrees: fine for comparing shares inside one city."""
    total = geom.area
    if total <= 0:
        return None
    shares = [(shapely.intersection(geom, other).area / total, aid) for aid, _, other in areas]
    share, aid = max(shares, default=(0.0, ""))
    return Placement(aid, round(share, 3)) if share > 0 else None


def find(places: tuple[Neighborhood, ...], text: str) -> tuple[Neighborhood | None, tuple[str, ...]]:
    """The neighborhood a reader typed (case, accents and spaces aside), or up to five names
    that start with or contain what they typed."""
    wanted = fold(text)
    if not wanted:
        return None, ()
    for place in places:
        if fold(place.name) == wanted:
            return place, ()
    starts = [p.name for p in places if fold(p.name).startswith(wanted)]
    contains = [p.name for p in places if wanted in fold(p.name) and p.name not in starts]
    return None, tuple((starts + contains)[:5])


#: A map level's word for the layer a neighborhood is placed in (``PLACED_IN``).
LEVEL_KIND: dict[str, str] = {"district": "police", "precinct": "precinct", "council": "council"}


def names_by_area(geo_dir: Path, city: str, level: str) -> dict[str, tuple[str, ...]]:
    """Per area of a map level, the neighborhoods that lie mostly in it (for map hovers)."""
    kind = LEVEL_KIND.get(level)
    out: dict[str, list[str]] = {}
    for place in neighborhoods(geo_dir, city) if kind else ():
        placed = place.place(kind)
        if placed is not None:
            out.setdefault(placed.area_id, []).append(place.name)
    return {area: tuple(names) for area, names in out.items()}
