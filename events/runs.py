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
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, select, text, update

from events.models import IngestRun, utcnow

runs_t = IngestRun.__table__

#: First key of the PostgreSQL advisory locks that mark a run alive ("SDC"); the second is its id.
RUN_LOCK_CLASS = 0x534443
#: Key in ``ingest_runs.options`` holding the owner of the run.
OWNER_KEY = "_owner"


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
    taken = conn.execute(
        text("SELECT pg_try_advisory_lock(:c, :r)"), {"c": RUN_LOCK_CLASS, "r": run_id}
    ).scalar_one()
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
