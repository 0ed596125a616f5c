"""Benchmark start-up costs: importing the CLI, ``--help``, a one-row query, and the place gazetteer.

Run by hand: ``python bench/startup.py [--before REF] [--runs 3] [--skip-gazetteer]``.

Every measurement runs in a fresh Python process (start-up is what is measured) ``--runs`` times;
the median is printed. With ``--before REF`` the same commands also run against the tree of git
revision REF (extracted with ``git archive`` into a temporary directory), as the baseline.

The gazetteer part times, each in a fresh process: the in-memory build used when no cache
directory is writable (read ``cities500.json``, fold names and the focus countries' alternative
names: what every process paid before the cache), the first call with an empty cache directory
(fold everything, write the cache), and a call with the cache written; the admin-1 grid is built
before the timer starts, so only the gazetteer is compared. Then the boundary grids built and
cached, and the first ``place_lookup`` of a process from import to answer (before and after).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GAZETTEER_BASELINE = """
from events import geo
from events.geo import places_index
geo.admin1_index()
import time
t = time.perf_counter()
index = places_index.open_index(None, lambda: places_index.read_cities(geo.MIN_POPULATION))
geo.Gazetteer(index)
print(time.perf_counter() - t)
"""
GAZETTEER_CALL = """
from events import geo
geo.admin1_index()
import time
t = time.perf_counter()
geo.place_lookup("Tuapse, Krasnodar Krai")
print(time.perf_counter() - t)
"""
GRIDS = """
import time
from events import geo
t = time.perf_counter()
geo.countries_index()
geo.admin1_index()
print(time.perf_counter() - t)
"""
FIRST_PLACE_LOOKUP = """
import time
t = time.perf_counter()
from events import geo
geo.place_lookup("Tuapse, Krasnodar Krai")
print(time.perf_counter() - t)
"""


def wall(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, check=True)
    return time.perf_counter() - start


def cli_module(tree: Path) -> str:
    """The module holding the commands: ``events.cli.app`` (``events.cli`` before it became a package)."""
    return "events.cli.app" if (tree / "events" / "cli" / "app.py").exists() else "events.cli"


def import_time_us(tree: Path) -> int:
    """Cumulative microseconds of importing the CLI's commands reported by ``python -X importtime``."""
    module = cli_module(tree)
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", f"import {module}"],
        cwd=tree,
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(line for line in result.stderr.splitlines() if line.rstrip().endswith(f"| {module}"))
    return int(line.split("|")[1])


def printed_seconds(code: str, env: dict[str, str], cwd: Path = ROOT) -> float:
    result = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def cli_rows(tree: Path, label: str, runs: int, db: Path) -> None:
    cli = [sys.executable, "-m", "events.cli"]
    module = cli_module(tree)
    rows = {
        "`python -X importtime -c 'import events.cli'` (cumulative)": lambda: import_time_us(tree) / 1e6,
        "`python -c 'import events.cli'` wall": lambda: wall([sys.executable, "-c", f"import {module}"], tree),
        "`strikedb --help` wall": lambda: wall([*cli, "--help"], tree),
        '`strikedb --db x.db sql "select 1"` wall': lambda: wall([*cli, "--db", str(db), "sql", "select 1"], tree),
    }
    for name, measure in rows.items():
        times = [measure() for _ in range(runs)]
        print(f"| {label} | {name} | {median(times):.2f} s | {', '.join(f'{t:.2f}' for t in times)} |", flush=True)


def gazetteer_rows(runs: int, before: Path | None) -> None:
    import os

    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "STRIKEDB_CACHE_DIR": cache}
        no_cache = {**os.environ, "STRIKEDB_CACHE_DIR": str(Path(cache) / "file" / "x")}
        (Path(cache) / "file").write_text("a file: the cache directory cannot be created")
        rows = []
        if before is not None:
            rows.append(("before: first `place_lookup` in a process (import, boundaries, gazetteer)",
                         [printed_seconds(FIRST_PLACE_LOOKUP, env, before) for _ in range(runs)]))  # fmt: skip
        rows.append(("gazetteer built in memory (no cache directory: what every process paid before)",
                     [printed_seconds(GAZETTEER_BASELINE, no_cache) for _ in range(runs)]))  # fmt: skip
        rows.append(("gazetteer, first call with an empty cache directory (fold all countries, write)",
                     [printed_seconds(GAZETTEER_CALL, env)]))  # fmt: skip
        rows.append(("gazetteer, with the cache file", [printed_seconds(GAZETTEER_CALL, env) for _ in range(runs)]))
        rows.append(("boundary grids (countries + admin-1) built, no cache directory",
                     [printed_seconds(GRIDS, no_cache) for _ in range(runs)]))  # fmt: skip
        rows.append(("boundary grids with the cache files", [printed_seconds(GRIDS, env) for _ in range(runs)]))
        rows.append(("first `place_lookup` in a process (import, boundaries, gazetteer), cached",
                     [printed_seconds(FIRST_PLACE_LOOKUP, env) for _ in range(runs)]))  # fmt: skip
        for name, times in rows:
            print(f"| {name} | {median(times):.2f} s | {', '.join(f'{t:.2f}' for t in times)} |", flush=True)
        sizes = {p.name.split("-")[0] + "-" + p.name.split("-")[1]: p.stat().st_size for p in Path(cache).glob("*.npz")}
        print("cache files:", ", ".join(f"{name} {size / 1e6:.1f} MB" for name, size in sorted(sizes.items())))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--before", help="git revision to time as the baseline")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-gazetteer", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "x.db"
        subprocess.run([sys.executable, "-m", "events.cli", "--db", str(db), "db", "upgrade"], cwd=ROOT, check=True)
        before = None
        if args.before:
            before = Path(tmp) / "before"
            before.mkdir()
            archive = subprocess.run(["git", "archive", args.before], cwd=ROOT, capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", str(before)], input=archive.stdout, check=True)
            cli_rows(before, f"before ({args.before})", args.runs, db)
        cli_rows(ROOT, "after", args.runs, db)
        if not args.skip_gazetteer:
            gazetteer_rows(args.runs, before)


if __name__ == "__main__":
    main()
