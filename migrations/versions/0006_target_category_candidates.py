"""what was hit and duplicate candidates: events.target_category/target_basis/link_evidence, duplicate_candidates, views count energy and rail strikes only

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01

* ``events.target_category`` (``energy``/``rail``/``other``/``unknown``, CHECK constraint),
  ``events.target_basis`` (how it was decided) and ``events.link_evidence`` (why the facility link
  was made). Existing events get ``unknown``; ``strikedb facilities match`` decides them again.
* ``duplicate_candidates``: pairs of events that may be one strike, for an analyst to review.
* The analysis views are replaced: ``strikes_monthly``, ``facility_strikes``,
  ``capacity_hit_monthly`` and ``strikes_by_region`` count only events whose ``target_category``
  is ``energy`` or ``rail``; ``events_enriched`` (0003's) gains ``target_category`` and
  ``target_basis`` (appended); the new view ``strikes_monthly_all`` counts every event by
  ``target_category`` (the rest is easy to see).

The view SQL is written out here, frozen (0002's and 0003's text with the changes above);
``events_enriched`` is 0003's with two columns appended.
"""

from __future__ import annotations

import importlib
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD_VIEWS = ("events_enriched", "strikes_monthly", "facility_strikes", "capacity_hit_monthly", "strikes_by_region")
NEW_VIEWS = (*OLD_VIEWS, "strikes_monthly_all")

_MONTH_SQL = {
    "sqlite": "strftime('%Y-%m', {col})",
    "postgresql": "to_char({col}, 'YYYY-MM')",
}

_RANK_SQL = (
    "CASE {col} WHEN 'confirmed' THEN 0 WHEN 'likely' THEN 1 WHEN 'possible' THEN 2 WHEN 'unverified' THEN 3 END"
)

#: The categories the strike views count.
_COUNTED = "('energy', 'rail')"

_V2 = importlib.import_module("migrations.versions.0002_analysis_views")
_V3 = importlib.import_module("migrations.versions.0003_region_codes")

_NEW_ENRICHED_COLUMNS = """,
    e.target_category AS target_category,
    e.target_basis AS target_basis
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
WHERE e.target_category IN {counted}
GROUP BY {month}, e.country, e.admin1_code, CASE WHEN e.admin1_code IS NULL THEN e.admin1 END, e.confidence
"""


def _enriched_sql(dialect: str) -> str:
    head, sep, tail = _V3._enriched_sql(dialect).partition("\nFROM events e\n")
    assert sep, "0003's events_enriched changed shape"
    return head + _NEW_ENRICHED_COLUMNS + tail


STRIKES_MONTHLY = """
CREATE VIEW strikes_monthly AS
SELECT
    {month} AS month,
    COALESCE(e.country, f.country) AS country,
    COALESCE(f.facility_type, e.facility_type) AS facility_type,
    e.confidence AS confidence,
    COUNT(*) AS strikes,
    COUNT(DISTINCT e.facility_id) AS facilities_hit
FROM events e
LEFT JOIN facilities f ON f.id = e.facility_id
WHERE e.target_category IN {counted}
GROUP BY {month}, COALESCE(e.country, f.country), COALESCE(f.facility_type, e.facility_type), e.confidence
"""

STRIKES_MONTHLY_ALL = """
CREATE VIEW strikes_monthly_all AS
SELECT
    {month} AS month,
    COALESCE(e.country, f.country) AS country,
    e.target_category AS target_category,
    COALESCE(f.facility_type, e.facility_type) AS facility_type,
    e.confidence AS confidence,
    COUNT(*) AS strikes,
    COUNT(DISTINCT e.facility_id) AS facilities_hit
FROM events e
LEFT JOIN facilities f ON f.id = e.facility_id
GROUP BY {month}, COALESCE(e.country, f.country), e.target_category, COALESCE(f.facility_type, e.facility_type),
         e.confidence
"""

FACILITY_STRIKES = """
CREATE VIEW facility_strikes AS
SELECT
    f.id AS facility_id,
    f.slug AS slug,
    f.name AS name,
    f.facility_type AS facility_type,
    f.country AS country,
    f.admin1 AS admin1,
    f.operator AS operator,
    f.capacity_mtpa AS capacity_mtpa,
    f.capacity_kbd AS capacity_kbd,
    f.capacity_mw AS capacity_mw,
    COUNT(e.id) AS strikes,
    COALESCE(SUM(CASE WHEN e.confidence = 'confirmed' THEN 1 ELSE 0 END), 0) AS confirmed_strikes,
    COALESCE(SUM(CASE WHEN e.confidence IN ('confirmed', 'likely') THEN 1 ELSE 0 END), 0) AS likely_or_better_strikes,
    MIN(e.event_date) AS first_strike,
    MAX(e.event_date) AS last_strike,
    f.latitude AS latitude,
    f.longitude AS longitude
FROM facilities f
LEFT JOIN events e ON e.facility_id = f.id AND e.target_category IN {counted}
GROUP BY f.id, f.slug, f.name, f.facility_type, f.country, f.admin1, f.operator,
         f.capacity_mtpa, f.capacity_kbd, f.capacity_mw, f.latitude, f.longitude
"""

CAPACITY_HIT_MONTHLY = """
CREATE VIEW capacity_hit_monthly AS
WITH levels (min_confidence, level_rank) AS (
    VALUES ('confirmed', 0), ('likely', 1), ('possible', 2), ('unverified', 3)
),
hits AS (
    SELECT
        f.id AS facility_id,
        f.country AS country,
        {month} AS month,
        f.facility_type AS facility_type,
        MIN({rank}) AS best_rank,
        SUM(CASE WHEN e.confidence = 'confirmed' THEN 1 ELSE 0 END) AS n0,
        SUM(CASE WHEN e.confidence = 'likely' THEN 1 ELSE 0 END) AS n1,
        SUM(CASE WHEN e.confidence = 'possible' THEN 1 ELSE 0 END) AS n2,
        SUM(CASE WHEN e.confidence = 'unverified' THEN 1 ELSE 0 END) AS n3,
        f.capacity_mtpa AS capacity_mtpa,
        f.capacity_kbd AS capacity_kbd,
        f.capacity_mw AS capacity_mw
    FROM events e
    JOIN facilities f ON f.id = e.facility_id
    WHERE e.target_category IN {counted}
    GROUP BY f.id, f.country, {month}, f.facility_type, f.capacity_mtpa, f.capacity_kbd, f.capacity_mw
),
totals AS (
    SELECT
        country,
        facility_type,
        SUM(capacity_mtpa) AS country_capacity_mtpa,
        SUM(capacity_kbd) AS country_capacity_kbd,
        SUM(capacity_mw) AS country_capacity_mw
    FROM facilities
    GROUP BY country, facility_type
),
per_level AS (
    SELECT
        h.country AS country,
        h.month AS month,
        h.facility_type AS facility_type,
        l.min_confidence AS min_confidence,
        l.level_rank AS level_rank,
        SUM(CASE WHEN h.best_rank <= l.level_rank THEN 1 ELSE 0 END) AS facilities_hit,
        -- PostgreSQL's SUM(bigint) is numeric: cast back so both backends return integers.
        CAST(SUM(CASE l.level_rank WHEN 0 THEN h.n0 WHEN 1 THEN h.n0 + h.n1 WHEN 2 THEN h.n0 + h.n1 + h.n2
                 ELSE h.n0 + h.n1 + h.n2 + h.n3 END) AS BIGINT) AS strikes,
        SUM(CASE WHEN h.best_rank <= l.level_rank THEN h.capacity_mtpa END) AS capacity_hit_mtpa,
        SUM(CASE WHEN h.best_rank <= l.level_rank THEN h.capacity_kbd END) AS capacity_hit_kbd,
        SUM(CASE WHEN h.best_rank <= l.level_rank THEN h.capacity_mw END) AS capacity_hit_mw
    FROM hits h CROSS JOIN levels l
    GROUP BY h.country, h.month, h.facility_type, l.min_confidence, l.level_rank
)
SELECT
    p.country AS country,
    p.month AS month,
    p.facility_type AS facility_type,
    p.min_confidence AS min_confidence,
    p.facilities_hit AS facilities_hit,
    CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_mtpa END AS capacity_hit_mtpa,
    CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_kbd END AS capacity_hit_kbd,
    CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_mw END AS capacity_hit_mw,
    t.country_capacity_mtpa AS country_capacity_mtpa,
    t.country_capacity_kbd AS country_capacity_kbd,
    t.country_capacity_mw AS country_capacity_mw,
    CASE
        WHEN p.facility_type IN ('power_plant', 'substation')
            THEN (CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_mw END)
                 / NULLIF(t.country_capacity_mw, 0)
        ELSE COALESCE(
            (CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_mtpa END) / NULLIF(t.country_capacity_mtpa, 0),
            (CASE WHEN p.facilities_hit = 0 THEN 0.0 ELSE p.capacity_hit_kbd END) / NULLIF(t.country_capacity_kbd, 0)
        )
    END AS share_capacity,
    p.strikes AS strikes,
    p.level_rank AS confidence_rank
FROM per_level p
LEFT JOIN totals t ON t.country IS NOT DISTINCT FROM p.country AND t.facility_type = p.facility_type
"""


def _view_sql(dialect: str) -> list[str]:
    """Return the CREATE VIEW statements of this revision for ``dialect``, dependencies first."""
    month = _MONTH_SQL[dialect].format(col="e.event_date")
    rank = _RANK_SQL.format(col="e.confidence")
    return [
        _enriched_sql(dialect),
        STRIKES_MONTHLY.format(month=month, counted=_COUNTED),
        FACILITY_STRIKES.format(counted=_COUNTED),
        CAPACITY_HIT_MONTHLY.format(month=month, rank=rank, counted=_COUNTED),
        STRIKES_MONTHLY_ALL.format(month=month),
        STRIKES_BY_REGION.format(month=month, counted=_COUNTED),
    ]


def upgrade() -> None:
    for name in reversed(OLD_VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    # Plain ADD COLUMN (no table rebuild on SQLite); the CHECK constraint comes with the column.
    op.add_column(
        "events",
        sa.Column(
            "target_category",
            sa.String(length=10),
            sa.CheckConstraint(
                "target_category IN ('energy', 'rail', 'other', 'unknown')", name=op.f("ck_events_target_category")
            ),
            server_default="unknown",
            nullable=False,
        ),
    )
    op.add_column("events", sa.Column("target_basis", sa.String(length=300), nullable=True))
    op.add_column("events", sa.Column("link_evidence", sa.JSON(), nullable=True))
    op.create_table(
        "duplicate_candidates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_public_id", sa.String(length=40), nullable=False),
        sa.Column("other_public_id", sa.String(length=40), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="open", nullable=False),
        sa.Column("ingest_run_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('open', 'distinct', 'merged')", name=op.f("ck_duplicate_candidates_status")),
        sa.ForeignKeyConstraint(
            ["ingest_run_id"],
            ["ingest_runs.id"],
            name="fk_duplicate_candidates_ingest_run_id_ingest_runs",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_duplicate_candidates"),
        sa.UniqueConstraint(
            "event_public_id", "other_public_id", name="uq_duplicate_candidates_event_public_id_other_public_id"
        ),
    )
    op.create_index("ix_duplicate_candidates_other_public_id", "duplicate_candidates", ["other_public_id"])
    op.create_index("ix_duplicate_candidates_status", "duplicate_candidates", ["status"])
    for statement in _view_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for name in reversed(NEW_VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
    op.drop_index("ix_duplicate_candidates_status", table_name="duplicate_candidates")
    op.drop_index("ix_duplicate_candidates_other_public_id", table_name="duplicate_candidates")
    op.drop_table("duplicate_candidates")
    # Plain DROP COLUMN on both backends (SQLite >= 3.35 allows it: the CHECK constraint belongs to
    # the column itself, and the views that use the columns are gone).
    op.drop_column("events", "link_evidence")
    op.drop_column("events", "target_basis")
    op.drop_column("events", "target_category")
    dialect = op.get_bind().dialect.name
    month = _V2._MONTH_SQL[dialect].format(col="e.event_date")
    for statement in _V2._view_sql(dialect)[1:]:  # 0002's views but events_enriched
        op.execute(statement)
    op.execute(_V3._enriched_sql(dialect))
    op.execute(_V3.STRIKES_BY_REGION.format(month=month))
