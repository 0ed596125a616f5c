"""Duplicate candidates: pairs of events that may be one strike, for an analyst to decide.

The ingest merges reports automatically only under the strict rule of :func:`events.dedup.compare`;
pairs that are alike but not certain are stored in ``duplicate_candidates`` with a score (0-100)
and the reasons. An analyst lists them (``strikedb events duplicates``) and either merges the two
(``strikedb events merge KEEP OTHER``: the pair is marked ``merged``) or declares them two strikes
(``strikedb events distinct A B``: marked ``distinct`` and never proposed again, nor merged
automatically by a later import).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, and_, insert, or_, select, update

from events.errors import InputError, NotFoundError
from events.models import DuplicateCandidate, Event, utcnow

candidates_t = DuplicateCandidate.__table__
events_t = Event.__table__


def _pair(a: str, b: str) -> tuple[str, str]:
    a, b = a.strip().upper(), b.strip().upper()
    if a == b:
        raise InputError(f"{a} and {b} are the same event", hint="name two different events")
    first, second = sorted((a, b))
    return first, second


def list_candidates(engine: Engine, *, min_score: float = 0.0, status: str = "open") -> list[dict[str, Any]]:
    """Return the duplicate candidates whose two events both still exist, best score first.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    min_score : float
        Only pairs scoring at least this.
    status : str
        ``open`` (to review), ``distinct``, ``merged`` or ``all``.

    Returns
    -------
    list of dict
        ``event_public_id``, ``other_public_id``, ``score``, ``reasons``, ``status``, and for each
        event its date, place and facility name (``a_...``/``b_...``).
    """
    a = events_t.alias("a")
    b = events_t.alias("b")
    stmt = (
        select(
            candidates_t.c.event_public_id,
            candidates_t.c.other_public_id,
            candidates_t.c.score,
            candidates_t.c.reasons,
            candidates_t.c.status,
            candidates_t.c.reason,
            a.c.event_date.label("a_date"),
            a.c.facility_name_reported.label("a_facility"),
            a.c.location_text.label("a_location"),
            a.c.description.label("a_description"),
            b.c.event_date.label("b_date"),
            b.c.facility_name_reported.label("b_facility"),
            b.c.location_text.label("b_location"),
            b.c.description.label("b_description"),
        )
        .join(a, a.c.public_id == candidates_t.c.event_public_id)
        .join(b, b.c.public_id == candidates_t.c.other_public_id)
        .where(candidates_t.c.score >= min_score)
        .order_by(candidates_t.c.score.desc(), candidates_t.c.event_public_id, candidates_t.c.other_public_id)
    )
    if status != "all":
        stmt = stmt.where(candidates_t.c.status == status)
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(stmt).mappings()]


def candidates_of(engine: Engine, public_id: str) -> list[dict[str, Any]]:
    """Return every stored candidate pair an event is part of (any status)."""
    pid = public_id.strip().upper()
    stmt = select(candidates_t).where(or_(candidates_t.c.event_public_id == pid, candidates_t.c.other_public_id == pid))
    with engine.connect() as conn:
        return [dict(row) for row in conn.execute(stmt.order_by(candidates_t.c.score.desc())).mappings()]


def mark_distinct(engine: Engine, a: str, b: str, *, user: str | None = None, reason: str | None = None) -> None:
    """Record that two events are different strikes: never proposed again, never merged automatically.

    Raises
    ------
    NotFoundError
        When either event does not exist.
    """
    first, second = _pair(a, b)
    with engine.begin() as conn:
        stmt = select(events_t.c.public_id).where(events_t.c.public_id.in_([first, second]))
        found = set(conn.execute(stmt).scalars())
        missing = [p for p in (first, second) if p not in found]
        if missing:
            raise NotFoundError(f"no event {missing[0]}", hint="list events with `strikedb events list`")
        _set_status(conn, first, second, "distinct", user, reason)


def mark_merged(engine: Engine, keep: str, other: str, *, user: str | None = None, reason: str | None = None) -> None:
    """Record that a pair was merged (called after :func:`events.eventops.merge_events`)."""
    first, second = _pair(keep, other)
    with engine.begin() as conn:
        _set_status(conn, first, second, "merged", user, reason)


def _set_status(conn: Any, first: str, second: str, status: str, user: str | None, reason: str | None) -> None:
    where = and_(candidates_t.c.event_public_id == first, candidates_t.c.other_public_id == second)
    values = {"status": status, "decided_at": utcnow(), "decided_by": user, "reason": reason}
    if conn.execute(update(candidates_t).where(where).values(**values)).rowcount == 0:
        conn.execute(
            insert(candidates_t).values(
                event_public_id=first, other_public_id=second, score=0.0, reasons=["decided by an analyst"], **values
            )
        )


__all__ = ["candidates_of", "list_candidates", "mark_distinct", "mark_merged"]
