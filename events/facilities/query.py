"""Listing and showing stored facilities (``strikedb facilities list`` / ``show``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, func, select

from events.errors import NotFoundError
from events.models import aliases_t, events_t, external_t, facilities_t, line_links_t, stations_t


def line_stations(conn: Connection, facility_id: int) -> list[dict[str, Any]]:
    """Return the stations of a line facility in order (name, latitude, longitude, km_from_start)."""
    query = (
        select(stations_t.c.name, stations_t.c.latitude, stations_t.c.longitude, stations_t.c.km_from_start)
        .where(stations_t.c.facility_id == facility_id)
        .order_by(stations_t.c.position)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def list_facilities(conn: Connection, *, facility_type: str | None = None, country: str | None = None) -> list[dict]:
    """Return stored facilities (with their event counts), ordered by country and name."""
    # Events linked to the facility, or lying on it when it is a line (event_line_links), each once.
    linked = (
        select(events_t.c.facility_id, events_t.c.id.label("event_id"))
        .where(events_t.c.facility_id.is_not(None))
        .union(select(line_links_t.c.facility_id, line_links_t.c.event_id))
        .subquery()
    )
    counts = select(linked.c.facility_id, func.count().label("events")).group_by(linked.c.facility_id).subquery()
    query = (
        select(facilities_t, func.coalesce(counts.c.events, 0).label("events"))
        .outerjoin(counts, counts.c.facility_id == facilities_t.c.id)
        .order_by(facilities_t.c.country, facilities_t.c.name)
    )
    if facility_type:
        query = query.where(facilities_t.c.facility_type == facility_type)
    if country:
        query = query.where(facilities_t.c.country == country.upper())
    return [dict(row) for row in conn.execute(query).mappings()]


def get_facility(conn: Connection, slug: str) -> dict[str, Any]:
    """Return one facility with its aliases, external ids and linked events.

    Raises
    ------
    NotFoundError
        When no facility has this slug (or external id ``scheme:value``).
    """
    row = conn.execute(select(facilities_t).where(facilities_t.c.slug == slug)).mappings().first()
    if row is None and ":" in slug:
        scheme, _, value = slug.partition(":")
        found = conn.execute(
            select(external_t.c.facility_id).where(external_t.c.scheme == scheme, external_t.c.value == value)
        ).scalar()
        if found is not None:
            row = conn.execute(select(facilities_t).where(facilities_t.c.id == found)).mappings().first()
    if row is None:
        raise NotFoundError(f"no facility {slug!r}", hint="list them with `strikedb facilities list`")
    facility = dict(row)
    facility["aliases"] = [
        dict(r) for r in conn.execute(
            select(aliases_t.c.alias, aliases_t.c.language).where(aliases_t.c.facility_id == row["id"])
            .order_by(aliases_t.c.id)
        ).mappings()
    ]  # fmt: skip
    facility["external_ids"] = [
        f"{s}:{v}" for s, v in conn.execute(
            select(external_t.c.scheme, external_t.c.value).where(external_t.c.facility_id == row["id"])
            .order_by(external_t.c.id)
        )
    ]  # fmt: skip
    facility["events"] = [
        dict(r) for r in conn.execute(
            select(events_t.c.public_id, events_t.c.event_date, events_t.c.effect, events_t.c.confidence,
                   events_t.c.facility_match, events_t.c.facility_distance_km)
            .where(events_t.c.facility_id == row["id"]).order_by(events_t.c.event_date)
        ).mappings()
    ]  # fmt: skip
    facility["stations"] = line_stations(conn, row["id"])
    # Strikes on a line (events.rail): position along it and the nearest station.
    facility["line_events"] = [
        dict(r) for r in conn.execute(
            select(events_t.c.public_id, events_t.c.event_date, line_links_t.c.distance_km, line_links_t.c.along_km,
                   line_links_t.c.nearest_station, line_links_t.c.station_km)
            .join(line_links_t, line_links_t.c.event_id == events_t.c.id)
            .where(line_links_t.c.facility_id == row["id"]).order_by(line_links_t.c.along_km)
        ).mappings()
    ]  # fmt: skip
    return facility


__all__ = ["get_facility", "line_stations", "list_facilities"]
