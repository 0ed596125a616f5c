"""Benchmark the readers (``events.readers.read_events``) against plain ``csv.reader`` and pandas.

Usage::

    python bench/readers.py                      # 200,000 rows
    python bench/readers.py --rows 1000000       # the size the issue asks memory to stay flat on

Each measurement runs in its own subprocess (so its peak RSS, from ``resource.getrusage``, is its
own) on the same synthetic canonical CSV: day-first dates, decimal coordinates, a facility, a
vocabulary value or three, a URL and a quoted description with a comma.

* ``csv.reader`` (the floor): iterate the rows with the standard library, no validation.
* ``pandas.read_csv``: load the whole file into a DataFrame (the usual analyst path; no validation).
* ``read_events``: strikedb's streaming reader, full validation, one record per row.

Results go to stdout as a Markdown table; copy them into ``docs/benchmarks.md`` (``## Readers``).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

HEADER = "event_id,date,latitude,longitude,facility,attack_type,effect,claim_status,source_url,publisher,description\n"

MEASURE = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
path, method = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if method == "csv.reader":
    import csv
    with open(path, newline="", encoding="utf-8") as handle:
        rows = sum(1 for _ in csv.reader(handle)) - 1
elif method == "pandas.read_csv":
    import pandas
    rows = len(pandas.read_csv(path))
else:
    from events.readers import read_events
    rows = sum(1 for _ in read_events(path))
elapsed = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({{"rows": rows, "seconds": elapsed, "rss_mb": peak}}))
"""


def write_csv(path: Path, rows: int) -> None:
    """Write ``rows`` synthetic canonical rows."""
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER)
        for i in range(rows):
            out.write(
                f"E{i},{i % 28 + 1:02d}/09/2025,{50 + i % 1000 / 1000:.4f},{30 + i % 700 / 100:.3f},Site {i},"
                f'drone,fire,reported,https://example.org/{i},Reuters,"note {i}, with comma"\n'
            )


def measure(path: Path, method: str) -> dict:
    """Run one method in a fresh interpreter and return its JSON result."""
    code = MEASURE.format(root=str(ROOT))
    done = subprocess.run([sys.executable, "-c", code, str(path), method], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, action="append", help="rows per run (repeatable)")
    sizes = parser.parse_args().rows or [200_000]
    print("| method | rows | file MB | s | rows/s | vs csv.reader | peak RSS MB |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as tmp:
        for rows in sizes:
            path = Path(tmp) / f"events_{rows}.csv"
            write_csv(path, rows)
            size_mb = path.stat().st_size / 1e6
            floor = None
            for method in ("csv.reader", "pandas.read_csv", "read_events"):
                result = measure(path, method)
                assert result["rows"] == rows, result
                floor = floor or result["seconds"]
                print(
                    f"| {method} | {rows:,} | {size_mb:.0f} | {result['seconds']:.2f} | "
                    f"{rows / result['seconds']:,.0f} | {result['seconds'] / floor:.1f}x | {result['rss_mb']:.0f} |"
                )


if __name__ == "__main__":
    main()
