"""Engine configuration: URL resolution, SQLite pragmas, read-only mode, session scope."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from events.db import DEFAULT_URL, make_engine, parse_url, resolve_url, session_scope
from events.errors import ConfigError
from events.models import Facility


def test_url_resolution_order(monkeypatch) -> None:
    monkeypatch.delenv("STRIKEDB_URL", raising=False)
    assert resolve_url(None) == DEFAULT_URL == "sqlite:///strikes.db"
    monkeypatch.setenv("STRIKEDB_URL", "sqlite:///env.db")
    assert resolve_url(None) == "sqlite:///env.db"
    assert resolve_url("postgresql://u@h/db") == "postgresql://u@h/db"
    assert resolve_url("some/file.db") == "sqlite:///some/file.db"


def test_postgres_urls_use_psycopg3() -> None:
    assert parse_url("postgresql://u@h/db").drivername == "postgresql+psycopg"


@pytest.mark.parametrize("url", ["mysql://u@h/db", "://no-backend"])
def test_bad_urls_raise_config_error(url: str) -> None:
    with pytest.raises(ConfigError):
        make_engine(url)


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == 30000


def test_read_only_refuses_writes(db_url: str) -> None:
    ro = make_engine(db_url, read_only=True)
    with pytest.raises(DBAPIError), ro.begin() as conn:
        conn.execute(text("DELETE FROM facilities"))
    with ro.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facilities")).scalar() == 0


def test_read_only_missing_sqlite_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        make_engine(f"sqlite:///{tmp_path / 'nope.db'}", read_only=True)


def test_session_scope_rolls_back_on_error(engine) -> None:
    with pytest.raises(RuntimeError), session_scope(engine) as session:
        session.add(Facility(slug="x", name="X", facility_type="refinery"))
        session.flush()
        raise RuntimeError("boom")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM facilities")).scalar() == 0
