"""Helpers for the ingest tests: generated report files, a few facilities and what the loader stored."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select

from events.models import Event, EventRevision, EventSource, Facility, FacilityAlias, IngestRun, RejectedRow, Source
from tests.helpers import count_rows, write_csv

#: Facilities with real-world coordinates (approximate site centres).
FACILITIES = [
    # slug, name, type, country, admin1, lat, lon
    ("ru-ryazan", "Ryazan refinery", "refinery", "RU", "Ryazan Oblast", 54.5725, 39.7482),
    ("ru-kirishi-kinef", "KINEF Kirishi refinery", "refinery", "RU", "Leningrad Oblast", 59.4836, 32.0708),
    ("ru-volgograd", "Volgograd refinery", "refinery", "RU", "Volgograd Oblast", 48.4892, 44.6272),
    ("ua-burshtyn-tpp", "Burshtyn TPP", "power_plant", "UA", "Ivano-Frankivsk Oblast", 49.2083, 24.6489),
]
ALIASES = [("ru-ryazan", "Рязанский НПЗ", "ru"), ("ru-kirishi-kinef", "Киришский НПЗ", "ru")]


def add_facilities(engine: Engine) -> dict[str, int]:
    """Insert :data:`FACILITIES` and :data:`ALIASES`; return slug -> id."""
    ids: dict[str, int] = {}
    with engine.begin() as conn:
        for slug, name, ftype, country, admin1, lat, lon in FACILITIES:
            ids[slug] = conn.execute(
                insert(Facility.__table__).returning(Facility.__table__.c.id),
                {
                    "slug": slug,
                    "name": name,
                    "facility_type": ftype,
                    "country": country,
                    "admin1": admin1,
                    "latitude": lat,
                    "longitude": lon,
                },
            ).scalar_one()
        for slug, alias, language in ALIASES:
            conn.execute(
                insert(FacilityAlias.__table__), {"facility_id": ids[slug], "alias": alias, "language": language}
            )
    return ids


def write_grid_csv(
    path: Path,
    n_rows: int,
    *,
    tag: str,
    days: int,
    latitude: float,
    longitude: float,
    columns: int,
    attack_type: str = "drone",
    description: str = "{tag} row {i}",
) -> Path:
    """Write ``n_rows`` valid reports that never deduplicate, with identifiers ``<tag>-<i>``.

    Row ``i`` is dated ``2024-01-01 + i % days`` and placed on a grid: latitude rows 0.1 degree
    (11 km) apart, ``columns`` longitudes 0.2 degree apart, so no two rows of one date are within
    the dedup radius. Each row has its own source URL ``https://example.org/<tag as path>/<i>``.
    """
    start = dt.date(2024, 1, 1)
    url_base = "https://example.org/" + tag.replace("-", "/")
    header = ["event_id", "date", "latitude", "longitude", "attack_type", "description", "source_url"]
    rows = (
        [
            f"{tag}-{i}",
            (start + dt.timedelta(days=i % days)).isoformat(),
            f"{latitude + (i // days) * 0.1:.4f}",
            f"{longitude + (i % columns) * 0.2:.4f}",
            attack_type,
            description.format(tag=tag, i=i),
            f"{url_base}/{i}",
        ]
        for i in range(n_rows)
    )
    return write_csv(path, rows, header)


def counts(engine: Engine) -> dict[str, int]:
    """Row counts of the tables the loader writes."""
    tables = (Event, Source, EventSource, EventRevision, IngestRun, RejectedRow)
    return {m.__tablename__: count_rows(engine, m) for m in tables}


def events_by(engine: Engine, column: str = "public_id") -> dict[Any, dict[str, Any]]:
    """All events as dicts keyed by a column."""
    with engine.connect() as conn:
        rows = conn.execute(select(Event.__table__)).mappings()
        return {r[column]: dict(r) for r in rows}


def sources_of(engine: Engine, event_id: int) -> list[str]:
    """Sorted URLs (or publisher names) of an event's sources."""
    s, es = Source.__table__, EventSource.__table__
    with engine.connect() as conn:
        rows = conn.execute(
            select(s.c.url, s.c.publisher).join(es, es.c.source_id == s.c.id).where(es.c.event_id == event_id)
        )
        return sorted(url or publisher for url, publisher in rows)


RYAZAN_ROW = {
    "date": "2025-08-02",
    "latitude": "54.5725",
    "longitude": "39.7482",
    "facility": "Ryazan refinery",
    "country": "RU",
    "attack_type": "drone",
    "effect": "fire",
    "description": "Fire at the refinery after a drone attack",
    "claim_status": "reported",
    "source_reliability": "B",
    "info_credibility": "3",
    "source_url": "https://www.reuters.com/business/energy/",
    "publisher": "Reuters",
}


def add_bundled_facilities(engine: Engine) -> int:
    """Import the bundled facility list with its aliases (``strikedb facilities import --bundled``)."""
    from events.facilities import import_bundled

    import_bundled(engine)
    return count_rows(engine, Facility)
