"""Load event files into the database: geocode, grade, deduplicate, store, quarantine.

Pipeline (every step streams; memory stays flat whatever the file size)::

    read_events(path)            -> EventRecord | RejectedRecord   (events.readers, pure)
    enrich(record, geocoder)     -> Prepared | RejectedRecord      (geocoding, grading, keys)
    chunks of <= CHUNK_ROWS      -> look up keys and dedup candidates with IN/VALUES queries,
                                    decide insert/update/merge/unchanged, write with executemany
    batches of ``batch_size``    -> one transaction each (one or more chunks), then commit

Identity of a report (documented in ``docs/ingest.md``):

* ``report key`` (stored as ``events.natural_key`` of the event the report created):
  SHA-256 of ``origin`` + ``external_id`` when the row has an identifier, else of origin, date,
  date precision, place (coordinates rounded to 3 decimals, else the normalised facility name,
  else the normalised location text) and the sorted source URLs. Deterministic: re-running a file,
  or resuming an interrupted run, finds every report already stored.
* ``content hash`` (``events.content_hash``): SHA-256 of every value the row states (not its
  line number). Same key + same hash = unchanged; same key + other hash = update, with an
  ``event_revisions`` row holding the previous values.
* ``public_id``: ``SDB-`` + the first 12 hex digits of the report key, so it is stable too.

Reports merged into an existing event (deduplication, :mod:`events.dedup`) are remembered in the
event's ``extra["_strikedb"]["reports"]`` (key, content hash, URLs, credibility), so re-importing
them is also "unchanged". Events an analyst deleted or merged away are not re-created by a
re-import (their ``delete``/``merge`` revision is found by public id).
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import datetime as dt
import gc
import hashlib
import json
import math
import re
import time
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.resources import files
from itertools import islice
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, String, bindparam, insert, select, text, update

from events import dedup, grading, health, identity, rail, runs
from events.confidence import confidence_level
from events.db import sqlite_rtree_filled_after
from events.errors import InputError
from events.evidence import decide_category
from events.geo import regions, sea
from events.identity import id_column_warning, with_id_column
from events.linking import decide_link, named_link_evidence, report_texts, type_from_name
from events.models import (
    DuplicateCandidate,
    Event,
    EventSource,
    RejectedRow,
    Source,
    os_user,
    utcnow,
)
from events.publishers import Registry, load_registry
from events.readers import check_format
from events.readers.inputs import check_finite, check_regular_file
from events.records import EventRecord, RejectedRecord, RowProblem, SourceProblems, SourceRecord, db_text, json_default
from events.revisions import (
    META_KEY,
    event_meta,
    peek_meta,
    regrade,
    revision_row,
    revisions_t,
    source_role,
    user_extra,
)
from events.runs import INGEST_LOCK_KEY, file_checksum, runs_t
from events.workers import can_fork, forked_iter

events_t = Event.__table__
sources_t = Source.__table__
links_t = EventSource.__table__
candidates_t = DuplicateCandidate.__table__
rejected_t = RejectedRow.__table__

#: Problems kept on the report for display; all of them are stored in ``rejected_rows``.
MAX_PROBLEMS_KEPT = 100
#: A suspected lat/lon swap is reported only when swapping would move the point at least this far.
SWAP_MIN_KM = 250.0
#: A point farther than this outside the country the row states is rejected. Generous: offshore
#: platforms, tankers and terminals lie at sea, and the bundled outlines are simplified.
OUTSIDE_COUNTRY_KM = 200.0
#: Inputs whose country is the one of the event's time (UCDP GED codes South Sudan's events before
#: 2011 as Sudan): not checked against today's outlines.
HISTORICAL_COUNTRY_ORIGINS = frozenset({"ucdp"})
#: Without a stated country, a swap is reported when the swapped point is this close to the
#: facility or town the row names (and the point itself at least SWAP_MIN_KM from it).
SWAP_NAMED_KM = 50.0
#: Source URLs longer than this are rejected (PostgreSQL cannot index longer unique values).
MAX_URL_LENGTH = 2000
# Columns written by the loader but not shown as changes in revisions.
_BOOKKEEPING = {"content_hash", "ingest_run_id", "updated_at", "created_at", "extra"}
#: PostgreSQL: refresh the planner's statistics once a run has inserted this many events, and then
#: each time it has doubled the table (see ``BatchLoader._refresh_pg_statistics``).
PG_ANALYZE_MIN_ROWS = 5000
#: Allocations between two collections of the youngest GC generation during a run (Python's
#: default is 700); see ``_bulk_gc``.
GC_GEN0_THRESHOLD = 100_000
#: SQLite page cache (KiB) used during an ingest run; see ``_sqlite_bulk_cache``.
SQLITE_CACHE_KIB = 65536
# Rows per VALUES list in candidate queries (SQLite allows 32766 parameters per statement).
_QUERY_CHUNK = 500

ProgressCallback = Callable[[int], None]


@dataclass
class IngestReport:
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
    read: int = 0
    inserted: int = 0
    updated: int = 0
    merged: int = 0
    unchanged: int = 0
    rejected: int = 0
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
    #: Set when most rows share one id: the id column looks wrong (see events.identity).
    id_warning: str | None = None
    #: Repeated ids quarantined in this run, by id.
    duplicate_ids: Counter[str] = field(default_factory=Counter)
    #: New duplicate candidates stored (pairs for review, see ``strikedb events duplicates``).
    candidates: int = 0
    #: Warnings about loaded rows (a named facility too far to link...), ``file:line: text``.
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the row counts as a dict (read, inserted, updated, merged, unchanged, rejected)."""
        return {k: getattr(self, k) for k in ("read", "inserted", "updated", "merged", "unchanged", "rejected")}

    @property
    def accounted(self) -> int:
        """Rows with a known outcome; equals :attr:`read` after a complete run."""
        return self.inserted + self.updated + self.merged + self.unchanged + self.rejected + self.held_back


@dataclass
class Prepared:
    """A valid report with its geocoded event values and identity."""

    #: Where the report was read, ``file:line`` (for revision reasons).
    where: str
    key: str
    content_hash: str
    values: dict[str, Any]
    sources: list[SourceRecord]

    def rekey(self, key: str) -> None:
        """Give the report another key (and so another public id): see :func:`events.identity.distinct_key`."""
        self.key = key
        self.values["natural_key"] = key
        self.values["public_id"] = public_id_for(key)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled once per row when a worker process prepares the batches (events.workers):
        # flat tuples load several times faster than nested dataclasses and 37-key dicts.
        values = _pack_values(self.values)
        return (_unpack_prepared, (self.where, self.key, self.content_hash, values, _pack_sources(self.sources)))


_SOURCE_FIELDS = tuple(f.name for f in dataclasses.fields(SourceRecord))
_source_state = attrgetter(*_SOURCE_FIELDS)


def _pack_sources(sources: list[SourceRecord]) -> list[tuple[Any, ...]]:
    return [_source_state(s) for s in sources]


def _unpack_sources(states: list[tuple[Any, ...]]) -> list[SourceRecord]:
    return [SourceRecord(*state) for state in states]


def _pack_values(values: dict[str, Any]) -> Any:
    return tuple(values.values()) if tuple(values) == _EVENT_VALUE_KEYS else values


def _unpack_values(packed: Any) -> dict[str, Any]:
    return dict(zip(_EVENT_VALUE_KEYS, packed, strict=True)) if isinstance(packed, tuple) else packed


def _unpack_prepared(where: str, key: str, content_hash: str, values: Any, sources: Any) -> Prepared:
    return Prepared(where, key, content_hash, _unpack_values(values), _unpack_sources(sources))


@dataclass
class _Ev:
    """An event touched by the current batch (new, or loaded from the database)."""

    values: dict[str, Any]
    is_new: bool
    original: dict[str, Any] | None = None
    #: Sources to link in this batch.
    new_sources: list[SourceRecord] = field(default_factory=list)
    #: ``(url, publisher)`` of every source of the event, for corroboration (None = not loaded).
    publishers: list[tuple[str | None, str | None]] | None = None
    revisions: list[dict[str, Any]] = field(default_factory=list)
    #: Loaded without the report's ``extra`` columns (BatchLoader._light_rows); read in full before a change.
    partial: bool = False


#: Label of the bookkeeping part of ``extra`` in light candidate rows.
_META_LABEL = "_meta"


def sample_events_path() -> Path:
    """Return the path of the bundled illustrative sample (``events/data/sample_events.csv``)."""
    return Path(str(files("events") / "data" / "sample_events.csv"))


# ---------------------------------------------------------------------------------------------
# Identity: keys and hashes
# ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _norm(text: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    return value


def source_urls(record: EventRecord) -> list[str]:
    """Return the record's source URLs, stripped, without duplicates, sorted."""
    return sorted({s.url.strip() for s in record.sources if s.url and s.url.strip()})


def report_key(record: EventRecord) -> str:
    """Return the deterministic identity of a report (see the module docstring)."""
    # repr() of str, int, float, None, date and time is deterministic across runs and platforms and
    # 3x cheaper than json.dumps. The payload is the tuple that hashing the equivalent list through
    # ``_canonical`` (lists -> tuples) gave in earlier versions, so stored keys stay the same.
    if record.external_id:
        payload: tuple[Any, ...] = ("ext", record.origin, record.external_id.strip())
    else:
        if record.latitude is not None and record.longitude is not None:
            place = f"ll:{record.latitude:.3f},{record.longitude:.3f}"
        elif record.facility_name:
            place = "f:" + _norm(record.facility_name)
        else:
            place = "t:" + _norm(record.location_text)
        urls = tuple(source_urls(record))
        payload = ("nk", record.origin, record.event_date, record.date_precision, place, urls)
    return hashlib.sha256(repr(payload).encode("utf-8", "surrogatepass")).hexdigest()


_NOT_CONTENT = frozenset(
    {"file", "line_number", "raw", "sources", "extra", "claim_status_stated", "warnings", "at_sea"}
)
#: Source fields the loader fills in (from the publisher registry), not part of what a file states.
_DERIVED_SOURCE_FIELDS = frozenset({"publisher_key", "publisher_kind"})


def content_hash(record: EventRecord) -> str:
    """Return the hash of every value a record states (its position in the file excluded).

    Built from ``repr`` of (name, value) pairs in field order: deterministic and several times
    cheaper than a JSON dump (hashing is a visible share of the per-row cost).
    """
    parts: list[Any] = [(k, v) for k, v in record.__dict__.items() if k not in _NOT_CONTENT]
    stated = (tuple(i for i in s.__dict__.items() if i[0] not in _DERIVED_SOURCE_FIELDS) for s in record.sources)
    parts.append(("sources", tuple(stated)))
    if record.extra:
        parts.append(("extra", _canonical(record.extra)))
    return hashlib.sha256(repr(parts).encode("utf-8", "surrogatepass")).hexdigest()


def public_id_for(key: str) -> str:
    """Return the public id of the event a report creates: ``SDB-`` + 12 hex digits of its key."""
    return "SDB-" + key[:12].upper()


# ---------------------------------------------------------------------------------------------
# Enrichment: geocoding, grading, checks the schema would otherwise fail on
# ---------------------------------------------------------------------------------------------


class Enricher:
    """Turns validated records into event values: coordinates, facility link, region, confidence.

    Parameters
    ----------
    geocoder : events.geo.Geocoder
        Loaded once per run.
    """

    def __init__(self, geocoder: Any, registry: Registry | None = None) -> None:
        from events import geo as geocode

        self.geocoder = geocoder
        self.registry = registry
        self._admin1_at = geocode.admin1_at
        self._likely_swapped = lru_cache(maxsize=4096)(geocode.likely_swapped)
        self._place = lru_cache(maxsize=4096)(geocoder.place)
        self._km_outside = lru_cache(maxsize=4096)(geocode.km_outside_country)

    def __call__(self, record: EventRecord) -> Prepared | RejectedRecord:
        """Enrich one record, or reject it with every reason found."""
        problems: list[RowProblem] = []
        location = self._locate(record, problems)
        problems.extend(_storage_problems(record))
        if problems or location is None:
            return RejectedRecord(record.file, record.line_number, record.raw, problems)
        key = report_key(record)
        values = _event_values(record, location, key)
        self._settle_region(record, values)
        where = f"{record.file}:{record.line_number}"
        stated_claim = record.claim_status if record.claim_status_stated else None
        stated = grading.record_stated(stated_claim, record.source_reliability, record.info_credibility)
        event_meta(values)[grading.STATED_KEY] = stated
        sources = _with_publishers(_clean_sources(record.sources), self.registry)
        return Prepared(where, key, content_hash(record), values, sources)

    def _problem(self, record: EventRecord, column: str | None, value: Any, reason: str) -> RowProblem:
        shown = None if value is None else str(value)[:200]
        return RowProblem(record.file, record.line_number, column, shown, reason)

    def _locate(self, record: EventRecord, problems: list[RowProblem]) -> dict[str, Any] | None:
        if record.latitude is not None and record.longitude is not None:
            return self._from_coordinates(record, problems)
        if (record.latitude is None) != (record.longitude is None):
            missing = "longitude" if record.longitude is None else "latitude"
            problems.append(
                self._problem(record, missing, None, f"{missing} is missing while the other coordinate is given")
            )
            return None
        return self._from_names(record, problems)

    def _from_coordinates(self, record: EventRecord, problems: list[RowProblem]) -> dict[str, Any] | None:
        lat, lon = record.latitude, record.longitude
        assert lat is not None and lon is not None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180):
            problems.append(
                self._problem(record, "latitude", f"{lat}, {lon}", "coordinates out of range (lat ±90, lon ±180)")
            )
            return None
        reason = self._misplaced(record, lat, lon)
        if reason:
            problems.append(self._problem(record, "latitude", f"{lat}, {lon}", reason))
            return None
        location: dict[str, Any] = {
            "latitude": lat,
            "longitude": lon,
            "geo_precision": record.geo_precision or "exact",
            "geocoded_by": "coordinates",
            "geocode_score": None,
            "at_sea": not sea.on_land(lat, lon) or sea.names_a_sea(record.location_text),
        }
        location.update(self._facility_near(record, location))
        return location

    def _swapped(self, lat: float, lon: float, country: str) -> bool:
        """Report a swap only when swapping moves the point far: near a border the bundled
        1:110m outlines cannot tell a swap from a point on the wrong side of a simplified line
        (UCDP GED has such rows near Lake Chad, where latitude and longitude are both ~13)."""
        moved = dedup.distance_km(lat, lon, lon, lat) or 0.0
        return moved >= SWAP_MIN_KM and self._likely_swapped(lat, lon, country)

    def _misplaced(self, record: EventRecord, lat: float, lon: float) -> str | None:
        """Return why a point cannot be where the row says it is (swapped, wrong country), or None."""
        swapped = None
        if record.country and self._swapped(lat, lon, record.country):
            swapped = f"({lat}, {lon}) is outside {record.country} but ({lon}, {lat}) is inside"
        elif not record.country:
            swapped = self._swapped_from_names(record, lat, lon)
        elif record.origin not in HISTORICAL_COUNTRY_ORIGINS:
            outside = self._km_outside(lat, lon, record.country)
            far = outside is not None and outside >= OUTSIDE_COUNTRY_KM
            if far and not self._off_its_coast(record, lat, lon, outside):
                return (
                    f"({lat}, {lon}) lies {outside:,.0f} km outside {record.country}, the country the row "
                    f"states, and is neither at sea within {sea.SEA_BUFFER_KM:.0f} km of its coast nor at a sea "
                    "the location names; correct the coordinates or the country"
                )
        if swapped:
            return (
                f"latitude and longitude look swapped: {swapped}; swap the two columns for this row "
                "(strikedb never swaps silently)"
            )
        return None

    def _off_its_coast(self, record: EventRecord, lat: float, lon: float, outside: float) -> bool:
        """A point at sea within the documented buffer of the country, or at a sea the row names."""
        if sea.on_land(lat, lon):
            return False  # on land: another country's
        return outside <= sea.SEA_BUFFER_KM or sea.names_a_sea(record.location_text)

    def _swapped_from_names(self, record: EventRecord, lat: float, lon: float) -> str | None:
        """Without a stated country, check the point against the facility or town the row names.

        A swap is reported when the point is at least :data:`SWAP_MIN_KM` from the named site and
        the swapped point within :data:`SWAP_NAMED_KM` of it ("Ryazan refinery" at 39.7, 54.6).
        The facility is looked up only when a known facility lies near the swapped point.
        """
        site = None
        if record.facility_name and self.geocoder.any_facility_near(lon, lat):
            match = self.geocoder.match_facility_name(record.facility_name, facility_type=record.facility_type)
            if match is not None and match.latitude is not None and match.longitude is not None:
                site = (f"facility {match.name!r}", match.latitude, match.longitude)
        if site is None and record.location_text:
            place = self._place(record.location_text)
            if place is not None and place.geo_precision == "near_town":
                site = (f"place {place.name!r}", place.latitude, place.longitude)
        if site is None:
            return None
        label, site_lat, site_lon = site
        given = dedup.distance_km(lat, lon, site_lat, site_lon) or 0.0
        swapped = dedup.distance_km(lon, lat, site_lat, site_lon)
        if given >= SWAP_MIN_KM and swapped is not None and swapped <= SWAP_NAMED_KM:
            return (
                f"({lat}, {lon}) is {given:,.0f} km from the {label} the row names, ({lon}, {lat}) is {swapped:.0f} km"
            )
        return None

    def _facility_near(self, record: EventRecord, location: dict[str, Any]) -> dict[str, Any]:
        """Link a facility only with evidence: the row names it, or a site-precise point and words
        that say a site of that type was hit (:func:`events.linking.decide_link`)."""
        link = decide_link(
            self.geocoder,
            latitude=location["latitude"],
            longitude=location["longitude"],
            geo_precision=location["geo_precision"],
            geocoded_by=location["geocoded_by"],
            facility_name=record.facility_name,
            facility_type=record.facility_type,
            country=record.country,
            texts=_record_texts(record),
            radius_km=self.geocoder.radius_km,
        )
        if link.facility is None:
            return {"link_evidence": link.evidence} if link.evidence else {}
        return _facility_link(link.facility, link.method, link.distance_km, link.evidence)

    def _from_names(self, record: EventRecord, problems: list[RowProblem]) -> dict[str, Any] | None:
        if record.facility_name:
            match = self.geocoder.match_facility_name(
                record.facility_name, country=record.country, facility_type=record.facility_type
            )
            if match is not None and match.latitude is not None and match.longitude is not None:
                by = {"name": "facility", "alias": "facility_alias"}.get(match.method, "facility_fuzzy")
                location = {
                    "latitude": match.latitude,
                    "longitude": match.longitude,
                    "geo_precision": "exact",
                    "geocoded_by": by,
                    "geocode_score": match.score,
                }
                evidence = named_link_evidence(match.method, match.score)
                location.update(_facility_link(match, match.method, 0.0, evidence))
                return location
        if record.location_text:
            place = self.geocoder.place(record.location_text, country=record.country)
            if place is not None:
                location = {
                    "latitude": place.latitude,
                    "longitude": place.longitude,
                    "geo_precision": place.geo_precision,
                    "geocoded_by": "gazetteer",
                    "geocode_score": place.score,
                    "country": place.country,
                    "admin1": place.admin1,
                }
                return location
        tried = []
        if record.facility_name:
            tried.append(f"facility name {record.facility_name!r}")
        if record.location_text:
            tried.append(f"location {record.location_text!r}")
        if tried:
            unmatched = (
                f"neither {tried[0]} nor {tried[1]} matches a known facility or place"
                if len(tried) == 2
                else f"{tried[0]} matches no known facility or place"
            )
            reason = (
                f"no coordinates, and {unmatched}; add latitude and longitude, or use a name from "
                "`strikedb facilities list`"
            )
            column = "facility" if record.facility_name else "location"
            value = record.facility_name or record.location_text
        else:
            reason = "no coordinates, facility name or location: the event cannot be placed"
            column, value = "latitude", None
        problems.append(self._problem(record, column, value, reason))
        return None

    def region(self, latitude: float, longitude: float) -> tuple[str | None, str | None]:
        """Return ``(country, admin1)`` at a point from the bundled boundaries."""
        return self._admin1_at(latitude, longitude)

    def _settle_region(self, record: EventRecord, values: dict[str, Any]) -> None:
        """Store the region as ISO 3166-2 code + canonical name, the text as written beside it.

        The stated country wins; a region from the boundaries is only taken when it lies in that
        country (see :func:`events.geo.regions.settle_region`).
        """
        written = values["admin1"]
        resolved = regions.resolve_region(written, values["country"]) if written else None
        boundary = None
        if resolved is None or values["country"] is None:
            country, boundary = regions.region_at(values["latitude"], values["longitude"])
            if values["country"] is None:
                values["country"] = country
        code, name, _ = regions.settle_region(values["country"], written, boundary)
        values["admin1_code"], values["admin1"] = code, name
        values["admin1_reported"] = record.admin1


def _record_texts(record: EventRecord) -> list[str]:
    titles = [s.title for s in record.sources]
    return report_texts(record.facility_name, record.description, titles, record.extra, record.location_text)


def _facility_link(match: Any, method: str, distance: float | None, evidence: dict[str, Any] | None) -> dict[str, Any]:
    return {
        "facility_id": match.facility_id,
        "facility_match": method,
        "facility_distance_km": None if distance is None else round(distance, 3),
        "link_evidence": evidence,
        "_facility_slug": match.slug,
        "_facility_type": match.facility_type,
        "_facility_country": match.country,
        "_facility_admin1": match.admin1,
    }


def _event_values(record: EventRecord, location: dict[str, Any], key: str) -> dict[str, Any]:
    """Build the ``events`` row of a record (no id; grading before corroboration)."""
    values: dict[str, Any] = {
        "public_id": public_id_for(key),
        "event_date": record.event_date,
        "date_precision": record.date_precision,
        "event_time_utc": record.event_time_utc,
        "latitude": location["latitude"],
        "longitude": location["longitude"],
        "geo_precision": location["geo_precision"],
        "geocoded_by": location["geocoded_by"],
        "geocode_score": location.get("geocode_score"),
        "location_text": record.location_text,
        "facility_id": location.get("facility_id"),
        "facility_match": location.get("facility_match"),
        "facility_distance_km": location.get("facility_distance_km"),
        "facility_type": record.facility_type or location.get("_facility_type"),
        "facility_name_reported": record.facility_name,
        "attack_type": record.attack_type,
        "effect": record.effect,
        "damage_level": record.damage_level,
        "description": record.description,
        "country": record.country or location.get("country") or location.get("_facility_country"),
        "admin1": record.admin1 or location.get("admin1") or location.get("_facility_admin1"),
        "admin1_code": None,
        "admin1_reported": record.admin1,
        "at_sea": bool(location.get("at_sea")),
        "claim_status": record.claim_status,
        "source_reliability": record.source_reliability,
        "info_credibility": record.info_credibility,
        "confidence": confidence_level(record.claim_status, record.source_reliability, record.info_credibility),
        "fatalities_low": record.fatalities_low,
        "fatalities_best": record.fatalities_best,
        "fatalities_high": record.fatalities_high,
        "origin": record.origin,
        "external_id": record.external_id.strip() if record.external_id else None,
        "natural_key": key,
        "content_hash": None,
        "ingest_run_id": None,
        "extra": dict(record.extra) if record.extra else None,
        "link_evidence": location.get("link_evidence"),
        "target_category": "unknown",
        "target_basis": None,
    }
    _decide_category(values, record, location)
    return values


def _decide_category(values: dict[str, Any], record: EventRecord, location: dict[str, Any]) -> None:
    """Set ``target_category``/``target_basis`` (and a facility type the facility name states)."""
    name_type = None if record.facility_type else type_from_name(record.facility_name)[0]
    if values["facility_type"] is None and name_type is not None:
        values["facility_type"] = name_type
    category = decide_category(
        linked_type=location.get("_facility_type"),
        linked_slug=location.get("_facility_slug"),
        stated_type=record.facility_type,
        texts=_record_texts(record) if location.get("_facility_type") is None and not record.facility_type else (),
    )
    values["target_category"] = category.category
    values["target_basis"] = category.basis[:300]


#: Keys of the dict :func:`_event_values` builds, in its order (for compact pickling).
_SAMPLE_LOCATION = {"latitude": 0.0, "longitude": 0.0, "geo_precision": "exact", "geocoded_by": "coordinates"}
_EVENT_VALUE_KEYS = tuple(_event_values(EventRecord("", 0, "", dt.date(2000, 1, 1)), _SAMPLE_LOCATION, "0" * 64))


def _clean_sources(sources: list[SourceRecord]) -> list[SourceRecord]:
    """Strip URLs and drop sources repeated within one row."""
    seen: set[tuple[str | None, str | None, str | None]] = set()
    cleaned = []
    for source in sources:
        url = source.url.strip() if source.url and source.url.strip() else None
        ident = (url, None, None) if url else (None, source.publisher, source.title)
        if ident in seen or (url is None and not source.publisher and not source.title):
            continue
        seen.add(ident)
        cleaned.append(source if url == source.url else SourceRecord(**{**source.__dict__, "url": url}))
    return cleaned


def _with_publishers(sources: list[SourceRecord], registry: Registry | None) -> list[SourceRecord]:
    """Name each source's publisher from the registry: key, kind, and the name when the file gave none."""
    named = []
    for source in sources:
        publisher = grading.identify(source.url, source.publisher, registry)
        if publisher is None:
            named.append(source)
            continue
        name = source.publisher or publisher.name[:300]
        key, kind = publisher.key, publisher.kind
        named.append(dataclasses.replace(source, publisher=name, publisher_key=key, publisher_kind=kind))
    return named


@lru_cache(maxsize=4)
def _string_limits(table_name: str) -> dict[str, int]:
    table = {"events": events_t, "sources": sources_t}[table_name]
    return {c.name: c.type.length for c in table.columns if isinstance(c.type, String) and c.type.length}


_FIELD_TO_EVENT_COLUMN = {"facility_name": "facility_name_reported", "external_id": "external_id"}


@lru_cache(maxsize=1)
def _field_limits() -> dict[str, int]:
    """Record field -> length limit of the ``events`` column it is stored in."""
    limits = _string_limits("events")
    renamed = {name: limits[column] for name, column in _FIELD_TO_EVENT_COLUMN.items() if column in limits}
    return {**{name: limit for name, limit in limits.items() if name not in _FIELD_TO_EVENT_COLUMN}, **renamed}


_NOT_STORED_AS_TEXT = frozenset({"file", "line_number", "raw", "sources", "extra"})


def _storage_problems(record: EventRecord) -> list[RowProblem]:
    """Find values both backends cannot store alike: over-long text, NUL characters, long URLs."""
    problems = []
    limits = _field_limits()
    for name, value in record.__dict__.items():
        if not isinstance(value, str) or name in _NOT_STORED_AS_TEXT:
            continue
        if "\x00" in value:
            reason = "contains a NUL character"
            problems.append(RowProblem(record.file, record.line_number, name, _shown(value), reason))
        elif name in limits and len(value) > limits[name]:
            reason = f"longer than {limits[name]} characters ({len(value)}); shorten it"
            problems.append(RowProblem(record.file, record.line_number, name, _shown(value), reason))
    source_limits = _string_limits("sources")
    for source in record.sources:
        for name, value in source.__dict__.items():
            if not isinstance(value, str):
                continue
            limit = MAX_URL_LENGTH if name in ("url", "archived_url") else source_limits.get(name)
            column = f"source_{name}" if name != "url" else "source_url"
            if "\x00" in value:
                problems.append(
                    RowProblem(record.file, record.line_number, column, _shown(value), "contains a NUL character")
                )
            elif limit and len(value) > limit:
                reason = f"longer than {limit} characters ({len(value)}); shorten it"
                problems.append(RowProblem(record.file, record.line_number, column, _shown(value), reason))
    if record.extra:
        try:
            json.dumps(record.extra, default=json_default).encode("utf-8")
        except (TypeError, ValueError, UnicodeEncodeError):
            problems.append(RowProblem(record.file, record.line_number, None, None, "extra columns are not storable"))
    return problems


def _shown(value: str) -> str:
    return db_text(value[:200])


# ---------------------------------------------------------------------------------------------
# The batch loader
# ---------------------------------------------------------------------------------------------


class BatchLoader:
    """Decides and writes what a batch of prepared reports does to the database.

    One instance per run; :meth:`load` handles one batch inside the caller's transaction.
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
    ) -> None:
        self.conn = conn
        self.registry = registry
        self.run_id = run_id
        self.dedup_km = dedup_km
        self.user = user
        self.report = report
        self.sqlite = conn.dialect.name == "sqlite"
        self._run_files: dict[int, str | None] = {}
        #: PostgreSQL: rows in ``events`` when the planner's statistics were last refreshed, and
        #: this run's insert count then (None: not read yet).
        self._rows_at_analyze: float | None = None
        self._inserted_at_analyze = 0
        #: SHA-256 of the file being loaded (set by the run): finds rows an earlier run quarantined.
        self.checksum: str | None = None

    # -- public ----------------------------------------------------------------------------

    def load(self, prepared: list[Prepared], rejected: list[RejectedRecord]) -> None:
        """Insert, update or merge a batch of reports and quarantine the rejected rows."""
        if self.conn.dialect.name == "postgresql":
            # Concurrent ingests really run in parallel on PostgreSQL: two batches could both find a
            # report missing and both insert it (a unique violation, or a missed merge). A
            # transaction-scoped advisory lock queues batch writers as BEGIN IMMEDIATE does on SQLite.
            self.conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": INGEST_LOCK_KEY})
            self._refresh_pg_statistics()
        self.cache: dict[int, _Ev] = {}
        self.by_key: dict[str, _Ev] = {}
        self.new: list[_Ev] = []
        #: New events of this batch by (day, grid cell) and by (day, facility): see _nearby_new.
        self.new_by_cell: dict[tuple[dt.date, int, int], list[_Ev]] = defaultdict(list)
        self.new_by_facility: dict[tuple[dt.date, int], list[_Ev]] = defaultdict(list)
        self.new_coarse: list[_Ev] = []
        self._load_by_key([p.key for p in prepared])
        unresolved = [p for p in prepared if p.key not in self.by_key]
        #: (id() of a report, event id) pairs that share a source URL.
        self._shared_url: set[tuple[int, int]] = set()
        #: Duplicate candidates found in this chunk: (event values, other values, score, reasons).
        self.proposals: list[tuple[dict[str, Any], dict[str, Any], float, list[str]]] = []
        self._db_cands = self._db_candidates(unresolved)
        removed = self._removed_public_ids([p.values["public_id"] for p in unresolved])
        self._distinct = self._distinct_pairs(unresolved)
        for item in prepared:
            self._decide(item, removed)
        self._flush()
        self._quarantine(rejected)

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

    # -- lookups ---------------------------------------------------------------------------

    def _remember(self, row: dict[str, Any]) -> _Ev:
        ev = self.cache.get(row["id"])
        if ev is None:
            partial = _META_LABEL in row
            if partial:
                # A light row: ``extra`` holds only the loader's bookkeeping (see _light_rows).
                meta = row.pop(_META_LABEL)
                row["extra"] = {META_KEY: meta} if isinstance(meta, dict) else None
            ev = _Ev(values=row, is_new=False, original=copy.deepcopy(row), partial=partial)
            self.cache[row["id"]] = ev
        return ev

    def _light_rows(self, condition: Any) -> Iterator[dict[str, Any]]:
        """Stored events matching ``condition``, without the report's own ``extra`` columns.

        Decisions read every column but ``extra``, of which they need only the loader's
        bookkeeping; a wide file keeps thousands of values there per event, and a hot spot can
        have thousands of candidates. The whole row is read only for an event that changes
        (:meth:`_complete`).
        """
        columns = [c for c in events_t.c if c.name != "extra"]
        meta = events_t.c.extra[META_KEY].label(_META_LABEL)
        for row in self.conn.execute(select(*columns, meta).where(condition)).mappings():
            yield dict(row)

    def _complete(self, ev: _Ev) -> None:
        """Read the whole row of a light event before it is changed (its ``extra`` included)."""
        if not ev.partial:
            return
        row = self.conn.execute(select(events_t).where(events_t.c.id == ev.values["id"])).mappings().one()
        ev.values.clear()
        ev.values.update(row)
        ev.original = copy.deepcopy(dict(row))
        ev.partial = False

    def _load_by_key(self, keys: list[str]) -> None:
        # Most reports of a first import are new: find the ids with a plain query and load whole
        # rows (with SQLAlchemy's type conversions) only for the reports already stored.
        unique = list(dict.fromkeys(keys))
        sql = "SELECT natural_key FROM events WHERE natural_key IN ({})"
        for chunk in _chunks(unique, 1000):
            found = [row[0] for row in _in_query(self.conn, sql, chunk)]
            if not found:
                continue
            for row in self._light_rows(events_t.c.natural_key.in_(found)):
                self.by_key[row["natural_key"]] = self._remember(row)

    def _db_candidates(self, unresolved: list[Prepared]) -> dict[int, list[_Ev]]:
        """Find stored events that may be the same strike as each unresolved report.

        Three indexed queries per chunk: by point (R*Tree on SQLite, GiST on PostGIS), by
        facility and by source URL. Returns the candidates keyed by ``id()`` of the report.
        """
        if not unresolved:
            return {}
        found: dict[int, set[int]] = defaultdict(set)
        indexed = list(enumerate(unresolved))
        for chunk in _chunks(indexed, _QUERY_CHUNK):
            for i, event_id in self._spatial_candidates(chunk):
                found[i].add(event_id)
            for i, event_id in self._facility_candidates(chunk):
                found[i].add(event_id)
            for i, event_id in self._url_candidates(chunk):
                found[i].add(event_id)
                self._shared_url.add((id(unresolved[i]), event_id))
        wanted = {eid for ids in found.values() for eid in ids} - set(self.cache)
        for chunk in _chunks(sorted(wanted), 1000):
            for row in self._light_rows(events_t.c.id.in_(chunk)):
                self._remember(row)
        # Map back from the index among unresolved reports to the report object.
        by_report: dict[int, list[_Ev]] = {}
        for i, ids in found.items():
            by_report[id(unresolved[i])] = [self.cache[eid] for eid in sorted(ids) if eid in self.cache]
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
            rows.append((i, *dates, a, b, c, d, v["latitude"], v["longitude"], day))
        day_rule = "AND (e.date_precision <> 'day' OR e.event_date BETWEEN q.dlo AND q.dhi)"
        if self.sqlite:
            pairs = (
                "SELECT q.i, e.id, (e.latitude - q.y) * (e.latitude - q.y) + (e.longitude - q.x) * (e.longitude - q.x) "
                "AS near, abs(julianday(e.event_date) - julianday(q.day)) AS apart "
                "FROM q CROSS JOIN events_rtree AS r CROSS JOIN events AS e "
                "WHERE r.min_lat <= q.b AND r.max_lat >= q.a AND r.min_lon <= q.d AND r.max_lon >= q.c "
                f"AND e.id = r.id AND e.event_date BETWEEN q.lo AND q.hi {day_rule}"
            )
        else:
            pairs = (
                "SELECT q.i, e.id, (e.latitude - q.y) * (e.latitude - q.y) + (e.longitude - q.x) * (e.longitude - q.x) "
                "AS near, abs(e.event_date - q.day) AS apart FROM q JOIN events AS e "
                "ON e.geom && ST_MakeEnvelope(q.c, q.a, q.d, q.b, 4326) AND e.event_date BETWEEN q.lo AND q.hi "
                + day_rule
            )
        sql = "WITH q(i, lo, hi, dlo, dhi, a, b, c, d, y, x, day) AS (VALUES {values}) " + _capped(pairs, "apart, near")
        casts = ("integer", "date", "date", "date", "date", *["float8"] * 6, "date")
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
        return ((i, event_id) for url, event_id in _in_query(self.conn, sql, list(by_url)) for i in by_url[url])

    def _removed_public_ids(self, public_ids: list[str]) -> set[str]:
        """Public ids an analyst deleted or merged away (their revision exists, the event does not)."""
        sql = (
            "SELECT event_public_id FROM event_revisions WHERE action IN ('delete', 'merge') "
            "AND event_public_id IN ({})"
        )
        removed = {row[0] for row in _in_query(self.conn, sql, list(dict.fromkeys(public_ids)))}
        if removed:
            sql = "SELECT public_id FROM events WHERE public_id IN ({})"
            removed -= {row[0] for row in _in_query(self.conn, sql, sorted(removed))}
        return removed

    # -- decisions -------------------------------------------------------------------------

    def _decide(self, item: Prepared, removed: set[str]) -> None:
        report = self.report
        ev = self.by_key.get(item.key)
        if ev is not None:
            if ev.values["content_hash"] == item.content_hash:
                report.unchanged += 1
            else:
                self._update_primary(ev, item)
                report.updated += 1
            return
        candidates = self._candidates_for(item)
        for cand in candidates:
            known = peek_meta(cand.values).get("reports", {}).get(item.key)
            if known is not None:
                if known.get("hash") == item.content_hash:
                    report.unchanged += 1
                else:
                    self._merge(cand, item, action="update")
                    report.updated += 1
                return
        if item.values["public_id"] in removed:
            report.unchanged += 1
            return
        agree, alike = self._compare_all(item, candidates)
        if len(agree) == 1:
            ev, _score, reasons = agree[0]
            self._merge(ev, item, action="merge", rule=reasons)
            report.merged += 1
            return
        ev = self._insert(item)
        report.inserted += 1
        # Several events agree with the report: it joins none of them (the order of the reports must
        # not decide), and each pair goes to review.
        ambiguous = ["agrees with more than one event: not merged automatically"] if agree else []
        for other, score, reasons in [*agree, *alike]:
            self.proposals.append((ev.values, other.values, score, [*reasons, *ambiguous]))

    def _compare_all(
        self, item: Prepared, candidates: list[_Ev]
    ) -> tuple[list[tuple[_Ev, float, list[str]]], list[tuple[_Ev, float, list[str]]]]:
        """Split the candidate events into those the strict rule merges with and those to review."""
        agree, alike = [], []
        urls = {s.url for s in item.sources if s.url}
        for cand in candidates:
            if self._same_dataset_distinct(item.values, cand.values):
                continue
            if frozenset((item.values["public_id"], cand.values["public_id"])) in self._distinct:
                continue
            if cand.is_new:
                shared = bool(urls & {s.url for s in cand.new_sources if s.url})
            else:
                shared = (id(item), cand.values["id"]) in self._shared_url
            ok, score, reasons = dedup.compare(item.values, cand.values, self.dedup_km, shared_url=shared)
            if ok:
                agree.append((cand, score, reasons))
            elif score >= dedup.MIN_CANDIDATE_SCORE:
                alike.append((cand, score, reasons))
        return agree, alike

    def _same_dataset_distinct(self, a: dict[str, Any], b: dict[str, Any]) -> bool:
        """Two records of one dataset (ACLED, UCDP, or one CSV file) with different ids: never one event."""
        if a["origin"] != b["origin"] or not a["external_id"] or not b["external_id"]:
            return False
        if a["external_id"] == b["external_id"]:
            return False
        if a["origin"] != "csv":
            return True
        # A report being loaded belongs to this run (its values get the run id only when inserted).
        a_run, b_run = a.get("ingest_run_id") or self.run_id, b.get("ingest_run_id") or self.run_id
        return self._run_file(a_run) == self._run_file(b_run)

    def _run_file(self, run_id: int | None) -> str | None:
        """The file name (without folders) an ingest run read; a CSV file is one dataset."""
        if run_id is None:
            return None
        if run_id not in self._run_files:
            row = self.conn.execute(select(runs_t.c.file_path).where(runs_t.c.id == run_id)).first()
            self._run_files[run_id] = Path(row[0]).name if row else None
        return self._run_files[run_id]

    def _distinct_pairs(self, unresolved: list[Prepared]) -> set[frozenset[str]]:
        """Pairs an analyst declared distinct (``strikedb events distinct``), among this chunk's reports."""
        ids = [p.values["public_id"] for p in unresolved]
        sql = (
            "SELECT event_public_id, other_public_id FROM duplicate_candidates WHERE status = 'distinct' "
            "AND (event_public_id IN ({0}) OR other_public_id IN ({0}))"
        )
        pairs = set()
        marker = "?" if self.conn.dialect.paramstyle == "qmark" else "%s"
        for part in _chunks(ids, 400):
            statement = sql.format(", ".join([marker] * len(part)))
            for a, b in self.conn.exec_driver_sql(statement, (*part, *part)):
                pairs.add(frozenset((a, b)))
        return pairs

    def _candidates_for(self, item: Prepared) -> list[_Ev]:
        found = list(self._db_cands.get(id(item), ()))
        day = item.values["event_date"]
        lo, hi = dedup.date_window(day, item.values["date_precision"])
        # A day either side: reports of a night strike are often dated on both days (candidates).
        lo, hi = lo - dt.timedelta(days=1), hi + dt.timedelta(days=1)
        days = [lo + dt.timedelta(days=n) for n in range((hi - lo).days + 1)]
        for d in days:
            found.extend(self._nearby_new(item.values, d))
        found.extend(self.new_coarse)
        unique: dict[int, _Ev] = {}
        for ev in found:
            unique.setdefault(id(ev), ev)
        return list(unique.values())

    def _cell(self, latitude: float, longitude: float) -> tuple[int, int]:
        """Grid cell of a point; cells are at least the candidate radius wide in both directions."""
        size = max(self.dedup_km, dedup.CANDIDATE_KM, 0.1) / 111.0
        return math.floor(latitude / size), math.floor(longitude / size)

    def _nearby_new(self, values: dict[str, Any], day: dt.date) -> list[_Ev]:
        """New events of this batch on ``day`` that can be the same strike as ``values``.

        A merge or a duplicate candidate (:func:`events.dedup.compare`) needs the same facility or a
        point within :data:`events.dedup.CANDIDATE_KM`: so only the report's facility and the grid cells its search
        box touches are looked at, each capped at the :data:`MAX_CANDIDATES_PER_REPORT` most
        recent, as the look-up of stored events is. Comparing every new event of a day with
        every other one cost O(n^2): 8,000 reports at one point took minutes.
        """
        found: list[_Ev] = []
        if values["facility_id"] is not None:
            found.extend(self.new_by_facility.get((day, values["facility_id"]), ())[-MAX_CANDIDATES_PER_REPORT:])
        if values["geo_precision"] != "region":
            km = max(self.dedup_km, dedup.CANDIDATE_KM)
            a, b, c, d = dedup.search_box(values["latitude"], values["longitude"], km)
            (y0, x0), (y1, x1) = self._cell(a, c), self._cell(b, d)
            if (y1 - y0 + 1) * (x1 - x0 + 1) <= 64:  # near the poles the box spans many cells
                for y in range(y0, y1 + 1):
                    for x in range(x0, x1 + 1):
                        found.extend(self.new_by_cell.get((day, y, x), ())[-MAX_CANDIDATES_PER_REPORT:])
            else:
                for (cell_day, _y, _x), evs in self.new_by_cell.items():
                    if cell_day == day:
                        found.extend(evs[-MAX_CANDIDATES_PER_REPORT:])
        return found

    def _insert(self, item: Prepared) -> _Ev:
        values = dict(item.values)
        values["content_hash"] = item.content_hash
        values["ingest_run_id"] = self.run_id
        ev = _Ev(values=values, is_new=True, new_sources=list(item.sources))
        ev.publishers = [(s.url, s.publisher, source_role(s)) for s in item.sources]
        regrade(ev.values, ev.publishers, self.registry)
        self.new.append(ev)
        self.by_key[item.key] = ev
        if dedup.is_coarse(values["date_precision"]):
            self.new_coarse.append(ev)
        else:
            day = values["event_date"]
            if values["geo_precision"] != "region":
                self.new_by_cell[(day, *self._cell(values["latitude"], values["longitude"]))].append(ev)
            if values["facility_id"] is not None:
                self.new_by_facility[(day, values["facility_id"])].append(ev)
        if values["link_evidence"] and values["link_evidence"].get("warning"):
            self.report.warnings.append(f"{item.where}: {values['link_evidence']['warning']}")
        return ev

    def _publishers(self, ev: _Ev) -> list[tuple[str | None, str | None, str]]:
        if ev.publishers is None:
            stmt = (
                select(sources_t.c.url, sources_t.c.publisher, links_t.c.role)
                .join(links_t, links_t.c.source_id == sources_t.c.id)
                .where(links_t.c.event_id == ev.values["id"])
            )
            ev.publishers = [(url, publisher, role) for url, publisher, role in self.conn.execute(stmt)]
        return ev.publishers

    def _add_sources(self, ev: _Ev, sources: list[SourceRecord]) -> list[str]:
        """Queue the sources the event does not have yet; return their labels for the revision."""
        known = self._publishers(ev)
        known_urls = {url for url, *_ in known if url}
        known_plain = {(None, publisher) for url, publisher, *_ in known if not url}
        added = []
        for source in sources:
            if source.url in known_urls or (not source.url and (None, source.publisher) in known_plain):
                continue
            ev.new_sources.append(source)
            known.append((source.url, source.publisher, source_role(source)))
            if source.url:
                known_urls.add(source.url)
            added.append(source.url or source.publisher or source.title or "")
        return added

    def _update_primary(self, ev: _Ev, item: Prepared) -> None:
        self._complete(ev)
        before = dict(ev.values)
        new = dict(item.values)
        meta = copy.deepcopy(peek_meta(ev.values))
        keep = ("id", "public_id", "created_at", "updated_at")
        for column in keep:
            if column in ev.values:
                new[column] = ev.values[column]
        if meta.get("reports"):
            # Reports merged into this event stay merged: keep what they contributed.
            new.update(dedup.merged_values(new, before))
        extra = dict(new.get("extra") or {})
        if meta:
            meta.pop("base_credibility", None)
            if grading.STATED_KEY in peek_meta(item.values):
                meta[grading.STATED_KEY] = peek_meta(item.values)[grading.STATED_KEY]
            extra[META_KEY] = meta
        new["extra"] = extra or None
        for merged in meta.get("reports", {}).values():
            cred = merged.get("credibility")
            new["info_credibility"] = dedup.best_credibility(new["info_credibility"], cred)
        new["content_hash"] = item.content_hash
        new["ingest_run_id"] = self.run_id
        ev.values.clear()
        ev.values.update(new)
        self._add_sources(ev, item.sources)
        regrade(ev.values, self._publishers(ev), self.registry)
        self._revise(ev, before, "update", f"re-import of {item.where}")

    def _merge(self, ev: _Ev, item: Prepared, *, action: str, rule: list[str] | None = None) -> None:
        self._complete(ev)
        before = copy.deepcopy(ev.values)
        changes = dedup.merged_values(ev.values, item.values)
        ev.values.update(changes)
        meta = event_meta(ev.values)
        base = meta["base_credibility"] if "base_credibility" in meta else ev.values["info_credibility"]
        meta["base_credibility"] = dedup.best_credibility(base, item.values["info_credibility"])
        meta.setdefault("reports", {})[item.key] = {
            "hash": item.content_hash,
            "urls": [s.url for s in item.sources if s.url],
            "credibility": item.values["info_credibility"],
            "public_id": item.values["public_id"],
            grading.STATED_KEY: peek_meta(item.values).get(grading.STATED_KEY, {}),
            "where": item.where,
        }
        if rule is not None:
            meta["reports"][item.key]["rule"] = rule
        added = self._add_sources(ev, item.sources)
        regrade(ev.values, self._publishers(ev), self.registry)
        if ev.is_new and action == "merge":
            # Two reports of one import: the event is written once, with both; the reasons are kept
            # in its bookkeeping (``strikedb events show``). A first import writes no revision.
            return
        where = item.where
        reason = (
            f"report {where} merged (same strike: {'; '.join(rule or [])})"
            if action == "merge"
            else f"re-import of merged report {where}"
        )
        self._revise(ev, before, action, reason, extra_changes={"sources_added": added} if added else None)

    def _revise(
        self,
        ev: _Ev,
        before: dict[str, Any],
        action: str,
        reason: str,
        extra_changes: dict[str, Any] | None = None,
    ) -> None:
        changed = [c for c in ev.values if c not in _BOOKKEEPING and before.get(c) != ev.values[c]]
        previous = {c: before.get(c) for c in changed}
        changes = {c: ev.values[c] for c in changed}
        # Values kept in ``extra`` (an ACLED timestamp, unmapped columns) are data too: show them
        # as ``extra.<name>``; the loader's own bookkeeping under META_KEY is not.
        old_extra, new_extra = user_extra(before), user_extra(ev.values)
        for name in sorted(old_extra.keys() | new_extra.keys()):
            if old_extra.get(name) != new_extra.get(name):
                previous[f"extra.{name}"] = old_extra.get(name)
                changes[f"extra.{name}"] = new_extra.get(name)
        if extra_changes:
            changes.update(extra_changes)
        ev.revisions.append(
            revision_row(ev.values, action, previous, changes, user=self.user, run_id=self.run_id, reason=reason)
        )

    # -- writes ----------------------------------------------------------------------------

    def _flush(self) -> None:
        self._insert_new()
        self._update_dirty()
        self._link_sources()
        revisions = []
        for ev in [*self.new, *self.cache.values()]:
            for row in ev.revisions:
                row["event_id"] = ev.values["id"]
                revisions.append(row)
        if revisions:
            self.conn.execute(insert(revisions_t), revisions)
        self._write_candidates()

    def _write_candidates(self) -> None:
        """Store this chunk's duplicate candidates, each pair once (ordered by public id), never again."""
        if not self.proposals:
            return
        rows: dict[tuple[str, str], dict[str, Any]] = {}
        for a, b, score, reasons in self.proposals:
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
        for pair in _in_query(self.conn, sql, sorted({first for first, _ in rows})):
            rows.pop((pair[0], pair[1]), None)
        if rows:
            self.conn.execute(insert(candidates_t), list(rows.values()))
            self.report.candidates += len(rows)

    def _insert_new(self) -> None:
        if not self.new:
            return
        if self.sqlite:
            # The batch holds SQLite's write lock: number the new events as SQLite would (after
            # the largest id) and fill their R*Tree entries in one statement after the insert.
            first_id = self._next_sqlite_id("events")
            for offset, ev in enumerate(self.new):
                ev.values["id"] = first_id + offset
            with sqlite_rtree_filled_after(self.conn, "events", first_id):
                _fast_insert(self.conn, events_t, [ev.values for ev in self.new])
            return
        # Plain executemany, then one look-up of the ids by public id: INSERT ... RETURNING
        # does not promise the order of the parameters.
        _fast_insert(self.conn, events_t, [ev.values for ev in self.new])
        by_public_id = {ev.values["public_id"]: ev for ev in self.new}
        sql = "SELECT public_id, id FROM events WHERE public_id IN ({})"
        for public_id, event_id in _in_query(self.conn, sql, list(by_public_id)):
            by_public_id[public_id].values["id"] = event_id

    def _update_dirty(self) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        for ev in self.cache.values():
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

    def _link_sources(self) -> None:
        pairs = [(ev, s) for ev in [*self.new, *self.cache.values()] for s in ev.new_sources]
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
                {"event_id": key[0], "source_id": source_id, "role": source_role(source), "ingest_run_id": self.run_id},
            )
        existing_events = [ev.values["id"] for ev in self.cache.values() if ev.new_sources]
        sql = "SELECT event_id, source_id FROM event_sources WHERE event_id IN ({})"
        for pair in _in_query(self.conn, sql, existing_events):
            links.pop((pair[0], pair[1]), None)
        if links:
            _fast_insert(self.conn, links_t, list(links.values()))

    def _source_ids_by_url(self, wanted: dict[str, SourceRecord]) -> dict[str, int]:
        sql = "SELECT url, id FROM sources WHERE url IN ({})"
        urls = list(wanted)
        ids: dict[str, int] = dict(_in_query(self.conn, sql, urls))
        missing = [wanted[u] for u in urls if u not in ids]
        if not missing:
            return ids
        rows = [_source_row(s) for s in missing]
        if self.sqlite:
            # In the write lock, as for events: number the rows here rather than look them up.
            first_id = self._next_sqlite_id("sources")
            for offset, row in enumerate(rows):
                row["id"] = ids[row["url"]] = first_id + offset
            _fast_insert(self.conn, sources_t, rows)
        else:
            _fast_insert(self.conn, sources_t, rows)
            ids.update(_in_query(self.conn, sql, [s.url for s in missing]))
        return ids

    def _next_sqlite_id(self, table: str) -> int:
        """The id SQLite would give the next row of ``table`` (the caller holds the write lock)."""
        return self.conn.exec_driver_sql(f"SELECT coalesce(max(id), 0) + 1 FROM {table}").scalar_one()

    def _quarantine(self, rejected: list[RejectedRecord]) -> None:
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
                if problem.reason.startswith(identity.DUPLICATE_ID) and problem.value is not None:
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
        seen = {(line, hashlib.sha256(raw.encode()).digest()) for line, raw in _in_query(self.conn, sql, lines)}
        if not seen:
            return rows
        return [r for r in rows if (r["line_number"], hashlib.sha256(r["raw_row"].encode()).digest()) not in seen]


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


def _fast_insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    """Insert rows with the DBAPI's ``executemany`` (``COPY`` on PostgreSQL), using SQLAlchemy's own type conversions.

    Same stored values as ``conn.execute(insert(table), rows)`` (the column types' bind
    processors and Python-side defaults are applied), without its per-row bookkeeping, which
    doubles the cost of a bulk insert. The rows of one call normally share their keys: they are
    turned into tuples with one ``itemgetter`` and only the columns that need it (dates, JSON...)
    are converted.
    """
    if not rows:
        return
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
        _copy_rows(conn, table.name, names, params)
        return
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({', '.join([marker] * len(names))})"
    conn.exec_driver_sql(sql, params)


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


def _in_query(conn: Connection, sql: str, values: list[Any], chunk: int = 1000) -> Iterator[tuple[Any, ...]]:
    """Run ``sql`` (with ``IN ({})``) for chunks of ``values``; yield the raw DBAPI rows.

    For look-ups of ids, keys and URLs (text and integers, which need no type conversion):
    SQLAlchemy's expanding ``IN`` re-renders a thousand bound parameters on every call, which
    cost more than the indexed query itself.
    """
    marker = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for part in _chunks(values, chunk):
        statement = sql.format(", ".join([marker] * len(part)))
        yield from conn.exec_driver_sql(statement, tuple(part)).fetchall()


def _source_row(source: SourceRecord) -> dict[str, Any]:
    return dict(source.__dict__)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# ---------------------------------------------------------------------------------------------
# Runs
# ---------------------------------------------------------------------------------------------


#: Rows per transaction unless told otherwise (``--batch-size``). Commits are what large files pay
#: for at this size: with random-order keys in several indexes, every commit writes most index
#: pages again (1,000,000 events: 121 s of inserts with 5,000-row transactions, 62 s with 50,000;
#: docs/benchmarks.md). Memory does not grow with it (see :data:`CHUNK_ROWS`).
DEFAULT_BATCH_SIZE = 50_000

#: Rows read, prepared and decided at a time. A transaction (``batch_size`` rows) is made of one
#: or more such chunks, cut so that every transaction ends at a chunk's end: large transactions
#: (fewer commits) without large lists in memory or a long wait for the worker's first chunk.
CHUNK_ROWS = 5000


def _chunks_of_batches(items: Iterable[Any], batch_size: int) -> Iterator[list[Any]]:
    """Yield lists of at most :data:`CHUNK_ROWS` items; every ``batch_size`` items end a list."""
    iterator = iter(items)
    while True:
        left = batch_size
        while left:
            chunk = list(islice(iterator, min(left, CHUNK_ROWS)))
            if not chunk:
                return
            yield chunk
            left -= len(chunk)


def _split(
    batch: list[EventRecord | RejectedRecord], enrich: Callable[[EventRecord], Prepared | RejectedRecord]
) -> tuple[list[Prepared], list[RejectedRecord]]:
    prepared: list[Prepared] = []
    rejected: list[RejectedRecord] = []
    for record in batch:
        result = enrich(record) if isinstance(record, EventRecord) else record
        (prepared if isinstance(result, Prepared) else rejected).append(result)  # type: ignore[arg-type]
        if isinstance(record, EventRecord) and record.warnings:
            # Dropped source cells of a loaded event go to the quarantine as source problems.
            if isinstance(result, Prepared):
                rejected.append(SourceProblems(record.file, record.line_number, record.raw, list(record.warnings)))
            else:
                result.problems.extend(record.warnings)
    return prepared, rejected


#: Files at least this large are read and geocoded in a worker process while the main process
#: writes (``parallel=None``); below it the fork would cost more than the overlap saves.
PARALLEL_MIN_BYTES = 1 << 20

PreparedBatch = tuple[int, list[Prepared], list[RejectedRecord]]


def _prepared_batches(
    open_records: Callable[[], Iterator[EventRecord | RejectedRecord]],
    enrich: Callable[[EventRecord], Prepared | RejectedRecord],
    batch_size: int,
    *,
    parallel: bool,
) -> Iterator[PreparedBatch]:
    """Yield ``(rows read, prepared, rejected)`` per chunk (:func:`_chunks_of_batches`), in file order.

    With ``parallel`` the records are read, validated and enriched in a forked worker
    (:mod:`events.workers`), one chunk ahead of the caller; the results are the same.
    """

    def produce() -> Iterator[PreparedBatch]:
        # One identity tracker per pass over the file (strict mode reads it twice).
        checked = identity.guard(enrich)
        for batch in _chunks_of_batches(open_records(), batch_size):
            prepared, rejected = _split(batch, checked)
            yield len(batch), prepared, rejected

    return forked_iter(produce) if parallel else produce()


def _use_worker(parallel: bool | None, path: Path) -> bool:
    if parallel is False or not can_fork():
        return False
    return parallel is True or path.stat().st_size >= PARALLEL_MIN_BYTES


def ingest_file(
    engine: Engine,
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    id_column: str | None = None,
    date_order: str | None = None,
    date_format: str | None = None,
    strict: bool = False,
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    radius_km: float = 3.0,
    dedup_km: float = dedup.DEDUP_KM,
    user: str | None = None,
    progress: ProgressCallback | None = None,
    parallel: bool | None = None,
) -> IngestReport:
    """Ingest one event file.

    Parameters
    ----------
    engine : sqlalchemy.Engine
        A database at the current schema.
    path : str or Path
        The input file.
    fmt : str
        ``auto`` (recognise the layout from the content), ``csv`` (the canonical format, or any CSV
        with ``column_map``), ``acled``, ``ucdp`` (CSV or GeoJSON) or ``geojson``.
    encoding, delimiter : str, optional
        Override detection.
    column_map : dict, optional
        Input column -> canonical field.
    id_column : str, optional
        The column whose value identifies each row (default: recognised from the header, see
        :mod:`events.identity`).
    date_order, date_format : str, optional
        ``dmy``/``mdy`` or a ``strptime`` pattern; by default the day/month order is decided from
        the file's dates (see :mod:`events.readers.dates`).
    strict : bool
        Validate (and geocode) the whole file first; if any row is rejected, store the run as
        ``failed`` with its rejected rows and load no event.
    dry_run : bool
        Do everything in one transaction and roll it back: the counts are exact, nothing is kept.
    batch_size : int
        Rows per transaction.
    radius_km : float
        Events within this distance of a known facility are linked to it.
    dedup_km : float
        Reports of the same date within this distance are one strike (see :mod:`events.dedup`).
    user : str, optional
        Recorded on the run and on revisions; defaults to the OS user.
    progress : callable, optional
        Called with the number of rows read after each batch is written and before it is
        committed. An exception it raises aborts the run: that batch is rolled back, earlier
        batches stay, and re-running the file completes it without duplicates.
    parallel : bool, optional
        Read, validate and geocode the next batch in a worker process while this one writes
        (same results, same transactions). Default: when the file is at least
        :data:`PARALLEL_MIN_BYTES` and the system can fork with more than one CPU.

    Returns
    -------
    IngestReport

    Raises
    ------
    InputError
        When the file cannot be read at all (missing, undecodable, no header...).
    """
    from events import readers

    path = Path(path)
    check_format(fmt)
    check_regular_file(path)
    if batch_size < 1:
        raise InputError(f"batch size must be at least 1, not {batch_size}")
    check_finite(radius_km, "--radius-km")
    check_finite(dedup_km, "--dedup-km")
    plan = readers.plan_file(
        path,
        fmt=fmt,
        encoding=encoding,
        delimiter=delimiter,
        column_map=column_map,
        date_order=date_order,
        date_format=date_format,
    )
    fmt = plan.fmt  # the layout recognised from the content when fmt was "auto"
    if id_column and fmt in ("csv", "geojson"):
        column_map = {**(column_map or {}), id_column: "event_id"}
    used_id_column = _id_column_used(path, fmt, encoding, delimiter, column_map, id_column)

    def open_records() -> Iterator[EventRecord | RejectedRecord]:
        records = readers.read_events(path, encoding=encoding, delimiter=delimiter, column_map=column_map, plan=plan)
        return with_id_column(records, id_column) if id_column and fmt in ("acled", "ucdp") else records

    options = {
        "format": plan.fmt,
        "layout": plan.describe(),
        "date_order": plan.dates.order,
        "date_format": plan.dates.pattern,
        "encoding": encoding,
        "delimiter": delimiter,
        "column_map": column_map,
        "id_column": used_id_column,
        "strict": strict,
        "batch_size": batch_size,
        "radius_km": radius_km,
        "dedup_km": dedup_km,
    }
    return _run(
        engine,
        open_records,
        file_label=str(path),
        checksum=file_checksum(path),
        options=options,
        strict=strict,
        dry_run=dry_run,
        batch_size=batch_size,
        radius_km=radius_km,
        dedup_km=dedup_km,
        user=user if user is not None else os_user(),
        progress=progress,
        parallel=_use_worker(parallel, path),
        id_column=used_id_column,
        layout=plan.describe(),
    )


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
    if fmt == "acled":
        return "event_id_cnty"
    if fmt == "ucdp":
        return "relid"
    if fmt != "csv":
        return None
    from events.readers import id_column_of, open_csv, plan_columns

    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    try:
        return id_column_of(plan_columns(path, source.header, column_map))
    finally:
        source.records.close()


def ingest_records(
    engine: Engine,
    records: Iterable[EventRecord | RejectedRecord],
    *,
    file_label: str = "<records>",
    fmt: str = "csv",
    dry_run: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    radius_km: float = 3.0,
    dedup_km: float = dedup.DEDUP_KM,
    user: str | None = None,
    progress: ProgressCallback | None = None,
) -> IngestReport:
    """Ingest records produced by any reader (the library entry point behind :func:`ingest_file`).

    Parameters are those of :func:`ingest_file`; ``records`` is consumed once (no strict mode,
    which needs two passes over a file).
    """
    iterator = iter(records)
    return _run(
        engine,
        lambda: iterator,
        file_label=file_label,
        checksum=None,
        options={"format": fmt, "batch_size": batch_size, "radius_km": radius_km, "dedup_km": dedup_km},
        strict=False,
        dry_run=dry_run,
        batch_size=batch_size,
        radius_km=radius_km,
        dedup_km=dedup_km,
        user=user,
        progress=progress,
        parallel=False,
    )


def _run(
    engine: Engine,
    open_records: Callable[[], Iterator[EventRecord | RejectedRecord]],
    *,
    file_label: str,
    checksum: str | None,
    options: dict[str, Any],
    strict: bool,
    dry_run: bool,
    batch_size: int,
    radius_km: float,
    dedup_km: float,
    user: str | None,
    progress: ProgressCallback | None,
    parallel: bool,
    id_column: str | None = None,
    layout: str = "",
) -> IngestReport:
    from events.geo import Geocoder

    started = time.perf_counter()
    report = IngestReport(run_id=None, file=file_label, checksum=checksum or "", id_column=id_column, layout=layout)
    committed = report.counts()
    with engine.connect() as conn, _sqlite_bulk_cache(conn), contextlib.ExitStack() as stack:
        health.refuse_damaged(conn)  # writing into a damaged file spreads the damage
        run_id = runs.start_run(conn, file_label, checksum, options, user, dry_run=dry_run)
        report.run_id = None if dry_run else run_id
        if not dry_run:
            stack.callback(runs.release_run, conn, run_id)
        try:
            geocoder = Geocoder(conn, radius_km=radius_km)
            registry = load_registry(conn)
            enrich = Enricher(geocoder, registry)
            loader = BatchLoader(conn, run_id, dedup_km=dedup_km, user=user, report=report, registry=registry)
            loader.checksum = checksum  # quarantine rows of an identical re-run are stored once
            stack.enter_context(_bulk_gc())

            def batches() -> contextlib.closing[Iterator[PreparedBatch]]:
                # closing(): an early stop (error, Ctrl-C) ends a worker process at once.
                return contextlib.closing(_prepared_batches(open_records, enrich, batch_size, parallel=parallel))

            if strict and _strict_precheck(batches(), loader, report):
                report.status = "failed"
            else:
                _load_all(conn, batches(), loader, report, dry_run, progress, committed, batch_size)
                report.status = "dry_run" if dry_run else "committed"
        except BaseException as exc:
            _end_failed_run(engine, conn, run_id, report, committed, dry_run=dry_run, exc=exc)
            raise
        if dry_run:
            conn.rollback()
        else:
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
                _commit_batch(conn, loader, report, dry_run, committed)
                pending = 0
    if pending:
        _commit_batch(conn, loader, report, dry_run, committed)


def _commit_batch(
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
            loader._quarantine([r for r in rejected if r.kind != "source"])
            source_problems += [r for r in rejected if r.kind == "source"]
    if report.rejected:
        # Every row is accounted for: rejected, or valid but held back by --strict.
        report.read = read
        report.held_back = valid
        loader._quarantine(source_problems)
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


__all__ = [
    "BatchLoader",
    "Enricher",
    "IngestReport",
    "Prepared",
    "content_hash",
    "file_checksum",
    "ingest_file",
    "ingest_records",
    "public_id_for",
    "report_key",
    "sample_events_path",
]


def _store_final_status(conn: Connection, run_id: int, report: IngestReport) -> None:
    stored = runs.close_run(conn, run_id, report.status)
    for name, value in (stored or {}).items():
        setattr(report, name, value)
