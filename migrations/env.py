"""Alembic environment for strikedb.

Normally driven from code (:mod:`events.migrate`), which passes an open connection in
``config.attributes["connection"]`` so migrations share the caller's transaction. Plain
``alembic -c alembic.ini ...`` also works and connects to ``sqlalchemy.url`` /
``$STRIKEDB_URL``.
"""

from __future__ import annotations

from alembic import context

from events.db import make_engine
from events.migrate import include_object
from events.models import Base

config = context.config
target_metadata = Base.metadata


def _configure(connection) -> None:
    if connection.dialect.name == "postgresql":
        # Registers PostGIS types, so reflection (autogenerate, drift checks) knows `geometry`.
        import geoalchemy2  # noqa: F401

    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        # SQLite cannot ALTER most things; batch mode copies the table instead.
        render_as_batch=connection.dialect.name == "sqlite",
        include_object=include_object,
        compare_type=True,
    )


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``alembic upgrade --sql``)."""
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a live connection, the caller's if one was given."""
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.connect() as connection:
        _configure(connection)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
