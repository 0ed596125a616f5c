"""Load event files into the database: geocode, grade, deduplicate, store, quarantine.

The pipeline, one module per step (every step streams; memory stays flat whatever the file size)::

    events.readers               read_events(path) -> EventRecord | RejectedRecord (pure)
    events.ingest.identity       report key, content hash, public id; repeated ids and rows of a file
    events.ingest.enrich         Enricher(record) -> Prepared | RejectedRecord (geocoding, grading)
    events.ingest.workers        the reading and enrichment in forked workers (a reader and a helper)
    events.ingest.loader         BatchLoader.load(chunk), over a new BatchState (events.ingest.state):
      events.ingest.candidates     look up stored events by key and candidate events (IN/VALUES queries)
      events.ingest.decide         insert / update / merge / unchanged, revisions, duplicate candidates
      events.ingest.write          write with executemany or COPY; quarantine rejected rows
    events.ingest.pipeline       the run: chunks, one transaction per batch, the ingest_runs record

Identity of a report (documented in ``docs/ingest.md``, details in :mod:`events.ingest.identity`):
a deterministic report key (``events.natural_key``), a content hash of every value the row
states (same key + same hash = unchanged; other hash = update with an ``event_revisions`` row)
and a public id ``SDB-`` + 12 hex digits of the key. Reports merged into an existing event
(:mod:`events.dedup`) are remembered in the event's ``extra["_strikedb"]["reports"]``
(:mod:`events.revisions`), so re-importing them is also "unchanged". Events an analyst deleted or
merged away are not re-created by a re-import (their ``delete``/``merge`` revision is found by
public id).
"""

from __future__ import annotations

from events.ingest.enrich import Enricher, Prepared
from events.ingest.identity import content_hash, public_id_for, report_key
from events.ingest.loader import BatchLoader
from events.ingest.options import FileOptions, RunOptions
from events.ingest.pipeline import (
    DEFAULT_BATCH_SIZE,
    ingest_file,
    ingest_records,
    sample_events_path,
)
from events.ingest.report import IngestReport
from events.runs import INGEST_LOCK_KEY, file_checksum

__all__ = [
    "DEFAULT_BATCH_SIZE",
    "INGEST_LOCK_KEY",
    "BatchLoader",
    "Enricher",
    "FileOptions",
    "IngestReport",
    "Prepared",
    "RunOptions",
    "content_hash",
    "file_checksum",
    "ingest_file",
    "ingest_records",
    "public_id_for",
    "report_key",
    "sample_events_path",
]
