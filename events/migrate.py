"""Schema migrations: thin wrappers over Alembic that work from a checkout or a wheel."""

from __future__ import annotations

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
    """Upgrade the schema to ``revision`` (default: the newest) in one transaction."""
    from alembic import command

    _run(engine, command.upgrade, revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Downgrade the schema to ``revision`` (``-1`` for one step, ``base`` for empty)."""
    from alembic import command

    _run(engine, command.downgrade, revision)


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
