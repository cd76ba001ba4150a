"""Plain pieces a view model hands to a layout, and labels the view models and the
components share.

A ``Table`` is a caption, header cells and rows of text (``components.chart_table.
data_table`` draws it); a ``Note`` is a sentence and the CSS class of its paragraph.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from dashboard.contract.cities import City
from dashboard.contract.schema import CITYWIDE
from dashboard.i18n import fmt_int, fmt_pct, t
from dashboard.params.filters import Catalog


@dataclass(frozen=True)
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    #: Per row, the id of the area its first cell names, when that cell links to the
    #: area's page (the layout makes the link: an address needs the app's prefix).
    links: list[str | None] = field(default_factory=list)


def years_label(covered: tuple[int, ...]) -> str:
    """ "2023" or "2021–2024": the calendar years a yearly figure sums ("" for none)."""
    if not covered:
        return ""
    return str(covered[0]) if len(covered) == 1 else f"{covered[0]}–{covered[-1]}"


def reading_share(share: float | None, lang: str) -> str:
    """A share for reading: whole percent, one decimal under 10% (0.2%, not 0%); a dash
    when unknown (None or NaN)."""
    if share is None or (isinstance(share, float) and math.isnan(share)):
        return "—"
    return fmt_pct(share, lang, digits=1 if 0 < share < 0.1 else 0)


@dataclass(frozen=True)
class Note:
    text: str
    class_name: str = "map-note"


def has_district_choice(catalog: Catalog) -> bool:
    """The release places calls below city level (police districts, or a place column such
    as Lane County's cities), so a district filter means something; boundary files are
    needed only for the map."""
    return any(d != CITYWIDE for d in catalog.districts)


def district_label(district: str, city: City, lang: str, *, short: bool = False) -> str:
    """ "Police district 3" ("3" when ``short``, under a "Police district" legend), or
    the plain words for calls placed only at city level."""
    if district == CITYWIDE:
        return t("filters.citywide", lang)
    key = "filters.district_option" if short else "filters.district_long"
    return t(key, lang, label=city.geo.district_label, district=city.district_name(district))


def population_text(population: object, lang: str) -> str:
    """A population in a table; a dash where none is known (boundaries without population)."""
    if population is None or population != population:  # None or NaN
        return "—"
    return fmt_int(population, lang)
