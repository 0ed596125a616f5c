"""Fixtures of the SQL tests: the sample data of tests/analysis_fixtures.py in a database of each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from events import migrate
from events.db import make_engine
from tests.analysis_fixtures import add_sample_data


@pytest.fixture
def both_engines(tmp_path: Path, pg_server) -> Iterator[dict[str, Engine]]:
    """The sample data in a SQLite file and in a PostgreSQL database, side by side."""
    sqlite = make_engine(f"sqlite:///{tmp_path / 'side.db'}")
    migrate.upgrade(sqlite)
    pg_url = pg_server.migrated_database()
    pg = make_engine(pg_url)
    engines = {"sqlite": sqlite, "postgresql": pg}
    for eng in engines.values():
        add_sample_data(eng)
    yield engines
    sqlite.dispose()
    pg.dispose()
    pg_server.drop(pg_url)


@pytest.fixture
def sample_url(db_url: str) -> str:
    """A migrated database (each backend) holding the sample data; returns its URL."""
    eng = make_engine(db_url)
    add_sample_data(eng)
    eng.dispose()
    return db_url
