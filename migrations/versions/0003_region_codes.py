"""regions as ISO 3166-2 codes, sea events, source problems in the quarantine

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01

* ``events.admin1_code`` (ISO 3166-2, indexed), ``events.admin1_reported`` (the region as
  written) and ``events.at_sea``; existing rows are converted: the stored ``admin1`` text is kept
  as ``admin1_reported`` and replaced by the canonical English name of the region it resolves to
  (:mod:`events.geo.regions`); text that resolves to no region keeps no code and stays as it was.
* ``rejected_rows.kind``: ``row`` (not loaded) or ``source`` (a source cell dropped from a loaded
  event).
* ``events_enriched`` gains ``admin1_code``, ``admin1_reported`` and ``at_sea`` (appended: column
  order is part of the contract), and a new view ``strikes_by_region`` counts by code.

Downgrade puts the text as written back into ``admin1``.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_V2 = importlib.import_module("migrations.versions.0002_analysis_views")

_NEW_ENRICHED_COLUMNS = """,
    e.admin1_code AS admin1_code,
    e.admin1_reported AS admin1_reported,
    e.at_sea AS at_sea
FROM events e
"""

STRIKES_BY_REGION = """
CREATE VIEW strikes_by_region AS
SELECT
    {month} AS month,
    e.country AS country,
    e.admin1_code AS admin1_code,
    MIN(e.admin1) AS admin1,
    e.confidence AS confidence,
    COUNT(*) AS strikes,
    COUNT(DISTINCT e.facility_id) AS facilities_hit,
    SUM(CASE WHEN e.at_sea THEN 1 ELSE 0 END) AS at_sea
FROM events e
GROUP BY {month}, e.country, e.admin1_code, CASE WHEN e.admin1_code IS NULL THEN e.admin1 END, e.confidence
"""


def _enriched_sql(dialect: str) -> str:
    month = _V2._MONTH_SQL[dialect].format(col="e.event_date")
    rank = _V2._RANK_SQL.format(col="e.confidence")
    old = _V2.EVENTS_ENRICHED.format(month=month, rank=rank, best_source=_V2._BEST_SOURCE_ID)
    head, sep, tail = old.partition("\nFROM events e\n")
    assert sep, "0002's events_enriched changed shape"
    return head + _NEW_ENRICHED_COLUMNS + tail


def _old_enriched_sql(dialect: str) -> str:
    month = _V2._MONTH_SQL[dialect].format(col="e.event_date")
    rank = _V2._RANK_SQL.format(col="e.confidence")
    return _V2.EVENTS_ENRICHED.format(month=month, rank=rank, best_source=_V2._BEST_SOURCE_ID)


def _convert_regions(bind: sa.Connection) -> None:
    from events.geo.regions import settle_region

    rows = bind.execute(sa.text("SELECT id, country, admin1 FROM events WHERE admin1 IS NOT NULL")).fetchall()
    updates = []
    for event_id, country, admin1 in rows:
        code, name, reported = settle_region(country, admin1)
        updates.append({"id": event_id, "code": code, "name": (name or admin1)[:200], "reported": reported})
    if updates:
        bind.execute(
            sa.text(
                "UPDATE events SET admin1_code = :code, admin1 = :name, admin1_reported = :reported WHERE id = :id"
            ),
            updates,
        )


def upgrade() -> None:
    bind = op.get_bind()
    dialect = bind.dialect.name
    op.execute("DROP VIEW IF EXISTS events_enriched")
    op.add_column("events", sa.Column("admin1_code", sa.String(length=10), nullable=True))
    op.add_column("events", sa.Column("admin1_reported", sa.String(length=200), nullable=True))
    op.add_column("events", sa.Column("at_sea", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_index("ix_events_admin1_code", "events", ["admin1_code"])
    op.add_column("rejected_rows", sa.Column("kind", sa.String(length=20), server_default="row", nullable=False))
    _convert_regions(bind)
    op.execute(_enriched_sql(dialect))
    op.execute(STRIKES_BY_REGION.format(month=_V2._MONTH_SQL[dialect].format(col="e.event_date")))


def downgrade() -> None:
    bind = op.get_bind()
    op.execute("DROP VIEW IF EXISTS strikes_by_region")
    op.execute("DROP VIEW IF EXISTS events_enriched")
    op.execute("UPDATE events SET admin1 = admin1_reported WHERE admin1_reported IS NOT NULL")
    op.drop_column("rejected_rows", "kind")
    op.drop_index("ix_events_admin1_code", table_name="events")
    op.drop_column("events", "at_sea")
    op.drop_column("events", "admin1_reported")
    op.drop_column("events", "admin1_code")
    op.execute(_old_enriched_sql(bind.dialect.name))
