"""Benchmark ``strikedb ingest`` against raw ``sqlite3.executemany`` and ``pandas.DataFrame.to_sql``.

Usage::

    python bench/ingest.py                 # 1,000,000 rows
    python bench/ingest.py --rows 100000   # smaller
    python bench/ingest.py --rows 100000 --rows 1000000   # several sizes (memory should stay flat)
    python bench/ingest.py --before /tmp/old-checkout     # also time strikedb from another checkout
    python bench/ingest.py --rows 50000 --pg postgresql://postgres@127.0.0.1/postgres   # on PostgreSQL

Each measurement runs in its own subprocess on a fresh SQLite file migrated to head (so its
peak RSS, from ``resource.getrusage``, is its own; a worker process's peak is reported apart):

* ``strikedb``: :func:`events.ingest.ingest_file` on a synthetic canonical CSV: parsing,
  validation, geocoding (55 bundled facilities, admin-1 regions), grading, deduplication,
  sources and links, one transaction per ``DEFAULT_BATCH_SIZE`` rows (the CLI's default).
  Large files are read, validated and geocoded in a worker process while the main process
  writes (``ingest_file(parallel=None)``).
  ``--before ROOT`` adds a row for the ``events`` package of another checkout (e.g. a
  ``git worktree`` of an older commit), measured in the same run on the same file.
* ``executemany`` (the floor): ``sqlite3.executemany`` of ready-made tuples of the same events
  (the same values strikedb stores, including the indexed key and hash columns) into the same
  ``events`` table (same indexes, same R*Tree trigger), one transaction. It writes no sources and
  no event-source links, which strikedb does (three rows per report instead of one).
* ``to_sql``: ``pandas.DataFrame.to_sql`` of the same tuples into the same ``events`` table
  (``if_exists="append"``, ``chunksize=5000``); the DataFrame is built before timing.
* ``strikedb writes only``: the rows strikedb writes for these reports (event with id and run,
  source, event-source link), written the way its loader writes them (``executemany`` per
  :data:`events.ingest.pipeline.CHUNK_ROWS` chunk, the R*Tree filled after each chunk by
  :func:`events.db.sqlite_rtree_filled_after`, a commit every ``DEFAULT_BATCH_SIZE`` rows) from
  ready-made tuples, with no reading, validation, geocoding, look-ups or decisions: the floor of
  strikedb's single writer, i.e. what is left for everything else when it must beat ``to_sql``.
* ``read_csv+to_sql``: the usual pandas path from the same CSV file: ``read_csv`` then ``to_sql``
  (no validation, no geocoding), for a like-for-like "file to table" comparison.

All phases use the same connection settings as a strikedb ingest run: WAL, ``synchronous =
NORMAL`` and a ``cache_size`` of :data:`events.ingest.pipeline.SQLITE_CACHE_KIB` (so the baselines are
not slowed by a smaller page cache than strikedb uses). CPU seconds are those of the timed part,
worker processes included.

``--pg URL`` (a server URL whose user may create databases) runs the same comparison on
PostgreSQL instead, each phase in a new database made from that URL and dropped afterwards: the
floor is psycopg's ``executemany`` of the same tuples, ``to_sql`` goes through a SQLAlchemy engine
(the documented way on PostgreSQL), and strikedb runs as a user would run it against that server.

Results go to stdout as a Markdown table; copy them into ``docs/benchmarks.md`` (``## Ingest``).
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime as dt
import hashlib
import json
import os
import platform
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "date",
    "latitude",
    "longitude",
    "facility",
    "facility_type",
    "country",
    "attack_type",
    "effect",
    "description",
    "claim_status",
    "source_reliability",
    "info_credibility",
    "source_url",
    "publisher",
]
PUBLISHERS = [
    ("https://www.reuters.com/business/energy/", "Reuters"),
    ("https://kyivindependent.com/", "Kyiv Independent"),
    ("https://www.ukrinform.net/", "Ukrinform"),
    ("https://t.me/GeneralStaffZSU", "General Staff"),
    ("https://militarnyi.com/en/news/", "Militarnyi"),
]
EVENT_COLUMNS = [
    "public_id",
    "event_date",
    "date_precision",
    "latitude",
    "longitude",
    "geo_precision",
    "geocoded_by",
    "facility_type",
    "facility_name_reported",
    "attack_type",
    "effect",
    "description",
    "country",
    "claim_status",
    "source_reliability",
    "info_credibility",
    "confidence",
    "origin",
    "natural_key",
    "content_hash",
    "created_at",
    "updated_at",
]


def synthetic_rows(n: int, seed: int = 20250802):
    """Yield ``n`` synthetic reports as dicts of canonical CSV cells (deterministic).

    Points are random in European Russia and Ukraine; the country is stated for two rows in
    three (as found by the bundled outlines, so no row is a false "swapped coordinates").
    """
    from events.geo import country_at

    rng = random.Random(seed)
    start = dt.date(2023, 1, 1)
    for i in range(n):
        url, publisher = PUBLISHERS[i % len(PUBLISHERS)]
        lat, lon = round(rng.uniform(45.0, 60.0), 5), round(rng.uniform(25.0, 58.0), 5)
        yield {
            "date": (start + dt.timedelta(days=rng.randrange(1000))).isoformat(),
            "latitude": f"{lat:.5f}",
            "longitude": f"{lon:.5f}",
            "facility": f"Site {i}",
            "facility_type": rng.choice(("refinery", "oil_depot", "substation", "power_plant")),
            "country": (country_at(lat, lon) or "") if i % 3 else "",
            "attack_type": rng.choice(("drone", "missile", "unknown")),
            "effect": rng.choice(("fire", "damage", "")),
            "description": f"Synthetic report {i}",
            "claim_status": rng.choice(("reported", "claimed", "confirmed_by_official")),
            "source_reliability": rng.choice("ABCDF"),
            "info_credibility": str(rng.randint(1, 6)),
            # One article URL per report, as a real feed has; publishers repeat.
            "source_url": f"{url}{i}",
            "publisher": publisher,
        }


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=HEADER)
        writer.writeheader()
        writer.writerows(synthetic_rows(n))


def event_tuples(n: int) -> list[tuple]:
    """The same events as ready-to-insert tuples (what a loader without checks would write)."""
    from events.confidence import confidence_level

    now = dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    out = []
    for i, row in enumerate(synthetic_rows(n)):
        credibility = int(row["info_credibility"])
        reliability = row["source_reliability"]
        key = hashlib.sha256(f"key{i}".encode()).hexdigest()
        out.append(
            (
                # Like strikedb's public ids: derived from the (random) key, so the unique index
                # is filled in random order, not appended to.
                "SDB-" + key[:12].upper(),
                row["date"],
                "day",
                float(row["latitude"]),
                float(row["longitude"]),
                "exact",
                "coordinates",
                row["facility_type"],
                row["facility"],
                row["attack_type"],
                row["effect"] or None,
                row["description"],
                row["country"] or None,
                row["claim_status"],
                reliability,
                credibility,
                confidence_level(row["claim_status"], reliability, credibility),
                "csv",
                key,
                hashlib.sha256(f"content{i}".encode()).hexdigest(),
                now,
                now,
            )
        )
    return out


def fresh_database(directory: Path, name: str, *, facilities: bool) -> str:
    from events import migrate
    from events.db import make_engine

    path = directory / f"{name}.db"
    path.unlink(missing_ok=True)
    url = f"sqlite:///{path}"
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    if facilities:
        add_bundled_facilities(url)
    return str(path)


def add_bundled_facilities(url: str) -> None:
    """Load the bundled gazetteer, as strikedb's geocoding and facility links need it."""
    from events.db import make_engine
    from tests.ingest_fixtures import add_bundled_facilities as add

    engine = make_engine(url)
    add(engine)
    engine.dispose()


def pg_event_tuples(n: int) -> list[tuple]:
    """:func:`event_tuples` with dates and timestamps as Python objects (typed columns on PostgreSQL)."""
    date_at, created_at = EVENT_COLUMNS.index("event_date"), EVENT_COLUMNS.index("created_at")
    out = []
    for row in event_tuples(n):
        values = list(row)
        values[date_at] = dt.date.fromisoformat(values[date_at])
        values[created_at] = values[created_at + 1] = dt.datetime.fromisoformat(values[created_at])
        out.append(tuple(values))
    return out


def phase_pg_executemany(n: int, url: str) -> dict:
    import psycopg

    from events.db import parse_url

    rows = pg_event_tuples(n)
    dsn = parse_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    placeholders = ", ".join("%s" for _ in EVENT_COLUMNS)
    sql = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})"
    with psycopg.connect(dsn) as conn, timed() as result:
        with conn.cursor() as cur:
            cur.executemany(sql, rows)
        conn.commit()
    return {**result, "rows": len(rows)}


def phase_pg_to_sql(n: int, url: str) -> dict:
    import pandas as pd

    from events.db import make_engine

    frame = pd.DataFrame(pg_event_tuples(n), columns=EVENT_COLUMNS)
    engine = make_engine(url)
    with timed() as result:
        frame.to_sql("events", engine, if_exists="append", index=False, chunksize=5000)
    engine.dispose()
    return {**result, "rows": len(frame)}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def phase_strikedb(csv_path: Path, db_path: str) -> dict:
    from events.db import make_engine
    from events.ingest import ingest_file

    engine = make_engine(db_path if "://" in db_path else f"sqlite:///{db_path}")
    with timed() as result:
        # The defaults a user gets: --batch-size (transaction) and the worker process.
        report = ingest_file(engine, csv_path)
    return {**result, "rows": report.read, "counts": report.counts()}


def connect_like_strikedb(db_path: str, **kwargs) -> sqlite3.Connection:
    """A plain sqlite3 connection with the pragmas a strikedb ingest run uses."""
    conn = sqlite3.connect(db_path, **kwargs)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute(f"PRAGMA cache_size = -{cache_kib()}")
    return conn


def cache_kib() -> int:
    try:
        from events.ingest.pipeline import SQLITE_CACHE_KIB
    except ImportError:  # an older checkout: SQLite's default page cache
        return 2000
    return SQLITE_CACHE_KIB


def phase_executemany(n: int, db_path: str) -> dict:
    rows = event_tuples(n)
    conn = connect_like_strikedb(db_path, isolation_level=None)
    placeholders = ", ".join("?" for _ in EVENT_COLUMNS)
    sql = f"INSERT INTO events ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})"
    with timed() as result:
        conn.execute("BEGIN")
        conn.executemany(sql, rows)
        conn.execute("COMMIT")
    conn.close()
    return {**result, "rows": len(rows)}


def phase_to_sql(n: int, db_path: str) -> dict:
    import pandas as pd

    frame = pd.DataFrame(event_tuples(n), columns=EVENT_COLUMNS)
    conn = connect_like_strikedb(db_path)
    with timed() as result:
        frame.to_sql("events", conn, if_exists="append", index=False, chunksize=5000)
        conn.commit()
    conn.close()
    return {**result, "rows": len(frame)}


def phase_writes(n: int, db_path: str) -> dict:
    from events.db import make_engine, sqlite_rtree_filled_after
    from events.ingest.pipeline import CHUNK_ROWS, DEFAULT_BATCH_SIZE

    events = event_tuples(n)
    now = events[0][-1]
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        run_id = conn.exec_driver_sql(
            "INSERT INTO ingest_runs (file_path, input_format, started_at) VALUES ('bench', 'csv', ?) RETURNING id",
            (now,),
        ).scalar_one()
        conn.commit()
        event_rows = [(i + 1, *row, run_id) for i, row in enumerate(events)]
        # The synthetic CSV's sources: one article URL per report, five publishers.
        source_rows = [(i + 1, f"{PUBLISHERS[i % 5][0]}{i}", PUBLISHERS[i % 5][1], now) for i in range(n)]
        link_rows = [(i + 1, i + 1, "report", now, run_id) for i in range(n)]
        columns = ["id", *EVENT_COLUMNS, "ingest_run_id"]
        event_sql = f"INSERT INTO events ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
        source_sql = "INSERT INTO sources (id, url, publisher, created_at) VALUES (?, ?, ?, ?)"
        link_sql = (
            "INSERT INTO event_sources (event_id, source_id, role, added_at, ingest_run_id) VALUES (?, ?, ?, ?, ?)"
        )
        conn.exec_driver_sql(f"PRAGMA cache_size = -{cache_kib()}")
        with timed() as result:
            for start in range(0, n, DEFAULT_BATCH_SIZE):
                for chunk in range(start, min(n, start + DEFAULT_BATCH_SIZE), CHUNK_ROWS):
                    end = min(n, chunk + CHUNK_ROWS)
                    with sqlite_rtree_filled_after(conn, "events", chunk + 1):
                        conn.exec_driver_sql(event_sql, event_rows[chunk:end])
                    conn.exec_driver_sql(source_sql, source_rows[chunk:end])
                    conn.exec_driver_sql(link_sql, link_rows[chunk:end])
                conn.commit()
    engine.dispose()
    return {**result, "rows": n}


def phase_read_csv_to_sql(csv_path: Path, db_path: str) -> dict:
    import pandas as pd

    conn = connect_like_strikedb(db_path)
    with timed() as result:
        frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
        frame.to_sql("raw_rows", conn, if_exists="replace", index=False, chunksize=5000)
        conn.commit()
    conn.close()
    return {**result, "rows": len(frame)}


def run_phase(phase: str, n: int, csv_path: Path, workdir: Path, root: Path = ROOT, pg: str | None = None) -> dict:
    """Run one measurement in a subprocess so that its peak RSS is its own.

    ``root`` is the checkout whose ``events`` package is measured (this script is run from it
    through ``--root``, so it imports that package first).
    """
    cmd = [sys.executable, __file__, "--phase", phase, "--rows", str(n), "--csv", str(csv_path), "--dir", str(workdir)]
    cmd += ["--root", str(root)]
    if pg:
        cmd += ["--pg", pg]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True, cwd=root)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child(args: argparse.Namespace) -> None:
    n = args.rows[0]
    workdir = Path(args.dir)
    name = args.phase if Path(args.root) == ROOT else f"{args.phase}-before"
    if args.pg:
        # The test suite's throw-away databases: created migrated, dropped afterwards.
        from tests.conftest import PgServer

        server = PgServer(args.pg)
        url = server.migrated_database()
        try:
            if args.phase == "strikedb":
                add_bundled_facilities(url)
                result = phase_strikedb(Path(args.csv), url)
            elif args.phase == "executemany":
                result = phase_pg_executemany(n, url)
            else:
                result = phase_pg_to_sql(n, url)
        finally:
            server.drop(url)
            server.close()
        report_child(result)
        return
    db_path = fresh_database(workdir, name, facilities=args.phase == "strikedb")
    if args.phase == "strikedb":
        result = phase_strikedb(Path(args.csv), db_path)
    elif args.phase == "executemany":
        result = phase_executemany(n, db_path)
    elif args.phase == "to_sql":
        result = phase_to_sql(n, db_path)
    elif args.phase == "writes":
        result = phase_writes(n, db_path)
    else:
        result = phase_read_csv_to_sql(Path(args.csv), db_path)
    report_child(result)


def report_child(result: dict) -> None:
    result["peak_rss_mb"] = round(peak_rss_mb(), 1)
    result["worker_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024, 1)
    result["rows_per_s"] = result["rows"] / result["seconds"]
    print(json.dumps(result))


@contextlib.contextmanager
def timed() -> Iterator[dict]:
    """Time the block: wall-clock ``seconds`` and ``cpu_seconds`` (worker processes included)."""
    result: dict = {}
    started, cpu = time.perf_counter(), cpu_seconds()
    yield result
    result["seconds"] = time.perf_counter() - started
    result["cpu_seconds"] = cpu_seconds() - cpu


def cpu_seconds() -> float:
    """User + system CPU time of this process and its finished worker processes."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, action="append", help="rows to generate (repeatable; default 1000000)")
    parser.add_argument("--phase", choices=("strikedb", "executemany", "to_sql", "writes", "read_csv_to_sql"))
    parser.add_argument("--csv")
    parser.add_argument("--dir")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--before", help="another checkout whose strikedb is timed too (e.g. a git worktree)")
    parser.add_argument("--pg", help="run on PostgreSQL: a server URL whose user may create databases")
    parser.add_argument("--root", default=str(ROOT), help=argparse.SUPPRESS)
    args = parser.parse_args()
    args.rows = args.rows or [1_000_000]
    if Path(args.root) != ROOT:
        # Measure the events package of that checkout: it must win over this one's.
        sys.path.insert(0, str(Path(args.root).resolve()))
    if args.phase:
        child(args)
        return
    from events.ingest import DEFAULT_BATCH_SIZE

    backend = "PostgreSQL (--pg)" if args.pg else f"SQLite {sqlite3.sqlite_version}"
    print(
        f"# ingest benchmark, {platform.python_version()}, {backend}, {os.cpu_count()} CPUs, "
        f"strikedb batches of {DEFAULT_BATCH_SIZE:,} rows"
    )
    print()
    print("| rows | method | seconds | rows/s | vs executemany | vs to_sql | CPU s | peak RSS MB (worker) |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    for n in args.rows:
        workdir = Path(tempfile.mkdtemp(prefix="strikedb-bench-"))
        csv_path = workdir / "events.csv"
        write_csv(csv_path, n)
        baselines = ("executemany", "to_sql") if args.pg else ("executemany", "to_sql", "writes", "read_csv_to_sql")
        results = {p: run_phase(p, n, csv_path, workdir, pg=args.pg) for p in baselines}
        if args.before:
            before = Path(args.before).resolve()
            results["strikedb (before)"] = run_phase("strikedb", n, csv_path, workdir, before, pg=args.pg)
        results["strikedb"] = run_phase("strikedb", n, csv_path, workdir, pg=args.pg)
        floor, to_sql = results["executemany"]["rows_per_s"], results["to_sql"]["rows_per_s"]
        for phase, r in results.items():
            worker = f" ({r['worker_peak_rss_mb']})" if r.get("worker_peak_rss_mb") else ""
            print(
                f"| {n:,} | {phase} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | "
                f"{r['rows_per_s'] / floor:.0%} | {r['rows_per_s'] / to_sql:.2f}x | {r['cpu_seconds']:.1f} | "
                f"{r['peak_rss_mb']}{worker} |",
                flush=True,
            )
        for phase in [p for p in results if p.startswith("strikedb")]:
            print(f"<!-- {phase} counts at {n:,}: {results[phase].get('counts')} -->", flush=True)
        if not args.keep:
            for path in workdir.iterdir():
                path.unlink()
            workdir.rmdir()


if __name__ == "__main__":
    main()
