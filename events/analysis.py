"""Read-only SQL for analysts, canned reports and the event table used by exports.

Three layers keep :func:`run_query` read-only, so one mistake cannot change the database:

1. The text is split into statements (strings, quoted names, comments and PostgreSQL dollar
   quotes are respected) and only one statement of a reading kind (``SELECT``, ``WITH``,
   ``VALUES``, ``TABLE``, ``EXPLAIN``, ``SHOW`` and a few SQLite ``PRAGMA`` queries) is accepted.
   Writes, DDL, ``ATTACH``/``DETACH``, ``VACUUM``, transaction control and PostgreSQL functions
   with side effects that a read-only transaction does not stop (``set_config``, ``lo_export``,
   ``pg_terminate_backend``...) are refused with :class:`~events.errors.ReadOnlyViolation`.
2. The engine is read-only: SQLite opens the file with ``mode=ro``, PostgreSQL runs the
   statement in a ``READ ONLY`` transaction (see :func:`events.db.make_engine`).
3. On SQLite an authorizer callback denies every action that is not a read while the analyst's
   statement runs (``ATTACH`` hidden inside ``VACUUM INTO``, ``PRAGMA writable_schema``...).

The statement is always rolled back. For real isolation on a shared PostgreSQL server, also
connect as a role that has only ``SELECT`` privileges.
"""

from __future__ import annotations

import datetime as dt
import decimal
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, text
from sqlalchemy.exc import DBAPIError, StatementError

from events import vocab
from events.errors import NotFoundError, QueryError, ReadOnlyViolation

#: Statement kinds that only read.
READING_KINDS = frozenset({"SELECT", "WITH", "VALUES", "TABLE", "EXPLAIN", "SHOW", "PRAGMA"})

#: Reserved words that make a statement a write wherever they appear outside strings and quoted
#: names: a PostgreSQL data-modifying CTE (``WITH d AS (DELETE ...) SELECT ...``), ``EXPLAIN
#: ANALYZE DELETE``, ``SELECT ... INTO new_table`` or ``SELECT ... FOR UPDATE``.
WRITE_WORDS = frozenset(
    {
        "INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "DROP", "CREATE", "ALTER", "ATTACH", "DETACH",
        "VACUUM", "REINDEX", "GRANT", "REVOKE", "INTO",
    }
)

#: Statement kinds refused when they come first (they change data, files or the session).
WRITE_KINDS = WRITE_WORDS | {
    "REPLACE", "ANALYZE", "SET", "RESET", "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT",
    "SAVEPOINT", "RELEASE", "COPY", "COMMENT", "CLUSTER", "REFRESH", "LOCK", "CALL", "DO", "LISTEN", "NOTIFY",
    "UNLISTEN", "PREPARE", "EXECUTE", "DEALLOCATE", "DISCARD", "IMPORT", "SECURITY", "LOAD", "CHECKPOINT",
    "REASSIGN",
}

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

#: PostgreSQL functions with effects that a READ ONLY transaction does not prevent (session
#: settings, server files, other sessions) or that run SQL given as text.
DENIED_PG_FUNCTIONS = re.compile(
    r"^(set_config|pg_terminate_backend|pg_cancel_backend|pg_reload_conf|pg_rotate_logfile|pg_promote|"
    r"pg_switch_wal|pg_stat_reset\w*|lo_\w+|dblink\w*|pg_read_file|pg_read_binary_file|pg_ls_\w+|pg_file_\w+|"
    r"pg_logical_emit_message|pg_create_\w+|pg_drop_\w+|pg_replication_\w+|pg_advisory_\w+|pg_try_advisory_\w+|"
    r"query_to_xml\w*|pg_import_system_collations|pg_backup_\w+|pg_sleep\w*)$",
    re.IGNORECASE,
)

# sqlite3 authorizer action codes (https://sqlite.org/c3ref/c_alter_table.html).
_SQLITE_PRAGMA, _SQLITE_READ, _SQLITE_SELECT, _SQLITE_FUNCTION, _SQLITE_RECURSIVE = 19, 20, 21, 31, 33
_SQLITE_DELETE, _SQLITE_INSERT, _SQLITE_UPDATE = 9, 18, 23
_SQLITE_WRITES = (_SQLITE_DELETE, _SQLITE_INSERT, _SQLITE_UPDATE)
_SQLITE_OK, _SQLITE_DENY = 0, 1
_RTREE_INTERNAL = re.compile(r"^(\w+_rtree_(node|rowid|parent)|sqlite_master)$")
_SQLITE_DENIED_FUNCTIONS = frozenset({"load_extension", "writefile", "readfile", "edit", "fts3_tokenizer"})


@dataclass(frozen=True)
class Statement:
    """One SQL statement and what it does.

    Attributes
    ----------
    sql : str
        The statement text without the trailing semicolon.
    kind : str
        The upper-cased first keyword, e.g. ``SELECT``, ``INSERT``, ``PRAGMA``.
    writes : str or None
        The first keyword that makes it a write (``DELETE`` in ``WITH d AS (DELETE ...)``), if any.
    words : tuple of str
        Every bare word outside strings, quoted names and comments, upper-cased, in order.
    functions : tuple of str
        Names of the functions called (bare words followed by an opening parenthesis).
    """

    sql: str
    kind: str
    writes: str | None
    words: tuple[str, ...]
    functions: tuple[str, ...]


_TOKEN = re.compile(
    r"""
    (?P<line_comment>--[^\n]*)
  | (?P<block_comment>/\*.*?(\*/|\Z))
  | (?P<estring>[eE]'(?:[^'\\]|\\.|'')*(?:'|\Z))
  | (?P<string>'(?:[^']|'')*(?:'|\Z))
  | (?P<quoted>"(?:[^"]|"")*(?:"|\Z)|`[^`]*(?:`|\Z)|\[[^\]]*(?:\]|\Z))
  | (?P<dollar>\$(?P<tag>[A-Za-z_]\w*)?\$.*?(?:\$(?P=tag)\$|\Z))
  | (?P<word>[A-Za-z_][\w$]*)
  | (?P<semicolon>;)
  | (?P<other>\S)
    """,
    re.VERBOSE | re.DOTALL,
)


def _tokens(sql: str) -> Iterator[tuple[str, str, int, int]]:
    """Yield ``(kind, text, start, end)`` for each token, skipping whitespace."""
    for match in _TOKEN.finditer(sql):
        kind = match.lastgroup
        if kind == "tag":  # pragma: no cover - inner group, never the last one matched
            kind = "dollar"
        yield kind or "other", match.group(), match.start(), match.end()


def split_statements(sql: str) -> list[Statement]:
    """Split SQL text into statements and classify each one.

    Parameters
    ----------
    sql : str
        One or more statements separated by semicolons.

    Returns
    -------
    list of Statement
        Statements that contain more than comments, in order.
    """
    statements: list[Statement] = []
    start = 0
    words: list[str] = []
    functions: list[str] = []
    pending_word: str | None = None
    for kind, token, begin, end in _tokens(sql):
        if kind == "semicolon":
            if words:
                statements.append(_classify(sql[start:begin].strip(), words, functions))
            start, words, functions, pending_word = end, [], [], None
            continue
        if kind in ("line_comment", "block_comment"):
            continue
        if kind == "other" and token == "(" and pending_word is not None:
            functions.append(pending_word.lower())
        pending_word = token if kind == "word" else None
        if kind == "word":
            words.append(token.upper())
        elif not words and kind != "other":
            words.append(token)  # a statement starting with a string or quoted name
    if words:
        statements.append(_classify(sql[start:].strip(), words, functions))
    return statements


def _classify(sql: str, words: list[str], functions: list[str]) -> Statement:
    kind = words[0] if words[0].isidentifier() else words[0][:20]
    writes = kind if kind in WRITE_KINDS else next((w for w in words if w in WRITE_WORDS), None)
    if writes == "INTO":
        writes = f"{kind} INTO"
    return Statement(sql=sql, kind=kind, writes=writes, words=tuple(words), functions=tuple(functions))


def check_read_only(sql: str, dialect: str) -> Statement:
    """Return the single reading statement in ``sql`` or refuse it.

    Parameters
    ----------
    sql : str
        The analyst's SQL.
    dialect : str
        ``sqlite`` or ``postgresql``.

    Returns
    -------
    Statement

    Raises
    ------
    QueryError
        For empty text, several statements, or text that is not SQL a database would read.
    ReadOnlyViolation
        For a statement that would write, change the schema or session, or touch other files.
    """
    statements = split_statements(sql)
    if not statements:
        raise QueryError("the query is empty", hint='pass a statement such as "SELECT count(*) FROM events"')
    if len(statements) > 1:
        kinds = ", ".join(s.kind for s in statements)
        raise QueryError(
            f"one statement at a time, got {len(statements)} ({kinds})",
            hint="remove the extra statements, or run them one by one",
        )
    statement = statements[0]
    if statement.writes:
        raise ReadOnlyViolation(f"refused {statement.writes}: the SQL command only reads; the database was not changed")
    if statement.kind not in READING_KINDS:
        raise QueryError(
            f"cannot run a statement starting with {statement.kind!r}",
            hint="read-only queries start with SELECT, WITH, VALUES, TABLE, EXPLAIN, SHOW or PRAGMA",
        )
    if statement.kind == "PRAGMA":
        _check_pragma(statement, dialect)
    if dialect == "postgresql":
        denied = [name for name in statement.functions if DENIED_PG_FUNCTIONS.match(name)]
        if denied:
            raise ReadOnlyViolation(f"refused a call to {denied[0]}(): it has effects beyond reading")
    return statement


def _check_pragma(statement: Statement, dialect: str) -> None:
    if dialect != "sqlite":
        raise QueryError("PRAGMA is SQLite only", hint="on PostgreSQL query information_schema or pg_catalog")
    name = statement.words[1].lower() if len(statement.words) > 1 else ""
    if name in ("main", "temp") and len(statement.words) > 2:
        name = statement.words[2].lower()
    has_value = "=" in statement.sql or (name in VALUE_PRAGMAS and "(" in statement.sql)
    if name in READ_PRAGMAS or (name in VALUE_PRAGMAS and not has_value):
        return
    raise ReadOnlyViolation(
        f"refused PRAGMA {name}: only schema-reading pragmas are allowed",
        hint=f"allowed: {', '.join(sorted(READ_PRAGMAS | VALUE_PRAGMAS))}",
    )


def _sqlite_authorizer(action: int, arg1: str | None, arg2: str | None, _db: str | None, _src: str | None) -> int:
    """Allow reads only; the last line of defence below the statement check."""
    if action in (_SQLITE_READ, _SQLITE_SELECT, _SQLITE_RECURSIVE):
        return _SQLITE_OK
    if action in _SQLITE_WRITES and _RTREE_INTERNAL.match(arg1 or ""):
        # Opening an R*Tree *prepares* (never runs, for a read) statements on its shadow tables
        # and on sqlite_master; the mode=ro file would refuse them anyway.
        return _SQLITE_OK
    if action == _SQLITE_FUNCTION:
        return _SQLITE_DENY if (arg2 or "").lower() in _SQLITE_DENIED_FUNCTIONS else _SQLITE_OK
    if action == _SQLITE_PRAGMA:
        name = (arg1 or "").lower()
        if name in READ_PRAGMAS or (name in VALUE_PRAGMAS and arg2 is None):
            return _SQLITE_OK
    return _SQLITE_DENY


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
    """
    with engine.connect() as conn:
        conn.begin()
        dbapi = conn.connection.driver_connection
        try:
            if engine.dialect.name == "sqlite":
                if timeout:
                    deadline = time.monotonic() + timeout
                    # A non-zero return interrupts the statement ("interrupted").
                    dbapi.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
                dbapi.set_authorizer(_sqlite_authorizer)
            else:
                conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                if timeout:
                    milliseconds = str(int(timeout * 1000))
                    conn.execute(text("SELECT set_config('statement_timeout', :ms, true)"), {"ms": milliseconds})
            yield conn
        finally:
            if engine.dialect.name == "sqlite":
                dbapi.set_authorizer(None)
                dbapi.set_progress_handler(None, 0)
            conn.rollback()


def _translate_error(exc: DBAPIError, statement: Statement, timeout: float | None) -> Exception:
    """Turn a driver error into a ReadOnlyViolation or a QueryError with the database's message."""
    orig = exc.orig
    message = str(orig).strip().splitlines()[0] if orig is not None else str(exc)
    sqlstate = getattr(orig, "sqlstate", None)
    lowered = message.lower()
    if sqlstate == "25006" or "readonly database" in lowered or "not authorized" in lowered:
        return ReadOnlyViolation(f"refused {statement.kind}: {message}; the database was not changed")
    if sqlstate == "57014" or lowered == "interrupted":
        reason = f"after the {timeout:g} s timeout" if timeout else message
        return QueryError(
            f"the query was cancelled {reason}",
            hint="add a WHERE clause that uses an index, or raise --timeout",
        )
    return QueryError(message, hint="list the columns with: strikedb sql \"SELECT * FROM events_enriched LIMIT 1\"")


def run_query(
    engine: Engine,
    sql: str,
    params: Mapping[str, Any] | None = None,
    *,
    timeout: float | None = None,
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one read-only SQL statement and return its columns and rows.

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
    statement = check_read_only(sql, engine.dialect.name)
    try:
        with read_only_connection(engine, timeout=timeout) as conn:
            result = conn.execute(text(statement.sql), dict(params or {}))
            if not result.returns_rows:
                return [], []
            return list(result.keys()), [tuple(row) for row in result]
    except DBAPIError as exc:
        raise _translate_error(exc, statement, timeout) from exc
    except StatementError as exc:  # e.g. a placeholder without a value
        message = str(exc.orig or exc).splitlines()[0].split(" (Background on this error")[0]
        raise QueryError(message, hint="bind every :name with --param name=value") from exc


# --------------------------------------------------------------------------- parameters

_TYPED_PARAM = re.compile(r"^(?P<name>[A-Za-z_]\w*)(?::(?P<type>str|int|float|date))?=(?P<value>.*)$", re.DOTALL)
_CONVERTERS: dict[str, Callable[[str], Any]] = {
    "str": str,
    "int": int,
    "float": float,
    "date": dt.date.fromisoformat,
}


def parse_params(items: Sequence[str]) -> dict[str, Any]:
    """Parse ``name=value`` (text) or ``name:int=5`` / ``:float`` / ``:date`` (typed) parameters.

    Text values suit both backends: SQLite compares them by column affinity and PostgreSQL
    infers their type from the context. Use a type for ``LIMIT`` on SQLite or for arithmetic.

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
        kind = match["type"] or "str"
        try:
            params[match["name"]] = _CONVERTERS[kind](match["value"])
        except ValueError as exc:
            raise QueryError(f"parameter {match['name']}: {match['value']!r} is not a {kind}") from exc
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
    """The same value from both backends: ISO text for dates and times, float for Decimal."""
    if isinstance(value, decimal.Decimal):
        return float(value)
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
    "best_source_publisher", "origin", "external_id", "created_at", "updated_at",
)


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
        :data:`EXPORT_COLUMNS` plus ``source_urls`` and ``source_publishers`` (joined by ``" | "``).
    rows : list of tuple
        Dates and times as ISO text.
    """
    where, params = _filters(options or ReportOptions())
    select = (
        f"SELECT event_id, {', '.join(EXPORT_COLUMNS)} FROM events_enriched WHERE {where} ORDER BY event_date, event_id"
    )
    _, rows = _run_report(engine, select, params, _date_types())
    sources = _sources_by_event(engine, [row[0] for row in rows])
    columns = [*EXPORT_COLUMNS, "source_urls", "source_publishers"]
    out = []
    for row in rows:
        urls, publishers = sources.get(row[0], ([], []))
        out.append((*row[1:], " | ".join(urls) or None, " | ".join(publishers) or None))
    return columns, out


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
