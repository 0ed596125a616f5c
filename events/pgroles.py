"""PostgreSQL reader roles: logins that may only read strikedb's tables and views.

``strikedb db reader create NAME`` makes a login role that is a member of one group role per
database (:func:`reader_group`). Only the group holds privileges: ``CONNECT`` on the database,
``USAGE`` on schema ``public``, ``SELECT`` on every table and view there and ``EXECUTE`` on
``distance_km``. Future migrations keep those grants in two ways: ``ALTER DEFAULT PRIVILEGES``
for the roles that create strikedb's tables, and :func:`refresh_reader_grants` at the end of
every ``strikedb db upgrade``. The login also gets ``default_transaction_read_only = on``.

With such a role the server itself refuses every write, whatever ``strikedb sql``'s own checks
let through; see ``docs/security.md``.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from events.errors import ConfigError, InputError, StrikeDBError

#: Prefix of the per-database group role that holds the read privileges.
GROUP_PREFIX = "strikedb_readers_"
_ROLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$.-]{0,62}$")
_DISTANCE_KM = "distance_km(double precision, double precision, double precision, double precision)"


@dataclass
class ReaderReport:
    """What ``reader create`` / ``drop`` did, for the CLI to print."""

    role: str
    group: str
    database: str
    notes: list[str] = field(default_factory=list)


def reader_group(database: str) -> str:
    """Name of the group role holding read privileges on ``database`` (at most 63 bytes)."""
    name = GROUP_PREFIX + database
    if len(name.encode()) <= 63:
        return name
    digest = hashlib.sha1(database.encode()).hexdigest()[:8]  # a name, not a secret
    return GROUP_PREFIX + database.encode()[: 63 - len(GROUP_PREFIX) - 9].decode(errors="ignore") + "_" + digest


def _require_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        raise ConfigError(
            "reader roles exist on PostgreSQL only",
            hint="a SQLite file is protected by file permissions; `strikedb sql` opens it read-only",
        )


def _check_name(name: str) -> None:
    if not _ROLE_NAME.match(name) or name.lower().startswith(("pg_", GROUP_PREFIX)):
        raise InputError(
            f"{name!r} cannot be a reader role name",
            hint="use letters, digits and _ (up to 63), not starting with pg_ or strikedb_readers_",
        )


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _role_exists(cursor: Any, name: str) -> bool:
    cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (name,))
    return cursor.fetchone() is not None


def _table_owners(cursor: Any) -> list[str]:
    """Roles that own strikedb's tables in schema public (they create the next ones too)."""
    cursor.execute(
        "SELECT DISTINCT pg_get_userbyid(c.relowner) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'm', 'p') AND c.relname <> 'spatial_ref_sys'"
    )
    return [row[0] for row in cursor.fetchall()]


def _grant_statements(database: str, group: str, distance_km: bool) -> list[str]:
    statements = [
        f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(group)}",
        f"GRANT USAGE ON SCHEMA public TO {_ident(group)}",
        f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {_ident(group)}",
    ]
    if distance_km:
        statements.append(f"GRANT EXECUTE ON FUNCTION public.{_DISTANCE_KM} TO {_ident(group)}")
    return statements


def _has_distance_km(cursor: Any) -> bool:
    cursor.execute(f"SELECT to_regprocedure('public.{_DISTANCE_KM}') IS NOT NULL")
    return bool(cursor.fetchone()[0])


def create_reader(engine: Engine, name: str, password: str | None = None) -> ReaderReport:
    """Create the login role ``name`` that may only read this database's strikedb tables and views.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Connected as a role that may create roles and owns (or is superuser over) the database.
    name : str
        The new login role.
    password : str, optional
        Stored as a SCRAM-SHA-256 verifier computed here, so the clear text never reaches the
        server or its logs. Without one the role can log in only by another method (peer, cert).

    Returns
    -------
    ReaderReport

    Raises
    ------
    InputError
        For a bad name or a role that already exists.
    StrikeDBError
        When the server refuses (e.g. the connected role may not create roles).
    """
    _require_postgresql(engine)
    _check_name(name)
    database = engine.url.database or ""
    group = reader_group(database)
    report = ReaderReport(role=name, group=group, database=database)
    with _server_transaction(engine, "create the reader role") as (dbapi, cursor):
        if _role_exists(cursor, name):
            raise InputError(
                f"role {name} already exists",
                hint=f"choose another name, or remove it first with `strikedb db reader drop {name}`",
            )
        if not _role_exists(cursor, group):
            cursor.execute(f"CREATE ROLE {_ident(group)} NOLOGIN")
            report.notes.append(f"created group role {group}, which holds the read privileges")
        for statement in _grant_statements(database, group, _has_distance_km(cursor)):
            cursor.execute(statement)
        report.notes += _default_privileges(cursor, group)
        secret = ""
        if password:
            verifier = dbapi.pgconn.encrypt_password(password.encode(), name.encode(), b"scram-sha-256")
            secret = f" PASSWORD {_literal(verifier.decode())}"
        cursor.execute(
            f"CREATE ROLE {_ident(name)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION "
            f"NOBYPASSRLS INHERIT{secret} IN ROLE {_ident(group)}"
        )
        cursor.execute(f"ALTER ROLE {_ident(name)} SET default_transaction_read_only = on")
    if not password:
        report.notes.append("no password set: log in by peer/certificate, or set one with --password-env VAR")
    return report


def _default_privileges(cursor: Any, group: str) -> list[str]:
    """``ALTER DEFAULT PRIVILEGES`` for every role that owns strikedb tables, and the current one."""
    cursor.execute("SELECT current_user")
    roles = sorted({cursor.fetchone()[0], *_table_owners(cursor)})
    notes = []
    for role in roles:
        cursor.execute("SAVEPOINT strikedb_defaults")
        try:
            cursor.execute(
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {_ident(role)} IN SCHEMA public GRANT SELECT ON TABLES TO "
                f"{_ident(group)}"
            )
            cursor.execute("RELEASE SAVEPOINT strikedb_defaults")
        except Exception as exc:  # not a member of that role: the grant step of `db upgrade` covers it
            cursor.execute("ROLLBACK TO SAVEPOINT strikedb_defaults")
            notes.append(
                f"cannot set default privileges for tables created by {role} ({_first_line(exc)}); "
                "`strikedb db upgrade` grants new tables to the readers anyway"
            )
    return notes


def drop_reader(engine: Engine, name: str) -> ReaderReport:
    """Remove the reader login role ``name`` (only a member of this database's reader group).

    Raises
    ------
    InputError
        When the role does not exist or is not a strikedb reader of this database.
    """
    _require_postgresql(engine)
    database = engine.url.database or ""
    group = reader_group(database)
    report = ReaderReport(role=name, group=group, database=database)
    with _server_transaction(engine, "drop the reader role") as (_, cursor):
        if not _role_exists(cursor, name):
            raise InputError(f"role {name} does not exist")
        is_reader = False
        if _role_exists(cursor, group):
            cursor.execute(
                "SELECT pg_has_role(%s, %s, 'MEMBER') AND NOT rolsuper FROM pg_roles WHERE rolname = %s",
                (name, group, name),
            )
            is_reader = bool(cursor.fetchone()[0])
        if not is_reader:
            raise InputError(
                f"role {name} is not a strikedb reader of database {database}",
                hint="only roles made with `strikedb db reader create` are dropped by this command",
            )
        cursor.execute(f"DROP ROLE {_ident(name)}")
    return report


def refresh_reader_grants(engine: Engine) -> list[str]:
    """Grant this database's reader group ``SELECT`` on every table and view (run after migrations).

    Does nothing when no reader was ever created here. A refusal (the upgrading role may not
    grant) is returned as a note, never an error: the upgrade itself has succeeded.

    Returns
    -------
    list of str
        Notes for the user.
    """
    group = reader_group(engine.url.database or "")
    with engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        try:
            with dbapi.transaction(), dbapi.cursor() as cursor:
                if not _role_exists(cursor, group):
                    return []
                for statement in _grant_statements(engine.url.database or "", group, _has_distance_km(cursor))[1:]:
                    cursor.execute(statement)
        except Exception as exc:
            return [f"could not grant the reader role {group} the new tables: {_first_line(exc)}"]
    return []


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


@contextlib.contextmanager
def _server_transaction(engine: Engine, what: str) -> Iterator[tuple[Any, Any]]:
    """Yield ``(psycopg connection, cursor)`` in one transaction; a refusal of the server becomes a StrikeDBError."""
    with engine.connect() as conn:
        dbapi = conn.connection.driver_connection
        try:
            with dbapi.transaction(), dbapi.cursor() as cursor:
                yield dbapi, cursor
        except StrikeDBError:
            raise
        except Exception as exc:
            raise _server_error(exc, what) from exc


def _server_error(exc: BaseException, what: str) -> StrikeDBError:
    return StrikeDBError(
        f"the server refused to {what}: {_first_line(exc)}",
        hint="run it connected as a superuser, or as a role with CREATEROLE that owns the database",
    )
