"""Geometry of line facilities (rail lines, pipelines): where a point lies relative to a line.

Pure functions on WGS 84 coordinates; no database. Distances are in km. Each segment is measured in a
local equirectangular plane centred on the query point, which is accurate to well under 1 % within
~100 km of the point (the only distances that matter for linking); the length along the line is the
sum of great-circle segment lengths.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import shapely

_EARTH_KM = 6371.0088
_KM_PER_DEG_LAT = math.pi * _EARTH_KM / 180.0


@dataclass(frozen=True)
class LinePosition:
    """Where a point lies relative to a line."""

    #: Shortest distance from the point to the line.
    distance_km: float
    #: Distance along the line, from its first vertex, to the line's point nearest the query point.
    along_km: float


def haversine_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Return the great-circle distance between two points in km."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    h = math.sin((p2 - p1) / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(math.radians(lon2 - lon1) / 2) ** 2
    return 2 * _EARTH_KM * math.asin(min(1.0, math.sqrt(h)))


def line_parts(wkt: str) -> list[list[tuple[float, float]]]:
    """Return the (longitude, latitude) vertices of each part of a LINESTRING or MULTILINESTRING.

    Polygons give their outer rings; points and empty geometries give no part.

    Raises
    ------
    shapely.errors.GEOSException
        When the text is not WKT.
    """
    geometry = shapely.from_wkt(wkt)
    if geometry is None or geometry.is_empty:
        return []
    parts: Iterable = getattr(geometry, "geoms", [geometry])
    out = []
    for part in parts:
        if part.geom_type == "LineString":
            out.append([(x, y) for x, y, *_ in part.coords])
        elif part.geom_type == "Polygon":
            out.append([(x, y) for x, y, *_ in part.exterior.coords])
    return out


def line_length_km(parts: Sequence[Sequence[tuple[float, float]]]) -> float:
    """Return the length of a line (its parts one after the other) in km."""
    return sum(haversine_km(a[1], a[0], b[1], b[0]) for part in parts for a, b in itertools.pairwise(part))


def locate(parts: Sequence[Sequence[tuple[float, float]]], latitude: float, longitude: float) -> LinePosition | None:
    """Return the distance from a point to a line and the position of its nearest point along the line.

    Parameters
    ----------
    parts : sequence of sequences of (longitude, latitude)
        The line, as :func:`line_parts` returns it; parts are taken end to end for ``along_km``.
    latitude, longitude : float
        The point.

    Returns
    -------
    LinePosition or None
        None for a line without segments.
    """
    kx = _KM_PER_DEG_LAT * math.cos(math.radians(latitude))
    best: LinePosition | None = None
    travelled = 0.0
    for part in parts:
        for (lon1, lat1), (lon2, lat2) in itertools.pairwise(part):
            ax, ay = (lon1 - longitude) * kx, (lat1 - latitude) * _KM_PER_DEG_LAT
            bx, by = (lon2 - longitude) * kx, (lat2 - latitude) * _KM_PER_DEG_LAT
            dx, dy = bx - ax, by - ay
            squared = dx * dx + dy * dy
            t = 0.0 if squared == 0 else max(0.0, min(1.0, -(ax * dx + ay * dy) / squared))
            distance = math.hypot(ax + t * dx, ay + t * dy)
            segment = haversine_km(lat1, lon1, lat2, lon2)
            if best is None or distance < best.distance_km:
                best = LinePosition(distance_km=distance, along_km=travelled + t * segment)
            travelled += segment
    return best


__all__ = ["LinePosition", "haversine_km", "line_length_km", "line_parts", "locate"]
