"""A file corrected and imported again: a row without an id whose place changed is the same report.

Rows without an identifier are known by their report key (date, place, sources). When a publisher
corrects a row's coordinates, the key changes; what the re-import should find is a revision of the
stored event, not a second event beside it. The rule (:mod:`events.ingest.corrections`) pairs a
new report with a stored report of the same file that the new version of the file no longer has,
when both are the only ones of their day and sources; anything less clear-cut is left as it was
(a new event and a duplicate candidate for an analyst).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from events.ingest import ingest_file
from events.models import DuplicateCandidate, Event, EventRevision, EventSource
from tests.helpers import write_csv

ROWS = [
    {"date": "2025-08-14", "latitude": "45.10", "longitude": "35.20", "country": "UA",
     "facility_type": "oil_depot", "description": "Oil depot on fire", "source_url": "https://example.org/a"},
    {"date": "2025-08-14", "latitude": "46.50", "longitude": "34.00", "country": "UA",
     "facility_type": "substation", "description": "Substation hit", "source_url": "https://example.org/b"},
    {"date": "2025-08-15", "latitude": "47.00", "longitude": "35.00", "country": "UA",
     "facility_type": "power_plant", "description": "Power plant", "source_url": "https://example.org/c"},
]  # fmt: skip


def _events(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(Event.__table__).order_by(Event.id)).mappings()]


def _table(engine: Engine, model: type) -> list[dict]:
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(select(model.__table__)).mappings()]


def test_a_corrected_latitude_is_a_revision_not_a_second_event(engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "log.csv", ROWS)
    first = ingest_file(engine, path)
    assert first.inserted == 3
    before = _events(engine)
    depot = next(e for e in _events(engine) if e["description"] == "Oil depot on fire")

    corrected = [dict(ROWS[0], latitude="45.15"), *ROWS[1:]]
    again = ingest_file(engine, write_csv(path, corrected))

    assert (again.inserted, again.updated, again.unchanged) == (0, 1, 2)
    events = _events(engine)
    assert len(events) == 3 == len(before)
    moved = next(e for e in events if e["description"] == "Oil depot on fire")
    assert (moved["id"], moved["public_id"]) == (depot["id"], depot["public_id"])
    assert moved["latitude"] == 45.15
    revisions = [r for r in _table(engine, EventRevision) if r["event_id"] == depot["id"]]
    assert len(revisions) == 1
    assert revisions[0]["previous"]["latitude"] == 45.1 and revisions[0]["changes"]["latitude"] == 45.15
    assert "corrected" in revisions[0]["reason"]
    assert _table(engine, DuplicateCandidate) == []
    assert len([s for s in _table(engine, EventSource) if s["event_id"] == depot["id"]]) == 1

    # The corrected file is now what is stored: importing it again changes nothing.
    third = ingest_file(engine, path)
    assert (third.inserted, third.updated, third.unchanged) == (0, 0, 3)


def test_a_new_row_beside_a_row_still_in_the_file_is_a_new_event(engine: Engine, tmp_path: Path) -> None:
    """Same day and source as a stored row that the file still has: a second strike, not a correction."""
    path = write_csv(tmp_path / "log.csv", ROWS)
    ingest_file(engine, path)
    added = [*ROWS, dict(ROWS[0], latitude="45.15", description="Second depot")]
    again = ingest_file(engine, write_csv(path, added))
    assert (again.inserted, again.updated, again.unchanged) == (1, 0, 3)
    assert len(_events(engine)) == 4


def test_two_rows_gone_and_two_new_of_the_same_day_and_source_are_left_for_review(
    engine: Engine, tmp_path: Path
) -> None:
    """Which old row became which new one is not clear: nothing is paired silently."""
    rows = [ROWS[0], dict(ROWS[0], latitude="45.30", description="Oil depot on fire, second site"), ROWS[2]]
    path = write_csv(tmp_path / "log.csv", rows)
    ingest_file(engine, path)
    moved = [dict(rows[0], latitude="45.12"), dict(rows[1], latitude="45.32"), rows[2]]
    again = ingest_file(engine, write_csv(path, moved))
    assert again.updated == 0 and again.inserted == 2
    assert len(_events(engine)) == 5


def test_another_file_with_the_same_row_is_not_a_correction(engine: Engine, tmp_path: Path) -> None:
    ingest_file(engine, write_csv(tmp_path / "a.csv", ROWS))
    other = ingest_file(engine, write_csv(tmp_path / "b.csv", [dict(ROWS[0], latitude="45.15")]))
    assert other.updated == 0
