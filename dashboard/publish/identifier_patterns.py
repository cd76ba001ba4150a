"""What a direct identifier looks like: column-name words and value patterns (rule 1).

``identifier_hint`` reads a column name, ``value_hint`` a value or a line of text, and
each says what it suggests (an address, coordinates, a phone number...).
``dashboard.publish.validate`` uses them on every public file (docs/architecture.md
"Privacy rules" 1-3).

Kept apart from the checks that use them: these are the vocabulary of rule 1, reviewed
and extended on their own (a new export's field names), and tested word by word.
"""

from __future__ import annotations

import re

#: Words in a column name that mark a direct identifier (rule 1) or a place or time
#: finer than the rules allow outside suppressed cubes (rules 2 and 3). Matched against
#: the name's words (split at ``_``, ``-``, spaces and camelCase) and as substrings for
#: the long, unambiguous ones.
_NAME_WORDS: dict[str, str] = {
    "address": "address", "addr": "address", "street": "address", "block": "address",
    "location": "location", "loc": "location", "geom": "coordinates", "geometry": "coordinates",
    "lat": "coordinates", "lon": "coordinates", "lng": "coordinates", "long": "coordinates",
    "latitude": "coordinates", "longitude": "coordinates", "coord": "coordinates",
    "coords": "coordinates", "coordinates": "coordinates", "x": "coordinates", "y": "coordinates",
    "person": "person", "persons": "person", "name": "name", "names": "name",
    "subject": "person", "patient": "person", "dob": "person",
    "birth": "person", "birthdate": "person", "ssn": "person", "race": "person",
    "gender": "person", "sex": "person", "age": "person", "email": "e-mail",
    "phone": "phone", "telephone": "phone", "tel": "phone", "mobile": "phone",
    "incident": "incident number", "cad": "incident number", "case": "incident number",
    "report": "incident number", "event": "incident number",
    "narrative": "narrative", "comment": "narrative", "comments": "narrative",
    "note": "narrative", "notes": "narrative", "remarks": "narrative", "description": "narrative",
    "text": "narrative", "unit": "unit", "badge": "officer", "officer": "officer",
    "precinct": "precinct", "neighborhood": "place finer than the district",
    "neighbourhood": "place finer than the district", "tract": "place finer than the district",
    "council": "place finer than the district", "beat": "place finer than the district",
    "zip": "place finer than the district", "zipcode": "place finer than the district",
    "hour": "time finer than the week", "timestamp": "time finer than the week",
    "datetime": "time finer than the week", "received": "time finer than the week",
    "key": "person key", "hash": "person key", "salt": "person key",
}
_NAME_SUBSTRINGS = ("address", "latitude", "longitude", "coordinate", "narrative", "phone",
                    "incident", "person", "precinct", "neighborhood", "timestamp")
#: Allowed only inside suppressed cubes (docs/architecture.md "Privacy rules" 2 and 3).
CUBE_ONLY = {"precinct", "time finer than the week", "place finer than the district"}

#: (what it looks like, pattern), checked in table cells and in text files alike.
_VALUE_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("coordinates", re.compile(
        r"^\s*[-+]?\d{1,3}\.\d{3,}\s*$"  # a lone decimal degree
        r"|[-+]?\d{1,3}\.\d{2,}\s*[,; ]\s*[-+]?\d{1,3}\.\d{2,}"  # a pair
        r"|\bPOINT\s*\(",
        re.IGNORECASE,
    )),
    ("a phone number", re.compile(r"(?<!\d)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]\d{3}[\s.-]\d{4}(?!\d)"
                                  r"|^\s*\+?1?\d{10}\s*$")),
    # A house number, an optional direction, one to three capitalized words, a street
    # suffix ("1500 N Broadway St", "2200 BLOCK OF E COLFAX AVE").
    ("a street address", re.compile(
        r"\b\d{1,6}\s+(?:(?i:block)\s+(?:(?i:of)\s+)?)?(?:[NSEWnsew]\.?\s+)?"
        r"(?:[A-Z0-9][A-Za-z0-9'.]*\s+){1,3}"
        r"(?i:st|street|ave|avenue|blvd|boulevard|rd|road|dr|drive|ln|lane|way|ct|court|pl|place|"
        r"pkwy|parkway|hwy|highway|cir|circle|ter|terrace)\b"
    )),
    ("an e-mail address", re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")),
)
#: Checked in table cells only: prose and manifests legitimately hold hashes, long
#: numbers (dates, seeds) and phrases like "2024 block report".
_CELL_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("a street address", re.compile(r"\b\d+\s+(?i:block)\b")),  # "1500 BLOCK", a CAD staple
    ("a hashed key", re.compile(r"\b[0-9a-fA-F]{32,}\b")),
    ("a CAD-like incident number", re.compile(
        r"\d{6,}|\b[A-Za-z]{1,4}-?\d{2}-\d{4,}\b|\b\d{2,4}-\d{5,}\b"
    )),
)


def identifier_hint(column: str) -> str | None:
    """What a column name suggests it holds (address, coordinates...), or None."""
    spaced = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", column)
    words = [w for w in re.split(r"[^A-Za-z0-9]+", spaced.lower()) if w]
    for word in words:
        if word in _NAME_WORDS:
            return _NAME_WORDS[word]
    lowered = column.lower()
    for part in _NAME_SUBSTRINGS:
        if part in lowered:
            return _NAME_WORDS.get(part, part)
    return None


def value_hint(value: str, *, cell: bool = True) -> str | None:
    """What a value looks like (coordinates, a phone number...), or None."""
    for label, pattern in (*_VALUE_PATTERNS, *(_CELL_PATTERNS if cell else ())):
        if pattern.search(value):
            return label
    return None
