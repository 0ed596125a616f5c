"""One name per region: spellings, transliterations and boundary names resolve to ISO 3166-2."""

from __future__ import annotations

import json
from importlib import resources

import pytest
from sqlalchemy import text

from events.geo.regions import region_by_code, resolve_region, settle_region
from events.ingest import ingest_file

KHARKIV_SPELLINGS = [
    "Kharkiv Oblast",
    "Kharkiv oblast",
    "Kharkivs'ka",
    "Kharkivska oblast",
    "Kharkov",
    "Kharkiv",
    "Харківська область",
    "Харьковская область",
    "Харківська обл.",
    "kharkiv region",
    "Kharviv",
    "UA-63",
]


@pytest.mark.parametrize("spelling", KHARKIV_SPELLINGS)
def test_spellings_of_one_oblast_resolve_to_one_code(spelling: str) -> None:
    region = resolve_region(spelling, "UA")
    assert region is not None, spelling
    assert (region.code, region.name) == ("UA-63", "Kharkiv Oblast")


@pytest.mark.parametrize(
    ("spelling", "country", "code", "name"),
    [
        ("Rjazan", "RU", "RU-RYA", "Ryazan Oblast"),
        ("Nizjnij Novgorod", "RU", "RU-NIZ", "Nizhny Novgorod Oblast"),
        ("Voronezj", "RU", "RU-VOR", "Voronezh Oblast"),
        ("Kiev", "UA", "UA-32", "Kyiv Oblast"),
        ("Kyiv City", "UA", "UA-30", "Kyiv"),
        ("Krasnodarskiy", "RU", "RU-KDA", "Krasnodar Krai"),
        ("Краснодарский край", None, "RU-KDA", "Krasnodar Krai"),
        ("Moscow", "RU", "RU-MOW", "Moscow"),
        ("Moskovskaya oblast'", "RU", "RU-MOS", "Moscow Oblast"),
        ("Crimea", "RU", "UA-43", "Autonomous Republic of Crimea"),
        ("Odessa", "UA", "UA-51", "Odesa Oblast"),
        ("Zaporozhye", "UA", "UA-23", "Zaporizhzhia Oblast"),
        ("Alibori", "BJ", "BJ-AL", "Alibori"),
        ("Borno state", "NG", "NG-BO", "Borno"),
    ],
)
def test_transliterations_and_other_countries(spelling: str, country: str | None, code: str, name: str) -> None:
    region = resolve_region(spelling, country)
    assert region is not None
    assert (region.code, region.name) == (code, name)


def test_unknown_or_ambiguous_names_are_not_guessed() -> None:
    assert resolve_region("Atlantis", "UA") is None
    assert resolve_region("Kharkiv", "BJ") is None  # not in the stated country
    assert settle_region("UA", "Atlantis") == (None, "Atlantis", "Atlantis")


def test_every_bundled_boundary_region_has_a_code() -> None:
    collection = json.loads(resources.files("events").joinpath("data", "admin1.geojson").read_text("utf-8"))
    codes = []
    for feature in collection["features"]:
        props = feature["properties"]
        # The file's own ISO 3166-2 code first ("Kyiv" alone could be the city or the oblast).
        code = props.get("iso_3166_2")
        region = region_by_code(code) if code else resolve_region(props["admin1"], props["country"])
        assert region is not None, props
        codes.append(region.code)
    assert len(codes) == len(set(codes)), "two boundary features resolve to one region"


def test_region_by_code_gives_the_canonical_name() -> None:
    assert region_by_code("ru-rya").name == "Ryazan Oblast"
    assert region_by_code("UA-99") is None


def test_ingest_stores_code_canonical_name_and_text_as_written(engine, tmp_path) -> None:
    rows = ["event_id,date,latitude,longitude,country,admin1,facility_type"]
    for i, spelling in enumerate(KHARKIV_SPELLINGS[:10]):
        rows.append(f'K{i},2025-09-{i + 1:02d},49.99,36.23,UA,"{spelling}",substation')
    rows.append("K99,2025-09-20,54.63,39.70,RU,,refinery")  # no region given: from the boundaries ("Rjazan")
    path = tmp_path / "spellings.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    report = ingest_file(engine, path, parallel=False)
    assert report.inserted == 11, report.problems
    with engine.connect() as conn:
        stored = conn.execute(
            text("SELECT external_id, admin1_code, admin1, admin1_reported FROM events ORDER BY external_id")
        ).all()
        by_code = conn.execute(text("SELECT admin1_code, SUM(strikes) FROM strikes_by_region GROUP BY admin1_code"))
        grouped = dict(by_code.all())
    kharkiv = [row for row in stored if row[0] != "K99"]
    assert {(code, name) for _, code, name, _ in kharkiv} == {("UA-63", "Kharkiv Oblast")}
    assert [reported for *_, reported in kharkiv] == KHARKIV_SPELLINGS[:10]
    assert [row[1:] for row in stored if row[0] == "K99"] == [("RU-RYA", "Ryazan Oblast", None)]
    assert grouped == {"UA-63": 10, "RU-RYA": 1}


def test_migration_converts_existing_regions(db_url: str) -> None:
    from events import migrate
    from events.db import make_engine

    engine = make_engine(db_url)
    try:
        migrate.downgrade(engine, "0002")
        with engine.begin() as conn:
            for i, (country, admin1) in enumerate([("UA", "Kharkivs'ka"), ("RU", "Rjazan"), ("UA", "Atlantis")]):
                conn.execute(
                    text(
                        "INSERT INTO events (public_id, event_date, latitude, longitude, geo_precision, geocoded_by, "
                        "attack_type, claim_status, confidence, origin, country, admin1, date_precision) VALUES "
                        f"('SDB-M{i}', '2025-01-0{i + 1}', 50, 36, 'exact', 'coordinates', 'drone', 'reported', "
                        f"'likely', 'csv', '{country}', :admin1, 'day')"
                    ),
                    {"admin1": admin1},
                )
        migrate.upgrade(engine)
        with engine.connect() as conn:
            rows = conn.execute(
                text("SELECT public_id, admin1_code, admin1, admin1_reported FROM events ORDER BY public_id")
            ).all()
        assert [tuple(r) for r in rows] == [
            ("SDB-M0", "UA-63", "Kharkiv Oblast", "Kharkivs'ka"),
            ("SDB-M1", "RU-RYA", "Ryazan Oblast", "Rjazan"),
            ("SDB-M2", None, "Atlantis", "Atlantis"),
        ]
        migrate.downgrade(engine, "0002")  # the text as written comes back
        with engine.connect() as conn:
            back = conn.execute(text("SELECT admin1 FROM events ORDER BY public_id")).scalars().all()
        assert back == ["Kharkivs'ka", "Rjazan", "Atlantis"]
        migrate.upgrade(engine)
    finally:
        engine.dispose()
