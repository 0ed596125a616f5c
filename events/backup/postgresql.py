"""PostgreSQL: ``pg_dump -Fc`` and ``pg_restore`` when on ``PATH``, else the commands to run by hand."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from events import migrate
from events.backup.common import (
    PG_ARCHIVE_MAGIC,
    BackupReport,
    check_revision,
    counted_tables,
    require_backup_file,
    revision_notes,
    temporary_beside,
)
from events.db import make_engine, parse_url
from events.errors import InputError, StrikeDBError


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


def backup_postgresql(url: str, destination: Path) -> BackupReport:
    engine = make_engine(url, read_only=True)
    try:
        revision = check_revision(",".join(sorted(migrate.current(engine))) or None, "the database")
        counts = _pg_counts(engine)
    finally:
        engine.dispose()
    # Checked up front so the hint shows the command for the real destination, not the temporary file.
    _require_program("pg_dump", pg_dump_command(url, destination))
    partial = temporary_beside(destination)
    partial.unlink(missing_ok=True)
    try:
        _run_pg_program(pg_dump_command(url, partial), url)
        archived = _pg_archive_revision(partial)
        if archived != revision:
            raise StrikeDBError(f"the archive records revision {archived}, the database {revision}")
        os.replace(partial, destination)
    finally:
        partial.unlink(missing_ok=True)
    notes = ["counts were taken just before pg_dump's snapshot; writes in between are in the archive too"]
    return BackupReport.of_file(destination, "postgresql", revision, counts, notes)


def restore_postgresql(url: str, backup: Path, *, force: bool) -> BackupReport:
    require_backup_file(
        backup,
        PG_ARCHIVE_MAGIC,
        "a pg_dump custom-format archive",
        hint="a SQLite backup can only be restored into a sqlite:/// database",
    )
    revision = check_revision(_pg_archive_revision(backup), str(backup))
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
    return BackupReport.of_file(backup, "postgresql", revision, counts, revision_notes(revision))


__all__ = ["backup_postgresql", "pg_dump_command", "pg_restore_command", "restore_postgresql"]
