"""Enrichment: turn a validated record into the values of its event, or reject it.

:class:`Enricher` geocodes a record (its coordinates checked against the country it states, or a
facility or place found by name), links a facility only with evidence (:mod:`events.linking`),
settles its admin-1 region, grades it and names its sources' publishers. It also finds values
both database backends could not store alike (over-long text, NUL characters, long URLs). The
result, :class:`Prepared`, carries the report's identity (:mod:`events.ingest.identity`) and is
what the loader (:mod:`events.ingest.loader`) decides about; it is pure, so it can run in a worker
process (:mod:`events.ingest.workers`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Any

from sqlalchemy import String

from events import dedup, grading
from events.confidence import confidence_level
from events.evidence import decide_category
from events.geo import regions, sea
from events.ingest.identity import content_hash, public_id_for, report_key
from events.linking import decide_link, named_link_evidence, report_texts, type_from_name
from events.models import Event, Source
from events.publishers import Registry
from events.records import EventRecord, RejectedRecord, RowProblem, SourceRecord, db_text, json_default
from events.revisions import GRADED_COLUMNS, event_meta, new_event_grade, source_role

events_t = Event.__table__
sources_t = Source.__table__

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
#: The enricher grades every n-th report as a new event (:func:`events.revisions.new_event_grade`);
#: the writer grades the others, and every report that updates or joins an event. Large files are
#: enriched in two worker processes while the main process writes (:mod:`events.ingest.workers`),
#: and the writer is then the slower side: grading every report in the workers takes about 1.7
#: of the writer's 12 CPU s at 50,000 benchmark rows (with one worker, grading every second
#: report balanced the two processes). Either way the stored grades are the same.
GRADED_HERE_EVERY = 1
#: Source URLs longer than this are rejected (PostgreSQL cannot index longer unique values).
MAX_URL_LENGTH = 2000


#: Returned by :meth:`Enricher._named_facility` when the named facility cannot lie near the swapped point.
_FAR = object()


@dataclass
class Prepared:
    """A valid report with its geocoded event values and identity."""

    #: The file and line the report was read from, and the row exactly as read (kept for the
    #: quarantine, should a later rule turn the report away: see :func:`events.ingest.decide.id_clash`).
    file: str
    line_number: int
    raw: str
    key: str
    content_hash: str
    values: dict[str, Any]
    sources: list[SourceRecord]
    #: ``(url, publisher, role)`` of each source, and (for every :data:`GRADED_HERE_EVERY`-th
    #: report) the grade of a new event made of this report alone
    #: (:func:`events.revisions.new_event_grade`): computed by the enricher, in the worker processes
    #: for large files, so that the writer inserting a new event does not compute them again.
    publishers: list[tuple[str | None, str | None, str]]
    grade: dict[str, Any] | None

    @property
    def where(self) -> str:
        """Where the report was read, ``file:line`` (for revision reasons and warnings)."""
        return f"{self.file}:{self.line_number}"

    def rekey(self, key: str) -> None:
        """Give the report another key (and so another public id): see :func:`events.ingest.identity.distinct_key`."""
        self.key = key
        self.values["natural_key"] = key
        self.values["public_id"] = public_id_for(key)

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled once per row when a worker process prepares the batches (events.ingest.workers):
        # flat tuples load several times faster than nested dataclasses and 37-key dicts.
        values = _pack_values(self.values)
        state = (self.file, self.line_number, self.raw, self.key, self.content_hash, values)
        grade = None if self.grade is None else tuple(self.grade.values())
        return (_unpack_prepared, (*state, _pack_sources(self.sources), self.publishers, grade))


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


def _unpack_prepared(
    file: str, line_number: int, raw: str, key: str, content_hash: str, values: Any, sources: Any, publishers: Any,
    grade: tuple[Any, ...] | None,
) -> Prepared:  # fmt: skip
    graded = None if grade is None else dict(zip(GRADED_COLUMNS, grade, strict=True))
    unpacked = _unpack_values(values), _unpack_sources(sources)
    return Prepared(file, line_number, raw, key, content_hash, *unpacked, publishers, graded)


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
        stated_claim = record.claim_status if record.claim_status_stated else None
        stated = grading.record_stated(stated_claim, record.source_reliability, record.info_credibility)
        event_meta(values)[grading.STATED_KEY] = stated
        sources = _with_publishers(_clean_sources(record.sources), self.registry)
        publishers = [(s.url, s.publisher, source_role(s)) for s in sources]
        grade = new_event_grade(values, publishers, self.registry) if self._grades(record) else None
        where = (record.file, record.line_number, record.raw)
        return Prepared(*where, key, content_hash(record), values, sources, publishers, grade)

    @staticmethod
    def _grades(record: EventRecord) -> bool:
        """Whether this report's grade is computed here (see :data:`GRADED_HERE_EVERY`)."""
        return record.line_number % GRADED_HERE_EVERY == 0

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
            match = self._named_facility(record, lat, lon)
            if match is _FAR:
                return None
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

    def _named_facility(self, record: EventRecord, lat: float, lon: float) -> Any:
        """The facility the row names (the best match in the whole gazetteer), or :data:`_FAR`.

        Only a site within :data:`SWAP_NAMED_KM` of the swapped point can make a swap, so the names
        there are matched first (a few facilities instead of ~1,950 names: the whole-gazetteer fuzzy
        match cost 1.5-4 ms a row). When nothing there matches, the best match anywhere is farther
        from the swapped point: it decides nothing, unless the row also names a town (a row whose
        named facility is unknown is checked against its town instead), so only then is it searched.
        The answer is the same as matching against the whole gazetteer first.
        """
        name, facility_type = record.facility_name or "", record.facility_type
        nearby = self.geocoder.match_facility_name(name, facility_type=facility_type, near=(lon, lat, SWAP_NAMED_KM))
        if nearby is not None and nearby.method in ("name", "alias"):
            return nearby  # exact names and aliases are found anywhere: this is the global answer
        if nearby is None and not record.location_text:
            return _FAR
        return self.geocoder.match_facility_name(name, facility_type=facility_type)

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
            location_text=record.location_text,
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
        "confidence": confidence_level(
            record.claim_status, record.source_reliability, record.info_credibility, sourced=bool(record.sources)
        ),
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


__all__ = [
    "HISTORICAL_COUNTRY_ORIGINS",
    "MAX_URL_LENGTH",
    "OUTSIDE_COUNTRY_KM",
    "SWAP_MIN_KM",
    "SWAP_NAMED_KM",
    "Enricher",
    "Prepared",
]
