"""Adapters for datasets that are not in the canonical CSV format: ACLED, UCDP GED and GeoJSON.

Each adapter streams its file and yields :class:`~events.records.EventRecord` /
:class:`~events.records.RejectedRecord` exactly like :func:`events.parse.read_events` (which
dispatches here), one per data row or feature.

* **ACLED** exports (31-column layout since 2023; older layouts work when the core columns are
  present): ``NA`` is missing, ``event_id_cnty`` is the external id (so a re-import updates),
  ``time_precision`` 1/2/3 → day/week/month, ``geo_precision`` 1/2/3 → exact/near_town/region,
  ``source`` is split on ``;`` into sources named by publisher, ``notes`` is the description,
  ``fatalities`` the best estimate, the numeric ``iso`` gives the country, and the attack type
  comes from ``sub_event_type`` (``Air/drone strike`` → drone, ``Shelling/artillery/missile
  attack`` → missile, anything else unknown). ACLED does not grade claims: ``reported``.
* **UCDP GED** CSVs (49 columns): ``relid`` is the external id, ``where_prec`` 1 → exact,
  2-3 → near_town, 4-7 → region; ``date_prec`` 1 → day, 2-3 → week, 4-5 → month; ``low``/``best``/
  ``high`` are the fatality estimates; ``source_office``/``source_date``/``source_headline`` are
  ``;``-separated parallel lists that become one source each.
* **GeoJSON**: a FeatureCollection of Point features whose properties are mapped like CSV columns
  (same synonyms and ``column_map``). The line number of a feature is its index + 1 and its raw
  text is the feature's JSON. Non-point geometries are rejected. The file is parsed
  incrementally, one feature at a time.
"""

from __future__ import annotations

import codecs
import json
import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from events import dates as d
from events import validate as v
from events.errors import InputError
from events.layouts import ACLED_COLUMNS as ACLED_COLUMNS
from events.layouts import ACLED_FIELD_COLUMNS, DATASET_COLUMNS, UCDP_FIELD_COLUMNS
from events.parse import (
    CHUNK_BYTES,
    FIELD_LIMIT,
    CsvRow,
    _cell,
    _open_binary,
    _Row,
    build_event,
    open_csv,
    plan_columns,
)
from events.records import EventRecord, RejectedRecord, RowProblem, SourceRecord

ACLED_REQUIRED: tuple[str, ...] = ("event_id_cnty", "event_date", "latitude", "longitude")
# Columns with a home in EventRecord; everything else non-empty goes to ``extra``.
_ACLED_MAPPED = frozenset(
    {
        "event_id_cnty",
        "event_date",
        "time_precision",
        "iso",
        "iso3",
        "country",
        "admin1",
        "location",
        "latitude",
        "longitude",
        "geo_precision",
        "source",
        "notes",
        "fatalities",
    }
)
ACLED_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
ACLED_GEO_PRECISION = {"1": "exact", "2": "near_town", "3": "region"}
ACLED_ATTACK_TYPES = {
    "air/drone strike": "drone",
    "shelling/artillery/missile attack": "missile",
}

UCDP_REQUIRED: tuple[str, ...] = ("relid", "date_start", "latitude", "longitude", "where_prec", "date_prec")
UCDP_WHERE_PRECISION = {"1": "exact", "2": "near_town", "3": "near_town"} | dict.fromkeys("4567", "region")
UCDP_DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "month"}
_UCDP_MAPPED = frozenset(
    {
        "relid",
        "date_start",
        "latitude",
        "longitude",
        "where_prec",
        "date_prec",
        "where_coordinates",
        "adm_1",
        "country",
        "best",
        "low",
        "high",
        "source_office",
        "source_date",
        "source_headline",
        "geom_wkt",
    }
)
MAX_SOURCES_PER_ROW = 50


# ---------------------------------------------------------------------------------------------
# Shared CSV plumbing
# ---------------------------------------------------------------------------------------------


Converter = Callable[[str, int, str, dict[str, str], "d.DateRules | None"], EventRecord | RejectedRecord]


def _read_dataset(
    path: str | Path,
    *,
    encoding: str | None,
    delimiter: str | None,
    required: tuple[str, ...],
    name: str,
    convert: Converter,
    fields: dict[str, str],
    column_map: dict[str, str] | None,
    dates: d.DateRules | None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Read a dataset from its CSV export or, when the file is JSON, its GeoJSON features."""
    if looks_like_json(Path(path)):
        return _dataset_features(str(path), required, name, convert, fields, column_map, dates)
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    try:
        header = dataset_header(path, source.header, column_map, fields, name)
        _check_dataset_columns(path, header, required, name)
    except BaseException:
        source.records.close()  # type: ignore[attr-defined]
        raise
    return _convert_rows(str(path), source.records, header, convert, dates)


def _check_dataset_columns(path: str | Path, header: list[str], required: tuple[str, ...], name: str) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        raise InputError(
            f"{path}: not a {name} file: columns {', '.join(missing)} are missing",
            hint=f"a {name} file has the columns {', '.join(required)}; map yours with --map 'COLUMN={missing[0]}', "
            "or leave --format out to detect the layout",
        )


def dataset_header(
    path: str | Path, header: list[str], column_map: dict[str, str] | None, fields: dict[str, str], name: str
) -> list[str]:
    """Return a dataset file's column names, lower-cased, with ``--map`` applied.

    Parameters
    ----------
    path : str or Path
        For messages.
    header : list of str
        Column (or property) names as written.
    column_map : dict, optional
        Input column -> canonical field (translated to the dataset's column, e.g. ``date`` ->
        ``event_date`` for ACLED), a dataset column name, ``extra`` or ``ignore``.
    fields : dict
        Canonical field -> the dataset's column.
    name : str
        The dataset's name, for messages.

    Returns
    -------
    list of str
        One name per column; ignored columns are ``""``.

    Raises
    ------
    InputError
        For a mapped column not in the header, a field the dataset has no column for, or two
        columns mapped to one.
    """
    lowered = [h.replace("\ufeff", "").strip().lower() for h in header]
    if not column_map:
        return lowered
    result = list(lowered)
    by_name = {" ".join(h.replace("_", " ").split()): i for i, h in enumerate(lowered)}
    for column, target in column_map.items():
        index = by_name.get(" ".join(column.strip().lower().replace("_", " ").split()))
        if index is None:
            raise InputError(
                f"{path}: --map names column {column!r}, which is not in the header",
                hint=f"the header is: {', '.join(repr(h) for h in header)}",
            )
        if target == "ignore":
            result[index] = ""
        elif target == "extra":
            interpreted = lowered[index] in DATASET_COLUMNS
            result[index] = f"{header[index].strip()} (kept as extra)" if interpreted else header[index].strip()
        elif target in fields or target in DATASET_COLUMNS:
            result[index] = fields.get(target, target)
        else:
            raise InputError(
                f"--map {column}={target}: a {name} file has no column for {target!r}",
                hint=f"map to one of {', '.join(sorted(fields))}, a {name} column name, extra or ignore",
            )
    named = [n for n in result if n]
    doubled = sorted({n for n in named if named.count(n) > 1})
    if doubled:
        raise InputError(
            f"{path}: after --map, several columns are called {', '.join(map(repr, doubled))}",
            hint="map the other column to ignore or extra",
        )
    return result


def _convert_rows(
    path: str,
    records: Iterator[CsvRow | RejectedRecord],
    header: list[str],
    convert: Converter,
    dates: d.DateRules | None,
) -> Iterator[EventRecord | RejectedRecord]:
    try:
        for item in records:
            if isinstance(item, RejectedRecord):
                yield item
            else:
                cells = dict(zip(header, item.cells, strict=True))
                yield convert(path, item.line, item.raw, cells, dates)
    finally:
        records.close()  # type: ignore[attr-defined]


def _dataset_features(
    path: str,
    required: tuple[str, ...],
    name: str,
    convert: Converter,
    fields: dict[str, str],
    column_map: dict[str, str] | None,
    dates: d.DateRules | None,
) -> Iterator[EventRecord | RejectedRecord]:
    features = _stream_features(Path(path))
    try:
        first = next(features, None)
    except BaseException:
        features.close()  # type: ignore[attr-defined]
        raise
    if first is not None and isinstance(first, dict):
        names = list((first.get("properties") or {}).keys())
        header = dataset_header(path, names, column_map, fields, name)
        located = [c for c in required if c not in ("latitude", "longitude")]
        try:
            _check_dataset_columns(path, header, tuple(located), name)
        except BaseException:
            features.close()  # type: ignore[attr-defined]
            raise
    return _dataset_feature_records(path, first, features, convert, fields, column_map, dates, name)


def _dataset_feature_records(
    path: str,
    first: Any,
    features: Iterator[Any],
    convert: Converter,
    fields: dict[str, str],
    column_map: dict[str, str] | None,
    dates: d.DateRules | None,
    name: str,
) -> Iterator[EventRecord | RejectedRecord]:
    headers: dict[tuple[str, ...], list[str]] = {}
    try:
        index = 0
        for feature in _chain_first(first, features):
            index += 1
            raw = _feature_raw(feature)
            if not isinstance(feature, dict) or feature.get("type") != "Feature":
                yield _rejected(path, index, raw, None, "not a GeoJSON Feature object")
                continue
            properties = feature.get("properties") or {}
            if not isinstance(properties, dict):
                yield _rejected(path, index, raw, "properties", "properties must be an object")
                continue
            point, problem = _point_of(feature.get("geometry"))
            if problem:
                yield _rejected(path, index, raw, "geometry", problem)
                continue
            names = tuple(str(key) for key in properties)
            if names not in headers:
                headers[names] = dataset_header(path, list(names), column_map, fields, name)
            cells = {
                column: _property_text(value)
                for column, value in zip(headers[names], properties.values(), strict=True)
                if column
            }
            if point is not None and not (_cell(cells.get("latitude")) and _cell(cells.get("longitude"))):
                cells["latitude"], cells["longitude"] = repr(point[0]), repr(point[1])
            record = convert(path, index, raw, cells, dates)
            if isinstance(record, EventRecord) and record.extra:
                # Keep the property values as published (numbers stay numbers), as the GeoJSON reader does.
                originals = dict(zip(headers[names], properties.values(), strict=True))
                record.extra = {k: originals.get(k, value) for k, value in record.extra.items()}
            yield record
    finally:
        features.close()  # type: ignore[attr-defined]


def _chain_first(first: Any, rest: Iterator[Any]) -> Iterator[Any]:
    if first is None:
        return
    yield first
    yield from rest


def looks_like_json(path: Path) -> bool:
    """Tell whether a file starts with a JSON object (GeoJSON) rather than CSV text."""
    with _open_binary(path) as stream:
        head = stream.read(4096)
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    return text.startswith(b"{")


def feature_properties(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(feature number, properties)`` of a GeoJSON file, streaming (used to scan dates).

    Raises
    ------
    InputError
        When the file is not a GeoJSON FeatureCollection or Feature.
    """
    features = _stream_features(Path(path))
    try:
        for index, feature in enumerate(features, start=1):
            properties = feature.get("properties") if isinstance(feature, dict) else None
            yield index, properties if isinstance(properties, dict) else {}
    finally:
        features.close()  # type: ignore[attr-defined]


def _int_cell(row: _Row, column: str, text: str | None, *, minimum: int | None = 0) -> int | None:
    value = _cell(text)
    if value is None:
        return None
    return row.check(column, value, v.parse_int, column, minimum=minimum)


def _coordinates(row: _Row, cells: dict[str, str]) -> tuple[float | None, float | None]:
    lat_text, lon_text = _cell(cells.get("latitude")), _cell(cells.get("longitude"))
    if lat_text is None or lon_text is None:
        row.problem("latitude" if lat_text is None else "longitude", None, "coordinates are missing")
        return None, None
    return (
        row.check("latitude", lat_text, v.parse_coordinate, "latitude"),
        row.check("longitude", lon_text, v.parse_coordinate, "longitude"),
    )


def _precision(row: _Row, column: str, text: str | None, table: dict[str, str]) -> str | None:
    value = _cell(text)
    if value is None:
        return None
    key = value.split(".")[0] if value.replace(".", "", 1).isdigit() else value
    if key not in table:
        row.problem(column, value, f"expected one of {', '.join(sorted(table))}")
        return None
    return table[key]


def _extra(cells: dict[str, str], mapped: frozenset[str]) -> dict[str, Any]:
    return {name: value for name, value in cells.items() if name not in mapped and not v.is_blank(value) and name}


def _finish(row: _Row, record: EventRecord, raw: str) -> EventRecord | RejectedRecord:
    if row.problems:
        return RejectedRecord(row.path, row.line, raw, row.problems)
    return record


# ---------------------------------------------------------------------------------------------
# ACLED
# ---------------------------------------------------------------------------------------------


def read_acled(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    dates: d.DateRules | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream an ACLED export as event records.

    Parameters
    ----------
    path : str or Path
        The export: CSV from the ACLED Data Export Tool or API, or GeoJSON features with the
        same properties.
    encoding, delimiter : str, optional
        As for :func:`events.parse.read_events`.
    column_map : dict, optional
        ``--map``: input column -> canonical field, ACLED column, ``extra`` or ``ignore``.
    dates : DateRules, optional
        The file's date rules (:mod:`events.dates`); None reads slash dates day first.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per data row; ``origin`` is ``acled``, ``external_id`` the ``event_id_cnty``.

    Raises
    ------
    InputError
        When the file cannot be read or lacks the ACLED core columns.
    """
    return _read_dataset(
        path,
        encoding=encoding,
        delimiter=delimiter,
        required=ACLED_REQUIRED,
        name="ACLED",
        convert=_acled_row,
        fields=ACLED_FIELD_COLUMNS,
        column_map=column_map,
        dates=dates,
    )


def _dataset_record(
    path: str,
    line: int,
    raw: str,
    cells: dict[str, str],
    dates: d.DateRules | None,
    *,
    origin: str,
    id_column: str,
    id_label: str,
    date_column: str,
) -> tuple[_Row, EventRecord]:
    """Start the record of one dataset row: its problem collector, its id, date and time."""
    row = _Row(path, line)
    record = EventRecord(file=path, line_number=line, raw=raw, event_date=None, origin=origin)  # type: ignore[arg-type]
    record.external_id = _cell(cells.get(id_column))
    if record.external_id is None:
        row.problem(id_column, None, f"{id_label} is missing")
    date_text = _cell(cells.get(date_column))
    if date_text is None:
        row.problem(date_column, None, "date is missing")
    else:
        parsed = row.check(date_column, date_text, d.parse_datetime, dates)
        if parsed:
            record.event_date, _, record.event_time_utc = parsed
    return row, record


def _acled_row(path: str, line: int, raw: str, cells: dict[str, str], dates: d.DateRules | None):
    row, record = _dataset_record(
        path,
        line,
        raw,
        cells,
        dates,
        origin="acled",
        id_column="event_id_cnty",
        id_label="ACLED event id",
        date_column="event_date",
    )
    record.date_precision = _precision(row, "time_precision", cells.get("time_precision"), ACLED_TIME_PRECISION) or (
        "day"
    )
    record.latitude, record.longitude = _coordinates(row, cells)
    record.geo_precision = _precision(row, "geo_precision", cells.get("geo_precision"), ACLED_GEO_PRECISION)
    record.country = _acled_country(cells)
    record.admin1 = _cell(cells.get("admin1"))
    record.location_text = _cell(cells.get("location"))
    record.description = _cell(cells.get("notes"))
    record.fatalities_best = _int_cell(row, "fatalities", cells.get("fatalities"))
    record.attack_type = ACLED_ATTACK_TYPES.get((_cell(cells.get("sub_event_type")) or "").lower(), "unknown")
    record.claim_status = "reported"
    record.sources = _acled_sources(cells.get("source"))
    record.extra = _extra(cells, _ACLED_MAPPED)
    return _finish(row, record, raw)


def _acled_country(cells: dict[str, str]) -> str | None:
    """ISO2 from the numeric ``iso`` (or ``iso3`` in older exports), falling back to the name."""
    for column in ("iso", "iso3", "country"):
        text = _cell(cells.get(column))
        if text is None:
            continue
        try:
            return v.parse_country(text)
        except v.FieldError:
            continue
    return None


def _acled_sources(text: str | None) -> list[SourceRecord]:
    value = _cell(text)
    if value is None:
        return []
    names = []
    for piece in value.split(";"):
        name = piece.strip()[:300]
        if name and name not in names:
            names.append(name)
    return [SourceRecord(publisher=name) for name in names[:MAX_SOURCES_PER_ROW]]


# ---------------------------------------------------------------------------------------------
# UCDP GED
# ---------------------------------------------------------------------------------------------


def read_ucdp(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    dates: d.DateRules | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream a UCDP GED CSV as event records.

    Parameters
    ----------
    path : str or Path
        A GED CSV (the 49-column layout), or GED GeoJSON features with the same properties
        (positions from the geometry when the properties have none).
    encoding, delimiter : str, optional
        As for :func:`events.parse.read_events`.
    column_map : dict, optional
        ``--map``: input column -> canonical field, GED column, ``extra`` or ``ignore``.
    dates : DateRules, optional
        The file's date rules (:mod:`events.dates`); None reads slash dates day first.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per data row; ``origin`` is ``ucdp``, ``external_id`` the ``relid``.

    Raises
    ------
    InputError
        When the file cannot be read or lacks the GED core columns.
    """
    return _read_dataset(
        path,
        encoding=encoding,
        delimiter=delimiter,
        required=UCDP_REQUIRED,
        name="UCDP GED",
        convert=_ucdp_row,
        fields=UCDP_FIELD_COLUMNS,
        column_map=column_map,
        dates=dates,
    )


def _ucdp_row(path: str, line: int, raw: str, cells: dict[str, str], dates: d.DateRules | None):
    row, record = _dataset_record(
        path, line, raw, cells, dates, origin="ucdp", id_column="relid", id_label="UCDP relid", date_column="date_start"
    )
    record.date_precision = _precision(row, "date_prec", cells.get("date_prec"), UCDP_DATE_PRECISION) or "day"
    record.latitude, record.longitude = _coordinates(row, cells)
    record.geo_precision = _precision(row, "where_prec", cells.get("where_prec"), UCDP_WHERE_PRECISION)
    country_text = _cell(cells.get("country"))
    if country_text is not None:
        try:
            record.country = v.parse_country(country_text)
        except v.FieldError:
            record.country = None  # kept in extra below; an unknown name must not drop the event
    record.admin1 = _cell(cells.get("adm_1"))
    record.location_text = _cell(cells.get("where_coordinates"))
    record.fatalities_low = _int_cell(row, "low", cells.get("low"))
    record.fatalities_best = _int_cell(row, "best", cells.get("best"))
    record.fatalities_high = _int_cell(row, "high", cells.get("high"))
    record.claim_status = "reported"
    record.sources = _ucdp_sources(cells)
    record.extra = _extra(cells, _UCDP_MAPPED - {"country"} if record.country is None else _UCDP_MAPPED)
    return _finish(row, record, raw)


def _ucdp_sources(cells: dict[str, str]) -> list[SourceRecord]:
    """One source per ``source_office`` entry, paired with date and headline when the lists align."""
    offices = [p.strip() for p in (_cell(cells.get("source_office")) or "").split(";")]
    dates = [p.strip() for p in (_cell(cells.get("source_date")) or "").split(";")]
    headlines = [p.strip() for p in (_cell(cells.get("source_headline")) or "").split(";")]
    count = max(len(offices) if offices != [""] else 0, len(headlines) if headlines != [""] else 0)
    sources: list[SourceRecord] = []
    for i in range(min(count, MAX_SOURCES_PER_ROW)):
        publisher = offices[i] if len(offices) == count and offices[i] else None
        title = headlines[i] if len(headlines) == count and headlines[i] else None
        published = _optional_date(dates[i]) if len(dates) == count else None
        if publisher or title:
            sources.append(SourceRecord(publisher=publisher and publisher[:300], title=title, published_date=published))
    if not sources:
        article = _cell(cells.get("source_article"))
        if article:
            sources.append(SourceRecord(title=article[:1000]))
    return sources


def _optional_date(text: str):
    try:
        return v.parse_date(text)[0] if text else None
    except v.FieldError:
        return None


# ---------------------------------------------------------------------------------------------
# GeoJSON
# ---------------------------------------------------------------------------------------------


def read_geojson(
    path: str | Path, *, column_map: dict[str, str] | None = None, dates: d.DateRules | None = None
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream the Point features of a GeoJSON file as event records.

    Parameters
    ----------
    path : str or Path
        A GeoJSON FeatureCollection (or a single Feature), UTF-8.
    column_map : dict, optional
        Property name → canonical field, as for CSV columns.
    dates : DateRules, optional
        The file's date rules (:mod:`events.dates`); None reads slash dates day first.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per feature: ``line_number`` is the feature's index + 1, ``raw`` its JSON.

    Raises
    ------
    InputError
        When the file is not JSON, not GeoJSON, not UTF-8, or the properties lack the required
        fields (checked on the first feature, like a CSV header).
    """
    features = _stream_features(Path(path))
    return _geojson_records(str(path), features, column_map, dates)


def _geojson_records(
    path: str, features: Iterator[Any], column_map: dict[str, str] | None, dates: d.DateRules | None
) -> Iterator[EventRecord | RejectedRecord]:
    plans: dict[tuple[str, ...], Any] = {}
    try:
        for index, feature in enumerate(features):
            yield _feature_record(path, index + 1, feature, plans, column_map, dates)
    finally:
        features.close()  # type: ignore[attr-defined]


def _feature_raw(feature: Any) -> str:
    try:
        return json.dumps(feature, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(feature)


def _property_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return repr(value)
    return json.dumps(value, ensure_ascii=False)


def _feature_record(
    path: str,
    line: int,
    feature: Any,
    plans: dict[tuple[str, ...], Any],
    column_map: dict[str, str] | None,
    dates: d.DateRules | None = None,
) -> EventRecord | RejectedRecord:
    raw = _feature_raw(feature)
    if not isinstance(feature, dict) or feature.get("type") != "Feature":
        return _rejected(path, line, raw, None, "not a GeoJSON Feature object")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        return _rejected(path, line, raw, "properties", "properties must be an object")
    point, problem = _point_of(feature.get("geometry"))
    if problem:
        return _rejected(path, line, raw, "geometry", problem)
    names = tuple(str(key) for key in properties)
    if names not in plans:
        # Each distinct property set is planned once; a failure on the first feature is a file error.
        try:
            plans[names] = plan_columns(path, list(names), column_map, located=True)
        except InputError as exc:
            if line == 1:
                raise
            plans[names] = exc
    plan = plans[names]
    if isinstance(plan, InputError):
        return _rejected(path, line, raw, None, f"properties unlike the first feature's: {plan}")
    texts = [_property_text(value) for value in properties.values()]
    values = {name: texts[index] for name, index in plan.fields.items()}
    sources = {g: {n: texts[i] for n, i in slots.items()} for g, slots in plan.sources.items()}
    extra = {name: properties[names[index]] for index, name in plan.extra if texts[index].strip()}
    columns = {name: plan.names[index] for name, index in plan.fields.items()}
    return build_event(
        path, line, raw, values, sources, extra, origin="geojson", columns=columns, point=point, dates=dates
    )


def _rejected(path: str, line: int, raw: str, column: str | None, reason: str) -> RejectedRecord:
    return RejectedRecord(path, line, raw, [RowProblem(path, line, column, None, reason)])


def _point_of(geometry: Any) -> tuple[tuple[float, float] | None, str | None]:
    """Return ((lat, lon), None) for a valid Point, (None, None) for no geometry, or (None, reason)."""
    if geometry is None:
        return None, None
    if not isinstance(geometry, dict):
        return None, "geometry must be an object"
    kind = geometry.get("type")
    if kind != "Point":
        return None, f"geometry type {kind!r} is not supported: only Point features are events"
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return None, "a Point needs coordinates [longitude, latitude]"
    lon, lat = coords[0], coords[1]
    if not all(isinstance(c, int | float) and not isinstance(c, bool) for c in (lon, lat)):
        return None, "Point coordinates must be numbers"
    if not (math.isfinite(lat) and math.isfinite(lon)):
        return None, "Point coordinates must be finite"
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        hint = " (GeoJSON order is [longitude, latitude])" if -90 <= lon <= 90 and -180 <= lat <= 180 else ""
        return None, f"Point [{lon}, {lat}] is out of range{hint}"
    return (float(lat), float(lon)), None


class _JsonStream:
    """Incremental JSON tokenizer over a UTF-8 byte stream, enough to walk a FeatureCollection."""

    def __init__(self, path: Path, stream: BinaryIO) -> None:
        self.path = path
        self.stream = stream
        self.decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="strict")
        self.buffer = ""
        self.pos = 0
        self.consumed = 0
        self.eof = False
        self.json = json.JSONDecoder()

    def _fill(self, size: int = CHUNK_BYTES) -> bool:
        if self.eof:
            return False
        chunk = self.stream.read(size)
        try:
            text = self.decoder.decode(chunk, final=not chunk)
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{self.path}: not valid UTF-8 near byte {self.consumed + exc.start}",
                hint="GeoJSON must be UTF-8 (RFC 7946); re-save the file as UTF-8",
            ) from None
        self.consumed += len(chunk)
        self.eof = not chunk
        self.buffer = self.buffer[self.pos :] + text
        self.pos = 0
        return True

    def peek(self) -> str:
        """Return the next non-space character ('' at end of file)."""
        while True:
            while self.pos < len(self.buffer) and self.buffer[self.pos] in " \t\r\n":
                self.pos += 1
            if self.pos < len(self.buffer):
                return self.buffer[self.pos]
            if not self._fill():
                return ""

    def expect(self, char: str) -> None:
        found = self.peek()
        if found != char:
            raise self.error(f"expected {char!r} but found {found or 'end of file'!r}")
        self.pos += 1

    def value(self) -> Any:
        """Decode the next complete JSON value, reading more input until it is complete."""
        self.peek()
        while True:
            try:
                value, end = self.json.raw_decode(self.buffer, self.pos)
            except RecursionError:
                error = self.error("values nested too deeply (thousands of levels)")
                error.hint = "this is not a plausible GeoJSON export; check where the file came from"
                raise error from None
            except json.JSONDecodeError as exc:
                if len(self.buffer) - self.pos > 4 * FIELD_LIMIT:
                    raise self.error("a single JSON value is larger than 64 MB") from None
                # Read as much again as is pending, so a big feature costs O(n log n), not O(n^2).
                if not self._fill(max(CHUNK_BYTES, len(self.buffer) - self.pos)):
                    raise self.error(f"invalid JSON ({exc.msg})") from None
                continue
            # A number at the very end of the buffer may continue in the next chunk.
            if end == len(self.buffer) and not self.eof and self.buffer[self.pos] not in '{["':
                self._fill()
                continue
            self.pos = end
            return value

    def error(self, message: str) -> InputError:
        return InputError(f"{self.path}: not a GeoJSON FeatureCollection: {message}")


def _stream_features(path: Path) -> Iterator[Any]:
    stream = _open_binary(path)
    reader = _JsonStream(path, stream)
    try:
        first = reader.peek()
    except BaseException:
        stream.close()
        raise
    if first != "{":
        stream.close()
        raise reader.error("the file does not start with a JSON object" if first else "the file is empty")
    return _walk_collection(reader, stream)


def _walk_collection(reader: _JsonStream, stream: BinaryIO) -> Iterator[Any]:
    """Yield the elements of the top-level ``features`` array one by one (or a lone Feature)."""
    with stream:
        reader.expect("{")
        members: dict[str, Any] = {}
        saw_features = False
        while reader.peek() != "}":
            if members or saw_features:
                reader.expect(",")
            key = reader.value()
            if not isinstance(key, str):
                raise reader.error("object keys must be strings")
            reader.expect(":")
            if key == "features" and reader.peek() == "[":
                saw_features = True
                yield from _walk_array(reader)
            else:
                members[key] = reader.value()
        reader.expect("}")
        if reader.peek():
            raise reader.error("extra data after the top-level object")
        if saw_features:
            return
        if members.get("type") == "Feature":
            yield members
            return
        raise reader.error("no 'features' array (expected a FeatureCollection or a Feature)")


def _walk_array(reader: _JsonStream) -> Iterator[Any]:
    reader.expect("[")
    first = True
    while reader.peek() != "]":
        if not first:
            reader.expect(",")
        first = False
        yield reader.value()
    reader.expect("]")
