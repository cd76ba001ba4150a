"""The Districts page's view model: every district of a city, and "Find my area".

A resident knows their neighborhood, not their police or council district; on a phone a
small district on the map is a hard target. This page lists every district with a
profile and answers a neighborhood name with the police district, precinct and council
district it lies in (``dashboard.geo.lookup``, from the boundary files the project
ships: offline), linking both profiles. No Dash here (``pages.districts`` draws it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dashboard.contract.cities import City
from dashboard.engine.store import Store
from dashboard.geo.lookup import Neighborhood, find, neighborhoods
from dashboard.i18n import t
from dashboard.params.districts import DistrictKind
from dashboard.params.filters import Filters
from dashboard.queries.docs import first_value
from dashboard.views.district import areas, district_names
from dashboard.views.prelude import page_query

#: The query parameter holding what the reader typed.
PARAM_AREA = "area"
MAX_TYPED = 60
#: Under this share of a neighborhood inside one district, the answer says "mostly".
WHOLLY = 0.95


@dataclass(frozen=True)
class Answer:
    """What "Find my area" says: a sentence and the profiles it names (kind, id, name)."""

    text: str
    profiles: tuple[tuple[DistrictKind, str, str], ...] = ()
    found: bool = False


@dataclass(frozen=True)
class Districts:
    lang: str
    filters: Filters
    city: City
    errors: tuple[str, ...]
    typed: str
    answer: Answer | None
    neighborhood_names: tuple[str, ...]
    police: tuple[tuple[str, str], ...]  # (id, name) with a profile
    council: tuple[tuple[str, str], ...]


def render(query: Mapping[str, object], store: Store, default_city: str, geo_dir: Path) -> Districts:
    """The page for an untrusted query (never raises on bad input)."""
    prelude = page_query(query, store, default_city)
    lang, f = prelude.lang, prelude.filters
    city = store.cities[f.city].localized(lang)
    police = tuple(district_names(city, "police", areas(store, city, "police"), lang).items())
    council = tuple(district_names(city, "council", areas(store, city, "council"), lang).items())
    places = neighborhoods(geo_dir, city.id)
    typed = (first_value(query.get(PARAM_AREA)) or "")[:MAX_TYPED]
    answer = _answer(typed, places, city, dict(police), dict(council), lang) if typed else None
    return Districts(lang, f, city, tuple(prelude.errors), typed, answer,
                     tuple(p.name for p in places), police, council)


def _answer(typed: str, places: tuple[Neighborhood, ...], city: City, police: Mapping[str, str],
            council: Mapping[str, str], lang: str) -> Answer:
    if not places:
        return Answer(t("districts.no_neighborhoods", lang, city=city.name))
    place, close = find(places, typed)
    if place is None:
        text = t("districts.no_match", lang, value=typed)
        if close:
            text += " " + t("districts.did_you_mean", lang, names=", ".join(close))
        return Answer(text)
    parts, profiles = [], []
    district, precinct, ward = place.place("police"), place.place("precinct"), place.place("council")
    if district is not None:
        name = police.get(district.area_id) or t("district.police_name", lang, label=city.geo.district_label,
                                                 id=city.district_name(district.area_id))
        mostly = district.share < WHOLLY
        parts.append(t("districts.in_police_mostly" if mostly else "districts.in_police", lang, name=name,
                       precinct=precinct.area_id if precinct else "–"))
        if district.area_id in police:
            profiles.append(("police", district.area_id, name))
    if ward is not None:
        name = council.get(ward.area_id) or t("district.council_name", lang, id=ward.area_id)
        mostly = ward.share < WHOLLY
        parts.append(t("districts.in_council_mostly" if mostly else "districts.in_council", lang, name=name))
        if ward.area_id in council:
            profiles.append(("council", ward.area_id, name))
    text = t("districts.answer", lang, neighborhood=place.name, places=t("districts.and", lang).join(parts))
    if district is not None and precinct is not None and not precinct.area_id.startswith(district.area_id):
        # Precinct ids begin with their district's (DPD's labels); the official district
        # polygons, which the dashboard counts by, can disagree (Denver's precinct 622).
        text += " " + t("districts.precinct_elsewhere", lang, precinct=precinct.area_id,
                        other=precinct.area_id[:1], district=city.district_name(district.area_id))
    return Answer(text, tuple(profiles), found=True)
