"""`strikedb facilities match` and an ingest serialise on PostgreSQL (issue 16).

An ingest batch holds the transaction-scoped advisory lock :data:`events.runs.INGEST_LOCK_KEY`
while it looks up candidate events and links sources to them. Matching rewrites the facility link
of every event; it takes the same lock for its whole transaction, so it waits for the batch in
progress and the next batch waits for it. Here the test holds the lock as a batch would, checks
that a match started meanwhile waits on it (and has not read the events), then releases it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update

from events.db import make_engine
from events.facilities import MatchReport, import_bundled, match_events
from events.ingest import ingest_file
from events.models import Event
from events.runs import INGEST_LOCK_KEY
from tests.conftest import PgServer
from tests.ingest_fixtures import write_grid_csv

pytestmark = pytest.mark.postgres
WAIT_S = 60


@pytest.fixture
def pg_engine(pg_server: PgServer) -> Iterator[Engine]:
    url = pg_server.migrated_database()
    engine = make_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()
        pg_server.drop(url)


def _waiting_for_the_ingest_lock(engine: Engine) -> int:
    """Backends waiting for the advisory lock (a one-bigint key is stored as classid/objid, objsubid 1)."""
    query = text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objsubid = 1"
        " AND ((classid::bigint << 32) | objid::bigint) = :key"
    )
    with engine.connect() as conn:
        return conn.execute(query, {"key": INGEST_LOCK_KEY}).scalar_one()


def test_match_waits_for_the_ingest_batch_in_progress(pg_engine: Engine, tmp_path: Path) -> None:
    import_bundled(pg_engine)
    # Rows on top of the Kirishi refinery (59.45 N, 32.02 E), so matching links some of them.
    csv_path = write_grid_csv(tmp_path / "near.csv", 8, tag="lock", days=8, latitude=59.45, longitude=32.02, columns=2)
    assert ingest_file(pg_engine, csv_path).inserted == 8

    result: dict[str, MatchReport | BaseException] = {}

    def run_match() -> None:
        try:
            result["report"] = match_events(pg_engine)
        except Exception as exc:  # handed to the test thread
            result["report"] = exc

    with pg_engine.connect() as batch:
        # What an ingest batch does first (events.ingest BatchLoader.load) ...
        batch.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
        # ... and a change it makes before committing: the match must see it, so it must not have
        # read the events yet.
        first_id = batch.execute(select(Event.id).order_by(Event.id).limit(1)).scalar_one()
        batch.execute(update(Event).where(Event.id == first_id).values(facility_match="manual"))
        matcher = threading.Thread(target=run_match, daemon=True)
        matcher.start()
        deadline = time.monotonic() + WAIT_S
        while _waiting_for_the_ingest_lock(pg_engine) == 0 and time.monotonic() < deadline:
            assert matcher.is_alive(), f"match did not wait for the ingest lock: {result}"
            time.sleep(0.1)
        assert _waiting_for_the_ingest_lock(pg_engine) == 1
        assert matcher.is_alive() and not result
        batch.commit()
    matcher.join(WAIT_S)
    assert not matcher.is_alive()
    report = result["report"]
    assert isinstance(report, MatchReport), report
    assert report.examined == 8
    # The batch's change was committed before the match read the events: its manual link is kept.
    assert report.manual_kept == 1
