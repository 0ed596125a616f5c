"""`events split` undoes `events merge`: the merged-away event comes back as it was (both backends).

The property test merges random pairs of a pool of varied events (with and without external
ids, different dates, precisions, grades, sources shared or not) and splits them again, and
compares every event, its sources and grade with the state before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, select

from events import eventops
from events.ingest import ingest_file
from events.models import Event, EventSource
from tests.helpers import write_csv
from tests.ingest_fixtures import RYAZAN_ROW

events_t = Event.__table__
links_t = EventSource.__table__

#: Columns that say when a row was last written, not what it holds.
NOT_COMPARED = {"updated_at"}


def _pool_rows() -> list[dict[str, str]]:
    """Eight reports the dedup rule keeps apart (30+ km or days apart), with varied values."""
    rows = []
    for i in range(8):
        row = dict(
            RYAZAN_ROW,
            date=f"2025-08-{2 + i * 3:02d}",
            latitude=f"{54.0 + i * 0.4:.4f}",
            longitude=f"{39.0 + (i % 3) * 0.5:.4f}",
            facility="" if i % 2 else RYAZAN_ROW["facility"],
            description=f"strike number {i}" if i % 3 else "",
            claim_status=("reported", "claimed", "confirmed", "disputed")[i % 4],
            source_reliability="ABCDEF"[i % 6],
            info_credibility=str(1 + i % 6),
            source_url=f"https://news{i}.example.org/story/{i}",
            publisher=f"Publisher {i}",
        )
        if i % 2 == 0:
            row["event_id"] = f"OSINT-{i}"
        rows.append(row)
    # One report shares its URL with another event's source: the merge must not lose it.
    rows[5]["source_url"] = rows[4]["source_url"]
    return rows


def snapshot(engine: Engine) -> dict[str, Any]:
    """Every event's columns (without updated_at) and its linked source ids, by public id."""
    with engine.connect() as conn:
        events = {r["public_id"]: dict(r) for r in conn.execute(select(events_t)).mappings()}
        links: dict[int, set[tuple[int, str]]] = {}
        for event_id, source_id, role in conn.execute(select(links_t.c.event_id, links_t.c.source_id, links_t.c.role)):
            links.setdefault(event_id, set()).add((source_id, role))
    for event in events.values():
        event["sources"] = links.get(event["id"], set())
        for column in NOT_COMPARED:
            event.pop(column)
    return events


def urls_of(engine: Engine, public_id: str) -> list[str]:
    return [s["url"] for s in eventops.get_event(engine, public_id)["sources"] if s["url"]]


@pytest.fixture
def pool(engine: Engine, tmp_path: Path) -> tuple[Engine, Path]:
    path = write_csv(tmp_path / "pool.csv", _pool_rows())
    report = ingest_file(engine, path)
    assert report.inserted == 8, report
    return engine, path


def test_split_restores_the_event_a_merge_removed(pool: tuple[Engine, Path]) -> None:
    engine, path = pool
    start = snapshot(engine)
    a, b = sorted(start)[:2]
    b_urls = urls_of(engine, b)
    eventops.merge_events(engine, a, b, user="ana")
    assert b not in snapshot(engine)
    restored = eventops.split_event(engine, a, b_urls, user="ana", reason="not the same strike")
    assert restored == b  # the same public id, not a new one
    after = snapshot(engine)
    assert after == start  # ids, values, external_id, natural_key, content_hash, grade, sources
    history = eventops.history(engine, b)
    assert [r["action"] for r in history][-2:] == ["merge", "split"]
    assert history[-1]["changes"]["restored_from_merge"] is True
    # Re-ingesting the file finds both reports where they were: nothing changes.
    again = ingest_file(engine, path)
    assert (again.inserted, again.merged, again.updated, again.unchanged) == (0, 0, 0, 8)
    assert snapshot(engine) == start


def test_a_split_that_is_not_an_undo_still_makes_a_new_event(pool: tuple[Engine, Path]) -> None:
    engine, _path = pool
    # Three events that share no source URL (rows 4 and 5 of the pool do): splitting off b's and
    # c's URLs is then no undo of one merge, whatever order the public ids sort in.
    ids = sorted(snapshot(engine))
    urls = {p: set(urls_of(engine, p)) for p in ids}
    a, b, c = [p for p in ids if not any(urls[p] & urls[q] for q in ids if q != p)][:3]
    eventops.merge_events(engine, a, b)
    eventops.merge_events(engine, a, c)
    # Splitting off b's and c's sources together is no single merge: a new event, as before.
    urls = urls_of(engine, a)
    new_id = eventops.split_event(engine, a, urls[1:])
    assert new_id not in (b, c)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(pairs=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 7)).filter(lambda p: p[0] != p[1]), max_size=3))
def test_merge_then_split_in_reverse_order_is_the_identity(pool: tuple[Engine, Path], pairs) -> None:
    engine, _path = pool
    start = snapshot(engine)
    ids = sorted(start)
    done: list[tuple[str, str, list[str]]] = []
    alive = set(ids)
    for i, j in pairs:
        keep, other = ids[i], ids[j]
        if keep not in alive or other not in alive:
            continue
        before = {s["id"] for s in eventops.get_event(engine, keep)["sources"]}
        other_sources = eventops.get_event(engine, other)["sources"]
        brought = [s["url"] for s in other_sources if s["id"] not in before]
        if not brought:  # every source of `other` is shared: nothing to split off by URL
            continue
        eventops.merge_events(engine, keep, other)
        alive.discard(other)
        done.append((keep, other, brought))
    for keep, other, brought in reversed(done):
        assert eventops.split_event(engine, keep, brought) == other
    assert snapshot(engine) == start
