"""Strikes on rail lines: link events whose text says rail to the rail line they lie on.

Rule (documented in ``docs/rail.md``): an event is linked to a rail line when

1. its reported facility type is ``rail_line``/``rail_junction`` (as stated, not copied from a proximity
   link) **or** its text (description, reported
   facility name, location) says rail in English, Russian or Ukrainian (:func:`says_rail`), **and**
2. its point lies within :data:`RAIL_LINK_MAX_KM` of the line's geometry (the nearest line wins).

An event already linked to a rail line by its name is measured on that line whatever the distance.
Each link is one ``event_line_links`` row: the distance to the line, the distance along it from its
first station, and the nearest station (by distance along the line). The event's own facility link
(``events.facility_id``) is set to the line only when the event has none or only a proximity link
(``nearest``/``rail``) and that link is not to a rail junction, yard or bridge (more precise than
the line): a link by name or by hand is never replaced.

The text test is the shared evidence vocabulary's (:func:`events.evidence.says_rail`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Connection, Engine, bindparam, delete, insert, select, update

from events import evidence, lines
from events.counters import counters
from events.models import Event, EventLineLink, EventRevision, Facility, LineStation, utcnow

#: Events farther than this from a rail line (km) are not linked to it. The bundled lines are straight
#: segments between stations (scripts/build_rail.py), which lie up to a few km off the real track.
RAIL_LINK_MAX_KM = 5.0
#: Facility types whose geometry is a rail line, and the types that say "rail" by themselves.
RAIL_LINE_TYPES = ("rail_line",)
RAIL_TYPES = ("rail_line", "rail_junction")
#: ``facility_match`` values a rail link may replace (proximity links); name and manual links stay.
REPLACEABLE_MATCHES = (None, "nearest", "rail")


def says_rail(*texts: str | None) -> bool:
    """Tell whether any of the texts says rail (railway, train, locomotive, ... in en/ru/uk).

    The shared evidence vocabulary (:func:`events.evidence.says_rail`) decides.

    Parameters
    ----------
    *texts : str or None
        Description, reported facility name, location text...

    Returns
    -------
    bool
    """
    return evidence.says_rail(*texts)


@dataclass
class _Line:
    id: int
    slug: str
    parts: list[list[tuple[float, float]]]
    stations: list[tuple[str, float]]  # (name, km from start)


@dataclass
class RailLinkReport(counters("examined", "rail_events", "linked", "too_far", "facility_set")):
    """What :func:`link_rail_events` did.

    Attributes
    ----------
    examined : int
        Events looked at.
    rail_events : int
        Events whose text or type says rail.
    linked : int
        Rail events linked to a line.
    too_far : int
        Rail events farther than :data:`RAIL_LINK_MAX_KM` from every line.
    facility_set : int
        Events whose own facility link was set to the line.
    """


def _load_lines(conn: Connection) -> list[_Line]:
    facilities = conn.execute(
        select(Facility.id, Facility.slug, Facility.geometry_wkt).where(
            Facility.facility_type.in_(RAIL_LINE_TYPES), Facility.geometry_wkt.is_not(None)
        )
    ).all()
    stations: dict[int, list[tuple[str, float]]] = {}
    for facility_id, name, km in conn.execute(
        select(LineStation.facility_id, LineStation.name, LineStation.km_from_start).order_by(
            LineStation.facility_id, LineStation.position
        )
    ):
        stations.setdefault(facility_id, []).append((name, km))
    out = []
    for facility_id, slug, wkt in facilities:
        parts = lines.line_parts(wkt)
        if parts:
            out.append(_Line(facility_id, slug, parts, stations.get(facility_id, [])))
    return out


def _nearest_station(line: _Line, along_km: float) -> tuple[str | None, float | None]:
    if not line.stations:
        return None, None
    name, km = min(line.stations, key=lambda s: abs(s[1] - along_km))
    return name, round(abs(km - along_km), 3)


def _position(line: _Line, lat: float, lon: float) -> lines.LinePosition | None:
    # Cheap bounding-box rejection before measuring every segment.
    margin_deg = RAIL_LINK_MAX_KM / 60.0
    xs = [x for part in line.parts for x, _ in part]
    ys = [y for part in line.parts for _, y in part]
    if not (
        min(ys) - margin_deg <= lat <= max(ys) + margin_deg
        and min(xs) - 2 * margin_deg <= lon <= max(xs) + 2 * margin_deg
    ):
        return None
    return lines.locate(line.parts, lat, lon)


def link_rail_events(
    conn: Connection, *, run_id: int | None = None, event_ids: Iterable[int] | None = None,
    max_km: float = RAIL_LINK_MAX_KM,
) -> RailLinkReport:  # fmt: skip
    """Link rail events to the rail line they lie on (see the module docstring); the caller commits.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        In a transaction.
    run_id : int, optional
        Only the events of this ingest run.
    event_ids : iterable of int, optional
        Only these events. Without ``run_id`` and ``event_ids``, every event.
    max_km : float
        Largest distance from the line.

    Returns
    -------
    RailLinkReport
    """
    report = RailLinkReport()
    rail_lines = _load_lines(conn)
    # A link to a junction, yard or bridge is more precise than one to the line: it stays.
    junctions = set(conn.execute(select(Facility.id).where(Facility.facility_type == "rail_junction")).scalars())
    line_ids = {line.id: line for line in rail_lines}
    query = select(
        Event.id, Event.public_id, Event.latitude, Event.longitude, Event.facility_type, Event.facility_name_reported,
        Event.location_text, Event.description, Event.facility_id, Event.facility_match, Event.facility_distance_km,
        Event.link_evidence,
    ).order_by(Event.id)  # fmt: skip
    if run_id is not None:
        query = query.where(Event.ingest_run_id == run_id)
    if event_ids is not None:
        query = query.where(Event.id.in_(list(event_ids)))
    links, facility_updates, revisions, unlink = [], [], [], []
    for event in conn.execute(query).mappings():
        report.examined += 1
        chosen = _choose(event, rail_lines, line_ids, max_km, report)
        unlink.append(event["id"])
        if chosen is None:
            if event["facility_match"] == "rail":  # a rail link that no longer holds
                _unset(event, facility_updates, revisions, f"no rail line within {max_km} km")
            continue
        line, where, method = chosen
        station, station_km = _nearest_station(line, where.along_km)
        links.append({
            "event_id": event["id"], "facility_id": line.id, "distance_km": round(where.distance_km, 3),
            "along_km": round(where.along_km, 3), "nearest_station": station, "station_km": station_km,
            "method": method, "created_at": utcnow(),
        })  # fmt: skip
        report.linked += 1
        new = {
            "facility_id": line.id, "facility_match": "rail", "facility_distance_km": round(where.distance_km, 3),
            "link_evidence": _rail_evidence(event, where, max_km),
        }  # fmt: skip
        if event["facility_id"] == line.id:
            new["facility_match"] = event["facility_match"]
            new["link_evidence"] = event["link_evidence"]  # the link by name and its evidence stay
        old = {k: event[k] for k in _LINK_COLUMNS}
        settable = (event["facility_match"] in REPLACEABLE_MATCHES and event["facility_id"] not in junctions) or event[
            "facility_id"
        ] == line.id
        if settable and old != new:
            facility_updates.append({"b_id": event["id"], **new, "updated_at": utcnow()})
            revisions.append({
                "event_id": event["id"], "event_public_id": event["public_id"], "action": "update",
                "changed_at": utcnow(), "changed_by": "rail link", "previous": old, "changes": new,
                "reason": f"rail event within {max_km} km of {line.slug}",
            })  # fmt: skip
            report.facility_set += 1
    _write(conn, unlink, links, facility_updates, revisions)
    return report


#: The event columns a rail link writes (the link and its evidence, as events.linking records them).
_LINK_COLUMNS = ("facility_id", "facility_match", "facility_distance_km", "link_evidence")


def _rail_evidence(event: Any, where: lines.LinePosition, max_km: float) -> dict[str, Any]:
    """Why the event is linked to the line, in the shape of events.linking's ``link_evidence``."""
    said = evidence.site_types_in_text(event["description"], event["facility_name_reported"], event["location_text"])
    words = [w for ftype in RAIL_TYPES for w in said.get(ftype, [])]
    found: dict[str, Any] = {
        "method": "rail",
        "rule": f"the text says rail and the point is within {max_km:g} km of the line",
        "distance_km": round(where.distance_km, 3),
    }
    if words:
        found["words"] = list(dict.fromkeys(words))[:10]
    return found


def _unset(event: Any, facility_updates: list[dict], revisions: list[dict], reason: str) -> None:
    new = {"facility_id": None, "facility_match": None, "facility_distance_km": None, "link_evidence": None}
    old = {k: event[k] for k in new}
    facility_updates.append({"b_id": event["id"], **new, "updated_at": utcnow()})
    revisions.append({
        "event_id": event["id"], "event_public_id": event["public_id"], "action": "update", "changed_at": utcnow(),
        "changed_by": "rail link", "previous": old, "changes": new, "reason": reason,
    })  # fmt: skip


def _choose(
    event: Any, rail_lines: list[_Line], line_ids: dict[int, _Line], max_km: float, report: RailLinkReport
) -> tuple[_Line, lines.LinePosition, str] | None:
    """The line an event lies on, its position and the reason (``named`` or ``rail_text``), or None."""
    named = line_ids.get(event["facility_id"]) if event["facility_match"] not in REPLACEABLE_MATCHES else None
    if named is not None:
        where = lines.locate(named.parts, event["latitude"], event["longitude"])
        return (named, where, "named") if where else None
    # A type inferred from a proximity link (ingest copies the nearest facility's type) is no evidence.
    stated_rail_type = event["facility_type"] in RAIL_TYPES and event["facility_match"] not in ("nearest", "rail")
    if not (
        stated_rail_type or says_rail(event["description"], event["facility_name_reported"], event["location_text"])
    ):
        return None
    report.rail_events += 1
    best: tuple[_Line, lines.LinePosition] | None = None
    for line in rail_lines:
        where = _position(line, event["latitude"], event["longitude"])
        if (
            where is not None
            and where.distance_km <= max_km
            and (best is None or where.distance_km < best[1].distance_km)
        ):
            best = (line, where)
    if best is None:
        report.too_far += 1
        return None
    return best[0], best[1], "rail_text"


def _write(
    conn: Connection, unlink: list[int], links: list[dict], facility_updates: list[dict], revisions: list[dict]
) -> None:
    for start in range(0, len(unlink), 500):
        conn.execute(delete(EventLineLink).where(EventLineLink.event_id.in_(unlink[start : start + 500])))
    if links:
        conn.execute(insert(EventLineLink), links)
    if facility_updates:
        statement = (
            update(Event.__table__)
            .where(Event.__table__.c.id == bindparam("b_id"))
            .values(
                facility_id=bindparam("facility_id"),
                facility_match=bindparam("facility_match"),
                facility_distance_km=bindparam("facility_distance_km"),
                link_evidence=bindparam("link_evidence"),
                updated_at=bindparam("updated_at"),
            )
        )
        conn.execute(statement, facility_updates)
        conn.execute(insert(EventRevision), revisions)


def select_geometries(
    engine: Engine, *, countries: Sequence[str] = (), facility_types: Sequence[str] = ()
) -> pd.DataFrame:
    """Return the facilities that have a line or polygon geometry, with strike counts and stations.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    countries, facility_types : sequence of str
        The filters of :func:`events.selection.select_facilities`.

    Returns
    -------
    pandas.DataFrame
        ``facility_id``, ``slug``, ``name``, ``facility_type``, ``country``, ``geometry_wkt``,
        ``strikes`` (events linked to the facility or lying on the line) and ``stations`` (names in order).
    """
    query = select(
        Facility.id, Facility.slug, Facility.name, Facility.facility_type, Facility.country, Facility.geometry_wkt
    ).where(Facility.geometry_wkt.is_not(None))  # fmt: skip
    if countries:
        query = query.where(Facility.country.in_([c.upper() for c in countries]))
    if facility_types:
        query = query.where(Facility.facility_type.in_(list(facility_types)))
    with engine.connect() as conn:
        rows = conn.execute(query.order_by(Facility.name, Facility.id)).all()
        hits: dict[int, set[int]] = {}
        for facility_id, event_id in (
            conn.execute(select(Event.facility_id, Event.id).where(Event.facility_id.is_not(None))).all()
            + conn.execute(select(EventLineLink.facility_id, EventLineLink.event_id)).all()
        ):
            hits.setdefault(facility_id, set()).add(event_id)
        stations: dict[int, list[str]] = {}
        for facility_id, name in conn.execute(
            select(LineStation.facility_id, LineStation.name).order_by(LineStation.facility_id, LineStation.position)
        ):
            stations.setdefault(facility_id, []).append(name)
    columns = ["facility_id", "slug", "name", "facility_type", "country", "geometry_wkt"]
    frame = pd.DataFrame([tuple(r) for r in rows], columns=columns)
    frame["strikes"] = [len(hits.get(i, ())) for i in frame["facility_id"]]
    frame["stations"] = [stations.get(i, []) for i in frame["facility_id"]]
    return frame


__all__ = ["RAIL_LINK_MAX_KM", "RailLinkReport", "link_rail_events", "says_rail", "select_geometries"]
