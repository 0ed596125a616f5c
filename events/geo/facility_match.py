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


#: The kind tokens :data:`events.text.KIND_WORDS` maps to ("tpp", "chp", "ss"...).
_KINDS = frozenset(KIND_WORDS.values())
#: A name word of at least this many letters also matches its inflected forms in a text (the word
#: without its last two letters starts the text's word, which is at most 5 letters longer):
#: "Кириши" -> "Киришском", "Ryazan" -> "Рязанский".
_STEM_MIN_LETTERS = 6
#: A name is only found in a text by a word of at least this many letters ("ps 110" is no name).
_NAME_WORD_MIN_LETTERS = 4


@dataclass(frozen=True)
class NameWords:
    """The words of one spelling of a facility name that a text must contain to name it.

    ``words``: the distinctive words (every one must be in the text, or an inflected form);
    ``numbers``: its numbers (each must stand next to a word of the name in the text, so that the
    "5" of "On 5 March" is not the "5" of "CHP-5"); ``kinds``: its kind tokens ("chp", "tpp"), which
    a text naming another kind contradicts; ``tokens``: every token, for the adjacency test.
    """

    words: tuple[str, ...]
    numbers: tuple[str, ...]
    kinds: frozenset[str]
    tokens: frozenset[str]


def name_words(*names: str) -> list[NameWords]:
    """Return the spellings of a facility under which a text can name it.

    Each name and each part in brackets is a spelling (``"Kirishi refinery (KINEF)"``: "kirishi",
    "kinef"); generic and type words are dropped, kind words kept apart. A spelling without a word
    of :data:`_NAME_WORD_MIN_LETTERS` letters is left out: it names no place.

    Examples
    --------
    >>> [w.words for w in name_words("Kirishi refinery (KINEF)", "Киришский НПЗ")]
    [('kirishi',), ('kinef',), ('kirishskiy',)]
    >>> name_words("Kharkiv CHP-5")[0].numbers, sorted(name_words("Kharkiv CHP-5")[0].kinds)
    (('5',), ['chp'])
    """
    found: list[NameWords] = []
    for name in names:
        for part in re.split(r"[()\[\]]", name or ""):
            tokens = [KIND_WORDS.get(w, w) for w in fold(part).split()]
            kept = [t for t in tokens if t in _KINDS or (t not in GENERIC_WORDS and t not in TYPE_WORDS)]
            words = tuple(t for t in kept if t not in _KINDS and not t.isdigit())
            if not any(len(w) >= _NAME_WORD_MIN_LETTERS and w.isalpha() for w in words):
                continue
            spelling = NameWords(
                words=words,
                numbers=tuple(t for t in kept if t.isdigit()),
                kinds=frozenset(t for t in kept if t in _KINDS),
                tokens=frozenset(tokens),
            )
            if spelling not in found:
                found.append(spelling)
    return found


@dataclass(frozen=True)
class TextWords:
    """The folded words of a report's texts, as :func:`names_in_text` looks a name up in them."""

    words: frozenset[str]
    kinds: frozenset[str]
    #: The words of each text in order (for :meth:`next_to`).
    sequences: tuple[tuple[str, ...], ...]

    @classmethod
    def of(cls, texts: list[str]) -> TextWords:
        """Fold the texts (kind words mapped as in facility names)."""
        kind = KIND_WORDS.get
        sequences = tuple(tuple([kind(w, w) for w in fold(text).split()]) for text in texts)
        words = frozenset().union(*sequences)
        return cls(words, words & _KINDS, sequences)

    def next_to(self, word: str, others: frozenset[str]) -> bool:
        """The word stands just before or after one of ``others`` in one of the texts."""
        if word not in self.words:
            return False
        for tokens in self.sequences:
            for i, token in enumerate(tokens):
                if token == word and (
                    (i > 0 and tokens[i - 1] in others) or (i + 1 < len(tokens) and tokens[i + 1] in others)
                ):
                    return True
        return False

    def has_word(self, word: str) -> bool:
        """The word, or (for long words of letters) an inflected form of it, is in the texts."""
        if word in self.words:
            return True
        if len(word) < _STEM_MIN_LETTERS or not word.isalpha():
            return False
        stem = word[:-2]
        return any(w.startswith(stem) and len(w) - len(word) <= 5 for w in self.words)


def names_in_text(spelling: NameWords, text: TextWords) -> bool:
    """Tell whether the texts name the facility by this spelling (see :class:`NameWords`).

    Examples
    --------
    >>> names_in_text(name_words("Kharkiv CHP-5")[0], TextWords.of(["Missiles hit Kharkiv CHP-5"]))
    True
    >>> names_in_text(name_words("Kharkiv CHP-5")[0], TextWords.of(["On 5 March a power plant in Kharkiv"]))
    False
    >>> names_in_text(name_words("Ryazan refinery")[0], TextWords.of(["Дроны атаковали Рязанский НПЗ"]))
    True
    """
    if spelling.kinds and text.kinds and not spelling.kinds & text.kinds:
        return False  # the text names another kind of plant ("ТЭЦ" is not "ГЭС")
    if not all(text.has_word(word) for word in spelling.words):
        return False
    return all(text.next_to(number, spelling.tokens) for number in spelling.numbers)


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
    "NameWords",
    "TextWords",
    "digits_differ",
    "implied_facility_types",
    "name_words",
    "names_in_text",
    "without_generic_words",
]
