"""Migration 0009: ``events_rtree`` holds the day of ``event_date`` beside the point (SQLite).

The ingest's search for stored events that may be the same strike asks the R*Tree for a box and
a window of days; these tests prove the index holds the right days whoever writes the row (the
trigger, the bulk fill of an ingest, an update of the date), that the migration keeps every entry
both ways, that ``db check`` notices a wrong day and ``db repair`` mends it, and that the look-up
finds what the date rule says (one day outside the window: not found).
"""

from __future__ import annotations

import datetime as dt
import sqlite3

from sqlalchemy import text

from events import health, migrate
from events.cli import run
from events.db import RTREE_EPOCH_ORDINAL, make_engine, sqlite_path
from events.ingest import ingest_file, sample_events_path
from tests.helpers import write_csv
from tests.ingest_fixtures import RYAZAN_ROW, add_bundled_facilities, add_facilities


def _day(value: str) -> int:
    return dt.date.fromisoformat(value).toordinal() - RTREE_EPOCH_ORDINAL


def _entries(url: str) -> dict[int, tuple[float, ...]]:
    conn = sqlite3.connect(sqlite_path(url))
    try:
        return {row[0]: tuple(row[1:]) for row in conn.execute("SELECT * FROM events_rtree")}
    finally:
        conn.close()


def _events(url: str) -> dict[int, tuple[float, float, str]]:
    conn = sqlite3.connect(sqlite_path(url))
    try:
        return {row[0]: row[1:] for row in conn.execute("SELECT id, latitude, longitude, event_date FROM events")}
    finally:
        conn.close()


def _assert_entries_match_rows(url: str) -> None:
    entries, rows = _entries(url), _events(url)
    assert set(entries) == set(rows)
    for event_id, (lat, lon, day) in rows.items():
        min_lat, max_lat, min_lon, max_lon, min_day, max_day = entries[event_id]
        assert abs(min_lat - lat) < 1e-4 and abs(max_lat - lat) < 1e-4
        assert abs(min_lon - lon) < 1e-4 and abs(max_lon - lon) < 1e-4
        assert min_day == max_day == _day(day), (event_id, day)


def test_bulk_fill_and_trigger_give_each_event_its_day(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    add_bundled_facilities(engine)
    ingest_file(engine, sample_events_path())  # bulk: trigger dropped, one INSERT ... SELECT
    with engine.begin() as conn:  # the trigger: a row written by anyone else
        conn.execute(
            text(
                "INSERT INTO events (public_id, event_date, latitude, longitude, geo_precision, geocoded_by, "
                "confidence) VALUES ('SDB-MANUAL', '1969-12-31', 50.5, 30.5, 'exact', 'coordinates', 'possible')"
            )
        )
    _assert_entries_match_rows(sqlite_url)
    assert _day("1969-12-31") == -1 and _day("1970-01-01") == 0
    # A corrected date moves the entry (the update trigger follows event_date).
    with engine.begin() as conn:
        conn.execute(text("UPDATE events SET event_date = '2031-03-04' WHERE public_id = 'SDB-MANUAL'"))
    _assert_entries_match_rows(sqlite_url)
    engine.dispose()


def test_migration_adds_and_removes_the_day_keeping_every_entry(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    add_bundled_facilities(engine)
    ingest_file(engine, sample_events_path())
    head = _entries(sqlite_url)
    migrate.downgrade(engine, "0008")
    before = _entries(sqlite_url)
    assert set(before) == set(head)
    assert all(len(entry) == 4 and entry == head[event_id][:4] for event_id, entry in before.items())
    with engine.begin() as conn:  # the 2-D trigger of 0008 still indexes new rows
        conn.execute(text("UPDATE events SET latitude = latitude + 0.5 WHERE id = 1"))
    migrate.upgrade(engine)
    _assert_entries_match_rows(sqlite_url)
    assert migrate.drift(engine) == []
    engine.dispose()


def test_db_check_finds_a_wrong_day_and_repair_mends_it(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    add_bundled_facilities(engine)
    ingest_file(engine, sample_events_path())
    conn = sqlite3.connect(sqlite_path(sqlite_url))
    conn.execute("UPDATE events_rtree SET min_day = min_day - 40, max_day = max_day - 40 WHERE id = 2")
    conn.commit()
    conn.close()
    report = health.check_data(engine)
    assert [f.detail for f in report.findings] == ["1 events R*Tree entries are not at the row's coordinates or date"]
    assert run(["--db", sqlite_url, "db", "check"]) == 1
    assert run(["--db", sqlite_url, "db", "repair"]) == 0
    assert health.check_data(engine).findings == []
    _assert_entries_match_rows(sqlite_url)
    engine.dispose()


def test_a_stored_strike_is_found_by_place_and_day_without_a_facility(sqlite_url, tmp_path) -> None:
    """Only the R*Tree can find these: no facility is near, and the reports share no URL."""
    engine = make_engine(sqlite_url)
    add_facilities(engine)
    place = {"latitude": "47.1000", "longitude": "37.5500", "facility": "", "country": "UA"}
    base = dict(RYAZAN_ROW, **place, description="Drone strike on a fuel depot, fire")
    ingest_file(engine, write_csv(tmp_path / "a.csv", [dict(base, source_url="https://a.example/1")]))
    same_day = dict(base, latitude="47.1020", source_url="https://b.example/2", publisher="Other")
    weeks_later = dict(base, date="2025-09-20", source_url="https://c.example/3", publisher="Third")
    report = ingest_file(engine, write_csv(tmp_path / "b.csv", [same_day, weeks_later]))
    assert (report.merged, report.inserted, report.candidates) == (1, 1, 0)
    with engine.connect() as conn:
        urls = conn.execute(
            text(
                "SELECT e.event_date, group_concat(s.url, ' ') FROM events e JOIN event_sources l ON l.event_id = e.id "
                "JOIN sources s ON s.id = l.source_id GROUP BY e.id ORDER BY e.event_date"
            )
        ).all()
    assert [(str(d), sorted(u.split())) for d, u in urls] == [
        ("2025-08-02", ["https://a.example/1", "https://b.example/2"]),
        ("2025-09-20", ["https://c.example/3"]),
    ]
    engine.dispose()
