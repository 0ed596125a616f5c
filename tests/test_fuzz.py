"""Property-based fuzzing of the CSV reader and the cell validators (hypothesis).

Budget: profile ``fuzz-ci`` (300 examples per property) by default; choose another with
``HYPOTHESIS_PROFILE=fuzz-quick`` (30) or ``fuzz-deep`` (5,000, for a run by hand). The profiles
are applied per test through ``@settings(parent=...)``, so other test modules keep theirs.

Contract checked: a validator returns a value of the right kind and range or raises
``FieldError``; the reader only ever raises ``InputError`` and accounts for every data row
(each one comes out as an ``EventRecord`` or a ``RejectedRecord``).
"""

from __future__ import annotations

import datetime as dt
import math
import os
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from events import validate, vocab
from events.validate import FieldError

settings.register_profile("fuzz-quick", max_examples=30, deadline=None)
settings.register_profile(
    "fuzz-ci", max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=False
)
settings.register_profile("fuzz-deep", max_examples=5000, deadline=None, suppress_health_check=list(HealthCheck))
_requested = os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci")
PROFILE = settings.get_profile(_requested if _requested.startswith("fuzz-") else "fuzz-ci")
FUZZ = settings(parent=PROFILE)

TODAY = dt.date(2026, 1, 1)

#: Text a hostile cell may hold: any code point (surrogates excluded: they cannot come out of a
#: decoded file), with extra weight on the characters our formats give meaning to.
cell_text = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=string.digits + "-/.:,+ NSEWnsew°'\"TZ", max_size=30),
    st.text(alphabet=string.printable + "\x00\ufeff\u2028\u0660\u0663", max_size=40),
)


def _expect(fn, text: str):
    """Call a validator: a FieldError is a valid outcome; anything else escaping is a bug."""
    try:
        return fn(text)
    except FieldError as exc:
        assert exc.reason and isinstance(exc.reason, str)
        return None


@FUZZ
@given(cell_text)
@example("0000-01-01")
@example("9999-12-31")
@example("29/02/2023")
@example("week of week of 2025-01-06")
def test_parse_date_returns_a_sane_date_or_field_error(text: str) -> None:
    result = _expect(lambda t: validate.parse_date(t, today=TODAY), text)
    if result is not None:
        value, precision = result
        assert value.year >= validate.MIN_YEAR and value <= TODAY + dt.timedelta(days=1)
        assert precision in vocab.DATE_PRECISIONS


def test_parse_date_does_not_recurse_without_bound() -> None:
    # A 16 KB cell of repeated "week of" must be an ordinary FieldError, not a RecursionError.
    with pytest.raises(FieldError):
        validate.parse_date("week of " * 2000 + "2025-01-06", today=TODAY)


@FUZZ
@given(st.dates(min_value=dt.date(validate.MIN_YEAR, 1, 1), max_value=TODAY))
def test_parse_date_round_trips_iso_and_day_first(day: dt.date) -> None:
    assert validate.parse_date(day.isoformat(), today=TODAY) == (day, "day")
    assert validate.parse_date(day.strftime("%d/%m/%Y"), today=TODAY) == (day, "day")
    assert validate.parse_date(day.strftime("%d.%m.%Y"), today=TODAY) == (day, "day")


@FUZZ
@given(cell_text, st.sampled_from(["latitude", "longitude"]))
@example("NaN", "latitude")
@example("-inf", "longitude")
@example("1e309", "latitude")
@example("9" * 400, "latitude")
@example("90.0000001", "latitude")
def test_parse_coordinate_is_finite_and_in_range_or_field_error(text: str, axis: str) -> None:
    value = _expect(lambda t: validate.parse_coordinate(t, axis), text)
    if value is not None:
        limit = 90 if axis == "latitude" else 180
        assert math.isfinite(value) and -limit <= value <= limit


@FUZZ
@given(st.floats(min_value=-90, max_value=90, allow_nan=False))
def test_parse_coordinate_round_trips_decimal_degrees(value: float) -> None:
    # Fixed-point text, as spreadsheets and trackers write it (scientific notation is refused).
    written = f"{value:.8f}"
    assert validate.parse_coordinate(written, "latitude") == float(written)
    assert validate.parse_coordinate(written.replace(".", ","), "latitude") == float(written)


@FUZZ
@given(cell_text)
@example("24:00")
@example("23:59:60")
@example("12:00+15:00")
def test_parse_time_returns_a_time_or_field_error(text: str) -> None:
    value = _expect(validate.parse_time, text)
    assert value is None or isinstance(value, dt.time)


VOCABULARY_PARSERS = [
    (validate.parse_attack_type, vocab.ATTACK_TYPES),
    (validate.parse_effect, vocab.EFFECTS),
    (validate.parse_facility_type, vocab.FACILITY_TYPES),
    (validate.parse_damage_level, vocab.DAMAGE_LEVELS),
    (validate.parse_claim_status, vocab.CLAIM_STATUSES),
]


@pytest.mark.parametrize(("parser", "allowed"), VOCABULARY_PARSERS, ids=lambda p: getattr(p, "__name__", ""))
def test_vocabulary_parsers_only_return_vocabulary(parser, allowed) -> None:
    @FUZZ
    @given(st.one_of(cell_text, st.sampled_from(allowed).map(str.upper)))
    def check(text: str) -> None:
        value = _expect(parser, text)
        assert value is None or value in allowed

    check()


@FUZZ
@given(cell_text)
@example("B2")
@example("G7")
@example("b-2")
def test_admiralty_grades(text: str) -> None:
    result = _expect(validate.parse_admiralty, text)
    if result is not None:
        reliability, credibility = result
        assert reliability is None or reliability in vocab.SOURCE_RELIABILITIES
        assert credibility is None or credibility in vocab.INFO_CREDIBILITIES
        assert reliability is not None or credibility is not None


@FUZZ
@given(cell_text)
@example("RUS")
@example("643")
@example("9" * 5000)
def test_parse_country_returns_an_alpha2_code_or_field_error(text: str) -> None:
    value = _expect(validate.parse_country, text)
    assert value is None or (len(value) == 2 and value.isupper() and value.isascii())


@FUZZ
@given(st.one_of(cell_text, st.from_regex(r"\A(https?|javascript|data|file|ftp):[^\s]{0,40}\Z")))
@example("javascript:alert(1)")
@example("http://[::1")
@example("https://example.org:99999/")
def test_parse_url_accepts_only_web_urls(text: str) -> None:
    value = _expect(validate.parse_url, text)
    if value is not None:
        assert value.lower().startswith(("http://", "https://"))
        assert not any(ch.isspace() or ord(ch) < 32 for ch in value)


@FUZZ
@given(cell_text)
@example("-1")
@example("1" * 13)
@example("12.000")
def test_parse_int_is_whole_and_not_below_minimum(text: str) -> None:
    value = _expect(validate.parse_int, text)
    assert value is None or (isinstance(value, int) and value >= 0)


@FUZZ
@given(st.text(max_size=300))
def test_split_urls_and_shown_never_fail(text: str) -> None:
    pieces = validate.split_urls(text)
    assert all(p and p == p.strip() for p in pieces)
    short = validate.shown(text)
    assert short is not None and len(short) <= validate.MAX_VALUE_SHOWN
