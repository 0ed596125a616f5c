"""Benchmark the bundled boundary files against an older version of them, in the same run.

Run by hand: ``python bench/boundaries.py [--old-rev 69f2e3b] [--points 20000]``. The old files are
read with ``git show REV:events/data/...``. For both versions: file size, time to parse and prepare
the polygons, and the time of a point-in-polygon look-up (STRtree + prepared ``contains_xy``, the same
code for both) for uniform points over Ukraine and European Russia. Then the public
``events.geo.region_at`` (grid index, as ingest uses it) on the bundled files.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import time
from pathlib import Path

import shapely
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from events import geo  # noqa: E402

BOX = (44.0, 60.0, 22.0, 60.0)  # lat min, lat max, lon min, lon max
NAMES = ("countries.geojson", "admin1.geojson")


def old_file(rev: str, name: str) -> bytes:
    return subprocess.run(
        ["git", "show", f"{rev}:events/data/{name}"], cwd=ROOT, check=True, capture_output=True
    ).stdout


def parse(raw: bytes) -> tuple[list[shapely.Geometry], float]:
    start = time.perf_counter()
    geometries = [shape(f["geometry"]) for f in json.loads(raw)["features"]]
    for geometry in geometries:
        shapely.prepare(geometry)
    return geometries, time.perf_counter() - start


def lookup_seconds(geometries: list[shapely.Geometry], points: list[tuple[float, float]]) -> float:
    tree = shapely.STRtree(geometries)
    start = time.perf_counter()
    for lat, lon in points:
        for index in tree.query(shapely.Point(lon, lat)):
            if shapely.contains_xy(geometries[index], lon, lat):
                break
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--old-rev", default="69f2e3b", help="git revision with the old boundary files")
    parser.add_argument("--points", type=int, default=20_000)
    args = parser.parse_args()
    rng = random.Random(7)
    points = [(rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])) for _ in range(args.points)]
    print(f"{'file':20s} {'old KiB':>9s} {'new KiB':>9s} {'size':>6s} {'parse old':>10s} {'parse new':>10s}"
          f" {'ratio':>6s} {'look-up old':>12s} {'look-up new':>12s} {'ratio':>6s}")  # fmt: skip
    for name in NAMES:
        old_raw, new_raw = old_file(args.old_rev, name), (ROOT / "events" / "data" / name).read_bytes()
        old_geometries, old_parse = parse(old_raw)
        new_geometries, new_parse = parse(new_raw)
        old_lookup = lookup_seconds(old_geometries, points)
        new_lookup = lookup_seconds(new_geometries, points)
        print(
            f"{name:20s} {len(old_raw) / 1024:9.0f} {len(new_raw) / 1024:9.0f} {len(new_raw) / len(old_raw):5.2f}x"
            f" {old_parse:9.2f}s {new_parse:9.2f}s {new_parse / old_parse:5.2f}x"
            f" {old_lookup / len(points) * 1e6:10.1f}us {new_lookup / len(points) * 1e6:10.1f}us"
            f" {new_lookup / old_lookup:5.2f}x"
        )
    start = time.perf_counter()
    geo.region_at(50.0, 30.0)
    print(f"region_at: first call (loads both files, grid from cache or built) {time.perf_counter() - start:.2f} s")
    geo.region_at.cache_clear()
    start = time.perf_counter()
    for lat, lon in points:
        geo.region_at(lat, lon)
    elapsed = time.perf_counter() - start
    print(f"region_at: {len(points):,} distinct points {elapsed:.2f} s, {elapsed / len(points) * 1e6:.1f} us each")


if __name__ == "__main__":
    main()
