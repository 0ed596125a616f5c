"""Database values as plain Python, the same from both backends.

SQLite stores dates and times as text, PostgreSQL returns ``date``/``datetime`` objects, and
PostgreSQL's ``SUM`` of integers is ``numeric`` (a ``Decimal``). Reports, exports and the event
table convert what they read with :func:`db_value`, so both backends print the same.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any


def iso_text(value: Any) -> Any:
    """Return dates and times as ISO text (a date-time with a space before the time); other values as they are."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def db_value(value: Any) -> Any:
    """Return ISO text for dates and times, and an int (no fractional digits) or float for a ``Decimal``."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value.as_tuple().exponent >= 0 else float(value)
    return iso_text(value)


__all__ = ["db_value", "iso_text"]
