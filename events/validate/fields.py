"""The error every validator raises, blank cells, the lookup key of free text, whole numbers and shown values."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

MIN_YEAR = 1900
MAX_VALUE_SHOWN = 200


class FieldError(ValueError):
    """A cell's value is invalid; ``reason`` says why and, where possible, how to fix it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def is_blank(text: str | None) -> bool:
    """Return True for None, empty or whitespace-only text and the usual missing-value markers.

    Parameters
    ----------
    text : str or None
        A cell's text.

    Returns
    -------
    bool
        True when the cell carries no value (``""``, ``NA``, ``N/A``, ``null``, ``-``, ``н/д``).
    """
    if text is None:
        return True
    stripped = text.strip()
    return stripped == "" or stripped.lower() in _MISSING_MARKERS


#: Lower case. Russian and Ukrainian logs write "н/д" (нет данных / немає даних, "no data").
_MISSING_MARKERS = frozenset({"na", "n/a", "null", "-", "--", "—", "н/д", "н.д.", "нет данных", "немає даних"})


@lru_cache(maxsize=16384)
def lookup_key(text: str) -> str:
    """Normalise free text for vocabulary lookup: lower case, accents off, punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", no_accents).split())


def parse_int(text: str, what: str = "value", *, minimum: int | None = 0) -> int:
    """Parse a whole number such as a fatality count (``12``, ``12.0``).

    Parameters
    ----------
    text : str
        The number as written.
    what : str
        Name used in the error message.
    minimum : int or None
        Smallest allowed value (default 0); None for no limit.

    Returns
    -------
    int
        The number.

    Raises
    ------
    FieldError
        For text that is not a whole number, or below ``minimum``.
    """
    cleaned = text.strip()
    m = re.fullmatch(r"[+-]?\d{1,12}(?:\.0+)?", cleaned)
    if not m:
        raise FieldError(f"{what} must be a whole number")
    value = int(cleaned.split(".")[0])
    if minimum is not None and value < minimum:
        raise FieldError(f"{what} must be at least {minimum}")
    return value


def shown(value: str | None) -> str | None:
    """Truncate a value for a :class:`events.records.RowProblem` (200 characters)."""
    if value is None or len(value) <= MAX_VALUE_SHOWN:
        return value
    return value[: MAX_VALUE_SHOWN - 1] + "…"


__all__ = ["MAX_VALUE_SHOWN", "MIN_YEAR", "FieldError", "is_blank", "lookup_key", "parse_int", "shown"]
