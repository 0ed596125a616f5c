"""Corrections: a row without an id whose place or wording changed in a new version of its file.

A row without an identifier is known by its report key (origin, date, place, sources; see
:mod:`events.ingest.identity`). When a publisher corrects such a row (a latitude moved 0.05
degrees, a better location text) and the file is imported again, the key changes, so the
loader sees a new report: without this step it stores a second event beside the first, and the
two become a duplicate candidate.

After a run has loaded a whole file, this step pairs each new event of an id-less report with a
stored event that the new version of the same file no longer has, and turns the pair into one
revision of the stored event (its id and public id stay). The rule is strict on purpose; it pairs
only when all of these hold:

* both come from the same file (file name) and the same dataset of origin, without an id;
* the stored event's report was not in this run (the file no longer has it) and it holds no
  reports merged from elsewhere;
* same date and date precision, and the same set of source URLs (at least one);
* the pair is one to one: the new event has exactly one such stored event, and that stored event
  is claimed by no other new event.

Anything less clear (two rows of one day and source both moved, a row gone and none new) is left
as the loader stored it: a new event, and a duplicate candidate where the rules of
:mod:`events.dedup` find one, for an analyst to decide. The step runs in the run's final
transaction, so it is committed with the run's status or not at all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from sqlalchemy import Connection, delete, or_, select, text, update

from events.ingest.enrich import Prepared
from events.ingest.report import IngestReport
from events.ingest.write import chunks, in_query
from events.models import DuplicateCandidate, Event, EventLineLink, EventRevision, EventSource, Source, utcnow
from events.revisions import peek_meta, revision_row, user_extra
from events.runs import INGEST_LOCK_KEY, runs_t

events_t = Event.__table__
sources_t = Source.__table__
links_t = EventSource.__table__
revisions_t = EventRevision.__table__
candidates_t = DuplicateCandidate.__table__
line_links_t = EventLineLink.__table__

#: Columns that say where a row came from, not what it states: not copied, not shown as changes.
KEPT = frozenset({"id", "public_id", "created_at", "updated_at", "ingest_run_id", "extra"})
#: Columns copied to the stored event but not shown in its revision (the reason names the new key).
HIDDEN = frozenset({"natural_key", "content_hash"})
#: Keys looked up per query.
CHUNK = 500


class CorrectionTracker:
    """What a run saw of id-less reports: every key, and the keys it stored as new events."""

    def __init__(self) -> None:
        self.seen: set[str] = set()
        self.inserted: list[str] = []

    def saw(self, item: Prepared) -> None:
        """Record a report of the run (only id-less ones can be corrections)."""
        if not item.values.get("external_id"):
            self.seen.add(item.key)

    def stored_new(self, item: Prepared) -> None:
        """Record a report the run stored as a new event."""
        if not item.values.get("external_id") and any(s.url for s in item.sources):
            self.inserted.append(item.key)


def apply_corrections(
    conn: Connection,
    tracker: CorrectionTracker,
    *,
    run_id: int,
    run_file: Callable[[int | None], str | None],
    report: IngestReport,
    user: str | None,
) -> int:
    """Turn each clear pair (new event, stored event the file no longer has) into a revision.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        In the run's final transaction.
    tracker : CorrectionTracker
        What the run saw.
    run_id : int
    run_file : callable
        The file name an ingest run read (``CandidateFinder.run_file``).
    report : IngestReport
        Its counts move the paired reports from ``inserted`` to ``updated``.
    user : str, optional
        Recorded on the revisions.

    Returns
    -------
    int
        The number of corrections applied.
    """
    if not tracker.inserted:
        return 0
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
    earlier_runs = _earlier_runs_of(conn, run_file(run_id), run_id, run_file)
    if not earlier_runs:  # the first import of this file: nothing stored can be an older version of a row
        return 0
    new_events = list(_new_events(conn, tracker.inserted, run_id))
    matches = _stored_matches(conn, new_events, tracker, earlier_runs)
    claimed = Counter(old["id"] for found in matches.values() for old in found)
    applied = 0
    for new in new_events:
        found = matches[new["id"]]
        if len(found) == 1 and claimed[found[0]["id"]] == 1:
            _correct(conn, found[0], new, run_id=run_id, user=user, report=report)
            applied += 1
    return applied


def _new_events(conn: Connection, keys: list[str], run_id: int) -> Iterator[dict[str, Any]]:
    for chunk in chunks(keys, CHUNK):
        query = select(events_t).where(events_t.c.natural_key.in_(chunk), events_t.c.ingest_run_id == run_id)
        for row in conn.execute(query.order_by(events_t.c.id)).mappings():
            yield dict(row)


def _earlier_runs_of(
    conn: Connection, this_file: str | None, run_id: int, run_file: Callable[[int | None], str | None]
) -> list[int]:
    """The other ingest runs that read a file of this name: only their events can be corrected."""
    if this_file is None:
        return []
    # A cheap text filter first; ``run_file`` decides (a file name without its folders).
    query = select(runs_t.c.id, runs_t.c.file_path).where(runs_t.c.id != run_id)
    return [rid for rid, path in conn.execute(query) if str(path).endswith(this_file) and run_file(rid) == this_file]


def _urls_of(conn: Connection, event_ids: list[int]) -> dict[int, frozenset[str]]:
    """The source URLs of each event (events without any are left out)."""
    sql = (
        "SELECT event_sources.event_id, sources.url FROM event_sources JOIN sources "
        "ON sources.id = event_sources.source_id WHERE sources.url IS NOT NULL AND event_sources.event_id IN ({})"
    )
    urls: dict[int, set[str]] = {}
    for event_id, url in in_query(conn, sql, event_ids):
        urls.setdefault(event_id, set()).add(url)
    return {event_id: frozenset(found) for event_id, found in urls.items()}


def _stored_matches(
    conn: Connection, new_events: list[dict[str, Any]], tracker: CorrectionTracker, earlier_runs: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Per new event, the stored events it could be a correction of (see the module docstring).

    All new events at once, by day: one look-up per query per hundreds of them, so a large first
    import (where nothing can match) does not pay one scan of the table per row.
    """
    matches: dict[int, list[dict[str, Any]]] = {new["id"]: [] for new in new_events}
    new_urls = _urls_of(conn, [new["id"] for new in new_events])
    wanted = [new for new in new_events if new["id"] in new_urls]
    stored = _stored_by_day(conn, sorted({new["event_date"] for new in wanted}), earlier_runs)
    stored = {k: [o for o in olds if o["natural_key"] not in tracker.seen] for k, olds in stored.items()}
    old_urls = _urls_of(conn, [old["id"] for olds in stored.values() for old in olds])
    for new in wanted:
        day = (new["origin"], new["event_date"], new["date_precision"])
        urls = new_urls[new["id"]]
        matches[new["id"]] = [old for old in stored.get(day, ()) if old_urls.get(old["id"]) == urls]
    return matches


def _stored_by_day(
    conn: Connection, days: list[Any], earlier_runs: list[int]
) -> dict[tuple[Any, Any, Any], list[dict[str, Any]]]:
    """Id-less stored events of those runs on those days, by (origin, day, date precision).

    Events holding reports merged from elsewhere are left out (they are more than one row).
    """
    found: dict[tuple[Any, Any, Any], list[dict[str, Any]]] = {}
    for runs in chunks(earlier_runs, CHUNK):
        for part in chunks(days, CHUNK):
            query = select(events_t).where(
                events_t.c.event_date.in_(part),
                events_t.c.ingest_run_id.in_(runs),
                events_t.c.external_id.is_(None),
                events_t.c.natural_key.is_not(None),
            )
            for row in conn.execute(query).mappings():
                old = dict(row)
                if not peek_meta(old).get("reports"):
                    found.setdefault((old["origin"], old["event_date"], old["date_precision"]), []).append(old)
    return found


def _correct(
    conn: Connection, old: dict[str, Any], new: dict[str, Any], *, run_id: int, user: str | None, report: IngestReport
) -> None:
    """Give the stored event the new report's values (one revision) and remove the new event."""
    changed = [c for c in new if c not in KEPT and new[c] != old[c]]
    values: dict[str, Any] = {c: new[c] for c in changed}
    previous = {c: old[c] for c in changed if c not in HIDDEN}
    changes = {c: new[c] for c in changed if c not in HIDDEN}
    old_extra, new_extra = user_extra(old), user_extra(new)
    for name in sorted(old_extra.keys() | new_extra.keys()):
        if old_extra.get(name) != new_extra.get(name):
            previous[f"extra.{name}"] = old_extra.get(name)
            changes[f"extra.{name}"] = new_extra.get(name)
    if old_extra != new_extra:
        values["extra"] = new["extra"]
    reason = (
        f"corrected by re-import of {report.file}: the row now reads differently "
        f"({', '.join(sorted(changes)) or 'its key'}); the file no longer has the old row and has no "
        "other row of that day and source"
    )
    _remove_event(conn, new, report=report)
    conn.execute(
        update(events_t).where(events_t.c.id == old["id"]).values(**values, ingest_run_id=run_id, updated_at=utcnow())
    )
    conn.execute(
        revisions_t.insert(), revision_row(old, "update", previous, changes, user=user, run_id=run_id, reason=reason)
    )
    report.inserted -= 1
    report.updated += 1
    report.warnings.append(f"{report.file}: {old['public_id']} corrected ({', '.join(sorted(changes))})")


def _remove_event(conn: Connection, event: dict[str, Any], *, report: IngestReport) -> None:
    """Delete an event this run inserted, with its links and the duplicate candidates it was part of."""
    public_id = event["public_id"]
    # The event is new in this run, so every candidate pair naming it was proposed by this run.
    pairs = or_(candidates_t.c.event_public_id == public_id, candidates_t.c.other_public_id == public_id)
    report.candidates -= len(conn.execute(delete(candidates_t).where(pairs).returning(candidates_t.c.id)).all())
    for table in (links_t, line_links_t, revisions_t):
        conn.execute(delete(table).where(table.c.event_id == event["id"]))
    conn.execute(delete(events_t).where(events_t.c.id == event["id"]))


__all__ = ["CorrectionTracker", "apply_corrections"]
