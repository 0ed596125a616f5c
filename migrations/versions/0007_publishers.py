"""publisher registry: publishers table, sources.publisher_key/publisher_kind, seeded and backfilled

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01

Creates ``publishers`` (the registry an analyst can regrade, see ``events/publishers.py``) and
seeds it from the bundled ``events/data/publishers.csv`` as it is when the migration runs. Adds
``sources.publisher_key`` and ``sources.publisher_kind`` and fills them (and an empty
``publisher`` of a source with a URL) for the sources already stored. Event grades are left as
they are: events stored before evidence grading keep their columns as stated grades.

SQLite: columns are added with plain ``ALTER TABLE ... ADD COLUMN`` (the CHECK as a column
constraint), never by copying the table: with ``PRAGMA foreign_keys = ON`` dropping the old
``sources`` in a batch copy would cascade-delete every ``event_sources`` row.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KINDS = (
    "official",
    "wire",
    "national_media",
    "regional_media",
    "osint",
    "military_blogger",
    "aggregator",
    "imagery",
    "unknown",
)
_KIND_CHECK = "publisher_kind IS NULL OR publisher_kind IN ({})".format(", ".join(f"'{k}'" for k in _KINDS))


def upgrade() -> None:
    op.create_table(
        "publishers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("party", sa.String(length=2), nullable=True),
        sa.Column("voice", sa.String(length=10), nullable=True),
        sa.Column("network", sa.String(length=100), nullable=True),
        sa.Column("reliability", sa.String(length=1), nullable=True),
        sa.Column("aliases", sa.Text(), nullable=True),
        sa.Column("justification", sa.Text(), nullable=True),
        sa.Column("origin", sa.String(length=10), server_default="bundled", nullable=False),
        sa.Column("changed_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.CheckConstraint("kind IN ({})".format(", ".join(f"'{k}'" for k in _KINDS)), name=op.f("ck_publishers_kind")),
        sa.CheckConstraint("voice IS NULL OR voice IN ('military', 'civil')", name=op.f("ck_publishers_voice")),
        sa.CheckConstraint(
            "reliability IS NULL OR reliability IN ('A', 'B', 'C', 'D', 'E', 'F')",
            name=op.f("ck_publishers_reliability"),
        ),
        sa.CheckConstraint("origin IN ('bundled', 'analyst')", name=op.f("ck_publishers_origin")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publishers")),
        sa.UniqueConstraint("key", name=op.f("uq_publishers_key")),
    )
    op.create_index(op.f("ix_publishers_kind"), "publishers", ["kind"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        op.execute("ALTER TABLE sources ADD COLUMN publisher_key VARCHAR(300)")
        op.execute(
            f"ALTER TABLE sources ADD COLUMN publisher_kind VARCHAR(20) "
            f"CONSTRAINT ck_sources_publisher_kind CHECK ({_KIND_CHECK})"
        )
    else:
        op.add_column("sources", sa.Column("publisher_key", sa.String(length=300), nullable=True))
        op.add_column("sources", sa.Column("publisher_kind", sa.String(length=20), nullable=True))
        op.create_check_constraint(op.f("ck_sources_publisher_kind"), "sources", _KIND_CHECK)
    op.create_index(op.f("ix_sources_publisher_key"), "sources", ["publisher_key"], unique=False)
    _seed_and_backfill(bind)


def _seed_and_backfill(bind: sa.Connection) -> None:
    # The registry code is imported here, not at module level: Alembic imports every migration
    # to build its history, and `strikedb --help` should not pay for the registry.
    from events.publishers import bundled_registry, row_from_entry

    registry = bundled_registry()
    publishers = sa.table(
        "publishers",
        *(sa.column(c) for c in ("key", "name", "kind", "party", "voice", "network", "reliability")),
        sa.column("aliases"),
        sa.column("justification"),
        sa.column("origin"),
    )
    rows = [row_from_entry(entry) for entry in registry]
    if rows:
        bind.execute(sa.insert(publishers), rows)
    sources = sa.table(
        "sources", sa.column("id"), sa.column("url"), sa.column("publisher"), sa.column("publisher_key"),
        sa.column("publisher_kind"),
    )  # fmt: skip
    updates = []
    for source_id, url, name in bind.execute(sa.select(sources.c.id, sources.c.url, sources.c.publisher)):
        entry = registry.identify(url, name)
        if entry is None:
            continue
        updates.append(
            {"_id": source_id, "_key": entry.key, "_kind": entry.kind, "_publisher": name or entry.name[:300]}
        )
    if updates:
        stmt = (
            sa.update(sources)
            .where(sources.c.id == sa.bindparam("_id"))
            .values(publisher_key=sa.bindparam("_key"), publisher_kind=sa.bindparam("_kind"),
                    publisher=sa.bindparam("_publisher"))
        )  # fmt: skip
        bind.execute(stmt, updates)


def downgrade() -> None:
    op.drop_index(op.f("ix_sources_publisher_key"), table_name="sources")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE sources DROP COLUMN publisher_kind")
        op.execute("ALTER TABLE sources DROP COLUMN publisher_key")
    else:
        op.drop_constraint(op.f("ck_sources_publisher_kind"), "sources", type_="check")
        op.drop_column("sources", "publisher_kind")
        op.drop_column("sources", "publisher_key")
    op.drop_index(op.f("ix_publishers_kind"), table_name="publishers")
    op.drop_table("publishers")
