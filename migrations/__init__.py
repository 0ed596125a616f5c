"""Alembic migration scripts of strikedb, shipped inside the wheel.

Located at run time with :mod:`importlib.resources` by :mod:`events.migrate`. The spatial DDL
helpers used by ``strikedb db check`` and ``db repair`` are re-exported here.
"""

from migrations._spatial import SPATIAL_TABLES, expected_triggers, rebuild_spatial

__all__ = ["SPATIAL_TABLES", "expected_triggers", "rebuild_spatial"]
