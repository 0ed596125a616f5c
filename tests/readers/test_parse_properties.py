"""Property-based tests of the readers (hypothesis, bounded to a few seconds).

Contract: whatever the bytes, a reader either raises ``InputError`` (a whole-file problem) or
yields only ``EventRecord``/``RejectedRecord``; for a CSV written by a real CSV writer, every
non-blank data row comes out as exactly one record, with the right physical line number and its
raw text verbatim, also when quoted fields hold line breaks.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from events.errors import InputError
from events.readers import read_events
from events.records import EventRecord, RejectedRecord

BOUNDED = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_TERMINATOR = re.compile(r"\r\n|\r|\n")

cells = st.one_of(
    st.text(st.characters(blacklist_categories=("Cs",)), max_size=12),
    st.sampled_from(["", " ", ",", ";", '"', '""', "\n", "\r", "\r\n", "a\nb", "2025-09-14", "Kyiv", "59.1", "\x00"]),
)
rows = st.lists(st.lists(cells, min_size=3, max_size=3), max_size=12)


def _read_all(data: bytes, **kwargs) -> list[EventRecord | RejectedRecord] | None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "input"
        path.write_bytes(data)
        try:
            records = list(read_events(path, **kwargs))
        except InputError:
            return None
    assert all(isinstance(r, EventRecord | RejectedRecord) for r in records)
    return records


@BOUNDED
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash_the_csv_reader(data: bytes) -> None:
    _read_all(data)


@BOUNDED
@given(st.binary(max_size=600))
def test_arbitrary_bytes_after_a_valid_header(data: bytes) -> None:
    records = _read_all(b"date,latitude,longitude,location,source_url\n" + data)
    if records is not None:
        assert all(r.line_number >= 2 for r in records)


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=600), st.sampled_from(["acled", "ucdp", "geojson"]))
def test_arbitrary_bytes_never_crash_the_dataset_readers(data: bytes, fmt: str) -> None:
    _read_all(data, fmt=fmt)


@settings(max_examples=100, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
        lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
        max_leaves=12,
    )
)
def test_arbitrary_json_features_never_crash_the_geojson_reader(value: object) -> None:
    import json

    collection = {"type": "FeatureCollection", "features": [value, {"type": "Feature", "properties": {"date": "x"}}]}
    _read_all(json.dumps(collection).encode(), fmt="geojson")


def _write_rows(
    header: list[str], body: list[list[str]], delimiter: str, terminator: str, quoting: int = csv.QUOTE_MINIMAL
) -> tuple[str, list]:
    """Write rows like a spreadsheet would; return the text and (line, raw) of each non-blank row.

    With QUOTE_MINIMAL Python's writer only quotes the characters of *its* line terminator, so
    a lone "\r" in a cell is written bare under "\n" endings (a different, ambiguous file):
    callers pair QUOTE_MINIMAL with "\r\n" endings.
    """
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=terminator, quoting=quoting).writerow(header)
    expected = []
    for row in body:
        start = len(_TERMINATOR.findall(out.getvalue())) + 1
        one = io.StringIO()
        csv.writer(one, delimiter=delimiter, lineterminator=terminator, quoting=quoting).writerow(row)
        text = one.getvalue()
        out.write(text)
        if any(cell.strip() for cell in row):
            expected.append((start, text[: -len(terminator)]))
    return out.getvalue(), expected


WRITERS = [("\r\n", csv.QUOTE_MINIMAL), ("\n", csv.QUOTE_ALL), ("\r\n", csv.QUOTE_ALL)]


@BOUNDED
@given(rows, st.sampled_from([",", ";", "\t"]), st.sampled_from(WRITERS), st.booleans())
def test_every_written_row_is_accounted_for(
    body: list[list[str]], delimiter: str, writer: tuple[str, int], bom: bool
) -> None:
    terminator, quoting = writer
    text, expected = _write_rows(["date", "location", "notes"], body, delimiter, terminator, quoting)
    data = ("\ufeff" if bom else "").encode() + text.encode("utf-8")
    records = _read_all(data, delimiter=delimiter)
    assert records is not None
    assert [(r.line_number, r.raw) for r in records] == expected


@BOUNDED
@given(rows)
def test_sniffed_delimiter_gives_the_same_accounting(body: list[list[str]]) -> None:
    text, expected = _write_rows(["date", "location", "notes"], body, ",", "\r\n")
    records = _read_all(text.encode())
    assert records is not None
    assert [r.line_number for r in records] == [line for line, _ in expected]


# Place names without missing-value markers ("NA", "-") or NUL, which are meant to be rejected.
# Coordinates as real files hold them: up to 9 decimals (no subnormal floats).
DEGREES = st.floats(-180, 180).map(lambda x: round(x, 9))
PLACES = st.text(st.sampled_from("abcxyzéŁкиї ,.'\"\n;"), max_size=10)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.dates(), DEGREES.map(lambda x: x / 2), DEGREES, PLACES), max_size=8))
def test_valid_rows_round_trip(rows_in: list) -> None:
    body = [[f"{d.day:02d}/{d.month:02d}/{d.year:04d}", repr(lat), repr(lon), place] for d, lat, lon, place in rows_in]
    text, _ = _write_rows(["date", "lat", "lon", "place"], body, ";", "\r\n")
    # Written day first; a file whose days are all 12 or less cannot tell that by itself.
    records = _read_all(text.encode(), date_order="dmy")
    assert records is not None and len(records) == len(rows_in)
    for record, (day, lat, lon, place) in zip(records, rows_in, strict=True):
        if day.year >= 1900 and day <= dt.date.today() + dt.timedelta(days=1):
            assert isinstance(record, EventRecord), record
            assert (record.event_date, record.latitude, record.longitude) == (day, lat, lon)
            assert record.location_text == (place.strip() or None)
        else:
            assert isinstance(record, RejectedRecord) and record.problems[0].column == "date"
