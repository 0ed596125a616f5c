"""Analyst operations on stored events: show, list, update, delete, merge, split, history.

Every change writes an ``event_revisions`` row holding the previous values, so the dataset is
auditable and a wrong merge or delete can be traced (``strikedb events history ID``). Each
operation runs in one transaction.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from events import dedup, grading, vocab
from events.confidence import confidence_level
from events.errors import NotFoundError, ValidationError
from events.models import events_t, facilities_t, links_t, sources_t, utcnow
from events.publishers import load_registry
from events.records import RowProblem
from events.revisions import (
    META_KEY,
    peek_meta,
    regrade,
    revision_writer,
    revisions_t,
    split_reports,
    with_reports,
    without_merged_reports,
    write_changes,
)
from events.runs import INGEST_LOCK_KEY, runs_t

#: Columns an analyst may change with :func:`update_event`, with their vocabularies.
EDITABLE: dict[str, tuple[Any, ...] | None] = {
    "event_date": None,
    "date_precision": vocab.DATE_PRECISIONS,
    "latitude": None,
    "longitude": None,
    "geo_precision": vocab.GEO_PRECISIONS,
    "location_text": None,
    "facility_id": None,
    "facility_type": vocab.FACILITY_TYPES,
    "attack_type": vocab.ATTACK_TYPES,
    "effect": vocab.EFFECTS,
    "damage_level": vocab.DAMAGE_LEVELS,
    "description": None,
    "country": None,
    "admin1": None,
    "claim_status": vocab.CLAIM_STATUSES,
    "source_reliability": vocab.SOURCE_RELIABILITIES,
    "info_credibility": vocab.INFO_CREDIBILITIES,
}
_NOT_NULL = {"event_date", "date_precision", "latitude", "longitude", "geo_precision", "attack_type", "claim_status"}


def _serialise_writers(conn: Connection) -> None:
    """Queue behind (or ahead of) any ingest batch before changing events.

    SQLite's ``BEGIN IMMEDIATE`` (see :mod:`events.db`) already gives one writer at a time. On
    PostgreSQL an ingest batch looks up candidate events and then links sources to them in one
    transaction; an event deleted, merged or split between the two made the batch fail with a
    foreign-key violation. The batch holds the transaction-scoped advisory lock
    :data:`events.runs.INGEST_LOCK_KEY`; taking it here makes every event operation wait for
    the batch in progress (and the next batch wait for it), so each sees the other's result.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})


def _load(conn: Connection, public_id: str) -> dict[str, Any]:
    row = conn.execute(select(events_t).where(events_t.c.public_id == public_id.strip().upper())).mappings().first()
    if row is None:
        raise NotFoundError(
            f"no event {public_id!r}", hint="`strikedb events list` shows the public ids (SDB-...) of stored events"
        )
    return dict(row)


def _event_sources(conn: Connection, event_id: int) -> list[dict[str, Any]]:
    stmt = (
        select(sources_t, links_t.c.role)
        .join(links_t, links_t.c.source_id == sources_t.c.id)
        .where(links_t.c.event_id == event_id)
        .order_by(sources_t.c.id)
    )
    return [dict(r) for r in conn.execute(stmt).mappings()]


def _publishers(conn: Connection, event_id: int) -> list[tuple[str | None, str | None, str]]:
    return [(s["url"], s["publisher"], s["role"]) for s in _event_sources(conn, event_id)]


def get_event(engine: Engine, public_id: str) -> dict[str, Any]:
    """Return an event's columns with its ``sources`` (list of dicts).

    Raises
    ------
    NotFoundError
    """
    with engine.connect() as conn:
        event = _load(conn, public_id)
        event["sources"] = _event_sources(conn, event["id"])
        return event


def list_events(
    engine: Engine,
    *,
    limit: int = 50,
    since: dt.date | None = None,
    until: dt.date | None = None,
    country: str | None = None,
    min_confidence: str | None = None,
) -> list[dict[str, Any]]:
    """Return events, newest first, with their number of sources.

    Parameters
    ----------
    limit : int
    since, until : datetime.date, optional
        Inclusive date range.
    country : str, optional
        ISO alpha-2.
    min_confidence : str, optional
        Weakest confidence level to include.
    """
    n_sources = select(func.count()).select_from(links_t).where(links_t.c.event_id == events_t.c.id).scalar_subquery()
    stmt = select(
        events_t.c.public_id,
        events_t.c.event_date,
        events_t.c.facility_name_reported,
        events_t.c.location_text,
        events_t.c.country,
        events_t.c.attack_type,
        events_t.c.claim_status,
        events_t.c.confidence,
        n_sources.label("sources"),
    )
    if since:
        stmt = stmt.where(events_t.c.event_date >= since)
    if until:
        stmt = stmt.where(events_t.c.event_date <= until)
    if country:
        stmt = stmt.where(events_t.c.country == country.upper())
    if min_confidence:
        stmt = stmt.where(events_t.c.confidence.in_(vocab.levels_at_or_above(min_confidence)))
    stmt = stmt.order_by(events_t.c.event_date.desc(), events_t.c.id.desc()).limit(limit)
    with engine.connect() as conn:
        return [dict(r) for r in conn.execute(stmt).mappings()]


def history(engine: Engine, public_id: str) -> list[dict[str, Any]]:
    """Return the revisions of an event (also of a deleted one), oldest first.

    Raises
    ------
    NotFoundError
        When the id has neither an event nor any revision.
    """
    pid = public_id.strip().upper()
    with engine.connect() as conn:
        rows = conn.execute(
            select(revisions_t).where(revisions_t.c.event_public_id == pid).order_by(revisions_t.c.id)
        ).mappings()
        revisions = [dict(r) for r in rows]
        if not revisions:
            _load(conn, pid)  # raises NotFoundError for an unknown id
        return revisions


def _check_changes(public_id: str, changes: dict[str, Any]) -> None:
    problems = []
    for column, value in changes.items():
        if column not in EDITABLE:
            reason = f"cannot be edited; editable: {', '.join(EDITABLE)}"
            problems.append(RowProblem(public_id, 0, column, str(value), reason))
            continue
        allowed = EDITABLE[column]
        if value is None and column in _NOT_NULL:
            problems.append(RowProblem(public_id, 0, column, None, "cannot be empty"))
        elif value is not None and allowed is not None and value not in allowed:
            reason = f"must be one of {', '.join(map(str, allowed))}"
            problems.append(RowProblem(public_id, 0, column, str(value), reason))
    lat, lon = changes.get("latitude"), changes.get("longitude")
    if lat is not None and not -90 <= lat <= 90:
        problems.append(RowProblem(public_id, 0, "latitude", str(lat), "must be between -90 and 90"))
    if lon is not None and not -180 <= lon <= 180:
        problems.append(RowProblem(public_id, 0, "longitude", str(lon), "must be between -180 and 180"))
    if problems:
        raise ValidationError("; ".join(f"{p.column}: {p.reason}" for p in problems), problems)


def update_event(
    engine: Engine, public_id: str, changes: dict[str, Any], *, user: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Change columns of an event, recompute its confidence, and record an ``update`` revision.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    public_id : str
    changes : dict
        Column -> new value; only :data:`EDITABLE` columns, checked against the vocabularies.
    user, reason : str, optional
        Recorded on the revision.

    Returns
    -------
    dict
        The changed columns with their new values (empty when nothing changed).

    Raises
    ------
    NotFoundError, ValidationError
    """
    _check_changes(public_id, changes)
    with engine.begin() as conn:
        _serialise_writers(conn)
        before = _load(conn, public_id)
        after = copy.deepcopy(before)
        after.update(changes)
        if "info_credibility" in changes:
            # The analyst's grade becomes the base that corroboration starts from.
            meta = peek_meta(after)
            if meta:
                meta["base_credibility"] = changes["info_credibility"]
        meta = peek_meta(after)
        if grading.STATED_KEY in meta:
            # An analyst's grades win over the evidence and over what the files state.
            analyst = meta.setdefault(grading.ANALYST_KEY, {})
            analyst.update({c: changes[c] for c in grading.GRADED_COLUMNS if c in changes})
        sources = _publishers(conn, before["id"])
        regrade(after, sources, load_registry(conn))
        if "info_credibility" in changes and after["info_credibility"] != changes["info_credibility"]:
            after["info_credibility"] = changes["info_credibility"]
            after["confidence"] = confidence_level(
                after["claim_status"], after["source_reliability"], after["info_credibility"], sourced=bool(sources)
            )
        shown = write_changes(conn, before, after)
        if shown:
            revise = revision_writer(conn, user=user, reason=reason)
            revise(before, "update", {c: before[c] for c in shown}, shown)
        return shown


def delete_event(engine: Engine, public_id: str, *, user: str | None = None, reason: str | None = None) -> None:
    """Delete an event and record a ``delete`` revision with all its previous values and sources.

    A later re-import of the file it came from does not bring it back.

    Raises
    ------
    NotFoundError
    """
    with engine.begin() as conn:
        _serialise_writers(conn)
        event = _load(conn, public_id)
        previous = dict(event)
        previous["sources"] = [s["url"] or s["publisher"] for s in _event_sources(conn, event["id"])]
        conn.execute(delete(events_t).where(events_t.c.id == event["id"]))
        revise = revision_writer(conn, user=user, reason=reason)
        revise(event, "delete", previous, None)


def merge_events(
    engine: Engine, keep_public_id: str, other_public_id: str, *, user: str | None = None, reason: str | None = None
) -> dict[str, Any]:
    """Merge event ``other`` into ``keep``: move its sources, keep the best values, delete it.

    The kept event gets a ``merge`` revision (its previous values), the other one a ``merge``
    revision with all its values; the other's reports are remembered by the kept event so that
    re-importing them adds nothing.

    Returns
    -------
    dict
        The kept event's changed columns.

    Raises
    ------
    NotFoundError, ValidationError
    """
    if keep_public_id.strip().upper() == other_public_id.strip().upper():
        raise ValidationError("cannot merge an event into itself")
    with engine.begin() as conn:
        _serialise_writers(conn)
        keep = _load(conn, keep_public_id)
        other = _load(conn, other_public_id)
        before = copy.deepcopy(keep)
        after = copy.deepcopy(keep)
        after.update(dedup.merged_values(keep, other))
        meta = after.setdefault("extra", None) or {}
        after["extra"] = meta
        bookkeeping = meta.setdefault(META_KEY, {})
        reports = bookkeeping.setdefault("reports", {})
        other_meta = peek_meta(other)
        reports.update(other_meta.get("reports", {}))
        if other["natural_key"]:
            reports[other["natural_key"]] = {
                "hash": other["content_hash"],
                "urls": [s["url"] for s in _event_sources(conn, other["id"]) if s["url"]],
                "credibility": other_meta.get("base_credibility", other["info_credibility"]),
                "public_id": other["public_id"],
                grading.STATED_KEY: _stated_of(other),
            }
        base = bookkeeping.get("base_credibility", keep["info_credibility"])
        other_base = other_meta.get("base_credibility", other["info_credibility"])
        bookkeeping["base_credibility"] = dedup.best_credibility(base, other_base)
        other_sources = _event_sources(conn, other["id"])
        kept_ids = {s["id"] for s in _event_sources(conn, keep["id"])}
        moved = _move_links(conn, other["id"], keep["id"])
        regrade(after, _publishers(conn, keep["id"]), load_registry(conn))
        shown = write_changes(conn, before, after)
        # What `split` needs to undo this merge exactly (see _undo_merge).
        undo = {
            "source_ids_added": [src["id"] for src in other_sources if src["id"] not in kept_ids],
            "reports_added": sorted(set(reports) - set(peek_meta(before).get("reports", {}))),
            "base_credibility_before": peek_meta(before).get("base_credibility"),
        }
        changes = {**shown, "merged_from": other["public_id"], "sources_added": moved, UNDO_KEY: undo}
        revise = revision_writer(conn, user=user, reason=reason)
        revise(before, "merge", {c: before[c] for c in shown}, changes)
        conn.execute(delete(events_t).where(events_t.c.id == other["id"]))
        previous = dict(other)
        previous["sources"] = [src["url"] or src["publisher"] for src in other_sources]
        previous["source_ids"] = [src["id"] for src in other_sources]
        previous["source_roles"] = [src["role"] for src in other_sources]
        revise(other, "merge", previous, {"merged_into": keep["public_id"]})
        return shown


def _stated_of(event: dict[str, Any]) -> dict[str, Any]:
    """The grades an event's own report and its analyst state (all its grades for a legacy event)."""
    meta = peek_meta(event)
    if grading.STATED_KEY not in meta:
        credibility = meta.get("base_credibility", event["info_credibility"])
        return grading.record_stated(event["claim_status"], event["source_reliability"], credibility)
    return {**meta[grading.STATED_KEY], **meta.get(grading.ANALYST_KEY, {})}


def _move_links(conn: Connection, from_id: int, to_id: int, source_ids: list[int] | None = None) -> list[str]:
    """Move source links between events (dropping ones the target has); return the moved URLs."""
    links = [s for s in _event_sources(conn, from_id) if source_ids is None or s["id"] in source_ids]
    have = {s["id"] for s in _event_sources(conn, to_id)}
    moved = []
    for source in links:
        if source["id"] not in have:
            conn.execute(
                insert(links_t).values(event_id=to_id, source_id=source["id"], role=source["role"] or "report")
            )
            moved.append(source["url"] or source["publisher"] or "")
        conn.execute(delete(links_t).where(links_t.c.event_id == from_id, links_t.c.source_id == source["id"]))
    return moved


def split_event(
    engine: Engine,
    public_id: str,
    source_urls: list[str],
    *,
    user: str | None = None,
    reason: str | None = None,
) -> str:
    """Split the listed sources off an event into a new event (copying its other values).

    Use it when deduplication merged two different strikes. Both events get a ``split``
    revision; corroboration and confidence are recomputed for both. Reports whose URLs moved go
    with them, so re-importing their file keeps the split.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    public_id : str
        The event to split.
    source_urls : list of str
        URLs of the event's sources that belong to the other strike.

    Returns
    -------
    str
        The new event's public id.

    Raises
    ------
    NotFoundError
        When the event does not exist or a URL is not one of its sources.
    ValidationError
        When no URL is given, or all sources would move (nothing would be left).
    """
    wanted = [u.strip() for u in source_urls if u and u.strip()]
    if not wanted:
        raise ValidationError("give at least one source URL to split off")
    with engine.begin() as conn:
        _serialise_writers(conn)
        event = _load(conn, public_id)
        sources = _event_sources(conn, event["id"])
        by_url = {s["url"]: s for s in sources if s["url"]}
        unknown = [u for u in wanted if u not in by_url]
        if unknown:
            raise NotFoundError(
                f"{event['public_id']} has no source {unknown[0]!r}",
                hint=f"`strikedb events show {event['public_id']}` lists its sources",
            )
        merge = _merge_to_undo(conn, event, {by_url[u]["id"] for u in wanted})
        if merge is not None:
            return _undo_merge(conn, event, merge, wanted, user=user, reason=reason)
        if len(set(wanted)) >= len(sources):
            raise ValidationError("splitting off every source would leave the event empty; delete it instead")
        new_id = _split_public_id(event["public_id"], wanted)
        before = copy.deepcopy(event)
        kept, moved_reports = split_reports(event, set(wanted))
        new_row = {c: v for c, v in event.items() if c not in ("id", "created_at", "updated_at")}
        new_row.update(public_id=new_id, natural_key=None, content_hash=None, external_id=None, ingest_run_id=None)
        new_row["extra"] = with_reports(event.get("extra"), moved_reports)
        new_event_id = conn.execute(insert(events_t).returning(events_t.c.id), new_row).scalar_one()
        _move_links(conn, event["id"], new_event_id, [by_url[u]["id"] for u in wanted])
        after = copy.deepcopy(event)
        after["extra"] = with_reports(event.get("extra"), kept)
        registry = load_registry(conn)
        regrade(after, _publishers(conn, event["id"]), registry)
        shown = write_changes(conn, before, after)
        created = dict(new_row, id=new_event_id)
        regraded = copy.deepcopy(created)
        regrade(regraded, _publishers(conn, new_event_id), registry)
        write_changes(conn, created, regraded)
        revise = revision_writer(conn, user=user, reason=reason)
        revise(
            before,
            "split",
            {c: before[c] for c in shown},
            {**shown, "split_to": new_id, "sources": wanted},
        )
        revise(created, "split", {}, {"split_from": event["public_id"], "sources": wanted})
        return new_id


#: Key of a ``merge`` revision's changes holding what :func:`split_event` needs to undo it.
UNDO_KEY = "undo"


def _merge_to_undo(conn: Connection, event: dict[str, Any], moving: set[int]) -> dict[str, Any] | None:
    """Find the merge into ``event`` that the sources ``moving`` came with, newest first.

    A split undoes a merge when the sources to split off include every source the merged event
    brought (those the kept event did not have already), are all sources the merged event had,
    and that event is still gone.
    Returns ``{"keep": <kept event's revision>, "other": <merged event's revision>}`` or None.
    """
    merges = conn.execute(
        select(revisions_t)
        .where(revisions_t.c.event_public_id == event["public_id"], revisions_t.c.action == "merge")
        .order_by(revisions_t.c.id.desc())
    ).mappings()
    for rev in merges:
        changes = rev["changes"] or {}
        undo = changes.get(UNDO_KEY)
        other_id = changes.get("merged_from")
        if not undo or not other_id or not set(undo["source_ids_added"]) <= moving:
            continue
        if conn.execute(select(events_t.c.id).where(events_t.c.public_id == other_id)).first() is not None:
            continue  # already split back (or re-created): not this merge
        other = (
            conn.execute(
                select(revisions_t)
                .where(revisions_t.c.event_public_id == other_id, revisions_t.c.action == "merge")
                .order_by(revisions_t.c.id.desc())
            )
            .mappings()
            .first()
        )
        if other is None or (other["changes"] or {}).get("merged_into") != event["public_id"]:
            continue
        # Every source named came with the merged event (some it may have shared with this one).
        if moving <= set(other["previous"].get("source_ids") or []) | set(undo["source_ids_added"]):
            return {"keep": dict(rev), "other": dict(other)}
    return None


def _column_value(column: str, value: Any) -> Any:
    """Turn a value read back from a revision's JSON into the column's Python type."""
    if value is None or column not in events_t.c:
        return value
    python_type = events_t.c[column].type.python_type
    if python_type is dt.date and isinstance(value, str):
        return dt.date.fromisoformat(value)
    if python_type is dt.datetime and isinstance(value, str):
        return dt.datetime.fromisoformat(value)
    if python_type is dt.time and isinstance(value, str):
        return dt.time.fromisoformat(value)
    return value


def _restored_row(conn: Connection, previous: dict[str, Any]) -> dict[str, Any]:
    """The merged-away event's row from its merge revision, checked against what exists now."""
    row = {c.name: _column_value(c.name, previous.get(c.name)) for c in events_t.c if c.name in previous}
    row["updated_at"] = utcnow()
    taken = conn.execute(select(events_t.c.id).where(events_t.c.id == row.get("id"))).first()
    if taken is not None:
        row.pop("id")  # SQLite reused the id for a later event: the public id is what users know
    if (
        row.get("facility_id") is not None
        and conn.execute(select(facilities_t.c.id).where(facilities_t.c.id == row["facility_id"])).first() is None
    ):
        row.update(facility_id=None, facility_match=None, facility_distance_km=None)
    if (
        row.get("ingest_run_id") is not None
        and conn.execute(select(runs_t.c.id).where(runs_t.c.id == row["ingest_run_id"])).first() is None
    ):
        row["ingest_run_id"] = None
    if (
        row.get("natural_key")
        and conn.execute(select(events_t.c.id).where(events_t.c.natural_key == row["natural_key"])).first() is not None
    ):
        row["natural_key"] = None
    return row


def _undo_merge(
    conn: Connection,
    event: dict[str, Any],
    merge: dict[str, Any],
    wanted: list[str],
    *,
    user: str | None,
    reason: str | None,
) -> str:
    """Split a merged event back off: the original event comes back as it was before the merge.

    Its id, public id, values, keys (``external_id``, ``natural_key``, ``content_hash``), its
    sources and its grade are restored from its ``merge`` revision; the kept event gets back
    the values the merge changed (where no one changed them since), loses the reports and
    sources the merge brought, and is graded again. Re-ingesting either report is then
    ``unchanged``.
    """
    keep_changes = merge["keep"]["changes"]
    undo = keep_changes[UNDO_KEY]
    previous = merge["other"]["previous"]
    restored = _restored_row(conn, previous)
    new_event_id = conn.execute(insert(events_t).returning(events_t.c.id), restored).scalar_one()
    # The kept event loses exactly the sources the merge added; the restored one gets all it had.
    for source_id in undo["source_ids_added"]:
        conn.execute(delete(links_t).where(links_t.c.event_id == event["id"], links_t.c.source_id == source_id))
    roles = previous.get("source_roles") or []
    for i, source_id in enumerate(previous.get("source_ids") or []):
        exists = conn.execute(select(sources_t.c.id).where(sources_t.c.id == source_id)).first()
        if exists is not None:
            role = roles[i] if i < len(roles) and roles[i] else "report"
            conn.execute(insert(links_t).values(event_id=new_event_id, source_id=source_id, role=role))
    before = copy.deepcopy(event)
    after = copy.deepcopy(event)
    for column, old_value in merge["keep"]["previous"].items():
        merged_value = _column_value(column, keep_changes.get(column))
        if column in events_t.c and after.get(column) == merged_value:
            after[column] = _column_value(column, old_value)
    after["extra"] = without_merged_reports(event.get("extra"), undo)
    registry = load_registry(conn)
    regrade(after, _publishers(conn, event["id"]), registry)
    shown = write_changes(conn, before, after)
    created = conn.execute(select(events_t).where(events_t.c.id == new_event_id)).mappings().one()
    regraded = copy.deepcopy(dict(created))
    regrade(regraded, _publishers(conn, new_event_id), registry)
    write_changes(conn, dict(created), regraded)
    other_id = restored["public_id"]
    revise = revision_writer(conn, user=user, reason=reason)
    revise(
        before,
        "split",
        {c: before[c] for c in shown},
        {**shown, "split_to": other_id, "sources": wanted, "undid_merge": True},
    )
    revise(
        dict(created),
        "split",
        {},
        {"split_from": event["public_id"], "sources": wanted, "restored_from_merge": True},
    )
    return other_id


def _split_public_id(public_id: str, urls: list[str]) -> str:
    digest = hashlib.sha256("|".join([public_id, "split", *sorted(urls)]).encode()).hexdigest()
    return "SDB-" + digest[:12].upper()
