"""SQLite: copies through the online backup API, verified, and restores into the live file."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path

import events.backup.common as common
from events.backup.common import SQLITE_MAGIC, BackupReport
from events.errors import ConfigError, InputError, StrikeDBError


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
        for name in common.counted_tables()
        if name in present
    }


def _sqlite_integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """Return SQLite's integrity and foreign-key problems (empty when the file is sound)."""
    problems = [r[0] for r in conn.execute("PRAGMA integrity_check") if r[0] != "ok"]
    problems += [
        f"foreign key violation in {r[0]} rowid {r[1]} -> {r[2]}" for r in conn.execute("PRAGMA foreign_key_check")
    ]
    return problems


def _open_sqlite_read_only(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(f"file:{path.resolve()}?mode=ro", uri=True, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout = 30000")
    return conn


def read_sqlite_copy(path: Path) -> tuple[str, dict[str, int]]:
    """Verify a SQLite backup file and return its revision and row counts.

    Raises
    ------
    InputError
        When the file is missing, not SQLite, damaged, or not a strikedb database.
    """
    common.require_backup_file(
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
        revision = common.check_revision(_sqlite_revision(conn), str(path))
        return revision, _sqlite_counts(conn)
    except sqlite3.DatabaseError as exc:
        raise InputError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    finally:
        conn.close()


def _remove_sqlite_file(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def backup_sqlite(source: Path, destination: Path) -> BackupReport:
    """Copy a live SQLite database to ``destination`` and verify the copy."""
    if not source.is_file():
        raise ConfigError(f"database file {source} does not exist")
    partial = common.temporary_beside(destination)
    _remove_sqlite_file(partial)
    src = _open_sqlite_read_only(source)
    try:
        dst = sqlite3.connect(partial, isolation_level=None)
        try:
            # One read transaction around the counts and the copy: both see the same snapshot,
            # so the copy can be checked against exact numbers even while others write.
            src.execute("BEGIN")
            revision = common.check_revision(_sqlite_revision(src), f"database {source}")
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
        copy_revision, counts = read_sqlite_copy(partial)
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
    return BackupReport.of_file(destination, "sqlite", revision, counts, common.revision_notes(revision))


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


def restore_sqlite(backup: Path, target: Path, *, force: bool) -> BackupReport:
    """Write a verified SQLite backup into ``target`` through the backup API."""
    revision, counts = read_sqlite_copy(backup)
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
    return BackupReport.of_file(
        backup, "sqlite", revision, restored, common.revision_notes(revision), previous_copy=previous
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


__all__ = ["backup_sqlite", "read_sqlite_copy", "restore_sqlite"]
