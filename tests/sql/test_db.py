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


def test_ctrl_c_in_executemany_releases_the_sqlite_write_lock(tmp_path) -> None:
    """A KeyboardInterrupt inside ``executemany`` must not leave the file locked while the
    exception is alive (the clean-up that records a run as interrupted needs to write)."""
    import sqlite3

    path = tmp_path / "lock.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")

    class CtrlC:
        # sqlite3 calls __conform__ while binding row 500, in the middle of executemany.
        def __conform__(self, protocol):
            raise KeyboardInterrupt

    rows = [(i,) for i in range(500)] + [(CtrlC(),)] + [(i,) for i in range(500)]

    caught: BaseException | None = None
    with engine.connect() as conn:
        try:
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", rows)
        except KeyboardInterrupt as exc:
            caught = exc  # kept alive, as the ingest keeps it while it records the run
        assert caught is not None
        other = sqlite3.connect(path, timeout=0.5)
        other.execute("INSERT INTO t VALUES (-1)")  # "database is locked" when the lock leaked
        other.commit()
        assert other.execute("SELECT count(*) FROM t").fetchone()[0] == 1  # the batch rolled back
        other.close()
    engine.dispose()
