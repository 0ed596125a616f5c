"""Hostile inputs (tests/data/hostile): a clear error or a safe load, never a traceback.

Each case of the corpus goes through ``strikedb ingest`` in-process on both backends; the big
ones (10 MB field, 100,000 columns, a 5 MB line) and a few others go through a real
``python -m events.cli`` subprocess whose peak memory is measured with ``os.wait4``. Text that
looks like a formula, HTML or SQL is data: it is stored verbatim, neutralised on CSV export and
escaped in maps.
"""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import select

from events.cli import run
from events.db import make_engine
from events.models import Event, IngestRun, RejectedRow, Source
from tests.data.hostile import corpus
from tests.data.hostile.corpus import CASES, Case
from tests.helpers import count_rows

ROOT = Path(__file__).resolve().parents[2]
#: Peak resident memory allowed for one ingest of a big hostile file (an ingest of a header-only
#: file already peaks at ~90 MB; the 10 MB field measured ~200 MB).
MEMORY_LIMIT_MB = 500
SMALL = [c for c in CASES if not c.generated]
BIG = [c for c in CASES if c.generated]
#: Small cases also run as a subprocess, to prove no traceback reaches a real terminal.
SUBPROCESS_SMALL = ("binary_garbage", "invalid_utf8", "duplicate_header", "html_js", "empty")


@pytest.fixture(scope="module")
def generated_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Directory holding the big generated files (written once per test module)."""
    return tmp_path_factory.mktemp("hostile-big")


def stored_counts(url: str) -> tuple[int, int, int]:
    """Events, rejected rows and ingest runs in the database."""
    return (
        count_rows(url, Event),
        # Rows not loaded; source problems of loaded events (kind 'source') are not rejections.
        count_rows(url, RejectedRow, RejectedRow.kind == "row"),
        count_rows(url, IngestRun),
    )


def check_outcome(case: Case, url: str, code: int, err: str, path: Path) -> None:
    """Assert exit code, messages and what was stored match the case's declared outcome."""
    assert "Traceback" not in err, err
    events, rejected, _runs = stored_counts(url)
    if case.outcome == "load":
        assert code == 0, err
        assert (events, rejected) == (case.stored, 0)
    elif case.outcome == "partial":
        assert code == 1, err
        assert (events, rejected) == (case.stored, case.rejected), err
        # Each problem is printed as FILE:LINE: reason.
        assert f"{path.name}:" in err, err
    else:
        assert case.outcome == "refused"
        assert code == 1
        assert "Error:" in err and path.name in err, err
        assert (events, rejected) == (0, 0)


def ingest_args(url: str, case: Case, path: Path) -> list[str]:
    return ["--db", url, "ingest", *case.options, str(path)]


# ---------------------------------------------------------------------------------------------
# The corpus itself
# ---------------------------------------------------------------------------------------------


def test_committed_corpus_matches_its_generator() -> None:
    for filename, build in corpus.committed_files().items():
        path = corpus.HERE / filename
        assert path.read_bytes() == build(), f"{filename} is stale: run python tests/data/hostile/corpus.py"
        assert path.stat().st_size <= 100 * 1024
    assert (corpus.HERE / "README.md").read_text(encoding="utf-8") == corpus.readme_text()
    names = [c.name for c in CASES]
    assert len(names) == len(set(names))


# ---------------------------------------------------------------------------------------------
# In-process, both backends
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("case", SMALL, ids=lambda c: c.name)
def test_small_case_in_process(case: Case, db_url: str, capsys) -> None:
    path = corpus.HERE / case.filename
    code = run(ingest_args(db_url, case, path))
    err = capsys.readouterr().err
    check_outcome(case, db_url, code, err, path)


@pytest.mark.parametrize("case", [c for c in SMALL if c.outcome == "partial"], ids=lambda c: c.name)
def test_quarantined_rows_keep_their_text_and_reasons(case: Case, db_url: str, capsys) -> None:
    path = corpus.HERE / case.filename
    run(ingest_args(db_url, case, path))
    err = capsys.readouterr().err
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(RejectedRow.line_number, RejectedRow.raw_row, RejectedRow.reasons)
                .where(RejectedRow.kind == "row")
                .order_by(RejectedRow.line_number)
            ).all()
    finally:
        engine.dispose()
    assert case.rejected > 0
    assert len(rows) == case.rejected, rows
    assert len({line_number for line_number, _, _ in rows}) == case.rejected  # one row per bad line
    text = path.read_bytes().decode("utf-8-sig")
    for line_number, raw_row, reasons in rows:
        assert line_number >= 2
        # NUL cannot be stored in PostgreSQL text: the loader writes it as the four characters \x00.
        assert raw_row and raw_row.replace("\\x00", "\x00") in text
        assert reasons and all(isinstance(r["reason"], str) and r["reason"].strip() for r in reasons), reasons
        assert f"{path.name}:{line_number}:" in err, err


def _stored_texts(url: str) -> dict[str, set[str]]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            events = conn.execute(select(Event.description, Event.location_text, Event.facility_name_reported)).all()
            sources = conn.execute(select(Source.title, Source.publisher)).all()
    finally:
        engine.dispose()
    return {
        "description": {r[0] for r in events},
        "location": {r[1] for r in events},
        "facility": {r[2] for r in events},
        "source_title": {r[0] for r in sources},
        "publisher": {r[1] for r in sources},
    }


@pytest.mark.parametrize(
    ("name", "payloads"),
    [("formula_cells", corpus.FORMULAS), ("html_js", corpus.HTML_PAYLOADS), ("sql_fragments", corpus.SQL_FRAGMENTS)],
)
def test_hostile_text_is_stored_verbatim(name: str, payloads: list[str], db_url: str, capsys) -> None:
    case = next(c for c in CASES if c.name == name)
    run(ingest_args(db_url, case, corpus.HERE / case.filename))
    capsys.readouterr()
    stored = _stored_texts(db_url)
    # Cells are trimmed of surrounding whitespace (a leading tab or CR is layout, not data).
    expected = {p.strip() for p in payloads}
    assert stored["description"] == expected
    assert stored["facility"] == expected
    assert stored["source_title"] >= expected and stored["publisher"] >= expected
    # The SQL fragments did nothing: every table is still there and holds what it should.
    events, _rejected, runs = stored_counts(db_url)
    assert events == case.stored and runs == 1


def test_csv_export_neutralises_formulas(db_url: str, capsys) -> None:
    case = next(c for c in CASES if c.name == "formula_cells")
    assert run(ingest_args(db_url, case, corpus.HERE / case.filename)) == 0
    capsys.readouterr()
    assert run(["--db", db_url, "export", "--format", "csv"]) == 0
    out = capsys.readouterr().out
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == len(corpus.FORMULAS)
    dangerous = ("=", "+", "-", "@", "\t", "\r")
    text_columns = [c for c in rows[0] if c not in ("latitude", "longitude")]
    for row in rows:
        for column in text_columns:
            value = row[column] or ""
            assert not value.startswith(dangerous), (column, value)
        assert row["description"].startswith("'") and row["description"][1:] in {f.strip() for f in corpus.FORMULAS}


def test_map_escapes_html_and_script(db_url: str, tmp_path: Path, capsys) -> None:
    case = next(c for c in CASES if c.name == "html_js")
    run(ingest_args(db_url, case, corpus.HERE / case.filename))
    capsys.readouterr()
    out = tmp_path / "map.html"
    assert run(["--db", db_url, "map", "--out", str(out)]) == 0, capsys.readouterr().err
    html = out.read_text(encoding="utf-8")
    for payload in corpus.HTML_PAYLOADS:
        assert payload not in html, payload
    for tag in ("<script>alert", "<img src=x", "<svg/onload", "<iframe src", "<b onmouseover"):
        assert tag not in html, tag
    assert 'javascript:alert(1)"' not in html  # the rejected source URL never reaches the map
    # "{{7*7}}" is data, not a template: it must not come out as 49.
    assert "49 ${7*7}" not in html


def test_map_does_not_evaluate_template_syntax_in_data(db_url: str, tmp_path: Path, capsys) -> None:
    """branca renders scripts twice with Jinja2: a cell must not be able to run code through it."""
    marker = tmp_path / "template-ran.txt"
    payload = f"{{{{ cycler.__init__.__globals__.os.popen('touch {marker}').read() }}}} {{% if 1 %}}x{{% endif %}}"
    path = tmp_path / "ssti.csv"
    path.write_text(f'date,latitude,longitude,description\n2025-08-14,59.45,32.03,"{payload}"\n', encoding="utf-8")
    assert run(["--db", db_url, "ingest", str(path)]) == 0
    out = tmp_path / "map.html"
    assert run(["--db", db_url, "map", "--out", str(out)]) == 0, capsys.readouterr().err
    assert not marker.exists(), "text from a CSV cell was executed as a Jinja2 template"
    assert "{{ cycler" not in out.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# Subprocess: no traceback on a real stderr, and bounded memory for the big inputs
# ---------------------------------------------------------------------------------------------


#: Runs the CLI as its own child and reports that child's peak RSS. A process forked from pytest
#: itself would not do: Linux carries the forking process's high-water RSS over ``exec``, so a
#: child of a big pytest process "peaks" at pytest's size (seen in CI: 544 MB for an empty file).
_MEASURE = (
    "import resource, subprocess, sys\n"
    "code = subprocess.call([sys.executable, '-m', 'events.cli', *sys.argv[1:]])\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "sys.stderr.write(f'\\n{MARK}{peak}\\n')\n"
    "sys.exit(code)\n"
)
_PEAK_MARK = "__strikedb_peak_rss_kb__="


def run_cli_measured(args: list[str], tmp_path: Path) -> tuple[int, str, float]:
    """Run ``python -m events.cli ARGS``; return exit code, stderr and the CLI's peak RSS in MB.

    The peak covers the CLI process and its own children (the ingest worker), not pytest.
    """
    out_path, err_path = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    script = f"MARK = {_PEAK_MARK!r}\n" + _MEASURE
    with out_path.open("wb") as out, err_path.open("wb") as err:
        code = subprocess.call([sys.executable, "-c", script, *args], stdout=out, stderr=err, env=env)
    stderr = err_path.read_text(encoding="utf-8", errors="replace")
    stderr, _, peak_kb = stderr.rpartition(_PEAK_MARK)
    return code, stderr.rstrip("\n"), int(peak_kb) / 1024  # kilobytes on Linux


@pytest.mark.slow
@pytest.mark.parametrize("case", BIG, ids=lambda c: c.name)
def test_big_case_in_a_subprocess_with_bounded_memory(
    case: Case, db_url: str, generated_dir: Path, tmp_path: Path
) -> None:
    path = corpus.materialise(case, generated_dir)
    code, err, peak_mb = run_cli_measured(ingest_args(db_url, case, path), tmp_path)
    check_outcome(case, db_url, code, err, path)
    assert peak_mb < MEMORY_LIMIT_MB, f"peak RSS {peak_mb:.0f} MB"
    print(f"{case.name}: peak RSS {peak_mb:.0f} MB")


@pytest.mark.parametrize("name", SUBPROCESS_SMALL)
def test_small_case_in_a_subprocess(name: str, sqlite_url: str, tmp_path: Path) -> None:
    case = next(c for c in CASES if c.name == name)
    path = corpus.HERE / case.filename
    code, err, peak_mb = run_cli_measured(ingest_args(sqlite_url, case, path), tmp_path)
    check_outcome(case, sqlite_url, code, err, path)
    assert peak_mb < MEMORY_LIMIT_MB


# ---------------------------------------------------------------------------------------------
# docs/reliability.md stays in step with what is tested
# ---------------------------------------------------------------------------------------------


def test_reliability_doc_is_current() -> None:
    from tests.readers import test_fuzz
    from tests.reliability import test_concurrency, test_crash_safety

    doc = corpus.DOC.read_text(encoding="utf-8")
    block = doc.split(corpus.DOC_BEGIN, 1)[1].split(corpus.DOC_END, 1)[0].strip()
    assert block == corpus.doc_table(), "run python tests/data/hostile/corpus.py to regenerate the table"
    for case in CASES:
        assert f"| {case.name} |" in doc
    # The numbers quoted in the summary are the ones the tests use.
    quoted = [
        f"{len(CASES)} cases",
        f"--batch-size {test_crash_safety.BATCH}`",
        f"{test_crash_safety.N_ROWS:,} valid rows",
        f"at least {test_crash_safety.KILL_AFTER_BATCHES} batches",
        f"multiple of {test_crash_safety.BATCH}",
        f"{test_concurrency.ROWS_PER_FILE:,}-row files (`--batch-size {test_concurrency.BATCH}`)",
        f"{2 * test_concurrency.ROWS_PER_FILE:,} events",
        f"{test_fuzz.PROFILE.max_examples} examples per property"
        if os.environ.get("HYPOTHESIS_PROFILE", "fuzz-ci") == "fuzz-ci"
        else "examples per property",
        f"{MEMORY_LIMIT_MB} MB limit",
        f"{len(SUBPROCESS_SMALL)} small ones",
    ]
    for text in quoted:
        assert text in doc, f"docs/reliability.md no longer says {text!r}"
    for case in BIG:
        assert f"| {case.name} (" in doc, f"no measured memory for {case.name}"
