"""Start-up cost of the CLI: importing it must not load the map and GIS stack.

``strikedb --help`` and ``strikedb sql ...`` import :mod:`events.cli.app` and every command module;
geopandas, folium, pyogrio and GeoAlchemy2 are imported only by the commands that use them.
(Timings are in docs/benchmarks.md, measured by bench/startup.py; this checks the behaviour.)
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("geopandas", "folium", "pyogrio", "geoalchemy2")


def _modules_loaded_after(code: str, modules: tuple[str, ...] = HEAVY) -> list[str]:
    probe = f"import json, sys\n{code}\nprint(json.dumps(sorted(m for m in {modules!r} if m in sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120, check=True
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_importing_the_cli_leaves_the_map_and_gis_stack_unloaded() -> None:
    assert _modules_loaded_after("import events.cli.app") == []


def test_the_entry_point_imports_no_command_module() -> None:
    # So that Ctrl-C while the commands load is caught by events.cli.main (test_faults.py).
    assert _modules_loaded_after("import events.cli", ("typer", "rich", "sqlalchemy", "events.cli.app")) == []


def test_help_and_a_query_leave_the_map_and_gis_stack_unloaded(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    code = (
        "from events.cli import run\n"
        f"assert run(['--help']) == 0\n"
        f"assert run(['--db', {str(db)!r}, 'db', 'upgrade']) == 0\n"
        f"assert run(['--db', {str(db)!r}, 'sql', 'SELECT count(*) FROM events']) == 0"
    )
    assert _modules_loaded_after(code) == []


@pytest.mark.parametrize("module", ["events.mapping", "events.migrate", "events.backup"])
def test_library_modules_the_cli_imports_are_light(module: str) -> None:
    assert _modules_loaded_after(f"import {module}") == []


def test_the_modules_are_loaded_when_a_command_needs_them(tmp_path: Path) -> None:
    # The lazy imports must still happen: `db check` compares the live schema (GeoAlchemy2 types).
    db = tmp_path / "s.db"
    code = (
        "from events.cli import run\n"
        f"assert run(['--db', {str(db)!r}, 'db', 'upgrade']) == 0\n"
        f"assert run(['--db', {str(db)!r}, 'db', 'check']) == 0"
    )
    assert _modules_loaded_after(code) == ["geoalchemy2"]
