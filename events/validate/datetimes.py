"""Dates (day-first, two-digit years, month names in several languages, weeks) and times with zones."""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache

from events.validate.fields import MIN_YEAR, FieldError, lookup_key

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
        _MONTHS[lookup_key(_name)] = _number

_ISO_DATE = re.compile(
    r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$"
)
_YEAR_FIRST_SLASH = re.compile(r"^(\d{4})[/.](\d{1,2})[/.](\d{1,2})$")
_DAY_FIRST = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})$")
_YEAR_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_MONTH_YEAR_NUMERIC = re.compile(r"^(\d{1,2})[/.](\d{4})$")
#: "2024 г.", "2024 года", "2024 р.", "2024 року": the year as Russian and Ukrainian write it.
_YEAR_WORD = r"(?:\s*(?:г|года|р|року)\.?)?"
#: "13 March 2024", "13 марта 2024 г.", "13 березня 2024 р.", and the spreadsheet forms "13-Mar-2024",
#: "13-Mar-24" (a two-digit year only after a month name: nothing else can be the year).
_DAY_MONTHNAME_YEAR = re.compile(
    r"^(\d{1,2})(?:st|nd|rd|th)?(?:\s+|\s*[-/]\s*)([^\W\d_]+)\.?,?(?:\s+|\s*[-/]\s*)(\d{4}|\d{2})" + _YEAR_WORD + "$"
)
_MONTHNAME_DAY_YEAR = re.compile(r"^([^\W\d_]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$")
_MONTHNAME_YEAR = re.compile(r"^([^\W\d_]+)\.?,?(?:\s+|\s*-\s*)(\d{4})" + _YEAR_WORD + "$")
#: A spreadsheet's serial day number (days since 1899-12-30) where a date was expected.
_SERIAL_DAY = re.compile(r"^\d{5}$")
_SERIAL_EPOCH = dt.date(1899, 12, 30)
_WEEK_OF = re.compile(r"^(?:week\s+of|w/c|week\s+commencing|settimana\s+del)\s+(.+)$", re.IGNORECASE)


def _two_digit_year(yy: int) -> int:
    """Expand a two-digit year with the POSIX rule (69-99 → 19xx, 00-68 → 20xx)."""
    return 1900 + yy if yy >= 69 else 2000 + yy


def _month_number(name: str) -> int:
    month = _MONTHS.get(lookup_key(name))
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
        year = int(m[3]) if len(m[3]) == 4 else _two_digit_year(int(m[3]))
        return _build_date(year, _month_number(m[2]), int(m[1]), text), "day"
    if m := _MONTHNAME_DAY_YEAR.match(text):
        return _build_date(int(m[3]), _month_number(m[1]), int(m[2]), text), "day"
    if m := _MONTHNAME_YEAR.match(text):
        return _build_date(int(m[2]), _month_number(m[1]), 1, text), "month"
    hint = ""
    if _SERIAL_DAY.match(text):
        # Not read as a date (a number may be anything), but say what it would be.
        as_serial = _SERIAL_EPOCH + dt.timedelta(days=int(text))
        hint = (
            f" ({text} looks like a spreadsheet's day number, {as_serial.isoformat()}: format the column as "
            "dates before exporting)"
        )
    raise FieldError(
        f"{text!r} is not a recognised date; use ISO 2025-09-14, 14/09/2025 or 14/09/25 (day/month order as "
        f"the rest of the file), '14 September 2025', or 'Sept 2025' / '2025-09' for a month{hint}"
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


__all__ = ["check_date_range", "parse_date", "parse_time", "two_digit_year"]
