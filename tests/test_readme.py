"""The README's tour runs as written, against a fresh SQLite database."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from events.cli import run

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def tour_commands() -> list[list[str]]:
    """Return the argument lists of the ``$ strikedb ...`` lines in the README's console block."""
    text = README.read_text(encoding="utf-8")
    block = re.search(r"```console\n(.*?)```", text, re.S)
    assert block, "README has no ```console block"
    commands = []
    for line in block.group(1).splitlines():
        if line.startswith("$ strikedb "):
            commands.append(shlex.split(line[len("$ strikedb ") :]))
    return commands


def test_readme_has_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert "pip install -e . && strikedb demo" in text
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_command = "pip install -q -e '.[test]' && ruff check . && python -m pytest"
    assert test_command in text
    assert test_command in ci, "CI must run the README's test command"


@pytest.mark.slow
def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    commands = tour_commands()
    assert len(commands) >= 10
    for argv in commands:
        # Paths into the repository (the bundled sample) are resolved from the checkout.
        argv = [str(ROOT / a) if (ROOT / a).is_file() and not Path(a).exists() else a for a in argv]
        code = run(argv)
        out = capsys.readouterr()
        assert code == 0, f"strikedb {' '.join(argv)} exited {code}:\n{out.out}\n{out.err}"
    assert (tmp_path / "tour_map.html").stat().st_size > 10_000
    assert (tmp_path / "monthly.csv").read_text(encoding="utf-8").startswith("month")
    assert (tmp_path / "events.geojson").stat().st_size > 1000
    assert (tmp_path / "tour-backup.db").exists()


def _counts(db: Path) -> tuple[int, int, int]:
    import sqlite3

    with sqlite3.connect(db) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("events", "facilities", "rejected_rows")
        )


@pytest.mark.slow
def test_demo_creates_database_and_map(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("STRIKEDB_URL", raising=False)
    assert run(["demo"]) == 0
    capsys.readouterr()
    # One database file and the map: no -wal/-shm left behind by the read-only map connection.
    assert sorted(p.name for p in tmp_path.iterdir()) == ["strikes.db", "strikes_map.html"]
    events, facilities, rejected = _counts(tmp_path / "strikes.db")
    assert events >= 30 and facilities >= 25 and rejected == 0
    html = (tmp_path / "strikes_map.html").read_text(encoding="utf-8")
    assert "leaflet" in html.lower() and f"Events, clustered ({events})" in html
    # Idempotent: a second run adds nothing.
    assert run(["demo"]) == 0
    assert _counts(tmp_path / "strikes.db") == (events, facilities, rejected)
