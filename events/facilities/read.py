"""Reading facility files into records (pure: no database access).

:func:`read_facilities` yields :class:`events.facilities.record.FacilityRecord` or
:class:`events.records.RejectedRecord` for each row of a CSV, GeoJSON, JSON array or GeoPackage
file; the container is told from the extension (:func:`detect_format`) and the attribute schema
from each row's columns (:func:`detect_schema`).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import shapely

from events import vocab
from events.errors import InputError
from events.facilities.record import FacilityRecord, is_nan, to_record
from events.readers.inputs import check_regular_file
from events.records import RejectedRecord

FORMATS = ("auto", "csv", "geojson", "gpkg", "json", "osm", "gogi", "gppd")


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
        props = {k: (None if is_nan(v) else v) for k, v in props.items()}
        raw = json.dumps(props, ensure_ascii=False, default=str)
        yield number, raw, props, row.geometry


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

    With ``auto`` each row's schema is detected from its own columns, so one file may mix them.

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


__all__ = ["FORMATS", "bundled_path", "bundled_rail_path", "detect_format", "detect_schema", "read_facilities"]
