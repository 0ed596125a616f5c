"""The content hash is stored with every event: the same record must hash the same in every version."""

from __future__ import annotations

import datetime as dt

from events.ingest.identity import content_hash
from events.records import EventRecord, SourceRecord


def _record(**changes: object) -> EventRecord:
    values: dict[str, object] = {
        "file": "log.csv",
        "line_number": 7,
        "raw": "raw text",
        "event_date": dt.date(2025, 9, 14),
        "latitude": 59.8833,
        "longitude": 32.0833,
        "facility_name": "Kirishi refinery",
        "description": 'Дроны атаковали НПЗ; "fire"',
        "info_credibility": 2,
        "sources": [
            SourceRecord("https://www.reuters.com/world/x", publisher="Reuters", publisher_key="reuters"),
            SourceRecord("https://t.me/astrapress/1", title="Ночью"),
        ],
        "extra": {"event_type": "Explosions", "nested": [1, {"b": 2, "a": None}]},
    }
    values.update(changes)
    return EventRecord(**values)  # type: ignore[arg-type]


def test_the_content_hash_of_a_record_is_the_one_stored_by_earlier_versions() -> None:
    # Values computed with the repr-of-pairs code of before the templates (7841124): a change of
    # the hashed text would make every re-import of an unchanged file an update.
    assert content_hash(_record()) == "75dd2f0a3c5fbd53b435400281f6eda67edd2ffb0d0fa766965e89ff3f263d4d"
    one_source = _record(sources=[SourceRecord("https://a.example/1")], extra={})
    assert content_hash(one_source) == "59e5cb5c08bf09d157e183f8cc1bc68c765237fa9eeb279ae33bc97846bf60f3"
    no_source = _record(sources=[], extra={})
    assert content_hash(no_source) == "6083511bec666b03407932b5534b9a28a8966e9e424e83c2a1cedf87c629b54a"


def test_position_in_the_file_and_derived_source_fields_do_not_count() -> None:
    base = content_hash(_record())
    assert content_hash(_record(file="other.csv", line_number=99, raw="x", warnings=[], at_sea=True)) == base
    derived = [SourceRecord("https://www.reuters.com/world/x", publisher="Reuters", publisher_kind="news_agency"),
               SourceRecord("https://t.me/astrapress/1", title="Ночью")]  # fmt: skip
    assert content_hash(_record(sources=derived)) == base
    assert content_hash(_record(description="other")) != base
    assert content_hash(_record(extra={"event_type": "Battles", "nested": [1, {"b": 2, "a": None}]})) != base
