"""events_rtree holds the day of event_date: look-ups by place and date answered by the index

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02

SQLite only: ``events_rtree`` gets a third dimension, ``min_day``/``max_day``, the day of
``event_date`` (days since 1970-01-01, see ``events.db.SQLITE_RTREE_VALUES``), and its triggers
follow ``event_date`` too. The ingest's search for stored events that may be the same strike
(``events.ingest.candidates``: a box of 10 km and a window of about a month) read every event in
the box from ``events`` to check its date; at 200,000 events that was ~23 rows read per report
for ~2 kept. The R*Tree now answers both. The table is re-created and refilled from ``events``
in the migration's transaction; the downgrade re-creates the two-dimensional one. PostgreSQL:
nothing changes (the GiST index on ``geom`` and ``ix_events_event_date`` are combined by the
planner).
"""

from __future__ import annotations

from collections.abc import Sequence

from migrations import _spatial

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    _spatial.set_event_days(True)


def downgrade() -> None:
    _spatial.set_event_days(False)
