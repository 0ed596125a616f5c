"""Back up, restore and describe a database of either backend (the functions behind ``strikedb backup``/``restore``)."""

from __future__ import annotations

from pathlib import Path

from events.backup.common import BackupReport
from events.backup.postgresql import backup_postgresql, restore_postgresql
from events.backup.sqlite import backup_sqlite, read_sqlite_copy, restore_sqlite
from events.db import parse_url, resolve_url, sqlite_path
from events.errors import ConfigError, StrikeDBError


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
        return backup_sqlite(source, destination)
    return backup_postgresql(parsed.render_as_string(hide_password=False), destination)


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
        return restore_sqlite(backup, target, force=force)
    return restore_postgresql(parsed.render_as_string(hide_password=False), backup, force=force)


def describe_backup(backup: str | Path) -> BackupReport:
    """Verify a SQLite backup file without restoring it and return its revision and counts.

    Parameters
    ----------
    backup : str or pathlib.Path
        A file written by :func:`backup_database` from a SQLite database.

    Returns
    -------
    BackupReport
        Its ``revision`` and row ``counts``; nothing is written.

    Raises
    ------
    InputError
        When the file is not a sound strikedb SQLite database.
    """
    path = Path(backup)
    revision, counts = read_sqlite_copy(path)
    return BackupReport.of_file(path, "sqlite", revision, counts, [])


__all__ = ["backup_database", "describe_backup", "restore_database"]
