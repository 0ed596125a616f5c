"""Crash safety: SIGKILL an ingest mid-file, then prove nothing half-written remains and a
re-run completes the file exactly once (both backends).

The file has :data:`N_ROWS` synthetic rows that can never merge with each other (distinct
identifiers, points at least 11 km apart on any one date), so every committed batch adds
exactly :data:`BATCH` events and "all or nothing per batch" means the count is a multiple of it.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from events.cli import run
from events.db import is_sqlite, make_engine, sqlite_path
from events.models import Event, IngestRun, RejectedRow
from tests.helpers import count_rows
from tests.ingest_fixtures import write_grid_csv

ROOT = Path(__file__).resolve().parents[2]
N_ROWS = 20_000
BATCH = 500
#: Kill once at least this many batches are committed (and again later in the second run).
KILL_AFTER_BATCHES = 2
#: A run that does not reach the kill point within this time has hung: fail instead of waiting.
KILL_DEADLINE_S = 180


def write_synthetic_csv(path: Path, n_rows: int = N_ROWS) -> Path:
    """Valid rows that never deduplicate: 600 dates, 34 latitudes 0.1 degrees apart per date."""
    return write_grid_csv(
        path, n_rows, tag="crash", days=600, latitude=45, longitude=35, columns=7, description="synthetic strike {i}"
    )


def event_count(url: str) -> int:
    # count_rows opens the URL read-only: a reader never waits for the ingest's write lock (a writable
    # SQLite connection begins with BEGIN IMMEDIATE and could only look between two batches).
    return count_rows(url, Event)


def start_ingest(url: str, path: Path, log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "events.cli", "--db", url, "ingest", str(path), "--batch-size", str(BATCH)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )


def kill_when(url: str, proc: subprocess.Popen, at_least: int) -> int:
    """SIGKILL ``proc`` as soon as ``at_least`` events are committed; return the count seen then."""
    deadline = time.monotonic() + KILL_DEADLINE_S
    seen = 0
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"ingest ended (exit {proc.returncode}) before the kill point: {seen} events")
        seen = event_count(url)
        if seen >= at_least:
            proc.send_signal(signal.SIGKILL)
            proc.wait()
            assert proc.returncode == -signal.SIGKILL
            return seen
        time.sleep(0.05)
    proc.kill()
    proc.wait()
    pytest.fail(f"no kill point reached in {KILL_DEADLINE_S} s ({seen} events)")


def check_after_crash(url: str, capsys) -> int:
    """The database is sound and holds only whole batches; return its event count."""
    # The data is sound; the one finding is the killed run, still 'running' with its process gone.
    assert run(["--db", url, "db", "check"]) == 1
    err = capsys.readouterr().err
    assert "found 1 problem(s)" in err and "is 'running' but its process is gone" in err, err
    assert "strikedb db repair" in err
    if is_sqlite(url):
        # A fresh connection replays the WAL; the file must then be structurally sound.
        conn = sqlite3.connect(sqlite_path(url))
        try:
            assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        finally:
            conn.close()
    count = event_count(url)
    assert count % BATCH == 0, f"{count} events: a batch was half written"
    assert 0 < count < N_ROWS
    return count


def inserted_by_run(url: str) -> list[int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(IngestRun.rows_inserted).order_by(IngestRun.id)).scalars())
    finally:
        engine.dispose()


def runs_by_status(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(IngestRun.status).order_by(IngestRun.id)).scalars())
    finally:
        engine.dispose()


@pytest.mark.slow
def test_sigkill_mid_ingest_loses_nothing_and_rerun_completes(db_url: str, tmp_path: Path, capsys) -> None:
    path = write_synthetic_csv(tmp_path / "synthetic.csv")
    log = tmp_path / "ingest.log"

    first = kill_when(db_url, start_ingest(db_url, path, log), KILL_AFTER_BATCHES * BATCH)
    after_first = check_after_crash(db_url, capsys)
    assert after_first >= first
    # The killed run stays visible as "running" until the next start: it never reached its final update.
    assert runs_by_status(db_url) == ["running"]

    # Kill a second run later in the file: the prefix is re-read as unchanged, new batches commit.
    target = after_first + KILL_AFTER_BATCHES * BATCH
    if target < N_ROWS:
        kill_when(db_url, start_ingest(db_url, path, log), target)
        check_after_crash(db_url, capsys)
        # The second run found the first one's process dead and marked it interrupted.
        assert runs_by_status(db_url) == ["interrupted", "running"]

    assert run(["--db", db_url, "ingest", str(path), "--batch-size", str(BATCH)]) == 0, capsys.readouterr().err
    capsys.readouterr()
    statuses = runs_by_status(db_url)
    assert statuses[-1] == "committed" and set(statuses[:-1]) == {"interrupted"}
    # Each killed run's counts are those of its last committed batch: together, every event once.
    assert sum(inserted_by_run(db_url)) == N_ROWS

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            total, public_ids, keys, external = conn.execute(
                select(
                    func.count(),
                    func.count(func.distinct(Event.public_id)),
                    func.count(func.distinct(Event.natural_key)),
                    func.count(func.distinct(Event.external_id)),
                )
            ).one()
            rejected = conn.execute(select(func.count()).select_from(RejectedRow)).scalar_one()
            if is_sqlite(db_url):
                spatial = conn.execute(text("SELECT count(*) FROM events_rtree")).scalar_one()
            else:
                spatial = conn.execute(text("SELECT count(*) FROM events WHERE geom IS NOT NULL")).scalar_one()
    finally:
        engine.dispose()
    assert (total, public_ids, keys, external) == (N_ROWS, N_ROWS, N_ROWS, N_ROWS)
    assert rejected == 0
    assert spatial == N_ROWS  # the spatial index followed every committed row, and only those

    # A fourth run finds everything in place.
    assert run(["--db", db_url, "ingest", str(path), "--batch-size", str(BATCH)]) == 0
    assert event_count(db_url) == N_ROWS
