"""Benchmark the per-row geocoding calls: ``admin1_at`` + ``Geocoder.nearest_facility``.

Run by hand: ``python bench/geo.py [--points 100000] [--osm PATH]``. Points are uniform in a box
over Ukraine and European Russia (unique, so the memo cache does not help). The baselines run in the
same process on a sample: point-in-polygon over every admin-1 polygon without an index, and a
brute-force haversine scan of every facility.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from events import geo, migrate
from events.db import distance_km, make_engine
from events.facilities import import_bundled, import_facilities

BOX = (44.0, 60.0, 22.0, 60.0)  # lat min, lat max, lon min, lon max


def random_points(n: int, seed: int = 7) -> list[tuple[float, float]]:
    rng = random.Random(seed)
    return [(rng.uniform(BOX[0], BOX[1]), rng.uniform(BOX[2], BOX[3])) for _ in range(n)]


def bench(name: str, func, points: list[tuple[float, float]]) -> float:
    start = time.perf_counter()
    for lat, lon in points:
        func(lat, lon)
    elapsed = time.perf_counter() - start
    rate = len(points) / elapsed
    print(f"{name:55s} {len(points):>8,d} points {elapsed:8.2f} s {rate:>12,.0f} rows/s")
    return rate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=100_000)
    parser.add_argument("--baseline-points", type=int, default=2_000)
    parser.add_argument("--osm", type=Path, help="also load this OSM power-station file (more facilities)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{tmp}/bench.db")
        migrate.upgrade(engine)
        import_bundled(engine)
        if args.osm:
            import_facilities(engine, args.osm)
        with engine.connect() as conn:
            geocoder = geo.Geocoder(conn, radius_km=3.0)
        engine.dispose()
    print(f"facilities in memory: {len(geocoder)}")
    points = random_points(args.points)
    sample = points[: args.baseline_points]

    admin = geo.admin1_index()
    polygons = list(zip(admin.geometries, admin.properties, strict=True))
    facilities = geocoder.facilities()

    def naive_admin1(lat: float, lon: float):
        point = shapely.Point(lon, lat)
        for polygon, props in polygons:
            if polygon.contains(point):
                return props["country"], props["admin1"]
        return None, None

    def naive_nearest(lat: float, lon: float):
        best = None
        for f in facilities:
            d = distance_km(lat, lon, f.latitude, f.longitude)
            if d is not None and d <= 3.0 and (best is None or d < best[0]):
                best = (d, f)
        return best

    geo.admin1_at(50.0, 30.0)  # load the index outside the timing
    base_admin = bench("baseline: admin-1 by scanning polygons", naive_admin1, sample)
    base_near = bench("baseline: nearest facility by scanning all", naive_nearest, sample)
    base_both = bench("baseline: both", lambda a, b: (naive_admin1(a, b), naive_nearest(a, b)), sample)
    geo.admin1_at.cache_clear()
    geo.country_at.cache_clear()
    fast_admin = bench("admin1_at (grid index, prepared, memoised)", geo.admin1_at, points)
    fast_near = bench("Geocoder.nearest_facility (grid)", geocoder.nearest_facility, points)
    geo.admin1_at.cache_clear()
    geo.country_at.cache_clear()

    def both(lat: float, lon: float):
        return geo.admin1_at(lat, lon), geocoder.nearest_facility(lat, lon)

    fast_both = bench("admin1_at + nearest_facility", both, points)
    bench("admin1_at again (all memoised)", geo.admin1_at, points)
    print(f"speed-up admin1: {fast_admin / base_admin:.0f}x, nearest: {fast_near / base_near:.0f}x, "
          f"both: {fast_both / base_both:.0f}x")  # fmt: skip


if __name__ == "__main__":
    main()
