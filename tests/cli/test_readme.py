"""The README's tour runs as written, against a fresh SQLite database."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from events.cli import run
from tests.helpers import count_rows

ROOT = Path(__file__).resolve().parents[2]
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
    test_command = "pip install -q -e '.[test]' && ruff check . && ruff format --check . && python -m pytest"
    assert test_command in text
    assert test_command in ci, "CI must run the README's test command"


#: What each command of the tour prints for the bundled sample: regular expressions searched in its stdout and
#: stderr with every run of white space made one space (text wraps with the terminal width; so do table cells,
#: so tables are matched on short values only).
TOUR_OUTPUT = {
    "db upgrade": [r"database sqlite:///tour\.db at \d{4} \(was empty\)"],
    "facilities import --bundled": [r"read (\d+), created \1,", r"rejected 0"],
    "ingest --template": [r"^event_id,date,time,location,latitude,longitude,facility,.*,source_url,"],
    "ingest events/data/sample_events.csv": [
        r"sample_events\.csv: committed",
        r"│ 41 +│ 35 +│ 0 +│ 6 +│ 0 +│ 0 +│",  # read, inserted, updated, merged, unchanged, rejected
        r"merged automatically: 6; new duplicate candidates for review: 0",
    ],
    "events list --limit 5": [r"^(?!(?:.*SDB-){6})(?:.*SDB-[0-9A-F]){5}"],  # five events, not six
    "sql SELECT month, country, facility_type, confidence, strikes FROM strikes_monthly ORDER BY month DESC LIMIT 5": [
        r"│ 2025-11 +│ RU +│ refinery +│ confirmed +│ 1 +│",
        r"\b5 rows",
    ],
    "sql SELECT name, strikes, first_strike, last_strike FROM facility_strikes WHERE strikes > 0 ORDER BY strikes "
    "DESC LIMIT 5": [r"│ Tuapse refinery +│ 3 +│ 2024-01-25 +│ 2025-11-02 +│", r"\b5 rows"],
    "report top-facilities --limit 5": [r"most frequently struck facilities", r"\b5 rows"],
    "report monthly --format csv --out monthly.csv": [r"wrote 14 rows to monthly\.csv"],
    "facilities offline --country RU": [r"│ 2024-01-01 +│ RU +│ 2\.71 +│ 54 +│"],
    "export --format geojson --out events.geojson": [r"exported 35 events to events\.geojson \(geojson\)"],
    "map --out tour_map.html --min-confidence likely --offline": [
        r"wrote tour_map\.html: 28 events \(9 confirmed, 19 likely, 0 possible, 0 unverified\), \d+ facilities",
    ],
    "db check": [r"ok: database at \d{4}, schema matches the code"],
    "db backup tour-backup.db": [r"backup tour-backup\.db written \([\d,]+ bytes, revision \d{4}\), verified"],
}


@pytest.mark.slow
def test_readme_tour_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture) -> None:
    monkeypatch.chdir(tmp_path)
    commands = tour_commands()
    assert len(commands) >= 10
    for argv in commands:
        assert argv[:2] == ["--db", "tour.db"], argv
        command = " ".join(argv[2:])
        assert command in TOUR_OUTPUT, f"add what `strikedb {command}` prints to TOUR_OUTPUT"
        # Paths into the repository (the bundled sample) are resolved from the checkout.
        argv = [str(ROOT / a) if (ROOT / a).is_file() and not Path(a).exists() else a for a in argv]
        code = run(argv)
        out = capsys.readouterr()
        assert code == 0, f"strikedb {' '.join(argv)} exited {code}:\n{out.out}\n{out.err}"
        printed = " ".join((out.out + out.err).split())
        for pattern in TOUR_OUTPUT[command]:
            assert re.search(pattern, printed), f"{command}: {pattern}\n{out.out}\n{out.err}"
    assert (tmp_path / "tour_map.html").stat().st_size > 10_000
    monthly = (tmp_path / "monthly.csv").read_text(encoding="utf-8").splitlines()
    assert monthly[0].startswith("month,strikes,") and len(monthly) == 1 + 14
    features = json.loads((tmp_path / "events.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == 35
    assert count_rows(tmp_path / "tour-backup.db", "events") == 35


def _counts(db: Path) -> tuple[int, ...]:
    return tuple(count_rows(db, table) for table in ("events", "facilities", "rejected_rows"))


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
