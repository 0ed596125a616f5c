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
import shutil
import stat
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO

from events.errors import InputError, QueryError, StorageError
from events.values import db_value

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
    """Convert a database value to a JSON/CSV-friendly one (ISO dates, NaN as None; see :func:`events.values.db_value`).

    A ``Decimal`` without fractional digits (PostgreSQL's ``SUM`` of integers is ``numeric``)
    becomes an ``int``, so counts print as ``3`` on both backends; others become ``float``.
    """
    if isinstance(value, decimal.Decimal | dt.date | dt.time):
        return db_value(value)
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bytes | memoryview):
        return bytes(value).hex()
    return value


def resolve_output(path: Path) -> tuple[Path, bool]:
    """Return where ``--out PATH`` really writes and whether that is a regular file (or new).

    A symlink is followed (the link stays a link, its target gets the data); a FIFO, a
    character device (``/dev/stdout``, ``/dev/null``) or a socket is written through as it is;
    a directory is refused.

    Raises
    ------
    InputError
        For a directory, or a parent directory that does not exist.
    """
    target = Path(os.path.realpath(path))
    if target.is_dir():
        raise InputError(f"{path} is a directory", hint="give a file name, e.g. --out result.csv")
    if target.exists():
        mode = target.stat().st_mode
        if not stat.S_ISREG(mode):
            return target, False
    if not target.parent.is_dir():
        raise InputError(f"directory {target.parent} does not exist", hint="create it or choose another --out")
    return target, True


def _disk_nearly_full(directory: Path, margin: int = 1 << 20) -> bool:
    """True when the file system holding ``directory`` has less than ``margin`` bytes free."""
    try:
        return shutil.disk_usage(directory).free < margin
    except OSError:
        return False


@contextmanager
def _atomic_path(path: Path) -> Iterator[Path]:
    """Yield a temporary path; when the block succeeds its content becomes ``path``.

    For a regular (or new) file the temporary file sits beside the target and is renamed over
    it, so an interrupted export never leaves a truncated file under the requested name, and a
    symlink's target is replaced rather than the link. A FIFO or device is never replaced by a
    regular file: the finished content is copied into it.
    """
    target, regular = resolve_output(Path(path))
    directory = target.parent if regular else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=directory)
    os.close(fd)
    tmp = Path(tmp_name)
    tmp.unlink()  # some writers (GDAL) refuse to overwrite an existing file
    try:
        try:
            yield tmp
        except Exception as exc:
            # GDAL reports a full disk as "Cannot write feature": say what it is.
            if _disk_nearly_full(tmp.parent):
                raise StorageError(f"{path}: no space left on the disk") from exc
            raise
        if regular:
            _keep_mode(target, tmp)
            os.replace(tmp, target)
        else:
            with tmp.open("rb") as source, target.open("wb") as sink:
                shutil.copyfileobj(source, sink, 1 << 20)
    finally:
        if tmp.exists():
            tmp.unlink()


def _keep_mode(target: Path, tmp: Path) -> None:
    """Give the new file the old file's permissions, or the umask's for a new one (mkstemp makes 0600)."""
    if target.exists():
        os.chmod(tmp, stat.S_IMODE(target.stat().st_mode))
        return
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def _write_text(out: Path | None, writer: Callable[[TextIO], None]) -> None:
    """Run ``writer`` on standard output, or on a file written atomically."""
    if out is None:
        writer(sys.stdout)
        sys.stdout.flush()
        return
    with _atomic_path(out) as tmp, tmp.open("w", encoding="utf-8", newline="") as handle:
        writer(handle)


class _Counted:
    """An iterator over rows that counts what went through it."""

    def __init__(self, rows: Iterable[Sequence[Any]]) -> None:
        self._rows = iter(rows)
        self.count = 0

    def __iter__(self) -> Iterator[Sequence[Any]]:
        return self

    def __next__(self) -> Sequence[Any]:
        row = next(self._rows)
        self.count += 1
        return row


def write_csv(columns: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO) -> None:
    """Write a header and rows as RFC 4180 CSV with formula neutralisation, row by row.

    Parameters
    ----------
    columns : sequence of str
    rows : iterable of sequences
        Consumed once, as it comes (a database cursor's batches).
    stream : text stream
    """
    writer = csv.writer(stream, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise(plain(v)) for v in row])


def _write_json_items(items: Iterable[Any], stream: TextIO, *, opening: str, closing: str) -> None:
    """Write a JSON array item by item (never the whole array in memory)."""
    stream.write(opening)
    first = True
    for item in items:
        stream.write("\n " if first else ",\n ")
        stream.write(json.dumps(item, ensure_ascii=False))
        first = False
    stream.write(closing if first else "\n" + closing)


def write_json(columns: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO) -> None:
    """Write rows as a JSON array of objects (UTF-8, dates as ISO text), row by row."""
    records = ({c: plain(v) for c, v in zip(columns, row, strict=True)} for row in rows)
    _write_json_items(records, stream, opening="[", closing="]\n")


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


def geojson_features(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterator[dict[str, Any]]:
    """Yield one RFC 7946 point Feature per row with latitude/longitude.

    Rows with a missing coordinate become features with a null geometry, so no row is lost.
    """
    lat_i, lon_i = coordinate_columns(columns)
    for row in rows:
        lat, lon = plain(row[lat_i]), plain(row[lon_i])
        geometry = None
        if lat is not None and lon is not None:
            geometry = {"type": "Point", "coordinates": [float(lon), float(lat)]}
        properties = {c: plain(v) for c, v in zip(columns, row, strict=True)}
        yield {"type": "Feature", "geometry": geometry, "properties": properties}


def to_geojson(columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> dict[str, Any]:
    """Build an RFC 7946 FeatureCollection of points from rows with latitude/longitude.

    Parameters
    ----------
    columns : sequence of str
    rows : iterable of sequences

    Returns
    -------
    dict
    """
    return {"type": "FeatureCollection", "features": list(geojson_features(columns, rows))}


def write_geojson(columns: Sequence[str], rows: Iterable[Sequence[Any]], stream: TextIO) -> None:
    """Write rows with latitude/longitude as a GeoJSON FeatureCollection, feature by feature."""
    _write_json_items(
        geojson_features(columns, rows), stream, opening='{"type": "FeatureCollection", "features": [', closing="]}\n"
    )


#: Rows per Parquet row group when writing a streamed result.
PARQUET_BATCH = 10_000


def write_parquet(columns: Sequence[str], rows: Iterable[Sequence[Any]], path: Path) -> None:
    """Write rows to a Parquet file (pyarrow) one row group at a time; dates as ISO text.

    Column types come from the first batch (a column with only NULLs there is text); a later
    value that does not fit the type is a clear error, not a crash.

    Raises
    ------
    QueryError
        When a column's values change type between batches (SQLite columns can).
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = list(columns)
    with _atomic_path(path) as tmp:
        writer = None
        try:
            for batch in _batches(rows, PARQUET_BATCH):
                data = {name: [plain(row[i]) for row in batch] for i, name in enumerate(names)}
                table = pa.table({name: _arrow_array(values) for name, values in data.items()})
                if writer is None:
                    fields = [f.with_type(pa.string()) if pa.types.is_null(f.type) else f for f in table.schema]
                    writer = pq.ParquetWriter(tmp, pa.schema(fields))
                writer.write_table(_fit(table, writer.schema))
            if writer is None:
                writer = pq.ParquetWriter(tmp, pa.schema([(name, pa.string()) for name in names]))
        finally:
            if writer is not None:
                writer.close()


def _arrow_array(values: list[Any]) -> Any:
    import pyarrow as pa

    try:
        return pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _fit(table: Any, schema: Any) -> Any:
    import pyarrow as pa

    try:
        return table.cast(schema)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError) as exc:
        raise QueryError(
            f"a column changes type part-way through the result ({exc})",
            hint="CAST the column in the query, e.g. CAST(x AS REAL) or CAST(x AS TEXT)",
        ) from exc


def _batches(rows: Iterable[Sequence[Any]], size: int) -> Iterator[list[Sequence[Any]]]:
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def write_result(columns: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str, out: Path | None = None) -> int:
    """Write a query result or report in ``fmt`` to ``out`` (standard output when None).

    Parameters
    ----------
    columns : sequence of str
    rows : iterable of sequences
        Consumed once, streamed to the output.
    fmt : str
        ``csv``, ``json``, ``geojson`` or ``parquet``.
    out : Path, optional

    Returns
    -------
    int
        The number of rows written.

    Raises
    ------
    InputError
        For an unknown format, or a binary format without ``out``.
    QueryError
        For GeoJSON from a result without coordinates.
    """
    counted = _Counted(rows)
    if fmt == "parquet":
        if out is None:
            raise InputError("parquet output needs a file", hint="add --out result.parquet")
        write_parquet(columns, counted, out)
        return counted.count
    writers = {"csv": write_csv, "json": write_json, "geojson": write_geojson}
    if fmt not in writers:
        raise InputError(f"unknown format {fmt!r}", hint=f"formats: {', '.join(TABLE_FORMATS)}")
    if fmt == "geojson":
        coordinate_columns(columns)  # fail before creating any file
    _write_text(out, lambda stream: writers[fmt](columns, counted, stream))
    return counted.count


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
    if fmt in ("geojson", "gpkg"):
        gdf = extra_as_properties(gdf)
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


def extra_as_properties(gdf: Any) -> Any:
    """Spread the JSON ``extra`` column into one ``extra.KEY`` property per key (GeoJSON, GeoPackage).

    Values are written as text (a GeoPackage column has one type; the input's values came from
    text cells or mixed GeoJSON properties). Without an ``extra`` column the frame is returned as is.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame

    Returns
    -------
    geopandas.GeoDataFrame
    """
    if "extra" not in gdf.columns:
        return gdf
    parsed = [json.loads(value) if isinstance(value, str) and value else {} for value in gdf["extra"]]
    keys = sorted({key for item in parsed if isinstance(item, dict) for key in item})
    frame = gdf.drop(columns=["extra"])
    for key in keys:
        frame[f"extra.{key}"] = [_as_text(item.get(key)) if isinstance(item, dict) else None for item in parsed]
    return frame


def _as_text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


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
