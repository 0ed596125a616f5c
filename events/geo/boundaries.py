"""Bundled boundaries: the country and first-level region (admin-1) of a point, offline.

Both come from files bundled in ``events/data``: ``countries.geojson`` and ``admin1.geojson``, built by
``scripts/build_boundaries.py`` from Natural Earth (public domain) and GeoNames admin-1 names
(CC BY 4.0); see ``events/data/README.md``.

Point look-ups are called once per ingested row, so they are indexed (a grid over the polygons, cached
on disk by :mod:`events.geo.cache`) and memoised.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
from collections import defaultdict
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import shapely

from events.db import distance_km
from events.geo.cache import READ_ERRORS, cache_file, read_arrays, writable, write_arrays

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import geopandas

#: A point this close (degrees, ~5-10 km) outside every simplified outline still gets the nearest
#: country: refineries, terminals and depots sit on coasts the simplified outlines cut off.
COAST_TOLERANCE_DEG = 0.1
#: Countries whose admin-1 regions are bundled in admin1.geojson.
ADMIN1_COUNTRIES = frozenset({"UA", "RU", "BY", "MD"})

#: Bump when the layout of the cached boundary grids changes.
_GRID_CACHE_VERSION = 1


def _data_file(name: str) -> Any:
    return resources.files("events") / "data" / name


class PolygonIndex:
    """Bundled polygons with a grid index: each cell knows the polygons that may hold its points.

    Cells lying wholly inside one polygon answer without any geometry test; border cells test only
    their candidate polygons (prepared, ``contains_xy``); cells with no polygon within the coast
    tolerance answer None at once. This keeps a look-up at a few microseconds.
    """

    def __init__(
        self,
        geometries: list[shapely.Geometry],
        properties: list[dict[str, Any]],
        cell_deg: float,
        grid: tuple[dict[tuple[int, int], int], dict[tuple[int, int], list[int]]] | None = None,
    ):
        self.geometries = geometries
        self.properties = properties
        self.cell_deg = cell_deg
        for geometry in geometries:
            shapely.prepare(geometry)
        if grid is not None:  # read from the cache (see load)
            self.inside, self.near = grid
            return
        self.inside = {}
        self.near = defaultdict(list)
        for index, geometry in enumerate(geometries):
            # Index each part on its own: a region crossing the antimeridian has a world-wide bbox.
            for part in shapely.get_parts(geometry):
                self._index_part(index, part)

    def _index_part(self, index: int, part: shapely.Geometry) -> None:
        g, tol = self.cell_deg, COAST_TOLERANCE_DEG
        x0, y0, x1, y1 = part.bounds
        cols = range(math.floor((x0 - tol) / g), math.floor((x1 + tol) / g) + 1)
        rows = range(math.floor((y0 - tol) / g), math.floor((y1 + tol) / g) + 1)
        cells = [(r, c) for r in rows for c in cols]
        xs = np.array([c * g for _, c in cells])
        ys = np.array([r * g for r, _ in cells])
        shapely.prepare(part)
        near = shapely.intersects(part, shapely.box(xs - tol, ys - tol, xs + g + tol, ys + g + tol))
        inside = np.zeros(len(cells), dtype=bool)
        # Only cells near the part can be inside it; test those alone.
        inside[near] = shapely.contains_properly(part, shapely.box(xs[near], ys[near], xs[near] + g, ys[near] + g))
        for cell, is_near, is_inside in zip(cells, near, inside, strict=True):
            if is_inside:
                self.inside[cell] = index
            elif is_near:
                self.near[cell].append(index)

    @classmethod
    def load(cls, name: str, cell_deg: float) -> PolygonIndex:
        """Read a bundled GeoJSON file; the grid comes from strikedb's cache directory when it is there.

        Building the grid takes ~1-2 s per file; the cached grid is keyed by the file's content,
        the cell size, this class's code and the GEOS version (see :mod:`events.geo.cache`).
        """
        raw = _data_file(name).read_bytes()
        collection = json.loads(raw)
        geometries = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
        properties = [f["properties"] for f in collection["features"]]
        try:
            path = cache_file(
                f"grid-{name.split('.')[0]}",
                [
                    str(_GRID_CACHE_VERSION), raw, repr(cell_deg), repr(COAST_TOLERANCE_DEG),
                    shapely.geos_version_string, inspect.getsource(cls),
                ],
            )  # fmt: skip
        except OSError:  # installed without source files: no key for the code, so no cache
            path = None
        grid = _read_grid(path, len(geometries)) if path is not None else None
        index = cls(geometries, properties, cell_deg, grid)
        if grid is None and path is not None and writable(path.parent):
            write_arrays(path, index.grid_arrays())
        return index

    def grid_arrays(self) -> dict[str, np.ndarray]:
        """Return the grid as arrays for :mod:`events.geo.cache` (read back by :func:`_read_grid`)."""
        near_cells = list(self.near)
        offsets = np.cumsum([0, *(len(self.near[cell]) for cell in near_cells)])
        return {
            "inside_cells": np.asarray(list(self.inside), dtype=np.int64).reshape(-1, 2),
            "inside_index": np.asarray(list(self.inside.values()), dtype=np.int64),
            "near_cells": np.asarray(near_cells, dtype=np.int64).reshape(-1, 2),
            "near_offsets": offsets.astype(np.int64),
            "near_index": np.asarray([i for cell in near_cells for i in self.near[cell]], dtype=np.int64),
        }

    def locate(self, latitude: float, longitude: float, *, tolerance: bool = True) -> dict[str, Any] | None:
        """Properties of the polygon holding the point, else (``tolerance``) of the nearest one close by."""
        cell = (math.floor(latitude / self.cell_deg), math.floor(longitude / self.cell_deg))
        index = self.inside.get(cell)
        if index is not None:
            return self.properties[index]
        candidates = self.near.get(cell, ())
        for index in candidates:
            if shapely.contains_xy(self.geometries[index], longitude, latitude):
                return self.properties[index]
        if not tolerance or not candidates:
            return None
        point = shapely.Point(longitude, latitude)
        # The prepared outlines answer "within the tolerance?" from their own index; an exact
        # distance to every vertex of a long coast (140 us for Russia's) is only computed for those.
        close = [i for i in candidates if shapely.dwithin(self.geometries[i], point, COAST_TOLERANCE_DEG)]
        if not close:
            return None
        distance, index = min((shapely.distance(self.geometries[i], point), i) for i in close)
        return self.properties[index] if distance <= COAST_TOLERANCE_DEG else None


def _read_grid(
    path: Path, n_geometries: int
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], list[int]]] | None:
    """Read a grid written by :meth:`PolygonIndex.grid_arrays`; None when missing or damaged."""
    arrays = read_arrays(path)
    if arrays is None:
        return None
    try:
        inside_cells = [tuple(cell) for cell in arrays["inside_cells"].tolist()]
        inside = dict(zip(inside_cells, arrays["inside_index"].tolist(), strict=True))
        near_cells = [tuple(cell) for cell in arrays["near_cells"].tolist()]
        offsets = arrays["near_offsets"].tolist()
        values = arrays["near_index"].tolist()
    except (*READ_ERRORS, TypeError):
        return None
    if len(offsets) != len(near_cells) + 1 or any(not 0 <= i < n_geometries for i in (*inside.values(), *values)):
        return None
    near = {cell: values[offsets[k] : offsets[k + 1]] for k, cell in enumerate(near_cells)}
    return inside, near


@functools.cache
def countries_index() -> PolygonIndex:
    """Return the bundled country outlines (``iso2``, ``name``), indexed; read once per process."""
    return PolygonIndex.load("countries.geojson", cell_deg=1.0)


@functools.cache
def admin1_index() -> PolygonIndex:
    """Return the bundled admin-1 regions (``country``, ``admin1``, ``iso_3166_2``...), indexed; read once."""
    return PolygonIndex.load("admin1.geojson", cell_deg=0.25)


@functools.lru_cache(maxsize=200_000)
def country_at(latitude: float, longitude: float) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of the country at a point, from the bundled outlines.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees; out of their ranges the answer is None.

    Returns
    -------
    str or None
        E.g. ``"RU"``; None at sea (more than ~10 km off a simplified coast). Crimea is ``"UA"``
        (ISO 3166 / UN convention; see ``events/data/README.md``).
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    found = countries_index().locate(latitude, longitude)
    return found["iso2"] if found else None


@functools.lru_cache(maxsize=200_000)
def admin1_at(latitude: float, longitude: float) -> tuple[str | None, str | None]:
    """Return the country and first-level region (oblast, federal subject...) at a point.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees of the point, as for :func:`country_at`.

    Returns
    -------
    tuple
        ``(iso2, admin1 name)``. Admin-1 regions are bundled for Ukraine, Russia, Belarus and Moldova;
        elsewhere the name is None. Names are English (``"Krasnodar Krai"``, ``"Kharkiv Oblast"``,
        ``"Autonomous Republic of Crimea"``); :func:`region_at` also gives the ISO 3166-2 code.
    """
    region = region_at(latitude, longitude)
    return region.country, region.name


class Region(NamedTuple):
    """The first-level region at a point (see :func:`region_at`)."""

    #: ISO 3166-1 alpha-2 of the country (Crimea and Sevastopol: ``"UA"``), None at sea.
    country: str | None
    #: ISO 3166-2 code, e.g. ``"UA-63"`` or ``"RU-RYA"``; None where no admin-1 region is bundled.
    iso_3166_2: str | None
    #: English name, e.g. ``"Kharkiv Oblast"`` or ``"Ryazan Oblast"``; None with ``iso_3166_2``.
    name: str | None


@functools.lru_cache(maxsize=200_000)
def region_at(latitude: float, longitude: float) -> Region:
    """Return the country, ISO 3166-2 code and English name of the first-level region at a point.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees, latitude first.

    Returns
    -------
    Region
        ``Region("UA", "UA-63", "Kharkiv Oblast")`` for Kharkiv. Regions are bundled for Ukraine,
        Russia, Belarus and Moldova (:data:`ADMIN1_COUNTRIES`); elsewhere only ``country`` is set
        (``Region("FR", None, None)``), and at sea all three are None. The same look-up as
        :func:`admin1_at` (whose name is ``name``).
    """
    found = _admin1_properties(latitude, longitude)
    if found is not None:
        return Region(found["country"], found["iso_3166_2"], found["admin1"])
    return Region(_country_if_valid(latitude, longitude), None, None)


def _country_if_valid(latitude: float, longitude: float) -> str | None:
    return country_at(latitude, longitude) if -90 <= latitude <= 90 and -180 <= longitude <= 180 else None


def _admin1_properties(latitude: float, longitude: float) -> dict[str, Any] | None:
    """Properties of the bundled admin-1 region at a point (near a coast or border: the nearest)."""
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    admin1 = admin1_index()
    found = admin1.locate(latitude, longitude, tolerance=False)
    if found is not None:
        return found
    country = country_at(latitude, longitude)
    if country is not None and country not in ADMIN1_COUNTRIES:
        return None
    # Near a simplified coast or border of a covered country: take the region a few km away.
    found = admin1.locate(latitude, longitude)
    if found is not None and (country is None or found["country"] == country):
        return found
    return None


def likely_swapped(latitude: float, longitude: float, country: str | None) -> bool:
    """Tell whether latitude and longitude look swapped, given the country the row states.

    Parameters
    ----------
    latitude, longitude : float
        The coordinates as given.
    country : str or None
        The stated ISO alpha-2 country; without it nothing can be said.

    Returns
    -------
    bool
        True when the point lies outside ``country`` and the swapped point lies inside it. The
        caller reports it; the coordinates are never swapped silently.
    """
    if not country or not -90 <= longitude <= 90:
        return False
    country = country.upper()
    if country_at(latitude, longitude) == country:
        return False
    return country_at(longitude, latitude) == country


def km_outside_country(latitude: float, longitude: float, country: str) -> float | None:
    """Return how far (km) a point lies outside a country's bundled outline; 0 inside or on it.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.
    country : str
        ISO 3166-1 alpha-2.

    Returns
    -------
    float or None
        Great-circle distance to the nearest point of the outline (1:110m outlines, so a few km of
        error near coasts and borders); None when the country is not in the bundled outlines.
    """
    country = country.upper()
    if country_at(latitude, longitude) == country:
        return 0.0
    index = countries_index()
    parts = [g for g, props in zip(index.geometries, index.properties, strict=True) if props.get("iso2") == country]
    if not parts:
        return None
    point = shapely.Point(longitude, latitude)
    nearest = min((shapely.shortest_line(g, point) for g in parts), key=lambda line: line.length)
    (lon0, lat0), _ = nearest.coords
    return distance_km(latitude, longitude, lat0, lon0)


def admin1_regions() -> geopandas.GeoDataFrame:
    """Return the bundled admin-1 polygons for choropleth maps.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns ``country``, ``iso_3166_2``, ``admin1`` (English name), ``de_facto`` (``"RU"`` for
        Crimea and Sevastopol, else None) and ``geometry`` in EPSG:4326.
    """
    import geopandas

    collection = json.loads(_data_file("admin1.geojson").read_text(encoding="utf-8"))
    frame = geopandas.GeoDataFrame.from_features(collection["features"], crs=4326)
    return frame.set_crs(4326, allow_override=True)[["country", "iso_3166_2", "admin1", "de_facto", "geometry"]]


def countries_path() -> Any:
    """Return the path of the bundled ``countries.geojson`` (the offline basemap for maps)."""
    return _data_file("countries.geojson")


__all__ = [
    "ADMIN1_COUNTRIES",
    "COAST_TOLERANCE_DEG",
    "PolygonIndex",
    "Region",
    "admin1_at",
    "admin1_index",
    "admin1_regions",
    "countries_index",
    "countries_path",
    "country_at",
    "km_outside_country",
    "likely_swapped",
    "region_at",
]
