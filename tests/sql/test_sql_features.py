"""`strikedb sql` parameters, integers, --limit, streaming memory, Ctrl-C, -o targets; guarded downgrades;
PostgreSQL reader roles (issue 18)."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from events import migrate, pgroles
from events.cli import run
from events.db import make_engine, parse_url
from events.errors import ReadOnlyViolation
from events.selection import EventFilter, select_events

ROOT = Path(__file__).resolve().parents[2]


def _run(url: str, *args: str) -> int:
    return run(["--db", url, *args])


def _rows(n: int, pad: int = 0) -> str:
    padding = f", '{'x' * pad}' || x AS pad" if pad else ""
    return f"WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < {n}) SELECT x{padding} FROM c"


def test_colons_in_literals_are_not_parameters(sample_url: str, capsys) -> None:
    code = _run(
        sample_url,
        "sql",
        "-F",
        "json",
        "SELECT 'a :b' AS t, ':x' LIKE '%:x%' AS hit, public_id FROM events WHERE public_id = :p",
        "--param",
        "p=SDB-T01",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out) == [
        {"t": "a :b", "hit": 1 if sample_url.startswith("sqlite") else True, "public_id": "SDB-T01"}
    ]


def test_text_parameters_work_as_numbers_on_both_backends(sample_url: str, capsys) -> None:
    code = _run(
        sample_url,
        "sql",
        "-F",
        "csv",
        "SELECT public_id, round(CAST(distance_km(latitude, longitude, :lat, :lon) AS NUMERIC), 1) AS km "
        "FROM events WHERE distance_km(latitude, longitude, :lat, :lon) < :km ORDER BY public_id",
        "--param",
        "lat=59.45",
        "-p",
        "lon=32.10",
        "-p",
        "km=10",
    )
    out, err = capsys.readouterr()
    assert code == 0, err
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["public_id", "km"]
    assert [r[0] for r in rows[1:]] == ["SDB-T01", "SDB-T02", "SDB-T08"]
    assert float(rows[1][1]) == pytest.approx(4.5, abs=0.1) and float(rows[3][1]) == 0  # T08 sits on the point


def test_integer_results_print_as_integers(sample_url: str, capsys) -> None:
    query = "SELECT SUM(strikes) AS total, SUM(1) AS one, COUNT(*) AS n, AVG(strikes) AS mean FROM facility_strikes"
    assert _run(sample_url, "sql", query) == 0
    table = capsys.readouterr().out
    assert "│ 9 " in table and "9.0" not in table and "8.0" not in table
    assert _run(sample_url, "sql", "-F", "csv", query) == 0
    assert capsys.readouterr().out.splitlines()[1] == "9,8,8,1.125"
    assert _run(sample_url, "sql", "-F", "json", query) == 0
    assert json.loads(capsys.readouterr().out) == [{"total": 9, "one": 8, "n": 8, "mean": 1.125}]


def test_table_shows_at_most_limit_rows_and_counts_the_rest(sample_url: str, capsys) -> None:
    assert _run(sample_url, "sql", _rows(5000)) == 0
    out, err = capsys.readouterr()
    assert "1,000 rows shown, 4,000 rows left out" in err
    assert "│ 1000 " in out and "│ 1001 " not in out
    assert _run(sample_url, "sql", "--limit", "3", _rows(5000)) == 0
    out, err = capsys.readouterr()
    assert "3 rows shown, 4,997 rows left out" in err
    assert _run(sample_url, "sql", "--limit", "0", _rows(1500)) == 0
    out, err = capsys.readouterr()
    assert "1500 rows" in err and "│ 1500 " in out
    # File formats get every row whatever --limit says.
    assert _run(sample_url, "sql", "--limit", "3", "-F", "csv", _rows(5000)) == 0
    assert len(capsys.readouterr().out.splitlines()) == 5001


def test_superuser_note_on_postgresql_only(sample_url: str, capsys) -> None:
    assert _run(sample_url, "sql", "SELECT 1 AS one") == 0
    err = capsys.readouterr().err
    if sample_url.startswith("sqlite"):
        assert "Note:" not in err
    else:  # the test server's role is a superuser
        assert err.count("strikedb db reader create") == 1 and "superuser" in err


# --------------------------------------------------------------------------- outputs


def test_out_follows_a_symlink_and_keeps_permissions(sample_url: str, tmp_path: Path, capsys) -> None:
    target = tmp_path / "real.csv"
    target.write_text("old\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    assert _run(sample_url, "sql", "-F", "csv", "-o", str(link), "SELECT 1 AS one") == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text(encoding="utf-8").splitlines() == ["one", "1"]
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert "wrote 1 row" in capsys.readouterr().err


def test_out_writes_through_a_fifo(sample_url: str, tmp_path: Path) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    fifo = folder / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    try:
        assert _run(sample_url, "sql", "-F", "json", "-o", str(fifo), "SELECT 2 AS two") == 0
    finally:
        reader.join(timeout=30)
    assert json.loads(received[0]) == [{"two": 2}]
    assert stat.S_ISFIFO(fifo.stat().st_mode)  # still a FIFO, not replaced by a regular file
    assert sorted(p.name for p in folder.iterdir()) == ["pipe"]


def test_out_refuses_a_directory_and_keeps_the_old_file_on_failure(sample_url: str, tmp_path: Path, capsys) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    assert _run(sample_url, "sql", "-F", "csv", "-o", str(folder), "SELECT 1") == 1
    assert "is a directory" in capsys.readouterr().err
    keep = folder / "keep.csv"
    keep.write_text("precious\n", encoding="utf-8")
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c"
    assert _run(sample_url, "sql", "-F", "csv", "-o", str(keep), "--timeout", "1", runaway) == 1
    assert "cancelled" in capsys.readouterr().err
    assert keep.read_text(encoding="utf-8") == "precious\n"
    assert sorted(p.name for p in folder.iterdir()) == ["keep.csv"]


# --------------------------------------------------------------------------- memory and Ctrl-C


def _peak_rss_mb(url: str, *args: str) -> tuple[int, float, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "--db", url, "sql", *args],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    assert proc.stderr is not None
    err = proc.stderr.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return proc.returncode, usage.ru_maxrss / 1024, err


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["table", "csv", "json", "parquet"])
def test_memory_stays_flat_on_a_huge_result(sample_url: str, tmp_path: Path, fmt: str) -> None:
    out = ["-o", str(tmp_path / f"out.{fmt}")] if fmt != "table" else []
    code, small, err = _peak_rss_mb(sample_url, "-F", fmt, *out, _rows(100_000, pad=200))
    assert code == 0, err
    # 300,000 more rows of ~220 bytes: kept in memory they would be ~100 MB of Python objects.
    code, big, err = _peak_rss_mb(sample_url, "-F", fmt, *out, _rows(400_000, pad=200))
    assert code == 0, err
    assert big - small < 30, f"{fmt}: peak {big:.0f} MB for 400,000 rows vs {small:.0f} MB for 100,000"
    if fmt == "table":
        assert "399,000 rows left out" in err


def _wait_until_running(proc: subprocess.Popen, url: str) -> None:
    """Wait until the query is on its way: the SQLite file is open, or the server runs it."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        if url.startswith("sqlite"):
            path = str(parse_url(url).database)
            fds = Path(f"/proc/{proc.pid}/fd")
            if any(os.path.realpath(fd) == os.path.realpath(path) for fd in fds.iterdir()):
                return
        else:
            with psycopg.connect(
                parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
            ) as conn:
                if conn.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                    "AND query LIKE '%strikedb_sql%' AND pid <> pg_backend_pid()"
                ).fetchone()[0]:
                    return
        time.sleep(0.2)
    raise AssertionError("the query never started")


@pytest.mark.slow
def test_ctrl_c_stops_a_running_query_without_timeout(sample_url: str) -> None:
    runaway = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c"
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "--db", sample_url, "sql", "--timeout", "0", runaway],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    _wait_until_running(proc, sample_url)
    time.sleep(1)
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 5
    assert proc.returncode == 130, err
    assert b"Interrupted" in err and b"Traceback" not in err


# --------------------------------------------------------------------------- downgrade guard


def test_downgrade_with_data_asks_backs_up_and_accepts_relative_revisions(
    sample_url: str, tmp_path: Path, capsys
) -> None:
    engine = make_engine(sample_url)
    head = migrate.current(engine)
    assert _run(sample_url, "db", "downgrade", "base") == 1  # no terminal, no --yes
    err = capsys.readouterr().err
    assert "table events: 10 rows" in err and "table facilities: 8 rows" in err and "--yes" in err
    assert migrate.current(engine) == head
    backup_path = tmp_path / "before-downgrade.bak"
    assert _run(sample_url, "db", "downgrade", "-1", "--yes", "--backup", str(backup_path)) == 0
    err = capsys.readouterr().err
    history = [rev for rev, _, _ in migrate.history()]
    assert migrate.current(engine) == (history[1],)
    if "drops data" in err:  # the newest migration added columns that hold data: a backup was taken
        assert str(backup_path) in err and backup_path.stat().st_size > 0
    assert _run(sample_url, "db", "upgrade") == 0
    capsys.readouterr()
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 10
    assert _run(sample_url, "db", "downgrade", "base", "--yes", "--backup", str(tmp_path / "base.bak")) == 0
    err = capsys.readouterr().err
    assert "table events: 10 rows" in err and str(tmp_path / "base.bak") in err
    assert migrate.current(engine) == ()
    assert (tmp_path / "base.bak").stat().st_size > 0
    assert _run(sample_url, "db", "restore", "--force", str(tmp_path / "base.bak")) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM events")).scalar() == 10
    engine.dispose()


def test_downgrade_of_an_empty_database_needs_no_confirmation(db_url: str, capsys) -> None:
    # Later migrations seed reference tables (publishers), which do count as data: go below them.
    assert _run(db_url, "db", "downgrade", "0002", "--yes", "--no-backup") == 0
    capsys.readouterr()
    assert _run(db_url, "db", "downgrade", "-1") == 0  # 0002 -> 0001 drops the views only
    assert "drops data" not in capsys.readouterr().err
    assert _run(db_url, "db", "downgrade", "--", "base") == 0  # empty tables
    engine = make_engine(db_url)
    assert migrate.current(engine) == ()
    engine.dispose()


# --------------------------------------------------------------------------- PostgreSQL reader roles


def _pg_only(url: str) -> None:
    if url.startswith("sqlite"):
        pytest.skip("reader roles are PostgreSQL only")


def test_reader_role_reads_but_cannot_write_and_keeps_grants(sample_url: str, capsys, monkeypatch) -> None:
    _pg_only(sample_url)
    name = f"t18_reader_{uuid.uuid4().hex[:8]}"
    parsed = parse_url(sample_url)
    admin = psycopg.connect(parsed.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True)
    monkeypatch.setenv("T18_PW", "correct-horse-battery")
    reader_url = parsed.set(username=name, password="correct-horse-battery").render_as_string(hide_password=False)
    try:
        assert _run(sample_url, "db", "reader", "create", name, "--password-env", "T18_PW") == 0
        assert "created reader role" in capsys.readouterr().out
        assert _run(sample_url, "db", "reader", "create", name, "--password-env", "T18_PW") == 1
        assert "already exists" in capsys.readouterr().err
        # The password reached the server only as a SCRAM verifier.
        verifier = admin.execute("SELECT rolpassword FROM pg_authid WHERE rolname = %s", (name,)).fetchone()[0]
        assert verifier.startswith("SCRAM-SHA-256$") and "horse" not in verifier
        # strikedb sql as the reader: reads, and no superuser note.
        assert _run(reader_url, "sql", "-F", "csv", "SELECT count(*) AS n FROM events_enriched") == 0
        out, err = capsys.readouterr()
        assert out.splitlines() == ["n", "10"] and "Note:" not in err
        # Straight to the server, bypassing strikedb: every write is refused by privileges.
        with psycopg.connect(
            parsed.set(drivername="postgresql", username=name, password="correct-horse-battery").render_as_string(
                hide_password=False
            ),
            autocommit=True,
        ) as reader:
            assert reader.execute("SELECT count(*) FROM events").fetchone()[0] == 10
            assert reader.execute("SELECT round(distance_km(59.0, 32.0, 59.1, 32.0))").fetchone()[0] == 11
            for statement in (
                "SET default_transaction_read_only = off; DELETE FROM events",
                "BEGIN READ WRITE; UPDATE events SET country = 'XX'; COMMIT",
                "CREATE TABLE public.pwned (x int)",
            ):
                with pytest.raises(psycopg.Error):
                    reader.execute(statement)
                reader.execute("ROLLBACK")
        # A migration that re-creates views, and a table created later by the owner: still readable.
        assert _run(sample_url, "db", "downgrade", "-1", "--yes", "--no-backup") == 0
        assert _run(sample_url, "db", "upgrade") == 0
        with psycopg.connect(
            parsed.set(drivername="postgresql").render_as_string(hide_password=False), autocommit=True
        ) as owner:
            owner.execute("CREATE TABLE later_table (x int)")
        capsys.readouterr()
        for relation in (
            "events_enriched",
            "strikes_monthly",
            "facility_strikes",
            "capacity_hit_monthly",
            "later_table",
        ):
            assert _run(reader_url, "sql", f"SELECT count(*) FROM {relation}") == 0, capsys.readouterr().err
        capsys.readouterr()
        # Only strikedb readers can be dropped by this command.
        assert _run(sample_url, "db", "reader", "drop", "postgres") == 1
        assert "not a strikedb reader" in capsys.readouterr().err
        assert _run(sample_url, "db", "reader", "drop", name) == 0
        assert admin.execute("SELECT count(*) FROM pg_roles WHERE rolname = %s", (name,)).fetchone()[0] == 0
    finally:
        admin.execute(f'DROP ROLE IF EXISTS "{name}"')
        group = pgroles.reader_group(parsed.database)
        admin.execute(f'DROP OWNED BY "{group}"')  # its privileges here and on the database
        admin.execute(f'DROP ROLE IF EXISTS "{group}"')
        admin.close()


def test_reader_commands_on_sqlite_say_postgresql_only(sample_url: str, capsys) -> None:
    if not sample_url.startswith("sqlite"):
        pytest.skip("about SQLite")
    assert _run(sample_url, "db", "reader", "create", "anna") == 1
    assert "PostgreSQL only" in capsys.readouterr().err


def test_map_where_uses_the_postgresql_allow_list(sample_url: str) -> None:
    _pg_only(sample_url)
    engine = make_engine(sample_url, read_only=True)
    try:
        with pytest.raises(ReadOnlyViolation, match="pg_read_file"):
            select_events(engine, EventFilter(where="length(pg_read_file('/etc/passwd')) > 0"))
    finally:
        engine.dispose()


def test_postgresql_runs_in_a_read_only_transaction_with_local_timeouts(sample_url: str, capsys) -> None:
    _pg_only(sample_url)
    settings = {}
    for name in ("transaction_read_only", "statement_timeout", "lock_timeout", "idle_in_transaction_session_timeout"):
        assert _run(sample_url, "sql", "-F", "csv", "--timeout", "7", f"SHOW {name}") == 0
        settings[name] = capsys.readouterr().out.splitlines()[1]
    assert settings == {
        "transaction_read_only": "on",
        "statement_timeout": "7s",
        "lock_timeout": "7s",
        "idle_in_transaction_session_timeout": "5min",
    }
    # SET LOCAL: the next transaction on the same server starts from the defaults again.
    engine = make_engine(sample_url)
    with engine.connect() as conn:
        assert conn.execute(text("SHOW statement_timeout")).scalar() == "0"
    engine.dispose()


def test_explain_runs_on_both_backends(sample_url: str, capsys) -> None:
    assert (
        _run(sample_url, "sql", "-F", "csv", "EXPLAIN SELECT count(*) FROM events WHERE country = :c", "-p", "c=RU")
        == 0
    )
    assert len(capsys.readouterr().out.splitlines()) >= 2
