"""Schema migrations: thin wrappers over Alembic that work from a checkout or a wheel."""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.resources import files
from typing import TYPE_CHECKING, Any

from events.errors import MigrationError, SchemaOutOfDateError

# Alembic, GeoAlchemy2 and the ORM models are imported by the functions that use them: the CLI
# imports this module at start-up, and `strikedb --help` should not pay for them.
if TYPE_CHECKING:  # pragma: no cover
    from alembic.config import Config
    from sqlalchemy import Engine


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Tell Alembic's comparison to skip objects that exist on one backend only.

    The PostGIS ``geom`` columns, their GiST indexes, the SQLite R*Tree tables (and their
    shadow tables) and PostGIS's own ``spatial_ref_sys`` are created by migrations, not models.
    """
    from events.models import BACKEND_ONLY_OBJECTS

    if type_ == "table" and name is not None:
        return name not in BACKEND_ONLY_OBJECTS["tables"] and not name.startswith(
            ("events_rtree_", "facilities_rtree_")
        )
    if type_ == "column":
        return (obj.table.name, name) not in BACKEND_ONLY_OBJECTS["columns"]
    if type_ == "index":
        return name not in BACKEND_ONLY_OBJECTS["indexes"]
    return True


def alembic_config(engine: Engine | None = None) -> Config:
    """Build an Alembic configuration pointing at the packaged ``migrations`` scripts.

    Parameters
    ----------
    engine : sqlalchemy.Engine, optional
        When given, its URL is recorded (for ``alembic`` commands that need one).

    Returns
    -------
    alembic.config.Config
    """
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("migrations")))
    if engine is not None:
        url = engine.url.render_as_string(hide_password=False)
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _run(engine: Engine, fn, *args: Any) -> None:
    from alembic.util.exc import CommandError

    config = alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            fn(config, *args)
    except CommandError as exc:
        raise MigrationError(str(exc), hint="`strikedb db history` lists the known revisions") from exc


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` (default: the newest) in one transaction.

    On PostgreSQL, reader roles made with ``strikedb db reader create`` are granted ``SELECT``
    on every table and view afterwards (see :func:`events.pgroles.refresh_reader_grants`), so a
    migration that adds or re-creates a view never leaves analysts without it.
    """
    from alembic import command

    _run(engine, command.upgrade, revision)
    if engine.dialect.name == "postgresql":
        from events import pgroles

        pgroles.refresh_reader_grants(engine)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to ``revision`` (``-1`` for one step, ``base`` for empty)."""
    from alembic import command

    _run(engine, command.downgrade, revision)


@dataclass(frozen=True)
class DowngradePlan:
    """What a downgrade would do, found by running it in a transaction that is rolled back.

    Attributes
    ----------
    before, after : tuple of str
        Revisions now and after the downgrade.
    dropped_tables : dict
        Table name -> rows it holds, for tables the downgrade drops.
    dropped_columns : dict
        ``"table.column"`` -> values (non-NULL) it holds, for columns the downgrade drops.
    lost_rows : dict
        Table name -> rows removed from a table that stays.
    """

    before: tuple[str, ...]
    after: tuple[str, ...]
    dropped_tables: dict[str, int] = field(default_factory=dict)
    dropped_columns: dict[str, int] = field(default_factory=dict)
    lost_rows: dict[str, int] = field(default_factory=dict)

    @property
    def loses_data(self) -> bool:
        """True when a dropped table or column, or a surviving table, holds data that would go."""
        return any(self.dropped_tables.values()) or any(self.dropped_columns.values()) or bool(self.lost_rows)

    def describe(self) -> list[str]:
        """One line per table or column that goes, with its row or value count."""
        lines = [f"table {name}: {rows:,} rows" for name, rows in sorted(self.dropped_tables.items())]
        lines += [f"column {name}: {values:,} values" for name, values in sorted(self.dropped_columns.items())]
        lines += [f"rows removed from {name}: {rows:,}" for name, rows in sorted(self.lost_rows.items())]
        return lines


def _counted(name: str) -> bool:
    """Tables whose loss matters: not Alembic's, not spatial indexes or PostGIS's own tables."""
    from events.models import BACKEND_ONLY_OBJECTS

    return not (
        name == "alembic_version"
        or name.startswith(("sqlite_", "events_rtree", "facilities_rtree"))
        or name in BACKEND_ONLY_OBJECTS["tables"]
    )


def _inventory(connection: Any) -> dict[str, tuple[int, dict[str, int]]]:
    """Rows and non-NULL values per column of every counted table (one scan per table)."""
    from sqlalchemy import inspect

    from events.models import BACKEND_ONLY_OBJECTS

    if connection.dialect.name == "postgresql":
        import geoalchemy2  # noqa: F401  (registers PostGIS types so reflection knows `geometry`)
    inspector = inspect(connection)
    quote = connection.dialect.identifier_preparer.quote
    found: dict[str, tuple[int, dict[str, int]]] = {}
    for table in inspector.get_table_names():
        if not _counted(table):
            continue
        skipped = BACKEND_ONLY_OBJECTS["columns"]
        columns = [c["name"] for c in inspector.get_columns(table) if (table, c["name"]) not in skipped]
        counts = ", ".join(["count(*)", *(f"count({quote(c)})" for c in columns)])
        row = connection.exec_driver_sql(f"SELECT {counts} FROM {quote(table)}").one()
        found[table] = (int(row[0]), {c: int(v) for c, v in zip(columns, row[1:], strict=True)})
    return found


def plan_downgrade(engine: Engine, revision: str) -> DowngradePlan:
    """Find out what downgrading to ``revision`` would drop, without changing anything.

    The downgrade runs inside a transaction (DDL is transactional on SQLite and PostgreSQL)
    between two inventories of every table, then the transaction is rolled back.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A writable engine (the dry run takes the same locks as the real downgrade, briefly).
    revision : str
        ``-1``, ``base`` or a revision id, as for :func:`downgrade`.

    Returns
    -------
    DowngradePlan

    Raises
    ------
    MigrationError
        For a revision Alembic does not know or cannot reach.
    """
    from alembic import command
    from alembic.runtime.migration import MigrationContext
    from alembic.util.exc import CommandError

    config = alembic_config(engine)
    with engine.connect() as connection:
        transaction = connection.begin()
        try:
            before_heads = tuple(MigrationContext.configure(connection).get_current_heads())
            before = _inventory(connection)
            config.attributes["connection"] = connection
            try:
                command.downgrade(config, revision)
            except CommandError as exc:
                raise MigrationError(str(exc), hint="`strikedb db history` lists the known revisions") from exc
            after_heads = tuple(MigrationContext.configure(connection).get_current_heads())
            after = _inventory(connection)
        finally:
            transaction.rollback()
    plan = DowngradePlan(before=before_heads, after=after_heads)
    for table, (rows, columns) in before.items():
        if table not in after:
            plan.dropped_tables[table] = rows
            continue
        rows_after, columns_after = after[table]
        if rows_after < rows:
            plan.lost_rows[table] = rows - rows_after
        for column, values in columns.items():
            if column not in columns_after:
                plan.dropped_columns[f"{table}.{column}"] = values
    return plan


def heads() -> tuple[str, ...]:
    """Return the head revision(s) of the packaged migrations (normally exactly one)."""
    from alembic.script import ScriptDirectory

    return tuple(ScriptDirectory.from_config(alembic_config()).get_heads())


def history() -> list[tuple[str, str | None, str]]:
    """Return ``(revision, down_revision, message)`` for every migration, newest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [(s.revision, s.down_revision, s.doc) for s in script.walk_revisions()]  # type: ignore[misc]


def current(engine: Engine) -> tuple[str, ...]:
    """Return the revision(s) the database is at; empty for a database never migrated."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return tuple(MigrationContext.configure(connection).get_current_heads())


def drift(engine: Engine) -> list[Any]:
    """Compare the live schema with :mod:`events.models`.

    Returns
    -------
    list
        Alembic's diff entries; empty when models and database agree.
    """
    import geoalchemy2  # noqa: F401  (registers PostGIS types so reflection knows `geometry`)
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from events.models import Base

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include_object, "compare_type": True})
        return compare_metadata(context, Base.metadata)


def check(engine: Engine) -> None:
    """Raise unless the database is exactly at the code's head revision.

    Raises
    ------
    SchemaOutOfDateError
        When the database is empty, behind, or at a revision this code does not know.
    """
    at = set(current(engine))
    expected = set(heads())
    if at == expected:
        return
    if not at:
        raise SchemaOutOfDateError(
            "the database has no strikedb schema",
            hint="run `strikedb db upgrade` to create it (or `strikedb demo` for sample data)",
        )
    known = {rev for rev, _, _ in history()}
    if not at <= known:
        raise SchemaOutOfDateError(
            f"the database is at revision {', '.join(sorted(at))}, which this strikedb does not know",
            hint="upgrade strikedb itself; the database was migrated by a newer version",
        )
    raise SchemaOutOfDateError(
        f"the database schema is at {', '.join(sorted(at))} but this strikedb needs {', '.join(sorted(expected))}"
    )
