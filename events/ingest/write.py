"""Writes of a batch, and the bulk SQL they use.

:class:`BatchWriter` stores what the decisions (:mod:`events.ingest.decide`) left in a batch's
:class:`events.ingest.state.BatchState` (new events, changed columns, source links, revisions,
duplicate candidates) and quarantines rejected rows. The bulk helpers below go through the DBAPI
with SQLAlchemy's own type conversions: :func:`fast_insert` (``executemany``, ``COPY`` on
PostgreSQL) and :func:`in_query` (``IN`` look-ups in chunks).
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Iterator
from operator import itemgetter
from typing import Any

from sqlalchemy import Connection, bindparam, insert, update

from events.db import sqlite_rtree_filled_after
from events.ingest.identity import DUPLICATE_ID
from events.ingest.report import MAX_PROBLEMS_KEPT, IngestReport
from events.ingest.state import BatchEvent, BatchState
from events.models import DuplicateCandidate, Event, EventSource, RejectedRow, Source, utcnow
from events.records import RejectedRecord, SourceRecord, db_text
from events.revisions import revisions_t, source_role

events_t = Event.__table__
sources_t = Source.__table__
links_t = EventSource.__table__
candidates_t = DuplicateCandidate.__table__
rejected_t = RejectedRow.__table__


class BatchWriter:
    """Stores each batch in the caller's transaction; one instance per run.

    Parameters
    ----------
    conn : sqlalchemy.Connection
    run_id : int or None
        The run, recorded on what is written (None: rejected rows are counted, not stored).
    report : IngestReport
        Counts candidates, rejected rows and source problems.
    checksum : str, optional
        SHA-256 of the file being loaded: finds rows an earlier run of it quarantined.
    """

    def __init__(self, conn: Connection, run_id: int | None, *, report: IngestReport, checksum: str | None) -> None:
        self.conn = conn
        self.run_id = run_id
        self.report = report
        self.checksum = checksum
        self.sqlite = conn.dialect.name == "sqlite"

    def flush(self, state: BatchState) -> None:
        """Write what the batch decided: new events, changed columns, source links, revisions, candidates."""
        self._insert_new(state)
        self._update_dirty(state)
        self._link_sources(state)
        revisions = []
        for ev in [*state.new, *state.cache.values()]:
            for row in ev.revisions:
                row["event_id"] = ev.values["id"]
                revisions.append(row)
        if revisions:
            self.conn.execute(insert(revisions_t), revisions)
        self._write_candidates(state)

    def _write_candidates(self, state: BatchState) -> None:
        """Store this chunk's duplicate candidates, each pair once (ordered by public id), never again."""
        if not state.proposals:
            return
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for a, b, score, reasons in state.proposals:
            first, second = sorted((a["public_id"], b["public_id"]))
            if (first, second) not in rows or rows[(first, second)]["score"] < score:
                rows[(first, second)] = {
                    "event_public_id": first,
                    "other_public_id": second,
                    "score": score,
                    "reasons": reasons,
                    "status": "open",
                    "ingest_run_id": self.run_id,
                    "created_at": utcnow(),
                }
        sql = "SELECT event_public_id, other_public_id FROM duplicate_candidates WHERE event_public_id IN ({})"
        for pair in in_query(self.conn, sql, sorted({first for first, _ in rows})):
            rows.pop((pair[0], pair[1]), None)
        if rows:
            self.conn.execute(insert(candidates_t), list(rows.values()))
            self.report.candidates += len(rows)

    def _insert_new(self, state: BatchState) -> None:
        if not state.new:
            return
        if self.sqlite:
            # The batch holds SQLite's write lock: number the new events as SQLite would (after
            # the largest id) and fill their R*Tree entries in one statement after the insert.
            first_id = self._next_sqlite_id("events")
            for offset, ev in enumerate(state.new):
                ev.values["id"] = first_id + offset
            with sqlite_rtree_filled_after(self.conn, "events", first_id):
                fast_insert(self.conn, events_t, [ev.values for ev in state.new])
            return
        # Plain executemany, then one look-up of the ids by public id: INSERT ... RETURNING
        # does not promise the order of the parameters.
        fast_insert(self.conn, events_t, [ev.values for ev in state.new])
        by_public_id = {ev.values["public_id"]: ev for ev in state.new}
        sql = "SELECT public_id, id FROM events WHERE public_id IN ({})"
        for public_id, event_id in in_query(self.conn, sql, list(by_public_id)):
            by_public_id[public_id].values["id"] = event_id

    def _update_dirty(self, state: BatchState) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ev in state.cache.values():
            assert ev.original is not None
            changed = tuple(sorted(c for c in ev.values if c != "id" and ev.values[c] != ev.original.get(c)))
            if changed:
                groups[changed].append({"_id": ev.values["id"], **{c: ev.values[c] for c in changed}})
        for columns, rows in groups.items():
            stmt = (
                update(events_t)
                .where(events_t.c.id == bindparam("_id"))
                .values({c: bindparam(c) for c in columns if c not in ("updated_at", "created_at")})
            )
            self.conn.execute(stmt, rows)

    def _link_sources(self, state: BatchState) -> None:
        pairs = [(ev, s) for ev in [*state.new, *state.cache.values()] for s in ev.new_sources]
        if not pairs:
            return
        url_ids = self._source_ids_by_url({s.url: s for _, s in pairs if s.url})
        plain = [s for _, s in pairs if not s.url]
        plain_ids: list[int] = []
        # Sources without URL are few (no unique key to look them up by): one INSERT each.
        stmt = insert(sources_t).returning(sources_t.c.id)
        plain_ids = [self.conn.execute(stmt, _source_row(s)).scalar_one() for s in plain]
        plain_iter = iter(plain_ids)
        links: dict[tuple[int, int], dict[str, Any]] = {}
        for ev, source in pairs:
            source_id = url_ids[source.url] if source.url else next(plain_iter)
            key = (ev.values["id"], source_id)
            links.setdefault(
                key,
                {"event_id": key[0], "source_id": source_id, "role": _role(ev, source), "ingest_run_id": self.run_id},
            )
        existing_events = [ev.values["id"] for ev in state.cache.values() if ev.new_sources]
        sql = "SELECT event_id, source_id FROM event_sources WHERE event_id IN ({})"
        for pair in in_query(self.conn, sql, existing_events):
            links.pop((pair[0], pair[1]), None)
        if links:
            fast_insert(self.conn, links_t, list(links.values()))

    def _source_ids_by_url(self, wanted: dict[str, SourceRecord]) -> dict[str, int]:
        if self.sqlite:
            inserted = self._insert_if_all_new(wanted)
            if inserted is not None:
                return inserted
        sql = "SELECT url, id FROM sources WHERE url IN ({})"
        urls = list(wanted)
        ids: dict[str, int] = dict(in_query(self.conn, sql, urls))
        missing = [wanted[u] for u in urls if u not in ids]
        if not missing:
            return ids
        rows = [_source_row(s) for s in missing]
        if self.sqlite:
            # In the write lock, as for events: number the rows here rather than look them up.
            first_id = self._next_sqlite_id("sources")
            for offset, row in enumerate(rows):
                row["id"] = ids[row["url"]] = first_id + offset
            fast_insert(self.conn, sources_t, rows)
        else:
            fast_insert(self.conn, sources_t, rows)
            ids.update(in_query(self.conn, sql, [s.url for s in missing]))
        return ids

    def _insert_if_all_new(self, wanted: dict[str, SourceRecord]) -> dict[str, int] | None:
        """SQLite: insert the sources when none of their URLs is stored yet; their ids, or None.

        The sources of a file's new reports are mostly new: inserting them right away (a URL
        stored already is skipped) saves looking every URL up first. When any was stored, a
        savepoint undoes the attempt and the caller looks them up as before, so the ids given
        are the same either way.
        """
        rows = [_source_row(s) for s in wanted.values()]
        first_id = self._next_sqlite_id("sources")
        for offset, row in enumerate(rows):
            row["id"] = first_id + offset
        savepoint = self.conn.begin_nested()
        if fast_insert(self.conn, sources_t, rows, unless_stored="url") == len(rows):
            savepoint.commit()
            return {row["url"]: row["id"] for row in rows}
        savepoint.rollback()
        return None

    def _next_sqlite_id(self, table: str) -> int:
        """The id SQLite would give the next row of ``table`` (the caller holds the write lock)."""
        return self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").scalar_one()

    def quarantine(self, rejected: list[RejectedRecord]) -> None:
        """Count rejected rows and source problems on the report and store them in ``rejected_rows``."""
        if not rejected:
            return
        rows = []
        for rec in rejected:
            if rec.kind == "source":
                self.report.source_problems += 1
            else:
                self.report.rejected += 1
            kept = self.report.source_warnings if rec.kind == "source" else self.report.problems
            for problem in rec.problems:
                if problem.reason.startswith(DUPLICATE_ID) and problem.value is not None:
                    self.report.duplicate_ids[problem.value] += 1
                if len(kept) < MAX_PROBLEMS_KEPT:
                    kept.append(problem)
            if self.run_id is None:
                continue
            reasons = [
                {k: (db_text(v) if isinstance(v, str) else v) for k, v in p.as_dict().items()} for p in rec.problems
            ]
            rows.append(
                {
                    "run_id": self.run_id,
                    "file_path": db_text(rec.file),
                    "line_number": rec.line_number,
                    "raw_row": db_text(rec.raw),
                    "reasons": reasons,
                    "kind": rec.kind,
                }
            )
        rows = self._not_yet_quarantined(rows)
        if rows:
            self.conn.execute(insert(rejected_t), rows)

    def _not_yet_quarantined(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Drop rows an earlier run of the same file (same checksum) already quarantined.

        A re-run of an unchanged file rejects the same rows again: they are counted on this run
        but stored once, at the line and with the text they had.
        """
        checksum = self.checksum
        if not rows or not checksum or not re.fullmatch("[0-9a-f]{64}", checksum):
            return rows
        sql = (
            "SELECT r.line_number, r.raw_row FROM rejected_rows AS r JOIN ingest_runs AS u ON u.id = r.run_id "
            f"WHERE u.checksum = '{checksum}' AND r.run_id <> {int(self.run_id or 0)} AND r.line_number IN ({{}})"
        )
        lines = sorted({row["line_number"] for row in rows})
        seen = {(line, hashlib.sha256(raw.encode()).digest()) for line, raw in in_query(self.conn, sql, lines)}
        if not seen:
            return rows
        return [r for r in rows if (r["line_number"], hashlib.sha256(r["raw_row"].encode()).digest()) not in seen]


def _role(ev: BatchEvent, source: SourceRecord) -> str:
    """The link role of a source of ``ev``: the one the enricher or the decider computed, if any."""
    role = ev.roles.get(id(source))
    return source_role(source) if role is None else role


def fast_insert(
    conn: Connection, table: Any, rows: list[dict[str, Any]], *, unless_stored: str | None = None
) -> int | None:
    """Insert rows with the DBAPI's ``executemany`` (``COPY`` on PostgreSQL), using SQLAlchemy's own type conversions.

    Same stored values as ``conn.execute(insert(table), rows)`` (the column types' bind
    processors and Python-side defaults are applied), without its per-row bookkeeping, which
    doubles the cost of a bulk insert. The rows of one call normally share their keys: they are
    turned into tuples with one ``itemgetter`` and only the columns that need it (dates, JSON...)
    are converted.

    ``unless_stored`` (SQLite only) names a unique column: a row whose value of it is stored
    already is skipped (``ON CONFLICT (column) DO NOTHING``; any other constraint still fails).
    Returns the number of rows written on SQLite, None on PostgreSQL.
    """
    if not rows:
        return 0
    dialect = conn.dialect
    columns = [c for c in table.columns if c.name in rows[0] or (c.default is not None and not c.primary_key)]
    given = [c for c in columns if c.name in rows[0]]
    defaulted = [c for c in columns if c.name not in rows[0]]
    defaults = []
    for c in defaulted:
        arg = c.default.arg
        defaults.append(arg(None) if callable(arg) else arg)
    names = [c.name for c in given] + [c.name for c in defaulted]
    processors = [(i, c.type._cached_bind_processor(dialect)) for i, c in enumerate(given)]
    given_processors = [(i, p) for i, p in processors if p is not None]
    default_values = [
        (p(v) if p is not None and v is not None else v)
        for v, p in zip(defaults, (c.type._cached_bind_processor(dialect) for c in defaulted), strict=True)
    ]
    keys = rows[0].keys()
    if all(row.keys() == keys for row in rows):
        params = _row_tuples(rows, [c.name for c in given], given_processors, default_values)
    else:
        # Rows with different keys: take each value by name, a default where a row lacks it.
        params = _row_tuples_by_name(rows, names, columns, defaults, dialect)
    if dialect.name == "postgresql":
        assert unless_stored is None, "unless_stored is for SQLite"
        _copy_rows(conn, table.name, names, params)
        return None
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    if unless_stored is not None:
        sql += f" ON CONFLICT ({unless_stored}) DO NOTHING"
    return conn.exec_driver_sql(sql, params).rowcount


def _copy_rows(conn: Connection, table_name: str, names: list[str], params: list[tuple[Any, ...]]) -> None:
    """Write rows with PostgreSQL ``COPY ... FROM STDIN`` in the connection's transaction.

    COPY streams the rows in one command where ``executemany`` sends a statement per row (even
    pipelined): the events, sources and links of an ingest chunk load several times faster
    (docs/benchmarks.md). Triggers (the PostGIS point) and constraints apply as for INSERT.
    Values are those SQLAlchemy would bind (JSON already serialised), adapted by psycopg.
    """
    dbapi = conn.connection.dbapi_connection
    assert dbapi is not None
    statement = f"COPY {table_name} ({', '.join(names)}) FROM STDIN"
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:
        for row in params:
            copy.write_row(row)


def _row_tuples(
    rows: list[dict[str, Any]], names: list[str], processors: list[tuple[int, Any]], tail: list[Any]
) -> list[tuple[Any, ...]]:
    """Tuples of rows that all have the same keys, among them ``names``; ``tail`` is appended."""
    if not names:
        return [tuple(tail) for _ in rows]
    pick = itemgetter(*names)
    single = len(names) == 1
    tail_t = tuple(tail)
    params = []
    for row in rows:
        values = [pick(row)] if single else list(pick(row))
        for i, process in processors:
            value = values[i]
            if value is not None:
                values[i] = process(value)
        params.append((*values, *tail_t))
    return params


def _row_tuples_by_name(
    rows: list[dict[str, Any]], names: list[str], columns: list[Any], defaults: list[Any], dialect: Any
) -> list[tuple[Any, ...]]:
    by_name = {c.name: c for c in columns}
    processors = [by_name[name].type._cached_bind_processor(dialect) for name in names]
    default_of = dict(zip(names[len(names) - len(defaults) :], defaults, strict=True))
    params = []
    for row in rows:
        values = []
        for name, process in zip(names, processors, strict=True):
            value = row[name] if name in row else default_of[name]
            values.append(process(value) if process is not None and value is not None else value)
        params.append(tuple(values))
    return params


def in_query(conn: Connection, sql: str, values: list[Any], chunk: int = 1000) -> Iterator[tuple[Any, ...]]:
    """Run ``sql`` (with ``IN ({})``) for chunks of ``values``; yield the raw DBAPI rows.

    For look-ups of ids, keys and URLs (text and integers, which need no type conversion):
    SQLAlchemy's expanding ``IN`` re-renders a thousand bound parameters on every call, which
    cost more than the indexed query itself.
    """
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for part in chunks(values, chunk):
        statement = sql.format(", ".join([marker] * len(part)))
        yield from conn.exec_driver_sql(statement, tuple(part)).fetchall()


def _source_row(source: SourceRecord) -> dict[str, Any]:
    return dict(source.__dict__)


def chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    """Yield consecutive slices of ``items`` of at most ``size`` items."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


__all__ = ["BatchWriter", "chunks", "fast_insert", "in_query"]
