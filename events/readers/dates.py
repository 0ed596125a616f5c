"""Dates and date-times as publishers write them, with the day/month order decided once per file.

ACLED exports write ``14/08/2020 00:00:00`` (day first) or ISO ``2020-08-14``; UCDP GED
spreadsheets write ``1/22/2014 12:00:00 AM`` and ``05/02/2014 00:00`` (month first); OSINT logs
write ``14/09/25``. A slash date such as ``05/02/2014`` cannot be read on its own, so a reader first
scans the file's date cells (:class:`OrderScanner`): the first date whose first number is above
12 settles day-first, whose second number is above 12 month-first. A file with ambiguous dates
and nothing that settles them is refused with a hint to pass ``--date-order dmy|mdy`` or
``--date-format PATTERN``; the order is never guessed row by row. A date that contradicts the
file's order is rejected with the value, the order and what settled it.

A time of day in the cell (``H:M[:S]``, optional AM/PM, optional zone) becomes
``event_time_utc`` unless it is midnight, which exports write for "no time".
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from events import validate as v

#: ``--date-order`` values.
DATE_ORDERS = ("dmy", "mdy")
_ORDER_WORDS = {"dmy": "day first (DD/MM/YYYY)", "mdy": "month first (MM/DD/YYYY)"}

_SLASH = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{4}|\d{2})(?:(?:\s+|T)(?P<time>\d.*))?$")
#: What every cell that :data:`_SLASH` matches holds after its first one or two digits (searched
#: from the separator: a search from every digit costs several times more).
_SLASH_TAIL = re.compile(r"([/.\-])\d{1,2}\1\d{2}")
#: Characters kept from the end of one piece of text for the search in the next (longer than a
#: match and the digits before it).
_SLASH_OVERLAP = 16
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:\s+|T)(?P<time>\d.*))?$")
_YEAR_FIRST = re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})(?:\s+(?P<time>\d.*))?$")
_CLOCK = re.compile(
    r"^(?P<h>\d{1,2})[:.](?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,]\d+)?)?\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?)?"
    r"\s*(?P<zone>Z|[A-Za-z]{3,4}|[+-]\d{1,2}(?::?\d{2})?)?$"
)


@dataclass
class DateRules:
    """How a file's dates are read.

    Attributes
    ----------
    order : {"dmy", "mdy"} or None
        Day/month order of slash dates; None when nothing in the file settles it (then only
        dates with the same day and month, or a number above 12, can be read).
    pattern : str or None
        A ``strptime`` pattern from ``--date-format``; ISO dates are read as well.
    settled_by : str or None
        Why ``order`` is what it is: ``"'14/08/2020' on line 2"`` or ``"--date-order"``.
    """

    order: str | None = None
    pattern: str | None = None
    settled_by: str | None = None

    def describe(self) -> str:
        """One line for the ingest summary, e.g. ``"dates day first (DD/MM/YYYY), settled by ..."``."""
        if self.pattern:
            return f"dates as --date-format {self.pattern!r}"
        if self.order:
            return f"dates {_ORDER_WORDS[self.order]}, settled by {self.settled_by}"
        return ""


def _starts_a_number(text: str, end: int) -> bool:
    """Whether one or two decimal digits, after no digit, end at ``end`` in ``text``."""
    for width in (1, 2):
        start = end - width
        if start < 0 or not text[start:end].isdecimal():
            return False
        if start == 0 or not text[start - 1].isdecimal():
            return True
    return False


def check_options(date_order: str | None, date_format: str | None) -> DateRules | None:
    """Validate ``--date-order`` / ``--date-format``; return the rules they fix, or None.

    Raises
    ------
    FieldError
        For an unknown order or a pattern without a day, month and year.
    """
    if date_order is not None and date_order.lower() not in DATE_ORDERS:
        raise v.FieldError(f"--date-order must be dmy (day first) or mdy (month first), not {date_order!r}")
    if date_format is not None:
        if not all(code in date_format for code in ("%d", "%m")) or not ("%Y" in date_format or "%y" in date_format):
            raise v.FieldError(f"--date-format {date_format!r} needs %d, %m and %Y (or %y), e.g. '%d/%m/%Y %H:%M:%S'")
        return DateRules(pattern=date_format, settled_by="--date-format")
    if date_order is not None:
        return DateRules(order=date_order.lower(), settled_by="--date-order")
    return None


class OrderScanner:
    """Collects the evidence of a file's date cells until one settles the day/month order."""

    def __init__(self) -> None:
        self.order: str | None = None
        self.settled_by: str | None = None
        self.ambiguous = 0
        self.example: str | None = None

    def feed(self, text: str | None, where: str) -> bool:
        """Look at one cell; return True once the order is settled (no need to read further)."""
        if self.order or not text:
            return self.order is not None
        m = _SLASH.match(text.strip())
        if not m:
            return False
        first, second = int(m[1]), int(m[3])
        if first > 12 >= second:
            self.order, self.settled_by = "dmy", f"{text.strip()!r} on {where}"
        elif second > 12 >= first:
            self.order, self.settled_by = "mdy", f"{text.strip()!r} on {where}"
        elif first != second and first <= 12 and second <= 12:
            self.ambiguous += 1
            if self.example is None:
                self.example = f"{text.strip()!r} on {where}"
        return self.order is not None

    @staticmethod
    def may_feed(pieces: Iterable[str]) -> bool:
        """Tell whether a file whose whole text is ``pieces`` (in order) has any cell :meth:`feed` would count.

        False means that no cell of the file can be a day/month date written with ``/``, ``.`` or
        ``-``, so a scan of its cells would settle nothing and find nothing ambiguous. The raw
        text holds every cell's text, and a cell starts after a delimiter, a quote, a line break
        or spaces, never right after a digit: a search for one or two digits that follow no
        digit, then the rest of such a date ("2023-11-23" holds "23-11-23", but after a digit),
        costs a fraction of reading the cells.
        """
        carry = ""
        for piece in pieces:
            text = carry + piece
            # A match that ends in the carry was judged with the piece before, where the digits
            # before it were in view; here they may be cut off.
            found = (m for m in _SLASH_TAIL.finditer(text) if m.end() > len(carry))
            if any(_starts_a_number(text, m.start()) for m in found):
                return True
            carry = text[-_SLASH_OVERLAP:]
        return False

    def rules(self) -> DateRules:
        """The rules the evidence gives (order None when nothing settled it)."""
        return DateRules(order=self.order, settled_by=self.settled_by)

    def undecided_message(self) -> str | None:
        """The reason a file cannot be read without ``--date-order``, or None when it can."""
        if self.order or not self.ambiguous:
            return None
        return (
            f"the day/month order of its dates cannot be told: {self.ambiguous} date(s) such as {self.example} "
            "read both ways, and no date has a first or second number above 12 to settle it"
        )


def _year(text: str) -> int:
    return int(text) if len(text) == 4 else v.two_digit_year(int(text))


def parse_clock(text: str) -> dt.time | None:
    """Parse a time of day (``13:45``, ``1:45:00 PM``, ``03:15+03:00``) to UTC; None for midnight.

    Raises
    ------
    FieldError
        For text that is not a time.
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise v.FieldError(f"{text.strip()!r} is not a time of day; expected H:M[:S], optionally AM/PM and a zone")
    hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    if m["ampm"]:
        if not 1 <= hour <= 12:
            raise v.FieldError(f"{text.strip()!r}: with AM/PM the hour must be 1-12")
        pm = m["ampm"].lower().startswith("p")
        hour = (hour % 12) + (12 if pm else 0)
    if hour == minute == second == 0:
        return None  # exports write midnight for "no time of day"
    zone = m["zone"] or ""
    return v.parse_time(f"{hour:02d}:{minute:02d}:{second:02d}{zone}")


#: Two days of one report, sharing their month and year: "13-14 March 2024", "13–14.03.2024".
_DAY_RANGE = re.compile(r"^(\d{1,2})\s*[-–—]\s*(\d{1,2})([ .].+)$")
#: Two whole dates: "13/03/2024 - 14/03/2024", "13 March 2024 – 14 March 2024", "2024-03-13/2024-03-14".
_DATE_RANGE = re.compile(r"^(.+?\d)\s+[-–—]\s+(\d.+|[^\W\d_].+)$|^(\d{4}-\d{2}-\d{2})/(\d{4}-\d{2}-\d{2})$")
#: The longest range kept, as ``week`` precision (its first day stored, as for "week of").
MAX_RANGE_DAYS = 7


def parse_datetime(
    text: str, rules: DateRules | None, *, today: dt.date | None = None
) -> tuple[dt.date, str, dt.time | None]:
    """Parse a date or date-time cell with the file's rules.

    Parameters
    ----------
    text : str
        ``2020-08-14``, ``2020-08-14T13:45:00Z``, ``14/08/2020 00:00:00``, ``1/22/2014 12:00:00 AM``,
        ``14/09/25``, and every form :func:`events.validate.parse_date` reads (month names, week
        of, month precision).
    rules : DateRules or None
        The file's rules; None reads slash dates day first (the library default of
        :func:`events.validate.parse_date`).
    today : datetime.date, optional
        Reference for the "not in the future" check.

    Returns
    -------
    tuple
        ``(date, precision, time in UTC or None)``.

    Raises
    ------
    FieldError
        With the value, what was understood, and how to fix it.
    """
    cleaned = " ".join(text.split())
    if not cleaned:
        raise v.FieldError("date is missing")
    if rules is not None and rules.pattern:
        return _with_pattern(cleaned, rules.pattern, today)
    try:
        return _one_datetime(cleaned, rules, today)
    except v.FieldError:
        ends = _range_ends(cleaned)
        if ends is None:
            raise
    return _date_range(cleaned, *ends, rules, today)


def _range_ends(text: str) -> tuple[str, str] | None:
    """The two dates of a range ("13-14 March 2024" -> "13 March 2024", "14 March 2024"), or None."""
    if m := _DAY_RANGE.match(text):
        return m[1] + m[3], m[2] + m[3]
    if m := _DATE_RANGE.match(text):
        return (m[1], m[2]) if m[1] else (m[3], m[4])
    return None


def _date_range(
    text: str, first: str, last: str, rules: DateRules | None, today: dt.date | None
) -> tuple[dt.date, str, dt.time | None]:
    """An overnight strike ("13-14 March") or a span the source does not narrow down: its first
    day, with ``week`` precision (the day precision of one date, when both ends are the same day)."""
    (start, start_precision, _), (end, end_precision, _) = (_one_datetime(d, rules, today) for d in (first, last))
    if start_precision != "day" or end_precision != "day":
        raise v.FieldError(f"{text!r}: a range needs two full dates")
    if end < start:
        raise v.FieldError(f"{text!r} ends before it starts")
    days = (end - start).days + 1
    if days > MAX_RANGE_DAYS:
        raise v.FieldError(
            f"{text!r} spans {days} days: strikedb keeps a day, a week (a range of up to {MAX_RANGE_DAYS} days) "
            "or a month ('2024-03'); write one of them"
        )
    return start, "day" if days == 1 else "week", None


def _one_datetime(cleaned: str, rules: DateRules | None, today: dt.date | None) -> tuple[dt.date, str, dt.time | None]:
    if m := _ISO.match(cleaned):
        day = _checked(cleaned, "ISO year-month-day", int(m[1]), int(m[2]), int(m[3]), today)
        return day, "day", _time_part(cleaned, m["time"])
    if m := _YEAR_FIRST.match(cleaned):
        day = _checked(cleaned, "year/month/day", int(m[1]), int(m[2]), int(m[3]), today)
        return day, "day", _time_part(cleaned, m["time"])
    if m := _SLASH.match(cleaned):
        return _slash_date(cleaned, m, rules, today)
    day, precision = v.parse_date(cleaned, today=today)
    return day, precision, None


def _with_pattern(text: str, pattern: str, today: dt.date | None) -> tuple[dt.date, str, dt.time | None]:
    try:
        parsed = dt.datetime.strptime(text, pattern)
    except ValueError:
        if _ISO.match(text):
            return parse_datetime(text, None, today=today)
        raise v.FieldError(f"{text!r} does not match --date-format {pattern!r}") from None
    day = v.check_date_range(parsed.date(), today)
    clock = parsed.time()
    return day, "day", None if clock == dt.time(0, 0) else clock


def _time_part(text: str, part: str | None) -> dt.time | None:
    if not part:
        return None
    try:
        return parse_clock(part)
    except v.FieldError as exc:
        raise v.FieldError(f"{text!r}: the date is readable but the time is not ({exc.reason})") from None


def _checked(text: str, layout: str, year: int, month: int, day: int, today: dt.date | None) -> dt.date:
    if not 1 <= month <= 12:
        raise v.FieldError(f"{text!r} read as {layout}: {month} is not a month (1-12)")
    try:
        value = dt.date(year, month, day)
    except ValueError:
        raise v.FieldError(f"{text!r} read as {layout}: {year}-{month:02d} has no day {day}") from None
    return v.check_date_range(value, today)


def _slash_date(
    text: str, m: re.Match[str], rules: DateRules | None, today: dt.date | None
) -> tuple[dt.date, str, dt.time | None]:
    first, second, year = int(m[1]), int(m[3]), _year(m[4])
    order = "dmy" if rules is None else rules.order
    if order is None:
        if first > 12:
            order = "dmy"
        elif second > 12 or first == second:
            order = "mdy"
        else:
            raise v.FieldError(
                f"{text!r} reads as {first} {_month(second)} or {second} {_month(first)} {year}, and nothing in "
                "this file settles the day/month order; pass --date-order dmy or mdy (or --date-format)"
            )
    day, month = (first, second) if order == "dmy" else (second, first)
    if month > 12:
        why = f" (settled by {rules.settled_by})" if rules and rules.settled_by else ""
        other = "mdy" if order == "dmy" else "dmy"
        raise v.FieldError(
            f"{text!r}: this file's dates are read {_ORDER_WORDS[order]}{why}, so {month} would be the month; "
            f"if this file really mixes orders, fix this row, or pass --date-order {other} if the whole file is"
        )
    layout = "day/month/year" if order == "dmy" else "month/day/year"
    return _checked(text, layout, year, month, day, today), "day", _time_part(text, m["time"])


def _month(number: int) -> str:
    return dt.date(2000, number, 1).strftime("%B") if 1 <= number <= 12 else str(number)


def parse_time_cell(text: str) -> dt.time:
    """Parse a ``time`` column (``03:15``, ``3:15 PM``, ``03:15+03:00``) to UTC; midnight stays midnight.

    Raises
    ------
    FieldError
        For text that is not a time.
    """
    m = _CLOCK.match(text.strip())
    if m and m["ampm"]:
        clock = parse_clock(text)
        return clock if clock is not None else dt.time(0, 0)
    return v.parse_time(text)
