"""Dump what a fixed sequence of ingests stores, row by row, to check that a speed-up changes nothing.

Usage::

    python bench/same_rows.py OUT.txt                  # this checkout
    python bench/same_rows.py OUT.txt --root /tmp/old  # another checkout (e.g. a git worktree)
    cmp OLD.txt NEW.txt

Into a fresh SQLite database with the bundled gazetteer it ingests, in turn: the osint tracker's
``events_timeline.csv`` and ``events.geojson``, the ACLED and UCDP samples of ``../shared/data``
(skipped when absent), 20,000 rows of the ingest benchmark (``bench/ingest.py``; read by the
worker process), a corrected version of that file under the same name (some rows changed, some
dropped, some repeated with a new URL, some with a bad date: updates, merges, corrections and
quarantined rows) and the timeline again.
Then it writes every row of ``events``, ``sources``, ``event_sources``, ``event_revisions``,
``duplicate_candidates``, ``event_line_links`` and ``rejected_rows`` (every column but run ids
and timestamps, which differ between runs; the temporary folder's path as ``<work>``), and each
run's counts.
"""

from __future__ import annotations

import argparse
import csv
import os
import random
import sqlite3
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
TABLES = (
    "events",
    "sources",
    "event_sources",
    "event_revisions",
    "duplicate_candidates",
    "event_line_links",
    "rejected_rows",
)
ROWS = 20_000


def shared_files(shared: Path) -> list[Path]:
    names = [
        "osint-tracker-refinery-strikes/events_timeline.csv",
        "osint-tracker-refinery-strikes/events.geojson",
        "acled-export-benin-sample/acled.csv",
        "ucdp-ged-231-sample/ucdpged.csv",
        "ucdp-ged-231-sample/ucdpged_ukraine.csv",
    ]
    return [shared / name for name in names if (shared / name).exists()]


def corrected(rows: list[dict[str, str]]) -> list[dict[str, str]]:
    """The benchmark rows with deterministic corrections: changed cells, dropped rows, second reports."""
    rng = random.Random(7)
    out = []
    for i, row in enumerate(rows):
        if i % 97 == 0:
            continue  # dropped: the corrections step
        row = dict(row)
        if i % 53 == 0:
            row["effect"] = "fire" if row["effect"] != "fire" else "damage"
            row["description"] += " (updated)"
        out.append(row)
        if i % 89 == 0:  # a second report of the same strike, another outlet, same day and point
            again = dict(row)
            again["source_url"] = f"https://www.pravda.com.ua/eng/news/{i}-{rng.randrange(10**6)}"
            again["publisher"] = "Ukrainska Pravda"
            out.append(again)
        if i % 211 == 0:  # a bad row: quarantined
            out.append({**row, "date": "2023-13-45", "source_url": f"https://example.org/bad/{i}"})
    return out


def dump(db: Path, out: Path, counts: list[str], work: Path) -> None:
    conn = sqlite3.connect(db)
    with out.open("w", encoding="utf-8") as fh:
        for line in counts:
            fh.write(line + "\n")
        for table in TABLES:
            columns = [
                r[1]
                for r in conn.execute(f"PRAGMA table_info({table})")
                if not (r[1].endswith("_at") or r[1].endswith("run_id") or r[1] in ("run_id", "duration_s"))
            ]
            listed = ", ".join(columns)
            rows = conn.execute(f"SELECT {listed} FROM {table} ORDER BY {listed}").fetchall()
            fh.write(f"## {table} ({len(rows)} rows): {listed}\n")
            for row in rows:
                fh.write(repr(row).replace(str(work), "<work>") + "\n")  # temporary paths differ
    conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--root", default=str(HERE.parent), help="the checkout whose events package runs")
    default_shared = os.environ.get("STRIKEDB_SHARED_DATA", str(HERE.parents[1] / "shared" / "data"))
    parser.add_argument("--shared", default=default_shared)
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))
    sys.path.insert(1, str(HERE))
    import ingest as bench  # this checkout's benchmark: the same rows for both checkouts

    from events import migrate
    from events.db import make_engine
    from events.ingest import ingest_file

    assert Path(sys.modules["events"].__file__).resolve().is_relative_to(root), "events imported from elsewhere"
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        bench_csv = work / "bench" / "rows.csv"
        bench_csv.parent.mkdir()
        bench.write_csv(bench_csv, ROWS)
        with bench_csv.open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
        fixed_csv = work / "fixed" / "rows.csv"  # same file name: the same dataset, corrected
        fixed_csv.parent.mkdir()
        with fixed_csv.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(corrected(rows))
        shared = shared_files(Path(args.shared))
        db = work / "same.db"
        engine = make_engine(f"sqlite:///{db}")
        migrate.upgrade(engine)
        bench.add_bundled_facilities(f"sqlite:///{db}")
        counts = []
        for path in [*shared, bench_csv, fixed_csv, *shared[:1]]:
            report = ingest_file(engine, path)
            label = path.relative_to(work) if path.is_relative_to(work) else path.name
            counts.append(f"# {label}: {sorted(report.counts().items())} candidates={report.candidates}")
        engine.dispose()
        dump(db, Path(args.out), counts, work)
    print("\n".join(counts))


if __name__ == "__main__":
    main()
