"""Read-only SQL for analysts: the query runner and its parameters.

:func:`open_query` (and :func:`run_query`, which collects its rows) runs one analyst statement
so that it cannot change anything, and streams the result:

1. :func:`events.sqlguard.check_read_only` accepts exactly one reading statement, decided by
   each backend's own rules: PostgreSQL's parser (pglast) with an allow-list of statement
   kinds, parse-tree nodes, functions and catalogs; SQLite's tokenizer
   (:func:`sqlite3.complete_statement`).
2. The server refuses as well. PostgreSQL runs the statement through the extended query
   protocol (a server-side cursor, or a single-statement stream for ``EXPLAIN``/``SHOW``), which
   runs one statement only, inside a ``READ ONLY`` transaction with ``statement_timeout``,
   ``lock_timeout`` and ``idle_in_transaction_session_timeout`` set with ``SET LOCAL``. SQLite
   opens the file with ``mode=ro`` and installs an authorizer that denies every action but
   reading while the statement is prepared, and the driver refuses a second statement.
3. The transaction is always rolled back. On a shared PostgreSQL server, connect as a reader
   role (``strikedb db reader create NAME``) so the server's privileges are a third wall; see
   ``docs/security.md``.

Rows are fetched in batches (``fetchmany``), so memory stays flat whatever the result size. A
progress handler checks the deadline and lets Ctrl-C stop a running SQLite statement at once.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError

from events.errors import QueryError, QueryTimeout, ReadOnlyViolation
from events.sqlguard import Statement, check_read_only

#: SQLite pragmas that only report on the schema; their argument is a table or index name.
READ_PRAGMAS = frozenset(
    {
        "table_info",
        "table_xinfo",
        "table_list",
        "index_list",
        "index_info",
        "index_xinfo",
        "foreign_key_list",
        "foreign_key_check",
        "integrity_check",
        "quick_check",
        "compile_options",
        "function_list",
        "pragma_list",
        "collation_list",
        "module_list",
        "database_list",
    }
)
#: SQLite pragmas that are harmless when read without a value (with a value they would set).
VALUE_PRAGMAS = frozenset(
    {
        "user_version",
        "schema_version",
        "application_id",
        "page_count",
        "page_size",
        "freelist_count",
        "encoding",
        "foreign_keys",
        "journal_mode",
    }
)

#: Rows fetched from the database at a time.
FETCH_BATCH = 1000
#: A PostgreSQL session left idle inside the read-only transaction (a stalled output pipe) is
#: ended by the server after this long, so it cannot hold its snapshot and locks for ever.
PG_IDLE_TIMEOUT_S = 300
#: Longest wait for a table lock (only a running migration holds one that blocks reading).
PG_LOCK_TIMEOUT_S = 10
#: SQLite VM instructions between two progress-handler calls (deadline and Ctrl-C checks).
SQLITE_PROGRESS_STEPS = 10_000

# sqlite3 authorizer action codes (https://sqlite.org/c3ref/c_alter_table.html).
_SQLITE_ACTIONS = {
    getattr(sqlite3, f"SQLITE_{name}"): name.replace("_", " ")
    for name in (
        "CREATE_INDEX",
        "CREATE_TABLE",
        "CREATE_TEMP_INDEX",
        "CREATE_TEMP_TABLE",
        "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW",
        "CREATE_TRIGGER",
        "CREATE_VIEW",
        "DELETE",
        "DROP_INDEX",
        "DROP_TABLE",
        "DROP_TEMP_INDEX",
        "DROP_TEMP_TABLE",
        "DROP_TEMP_TRIGGER",
        "DROP_TEMP_VIEW",
        "DROP_TRIGGER",
        "DROP_VIEW",
        "INSERT",
        "PRAGMA",
        "READ",
        "SELECT",
        "TRANSACTION",
        "UPDATE",
        "ATTACH",
        "DETACH",
        "ALTER_TABLE",
        "REINDEX",
        "ANALYZE",
        "CREATE_VTABLE",
        "DROP_VTABLE",
        "FUNCTION",
        "SAVEPOINT",
        "RECURSIVE",
    )
    if hasattr(sqlite3, f"SQLITE_{name}")
}
_SQLITE_READS = (sqlite3.SQLITE_READ, sqlite3.SQLITE_SELECT, getattr(sqlite3, "SQLITE_RECURSIVE", 33))
_SQLITE_WRITES = (sqlite3.SQLITE_DELETE, sqlite3.SQLITE_INSERT, sqlite3.SQLITE_UPDATE)
_RTREE_INTERNAL = re.compile(r"^(\w+_rtree_(node|rowid|parent)|sqlite_master)$")
_SQLITE_DENIED_FUNCTIONS = frozenset({"load_extension", "writefile", "readfile", "edit", "fts3_tokenizer"})


class _SqliteWatch:
    """Authorizer, deadline and Ctrl-C handling for one SQLite connection while a query runs."""

    def __init__(self, timeout: float | None) -> None:
        self.deadline = time.monotonic() + timeout if timeout else None
        self.timeout = timeout
        self.denied: list[str] = []

    def authorize(self, action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
        """Allow reads only; the boundary below the statement check."""
        if action in _SQLITE_READS:
            return sqlite3.SQLITE_OK
        if action in _SQLITE_WRITES and _RTREE_INTERNAL.match(arg1 or ""):
            # Opening an R*Tree *prepares* (never runs, for a read) statements on its shadow tables
            # and on sqlite_master; the mode=ro file would refuse them anyway.
            return sqlite3.SQLITE_OK
        if action == sqlite3.SQLITE_FUNCTION:
            if (arg2 or "").lower() not in _SQLITE_DENIED_FUNCTIONS:
                return sqlite3.SQLITE_OK
        elif action == sqlite3.SQLITE_PRAGMA:
            name = (arg1 or "").lower()
            if name in READ_PRAGMAS or (name in VALUE_PRAGMAS and arg2 is None):
                return sqlite3.SQLITE_OK
        what = _SQLITE_ACTIONS.get(action, f"action {action}")
        target = arg2 if action == sqlite3.SQLITE_FUNCTION else arg1
        self.denied.append(f"{what} {target}" if target else what)
        return sqlite3.SQLITE_DENY

    def progress(self) -> int:
        """Called every few thousand VM steps: running Python here also lets Ctrl-C interrupt."""
        return int(self.deadline is not None and time.monotonic() > self.deadline)

    def install(self, dbapi: sqlite3.Connection) -> None:
        dbapi.set_authorizer(self.authorize)
        dbapi.set_progress_handler(self.progress, SQLITE_PROGRESS_STEPS)

    @staticmethod
    def remove(dbapi: sqlite3.Connection) -> None:
        dbapi.set_authorizer(None)
        dbapi.set_progress_handler(None, 0)

    def timed_out(self) -> bool:
        return self.deadline is not None and time.monotonic() > self.deadline


def _pg_settings(timeout: float | None) -> list[tuple[str, int]]:
    """``SET LOCAL`` values (milliseconds) for the read-only transaction."""
    statement_ms = int(timeout * 1000) if timeout else 0  # 0 disables the statement timeout
    lock_ms = int(min(timeout, PG_LOCK_TIMEOUT_S) * 1000) if timeout else PG_LOCK_TIMEOUT_S * 1000
    return [
        ("statement_timeout", statement_ms),
        ("lock_timeout", max(lock_ms, 1)),
        ("idle_in_transaction_session_timeout", PG_IDLE_TIMEOUT_S * 1000),
    ]


@contextmanager
def read_only_connection(engine: Engine, *, timeout: float | None = None) -> Iterator[Connection]:
    """Open a connection whose transaction is read-only, time-limited and always rolled back.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Preferably made with ``make_engine(url, read_only=True)``.
    timeout : float, optional
        Seconds after which the running statement is cancelled.

    Yields
    ------
    sqlalchemy.Connection
        On SQLite, the connection's ``info["strikedb_watch"]`` holds the authorizer state.
    """
    with engine.connect() as conn:
        conn.begin()
        dbapi = conn.connection.driver_connection
        sqlite = engine.dialect.name == "sqlite"
        try:
            if sqlite:
                watch = _SqliteWatch(timeout)
                conn.info["strikedb_watch"] = watch
                watch.install(dbapi)
            else:
                with dbapi.cursor() as cursor:
                    cursor.execute("SET TRANSACTION READ ONLY")
                    for name, milliseconds in _pg_settings(timeout):
                        cursor.execute(f"SET LOCAL {name} = {int(milliseconds)}")
            yield conn
        finally:
            if sqlite:
                _SqliteWatch.remove(dbapi)
                conn.info.pop("strikedb_watch", None)
            conn.rollback()


@dataclass
class QueryResult:
    """A running query: its columns and an iterator over its rows (fetched in batches).

    Attributes
    ----------
    columns : list of str
    rows : iterator of tuple
        Consume it inside the ``with open_query(...)`` block.
    kind : str
        The statement kind (``SELECT``, ``EXPLAIN``...).
    notes : tuple of str
        Warnings for the user (e.g. connected as a superuser).
    """

    columns: list[str]
    rows: Iterator[tuple[Any, ...]]
    kind: str
    notes: tuple[str, ...] = ()


def _batched(
    cursor: Any, deadline: float | None, timeout: float | None, translate: Callable[[Exception], BaseException]
) -> Iterator[tuple[Any, ...]]:
    """Rows in batches; driver errors while fetching (a timeout, Ctrl-C) come out translated."""
    while True:
        if deadline is not None and time.monotonic() > deadline:
            raise _timeout_error(timeout)
        try:
            batch = cursor.fetchmany(FETCH_BATCH)
        except Exception as exc:
            if _is_driver_error(exc):
                raise translate(exc) from exc
            raise
        if not batch:
            return
        for row in batch:
            yield tuple(row)


def _timeout_error(timeout: float | None) -> QueryTimeout:
    return QueryTimeout(
        f"the query was cancelled after the {timeout:g} s timeout",
        hint="add a WHERE clause that uses an index, or raise --timeout",
    )


def _pg_role_notes(dbapi: Any) -> tuple[str, ...]:
    """A warning when the connected role could change data without strikedb's checks."""
    with dbapi.cursor() as cursor:
        cursor.execute(
            "SELECT current_user, r.rolsuper, COALESCE(has_table_privilege(to_regclass('events'), "
            "'INSERT, UPDATE, DELETE, TRUNCATE'), false) FROM pg_roles r WHERE r.rolname = current_user"
        )
        row = cursor.fetchone()
    if row is None or not (row[1] or row[2]):
        return ()
    who = f"superuser {row[0]}" if row[1] else f"role {row[0]}, which may change the data,"
    return (
        f"connected as {who}: `strikedb sql` relies on its own checks and a read-only transaction here. "
        "Give analysts a reader role: strikedb db reader create NAME (docs/security.md)",
    )


def _pg_cursor(dbapi: Any, statement: Statement, params: dict[str, Any]) -> Any:
    missing = [name for name in statement.params if name not in params]
    if missing:
        raise QueryError(
            f"A value is required for bind parameter {missing[0]!r}", hint=f"add --param {missing[0]}=VALUE"
        )
    values = {name: _plain_text(params[name]) for name in statement.params} if statement.params else None
    if statement.cursor_ok:
        # DECLARE ... CURSOR is sent with the extended protocol (one statement only) and rows come
        # FETCH by FETCH, so neither the server's answer nor ours is held in memory at once.
        cursor = dbapi.cursor(name="strikedb_sql")
        cursor.itersize = FETCH_BATCH
        cursor.execute(statement.driver_sql, values)
        return cursor
    # EXPLAIN and SHOW cannot be declared as cursors: stream them (also the extended protocol).
    cursor = dbapi.cursor()
    rows = cursor.stream(statement.driver_sql, values)
    return _StreamCursor(cursor, rows)


def _plain_text(value: Any) -> Any:
    """psycopg sends plain ``str`` untyped, so the server infers the type from the context."""
    return str(value) if isinstance(value, TextParam) else value


class _StreamCursor:
    """``fetchmany`` over psycopg's ``Cursor.stream`` (whose description is known after a first row)."""

    def __init__(self, cursor: Any, rows: Iterator[Any]) -> None:
        self._cursor = cursor
        self._rows = rows
        self._first = next(rows, None)
        self.description = cursor.description

    def close(self) -> None:
        self._rows.close()  # type: ignore[attr-defined]  # psycopg stops the stream and drains it
        self._cursor.close()

    def fetchmany(self, size: int) -> list[Any]:
        out = []
        if self._first is not None:
            out.append(self._first)
            self._first = None
        for row in self._rows:
            out.append(row)
            if len(out) >= size:
                break
        return out


class TextParam(str):
    """A ``--param name=value`` given without a type: text that may be read as a number.

    PostgreSQL infers the type of such a parameter from where it is used (``distance_km(...,
    :lat, ...)``, ``x < :km``). SQLite has no such inference and compares a number with text
    as "less", so there a value that is exactly a number's spelling (``59.45``, ``10``, not
    ``007`` or ``1e3``) is bound as that number; anything else stays text.
    """


def _sqlite_value(value: Any) -> Any:
    if not isinstance(value, TextParam):
        return value
    text_value = str(value)
    for convert in (int, float):
        try:
            number = convert(text_value)
        except ValueError:
            continue
        if repr(number) == text_value:
            return number
    return text_value


def _sqlite_cursor(dbapi: sqlite3.Connection, statement: Statement, params: dict[str, Any]) -> sqlite3.Cursor:
    # The driver binds :name itself (SQLite's tokenizer: never inside a literal) and refuses a
    # second statement before running anything.
    cursor = dbapi.cursor()
    cursor.execute(statement.driver_sql, {name: _sqlite_value(value) for name, value in params.items()})
    return cursor


@contextmanager
def open_query(
    engine: Engine,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float | None = None,
    notes: bool = True,
) -> Iterator[QueryResult]:
    """Run one read-only SQL statement and stream its rows.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A read-only engine (``events.db.make_engine(url, read_only=True)``).
    sql : str
        One statement; ``:name`` placeholders are bound from ``params``.
    params : mapping, optional
        Values of the placeholders.
    timeout : float, optional
        Seconds, from the start, after which the query is cancelled (also while rows are read).
    notes : bool
        Check (PostgreSQL) whether the role could write, and say so in ``QueryResult.notes``.

    Yields
    ------
    QueryResult

    Raises
    ------
    ReadOnlyViolation
        When the statement would write or is not allowed; nothing is changed.
    QueryError
        For invalid SQL or a missing parameter; :class:`~events.errors.QueryTimeout` on timeout.
    KeyboardInterrupt
        On Ctrl-C (the statement is stopped first).
    """
    statement = check_read_only(sql, engine.dialect.name)
    values = dict(params or {})
    deadline = time.monotonic() + timeout if timeout else None
    watch: _SqliteWatch | None = None

    def translate(exc: Exception) -> BaseException:
        return _translate_error(exc, statement, timeout, watch)

    try:
        with read_only_connection(engine, timeout=timeout) as conn:
            dbapi = conn.connection.driver_connection
            watch = conn.info.get("strikedb_watch")
            if engine.dialect.name == "sqlite":
                role_notes: tuple[str, ...] = ()
                cursor = _sqlite_cursor(dbapi, statement, values)
            else:
                role_notes = _pg_role_notes(dbapi) if notes else ()
                cursor = _pg_cursor(dbapi, statement, values)
            try:
                columns = [d[0] for d in cursor.description or ()]
                rows = _batched(cursor, deadline, timeout, translate) if columns else iter(())
                yield QueryResult(columns=columns, rows=rows, kind=statement.kind, notes=role_notes)
            finally:
                _close_quietly(cursor)
    except Exception as exc:
        if _is_driver_error(exc):
            raise translate(exc) from exc
        raise


def _close_quietly(cursor: Any) -> None:
    """Close a cursor on the way out; an error here must not hide the one that got us here."""
    with suppress(Exception):
        cursor.close()


def _is_driver_error(exc: BaseException) -> bool:
    """sqlite3 and psycopg errors (the analyst query runs on the driver's own cursor) and SQLAlchemy's."""
    return isinstance(exc, sqlite3.Error | DBAPIError) or type(exc).__module__.startswith("psycopg")


def _translate_error(
    exc: Exception, statement: Statement, timeout: float | None, watch: _SqliteWatch | None
) -> BaseException:
    """Turn a driver error into ReadOnlyViolation, QueryTimeout, QueryError or KeyboardInterrupt."""
    orig = getattr(exc, "orig", None) or exc
    message = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
    sqlstate = getattr(orig, "sqlstate", None)
    lowered = message.lower()
    if watch is not None and watch.denied and "not authorized" in lowered:
        return ReadOnlyViolation(f"refused {watch.denied[0]}: the SQL command only reads; the database was not changed")
    if sqlstate in ("25006", "42501") or "readonly database" in lowered or "not authorized" in lowered:
        return ReadOnlyViolation(f"refused {statement.kind}: {message}; the database was not changed")
    if lowered == "interrupted":
        if watch is not None and not watch.timed_out():
            return KeyboardInterrupt()  # Ctrl-C arrived while SQLite was running the statement
        return _timeout_error(timeout)
    if sqlstate == "57014":
        return _timeout_error(timeout) if timeout else QueryError(f"the query was cancelled: {message}")
    if sqlstate == "55P03":
        return QueryError(f"gave up waiting for a lock: {message}", hint="a migration may be running; try again")
    if "one statement at a time" in lowered:
        return QueryError("one statement at a time", hint="remove the extra statements, or run them one by one")
    if "supply a value for binding parameter" in lowered:
        name = message.rsplit(":", 1)[-1].rstrip(".")
        return QueryError(message, hint=f"add --param {name}=VALUE")
    if "user-defined function raised exception" in lowered:
        return QueryError(
            message, hint="a function got an argument it cannot use, e.g. distance_km() with text that is not a number"
        )
    return QueryError(message, hint='list the columns with: strikedb sql "SELECT * FROM events_enriched LIMIT 1"')


def run_query(
    engine: Engine,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one read-only SQL statement and return its columns and all its rows.

    Parameters
    ----------
    engine, sql, params
        As for :func:`open_query`.
    timeout : float, optional
        Seconds before the statement is cancelled.

    Returns
    -------
    columns : list of str
    rows : list of tuple

    Raises
    ------
    ReadOnlyViolation
        When the statement would write; nothing is changed.
    QueryError
        For invalid SQL, a missing parameter or a timeout.
    """
    with open_query(engine, sql, params, timeout=timeout, notes=False) as result:
        return result.columns, list(result.rows)


# --------------------------------------------------------------------------- parameters

_TYPED_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?::(?P<type>str|int|float|date))?=(?P<value>.*)$", re.DOTALL)
_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "": TextParam,
    "str": str,
    "int": int,
    "float": float,
    "date": dt.date.fromisoformat,
}


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``name=value`` (untyped) or ``name:str=x`` / ``:int`` / ``:float`` / ``:date`` (typed) parameters.

    Untyped values (:class:`TextParam`) suit both backends: PostgreSQL infers their type from
    the context, and on SQLite one spelled exactly like a number is bound as that number.
    ``:str`` keeps a value text everywhere (e.g. ``--param code:str=10``).

    Parameters
    ----------
    items : sequence of str
        As given on the command line.

    Returns
    -------
    dict

    Raises
    ------
    QueryError
        For an item without ``=`` or a value that does not convert.
    """
    params: dict[str, Any] = {}
    for item in items:
        match = _TYPED_PARAM.match(item)
        if not match:
            raise QueryError(f"bad parameter {item!r}", hint="write --param name=value or --param name:int=5")
        kind = match["type"] or ""
        try:
            params[match["name"]] = _CONVERTERS[kind](match["value"])
        except ValueError as exc:
            raise QueryError(f"parameter {match['name']}: {match['value']!r} is not a {kind or 'text'}") from exc
    return params


__all__ = [
    "QueryResult", "Statement", "TextParam", "check_read_only", "open_query", "parse_params", "read_only_connection",
    "run_query",
]  # fmt: skip
