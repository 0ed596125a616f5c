"""The CLI's error boundary: turn any failure a user can cause or meet into one line and a hint.

The library raises :class:`events.errors.StrikeDBError` for what it detects itself. Everything
else a user can run into comes from below it: the operating system (a full disk, a read-only
file system, a permission), SQLite or PostgreSQL (a damaged file, a server gone), GDAL (pyogrio
writing an export), or Python on hostile input (a ``RecursionError`` on deeply nested JSON).
:func:`explain` names what happened in words a user can act on; ``events.cli.run`` prints it
and exits with :data:`EXIT_FAILURE`. A traceback is shown only with ``--debug``.

Only the CLI modules import this.
"""

from __future__ import annotations

import errno
from dataclasses import dataclass

#: Exit codes (documented in docs/reliability.md).
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

DEBUG_HINT = "re-run with --debug to see the traceback"
RESTORE_HINT = (
    "run `strikedb db check` to see what is damaged, then `strikedb db repair`; "
    "if that cannot fix it, restore a backup with `strikedb db restore FILE`"
)


@dataclass(frozen=True)
class Explained:
    """What the user is told about a failure."""

    message: str
    hint: str | None
    #: True when the database failed (the CLI then names which database).
    about_database: bool = False


#: Longest message line shown (GDAL quotes whole SQL scripts in its errors).
MAX_MESSAGE = 240


def _first_line(text: object) -> str:
    lines = str(text).strip().splitlines()
    line = lines[0].strip() if lines else ""
    return line if len(line) <= MAX_MESSAGE else line[: MAX_MESSAGE - 3] + "..."


def _where(exc: OSError) -> str:
    return f"{exc.filename}: " if exc.filename else ""


#: errno codes -> what happened (after the file's name) and what to do.
_OS_ERRORS: dict[int, tuple[str, str]] = {
    errno.ENOSPC: ("no space left on the disk", "free some space (or choose another location) and retry"),
    errno.EDQUOT: ("no space left on the disk", "free some space (or choose another location) and retry"),
    errno.EFBIG: ("file too large for this file system or limit", "write to another disk"),
    errno.EROFS: ("the file system is read-only", "write to a writable location, or remount it"),
    errno.EACCES: ("permission denied", "check the file's and its directory's permissions"),
    errno.EPERM: ("permission denied", "check the file's and its directory's permissions"),
    errno.EISDIR: ("is a directory, not a file", "name a file"),
    errno.ENOENT: ("no such file or directory", "check the path"),
    errno.EIO: ("input/output error from the device", "check the disk (dmesg) and retry"),
}


def _explain_os_error(exc: OSError) -> Explained:
    where = _where(exc)
    if exc.errno == errno.EPIPE:
        return Explained("output closed early (broken pipe)", None)
    if exc.errno in _OS_ERRORS:
        what, hint = _OS_ERRORS[exc.errno]
        return Explained(f"{where}{what}", hint)
    return Explained(f"{where}{exc.strerror or _first_line(exc)}", DEBUG_HINT)


#: SQLite and PostgreSQL messages (lower case) -> what to tell the user.
_DB_MESSAGES: tuple[tuple[str, str, str], ...] = (
    (
        "database or disk is full",
        "the disk holding the database is full",
        "free some space and retry; every batch committed so far is kept, and a re-run completes the file",
    ),
    ("no space left on device", "the disk holding the database is full", "free some space and retry"),
    ("could not extend file", "the database server's disk is full", "free space on the server and retry"),
    (
        "could not decode to utf-8",
        "a text stored in the database is not valid UTF-8 (the file may be damaged)",
        RESTORE_HINT,
    ),
    ("database disk image is malformed", "the database file is damaged (malformed)", RESTORE_HINT),
    ("file is not a database", "the file is not a SQLite database, or it is damaged", RESTORE_HINT),
    ("file is encrypted or is not a database", "the file is not a SQLite database, or it is damaged", RESTORE_HINT),
    ("disk i/o error", "the disk returned an I/O error", "check the disk and free space, then retry"),
    (
        "attempt to write a readonly database",
        "the database is read-only (file, directory or file system)",
        "reading commands still work; to write, make the file and its directory writable",
    ),
    ("readonly database", "the database is read-only", "make the file and its directory writable"),
    (
        "unable to open database file",
        "cannot open the database file",
        "check that the path exists and that its directory is readable and writable",
    ),
    (
        "database is locked",
        "the database stayed locked by another process for 30 s",
        "wait for the other strikedb command to finish, then retry",
    ),
    (
        "connection refused",
        "cannot connect to the PostgreSQL server (connection refused)",
        "check that the server is running and the host and port in --db are right",
    ),
    (
        "server closed the connection",
        "the PostgreSQL server closed the connection",
        "check the server; committed batches are kept, re-run to complete",
    ),
    (
        "terminating connection",
        "the PostgreSQL server ended the connection",
        "check the server; committed batches are kept, re-run to complete",
    ),
    ("connection is lost", "the connection to PostgreSQL was lost", "check the server and retry"),
    ("the connection is closed", "the connection to PostgreSQL was lost", "check the server and retry"),
    ("fatal:  database", "the PostgreSQL server has no such database", "create it (createdb) or fix --db"),
    ("password authentication failed", "PostgreSQL refused the password", "check the user and password in --db"),
    ("no pg_hba.conf entry", "PostgreSQL refused the connection (pg_hba.conf)", "ask the server's administrator"),
    ("could not translate host name", "unknown PostgreSQL host", "check the host name in --db"),
    ("timeout expired", "timed out connecting to PostgreSQL", "check the host, port and network"),
)


def _explain_db_error(exc: Exception) -> Explained:
    original = getattr(exc, "orig", None) or exc
    text = _first_line(original)
    lowered = str(original).lower()
    for needle, message, hint in _DB_MESSAGES:
        if needle in lowered:
            return Explained(message, hint, about_database=True)
    return Explained(f"database error: {text}", DEBUG_HINT, about_database=True)


def _is_db_error(exc: BaseException) -> bool:
    module = type(exc).__module__
    return module.startswith(("sqlalchemy", "sqlite3", "psycopg", "_sqlite3"))


def explain(exc: BaseException) -> Explained:
    """Say what happened for an exception that is not a :class:`~events.errors.StrikeDBError`.

    Parameters
    ----------
    exc : BaseException
        Whatever escaped a command.

    Returns
    -------
    Explained
        One line for the user and a hint. Unknown exceptions are reported by type and message
        with a hint to re-run with ``--debug``.
    """
    if _is_db_error(exc):
        return _explain_db_error(exc)
    if isinstance(exc, RecursionError):
        return Explained(
            "the input is nested too deeply to read (recursion limit)",
            "the file is not a plausible data file; check where it came from",
        )
    if isinstance(exc, MemoryError):
        return Explained("out of memory", "use a smaller --batch-size, or free memory")
    if isinstance(exc, UnicodeDecodeError):
        return Explained(
            f"text that is not valid {exc.encoding.upper() if exc.encoding.startswith('utf') else exc.encoding} "
            f"({_first_line(exc)})",
            "if it comes from the database, the file may be damaged: " + RESTORE_HINT,
        )
    if isinstance(exc, OSError):
        return _explain_os_error(exc)
    if type(exc).__module__.startswith("pyogrio"):
        text = _first_line(exc)
        lowered = str(exc).lower()
        if any(needle in lowered for needle in ("no space left", "disk full", "disk is full")):
            return Explained("no space left on the disk (writing with GDAL)", "free some space and retry")
        return Explained(f"GDAL could not write the file: {text}", DEBUG_HINT)
    return Explained(f"unexpected {type(exc).__name__}: {_first_line(exc)}", DEBUG_HINT + " and report it")
