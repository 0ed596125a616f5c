"""Analyst corrections on both backends: update, delete, merge, split, history; and that a
re-import respects them."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from events import eventops
from events.cli import run
from events.errors import NotFoundError, ValidationError
from events.ingest import ingest_file
from tests.helpers import write_csv
from tests.ingest_fixtures import RYAZAN_ROW, counts, events_by, sources_of

# A second wire: the same kind of publisher as Reuters, so two of them raise credibility one step
# (publishers of two kinds count as one more, see tests/ingest/test_grading.py).
KI = {"source_url": "https://apnews.com/article/ryazan", "publisher": "AP"}
GS = {"source_url": "https://t.me/GeneralStaffZSU", "publisher": "General Staff"}


def _load_two_events(engine: Engine, tmp_path: Path) -> tuple[Path, dict, dict]:
    """Two reports 30 km apart on one day: two events the rule keeps apart."""
    rows = [dict(RYAZAN_ROW), dict(RYAZAN_ROW, latitude="54.30", longitude="39.90", facility="", **KI)]
    path = write_csv(tmp_path / "two.csv", rows)
    assert ingest_file(engine, path).inserted == 2
    events = sorted(events_by(engine).values(), key=lambda e: e["latitude"], reverse=True)
    return path, events[0], events[1]


def test_update_records_a_revision_and_regrades(engine: Engine, tmp_path: Path) -> None:
    _, event, _ = _load_two_events(engine, tmp_path)
    shown = eventops.update_event(
        engine, event["public_id"], {"claim_status": "confirmed_by_imagery"}, user="ana", reason="satellite image"
    )
    assert shown == {"claim_status": "confirmed_by_imagery", "confidence": "confirmed"}
    (revision,) = eventops.history(engine, event["public_id"])
    assert (revision["action"], revision["changed_by"], revision["reason"]) == ("update", "ana", "satellite image")
    assert revision["previous"] == {"claim_status": "reported", "confidence": "likely"}
    with pytest.raises(ValidationError, match="attack_type"):
        eventops.update_event(engine, event["public_id"], {"attack_type": "catapult"})
    with pytest.raises(ValidationError, match="cannot be edited"):
        eventops.update_event(engine, event["public_id"], {"public_id": "SDB-X"})
    with pytest.raises(NotFoundError):
        eventops.update_event(engine, "SDB-000000000000", {"effect": "fire"})


def test_delete_keeps_history_and_reimport_does_not_resurrect(engine: Engine, tmp_path: Path) -> None:
    path, event, _ = _load_two_events(engine, tmp_path)
    eventops.delete_event(engine, event["public_id"], user="ana", reason="duplicate of another dataset")
    assert event["public_id"] not in events_by(engine)
    (revision,) = eventops.history(engine, event["public_id"])
    assert revision["action"] == "delete" and revision["changes"] is None
    assert revision["previous"]["description"] == RYAZAN_ROW["description"]
    assert revision["previous"]["sources"] == [RYAZAN_ROW["source_url"]]
    again = ingest_file(engine, path)
    assert (again.inserted, again.unchanged) == (0, 2)
    assert len(events_by(engine)) == 1
    with pytest.raises(NotFoundError):
        eventops.history(engine, "SDB-FFFFFFFFFFFF")


def test_merge_moves_sources_corroborates_and_survives_reimport(engine: Engine, tmp_path: Path) -> None:
    path, keep, other = _load_two_events(engine, tmp_path)
    eventops.merge_events(engine, keep["public_id"], other["public_id"], user="ana")
    events = events_by(engine)
    assert list(events) == [keep["public_id"]]
    merged = events[keep["public_id"]]
    assert sources_of(engine, merged["id"]) == sorted([RYAZAN_ROW["source_url"], KI["source_url"]])
    assert (merged["info_credibility"], merged["confidence"]) == (2, "likely")  # two publishers: 3 -> 2
    keep_history = eventops.history(engine, keep["public_id"])
    assert keep_history[-1]["action"] == "merge"
    assert keep_history[-1]["changes"]["merged_from"] == other["public_id"]
    other_history = eventops.history(engine, other["public_id"])
    assert other_history[-1]["changes"] == {"merged_into": keep["public_id"]}
    assert other_history[-1]["previous"]["latitude"] == other["latitude"]
    again = ingest_file(engine, path)
    assert (again.inserted, again.unchanged) == (0, 2)
    assert counts(engine)["events"] == 1
    with pytest.raises(ValidationError):
        eventops.merge_events(engine, keep["public_id"], keep["public_id"])


def test_split_undoes_a_wrong_merge(engine: Engine, tmp_path: Path) -> None:
    rows = [dict(RYAZAN_ROW), dict(RYAZAN_ROW, **KI), dict(RYAZAN_ROW, **GS)]
    path = write_csv(tmp_path / "three.csv", rows)
    assert ingest_file(engine, path).merged == 2
    (event,) = events_by(engine).values()
    assert event["info_credibility"] == 1
    new_id = eventops.split_event(engine, event["public_id"], [GS["source_url"]], user="ana", reason="other strike")
    events = events_by(engine)
    assert set(events) == {event["public_id"], new_id}
    assert sources_of(engine, events[new_id]["id"]) == [GS["source_url"]]
    assert sources_of(engine, event["id"]) == sorted([RYAZAN_ROW["source_url"], KI["source_url"]])
    # Two publishers left on the original (3 -> 2); the split-off event has one.
    assert events[event["public_id"]]["info_credibility"] == 2
    assert events[new_id]["info_credibility"] == 3
    assert eventops.history(engine, new_id)[-1]["changes"]["split_from"] == event["public_id"]
    assert eventops.history(engine, event["public_id"])[-1]["action"] == "split"
    again = ingest_file(engine, path)
    assert (again.inserted, again.merged, again.unchanged) == (0, 0, 3)
    assert len(events_by(engine)) == 2
    with pytest.raises(NotFoundError):
        eventops.split_event(engine, event["public_id"], ["https://example.org/not-a-source"])
    with pytest.raises(ValidationError):
        eventops.split_event(engine, new_id, [GS["source_url"]])


def test_events_cli(db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    path = write_csv(tmp_path / "two.csv", [dict(RYAZAN_ROW), dict(RYAZAN_ROW, date="2025-08-20", **KI)])
    assert run(["--db", db_url, "ingest", str(path)]) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "events", "list"]) == 0
    listing = capsys.readouterr().out
    ids = sorted({word for word in listing.split() if word.startswith("SDB-")})
    assert len(ids) == 2
    assert run(["--db", db_url, "events", "show", ids[0]]) == 0
    assert "sources" in capsys.readouterr().out
    assert run(["--db", db_url, "events", "merge", ids[0], ids[1], "--reason", "same strike"]) == 0
    assert "merged" in capsys.readouterr().out
    assert run(["--db", db_url, "events", "history", ids[1]]) == 0
    assert "merge" in capsys.readouterr().out
    assert run(["--db", db_url, "events", "split", ids[0], KI["source_url"]]) in (0, 1)
    capsys.readouterr()
    assert run(["--db", db_url, "events", "delete", ids[0]]) == 0
    assert run(["--db", db_url, "events", "show", ids[0]]) == 1
    assert "no event" in capsys.readouterr().err
