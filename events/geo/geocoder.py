"""The geocoder of an ingest run: facilities by name and by point, and places by name.

A :class:`Geocoder` reads the ``facilities`` table (and the aliases) once, keeps them in memory keyed
by folded name and in a grid of cells by point, and answers the look-ups of the rows of a run:
a facility by its reported name (:mod:`events.geo.facility_match`), the nearest facility to a point,
and a location text in the offline gazetteer (:mod:`events.geo.gazetteer`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Iterator
from typing import Any

from rapidfuzz import fuzz, process
from sqlalchemy import Connection, select

from events.db import distance_km
from events.geo.facility_match import (
    DEFAULT_FUZZY_THRESHOLD,
    FacilityFacts,
    FacilityMatch,
    NameWords,
    TextWords,
    digits_differ,
    implied_facility_types,
    name_words,
    names_in_text,
    without_generic_words,
)
from events.geo.gazetteer import PlaceMatch, place_lookup
from events.models import Facility, FacilityAlias
from events.text import fold, name_key

#: Facility types drawn as lines: never linked by the distance to their label point.
LINE_TYPES = frozenset({"rail_line", "pipeline"})
#: Default radius within which an event is linked to the nearest facility.
DEFAULT_RADIUS_KM = 3.0

#: Size of the grid cells of the facility index in degrees.
GRID_DEG = 0.1
#: Grid cells per side of a block (see :meth:`Geocoder._grid_blocks`): 1 degree.
BLOCK_CELLS = 10
KM_PER_DEG_LAT = 111.2


class _FacilityRow(FacilityFacts):
    """A facility of the index; :meth:`match` reports it as found."""

    def match(self, method: str, score: float, distance: float | None = None) -> FacilityMatch:
        rounded = None if distance is None else round(distance, 3)
        return FacilityMatch(**vars(self), method=method, score=round(score, 1), distance_km=rounded)


#: Fuzzy look-ups remembered per run (see ``Geocoder._fuzzy``).
FUZZY_MEMO_SIZE = 50_000


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
        #: Name and alternative names of each facility, as written (names found in a report's text).
        self._names_of: dict[int, list[str]] = defaultdict(list)
        self._spellings: dict[int, list[NameWords]] = {}
        self._load(connection)
        self._fuzzy_keys = sorted(set(self._by_name) | set(self._by_alias))
        self._coarse = self._coarse_cells()
        self._blocks = self._grid_blocks()
        #: Fuzzy results by their exact arguments: a file names the same facility on many rows, and
        #: one look-up scores every name of the gazetteer (milliseconds). Matches are frozen.
        self._fuzzy_memo: dict[tuple[Any, ...], FacilityMatch | None] = {}

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
            self._facilities[facility.facility_id] = facility
            self._names_of[facility.facility_id].append(facility.name)
            for key in {fold(facility.name), name_key(facility.name)}:
                self._keys_of[facility.facility_id].add(key)
                self._by_name[key].append(facility.facility_id)
            # A line's point is only a label (its middle station): distance to a line is measured on its
            # geometry by events.rail, never to that point.
            if (
                facility.latitude is not None
                and facility.longitude is not None
                and facility.facility_type not in LINE_TYPES
            ):
                self._grid[self._cell(facility.latitude, facility.longitude)].append(facility.facility_id)
        aliases = select(FacilityAlias.facility_id, FacilityAlias.alias).order_by(FacilityAlias.id)
        for facility_id, alias in connection.execute(aliases):
            self._names_of[facility_id].append(alias)
            for key in {fold(alias), name_key(alias)}:
                self._keys_of[facility_id].add(key)
                if facility_id not in self._by_alias[key]:
                    self._by_alias[key].append(facility_id)

    def __len__(self) -> int:
        return len(self._facilities)

    def facilities(self) -> list[_FacilityRow]:
        """Return the facilities held (``id``, ``slug``, ``name``, ``latitude``...), in id order."""
        return list(self._facilities.values())

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

    def _grid_blocks(self) -> dict[tuple[int, int], list[tuple[int, int, int, int]]]:
        """The grid's cells grouped in blocks of ``BLOCK_CELLS`` x ``BLOCK_CELLS``.

        Each block lists ``(row, col, position, facility id)``, ``position`` being the facility's
        place in the grid's insertion order, so that a look-up can visit a few blocks instead of
        dozens of mostly empty cells and still yield the facilities in the cells' order.
        """
        blocks: dict[tuple[int, int], list[tuple[int, int, int, int]]] = defaultdict(list)
        position = 0
        for (row, col), ids in self._grid.items():
            for facility_id in ids:
                blocks[row // BLOCK_CELLS, col // BLOCK_CELLS].append((row, col, position, facility_id))
                position += 1
        return blocks

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
        key, spelling = without_generic_words(fold(name))
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
        memo_key = (key, spelling, country, types, None if keys is None else tuple(keys))
        if memo_key not in self._fuzzy_memo:
            if len(self._fuzzy_memo) >= FUZZY_MEMO_SIZE:  # bounded: a file of unique names
                self._fuzzy_memo.clear()
            self._fuzzy_memo[memo_key] = self._fuzzy_uncached(key, spelling, country, types, keys)
        return self._fuzzy_memo[memo_key]

    def _fuzzy_uncached(
        self, key: str, spelling: float, country: str | None, types: frozenset[str], keys: list[str] | None
    ) -> FacilityMatch | None:
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
        return [facility.facility_id for _, facility in self._within(latitude, longitude, km)]

    def _within(
        self, latitude: float, longitude: float, km: float, types: frozenset[str] | None = None
    ) -> Iterator[tuple[float, _FacilityRow]]:
        """``(distance, facility)`` of the facilities (of ``types``, when given) within ``km`` of a point,
        in the order :meth:`_in_cells_near` gives them."""
        for facility in self._in_cells_near(latitude, longitude, km):
            if types is not None and facility.facility_type not in types:
                continue
            distance = distance_km(latitude, longitude, facility.latitude, facility.longitude)
            if distance is not None and distance <= km:
                yield distance, facility

    def facilities_named_in(
        self, texts: list[str], latitude: float, longitude: float, km: float, types: Iterable[str]
    ) -> list[FacilityMatch]:
        """Return the facilities of the given types within ``km`` of a point that the texts name.

        A text names a facility when it holds every distinctive word of its name or of one of its
        alternative names, inflected forms included, and its numbers next to them
        (:func:`events.geo.facility_match.names_in_text`): "the Ryazan oil refinery", "Рязанском
        НПЗ", "Kharkiv CHP-5". Nearest first; ``method="text"``, ``distance_km`` set.
        """
        words: TextWords | None = None  # folded only when a facility of those types is near
        found: list[tuple[float, _FacilityRow]] = []
        for distance, facility in self._within(latitude, longitude, km, frozenset(types)):
            words = TextWords.of(texts) if words is None else words
            if any(names_in_text(spelling, words) for spelling in self._spellings_of(facility.facility_id)):
                found.append((distance, facility))
        found.sort(key=lambda pair: pair[0])
        return [facility.match("text", 100.0, distance) for distance, facility in found]

    def _spellings_of(self, facility_id: int) -> list[NameWords]:
        if facility_id not in self._spellings:
            self._spellings[facility_id] = name_words(*self._names_of[facility_id])
        return self._spellings[facility_id]

    def _in_cells_near(self, latitude: float, longitude: float, km: float) -> Iterator[_FacilityRow]:
        """The facilities of the grid cells that may lie within ``km`` of a point, cell by cell."""
        lat_span = math.ceil(km / (KM_PER_DEG_LAT * GRID_DEG))
        cos_lat = max(math.cos(math.radians(min(abs(latitude), 89.0))), 0.01)
        lon_span = math.ceil(km / (KM_PER_DEG_LAT * GRID_DEG * cos_lat))
        row, col = self._cell(latitude, longitude)
        row0, row1, col0, col1 = row - lat_span, row + lat_span, col - lon_span, col + lon_span
        # The facilities of the cells row0..row1 x col0..col1, row by row, then column, then in the
        # order each cell received them (ties in distance are then broken as a cell-by-cell scan
        # would), gathered from the few blocks that hold those cells.
        found = [
            entry
            for block_row in range(row0 // BLOCK_CELLS, row1 // BLOCK_CELLS + 1)
            for block_col in range(col0 // BLOCK_CELLS, col1 // BLOCK_CELLS + 1)
            for entry in self._blocks.get((block_row, block_col), ())
            if row0 <= entry[0] <= row1 and col0 <= entry[1] <= col1
        ]
        found.sort()
        for *_, facility_id in found:
            yield self._facilities[facility_id]

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
        types = frozenset({facility_type}) if facility_type else None
        best: tuple[float, _FacilityRow] | None = None
        for found in self._within(latitude, longitude, radius, types):
            if best is None or found[0] < best[0]:  # the first of equally near ones stays
                best = found
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


__all__ = ["DEFAULT_RADIUS_KM", "GRID_DEG", "KM_PER_DEG_LAT", "LINE_TYPES", "Geocoder"]
