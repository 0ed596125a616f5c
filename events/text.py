"""Text folding for name comparison: the rules every name index and cache key share.

:func:`fold` turns any spelling of a name (any case, accents, Cyrillic) into plain ASCII-like words;
:func:`name_key` also drops the words that describe a kind of site ("refinery", "НПЗ"). The GeoNames
place index (:mod:`events.geo.places_index`) is cached on disk keyed by :func:`fold_signature`, so a
change to these rules rebuilds it by itself.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import re
import unicodedata

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_TRANSLIT = str.maketrans(_CYRILLIC)

#: Words that describe the kind of site rather than name it ("Kirishi refinery" is "Kirishi").
GENERIC_WORDS = frozenset(
    """
    oil refinery refineries refining plant plants npz нпз raffineria di the of la il lo station power
    thermal depot depots neftebaza нефтебаза terminal terminals port deposito petrolifero impianto centrale
    elettrica termoelettrica sottostazione complex zavod завод pjsc oao ojsc zao ooo llc jsc ао пао оао ооо
    neftepererabatyvayushchiy нефтеперерабатывающий company co ltd electric electricity
    """.split()  # noqa: SIM905 - a word list reads better as text
)
#: Words for the kind of power plant, mapped to one token per kind so that "Запорізька ТЕС" (a thermal
#: plant) never equals "Запорізька АЕС" (the nuclear plant) while "TPP" still equals "ТЕС".
KIND_WORDS = {
    "tpp": "tpp", "tes": "tpp", "tes'": "tpp", "gres": "tpp",
    "chp": "chp", "tets": "chp", "tec": "chp",
    "npp": "npp", "aes": "npp", "nuclear": "npp",
    "hpp": "hpp", "ges": "hpp", "hydroelectric": "hpp", "hydro": "hpp",
    "substation": "ss", "pidstantsiia": "ss", "podstantsiia": "ss", "ps": "ss",
}  # fmt: skip


def fold(text: str) -> str:
    """Fold a name for comparison: lower case, no accents, Cyrillic transliterated, punctuation removed.

    Parameters
    ----------
    text : str
        Any name, e.g. ``"Кириши"`` or ``"Novokuybyshevsk"``.

    Returns
    -------
    str
        ``"kirishi"``; words separated by single spaces.
    """
    if text.isascii():  # fast path: most names, and every GeoNames ASCII name
        return " ".join(_ASCII_WORD.findall(text.lower()))
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))
    return " ".join(_WORD.findall(stripped))


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")
# Combining marks (accents) left by NFKD decomposition: "é" -> "e" + U+0301.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


@functools.cache
def fold_signature() -> str:
    """Return a hash of the folding rules: the code of :func:`fold`, its transliteration and patterns.

    Caches of folded names put it in their key, so that a change to the rules (a new letter, another
    pattern) makes them rebuild instead of serving names folded the old way.

    Returns
    -------
    str
        A SHA-256 hex digest, stable while the rules stay the same.

    Raises
    ------
    OSError
        When the source code is not installed (then there is no key, and callers do not cache).
    """
    digest = hashlib.sha256()
    for part in (
        inspect.getsource(fold),
        repr(sorted(_CYRILLIC.items())),
        _ASCII_WORD.pattern,
        _WORD.pattern,
        _COMBINING.pattern,
    ):
        digest.update(part.encode("utf-8") + b"\0")
    return digest.hexdigest()


def name_key(text: str) -> str:
    """Fold a facility name and drop the generic words (``"Ryazan oil refinery"`` -> ``"ryazan"``)."""
    words = [KIND_WORDS.get(w, w) for w in fold(text).split() if w not in GENERIC_WORDS]
    return " ".join(words) or fold(text)


__all__ = ["GENERIC_WORDS", "KIND_WORDS", "fold", "fold_signature", "name_key"]
