"""`strikedb sql` against a hostile user, on both backends (issue 18).

Every statement of :data:`HOSTILE` runs through the real CLI against a populated database, on
SQLite and on PostgreSQL (connected as a superuser, the worst case: only strikedb's own checks
and the read-only transaction stand in the way). For each one the test asserts that it was
refused with a clear message (or ran harmlessly), that every table's row count and the schema
are unchanged, that no file appeared (in a world-writable directory the server could write to,
and in the server's data directory), and that another open session is still alive and
untouched. A property-based test then hides write statements among random fragments of quotes,
comments, dollar quotes and semicolons.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import inspect, text

from events import analysis, migrate
from events.cli import run
from events.db import make_engine, parse_url
from events.errors import StrikeDBError
from events.sqlguard import check_postgresql, function_allowed, pg_placeholders, sqlite_statements
from tests.analysis_fixtures import add_sample_data
from tests.conftest import BACKENDS

#: (statement, may it run?) - ``{tmp}`` is a world-writable directory, ``{victim}`` the backend
#: pid of another open session. Statements that may run must run harmlessly (checked like all).
HOSTILE: list[tuple[str, bool]] = [
    # The issue's own attacks.
    (
        "SELECT (ARRAY[']'])[1] AS a; COMMIT; BEGIN READ WRITE; DELETE FROM event_sources; DELETE FROM events; "
        "COMMIT; SELECT 'x'",
        False,
    ),
    (
        "SELECT (ARRAY[']'])[1] AS a; COMMIT; COPY (SELECT current_user) TO PROGRAM 'id > {tmp}/pwned-id.txt'; "
        "SELECT 1",
        False,
    ),
    ("SELECT \"pg_read_file\"('/etc/passwd')", False),
    ("SELECT pg_catalog.\"pg_ls_dir\"('/')", False),
    ('SELECT "pg_terminate_backend"({victim})', False),
    ("SELECT usename, passwd FROM pg_shadow", False),
    ("SELECT $a$; DELETE FROM events; $a$", True),  # a string on PostgreSQL, three statements on SQLite
    # Quoting and prefix tricks on function names.
    ("SELECT PG_CATALOG.PG_READ_FILE('/etc/passwd')", False),
    ('SELECT "pg_catalog"."pg_read_file"(\'/etc/passwd\')', False),
    ("SELECT U&\"pg\\005fread\\005ffile\"('/etc/passwd')", False),
    ("SELECT pg_terminate_backend({victim})", False),
    ("SELECT pg_cancel_backend({victim})", False),
    ("SELECT * FROM events WHERE id IN (SELECT pg_terminate_backend({victim}))", False),
    ("SELECT 1 UNION ALL SELECT length(pg_read_file('/etc/passwd'))", False),
    ("SELECT (SELECT pg_read_file('/etc/passwd'))", False),
    ("SELECT pg_read_binary_file('/etc/passwd')", False),
    ("SELECT pg_stat_file('/etc/passwd')", False),
    ("SELECT * FROM pg_ls_dir('.')", False),
    ("SELECT current_setting('data_directory')", False),
    # Catalog secrets.
    ("SELECT rolname, rolpassword FROM pg_authid", False),
    ('SELECT * FROM "pg_catalog"."pg_authid"', False),
    ("TABLE pg_authid", False),
    ("SELECT * FROM pg_catalog.pg_user_mapping", False),
    ("SELECT query FROM pg_stat_activity", False),
    ("SELECT * FROM pg_catalog.pg_statistic", False),
    ("SELECT * FROM pg_hba_file_rules", False),
    # Arrays, dollar quotes, comments and semicolons in every context.
    ("SELECT $$;$$; DELETE FROM events", False),
    ("SELECT $tag$ $$ ; $tag$; DELETE FROM events; SELECT $tag$ x $tag$", False),
    ("SELECT [a;b]; DELETE FROM events", False),
    ('SELECT "x;"; DELETE FROM events', False),
    ("SELECT `a;b`; DELETE FROM events", False),
    ("SELECT 'it''s; ok'; DELETE FROM events", False),
    ("SELECT E'\\'; DELETE FROM events; --'", True),  # one escaped string on PostgreSQL
    ("SELECT 1 /* ; */ ; DELETE FROM events", False),
    ("SELECT 1 -- ;\n; DELETE FROM events", False),
    ("/* nested /* comment */ ; DELETE FROM events; */ SELECT 1", True),  # PG nests comments, SQLite does not
    ("SELECT 1;;;DELETE FROM events", False),
    ("SELECT * FROM events; SELECT 1", False),
    ("END; DELETE FROM events", False),
    ("SAVEPOINT s; DELETE FROM events; RELEASE s", False),
    # Writes, writable CTEs, SELECT INTO, row locks.
    ("DELETE FROM events", False),
    ("UPDATE events SET country = 'XX'", False),
    ("INSERT INTO events DEFAULT VALUES", False),
    ("REPLACE INTO facilities (slug, name, facility_type) VALUES ('x', 'X', 'refinery')", False),
    ("DROP TABLE events", False),
    ("TRUNCATE events CASCADE", False),
    ("WITH gone AS (DELETE FROM events RETURNING id) SELECT count(*) FROM gone", False),
    ("WITH x AS (UPDATE events SET country = 'XX' RETURNING 1) SELECT * FROM x", False),
    ("WITH x AS (INSERT INTO sources (url) VALUES ('http://x') RETURNING 1) SELECT * FROM x", False),
    ("WITH x AS (SELECT 1) DELETE FROM events", False),
    ("EXPLAIN ANALYZE DELETE FROM events", False),
    ("EXPLAIN (ANALYZE) WITH d AS (DELETE FROM events RETURNING 1) SELECT * FROM d", False),
    ("SELECT * INTO scratch FROM events", False),
    ("CREATE TABLE scratch AS SELECT * FROM events", False),
    ("SELECT * FROM events FOR UPDATE", False),
    ("SELECT * FROM events FOR SHARE NOWAIT", False),
    ("LOCK TABLE events IN ACCESS EXCLUSIVE MODE", False),
    # COPY, files, large objects, dblink, SQL given as text.
    ("COPY events TO '{tmp}/pwned-copy.csv'", False),
    ("COPY (SELECT 1) TO PROGRAM 'touch {tmp}/pwned-program'", False),
    ("COPY events FROM '/etc/passwd'", False),
    ("SELECT lo_import('/etc/passwd')", False),
    ("SELECT lo_export(lo_create(0), '{tmp}/pwned-lo')", False),
    ("SELECT * FROM pg_largeobject", False),
    ("SELECT dblink_exec('dbname=postgres', 'DROP TABLE events')", False),
    ("SELECT query_to_xml('DELETE FROM events RETURNING 1', true, false, '')", False),
    ("DO $$ BEGIN DELETE FROM events; END $$", False),
    ("PREPARE p AS DELETE FROM events", False),
    ("EXECUTE p", False),
    ("SELECT xmlparse(document '<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><x>&e;</x>')", True),
    # Roles, settings, transactions, other sessions.
    ("SELECT set_config('default_transaction_read_only', 'off', false)", False),
    ("SELECT set_config('statement_timeout', '0', false)", False),
    ("SET default_transaction_read_only = off", False),
    ("SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE", False),
    ("RESET ALL", False),
    ("ALTER SYSTEM SET statement_timeout = 1", False),
    ("CREATE ROLE pwned SUPERUSER LOGIN", False),
    ("ALTER ROLE CURRENT_USER SET default_transaction_read_only = off", False),
    ("GRANT ALL ON events TO PUBLIC", False),
    ("SET ROLE postgres", False),
    ("BEGIN", False),
    ("COMMIT", False),
    ("SELECT pg_advisory_lock(1)", False),
    ("SELECT nextval('events_id_seq')", False),
    ("SELECT txid_current()", False),
    ("LISTEN pwned", False),
    ("NOTIFY pwned", False),
    ("VACUUM", False),
    ("ANALYZE events", False),
    # SQLite-specific ways out.
    ("ATTACH DATABASE '{tmp}/pwned-attach.db' AS other", False),
    ("VACUUM INTO '{tmp}/pwned-vacuum.db'", False),
    ("PRAGMA writable_schema = ON", False),
    ("PRAGMA journal_mode = DELETE", False),
    ("PRAGMA user_version = 7", False),
    ("SELECT load_extension('{tmp}/pwned.so')", False),
    ("SELECT writefile('{tmp}/pwned-writefile', 'x')", False),
    ("SELECT * FROM sqlite_master; DELETE FROM events", False),
    # Long-running and huge queries: cancelled at the timeout, or streamed and counted.
    ("SELECT pg_sleep(30)", False),
    ("WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c", True),
    ("SELECT a.id FROM events a, events b, events c, events d, events e, events f", True),
    ("SHOW hba_file", True),
]

#: What a clear refusal or failure says (the first line after "Error:").
CLEAR = (
    "refused",
    "one statement at a time",
    "syntax error",
    "does not parse",
    "cancelled",
    "no such",
    "not authorized",
    "does not exist",
    "is empty",
    "cannot run",
    "unrecognized",
    "incomplete input",
    "unknown",
    "not allowed",
    "cannot read the query",
    "unterminated",
)


@dataclass
class Hostile:
    """A populated database, a world-writable directory and a second open session."""

    backend: str
    url: str
    tmp: Path
    victim: Any
    victim_pid: int
    admin_url: str | None = None


def _counts(url: str) -> dict[str, Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        tables = sorted(inspect(conn).get_table_names())
        tables = [t for t in tables if t != "spatial_ref_sys"]
        counts = {t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar() for t in tables}
        if engine.dialect.name == "sqlite":
            schema = conn.execute(text("SELECT type, name, sql FROM sqlite_master ORDER BY name")).all()
            extra = conn.execute(text("PRAGMA user_version")).scalar()
        else:
            schema = conn.execute(
                text(
                    "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
                    "ORDER BY 1, 2"
                )
            ).all()
            extra = conn.execute(
                text(
                    "SELECT count(*), count(*) FILTER (WHERE rolname = 'pwned'), "
                    "(SELECT count(*) FROM pg_largeobject_metadata), "
                    "(SELECT array_agg(f ORDER BY f) FROM pg_ls_dir('.') f) FROM pg_roles"
                )
            ).one()
    engine.dispose()
    return {"counts": counts, "schema": schema, "extra": extra}


@pytest.fixture(scope="module", params=BACKENDS)
def hostile(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hostile]:
    tmp = tmp_path_factory.mktemp("hostile")
    os.chmod(tmp, 0o1777)  # the PostgreSQL server (another user) could write here if it were let
    if request.param == "sqlite":
        url = f"sqlite:///{tmp / 'strikes.db'}"
        engine = make_engine(url)
        migrate.upgrade(engine)
        add_sample_data(engine)
        engine.dispose()
        victim = sqlite3.connect(tmp / "strikes.db")
        yield Hostile("sqlite", url, tmp, victim, 0)
        victim.close()
        return
    server = request.getfixturevalue("pg_server")
    url = server.migrated_database()
    engine = make_engine(url)
    add_sample_data(engine)
    engine.dispose()
    victim = psycopg.connect(
        parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
    )
    pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
    try:
        yield Hostile("postgresql", url, tmp, victim, pid)
    finally:
        victim.close()
        server.drop(url)


def _victim_ok(env: Hostile) -> None:
    """The other session is alive, was not cancelled or killed, and kept its settings."""
    if env.backend == "sqlite":
        assert env.victim.execute("SELECT count(*) FROM events").fetchone()[0] == 10
        return
    row = env.victim.execute(
        "SELECT pg_backend_pid(), current_setting('default_transaction_read_only'), (SELECT count(*) FROM events)"
    ).fetchone()
    assert row == (env.victim_pid, "off", 10)


@pytest.mark.parametrize(("statement", "may_run"), HOSTILE, ids=[f"h{i:02d}" for i in range(len(HOSTILE))])
def test_hostile_statement_changes_nothing(hostile: Hostile, statement: str, may_run: bool, capsys) -> None:
    sql = statement.format(tmp=hostile.tmp, victim=hostile.victim_pid or 1)
    before = _counts(hostile.url)
    code = run(["--db", hostile.url, "sql", "--timeout", "3", sql])
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    if code != 0 or not may_run:
        assert code == 1, (sql, out, err)
        first = err.split("Error:", 1)[1].splitlines()[0].lower()
        assert any(word in first for word in CLEAR), (sql, err)
    assert "root:" not in out  # /etc/passwd never comes back
    assert _counts(hostile.url) == before, sql
    assert not list(hostile.tmp.glob("pwned*")), sql
    _victim_ok(hostile)


def test_the_corpus_is_big_enough_and_documented() -> None:
    assert len(HOSTILE) >= 60
    assert len({s for s, _ in HOSTILE}) == len(HOSTILE)
    docs = Path(__file__).resolve().parents[2] / "docs"
    assert f"{len(HOSTILE)} hostile statements" in (docs / "security.md").read_text(encoding="utf-8")
    assert f"{len(HOSTILE)} hostile statements" in (docs / "reliability.md").read_text(encoding="utf-8")
    assert f"{EXAMPLES} examples per backend" in (docs / "security.md").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- property-based

_FRAGMENTS = [
    "'",
    '"',
    "$$",
    "$a$",
    "[",
    "]",
    "`",
    "/*",
    "*/",
    "--",
    "\n",
    ";",
    "(",
    ")",
    "E'\\'",
    "\\",
    "SELECT 1",
    "SELECT (ARRAY[']'])[1]",
    "COMMIT;",
    "BEGIN READ WRITE;",
    " ",
    "WITH x AS (",
    ") SELECT 1 FROM x",
    "EXPLAIN ANALYZE ",
    ":p",
    "%",
    "%s",
    'U&"',
    "$1",
    "::text",
    "VALUES (1)",
    "TABLE events",
    "SET LOCAL x = 1;",
]
_WRITES = [
    "DELETE FROM events",
    "UPDATE events SET country = 'XX'",
    "INSERT INTO sources (url) VALUES ('x')",
    "DROP TABLE event_sources",
    "TRUNCATE events CASCADE",
    "ALTER TABLE events ADD COLUMN pwned INTEGER",
    "COMMIT; DELETE FROM events",
    "SELECT set_config('default_transaction_read_only', 'off', false)",
    "WITH d AS (DELETE FROM events RETURNING 1) SELECT 1",
    "CREATE TABLE pwned (x INTEGER)",
]


EXAMPLES = 150


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    before=st.lists(st.sampled_from(_FRAGMENTS), max_size=6),
    write=st.sampled_from(_WRITES),
    after=st.lists(st.sampled_from(_FRAGMENTS), max_size=6),
)
def test_fragments_around_a_write_change_nothing(
    hostile: Hostile, before: list[str], write: str, after: list[str]
) -> None:
    sql = "".join(before) + write + "".join(after)
    counts = _counts(hostile.url)
    engine = make_engine(hostile.url, read_only=True)
    try:
        analysis.run_query(engine, sql, {"p": "1"}, timeout=2)
    except StrikeDBError:
        pass
    finally:
        engine.dispose()
    assert _counts(hostile.url) == counts, sql
    _victim_ok(hostile)


# --------------------------------------------------------------------------- the checkers themselves


@pytest.mark.parametrize(
    ("sql", "count"),
    [
        ("SELECT ';', [a;b], \"x;y\", `q;r` FROM t; -- c;", 1),
        ("SELECT 'it''s;'; SELECT 2", 2),
        ("/* ; */ SELECT 1 /* ; */", 1),
        ("SELECT $a$; DELETE FROM events; $a$", 3),  # $a$ is a parameter name in SQLite, not a quote
        ("CREATE TRIGGER t AFTER INSERT ON x BEGIN SELECT 1; SELECT 2; END; SELECT 3", 2),
        ("-- only a comment\n ; /* another */ ;", 0),
        ("SELECT 1 -- trailing", 1),
    ],
)
def test_sqlite_statements_follow_sqlite_tokenizer(sql: str, count: int) -> None:
    assert len(sqlite_statements(sql)) == count


def test_pg_placeholders_are_real_tokens_only() -> None:
    sql = "SELECT 'a :b', $$ :c $$, \":d\", x::int, a[1:n], :e -- :f\n FROM t WHERE y LIKE '%:g%' AND z = :e"
    assert [p.name for p in pg_placeholders(sql)] == ["e", "e"]
    statement = check_postgresql(sql)
    assert statement.params == ("e",)
    assert statement.driver_sql.count("%(e)s") == 2 and "'%%:g%%'" in statement.driver_sql


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        (("count",), True),
        (("pg_catalog", "count"), True),
        (("st_distance",), True),
        (("public", "st_dwithin"), True),
        (("distance_km",), True),
        (("public", "distance_km"), True),
        (("pg_read_file",), False),
        (("pg_catalog", "pg_read_file"), False),
        (("Count",), False),
        (("st_asgdalraster",), False),
        (("st_fromgdalraster",), False),
        (("evil", "count"), False),
        (("pg_catalog", "st_distance"), False),
        (("a", "b", "count"), False),
        (("lo_export",), False),
    ],
)
def test_function_allow_list(name: tuple[str, ...], allowed: bool) -> None:
    assert function_allowed(name) is allowed
