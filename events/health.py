"""Checks of the data itself, and repairs (``strikedb db check`` / ``strikedb db repair``).

:func:`check_data` looks beyond the schema: the SQLite file's pages (``PRAGMA quick_check``,
or the full ``integrity_check``), foreign keys, the spatial index (SQLite R*Tree, PostGIS
``geom`` + GiST) in step with ``latitude``/``longitude``, the triggers that keep it so, and runs
left ``running`` by a process that died. :func:`repair` rebuilds what can be rebuilt from the
data: indexes (``REINDEX``), the spatial index and its triggers, and closes dead runs. Page
damage in the file cannot be repaired here: restore a backup.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine

import migrations
from events import runs
from events.db import SQLITE_RTREE_VALUES, sqlite_rtree_columns
from events.errors import DatabaseDamagedError

#: Problems listed per check at most (a damaged file can report thousands of pages).
MAX_DETAILS = 10
#: The R*Tree stores 32-bit floats rounded outwards: a point is "in step" within this (degrees).
RTREE_TOLERANCE_DEG = 1e-4


@dataclass
class Finding:
    """One problem found: what is wrong, and how it is repaired."""

    check: str
    detail: str
    repair: str


@dataclass
class HealthReport:
    """What :func:`check_data` found. ``ok`` when nothing."""

    checks: list[str] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.findings

    @property
    def repairable(self) -> bool:
        """True when ``strikedb db repair`` fixes every finding."""
        return all(f.repair == "db repair" for f in self.findings)


def _pragma_rows(conn: Connection, pragma: str) -> list[str]:
    rows = conn.exec_driver_sql(f"PRAGMA {pragma}").fetchall()
    # One row may hold several lines ("*** in database main ***\nOn tree page 19 ...").
    lines = [line for row in rows for line in " ".join(str(v) for v in row).splitlines()]
    return [line for line in lines if line.strip() and not line.startswith("*** in database")]


def quick_check(conn: Connection) -> list[str]:
    """Return SQLite's ``quick_check`` problems (empty when the file is sound; [] on PostgreSQL)."""
    if conn.dialect.name != "sqlite":
        return []
    found = _pragma_rows(conn, f"quick_check({MAX_DETAILS})")
    return [] if found == ["ok"] else found


def refuse_damaged(conn: Connection) -> None:
    """Raise :class:`DatabaseDamagedError` when the SQLite file fails ``quick_check``.

    Called before an ingest writes: writing into a damaged file spreads the damage.
    """
    try:
        problems = quick_check(conn)
    except Exception as exc:  # "database disk image is malformed" from the check itself
        raise DatabaseDamagedError(f"the database file is damaged: {exc}".splitlines()[0]) from exc
    if problems:
        shown = "; ".join(problems[:2]) + (f" (and {len(problems) - 2} more)" if len(problems) > 2 else "")
        raise DatabaseDamagedError(f"the database file is damaged: {shown}")


def _page_checks(conn: Connection, report: HealthReport, *, full: bool) -> None:
    name = "integrity_check" if full else "quick_check"
    report.checks.append(f"file pages ({name})")
    try:
        pages = _pragma_rows(conn, f"{name}({MAX_DETAILS})")
    except Exception as exc:  # "database disk image is malformed", "file is not a database"
        pages = [str(getattr(exc, "orig", exc)).splitlines()[0]]
    if pages != ["ok"]:
        for detail in pages[:MAX_DETAILS]:
            report.findings.append(Finding(name, detail, "restore a backup"))


def check_pages(engine: Engine, *, full: bool = False) -> HealthReport:
    """SQLite: check only the file's pages (never raises for a damaged file); PostgreSQL: nothing."""
    report = HealthReport()
    if engine.dialect.name != "sqlite":
        return report
    try:
        with engine.connect() as conn:
            _page_checks(conn, report, full=full)
    except Exception as exc:  # the file cannot even be opened
        report.findings.append(Finding("file", str(getattr(exc, "orig", exc)).splitlines()[0], "restore a backup"))
    return report


def _sqlite_checks(conn: Connection, report: HealthReport, *, full: bool) -> None:
    _page_checks(conn, report, full=full)
    if report.findings:
        return  # the other checks read the same damaged pages
    report.checks.append("foreign keys")
    for row in conn.exec_driver_sql("PRAGMA foreign_key_check").fetchmany(MAX_DETAILS):
        table, rowid, parent = row[0], row[1], row[2]
        report.findings.append(
            Finding("foreign keys", f"{table} row {rowid} refers to a missing {parent} row", "restore a backup")
        )
    for table in migrations.SPATIAL_TABLES:
        report.checks.append(f"{table} R*Tree")
        missing = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} AS t WHERE t.latitude IS NOT NULL AND t.longitude IS NOT NULL "
            f"AND NOT EXISTS (SELECT 1 FROM {table}_rtree AS r WHERE r.id = t.id)"
        ).scalar_one()
        stray = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table}_rtree AS r WHERE NOT EXISTS "
            f"(SELECT 1 FROM {table} AS t WHERE t.id = r.id AND t.latitude IS NOT NULL AND t.longitude IS NOT NULL)"
        ).scalar_one()
        # Since 0009 the events' entries also hold the day of their date (events.db.SQLITE_RTREE_VALUES).
        day = SQLITE_RTREE_VALUES["min_day"].format(row="t")
        days = f" OR r.min_day <> {day} OR r.max_day <> {day}" if "min_day" in sqlite_rtree_columns(conn, table) else ""
        moved = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} AS t JOIN {table}_rtree AS r ON r.id = t.id "
            f"WHERE abs(r.min_lat - t.latitude) > ? OR abs(r.max_lat - t.latitude) > ? "
            f"OR abs(r.min_lon - t.longitude) > ? OR abs(r.max_lon - t.longitude) > ?{days}",
            (RTREE_TOLERANCE_DEG,) * 4,
        ).scalar_one()
        for count, what in ((missing, "have no R*Tree entry"), (stray, "R*Tree entries have no row"),
                            (moved, "R*Tree entries are not at the row's coordinates or date")):  # fmt: skip
            if count:
                report.findings.append(Finding(f"{table} R*Tree", f"{count} {table} {what}", "db repair"))


def _pg_checks(conn: Connection, report: HealthReport) -> None:
    report.checks.append("foreign keys (enforced by PostgreSQL)")
    for table in migrations.SPATIAL_TABLES:
        report.checks.append(f"{table} PostGIS geom")
        differ = conn.exec_driver_sql(
            f"SELECT count(*) FROM {table} WHERE (geom IS NULL) <> (latitude IS NULL OR longitude IS NULL) "
            "OR (geom IS NOT NULL AND (abs(ST_Y(geom) - latitude) > 1e-9 OR abs(ST_X(geom) - longitude) > 1e-9))"
        ).scalar_one()
        if differ:
            report.findings.append(
                Finding(
                    f"{table} geom", f"{differ} {table} have a geom that differs from their coordinates", "db repair"
                )
            )
        valid = conn.exec_driver_sql(
            "SELECT i.indisvalid FROM pg_index AS i JOIN pg_class AS c ON c.oid = i.indexrelid WHERE c.relname = %s",
            (f"ix_{table}_geom",),
        ).scalar()
        if valid is None:
            report.findings.append(Finding(f"{table} GiST", f"the GiST index ix_{table}_geom is missing", "db repair"))
        elif not valid:
            report.findings.append(Finding(f"{table} GiST", f"the GiST index ix_{table}_geom is invalid", "db repair"))


def _trigger_names(conn: Connection) -> set[str]:
    if conn.dialect.name == "sqlite":
        rows = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'trigger'")
    else:
        rows = conn.exec_driver_sql("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
    return {row[0] for row in rows}


def check_data(engine: Engine, *, full: bool = False) -> HealthReport:
    """Check the stored data (not the schema: see :func:`events.migrate.drift` for that).

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A database at the code's schema (read-only is enough).
    full : bool
        SQLite: run the full ``integrity_check`` (reads every index entry; slower) instead of
        ``quick_check``.

    Returns
    -------
    HealthReport
    """
    report = HealthReport()
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            _sqlite_checks(conn, report, full=full)
            if not report.repairable:
                return report
        else:
            _pg_checks(conn, report)
        report.checks.append("spatial triggers")
        present = _trigger_names(conn)
        for trigger, table in migrations.expected_triggers(conn.dialect.name).items():
            if trigger not in present:
                report.findings.append(Finding("triggers", f"trigger {trigger} on {table} is missing", "db repair"))
        report.checks.append("runs left running by a dead process")
        for run in runs.dead_runs(conn):
            report.findings.append(
                Finding(
                    "runs",
                    f"run {run['id']} ({run['file_path']}, started {str(run['started_at'])[:19]}) is 'running' "
                    "but its process is gone",
                    "db repair",
                )
            )
        conn.rollback()
    return report


@dataclass
class RepairReport:
    """What :func:`repair` did."""

    actions: list[str] = field(default_factory=list)


def repair(engine: Engine) -> RepairReport:
    """Rebuild what can be rebuilt from the data, in one transaction.

    Rebuilds every index (``REINDEX``), refills the spatial index from the coordinates and
    re-creates its triggers, and marks runs of dead processes ``interrupted``.

    Raises
    ------
    DatabaseDamagedError
        When the SQLite file's pages are damaged (only a backup helps then).
    """
    done = RepairReport()
    with engine.connect() as conn:
        refuse_damaged(conn)
        conn.rollback()
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("REINDEX")
            done.actions.append("rebuilt every index (REINDEX)")
        migrations.rebuild_spatial(conn)
        done.actions.append("refilled the spatial index from the coordinates and re-created its triggers")
        closed = runs.close_dead_runs(conn)
        if closed:
            done.actions.append(f"marked {len(closed)} run(s) of dead processes interrupted: {closed}")
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").exec_driver_sql("REINDEX TABLE events")
        done.actions.append("rebuilt the indexes of events (REINDEX)")
    return done
