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

from events.validate.coordinates import parse_coordinate
from events.validate.countries import parse_country
from events.validate.datetimes import check_date_range, parse_date, parse_time, two_digit_year
from events.validate.fields import MAX_VALUE_SHOWN, MIN_YEAR, FieldError, is_blank, lookup_key, parse_int, shown
from events.validate.urls import complete_url, parse_url, source_links, split_urls
from events.validate.vocabularies import (
    parse_admiralty,
    parse_attack_type,
    parse_claim_status,
    parse_credibility,
    parse_damage_level,
    parse_effect,
    parse_facility_type,
    parse_reliability,
)

__all__ = [
    "MAX_VALUE_SHOWN",
    "MIN_YEAR",
    "FieldError",
    "check_date_range",
    "complete_url",
    "is_blank",
    "lookup_key",
    "parse_admiralty",
    "parse_attack_type",
    "parse_claim_status",
    "parse_coordinate",
    "parse_country",
    "parse_credibility",
    "parse_damage_level",
    "parse_date",
    "parse_effect",
    "parse_facility_type",
    "parse_int",
    "parse_reliability",
    "parse_time",
    "parse_url",
    "shown",
    "source_links",
    "split_urls",
    "two_digit_year",
]
