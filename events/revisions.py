"""Event revisions and the loader's bookkeeping kept in ``events.extra``.

Shared by the loader (:mod:`events.ingest`), the analyst's event operations
(:mod:`events.eventops`) and the publisher registry's regrading (:mod:`events.publisher_ops`):

* ``event_revisions`` rows (:func:`revision_row`, :func:`revision_writer`): the previous and new
  values of every change, with who made it, in which run and why.
* the bookkeeping under ``extra["_strikedb"]`` (:data:`META_KEY`): the reports merged into an
  event (key, content hash, URLs, credibility), the grades the reports stated and the credibility
  before corroboration; :func:`regrade` recomputes an event's grades from it.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, insert, update

from events import grading
from events.models import events_t, revisions_t
from events.publishers import Registry
from events.records import SourceRecord, json_default

#: Key in ``events.extra`` under which the loader keeps its bookkeeping.
META_KEY = "_strikedb"
#: Columns an analyst's change writes but its revision does not show.
NOT_SHOWN = frozenset({"id", "created_at", "updated_at", "content_hash", "ingest_run_id", "extra"})


def event_meta(values: dict[str, Any]) -> dict[str, Any]:
    """Return (creating it) the loader's bookkeeping dict inside an event's ``extra``."""
    extra = values.get("extra")
    if extra is None:
        extra = values["extra"] = {}
    return extra.setdefault(META_KEY, {})


def peek_meta(values: dict[str, Any]) -> dict[str, Any]:
    """Return the bookkeeping dict of an event without creating it (empty when absent)."""
    extra = values.get("extra") or {}
    meta = extra.get(META_KEY) if isinstance(extra, dict) else None
    return meta if isinstance(meta, dict) else {}


def user_extra(values: dict[str, Any]) -> dict[str, Any]:
    """The ``extra`` values of an event that came from its reports (without the loader's bookkeeping)."""
    extra = values.get("extra")
    if not isinstance(extra, dict):
        return {}
    return {k: v for k, v in extra.items() if k != META_KEY}


def regrade(
    values: dict[str, Any], sources: list[tuple[str | None, str | None, str]], registry: Registry | None = None
) -> None:
    """Grade an event from its reports and sources and recompute its confidence, in place.

    ``sources`` holds ``(url, publisher, role)`` of every source of the event. The claim status
    and Admiralty grades come from :func:`events.grading.grade_event`: what the reports state wins,
    the rest is derived from the publishers (``registry``, default the bundled one) and the
    dataset's certainty, then corroboration. For events stored before evidence grading, the
    credibility the reports gave is kept as ``base_credibility`` in the bookkeeping whenever
    corroboration changes it, so corroboration is never applied twice.
    """
    meta = peek_meta(values)
    legacy = grading.STATED_KEY not in meta
    base = meta["base_credibility"] if "base_credibility" in meta else values["info_credibility"]
    grade = grading.grade_event(values, sources, registry)
    if legacy and (grade.info_credibility != base or "base_credibility" in meta):
        event_meta(values)["base_credibility"] = base
    values.update(grade.values())


#: The columns :func:`regrade` sets (those of :meth:`events.grading.Grade.values`), in that order.
GRADED_COLUMNS = ("claim_status", "source_reliability", "info_credibility", "confidence")


def new_event_grade(
    values: dict[str, Any], sources: list[tuple[str | None, str | None, str]], registry: Registry | None = None
) -> dict[str, Any] | None:
    """The columns :func:`regrade` would set on a new event of these values and sources alone.

    None for values without the evidence bookkeeping (graded before evidence grading), whose
    regrade also records a base credibility: those are regraded as before.
    """
    if grading.STATED_KEY not in peek_meta(values):
        return None
    graded = grading.grade_event(values, sources, registry).values()
    assert tuple(graded) == GRADED_COLUMNS
    return graded


def source_role(source: SourceRecord) -> str:
    """Return the ``event_sources.role`` of a source: imagery, denial, claim or report."""
    return grading.source_role(source.url, source.title, source.source_type, source.claimed_by)


def jsonable(values: dict[str, Any]) -> dict[str, Any]:
    """Return a copy of column values with dates and times as ISO strings (for revisions)."""
    return {k: (json_default(v) if isinstance(v, dt.date | dt.time | dt.datetime) else v) for k, v in values.items()}


#: Stores one revision: (event, action, previous values, changes); see :func:`revision_writer`.
RevisionWriter = Callable[[dict[str, Any], str, dict[str, Any], dict[str, Any] | None], None]


def revision_row(
    event: dict[str, Any],
    action: str,
    previous: dict[str, Any],
    changes: dict[str, Any] | None,
    *,
    user: str | None,
    run_id: int | None,
    reason: str | None,
) -> dict[str, Any]:
    """Build an ``event_revisions`` row (``event_id`` may be filled in later for new events)."""
    return {
        "event_id": event.get("id"),
        "event_public_id": event["public_id"],
        "action": action,
        "changed_by": user,
        "ingest_run_id": run_id,
        "previous": jsonable(previous),
        "changes": jsonable(changes) if changes is not None else None,
        "reason": reason,
    }


def revision_writer(conn: Connection, *, user: str | None, reason: str | None) -> RevisionWriter:
    """Return a function that stores revisions of an analyst's change in the caller's transaction.

    Every revision it stores is by ``user`` for ``reason`` and belongs to no ingest run; its
    arguments are the first four of :func:`revision_row` (event, action, previous, changes).
    """

    def write(event: dict[str, Any], action: str, previous: dict[str, Any], changes: dict[str, Any] | None) -> None:
        row = revision_row(event, action, previous, changes, user=user, run_id=None, reason=reason)
        conn.execute(insert(revisions_t), row)

    return write


def write_changes(conn: Connection, before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """Store the changed columns of an event; return ``{column: new}`` of those shown in revisions."""
    changed = {c: after[c] for c in after if c != "id" and after[c] != before.get(c)}
    if changed:
        conn.execute(update(events_t).where(events_t.c.id == before["id"]).values(**changed))
    return {c: v for c, v in changed.items() if c not in NOT_SHOWN}


def without_merged_reports(extra: dict[str, Any] | None, undo: dict[str, Any]) -> dict[str, Any] | None:
    """The kept event's ``extra`` without the report keys and grade base the merge brought."""
    extra = copy.deepcopy(extra) if extra else {}
    meta = extra.get(META_KEY, {})
    reports = meta.get("reports", {})
    for key in undo.get("reports_added", []):
        reports.pop(key, None)
    if not reports:
        meta.pop("reports", None)
    if undo.get("base_credibility_before") is None:
        meta.pop("base_credibility", None)
    else:
        meta["base_credibility"] = undo["base_credibility_before"]
    return _with_meta(extra, meta)


def split_reports(event: dict[str, Any], moving: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Divide the merged reports of an event: those all of whose URLs move go with the split."""
    reports = peek_meta(event).get("reports", {})
    kept, moved = {}, {}
    for key, entry in reports.items():
        urls = set(entry.get("urls") or [])
        (moved if urls and urls <= moving else kept)[key] = entry
    return kept, moved


def with_reports(extra: dict[str, Any] | None, reports: dict[str, Any]) -> dict[str, Any] | None:
    """A copy of ``extra`` whose bookkeeping holds ``reports`` as the event's merged reports."""
    extra = copy.deepcopy(extra) if extra else {}
    meta = extra.get(META_KEY, {})
    if reports:
        meta["reports"] = reports
    else:
        meta.pop("reports", None)
    return _with_meta(extra, meta)


def _with_meta(extra: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any] | None:
    """``extra`` with the bookkeeping ``meta`` (dropped when empty); None when nothing is left."""
    if meta:
        extra[META_KEY] = meta
    else:
        extra.pop(META_KEY, None)
    return extra or None
