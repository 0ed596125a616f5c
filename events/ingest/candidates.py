"""Look-ups of a batch: stored events by report key, and the events a report may be the same strike as.

Stored events are found with three indexed queries per chunk of reports (by point: R*Tree on
SQLite, GiST on PostGIS; by facility; by source URL), each capped at
:data:`MAX_CANDIDATES_PER_REPORT` per report; the new events of the batch itself are filed by
day and grid cell (:meth:`CandidateFinder.index_new`), so a report is compared only with the
events near it. What is found is kept in the batch's :class:`events.ingest.state.BatchState`.
"""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, select

from events import dedup
from events.db import RTREE_EPOCH_ORDINAL
from events.ingest.enrich import Prepared
from events.ingest.identity import file_dataset, legacy_key, public_id_for
from events.ingest.state import BatchEvent, BatchState
from events.ingest.write import chunks, in_query
from events.models import Event, EventRevision, EventSource, Source
from events.revisions import META_KEY, peek_meta
from events.runs import runs_t

events_t = Event.__table__
sources_t = Source.__table__
links_t = EventSource.__table__
revisions_t = EventRevision.__table__

# Rows per VALUES list in candidate queries (SQLite allows 32766 parameters per statement).
_QUERY_CHUNK = 500
#: Label of the bookkeeping part of ``extra`` in light candidate rows.
_META_LABEL = "_meta"
#: Stored events considered per report and look-up (by point, by facility), nearest in time and
#: space first. Without a cap, a hot spot (thousands of stored events at one point and date)
#: made every report load every one of them: 8,000 reports at one point took 2.2 GB. A report
#: matching more stored events than this is already ambiguous; the cap only bounds the work.
MAX_CANDIDATES_PER_REPORT = 50


def _capped(pairs_sql: str, order: str) -> str:
    """Keep the first :data:`MAX_CANDIDATES_PER_REPORT` rows per report ``i`` of ``pairs_sql``."""
    return (
        f"SELECT i, id FROM (SELECT p.i, p.id, ROW_NUMBER() OVER (PARTITION BY p.i ORDER BY {order}, p.id) AS n "
        f"FROM ({pairs_sql}) AS p) AS ranked WHERE n <= {MAX_CANDIDATES_PER_REPORT}"
    )


class CandidateFinder:
    """Finds, for each batch, what its reports may be; one instance per run.

    Parameters
    ----------
    conn : sqlalchemy.Connection
        The run's connection (the caller's transaction).
    dedup_km : float
        Reports of the same date within this distance are one strike (see :mod:`events.dedup`).
    """

    def __init__(self, conn: Connection, *, dedup_km: float, run_id: int | None = None) -> None:
        self.conn = conn
        self.dedup_km = dedup_km
        self.sqlite = conn.dialect.name == "sqlite"
        self._runs: dict[int, tuple[str | None, str | None]] = {}
        #: Names under which this run finds events stored with a legacy key (see :meth:`legacy_key_of`).
        self._own_names = {self.run_file(run_id), self.run_dataset(run_id)} - {None}
        self._legacy = self._has_legacy_runs(run_id)

    def find(self, state: BatchState, prepared: list[Prepared]) -> None:
        """Fill ``state`` for a chunk: the stored events of its report keys, the candidate events of
        the reports not stored yet, the public ids an analyst removed and the pairs declared distinct."""
        self._load_by_key(state, [p.key for p in prepared])
        unresolved = [p for p in prepared if p.key not in state.by_key]
        if self._legacy:
            self._load_by_legacy_key(state, unresolved)
            unresolved = [p for p in unresolved if p.key not in state.by_key]
        state.db_cands = self._db_candidates(state, unresolved)
        state.removed = self._removed_public_ids([p.values["public_id"] for p in unresolved])
        if self._legacy:
            state.removed |= self._removed_legacy(unresolved)
        state.distinct = self._distinct_pairs(unresolved)

    # Events stored before the ids of a generic file had a namespace per dataset carry the key of
    # ``("ext", origin, id)`` (events.ingest.identity.legacy_key): a re-import of the file they were
    # last written from still finds them (and an update gives them the new key). A file of another
    # name never does: its rows 1, 2, 3 are not that file's rows 1, 2, 3.

    def _has_legacy_runs(self, run_id: int | None) -> bool:
        """True when an earlier run stored events without recording its dataset (an older version)."""
        rows = self.conn.execute(select(runs_t.c.options).where(runs_t.c.id != (run_id or 0)))
        return any(not isinstance(options, dict) or "dataset" not in options for (options,) in rows)

    def legacy_key_of(self, item: Prepared) -> str | None:
        """The legacy key of a report whose stored event may still carry it (None otherwise)."""
        return legacy_key(item.values["origin"], item.values["external_id"]) if self._legacy else None

    def owns_legacy(self, run_id: int | None = None, where: str | None = None) -> bool:
        """Whether an event (or merged report) of a legacy key, written by ``run_id`` or read at
        ``where`` (``file:line``), belongs to this run's file or dataset."""
        name = self.run_file(run_id) if where is None else file_dataset(where.rsplit(":", 1)[0])
        return name in self._own_names

    def _load_by_legacy_key(self, state: BatchState, unresolved: list[Prepared]) -> None:
        by_old = {k: p for p in unresolved if (k := self.legacy_key_of(p))}
        sql = "SELECT natural_key FROM events WHERE natural_key IN ({})"
        found = [row[0] for row in in_query(self.conn, sql, list(by_old))]
        for part in chunks(found, 1000):
            for row in self._light_rows(events_t.c.natural_key.in_(part)):
                if self.owns_legacy(row["ingest_run_id"]):
                    state.by_key[by_old[row["natural_key"]].key] = self._remember(state, row)

    def _removed_legacy(self, unresolved: list[Prepared]) -> set[str]:
        """Public ids (new) of reports whose legacy event an analyst deleted or merged away."""
        by_old = {public_id_for(k): (k, p) for p in unresolved if (k := self.legacy_key_of(p))}
        removed = self._removed_public_ids(list(by_old))
        if not removed:
            return set()
        query = select(revisions_t.c.event_public_id, revisions_t.c.previous).where(
            revisions_t.c.action.in_(("delete", "merge")), revisions_t.c.event_public_id.in_(sorted(removed))
        )
        found = set()
        for public_id, previous in self.conn.execute(query):
            key, item = by_old[public_id]
            if (previous or {}).get("natural_key") == key and self.owns_legacy(previous.get("ingest_run_id")):
                found.add(item.values["public_id"])
        return found

    def merged_report(self, event: dict[str, Any], item: Prepared) -> tuple[str, dict[str, Any]] | None:
        """The report key and bookkeeping entry under which ``event`` already merged ``item``, if any."""
        reports = peek_meta(event).get("reports", {})
        if item.key in reports:
            return item.key, reports[item.key]
        old = self.legacy_key_of(item)
        entry = reports.get(old) if old else None
        if entry is not None and self.owns_legacy(where=entry.get("where") or ""):
            return old, entry  # type: ignore[return-value]
        return None

    def _remember(self, state: BatchState, row: dict[str, Any]) -> BatchEvent:
        ev = state.cache.get(row["id"])
        if ev is None:
            partial = _META_LABEL in row
            if partial:
                # A light row: ``extra`` holds only the loader's bookkeeping (see _light_rows).
                meta = row.pop(_META_LABEL)
                row["extra"] = {META_KEY: meta} if isinstance(meta, dict) else None
            ev = BatchEvent(values=row, is_new=False, original=copy.deepcopy(row), partial=partial)
            state.cache[row["id"]] = ev
        return ev

    def _light_rows(self, condition: Any) -> Iterator[dict[str, Any]]:
        """Stored events matching ``condition``, without the report's own ``extra`` columns.

        Decisions read every column but ``extra``, of which they need only the loader's
        bookkeeping; a wide file keeps thousands of values there per event, and a hot spot can
        have thousands of candidates. The whole row is read only for an event that changes
        (:meth:`complete`).
        """
        columns = [c for c in events_t.c if c.name != "extra"]
        meta = events_t.c.extra[META_KEY].label(_META_LABEL)
        for row in self.conn.execute(select(*columns, meta).where(condition)).mappings():
            yield dict(row)

    def complete(self, ev: BatchEvent) -> None:
        """Read the whole row of a light event before it is changed (its ``extra`` included)."""
        if not ev.partial:
            return
        row = self.conn.execute(select(events_t).where(events_t.c.id == ev.values["id"])).mappings().one()
        ev.values.clear()
        ev.values.update(row)
        ev.original = copy.deepcopy(dict(row))
        ev.partial = False

    def _load_by_key(self, state: BatchState, keys: list[str]) -> None:
        # Most reports of a first import are new: find the ids with a plain query and load whole
        # rows (with SQLAlchemy's type conversions) only for the reports already stored.
        unique = list(dict.fromkeys(keys))
        sql = "SELECT natural_key FROM events WHERE natural_key IN ({})"
        for chunk in chunks(unique, 1000):
            found = [row[0] for row in in_query(self.conn, sql, chunk)]
            if not found:
                continue
            for row in self._light_rows(events_t.c.natural_key.in_(found)):
                state.by_key[row["natural_key"]] = self._remember(state, row)

    def _db_candidates(self, state: BatchState, unresolved: list[Prepared]) -> dict[int, list[BatchEvent]]:
        """Find stored events that may be the same strike as each unresolved report.

        Three indexed queries per chunk: by point (R*Tree on SQLite, GiST on PostGIS), by
        facility and by source URL. Returns the candidates keyed by ``id()`` of the report.
        """
        if not unresolved:
            return {}
        found: dict[int, set[int]] = defaultdict(set)
        indexed = list(enumerate(unresolved))
        for chunk in chunks(indexed, _QUERY_CHUNK):
            for i, event_id in self._spatial_candidates(chunk):
                found[i].add(event_id)
            for i, event_id in self._facility_candidates(chunk):
                found[i].add(event_id)
            for i, event_id in self._url_candidates(chunk):
                found[i].add(event_id)
                state.shared_url.add((id(unresolved[i]), event_id))
        wanted = {eid for ids in found.values() for eid in ids} - set(state.cache)
        for chunk in chunks(sorted(wanted), 1000):
            for row in self._light_rows(events_t.c.id.in_(chunk)):
                self._remember(state, row)
        # Map back from the index among unresolved reports to the report object.
        by_report: dict[int, list[BatchEvent]] = {}
        for i, ids in found.items():
            by_report[id(unresolved[i])] = [state.cache[eid] for eid in sorted(ids) if eid in state.cache]
        return by_report

    def _windows(self, item: Prepared) -> tuple[dt.date, dt.date]:
        lo, hi = dedup.date_window(item.values["event_date"], item.values["date_precision"])
        # A stored week/month event is dated at the start of its window: look back far enough.
        return lo - dt.timedelta(days=31), hi

    def _values_query(self, sql: str, rows: list[tuple[Any, ...]], casts: tuple[str, ...]) -> Iterator[tuple[int, int]]:
        """Run ``WITH q(...) AS (VALUES ...) <sql>`` with one VALUES row per tuple.

        Goes through the DBAPI directly: SQLAlchemy's ``text()`` re-parses thousands of named
        parameters per statement, which cost more than the query itself.
        """
        if not rows:
            return iter(())
        if self.sqlite:
            row_sql = "(" + ", ".join("?" for _ in casts) + ")"
        else:
            row_sql = "(" + ", ".join(f"CAST(%s AS {cast})" for cast in casts) + ")"
        statement = sql.replace("{values}", ", ".join([row_sql] * len(rows)))
        params = tuple(value for row in rows for value in row)
        result = self.conn.exec_driver_sql(statement, params)
        return ((row[0], row[1]) for row in result)

    def _date_param(self, value: dt.date) -> Any:
        return value.isoformat() if self.sqlite else value

    def _spatial_candidates(self, chunk: list[tuple[int, Prepared]]) -> Iterator[tuple[int, int]]:
        rows = []
        for i, item in chunk:
            v = item.values
            if v["geo_precision"] == "region":
                continue
            lo, hi = self._windows(item)
            # Day-dated stored events are candidates (merge or review) within a day of the window.
            dlo, dhi = dedup.date_window(v["event_date"], v["date_precision"])
            dlo, dhi = dlo - dt.timedelta(days=1), dhi + dt.timedelta(days=1)
            a, b, c, d = dedup.search_box(v["latitude"], v["longitude"], max(self.dedup_km, dedup.CANDIDATE_KM))
            dates = (self._date_param(lo), self._date_param(hi), self._date_param(dlo), self._date_param(dhi))
            day = self._date_param(v["event_date"])
            row = (i, *dates, a, b, c, d, v["latitude"], v["longitude"], day)
            if self.sqlite:  # the window as R*Tree day numbers (migration 0009)
                row += (lo.toordinal() - RTREE_EPOCH_ORDINAL, hi.toordinal() - RTREE_EPOCH_ORDINAL)
            rows.append(row)
        day_rule = "AND (e.date_precision <> 'day' OR e.event_date BETWEEN q.dlo AND q.dhi)"
        names = "i, lo, hi, dlo, dhi, a, b, c, d, y, x, day"
        casts: tuple[str, ...] = ("integer", *["date"] * 4, *["float8"] * 6, "date")
        if self.sqlite:
            # The R*Tree answers the box and the window; the row is read only for what it keeps.
            names, casts = names + ", ld, hd", (*casts, "integer", "integer")
            pairs = (
                "SELECT q.i, e.id, (e.latitude - q.y) * (e.latitude - q.y) + (e.longitude - q.x) * (e.longitude - q.x) "
                "AS near, abs(julianday(e.event_date) - julianday(q.day)) AS apart "
                "FROM q CROSS JOIN events_rtree AS r CROSS JOIN events AS e "
                "WHERE r.min_lat <= q.b AND r.max_lat >= q.a AND r.min_lon <= q.d AND r.max_lon >= q.c "
                "AND r.min_day <= q.hd AND r.max_day >= q.ld "
                f"AND e.id = r.id AND e.event_date BETWEEN q.lo AND q.hi {day_rule}"
            )
        else:
            pairs = (
                "SELECT q.i, e.id, (e.latitude - q.y) * (e.latitude - q.y) + (e.longitude - q.x) * (e.longitude - q.x) "
                "AS near, abs(e.event_date - q.day) AS apart FROM q JOIN events AS e "
                "ON e.geom && ST_MakeEnvelope(q.c, q.a, q.d, q.b, 4326) AND e.event_date BETWEEN q.lo AND q.hi "
                + day_rule
            )
        sql = f"WITH q({names}) AS (VALUES {{values}}) " + _capped(pairs, "apart, near")
        return self._values_query(sql, rows, casts)

    def _facility_candidates(self, chunk: list[tuple[int, Prepared]]) -> Iterator[tuple[int, int]]:
        rows = []
        for i, item in chunk:
            if item.values["facility_id"] is None:
                continue
            lo, hi = self._windows(item)
            day = self._date_param(item.values["event_date"])
            rows.append((i, item.values["facility_id"], self._date_param(lo), self._date_param(hi), day))
        apart = "abs(julianday(e.event_date) - julianday(q.day))" if self.sqlite else "abs(e.event_date - q.day)"
        pairs = (
            f"SELECT q.i, e.id, {apart} AS apart FROM q JOIN events AS e ON e.facility_id = q.f "
            "AND e.event_date BETWEEN q.lo AND q.hi"
        )
        sql = "WITH q(i, f, lo, hi, day) AS (VALUES {values}) " + _capped(pairs, "apart")
        return self._values_query(sql, rows, ("integer", "integer", "date", "date", "date"))

    def _url_candidates(self, chunk: list[tuple[int, Prepared]]) -> Iterator[tuple[int, int]]:
        by_url: dict[str, list[int]] = defaultdict(list)
        for i, item in chunk:
            for source in item.sources:
                if source.url:
                    by_url[source.url].append(i)
        sql = (
            "SELECT s.url, l.event_id FROM sources AS s JOIN event_sources AS l ON l.source_id = s.id "
            "WHERE s.url IN ({})"
        )
        return ((i, event_id) for url, event_id in in_query(self.conn, sql, list(by_url)) for i in by_url[url])

    def _removed_public_ids(self, public_ids: list[str]) -> set[str]:
        """Public ids an analyst deleted or merged away (their revision exists, the event does not)."""
        sql = (
            "SELECT event_public_id FROM event_revisions WHERE action IN ('delete', 'merge') "
            "AND event_public_id IN ({})"
        )
        removed = {row[0] for row in in_query(self.conn, sql, list(dict.fromkeys(public_ids)))}
        if removed:
            sql = "SELECT public_id FROM events WHERE public_id IN ({})"
            removed -= {row[0] for row in in_query(self.conn, sql, sorted(removed))}
        return removed

    def _distinct_pairs(self, unresolved: list[Prepared]) -> set[frozenset[str]]:
        """Pairs an analyst declared distinct (``strikedb events distinct``), among this chunk's reports."""
        ids = [p.values["public_id"] for p in unresolved]
        sql = (
            "SELECT event_public_id, other_public_id FROM duplicate_candidates WHERE status = 'distinct' "
            "AND (event_public_id IN ({0}) OR other_public_id IN ({0}))"
        )
        pairs = set()
        marker = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        for part in chunks(ids, 400):
            statement = sql.format(", ".join([marker] * len(part)))
            for a, b in self.conn.exec_driver_sql(statement, (*part, *part)):
                pairs.add(frozenset((a, b)))
        return pairs

    def _run_names(self, run_id: int | None) -> tuple[str | None, str | None]:
        if run_id is None:
            return None, None
        if run_id not in self._runs:
            row = self.conn.execute(select(runs_t.c.file_path, runs_t.c.options).where(runs_t.c.id == run_id)).first()
            name = file_dataset(row[0]) if row else None
            options = row[1] if row and isinstance(row[1], dict) else {}
            self._runs[run_id] = (name, options.get("dataset") or name)
        return self._runs[run_id]

    def run_file(self, run_id: int | None) -> str | None:
        """The file name (without folders) an ingest run read."""
        return self._run_names(run_id)[0]

    def run_dataset(self, run_id: int | None) -> str | None:
        """The id namespace of a run's generic file: its ``--dataset``, else its file name (older runs)."""
        return self._run_names(run_id)[1]

    def candidates_for(self, state: BatchState, item: Prepared) -> list[BatchEvent]:
        found = list(state.db_cands.get(id(item), ()))
        day = item.values["event_date"]
        lo, hi = dedup.date_window(day, item.values["date_precision"])
        # A day either side: reports of a night strike are often dated on both days (candidates).
        lo, hi = lo - dt.timedelta(days=1), hi + dt.timedelta(days=1)
        days = [lo + dt.timedelta(days=n) for n in range((hi - lo).days + 1)]
        found.extend(self._nearby_new(state, item.values, days))
        found.extend(state.new_coarse)
        unique: dict[int, BatchEvent] = {}
        for ev in found:
            unique.setdefault(id(ev), ev)
        return list(unique.values())

    def _cell(self, latitude: float, longitude: float) -> tuple[int, int]:
        """Grid cell of a point; cells are at least the candidate radius wide in both directions."""
        size = max(self.dedup_km, dedup.CANDIDATE_KM, 0.1) / 111.0
        return math.floor(latitude / size), math.floor(longitude / size)

    def index_new(self, state: BatchState, ev: BatchEvent) -> None:
        """File a new event of the batch by (day, grid cell) and (day, facility) for :meth:`candidates_for`."""
        values = ev.values
        if dedup.is_coarse(values["date_precision"]):
            state.new_coarse.append(ev)
        else:
            day = values["event_date"]
            if values["geo_precision"] != "region":
                state.new_by_cell[(day, *self._cell(values["latitude"], values["longitude"]))].append(ev)
            if values["facility_id"] is not None:
                state.new_by_facility[(day, values["facility_id"])].append(ev)

    def _nearby_new(self, state: BatchState, values: dict[str, Any], days: list[dt.date]) -> list[BatchEvent]:
        """New events of this batch on ``days`` (in that order) that can be the same strike as ``values``.

        A merge or a duplicate candidate (:func:`events.dedup.compare`) needs the same facility or a
        point within :data:`events.dedup.CANDIDATE_KM`: so only the report's facility and the grid cells its search
        box touches are looked at, each capped at the :data:`MAX_CANDIDATES_PER_REPORT` most
        recent, as the look-up of stored events is. Comparing every new event of a day with
        every other one cost O(n^2): 8,000 reports at one point took minutes.
        """
        found: list[BatchEvent] = []
        facility_id = values["facility_id"]
        cells: list[tuple[int, int]] | None = []
        if values["geo_precision"] != "region":
            km = max(self.dedup_km, dedup.CANDIDATE_KM)
            a, b, c, d = dedup.search_box(values["latitude"], values["longitude"], km)
            (y0, x0), (y1, x1) = self._cell(a, c), self._cell(b, d)
            # Near the poles the box spans many cells: then every cell of the day is looked at.
            many = (y1 - y0 + 1) * (x1 - x0 + 1) > 64
            cells = None if many else [(y, x) for y in range(y0, y1 + 1) for x in range(x0, x1 + 1)]
        by_cell, limit = state.new_by_cell, MAX_CANDIDATES_PER_REPORT
        for day in days:
            if facility_id is not None:
                found.extend(state.new_by_facility.get((day, facility_id), ())[-limit:])
            if cells is None:
                for (cell_day, _y, _x), evs in by_cell.items():
                    if cell_day == day:
                        found.extend(evs[-limit:])
                continue
            for y, x in cells:
                evs = by_cell.get((day, y, x))
                if evs:
                    found.extend(evs[-limit:])
        return found

    def publishers(self, ev: BatchEvent) -> list[tuple[str | None, str | None, str]]:
        if ev.publishers is None:
            stmt = (
                select(sources_t.c.url, sources_t.c.publisher, links_t.c.role)
                .join(links_t, links_t.c.source_id == sources_t.c.id)
                .where(links_t.c.event_id == ev.values["id"])
            )
            ev.publishers = [(url, publisher, role) for url, publisher, role in self.conn.execute(stmt)]
        return ev.publishers


__all__ = ["MAX_CANDIDATES_PER_REPORT", "CandidateFinder"]
