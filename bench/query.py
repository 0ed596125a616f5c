"""Benchmark: indexed SQL queries against full scans on 1,000,000 events (run by hand).

Generates N synthetic events (default 1,000,000) with Core ``executemany`` straight into a fresh
SQLite file (and a PostgreSQL database when ``--pg URL`` is given), then times in the same run:

* the radius query "strikes within 50 km of Kirishi" through the spatial index (SQLite R*Tree
  join, PostGIS ``geom && envelope``) against a full scan computing ``distance_km`` per row, and
  the portable bounding-box form of the cookbook;
* a date-range count through ``ix_events_event_date`` against the same count forced to scan
  (``NOT INDEXED`` on SQLite, ``enable_indexscan/bitmapscan/indexonlyscan = off`` on PostgreSQL).

Each query is run ``--repeat`` times; the best time is reported, with the ratio against its full
scan. Query plans are printed so the index use is visible. Results go to docs/benchmarks.md,
section ``## SQL queries``, by hand.

Usage::

    python bench/query.py [--n 1000000] [--sqlite /tmp/bench-query.db] [--pg postgresql://...]
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import Engine, insert, text

from events import migrate
from events.db import distance_km, make_engine
from events.models import Event

KIRISHI = (59.4603, 32.0237)
RADIUS_KM = 50.0
DLAT, DLON = 0.45, 0.89  # 50 km in degrees at Kirishi's latitude (see docs/sql-cookbook.md)
BATCH = 20_000
DATE_FROM, DATE_TO = "2025-03-01", "2025-03-31"

RADIUS_RTREE = f"""
SELECT COUNT(*) FROM events e
WHERE e.id IN (SELECT id FROM events_rtree
               WHERE min_lat >= {KIRISHI[0] - DLAT} AND max_lat <= {KIRISHI[0] + DLAT}
                 AND min_lon >= {KIRISHI[1] - DLON} AND max_lon <= {KIRISHI[1] + DLON})
  AND distance_km({KIRISHI[0]}, {KIRISHI[1]}, e.latitude, e.longitude) <= {RADIUS_KM}"""
RADIUS_GIST = f"""
SELECT COUNT(*) FROM events e
WHERE e.geom && ST_MakeEnvelope({KIRISHI[1] - DLON}, {KIRISHI[0] - DLAT},
                                {KIRISHI[1] + DLON}, {KIRISHI[0] + DLAT}, 4326)
  AND distance_km({KIRISHI[0]}, {KIRISHI[1]}, e.latitude, e.longitude) <= {RADIUS_KM}"""
RADIUS_PORTABLE = f"""
SELECT COUNT(*) FROM events
WHERE latitude BETWEEN {KIRISHI[0] - DLAT} AND {KIRISHI[0] + DLAT}
  AND longitude BETWEEN {KIRISHI[1] - DLON} AND {KIRISHI[1] + DLON}
  AND distance_km({KIRISHI[0]}, {KIRISHI[1]}, latitude, longitude) <= {RADIUS_KM}"""
RADIUS_FULL_SCAN = f"""
SELECT COUNT(*) FROM events WHERE distance_km({KIRISHI[0]}, {KIRISHI[1]}, latitude, longitude) <= {RADIUS_KM}"""
DATE_COUNT = f"SELECT COUNT(*) FROM events WHERE event_date BETWEEN '{DATE_FROM}' AND '{DATE_TO}'"
DATE_COUNT_SQLITE_SCAN = (
    f"SELECT COUNT(*) FROM events NOT INDEXED WHERE event_date BETWEEN '{DATE_FROM}' AND '{DATE_TO}'"
)
PG_NO_INDEX = ("SET enable_indexscan = off", "SET enable_bitmapscan = off", "SET enable_indexonlyscan = off")


def synthetic_events(n: int, seed: int = 20250314) -> Iterator[dict[str, object]]:
    """Yield ``n`` event rows spread over Russia and Ukraine, 2022-2025; about 1 in 500 near Kirishi."""
    rng = random.Random(seed)
    start = dt.date(2022, 2, 24)
    span = (dt.date(2025, 12, 31) - start).days
    for i in range(n):
        if rng.random() < 0.002:
            lat, lon = KIRISHI[0] + rng.uniform(-0.6, 0.6), KIRISHI[1] + rng.uniform(-1.1, 1.1)
        else:
            lat, lon = rng.uniform(44.0, 62.0), rng.uniform(22.0, 60.0)
        yield {
            "public_id": f"SDB-B{i:010d}",
            "event_date": start + dt.timedelta(days=rng.randrange(span)),
            "date_precision": "day",
            "latitude": lat,
            "longitude": lon,
            "geo_precision": "exact",
            "geocoded_by": "coordinates",
            "attack_type": "drone",
            "claim_status": "reported",
            "confidence": rng.choice(("confirmed", "likely", "possible", "unverified")),
            "country": "RU" if lon > 40 or lat > 52 else "UA",
            "origin": "bench",
        }


def load(engine: Engine, n: int) -> float:
    """Insert ``n`` events in batches (one transaction each); return seconds taken."""
    started = time.perf_counter()
    batch: list[dict[str, object]] = []
    for row in synthetic_events(n):
        batch.append(row)
        if len(batch) == BATCH:
            with engine.begin() as conn:
                conn.execute(insert(Event.__table__), batch)
            batch = []
    if batch:
        with engine.begin() as conn:
            conn.execute(insert(Event.__table__), batch)
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
    return time.perf_counter() - started


def best_time(engine: Engine, sql: str, repeat: int, setup: tuple[str, ...] = ()) -> tuple[float, int]:
    """Best wall time of ``repeat`` runs of a COUNT query, and its result."""
    best, result = float("inf"), -1
    for _ in range(repeat):
        with engine.connect() as conn:
            for statement in setup:
                conn.exec_driver_sql(statement)
            started = time.perf_counter()
            result = conn.execute(text(sql)).scalar_one()
            best = min(best, time.perf_counter() - started)
            conn.rollback()
    return best, result


def plan(engine: Engine, sql: str, setup: tuple[str, ...] = ()) -> str:
    """The query plan, one line per step."""
    with engine.connect() as conn:
        for statement in setup:
            conn.exec_driver_sql(statement)
        if engine.dialect.name == "sqlite":
            rows = conn.execute(text("EXPLAIN QUERY PLAN " + sql)).all()
            return " | ".join(str(row[-1]) for row in rows)
        rows = conn.execute(text("EXPLAIN " + sql)).all()
        conn.rollback()
        return " | ".join(row[0].strip() for row in rows)


def run_suite(name: str, engine: Engine, queries: list[tuple[str, str, tuple[str, ...]]], repeat: int) -> None:
    """Time ``(label, sql, setup)`` queries and print a Markdown table.

    A label ending in ``full scan`` is the baseline for the labels after it that share its
    prefix (the text before the first comma).
    """
    rows = []
    baselines: dict[str, float] = {}
    for label, sql, setup in queries:
        seconds, result = best_time(engine, sql, repeat, setup)
        group = label.split(",")[0]
        if label.endswith("full scan") or "full scan (" in label:
            baselines[group] = seconds
            ratio = "baseline"
        else:
            ratio = f"{baselines[group] / seconds:,.0f}x faster"
        rows.append(f"| {label} | {result} | {seconds * 1000:,.1f} ms | {ratio} |")
        print(f"  plan [{label}]: {plan(engine, sql, setup)}")
    print(f"\n| {name} query | count | best of {repeat} | vs full scan |\n|---|---:|---:|---:|")
    print("\n".join(rows))


def bench_sqlite(path: Path, n: int, repeat: int) -> None:
    if path.exists():
        path.unlink()
    engine = make_engine(f"sqlite:///{path}")
    migrate.upgrade(engine)
    print(f"SQLite: loading {n:,} events into {path} ... ", end="", flush=True)
    print(f"{load(engine, n):.1f} s")
    run_suite(
        "SQLite",
        engine,
        [
            ("radius 50 km, full scan", RADIUS_FULL_SCAN, ()),
            ("radius 50 km, portable bbox + distance_km (no lat index: scan)", RADIUS_PORTABLE, ()),
            ("radius 50 km, R*Tree IN (box) + distance_km", RADIUS_RTREE, ()),
            ("date-range count, full scan (NOT INDEXED)", DATE_COUNT_SQLITE_SCAN, ()),
            ("date-range count, ix_events_event_date", DATE_COUNT, ()),
        ],
        repeat,
    )
    engine.dispose()


def bench_postgres(url: str, n: int, repeat: int) -> None:
    admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"strikedb_bench_{int(time.time())}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    target = admin.url.set(database=name).render_as_string(hide_password=False)
    engine = make_engine(target)
    try:
        migrate.upgrade(engine)
        print(f"PostgreSQL: loading {n:,} events into {name} ... ", end="", flush=True)
        print(f"{load(engine, n):.1f} s")
        run_suite(
            "PostgreSQL",
            engine,
            [
                ("radius 50 km, full scan", RADIUS_FULL_SCAN, ()),
                ("radius 50 km, portable bbox + distance_km (no lat index: scan)", RADIUS_PORTABLE, ()),
                ("radius 50 km, GiST geom && envelope + distance_km", RADIUS_GIST, ()),
                ("date-range count, full scan (index scans off)", DATE_COUNT, PG_NO_INDEX),
                ("date-range count, ix_events_event_date", DATE_COUNT, ()),
            ],
            repeat,
        )
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def check_counts(n: int) -> int:
    """Events within 50 km computed in Python, to confirm every query returns the same number."""
    rows = synthetic_events(n)
    return sum(1 for row in rows if distance_km(*KIRISHI, row["latitude"], row["longitude"]) <= RADIUS_KM)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="events to generate")
    parser.add_argument("--sqlite", type=Path, default=Path("/tmp/strikedb-bench-query.db"))
    parser.add_argument("--pg", help="PostgreSQL server URL (a scratch database is created and dropped)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print(f"expected radius count (Python haversine): {check_counts(args.n)}")
    bench_sqlite(args.sqlite, args.n, args.repeat)
    if args.pg:
        bench_postgres(args.pg, args.n, args.repeat)


if __name__ == "__main__":
    main()
