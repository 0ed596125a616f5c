"""The reader of the canonical CSV format (see ``docs/csv-format.md``).

How the CSV reader copes with real files:

* The file is read in 64 KB chunks and decoded incrementally, so memory stays flat however many
  rows there are. UTF-8 with or without BOM is the default; a UTF-16 BOM is honoured; any other
  encoding needs ``encoding=`` and a decode error names the byte offset and line
  (:mod:`events.readers.decoding`).
* The delimiter (``,`` ``;`` tab ``|``) is sniffed on the first 64 KB unless given.
* Each record keeps its raw text and the physical line it starts on, also when a quoted field
  spans several lines, so rejected rows can be quarantined verbatim (:mod:`events.readers.csvfile`).
* Headers are matched case-, space- and underscore-insensitively, with synonyms (``lat``,
  ``lng``, ``event_date``, ``url``...) and a user ``column_map``; unknown columns go to ``extra``
  (:mod:`events.readers.columns`).
* Whole-file problems (unreadable, not text, no header, required columns missing) raise
  :class:`~events.errors.InputError`; everything about one row becomes a ``RejectedRecord``
  listing *all* of that row's problems (:mod:`events.readers.rows`).
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Unpack

from events.readers.base import Reader, ReadOptions
from events.readers.columns import ColumnPlan, plan_columns, plan_date_columns
from events.readers.csvfile import CsvRow, CsvSource, open_csv
from events.readers.rows import build_event
from events.records import EventRecord, RejectedRecord


def row_from_plan(path: str, row: CsvRow, plan: ColumnPlan) -> EventRecord | RejectedRecord:
    """Convert one aligned CSV row with a :class:`ColumnPlan` (used by the CSV and GeoJSON readers).

    Parameters
    ----------
    path : str
        The input file, for messages.
    row : CsvRow
        The row.
    plan : ColumnPlan
        Where each column goes.

    Returns
    -------
    EventRecord or RejectedRecord
        See :func:`build_event`.
    """
    cells = row.cells
    values = {name: cells[index] for name, index in plan.fields.items()}
    sources = {group: {name: cells[index] for name, index in slots.items()} for group, slots in plan.sources.items()}
    extra = {name: cells[index] for index, name in plan.extra if cells[index].strip()}
    columns = {name: plan.names[index] for name, index in plan.fields.items()}
    for group, slots in plan.sources.items():
        for name, index in slots.items():
            columns[name if group == 0 else f"{name}_{group}"] = plan.names[index]
    return build_event(path, row.line, row.raw, values, sources, extra, origin="csv", columns=columns, dates=plan.dates)


# ---------------------------------------------------------------------------------------------
# Entry point
# ---------------------------------------------------------------------------------------------


def read_csv(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Read a canonical-format CSV (see ``docs/csv-format.md``); same contract as :func:`read_events`.

    Slash dates are read day first here; :func:`read_events` decides the order from the file.
    """
    return read_csv_with_plan(path, encoding=encoding, delimiter=delimiter, column_map=column_map, dates=None)


def read_csv_with_plan(path: str | Path, **options: Unpack[ReadOptions]) -> Iterator[EventRecord | RejectedRecord]:
    """Read a canonical-format CSV with the file's date rules (see :mod:`events.readers`)."""
    source = open_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
    try:
        plan = plan_columns(path, source.header, options.get("column_map"))
    except BaseException:
        source.records.close()
        raise
    plan.dates = options.get("dates")
    return _convert(str(path), source, plan)


def _convert(path: str, source: CsvSource, plan: ColumnPlan) -> Iterator[EventRecord | RejectedRecord]:
    with _closing(source.records) as records:
        for item in records:
            yield item if isinstance(item, RejectedRecord) else row_from_plan(path, item, plan)


class _closing:
    """Close a generator (and so its file) when the consumer stops early."""

    def __init__(self, generator: Iterator) -> None:
        self.generator = generator

    def __enter__(self) -> Iterator:
        return self.generator

    def __exit__(self, *exc: object) -> None:
        self.generator.close()  # type: ignore[attr-defined]


READER = Reader(
    name="csv",
    title="strikedb CSV",
    read=read_csv_with_plan,
    date_columns=partial(plan_date_columns, located=False),
)
