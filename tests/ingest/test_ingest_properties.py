"""Property-based tests: whatever the file holds, ingest never crashes and never loses a row.

Arbitrary bytes either fail as a whole-file :class:`InputError` or load with every row accounted
for (SQLite); arbitrary CSVs in the canonical layout (valid-looking and hostile cells mixed) load with
``read == inserted + updated + merged + unchanged + rejected``, each rejected row stored with its
reasons, on both backends (PostgreSQL is the stricter one: NUL bytes, varchar limits).
The examples are bounded so the file runs in well under a minute.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from events.db import make_engine
from events.errors import InputError
from events.ingest import IngestReport, ingest_file
from events.models import IngestRun, RejectedRow
from events.readers import CANONICAL_COLUMNS

SETTINGS = settings(
    max_examples=int(os.environ.get("STRIKEDB_HYPOTHESIS_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_counter = itertools.count()

VALID = {
    "date": ["2025-08-02", "02/08/2025", "2 August 2025", "2025-08", "week of 2025-08-04", "31/02/2025", ""],
    "latitude": ["54.5725", "54,5725", "-91", "nan", "", "54°34′N"],
    "longitude": ["39.7482", "39,7482", "181", "", "39°44′E"],
    "facility": ["Ryazan refinery", "Киришский НПЗ", "", "=HYPERLINK(1)"],
    "location": ["Tuapse, Krasnodar Krai", "Rylsk, regione di Kursk.", "", "<script>"],
    "country": ["RU", "UA", "Russia", "XX", ""],
    "attack_type": ["drone", "Drones", "missile", "catapult", ""],
    "claim_status": ["reported", "verified", "not verified", "rumour", ""],
    "source_reliability": ["A", "B2", "Z", ""],
    "info_credibility": ["1", "3", "9", ""],
    "source_url": ["https://www.reuters.com/world/", "https://t.me/x", "not a url", ""],
}
cell_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)


def _cell(column: str) -> st.SearchStrategy[str]:
    choices = VALID.get(column)
    if choices is None:
        return st.one_of(st.just(""), cell_text)
    return st.one_of(st.sampled_from(choices), cell_text)


row_strategy = st.fixed_dictionaries({column: _cell(column) for column in CANONICAL_COLUMNS})


def _fresh_file(tmp_path: Path, suffix: str) -> Path:
    return tmp_path / f"input_{next(_counter)}{suffix}"


def _check_accounting(engine, report: IngestReport) -> None:
    assert report.read == report.accounted
    # Every rejected row is in the quarantine exactly once: stored by this run, or by an earlier run of
    # the identical file (same checksum), whose quarantine rows a re-run does not store again.
    with engine.connect() as conn:
        same_file = select(IngestRun.id).where(IngestRun.checksum == report.checksum)
        stored = conn.execute(
            select(func.count(func.distinct(RejectedRow.line_number))).where(RejectedRow.run_id.in_(same_file))
        ).scalar_one()
        # The quarantine holds the rejected rows and the source problems of loaded events.
        assert stored == report.rejected + report.source_problems


@pytest.fixture
def sqlite_engine(sqlite_url: str):
    eng = make_engine(sqlite_url)
    yield eng
    eng.dispose()


@SETTINGS
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(sqlite_engine, tmp_path: Path, data: bytes) -> None:
    path = _fresh_file(tmp_path, ".csv")
    path.write_bytes(data)
    try:
        report = ingest_file(sqlite_engine, path)
    except InputError as exc:
        assert str(exc)
        return
    _check_accounting(sqlite_engine, report)


@SETTINGS
@given(rows=st.lists(row_strategy, max_size=12), delimiter=st.sampled_from([",", ";", "\t"]))
def test_arbitrary_csv_rows_are_all_accounted_for(engine, tmp_path: Path, rows, delimiter: str) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(CANONICAL_COLUMNS), delimiter=delimiter)
    writer.writeheader()
    writer.writerows(rows)
    path = _fresh_file(tmp_path, ".csv")
    path.write_text(buffer.getvalue(), encoding="utf-8")
    try:
        report = ingest_file(engine, path, batch_size=5)
    except InputError as exc:
        # Only whole-file problems may stop a file (e.g. a cell that makes the header ambiguous).
        assert str(exc)
        return
    _check_accounting(engine, report)
    blank = sum(1 for row in rows if not any(value.strip() for value in row.values()))
    assert report.read >= len(rows) - blank
    again = ingest_file(engine, path, batch_size=5)
    assert again.inserted == again.merged == 0
    _check_accounting(engine, again)


HOSTILE = Path(__file__).parents[1] / "data" / "hostile"


@pytest.mark.parametrize("name", sorted(p.name for p in HOSTILE.glob("*.csv")))
def test_hostile_corpus_loads_or_fails_cleanly(engine, name: str) -> None:
    """Each committed hostile file fails as a whole with InputError or is fully accounted for (both backends)."""
    try:
        report = ingest_file(engine, HOSTILE / name)
    except InputError as exc:
        assert str(exc)
        return
    _check_accounting(engine, report)
    again = ingest_file(engine, HOSTILE / name)
    assert again.inserted == again.merged == again.updated == 0
