"""Property-based fuzzing of the CSV reader and the cell validators (hypothesis).

Budget: profile ``fuzz-ci`` (300 examples per property) by default; choose another with
``HYPOTHESIS_PROFILE=fuzz-quick`` (30) or ``fuzz-deep`` (5,000, for a run by hand). The profiles
are applied per test through ``@settings(parent=...)``, so other test modules keep theirs.

Contract checked: a validator returns a value of the right kind and range or raises
``FieldError``; the reader only ever raises ``InputError`` and accounts for every data row
(each one comes out as an ``EventRecord`` or a ``RejectedRecord``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import os
import re
import string
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from events import validate, vocab
from events.errors import InputError
from events.readers import read_events
from events.records import EventRecord, RejectedRecord
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


# ---------------------------------------------------------------------------------------------
# The reader: arbitrary bytes, and well-formed CSV whose every row must be accounted for
# ---------------------------------------------------------------------------------------------

HEADER = ["date", "location", "description", "latitude", "longitude"]
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _read_all(path: Path, **options) -> list[EventRecord | RejectedRecord] | None:
    """Read a whole file; None when the reader refused it with an InputError (a valid outcome)."""
    try:
        records = list(read_events(path, **options))
    except InputError as exc:
        assert str(exc)
        return None
    lines = [r.line_number for r in records]
    assert all(isinstance(r, (EventRecord, RejectedRecord)) for r in records)
    assert lines == sorted(lines) and len(lines) == len(set(lines)) and all(n >= 2 for n in lines)
    for record in records:
        if isinstance(record, RejectedRecord):
            assert record.problems and all(p.reason for p in record.problems)
    return records


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=600),
        st.builds(
            lambda rows: rows.encode("utf-8", "surrogatepass"), st.text(alphabet=',;"\r\n\t\x00ab1-/.', max_size=300)
        ),
    ),
    st.sampled_from([None, "latin-1", "utf-16", "cp1251"]),
    st.sampled_from(["csv", "acled", "ucdp", "geojson"]),
)
def test_reader_on_arbitrary_bytes_raises_only_input_error(data: bytes, encoding, fmt: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.csv"
        path.write_bytes(b"date,location,latitude,longitude\n" + data if data[:1].isalpha() else data)
        options = {"encoding": encoding} if fmt != "geojson" else {}
        _read_all(path, fmt=fmt, **options)


cell = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=25) | st.sampled_from(
    ["", " ", '"', '""', ",", "\n", "\r\n", "\r", "2025-08-14", "59.45", "NaN", "=1+1", "<b>x</b>", "\ufeff"]
)


@FUZZ
@given(st.lists(st.lists(cell, min_size=len(HEADER), max_size=len(HEADER)), max_size=15))
def test_every_well_formed_csv_row_is_accounted_for(rows: list[list[str]]) -> None:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL)
    writer.writerow(HEADER)
    starts, raws, line = [], [], 2
    for row in rows:
        before = buffer.tell()
        writer.writerow(row)
        written = buffer.getvalue()[before:]
        if any(c.strip() for c in row):  # rows of blank cells carry no data and are skipped
            starts.append(line)
            raws.append(written[:-2])  # without the writer's final "\r\n"
        line += len(_LINE_BREAK.findall(written))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        path.write_text(buffer.getvalue(), encoding="utf-8", newline="")
        records = _read_all(path, delimiter=",")
    assert records is not None, "a well-formed UTF-8 CSV with the canonical header was refused"
    assert [r.line_number for r in records] == starts
    assert [r.raw for r in records] == raws
