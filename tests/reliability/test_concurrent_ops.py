"""Event operations during an ingest: `events delete`, `merge` and `split` while batches commit.

An ingest batch looks up the stored events its reports may belong to and then links sources to
them, in one transaction. On PostgreSQL an event deleted or merged away in between made the batch
fail with a foreign-key violation (issue 16: 3 of 3 trials). Event operations now take the
ingest's advisory lock (SQLite: ``BEGIN IMMEDIATE``), so they wait for the batch in progress and
the next batch sees their result. Here a second file's reports all match events of a first
file, and the test deletes, merges and splits exactly those events while the second file loads.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import func, select

from events import eventops
from events.db import make_engine
from events.ingest import ingest_file
from events.models import Event, EventSource, IngestRun
from tests.helpers import write_csv
from tests.ingest_fixtures import write_grid_csv

ROOT = Path(__file__).resolve().parents[2]
ROWS = 2_000
DAYS = 200
BATCH = 50
TIMEOUT_S = 600


def write_matching_reports(path: Path) -> Path:
    """Id-less reports at the point and date of each row of the first file, with other URLs."""
    start = dt.date(2024, 1, 1)
    header = ["date", "latitude", "longitude", "attack_type", "description", "source_url"]
    rows = (
        [
            (start + dt.timedelta(days=i % DAYS)).isoformat(),
            f"{47 + (i // DAYS) * 0.1:.4f}",
            f"{33 + (i % 4) * 0.2:.4f}",
            "drone",
            f"second report {i}",
            f"https://second.example.net/r/{i}",
        ]
        for i in range(ROWS)
    )
    return write_csv(path, rows, header)


def test_delete_merge_split_during_an_ingest(db_url: str, tmp_path: Path) -> None:
    engine = make_engine(db_url)
    first = write_grid_csv(tmp_path / "first.csv", ROWS, tag="ops-a", days=DAYS, latitude=47, longitude=33, columns=4)
    assert ingest_file(engine, first, batch_size=5000).inserted == ROWS
    with engine.connect() as conn:
        public_ids = list(conn.execute(select(Event.public_id).order_by(Event.id)).scalars())
    second = write_matching_reports(tmp_path / "second.csv")
    log = tmp_path / "ingest.log"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "events.cli", "--db", db_url, "ingest", str(second), "--batch-size", str(BATCH)],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
        )
    done = {"delete": 0, "merge": 0, "split": 0}
    deadline = time.monotonic() + TIMEOUT_S
    # Walk the events from the end of the file (the ingest starts at the front), three at a time:
    # delete one, merge the next two and split them apart again.
    cursor = len(public_ids) - 1
    try:
        while proc.poll() is None and cursor >= 2 and time.monotonic() < deadline:
            victim, keep, other = public_ids[cursor], public_ids[cursor - 1], public_ids[cursor - 2]
            cursor -= 3
            eventops.delete_event(engine, victim, user="ops", reason="concurrency test")
            done["delete"] += 1
            eventops.merge_events(engine, keep, other, user="ops")
            done["merge"] += 1
            # The sources `other` had when merged (the ingest may have added one just before).
            other_urls = eventops.history(engine, other)[-1]["previous"]["sources"]
            assert eventops.split_event(engine, keep, other_urls, user="ops") == other
            done["split"] += 1
        proc.wait(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = log.read_text(errors="replace")
    assert proc.returncode == 0, text[-3000:]
    assert "Traceback" not in text and "ForeignKeyViolation" not in text and "Error" not in text, text[-3000:]
    # The operations really interleaved with the batches.
    assert min(done.values()) >= 3, done
    with engine.connect() as conn:
        run = conn.execute(select(IngestRun.__table__).order_by(IngestRun.id.desc())).mappings().first()
        events = conn.execute(select(func.count()).select_from(Event)).scalar_one()
        links = conn.execute(select(func.count()).select_from(EventSource)).scalar_one()
    assert run["status"] == "committed" and run["rows_read"] == ROWS, dict(run)
    assert run["rows_merged"] + run["rows_inserted"] + run["rows_unchanged"] + run["rows_updated"] == ROWS
    # Each deleted event's report either merged before the delete (its source went with it) or
    # came in again after it as a new event; every other report merged: one event per point.
    assert events == ROWS - done["delete"] + run["rows_inserted"], (dict(run), done)
    assert links >= events
    engine.dispose()
