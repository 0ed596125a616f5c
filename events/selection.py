"""Select events (with their sources) and facilities for maps, as GeoDataFrames.

Filters become SQL with bound parameters; only ``where`` is raw SQL, appended as
``AND (<where>)``. It is checked to be one reading expression and then runs inside
:func:`events.analysis.read_only_connection` (a read-only transaction, plus SQLite's authorizer),
so even a mistaken or hostile ``--where`` cannot change the database. Open the engine with
``make_engine(url, read_only=True)`` as well.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import pandas as pd
from sqlalchemy import Date, DateTime, Engine, Time, bindparam, text
from sqlalchemy.exc import DBAPIError, StatementError

from events import vocab
from events.analysis import check_read_only, read_only_connection
from events.errors import InputError, QueryError
from events.publishers import Registry, load_registry

#: Typed columns of ``events_enriched`` (the rest need no conversion): SQLite stores dates as
#: text, and typing them here returns ``datetime.date`` from both backends.
_EVENT_TYPES = {
    "event_date": Date,
    "event_time_utc": Time,
    "created_at": DateTime,
    "updated_at": DateTime,
}
_SOURCE_COLUMNS = (
    "url", "publisher", "title", "published_date", "archived_url", "source_type", "claimed_by", "publisher_key",
    "publisher_kind",
)  # fmt: skip
_COUNTRY = re.compile(r"^[A-Z]{2}$")
# Quoted text and comments are removed before looking for ';' and unbalanced parentheses.
_QUOTED = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*|/\*.*?\*/", re.DOTALL)


@dataclass(frozen=True)
class EventFilter:
    """Which events to select. Every field is optional; all given ones must hold.

    Attributes
    ----------
    since, until : datetime.date, optional
        Inclusive event-date range.
    min_confidence : str, optional
        Weakest confidence level to include (``likely`` keeps confirmed and likely).
    countries : tuple of str
        ISO 3166-1 alpha-2 codes of the struck place (any of them).
    facility_types : tuple of str
        Facility types (any of them), from :data:`events.vocab.FACILITY_TYPES`.
    bbox : tuple of float, optional
        ``(min_lon, min_lat, max_lon, max_lat)``; ``min_lon > max_lon`` crosses the antimeridian.
    where : str, optional
        A SQL condition over the columns of the ``events_enriched`` view.
    """

    since: dt.date | None = None
    until: dt.date | None = None
    min_confidence: str | None = None
    countries: tuple[str, ...] = field(default_factory=tuple)
    facility_types: tuple[str, ...] = field(default_factory=tuple)
    bbox: tuple[float, float, float, float] | None = None
    where: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "countries", tuple(c.strip().upper() for c in self.countries))
        object.__setattr__(self, "facility_types", tuple(t.strip() for t in self.facility_types))
        if self.where is not None and not self.where.strip():
            object.__setattr__(self, "where", None)
        self.validate()

    def validate(self) -> None:
        """Raise :class:`InputError` (or :class:`QueryError` for ``where``) for an unusable filter."""
        if self.since and self.until and self.since > self.until:
            raise InputError(f"--since {self.since} is after --until {self.until}", hint="swap the two dates")
        if self.min_confidence is not None and self.min_confidence not in vocab.CONFIDENCE_LEVELS:
            raise InputError(
                f"unknown confidence level {self.min_confidence!r}",
                hint=f"use one of {', '.join(vocab.CONFIDENCE_LEVELS)}",
            )
        bad = [c for c in self.countries if not _COUNTRY.match(c)]
        if bad:
            raise InputError(f"not an ISO 3166-1 alpha-2 country code: {bad[0]!r}", hint="e.g. --country RU")
        bad = [t for t in self.facility_types if t not in vocab.FACILITY_TYPES]
        if bad:
            raise InputError(f"unknown facility type {bad[0]!r}", hint=f"use one of {', '.join(vocab.FACILITY_TYPES)}")
        if self.bbox is not None:
            _check_bbox(self.bbox)
        if self.where is not None:
            check_where(self.where)


def _check_bbox(bbox: Sequence[float]) -> None:
    if len(bbox) != 4:
        raise InputError("a bounding box needs four numbers", hint="--bbox minlon,minlat,maxlon,maxlat")
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        raise InputError(f"bounding box longitudes must be within -180..180, got {min_lon}, {max_lon}")
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        raise InputError(f"bounding box latitudes must be within -90..90, got {min_lat}, {max_lat}")
    if min_lat > max_lat:
        raise InputError(
            f"bounding box min latitude {min_lat} is above max latitude {max_lat}",
            hint="the order is minlon,minlat,maxlon,maxlat",
        )


def parse_bbox(text_value: str) -> tuple[float, float, float, float]:
    """Parse ``"minlon,minlat,maxlon,maxlat"`` into a checked tuple.

    Raises
    ------
    InputError
        When the text is not four numbers or describes an impossible box.
    """
    parts = [p.strip() for p in text_value.split(",")]
    try:
        numbers = tuple(float(p) for p in parts)
    except ValueError:
        raise InputError(
            f"cannot read bounding box {text_value!r}", hint="--bbox minlon,minlat,maxlon,maxlat, e.g. 30,44,50,60"
        ) from None
    _check_bbox(numbers)
    return numbers  # type: ignore[return-value]


def check_where(where: str) -> None:
    """Refuse a ``--where`` that is not one condition of a reading query.

    Raises
    ------
    QueryError
        For statement stacking (``;``) or parentheses that would close the surrounding ``AND (...)``.
    events.errors.ReadOnlyViolation
        For text that would write (checked again by the database's read-only transaction).
    """
    bare = _QUOTED.sub("''", where)
    if ";" in bare:
        raise QueryError(
            "--where must be a single condition: ';' is not allowed", hint="e.g. --where \"effect = 'fire'\""
        )
    depth = 0
    for char in bare:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            break
    if depth != 0:
        raise QueryError("--where has unbalanced parentheses", hint="close every '(' you open, and no more")
    check_read_only(f"SELECT event_id FROM events_enriched WHERE ({where})", "sqlite")


def _conditions(flt: EventFilter) -> tuple[list[str], list[Any]]:
    """SQL conditions and bind parameters of a filter (everything but ``where``)."""
    conditions: list[str] = []
    params: list[Any] = []
    if flt.since:
        conditions.append("event_date >= :since")
        params.append(bindparam("since", flt.since, type_=Date))
    if flt.until:
        conditions.append("event_date <= :until")
        params.append(bindparam("until", flt.until, type_=Date))
    if flt.min_confidence:
        conditions.append("confidence_rank <= :max_rank")
        params.append(bindparam("max_rank", vocab.confidence_rank(flt.min_confidence)))
    if flt.countries:
        conditions.append("country IN :countries")
        params.append(bindparam("countries", list(flt.countries), expanding=True))
    if flt.facility_types:
        conditions.append("facility_type IN :facility_types")
        params.append(bindparam("facility_types", list(flt.facility_types), expanding=True))
    if flt.bbox:
        min_lon, min_lat, max_lon, max_lat = flt.bbox
        conditions.append("latitude BETWEEN :min_lat AND :max_lat")
        # A box whose west edge is east of its east edge spans the antimeridian.
        joiner = "AND" if min_lon <= max_lon else "OR"
        conditions.append(f"(longitude >= :min_lon {joiner} longitude <= :max_lon)")
        params += [
            bindparam("min_lat", min_lat),
            bindparam("max_lat", max_lat),
            bindparam("min_lon", min_lon),
            bindparam("max_lon", max_lon),
        ]
    if flt.where:
        # text() would read ":40" in '03:40' as a bind parameter: escape every colon.
        conditions.append("(" + flt.where.replace(":", "\\:") + ")")
    return conditions, params


def _points(frame: pd.DataFrame) -> gpd.GeoDataFrame:
    geometry = gpd.points_from_xy(frame["longitude"].astype(float), frame["latitude"].astype(float))
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def select_events(engine: Engine, flt: EventFilter | None = None) -> gpd.GeoDataFrame:
    """Return the events matching ``flt``, each with its sources, as points in EPSG:4326.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        Preferably read-only (``make_engine(url, read_only=True)``); the queries run in a
        read-only transaction either way.
    flt : EventFilter, optional
        No filter selects every event.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of ``events_enriched`` in the view's order, plus ``sources`` (list of dicts
        with url, publisher, title, published_date, archived_url, source_type, claimed_by,
        role; earliest published first), ordered by event date then id.

    Raises
    ------
    QueryError
        When ``where`` is not valid SQL for the view (unknown column, syntax error...).
    events.errors.ReadOnlyViolation
        When ``where`` tries to write.
    """
    flt = flt or EventFilter()
    if flt.where is not None and engine.dialect.name != "sqlite":
        # The backend's own allow-list too (on PostgreSQL: its parser, functions, catalogs).
        check_read_only(f"SELECT event_id FROM events_enriched WHERE ({flt.where})", engine.dialect.name)
    conditions, params = _conditions(flt)
    where_sql = " AND ".join(conditions) or "1 = 1"
    events_sql = (
        text(f"SELECT * FROM events_enriched WHERE {where_sql} ORDER BY event_date, event_id")
        .bindparams(*params)
        .columns(**_EVENT_TYPES)
    )
    sources_sql = (
        text(
            "SELECT es.event_id, es.role, "
            + ", ".join(f"s.{c}" for c in _SOURCE_COLUMNS)
            + " FROM event_sources es JOIN sources s ON s.id = es.source_id"
            f" WHERE es.event_id IN (SELECT event_id FROM events_enriched WHERE {where_sql})"
            " ORDER BY es.event_id, CASE WHEN s.published_date IS NULL THEN 1 ELSE 0 END, s.published_date, s.id"
        )
        .bindparams(*params)
        .columns(published_date=Date)
    )
    try:
        with read_only_connection(engine) as conn:
            result = conn.execute(events_sql)
            columns = list(result.keys())
            rows = result.all()
            sources = _group_sources(conn.execute(sources_sql))
            _add_publisher_grades(sources, load_registry(conn))
    except (DBAPIError, StatementError) as exc:
        raise _query_error(exc, flt) from exc
    frame = pd.DataFrame.from_records(rows, columns=columns)
    frame["sources"] = [sources.get(event_id, []) for event_id in frame["event_id"]]
    return _points(frame)


def _group_sources(rows: Iterable[Any]) -> dict[int, list[dict[str, Any]]]:
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        mapping = row._mapping
        grouped.setdefault(mapping["event_id"], []).append(
            {"role": mapping["role"], **{c: mapping[c] for c in _SOURCE_COLUMNS}}
        )
    return grouped


def _add_publisher_grades(sources: dict[int, list[dict[str, Any]]], registry: Registry) -> None:
    """Give each source its publisher's grade in force (``publisher_reliability``, F when not graded)."""
    for items in sources.values():
        for source in items:
            entry = registry.get(source["publisher_key"]) if source.get("publisher_key") else None
            source["publisher_reliability"] = entry.grade if entry is not None else "F"


def _query_error(exc: Exception, flt: EventFilter) -> QueryError:
    orig = getattr(exc, "orig", None)
    message = (str(orig) if orig is not None else str(exc)).strip().splitlines()[0]
    if flt.where:
        return QueryError(
            f"--where failed: {message}",
            hint="write a condition over the columns of the events_enriched view, e.g. \"effect = 'fire'\" "
            "(see docs/views.md)",
        )
    return QueryError(f"selecting events failed: {message}")


def select_facilities(
    engine: Engine,
    *,
    countries: Sequence[str] = (),
    facility_types: Sequence[str] = (),
    bbox: tuple[float, float, float, float] | None = None,
) -> gpd.GeoDataFrame:
    """Return facilities with coordinates, with their strike counts, as points in EPSG:4326.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    countries, facility_types : sequence of str
        Keep only these (any of them); empty keeps all.
    bbox : tuple of float, optional
        ``(min_lon, min_lat, max_lon, max_lat)``.

    Returns
    -------
    geopandas.GeoDataFrame
        The columns of the ``facility_strikes`` view (name, facility_type, operator, capacities,
        strikes, ...), ordered by name.
    """
    flt = EventFilter(countries=tuple(countries), facility_types=tuple(facility_types), bbox=bbox)
    conditions, params = _conditions(flt)
    conditions.insert(0, "latitude IS NOT NULL AND longitude IS NOT NULL")
    sql = text(f"SELECT * FROM facility_strikes WHERE {' AND '.join(conditions)} ORDER BY name, facility_id")
    try:
        with read_only_connection(engine) as conn:
            result = conn.execute(sql.bindparams(*params))
            frame = pd.DataFrame.from_records(result.all(), columns=list(result.keys()))
    except (DBAPIError, StatementError) as exc:
        raise _query_error(exc, EventFilter()) from exc
    return _points(frame)
