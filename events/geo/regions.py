"""One name per region: resolve any spelling of a first-level region to ISO 3166-2.

Event files write regions many ways ("Kharkiv Oblast", "Kharkivs'ka", "Kharkov", "Харківська
область"), and the bundled boundaries use GeoNames' ("Rjazan", "Kiev"). Grouping by such text
splits one oblast into many, so every event stores the region's ISO 3166-2 code, one canonical
English name, and the value as written beside them (``admin1_code``, ``admin1``,
``admin1_reported``).

Codes and the names of every other country come from ``pycountry`` (ISO 3166-2); the English
names and the spellings of Ukraine, Russia, Belarus and Moldova are in
:mod:`events.geo.region_names`. A spelling is matched in three steps, each only within the stated
country:

1. its folded key (case, accents, Cyrillic transliterated, words such as "oblast", "krai",
   "respublika" dropped, Russian/Ukrainian adjective endings unified: "Kharkivs'ka",
   "Харківська область" and "Kharkivska oblast" are one key);
2. its consonant skeleton, when only one region of the country has it ("Rjazan" = "Ryazan",
   "Nizjnij Novgorod" = "Nizhniy Novgorod");
3. a close spelling (rapidfuzz ratio at least :data:`FUZZY_MIN_SCORE`, clearly ahead of the
   next region): typing slips such as "Kharviv".

A name that matches nothing keeps no code: it is stored as written, never guessed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass

from events.geo.boundaries import admin1_at
from events.geo.region_names import REGION_SPELLINGS

#: Smallest rapidfuzz ratio (0-100) for a misspelt region name to be taken.
FUZZY_MIN_SCORE = 85.0
#: The best fuzzy candidate must lead the next region by this many points.
FUZZY_MARGIN = 5.0
#: Countries whose spellings are searched when a row states no country.
COVERED_COUNTRIES = ("UA", "RU", "BY", "MD")

# Words that say what kind of region it is (folded, as :func:`region_key` sees them).
_KIND_WORDS = frozenset(
    """
    oblast oblasts oblasti oblasty obl region regions regione regiao regional krai kray kraj kraiu territory
    republic respublika respubliki respublica repubblica autonomous avtonomnyy avtonomnyi avtonomnaya avtonomna
    avtonomnoi okrug okruga district province provincia governorate state department departement prefecture
    voblast voblasts vobl city misto gorod g m raionul raion rayon municipality of the people s peoples
    unitatea teritoriala autonoma utag
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_ADJECTIVE_END = re.compile(r"(skoyi|skoii|skoy|skoi|skaya|skaja|skiy|skii|skij|skyi|skyy|skyj|sky|ska|ski)$")
_ISO_CODE = re.compile(r"^([A-Za-z]{2})-([A-Za-z0-9]{1,3})$")
_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ў": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch",
    "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya",
}  # fmt: skip
_TRANSLIT = str.maketrans(_CYRILLIC)
# Apostrophes inside words ("Kharkivs'ka", "Orjol'") join, they do not separate.
_APOSTROPHES = re.compile(r"['’ʼ`´]")


@dataclass(frozen=True)
class Region:
    """A first-level region: ISO 3166-2 code, canonical English name, ISO 3166-1 country."""

    code: str
    name: str
    country: str


def fold(text: str) -> str:
    """Lower-case, transliterate Cyrillic, drop accents and apostrophes; words split by spaces.

    Parameters
    ----------
    text : str
        Any spelling, e.g. ``"Харківська область"``.

    Returns
    -------
    str
        ``"kharkivska oblast"``.
    """
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    plain = "".join(ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch))
    plain = _APOSTROPHES.sub("", plain)
    return " ".join(re.findall(r"[^\W_]+", plain))


def region_key(text: str) -> str:
    """Return the matching key of a region spelling (kind words dropped, adjective endings unified).

    Parameters
    ----------
    text : str
        E.g. ``"Kharkivs'ka oblast"``.

    Returns
    -------
    str
        E.g. ``"kharkivsk"``; the folded text when nothing but kind words is left.
    """
    words = fold(text).split()
    kept = [w for w in words if w not in _KIND_WORDS] or words
    return " ".join(_ADJECTIVE_END.sub("sk", w) if len(w) > 5 else w for w in kept)


def skeleton(key: str) -> str:
    """Consonant skeleton of a key: transliteration variants (``j``/``y``/``zh``/``zj``) agree."""
    text = re.sub(r"[aeiouyjh]", "", key)
    return re.sub(r"(.)\1+", r"\1", text)


class _CountryIndex:
    """The spellings of one country's regions, by key and by skeleton."""

    def __init__(self) -> None:
        self.full: dict[str, set[str]] = defaultdict(set)
        self.keys: dict[str, set[str]] = defaultdict(set)
        self.skeletons: dict[str, set[str]] = defaultdict(set)

    def add(self, code: str, spelling: str) -> None:
        folded = fold(spelling)
        if not folded:
            return
        self.full[folded].add(code)
        key = region_key(spelling)
        self.keys[key].add(code)
        self.skeletons[skeleton(key)].add(code)


@functools.cache
def _english_names() -> dict[str, str]:
    return {code: name for code, name, _ in REGION_SPELLINGS}


@functools.cache
def _pycountry_subdivisions(country: str) -> list[tuple[str, str, bool]]:
    """(code, ISO name, top level) of a country's subdivisions, from pycountry."""
    import pycountry

    found = pycountry.subdivisions.get(country_code=country) or []
    return [(s.code, s.name, getattr(s, "parent_code", None) is None) for s in found]


@functools.cache
def _index(country: str) -> _CountryIndex:
    index = _CountryIndex()
    for code, name, spellings in REGION_SPELLINGS:
        if code.startswith(country + "-"):
            for spelling in (name, *spellings.split("|")):
                index.add(code, spelling)
    explicit = set(index.full)
    for code, name, top in _pycountry_subdivisions(country):
        # ISO names ("Kharkivska oblast", "Adygeya, Respublika") are spellings too; where the
        # explicit table already uses the text, the table wins (e.g. "Kyiv" is the oblast).
        if fold(name) in explicit:
            continue
        if top or not any(c == code for c, _n, _t in _pycountry_subdivisions(country) if _t):
            index.add(code, name)
            index.add(code, re.sub(r"\[.*?\]|\(.*?\)", " ", name))
    return index


@functools.lru_cache(maxsize=4096)  # pure: per distinct code as written
def region_by_code(code: str) -> Region | None:
    """Return the region with an ISO 3166-2 code (``"UA-63"``), or None for an unknown code.

    Parameters
    ----------
    code : str
        Case-insensitive ISO 3166-2 code.

    Returns
    -------
    Region or None
    """
    match = _ISO_CODE.match(code.strip())
    if not match:
        return None
    code = f"{match[1].upper()}-{match[2].upper()}"
    country = code[:2]
    names = {c: n for c, n, _t in _pycountry_subdivisions(country)}
    english = _english_names().get(code)
    if english is None and code not in names:
        return None
    return Region(code, english or _plain_iso_name(names[code]), country)


def _plain_iso_name(name: str) -> str:
    """Turn ISO's inverted forms into reading order: ``"Adygeya, Respublika"`` -> ``"Respublika Adygeya"``."""
    if ", " in name and "(" not in name:
        head, _, tail = name.partition(", ")
        return f"{tail} {head}"
    return name


def _unique(codes: set[str] | None) -> str | None:
    return next(iter(codes)) if codes and len(codes) == 1 else None


@functools.lru_cache(maxsize=20_000)
def resolve_region(text: str, country: str | None = None) -> Region | None:
    """Resolve a region as written to its ISO 3166-2 code and canonical English name.

    Parameters
    ----------
    text : str
        The region as written: ``"Kharkiv Oblast"``, ``"Kharkivs'ka"``, ``"Kharkov"``,
        ``"Харківська область"``, ``"Rjazan"``, an ISO code ``"UA-63"``...
    country : str, optional
        ISO 3166-1 alpha-2 of the row. Without it Ukraine, Russia, Belarus and Moldova are
        searched (:data:`COVERED_COUNTRIES`) and only an unambiguous match is taken. For ``RU``
        the regions of Ukraine are searched as well (Crimea and the occupied oblasts are written
        with country RU by some sources; ISO 3166-2 codes them under UA).

    Returns
    -------
    Region or None
        None when no region matches with certainty.

    Examples
    --------
    >>> resolve_region("Kharkivs'ka", "UA")
    Region(code='UA-63', name='Kharkiv Oblast', country='UA')
    >>> resolve_region("Rjazan", "RU").name
    'Ryazan Oblast'
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        return None
    if _ISO_CODE.match(cleaned):
        by_code = region_by_code(cleaned)
        if by_code is not None and (country is None or by_code.country == country.upper()):
            return by_code
    countries = _search_order(country)
    for step in (_by_full, _by_key, _by_skeleton, _by_fuzzy):
        found = _first_unique(step, cleaned, countries)
        if found:
            return region_by_code(found)
    return None


def _search_order(country: str | None) -> list[list[str]]:
    """Groups of countries searched in turn; within a group a match must be unique."""
    if not country:
        return [list(COVERED_COUNTRIES)]
    country = country.upper()
    return [[country], ["UA"]] if country == "RU" else [[country]]


def _first_unique(step, text: str, groups: list[list[str]]) -> str | None:
    for group in groups:
        found: set[str] = set()
        for country in group:
            found |= step(text, _index(country))
        if len(found) == 1:
            return next(iter(found))
        if found:
            return None  # ambiguous in this group: never pick one
    return None


def _by_full(text: str, index: _CountryIndex) -> set[str]:
    return set(index.full.get(fold(text), ()))


def _by_key(text: str, index: _CountryIndex) -> set[str]:
    return set(index.keys.get(region_key(text), ()))


def _by_skeleton(text: str, index: _CountryIndex) -> set[str]:
    key = region_key(text)
    if len(key) < 5:
        return set()
    codes = index.skeletons.get(skeleton(key), set())
    return set(codes) if len(codes) == 1 else set()


def _by_fuzzy(text: str, index: _CountryIndex) -> set[str]:
    from rapidfuzz import fuzz

    key = region_key(text)
    if len(key) < 5:
        return set()
    best: dict[str, float] = {}
    for candidate, codes in index.keys.items():
        score = fuzz.ratio(key, candidate)
        for code in codes:
            best[code] = max(best.get(code, 0.0), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    if not ranked or ranked[0][1] < FUZZY_MIN_SCORE:
        return set()
    if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MARGIN:
        return set()
    return {ranked[0][0]}


def settle_region(
    country: str | None,
    written: str | None,
    boundary: Region | None = None,
) -> tuple[str | None, str | None, str | None]:
    """Decide the stored region of an event: ``(admin1_code, admin1, admin1_reported)``.

    Parameters
    ----------
    country : str or None
        The event's ISO 3166-1 alpha-2 country.
    written : str or None
        The region as the file wrote it (or as a linked facility has it).
    boundary : Region, optional
        The region the bundled boundaries give for the event's point.

    Returns
    -------
    tuple
        The code and canonical name of the region written, when it resolves; otherwise of the
        boundary region (when it lies in the event's country); otherwise no code and the text as
        written. The third item is always the text as written (None when the file had none).
    """
    written = " ".join(written.split()) if written else None
    if written:
        region = resolve_region(written, country)
        if region is not None:
            return region.code, region.name, written
    if boundary is not None and (country is None or boundary.country == country or _occupied(country, boundary)):
        return boundary.code, boundary.name, written
    return None, written, written


def _occupied(country: str, region: Region) -> bool:
    """A point in Ukraine's Crimea or occupied oblasts stated as RU keeps its ISO (UA) region."""
    return country == "RU" and region.country == "UA"


@functools.cache
def _boundary_codes() -> dict[tuple[str, str], str]:
    """(country, name) -> ISO 3166-2 code, from a code property of the bundled admin-1 features.

    Whatever the property is called (``iso_3166_2``, ``code``...), a value of the form
    ``CC-XXX`` whose prefix is the feature's country is taken; without one the name is resolved.
    """
    import json
    from importlib import resources

    path = resources.files("events").joinpath("data", "admin1.geojson")
    codes: dict[tuple[str, str], str] = {}
    try:
        features = json.loads(path.read_text(encoding="utf-8")).get("features", [])
    except (OSError, ValueError):
        return codes
    for feature in features:
        props = feature.get("properties") or {}
        country, name = props.get("country"), props.get("admin1")
        if not isinstance(country, str) or not isinstance(name, str):
            continue
        for value in props.values():
            if isinstance(value, str) and _ISO_CODE.match(value) and value.upper().startswith(country.upper() + "-"):
                codes[(country, name)] = value.upper()
                break
    return codes


def region_at(latitude: float, longitude: float) -> tuple[str | None, Region | None]:
    """Return the country and the ISO region at a point, from the bundled boundaries.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees, as for :func:`events.geo.boundaries.region_at`.

    Returns
    -------
    tuple
        ``(country, Region or None)``.
    """
    country, name = admin1_at(latitude, longitude)
    if not name:
        return country, None
    return country, boundary_region(country, name, _boundary_codes().get((country or "", name)))


def boundary_region(country: str | None, name: str | None, code: str | None = None) -> Region | None:
    """Resolve a region from the bundled boundaries: its ISO code property when present, else its name.

    Parameters
    ----------
    country : str or None
        The boundary feature's country.
    name : str or None
        Its name (GeoNames or Natural Earth spelling).
    code : str, optional
        Its ISO 3166-2 code property, when the boundary file has one.

    Returns
    -------
    Region or None
    """
    if code:
        region = region_by_code(code)
        if region is not None:
            return region
    if name:
        return resolve_region(name, country)
    return None


__all__ = [
    "COVERED_COUNTRIES",
    "FUZZY_MARGIN",
    "FUZZY_MIN_SCORE",
    "Region",
    "boundary_region",
    "fold",
    "region_at",
    "region_by_code",
    "region_key",
    "resolve_region",
    "settle_region",
    "skeleton",
]
