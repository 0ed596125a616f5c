"""The canonical CSV reader: encodings, delimiters, headers, line numbers, raw rows, problems."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import tracemalloc
import warnings
from pathlib import Path

import pytest

from events.errors import InputError
from events.readers import (
    CANONICAL_COLUMNS,
    parse_column_map,
    read_events,
    template_header,
)
from events.records import EventRecord, RejectedRecord
from tests.helpers import write_csv

HEADER = "date,latitude,longitude,facility,attack_type,source_url"
ROW = "2025-09-14,59.4606,32.0708,Kirishi refinery,drone,https://example.org/a"


def read(path: Path, **kwargs) -> list[EventRecord | RejectedRecord]:
    return list(read_events(path, **kwargs))


def only_event(records: list) -> EventRecord:
    assert len(records) == 1
    assert isinstance(records[0], EventRecord), records[0]
    return records[0]


def test_template_header_is_the_canonical_columns() -> None:
    assert template_header().split(",") == list(CANONICAL_COLUMNS)
    assert "date" in CANONICAL_COLUMNS and "source_url" in CANONICAL_COLUMNS


def test_canonical_template_round_trips(tmp_path: Path) -> None:
    values = {
        "event_id": "K-1",
        "date": "14/09/2025",
        "time": "03:15+03:00",
        "location": "Kirishi, Leningrad oblast",
        "latitude": "59°27'37\"N",
        "longitude": "32,0708",
        "facility": "KINEF refinery",
        "facility_type": "Raffineria",
        "country": "RUS",
        "admin1": "Leningrad oblast",
        "attack_type": "UAV",
        "effect": "fire reported",
        "damage_level": "moderate",
        "description": "Fire at the CDU-6 unit",
        "claim_status": "verified",
        "source_reliability": "B2",
        "info_credibility": "",
        "source_url": "https://a.org/1 | https://b.org/2",
        "publisher": "Reuters",
        "source_title": "Drones hit Kirishi",
        "source_date": "2025-09-14",
        "archived_url": "https://archive.is/abc",
        "geolocation_url": "https://x.com/GeoConfirmed/status/1",
    }
    assert set(values) == set(CANONICAL_COLUMNS)
    row = ",".join(f'"{values[c]}"' if "," in values[c] or '"' in values[c] else values[c] for c in CANONICAL_COLUMNS)
    row = row.replace('"59°27\'37"N"', '"59°27\'37""N"')
    path = write_csv(tmp_path / "in.csv", template_header() + "\n" + row + "\n")
    event = only_event(read(path))
    assert event.external_id == "K-1" and event.origin == "csv"
    assert event.event_date == dt.date(2025, 9, 14) and event.date_precision == "day"
    assert event.event_time_utc == dt.time(0, 15)
    assert event.latitude == pytest.approx(59.46028, abs=1e-5) and event.longitude == pytest.approx(32.0708)
    assert (event.facility_name, event.facility_type, event.country) == ("KINEF refinery", "refinery", "RU")
    assert (event.attack_type, event.effect, event.damage_level) == ("drone", "fire", "moderate")
    assert (event.claim_status, event.source_reliability, event.info_credibility) == ("reported", "B", 2)
    assert event.location_text == "Kirishi, Leningrad oblast" and event.admin1 == "Leningrad oblast"
    assert [s.url for s in event.sources] == [
        "https://a.org/1",
        "https://b.org/2",
        "https://x.com/GeoConfirmed/status/1",
    ]
    assert event.sources[0].archived_url == "https://archive.is/abc" and event.sources[1].archived_url is None
    assert {s.publisher for s in event.sources[:2]} == {"Reuters"}
    assert [s.source_type for s in event.sources] == [None, None, "imagery"]
    assert event.claim_status_stated
    assert event.sources[0].published_date == dt.date(2025, 9, 14)
    assert event.extra == {}


def test_line_numbers_and_raw_with_multiline_quoted_fields(tmp_path: Path) -> None:
    text = (
        "date,latitude,longitude,description\r\n"
        '2025-01-01,50,30,"first\r\nsecond\r\nthird"\r\n'
        "\r\n"
        "2025-01-02,50,30,plain\r\n"
        '2025-01-03,50,30,"a ""quoted""\nword"\n'
        "2025-01-04,50,30,last"
    )
    records = read(write_csv(tmp_path / "in.csv", text))
    assert [r.line_number for r in records] == [2, 6, 7, 9]
    assert records[0].raw == '2025-01-01,50,30,"first\r\nsecond\r\nthird"'
    assert records[0].description == "first\r\nsecond\r\nthird"
    assert records[2].raw == '2025-01-03,50,30,"a ""quoted""\nword"'
    assert records[3].raw == "2025-01-04,50,30,last"


def test_lone_cr_line_endings_count_as_lines(tmp_path: Path) -> None:
    records = read(write_csv(tmp_path / "in.csv", "date,location\r2025-01-01,Kyiv\r2025-01-02,Lviv\r"))
    assert [r.line_number for r in records] == [2, 3]
    assert [r.location_text for r in records] == ["Kyiv", "Lviv"]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_delimiter_is_sniffed(tmp_path: Path, delimiter: str) -> None:
    text = HEADER.replace(",", delimiter) + "\n" + ROW.replace(",", delimiter) + "\n"
    event = only_event(read(write_csv(tmp_path / "in.csv", text)))
    assert event.facility_name == "Kirishi refinery" and event.latitude == 59.4606


def test_semicolon_file_with_decimal_commas(tmp_path: Path) -> None:
    text = "Datum;Breite;Länge;Ort\n14.09.2025;59,4606;32,0708;Kirishi\n"
    events = read(
        write_csv(tmp_path / "in.csv", text),
        column_map=parse_column_map(["Datum=date", "Breite=latitude", "Länge=longitude", "Ort=location"]),
    )
    event = only_event(events)
    assert (event.latitude, event.longitude, event.location_text) == (59.4606, 32.0708, "Kirishi")


def test_explicit_delimiter_overrides_sniffing(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "date;location\n2025-01-01;Kyiv, Ukraine\n")
    assert only_event(read(path, delimiter=";")).location_text == "Kyiv, Ukraine"
    with pytest.raises(InputError, match="one character"):
        read(path, delimiter=";;")


def test_headers_are_normalised_and_synonyms_applied(tmp_path: Path) -> None:
    text = "\ufeff Event Date ,LAT,Lng,Target,Type,URL,Mystery Column\n2025-09-14,59.46,32.07,Kirishi,Drones,https://x.org/a,42\n"
    event = only_event(read(write_csv(tmp_path / "in.csv", text)))
    assert (event.event_date, event.latitude, event.longitude) == (dt.date(2025, 9, 14), 59.46, 32.07)
    assert event.facility_name == "Kirishi" and event.attack_type == "drone"
    assert event.sources[0].url == "https://x.org/a"
    assert event.extra == {"Mystery Column": "42"}


@pytest.mark.parametrize("header", ["#", "No.", "№", "Nr", "№ п/п", "Номер"])
def test_row_number_columns_are_id_columns(tmp_path: Path, header: str) -> None:
    text = f"{header},date,location\n17,2025-01-01,Kyiv\n"
    assert only_event(read(write_csv(tmp_path / "in.csv", text))).external_id == "17"


@pytest.mark.parametrize(
    ("header", "row", "expected"),
    [
        # A column named as the field holds it; a synonym beside it is kept as extra data.
        ("date,location,notes,description", "2025-01-01,Kyiv,a note,the text", ("the text", {"notes": "a note"})),
        (
            "date,title,facility",
            "2025-01-01,Fire at the depot,Kyiv CHP-6",
            ("Kyiv CHP-6", {"title": "Fire at the depot"}),
        ),
        # Ukrainian and Russian headers.
        ("Дата;Місце;Опис;Джерело", "01.01.2025;Київ;Удар по ТЕЦ;https://t.me/x/1", ("Удар по ТЕЦ", {})),
        (
            "Дата;Населенный пункт;Описание;Ссылка",
            "01.01.2025;Кириши;Атака на НПЗ;https://t.me/x/2",
            ("Атака на НПЗ", {}),
        ),
    ],
)
def test_exactly_named_text_columns_win_and_slavic_headers(tmp_path: Path, header: str, row: str, expected) -> None:
    event = only_event(read(write_csv(tmp_path / "in.csv", header + "\n" + row + "\n")))
    field = "facility_name" if "facility" in header else "description"
    assert (getattr(event, field), event.extra) == expected
    if "Дата" in header:
        assert event.location_text in ("Київ", "Кириши") and event.sources[0].url.startswith("https://t.me/x/")


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    event = only_event(read(write_csv(tmp_path / "in.csv", b"\xef\xbb\xbfdate,location\n2025-01-01,Ki\xc3\xafv\n")))
    assert event.location_text == "Kiïv"


def test_utf16_with_bom_is_accepted(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "date,location\r\n2025-01-01,Кириши\r\n".encode("utf-16"))
    assert only_event(read(path)).location_text == "Кириши"


def test_wrong_encoding_names_byte_line_and_hint(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "date,location\n2025-01-01,Kyiv\n2025-01-02,Кириши\n".encode("cp1251"))
    with pytest.raises(InputError) as info:
        read(path)
    message = str(info.value)
    assert "not valid UTF-8 at byte 41 (line 3)" in message and str(path) in message
    assert (info.value.hint or "").startswith("pass the file's encoding, e.g. --encoding cp1251")
    assert [r.location_text for r in read(path, encoding="cp1251")] == ["Kyiv", "Кириши"]


def test_encoding_hint_puts_the_likely_codepage_first(tmp_path: Path) -> None:
    latin = write_csv(tmp_path / "latin.csv", "date,location\n2025-01-01,Città di Roma\n".encode("latin-1"))
    with pytest.raises(InputError) as info:
        read(latin)
    assert (info.value.hint or "").index("cp1252") < (info.value.hint or "").index("cp1251")


def test_decode_error_far_into_the_file_is_located(tmp_path: Path) -> None:
    body = "".join(f"2025-01-01,place {i}\n" for i in range(10_000))
    path = write_csv(tmp_path / "in.csv", ("date,location\n" + body).encode() + b"2025-01-01,bad \xff\n")
    with pytest.raises(InputError, match=r"line 10002\)"):
        read(path)


def test_unknown_encoding_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="unknown encoding"):
        read(write_csv(tmp_path / "in.csv", "date\n"), encoding="klingon")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (b"PK\x03\x04rest of a zip", "ZIP"),
        (b"\x00\x01" * 200, "binary"),
        (b"location,latitude,longitude\nKyiv,50,30\n", "date"),
        (b"date,notes\n2025-01-01,x\n", "latitude\\+longitude, coordinates, location or facility"),
        (b"date,latitude\n2025-01-01,50\n", "longitude"),
        (b"date,lat,latitude\n2025-01-01,1,2\n", "both map to 'latitude'"),
    ],
)
def test_whole_file_problems_raise_input_error(tmp_path: Path, content: bytes, message: str) -> None:
    with pytest.raises(InputError, match=message):
        read(write_csv(tmp_path / "in.csv", content))


def test_missing_columns_error_lists_header_and_map_hint(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        read(write_csv(tmp_path / "in.csv", "Datum,Ort\n2025-01-01,Kyiv\n"))
    assert "'Datum'" in str(info.value) and "--map" in (info.value.hint or "")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read(tmp_path / "absent.csv")
    with pytest.raises(InputError, match="directory"):
        read(tmp_path)


def test_unknown_format() -> None:
    with pytest.raises(InputError, match="unknown input format"):
        read_events("x.csv", fmt="xlsx")


def test_column_map_parsing() -> None:
    assert parse_column_map(["Datum=date", " Breite = latitude", "Link 2=source_url_2", "x=ignore"]) == {
        "Datum": "date",
        "Breite": "latitude",
        "Link 2": "source_url_2",
        "x": "ignore",
    }
    assert parse_column_map(["a=b=date"]) == {"a=b": "date"}
    for bad, message in [("nodelimiter", "column=field"), ("=date", "column=field"), ("x=", "column=field")]:
        with pytest.raises(InputError, match=message):
            parse_column_map([bad])
    with pytest.raises(InputError, match="unknown field"):
        parse_column_map(["x=colour"])
    with pytest.raises(InputError, match="twice"):
        parse_column_map(["x=date", "x=time"])


def test_column_map_applies_and_checks_columns(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", "when,site,notes\n2025-01-01,Depot 1,keep me\n")
    event = only_event(read(path, column_map={"WHEN": "date", "site": "location", "notes": "extra"}))
    assert event.location_text == "Depot 1" and event.extra == {"notes": "keep me"} and event.description is None
    ignored = only_event(read(path, column_map={"when": "date", "site": "location", "notes": "ignore"}))
    assert ignored.extra == {} and ignored.description is None
    with pytest.raises(InputError, match="not in the header"):
        read(path, column_map={"absent": "date"})


def test_numbered_source_columns_make_several_sources(tmp_path: Path) -> None:
    text = (
        "date,location,source_url_1,publisher_1,source_url_2,publisher_2,archived_url_2\n"
        "2025-01-01,Kyiv,https://a.org/1,A,https://b.org/2,B,https://archive.is/b\n"
    )
    event = only_event(read(write_csv(tmp_path / "in.csv", text)))
    assert [(s.url, s.publisher, s.archived_url) for s in event.sources] == [
        ("https://a.org/1", "A", None),
        ("https://b.org/2", "B", "https://archive.is/b"),
    ]


def test_all_problems_of_a_row_are_reported(tmp_path: Path) -> None:
    text = (
        "date,latitude,longitude,facility,attack_type,source_reliability,info_credibility,source_url\n"
        "31/02/2025,95,nan,Depot,catapult,G,9,javascript:alert(1)\n"
    )
    (record,) = read(write_csv(tmp_path / "in.csv", text))
    assert isinstance(record, RejectedRecord)
    assert record.line_number == 2 and record.raw == text.splitlines()[1]
    columns = [p.column for p in record.problems]
    assert columns == [
        "date",
        "latitude",
        "longitude",
        "attack_type",
        "source_reliability",
        "info_credibility",
        "source_url",
    ]
    assert all(p.file == record.file and p.line == 2 for p in record.problems)
    assert record.problems[1].value == "95" and "outside" in record.problems[1].reason
    assert "in.csv:2: column 'date'" in str(record.problems[0])


def test_row_level_rules(tmp_path: Path) -> None:
    text = (
        "date,latitude,longitude,location,source_reliability,info_credibility\n"
        ",50,30,Kyiv,,\n"  # no date
        "2025-01-01,50,,Kyiv,,\n"  # half a coordinate pair
        "2025-01-01,,,,,\n"  # nowhere to place it
        "2025-01-01,,,Kyiv,B2,3\n"  # contradicting grades
        "2025-01-01,,,Kyiv,b2,\n"  # fine: combined grade
    )
    records = read(write_csv(tmp_path / "in.csv", text))
    reasons = [[p.reason for p in r.problems] if isinstance(r, RejectedRecord) else None for r in records]
    assert "date is missing" in reasons[0][0]
    assert "longitude is missing" in reasons[1][0]
    assert "nothing to place it" in reasons[2][0]
    assert "contradicts" in reasons[3][0]
    assert reasons[4] is None and (records[4].source_reliability, records[4].info_credibility) == ("B", 2)


def test_ragged_rows_nul_bytes_and_broken_quotes_are_rejected(tmp_path: Path) -> None:
    text = (
        "date,location,notes,\n"  # trailing unnamed column
        "2025-01-01,Kyiv,ok,\n"
        "2025-01-02,Lviv,ok\n"  # missing only the unnamed trailing column: fine
        "2025-01-03,Kyiv,a,b,c\n"  # too many non-empty fields
        "2025-01-04\n"  # too few fields
        "2025-01-05,Ky\x00iv,nul,\n"
        "2025-01-06,Kyiv,trailing empties,,,,\n"
    )
    records = read(write_csv(tmp_path / "in.csv", text))
    kinds = [type(r).__name__ for r in records]
    assert kinds == ["EventRecord", "EventRecord", "RejectedRecord", "RejectedRecord", "RejectedRecord", "EventRecord"]
    assert [r.line_number for r in records] == [2, 3, 4, 5, 6, 7]
    assert "5 fields but the header has 4" in records[2].problems[0].reason
    assert "NUL" in records[4].problems[0].reason


def test_giant_field_is_rejected_not_fatal(tmp_path: Path) -> None:
    big = "x" * (17 * 1024 * 1024)
    text = f'date,location,notes\n2025-01-01,Kyiv,"{big}"\n2025-01-02,Lviv,fine\n'
    records = read(write_csv(tmp_path / "in.csv", text))
    assert isinstance(records[0], RejectedRecord) and "field larger than field limit" in records[0].problems[0].reason
    assert records[-1].location_text == "Lviv" and records[-1].line_number == 3


def test_unterminated_quote_swallows_rest_but_is_reported(tmp_path: Path) -> None:
    text = 'date,location,notes\n2025-01-01,Kyiv,"never closed\n2025-01-02,Lviv,x\n'
    records = read(write_csv(tmp_path / "in.csv", text))
    assert len(records) == 1 and isinstance(records[0], RejectedRecord)


def test_header_only_file_yields_nothing(tmp_path: Path) -> None:
    assert read(write_csv(tmp_path / "in.csv", template_header() + "\n")) == []


def test_long_values_are_rejected_before_the_database(tmp_path: Path) -> None:
    text = f"date,location,facility,event_id\n2025-01-01,Kyiv,{'f' * 301},{'i' * 101}\n"
    (record,) = read(write_csv(tmp_path / "in.csv", text))
    assert [p.column for p in record.problems] == ["event_id", "facility"]
    assert len(record.problems[1].value) == 200


def open_fds(path: Path) -> int:
    """How many file descriptors of this process are open on ``path`` (Linux: /proc/self/fd)."""
    fds = Path("/proc/self/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc/self/fd")
    target = str(path.resolve())
    count = 0
    for fd in fds.iterdir():
        with contextlib.suppress(OSError):  # the descriptor iterdir itself used, closed by now
            count += os.readlink(fd) == target
    return count


def test_reader_is_lazy_and_closes_its_file(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "in.csv", HEADER + "\n" + (ROW + "\n") * 10)
    unclosed = []  # the garbage collector warns about a file nobody closed: the reader must close it
    iterator = read_events(path)  # plans the file (format, columns, dates) before the first record
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        first = next(iterator)
        assert isinstance(first, EventRecord)
        assert open_fds(path) == 1  # lazy: one record read, the file still open for the rest
        iterator.close()  # consumer stops early: the file handle must be released without error
        assert open_fds(path) == 0
    unclosed += [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    rest = read_events(path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        assert sum(1 for _ in rest) == 10
        assert open_fds(path) == 0  # read to the end: closed as well
    unclosed += [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert unclosed == []


def test_memory_stays_flat_on_a_large_file(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    with path.open("w") as out:
        out.write(HEADER + "\n")
        for i in range(10_000):
            out.write(f"2025-09-14,59.{i % 9999:04d},32.07,Site {i},drone,https://example.org/{i}\n")
    tracemalloc.start()
    count = sum(1 for _ in read_events(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 10_000
    # A list of 10k records would take over 10 MB; streaming keeps the peak to buffers and one row.
    assert peak < 3 * 1024 * 1024, peak


def test_worked_example_in_docs_behaves_as_documented(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "csv-format.md"
    example = docs.read_text(encoding="utf-8").split("```csv\n", 1)[1].split("```", 1)[0]
    kir, tua, bad = read(write_csv(tmp_path / "in.csv", example))
    assert (kir.event_time_utc, kir.facility_type, kir.country, kir.claim_status) == (
        dt.time(0, 15),
        "refinery",
        "RU",
        "confirmed_by_official",
    )
    assert (kir.source_reliability, kir.info_credibility, len(kir.sources)) == ("B", 2, 2)
    assert tua.latitude is None and tua.facility_name == "Tuapse refinery"
    assert [p.column for p in bad.problems] == ["date", "latitude", "attack_type", "source_url"]


@pytest.mark.parametrize(
    ("cell", "date", "precision"),
    [
        ("13-14 March 2024", dt.date(2024, 3, 13), "week"),  # an overnight strike
        ("13–14.03.2024", dt.date(2024, 3, 13), "week"),
        ("13 - 14 марта 2024 г.", dt.date(2024, 3, 13), "week"),
        ("13/03/2024 - 15/03/2024", dt.date(2024, 3, 13), "week"),
        ("2024-03-13/2024-03-19", dt.date(2024, 3, 13), "week"),
        ("13-13 March 2024", dt.date(2024, 3, 13), "day"),
    ],
)
def test_a_date_range_of_up_to_a_week_is_its_first_day_with_week_precision(
    tmp_path: Path, cell: str, date: dt.date, precision: str
) -> None:
    text = f'date,location\n"{cell}",Ryazan\n'
    event = only_event(read(write_csv(tmp_path / "in.csv", text)))
    assert (event.event_date, event.date_precision) == (date, precision)


@pytest.mark.parametrize(
    ("cell", "reason"),
    [
        ("10-20 March 2024", "spans 11 days: strikedb keeps a day, a week (a range of up to 7 days) or a month"),
        ("14-13 March 2024", "ends before it starts"),
        ("31/02/2024 - 01/03/2024", "2024-02 has no day 31"),
        ("March 2024 - April 2024", "a range needs two full dates"),
    ],
)
def test_a_date_range_that_cannot_be_kept_is_rejected_with_why(tmp_path: Path, cell: str, reason: str) -> None:
    (rejected,) = read(write_csv(tmp_path / "in.csv", f'date,location\n"{cell}",Ryazan\n'))
    assert isinstance(rejected, RejectedRecord) and reason in rejected.problems[0].reason


def _zip(path: Path, members: dict[str, str]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return path


def test_a_zipped_csv_is_read_as_the_csv_inside(tmp_path: Path) -> None:
    """UCDP ships GED zipped: the archive's one CSV is read in its place (folders and __MACOSX aside)."""
    text = "id,date,location\n1,2025-01-01,Kyiv\n2,2025-01-02,Кириши\n"
    path = _zip(tmp_path / "ged.zip", {"data/": "", "data/events.csv": text, "__MACOSX/data/._events.csv": "x"})
    assert [(r.external_id, r.location_text) for r in read(path)] == [("1", "Kyiv"), ("2", "Кириши")]


@pytest.mark.parametrize(
    "members",
    [
        {"[Content_Types].xml": "<Types/>", "xl/workbook.xml": "<workbook/>"},  # an .xlsx workbook
        {"a.csv": "date,location\n2025-01-01,Kyiv\n", "b.csv": "date,location\n2025-01-01,Kyiv\n"},
    ],
)
def test_other_zip_archives_are_refused_with_a_hint(tmp_path: Path, members: dict[str, str]) -> None:
    with pytest.raises(InputError, match="ZIP archive") as info:
        read(_zip(tmp_path / "in.zip", members))
    assert "unzip the archive" in (info.value.hint or "")
