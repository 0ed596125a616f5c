"""Exceptions raised by the strikedb library.

The library raises these; only the CLI turns them into messages. Each carries an optional
``hint`` telling the user how to fix the problem.
"""

from __future__ import annotations


class StrikeDBError(Exception):
    """Base class of every error strikedb raises on purpose."""

    hint: str | None = None

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint


class ConfigError(StrikeDBError):
    """A database URL or option is unusable."""


class SchemaOutOfDateError(StrikeDBError):
    """The database schema is behind (or ahead of) the code."""

    hint = "run `strikedb db upgrade` (make a backup first with `strikedb db backup FILE`)"


class MigrationError(StrikeDBError):
    """A migration command failed."""


class InputError(StrikeDBError):
    """An input file cannot be read at all (missing, wrong encoding, not CSV...)."""


class ValidationError(StrikeDBError):
    """One or more rows of an input failed validation.

    Attributes
    ----------
    problems : list
        The row problems found, each with file, line, column, value and reason.
    """

    def __init__(self, message: str, problems: list | None = None, *, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems or []


class StorageError(StrikeDBError):
    """The disk or file system refused a write (full, read-only, damaged)."""

    hint = "free some space (or choose another location) and retry"


class DatabaseDamagedError(StrikeDBError):
    """The database fails its integrity check."""

    hint = (
        "nothing was written; `strikedb db check --full` lists the damage; restore a backup with "
        "`strikedb db restore FILE` (keep a copy of the damaged file first)"
    )


class NotFoundError(StrikeDBError):
    """A named event, facility or report does not exist."""


class ReadOnlyViolation(StrikeDBError):
    """A query tried to write through a read-only connection."""

    hint = "`strikedb sql` is read-only; use `strikedb ingest`/`events` commands to change data"


class QueryError(StrikeDBError):
    """An analyst SQL query failed."""


class QueryTimeout(QueryError):
    """An analyst SQL query ran longer than its timeout and was cancelled."""
