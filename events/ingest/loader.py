"""The batch loader: what a batch of prepared reports does to the database.

One chunk at a time, in the caller's transaction: :class:`events.ingest.candidates.CandidateFinder`
looks up the stored events the reports may be, :class:`events.ingest.decide.Decider` decides
what each report does, :class:`events.ingest.write.BatchWriter` stores it and quarantines the
rejected rows. What the chunk found and decided lives in a new
:class:`events.ingest.state.BatchState` per chunk.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from events.ingest.candidates import CandidateFinder
from events.ingest.decide import Decider
from events.ingest.enrich import Prepared
from events.ingest.report import IngestReport
from events.ingest.state import BatchState
from events.ingest.write import BatchWriter
from events.publishers import Registry
from events.records import RejectedRecord
from events.runs import INGEST_LOCK_KEY

#: PostgreSQL: refresh the planner's statistics once a run has inserted this many events, and then
#: each time it has doubled the table (see ``BatchLoader._refresh_pg_statistics``).
PG_ANALYZE_MIN_ROWS = 5000


class BatchLoader:
    """Decides and writes what a batch of prepared reports does to the database.

    One instance per run; :meth:`load` handles one batch inside the caller's transaction.

    Parameters
    ----------
    conn : sqlalchemy.Connection
    run_id : int or None
        The run, recorded on what is written.
    dedup_km : float
        Reports of the same date within this distance are one strike (see :mod:`events.dedup`).
    user : str, optional
        Recorded on revisions.
    report : IngestReport
        The run's report, whose counts each batch adds to.
    registry : events.publishers.Registry, optional
        Grades the publishers (default: the bundled registry).
    checksum : str, optional
        SHA-256 of the file being loaded: rows an earlier run of it quarantined are stored once.
    """

    def __init__(
        self,
        conn: Connection,
        run_id: int | None,
        *,
        dedup_km: float,
        user: str | None,
        report: IngestReport,
        registry: Registry | None = None,
        checksum: str | None = None,
    ) -> None:
        self.conn = conn
        self.run_id = run_id
        self.report = report
        self.finder = CandidateFinder(conn, dedup_km=dedup_km, run_id=run_id)
        self.decider = Decider(self.finder, report, run_id=run_id, dedup_km=dedup_km, user=user, registry=registry)
        self.writer = BatchWriter(conn, run_id, report=report, checksum=checksum)
        #: PostgreSQL: rows in ``events`` when the planner's statistics were last refreshed, and
        #: this run's insert count then (None: not read yet).
        self._rows_at_analyze: float | None = None
        self._inserted_at_analyze = 0

    def load(self, prepared: list[Prepared], rejected: list[RejectedRecord]) -> None:
        """Insert, update or merge a batch of reports and quarantine the rejected rows."""
        if self.conn.dialect.name == "postgresql":
            # Concurrent ingests really run in parallel on PostgreSQL: two batches could both find a
            # report missing and both insert it (a unique violation, or a missed merge). A
            # transaction-scoped advisory lock queues batch writers as BEGIN IMMEDIATE does on SQLite.
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            self._refresh_pg_statistics()
        state = BatchState()
        self.finder.find(state, prepared)
        for item in prepared:
            self.decider.decide(state, item)
        self.writer.flush(state)
        self.writer.quarantine([*rejected, *state.rejected])

    def quarantine(self, rejected: list[RejectedRecord]) -> None:
        """Count and store rejected rows without loading anything (``--strict``'s first pass)."""
        self.writer.quarantine(rejected)

    def _refresh_pg_statistics(self) -> None:
        """ANALYZE the tables the look-ups read each time this run has doubled ``events``.

        The planner plans the candidate queries from the table statistics. Without fresh ones a
        table that grew from empty during the run still looks empty (autovacuum analyzes it only
        later), and the spatial look-up stopped using the GiST index well: 419 us per row at 50,000
        rows instead of 72 (docs/benchmarks.md). ANALYZE samples a fixed number of rows, so each
        refresh costs about the same; doubling keeps them to a logarithmic few per run. It sees
        this transaction's own rows. A user who does not own the tables gets a warning from the
        server, not an error.
        """
        if self._rows_at_analyze is None:
            estimate = self.conn.exec_driver_sql("SELECT reltuples FROM pg_class WHERE oid = 'events'::regclass")
            self._rows_at_analyze = max(0.0, float(estimate.scalar_one()))
        grown = self.report.inserted - self._inserted_at_analyze
        if grown >= max(PG_ANALYZE_MIN_ROWS, self._rows_at_analyze):
            self.conn.exec_driver_sql("ANALYZE events, sources, event_sources")
            self._rows_at_analyze += grown
            self._inserted_at_analyze = self.report.inserted


__all__ = ["PG_ANALYZE_MIN_ROWS", "BatchLoader"]
