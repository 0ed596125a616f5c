"""Backend-specific spatial DDL used by migrations.

SQLite: R*Tree virtual tables ``<table>_rtree(id, min_lat, max_lat, min_lon, max_lon)`` kept in
step with ``latitude``/``longitude`` by triggers; since 0009 ``events_rtree`` also holds the day of
``event_date`` (``min_day, max_day``; what each column holds: ``events.db.SQLITE_RTREE_VALUES``).
PostgreSQL: a PostGIS ``geom`` column (``geometry(Point, 4326)``) kept in step by a trigger, with a
GiST index.

Caution for future migrations: a SQLite batch operation that recreates ``events`` or
``facilities`` drops their triggers; call :func:`create_sqlite_triggers` again afterwards.
"""

from __future__ import annotations

from alembic import op

from events.db import sqlite_rtree_columns, sqlite_rtree_entry

SPATIAL_TABLES = ("events", "facilities")

PG_DISTANCE_FUNCTION = """
CREATE OR REPLACE FUNCTION distance_km(
    lat1 double precision, lon1 double precision, lat2 double precision, lon2 double precision
) RETURNS double precision LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT 2 * 6371.0088 * asin(least(1.0, sqrt(
        power(sin(radians(lat2 - lat1) / 2), 2)
        + cos(radians(lat1)) * cos(radians(lat2)) * power(sin(radians(lon2 - lon1) / 2), 2)
    )))
$$
"""

PG_SYNC_FUNCTION = """
CREATE OR REPLACE FUNCTION strikedb_sync_geom() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.latitude IS NULL OR NEW.longitude IS NULL THEN
        NEW.geom := NULL;
    ELSE
        NEW.geom := ST_SetSRID(ST_MakePoint(NEW.longitude, NEW.latitude), 4326);
    END IF;
    RETURN NEW;
END
$$
"""


def create_sqlite_triggers(table: str) -> None:
    """(Re)create the triggers that keep ``<table>_rtree`` in step with ``<table>``.

    The triggers fill every column the R*Tree has (its layout differs between revisions: see
    :func:`set_event_days`).
    """
    rtree = f"{table}_rtree"
    columns = sqlite_rtree_columns(op.get_bind(), table)
    names = ", ".join(columns)
    watched = "id, latitude, longitude" + (", event_date" if "min_day" in columns else "")
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS {rtree}_{name}")
    op.execute(
        f"CREATE TRIGGER {rtree}_insert AFTER INSERT ON {table} "
        "WHEN new.latitude IS NOT NULL AND new.longitude IS NOT NULL BEGIN "
        f"INSERT OR REPLACE INTO {rtree} ({names}) VALUES ({sqlite_rtree_entry(columns, 'new')}); END"
    )
    op.execute(
        f"CREATE TRIGGER {rtree}_update AFTER UPDATE OF {watched} ON {table} BEGIN "
        f"DELETE FROM {rtree} WHERE id = old.id; "
        f"INSERT INTO {rtree} ({names}) SELECT {sqlite_rtree_entry(columns, 'new')} "
        "WHERE new.latitude IS NOT NULL AND new.longitude IS NOT NULL; END"
    )
    op.execute(
        f"CREATE TRIGGER {rtree}_delete AFTER DELETE ON {table} BEGIN DELETE FROM {rtree} WHERE id = old.id; END"
    )


def _fill_sqlite_rtree(table: str) -> None:
    columns = sqlite_rtree_columns(op.get_bind(), table)
    op.execute(
        f"INSERT INTO {table}_rtree ({', '.join(columns)}) SELECT {sqlite_rtree_entry(columns, table)} FROM {table} "
        "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
    )


def set_event_days(days: bool) -> None:
    """Re-create ``events_rtree`` on SQLite with (``days``) or without the day of ``event_date``.

    The table is dropped, created with the new columns, filled from ``events`` and given its
    triggers again, in the migration's transaction. Nothing happens on PostgreSQL (its GiST
    index and the ``event_date`` index are combined by the planner).
    """
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS events_rtree_{name}")
    op.execute("DROP TABLE IF EXISTS events_rtree")
    day_columns = ", min_day, max_day" if days else ""
    op.execute(f"CREATE VIRTUAL TABLE events_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon{day_columns})")
    _fill_sqlite_rtree("events")
    create_sqlite_triggers("events")


def create_spatial() -> None:
    """Create the spatial index structures of the current backend."""
    dialect = op.get_bind().dialect.name
    for table in SPATIAL_TABLES:
        if dialect == "sqlite":
            op.execute(f"CREATE VIRTUAL TABLE {table}_rtree USING rtree(id, min_lat, max_lat, min_lon, max_lon)")
            _fill_sqlite_rtree(table)
            create_sqlite_triggers(table)
        elif dialect == "postgresql":
            op.execute(PG_SYNC_FUNCTION)
            op.execute(f"ALTER TABLE {table} ADD COLUMN geom geometry(Point, 4326)")
            op.execute(
                f"UPDATE {table} SET geom = ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) "
                "WHERE latitude IS NOT NULL AND longitude IS NOT NULL"
            )
            op.execute(
                f"CREATE TRIGGER {table}_sync_geom BEFORE INSERT OR UPDATE OF latitude, longitude ON {table} "
                "FOR EACH ROW EXECUTE FUNCTION strikedb_sync_geom()"
            )
            op.execute(f"CREATE INDEX ix_{table}_geom ON {table} USING gist (geom)")


def drop_spatial() -> None:
    """Drop what :func:`create_spatial` created."""
    dialect = op.get_bind().dialect.name
    for table in SPATIAL_TABLES:
        if dialect == "sqlite":
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_rtree_{name}")
            op.execute(f"DROP TABLE IF EXISTS {table}_rtree")
        elif dialect == "postgresql":
            op.execute(f"DROP TRIGGER IF EXISTS {table}_sync_geom ON {table}")
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_geom")
            op.execute(f"ALTER TABLE {table} DROP COLUMN IF EXISTS geom")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS strikedb_sync_geom()")


def expected_triggers(dialect: str) -> dict[str, str]:
    """Return ``{trigger name: table}`` of the spatial triggers :func:`create_spatial` creates."""
    if dialect == "sqlite":
        return {f"{table}_rtree_{name}": table for table in SPATIAL_TABLES for name in ("insert", "update", "delete")}
    return {f"{table}_sync_geom": table for table in SPATIAL_TABLES}


def rebuild_spatial(connection) -> None:
    """Re-create the spatial triggers and refill the spatial index from the coordinates.

    Used by ``strikedb db repair`` (outside Alembic): SQLite R*Tree tables are emptied and
    refilled, their triggers re-created; on PostgreSQL the trigger is re-created, ``geom`` is
    recomputed where it differs and the GiST index rebuilt. Runs in the caller's transaction.
    """
    from alembic.operations import Operations
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection)
    with Operations.context(context):
        dialect = connection.dialect.name
        for table in SPATIAL_TABLES:
            if dialect == "sqlite":
                op.execute(f"DELETE FROM {table}_rtree")
                _fill_sqlite_rtree(table)
                create_sqlite_triggers(table)
            elif dialect == "postgresql":
                op.execute(PG_SYNC_FUNCTION)
                op.execute(f"DROP TRIGGER IF EXISTS {table}_sync_geom ON {table}")
                op.execute(
                    f"CREATE TRIGGER {table}_sync_geom BEFORE INSERT OR UPDATE OF latitude, longitude ON {table} "
                    "FOR EACH ROW EXECUTE FUNCTION strikedb_sync_geom()"
                )
                op.execute(
                    f"UPDATE {table} SET geom = CASE WHEN latitude IS NULL OR longitude IS NULL THEN NULL "
                    "ELSE ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) END "
                    "WHERE geom IS DISTINCT FROM CASE WHEN latitude IS NULL OR longitude IS NULL THEN NULL "
                    "ELSE ST_SetSRID(ST_MakePoint(longitude, latitude), 4326) END"
                )
                op.execute(f"CREATE INDEX IF NOT EXISTS ix_{table}_geom ON {table} USING gist (geom)")
                op.execute(f"REINDEX INDEX ix_{table}_geom")
