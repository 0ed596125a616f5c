"""The state of one batch: the events it touched and what it found and decided about them.

A new :class:`BatchState` is made for each chunk of prepared reports (:meth:`events.ingest.loader.BatchLoader.load`):
the look-ups (:mod:`events.ingest.candidates`) fill it, the decisions (:mod:`events.ingest.decide`)
change the events in it and the writes (:mod:`events.ingest.write`) store it. Nothing in it
outlives the chunk, so memory stays flat whatever the file size.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from events.records import RejectedRecord, SourceRecord


@dataclass
class BatchEvent:
    """An event touched by the current batch (new, or loaded from the database)."""

    values: dict[str, Any]
    is_new: bool
    original: dict[str, Any] | None = None
    #: Sources to link in this batch.
    new_sources: list[SourceRecord] = field(default_factory=list)
    #: The link role of each of ``new_sources`` known already (by ``id()`` of the source): the
    #: enricher computed them with the report's publishers, so the writer need not again.
    roles: dict[int, str] = field(default_factory=dict)
    #: ``(url, publisher)`` of every source of the event, for corroboration (None = not loaded).
    publishers: list[tuple[str | None, str | None]] | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)
    #: Loaded without the report's ``extra`` columns (CandidateFinder._light_rows); read in full before a change.
    partial: bool = False


@dataclass
class BatchState:
    """What one chunk of reports found and decided (see the module docstring)."""

    #: Stored events loaded by this chunk, by id.
    cache: dict[int, BatchEvent] = field(default_factory=dict)
    #: Events by report key: stored ones found by key, and new ones inserted by this chunk.
    by_key: dict[str, BatchEvent] = field(default_factory=dict)
    #: Events this chunk inserts, in order.
    new: list[BatchEvent] = field(default_factory=list)
    #: New events of this chunk by (day, grid cell) and by (day, facility): see
    #: :meth:`events.ingest.candidates.CandidateFinder.candidates_for`.
    new_by_cell: defaultdict[tuple[dt.date, int, int], list[BatchEvent]] = field(
        default_factory=lambda: defaultdict(list)
    )
    new_by_facility: defaultdict[tuple[dt.date, int], list[BatchEvent]] = field(
        default_factory=lambda: defaultdict(list)
    )
    #: New events dated by week or month (compared with every report).
    new_coarse: list[BatchEvent] = field(default_factory=list)
    #: (id() of a report, event id) pairs that share a source URL.
    shared_url: set[tuple[int, int]] = field(default_factory=set)
    #: Stored candidate events of each report not stored yet, keyed by ``id()`` of the report.
    db_cands: dict[int, list[BatchEvent]] = field(default_factory=dict)
    #: Public ids an analyst deleted or merged away (not re-created by a re-import).
    removed: set[str] = field(default_factory=set)
    #: Pairs of public ids an analyst declared distinct.
    distinct: set[frozenset[str]] = field(default_factory=set)
    #: Reports the decisions refused (an id matching an event of another day and place): quarantined.
    rejected: list[RejectedRecord] = field(default_factory=list)
    #: Duplicate candidates found in this chunk: (event values, other values, score, reasons).
    proposals: list[tuple[dict[str, Any], dict[str, Any], float, list[str]]] = field(default_factory=list)


__all__ = ["BatchEvent", "BatchState"]
