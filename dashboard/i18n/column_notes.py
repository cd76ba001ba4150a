"""What the calls table's columns mean in one city, in its own words (issue 14).

The contract's column names and values are the same in every city, so that a journalist's
code works on any release; what differs is what the city calls its areas and its teams,
and which fields its data does not record at all. These notes say so beside the
contract's meaning: on the Data page (in the reader's language) and in the release's
``data_dictionary.md``/``.json`` (English, written by the ingest).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from dashboard.i18n import t

if TYPE_CHECKING:
    from dashboard.contract.cities import City


def local_program_name(value: str, lang: str, labels: Mapping[str, str] | None = None) -> str:
    """A program's name for readers: the city's own name for it, else the catalog's."""
    if labels and value in labels:
        return labels[value]
    return t(f"program.{value}", lang)


def column_notes(city: City, not_recorded: Iterable[str], lang: str) -> dict[str, str]:
    """Column name -> a sentence about that column in ``city`` (only columns with one),
    to be read after "In <city>:" (``data.dict.city_note``)."""
    local = city.localized(lang)
    labels = local.label_map
    unrecorded = set(not_recorded)
    alt = local_program_name(city.alternative_program.value, lang, labels)
    notes = {
        "district": t("data.note.district", lang, label=local.geo.district_label),
        "response_type": t("data.note.programs", lang, programs="; ".join(
            f"{p.value} = {local_program_name(p.value, lang, labels)}" for p in city.programs)),
        "star_eligible": t("data.note.eligible", lang, program=alt),
        "outcome": t("data.note.outcome", lang),
    }
    for column in ("star_eligible", "police_backup", "repeat_contact_90d"):
        if column in unrecorded:
            notes[column] = t(f"data.note.unrecorded.{column}", lang)
    return notes
