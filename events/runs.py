"""Which process owns a run, and finding runs whose process died (SIGKILL, power loss, Ctrl-C).

A run is inserted with status ``running`` and updated in every batch's transaction; its process
sets the final status. A process that dies leaves it ``running``. To tell a live run from a
dead one:

* **PostgreSQL**: the run's connection holds a session-level advisory lock
  ``(RUN_LOCK_CLASS, run id)`` for its whole life. The server releases it when the connection
  ends, however the process ended, so a lock that can be taken means the owner is gone. This
  works across machines.
* **SQLite** (a local file): the run records its host name, process id and the process's start
  time (``/proc``); the owner is dead when, on the same host, that process no longer exists or
  is another process that reused the id. A run started on another host is left alone.

:func:`close_dead_runs` marks such runs ``interrupted`` (their counts are those of their last
committed batch, written in that batch's transaction) and is called when an ingest starts and by
``strikedb db repair``.

A run's row is written by :func:`start_run` (or :func:`insert_run`, for a run kept in one
transaction), its counts by :func:`finish_run` in each batch's transaction, and its final status
after an error by :func:`close_run`.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, insert, select, text, update

from events.models import IngestRun, utcnow
from events.records import db_text

runs_t = IngestRun.__table__

#: First key of the PostgreSQL advisory locks that mark a run alive ("SDC"); the second is its id.
RUN_LOCK_CLASS = 0x534443
#: Key in ``ingest_runs.options`` holding the owner of the run.
OWNER_KEY = "_owner"
#: PostgreSQL advisory lock taken by each ingest batch ("SDB" in ASCII): one batch writer at a
#: time; event operations take it too (:mod:`events.eventops`).
INGEST_LOCK_KEY = 0x534442
#: Count name (as in :meth:`events.ingest.IngestReport.counts`) -> ``ingest_runs`` column.
COUNT_COLUMNS = {
    "read": "rows_read",
    "inserted": "rows_inserted",
    "updated": "rows_updated",
    "merged": "rows_merged",
    "unchanged": "rows_unchanged",
    "rejected": "rows_rejected",
}
#: Statuses that end a run (any other status written with counts keeps it ``running``).
FINAL_STATUSES = frozenset({"committed", "failed", "dry_run"})


def _process_start(pid: int) -> str | None:
    """The start time of a process in clock ticks since boot (Linux), or None where unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may contain spaces: split after it.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else None


def owner(conn: Connection) -> dict[str, Any]:
    """Describe the current process as the owner of a run (stored in the run's options)."""
    mark: dict[str, Any] = {"host": socket.gethostname(), "pid": os.getpid(), "start": _process_start(os.getpid())}
    if conn.dialect.name == "postgresql":
        mark["backend_pid"] = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one()
    return mark


def hold(conn: Connection, run_id: int) -> None:
    """Mark the run alive for as long as this connection lives (PostgreSQL; no-op on SQLite)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_lock(:c, :r)"), {"c": RUN_LOCK_CLASS, "r": run_id})


def release(conn: Connection, run_id: int) -> None:
    """Release what :func:`hold` took (the connection goes back to the pool afterwards)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_unlock(:c, :r)"), {"c": RUN_LOCK_CLASS, "r": run_id})


def _pid_alive(pid: int, start: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    if start is None:
        return True
    now = _process_start(pid)
    return now is None or now == start


def _pg_owner_gone(conn: Connection, run_id: int) -> bool:
    taken = conn.execute(text("SELECT pg_try_advisory_lock(:c, :r)"), {"c": RUN_LOCK_CLASS, "r": run_id}).scalar_one()
    if taken:
        conn.execute(text("SELECT pg_advisory_unlock(:c, :r)"), {"c": RUN_LOCK_CLASS, "r": run_id})
    return bool(taken)


def owner_is_dead(conn: Connection, run_id: int, options: dict[str, Any] | None) -> bool | None:
    """True when the process of a ``running`` run is gone, False when alive, None when unknown."""
    mark = (options or {}).get(OWNER_KEY)
    if conn.dialect.name == "postgresql":
        if mark is None:
            return None  # written by an older strikedb: no lock to test
        return _pg_owner_gone(conn, run_id)
    if not mark or mark.get("host") != socket.gethostname() or not isinstance(mark.get("pid"), int):
        return None
    return not _pid_alive(mark["pid"], mark.get("start"))


def dead_runs(conn: Connection) -> list[dict[str, Any]]:
    """Runs still ``running`` whose process is gone, with ``id``, ``file_path``, ``started_at``."""
    rows = conn.execute(
        select(runs_t.c.id, runs_t.c.file_path, runs_t.c.started_at, runs_t.c.options).where(
            runs_t.c.status == "running"
        )
    ).mappings()
    return [dict(r) for r in rows if owner_is_dead(conn, r["id"], r["options"])]


def close_dead_runs(conn: Connection) -> list[int]:
    """Mark every run left ``running`` by a dead process ``interrupted``; return their ids.

    Runs in the caller's transaction. The counts are left as they are: each was written in the
    transaction of the run's last committed batch, so they are exactly what is stored.
    """
    ids = [r["id"] for r in dead_runs(conn)]
    if ids:
        conn.execute(
            update(runs_t)
            .where(runs_t.c.id.in_(ids), runs_t.c.status == "running")
            .values(status="interrupted", finished_at=utcnow())
        )
    return ids


def file_checksum(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in 1 MiB blocks (``ingest_runs.checksum``)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def insert_run(
    conn: Connection,
    *,
    kind: str,
    file_path: str,
    checksum: str | None,
    input_format: str,
    status: str,
    options: dict[str, Any],
    user: str | None,
) -> int:
    """Insert an ``ingest_runs`` row in the caller's transaction; return its id."""
    row = {
        "kind": kind,
        "file_path": db_text(file_path),
        "checksum": checksum,
        "input_format": input_format,
        "status": status,
        "started_at": utcnow(),
        "options": options,
        "user": user,
    }
    return conn.execute(insert(runs_t).returning(runs_t.c.id), row).scalar_one()


def start_run(
    conn: Connection,
    file_label: str,
    checksum: str | None,
    options: dict[str, Any],
    user: str | None,
    *,
    dry_run: bool,
) -> int:
    """Record the start of an event ingest run and mark it alive (see :func:`hold`); return its id.

    A real run is committed at once, so it is visible (status ``running``) even if the load dies
    before its first batch; a dry run's row goes with the rollback.
    """
    if not dry_run:
        # Runs a dead process left `running` are closed first, so the records stay true.
        close_dead_runs(conn)
    run_id = insert_run(
        conn,
        kind="events",
        file_path=file_label,
        checksum=checksum,
        input_format=options.get("format", "csv"),
        status="dry_run" if dry_run else "running",
        options={**options, OWNER_KEY: owner(conn)},
        user=user,
    )
    if not dry_run:
        conn.commit()
        hold(conn, run_id)
        conn.commit()
    return run_id


def finish_run(conn: Connection, run_id: int | None, status: str, counts: Mapping[str, int]) -> None:
    """Write a run's counts (:data:`COUNT_COLUMNS`); a status in :data:`FINAL_STATUSES` also ends it."""
    if run_id is None:
        return
    finished = status in FINAL_STATUSES
    conn.execute(
        update(runs_t)
        .where(runs_t.c.id == run_id)
        .values(
            status=status if finished else "running",
            finished_at=utcnow() if finished else None,
            **{COUNT_COLUMNS[name]: value for name, value in counts.items()},
        )
    )


def close_run(conn: Connection, run_id: int, status: str) -> dict[str, int] | None:
    """End a run with ``status`` (``failed``, ``interrupted``) and return the counts it has stored.

    The counts were written in the transaction of the run's last committed batch, so they are what
    is stored even when an error struck between a commit and the bookkeeping after it. None when
    the run's row is gone.
    """
    row = conn.execute(select(runs_t).where(runs_t.c.id == run_id)).mappings().first()
    conn.execute(update(runs_t).where(runs_t.c.id == run_id).values(status=status, finished_at=utcnow()))
    return None if row is None else {name: row[column] for name, column in COUNT_COLUMNS.items()}


def release_run(conn: Connection, run_id: int) -> None:
    """Release a run's mark of life (:func:`release`) and commit; best effort (the run is over)."""
    with contextlib.suppress(Exception):
        release(conn, run_id)
        conn.commit()
