"""The loader with a worker process preparing batches (``parallel=True``): same results as in one
process, errors and aborts at the same place, no worker left behind; and events.ingest.workers itself."""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
import os
import signal
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from events import migrate
from events.db import make_engine
from events.errors import InputError
from events.ingest import ingest_file
from events.ingest.workers import WorkerError, can_fork, forked_iter, forked_map
from events.models import Event, EventRevision, EventSource, IngestRun, RejectedRow, Source
from tests.helpers import write_csv
from tests.ingest_fixtures import RYAZAN_ROW, add_facilities, counts

pytestmark = pytest.mark.skipif(not can_fork(), reason="needs fork and more than one CPU")

_WALL_CLOCK = {"created_at", "updated_at", "added_at", "changed_at", "started_at", "finished_at", "checksum"}


def _rows(n: int) -> list[dict[str, Any]]:
    """Reports over n/3 days: some repeat a strike (merges), every 17th is invalid (quarantined)."""
    rows = []
    for i in range(n):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=i // 3)
        row = {
            **RYAZAN_ROW,
            "date": day.isoformat(),
            # Two reports of a day are 300 m apart (one strike), the third is 50 km away.
            "latitude": f"{54.5725 + (0.45 if i % 3 == 2 else 0.003 * (i % 3)):.4f}",
            "description": f"report {i}",
            "source_url": f"https://www.reuters.com/business/energy/{i}",
            "publisher": "Reuters" if i % 2 else "Kyiv Independent",
        }
        if i % 17 == 5:
            row["date"] = "2024-02-31"
        rows.append(row)
    return rows


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    out = {}
    with engine.connect() as conn:
        for model in (Event, Source, EventSource, EventRevision, RejectedRow, IngestRun):
            table = model.__table__
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
            out[table.name] = [{k: v for k, v in r.items() if k not in _WALL_CLOCK} for r in rows]
    return out


def _fresh_sqlite(path: Path) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    add_facilities(engine)
    return engine


def _no_worker_left() -> bool:
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.05)
    return not multiprocessing.active_children()


def test_parallel_run_stores_exactly_what_the_in_process_run_stores(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "events.csv", _rows(600))
    label = tmp_path / "same-name.csv"
    path.rename(label)
    results = {}
    for parallel in (False, True):
        engine = _fresh_sqlite(tmp_path / f"parallel-{parallel}.db")
        first = ingest_file(engine, label, batch_size=70, parallel=parallel)
        # A second file changing some reports exercises updates and merges against stored events.
        changed = [
            dict(r, description=r["description"] + " (more)") if i % 4 == 0 else r for i, r in enumerate(_rows(600))
        ]
        second = ingest_file(engine, write_csv(tmp_path / f"changed-{parallel}.csv", changed), batch_size=70,
                             parallel=parallel)  # fmt: skip
        dump = _dump(engine)
        for row in dump["ingest_runs"] + dump["event_revisions"] + dump["rejected_rows"]:
            for key in ("file_path", "reason"):
                if isinstance(row.get(key), str):
                    row[key] = row[key].replace(f"changed-{parallel}", "changed")
        for table, column in (("events", "extra"), ("ingest_runs", "options")):
            # Merged reports remember where they were read (``file:line``), runs their dataset (the file name).
            for row in dump[table]:
                if row.get(column):
                    row[column] = json.loads(json.dumps(row[column]).replace(f"changed-{parallel}", "changed"))
        results[parallel] = (first.counts(), second.counts(), dump)
        engine.dispose()
    assert results[True][0] == results[False][0]
    assert results[True][1] == results[False][1]
    first_counts = results[True][0]
    assert first_counts["merged"] > 0 and first_counts["rejected"] > 0 and first_counts["inserted"] > 0
    assert results[True][1]["updated"] > 0
    assert results[True][2] == results[False][2]
    assert _no_worker_left()


def test_the_identity_rules_hold_across_chunks_enriched_by_different_workers(tmp_path: Path) -> None:
    # Chunks of 40 rows alternate between the reader and the helper: a row repeating an id, or an
    # id-less row repeating another exactly (or with other values), two or more chunks later is
    # caught all the same, in file order, as in one process.
    with_ids = []
    for i in range(200):
        row = {**_rows(200)[i], "event_id": f"E{i % 150}"}  # rows 150.. repeat the ids of rows 0..49
        with_ids.append(row)
    without_ids = _rows(120) + [dict(r) for r in _rows(120)[:50]]  # exact repeats, 120 rows later
    without_ids += [dict(r, effect="damage") for r in _rows(120)[50:60]]  # same report, other values
    files = [write_csv(tmp_path / "with-ids.csv", with_ids), write_csv(tmp_path / "without-ids.csv", without_ids)]
    results = {}
    for parallel in (False, True):
        engine = _fresh_sqlite(tmp_path / f"ids-{parallel}.db")
        reports = [ingest_file(engine, path, batch_size=40, parallel=parallel).counts() for path in files]
        results[parallel] = (reports, _dump(engine))
        engine.dispose()
    assert results[True] == results[False]
    reasons = [p["reason"] for r in results[True][1]["rejected_rows"] for p in r["reasons"]]
    # Rows with an invalid date (every 17th) are rejected by the reader before any id is looked at.
    valid = [i % 17 != 5 for i in range(200)]
    assert sum("duplicate id" in reason for reason in reasons) == sum(
        valid[i] and valid[i - 150] for i in range(150, 200)
    )
    assert sum("a duplicate row" in reason for reason in reasons) >= 40
    assert _no_worker_left()


def test_parallel_run_is_idempotent_on_both_backends(engine: Engine, tmp_path: Path) -> None:
    add_facilities(engine)
    path = write_csv(tmp_path / "events.csv", _rows(300))
    first = ingest_file(engine, path, batch_size=40, parallel=True)
    assert first.status == "committed" and first.accounted == first.read == 300
    stored = counts(engine)
    again = ingest_file(engine, path, batch_size=40, parallel=True)
    assert again.unchanged == 300 - first.rejected and again.rejected == first.rejected
    assert counts(engine)["events"] == stored["events"]
    assert _no_worker_left()


def test_a_decode_error_late_in_the_file_fails_after_the_earlier_batches(engine: Engine, tmp_path: Path) -> None:
    add_facilities(engine)
    path = write_csv(tmp_path / "events.csv", _rows(900))  # > 64 KB: decoded in several chunks
    with path.open("ab") as fh:
        fh.write(b"2024-05-01,\xff\xfe broken bytes\n")
    for parallel in (False, True):
        with pytest.raises(InputError, match="not valid UTF-8"):
            ingest_file(engine, path, batch_size=50, parallel=parallel)
    with engine.connect() as conn:
        runs = conn.execute(select(IngestRun.__table__).order_by(IngestRun.id)).mappings().all()
    # Both runs fail at the same row, after committing the same whole batches.
    assert [r["status"] for r in runs] == ["failed", "failed"]
    assert runs[0]["rows_read"] == runs[1]["rows_read"] > 0 and runs[0]["rows_read"] % 50 == 0
    assert runs[1]["rows_unchanged"] + runs[1]["rows_rejected"] == runs[1]["rows_read"]
    assert _no_worker_left()


def test_an_aborted_run_stops_its_worker(engine: Engine, tmp_path: Path) -> None:
    add_facilities(engine)
    path = write_csv(tmp_path / "events.csv", _rows(400))

    def abort_after_first_batch(read: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        ingest_file(engine, path, batch_size=50, parallel=True, progress=abort_after_first_batch)
    assert _no_worker_left()
    assert counts(engine)["events"] == 0  # the first batch was rolled back with the abort
    resumed = ingest_file(engine, path, batch_size=50, parallel=True)
    assert resumed.accounted == 400


def test_strict_mode_with_a_worker(engine: Engine, tmp_path: Path) -> None:
    add_facilities(engine)
    path = write_csv(tmp_path / "events.csv", _rows(120))
    report = ingest_file(engine, path, batch_size=30, strict=True, parallel=True)
    assert report.status == "failed" and report.rejected == len([i for i in range(120) if i % 17 == 5])
    assert counts(engine)["events"] == 0 and counts(engine)["rejected_rows"] == report.rejected
    assert _no_worker_left()


# -- events.ingest.workers --------------------------------------------------------------------------


def _numbers_then_error() -> Any:
    yield from range(5)
    raise InputError("line 6 is broken", hint="fix line 6")


def test_forked_iter_keeps_order_and_reraises_after_the_items_before() -> None:
    seen = []
    with pytest.raises(InputError) as info:
        for item in forked_iter(_numbers_then_error):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]
    assert info.value.hint == "fix line 6"


class _Unpicklable(Exception):
    def __reduce__(self) -> Any:
        raise TypeError("no pickling")


def _raise_unpicklable() -> Any:
    yield 1
    raise _Unpicklable("odd failure")


def test_an_unpicklable_error_arrives_as_a_worker_error() -> None:
    with pytest.raises(WorkerError, match="_Unpicklable: odd failure"):
        list(forked_iter(_raise_unpicklable))


def _endless() -> Any:
    n = 0
    while True:
        yield n
        n += 1


def test_closing_early_terminates_the_worker() -> None:
    items = forked_iter(_endless)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    items.close()
    assert _no_worker_left()


def _dies() -> Any:
    yield "first"
    os.kill(os.getpid(), signal.SIGKILL)
    yield "never"


def test_a_killed_worker_is_reported() -> None:
    items = forked_iter(_dies)
    assert next(items) == "first"
    with pytest.raises(WorkerError, match="stopped unexpectedly"):
        next(items)


# -- forked_map: a reader and helpers ---------------------------------------------------------------


def _square(n: int) -> tuple[int, int]:
    return n, n * n


def _pid_of(n: int) -> tuple[int, int]:
    return n, os.getpid()


@pytest.mark.parametrize("helpers", [0, 1, 2])
def test_forked_map_keeps_order_with_helpers(helpers: int) -> None:
    assert list(forked_map(lambda: range(23), _square, helpers=helpers)) == [(n, n * n) for n in range(23)]
    assert _no_worker_left()


def test_forked_map_shares_the_items_between_the_reader_and_the_helper() -> None:
    pids = dict(forked_map(lambda: range(10), _pid_of, helpers=1))
    assert len(set(pids.values())) == 2 and os.getpid() not in pids.values()
    # Item i is worked on by worker i % 2: the reader takes the even ones.
    assert {pids[n] for n in range(0, 10, 2)} != {pids[n] for n in range(1, 10, 2)}
    assert len({pids[n] for n in range(0, 10, 2)}) == 1


@pytest.mark.parametrize("fails_at", [5, 6])  # the helper's turn, then the reader's
def test_forked_map_reraises_a_producer_error_after_the_items_before(fails_at: int) -> None:
    def produce() -> Any:
        yield from range(fails_at)
        raise InputError(f"line {fails_at} is broken", hint="fix it")

    seen = []
    with pytest.raises(InputError, match=f"line {fails_at} is broken"):
        for item in forked_map(produce, _square, helpers=1):
            seen.append(item[0])
    assert seen == list(range(fails_at))
    assert _no_worker_left()


def _fails_on_seven(n: int) -> int:
    if n == 7:
        raise ValueError("seven")
    return n


def test_forked_map_reraises_a_helper_error_at_its_item() -> None:
    seen = []
    with pytest.raises(ValueError, match="seven"):
        for item in forked_map(lambda: range(20), _fails_on_seven, helpers=1):
            seen.append(item)
    assert seen == list(range(7))
    assert _no_worker_left()


def _kills_itself_on_three(n: int) -> int:
    if n == 3:
        os.kill(os.getpid(), signal.SIGKILL)
    return n


def test_forked_map_reports_a_killed_helper_and_stops_the_reader() -> None:
    items = forked_map(_endless, _kills_itself_on_three, helpers=1)
    assert [next(items) for _ in range(3)] == [0, 1, 2]
    with pytest.raises(WorkerError, match="stopped unexpectedly"):
        next(items)
    assert _no_worker_left()


def test_closing_forked_map_early_terminates_every_worker() -> None:
    items = forked_map(_endless, _square, helpers=2)
    assert [next(items)[0] for _ in range(5)] == [0, 1, 2, 3, 4]
    items.close()
    assert _no_worker_left()
