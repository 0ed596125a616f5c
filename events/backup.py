"""Back up and restore a strikedb database, verifying every copy.

SQLite uses the online backup API (:meth:`sqlite3.Connection.backup`): the copy is a consistent
snapshot even while other processes read or write, and a restore writes into the live file
through SQLite's own locking, so readers in WAL mode never see a half-restored database.

PostgreSQL is backed up with ``pg_dump -Fc`` and restored with ``pg_restore`` when these
client programs are on ``PATH``; otherwise a :class:`~events.errors.StrikeDBError` carries the
exact command lines to run by hand.

Every backup is written to a temporary file beside the destination, verified, and only then
renamed into place, so a crash never leaves a truncated file under the backup's name.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from events import migrate
from events.db import make_engine, parse_url, resolve_url, sqlite_path
from events.errors import ConfigError, InputError, StrikeDBError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_ARCHIVE_MAGIC = b"PGDMP"


@functools.cache
def counted_tables() -> tuple[str, ...]:
    """Return the tables whose row counts are reported and compared (every table of the models).

    Read from the models on first use: the CLI imports this module at start-up and the ORM
    models are not needed for ``strikedb --help``.
    """
    from events.models import Base

    return tuple(table.name for table in Base.metadata.sorted_tables)


@dataclass
class BackupReport:
    """What a backup or restore produced.

    Attributes
    ----------
    path : pathlib.Path
        The backup file written (backup) or read (restore).
    backend : str
        ``sqlite`` or ``postgresql``.
    revision : str
        The Alembic revision recorded in the copy.
    counts : dict
        Rows per table in the copy, verified against the source where the backend allows it.
    size_bytes : int
        Size of the backup file.
    previous_copy : pathlib.Path or None
        On a forced SQLite restore, where the database that was overwritten was saved.
    notes : list of str
        Things the user should know (e.g. "run strikedb db upgrade").
    """

    path: Path
    backend: str
    revision: str
    counts: dict[str, int] = field(default_factory=dict)
    size_bytes: int = 0
    previous_copy: Path | None = None
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------------------------
# SQLite helpers
# --------------------------------------------------------------------------------------------


def _sqlite_revision(conn: sqlite3.Connection) -> str | None:
    """Return the Alembic revision stored in a SQLite database, or None without a schema."""
    has_table = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'alembic_version'").fetchone()
    if not has_table:
        return None
    rows = conn.execute("SELECT version_num FROM alembic_version").fetchall()
    return ",".join(sorted(r[0] for r in rows)) or None


def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    """Count the rows of every model table present in a SQLite database."""
    present = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    # Table names come from our own models, never from input, so formatting them in is safe.
    return {
        name: conn.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0]
        for name in counted_tables()
        if name in present
    }


def _sqlite_integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """Return SQLite's integrity and foreign-key problems (empty when the file is sound)."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [
        f"foreign key violation in {r[0]} rowid {r[1]} -> {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")
    ]
    return problems


def _known_revisions() -> set[str]:
    return {rev for rev, _, _ in migrate.history()}


def _check_revision(revision: str | None, what: str) -> str:
    """Refuse a copy without a strikedb schema or at a revision this code does not know."""
    if revision is None:
        raise InputError(
            f"{what} has no strikedb schema (no alembic_version table)",
            hint="only databases created by `strikedb db upgrade` can be backed up and restored",
        )
    unknown = set(revision.split(",")) - _known_revisions()
    if unknown:
        raise InputError(
            f"{what} is at revision {revision}, which this strikedb does not know",
            hint="upgrade strikedb itself; the database was migrated by a newer version",
        )
    return revision


def _revision_notes(revision: str) -> list[str]:
    heads = ",".join(sorted(migrate.heads()))
    if revision != heads:
        return [f"the copy is at revision {revision}, the code at {heads}: run `strikedb db upgrade`"]
    return []


def _open_sqlite_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def _read_sqlite_copy(path: Path) -> tuple[str, dict[str, int]]:
    """Verify a SQLite backup file and return its revision and row counts.

    Raises
    ------
    InputError
        When the file is missing, not SQLite, damaged, or not a strikedb database.
    """
    _require_backup_file(
        path,
        SQLITE_MAGIC,
        "a SQLite database",
        hint="a PostgreSQL backup (pg_dump -Fc) can only be restored into a postgresql:// database",
    )
    conn = _open_sqlite_read_only(path)
    try:
        problems = _sqlite_integrity_problems(conn)
        if problems:
            raise InputError(f"{path} is damaged: {'; '.join(problems[:5])}", hint="use an older backup")
        revision = _check_revision(_sqlite_revision(conn), str(path))
        return revision, _sqlite_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    finally:
        conn.close()


def _temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _backup_sqlite(source: Path, destination: Path) -> BackupReport:
    """Copy a live SQLite database to ``destination`` and verify the copy."""
    if not source.is_file():
        raise ConfigError(f"database file {source} does not exist")
    partial = _temporary_beside(destination)
    _remove_sqlite_file(partial)
    src = _open_sqlite_read_only(source)
    try:
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            # One read transaction around the counts and the copy: both see the same snapshot,
            # so the copy can be checked against exact numbers even while others write.
            src.execute("BEGIN")
            revision = _check_revision(_sqlite_revision(src), f"database {source}")
            expected = _sqlite_counts(src)
            src.backup(dst)
            src.execute("COMMIT")
            # A backup should be one self-contained file, not a WAL-mode database with side files.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        _remove_sqlite_file(partial)
        raise StrikeDBError(f"backup of {source} failed: {exc}") from exc
    finally:
        src.close()
    try:
        copy_revision, counts = _read_sqlite_copy(partial)
        if (copy_revision, counts) != (revision, expected):
            raise StrikeDBError(
                f"the backup does not match the database (revision {copy_revision} vs {revision}, "
                f"counts {counts} vs {expected})",
                hint="run the backup again; if it keeps failing, check the disk",
            )
        os.replace(partial, destination)
    except BaseException:
        _remove_sqlite_file(partial)
        raise
    return BackupReport(
        path=destination,
        backend="sqlite",
        revision=revision,
        counts=counts,
        size_bytes=destination.stat().st_size,
        notes=_revision_notes(revision),
    )


def _has_user_tables(path: Path) -> bool:
    if not path.exists() or path.stat().st_size == 0:
        return False
    conn = _open_sqlite_read_only(path)
    try:
        return conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0] > 0
    except sqlite3.DatabaseError:
        # Not a database at all: still something the user may care about, so treat it as content.
        return True
    finally:
        conn.close()


def _previous_copy_path(target: Path) -> Path:
    stamp = dt.datetime.now().strftime("%Y%m%dT%H%M%S")
    return target.with_name(f"{target.stem}.pre-restore-{stamp}{target.suffix or '.db'}")


def _restore_sqlite(backup: Path, target: Path, *, force: bool) -> BackupReport:
    """Write a verified SQLite backup into ``target`` through the backup API."""
    revision, counts = _read_sqlite_copy(backup)
    if not target.parent.exists():
        raise ConfigError(f"directory {target.parent} does not exist")
    previous: Path | None = None
    if _has_user_tables(target):
        if not force:
            raise StrikeDBError(
                f"{target} already holds a database",
                hint="add --force to replace it (the current file is first saved as *.pre-restore-*.db)",
            )
        previous = _previous_copy_path(target)
        _backup_raw_sqlite(target, previous)
    src = _open_sqlite_read_only(backup)
    try:
        dst = sqlite3.connect(target, isolation_level=None, timeout=30)
        try:
            dst.execute("PRAGMA busy_timeout = 30000")
            # The backup API takes the target's write lock and replaces its pages in one step;
            # readers of a WAL database keep their snapshot until they start a new transaction.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = WAL")
            problems = _sqlite_integrity_problems(dst)
            restored = _sqlite_counts(dst)
        finally:
            dst.close()
    except sqlite3.DatabaseError as exc:
        raise StrikeDBError(
            f"restore into {target} failed: {exc}",
            hint=f"the previous database was saved as {previous}" if previous else None,
        ) from exc
    finally:
        src.close()
    if problems or restored != counts:
        raise StrikeDBError(
            f"the restored database does not match the backup ({'; '.join(problems[:3]) or restored})",
            hint=f"the previous database was saved as {previous}" if previous else None,
        )
    return BackupReport(
        path=backup,
        backend="sqlite",
        revision=revision,
        counts=restored,
        size_bytes=backup.stat().st_size,
        previous_copy=previous,
        notes=_revision_notes(revision),
    )


def _backup_raw_sqlite(source: Path, destination: Path) -> None:
    """Copy any SQLite file (strikedb or not) with the backup API, without verification."""
    src = _open_sqlite_read_only(source)
    try:
        dst = sqlite3.connect(destination, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
    except sqlite3.DatabaseError:
        # Not a database: keep the bytes as they are.
        shutil.copyfile(source, destination)
    finally:
        src.close()


# --------------------------------------------------------------------------------------------
# PostgreSQL helpers
# --------------------------------------------------------------------------------------------


def _libpq_url(url: URL) -> tuple[str, dict[str, str]]:
    """Return a libpq connection URL without the password, and the environment carrying it.

    The password travels in ``PGPASSWORD`` so it never shows in ``ps`` output or hints.
    """
    env = dict(os.environ)
    if url.password is not None:
        env["PGPASSWORD"] = str(url.password)
    plain = URL.create(
        "postgresql", username=url.username, host=url.host, port=url.port, database=url.database, query=url.query
    )
    return plain.render_as_string(hide_password=False), env


def pg_dump_command(url: str, destination: Path) -> list[str]:
    """Return the ``pg_dump`` command line that backs up ``url`` to ``destination``.

    Parameters
    ----------
    url : str
        A ``postgresql://`` database URL.
    destination : pathlib.Path
        The archive to write (custom format, restorable with ``pg_restore``).

    Returns
    -------
    list of str
    """
    conninfo, _ = _libpq_url(parse_url(url))
    return ["pg_dump", "--format=custom", "--no-owner", f"--file={destination}", f"--dbname={conninfo}"]


def pg_restore_command(url: str, backup: Path, *, clean: bool) -> list[str]:
    """Return the ``pg_restore`` command line that restores ``backup`` into ``url``.

    Parameters
    ----------
    url : str
        A ``postgresql://`` database URL (the database must exist).
    backup : pathlib.Path
        An archive written by ``pg_dump --format=custom``.
    clean : bool
        Drop the existing objects first (``--clean --if-exists``).

    Returns
    -------
    list of str
    """
    conninfo, _ = _libpq_url(parse_url(url))
    command = ["pg_restore", "--no-owner", "--single-transaction", "--exit-on-error", f"--dbname={conninfo}"]
    if clean:
        command[1:1] = ["--clean", "--if-exists"]
    return [*command, str(backup)]


def _require_program(program: str, command: list[str]) -> str:
    found = shutil.which(program)
    if found is None:
        raise StrikeDBError(
            f"{program} is not installed, so strikedb cannot back up or restore PostgreSQL itself",
            hint="install the PostgreSQL client (Debian: apt-get install postgresql-client) or run: "
            + " ".join(command),
        )
    return found


def _run_pg_program(command: list[str], url: str) -> subprocess.CompletedProcess[str]:
    _require_program(command[0], command)
    _, env = _libpq_url(parse_url(url))
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise StrikeDBError(
            f"{command[0]} failed: {' / '.join(detail[-3:]) or f'exit code {result.returncode}'}",
            hint="the command was: " + " ".join(command),
        )
    return result


def _pg_archive_revision(backup: Path) -> str | None:
    """Read the Alembic revision stored in a ``pg_dump -Fc`` archive (None when absent)."""
    command = ["pg_restore", "--data-only", "--table=alembic_version", "--file=-", str(backup)]
    _require_program("pg_restore", command)
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["pg_restore failed"])[0]
        raise InputError(
            f"{backup} is not a readable pg_dump archive: {reason}",
            hint="the file is damaged or truncated; nothing was restored. Use another backup",
        )
    revisions: list[str] = []
    in_copy = False
    for line in result.stdout.splitlines():
        if line.startswith("COPY ") and "alembic_version" in line:
            in_copy = True
        elif in_copy and line == "\\.":
            in_copy = False
        elif in_copy and line:
            revisions.append(line.strip())
    return ",".join(sorted(revisions)) or None


def _pg_counts(engine: Engine) -> dict[str, int]:
    present = set(inspect(engine).get_table_names())
    with engine.connect() as conn:
        return {
            name: conn.execute(text(f'SELECT count(*) FROM "{name}"')).scalar_one()
            for name in counted_tables()
            if name in present
        }


def _backup_postgresql(url: str, destination: Path) -> BackupReport:
    engine = make_engine(url, read_only=True)
    try:
        revision = _check_revision(",".join(sorted(migrate.current(engine))) or None, "the database")
        counts = _pg_counts(engine)
    finally:
        engine.dispose()
    # Checked up front so the hint shows the command for the real destination, not the temporary file.
    _require_program("pg_dump", pg_dump_command(url, destination))
    partial = _temporary_beside(destination)
    partial.unlink(missing_ok=True)
    try:
        _run_pg_program(pg_dump_command(url, partial), url)
        archived = _pg_archive_revision(partial)
        if archived != revision:
            raise StrikeDBError(f"the archive records revision {archived}, the database {revision}")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    return BackupReport(
        path=destination,
        backend="postgresql",
        revision=revision,
        counts=counts,
        size_bytes=destination.stat().st_size,
        notes=["counts were taken just before pg_dump's snapshot; writes in between are in the archive too"],
    )


def _require_backup_file(path: Path, magic: bytes, kind: str, *, hint: str) -> None:
    """Raise :class:`InputError` unless ``path`` exists and starts with the ``magic`` bytes of ``kind``."""
    if not path.is_file():
        raise InputError(f"backup file {path} does not exist")
    with path.open("rb") as fh:
        if fh.read(len(magic)) != magic:
            raise InputError(f"{path} is not {kind}", hint=hint)


def _restore_postgresql(url: str, backup: Path, *, force: bool) -> BackupReport:
    _require_backup_file(
        backup,
        PG_ARCHIVE_MAGIC,
        "a pg_dump custom-format archive",
        hint="a SQLite backup can only be restored into a sqlite:/// database",
    )
    revision = _check_revision(_pg_archive_revision(backup), str(backup))
    engine = make_engine(url)
    try:
        occupied = bool(inspect(engine).get_table_names())
        if occupied and not force:
            raise StrikeDBError(
                "the target database already holds tables",
                hint="add --force to drop and replace them (make a backup of it first), or restore into a new "
                "database created with `createdb`",
            )
        engine.dispose()
        _run_pg_program(pg_restore_command(url, backup, clean=occupied), url)
        counts = _pg_counts(engine)
        restored_at = ",".join(sorted(migrate.current(engine)))
    finally:
        engine.dispose()
    if restored_at != revision:
        raise StrikeDBError(f"after pg_restore the database is at revision {restored_at!r}, expected {revision}")
    return BackupReport(
        path=backup,
        backend="postgresql",
        revision=revision,
        counts=counts,
        size_bytes=backup.stat().st_size,
        notes=_revision_notes(revision),
    )


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def backup_database(url: str | None, destination: str | Path, *, overwrite: bool = False) -> BackupReport:
    """Write a verified backup of a strikedb database to ``destination``.

    Parameters
    ----------
    url : str or None
        Database URL (resolved like ``--db``).
    destination : str or pathlib.Path
        File to write: a SQLite database for SQLite, a ``pg_dump -Fc`` archive for PostgreSQL.
    overwrite : bool
        Replace an existing ``destination``; refused otherwise.

    Returns
    -------
    BackupReport

    Raises
    ------
    StrikeDBError
        When the destination exists, the source has no strikedb schema, the copy does not
        verify, or (PostgreSQL) ``pg_dump`` is missing or fails; the hint says what to do.
    """
    parsed = parse_url(resolve_url(url))
    destination = Path(destination)
    if destination.exists() and not overwrite:
        raise StrikeDBError(f"{destination} already exists", hint="choose another file name or add --force")
    if not destination.parent.exists():
        raise ConfigError(f"directory {destination.parent} does not exist")
    if parsed.get_backend_name() == "sqlite":
        source = sqlite_path(parsed)
        if source is None:
            raise ConfigError("an in-memory SQLite database cannot be backed up")
        if source.resolve() == destination.resolve():
            raise ConfigError("the backup file is the database itself")
        return _backup_sqlite(source, destination)
    return _backup_postgresql(parsed.render_as_string(hide_password=False), destination)


def restore_database(url: str | None, backup: str | Path, *, force: bool = False) -> BackupReport:
    """Replace a database's content with a verified backup.

    Parameters
    ----------
    url : str or None
        Target database URL (resolved like ``--db``). A missing SQLite file is created.
    backup : str or pathlib.Path
        A file written by :func:`backup_database` for the same backend.
    force : bool
        Replace a target that already holds tables. On SQLite the replaced file is first
        saved beside it as ``<name>.pre-restore-<timestamp>.db``.

    Returns
    -------
    BackupReport
        The restored revision and row counts.

    Raises
    ------
    InputError
        When the backup is missing, damaged, of the other backend, or not a strikedb database
        at a revision this code knows.
    StrikeDBError
        When the target holds data and ``force`` is False, or the restore fails.
    """
    parsed = parse_url(resolve_url(url))
    backup = Path(backup)
    if parsed.get_backend_name() == "sqlite":
        target = sqlite_path(parsed)
        if target is None:
            raise ConfigError("cannot restore into an in-memory SQLite database")
        if backup.exists() and target.exists() and backup.resolve() == target.resolve():
            raise ConfigError("the backup file is the target database itself")
        return _restore_sqlite(backup, target, force=force)
    return _restore_postgresql(parsed.render_as_string(hide_password=False), backup, force=force)


def describe_backup(backup: str | Path) -> BackupReport:
    """Verify a SQLite backup file without restoring it and return its revision and counts.

    Parameters
    ----------
    backup : str or pathlib.Path

    Returns
    -------
    BackupReport

    Raises
    ------
    InputError
        When the file is not a sound strikedb SQLite database.
    """
    path = Path(backup)
    revision, counts = _read_sqlite_copy(path)
    return BackupReport(path=path, backend="sqlite", revision=revision, counts=counts, size_bytes=path.stat().st_size)


__all__ = [
    "BackupReport",
    "backup_database",
    "describe_backup",
    "pg_dump_command",
    "pg_restore_command",
    "restore_database",
]
