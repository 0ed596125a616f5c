"""Capacity text parsing and unit normalisation (pure functions, no database).

Sources state capacities as free text: ``"2.835 GW"``, ``"1578,6 MW"``, ``"2135kW"``, ``"12 Mt/yr"``,
``"240,000 bbl/d"``, or just ``"yes"``. :func:`parse_capacity` turns them into a number and a canonical
unit, or reports why it cannot; :func:`normalise` derives the comparable figures the schema stores:
crude refining capacity in Mt/yr and kb/d, electric power in MW.

Conversion factor (crude oil, :data:`events.vocab.BARRELS_PER_TONNE`): 1 t ≈ 7.33 bbl (a world-average
crude of ~0.86 t/m³; Urals is 7.28-7.33 bbl/t), so 1 Mt/yr = 7.33e6 bbl / 365 d = 20,082 bbl/d ≈ **20.1 kb/d**.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from events.vocab import BARRELS_PER_TONNE

#: kb/d per Mt/yr: 7.33 bbl/t * 1e6 t / 365 d / 1000.
KBD_PER_MTPA = BARRELS_PER_TONNE * 1e6 / 365 / 1000

#: Canonical units and their spellings (lower case, spaces removed).
_UNIT_SPELLINGS: dict[str, tuple[str, ...]] = {
    "W": ("w", "watt", "watts"),
    "kW": ("kw", "kwe", "kilowatt", "kilowatts", "квт"),
    "MW": ("mw", "mwe", "mwel", "megawatt", "megawatts", "мвт"),
    "GW": ("gw", "gwe", "gigawatt", "gigawatts", "гвт"),
    "Mt/yr": ("mt/yr", "mt/y", "mt/a", "mtpa", "mt", "mmt/yr", "mmtpa", "milliontonnes/yr", "млнт", "млнт/год"),
    "kt/yr": ("kt/yr", "kt/y", "ktpa", "тыст", "тыс.т"),
    "kb/d": ("kb/d", "kbd", "kbpd", "kbbl/d", "thousandbarrels/day", "kbbl/day"),
    "bcm/yr": ("bcm/yr", "bcm/y", "bcm", "bcma"),
    "bbl/d": ("bbl/d", "b/d", "bpd", "barrels/day", "bbl/day", "bopd"),
}
_UNITS = {spelling: unit for unit, spellings in _UNIT_SPELLINGS.items() for spelling in spellings}
_POWER_TO_MW = {"W": 1e-6, "kW": 1e-3, "MW": 1.0, "GW": 1e3}
_NUMBER = r"[-+]?\d[\d\s\u00a0\u202f]*(?:[.,]\d+)*"
_CAPACITY = re.compile(rf"^\s*({_NUMBER})\s*([^\d\s].*?)?\s*$")
#: Texts that say "there is capacity" without saying how much.
UNKNOWN_WORDS = frozenset({"yes", "no", "unknown", "n/a", "na", "none", "?", "-", "true", "false"})


@dataclass(frozen=True)
class Capacity:
    """A parsed capacity: a value and its canonical unit (one of :data:`_UNIT_SPELLINGS`)."""

    value: float
    unit: str


class CapacityParseError(ValueError):
    """A capacity text that cannot be read as a number and unit (the message says why)."""


def _number(text: str) -> float:
    """Read ``"1578,6"``, ``"1 578.6"``, ``"240,000"`` or ``"1.234,5"`` as a float."""
    cleaned = re.sub(r"[\s\u00a0\u202f]", "", text)
    if "," in cleaned and "." in cleaned:
        # The later separator is the decimal one: "1,234.5" or "1.234,5".
        decimal = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        thousands = "." if decimal == "," else ","
        cleaned = cleaned.replace(thousands, "").replace(decimal, ".")
    elif "," in cleaned:
        # "240,000" groups thousands; "1578,6" is a decimal comma.
        head, _, tail = cleaned.rpartition(",")
        grouped = len(tail) == 3 and head.lstrip("+-").isdigit()
        cleaned = cleaned.replace(",", "" if grouped else ".")
    return float(cleaned)


def parse_capacity(text: str | float | int | None, *, default_unit: str | None = None) -> Capacity | None:
    """Parse a capacity text into a value and a canonical unit.

    Parameters
    ----------
    text : str, float, int or None
        E.g. ``"2.835 GW"``, ``"1578,6 MW"``, ``"2135kW"``, ``"12 Mt/yr"``; a bare number needs
        ``default_unit``.
    default_unit : str, optional
        Unit of bare numbers (e.g. ``"MW"`` for a WRI ``capacity_mw`` column).

    Returns
    -------
    Capacity or None
        None for an empty value.

    Raises
    ------
    CapacityParseError
        For a text that states no number (``"yes"``), an unknown unit, a negative value, or a bare
        number without ``default_unit``. The caller keeps the raw text and warns.
    """
    if text is None:
        return None
    if isinstance(text, int | float):
        if text != text:  # NaN
            return None
        if default_unit is None:
            raise CapacityParseError(f"capacity {text!r} has no unit")
        return _checked(float(text), default_unit)
    stripped = text.strip()
    if not stripped:
        return None
    if stripped.casefold() in UNKNOWN_WORDS:
        raise CapacityParseError(f"capacity {stripped!r} states no amount")
    # OSM sometimes lists several values ("300 MW;50 MW"): their sum is the plant's capacity.
    if ";" in stripped:
        parts = [parse_capacity(p, default_unit=default_unit) for p in stripped.split(";") if p.strip()]
        units = {p.unit for p in parts if p}
        if len(units) != 1:
            raise CapacityParseError(f"capacity {stripped!r} mixes units")
        return Capacity(sum(p.value for p in parts if p), units.pop())
    match = _CAPACITY.match(stripped)
    if not match:
        raise CapacityParseError(f"capacity {stripped!r} is not a number with a unit")
    value = _number(match.group(1))
    unit_text = (match.group(2) or "").strip()
    if not unit_text:
        if default_unit is None:
            raise CapacityParseError(f"capacity {stripped!r} has no unit")
        return _checked(value, default_unit)
    unit = _UNITS.get(re.sub(r"\s+", "", unit_text.casefold().replace("per", "/").replace("year", "yr")))
    if unit is None:
        raise CapacityParseError(f"capacity {stripped!r}: unknown unit {unit_text!r}")
    return _checked(value, unit)


def _checked(value: float, unit: str) -> Capacity:
    if value < 0:
        raise CapacityParseError(f"capacity {value} {unit} is negative")
    return Capacity(value, unit)


@dataclass(frozen=True)
class NormalisedCapacity:
    """Comparable figures derived from a capacity: refining in Mt/yr and kb/d, power in MW."""

    mtpa: float | None = None
    kbd: float | None = None
    mw: float | None = None


def mtpa_to_kbd(mtpa: float) -> float:
    """Convert crude throughput from Mt/yr to thousand barrels per day (× :data:`KBD_PER_MTPA`)."""
    return mtpa * KBD_PER_MTPA


def kbd_to_mtpa(kbd: float) -> float:
    """Convert crude throughput from thousand barrels per day to Mt/yr."""
    return kbd / KBD_PER_MTPA


def normalise(capacity: Capacity | None) -> NormalisedCapacity:
    """Derive Mt/yr + kb/d (for throughput units) or MW (for power units) from a capacity.

    Parameters
    ----------
    capacity : Capacity or None

    Returns
    -------
    NormalisedCapacity
        All None when ``capacity`` is None or in another unit (e.g. ``bcm/yr`` of gas).
    """
    if capacity is None:
        return NormalisedCapacity()
    value, unit = capacity.value, capacity.unit
    if unit in _POWER_TO_MW:
        return NormalisedCapacity(mw=round(value * _POWER_TO_MW[unit], 6))
    mtpa = {"Mt/yr": value, "kt/yr": value / 1000}.get(unit)
    if mtpa is None and unit in ("kb/d", "bbl/d"):
        mtpa = kbd_to_mtpa(value if unit == "kb/d" else value / 1000)
    if mtpa is None:
        return NormalisedCapacity()
    return NormalisedCapacity(mtpa=round(mtpa, 4), kbd=round(mtpa_to_kbd(mtpa), 2))
