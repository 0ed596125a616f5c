"""Engines, connections and sessions for SQLite (default) and PostgreSQL + PostGIS.

Configuration order: an explicit URL (``--db``), then ``STRIKEDB_URL``, then
``sqlite:///strikes.db``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import os
import sqlite3
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine.url import URL
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from events.errors import ConfigError, StorageError

DEFAULT_URL = "sqlite:///strikes.db"
ENV_VAR = "STRIKEDB_URL"
#: How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 30_000
EARTH_RADIUS_KM = 6371.0088
#: What each column of a SQLite R*Tree ``<table>_rtree`` holds for a row, as SQL (``{row}`` is
#: the row: ``new`` in a trigger, the table in a fill). Every R*Tree has ``id`` and the point's
#: box; ``events_rtree`` also has the day of ``event_date`` (days since 1970-01-01; an integer,
#: exact in the R*Tree's 32-bit floats), so a look-up by place and date is answered by the index
#: alone (migration 0009).
SQLITE_RTREE_VALUES = {
    "id": "{row}.id",
    "min_lat": "{row}.latitude",
    "max_lat": "{row}.latitude",
    "min_lon": "{row}.longitude",
    "max_lon": "{row}.longitude",
    "min_day": "CAST(julianday({row}.event_date) - 2440587.5 AS INTEGER)",
    "max_day": "CAST(julianday({row}.event_date) - 2440587.5 AS INTEGER)",
}
#: The day numbers of ``SQLITE_RTREE_VALUES`` count from this date.
RTREE_EPOCH_ORDINAL = dt.date(1970, 1, 1).toordinal()


def resolve_url(url: str | None = None) -> str:
    """Return the database URL to use.

    Parameters
    ----------
    url : str, optional
        An explicit URL, e.g. from ``--db``. Wins over the environment.

    Returns
    -------
    str
        ``url``, else ``$STRIKEDB_URL``, else ``sqlite:///strikes.db``. A bare file path is
        accepted and turned into a SQLite URL.
    """
    chosen = url or os.environ.get(ENV_VAR) or DEFAULT_URL
    if "://" not in chosen:
        chosen = "sqlite:///" + chosen
    return chosen


def parse_url(url: str) -> URL:
    """Parse a database URL, choosing the psycopg 3 driver for PostgreSQL.

    Parameters
    ----------
    url : str
        A SQLAlchemy URL such as ``sqlite:///strikes.db`` or ``postgresql://user@host/db``.

    Returns
    -------
    sqlalchemy.engine.URL

    Raises
    ------
    ConfigError
        When the URL cannot be parsed or names an unsupported backend.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(
            f"cannot parse database URL {url!r}",
            hint="use sqlite:///path/to/strikes.db or postgresql://user@host/dbname",
        ) from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
            parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend != "sqlite":
        raise ConfigError(
            f"unsupported database backend {backend!r}",
            hint="strikedb supports sqlite:/// files and postgresql:// servers with PostGIS",
        )
    return parsed


def is_sqlite(engine_or_url: Engine | URL | str) -> bool:
    """Tell whether an engine or URL points at SQLite."""
    if isinstance(engine_or_url, Engine):
        return engine_or_url.dialect.name == "sqlite"
    if isinstance(engine_or_url, str):
        engine_or_url = parse_url(engine_or_url)
    return engine_or_url.get_backend_name() == "sqlite"


def sqlite_path(url: str | URL) -> Path | None:
    """Return the file path of a SQLite URL, or None for in-memory or non-SQLite URLs."""
    parsed = parse_url(url) if isinstance(url, str) else url
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    database = parsed.database
    if database.startswith("file:"):
        database = database[len("file:") :]
    return Path(database)


def distance_km(lat1: float | None, lon1: float | None, lat2: float | None, lon2: float | None) -> float | None:
    """Great-circle (haversine) distance in kilometres; ``None`` if any argument is NULL.

    Registered as the SQL function ``distance_km`` on every SQLite connection; a migration
    creates the same function on PostgreSQL, so analyst queries run unchanged on both.
    Numeric text (a ``--param lat=59.45`` binds text) is read as a number, as PostgreSQL's
    parameter typing does; other text raises ``ValueError``.
    """
    if lat1 is None or lon1 is None or lat2 is None or lon2 is None:
        return None
    lat1, lon1, lat2, lon2 = (float(v) for v in (lat1, lon1, lat2, lon2))
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_KM * math.asin(min(1.0, math.sqrt(a)))


def _configure_sqlite(engine: Engine, *, read_only: bool) -> None:
    """Set pragmas and transaction handling on every new SQLite connection."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy, not the sqlite3 module, decide when transactions begin, so DDL in
        # migrations is transactional and BEGIN IMMEDIATE can be used for writers.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys = ON")
        if not read_only:
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()
        dbapi_connection.create_function("distance_km", 4, distance_km, deterministic=True)

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        # IMMEDIATE takes the write lock up front: two writers then queue on busy_timeout
        # instead of failing with "database is locked" when a read lock cannot be upgraded.
        connection.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

    @event.listens_for(engine, "handle_error")
    def _on_error(context) -> None:
        # On Ctrl-C (or SystemExit) SQLAlchemy invalidates the connection without closing the
        # cursor. An interrupted ``executemany`` then keeps its statement un-reset, and closing
        # the connection leaves SQLite a "zombie" that still holds the write lock until the
        # statement is finalised: that is, until the exception (whose traceback references the
        # cursor) is gone at process exit. The clean-up that records the run as interrupted then
        # waited busy_timeout and failed ("database is locked"). Closing the cursor here resets
        # the statement, so invalidating the connection rolls back and releases the lock.
        # (SQLAlchemy 2.1 leaves ExceptionContext.cursor unset: take the execution context's.)
        cursor = getattr(context.execution_context, "cursor", None)
        if cursor is not None and not isinstance(context.original_exception, Exception):
            with contextlib.suppress(Exception):
                cursor.close()


#: Notes on how a read-only engine had to open its file (see :func:`storage_note`).
_STORAGE_NOTES: weakref.WeakKeyDictionary[Engine, str] = weakref.WeakKeyDictionary()


def _writable(path: Path) -> bool:
    # access(2) also answers EROFS for a read-only file system, even for root.
    return os.access(path, os.W_OK)


def _read_only_mode(path: Path) -> tuple[str, str | None]:
    """Choose how to open a SQLite file for reading: ``mode=ro``, or ``immutable=1`` when needed.

    A database in WAL mode needs its ``-shm`` file even to read, and SQLite creates it (and
    writes to it) next to the database. On read-only storage (a read-only mount, a CD, a
    directory the user cannot write, a file owned by someone else with no ``-shm``) that fails
    with "unable to open database file". ``immutable=1`` tells SQLite the file cannot change,
    so it reads it without any lock or ``-shm``; that is only true when no one can write to it,
    which is the case when we cannot write to its directory or to it.
    """
    directory = path.resolve().parent
    shm = Path(f"{path}-shm")
    if _writable(directory) or (_writable(path) and shm.exists() and _writable(shm)):
        return "mode=ro", None
    wal = Path(f"{path}-wal")
    note = f"{path} is on read-only storage: opened as an immutable file (no locks, no -shm)"
    if wal.exists() and wal.stat().st_size > 0:
        note += (
            f"; {wal.name} holds changes not yet merged into the file, and they are not seen "
            "(open it once where it is writable to merge them)"
        )
    return "immutable=1", note


def storage_note(engine: Engine) -> str | None:
    """Return a note on how a read-only engine opened its file, e.g. as immutable; else None."""
    return _STORAGE_NOTES.get(engine)


def make_engine(url: str | None = None, *, read_only: bool = False, echo: bool = False) -> Engine:
    """Create an engine for a strikedb database.

    Parameters
    ----------
    url : str, optional
        Database URL; resolved with :func:`resolve_url`.
    read_only : bool
        Open SQLite with ``mode=ro`` and PostgreSQL sessions as ``READ ONLY`` so no statement
        can change data.
    echo : bool
        Log SQL statements.

    Returns
    -------
    sqlalchemy.Engine

    Raises
    ------
    ConfigError
        For an unusable URL, or a read-only SQLite database that does not exist.
    """
    parsed = parse_url(resolve_url(url))
    note: str | None = None
    if parsed.get_backend_name() == "sqlite":
        path = sqlite_path(parsed)
        connect_args: dict[str, object] = {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}
        if read_only:
            if path is None or not path.exists():
                raise ConfigError(
                    f"database file {path} does not exist",
                    hint="create it with `strikedb db upgrade` or `strikedb demo`",
                )
            mode, note = _read_only_mode(path)
            parsed = parsed.set(database=f"file:{path.resolve()}?{mode}", query={"uri": "true"})
        elif path is not None and not path.parent.exists():
            raise ConfigError(
                f"directory {path.parent} does not exist", hint="create the directory or choose another --db path"
            )
        elif path is not None and (not _writable(path.parent) or (path.exists() and not _writable(path))):
            # SQLite would fail later with "unable to open database file" or "attempt to write a
            # readonly database" (it needs to create the -wal and -shm files beside the database).
            raise StorageError(
                f"{path} is on read-only storage (the file or its directory cannot be written)",
                hint="reading commands (events list, sql, report, export, map) still work on it; "
                "to change it, copy it to writable storage or fix the permissions",
            )
        engine = create_engine(parsed, echo=echo, connect_args=connect_args)
        _configure_sqlite(engine, read_only=read_only)
        if read_only and note:
            _STORAGE_NOTES[engine] = note
        return engine
    options = {"postgresql_readonly": True} if read_only else {}
    engine = create_engine(parsed, echo=echo, pool_pre_ping=True, execution_options=options)
    if read_only:

        @event.listens_for(engine, "connect")
        def _read_only_session(dbapi_connection, _record) -> None:
            # Belt and braces: even a COMMIT followed by a new transaction stays read-only.
            cursor = dbapi_connection.cursor()
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            cursor.close()
            dbapi_connection.commit()

    return engine


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any exception.

    Parameters
    ----------
    engine : sqlalchemy.Engine

    Yields
    ------
    sqlalchemy.orm.Session
    """
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


@contextmanager
def sqlite_rtree_filled_after(conn: Connection, table: str, first_id: int) -> Iterator[None]:
    """Fill ``<table>_rtree`` with one statement for rows inserted inside the block.

    The ``<table>_rtree_insert`` trigger (see ``migrations/_spatial.py``) adds one R*Tree entry
    per inserted row. Fired row by row between the inserts of a large batch it costs more than
    the rest of the insert (measured: 52 of 90 us per event at 200,000 events; bench/ingest.py);
    the same entries added by one ``INSERT ... SELECT`` after the batch cost 15 us. So, within
    the caller's transaction, the trigger is dropped, the block inserts rows whose ids are all
    ``>= first_id`` (the caller holds SQLite's write lock, so no one else inserts), the R*Tree
    entries of those rows are added exactly as the trigger would add them, and the trigger is
    re-created from its own stored SQL. SQLite's DDL is transactional: no other connection ever
    sees the table without its trigger, and a rollback (which the caller must do on any error)
    restores it.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A SQLite connection inside a write transaction.
    table : str
        ``events`` or ``facilities``.
    first_id : int
        Every row inserted in the block has an id at least this large, and no row stored before
        the block has.
    """
    trigger = f"{table}_rtree_insert"
    row = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", (trigger,)
    ).fetchone()
    if row is None:  # no spatial trigger (not a strikedb schema we know): insert as given
        yield
        return
    columns = sqlite_rtree_columns(conn, table)
    conn.exec_driver_sql(f'DROP TRIGGER "{trigger}"')
    yield
    conn.exec_driver_sql(
        f'INSERT OR REPLACE INTO "{table}_rtree" ({", ".join(columns)}) '
        f'SELECT {sqlite_rtree_entry(columns, table)} FROM "{table}" '
        "WHERE id >= ? AND latitude IS NOT NULL AND longitude IS NOT NULL",
        (first_id,),
    )
    conn.exec_driver_sql(row[0])


def sqlite_rtree_columns(conn: Connection, table: str) -> list[str]:
    """Return the columns of ``<table>_rtree`` (``id, min_lat, max_lat, ...``), in order.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        A SQLite connection.
    table : str
        ``events`` or ``facilities``.
    """
    return [row[1] for row in conn.exec_driver_sql(f'PRAGMA table_info("{table}_rtree")')]


def sqlite_rtree_entry(columns: list[str], row: str) -> str:
    """Return the SQL of a row's R*Tree entry: one value per column (see :data:`SQLITE_RTREE_VALUES`).

    Parameters
    ----------
    columns : list of str
        The R*Tree's columns, as :func:`sqlite_rtree_columns` returns them.
    row : str
        How the row is named: ``new`` in a trigger, the table's name in ``INSERT ... SELECT``.
    """
    return ", ".join(SQLITE_RTREE_VALUES[column].format(row=row) for column in columns)
