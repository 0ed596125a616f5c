"""Choose how to read a file: its layout (by content) and its date order (once per file).

:func:`plan_file` looks at a file before anything is loaded: JSON or CSV; for CSV the header, for
GeoJSON the first feature's properties tell ACLED, UCDP GED and the canonical layout apart
(:func:`events.layouts.identify`). It then scans the file's date cells until one settles the
day/month order (:class:`events.dates.OrderScanner`); a file whose dates read both ways and that
nothing settles is refused with a hint to pass ``--date-order`` or ``--date-format``.
:func:`read_events` streams the records with that plan.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from events import dates as d
from events import formats, layouts
from events import validate as v
from events.errors import InputError
from events.parse import open_csv, plan_columns, read_csv_with_plan
from events.records import EventRecord, RejectedRecord

#: Date columns of each dataset layout (after lower-casing).
_DATASET_DATE_COLUMNS = {"acled": ("event_date",), "ucdp": ("date_start", "date_end")}


@dataclass
class ReadPlan:
    """How a file is read.

    Attributes
    ----------
    fmt : str
        ``csv``, ``acled``, ``ucdp`` or ``geojson``.
    container : str
        ``csv`` or ``geojson`` (the file's syntax).
    detected : bool
        True when the layout was recognised from the content (no ``--format``).
    dates : DateRules
        The file's date rules.
    """

    fmt: str
    container: str
    detected: bool
    dates: d.DateRules

    def describe(self) -> str:
        """E.g. ``"read as ACLED export (CSV, detected from its header); dates day first ..."``."""
        how = "detected from its " + ("properties" if self.container == "geojson" else "header")
        if not self.detected:
            how = "--format " + self.fmt
        text = f"read as {layouts.LAYOUT_NAMES[self.fmt]} ({self.container.upper()}, {how})"
        if self.fmt == "geojson":
            text = f"read as GeoJSON features ({how})"
        described = self.dates.describe()
        return f"{text}; {described}" if described else text


def detect_format(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> tuple[str, str]:
    """Recognise a file's layout from its content.

    Parameters
    ----------
    path : str or Path
        The file.
    encoding, delimiter : str, optional
        For CSV files.

    Returns
    -------
    tuple of str
        ``(format, container)``: format ``csv``, ``acled``, ``ucdp`` or ``geojson``; container
        ``csv`` or ``geojson``.

    Raises
    ------
    InputError
        When the file cannot be read.
    """
    path = Path(path)
    if formats.looks_like_json(path):
        for _, properties in formats.feature_properties(path):
            kind = layouts.identify(list(properties))
            return ("geojson" if kind == "csv" else kind), "geojson"
        return "geojson", "geojson"
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    source.records.close()  # type: ignore[attr-defined]
    return layouts.identify(source.header), "csv"


def plan_file(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    date_order: str | None = None,
    date_format: str | None = None,
) -> ReadPlan:
    """Decide the layout and the date rules of a file before reading it.

    Parameters
    ----------
    path : str or Path
        The file.
    fmt : str
        ``auto`` (detect) or one of ``csv``, ``acled``, ``ucdp``, ``geojson``.
    encoding, delimiter : str, optional
        For CSV files.
    column_map : dict, optional
        ``--map`` (needed to find the date columns).
    date_order : {"dmy", "mdy"}, optional
        Fixes the order of slash dates instead of deciding it from the file.
    date_format : str, optional
        A ``strptime`` pattern for the dates (ISO dates are read as well).

    Returns
    -------
    ReadPlan

    Raises
    ------
    InputError
        For an unknown format, a bad option, an unreadable file, or dates whose day/month order
        nothing in the file settles.
    """
    if fmt not in layouts.INPUT_FORMATS:
        raise InputError(f"unknown input format {fmt!r}", hint=f"use one of: {', '.join(layouts.INPUT_FORMATS)}")
    try:
        given = d.check_options(date_order, date_format)
    except v.FieldError as exc:
        raise InputError(exc.reason) from None
    path = Path(path)
    detected = fmt == "auto"
    if detected:
        fmt, container = detect_format(path, encoding=encoding, delimiter=delimiter)
    elif fmt == "geojson" or (fmt in ("acled", "ucdp") and formats.looks_like_json(path)):
        container = "geojson"
    else:
        container = "csv"
    if given is not None:
        return ReadPlan(fmt, container, detected, given)
    scanner = d.OrderScanner()
    # A file that breaks later (a decode error on line 90,000) is reported by the reader at that
    # row, as without the scan; the dates read up to there are the evidence.
    with contextlib.suppress(InputError):
        _scan_dates(path, fmt, container, encoding, delimiter, column_map, scanner)
    problem = scanner.undecided_message()
    if problem:
        raise InputError(
            f"{path}: {problem}",
            hint="pass --date-order dmy (day first) or --date-order mdy (month first), "
            "or --date-format PATTERN such as '%d/%m/%Y %H:%M'",
        )
    return ReadPlan(fmt, container, detected, scanner.rules())


def _date_columns(path: Path, fmt: str, names: list[str], column_map: dict[str, str] | None) -> list[str]:
    """The names (as written) of the columns holding dates, for the scan."""
    if fmt in _DATASET_DATE_COLUMNS:
        fields = layouts.ACLED_FIELD_COLUMNS if fmt == "acled" else layouts.UCDP_FIELD_COLUMNS
        header = formats.dataset_header(path, names, column_map, fields, layouts.LAYOUT_NAMES[fmt])
        wanted = _DATASET_DATE_COLUMNS[fmt]
        return [names[i] for i, name in enumerate(header) if name in wanted]
    try:
        plan = plan_columns(path, names, column_map, located=fmt == "geojson")
    except InputError:
        return []  # the reader reports the header problem itself
    indexes = [plan.fields["date"]] if "date" in plan.fields else []
    indexes += [slots["source_date"] for slots in plan.sources.values() if "source_date" in slots]
    return [names[i] for i in indexes]


def _scan_dates(
    path: Path,
    fmt: str,
    container: str,
    encoding: str | None,
    delimiter: str | None,
    column_map: dict[str, str] | None,
    scanner: d.OrderScanner,
) -> None:
    if container == "geojson":
        columns: dict[tuple[str, ...], list[str]] = {}
        for number, properties in formats.feature_properties(path):
            names = tuple(str(k) for k in properties)
            if names not in columns:
                columns[names] = _date_columns(path, fmt, list(names), column_map)
            for name in columns[names]:
                value = properties.get(name)
                if isinstance(value, str) and scanner.feed(value, f"feature {number}"):
                    return
        return
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    records = source.records
    try:
        wanted = set(_date_columns(path, fmt, source.header, column_map))
        indexes = [i for i, name in enumerate(source.header) if name in wanted]
        for item in records:
            if isinstance(item, RejectedRecord):
                continue
            for index in indexes:
                if scanner.feed(item.cells[index], f"line {item.line}"):
                    return
    finally:
        records.close()  # type: ignore[attr-defined]


def read_events(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    date_order: str | None = None,
    date_format: str | None = None,
    plan: ReadPlan | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream the events of a file with its plan (made by :func:`plan_file` when not given).

    Parameters are those of :func:`plan_file`; ``plan`` skips planning (the ingest plans once,
    reports the plan, then reads).

    Returns
    -------
    Iterator of EventRecord or RejectedRecord

    Raises
    ------
    InputError
        For whole-file problems (see :func:`plan_file` and :func:`events.parse.read_events`).
    """
    if plan is None:
        plan = plan_file(
            path,
            fmt=fmt,
            encoding=encoding,
            delimiter=delimiter,
            column_map=column_map,
            date_order=date_order,
            date_format=date_format,
        )
    if plan.fmt == "csv":
        return _csv_with_hint(path, encoding, delimiter, column_map, plan)
    if plan.fmt == "geojson":
        return formats.read_geojson(path, column_map=column_map, dates=plan.dates)
    reader = formats.read_acled if plan.fmt == "acled" else formats.read_ucdp
    return reader(path, encoding=encoding, delimiter=delimiter, column_map=column_map, dates=plan.dates)


def _csv_with_hint(
    path: str | Path, encoding: str | None, delimiter: str | None, column_map: dict[str, str] | None, plan: ReadPlan
) -> Iterator[EventRecord | RejectedRecord]:
    try:
        return read_csv_with_plan(path, encoding=encoding, delimiter=delimiter, column_map=column_map, dates=plan.dates)
    except InputError as exc:
        kind, _ = detect_format(path, encoding=encoding, delimiter=delimiter)
        if kind in ("acled", "ucdp") and not plan.detected:
            raise InputError(
                str(exc.args[0]) if exc.args else str(exc),
                hint=f"this header is an {layouts.LAYOUT_NAMES[kind]}'s: use --format {kind}, or leave --format out",
            ) from None
        raise


__all__ = ["ReadPlan", "detect_format", "plan_file", "read_events"]
