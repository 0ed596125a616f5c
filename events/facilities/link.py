"""Linking stored events to facilities again (``strikedb facilities match``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, insert, select, text, update

from events import geo, rail
from events.counters import counters
from events.evidence import decide_category
from events.linking import Link, decide_link, named_link_evidence, report_texts
from events.models import events_t, facilities_t, links_t, revisions_t, sources_t, utcnow
from events.readers.inputs import check_finite
from events.runs import INGEST_LOCK_KEY


@dataclass
class MatchReport(
    counters("examined", "linked", "relinked", "unlinked", "unchanged", "manual_kept", "rail_linked", "recategorised")
):
    """What :func:`match_events` changed (or, with ``dry_run``, would change).

    Attributes
    ----------
    examined, linked, relinked, unlinked, unchanged, manual_kept : int
        Events examined, and by outcome (``manual_kept``: links made by hand, left alone).
    rail_linked : int
        Events linked to a rail line (distance, position along it, nearest station) by events.rail.
    recategorised : int
        Category changes of events whose link stayed the same.
    """

    #: One dict per changed event: ``public_id``, ``before`` and ``after`` (facility slug, match,
    #: distance, target_category) and ``why`` (the new link's rule, or why there is none).
    changes: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


_LINK_COLUMNS = ("facility_id", "facility_match", "facility_distance_km", "link_evidence", "target_category",
                 "target_basis")  # fmt: skip


def match_events(engine: Engine, *, radius_km: float = geo.DEFAULT_RADIUS_KM, dry_run: bool = False) -> MatchReport:
    """Link every event to a facility again, e.g. after new facilities were imported.

    The rule is the ingest's (:mod:`events.linking`): the facility the event's reported name
    matches (exact, alias or fuzzy) within :data:`events.linking.NAME_RADIUS_KM` of its point;
    else, for a site-precise point, the nearest facility within ``radius_km`` of a type its text
    or stated type names. ``target_category`` is decided again with it. Links made by hand
    (``facility_match = "manual"``) are kept. Each changed event gets an ``event_revisions`` row
    (action ``update``, changed_by ``facilities match``). One transaction, which on PostgreSQL holds
    the ingest's advisory lock (one writer of events at a time, as for an ingest batch); with
    ``dry_run`` it is rolled back and the report lists what would change.

    Returns
    -------
    MatchReport
    """
    check_finite(radius_km, "--radius-km")
    report = MatchReport(dry_run=dry_run)
    with engine.connect() as conn:
        _serialise_writers(conn)
        geocoder = geo.Geocoder(conn, radius_km=radius_km)
        slugs = dict(conn.execute(select(facilities_t.c.id, facilities_t.c.slug)).all())
        titles: dict[int, list[str]] = {}
        title_rows = conn.execute(
            select(links_t.c.event_id, sources_t.c.title)
            .join(sources_t, sources_t.c.id == links_t.c.source_id)
            .where(sources_t.c.title.is_not(None))
        )
        for event_id, title in title_rows:
            titles.setdefault(event_id, []).append(title)
        columns = [
            events_t.c.id, events_t.c.public_id, events_t.c.latitude, events_t.c.longitude, events_t.c.country,
            events_t.c.facility_type, events_t.c.facility_name_reported, events_t.c.facility_id,
            events_t.c.facility_match, events_t.c.facility_distance_km, events_t.c.geo_precision,
            events_t.c.geocoded_by, events_t.c.description, events_t.c.extra, events_t.c.link_evidence,
            events_t.c.target_category, events_t.c.target_basis, events_t.c.location_text,
        ]  # fmt: skip
        updates, revisions = [], []
        for event in conn.execute(select(*columns).order_by(events_t.c.id)).mappings():
            report.examined += 1
            if event["facility_match"] == "manual":
                report.manual_kept += 1
                continue
            if event["facility_match"] == "rail":
                report.unchanged += 1
                continue  # re-examined by rail.link_rail_events below
            new = _link_for(geocoder, event, radius_km, titles.get(event["id"], []))
            old = {k: event[k] for k in _LINK_COLUMNS}
            if _same_link(old, new):
                if old["target_category"] == new["target_category"]:
                    report.unchanged += 1
                    continue
                report.recategorised += 1
            elif new["facility_id"] is None:
                report.unlinked += 1
            elif old["facility_id"] is None:
                report.linked += 1
            else:
                report.relinked += 1
            report.changes.append(_change(event["public_id"], old, new, slugs))
            updates.append({"b_id": event["id"], **new, "updated_at": utcnow()})
            revisions.append(
                {
                    "event_id": event["id"],
                    "event_public_id": event["public_id"],
                    "action": "update",
                    "changed_at": utcnow(),
                    "changed_by": "facilities match",
                    "previous": old,
                    "changes": new,
                    "reason": f"facility matching (radius {radius_km} km)",
                }
            )
        if updates and not dry_run:
            statement = (
                update(events_t)
                .where(events_t.c.id == bindparam("b_id"))
                .values(**{c: bindparam(c) for c in _LINK_COLUMNS}, updated_at=bindparam("updated_at"))
            )
            conn.execute(statement, updates)
            conn.execute(insert(revisions_t), revisions)
        rail_report = rail.link_rail_events(conn)
        report.rail_linked = rail_report.linked
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    return report


def _serialise_writers(conn: Connection) -> None:
    """Queue behind (or ahead of) any ingest batch or event operation before reading the events.

    SQLite's ``BEGIN IMMEDIATE`` (see :mod:`events.db`) already gives one writer at a time. On
    PostgreSQL an ingest batch holds the transaction-scoped advisory lock
    :data:`events.runs.INGEST_LOCK_KEY` while it looks up events and links sources to them, and
    the event operations take it too (issue 16); matching takes it for its whole transaction, so a
    concurrent ingest and a match run one after the other and each sees the other's result.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})


def _change(public_id: str, old: dict[str, Any], new: dict[str, Any], slugs: dict[int, str]) -> dict[str, Any]:
    def side(values: dict[str, Any]) -> dict[str, Any]:
        return {
            "facility": slugs.get(values["facility_id"]) if values["facility_id"] is not None else None,
            "match": values["facility_match"],
            "distance_km": values["facility_distance_km"],
            "target_category": values["target_category"],
        }

    evidence = new["link_evidence"] or {}
    why = evidence.get("warning") or evidence.get("rule") or "not linked: no name match and no words naming a site near"
    why += f"; category {new['target_category']} ({new['target_basis']})"
    return {"public_id": public_id, "before": side(old), "after": side(new), "why": why}


def _link_for(geocoder: geo.Geocoder, event: Any, radius_km: float, titles: list[str]) -> dict[str, Any]:
    basis = event["target_basis"] or ""
    # The stored facility_type was copied from the linked facility unless the row stated it.
    # (events loaded before target_basis existed have none: unlinked ones can only have stated it).
    stated_it = "facility_type column" in basis or (not basis and event["facility_id"] is None)
    stated = event["facility_type"] if stated_it else None
    texts = report_texts(
        event["facility_name_reported"], event["description"], titles, event["extra"], event["location_text"]
    )
    if event["geocoded_by"] in ("facility", "facility_alias", "facility_fuzzy") and event["facility_name_reported"]:
        # The point itself came from the named facility: keep matching by name, at distance 0.
        match = geocoder.match_facility_name(
            event["facility_name_reported"], country=event["country"], facility_type=stated
        )
        if match is not None:
            link = Link(match, match.method, 0.0, named_link_evidence(match.method, match.score))
        else:
            link = Link(None, None, None, None)
    else:
        link = decide_link(
            geocoder,
            latitude=event["latitude"],
            longitude=event["longitude"],
            geo_precision=event["geo_precision"],
            geocoded_by=event["geocoded_by"],
            facility_name=event["facility_name_reported"],
            facility_type=stated,
            country=event["country"],
            texts=texts,
            radius_km=radius_km,
            location_text=event["location_text"],
        )
    new = link.columns()
    category = decide_category(
        linked_type=link.facility.facility_type if link.facility is not None else None,
        linked_slug=link.facility.slug if link.facility is not None else None,
        stated_type=stated,
        texts=texts,
    )
    new["target_category"] = category.category
    new["target_basis"] = category.basis[:300]
    return new


def _same_link(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if old["facility_id"] != new["facility_id"] or old["facility_match"] != new["facility_match"]:
        return False
    a, b = old["facility_distance_km"], new["facility_distance_km"]
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-3)


__all__ = ["MatchReport", "match_events"]
