"""ids of generic files are unique per dataset: events (origin, external_id) is no longer unique

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01

Two OSINT logs that both number their rows 1, 2, 3 are two datasets (docs/ingest.md, "Identity"):
their events share ``origin = 'csv'`` and ``external_id = '1'``. The unique constraint
``uq_events_origin_external_id`` becomes the plain index ``ix_events_origin_external_id`` (the
report key, ``events.natural_key``, holds the identity, dataset included). No stored row changes:
events stored before keep their keys and are still found by a re-import of their file
(``events.ingest.candidates``, legacy keys).

On SQLite a table constraint is normally dropped by re-creating the table, which would delete the
events' sources and candidates through ``ON DELETE CASCADE`` (see 0005). A UNIQUE constraint's
automatic index holds exactly the records of a plain index on the same columns, so, as 0005 does,
the schema's SQL is rewritten in the transaction (``writable_schema``): the constraint leaves the
table's SQL, its automatic index becomes ``ix_events_origin_external_id`` and the remaining
automatic index (``public_id``) takes the name SQLite gives it by position; then
``integrity_check``.

Reversible while no (origin, external_id) pair is used twice; the downgrade refuses otherwise
(the older schema cannot hold two datasets' rows of one id).
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "CONSTRAINT uq_events_origin_external_id UNIQUE (origin, external_id), \n\t"
INDEX = "ix_events_origin_external_id"
INDEX_SQL = f"CREATE INDEX {INDEX} ON events (origin, external_id)"
# Automatic indexes of ``events`` by position: with the constraint (origin/external_id, public_id), without (public_id).
AUTO_1, AUTO_2 = "sqlite_autoindex_events_1", "sqlite_autoindex_events_2"


def _columns(bind, index: str) -> list[str]:
    return [row[2] for row in bind.exec_driver_sql(f"PRAGMA index_info('{index}')")]


def _rewrite_schema(bind, table_sql: str, renames: list[tuple[str, str, str | None]]) -> None:
    """Set the table's SQL and rename index rows ``(old, new, sql)`` of ``sqlite_master``, in order."""
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema = ON")
    try:
        bind.exec_driver_sql("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'events'", (table_sql,))
        for old, new, sql in renames:
            bind.exec_driver_sql(
                "UPDATE sqlite_master SET name = ?, sql = ? WHERE type = 'index' AND name = ?", (new, sql, old)
            )
        bind.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    finally:
        bind.exec_driver_sql("PRAGMA writable_schema = OFF")
    problems = [row[0] for row in bind.exec_driver_sql("PRAGMA integrity_check")]
    if problems != ["ok"]:
        raise RuntimeError(f"integrity_check after changing events: {problems[:3]}")


def _table_sql(bind) -> str:
    return bind.exec_driver_sql("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'").scalar_one()


def _sqlite_upgrade() -> None:
    bind = op.get_bind()
    table_sql = _table_sql(bind)
    expected = _columns(bind, AUTO_1) == ["origin", "external_id"] and _columns(bind, AUTO_2) == ["public_id"]
    if CONSTRAINT not in table_sql or not expected:
        raise RuntimeError("events has unexpected unique constraints; not changing them")
    _rewrite_schema(bind, table_sql.replace(CONSTRAINT, ""), [(AUTO_1, INDEX, INDEX_SQL), (AUTO_2, AUTO_1, None)])


def _sqlite_downgrade() -> None:
    bind = op.get_bind()
    table_sql = _table_sql(bind)
    anchor = "CONSTRAINT uq_events_public_id UNIQUE (public_id)"
    if anchor not in table_sql or CONSTRAINT in table_sql or _columns(bind, AUTO_1) != ["public_id"]:
        raise RuntimeError("events has unexpected unique constraints; not changing them")
    _rewrite_schema(
        bind, table_sql.replace(anchor, CONSTRAINT + anchor), [(AUTO_1, AUTO_2, None), (INDEX, AUTO_1, None)]
    )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        op.execute("ALTER TABLE events DROP CONSTRAINT uq_events_origin_external_id")
        op.create_index(INDEX, "events", ["origin", "external_id"], unique=False)


def downgrade() -> None:
    shared = (
        op.get_bind()
        .exec_driver_sql(
            "SELECT COUNT(*) FROM (SELECT origin, external_id FROM events WHERE external_id IS NOT NULL "
            "GROUP BY origin, external_id HAVING COUNT(*) > 1) AS d"
        )
        .scalar_one()
    )
    if shared:
        raise RuntimeError(
            f"cannot downgrade below 0008: {shared} ids are used by events of several datasets, which the "
            "older schema (one event per origin and id) cannot hold; export or delete those events first"
        )
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_downgrade()
    else:
        op.drop_index(INDEX, table_name="events")
        op.execute("ALTER TABLE events ADD CONSTRAINT uq_events_origin_external_id UNIQUE (origin, external_id)")
