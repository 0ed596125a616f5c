"""Faults beyond the happy path, each driven through the real CLI in a subprocess.

Every case ends in one ``Error:`` line saying what happened and a ``Hint:``, with the documented
exit code (2 usage, 1 failure, 130 interrupted), and never a ``Traceback``. The table of these
cases is in docs/reliability.md (kept in step by :func:`test_reliability_doc_lists_the_faults`).

A full disk and read-only storage are real: a small tmpfs mounted for the test when running as
root (else skipped), ``/dev/full`` for outputs everywhere, and ``RLIMIT_FSIZE`` for a database
that cannot grow.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from events.cli import STARTUP_INTERRUPTED
from events.ingest import sample_events_path
from tests.ingest_fixtures import write_grid_csv

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT_S = 300


def cli(*args: str, cwd: Path | None = None, limit_bytes: int | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m events.cli ARGS``; fail on any traceback."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
    env.pop("STRIKEDB_DEBUG", None)

    def limit() -> None:  # a file may not grow beyond limit_bytes: writes fail with EFBIG
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit_bytes, limit_bytes))

    done = subprocess.run(
        [sys.executable, "-m", "events.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=TIMEOUT_S,
        preexec_fn=limit if limit_bytes else None,
    )
    output = done.stdout + done.stderr
    assert "Traceback" not in output, output[-4000:]
    assert "Exception ignored" not in output, output[-4000:]
    return done


def assert_fails(done: subprocess.CompletedProcess, code: int, *fragments: str) -> None:
    """Exit ``code``, one Error line and a Hint line, each fragment in the message."""
    assert done.returncode == code, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, done.stderr
    assert any(line.startswith("Hint:") for line in done.stderr.splitlines()), done.stderr
    for fragment in fragments:
        assert fragment.lower() in done.stderr.lower(), done.stderr


@pytest.fixture
def sample_db(tmp_path: Path) -> Path:
    """A SQLite database with the bundled sample events."""
    db = tmp_path / "sample.db"
    done = cli("--db", str(db), "demo", "--out", str(tmp_path / "demo.html"))
    assert done.returncode == 0, done.stderr
    return db


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str) -> Iterator[Path]:
    """Mount a tmpfs of ``size`` at ``path`` (root only), unmounted afterwards."""
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("mounting a small tmpfs needs root")
    path.mkdir(parents=True, exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode(errors='replace').strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(directory: Path) -> None:
    """Fill a file system to the last block."""
    with contextlib.suppress(OSError), (directory / "filler").open("wb") as fh:
        while True:
            fh.write(b"\0" * 65536)
            fh.flush()
    with contextlib.suppress(OSError), (directory / "filler2").open("wb") as fh:
        while True:
            fh.write(b"\0" * 512)
            fh.flush()


# --- usage errors: exit 2 -----------------------------------------------------------------------

USAGE = [
    ([], "a command is needed"),
    (["nosuchcmd"], "no such command"),
    (["db"], "a command is needed"),
    (["ingest", "--bogus"], "no such option"),
    (["ingest", "--batch-size", "0", "x.csv"], "--batch-size"),
    (["events", "list", "--limit", "abc"], "--limit"),
    (["db", "restore"], "missing argument"),
    (["ingest", "--radius-km", "nan", "x.csv"], "--radius-km"),
    (["ingest", "--radius-km", "inf", "x.csv"], "not a finite number"),
    (["ingest", "--dedup-km", "inf", "x.csv"], "not a finite number"),
    *[
        (["ingest", "--encoding", codec, "x.csv"], "not a text encoding")
        for codec in ("rot13", "hex", "base64", "zlib_codec", "idna")
    ],
]


@pytest.mark.parametrize(("args", "message"), USAGE, ids=[" ".join(a) or "no-args" for a, _ in USAGE])
def test_usage_errors_exit_2_with_one_line(args: list[str], message: str, tmp_path: Path) -> None:
    (tmp_path / "x.csv").write_text("date,latitude,longitude\n2025-01-01,50,30\n")
    assert_fails(cli(*args, cwd=tmp_path), 2, message)


# --- inputs that are not files -----------------------------------------------------------------


def test_directory_device_fifo_and_missing_inputs(sample_db: Path, tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cases = {
        str(tmp_path): "is a directory",
        "/dev/zero": "is a device",
        str(fifo): "is a pipe",
        str(tmp_path / "missing.csv"): "no such file",
    }
    for path, message in cases.items():
        assert_fails(cli("--db", str(sample_db), "ingest", path), 1, message)
        assert_fails(cli("--db", str(sample_db), "facilities", "import", path), 1, message)


def test_deeply_nested_geojson_is_refused(sample_db: Path, tmp_path: Path) -> None:
    depth = 100_000
    nested = tmp_path / "nested.geojson"
    nested.write_text('{"type": "FeatureCollection", "features": [' + "[" * depth + "]" * depth + "]}")
    assert_fails(cli("--db", str(sample_db), "ingest", "-f", "geojson", str(nested)), 1, "nested too deeply")
    assert_fails(cli("--db", str(sample_db), "facilities", "import", str(nested)), 1, "nested too deeply")


# --- full disk -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["export", "--out", "/dev/full"],
        ["export", "--format", "geojson", "--out", "/dev/full"],
        ["report", "monthly", "--format", "csv", "--out", "/dev/full"],
        ["sql", "SELECT * FROM events", "--format", "csv", "--out", "/dev/full"],
    ],
    ids=["export-csv", "export-geojson", "report", "sql"],
)
def test_output_to_a_full_device(sample_db: Path, args: list[str]) -> None:
    assert_fails(cli("--db", str(sample_db), *args), 1, "no space left")


def test_standard_output_on_a_full_device(sample_db: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "events.cli", "--db", str(sample_db), "export"],
            stdout=full, stderr=subprocess.PIPE, text=True, env=env, timeout=TIMEOUT_S,
        )  # fmt: skip
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert "no space left" in done.stderr


def test_database_that_cannot_grow(tmp_path: Path) -> None:
    """RLIMIT_FSIZE: the database file cannot grow past 300 kB (works without root)."""
    db = tmp_path / "limited.db"
    assert cli("--db", str(db), "db", "upgrade").returncode == 0
    big = write_grid_csv(tmp_path / "big.csv", 3000, tag="full", days=300, latitude=46, longitude=30, columns=3)
    size = db.stat().st_size
    done = cli("--db", str(db), "ingest", str(big), "--batch-size", "500", limit_bytes=size + 300_000)
    assert_fails(done, 1)
    assert "disk" in done.stderr.lower() or "too large" in done.stderr.lower(), done.stderr


def test_full_disk_tmpfs(sample_db: Path, tmp_path: Path) -> None:
    """A real full file system: upgrade, ingest, export (GDAL), report, sql and map all say so."""
    with mounted_tmpfs(tmp_path / "small", "1m") as small:
        db = small / "new.db"
        shutil.copy(sample_db, small / "copy.db")
        fill(small)
        assert_fails(cli("--db", str(db), "db", "upgrade"), 1, "full")
        big = write_grid_csv(tmp_path / "big.csv", 2000, tag="tmpfs", days=200, latitude=46, longitude=30, columns=3)
        assert_fails(cli("--db", str(small / "copy.db"), "ingest", str(big)), 1, "full")
        for args in (
            ["export", "--format", "geojson", "--out", str(small / "e.geojson")],
            ["export", "--format", "gpkg", "--out", str(small / "e.gpkg")],
            ["export", "--out", str(small / "e.csv")],
            ["report", "monthly", "--format", "csv", "--out", str(small / "r.csv")],
            ["sql", "SELECT * FROM events", "--format", "json", "--out", str(small / "s.json")],
        ):
            assert_fails(cli("--db", str(sample_db), *args), 1, "space")
        done = cli("--db", str(sample_db), "map", "--out", str(small / "m.html"))
        assert done.returncode == 1 and "Error" in done.stderr, done.stderr
        left = sorted(p.name for p in small.iterdir() if p.name not in ("filler", "filler2", "copy.db"))
        assert not [name for name in left if name.endswith(".tmp") or name.startswith(".")], left


# --- read-only storage and permissions ------------------------------------------------------------


def test_read_only_file_system(sample_db: Path, tmp_path: Path) -> None:
    with mounted_tmpfs(tmp_path / "ro", "4m") as ro:
        shutil.copy(sample_db, ro / "strikes.db")
        subprocess.run(["mount", "-o", "remount,ro", str(ro)], check=True)
        db = str(ro / "strikes.db")
        for args in (["events", "list"], ["sql", "SELECT count(*) FROM events"], ["report", "monthly"], ["export"]):
            done = cli("--db", db, *args)
            assert done.returncode == 0, done.stderr
            assert "read-only storage" in done.stderr and "immutable" in done.stderr
        assert cli("--db", db, "db", "check").returncode == 0
        map_out = tmp_path / "map.html"
        assert cli("--db", db, "map", "--out", str(map_out)).returncode == 0 and map_out.exists()
        assert_fails(cli("--db", db, "ingest", str(sample_events_path())), 1, "read-only storage")
        assert_fails(cli("--db", db, "events", "delete", "SDB-X"), 1, "read-only storage")
        assert_fails(cli("--db", db, "export", "--out", str(ro / "out.csv")), 1, "read-only")


def test_output_directory_without_permission(sample_db: Path, tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        if os.access(locked, os.W_OK):
            pytest.skip("root ignores directory permissions (the read-only mount test covers it)")
        assert_fails(cli("--db", str(sample_db), "export", "--out", str(locked / "e.csv")), 1, "permission")
    finally:
        locked.chmod(0o700)


# --- damaged database files -------------------------------------------------------------------


def _double_reference(db: Path) -> None:
    """Make a b-tree page of ``events`` referenced twice: reads still work, quick_check fails."""
    conn = sqlite3.connect(db)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.execute("PRAGMA journal_mode = DELETE")
    conn.close()
    data = bytearray(db.read_bytes())
    start = (root - 1) * page_size
    assert data[start] == 5, "events must span several pages (an interior root page)"
    cell0 = int.from_bytes(data[start + 12 : start + 14], "big")
    cell1 = int.from_bytes(data[start + 14 : start + 16], "big")
    data[start + cell1 : start + cell1 + 4] = data[start + cell0 : start + cell0 + 4]
    db.write_bytes(bytes(data))


def test_damaged_files(tmp_path: Path) -> None:
    db = tmp_path / "damaged.db"
    assert cli("--db", str(db), "db", "upgrade").returncode == 0
    grid = write_grid_csv(tmp_path / "grid.csv", 3000, tag="dmg", days=300, latitude=46, longitude=30, columns=3)
    assert cli("--db", str(db), "ingest", str(grid)).returncode == 0
    truncated = tmp_path / "truncated.db"
    shutil.copy(db, truncated)
    os.truncate(truncated, truncated.stat().st_size // 3)
    _double_reference(db)
    # Reads still work on the damaged file, but the check finds the damage and ingest refuses.
    assert cli("--db", str(db), "events", "list", "-n", "1").returncode == 0
    assert_fails(cli("--db", str(db), "db", "check"), 1, "problem", "2nd reference")
    assert_fails(cli("--db", str(db), "db", "check", "--full"), 1, "problem")
    one = tmp_path / "one.csv"
    one.write_text("date,latitude,longitude,source_url\n2025-05-01,50.1,30.1,https://x.example.org/1\n")
    assert_fails(cli("--db", str(db), "ingest", str(one)), 1, "damaged")
    for args in (["events", "list"], ["db", "check"], ["ingest", str(one)], ["export"]):
        assert_fails(cli("--db", str(truncated), *args), 1, "damaged")
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(os.urandom(8192))
    assert_fails(cli("--db", str(garbage), "events", "list"), 1)


def test_bit_flips_in_text_are_reported(sample_db: Path) -> None:
    conn = sqlite3.connect(sample_db)
    conn.execute("UPDATE events SET location_text = CAST(X'FFFE41' AS TEXT), description = CAST(X'FFFE41' AS TEXT)")
    conn.commit()
    conn.close()
    assert_fails(cli("--db", str(sample_db), "events", "list", "-n", "500"), 1, "not valid utf-8")
    assert_fails(cli("--db", str(sample_db), "export"), 1, "not valid utf-8")


def test_debug_shows_the_traceback(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database" * 1000)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "events.cli", "--debug", "--db", str(garbage), "events", "list"],
        capture_output=True, text=True, env=env, timeout=TIMEOUT_S,
    )  # fmt: skip
    assert done.returncode == 1
    assert "Traceback" in done.stderr and "Error:" in done.stderr


# --- server gone, damaged dump -----------------------------------------------------------------


def test_server_not_reachable() -> None:
    done = cli("--db", "postgresql://strikedb@127.0.0.1:9/strikes", "events", "list")
    assert_fails(done, 1, "postgresql")


def test_damaged_pg_dump_is_refused(pg_server, tmp_path: Path) -> None:
    db_url = pg_server.migrated_database()
    try:
        done = cli("--db", db_url, "demo", "--out", str(tmp_path / "demo.html"))
        assert done.returncode == 0, done.stderr
        dump = tmp_path / "backup.dump"
        assert cli("--db", db_url, "db", "backup", str(dump)).returncode == 0
        data = dump.read_bytes()
        damaged = tmp_path / "damaged.dump"
        damaged.write_bytes(data[: len(data) // 2])
        assert_fails(cli("--db", db_url, "db", "restore", "--force", str(damaged)), 1)
        flipped = bytearray(data)
        for i in range(len(flipped) // 3, len(flipped) // 3 + 64):
            flipped[i] ^= 0xFF
        damaged.write_bytes(bytes(flipped))
        assert_fails(cli("--db", db_url, "db", "restore", "--force", str(damaged)), 1)
        # The refused restores left the database as it was.
        assert cli("--db", db_url, "db", "check").returncode == 0
        listed = cli("--db", db_url, "sql", "SELECT count(*) AS n FROM events", "--format", "csv")
        assert listed.stdout.splitlines()[1] != "0"
    finally:
        pg_server.drop(db_url)


# --- interruption ------------------------------------------------------------------------------


def test_ctrl_c_prints_what_was_committed(tmp_path: Path) -> None:
    db = tmp_path / "int.db"
    assert cli("--db", str(db), "db", "upgrade").returncode == 0
    big = write_grid_csv(tmp_path / "big.csv", 20_000, tag="int", days=600, latitude=45, longitude=35, columns=7)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "events.cli", "--db", str(db), "ingest", str(big), "--batch-size", "500"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )  # fmt: skip
    deadline = time.monotonic() + TIMEOUT_S
    committed = 0
    while committed < 1000 and time.monotonic() < deadline and proc.poll() is None:
        time.sleep(0.1)
        with contextlib.suppress(sqlite3.Error):
            conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            committed = conn.execute("SELECT count(*) FROM events").fetchone()[0]
            conn.close()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=TIMEOUT_S)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err
    assert "Interrupted" in err and "committed" in err, err
    conn = sqlite3.connect(db)
    status, inserted = conn.execute("SELECT status, rows_inserted FROM ingest_runs").fetchone()
    stored = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.close()
    assert status == "interrupted" and inserted == stored, (status, inserted, stored)
    assert f"{stored:,} inserted" in err or f"{stored} inserted" in err, err


def test_ctrl_c_while_starting_is_one_line(tmp_path: Path) -> None:
    # Ctrl-C while the command modules still load (Typer, Rich, SQLAlchemy, the library: a good part
    # of a second). `-X importtime` prints each import as it ends: the signal is sent once the light
    # entry point `events.cli` is in (so it lands in the heavy imports, not in Python's own start-up),
    # after a few delays; a run that finished before its signal arrived only shows it came too late.
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("STRIKEDB_DEBUG", None)
    at_start_up = 0
    for delay in (0.0, 0.01, 0.05, 0.2):
        proc = subprocess.Popen(
            [sys.executable, "-X", "importtime", "-m", "events.cli", "--db", str(tmp_path / "s.db"), "--version"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )  # fmt: skip
        assert proc.stderr is not None
        for line in proc.stderr:
            if line.rstrip().endswith("| events.cli"):
                break
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=TIMEOUT_S)
        said = [line for line in err.splitlines() if not line.startswith("import time:")]
        assert "Traceback" not in out + "\n".join(said), (out, said)
        if proc.returncode == 0 and out.startswith("strikedb "):  # finished before the signal came
            continue
        assert proc.returncode == 130, (proc.returncode, out, said)
        assert len(said) == 1 and said[0].startswith("Interrupted"), said
        at_start_up += said[0] == STARTUP_INTERRUPTED
    assert at_start_up, "no run was interrupted while starting"


def test_reliability_doc_lists_the_faults() -> None:
    doc = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    names = [name for name in globals() if name.startswith("test_") and name != "test_reliability_doc_lists_the_faults"]
    for test_name in names:
        assert f"`{test_name}`" in doc, f"docs/reliability.md's fault table does not name {test_name}"
    for code in ("| 2 |", "| 1 |", "| 130 |"):
        assert code in doc
    assert json.dumps("--debug")[1:-1] in doc
