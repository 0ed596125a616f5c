"""What a report's words say was hit: the vocabulary behind facility linking and ``target_category``.

An event is linked to a facility by distance only when its text (or a stated category) says that a
site of that type was hit; and each event records whether it concerns energy or rail
infrastructure (``events.target_category``). Both decisions read the words of a report with the
vocabulary below (documented in ``docs/ingest.md``).

The vocabulary is a list of regular expressions per facility type, in English, Russian, Ukrainian
and Italian (the language of a published OSINT tracker). Russian and Ukrainian words are written as
stems so their inflected forms match too: ``нефтебаз`` matches нефтебаза, нефтебазу, нефтебазе,
нефтебазы; ``підстанці`` matches підстанція, підстанції, підстанцію. Abbreviations (НПЗ, ТЭЦ, ТЕС,
ГЭС, НПС, CHP, TPP) are matched as whole words only, case-insensitively, so "нпз" inside another
word or "ps" inside "PSA" never count.

Words that name energy infrastructure without saying which kind ("energy infrastructure",
"power outage", "енергетичн...") make the category ``energy`` but never justify a link: a link by
distance needs the type.

Public functions: :func:`site_types_in_text`, :func:`says_rail`, :func:`says_energy`,
:func:`category_of_type`, :func:`decide_category`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache

from events import vocab
from events.text import fold

#: Categories stored in ``events.target_category``.
TARGET_CATEGORIES: tuple[str, ...] = vocab.TARGET_CATEGORIES

#: Facility types of each category (``events.vocab.FACILITY_TYPES``).
ENERGY_TYPES = frozenset(
    {"refinery", "oil_depot", "oil_terminal", "pipeline", "pumping_station", "power_plant", "substation", "port"}
)
RAIL_TYPES = frozenset({"rail_line", "rail_junction"})

# A word start/end that works for Latin and Cyrillic (``\b`` treats "/" and digits as boundaries too).
_B = r"(?<![^\W_])"
_E = r"(?![^\W_])"


def _stem(stem: str) -> str:
    """A word starting with ``stem`` (any ending: inflected forms)."""
    return _B + stem + r"[^\W_]*"


def _word(word: str) -> str:
    """A whole word (or abbreviation)."""
    return _B + word + _E


#: Facility type -> patterns (regular expressions, matched case-insensitively on NFKC text). Order
#: matters where two overlap: at one place of a text the first type listed wins ("ж/д станция" is a
#: junction, not a line).
VOCABULARY: dict[str, tuple[str, ...]] = {
    "refinery": (
        # English
        _stem("refiner"), r"\boil[- ]processing plant", _word("refining"),
        # Russian: НПЗ, нефтеперерабатывающий завод, нефтезавод, НПЗ in compounds ("Рязанский НПЗ")
        _word("нпз"), _stem("нефтеперераб"), _stem("нефтезавод"), _stem("нефтеперегон"),
        # Ukrainian: нафтопереробний завод, НПЗ, нафтозавод
        _stem("нафтопереро"), _stem("нафтозавод"),
        # Italian (osint-tracker titles): raffineria
        _stem("raffineri"),
        # transliterations seen in names
        _word("npz"), _stem("neftepererab"),
    ),
    "oil_depot": (
        r"\boil[- ](?:depots?|storage|tanks?|reservoirs?)\b", r"\bfuel[- ](?:depots?|storage|tanks?)\b",
        r"\btank[- ]farms?\b", r"\bpetroleum (?:depots?|storage)\b", r"\bfuel and lubricants? (?:depot|warehouse)",
        _stem("нефтебаз"), _stem("нефтехранилищ"), _stem("нафтобаз"), _stem("нафтосховищ"),
        r"(?<![^\W_])склад[^\W_]*\s+(?:гсм|пмм|топлива|пального)(?![^\W_])",
        r"(?<![^\W_])резервуар[^\W_]*\s+(?:с|з)\s+(?:нефт|нафт|топлив|пальн)",
        r"\bdeposit[oi] (?:petrolifer|di carburant)", r"\bneftebaz",
    ),
    "oil_terminal": (
        r"\boil[- ](?:terminal|loading)", r"\b(?:export|fuel|petroleum|crude) terminal",
        _stem("нефтеналив"), _stem("нафтоналив"), r"(?<![^\W_])(?:нефтяно|нафтови)[^\W_]*\s+термінал",
        r"(?<![^\W_])нефтяно[^\W_]*\s+терминал", r"\bterminale petrolifero",
    ),
    "pipeline": (
        _stem("pipeline"), _stem("трубопровод"), _stem("нефтепровод"), _stem("газопровод"),
        _stem("нафтопровод"), _stem("нафтопровід"), _stem("газопровід"), _stem("продуктопровод"),
        _stem("oleodott"), _stem("gasdott"), r"\bdruzhba\b", r"(?<![^\W_])дружба(?![^\W_])",
    ),
    "pumping_station": (
        r"\bpump(?:ing)? stations?\b", r"\bcompressor stations?\b", _word("нпс"), _word("кс"),
        r"(?<![^\W_])(?:нефте|нафто)?насосн[^\W_]*\s+станц[^\W_]*", _stem("нефтеперекачива"),
        r"(?<![^\W_])компрессорн[^\W_]*\s+станц[^\W_]*", r"(?<![^\W_])компресорн[^\W_]*\s+станц[^\W_]*",
        r"\bstazione di pompaggio\b",
    ),
    "power_plant": (
        r"\bpower[- ](?:plants?|stations?)\b", r"\b(?:thermal|hydro(?:electric)?|nuclear|coal|gas|combined heat and)"
        r"[- ](?:power )?(?:plants?|stations?)\b", _stem("hydroelectric"),
        _word("chp"), _word("tpp"), _word("hpp"), _word("npp"), _word("tes"), _word("tets"), _word("gres"),
        _word("тэц"), _word("тэс"), _word("гэс"), _word("аэс"), _word("грэс"), _word("гаэс"),
        _word("тец"), _word("тес"), _word("гес"), _word("аес"), _word("гаес"),
        _stem("электростанц"), _stem("електростанц"), _stem("теплоэлектроцентрал"), _stem("теплоелектроцентрал"),
        _stem("гидроэлектростанц"), _stem("гідроелектростанц"), _stem("теплоэлектростанц"),
        _stem("теплоелектростанц"), r"\bcentral[ei] (?:elettric|termoelettric|idroelettric|nuclear)",
    ),
    "substation": (
        _stem("substation"), _stem("подстанци"), _stem("підстанці"), _stem("sottostazion"),
        r"(?<![^\W_])(?:пс|ps)\s*[-\d]+\s*(?:кв|kv)(?![^\W_])",
        r"\b(?:electrical|power) (?:sub-?station|transformer)s?\b", _stem("трансформаторн"),
    ),
    "rail_junction": (
        r"\b(?:rail(?:way)?|train) (?:station|junction|yard|depot|hub)s?\b", r"\bmarshalling yards?\b",
        r"(?<![^\W_])(?:железнодорожн|залізничн)[^\W_]*\s+(?:станц|вузл|узл|депо)",
        r"(?<![^\W_])(?:ж\s*/\s*д|жд)\s+(?:станц|вузл|узл)", r"\bstazione ferroviaria\b",
    ),
    "rail_line": (
        _stem("railway"), _stem("railroad"), r"\brail(?:s| line| lines| track| tracks| bridge| infrastructure)?\b",
        _stem("locomotive"), r"\b(?:freight|fuel|cargo|passenger) trains?\b", r"\btrains?\b",
        r"(?<![^\W_])ж\s*/\s*д(?![^\W_])", r"(?<![^\W_])жд(?![^\W_])", _stem("железнодорож"),
        r"(?<![^\W_])железн[^\W_]*\s+дорог", _stem("залізниц"), _stem("залізничн"), _word("ржд"),
        _stem("локомотив"), _stem("электровоз"), _stem("електровоз"), _stem("тепловоз"), _stem("поезд"),
        _stem("потяг"), _stem("поїзд"), _stem("рельс"), _stem("ferrovi"), _stem("binari"), _word("tren[oi]"),
        _stem("wagon"), r"\b(?:tank|freight) cars?\b", _stem("echelon"), _stem("вагон"), _stem("эшелон"),
        _stem("ешелон"), _stem("перегон"), _stem("сортировочн"), _stem("сортувальн"), _stem("укрзалізниц"),
        _stem("желдор"), _stem("zheleznodorozhn"), _stem("zaliznyts"),
        r"(?<![^\W_])тягов[^\W_]*\s+(?:подстанц|підстанц)",
    ),
    "port": (
        # "the port city of Izmail" describes the town, it does not say the port was hit.
        r"\b(?:sea ?)?ports?\b(?!\s+(?:city|cities|town|towns)\b)", r"\bharbou?rs?\b(?!\s+(?:city|town)\b)",
        r"(?<![^\W_])(?:морск|морськ)[^\W_]*\s+порт",
        _word("порт"), _word("порту"), _word("порта"), _word("порті")
    ),
}  # fmt: skip

#: Words that name energy infrastructure without saying which kind: category only, never a link.
GENERIC_ENERGY: tuple[str, ...] = (
    r"\benergy (?:infrastructure|facilit|site|object)", r"\bpower (?:grid|supply|outages?|lines?|infrastructure)\b",
    r"\bblackouts?\b", r"\belectricity\b", r"\boil (?:facilit|infrastructure|industry)", r"\bfuel\b",
    _stem("энергетическ"), _stem("енергетичн"), _stem("энергообъект"), _stem("енергооб"), _stem("электроснабжен"),
    _stem("електропостачан"), _stem("знеструмл"), _stem("обесточ"), _stem("энергосистем"), _stem("енергосистем"),
    _stem("infrastruttur[ae] energetic"),
)  # fmt: skip

_FLAGS = re.IGNORECASE | re.UNICODE


@lru_cache(maxsize=1)
def _compiled() -> re.Pattern[str]:
    # One alternation with a named group per type: one scan of the text finds every type.
    groups = [f"(?P<{ftype}>{'|'.join(f'(?:{p})' for p in patterns)})" for ftype, patterns in VOCABULARY.items()]
    return re.compile("|".join(groups), _FLAGS)


@lru_cache(maxsize=1)
def _generic() -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{p})" for p in GENERIC_ENERGY), _FLAGS)


def _closing_paren(pattern: str, start: int) -> int:
    depth = 0
    for i in range(start, len(pattern)):
        if pattern[i] == "\\":
            continue
        if pattern[i] == "(" and (i == 0 or pattern[i - 1] != "\\"):
            depth += 1
        elif pattern[i] == ")" and pattern[i - 1] != "\\":
            depth -= 1
            if depth == 0:
                return i
    raise ValueError(pattern)


def _split_alternatives(body: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in body:
        if ch == "|" and depth == 0:
            parts.append(current)
            current = ""
            continue
        depth += ch == "("
        depth -= ch == ")"
        current += ch
    return [*parts, current]


def _leading_prefixes(pattern: str) -> set[str]:
    """The lower-case starts (up to 3 letters) a word must have for ``pattern`` to match at it."""
    for lead in (_B, r"\b"):
        if pattern.startswith(lead):
            pattern = pattern[len(lead) :]
    if pattern.startswith("(?:"):
        close = _closing_paren(pattern, 0)
        found = set().union(*(_leading_prefixes(alt) for alt in _split_alternatives(pattern[3:close])))
        rest = pattern[close + 1 :]
        if rest.startswith("?"):  # an optional group: the pattern may also start after it
            found |= _leading_prefixes(rest[1:])
        return found
    letters = ""
    for ch in pattern:
        if not ch.isalpha():
            break
        letters += ch
    if not letters:
        raise ValueError(f"vocabulary pattern {pattern!r} does not start with a letter")
    return {letters[:3].lower()}


@lru_cache(maxsize=1)
def _triggers() -> frozenset[str]:
    """Word starts that can begin a vocabulary match: the vocabulary is tried at those words only.

    Looking a text's words' first letters up in this set costs ~2 us; most texts (descriptions of
    other things) have none, and a text that has some is tried at those words (:func:`_matches`).
    """
    patterns = [p for ps in VOCABULARY.values() for p in ps] + list(GENERIC_ENERGY)
    return frozenset().union(*(_leading_prefixes(p) for p in patterns))


_TOKEN = re.compile(r"[^\W_]+")


def _normal(text: str) -> str:
    # "Ё" -> "Е" keeps Russian stems simple; NFKC folds full-width and compatibility forms.
    return unicodedata.normalize("NFKC", text).replace("ё", "е").replace("Ё", "Е")


def _matches(pattern: re.Pattern[str], normal: str) -> Iterator[re.Match[str]]:
    """The matches ``pattern.finditer(normal)`` gives, trying ``pattern`` only at trigger words.

    Every vocabulary pattern starts at the start of a word (``\\b`` or a look-behind for a letter)
    with one of :func:`_triggers`: so the pattern is tried, anchored, at those word starts only,
    left to right, each after the end of the previous match. Same matches as ``finditer`` (every
    cell of the bench, ``../shared/data`` and the tests' files, and their URL slugs: 0
    differences on 20,535 texts that reach the scan), ~13x faster: ``finditer`` tries the whole
    alternation at every character.
    """
    lower = normal.lower()
    if len(lower) != len(normal):  # a letter whose lower case is longer ("İ"): positions differ
        yield from pattern.finditer(normal)
        return
    triggers, match, end = _triggers(), pattern.match, 0
    for token in _TOKEN.finditer(lower):
        start = token.start()
        if start < end:
            continue
        word = token.group()
        if word[:3] in triggers or word[:2] in triggers or word[:1] in triggers:
            found = match(normal, start)
            if found is not None:
                end = found.end()
                yield found


@lru_cache(maxsize=8192)
def _types_in_one(text: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    found: dict[str, dict[str, None]] = {}
    for match in _matches(_compiled(), _normal(text)):
        assert match.lastgroup is not None
        found.setdefault(match.lastgroup, {})[match.group(0).strip().lower()] = None
    return tuple((ftype, tuple(words)) for ftype, words in found.items())


def site_types_in_text(*texts: str | None) -> dict[str, list[str]]:
    """Return the facility types the texts say were hit, with the words that say so.

    Parameters
    ----------
    *texts : str or None
        Facility name, description, source titles, category cells... (None and blanks ignored).

    Returns
    -------
    dict
        Facility type -> the matched words (lower case, in order of appearance, no repeats);
        empty when no text names a kind of site.

    Examples
    --------
    >>> site_types_in_text("Ночью дроны атаковали Рязанский НПЗ")
    {'refinery': ['нпз']}
    >>> site_types_in_text("A cemetery in Ryazan with new graves")
    {}
    >>> sorted(site_types_in_text("Пожежа на нафтобазі", "підстанцію знеструмлено"))
    ['oil_depot', 'substation']
    """
    found: dict[str, list[str]] = {}
    for text in texts:
        if not text or not text.strip():
            continue
        for ftype, words in _types_in_one(text):
            bucket = found.setdefault(ftype, [])
            bucket.extend(w for w in words if w not in bucket)
    # "rail station" also says "rail": keep the junction only; a "port" inside an oil terminal name
    # is the terminal.
    if "rail_junction" in found and "rail_line" in found:
        found.pop("rail_line")
    if "oil_terminal" in found and "port" in found:
        found.pop("port")
    return found


def says_rail(*texts: str | None) -> bool:
    """Tell whether the texts say rail infrastructure was hit (a line, a train, a station, a junction).

    For rail linking by distance to a line: a point near a railway is linked to it only when this
    is true.

    Examples
    --------
    >>> says_rail("Підрив залізниці біля Ковеля"), says_rail("ж/д мост поврежден"), says_rail("Refinery fire")
    (True, True, False)
    """
    found = site_types_in_text(*texts)
    return bool(found.keys() & RAIL_TYPES)


def says_energy(*texts: str | None) -> list[str]:
    """Return the words that say energy infrastructure was hit (any kind, generic words included)."""
    words = [w for ftype, ws in site_types_in_text(*texts).items() if ftype in ENERGY_TYPES for w in ws]
    for text in texts:
        if text and text.strip():
            words.extend(m.group(0).strip().lower() for m in _matches(_generic(), _normal(text)))
    return list(dict.fromkeys(words))


def category_of_type(facility_type: str | None) -> str | None:
    """Return ``energy``, ``rail`` or ``other`` for a facility type (None for None)."""
    if facility_type is None:
        return None
    if facility_type in ENERGY_TYPES:
        return "energy"
    if facility_type in RAIL_TYPES:
        return "rail"
    return "other"


@dataclass
class Category:
    """The ``target_category`` of an event and how it was decided."""

    category: str
    #: Short text stored in ``events.target_basis``: ``facility ryazan (name)``,
    #: ``facility_type column``, ``words: нпз, refinery``, ``no infrastructure words``, ``no text``.
    basis: str
    words: list[str] = field(default_factory=list)


def decide_category(
    *,
    linked_type: str | None,
    linked_slug: str | None,
    stated_type: str | None,
    texts: Iterable[str | None],
) -> Category:
    """Decide whether an event concerns energy or rail infrastructure.

    Order: the linked facility's type, else the stated ``facility_type``, else the words of the
    texts (site types first, then generic energy words), else ``other`` when there is text that
    names no infrastructure, else ``unknown``.
    """
    if linked_type is not None:
        stated = "; facility_type column" if stated_type is not None else ""
        return Category(category_of_type(linked_type) or "other", f"facility {linked_slug}{stated}")
    if stated_type is not None:
        return Category(category_of_type(stated_type) or "other", "facility_type column")
    texts = [t for t in texts if t and t.strip()]
    types = site_types_in_text(*texts)
    rail = [w for t, ws in types.items() if t in RAIL_TYPES for w in ws]
    energy = says_energy(*texts)
    if energy and (not rail or len(energy) >= len(rail)):
        return Category("energy", "words: " + ", ".join(energy[:5]), energy)
    if rail:
        return Category("rail", "words: " + ", ".join(rail[:5]), rail)
    if texts:
        return Category("other", "no infrastructure words")
    return Category("unknown", "no text")


__all__ = [
    "ENERGY_TYPES",
    "GENERIC_ENERGY",
    "RAIL_TYPES",
    "TARGET_CATEGORIES",
    "VOCABULARY",
    "Category",
    "category_of_type",
    "decide_category",
    "says_energy",
    "says_rail",
    "site_types_in_text",
]


# Words of a place text that name no particular place (Italian, English, Russian transliterations).
_GENERIC_PLACE_WORDS = frozenset(
    {"oblast", "regione", "region", "distretto", "district", "repubblica", "republic", "autonoma", "krai", "kraj",
     "raffineria", "deposito", "petrolifero", "refinery", "villaggio", "ucraina", "russia", "provincia", "citta"}
)  # fmt: skip


def _place_stems(texts: Iterable[str | None]) -> set[str]:
    # The first five letters: transliterations differ in their endings (Yaroslavl/Yaroslav, Orenbúrg).
    stems = set()
    for text in texts:
        for word in fold(text or "").split():
            if len(word) >= 5 and word.isalpha() and word not in _GENERIC_PLACE_WORDS:
                stems.add(word[:5])
    return stems


def unlikely_sources(facility_type: str | None, place_texts: Iterable[str | None], urls: Iterable[str]) -> list[str]:
    """Name the links whose words describe another site and another place than the event's.

    A candidate for an analyst, never a change of grade: a link whose slug names kinds of site
    (:func:`site_types_in_text`), none of them the event's facility type, and no word of the
    event's place (its location text, reported facility name, region).

    Examples
    --------
    >>> unlikely_sources(
    ...     "refinery",
    ...     ["Yaroslavl, Oblast di Yaroslav", "Raffineria di Yaroslavl"],
    ...     ["https://kyivindependent.com/drone-strike-damages-thermal-power-plant-in-russias-oryol-oblast-governor-says/"],
    ... )  # doctest: +ELLIPSIS
    ['https://kyivindependent.com/... names a power plant (thermal power plant), not a refinery nor the place']
    >>> unlikely_sources("refinery", ["Saratov"], ["https://x.org/ukraine-says-it-struck-oil-refinery-saratov"])
    []
    """
    if not facility_type:
        return []
    stems: set[str] | None = None  # the place's words, read only for a link that names another site
    found = []
    for url in urls:
        path = url.split("://", 1)[-1].split("?", 1)[0]
        words = re.sub(r"[-_+/.]+", " ", path.split("/", 1)[1] if "/" in path else "")
        types = site_types_in_text(words)
        if not types or facility_type in types:
            continue
        folded = fold(words)
        if stems is None:
            stems = _place_stems(place_texts)
        if any(stem in folded for stem in stems):
            continue
        named = ", ".join(f"{t.replace('_', ' ')} ({', '.join(w)})" for t, w in types.items())
        found.append(f"{url} names a {named}, not a {facility_type.replace('_', ' ')} nor the place")
    return found
