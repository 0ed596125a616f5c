"""The rules of a facility-name match: which words say the kind of site, which numbers must agree.

:class:`events.geo.Geocoder` matches a reported facility name to the facilities of the database by
these rules: exact folded names (:func:`events.text.fold`, :func:`events.text.name_key`), then
alternative names, then fuzzy (rapidfuzz) among names whose words allow the same facility types
and carry the same numbers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from events.text import GENERIC_WORDS, KIND_WORDS, fold

#: Default minimum rapidfuzz score (0-100) for a fuzzy facility-name match.
DEFAULT_FUZZY_THRESHOLD = 85.0

_LONG_GENERIC_WORDS = sorted(w for w in GENERIC_WORDS if len(w) >= 5)


#: Words of a reported facility name that say what kind of site it is (folded, as :func:`fold`
#: gives them) -> the facility types they allow. "Volgograd substation" is not the Volgograd
#: refinery even though both names fold to "volgograd".
TYPE_WORDS: dict[str, frozenset[str]] = {
    word: frozenset(types.split())
    for types, words in {
        "refinery": "refinery refineries refining npz raffineria neftepererabatyvayushchiy",
        "oil_depot": "depot depots neftebaza deposito",
        "oil_terminal port": "terminal terminals port",
        "power_plant": "power tpp tes gres chp tets tec npp aes nuclear hpp ges hydroelectric hydro "
        "elettrica termoelettrica powerplant",
        "substation": "substation pidstantsiia podstantsiia ps sottostazione",
        "pumping_station": "pumping nps",
    }.items()
    for word in words.split()
}


def implied_facility_types(name: str) -> frozenset[str]:
    """Return the facility types a name's own words allow (empty: the name does not say).

    ``"Ryazan power station"`` -> ``{"power_plant"}``; ``"Kirishi"`` -> ``{}``.
    """
    found: set[str] = set()
    for word in fold(name).split():
        found |= TYPE_WORDS.get(word, frozenset())
    return frozenset(found)


def without_generic_words(folded: str) -> tuple[str, float]:
    """Drop generic words, misspelt ones too; return the key and how well they were spelt (0-100).

    ``"ryazan refinry"`` -> ``("ryazan", 93.3)``. Kind words map as in :func:`name_key`.
    """
    words, spelling = [], 100.0
    for word in folded.split():
        if word in GENERIC_WORDS:
            continue
        if len(word) >= 5 and word not in KIND_WORDS:
            near = process.extractOne(word, _LONG_GENERIC_WORDS, scorer=fuzz.ratio, score_cutoff=85)
            if near is not None:
                spelling = min(spelling, near[1])
                continue
        words.append(KIND_WORDS.get(word, word))
    return (" ".join(words) or folded), spelling


def digits_differ(a: str, b: str) -> bool:
    """Tell whether two names carry different numbers ("CHP-5" vs "CHP-6" are different plants)."""
    return set(re.findall(r"\d+", a)) != set(re.findall(r"\d+", b))


@dataclass(frozen=True)
class FacilityFacts:
    """A stored facility, as the linking rules see it and as a :class:`FacilityMatch` reports it."""

    facility_id: int
    slug: str
    name: str
    facility_type: str
    latitude: float | None
    longitude: float | None
    country: str | None
    admin1: str | None


@dataclass(frozen=True)
class FacilityMatch(FacilityFacts):
    """A facility found for an event, and how it was found."""

    #: ``"name"``, ``"alias"``, ``"fuzzy"`` or ``"nearest"``.
    method: str
    #: 0-100: 100 for exact name/alias, the rapidfuzz score for fuzzy, 100*(1-d/radius) for nearest.
    score: float
    distance_km: float | None


__all__ = [
    "DEFAULT_FUZZY_THRESHOLD",
    "TYPE_WORDS",
    "FacilityFacts",
    "FacilityMatch",
    "digits_differ",
    "implied_facility_types",
    "without_generic_words",
]
