"""The wheel works on its own: installed with its dependencies into a fresh virtual environment, away from
the checkout, it migrates a database and runs the whole demo (database, sample data, map)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "constraints.txt"


def _clean_env() -> dict[str, str]:
    """The environment without anything that could find the checkout or another environment's packages."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"}
    return {key: value for key, value in os.environ.items() if key not in drop}


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv (no system site-packages) holding the built wheel and its dependencies; its bin folder."""
    base = tmp_path_factory.mktemp("wheel")
    wheels = base / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("strikedb-*.whl")
    env_dir = base / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / "bin" / "python"
    # Dependencies come from the package's own metadata (no --no-deps), pinned to the lock CI tested.
    install = [sys.executable, "-m", "uv", "pip", "install", "-q", "--python", str(python), str(wheel)]
    if LOCK.exists():
        install += ["--constraint", str(LOCK)]
    result = subprocess.run(install, capture_output=True, text=True, env=_clean_env(), cwd=base)
    assert result.returncode == 0, result.stderr
    return env_dir / "bin"


@pytest.mark.slow
def test_wheel_ships_migrations_and_upgrades_a_database(installed: Path, tmp_path: Path) -> None:
    script = (
        "import events, migrations, sys;"
        "from events.cli import run;"
        "assert 'site-packages' in events.__file__, events.__file__;"
        "assert 'site-packages' in migrations.__file__, migrations.__file__;"
        "sys.exit(run(['--db', 'sqlite:///w.db', 'db', 'upgrade']) or run(['--db', 'sqlite:///w.db', 'db', 'check']))"
    )
    # Run outside the checkout so nothing can be found through the working directory.
    result = subprocess.run(
        [str(installed / "python"), "-c", script], cwd=tmp_path, env=_clean_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "schema matches the code" in result.stdout
    assert (tmp_path / "w.db").exists()


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_in_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = subprocess.run(
        [str(installed / "strikedb"), "demo"], cwd=empty, env=_clean_env(), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    page = (empty / "strikes_map.html").read_text(encoding="utf-8")
    assert "leaflet" in page.lower()
    with sqlite3.connect(empty / "strikes.db") as conn:
        events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
        facilities = conn.execute("SELECT count(*) FROM facilities").fetchone()[0]
        version = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
    assert events > 0
    assert facilities > 0
    assert version
    # The map carries every stored event: it was built from the installed package's data alone.
    assert f"{events} events" in result.stdout
