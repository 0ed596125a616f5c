"""The strikedb schema: the one source of truth for every table.

Every change here must come with an Alembic migration in ``migrations/versions``; the test
suite fails when the two drift apart.

Backend-specific objects are created by migrations only and are deliberately *not* declared
here, because they cannot exist on both backends:

* PostgreSQL: ``events.geom`` and ``facilities.geom`` (``geometry(Point, 4326)``), kept in step
  with ``latitude``/``longitude`` by triggers, each with a GiST index.
* SQLite: the R*Tree virtual tables ``events_rtree`` and ``facilities_rtree`` kept in step by
  triggers.

:data:`BACKEND_ONLY_OBJECTS` lists them so that drift checks skip them.
"""

from __future__ import annotations

import datetime as dt
import getpass
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    func,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from events import vocab

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

#: Tables and columns created by migrations for one backend only (see module docstring).
BACKEND_ONLY_OBJECTS = {
    "tables": {"events_rtree", "facilities_rtree", "spatial_ref_sys"},
    "columns": {("events", "geom"), ("facilities", "geom")},
    "indexes": {"ix_events_geom", "ix_facilities_geom"},
}


class Base(DeclarativeBase):
    """Declarative base carrying the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _in(column: str, values: tuple[Any, ...], name: str, *, nullable: bool = True) -> CheckConstraint:
    """Build a CHECK constraint restricting ``column`` to ``values``."""
    literals = ", ".join(repr(v) if isinstance(v, str) else str(v) for v in values)
    condition = f"{column} IN ({literals})"
    if nullable:
        condition = f"{column} IS NULL OR {condition}"
    return CheckConstraint(condition, name=name)


def os_user() -> str | None:
    """Return the OS user name for provenance columns (cut to fit them), or None when unknown.

    Containers without a passwd entry raise from :func:`getpass.getuser`; that is not an error here.
    """
    try:
        return getpass.getuser()[:100]
    except (KeyError, OSError):
        return None


def utcnow() -> dt.datetime:
    """Return the current time as naive UTC, the way every timestamp column stores it."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class TimestampMixin:
    """``created_at``/``updated_at`` columns, stored as naive UTC."""

    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(
        DateTime, default=utcnow, onupdate=utcnow, server_default=func.now()
    )


class FacilityPartMixin:
    """A row of its own (``id``) that belongs to one facility and goes with it (``facility_id``)."""

    # sort_order: first in the table, as the migrations create them
    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-2)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"), sort_order=-1)


class Facility(TimestampMixin, Base):
    """An energy asset that can be struck: refinery, depot, substation, rail junction..."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stable public identifier, e.g. ``ru-kirishi-kinef``.
    slug: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    facility_type: Mapped[str] = mapped_column(String(20))
    operator: Mapped[str | None] = mapped_column(String(300))
    #: ISO 3166-1 alpha-2 country code.
    country: Mapped[str | None] = mapped_column(String(2))
    admin1: Mapped[str | None] = mapped_column(String(200))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    #: Optional line or polygon geometry (pipelines, rail lines, site outlines) as WKT.
    geometry_wkt: Mapped[str | None] = mapped_column(Text)
    #: Capacity as stated by the source, with its unit (e.g. 20.1 ``Mt/yr``, 1578.6 ``MW``).
    capacity_value: Mapped[float | None] = mapped_column(Float)
    capacity_unit: Mapped[str | None] = mapped_column(String(20))
    #: The capacity text as found, kept when it could not be parsed ("yes", "several units").
    capacity_raw: Mapped[str | None] = mapped_column(String(200))
    #: Normalised capacities: crude refining in Mt/yr and kb/d, power in MW.
    capacity_mtpa: Mapped[float | None] = mapped_column(Float)
    capacity_kbd: Mapped[float | None] = mapped_column(Float)
    capacity_mw: Mapped[float | None] = mapped_column(Float)
    status: Mapped[str | None] = mapped_column(String(40))
    #: Where the facts (coordinates, capacity) come from.
    data_source: Mapped[str | None] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)

    aliases: Mapped[list[FacilityAlias]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", passive_deletes=True
    )
    external_ids: Mapped[list[FacilityExternalId]] = relationship(
        back_populates="facility", cascade="all, delete-orphan", passive_deletes=True
    )
    events: Mapped[list[Event]] = relationship(back_populates="facility")

    __table_args__ = (
        _in("facility_type", vocab.FACILITY_TYPES, "facility_type", nullable=False),
        CheckConstraint("latitude IS NULL OR (latitude BETWEEN -90 AND 90)", name="latitude_range"),
        CheckConstraint("longitude IS NULL OR (longitude BETWEEN -180 AND 180)", name="longitude_range"),
        Index("ix_facilities_facility_type", "facility_type"),
        Index("ix_facilities_country", "country"),
        Index("ix_facilities_name", "name"),
    )


class FacilityAlias(FacilityPartMixin, Base):
    """An alternative name of a facility: Cyrillic, transliteration, former or short name."""

    __tablename__ = "facility_aliases"

    alias: Mapped[str] = mapped_column(String(300))
    #: BCP 47 language/script tag where known, e.g. ``ru``, ``ru-Latn``, ``uk``, ``en``.
    language: Mapped[str | None] = mapped_column(String(20))

    facility: Mapped[Facility] = relationship(back_populates="aliases")

    __table_args__ = (
        UniqueConstraint("facility_id", "alias"),
        Index("ix_facility_aliases_alias", "alias"),
    )


class FacilityExternalId(FacilityPartMixin, Base):
    """An identifier of a facility in another dataset (OSM, GEM, WRI GPPD, NETL GOGI...)."""

    __tablename__ = "facility_external_ids"

    #: The dataset: ``osm``, ``gem``, ``wri``, ``gogi``, ``gazetteer``...
    scheme: Mapped[str] = mapped_column(String(40))
    value: Mapped[str] = mapped_column(String(200))

    facility: Mapped[Facility] = relationship(back_populates="external_ids")

    __table_args__ = (
        UniqueConstraint("scheme", "value"),
        Index("ix_facility_external_ids_facility_id", "facility_id"),
    )


class IngestRun(Base):
    """One run of an importer over one file: provenance and counts."""

    __tablename__ = "ingest_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: What was imported: ``events`` or ``facilities``.
    kind: Mapped[str] = mapped_column(String(20), default="events", server_default="events")
    file_path: Mapped[str] = mapped_column(Text)
    #: SHA-256 of the file's bytes.
    checksum: Mapped[str | None] = mapped_column(String(64))
    input_format: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running", server_default="running")
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_inserted: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_updated: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_merged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_unchanged: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Options the run was started with (delimiter, encoding, column map...).
    options: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: Who ran it (OS user or ``--user``).
    user: Mapped[str | None] = mapped_column(String(100))

    rejected_rows: Mapped[list[RejectedRow]] = relationship(
        back_populates="run", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        _in("status", vocab.RUN_STATUSES, "status", nullable=False),
        Index("ix_ingest_runs_checksum", "checksum"),
    )


class RejectedRow(Base):
    """A row that failed validation, kept verbatim with every reason (the quarantine)."""

    __tablename__ = "rejected_rows"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("ingest_runs.id", ondelete="CASCADE"))
    file_path: Mapped[str] = mapped_column(Text)
    #: 1-based physical line number of the row's first line in the file (header is line 1).
    line_number: Mapped[int] = mapped_column(Integer)
    #: The row exactly as read (the raw CSV text, or the JSON of a feature).
    raw_row: Mapped[str] = mapped_column(Text)
    #: List of ``{"column": ..., "value": ..., "reason": ...}``.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: ``row``: the row was not loaded; ``source``: the event was loaded, one of its source cells
    #: was not (a placeholder, a local path...). See :data:`events.vocab.QUARANTINE_KINDS`.
    kind: Mapped[str] = mapped_column(String(20), default="row", server_default="row")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())

    run: Mapped[IngestRun] = relationship(back_populates="rejected_rows")

    __table_args__ = (Index("ix_rejected_rows_run_id", "run_id"),)


class Source(Base):
    """A report about one or more events: an article, an official statement, a post, an image."""

    __tablename__ = "sources"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Canonical URL; unique when present (several NULLs allowed: un-linked sources).
    url: Mapped[str | None] = mapped_column(Text, unique=True)
    publisher: Mapped[str | None] = mapped_column(String(300))
    title: Mapped[str | None] = mapped_column(Text)
    published_date: Mapped[dt.date | None] = mapped_column(Date)
    archived_url: Mapped[str | None] = mapped_column(Text)
    #: ISO 639-1 language code of the text.
    language: Mapped[str | None] = mapped_column(String(10))
    #: The party the source says claims the strike (e.g. "SBU", "Russian MoD"), if any.
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    source_type: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    #: The publisher's key in the registry (``publishers.key``): domain, ``t.me/<channel>``, ``name:<name>``.
    publisher_key: Mapped[str | None] = mapped_column(String(300))
    #: The publisher's kind when the source was stored (kept in step by ``strikedb publishers set``).
    publisher_kind: Mapped[str | None] = mapped_column(String(20))

    event_links: Mapped[list[EventSource]] = relationship(back_populates="source")

    __table_args__ = (
        _in("source_type", vocab.SOURCE_TYPES, "source_type"),
        _in("publisher_kind", vocab.PUBLISHER_KINDS, "publisher_kind"),
        Index("ix_sources_publisher", "publisher"),
        Index("ix_sources_publisher_key", "publisher_key"),
    )


class PublisherRecord(Base):
    """A publisher of the registry: its kind and default Admiralty reliability (see events.publishers).

    Seeded from the bundled ``events/data/publishers.csv``; an analyst's regrade
    (``strikedb publishers set``) marks the row ``analyst`` so that the bundled file never
    overwrites it.
    """

    __tablename__ = "publishers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Domain (``reuters.com``), social account (``t.me/mod_russia``) or ``name:<folded name>``.
    key: Mapped[str] = mapped_column(String(300), unique=True)
    name: Mapped[str] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))
    #: For official publishers: the party it speaks for (``RU``, ``UA``).
    party: Mapped[str | None] = mapped_column(String(2))
    #: For official publishers: ``military`` or ``civil``.
    voice: Mapped[str | None] = mapped_column(String(10))
    network: Mapped[str | None] = mapped_column(String(100))
    reliability: Mapped[str | None] = mapped_column(String(1))
    #: Other keys and names of the publisher, ``|``-separated.
    aliases: Mapped[str | None] = mapped_column(Text)
    justification: Mapped[str | None] = mapped_column(Text)
    #: ``bundled`` (from the registry file) or ``analyst`` (regraded here).
    origin: Mapped[str] = mapped_column(String(10), default="bundled", server_default="bundled")
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    changed_by: Mapped[str | None] = mapped_column(String(100))

    __table_args__ = (
        _in("kind", vocab.PUBLISHER_KINDS, "kind", nullable=False),
        _in("voice", vocab.PUBLISHER_VOICES, "voice"),
        _in("reliability", vocab.SOURCE_RELIABILITIES, "reliability"),
        _in("origin", ("bundled", "analyst"), "origin", nullable=False),
        Index("ix_publishers_kind", "kind"),
    )


class Event(TimestampMixin, Base):
    """One reported strike on energy infrastructure."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: Stable public identifier, e.g. ``SDB-7F3A2C19E0B4``; never reused.
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    event_date: Mapped[dt.date] = mapped_column(Date)
    date_precision: Mapped[str] = mapped_column(String(10), default="day", server_default="day")
    #: Time of the strike in UTC, when reported.
    event_time_utc: Mapped[dt.time | None] = mapped_column(Time)
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    geo_precision: Mapped[str] = mapped_column(String(20))
    #: How the point was found: ``coordinates``, ``facility``, ``facility_alias``, ``facility_fuzzy``, ``gazetteer``.
    geocoded_by: Mapped[str] = mapped_column(String(30))
    #: Match score (0-100) when the point came from a name match.
    geocode_score: Mapped[float | None] = mapped_column(Float)
    location_text: Mapped[str | None] = mapped_column(Text)
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id", ondelete="SET NULL"))
    #: How the facility link was made: ``name``, ``alias``, ``fuzzy``, ``text`` (named in the text), ``nearest``,
    #: ``rail``, ``manual`` (events.linking, events.rail).
    facility_match: Mapped[str | None] = mapped_column(String(20))
    facility_distance_km: Mapped[float | None] = mapped_column(Float)
    #: Facility type as reported, kept even when no facility record matches.
    facility_type: Mapped[str | None] = mapped_column(String(20))
    facility_name_reported: Mapped[str | None] = mapped_column(String(300))
    attack_type: Mapped[str] = mapped_column(String(20), default="unknown", server_default="unknown")
    effect: Mapped[str | None] = mapped_column(String(20))
    damage_level: Mapped[str | None] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(Text)
    #: ISO 3166-1 alpha-2 country code of the struck place.
    country: Mapped[str | None] = mapped_column(String(2))
    #: Canonical English name of the first-level region (see :mod:`events.geo.regions`), or the text as
    #: written when it matches no ISO 3166-2 region.
    admin1: Mapped[str | None] = mapped_column(String(200))
    #: ISO 3166-2 code of the region (``UA-63``); group by this, not by the name.
    admin1_code: Mapped[str | None] = mapped_column(String(10))
    #: The region exactly as the input wrote it (None when it came from the boundaries).
    admin1_reported: Mapped[str | None] = mapped_column(String(200))
    #: True when the point lies in the sea off the stated country, or the location names a sea.
    at_sea: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    claim_status: Mapped[str] = mapped_column(String(30), default="reported", server_default="reported")
    source_reliability: Mapped[str | None] = mapped_column(String(1))
    info_credibility: Mapped[int | None] = mapped_column(Integer)
    #: Derived ordinal level (see :func:`events.confidence.confidence_level`).
    confidence: Mapped[str] = mapped_column(String(12))
    #: Casualty estimates where the source dataset has them (UCDP low/best/high, ACLED fatalities).
    fatalities_low: Mapped[int | None] = mapped_column(Integer)
    fatalities_best: Mapped[int | None] = mapped_column(Integer)
    fatalities_high: Mapped[int | None] = mapped_column(Integer)
    #: Dataset the event came from (``csv``, ``acled``, ``ucdp``, ``geojson``) and its id there.
    origin: Mapped[str] = mapped_column(String(20), default="csv", server_default="csv")
    external_id: Mapped[str | None] = mapped_column(String(100))
    #: Hash of the fields that identify a report when there is no external id.
    natural_key: Mapped[str | None] = mapped_column(String(64))
    #: Hash of all stored values, to tell an unchanged re-import from a changed one cheaply.
    content_hash: Mapped[str | None] = mapped_column(String(64))
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    #: Extra columns of the source dataset that have no home here.
    extra: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: What was hit: ``energy``, ``rail``, ``other`` or ``unknown`` (see :mod:`events.evidence`).
    target_category: Mapped[str] = mapped_column(String(10), default="unknown", server_default="unknown")
    #: How ``target_category`` was decided: ``facility <slug>``, ``facility_type column``, ``words: ...``,
    #: ``no infrastructure words``, ``no text``.
    target_basis: Mapped[str | None] = mapped_column(String(300))
    #: Why the event is linked to its facility (or why a named one was not linked): method, distance,
    #: words matched, rule (see :mod:`events.linking`).
    link_evidence: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    facility: Mapped[Facility | None] = relationship(back_populates="events")
    source_links: Mapped[list[EventSource]] = relationship(
        back_populates="event", cascade="all, delete-orphan", passive_deletes=True
    )

    __table_args__ = (
        _in("date_precision", vocab.DATE_PRECISIONS, "date_precision", nullable=False),
        _in("geo_precision", vocab.GEO_PRECISIONS, "geo_precision", nullable=False),
        _in("attack_type", vocab.ATTACK_TYPES, "attack_type", nullable=False),
        _in("effect", vocab.EFFECTS, "effect"),
        _in("damage_level", vocab.DAMAGE_LEVELS, "damage_level"),
        _in("facility_type", vocab.FACILITY_TYPES, "facility_type"),
        _in("claim_status", vocab.CLAIM_STATUSES, "claim_status", nullable=False),
        _in("source_reliability", vocab.SOURCE_RELIABILITIES, "source_reliability"),
        _in("info_credibility", vocab.INFO_CREDIBILITIES, "info_credibility"),
        _in("confidence", vocab.CONFIDENCE_LEVELS, "confidence", nullable=False),
        _in("target_category", vocab.TARGET_CATEGORIES, "target_category", nullable=False),
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
        # Not unique: a generic file's ids are unique within its dataset only (the report key,
        # ``natural_key``, holds the dataset; migration 0008).
        Index("ix_events_origin_external_id", "origin", "external_id"),
        Index("ix_events_event_date", "event_date"),
        Index("ix_events_facility_id", "facility_id"),
        Index("ix_events_confidence", "confidence"),
        Index("ix_events_country_event_date", "country", "event_date"),
        Index("ix_events_natural_key", "natural_key"),
        Index("ix_events_ingest_run_id", "ingest_run_id"),
        Index("ix_events_admin1_code", "admin1_code"),
    )


class EventSource(Base):
    """Link between an event and a source reporting it."""

    __tablename__ = "event_sources"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("sources.id", ondelete="CASCADE"), primary_key=True)
    #: ``report``, ``claim``, ``denial`` or ``imagery``.
    role: Mapped[str] = mapped_column(String(20), default="report", server_default="report")
    added_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship(back_populates="source_links")
    source: Mapped[Source] = relationship(back_populates="event_links")

    __table_args__ = (Index("ix_event_sources_source_id", "source_id"),)


class EventRevision(Base):
    """The previous values of an event each time it changes or is deleted (a living dataset).

    ``event_id`` is not a foreign key on purpose: the revision must outlive a deleted event.
    """

    __tablename__ = "event_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[int] = mapped_column(Integer)
    event_public_id: Mapped[str] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(20))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    changed_by: Mapped[str | None] = mapped_column(String(100))
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    #: Values of the changed columns before the change (all columns for a delete).
    previous: Mapped[dict[str, Any]] = mapped_column(JSON)
    #: Values after the change (empty for a delete).
    changes: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        _in("action", vocab.REVISION_ACTIONS, "action", nullable=False),
        Index("ix_event_revisions_event_id", "event_id"),
        Index("ix_event_revisions_event_public_id", "event_public_id"),
    )


class LineStation(FacilityPartMixin, Base):
    """A station (or named point) of a line facility such as a rail line, in order along the line."""

    __tablename__ = "line_stations"

    #: 0-based order along the line.
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    #: Distance along the line's geometry from its first point, in km.
    km_from_start: Mapped[float] = mapped_column(Float)

    __table_args__ = (UniqueConstraint("facility_id", "position"),)


class EventLineLink(Base):
    """Where a strike lies on a line facility (rail line): distance to it, position along it, nearest station."""

    __tablename__ = "event_line_links"

    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    facility_id: Mapped[int] = mapped_column(ForeignKey("facilities.id", ondelete="CASCADE"))
    #: Shortest distance from the event's point to the line, in km.
    distance_km: Mapped[float] = mapped_column(Float)
    #: Distance along the line from its first point to the point of the line nearest the event, in km.
    along_km: Mapped[float] = mapped_column(Float)
    nearest_station: Mapped[str | None] = mapped_column(String(200))
    #: Distance along the line between that point and the nearest station, in km.
    station_km: Mapped[float | None] = mapped_column(Float)
    #: Why the link was made, e.g. ``rail_text`` (the text says rail and the point is near the line).
    method: Mapped[str] = mapped_column(String(20))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())

    __table_args__ = (Index("ix_event_line_links_facility_id", "facility_id"),)


class DuplicateCandidate(Base):
    """Two events that may be one strike, proposed by the ingest for an analyst to decide.

    Pairs are stored by public id (``event_public_id`` < ``other_public_id``), so a decision
    (``distinct``) outlives merges and deletions and the pair is never proposed again.
    """

    __tablename__ = "duplicate_candidates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_public_id: Mapped[str] = mapped_column(String(40))
    other_public_id: Mapped[str] = mapped_column(String(40))
    #: 0-100: how alike the two are (see :func:`events.dedup.candidate_score`).
    score: Mapped[float] = mapped_column(Float)
    #: What agrees and what does not: a list of short texts.
    reasons: Mapped[list[str]] = mapped_column(JSON)
    #: ``open`` (to review), ``distinct`` (an analyst said they are two strikes) or ``merged``.
    status: Mapped[str] = mapped_column(String(10), default="open", server_default="open")
    ingest_run_id: Mapped[int | None] = mapped_column(ForeignKey("ingest_runs.id", ondelete="SET NULL"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, server_default=func.now())
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    decided_by: Mapped[str | None] = mapped_column(String(100))
    reason: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        _in("status", vocab.CANDIDATE_STATUSES, "status", nullable=False),
        UniqueConstraint("event_public_id", "other_public_id"),
        Index("ix_duplicate_candidates_other_public_id", "other_public_id"),
        Index("ix_duplicate_candidates_status", "status"),
    )


# The tables as SQLAlchemy Core objects, named once here for the modules that query them with Core.
facilities_t = Facility.__table__
aliases_t = FacilityAlias.__table__
external_t = FacilityExternalId.__table__
runs_t = IngestRun.__table__
rejected_t = RejectedRow.__table__
sources_t = Source.__table__
publishers_t = PublisherRecord.__table__
events_t = Event.__table__
links_t = EventSource.__table__
revisions_t = EventRevision.__table__
stations_t = LineStation.__table__
line_links_t = EventLineLink.__table__
candidates_t = DuplicateCandidate.__table__
