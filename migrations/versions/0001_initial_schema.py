"""initial schema: events, facilities, sources, ingest runs, quarantine, revisions, spatial indexes

Revision ID: 0001
Revises:
Create Date: 2026-11-24
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from migrations import _spatial

revision: str = "0001"
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # Needs a superuser once per database; harmless when it already exists.
        op.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        op.execute(_spatial.PG_DISTANCE_FUNCTION)
    op.create_table(
        "facilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=120), nullable=False),
        sa.Column("name", sa.String(length=300), nullable=False),
        sa.Column("facility_type", sa.String(length=20), nullable=False),
        sa.Column("operator", sa.String(length=300), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("admin1", sa.String(length=200), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("geometry_wkt", sa.Text(), nullable=True),
        sa.Column("capacity_value", sa.Float(), nullable=True),
        sa.Column("capacity_unit", sa.String(length=20), nullable=True),
        sa.Column("capacity_raw", sa.String(length=200), nullable=True),
        sa.Column("capacity_mtpa", sa.Float(), nullable=True),
        sa.Column("capacity_kbd", sa.Float(), nullable=True),
        sa.Column("capacity_mw", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=True),
        sa.Column("data_source", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint(
            "facility_type IN ('refinery', 'oil_depot', 'oil_terminal', 'pipeline', 'pumping_station', 'power_plant', 'substation', 'rail_line', 'rail_junction', 'port', 'other')",
            name=op.f("ck_facilities_facility_type"),
        ),
        sa.CheckConstraint(
            "latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name=op.f("ck_facilities_latitude_range")
        ),
        sa.CheckConstraint(
            "longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name=op.f("ck_facilities_longitude_range")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facilities")),
        sa.UniqueConstraint("slug", name=op.f("uq_facilities_slug")),
    )
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.create_index("ix_facilities_country", ["country"], unique=False)
        batch_op.create_index("ix_facilities_facility_type", ["facility_type"], unique=False)
        batch_op.create_index("ix_facilities_name", ["name"], unique=False)

    op.create_table(
        "ingest_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), server_default="events", nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("checksum", sa.String(length=64), nullable=True),
        sa.Column("input_format", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="running", nullable=False),
        sa.Column("started_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("rows_read", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_inserted", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_merged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rows_rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("options", sa.JSON(), nullable=True),
        sa.Column("user", sa.String(length=100), nullable=True),
        sa.CheckConstraint(
            "status IN ('running', 'committed', 'failed', 'dry_run')", name=op.f("ck_ingest_runs_status")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_runs")),
    )
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.create_index("ix_ingest_runs_checksum", ["checksum"], unique=False)

    op.create_table(
        "sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("publisher", sa.String(length=300), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("published_date", sa.Date(), nullable=True),
        sa.Column("archived_url", sa.Text(), nullable=True),
        sa.Column("language", sa.String(length=10), nullable=True),
        sa.Column("claimed_by", sa.String(length=200), nullable=True),
        sa.Column("source_type", sa.String(length=20), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint(
            "source_type IS NULL OR source_type IN ('official', 'media', 'social', 'imagery', 'dataset', 'other')",
            name=op.f("ck_sources_source_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sources")),
        sa.UniqueConstraint("url", name=op.f("uq_sources_url")),
    )
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.create_index("ix_sources_publisher", ["publisher"], unique=False)

    op.create_table(
        "event_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("event_public_id", sa.String(length=40), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("changed_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("changed_by", sa.String(length=100), nullable=True),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.Column("previous", sa.JSON(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "action IN ('update', 'delete', 'merge', 'split', 'restore')", name=op.f("ck_event_revisions_action")
        ),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"],
            ["ingest_runs.id"],
            name=op.f("fk_event_revisions_ingest_run_id_ingest_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_event_revisions")),
    )
    with op.batch_alter_table("event_revisions", schema=None) as batch_op:
        batch_op.create_index("ix_event_revisions_event_id", ["event_id"], unique=False)
        batch_op.create_index("ix_event_revisions_event_public_id", ["event_public_id"], unique=False)

    op.create_table(
        "events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=40), nullable=False),
        sa.Column("event_date", sa.Date(), nullable=False),
        sa.Column("date_precision", sa.String(length=10), server_default="day", nullable=False),
        sa.Column("event_time_utc", sa.Time(), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=False),
        sa.Column("longitude", sa.Float(), nullable=False),
        sa.Column("geo_precision", sa.String(length=20), nullable=False),
        sa.Column("geocoded_by", sa.String(length=30), nullable=False),
        sa.Column("geocode_score", sa.Float(), nullable=True),
        sa.Column("location_text", sa.Text(), nullable=True),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("facility_match", sa.String(length=20), nullable=True),
        sa.Column("facility_distance_km", sa.Float(), nullable=True),
        sa.Column("facility_type", sa.String(length=20), nullable=True),
        sa.Column("facility_name_reported", sa.String(length=300), nullable=True),
        sa.Column("attack_type", sa.String(length=20), server_default="unknown", nullable=False),
        sa.Column("effect", sa.String(length=20), nullable=True),
        sa.Column("damage_level", sa.String(length=20), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("admin1", sa.String(length=200), nullable=True),
        sa.Column("claim_status", sa.String(length=30), server_default="reported", nullable=False),
        sa.Column("source_reliability", sa.String(length=1), nullable=True),
        sa.Column("info_credibility", sa.Integer(), nullable=True),
        sa.Column("confidence", sa.String(length=12), nullable=False),
        sa.Column("fatalities_low", sa.Integer(), nullable=True),
        sa.Column("fatalities_best", sa.Integer(), nullable=True),
        sa.Column("fatalities_high", sa.Integer(), nullable=True),
        sa.Column("origin", sa.String(length=20), server_default="csv", nullable=False),
        sa.Column("external_id", sa.String(length=100), nullable=True),
        sa.Column("natural_key", sa.String(length=64), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.Column("extra", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.CheckConstraint(
            "attack_type IN ('drone', 'missile', 'combined', 'sabotage', 'unknown')", name=op.f("ck_events_attack_type")
        ),
        sa.CheckConstraint(
            "claim_status IN ('claimed', 'reported', 'confirmed_by_official', 'confirmed_by_imagery', 'disputed', 'debunked')",
            name=op.f("ck_events_claim_status"),
        ),
        sa.CheckConstraint(
            "confidence IN ('confirmed', 'likely', 'possible', 'unverified')", name=op.f("ck_events_confidence")
        ),
        sa.CheckConstraint(
            "damage_level IS NULL OR damage_level IN ('none', 'light', 'moderate', 'heavy', 'destroyed', 'unknown')",
            name=op.f("ck_events_damage_level"),
        ),
        sa.CheckConstraint("date_precision IN ('day', 'week', 'month')", name=op.f("ck_events_date_precision")),
        sa.CheckConstraint(
            "effect IS NULL OR effect IN ('fire', 'damage', 'shutdown', 'intercepted', 'none_reported')",
            name=op.f("ck_events_effect"),
        ),
        sa.CheckConstraint(
            "facility_type IS NULL OR facility_type IN ('refinery', 'oil_depot', 'oil_terminal', 'pipeline', 'pumping_station', 'power_plant', 'substation', 'rail_line', 'rail_junction', 'port', 'other')",
            name=op.f("ck_events_facility_type"),
        ),
        sa.CheckConstraint("geo_precision IN ('exact', 'near_town', 'region')", name=op.f("ck_events_geo_precision")),
        sa.CheckConstraint(
            "source_reliability IS NULL OR source_reliability IN ('A', 'B', 'C', 'D', 'E', 'F')",
            name=op.f("ck_events_source_reliability"),
        ),
        sa.CheckConstraint(
            "info_credibility IS NULL OR info_credibility IN (1, 2, 3, 4, 5, 6)",
            name=op.f("ck_events_info_credibility"),
        ),
        sa.CheckConstraint("latitude BETWEEN -90 AND 90", name=op.f("ck_events_latitude_range")),
        sa.CheckConstraint("longitude BETWEEN -180 AND 180", name=op.f("ck_events_longitude_range")),
        sa.ForeignKeyConstraint(
            ["facility_id"], ["facilities.id"], name=op.f("fk_events_facility_id_facilities"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"], ["ingest_runs.id"], name=op.f("fk_events_ingest_run_id_ingest_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_events")),
        sa.UniqueConstraint("origin", "external_id", name=op.f("uq_events_origin_external_id")),
        sa.UniqueConstraint("public_id", name=op.f("uq_events_public_id")),
    )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.create_index("ix_events_confidence", ["confidence"], unique=False)
        batch_op.create_index("ix_events_country_event_date", ["country", "event_date"], unique=False)
        batch_op.create_index("ix_events_event_date", ["event_date"], unique=False)
        batch_op.create_index("ix_events_facility_id", ["facility_id"], unique=False)
        batch_op.create_index("ix_events_ingest_run_id", ["ingest_run_id"], unique=False)
        batch_op.create_index("ix_events_natural_key", ["natural_key"], unique=False)

    op.create_table(
        "facility_aliases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("alias", sa.String(length=300), nullable=False),
        sa.Column("language", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_aliases_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_aliases")),
        sa.UniqueConstraint("facility_id", "alias", name=op.f("uq_facility_aliases_facility_id_alias")),
    )
    with op.batch_alter_table("facility_aliases", schema=None) as batch_op:
        batch_op.create_index("ix_facility_aliases_alias", ["alias"], unique=False)

    op.create_table(
        "facility_external_ids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=False),
        sa.Column("scheme", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["facility_id"],
            ["facilities.id"],
            name=op.f("fk_facility_external_ids_facility_id_facilities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_facility_external_ids")),
        sa.UniqueConstraint("scheme", "value", name=op.f("uq_facility_external_ids_scheme_value")),
    )
    with op.batch_alter_table("facility_external_ids", schema=None) as batch_op:
        batch_op.create_index("ix_facility_external_ids_facility_id", ["facility_id"], unique=False)

    op.create_table(
        "rejected_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("file_path", sa.Text(), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("raw_row", sa.Text(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"], ["ingest_runs.id"], name=op.f("fk_rejected_rows_run_id_ingest_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rejected_rows")),
    )
    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.create_index("ix_rejected_rows_run_id", ["run_id"], unique=False)

    op.create_table(
        "event_sources",
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("source_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), server_default="report", nullable=False),
        sa.Column("added_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"], ["events.id"], name=op.f("fk_event_sources_event_id_events"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"],
            ["ingest_runs.id"],
            name=op.f("fk_event_sources_ingest_run_id_ingest_runs"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["source_id"], ["sources.id"], name=op.f("fk_event_sources_source_id_sources"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("event_id", "source_id", name=op.f("pk_event_sources")),
    )
    with op.batch_alter_table("event_sources", schema=None) as batch_op:
        batch_op.create_index("ix_event_sources_source_id", ["source_id"], unique=False)

    _spatial.create_spatial()


def downgrade() -> None:
    _spatial.drop_spatial()
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "DROP FUNCTION IF EXISTS distance_km(double precision, double precision, double precision, double precision)"
        )
    with op.batch_alter_table("event_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_event_sources_source_id")

    op.drop_table("event_sources")
    with op.batch_alter_table("rejected_rows", schema=None) as batch_op:
        batch_op.drop_index("ix_rejected_rows_run_id")

    op.drop_table("rejected_rows")
    with op.batch_alter_table("facility_external_ids", schema=None) as batch_op:
        batch_op.drop_index("ix_facility_external_ids_facility_id")

    op.drop_table("facility_external_ids")
    with op.batch_alter_table("facility_aliases", schema=None) as batch_op:
        batch_op.drop_index("ix_facility_aliases_alias")

    op.drop_table("facility_aliases")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_index("ix_events_natural_key")
        batch_op.drop_index("ix_events_ingest_run_id")
        batch_op.drop_index("ix_events_facility_id")
        batch_op.drop_index("ix_events_event_date")
        batch_op.drop_index("ix_events_country_event_date")
        batch_op.drop_index("ix_events_confidence")

    op.drop_table("events")
    with op.batch_alter_table("event_revisions", schema=None) as batch_op:
        batch_op.drop_index("ix_event_revisions_event_public_id")
        batch_op.drop_index("ix_event_revisions_event_id")

    op.drop_table("event_revisions")
    with op.batch_alter_table("sources", schema=None) as batch_op:
        batch_op.drop_index("ix_sources_publisher")

    op.drop_table("sources")
    with op.batch_alter_table("ingest_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_ingest_runs_checksum")

    op.drop_table("ingest_runs")
    with op.batch_alter_table("facilities", schema=None) as batch_op:
        batch_op.drop_index("ix_facilities_name")
        batch_op.drop_index("ix_facilities_facility_type")
        batch_op.drop_index("ix_facilities_country")

    op.drop_table("facilities")
