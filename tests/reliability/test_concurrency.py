"""Concurrency: two ingests of disjoint files, a map, CSV exports and a backup at the same time.

On SQLite the writers queue on the write lock (WAL, ``BEGIN IMMEDIATE``, 30 s busy timeout in
:mod:`events.db`) while readers keep reading their snapshot; on PostgreSQL they simply run. Either
way: every process exits 0, no "database is locked", and the final count is the sum of the files
with no event lost or doubled.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from events.backup import describe_backup
from events.db import is_sqlite, make_engine
from events.models import Event, IngestRun
from tests.helpers import write_csv
from tests.ingest_fixtures import write_grid_csv

ROOT = Path(__file__).resolve().parents[2]
ROWS_PER_FILE = 3_000
#: Small batches: many short write transactions interleave between the two writers.
BATCH = 200
TIMEOUT_S = 600


def write_disjoint_csv(path: Path, file_no: int) -> Path:
    """Rows of one file: identifiers and points no row of another file can match or merge with."""
    # Files are 1 degree of longitude (~70 km) apart: never within the dedup radius.
    return write_grid_csv(
        path,
        ROWS_PER_FILE,
        tag=f"conc-{file_no}",
        days=300,
        latitude=46,
        longitude=30 + file_no,
        columns=3,
        attack_type="missile" if file_no else "drone",
        description=f"file {file_no} row {{i}}",
    )


def spawn(args: list[str], log: Path) -> tuple[subprocess.Popen, Path]:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    out = log.open("wb")
    proc = subprocess.Popen([sys.executable, "-m", "events.cli", *args], stdout=out, stderr=subprocess.STDOUT, env=env)
    out.close()
    return proc, log


@pytest.mark.slow
def test_two_ingests_a_map_exports_and_a_backup_at_once(db_url: str, tmp_path: Path) -> None:
    files = [write_disjoint_csv(tmp_path / f"part{n}.csv", n) for n in (0, 1)]
    writers = [
        spawn(["--db", db_url, "ingest", str(f), "--batch-size", str(BATCH)], tmp_path / f"ingest{n}.log")
        for n, f in enumerate(files)
    ]
    readers = [spawn(["--db", db_url, "map", "--out", str(tmp_path / "map.html")], tmp_path / "map.log")]
    if is_sqlite(db_url):
        backup = tmp_path / "during.backup"
        readers.append(spawn(["--db", db_url, "db", "backup", str(backup)], tmp_path / "backup.log"))

    # Export repeatedly while the writers run: each export must see a consistent snapshot.
    exports = 0
    deadline = time.monotonic() + TIMEOUT_S
    while any(p.poll() is None for p, _ in writers) and time.monotonic() < deadline:
        out_csv = tmp_path / f"export{exports}.csv"
        proc, log = spawn(["--db", db_url, "export", "--format", "csv", "--out", str(out_csv)], tmp_path / "x.log")
        assert proc.wait(timeout=TIMEOUT_S) == 0, log.read_text(errors="replace")
        with out_csv.open(encoding="utf-8") as fh:
            ids = [row["public_id"] for row in csv.DictReader(fh)]
        assert len(ids) == len(set(ids)), "an export saw an event twice"
        exports += 1

    for proc, log in writers + readers:
        code = proc.wait(timeout=TIMEOUT_S)
        output = log.read_text(errors="replace")
        assert code == 0, output
        assert "locked" not in output.lower() and "Traceback" not in output, output
    assert exports >= 1

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            total, distinct_ids, distinct_keys = conn.execute(
                select(
                    func.count(),
                    func.count(func.distinct(Event.public_id)),
                    func.count(func.distinct(Event.natural_key)),
                )
            ).one()
            statuses = list(conn.execute(select(IngestRun.status)).scalars())
    finally:
        engine.dispose()
    assert (total, distinct_ids, distinct_keys) == (2 * ROWS_PER_FILE,) * 3
    assert statuses == ["committed", "committed"]
    if is_sqlite(db_url):
        # The backup taken mid-ingest is a sound snapshot holding whole batches only.
        snapshot = describe_backup(backup)
        assert snapshot.counts["events"] % BATCH == 0 and snapshot.counts["events"] <= total


@pytest.mark.slow
def test_the_same_file_ingested_twice_at_once_is_stored_once(db_url: str, tmp_path: Path) -> None:
    """Two analysts load the same export at the same moment: one copy of each event, no crash.

    Rows without identifiers are matched by report key only, which has no unique constraint;
    without serialised batch writers PostgreSQL stored the losing batch as a unique violation
    traceback (or, for near-duplicates, as two events that should have merged).
    """
    path = write_disjoint_csv(tmp_path / "same.csv", 0)
    with path.open(encoding="utf-8") as src:
        # Drop event_id: identity comes from the report key alone.
        without_ids = write_csv(tmp_path / "same-no-ids.csv", [row[1:] for row in csv.reader(src)])
    procs = [
        spawn(["--db", db_url, "ingest", str(without_ids), "--batch-size", str(BATCH)], tmp_path / f"same{n}.log")
        for n in (0, 1)
    ]
    for proc, log in procs:
        code = proc.wait(timeout=TIMEOUT_S)
        output = log.read_text(errors="replace")
        assert code == 0 and "Traceback" not in output, output
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            total, distinct_keys = conn.execute(
                select(func.count(), func.count(func.distinct(Event.natural_key)))
            ).one()
    finally:
        engine.dispose()
    assert (total, distinct_keys) == (ROWS_PER_FILE, ROWS_PER_FILE)
