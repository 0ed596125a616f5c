"""What every backup shares: the report, the tables counted, the revision checks and the file checks."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field
from pathlib import Path

from events import migrate
from events.errors import InputError

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

    @classmethod
    def of_file(
        cls, path: Path, backend: str, revision: str, counts: dict[str, int], notes: list[str], **extra
    ) -> BackupReport:
        """Return the report of a backup file, its size read from the disk.

        Parameters
        ----------
        path, backend, revision, counts, notes
            As the attributes of the same names.
        **extra
            Further attributes (``previous_copy``).
        """
        return cls(path, backend, revision, counts, path.stat().st_size, notes=notes, **extra)


def _known_revisions() -> set[str]:
    return {rev for rev, _, _ in migrate.history()}


def check_revision(revision: str | None, what: str) -> str:
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


def revision_notes(revision: str) -> list[str]:
    heads = ",".join(sorted(migrate.heads()))
    if revision != heads:
        return [f"the copy is at revision {revision}, the code at {heads}: run `strikedb db upgrade`"]
    return []


def temporary_beside(path: Path) -> Path:
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def require_backup_file(path: Path, magic: bytes, kind: str, *, hint: str) -> None:
    """Raise :class:`InputError` unless ``path`` exists and starts with the ``magic`` bytes of ``kind``."""
    if not path.is_file():
        raise InputError(f"backup file {path} does not exist")
    with path.open("rb") as fh:
        if fh.read(len(magic)) != magic:
            raise InputError(f"{path} is not {kind}", hint=hint)


__all__ = [
    "PG_ARCHIVE_MAGIC",
    "SQLITE_MAGIC",
    "BackupReport",
    "_known_revisions",
    "check_revision",
    "counted_tables",
    "require_backup_file",
    "revision_notes",
    "temporary_beside",
]
