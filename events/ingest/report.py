"""What one ingest run did: :class:`IngestReport`, filled by the loader and returned to the caller."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from events.counters import counters
from events.records import RowProblem

#: Problems kept on the report for display; all of them are stored in ``rejected_rows``.
MAX_PROBLEMS_KEPT = 100

ProgressCallback = Callable[[int], None]


@dataclass
class IngestReport(counters("read", "inserted", "updated", "merged", "unchanged", "rejected")):
    """What one ingest run did.

    Attributes
    ----------
    run_id : int or None
        ``ingest_runs.id`` (None for a dry run, whose writes are rolled back).
    file : str
    status : str
        ``committed``, ``failed`` (strict mode found problems) or ``dry_run``.
    read : int
        Rows read (valid and rejected).
    inserted, updated, merged, unchanged, rejected : int
        What happened to them; they add up to ``read``.
    held_back : int
        Valid rows not loaded because ``--strict`` found rejected rows (they count towards ``read``).
    source_problems : int
        Source cells dropped from loaded events (placeholders, local paths...), each stored in the
        quarantine with kind ``source``.
    layout : str
        How the file was read: its layout and date order (see :meth:`events.readers.ReadPlan.describe`).
    problems : list of RowProblem
        The first problems found (at most :data:`MAX_PROBLEMS_KEPT`).
    duration : float
        Seconds.
    checksum : str
        SHA-256 of the file.
    """

    run_id: int | None
    file: str
    status: str = "running"
    held_back: int = 0
    source_problems: int = 0
    layout: str = ""
    problems: list[RowProblem] = field(default_factory=list)
    #: The first source problems (at most :data:`MAX_PROBLEMS_KEPT`); all are in ``rejected_rows``.
    source_warnings: list[RowProblem] = field(default_factory=list)
    duration: float = 0.0
    checksum: str = ""
    #: The column that identified the rows (None: the rows had no id column).
    id_column: str | None = None
    #: The id namespace of a generic CSV/GeoJSON file (``--dataset``, default the file's name).
    dataset: str | None = None
    #: Set when most rows share one id: the id column looks wrong (see events.ingest.identity).
    id_warning: str | None = None
    #: Repeated ids quarantined in this run, by id.
    duplicate_ids: Counter[str] = field(default_factory=Counter)
    #: New duplicate candidates stored (pairs for review, see ``strikedb events duplicates``).
    candidates: int = 0
    #: Warnings about loaded rows (a named facility too far to link...), ``file:line: text``.
    warnings: list[str] = field(default_factory=list)

    @property
    def accounted(self) -> int:
        """Rows with a known outcome; equals :attr:`read` after a complete run."""
        return self.inserted + self.updated + self.merged + self.unchanged + self.rejected + self.held_back


__all__ = ["MAX_PROBLEMS_KEPT", "IngestReport", "ProgressCallback"]
