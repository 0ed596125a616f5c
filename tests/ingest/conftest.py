"""Fixtures of the ingest tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from events import migrate
from events.db import make_engine
from tests.conftest import PgServer


@pytest.fixture
def other_engine(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine on a second migrated database, on the backend of ``db_url`` (to compare two imports)."""
    server: PgServer | None = None
    if make_url(db_url).get_backend_name() == "sqlite":
        url = f"sqlite:///{tmp_path / 'other.db'}"
        eng = make_engine(url)
        migrate.upgrade(eng)
    else:
        server = request.getfixturevalue("pg_server")
        url = server.migrated_database()
        eng = make_engine(url)
    yield eng
    eng.dispose()
    if server is not None:
        server.drop(url)
