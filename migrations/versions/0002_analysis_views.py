"""analysis views: events_enriched, strikes_monthly, facility_strikes, capacity_hit_monthly

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24

The four views have the same column names, in the same order, on SQLite and PostgreSQL, so
analyst SQL runs unchanged on both. Only two expressions differ by dialect: the month text
(``strftime`` on SQLite, ``to_char`` on PostgreSQL) and nothing else. The columns are documented
in ``docs/views.md``.

The SQL is frozen here on purpose (a migration must not change after release). Caution for a
later migration that *recreates* ``events``, ``facilities``, ``sources`` or ``event_sources`` with
SQLite batch mode: the final ``ALTER TABLE _alembic_tmp_x RENAME TO x`` fails with "error in
view events_enriched: no such table" because SQLite checks views while renaming. Wrap the batch
operation in ``PRAGMA legacy_alter_table = ON`` / ``OFF`` (the views refer to tables by name and
work again afterwards), or drop and re-create the views. Plain ``add_column`` needs neither.
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

VIEWS = ("events_enriched", "strikes_monthly", "facility_strikes", "capacity_hit_monthly")

_MONTH_SQL = {
    "sqlite": "strftime('%Y-%m', {col})",
    "postgresql": "to_char({col}, 'YYYY-MM')",
}

# 0 = confirmed ... 3 = unverified, as events.vocab.CONFIDENCE_LEVELS.
_RANK_SQL = (
    "CASE {col} WHEN 'confirmed' THEN 0 WHEN 'likely' THEN 1 WHEN 'possible' THEN 2 WHEN 'unverified' THEN 3 END"
)

# The best source of an event: official statements and imagery first, then the earliest
# published (undated last), then the lowest id, so the choice is stable across runs.
_BEST_SOURCE_ID = """(
        SELECT s2.id
        FROM event_sources es2 JOIN sources s2 ON s2.id = es2.source_id
        WHERE es2.event_id = e.id
        ORDER BY CASE WHEN s2.source_type IN ('official', 'imagery') OR es2.role = 'imagery' THEN 0 ELSE 1 END,
                 CASE WHEN s2.published_date IS NULL THEN 1 ELSE 0 END,
                 s2.published_date,
                 s2.id
        LIMIT 1
    )"""

EVENTS_ENRICHED = """
CREATE VIEW events_enriched AS
SELECT
    e.id AS event_id,
    e.public_id AS public_id,
    e.event_date AS event_date,
    e.date_precision AS date_precision,
    e.event_time_utc AS event_time_utc,
    {month} AS month,
    e.latitude AS latitude,
    e.longitude AS longitude,
    e.geo_precision AS geo_precision,
    e.geocoded_by AS geocoded_by,
    e.location_text AS location_text,
    COALESCE(e.country, f.country) AS country,
    COALESCE(e.admin1, f.admin1) AS admin1,
    e.facility_id AS facility_id,
    f.slug AS facility_slug,
    f.name AS facility_name,
    COALESCE(f.facility_type, e.facility_type) AS facility_type,
    f.operator AS facility_operator,
    f.capacity_mtpa AS capacity_mtpa,
    f.capacity_kbd AS capacity_kbd,
    f.capacity_mw AS capacity_mw,
    e.attack_type AS attack_type,
    e.effect AS effect,
    e.damage_level AS damage_level,
    e.description AS description,
    e.claim_status AS claim_status,
    e.source_reliability AS source_reliability,
    e.info_credibility AS info_credibility,
    CASE
        WHEN e.source_reliability IS NULL AND e.info_credibility IS NULL THEN NULL
        ELSE COALESCE(e.source_reliability, 'F') || CAST(COALESCE(e.info_credibility, 6) AS VARCHAR(1))
    END AS admiralty_grade,
    e.confidence AS confidence,
    {rank} AS confidence_rank,
    (SELECT COUNT(*) FROM event_sources es1 WHERE es1.event_id = e.id) AS source_count,
    bs.url AS best_source_url,
    bs.publisher AS best_source_publisher,
    e.origin AS origin,
    e.external_id AS external_id,
    e.created_at AS created_at,
    e.updated_at AS updated_at,
    e.facility_name_reported AS facility_name_reported,
    e.facility_match AS facility_match,
    e.facility_distance_km AS facility_distance_km,
    e.fatalities_best AS fatalities_best,
    bs.published_date AS best_source_published_date,
    bs.source_type AS best_source_type
FROM events e
LEFT JOIN facilities f ON f.id = e.facility_id
LEFT JOIN sources bs ON bs.id = {best_source}
"""

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
GROUP BY {month}, COALESCE(e.country, f.country), COALESCE(f.facility_type, e.facility_type), e.confidence
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
LEFT JOIN events e ON e.facility_id = f.id
GROUP BY f.id, f.slug, f.name, f.facility_type, f.country, f.admin1, f.operator,
         f.capacity_mtpa, f.capacity_kbd, f.capacity_mw, f.latitude, f.longitude
"""

# One row per (facility, month) struck, with the best confidence of that month's strikes and
# the number of strikes at each level; then one output row per confidence threshold. A facility
# struck three times in a month therefore counts once towards the capacity hit.
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
    """Return the CREATE VIEW statements for ``dialect``, dependencies first."""
    month = _MONTH_SQL[dialect].format(col="e.event_date")
    rank = _RANK_SQL.format(col="e.confidence")
    return [
        EVENTS_ENRICHED.format(month=month, rank=rank, best_source=_BEST_SOURCE_ID),
        STRIKES_MONTHLY.format(month=month),
        FACILITY_STRIKES,
        CAPACITY_HIT_MONTHLY.format(month=month, rank=rank),
    ]


def upgrade() -> None:
    for statement in _view_sql(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for name in reversed(VIEWS):
        op.execute(f"DROP VIEW IF EXISTS {name}")
