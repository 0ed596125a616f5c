"""Read-only SQL for analysts, canned reports and the event table used by exports.

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
import decimal
import re
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import DBAPIError

from events import vocab
from events.errors import NotFoundError, QueryError, QueryTimeout, ReadOnlyViolation
from events.sqlguard import Statement, check_read_only

__all__ = ["QueryResult", "Statement", "check_read_only", "open_query", "read_only_connection", "run_query"]

#: SQLite pragmas that only report on the schema; their argument is a table or index name.
READ_PRAGMAS = frozenset(
    {
        "table_info", "table_xinfo", "table_list", "index_list", "index_info", "index_xinfo",
        "foreign_key_list", "foreign_key_check", "integrity_check", "quick_check", "compile_options",
        "function_list", "pragma_list", "collation_list", "module_list", "database_list",
    }
)
#: SQLite pragmas that are harmless when read without a value (with a value they would set).
VALUE_PRAGMAS = frozenset(
    {"user_version", "schema_version", "application_id", "page_count", "page_size", "freelist_count",
     "encoding", "foreign_keys", "journal_mode"}
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
        "CREATE_INDEX", "CREATE_TABLE", "CREATE_TEMP_INDEX", "CREATE_TEMP_TABLE", "CREATE_TEMP_TRIGGER",
        "CREATE_TEMP_VIEW", "CREATE_TRIGGER", "CREATE_VIEW", "DELETE", "DROP_INDEX", "DROP_TABLE",
        "DROP_TEMP_INDEX", "DROP_TEMP_TABLE", "DROP_TEMP_TRIGGER", "DROP_TEMP_VIEW", "DROP_TRIGGER", "DROP_VIEW",
        "INSERT", "PRAGMA", "READ", "SELECT", "TRANSACTION", "UPDATE", "ATTACH", "DETACH", "ALTER_TABLE",
        "REINDEX", "ANALYZE", "CREATE_VTABLE", "DROP_VTABLE", "FUNCTION", "SAVEPOINT", "RECURSIVE",
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
        return ReadOnlyViolation(
            f"refused {watch.denied[0]}: the SQL command only reads; the database was not changed"
        )
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
    return QueryError(message, hint="list the columns with: strikedb sql \"SELECT * FROM events_enriched LIMIT 1\"")


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
    engine : sqlalchemy.Engine
        A read-only engine (``events.db.make_engine(url, read_only=True)``).
    sql : str
        One statement; ``:name`` placeholders are bound from ``params``.
    params : mapping, optional
        Values of the placeholders.
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


# --------------------------------------------------------------------------- reports


@dataclass(frozen=True)
class ReportOptions:
    """Filters shared by the canned reports; each report uses the ones that make sense for it."""

    since: dt.date | None = None
    until: dt.date | None = None
    country: str | None = None
    min_confidence: str = "unverified"
    limit: int = 20


@dataclass(frozen=True)
class Report:
    """A canned analysis: a name, what it answers, and the function that runs it."""

    name: str
    description: str
    run: Callable[[Engine, ReportOptions], tuple[list[str], list[tuple[Any, ...]]]]


def _filters(options: ReportOptions, *, date_column: str = "event_date") -> tuple[str, dict[str, Any]]:
    """Build a WHERE clause (on events_enriched) and its parameters from the options."""
    clauses = ["confidence_rank <= :max_rank"]
    params: dict[str, Any] = {"max_rank": vocab.confidence_rank(options.min_confidence)}
    if options.since:
        clauses.append(f"{date_column} >= :since")
        params["since"] = options.since
    if options.until:
        clauses.append(f"{date_column} <= :until")
        params["until"] = options.until
    if options.country:
        clauses.append("country = :country")
        params["country"] = options.country.upper()
    return " AND ".join(clauses), params


def _run_report(engine: Engine, sql: str, params: dict[str, Any], types: dict[str, Any]) -> tuple[list[str], list]:
    """Run trusted report SQL with typed date parameters; values come back as plain Python."""
    statement = text(sql).bindparams(*(bindparam(name, type_=type_) for name, type_ in types.items() if name in params))
    with engine.connect() as conn:
        result = conn.execute(statement, params)
        return list(result.keys()), [tuple(_plain(v) for v in row) for row in result]


def _plain(value: Any) -> Any:
    """The same value from both backends: ISO text for dates and times, int or float for Decimal."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value.is_finite() and value.as_tuple().exponent >= 0 else float(value)
    return _iso(value)


def _date_types() -> dict[str, Any]:
    from sqlalchemy import Date, DateTime

    return {"since": Date(), "until": Date(), "since_ts": DateTime()}


def monthly_summary(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Strikes per month: total, per confidence level, facilities and countries hit.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions
        ``since``/``until`` (event date), ``country``, ``min_confidence``.

    Returns
    -------
    columns, rows
    """
    where, params = _filters(options)
    sql = f"""
        SELECT month,
               COUNT(*) AS strikes,
               SUM(CASE WHEN confidence = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
               SUM(CASE WHEN confidence = 'likely' THEN 1 ELSE 0 END) AS likely,
               SUM(CASE WHEN confidence = 'possible' THEN 1 ELSE 0 END) AS possible,
               SUM(CASE WHEN confidence = 'unverified' THEN 1 ELSE 0 END) AS unverified,
               COUNT(DISTINCT facility_id) AS facilities_hit,
               COUNT(DISTINCT country) AS countries
        FROM events_enriched
        WHERE {where}
        GROUP BY month
        ORDER BY month"""
    return _run_report(engine, sql, params, _date_types())


def top_facilities(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The most frequently struck facilities, with capacity and first/last strike.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions
        ``limit``, ``since``/``until``, ``country``, ``min_confidence``.

    Returns
    -------
    columns, rows
    """
    where, params = _filters(options)
    params["limit"] = options.limit
    sql = f"""
        SELECT facility_slug, facility_name, facility_type, country,
               COUNT(*) AS strikes,
               SUM(CASE WHEN confidence = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
               MIN(event_date) AS first_strike,
               MAX(event_date) AS last_strike,
               MAX(capacity_mtpa) AS capacity_mtpa,
               MAX(capacity_mw) AS capacity_mw
        FROM events_enriched
        WHERE facility_id IS NOT NULL AND {where}
        GROUP BY facility_id, facility_slug, facility_name, facility_type, country
        ORDER BY strikes DESC, last_strike DESC, facility_slug
        LIMIT :limit"""
    return _run_report(engine, sql, params, _date_types())


def confidence_breakdown(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """How many strikes sit at each confidence level, and how well sourced they are.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions
        ``since``/``until``, ``country`` (``min_confidence`` is ignored: every level is shown).

    Returns
    -------
    columns, rows
        One row per level, best first, including levels with no strikes.
    """
    where, params = _filters(ReportOptions(since=options.since, until=options.until, country=options.country))
    sql = f"""
        WITH levels (confidence, confidence_rank) AS (
            VALUES ('confirmed', 0), ('likely', 1), ('possible', 2), ('unverified', 3)
        ),
        chosen AS (SELECT * FROM events_enriched WHERE {where})
        SELECT l.confidence,
               COUNT(c.event_id) AS strikes,
               ROUND(CAST(100.0 * COUNT(c.event_id) / NULLIF((SELECT COUNT(*) FROM chosen), 0) AS NUMERIC), 1)
                   AS percent,
               COUNT(DISTINCT c.facility_id) AS facilities,
               SUM(CASE WHEN c.source_count > 0 THEN 1 ELSE 0 END) AS with_sources,
               SUM(CASE WHEN c.admiralty_grade IS NOT NULL THEN 1 ELSE 0 END) AS graded
        FROM levels l LEFT JOIN chosen c ON c.confidence = l.confidence
        GROUP BY l.confidence, l.confidence_rank
        ORDER BY l.confidence_rank"""
    columns, rows = _run_report(engine, sql, params, _date_types())
    # COUNT over an empty LEFT JOIN gives 0 but SUM gives NULL: report zero, not "unknown".
    return columns, [tuple(0 if v is None and i >= 4 else v for i, v in enumerate(row)) for row in rows]


def new_since(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Events added to the database on or after ``options.since`` (by ``created_at``), newest first.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions
        ``since`` is required; ``country``, ``min_confidence``, ``limit`` apply.

    Returns
    -------
    columns, rows

    Raises
    ------
    QueryError
        When ``since`` is missing.
    """
    if options.since is None:
        raise QueryError("the new-since report needs a date", hint="add --since YYYY-MM-DD")
    where, params = _filters(ReportOptions(country=options.country, min_confidence=options.min_confidence))
    params["since_ts"] = dt.datetime.combine(options.since, dt.time())
    params["limit"] = options.limit
    sql = f"""
        SELECT public_id, event_date, created_at, facility_name, location_text, country, confidence,
               admiralty_grade, best_source_url
        FROM events_enriched
        WHERE created_at >= :since_ts AND {where}
        ORDER BY created_at DESC, event_id DESC
        LIMIT :limit"""
    return _run_report(engine, sql, params, _date_types())


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report("monthly", "strikes per month by confidence level, facilities and countries hit", monthly_summary),
        Report("top-facilities", "most frequently struck facilities with capacity and first/last strike",
               top_facilities),
        Report("confidence", "strikes per confidence level and how well they are sourced", confidence_breakdown),
        Report("new-since", "events added to the database since --since (by created_at)", new_since),
    )
}


def run_report(engine: Engine, name: str, options: ReportOptions | None = None) -> tuple[list[str], list]:
    """Run the canned report ``name``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    name : str
        A key of :data:`REPORTS`.
    options : ReportOptions, optional

    Returns
    -------
    columns, rows

    Raises
    ------
    NotFoundError
        For an unknown report name.
    """
    report = REPORTS.get(name)
    if report is None:
        raise NotFoundError(f"no report named {name!r}", hint=f"reports: {', '.join(REPORTS)}")
    return report.run(engine, options or ReportOptions())


# --------------------------------------------------------------------------- events for export

#: Columns of events_enriched written by `strikedb export`, in order.
EXPORT_COLUMNS = (
    "public_id", "event_date", "date_precision", "event_time_utc", "latitude", "longitude", "geo_precision",
    "geocoded_by", "location_text", "country", "admin1", "facility_slug", "facility_name", "facility_type",
    "facility_operator", "capacity_mtpa", "capacity_kbd", "capacity_mw", "attack_type", "effect", "damage_level",
    "description", "claim_status", "admiralty_grade", "confidence", "source_count", "best_source_url",
    "best_source_publisher", "origin", "external_id", "created_at", "updated_at", "admin1_code", "admin1_reported",
    "at_sea",
)
#: Key of the loader's bookkeeping inside ``events.extra`` (events.ingest.META_KEY): not exported.
_BOOKKEEPING_KEY = "_strikedb"


def _iso(value: Any) -> Any:
    """Dates and times as ISO text, identical from both backends (SQLite already stores text)."""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def event_table(engine: Engine, options: ReportOptions | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Events with their facility and all their sources, one row per event.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions, optional
        ``since``/``until`` (event date), ``country``, ``min_confidence``.

    Returns
    -------
    columns : list of str
        :data:`EXPORT_COLUMNS` plus ``source_urls`` and ``source_publishers`` (joined by ``" | "``)
        and ``extra``: the columns of the input that have no home in the schema, as JSON text
        (the dataset's own categories: UCDP conflict and side names, ACLED actors...).
    rows : list of tuple
        Dates and times as ISO text.
    """
    where, params = _filters(options or ReportOptions())
    select = (
        f"SELECT event_id, {', '.join(EXPORT_COLUMNS)} FROM events_enriched WHERE {where} ORDER BY event_date, event_id"
    )
    _, rows = _run_report(engine, select, params, _date_types())
    sources = _sources_by_event(engine, [row[0] for row in rows])
    extras = _extra_by_event(engine, [row[0] for row in rows])
    columns = [*EXPORT_COLUMNS, "source_urls", "source_publishers", "extra"]
    at_sea = EXPORT_COLUMNS.index("at_sea")
    out = []
    for row in rows:
        urls, publishers = sources.get(row[0], ([], []))
        values = list(row[1:])
        values[at_sea] = None if values[at_sea] is None else bool(values[at_sea])  # 0/1 on SQLite
        out.append((*values, " | ".join(urls) or None, " | ".join(publishers) or None, extras.get(row[0])))
    return columns, out


def _extra_by_event(engine: Engine, event_ids: list[int]) -> dict[int, str]:
    """The ``extra`` of each event as JSON text (sorted keys; the loader's bookkeeping left out)."""
    import json

    wanted = set(event_ids)
    found: dict[int, str] = {}
    if not wanted:
        return found
    with engine.connect() as conn:
        for event_id, extra in conn.execute(text("SELECT id, extra FROM events WHERE extra IS NOT NULL")):
            if event_id not in wanted:
                continue
            value = json.loads(extra) if isinstance(extra, str) else extra
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != _BOOKKEEPING_KEY}
            if value:
                found[event_id] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return found


def _sources_by_event(engine: Engine, event_ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """URLs and publishers of each event's sources, earliest published first."""
    wanted = set(event_ids)
    found: dict[int, tuple[list[str], list[str]]] = {}
    if not wanted:
        return found
    sql = text(
        "SELECT es.event_id, s.url, s.publisher FROM event_sources es JOIN sources s ON s.id = es.source_id "
        "ORDER BY es.event_id, CASE WHEN s.published_date IS NULL THEN 1 ELSE 0 END, s.published_date, s.id"
    )
    with engine.connect() as conn:
        for event_id, url, publisher in conn.execute(sql):
            if event_id not in wanted:
                continue
            urls, publishers = found.setdefault(event_id, ([], []))
            if url:
                urls.append(url)
            if publisher and publisher not in publishers:
                publishers.append(publisher)
    return found


def events_with_sources(engine: Engine, options: ReportOptions | None = None):
    """Return the events of :func:`event_table` as a GeoDataFrame of points in EPSG:4326.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions, optional

    Returns
    -------
    geopandas.GeoDataFrame
        One row per event, geometry from longitude/latitude.
    """
    import geopandas as gpd
    import pandas as pd

    columns, rows = event_table(engine, options)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    geometry = gpd.points_from_xy(frame["longitude"].astype(float), frame["latitude"].astype(float), crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")
