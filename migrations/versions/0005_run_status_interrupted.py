"""ingest_runs.status may be 'interrupted' (a run whose process died or was stopped)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01

Only the CHECK constraint ``ck_ingest_runs_status`` changes. On SQLite a CHECK constraint is
normally changed by re-creating the table, but the copy-drop-rename of Alembic's batch mode
would drop ``ingest_runs`` while ``rejected_rows`` refers to it with ``ON DELETE CASCADE``: with
foreign keys on (they cannot be turned off inside the migration's transaction) the implicit
``DELETE`` of ``DROP TABLE`` deletes every quarantined row, and a rename rewrites the references
(measured: both happen on SQLite 3.40). So this uses the procedure SQLite documents for changes
that leave the stored rows valid ("Making Other Kinds Of Table Schema Changes",
https://www.sqlite.org/lang_altertable.html): in the transaction, rewrite the table's SQL in
``sqlite_schema`` with ``writable_schema``, bump ``schema_version``, run ``integrity_check``.
Every stored status satisfies both the old and the new constraint (the downgrade first turns
'interrupted' into 'failed').
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("running", "committed", "failed", "dry_run")
NEW = ("running", "committed", "failed", "dry_run", "interrupted")


def _check(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def _sqlite_swap_check(old: tuple[str, ...], new: tuple[str, ...]) -> None:
    bind = op.get_bind()
    table_sql = bind.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ingest_runs'"
    ).scalar_one()
    if _check(old) not in table_sql:
        raise RuntimeError("ingest_runs has an unexpected status CHECK constraint; not changing it")
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql(
            "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'ingest_runs'",
            (table_sql.replace(_check(old), _check(new)),),
        )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [row[0] for row in bind.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity_check after changing ingest_runs: {problems[:3]}")


def _postgresql_swap_check(new: tuple[str, ...]) -> None:
    op.execute("ALTER TABLE ingest_runs DROP CONSTRAINT ck_ingest_runs_status")
    op.execute(f"ALTER TABLE ingest_runs ADD CONSTRAINT ck_ingest_runs_status CHECK ({_check(new)})")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_swap_check(OLD, NEW)
    else:
        _postgresql_swap_check(NEW)


def downgrade() -> None:
    # The older code knows no 'interrupted': such a run ended without finishing, i.e. failed.
    op.execute("UPDATE ingest_runs SET status = 'failed' WHERE status = 'interrupted'")
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_swap_check(NEW, OLD)
    else:
        _postgresql_swap_check(OLD)
