"""The installed wheel works on its own: migrations ship inside it and run from anywhere."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_ships_migrations_and_upgrades_a_database(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = wheels.glob("strikedb-*.whl")
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(site), str(wheel)],
        check=True,
        capture_output=True,
    )
    script = (
        "import events, migrations, sys;"
        "from events.cli import run;"
        "assert events.__file__.startswith(sys.argv[1]), events.__file__;"
        "assert migrations.__file__.startswith(sys.argv[1]), migrations.__file__;"
        "sys.exit(run(['--db', 'sqlite:///w.db', 'db', 'upgrade']) or run(['--db', 'sqlite:///w.db', 'db', 'check']))"
    )
    # Run outside the checkout so nothing can be found through the working directory.
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", script, str(site)], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert "schema matches the code" in result.stdout
    assert (tmp_path / "w.db").exists()
