"""Offline geocoding: bundled boundaries, swapped coordinates, facility and place matching."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from events import geo
from events.facilities import import_bundled
from events.geo import (
    Geocoder,
    admin1_at,
    admin1_regions,
    country_at,
    fold,
    likely_swapped,
    name_key,
    place_lookup,
)


@pytest.mark.parametrize(
    ("lat", "lon", "country", "admin1"),
    [
        (59.48, 32.07, "RU", "Leningrad Oblast"),  # Kirishi
        (54.57, 39.74, "RU", "Ryazan Oblast"),  # Ryazan
        (44.10, 39.08, "RU", "Krasnodar Krai"),  # Tuapse, on the coast
        (50.45, 30.52, "UA", "Kyiv"),
        (48.46, 38.20, "UA", "Donetsk Oblast"),  # Vuhlehirska TPP
        (47.51, 34.59, "UA", "Zaporizhzhia Oblast"),  # Zaporizhzhia NPP
        (53.90, 27.56, "BY", "Minsk"),  # Minsk city (BY-HM)
        (53.60, 27.00, "BY", "Minsk Region"),
    ],
)
def test_admin1_at_known_points(lat: float, lon: float, country: str, admin1: str) -> None:
    assert admin1_at(lat, lon) == (country, admin1)
    assert country_at(lat, lon) == country


def test_crimea_follows_iso_with_de_facto_recorded() -> None:
    assert admin1_at(44.95, 34.10) == ("UA", "Autonomous Republic of Crimea")
    assert admin1_at(44.59, 33.52) == ("UA", "Sevastopol")
    assert country_at(44.95, 34.10) == "UA"
    regions = admin1_regions()
    crimea = regions[regions["iso_3166_2"].isin(["UA-43", "UA-40"])]
    assert set(crimea["de_facto"]) == {"RU"}
    assert regions[~regions["admin1"].isin(crimea["admin1"])]["de_facto"].isna().all()


def test_admin1_regions_cover_ukraine_and_russia() -> None:
    regions = admin1_regions()
    assert list(regions.columns) == ["country", "iso_3166_2", "admin1", "de_facto", "geometry"]
    assert regions.crs.to_epsg() == 4326
    counts = regions.groupby("country").size()
    assert counts["UA"] == 27  # 24 oblasts + Kyiv city + Crimea + Sevastopol
    assert counts["RU"] >= 80
    assert regions.geometry.is_valid.all()


def test_points_outside_bundled_regions_and_at_sea() -> None:
    assert admin1_at(48.85, 2.35) == ("FR", None)
    assert country_at(0.0, -30.0) is None  # mid-Atlantic
    assert admin1_at(95.0, 0.0) == (None, None)


def test_likely_swapped_detects_only_a_swap_that_lands_in_the_stated_country() -> None:
    assert likely_swapped(32.07, 59.48, "RU")  # Kirishi with lat/lon swapped lands in Iran
    assert not likely_swapped(59.48, 32.07, "RU")
    assert not likely_swapped(32.07, 59.48, None)
    assert not likely_swapped(48.85, 2.35, "RU")  # wrong, but not a swap
    assert not likely_swapped(10.0, 120.0, "RU")  # a swap would put latitude out of range


def test_fold_and_name_key() -> None:
    assert fold("Кириши") == "kirishi"
    assert fold("Novo-Ufimsky") == "novo ufimsky"
    assert name_key("Ryazan oil refinery") == "ryazan"
    assert name_key("Запорізька ТЕС") != name_key("Запорізька АЕС")
    assert name_key("Burshtyn TPP").endswith(" tpp") and name_key("Бурштинська ТЕС").endswith(" tpp")
    assert name_key("Київська ТЕЦ-5") == "kiyivska chp 5"


@pytest.mark.parametrize(
    ("text", "name", "precision"),
    [
        ("Tuapse, Krasnodar Krai", "Tuapse", "near_town"),
        ("Рязань", "Ryazan’", "near_town"),
        ("Rylsk, regione di Kursk.", "Ryl’sk", "near_town"),
        ("Krasnodar Krai", "Krasnodar Krai", "region"),
        ("regione di Belgorod", "Belgorod Oblast", "region"),
        ("Kyiv", "Kyiv", "near_town"),
    ],
)
def test_place_lookup_offline(text: str, name: str, precision: str) -> None:
    place = place_lookup(text)
    assert place is not None
    assert (place.name, place.geo_precision) == (name, precision)
    assert place.country in ("RU", "UA")
    assert place.admin1


def test_place_lookup_respects_country_and_rejects_nonsense() -> None:
    assert place_lookup("Kyiv", country="RU") is None
    assert place_lookup("Xqzzyplace, nowhere") is None
    assert place_lookup("   ") is None


@pytest.fixture
def gazetteer_engine(engine: Engine) -> Engine:
    import_bundled(engine)
    return engine


def test_geocoder_matches_names_aliases_and_typos(gazetteer_engine: Engine) -> None:
    with gazetteer_engine.connect() as conn:
        geocoder = Geocoder(conn)
    assert len(geocoder) >= 50
    exact = geocoder.match_facility_name("Tuapse refinery")
    assert (exact.slug, exact.method, exact.score) == ("ru-tuapse", "name", 100.0)
    alias = geocoder.match_facility_name("Киришский НПЗ")
    assert (alias.slug, alias.method) == ("ru-kirishi-kinef", "alias")
    typo = geocoder.match_facility_name("Novokuybyshevsk refinary")
    assert typo.slug == "ru-novokuibyshevsk" and typo.method in ("alias", "fuzzy")
    fuzzy = geocoder.match_facility_name("Burshtin TPP")
    assert fuzzy.slug == "ua-burshtyn-tpp" and fuzzy.method == "fuzzy" and 88 <= fuzzy.score <= 100
    assert geocoder.match_facility_name("Kyiv CHP-6").slug == "ua-kyiv-chp6"
    assert geocoder.match_facility_name("Kyiv CHP-7") is None
    assert geocoder.match_facility_name("Tuapse refinery", country="UA") is None
    assert geocoder.match_facility_name("Tuapse", facility_type="power_plant") is None
    assert geocoder.match_facility_name("") is None


def test_a_name_that_says_another_kind_of_site_does_not_match_the_refinery_of_its_town(
    gazetteer_engine: Engine,
) -> None:
    """ "Volgograd substation" and "Ryazan power station" fold to the refineries' keys (QA report)."""
    with gazetteer_engine.connect() as conn:
        geocoder = Geocoder(conn)
    assert geocoder.match_facility_name("Volgograd substation") is None
    assert geocoder.match_facility_name("Ryazan power station") is None
    assert geocoder.match_facility_name("Ryazan refinery").slug == "ru-ryazan"
    assert geocoder.match_facility_name("Рязанский НПЗ").slug == "ru-ryazan"
    assert geocoder.match_facility_name("Burshtyn power station").slug == "ua-burshtyn-tpp"
    assert geo.implied_facility_types("Kirishi") == frozenset()
    assert geo.implied_facility_types("Киришский НПЗ") == {"refinery"}


def test_fuzzy_scores_say_how_close_the_name_is(gazetteer_engine: Engine) -> None:
    """A misspelling scores below 100, a one-letter typo in a short name still matches."""
    with gazetteer_engine.connect() as conn:
        geocoder = Geocoder(conn)
    kirishy = geocoder.match_facility_name("Kirishy refinery")
    assert (kirishy.slug, kirishy.method) == ("ru-kirishi-kinef", "fuzzy") and 85 <= kirishy.score < 90
    refinry = geocoder.match_facility_name("Ryazan refinry")
    assert (refinry.slug, refinry.method) == ("ru-ryazan", "fuzzy") and refinry.score < 100
    extra = geocoder.match_facility_name("Lukoil Volgograd refinery")
    assert (extra.slug, extra.method) == ("ru-volgograd", "fuzzy") and extra.score < 100
    # The town name inside a longer, different name is not enough.
    assert geocoder.match_facility_name("Volgograd Krasnoarmeysky shipyard") is None


def test_geocoder_nearest_facility_within_radius(gazetteer_engine: Engine) -> None:
    with gazetteer_engine.connect() as conn:
        geocoder = Geocoder(conn, radius_km=3.0)
        wide = Geocoder(conn, radius_km=50.0)
    hit = geocoder.nearest_facility(44.11, 39.10)
    assert hit.slug == "ru-tuapse" and hit.method == "nearest"
    assert 0 < hit.distance_km < 3 and hit.score == pytest.approx(100 * (1 - hit.distance_km / 3), abs=0.1)
    assert geocoder.nearest_facility(44.30, 39.10) is None  # ~22 km away
    assert geocoder.nearest_facility(44.11, 39.10, facility_type="power_plant") is None
    assert wide.nearest_facility(44.30, 39.10).slug == "ru-tuapse"
    # Ufa: three refineries 3-5 km apart; the nearest wins.
    assert geocoder.nearest_facility(54.849, 56.094).slug == "ru-ufa-ufimsky"


def test_geocoder_on_an_empty_gazetteer(engine: Engine) -> None:
    with engine.connect() as conn:
        geocoder = Geocoder(conn)
    assert len(geocoder) == 0
    assert geocoder.nearest_facility(50.0, 30.0) is None
    assert geocoder.match_facility_name("Kirishi") is None
    assert geocoder.place("Kirishi").name == "Kirishi"


def test_point_lookups_are_memoised() -> None:
    geo.admin1_at.cache_clear()
    admin1_at(59.48, 32.07)
    admin1_at(59.48, 32.07)
    assert geo.admin1_at.cache_info().hits >= 1
