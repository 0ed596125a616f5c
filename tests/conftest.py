"""Shared fixtures: real SQLite files and, when configured, a real PostgreSQL + PostGIS server.

PostgreSQL tests use ``STRIKEDB_TEST_PG_URL`` (a superuser or CREATEDB role on a server with
PostGIS installed). Each test gets its own throw-away database cloned from a template migrated
once per session. Without the variable they skip, unless ``STRIKEDB_REQUIRE_PG=1`` (as in CI),
where a skip would hide a broken setup and is turned into a failure. The same holds for browser tests
(``STRIKEDB_REQUIRE_BROWSER=1``: Chromium and Playwright) and for acceptance tests on ../shared/data
(``STRIKEDB_REQUIRE_SHARED_DATA=1``).
"""

from __future__ import annotations

import importlib
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from events import migrate
from events.db import make_engine, parse_url
from tests.browser import FLAGS

PG_URL = os.environ.get("STRIKEDB_TEST_PG_URL")
REQUIRE_PG = os.environ.get("STRIKEDB_REQUIRE_PG") == "1"
REQUIRE_BROWSER = os.environ.get("STRIKEDB_REQUIRE_BROWSER") == "1"
#: CI sets this: an acceptance test on ../shared/data that would skip fails instead.
REQUIRE_SHARED_DATA = os.environ.get("STRIKEDB_REQUIRE_SHARED_DATA") == "1"
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
if os.environ.get("STRIKEDB_SHARED_DATA"):
    SHARED_DATA = Path(os.environ["STRIKEDB_SHARED_DATA"])
CHROMIUM = os.environ.get("STRIKEDB_CHROMIUM", "/usr/bin/chromium")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _need_pg() -> str:
    if PG_URL:
        return PG_URL
    if REQUIRE_PG:
        pytest.fail("STRIKEDB_REQUIRE_PG=1 but STRIKEDB_TEST_PG_URL is not set")
    pytest.skip("set STRIKEDB_TEST_PG_URL to run PostgreSQL tests")


def shared_data(*parts: str) -> Path:
    """Return a path under ../shared/data, skipping the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        if REQUIRE_SHARED_DATA:
            pytest.fail(f"STRIKEDB_REQUIRE_SHARED_DATA=1 but shared data {path} is absent")
        pytest.skip(f"shared data {path} is absent")
    return path


def need_playwright() -> ModuleType:
    """Return ``playwright.sync_api``, skipping (or failing in CI) when Playwright is not installed."""
    try:
        return importlib.import_module("playwright.sync_api")
    except ImportError as exc:
        if REQUIRE_BROWSER:
            pytest.fail(f"STRIKEDB_REQUIRE_BROWSER=1 but Playwright cannot be imported: {exc}")
        pytest.skip(f"Playwright is not installed: {exc}")


def need_chromium() -> str:
    """Return the Chromium binary, skipping (or failing in CI) when it is missing."""
    if shutil.which(CHROMIUM) or Path(CHROMIUM).exists():
        return CHROMIUM
    if REQUIRE_BROWSER:
        pytest.fail(f"STRIKEDB_REQUIRE_BROWSER=1 but {CHROMIUM} is missing")
    pytest.skip(f"{CHROMIUM} is not installed")


class PgServer:
    """Creates and drops throw-away databases on the test server."""

    def __init__(self, url: str) -> None:
        self.url = parse_url(url)
        self.admin = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.template: str | None = None

    def _create(self, name: str, template: str | None = None) -> str:
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"{clause}'))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def empty_database(self) -> str:
        return self._create(f"strikedb_t_{uuid.uuid4().hex[:12]}")

    def migrated_database(self) -> str:
        if self.template is None:
            name = f"strikedb_tmpl_{uuid.uuid4().hex[:8]}"
            url = self._create(name)
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
            self.template = name
        return self._create(f"strikedb_t_{uuid.uuid4().hex[:12]}", template=self.template)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def close(self) -> None:
        if self.template:
            with self.admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    server = PgServer(_need_pg())
    yield server
    server.close()


def _database_url(request: pytest.FixtureRequest, tmp_path: Path, *, migrated: bool) -> Iterator[str]:
    backend = request.param
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'strikes.db'}"
        if migrated:
            engine = make_engine(url)
            migrate.upgrade(engine)
            engine.dispose()
        yield url
        return
    server: PgServer = request.getfixturevalue("pg_server")
    url = server.migrated_database() if migrated else server.empty_database()
    try:
        yield url
    finally:
        server.drop(url)


@pytest.fixture(params=BACKENDS)
def empty_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database (no schema), on each backend."""
    yield from _database_url(request, tmp_path, migrated=False)


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of a database migrated to head, on each backend."""
    yield from _database_url(request, tmp_path, migrated=True)


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """An engine on a migrated database, on each backend."""
    eng = make_engine(db_url)
    yield eng
    eng.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """URL of a migrated SQLite file (for tests that are about SQLite only)."""
    url = f"sqlite:///{tmp_path / 'strikes.db'}"
    eng = make_engine(url)
    migrate.upgrade(eng)
    eng.dispose()
    return url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium (one per test module), skipping (or failing in CI) without Chromium or Playwright."""
    chromium = need_chromium()
    sync_api = need_playwright()
    # Playwright gives the browser a fresh temporary profile itself (it refuses --user-data-dir).
    with sync_api.sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium, args=FLAGS, timeout=30_000)
        yield launched
        launched.close()
