"""The keyword options of an ingest run, typed once for :func:`ingest_file` and :func:`ingest_records`."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict

from events import dedup
from events.ingest.report import ProgressCallback
from events.readers import PlanOptions

#: Rows per transaction unless told otherwise (``--batch-size``). Commits are what large files pay
#: for at this size: with random-order keys in several indexes, every commit writes most index
#: pages again (1,000,000 events: 121 s of inserts with 5,000-row transactions, 62 s with 50,000;
#: docs/benchmarks.md). Memory does not grow with it (see :data:`events.ingest.pipeline.CHUNK_ROWS`).
DEFAULT_BATCH_SIZE = 50_000


class RunOptions(TypedDict, total=False):
    """How to run an ingest, all optional: the options of :func:`ingest_records` (and :func:`ingest_file`).

    Attributes
    ----------
    dry_run : bool
        Do everything in one transaction and roll it back: the counts are exact, nothing is kept.
    batch_size : int
        Rows per transaction (default :data:`DEFAULT_BATCH_SIZE`).
    radius_km : float
        Events within this distance of a known facility are linked to it (default 3).
    dedup_km : float
        Reports of the same date within this distance are one strike (see :mod:`events.dedup`).
    user : str or None
        Recorded on the run and on revisions; :func:`ingest_file` defaults it to the OS user.
    progress : callable or None
        Called with the number of rows read after each batch is written and before it is
        committed. An exception it raises aborts the run: that batch is rolled back, earlier
        batches stay, and re-running the file completes it without duplicates.
    dataset : str or None
        The id namespace of generic CSV or GeoJSON rows: rows of files of one dataset with the
        same id are one report (default: the file's name, for :func:`ingest_records` the name of
        ``file_label``; see :mod:`events.ingest.identity`). Not for ACLED or UCDP, whose ids are
        unique across their files.
    """

    dry_run: bool
    batch_size: int
    radius_km: float
    dedup_km: float
    user: str | None
    progress: ProgressCallback | None
    dataset: str | None


class FileOptions(PlanOptions, RunOptions, total=False):
    """The options of :func:`ingest_file`: :class:`~events.readers.PlanOptions`, :class:`RunOptions` and these.

    Attributes
    ----------
    id_column : str or None
        The column whose value identifies each row (default: recognised from the header, see
        :mod:`events.ingest.identity`).
    strict : bool
        Validate (and geocode) the whole file first; if any row is rejected, store the run as
        ``failed`` with its rejected rows and load no event.
    parallel : bool or None
        Read, validate and geocode the next chunks in worker processes while this one writes
        (same results, same transactions). Default: when the file is at least
        :data:`events.ingest.pipeline.PARALLEL_MIN_BYTES` and the system can fork with more than one CPU.
    """

    id_column: str | None
    strict: bool
    parallel: bool | None


@dataclass(frozen=True)
class RunSettings:
    """:class:`RunOptions` with their defaults filled in: what a run uses."""

    dry_run: bool = False
    batch_size: int = DEFAULT_BATCH_SIZE
    radius_km: float = 3.0
    dedup_km: float = dedup.DEDUP_KM
    user: str | None = None
    progress: ProgressCallback | None = None
    dataset: str | None = None

    @classmethod
    def of(cls, options: Mapping[str, Any]) -> RunSettings:
        """The settings of the :class:`RunOptions` among ``options`` (other keys are left to the caller)."""
        return cls(**{name: options[name] for name in RunOptions.__optional_keys__ if name in options})


__all__ = ["DEFAULT_BATCH_SIZE", "FileOptions", "RunOptions", "RunSettings"]
