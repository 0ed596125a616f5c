"""Writers for query results, reports and event exports: CSV, JSON, GeoJSON, GeoPackage, Parquet.

CSV cells are protected against formula injection: a text cell that a spreadsheet would
evaluate (starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return, or their
full-width forms) is prefixed with an apostrophe, which spreadsheets show as text. Numbers are
written as numbers, so negative longitudes stay numeric.

Files are written to a temporary name beside the target and renamed when complete, so an
interrupted export never leaves a truncated file under the requested name.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from events.errors import InputError, QueryError

#: First characters that make Excel, LibreOffice or Google Sheets treat a cell as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

TABLE_FORMATS = ("table", "csv", "json", "geojson", "parquet")
EXPORT_FORMATS = ("csv", "geojson", "gpkg", "parquet")
#: Formats that cannot go to standard output.
BINARY_FORMATS = ("gpkg", "parquet")


def neutralise(value: Any) -> Any:
    """Return ``value`` safe for a spreadsheet cell: text that starts like a formula gets a leading ``'``.

    Parameters
    ----------
    value : object
        A cell value; only strings are changed.

    Returns
    -------
    object

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise(-3.5)
    -3.5
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def plain(value: Any) -> Any:
    """Convert a database value to a JSON/CSV-friendly one (ISO dates, float decimals, NaN as None)."""
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path next to ``path``; move it into place only if the block succeeds."""
    path = Path(path)
    if not path.parent.exists():
        raise InputError(f"directory {path.parent} does not exist", hint="create it or choose another --out")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # some writers (GDAL) refuse to overwrite an existing file
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _write_text(out: Path | None, writer: Callable[[TextIO], None]) -> None:
    """Run ``writer`` on standard output, or on a file written atomically."""
    if out is None:
        writer(sys.stdout)
        sys.stdout.flush()
        return
    with _atomic_path(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer(handle)


def write_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: TextIO) -> None:
    """Write a header and rows as RFC 4180 CSV with formula neutralisation.

    Parameters
    ----------
    columns : sequence of str
    rows : sequence of sequences
    stream : text stream
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise(plain(v)) for v in row])


def write_json(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: TextIO) -> None:
    """Write rows as a JSON array of objects (UTF-8, dates as ISO text)."""
    records = [{c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    json.dump(records, stream, ensure_ascii=False, indent=1)
    stream.write("\n")


def coordinate_columns(columns: Sequence[str]) -> tuple[int, int]:
    """Return the positions of the latitude and longitude columns.

    Raises
    ------
    QueryError
        When the result has no ``latitude`` and ``longitude`` columns.
    """
    lowered = [c.lower() for c in columns]
    for lat_name, lon_name in (("latitude", "longitude"), ("lat", "lon"), ("lat", "lng")):
        if lat_name in lowered and lon_name in lowered:
            return lowered.index(lat_name), lowered.index(lon_name)
    raise QueryError(
        "GeoJSON needs latitude and longitude columns in the result",
        hint="select them, e.g. SELECT public_id, latitude, longitude FROM events_enriched",
    )


def to_geojson(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> dict[str, Any]:
    """Build an RFC 7946 FeatureCollection of points from rows with latitude/longitude.

    Rows with a missing coordinate become features with a null geometry, so no row is lost.

    Parameters
    ----------
    columns : sequence of str
    rows : sequence of sequences

    Returns
    -------
    dict
    """
    lat_i, lon_i = coordinate_columns(columns)
    features = []
    for row in rows:
        lat, lon = plain(row[lat_i]), plain(row[lon_i])
        geometry = None
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
        properties = {c: plain(v) for c, v in zip(columns, row, strict=True)}
        features.append({"type": "Feature", "geometry": geometry, "properties": properties})
    return {"type": "FeatureCollection", "features": features}


def write_geojson(columns: Sequence[str], rows: Sequence[Sequence[Any]], stream: TextIO) -> None:
    """Write rows with latitude/longitude as a GeoJSON FeatureCollection."""
    json.dump(to_geojson(columns, rows), stream, ensure_ascii=False)
    stream.write("\n")


def write_parquet(columns: Sequence[str], rows: Sequence[Sequence[Any]], path: Path) -> None:
    """Write rows to a Parquet file (pyarrow); dates as ISO text so both backends give the same file."""
    import pandas as pd

    frame = pd.DataFrame.from_records([[plain(v) for v in row] for row in rows], columns=list(columns))
    with _atomic_path(path) as tmp:
        frame.to_parquet(tmp, engine="pyarrow", index=False)


def write_result(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: Path | None = None) -> None:
    """Write a query result or report in ``fmt`` to ``out`` (standard output when None).

    Parameters
    ----------
    columns : sequence of str
    rows : sequence of sequences
    fmt : str
        ``csv``, ``json``, ``geojson`` or ``parquet``.
    out : Path, optional

    Raises
    ------
    InputError
        For an unknown format, or a binary format without ``out``.
    QueryError
        For GeoJSON from a result without coordinates.
    """
    if fmt == "parquet":
        if out is None:
            raise InputError("parquet output needs a file", hint="add --out result.parquet")
        write_parquet(columns, rows, out)
        return
    writers = {"csv": write_csv, "json": write_json, "geojson": write_geojson}
    if fmt not in writers:
        raise InputError(f"unknown format {fmt!r}", hint=f"formats: {', '.join(TABLE_FORMATS)}")
    if fmt == "geojson":
        coordinate_columns(columns)  # fail before creating any file
    _write_text(out, lambda stream: writers[fmt](columns, rows, stream))


def export_events(gdf: Any, fmt: str, out: Path | None = None, *, layer: str = "events") -> None:
    """Write an events GeoDataFrame (from :func:`events.analysis.events_with_sources`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Points in EPSG:4326 with text, number and ISO-date columns.
    fmt : str
        ``csv`` (formula-safe, latitude/longitude columns), ``geojson`` (RFC 7946), ``gpkg``
        (GeoPackage layer ``layer``) or ``parquet`` (GeoParquet).
    out : Path, optional
        Target file; required for ``gpkg`` and ``parquet``.
    layer : str
        GeoPackage layer name.

    Raises
    ------
    InputError
        For an unknown format or a binary format without ``out``.
    """
    if fmt not in EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}", hint=f"formats: {', '.join(EXPORT_FORMATS)}")
    if fmt in BINARY_FORMATS and out is None:
        raise InputError(f"{fmt} export needs a file", hint=f"add --out events.{fmt}")
    columns = [c for c in gdf.columns if c != gdf.geometry.name]
    if fmt == "csv":
        rows = gdf[columns].astype(object).where(gdf[columns].notna(), None).itertuples(index=False, name=None)
        _write_text(out, lambda stream: write_csv(columns, list(rows), stream))
        return
    if fmt == "geojson" and out is None:
        _write_text(None, lambda stream: stream.write(gdf.to_json(drop_id=True, ensure_ascii=False) + "\n"))
        return
    frame = _with_text_for_empty_columns(gdf, columns)
    with _atomic_path(out) as tmp:  # type: ignore[arg-type]
        if fmt == "parquet":
            frame.to_parquet(tmp, index=False)
        elif fmt == "geojson":
            frame.to_file(tmp, driver="GeoJSON", engine="pyogrio")
        else:
            frame.to_file(tmp, driver="GPKG", layer=layer, engine="pyogrio")


def _with_text_for_empty_columns(gdf: Any, columns: Sequence[str]) -> Any:
    """Give all-NULL columns a string type: GDAL cannot infer a field type from only NULLs."""
    frame = gdf.copy()
    for column in columns:
        if frame[column].isna().all():
            frame[column] = frame[column].astype("string")
    return frame


def render_csv(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """Return the CSV text :func:`write_csv` would write (for previews and tests)."""
    buffer = io.StringIO()
    write_csv(columns, rows, buffer)
    return buffer.getvalue()
