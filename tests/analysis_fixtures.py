"""Sample events, facilities and sources for the SQL-analysis tests, inserted through the ORM.

The numbers are chosen so every view has something to count: a facility struck twice in one
month, strikes at every confidence level, an event with no facility, a facility never struck,
a power plant (MW) beside refineries (Mt/yr), several sources per event with different types
and dates, and text that a spreadsheet would execute as a formula.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from events.db import session_scope
from events.models import Event, EventSource, Facility, Source

#: Kirishi refinery (KINEF), used by radius queries in tests and the cookbook.
KIRISHI = (59.4603, 32.0237)


def _facilities() -> dict[str, Facility]:
    rows = [
        (
            "ru-kirishi-kinef",
            "KINEF Kirishi refinery",
            "refinery",
            "RU",
            "Leningrad Oblast",
            59.4603,
            32.0237,
            20.1,
            402.0,
            None,
            "Surgutneftegas",
        ),
        (
            "ru-ryazan",
            "Ryazan refinery",
            "refinery",
            "RU",
            "Ryazan Oblast",
            54.5869,
            39.7206,
            17.1,
            342.0,
            None,
            "Rosneft",
        ),
        (
            "ru-volgograd",
            "Volgograd refinery",
            "refinery",
            "RU",
            "Volgograd Oblast",
            48.5054,
            44.5858,
            15.7,
            314.0,
            None,
            "Lukoil",
        ),
        (
            "ru-tuapse",
            "Tuapse refinery",
            "refinery",
            "RU",
            "Krasnodar Krai",
            44.1044,
            39.0825,
            12.0,
            240.0,
            None,
            "Rosneft",
        ),
        (
            "ru-novoshakhtinsk",
            "Novoshakhtinsk refinery",
            "refinery",
            "RU",
            "Rostov Oblast",
            47.7833,
            39.9333,
            None,
            None,
            None,
            None,
        ),
        (
            "ua-burshtyn-tpp",
            "Burshtyn TPP",
            "power_plant",
            "UA",
            "Ivano-Frankivsk Oblast",
            49.2083,
            24.6489,
            None,
            None,
            2400.0,
            "DTEK",
        ),
        (
            "ua-trypilska-tpp",
            "Trypilska TPP",
            "power_plant",
            "UA",
            "Kyiv Oblast",
            50.1356,
            30.7396,
            None,
            None,
            1800.0,
            "Centrenergo",
        ),
        (
            "ru-tikhoretsk-depot",
            "Tikhoretsk oil depot",
            "oil_depot",
            "RU",
            "Krasnodar Krai",
            45.8536,
            40.1253,
            None,
            None,
            None,
            "Transneft",
        ),
    ]
    facilities = {}
    for slug, name, ftype, country, admin1, lat, lon, mtpa, kbd, mw, operator in rows:
        facilities[slug] = Facility(
            slug=slug,
            name=name,
            facility_type=ftype,
            country=country,
            admin1=admin1,
            latitude=lat,
            longitude=lon,
            capacity_mtpa=mtpa,
            capacity_kbd=kbd,
            capacity_mw=mw,
            operator=operator,
        )
    return facilities


def _sources() -> dict[str, Source]:
    rows = [
        ("reuters-kirishi", "https://www.reuters.com/kirishi-drone", "Reuters", "media", dt.date(2025, 3, 14)),
        (
            "gov-kirishi",
            "https://lenobl.ru/news/kirishi",
            "Leningrad Oblast governor",
            "official",
            dt.date(2025, 3, 15),
        ),
        ("tg-kirishi", "https://t.me/astrapress/1234", "ASTRA", "social", dt.date(2025, 3, 13)),
        ("sat-ryazan", "https://maxar.example/ryazan", "Maxar", "imagery", dt.date(2025, 3, 20)),
        ("bbc-ryazan", "https://www.bbc.com/ryazan", "BBC", "media", dt.date(2025, 3, 19)),
        ("kyiv-ind-burshtyn", "https://kyivindependent.com/burshtyn", "Kyiv Independent", "media", None),
        ("formula", "https://example.org/formula", '=HYPERLINK("http://evil")', "other", dt.date(2025, 4, 2)),
    ]
    return {
        key: Source(url=url, publisher=publisher, source_type=stype, published_date=published, title=f"{key} title")
        for key, url, publisher, stype, published in rows
    }


# public_id, date, facility slug or None, confidence, claim_status, reliability, credibility, sources,
# country, reported facility type, description
_EVENTS = [
    (
        "SDB-T01",
        dt.date(2025, 3, 14),
        "ru-kirishi-kinef",
        "confirmed",
        "confirmed_by_official",
        "B",
        2,
        ["reuters-kirishi", "gov-kirishi", "tg-kirishi"],
        "RU",
        None,
        "Fire at the AVT-6 unit after a drone attack",
    ),
    (
        "SDB-T02",
        dt.date(2025, 3, 28),
        "ru-kirishi-kinef",
        "possible",
        "claimed",
        None,
        None,
        [],
        "RU",
        None,
        "Second attack claimed",
    ),
    (
        "SDB-T03",
        dt.date(2025, 3, 19),
        "ru-ryazan",
        "likely",
        "reported",
        "B",
        3,
        ["bbc-ryazan", "sat-ryazan"],
        "RU",
        None,
        "Ryazan refinery hit",
    ),
    (
        "SDB-T04",
        dt.date(2025, 4, 2),
        "ru-volgograd",
        "unverified",
        "disputed",
        "E",
        5,
        ["formula"],
        "RU",
        None,
        "=1+1 looks like a formula",
    ),
    ("SDB-T05", dt.date(2025, 4, 10), "ru-tuapse", "likely", "reported", None, None, [], "RU", None, None),
    (
        "SDB-T06",
        dt.date(2025, 4, 11),
        "ru-tuapse",
        "confirmed",
        "confirmed_by_imagery",
        "A",
        1,
        [],
        "RU",
        None,
        "Tuapse: marine terminal and refinery",
    ),
    (
        "SDB-T07",
        dt.date(2025, 4, 11),
        "ua-burshtyn-tpp",
        "confirmed",
        "confirmed_by_official",
        "A",
        2,
        ["kyiv-ind-burshtyn"],
        "UA",
        None,
        "Missile strike on Burshtyn TPP",
    ),
    (
        "SDB-T08",
        dt.date(2025, 5, 3),
        None,
        "possible",
        "claimed",
        "C",
        None,
        [],
        "RU",
        "rail_line",
        "Rail line near Kirishi (no facility record)",
    ),
    (
        "SDB-T09",
        dt.date(2025, 5, 20),
        "ru-novoshakhtinsk",
        "likely",
        "reported",
        None,
        3,
        [],
        "RU",
        None,
        "Novoshakhtinsk refinery on fire",
    ),
    (
        "SDB-T10",
        dt.date(2025, 5, 21),
        "ua-trypilska-tpp",
        "unverified",
        "debunked",
        None,
        None,
        [],
        "UA",
        None,
        "Trypilska claim debunked",
    ),
]


def add_sample_data(engine: Engine) -> None:
    """Insert the sample facilities, sources and ten events into a migrated database.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A writable engine on a database at the head revision.
    """
    facilities = _facilities()
    sources = _sources()
    near = {"SDB-T08": (59.45, 32.10)}  # ~4.6 km east of the refinery
    with session_scope(engine) as session:
        session.add_all(facilities.values())
        session.add_all(sources.values())
        for public_id, date, slug, confidence, claim, rel, cred, source_keys, country, ftype, desc in _EVENTS:
            facility = facilities[slug] if slug else None
            lat, lon = near.get(public_id, (facility.latitude, facility.longitude) if facility else (0.0, 0.0))
            event = Event(
                public_id=public_id,
                event_date=date,
                latitude=lat,
                longitude=lon,
                geo_precision="exact" if facility else "near_town",
                geocoded_by="facility" if facility else "coordinates",
                location_text=facility.name if facility else "Kirishi district",
                facility=facility,
                facility_type=ftype,
                attack_type="missile" if country == "UA" else "drone",
                effect="fire",
                claim_status=claim,
                source_reliability=rel,
                info_credibility=cred,
                confidence=confidence,
                country=country,
                description=desc,
                origin="csv",
                external_id=public_id,
                # Every sample event is a strike on an energy site (the views count only those).
                target_category="energy",
                target_basis="facility_type column",
            )
            for key in source_keys:
                role = "imagery" if sources[key].source_type == "imagery" else "report"
                event.source_links.append(EventSource(source=sources[key], role=role))
            session.add(event)


#: What the views must return for the sample data (checked on both backends).
EXPECTED_BEST_SOURCE = {
    "SDB-T01": "https://lenobl.ru/news/kirishi",  # official beats earlier media and social posts
    "SDB-T03": "https://maxar.example/ryazan",  # imagery beats the earlier BBC article
    "SDB-T07": "https://kyivindependent.com/burshtyn",
    "SDB-T02": None,
}
