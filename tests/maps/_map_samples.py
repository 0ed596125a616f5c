"""Small hand-made tables for the map tests (no database needed)."""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from events import vocab

#: Text that would run script if any layer put data into HTML unescaped.
HOSTILE = '<script>window.__pwned = 1</script>" onmouseover="window.__pwned = 2" x="'
HOSTILE_IMG = '<img src=x onerror="window.__pwned = 3">'


def sample_events(n: int = 24, *, hostile: bool = True) -> gpd.GeoDataFrame:
    """``n`` events over two boxes (Russia west / Ukraine east), all four confidence levels."""
    types = ["refinery", "oil_depot", "substation", None]
    rows = []
    for i in range(n):
        lat = 52.0 + (i % 6) * 0.5
        lon = 33.0 + (i // 6) * 1.5
        rows.append(
            {
                "event_id": i + 1,
                "public_id": f"SDB-{i + 1:04d}",
                "event_date": dt.date(2024, 1, 1) + dt.timedelta(days=7 * i),
                "date_precision": "day" if i % 5 else "week",
                "event_time_utc": dt.time(3, 40) if i % 3 == 0 else None,
                "latitude": lat,
                "longitude": lon,
                "geo_precision": "exact",
                "location_text": f"Place {i}",
                "country": "RU" if lon < 37 else "UA",
                # Stored as the sample regions name them: the region layer counts by stored region.
                "admin1": "West <b>Oblast</b>" if lon < 37 else "East Oblast",
                "facility_name": f"Facility {i % 4}",
                "facility_type": types[i % 4],
                "facility_operator": "Operator & Co",
                "attack_type": "drone",
                "effect": "fire",
                "damage_level": "moderate",
                "description": (HOSTILE if hostile and i == 0 else f"Strike number {i}"),
                "claim_status": "reported",
                "admiralty_grade": "B2",
                "confidence": vocab.CONFIDENCE_LEVELS[i % 4],
                "sources": [
                    {
                        "url": f"https://example.org/report/{i}",
                        "publisher": "Example News",
                        "title": (HOSTILE_IMG if hostile and i == 0 else f"Report {i}"),
                        "published_date": dt.date(2024, 1, 2) + dt.timedelta(days=7 * i),
                        "archived_url": ("javascript:window.__pwned=4" if i == 0 else f"https://archive.org/{i}"),
                        "source_type": "media",
                        "claimed_by": None,
                    }
                ],
            }
        )
    frame = pd.DataFrame(rows)
    return gpd.GeoDataFrame(frame, geometry=[Point(r["longitude"], r["latitude"]) for r in rows], crs=4326)


def sample_facilities() -> gpd.GeoDataFrame:
    frame = pd.DataFrame(
        [
            {
                "name": "Kirishi refinery",
                "facility_type": "refinery",
                "latitude": 59.45,
                "longitude": 32.02,
                "capacity_mtpa": 20.1,
                "operator": "Surgutneftegas",
                "strikes": 2,
            },
            {
                "name": "Zmiiv TPP",
                "facility_type": "power_plant",
                "latitude": 49.6,
                "longitude": 36.35,
                "capacity_mw": 2200.0,
                "operator": None,
                "strikes": 0,
            },
            {"name": "No coordinates", "facility_type": "oil_depot", "latitude": None, "longitude": None},
        ]
    )
    return gpd.GeoDataFrame(frame)


def sample_regions() -> gpd.GeoDataFrame:
    """Two boxes split at 37°E: events west of it are in the first, east in the second."""
    return gpd.GeoDataFrame(
        {"country": ["RU", "UA", "RU"], "admin1": ["West <b>Oblast</b>", "East Oblast", "Empty Krai"]},
        geometry=[box(30, 50, 37, 56), box(37, 50, 45, 56), box(60, 60, 61, 61)],
        crs=4326,
    )


def sample_basemap() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": ["Land"]}, geometry=[box(20, 40, 60, 65)], crs=4326)


def stacked_events() -> gpd.GeoDataFrame:
    """Three events at one spot (Kirishi), weakest first in the table, plus two elsewhere.

    Like the demo data: the confirmed fire with three sources shares its coordinates with a
    weaker "possible, intercepted" report that used to be drawn on top of it.
    """
    base = sample_events(5, hostile=False)
    spots = [
        (59.45, 32.02, "possible", "intercepted", "exact", 1),
        (59.45, 32.02, "likely", "damage", "exact", 1),
        (59.45, 32.02, "confirmed", "fire", "exact", 3),
        (55.0, 40.0, "likely", "fire", "near_town", 1),
        (47.0, 39.0, "unverified", "none_reported", "region", 1),
    ]
    for row, (lat, lon, confidence, effect, precision, n_sources) in enumerate(spots):
        base.at[row, "latitude"] = lat
        base.at[row, "longitude"] = lon
        base.at[row, "confidence"] = confidence
        base.at[row, "effect"] = effect
        base.at[row, "geo_precision"] = precision
        base.at[row, "facility_name"] = "Kirishi refinery" if row < 3 else f"Site {row}"
        base.at[row, "sources"] = [
            {**base.at[row, "sources"][0], "url": f"https://example.org/{row}/{k}"} for k in range(n_sources)
        ]
    base["event_date"] = [dt.date(2025, 9, 14), dt.date(2025, 9, 14), dt.date(2025, 9, 14), dt.date(2025, 3, 1),
                          dt.date(2024, 6, 1)]  # fmt: skip
    return gpd.GeoDataFrame(base.drop(columns="geometry"), geometry=gpd.points_from_xy(base.longitude, base.latitude),
                            crs=4326)  # fmt: skip
