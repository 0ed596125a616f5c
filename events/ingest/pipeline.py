"""The ingest run: read a file in chunks, prepare them (in worker processes for large files),
load each chunk with the :class:`events.ingest.loader.BatchLoader`, commit per batch, and keep
the run's record (``ingest_runs``, :mod:`events.runs`) true however the run ends.

Every step streams; memory stays flat whatever the file size::

    read_events(path)            -> EventRecord | RejectedRecord   (events.readers, pure)
    Enricher(record)             -> Prepared | RejectedRecord      (events.ingest.enrich)
    chunks of <= CHUNK_ROWS      -> BatchLoader.load: look up, decide, write (events.ingest.loader)
    batches of ``batch_size``    -> one transaction each (one or more chunks), then commit
"""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from importlib.resources import files
from itertools import islice
from pathlib import Path
from typing import Any, Unpack

from sqlalchemy import Connection, Engine

from events import health, rail, readers, runs
from events.errors import InputError
from events.ingest.corrections import apply_corrections
from events.ingest.enrich import Enricher, Prepared
from events.ingest.identity import FileIdentity, file_dataset, id_column_warning, in_dataset, with_id_column
from events.ingest.loader import BatchLoader
from events.ingest.options import DEFAULT_BATCH_SIZE, FileOptions, RunOptions, RunSettings
from events.ingest.report import IngestReport, ProgressCallback
from events.ingest.workers import can_fork, forked_map
from events.models import os_user
from events.publishers import load_registry
from events.readers import check_format, check_keywords
from events.readers.inputs import check_finite, check_regular_file
from events.records import EventRecord, RejectedRecord, RowProblem, SourceProblems
from events.runs import file_checksum

#: Allocations between two collections of the youngest GC generation during a run (Python's
#: default is 700); see ``_bulk_gc``.
GC_GEN0_THRESHOLD = 100_000
#: SQLite page cache (KiB) used during an ingest run; see ``_sqlite_bulk_cache``.
SQLITE_CACHE_KIB = 65536


def sample_events_path() -> Path:
    """Return the path of the bundled illustrative sample (``events/data/sample_events.csv``)."""
    return Path(str(files("events") / "data" / "sample_events.csv"))


#: Rows read, prepared and decided at a time. A transaction (``batch_size`` rows) is made of one
#: or more such chunks, cut so that every transaction ends at a chunk's end: large transactions
#: (fewer commits) without large lists in memory or a long wait for the worker's first chunk.
CHUNK_ROWS = 5000


#: Rows of the first chunk; each next one is twice as large, up to :data:`CHUNK_ROWS`. The writer
#: waits for the first chunk to be read and enriched, all of it, before it can start: a small first
#: chunk starts it 2 s sooner (5,000 rows take that long), and the larger ones keep it fed.
FIRST_CHUNK_ROWS = 250


def chunks_of_batches(items: Iterable[Any], batch_size: int) -> Iterator[list[Any]]:
    """Yield lists of at most :data:`CHUNK_ROWS` items (fewer at first); every ``batch_size`` items end a list."""
    iterator = iter(items)
    size = FIRST_CHUNK_ROWS
    while True:
        left = batch_size
        while left:
            chunk = list(islice(iterator, min(left, size, CHUNK_ROWS)))
            if not chunk:
                return
            yield chunk
            left -= len(chunk)
            size *= 2


#: What the enricher made of one row: its result, the row's own id as read, and the source cells
#: the reader dropped from it (None for a row the reader rejected, which no rule looks at again).
Outcome = tuple[Prepared | RejectedRecord, str | None, list[RowProblem] | None]


def _enriched(
    batch: list[EventRecord | RejectedRecord], enrich: Callable[[EventRecord], Prepared | RejectedRecord]
) -> tuple[int, list[Outcome]]:
    """Enrich a chunk of records: ``(rows read, outcomes)``. Row by row, so any process may do it."""
    outcomes: list[Outcome] = []
    for record in batch:
        if isinstance(record, EventRecord):
            external_id = record.external_id  # as read, before the enricher sees the record
            outcomes.append((enrich(record), external_id, record.warnings))
        else:
            outcomes.append((record, None, None))
    return len(batch), outcomes


def _split(outcomes: list[Outcome], seen: FileIdentity) -> tuple[list[Prepared], list[RejectedRecord]]:
    """Apply the file's identity rules in file order, then part the reports to load from the rejected rows."""
    prepared: list[Prepared] = []
    rejected: list[RejectedRecord] = []
    for outcome, external_id, warnings in outcomes:
        result = outcome if warnings is None else seen.check(outcome, external_id)
        if isinstance(result, Prepared):
            prepared.append(result)
            if warnings:  # dropped source cells of a loaded event go to the quarantine as source problems
                rejected.append(SourceProblems(result.file, result.line_number, result.raw, list(warnings)))
        else:
            rejected.append(result)
            if warnings:
                result.problems.extend(warnings)
    return prepared, rejected


#: Files at least this large are read and geocoded in worker processes while the main process
#: writes (``parallel=None``); below it the fork would cost more than the overlap saves.
PARALLEL_MIN_BYTES = 1 << 20

PreparedBatch = tuple[int, list[Prepared], list[RejectedRecord]]

#: Processes that enrich chunks beside the worker that reads the file (``parallel``): reading and
#: enriching cost more than the writer's share, so a helper enriches every second chunk, on the
#: core the writer leaves idle while it waits (see :func:`events.ingest.workers.forked_map`).
ENRICH_HELPERS = 1


def _prepared_batches(
    open_records: Callable[[], Iterator[EventRecord | RejectedRecord]],
    enrich: Callable[[EventRecord], Prepared | RejectedRecord],
    batch_size: int,
    *,
    parallel: bool,
) -> Iterator[PreparedBatch]:
    """Yield ``(rows read, prepared, rejected)`` per chunk (:func:`chunks_of_batches`), in file order.

    With ``parallel`` the records are read and validated in a forked worker and enriched there
    and in :data:`ENRICH_HELPERS` helper processes, ahead of the caller; the file's identity
    rules (:class:`events.ingest.identity.FileIdentity`) are applied here, in file order. The
    results are the same.
    """
    # One identity tracker per pass over the file (strict mode reads it twice).
    seen = FileIdentity()

    def chunks() -> Iterator[list[EventRecord | RejectedRecord]]:
        return chunks_of_batches(open_records(), batch_size)

    def work(batch: list[EventRecord | RejectedRecord]) -> tuple[int, list[Outcome]]:
        return _enriched(batch, enrich)

    enriched = forked_map(chunks, work, helpers=ENRICH_HELPERS) if parallel else map(work, chunks())
    for read, outcomes in enriched:
        yield read, *_split(outcomes, seen)


def _use_worker(parallel: bool | None, path: Path) -> bool:
    if parallel is False or not can_fork():
        return False
    return parallel is True or path.stat().st_size >= PARALLEL_MIN_BYTES


def ingest_file(engine: Engine, path: str | Path, **options: Unpack[FileOptions]) -> IngestReport:
    """Ingest one event file.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A database at the current schema.
    path : str or Path
        The input file.
    **options
        :class:`~events.ingest.options.FileOptions`: how to read the file
        (:class:`~events.readers.PlanOptions`: format, encoding, delimiter, column map, date
        rules), how to run (:class:`~events.ingest.options.RunOptions`: dry run, batch size,
        radii, user, progress), the id column, strict mode and the worker process.

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        When the file cannot be read at all (missing, undecodable, no header...).
    """
    check_keywords("ingest_file", options, FileOptions)
    path = Path(path)
    settings = RunSettings.of(options)
    check_format(options.get("fmt", "auto"))
    check_regular_file(path)
    if settings.batch_size < 1:
        raise InputError(f"batch size must be at least 1, not {settings.batch_size}")
    check_finite(settings.radius_km, "--radius-km")
    check_finite(settings.dedup_km, "--dedup-km")
    encoding, delimiter, id_column = options.get("encoding"), options.get("delimiter"), options.get("id_column")
    strict = options.get("strict", False)
    plan = readers.plan_file(path, **_plan_options(options))
    fmt = plan.fmt  # the layout recognised from the content when fmt was "auto"
    own_ids = readers.READERS[fmt].id_column is not None  # a dataset's own id column (ACLED, UCDP)
    dataset = settings.dataset
    if dataset is not None and own_ids:
        raise InputError(
            f"--dataset: {fmt.upper()} ids are unique across all its files already",
            hint="use --dataset for a generic CSV or GeoJSON file",
        )
    column_map = options.get("column_map")
    if id_column and not own_ids:
        column_map = {**(column_map or {}), id_column: "event_id"}
    used_id_column = _id_column_used(path, fmt, encoding, delimiter, column_map, id_column)

    def open_records() -> Iterator[EventRecord | RejectedRecord]:
        records = readers.read_events(path, encoding=encoding, delimiter=delimiter, column_map=column_map, plan=plan)
        records = with_id_column(records, id_column) if id_column and own_ids else records
        return in_dataset(records, dataset) if dataset else records

    recorded = {
        "format": plan.fmt,
        "layout": plan.describe(),
        "date_order": plan.dates.order,
        "date_format": plan.dates.pattern,
        "encoding": encoding,
        "delimiter": delimiter,
        "column_map": column_map,
        "id_column": used_id_column,
        "dataset": None if own_ids else dataset or file_dataset(str(path)),
        "strict": strict,
        "batch_size": settings.batch_size,
        "radius_km": settings.radius_km,
        "dedup_km": settings.dedup_km,
    }
    return _run(
        engine,
        open_records,
        file_label=str(path),
        checksum=file_checksum(path),
        options=recorded,
        settings=settings if settings.user is not None else replace(settings, user=os_user()),
        strict=strict,
        parallel=_use_worker(options.get("parallel"), path),
        id_column=used_id_column,
        layout=plan.describe(),
    )


def _plan_options(options: FileOptions) -> readers.PlanOptions:
    """The :class:`~events.readers.PlanOptions` among the options of :func:`ingest_file`."""
    return {name: options[name] for name in readers.PlanOptions.__optional_keys__ if name in options}  # type: ignore[misc, literal-required]


def _id_column_used(
    path: Path,
    fmt: str,
    encoding: str | None,
    delimiter: str | None,
    column_map: dict[str, str] | None,
    id_column: str | None,
) -> str | None:
    """The column that identifies the rows of a file (for the summary), None when there is none."""
    if id_column:
        return id_column
    reader = readers.READERS[fmt]
    if reader.id_column is not None:
        return reader.id_column
    if reader.container_of(path) != "csv":  # GeoJSON: the first feature's properties are its header
        for _, properties in readers.feature_properties(path):
            names = [str(name) for name in properties]
            return readers.id_column_of(readers.plan_columns(path, names, column_map, located=True))
        return None
    source = readers.open_csv(path, encoding=encoding, delimiter=delimiter)
    try:
        return readers.id_column_of(readers.plan_columns(path, source.header, column_map))
    finally:
        source.records.close()


def ingest_records(
    engine: Engine,
    records: Iterable[EventRecord | RejectedRecord],
    *,
    file_label: str = "<records>",
    fmt: str = "csv",
    **options: Unpack[RunOptions],
) -> IngestReport:
    """Ingest records produced by any reader (the library entry point behind :func:`ingest_file`).

    ``records`` is consumed once (no strict mode, which needs two passes over a file);
    ``options`` are :class:`~events.ingest.options.RunOptions`, ``file_label`` names the records
    on the run and ``fmt`` is recorded with it. The id namespace of generic records is
    ``dataset``, default the name of ``file_label``.
    """
    check_keywords("ingest_records", options, RunOptions)
    settings = RunSettings.of(options)
    dataset = settings.dataset or file_dataset(file_label)
    iterator = in_dataset(iter(records), dataset)
    return _run(
        engine,
        lambda: iterator,
        file_label=file_label,
        checksum=None,
        options={
            "format": fmt,
            "dataset": dataset,
            "batch_size": settings.batch_size,
            "radius_km": settings.radius_km,
            "dedup_km": settings.dedup_km,
        },
        settings=settings,
        strict=False,
        parallel=False,
    )


def _run(
    engine: Engine,
    open_records: Callable[[], Iterator[EventRecord | RejectedRecord]],
    *,
    file_label: str,
    checksum: str | None,
    options: dict[str, Any],
    settings: RunSettings,
    strict: bool,
    parallel: bool,
    id_column: str | None = None,
    layout: str = "",
) -> IngestReport:
    from events.geo import Geocoder

    dry_run, batch_size, user = settings.dry_run, settings.batch_size, settings.user
    started = time.perf_counter()
    report = IngestReport(
        run_id=None, file=file_label, checksum=checksum or "", id_column=id_column, layout=layout,
        dataset=options.get("dataset"),
    )  # fmt: skip
    committed = report.counts()
    with engine.connect() as conn, _sqlite_bulk_cache(conn), contextlib.ExitStack() as stack:
        health.refuse_damaged(conn)  # writing into a damaged file spreads the damage
        run_id = runs.start_run(conn, file_label, checksum, options, user, dry_run=dry_run)
        report.run_id = None if dry_run else run_id
        if not dry_run:
            stack.callback(runs.release_run, conn, run_id)
        try:
            geocoder = Geocoder(conn, radius_km=settings.radius_km)
            registry = load_registry(conn)
            enrich = Enricher(geocoder, registry)
            # checksum: quarantine rows of an identical re-run are stored once
            loader = BatchLoader(
                conn, run_id, dedup_km=settings.dedup_km, user=user, report=report, registry=registry, checksum=checksum
            )
            stack.enter_context(_bulk_gc())

            def batches() -> contextlib.closing[Iterator[PreparedBatch]]:
                # closing(): an early stop (error, Ctrl-C) ends a worker process at once.
                return contextlib.closing(_prepared_batches(open_records, enrich, batch_size, parallel=parallel))

            if strict and _strict_precheck(batches(), loader, report):
                report.status = "failed"
            else:
                _load_all(conn, batches(), loader, report, dry_run, settings.progress, committed, batch_size)
                report.status = "dry_run" if dry_run else "committed"
        except BaseException as exc:
            _end_failed_run(engine, conn, run_id, report, committed, dry_run=dry_run, exc=exc)
            raise
        if dry_run:
            conn.rollback()
        else:
            if report.status == "committed":  # the whole file was read: rows it no longer has are known
                apply_corrections(
                    conn, loader.decider.corrections, run_id=run_id, run_file=loader.finder.run_file,
                    report=report, user=user,
                )  # fmt: skip
            runs.finish_run(conn, run_id, report.status, report.counts())
            rail.link_rail_events(conn, run_id=run_id)  # strikes on rail lines (events/rail.py)
            conn.commit()
    report.id_warning = id_column_warning(id_column, report.read, report.duplicate_ids)
    report.duration = time.perf_counter() - started
    return report


@contextlib.contextmanager
def _bulk_gc() -> Iterator[None]:
    """Keep Python's cyclic garbage collector off the long-lived objects during a run.

    A run allocates millions of short-lived containers (records, dicts, tuples), so the collector
    runs often, and each older-generation pass walks every object alive: the gazetteer, the
    boundaries, SQLAlchemy's metadata, the chunk in flight. Measured: it was 10 of the 17 us per
    row that unpickling a worker's chunk cost, and 200,000 rows took 19 s instead of 24 without
    it (docs/benchmarks.md). The objects alive at the start are frozen (never scanned; a forked
    worker inherits that) and the youngest generation is collected every
    :data:`GC_GEN0_THRESHOLD` allocations instead of 700. The run's data has no reference
    cycles to speak of: reference counting frees it as before, and whatever cycles there are
    still get collected. Both settings are restored.
    """
    thresholds = gc.get_threshold()
    # A caller (an application server...) may have frozen objects itself: leave those frozen.
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    gc.set_threshold(GC_GEN0_THRESHOLD, *thresholds[1:])
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not was_frozen:
            gc.unfreeze()


@contextlib.contextmanager
def _sqlite_bulk_cache(conn: Connection) -> Iterator[None]:
    """Give a SQLite connection a larger page cache for the run, then restore the previous size.

    The indexes of a growing ``events`` table soon outgrow SQLite's 2 MB default cache, after which
    every insert reads index pages back from the OS. The cache is memory only (durability is
    untouched) and bounded by :data:`SQLITE_CACHE_KIB`. Set on the DBAPI connection directly so no
    transaction is opened for it.
    """
    if conn.dialect.name != "sqlite":
        yield
        return
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    previous = dbapi.execute("PRAGMA cache_size").fetchone()[0]
    dbapi.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with contextlib.suppress(Exception):
            dbapi.execute(f"PRAGMA cache_size = {int(previous)}")


def _load_all(
    conn: Connection,
    batches: contextlib.closing[Iterator[PreparedBatch]],
    loader: BatchLoader,
    report: IngestReport,
    dry_run: bool,
    progress: ProgressCallback | None,
    committed: dict[str, int],
    batch_size: int,
) -> None:
    """Load every chunk; commit each time ``batch_size`` rows are in (and at the end)."""
    pending = 0
    with batches as prepared_batches:
        for read, prepared, rejected in prepared_batches:
            report.read += read
            loader.load(prepared, rejected)
            pending += read
            if progress is not None:
                progress(report.read)
            if pending >= batch_size:
                commit_batch(conn, loader, report, dry_run, committed)
                pending = 0
    if pending:
        commit_batch(conn, loader, report, dry_run, committed)


def commit_batch(
    conn: Connection, loader: BatchLoader, report: IngestReport, dry_run: bool, committed: dict[str, int]
) -> None:
    """Commit the batch (its counts are then what is really stored)."""
    if not dry_run:
        runs.finish_run(conn, loader.run_id, report.status, report.counts())
        conn.commit()
        committed.update(report.counts())


def _strict_precheck(
    batches: contextlib.closing[Iterator[PreparedBatch]], loader: BatchLoader, report: IngestReport
) -> bool:
    """Validate and geocode the whole file; quarantine rejected rows. True when any was rejected."""
    read = 0
    valid = 0
    source_problems: list[RejectedRecord] = []
    with batches as prepared_batches:
        for batch_read, prepared, rejected in prepared_batches:
            read += batch_read
            valid += len(prepared)
            loader.quarantine([r for r in rejected if r.kind != "source"])
            source_problems += [r for r in rejected if r.kind == "source"]
    if report.rejected:
        # Every row is accounted for: rejected, or valid but held back by --strict.
        report.read = read
        report.held_back = valid
        loader.quarantine(source_problems)
        return True
    return False  # the source problems are stored when the rows are loaded


def _end_failed_run(
    engine: Engine,
    conn: Connection,
    run_id: int,
    report: IngestReport,
    committed: dict[str, int],
    *,
    dry_run: bool,
    exc: BaseException,
) -> None:
    """Roll back the batch in progress and record the run as ``failed`` or ``interrupted``.

    The counts are read back from the run's row: they were written in the transaction of the
    last committed batch, so they are what is stored even when the error struck between a
    commit and the bookkeeping after it. The report is attached to the exception as
    ``exc.ingest_report`` (the CLI prints what was committed after Ctrl-C). Best effort: when the
    database itself failed, the original error matters more; a run that cannot be closed here is
    marked ``interrupted`` by the next ingest (:func:`events.runs.close_dead_runs`).
    """
    with contextlib.suppress(Exception):
        conn.rollback()
    for name, value in committed.items():
        setattr(report, name, value)
    with contextlib.suppress(AttributeError):
        exc.ingest_report = report  # type: ignore[attr-defined]
    if dry_run:
        return
    report.status = "failed" if isinstance(exc, Exception) else "interrupted"
    for attempt in (conn, None):
        try:
            if attempt is None:
                with engine.begin() as fresh:
                    _store_final_status(fresh, run_id, report)
            else:
                _store_final_status(attempt, run_id, report)
                attempt.commit()
            return
        except Exception:  # try the next way; the original error is re-raised by the caller
            # The old connection may still hold SQLite's write lock (a statement cut short by
            # Ctrl-C): close it, or the fresh connection would wait for it ("database is locked").
            with contextlib.suppress(Exception):
                conn.invalidate()
            continue


def _store_final_status(conn: Connection, run_id: int, report: IngestReport) -> None:
    stored = runs.close_run(conn, run_id, report.status)
    for name, value in (stored or {}).items():
        setattr(report, name, value)


__all__ = [
    "CHUNK_ROWS",
    "DEFAULT_BATCH_SIZE",
    "FIRST_CHUNK_ROWS",
    "GC_GEN0_THRESHOLD",
    "PARALLEL_MIN_BYTES",
    "SQLITE_CACHE_KIB",
    "chunks_of_batches",
    "commit_batch",
    "ingest_file",
    "ingest_records",
    "sample_events_path",
]
