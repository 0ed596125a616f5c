"""Merging facility records into the database (``strikedb facilities import``).

Merge rule (documented in ``events/data/facilities.md``): an incoming facility is the same as a stored one
when (1) one of its external ids is already stored; else (2) its name or an alternative name equals a
stored name/alias of a facility of the same type and country within :data:`NAME_MATCH_MAX_KM`; else
(3) a same-type facility lies within the type's merge radius (:data:`MERGE_RADIUS_KM`, 5 km for
refineries) and the names are similar (rapidfuzz ≥ :data:`NEAR_NAME_SCORE`) or the incoming one has no
name; else (4) a fuzzy name match (≥ :data:`FUZZY_NAME_SCORE`) within :data:`NAME_MATCH_MAX_KM`.
A match attaches the external ids and names as aliases and fills empty fields; it never overwrites
values from another source.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rapidfuzz import fuzz
from sqlalchemy import Connection, Engine, func, insert, select, update

from events import geo, lines
from events.counters import counters
from events.db import distance_km
from events.facilities.read import bundled_path, bundled_rail_path, read_facilities
from events.facilities.record import VALUE_COLUMNS, FacilityRecord, language_of, slugify
from events.models import aliases_t, external_t, facilities_t, os_user, rejected_t, stations_t, utcnow
from events.records import RejectedRecord, RowProblem
from events.runs import file_checksum, finish_run, insert_run

#: Same-type facilities closer than this (km) are one facility when their names are similar.
MERGE_RADIUS_KM: dict[str, float] = {
    "refinery": 5.0,
    "oil_terminal": 3.0,
    "port": 3.0,
    "oil_depot": 2.0,
    "power_plant": 2.0,
    "pumping_station": 1.0,
    "substation": 1.0,
    "rail_junction": 1.0,
}
DEFAULT_MERGE_RADIUS_KM = 1.0
#: Same-type facilities this close (km) are one site whatever their names (operator vs plant names:
#: "JSC Salavatenergyorgsintez" is the Salavat refinery). Kept below the ~3 km between Ufa's refineries.
CO_LOCATED_KM: dict[str, float] = {"refinery": 2.0, "oil_terminal": 1.0, "oil_depot": 0.5, "power_plant": 0.5}
#: A name match farther than this is a namesake (or a wrong coordinate): a new facility + a warning.
NAME_MATCH_MAX_KM = 60.0
#: Name similarity needed to merge two facilities within the merge radius.
NEAR_NAME_SCORE = 60.0
#: Name similarity needed to merge on the name alone (within NAME_MATCH_MAX_KM).
FUZZY_NAME_SCORE = 90.0


@dataclass
class FacilityImportReport(counters("read", "created", "matched", "updated", "unchanged", "rejected")):
    """What one facility import did: the rows ``read``, and each one's outcome (the other counters)."""

    file: str
    input_format: str
    run_id: int | None = None
    warnings: list[RowProblem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: (incoming name, slug of the stored facility, how: "external_id", "name", "radius", "fuzzy").
    matches: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class _Known:
    id: int
    slug: str
    values: dict[str, Any]
    keys: set[str]
    aliases: set[str]


class _Index:
    """Stored facilities in memory, for the merge rule."""

    def __init__(self, conn: Connection) -> None:
        self.by_id: dict[int, _Known] = {}
        self.external: dict[tuple[str, str], int] = {}
        #: Schemes of each facility's external ids; the first one is the facility's own source.
        self.schemes: dict[int, set[str]] = {}
        self.owner: dict[int, str] = {}
        self.slugs: set[str] = set()
        columns = [facilities_t.c.id, facilities_t.c.slug, *(facilities_t.c[c] for c in VALUE_COLUMNS)]
        for row in conn.execute(select(*columns)).mappings():
            values = {c: row[c] for c in VALUE_COLUMNS}
            self.add(row["id"], row["slug"], values, [])
        for facility_id, alias in conn.execute(select(aliases_t.c.facility_id, aliases_t.c.alias)):
            self.add_names(facility_id, [alias])
        for facility_id, scheme, value in conn.execute(
            select(external_t.c.facility_id, external_t.c.scheme, external_t.c.value).order_by(external_t.c.id)
        ):
            self.add_external(facility_id, scheme, value)

    def add_external(self, facility_id: int, scheme: str, value: str) -> None:
        self.external[(scheme, value)] = facility_id
        self.schemes.setdefault(facility_id, set()).add(scheme)
        self.owner.setdefault(facility_id, scheme)

    def add(self, facility_id: int, slug: str, values: dict[str, Any], aliases: Iterable[str]) -> None:
        self.by_id[facility_id] = _Known(facility_id, slug, values, set(), set())
        self.slugs.add(slug)
        self.add_names(facility_id, [values["name"]])
        self.by_id[facility_id].aliases.discard(values["name"])
        self.add_names(facility_id, aliases)

    def add_names(self, facility_id: int, names: Iterable[str]) -> None:
        known = self.by_id[facility_id]
        for name in names:
            known.aliases.add(name)
            known.keys |= {geo.fold(name), geo.name_key(name)}

    def unique_slug(self, wanted: str) -> str:
        slug, n = wanted, 2
        while slug in self.slugs:
            slug, n = f"{wanted}-{n}", n + 1
        return slug


def _distance(record: FacilityRecord, known: _Known) -> float | None:
    return distance_km(record.latitude, record.longitude, known.values["latitude"], known.values["longitude"])


def find_match(index: _Index, record: FacilityRecord) -> tuple[_Known | None, str, list[str]]:
    """Apply the merge rule (module docstring) to one record.

    Returns
    -------
    tuple
        (stored facility or None, how it matched, warnings about near-misses).
    """
    notes: list[str] = []
    for key in record.external_ids:
        if key in index.external:
            return index.by_id[index.external[key]], "external_id", notes
    # A dataset never lists one facility twice: a stored facility that already carries an id of one
    # of the record's schemes is another object of the same dataset (the three refineries of Ufa).
    schemes = {scheme for scheme, _ in record.external_ids}
    candidates = [
        k
        for k in index.by_id.values()
        if not (schemes & index.schemes.get(k.id, set()))
        and k.values["facility_type"] == record.facility_type
        and (record.country is None or k.values["country"] is None or k.values["country"] == record.country)
    ]
    record_keys = {geo.fold(n) for n in [record.name, *(a for a, _ in record.aliases)]}
    record_keys |= {geo.name_key(n) for n in [record.name, *(a for a, _ in record.aliases)]}
    if record.unnamed:
        record_keys = set()
    by_name = [k for k in candidates if record_keys & k.keys]
    for known in sorted(by_name, key=lambda k: _distance(record, k) or 0.0):
        distance = _distance(record, known)
        if distance is None or distance <= NAME_MATCH_MAX_KM:
            return known, "name", notes
        notes.append(
            f"name matches {known.slug} but it is {distance:.0f} km away: stored separately; check coordinates"
        )
    radius = MERGE_RADIUS_KM.get(record.facility_type, DEFAULT_MERGE_RADIUS_KM)
    near = sorted(
        ((d, k) for k in candidates if (d := _distance(record, k)) is not None and d <= radius), key=lambda x: x[0]
    )
    for distance, known in near:
        co_located = distance <= CO_LOCATED_KM.get(record.facility_type, 0.0)
        if record.unnamed or co_located or _name_score(record, known, fuzz.token_set_ratio) >= NEAR_NAME_SCORE:
            return known, "radius", notes
        notes.append(f"{distance:.1f} km from {known.slug} but the names differ: stored separately")
    best: tuple[float, _Known] | None = None
    for known in candidates:
        distance = _distance(record, known)
        if distance is not None and distance > NAME_MATCH_MAX_KM:
            continue
        score = _name_score(record, known)
        if score >= FUZZY_NAME_SCORE and (best is None or score > best[0]):
            best = (score, known)
    if best:
        return best[1], "fuzzy", notes
    return None, "", notes


def _name_score(record: FacilityRecord, known: _Known, scorer: Any = fuzz.token_sort_ratio) -> float:
    """Best similarity (0-100) between any name of the record and any name of the stored facility."""
    mine = {geo.name_key(n) for n in [record.name, *(a for a, _ in record.aliases)]}
    theirs = {geo.name_key(n) for n in known.aliases | {known.values["name"]}}
    scores = (scorer(a, b) for a in mine for b in theirs if a and b and not geo.digits_differ(a, b))
    return max(scores, default=0.0)


def import_facilities(
    engine: Engine,
    path: str | Path,
    *,
    input_format: str = "auto",
    facility_type: str | None = None,
    scheme: str | None = None,
    user: str | None = None,
) -> FacilityImportReport:
    """Import a facility file: match against stored facilities, create the rest, quarantine bad rows.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    path : str or Path
        The file (see :func:`read_facilities`).
    input_format, facility_type, scheme
        Passed to :func:`read_facilities`.
    user : str, optional
        Recorded on the ``ingest_runs`` row (default: the OS user).

    Returns
    -------
    FacilityImportReport
        Counts (created vs matched), warnings and rejected rows. Everything is written in one
        transaction together with an ``ingest_runs`` row of kind ``facilities``.
    """
    path = Path(path)
    records = list(read_facilities(path, input_format=input_format, facility_type=facility_type, scheme=scheme))
    report = FacilityImportReport(file=str(path), input_format=input_format)
    with engine.begin() as conn:
        run_id = insert_run(
            conn,
            kind="facilities",
            file_path=str(path),
            checksum=file_checksum(path),
            input_format=input_format[:20],
            status="running",
            options={"format": input_format, "facility_type": facility_type, "scheme": scheme},
            user=user or os_user(),
        )
        report.run_id = run_id
        index = _Index(conn)
        for record in records:
            report.read += 1
            if isinstance(record, RejectedRecord):
                _quarantine(conn, run_id, record, report)
                continue
            report.warnings += record.warnings
            _store(conn, index, record, report)
        finish_run(conn, run_id, "committed", _run_counts(report))
    return report


def _run_counts(report: FacilityImportReport) -> dict[str, int]:
    """The report's counters under the names of :data:`events.runs.COUNT_COLUMNS`."""
    return {
        "read": report.read,
        "inserted": report.created,
        "updated": report.updated,
        "merged": report.matched,
        "unchanged": report.unchanged,
        "rejected": report.rejected,
    }


def import_bundled(engine: Engine, *, user: str | None = None) -> FacilityImportReport:
    """Import the bundled gazetteer: the sites (``facilities.csv``), then rail lines and junctions (``rail.csv``).

    Re-running changes nothing. Each file is one transaction and one ``ingest_runs`` row; the report
    returned adds the two up (``file`` names both).
    """
    sites = import_facilities(engine, bundled_path(), input_format="csv", scheme="gazetteer", user=user)
    rail = import_facilities(engine, bundled_rail_path(), input_format="csv", scheme="gazetteer", user=user)
    combined = FacilityImportReport(file=f"{sites.file}, {rail.file}", input_format="csv", run_id=rail.run_id)
    for report in (sites, rail):
        for name, value in report.counts().items():
            setattr(combined, name, getattr(combined, name) + value)
        combined.warnings += report.warnings
        combined.problems += report.problems
        combined.matches += report.matches
    return combined


def _quarantine(conn: Connection, run_id: int, record: RejectedRecord, report: FacilityImportReport) -> None:
    report.rejected += 1
    report.problems += record.problems
    conn.execute(
        insert(rejected_t),
        {
            "run_id": run_id,
            "file_path": record.file,
            "line_number": record.line_number,
            "raw_row": record.raw,
            "reasons": [p.as_dict() for p in record.problems],
        },
    )


def _store(conn: Connection, index: _Index, record: FacilityRecord, report: FacilityImportReport) -> None:
    known, how, notes = find_match(index, record)
    for note in notes:
        report.warnings.append(RowProblem(record.file, record.line_number, "name", record.name, note))
    if known is None:
        slug = index.unique_slug(record.slug or f"{(record.country or 'xx').lower()}-{slugify(record.name)}")
        values = record.values()
        facility_id = conn.execute(
            insert(facilities_t).returning(facilities_t.c.id), {"slug": slug, **values}
        ).scalar_one()
        index.add(facility_id, slug, values, [])
        known = index.by_id[facility_id]
        report.created += 1
    else:
        if how == "external_id" and index.owner.get(known.id) in {scheme for scheme, _ in record.external_ids}:
            # The dataset the facility came from, again: its newer values replace the ones it gave before.
            changes = {k: v for k, v in record.values().items() if v is not None and known.values.get(k) != v}
        else:
            # Another dataset: fill the gaps only, never overwrite another source's values.
            changes = {k: v for k, v in record.values().items() if v is not None and known.values.get(k) is None}
        _update(conn, known, changes)
        if how != "external_id":
            report.matched += 1
            report.matches.append((record.name, known.slug, how))
        elif changes:
            report.updated += 1
        else:
            report.unchanged += 1
    _attach(conn, index, known, record)
    if record.stations:
        _store_stations(conn, known, record, own=how != "external_id" or index.owner.get(known.id) == "gazetteer")


def _store_stations(conn: Connection, known: _Known, record: FacilityRecord, *, own: bool) -> None:
    """Write a line's stations with their distance along its geometry (replacing the source's own list)."""
    stored = conn.execute(
        select(func.count()).select_from(stations_t).where(stations_t.c.facility_id == known.id)
    ).scalar_one()
    if stored and not own:
        return  # another dataset's stations: the first source's list is kept
    parts = lines.line_parts(known.values.get("geometry_wkt") or record.geometry_wkt or "")
    rows = []
    for position, (name, lat, lon) in enumerate(record.stations):
        where = lines.locate(parts, lat, lon) if parts else None
        rows.append({
            "facility_id": known.id, "position": position, "name": name[:200], "latitude": lat, "longitude": lon,
            "km_from_start": round(where.along_km, 3) if where else 0.0,
        })  # fmt: skip
    existing = [
        tuple(r) for r in conn.execute(
            select(stations_t.c.position, stations_t.c.name, stations_t.c.latitude, stations_t.c.longitude,
                   stations_t.c.km_from_start).where(stations_t.c.facility_id == known.id)
            .order_by(stations_t.c.position)
        )
    ]  # fmt: skip
    wanted = [(r["position"], r["name"], r["latitude"], r["longitude"], r["km_from_start"]) for r in rows]
    if existing == wanted:
        return
    conn.execute(stations_t.delete().where(stations_t.c.facility_id == known.id))
    conn.execute(insert(stations_t), rows)


def _update(conn: Connection, known: _Known, changes: dict[str, Any]) -> None:
    if not changes:
        return
    changes["updated_at"] = utcnow()
    conn.execute(update(facilities_t).where(facilities_t.c.id == known.id).values(**changes))
    known.values.update(changes)


def _attach(conn: Connection, index: _Index, known: _Known, record: FacilityRecord) -> None:
    names = [(record.name, language_of(record.name)), *record.aliases]
    new_aliases = []
    for alias, language in names:
        if alias != known.values["name"] and alias not in known.aliases:
            new_aliases.append({"facility_id": known.id, "alias": alias, "language": language})
            index.add_names(known.id, [alias])
    if new_aliases:
        conn.execute(insert(aliases_t), new_aliases)
    for scheme, value in record.external_ids:
        if (scheme, value) not in index.external:
            conn.execute(insert(external_t), {"facility_id": known.id, "scheme": scheme[:40], "value": value[:200]})
            index.add_external(known.id, scheme, value)


__all__ = [
    "CO_LOCATED_KM",
    "DEFAULT_MERGE_RADIUS_KM",
    "FUZZY_NAME_SCORE",
    "MERGE_RADIUS_KM",
    "NAME_MATCH_MAX_KM",
    "NEAR_NAME_SCORE",
    "FacilityImportReport",
    "find_match",
    "import_bundled",
    "import_facilities",
]
