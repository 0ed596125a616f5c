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

from events.backup.common import BackupReport
from events.backup.database import backup_database, describe_backup, restore_database
from events.backup.postgresql import pg_dump_command, pg_restore_command

__all__ = [
    "BackupReport",
    "backup_database",
    "describe_backup",
    "pg_dump_command",
    "pg_restore_command",
    "restore_database",
]
