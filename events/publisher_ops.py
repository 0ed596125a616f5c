"""Analyst operations on the publisher registry of a database: list, show, regrade, sync.

The registry in force (:func:`events.publishers.load_registry`) is the bundled file overridden by
the analysts' rows in ``publishers``. Regrading a publisher (:func:`set_publisher`) stores an
``analyst`` row, keeps the kind of its stored sources in step and recomputes the grading and
confidence of every event it reports, with an ``update`` revision for each event that changes.
:func:`explain_event` tells how an event's level was reached (``strikedb events show``).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select, update

from events import grading, vocab
from events.errors import NotFoundError, ValidationError
from events.models import events_t, links_t, publishers_t, sources_t, utcnow
from events.publishers import (
    PARTY_PATTERN,
    Publisher,
    Registry,
    bundled_registry,
    load_registry,
    plain_fields,
    regraded,
    row_from_entry,
)
from events.revisions import regrade, revision_row, revisions_t

#: What :func:`set_publisher` may change, with the allowed values (None: free text).
SETTABLE: dict[str, tuple[str, ...] | None] = {
    "reliability": vocab.SOURCE_RELIABILITIES,
    "kind": vocab.PUBLISHER_KINDS,
    "voice": vocab.PUBLISHER_VOICES,
    "party": None,
    "name": None,
    "network": None,
    "justification": None,
}
# Columns shown in revisions besides the graded ones.
_SHOWN = ("claim_status", "source_reliability", "info_credibility", "confidence")


def _counts(conn: Connection) -> dict[str, tuple[int, int]]:
    """Sources and events per publisher key."""
    stmt = (
        select(
            sources_t.c.publisher_key,
            func.count(func.distinct(sources_t.c.id)),
            func.count(func.distinct(links_t.c.event_id)),
        )
        .select_from(sources_t.outerjoin(links_t, links_t.c.source_id == sources_t.c.id))
        .where(sources_t.c.publisher_key.is_not(None))
        .group_by(sources_t.c.publisher_key)
    )
    return {key: (n_sources, n_events) for key, n_sources, n_events in conn.execute(stmt)}


def _as_dict(entry: Publisher, counts: dict[str, tuple[int, int]]) -> dict[str, Any]:
    n_sources, n_events = counts.get(entry.key, (0, 0))
    return {
        **plain_fields(entry),
        "reliability": entry.grade,
        "aliases": list(entry.aliases),
        "justification": entry.justification,
        "origin": entry.origin if entry.known else "seen",
        "sources": n_sources,
        "events": n_events,
    }


def list_publishers(
    engine: Engine, *, kind: str | None = None, search: str | None = None, seen_only: bool = False
) -> list[dict[str, Any]]:
    """Return the publishers in force, with how many stored sources and events each has.

    Publishers the registry does not know but stored sources name (an unknown domain or
    channel) are listed too, with origin ``seen`` and kind ``unknown``: those are the ones to grade.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    kind : str, optional
        Only this kind (:data:`events.vocab.PUBLISHER_KINDS`).
    search : str, optional
        Case-insensitive text to find in the key, name or aliases.
    seen_only : bool
        Only publishers with at least one stored source.

    Returns
    -------
    list of dict
        Most-cited first, then by key.
    """
    if kind is not None and kind not in vocab.PUBLISHER_KINDS:
        raise ValidationError(f"unknown publisher kind {kind!r}", hint=f"use one of {', '.join(vocab.PUBLISHER_KINDS)}")
    with engine.connect() as conn:
        registry = load_registry(conn)
        counts = _counts(conn)
        unknown_names = _unknown_names(conn, [k for k in counts if registry.get(k) is None])
    entries: list[Publisher] = list(registry)
    entries += [Publisher(key=k, name=unknown_names.get(k, k), known=False) for k in counts if registry.get(k) is None]
    rows = [_as_dict(entry, counts) for entry in entries]
    if kind is not None:
        rows = [r for r in rows if r["kind"] == kind]
    if search:
        needle = search.lower()
        rows = [r for r in rows if needle in " ".join([r["key"], r["name"], *r["aliases"]]).lower()]
    if seen_only:
        rows = [r for r in rows if r["sources"]]
    return sorted(rows, key=lambda r: (-r["sources"], r["key"]))


def _unknown_names(conn: Connection, keys: list[str]) -> dict[str, str]:
    if not keys:
        return {}
    stmt = (
        select(sources_t.c.publisher_key, func.min(sources_t.c.publisher))
        .where(sources_t.c.publisher_key.in_(keys))
        .group_by(sources_t.c.publisher_key)
    )
    return {key: name for key, name in conn.execute(stmt) if name}


def _resolve(registry: Registry, key: str) -> Publisher | None:
    text = key.strip()
    found = registry.get(text)
    if found is None and ("://" in text or text.startswith("www.")):
        found = registry.find(text)
    return found


def get_publisher(engine: Engine, key: str) -> dict[str, Any]:
    """Return one publisher (by key, alias or a URL) with its counts and a few of its events.

    Raises
    ------
    NotFoundError
        When neither the registry nor any stored source knows it.
    """
    with engine.connect() as conn:
        registry = load_registry(conn)
        entry = _resolve(registry, key)
        counts = _counts(conn)
        if entry is None:
            folded = key.strip().lower()
            if folded not in counts:
                raise NotFoundError(
                    f"no publisher {key!r}",
                    hint="`strikedb publishers list --search TEXT` finds keys; a key is a domain (reuters.com), "
                    "an account (t.me/vvgladkov) or name:<name>",
                )
            entry = Publisher(key=folded, name=_unknown_names(conn, [folded]).get(folded, folded), known=False)
        detail = _as_dict(entry, counts)
        detail["bundled"] = _bundled_grade(entry.key)
        stmt = (
            select(events_t.c.public_id, events_t.c.event_date, events_t.c.confidence, events_t.c.claim_status)
            .join(links_t, links_t.c.event_id == events_t.c.id)
            .join(sources_t, sources_t.c.id == links_t.c.source_id)
            .where(sources_t.c.publisher_key == entry.key)
            .distinct()
            .order_by(events_t.c.event_date.desc())
            .limit(10)
        )
        detail["recent_events"] = [dict(r) for r in conn.execute(stmt).mappings()]
        return detail


def _bundled_grade(key: str) -> str | None:
    entry = bundled_registry().get(key)
    return None if entry is None else entry.grade


def _checked_changes(changes: dict[str, str | None]) -> dict[str, str | None]:
    out: dict[str, str | None] = {}
    for column, value in changes.items():
        if column not in SETTABLE:
            raise ValidationError(f"{column!r} cannot be set", hint=f"settable: {', '.join(SETTABLE)}")
        allowed = SETTABLE[column]
        if isinstance(value, str):
            value = value.strip() or None
        if column == "reliability" and isinstance(value, str):
            value = value.upper()
        if column == "party" and isinstance(value, str):
            value = value.upper()
            if not PARTY_PATTERN.match(value):
                raise ValidationError(f"party {value!r} is not a two-letter country code (RU, UA...)")
        if allowed is not None and value is not None and value not in allowed:
            raise ValidationError(f"{column} {value!r} is not one of {', '.join(allowed)}")
        if column in ("name", "kind") and value is None:
            raise ValidationError(f"{column} cannot be empty")
        out[column] = value
    if not out:
        raise ValidationError("nothing to change", hint="give --reliability, --kind, --name, --party, --voice...")
    return out


def set_publisher(
    engine: Engine,
    key: str,
    changes: dict[str, str | None],
    *,
    user: str | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Regrade a publisher and recompute the confidence of every event it reports.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    key : str
        The publisher's key, an alias, or a URL of it. A publisher the registry does not know
        (an unknown domain seen in sources, or a new one) is added.
    changes : dict
        Column (:data:`SETTABLE`) -> new value.
    user, reason : str, optional
        Recorded on the publisher row and on each event revision.

    Returns
    -------
    dict
        ``publisher`` (the new entry as a dict), ``previous`` (the changed values before),
        ``events`` (events regraded), ``changed`` (events whose grading changed) and ``levels``
        (public id -> (old level, new level) for events whose confidence changed).

    Raises
    ------
    ValidationError
        For a value outside the vocabularies, or no change.
    """
    checked = _checked_changes(changes)
    with engine.begin() as conn:
        registry = load_registry(conn)
        entry = _resolve(registry, key)
        if entry is None:
            folded = key.strip().lower()
            entry = Publisher(key=folded, name=_unknown_names(conn, [folded]).get(folded, folded), known=False)
        previous = {c: getattr(entry, c) for c in checked if getattr(entry, c) != checked[c]}
        new_entry = regraded(entry, **checked)
        _upsert(conn, new_entry, user)
        if "kind" in checked:
            conn.execute(
                update(sources_t).where(sources_t.c.publisher_key == entry.key).values(publisher_kind=new_entry.kind)
            )
        new_registry = load_registry(conn)
        what = ", ".join(f"{c} {previous.get(c, getattr(entry, c)) or '-'} -> {checked[c] or '-'}" for c in checked)
        why = f"publisher {entry.key} regraded ({what})" + (f": {reason}" if reason else "")
        outcome = _regrade_events(conn, _event_ids_of(conn, [entry.key]), new_registry, user, why)
        return {"publisher": _as_dict(new_entry, _counts(conn)), "previous": previous, **outcome}


def _upsert(conn: Connection, entry: Publisher, user: str | None) -> None:
    row = row_from_entry(entry) | {"changed_by": user, "changed_at": utcnow()}
    exists = conn.execute(select(publishers_t.c.id).where(publishers_t.c.key == entry.key)).first()
    if exists:
        conn.execute(update(publishers_t).where(publishers_t.c.key == entry.key).values(**row))
    else:
        conn.execute(insert(publishers_t).values(**row))


def _event_ids_of(conn: Connection, keys: Iterable[str]) -> list[int]:
    stmt = (
        select(links_t.c.event_id)
        .join(sources_t, sources_t.c.id == links_t.c.source_id)
        .where(sources_t.c.publisher_key.in_(list(keys)))
        .distinct()
    )
    return sorted(row[0] for row in conn.execute(stmt))


def _event_sources(conn: Connection, event_id: int) -> list[tuple[str | None, str | None, str]]:
    stmt = (
        select(sources_t.c.url, sources_t.c.publisher, links_t.c.role)
        .join(links_t, links_t.c.source_id == sources_t.c.id)
        .where(links_t.c.event_id == event_id)
        .order_by(sources_t.c.id)
    )
    return [(url, publisher, role) for url, publisher, role in conn.execute(stmt)]


def _regrade_events(
    conn: Connection, event_ids: list[int], registry: Registry, user: str | None, reason: str
) -> dict[str, Any]:
    changed = 0
    levels: dict[str, tuple[str, str]] = {}
    for event_id in event_ids:
        before = dict(conn.execute(select(events_t).where(events_t.c.id == event_id)).mappings().one())
        after = copy.deepcopy(before)
        regrade(after, _event_sources(conn, event_id), registry)
        diff = {c: after[c] for c in after if c != "id" and after[c] != before[c]}
        if not diff:
            continue
        conn.execute(update(events_t).where(events_t.c.id == event_id).values(**diff))
        shown = {c: after[c] for c in _SHOWN if c in diff}
        if shown:
            row = revision_row(before, "update", {c: before[c] for c in shown}, shown, user=user, run_id=None,
                               reason=reason)  # fmt: skip
            conn.execute(insert(revisions_t), row)
            changed += 1
        if before["confidence"] != after["confidence"]:
            levels[before["public_id"]] = (before["confidence"], after["confidence"])
    return {"events": len(event_ids), "changed": changed, "levels": levels}


def sync_bundled(engine: Engine, *, user: str | None = None) -> dict[str, Any]:
    """Bring the database's copy of the bundled registry up to date and regrade what it changes.

    Bundled rows are inserted or updated from the current ``events/data/publishers.csv``; rows an
    analyst regraded are left alone. Events reported by a publisher whose bundled entry changed
    are regraded (with revisions).

    Returns
    -------
    dict
        ``added``, ``updated`` (publisher keys), and the outcome of the regrade (``events``,
        ``changed``, ``levels``).
    """
    bundled = bundled_registry()
    with engine.begin() as conn:
        stored = {row["key"]: row for row in conn.execute(select(publishers_t)).mappings()}
        added, updated = [], []
        for entry in bundled:
            row = stored.get(entry.key)
            values = row_from_entry(entry)
            if row is None:
                conn.execute(insert(publishers_t).values(**values, changed_by=user))
                added.append(entry.key)
            elif row["origin"] == "bundled" and any(row[c] != v for c, v in values.items()):
                conn.execute(
                    update(publishers_t)
                    .where(publishers_t.c.key == entry.key)
                    .values(**values, changed_by=user, changed_at=utcnow())
                )
                updated.append(entry.key)
        keys = added + updated
        for key in keys:
            kind = bundled.by_key[key].kind
            conn.execute(update(sources_t).where(sources_t.c.publisher_key == key).values(publisher_kind=kind))
        reason = "bundled publisher registry updated"
        outcome = _regrade_events(conn, _event_ids_of(conn, keys), load_registry(conn), user, reason) if keys else {}
        return {"added": added, "updated": updated, "events": 0, "changed": 0, "levels": {}, **outcome}


#: Origins whose readers always write the claim status ``reported`` (the datasets state none).
_DATASET_ORIGINS = frozenset({"acled", "ucdp"})


def legacy_stated(event: dict[str, Any]) -> dict[str, Any]:
    """Guess which grades of an event stored before evidence grading its file stated.

    ACLED and UCDP readers never state a claim status; other files stated one unless it is the
    default ``reported``. Admiralty grades are stated whenever present (no reader invents them).
    """
    meta = (event.get("extra") or {}).get("_strikedb") or {}
    claim = event["claim_status"]
    if event["origin"] in _DATASET_ORIGINS or claim == "reported":
        claim = None
    credibility = meta.get("base_credibility", event["info_credibility"])
    return grading.record_stated(claim, event["source_reliability"], credibility)


def regrade_legacy(engine: Engine, *, user: str | None = None) -> dict[str, Any]:
    """Grade from evidence the events stored before evidence grading existed (with revisions).

    Their stated grades are taken from :func:`legacy_stated`; the rest is derived as at ingest.
    Events already graded from evidence are left alone.

    Returns
    -------
    dict
        ``events`` (legacy events found), ``changed``, ``levels`` as for :func:`set_publisher`.
    """
    with engine.begin() as conn:
        registry = load_registry(conn)
        ids = []
        for row in conn.execute(select(events_t.c.id, events_t.c.extra)).mappings():
            meta = (row["extra"] or {}).get("_strikedb") if isinstance(row["extra"], dict) else None
            if not isinstance(meta, dict) or grading.STATED_KEY not in meta:
                ids.append(row["id"])
        for event_id in ids:
            event = dict(conn.execute(select(events_t).where(events_t.c.id == event_id)).mappings().one())
            extra = copy.deepcopy(event["extra"]) if isinstance(event["extra"], dict) else {}
            extra.setdefault("_strikedb", {})[grading.STATED_KEY] = legacy_stated(event)
            extra["_strikedb"].pop("base_credibility", None)
            conn.execute(update(events_t).where(events_t.c.id == event_id).values(extra=extra))
        reason = "graded from evidence (event stored before evidence grading)"
        outcome = _regrade_events(conn, ids, registry, user, reason)
        return outcome


def explain_event(engine: Engine, public_id: str) -> dict[str, Any]:
    """Tell how an event's confidence level was reached, from its stored sources and grades.

    Returns
    -------
    dict
        ``reasons`` (list of str, in the order of docs/confidence.md), ``sources`` (per source:
        url, publisher, kind, party, voice, reliability, role, signal, justification), and
        ``stale`` (True when recomputing now gives another result than the stored one, e.g.
        after the registry file changed; ``strikedb publishers sync`` regrades).

    Raises
    ------
    NotFoundError
    """
    with engine.connect() as conn:
        row = conn.execute(select(events_t).where(events_t.c.public_id == public_id.strip().upper())).mappings().first()
        if row is None:
            raise NotFoundError(f"no event {public_id!r}", hint="`strikedb events list` shows the public ids")
        event = dict(row)
        registry = load_registry(conn)
        sources = _event_sources(conn, event["id"])
    grade = grading.grade_event(event, sources, registry)
    items = grading.evidence(sources, event, registry)
    per_source = []
    for item in items:
        p = item.publisher
        per_source.append(
            {
                "url": item.url,
                "publisher": p.name if p else item.publisher_name,
                "speaker": item.publisher_name if item.role == "voice" else None,
                "key": p.key if p else None,
                "kind": p.kind if p else None,
                "party": p.party if p else None,
                "voice": p.voice if p else None,
                "reliability": p.grade if p else "F",
                "role": item.role,
                "signal": item.signal,
                "justification": p.justification if p else "",
            }
        )
    stored = {c: event[c] for c in ("claim_status", "source_reliability", "info_credibility", "confidence")}
    return {"reasons": grade.reasons, "sources": per_source, "stale": stored != grade.values()}
