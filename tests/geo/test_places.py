"""The cached GeoNames place index (events.geo.places_index) behind ``place_lookup``.

Synthetic city records keep these tests fast; tests/geo/test_geocode.py runs look-ups on the real index.
The reference below is the original in-memory gazetteer (a dict of lists, alternative names added
per country on demand): the cached index must give the same places in the same order.
"""

from __future__ import annotations

import random
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

from events import geo
from events.geo import Gazetteer, KeyedIds, Place, PlaceIndex, cache, open_index, places_index
from events.text import fold

BOUNDARIES = {"countries.geojson": 1.0, "admin1.geojson": 0.25}


def _city(name: str, lat: float, lon: float, cc: str, pop: int, alternates: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "latitude": lat,
        "longitude": lon,
        "countrycode": cc,
        "population": pop,
        "alternatenames": alternates,
    }


CITIES = [
    _city("Kirishi", 59.45, 32.02, "RU", 52000, ["Кириши", "Kirishi", "Kiriši"]),
    _city("Rylsk", 51.57, 34.68, "RU", 15000, ["Рыльск", "Ryl'sk"]),
    _city("Rylsk", 51.57, 34.68, "RU", 15000, ["Рыльск"]),  # an exact duplicate record
    _city("Ryazan", 54.62, 39.74, "RU", 520000, ["Рязань", "Rjazan"]),
    _city("Pokrovsk", 48.28, 37.18, "UA", 60000, ["Покровськ", "Krasnoarmiisk"]),
    _city("Pokrovsk", 61.48, 129.15, "RU", 9000, ["Покровск"]),
    _city("Kyiv", 50.45, 30.52, "UA", 2900000, ["Київ", "Kiev", "Киев"]),
    _city("Kiev", 46.0, 10.0, "IT", 0, ["Kyiv"]),  # a made-up namesake outside the focus countries
    _city("Roma", 41.89, 12.48, "IT", 2300000, ["Rome", "Rom", "Рим"]),
    _city("Rome", 34.26, -85.16, "US", 36000, ["Roma"]),
    _city("Empty", 1.0, 1.0, "", 0, None),
]


def _reference_towns(records: list[dict[str, Any]], queries: list[tuple[str, str | None]]) -> list[list[Place]]:
    """The gazetteer as it was before the cache: the answers of ``towns`` for ``queries`` in order."""
    table: dict[str, list[Place]] = defaultdict(list)

    def place_of(city: dict[str, Any]) -> Place:
        return Place(
            city["name"], float(city["latitude"]), float(city["longitude"]), city["countrycode"],
            int(city.get("population") or 0),
        )  # fmt: skip

    for city in records:
        table[fold(city["name"])].append(place_of(city))
    done: set[str] = set()

    def add(countries: set[str]) -> None:
        wanted = countries - done
        for city in records:
            if city["countrycode"] in wanted:
                primary = fold(city["name"])
                for alternate in city.get("alternatenames") or ():
                    key = fold(alternate)
                    if key and key != primary and place_of(city) not in table[key]:
                        table[key].append(place_of(city))
        done.update(wanted)

    add(set(geo.FOCUS_COUNTRIES))
    answers = []
    for key, country in queries:
        if country:
            add({country})
        answers.append([p for p in table.get(key, []) if country is None or p.country == country])
    return answers


def _queries(records: list[dict[str, Any]], seed: int = 3) -> list[tuple[str, str | None]]:
    rng = random.Random(seed)
    names = [c["name"] for c in records] + [a for c in records for a in c.get("alternatenames") or ()]
    countries = [None, None, "RU", "UA", "IT", "US", "XX"]
    return [(fold(rng.choice(names)), rng.choice(countries)) for _ in range(300)]


@pytest.fixture(scope="module")
def gazetteer_regions() -> None:
    geo.admin1_index()  # built once for the module: Gazetteer reads the region names from it


def _answers(index: PlaceIndex, queries: list[tuple[str, str | None]]) -> list[list[Place]]:
    gazetteer = Gazetteer(index)
    return [gazetteer.towns(key, country) for key, country in queries]


def test_cached_index_answers_like_the_original_gazetteer(tmp_path: Path, gazetteer_regions: None) -> None:
    queries = _queries(CITIES)
    expected = _reference_towns(CITIES, queries)
    built = open_index(tmp_path / "places.npz", lambda: CITIES)
    assert (tmp_path / "places.npz").is_file()
    cached = open_index(tmp_path / "places.npz", lambda: pytest.fail("the cache file was not used"))
    in_memory = open_index(None, lambda: CITIES)
    assert _answers(built, queries) == expected
    assert _answers(cached, queries) == expected
    assert _answers(in_memory, queries) == expected


def _random_city(rng: random.Random, words: list[str]) -> dict[str, Any]:
    # Few distinct values, so that namesakes, equal places and repeated alternative names abound.
    return _city(
        rng.choice(words),
        rng.choice([50.0, 51.5, 52.25]),
        rng.choice([30.0, 31.0]),
        rng.choice(["RU", "UA", "BY", "DE", "FR"]),
        rng.choice([0, 500, 900]),
        rng.sample(words, rng.randint(0, 4)) + rng.sample(words, rng.randint(0, 2)),
    )


def test_random_records_answer_like_the_original_gazetteer(tmp_path: Path, gazetteer_regions: None) -> None:
    rng = random.Random(11)
    words = ["Nova", "Stara", "Kamenka", "Каменка", "Ivanovka", "Іванівка", "Sosnovka", "Сосновка", "Lipovo"]
    records = [_random_city(rng, words) for _ in range(400)]
    queries = _queries(records, seed=5)
    expected = _reference_towns(records, queries)
    assert _answers(open_index(tmp_path / "p.npz", lambda: records), queries) == expected
    assert _answers(open_index(tmp_path / "p.npz", lambda: []), queries) == expected
    assert _answers(open_index(None, lambda: records), queries) == expected


def test_alternative_names_skip_own_name_and_equal_places(tmp_path: Path) -> None:
    index = open_index(tmp_path / "p.npz", lambda: CITIES)
    assert index.alternates("RU").get("kirishi") == []  # Кириши folds to the place's own name
    assert index.alternates("RU").get("kirisi") == [0]  # Kiriši
    # The duplicate Rylsk record is equal to the first: listed once under "rylsk" (Рыльск).
    assert index.alternates("RU").get("rylsk") == []  # both records already carry "rylsk" as their name
    assert index.alternates("RU").get("ryl sk") == [1]
    assert index.primary.get("rylsk") == [1, 2]
    assert index.alternates("UA").get("kiev") == [6]
    assert index.alternates("XX").get("kiev") == []
    assert index.place(6) == ("Kyiv", 50.45, 30.52, "UA", 2900000)
    assert all(isinstance(v, float) for v in index.place(6)[1:3])


def test_damaged_cache_file_is_rebuilt(tmp_path: Path) -> None:
    path = tmp_path / "p.npz"
    open_index(path, lambda: CITIES)
    path.write_bytes(path.read_bytes()[:200])  # truncated, e.g. by a full disk
    calls = []
    index = open_index(path, lambda: calls.append(1) or CITIES)
    assert calls == [1]
    assert index.primary.get("roma") == [8]
    assert open_index(path, lambda: pytest.fail("not rebuilt")).primary.get("roma") == [8]


def test_unwritable_cache_directory_builds_in_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache directory should be")
    index = open_index(blocker / "p.npz", lambda: CITIES)
    assert index.primary.get("kyiv") == [6]
    assert index.alternates("IT").get("kyiv") == [7]
    assert blocker.is_file()


def test_stale_versions_are_removed(tmp_path: Path) -> None:
    old = tmp_path / "places-500-0123456789abcdef0123.npz"
    old.write_bytes(b"an older version")
    open_index(tmp_path / "places-500-fedcba9876543210fedc.npz", lambda: CITIES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["places-500-fedcba9876543210fedc.npz"]


def test_cache_location_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("STRIKEDB_CACHE_DIR", str(tmp_path / "mine"))
    assert cache.cache_dir() == tmp_path / "mine"
    monkeypatch.delenv("STRIKEDB_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache.cache_dir() == tmp_path / "xdg" / "strikedb"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache.cache_dir() == tmp_path / "home" / ".cache" / "strikedb"
    path = places_index.cache_path(500)
    assert path is not None and path.parent == tmp_path / "home" / ".cache" / "strikedb"
    assert path.name.startswith("places-500-") and path.name.endswith(".npz")
    assert places_index.cache_path(500) == path  # the key is stable within a version
    assert cache.cache_file("x", ["a"]) != cache.cache_file("x", ["b"])


def test_keyed_ids_round_trip() -> None:
    keyed = KeyedIds.from_lists({"a": [1, 2], "b b": [], "ж": [5]})
    again = KeyedIds.from_arrays(keyed.arrays("x_"), "x_")
    assert [again.get(k) for k in ("a", "b b", "ж", "missing")] == [[1, 2], [], [5], []]
    assert KeyedIds.from_arrays(KeyedIds.from_lists({"": [3]}).arrays("y_"), "y_").get("") == [3]


@pytest.mark.parametrize(("name", "cell_deg"), BOUNDARIES.items())
def test_boundary_grid_is_cached_and_answers_the_same(
    name: str, cell_deg: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STRIKEDB_CACHE_DIR", str(tmp_path))
    built = geo.PolygonIndex.load(name, cell_deg)
    files = list(tmp_path.glob("grid-*.npz"))
    assert len(files) == 1
    cached = geo.PolygonIndex.load(name, cell_deg)
    assert cached.inside == built.inside
    assert cached.near == dict(built.near)
    rng = random.Random(1)
    points = [(rng.uniform(40, 70), rng.uniform(20, 60)) for _ in range(2000)]
    assert [cached.locate(*p) for p in points] == [built.locate(*p) for p in points]
    files[0].write_bytes(b"PK\x03\x04 damaged")
    assert geo.PolygonIndex.load(name, cell_deg).inside == built.inside  # rebuilt, and rewritten
    assert geo.PolygonIndex.load(name, cell_deg).near == dict(built.near)


def test_boundary_grid_without_a_writable_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    monkeypatch.setenv("STRIKEDB_CACHE_DIR", str(blocker / "cache"))
    index = geo.PolygonIndex.load("admin1.geojson", 0.25)
    assert index.locate(59.48, 32.07)["admin1"] == "Leningrad Oblast"
