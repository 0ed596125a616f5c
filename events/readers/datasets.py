"""What the readers of dataset exports (ACLED, UCDP GED) share: CSV or GeoJSON, ``--map``, cell checks.

A dataset module (:mod:`events.readers.acled`, :mod:`events.readers.ucdp`) names its required
columns and converts one row's cells (a dict keyed by the dataset's lower-cased column names) into a
record; :func:`read_dataset` streams the file, from its CSV export or, when the file is JSON, its
GeoJSON features, and checks the header (or the first feature's properties) before the first row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from events import validate as v
from events.errors import InputError
from events.readers.base import Reader, ReadFunction, ReadOptions
from events.readers.columns import dataset_header
from events.readers.csvfile import CsvRow, open_csv
from events.readers.dates import DateRules, parse_datetime
from events.readers.features import feature_parts, looks_like_json, property_text, stream_features
from events.readers.rows import Row, cell
from events.records import EventRecord, RejectedRecord

MAX_SOURCES_PER_ROW = 50


Converter = Callable[[str, int, str, dict[str, str], "DateRules | None"], EventRecord | RejectedRecord]


@dataclass(frozen=True)
class Dataset:
    """What :func:`read_dataset` needs to know of one dataset's export layout.

    Attributes
    ----------
    name : str
        The dataset's name, for messages (``ACLED``, ``UCDP GED``).
    required : tuple of str
        The core columns (lower-cased) a file must have.
    convert : Converter
        One row's cells (keyed by the dataset's lower-cased column names) -> a record.
    fields : dict
        Canonical field -> the dataset's column, for ``--map``.
    date_columns : tuple of str
        The columns (lower-cased) whose dates settle the file's day/month order.
    """

    name: str
    required: tuple[str, ...]
    convert: Converter
    fields: dict[str, str]
    date_columns: tuple[str, ...]

    def reader(self, *, name: str, title: str, read: ReadFunction, signature: frozenset[str], id_column: str) -> Reader:
        """Return the registry entry of the dataset: CSV or GeoJSON, recognised by ``signature``.

        Parameters
        ----------
        name, title, read, signature, id_column
            As for :class:`~events.readers.base.Reader`; ``title`` also names the layout in the
            messages of the date-order scan.

        Returns
        -------
        Reader
        """
        date_columns = partial(dataset_date_columns, dataset=self, title=title)
        return Reader(
            name, title, read, date_columns, containers=("csv", "geojson"), signature=signature, id_column=id_column
        )


def read_dataset(
    path: str | Path, dataset: Dataset, **options: Unpack[ReadOptions]
) -> Iterator[EventRecord | RejectedRecord]:
    """Read a dataset from its CSV export or, when the file is JSON, its GeoJSON features.

    Parameters
    ----------
    path : str or Path
        The export: CSV, or GeoJSON features with the same properties.
    dataset : Dataset
        The layout.
    **options
        :class:`~events.readers.base.ReadOptions`; ``column_map`` may name the dataset's columns.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per data row, in file order.

    Raises
    ------
    InputError
        When the file cannot be read or lacks the dataset's core columns.
    """
    column_map, dates = options.get("column_map"), options.get("dates")
    if looks_like_json(Path(path)):
        return _dataset_features(str(path), dataset, column_map, dates)
    source = open_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
    try:
        header = dataset_header(path, source.header, column_map, dataset.fields, dataset.name)
        _check_dataset_columns(path, header, dataset.required, dataset.name)
    except BaseException:
        source.records.close()
        raise
    return _convert_rows(str(path), source.records, header, dataset.convert, dates)


def _check_dataset_columns(path: str | Path, header: list[str], required: tuple[str, ...], name: str) -> None:
    missing = [column for column in required if column not in header]
    if missing:
        raise InputError(
            f"{path}: not a {name} file: columns {', '.join(missing)} are missing",
            hint=f"a {name} file has the columns {', '.join(required)}; map yours with --map 'COLUMN={missing[0]}', "
            "or leave --format out to detect the layout",
        )


def _convert_rows(
    path: str,
    records: Iterator[CsvRow | RejectedRecord],
    header: list[str],
    convert: Converter,
    dates: DateRules | None,
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
    path: str, dataset: Dataset, column_map: dict[str, str] | None, dates: DateRules | None
) -> Iterator[EventRecord | RejectedRecord]:
    features = stream_features(Path(path))
    try:
        first = next(features, None)
    except BaseException:
        features.close()  # type: ignore[attr-defined]
        raise
    if first is not None and isinstance(first, dict):
        names = list((first.get("properties") or {}).keys())
        header = dataset_header(path, names, column_map, dataset.fields, dataset.name)
        located = [c for c in dataset.required if c not in ("latitude", "longitude")]
        try:
            _check_dataset_columns(path, header, tuple(located), dataset.name)
        except BaseException:
            features.close()  # type: ignore[attr-defined]
            raise
    return _dataset_feature_records(path, first, features, dataset, column_map, dates)


def _dataset_feature_records(
    path: str,
    first: Any,
    features: Iterator[Any],
    dataset: Dataset,
    column_map: dict[str, str] | None,
    dates: DateRules | None,
) -> Iterator[EventRecord | RejectedRecord]:
    headers: dict[tuple[str, ...], list[str]] = {}
    try:
        index = 0
        for feature in _chain_first(first, features):
            index += 1
            parts = feature_parts(path, index, feature)
            if isinstance(parts, RejectedRecord):
                yield parts
                continue
            raw, properties, point = parts
            names = tuple(str(key) for key in properties)
            if names not in headers:
                headers[names] = dataset_header(path, list(names), column_map, dataset.fields, dataset.name)
            cells = {
                column: property_text(value)
                for column, value in zip(headers[names], properties.values(), strict=True)
                if column
            }
            if point is not None and not (cell(cells.get("latitude")) and cell(cells.get("longitude"))):
                cells["latitude"], cells["longitude"] = repr(point[0]), repr(point[1])
            record = dataset.convert(path, index, raw, cells, dates)
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


def int_cell(row: Row, column: str, text: str | None, *, minimum: int | None = 0) -> int | None:
    """Return a whole-number cell (a fatality count) or None; a bad value becomes a row problem."""
    value = cell(text)
    if value is None:
        return None
    return row.check(column, value, v.parse_int, column, minimum=minimum)


def required_coordinates(row: Row, cells: dict[str, str]) -> tuple[float | None, float | None]:
    """Return the ``latitude`` and ``longitude`` cells checked; both are required in a dataset row."""
    lat_text, lon_text = cell(cells.get("latitude")), cell(cells.get("longitude"))
    if lat_text is None or lon_text is None:
        row.problem("latitude" if lat_text is None else "longitude", None, "coordinates are missing")
        return None, None
    return (
        row.check("latitude", lat_text, v.parse_coordinate, "latitude"),
        row.check("longitude", lon_text, v.parse_coordinate, "longitude"),
    )


def precision(row: Row, column: str, text: str | None, table: dict[str, str]) -> str | None:
    """Translate a dataset's precision code (``1``, ``2.0``...) with ``table``; an unknown code is a problem."""
    value = cell(text)
    if value is None:
        return None
    key = value.split(".")[0] if value.replace(".", "", 1).isdigit() else value
    if key not in table:
        row.problem(column, value, f"expected one of {', '.join(sorted(table))}")
        return None
    return table[key]


def extra_cells(cells: dict[str, str], mapped: frozenset[str]) -> dict[str, Any]:
    """Return the non-empty cells of columns without a home in the record (``mapped``), kept in ``extra``."""
    return {name: value for name, value in cells.items() if name not in mapped and not v.is_blank(value) and name}


def finish(row: Row, record: EventRecord, raw: str) -> EventRecord | RejectedRecord:
    """Return the record, or its rejection when the row collected problems."""
    if row.problems:
        return RejectedRecord(row.path, row.line, raw, row.problems)
    return record


def dataset_record(
    path: str,
    line: int,
    raw: str,
    cells: dict[str, str],
    dates: DateRules | None,
    *,
    origin: str,
    id_column: str,
    id_label: str,
    date_column: str,
) -> tuple[Row, EventRecord]:
    """Start the record of one dataset row: its problem collector, its id, date and time."""
    row = Row(path, line)
    record = EventRecord(file=path, line_number=line, raw=raw, event_date=None, origin=origin)  # type: ignore[arg-type]
    record.external_id = cell(cells.get(id_column))
    if record.external_id is None:
        row.problem(id_column, None, f"{id_label} is missing")
    date_text = cell(cells.get(date_column))
    if date_text is None:
        row.problem(date_column, None, "date is missing")
    else:
        parsed = row.check(date_column, date_text, parse_datetime, dates)
        if parsed:
            record.event_date, _, record.event_time_utc = parsed
    return row, record


def dataset_date_columns(
    path: str | Path, names: list[str], column_map: dict[str, str] | None, *, dataset: Dataset, title: str
) -> list[str]:
    """Return the names (as written) of a dataset file's date columns, for the date-order scan.

    Parameters
    ----------
    path, names, column_map
        As for :func:`events.readers.columns.plan_date_columns`.
    dataset : Dataset
        The layout; its ``date_columns`` are the columns wanted.
    title : str
        The reader's title, for messages.

    Returns
    -------
    list of str
    """
    header = dataset_header(path, names, column_map, dataset.fields, title)
    return [names[i] for i, column in enumerate(header) if column in dataset.date_columns]
