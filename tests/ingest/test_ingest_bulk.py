"""How the loader writes large files: transactions made of chunks, SQLite ids numbered in the write
lock, and the R*Tree filled once per chunk with its trigger restored exactly."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from events.db import make_engine, sqlite_path, sqlite_rtree_filled_after
from events.ingest import ingest_file, loader, pipeline, sample_events_path
from events.ingest.pipeline import chunks_of_batches
from tests.conftest import PgServer
from tests.helpers import write_csv
from tests.ingest_fixtures import RYAZAN_ROW, add_bundled_facilities, add_facilities, counts


def _trigger_sql(url: str) -> str | None:
    conn = sqlite3.connect(sqlite_path(url))
    try:
        row = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'events_rtree_insert'").fetchone()
    finally:
        conn.close()
    return row[0] if row else None


@pytest.mark.parametrize(
    ("n_items", "batch_size", "chunk", "expected"),
    [
        (23, 10, 3, [3, 3, 3, 1, 3, 3, 3, 1, 3]),
        (10, 10, 3, [3, 3, 3, 1]),
        (7, 2, 5, [2, 2, 2, 1]),
        (0, 10, 3, []),
    ],
)
def test_chunks_end_at_every_batch_end(
    monkeypatch: pytest.MonkeyPatch, n_items: int, batch_size: int, chunk: int, expected: list[int]
) -> None:
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", chunk)
    sizes = [len(c) for c in chunks_of_batches(range(n_items), batch_size)]
    assert sizes == expected
    # Every batch boundary is a chunk boundary, so a commit after batch_size rows is exact.
    ends = {sum(sizes[: i + 1]) for i in range(len(sizes))}
    assert {b for b in range(batch_size, n_items, batch_size)} <= ends


def test_the_first_chunks_are_small_so_the_writer_starts_early() -> None:
    sizes = [len(c) for c in chunks_of_batches(range(30_000), 50_000)]
    first = pipeline.FIRST_CHUNK_ROWS
    assert sizes[:3] == [first, 2 * first, 4 * first]
    assert max(sizes) == pipeline.CHUNK_ROWS and sum(sizes) == 30_000
    assert sizes == sorted(sizes[:-1]) + sizes[-1:]  # they grow, then stay at CHUNK_ROWS


def test_a_transaction_of_several_chunks_commits_per_batch_and_dedups_across_chunks(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_facilities(engine)
    rows = [dict(RYAZAN_ROW, date=f"2025-07-{day:02d}") for day in range(1, 24)]
    # Row 23 repeats the strike of row 2 (same day, 1.5 km away, another publisher): it lands in
    # another chunk of the same transaction and must still be merged into it.
    rows[22] = dict(
        RYAZAN_ROW,
        date="2025-07-02",
        latitude="54.5800",
        longitude="39.7650",
        source_url="https://kyivindependent.com/x",
        publisher="Kyiv Independent",
    )
    path = write_csv(tmp_path / "chunks.csv", rows)
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 3)
    committed_at: list[int] = []
    real_commit = pipeline.commit_batch

    def spy(conn, loader, report, dry_run, committed):  # type: ignore[no-untyped-def]
        committed_at.append(report.read)
        real_commit(conn, loader, report, dry_run, committed)

    monkeypatch.setattr(pipeline, "commit_batch", spy)
    report = ingest_file(engine, path, batch_size=10)
    assert committed_at == [10, 20, 23]
    assert (report.read, report.inserted, report.merged) == (23, 22, 1)
    assert counts(engine)["events"] == 22


def test_sqlite_bulk_rtree_matches_the_trigger_and_restores_it(sqlite_url: str, tmp_path: Path) -> None:
    engine = make_engine(sqlite_url)
    add_bundled_facilities(engine)
    before = _trigger_sql(sqlite_url)
    assert before is not None
    ingest_file(engine, sample_events_path())
    assert _trigger_sql(sqlite_url) == before  # byte for byte
    with engine.connect() as conn:
        ids = conn.execute(text("SELECT id FROM events ORDER BY id")).scalars().all()
        # Numbered as SQLite would: 1..n, no gaps.
        assert ids == list(range(1, len(ids) + 1))
        mismatched = conn.execute(
            text(
                "SELECT count(*) FROM events e LEFT JOIN events_rtree r ON r.id = e.id "
                "WHERE r.id IS NULL OR abs(r.min_lat - e.latitude) > 1e-4 OR abs(r.min_lon - e.longitude) > 1e-4"
            )
        ).scalar_one()
        assert mismatched == 0
        assert conn.execute(text("SELECT count(*) FROM events_rtree")).scalar_one() == len(ids)
    # A row inserted afterwards by anyone else is indexed by the restored trigger.
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO events (public_id, event_date, latitude, longitude, geo_precision, geocoded_by, "
                "confidence) VALUES ('SDB-MANUAL', '2025-01-01', 50.5, 30.5, 'exact', 'coordinates', 'possible')"
            )
        )
    with engine.connect() as conn:
        hit = (
            conn.execute(
                text(
                    "SELECT e.public_id FROM events_rtree r JOIN events e ON e.id = r.id "
                    "WHERE r.min_lat BETWEEN 50.4 AND 50.6 AND r.min_lon BETWEEN 30.4 AND 30.6"
                )
            )
            .scalars()
            .all()
        )
    assert hit == ["SDB-MANUAL"]
    engine.dispose()


def test_sqlite_error_inside_the_block_rolls_back_to_the_trigger(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    before = _trigger_sql(sqlite_url)
    with pytest.raises(RuntimeError), engine.connect() as conn:
        conn.execute(text("SELECT 1"))  # opens the write transaction
        try:
            with sqlite_rtree_filled_after(conn, "events", 1):
                assert (
                    conn.execute(
                        text("SELECT count(*) FROM sqlite_master WHERE name = 'events_rtree_insert'")
                    ).scalar_one()
                    == 0
                )
                raise RuntimeError("boom")
        except RuntimeError:
            conn.rollback()
            raise
    assert _trigger_sql(sqlite_url) == before
    engine.dispose()


def test_tricky_text_round_trips_through_the_bulk_writers(engine: Engine, tmp_path: Path) -> None:
    """PostgreSQL writes with COPY (text format): escapes must survive exactly, as on SQLite."""
    tricky = 'tab\there, new\nline, backslash \\ and \\N, "quotes", NUL-free; Кириши 🔥'
    rows = [dict(RYAZAN_ROW, description=tricky, source_url="https://example.org/a?x=1\\t", publisher="\\N")]
    ingest_file(engine, write_csv(tmp_path / "tricky.csv", rows))
    with engine.connect() as conn:
        description = conn.execute(text("SELECT description FROM events")).scalar_one()
        url, publisher = conn.execute(text("SELECT url, publisher FROM sources")).one()
    assert description == tricky
    assert (url, publisher) == ("https://example.org/a?x=1\\t", "\\N")


def test_postgresql_statistics_are_refreshed_as_the_table_grows(
    pg_server: PgServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = pg_server.migrated_database()
    engine = make_engine(url)
    monkeypatch.setattr(pipeline, "CHUNK_ROWS", 5)
    monkeypatch.setattr(loader, "PG_ANALYZE_MIN_ROWS", 10)
    rows = [dict(RYAZAN_ROW, date=f"2025-07-{day:02d}", latitude=f"{50 + day / 10:.4f}") for day in range(1, 29)]
    with engine.connect() as conn:
        assert conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass")).scalar_one() < 1
    report = ingest_file(engine, write_csv(tmp_path / "grow.csv", rows), batch_size=10)
    assert report.inserted == 28
    with engine.connect() as conn:
        # Refreshed after 10 and 20 events (doubling): the planner no longer sees an empty table.
        assert conn.execute(text("SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass")).scalar_one() >= 10
    engine.dispose()
    pg_server.drop(url)


def test_garbage_collector_settings_are_restored_after_a_run_and_after_a_failed_one(
    engine: Engine, tmp_path: Path
) -> None:
    """A run tunes Python's GC for itself (``pipeline._bulk_gc``); the caller's settings come back."""
    import gc

    add_facilities(engine)
    before = gc.get_threshold()
    seen: list[tuple[tuple[int, ...], int]] = []

    def progress(_read: int) -> None:
        seen.append((gc.get_threshold(), gc.get_freeze_count()))

    path = write_csv(tmp_path / "gc.csv", [RYAZAN_ROW])
    ingest_file(engine, path, progress=progress)
    assert seen and seen[0][0][0] == pipeline.GC_GEN0_THRESHOLD and seen[0][1] > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0

    def fail(_read: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, write_csv(tmp_path / "gc2.csv", [dict(RYAZAN_ROW, date="2025-07-03")]), progress=fail)
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0


def test_sources_of_a_chunk_link_right_whether_their_urls_are_stored_or_new(engine: Engine, tmp_path: Path) -> None:
    # The writer inserts a chunk's sources at once when no URL is stored yet, and looks them up
    # first when some are: both ways each event must link the source of its own URL.
    add_facilities(engine)
    base = "https://www.reuters.com/business/energy/"

    def rows(days_and_urls: list[tuple[int, str]]) -> list[dict[str, str]]:
        return [
            dict(RYAZAN_ROW, date=f"2025-07-{d:02d}", source_url=base + u, description=f"d{d}")
            for d, u in days_and_urls
        ]

    ingest_file(engine, write_csv(tmp_path / "first.csv", rows([(1, "a"), (2, "b")])))
    # Day 5 cites a stored URL (b) beside new ones: the look-up path; day 9's file only new URLs.
    ingest_file(engine, write_csv(tmp_path / "second.csv", rows([(5, "b"), (6, "c"), (7, "d")])))
    ingest_file(engine, write_csv(tmp_path / "third.csv", rows([(9, "e"), (10, "f")])))
    with engine.connect() as conn:
        linked = conn.execute(
            text(
                "SELECT e.event_date, s.url FROM events e JOIN event_sources es ON es.event_id = e.id "
                "JOIN sources s ON s.id = es.source_id ORDER BY e.event_date, s.url"
            )
        ).all()
        stored = conn.execute(text("SELECT count(*), count(DISTINCT url) FROM sources")).one()
    got = [(str(day)[-2:], url.removeprefix(base)) for day, url in linked]
    assert got == [("01", "a"), ("02", "b"), ("05", "b"), ("06", "c"), ("07", "d"), ("09", "e"), ("10", "f")]
    assert tuple(stored) == (6, 6)
