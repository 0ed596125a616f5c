"""line facilities: line_stations (stations of rail lines) and event_line_links (strikes on lines)

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01

Two new tables only (no existing table is recreated, so the views of 0002 are untouched).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "line_stations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("km_from_start", sa.Float(), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_line_stations_facility_id_facilities"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_line_stations")),
        sa.UniqueConstraint("facility_id", "position", name=op.f("uq_line_stations_facility_id_position")),
    )
    op.create_table(
        "event_line_links",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("distance_km", sa.Float(), nullable=False),
        sa.Column("along_km", sa.Float(), nullable=False),
        sa.Column("nearest_station", sa.String(length=200), nullable=True),
        sa.Column("station_km", sa.Float(), nullable=True),
        sa.Column("method", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_line_links_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_event_line_links_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_event_line_links")),
    )
    with op.batch_alter_table("event_line_links", schema=None) as batch_op:
        batch_op.create_index("ix_event_line_links_facility_id", ["facility_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("event_line_links", schema=None) as batch_op:
        batch_op.drop_index("ix_event_line_links_facility_id")
    op.drop_table("event_line_links")
    op.drop_table("line_stations")
