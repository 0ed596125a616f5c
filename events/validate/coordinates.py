"""Latitudes and longitudes: decimal comma or point, hemisphere letters, degrees-minutes-seconds."""

from __future__ import annotations

import math
import re

from events.validate.fields import FieldError

_DEG = "°º˚d"
_MIN = "'′’´m"
_SEC = '"″”s'
_NUM = r"[0-9]+(?:[.,][0-9]+)?"
_DMS = re.compile(
    rf"^(?P<pre>[NSEWnsew])?\s*(?P<sign>[+-])?\s*(?P<d>{_NUM})\s*(?:[{_DEG}]|deg)?\s*"
    rf"(?:(?P<m>{_NUM})\s*(?:[{_MIN}]|min)?\s*)?"
    rf"(?:(?P<s>{_NUM})\s*(?:[{_SEC}]|''|sec)?\s*)?(?P<post>[NSEWnsew])?$"
)
# Plain decimal degrees, also in exponent form as written by some exports (1.5e-05).
_DECIMAL = re.compile(r"^[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)(?:[eE][+-]?[0-9]{1,4})?$")
_LIMITS = {"latitude": 90.0, "longitude": 180.0}
_AXIS_HEMISPHERES = {"latitude": "NS", "longitude": "EW"}


def _number(text: str) -> float:
    return float(text.replace(",", "."))


def parse_coordinate(text: str, axis: str) -> float:
    """Parse a latitude or longitude and range-check it.

    Parameters
    ----------
    text : str
        Decimal degrees with ``.`` or ``,`` as decimal separator (``59.4606``, ``59,4606``,
        ``-33.1``), optionally with a hemisphere letter (``59.46 N``, ``W 3.2``), or
        degrees-minutes-seconds (``59°27'37"N``, ``59 27 37 N``, ``59°27.6'N``, ``59d27m37s``).
    axis : {"latitude", "longitude"}
        Which coordinate this is (sets the range and the allowed hemisphere letters).

    Returns
    -------
    float
        Decimal degrees, negative for S and W.

    Raises
    ------
    FieldError
        For text that is not a coordinate, NaN or infinite values, minutes or seconds of 60 or
        more, a hemisphere letter of the other axis, or a value out of range.

    Examples
    --------
    >>> round(parse_coordinate("59°27'37\\"N", "latitude"), 5)
    59.46028
    >>> parse_coordinate("32,07", "longitude")
    32.07
    """
    cleaned = text.strip()
    if not cleaned:
        raise FieldError(f"{axis} is missing")
    lowered = cleaned.lower().lstrip("+-")
    if lowered in ("nan", "inf", "infinity") or "nan" in lowered:
        raise FieldError(f"{axis} is not a number ({cleaned}); give decimal degrees")
    if _DECIMAL.match(cleaned):
        value = float(cleaned.replace(",", "."))
        if not math.isfinite(value):
            raise FieldError(f"{axis} is not a finite number")
        mantissa = re.split(r"[eE]", cleaned)[0]
        if abs(value) < 1e-300 and any(ch in "123456789" for ch in mantissa):
            raise FieldError(f"{axis} {cleaned} is too small to be a real coordinate (underflows to zero)")
        return _in_range(value, axis)
    m = _DMS.match(cleaned)
    if not m or (m["pre"] and m["post"]):
        raise FieldError(f"not a {axis}; expected decimal degrees (59.4606) or degrees-minutes-seconds (59°27'37\"N)")
    return _in_range(_dms_value(m, axis), axis)


def _in_range(value: float, axis: str) -> float:
    limit = _LIMITS[axis]
    if not -limit <= value <= limit:
        hint = " (latitude and longitude swapped?)" if axis == "latitude" and abs(value) <= 180 else ""
        raise FieldError(f"{axis} {value:g} is outside -{limit:g}..{limit:g}{hint}")
    return value


def _dms_value(m: re.Match[str], axis: str) -> float:
    degrees = _number(m["d"])
    minutes = _number(m["m"]) if m["m"] else 0.0
    seconds = _number(m["s"]) if m["s"] else 0.0
    if (m["m"] and "." in m["d"].replace(",", ".")) or (m["s"] and not m["m"]):
        raise FieldError(f"not a {axis}: only the last of degrees/minutes/seconds may have decimals")
    if minutes >= 60 or seconds >= 60:
        raise FieldError(f"minutes and seconds must be below 60 in {axis} degrees-minutes-seconds")
    value = degrees + minutes / 60 + seconds / 3600
    hemisphere = (m["pre"] or m["post"] or "").upper()
    if hemisphere:
        if hemisphere not in _AXIS_HEMISPHERES[axis]:
            raise FieldError(f"hemisphere {hemisphere} is not valid for {axis} (latitude and longitude swapped?)")
        if m["sign"]:
            raise FieldError(f"give either a sign or a hemisphere letter for {axis}, not both")
    if m["sign"] == "-" or hemisphere in ("S", "W"):
        value = -value
    return value


__all__ = ["parse_coordinate"]
