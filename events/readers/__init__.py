"""The readers: every input layout strikedb reads, and how a file is matched to one.

:data:`READERS` is the registry (``--format`` name -> :class:`~events.readers.base.Reader`):
the canonical CSV (:mod:`~events.readers.csv`), ACLED exports (:mod:`~events.readers.acled`),
UCDP GED (:mod:`~events.readers.ucdp`) and GeoJSON features (:mod:`~events.readers.geojson`).
:data:`FORMATS` and the unknown-format error (:func:`check_format`) derive from it. A new dataset
is one module defining a ``READER`` plus one entry here; the dataset modules build on the floor
below (:mod:`~events.readers.rows`, :mod:`~events.readers.columns`,
:mod:`~events.readers.decoding`, :mod:`~events.readers.csvfile`, :mod:`~events.readers.features`,
:mod:`~events.readers.datasets`) and never import this module.

:func:`plan_file` looks at a file before anything is loaded: JSON or CSV; for CSV the header, for
GeoJSON the first feature's properties tell the layouts apart (:func:`identify`, by each reader's
signature). It then scans the file's date cells until one settles the day/month order
(:class:`events.readers.dates.OrderScanner`); a file whose dates read both ways and that nothing
settles is refused with a hint to pass ``--date-order`` or ``--date-format``. :func:`read_events`
streams the records with that plan, one :class:`~events.records.EventRecord` or
:class:`~events.records.RejectedRecord` per data row, in file order.
"""

from __future__ import annotations

import codecs
import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TypedDict, Unpack

from events import validate as v
from events.errors import InputError
from events.readers import acled, csv, geojson, ucdp
from events.readers.base import Reader
from events.readers.columns import (
    CANONICAL_COLUMNS,
    ColumnPlan,
    id_column_of,
    parse_column_map,
    plan_columns,
    template_header,
)
from events.readers.csv import read_csv
from events.readers.csvfile import open_csv
from events.readers.dates import DateRules, OrderScanner, check_options
from events.readers.decoding import SNIFF_BYTES, choose_encoding, open_binary
from events.readers.features import feature_properties, looks_like_json
from events.records import EventRecord, RejectedRecord

#: The readers by ``--format`` name; the first whose signature a header carries reads it.
READERS: dict[str, Reader] = {reader.name: reader for reader in (csv.READER, acled.READER, ucdp.READER, geojson.READER)}

#: ``--format`` values; ``auto`` detects the layout from the file's content.
FORMATS: tuple[str, ...] = ("auto", *READERS)


def check_format(fmt: str) -> str:
    """Return ``fmt`` if it is a ``--format`` value (:data:`FORMATS`).

    Raises
    ------
    InputError
        For an unknown format, listing the known ones.
    """
    if fmt not in FORMATS:
        raise InputError(f"unknown input format {fmt!r}", hint=f"use one of: {', '.join(FORMATS)}")
    return fmt


def identify(names: list[str] | tuple[str, ...], container: str = "csv") -> str:
    """Tell the layout from a header or a GeoJSON feature's property names.

    Parameters
    ----------
    names : list of str
        Column or property names as written.
    container : {"csv", "geojson"}
        The file's syntax.

    Returns
    -------
    str
        The first reader whose signature the names carry (``acled``, ``ucdp``), else the
        container's canonical layout (``csv`` or ``geojson``, with synonyms and ``--map``).
    """
    lowered = {name.replace("\ufeff", "").strip().lower() for name in names}
    for reader in READERS.values():
        if reader.identifies(lowered, container):
            return reader.name
    return container  # the canonical reader of each container is named after it


@dataclass
class ReadPlan:
    """How a file is read.

    Attributes
    ----------
    fmt : str
        A name of :data:`READERS` (``csv``, ``acled``, ``ucdp`` or ``geojson``).
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
    dates: DateRules

    def describe(self) -> str:
        """E.g. ``"read as ACLED export (CSV, detected from its header); dates day first ..."``."""
        how = "detected from its " + ("properties" if self.container == "geojson" else "header")
        if not self.detected:
            how = "--format " + self.fmt
        reader = READERS[self.fmt]
        text = f"read as {reader.title} ({self.container.upper()}, {how})"
        if not reader.show_container:
            text = f"read as {reader.title} ({how})"
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
    if looks_like_json(path):
        for _, properties in feature_properties(path):
            return identify(list(properties), "geojson"), "geojson"
        return "geojson", "geojson"
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    source.records.close()
    return identify(source.header, "csv"), "csv"


class PlanOptions(TypedDict, total=False):
    """How to read a file, all optional: the options of :func:`plan_file` and :func:`read_events`.

    Attributes
    ----------
    fmt : {"auto", "csv", "acled", "ucdp", "geojson"}
        Input format (:data:`FORMATS`): ``auto`` (default) recognises the layout from the header
        or the GeoJSON properties; otherwise the canonical CSV, an ACLED export, UCDP GED (CSV or
        GeoJSON), or a GeoJSON FeatureCollection of Point features.
    encoding : str or None
        Text encoding (default UTF-8, BOM optional). Not used for GeoJSON (always UTF-8).
    delimiter : str or None
        CSV delimiter; sniffed when omitted (``,`` ``;`` tab ``|``).
    column_map : dict or None
        Input column → canonical field (``--map``, see :func:`parse_column_map`); for ACLED and
        UCDP also a column name of the dataset.
    date_order : {"dmy", "mdy"} or None
        Fixes the order of slash dates instead of deciding it from the file's values.
    date_format : str or None
        A ``strptime`` pattern for the dates (ISO dates are read as well).
    """

    fmt: str
    encoding: str | None
    delimiter: str | None
    column_map: dict[str, str] | None
    date_order: str | None
    date_format: str | None


def check_keywords(function: str, options: Mapping[str, object], allowed: type) -> None:
    """Raise TypeError, as Python does, for a keyword argument that ``allowed`` (a TypedDict) does not name."""
    unknown = sorted(set(options) - allowed.__optional_keys__ - allowed.__required_keys__)  # type: ignore[attr-defined]
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")


def plan_file(path: str | Path, **options: Unpack[PlanOptions]) -> ReadPlan:
    """Decide the layout and the date rules of a file before reading it.

    Parameters
    ----------
    path : str or Path
        The file.
    **options
        :class:`PlanOptions`.

    Returns
    -------
    ReadPlan

    Raises
    ------
    InputError
        For an unknown format, a bad option, an unreadable file, or dates whose day/month order
        nothing in the file settles.
    """
    fmt = options.get("fmt", "auto")
    encoding, delimiter, column_map = options.get("encoding"), options.get("delimiter"), options.get("column_map")
    check_format(fmt)
    try:
        given = check_options(options.get("date_order"), options.get("date_format"))
    except v.FieldError as exc:
        raise InputError(exc.reason) from None
    path = Path(path)
    detected = fmt == "auto"
    if detected:
        fmt, container = detect_format(path, encoding=encoding, delimiter=delimiter)
    else:
        container = READERS[fmt].container_of(path)
    if given is not None:
        return ReadPlan(fmt, container, detected, given)
    scanner = OrderScanner()
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


def _scan_dates(
    path: Path,
    fmt: str,
    container: str,
    encoding: str | None,
    delimiter: str | None,
    column_map: dict[str, str] | None,
    scanner: OrderScanner,
) -> None:
    date_columns = READERS[fmt].date_columns
    if container == "geojson":
        columns: dict[tuple[str, ...], list[str]] = {}
        for number, properties in feature_properties(path):
            names = tuple(str(k) for k in properties)
            if names not in columns:
                columns[names] = date_columns(path, list(names), column_map)
            for name in columns[names]:
                value = properties.get(name)
                if isinstance(value, str) and scanner.feed(value, f"feature {number}"):
                    return
        return
    if not _may_hold_day_month_dates(path, encoding, delimiter):
        return  # no cell can settle or trouble the order
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    records = source.records
    try:
        wanted = set(date_columns(path, source.header, column_map))
        indexes = [i for i, name in enumerate(source.header) if name in wanted]
        for item in records:
            if isinstance(item, RejectedRecord):
                continue
            for index in indexes:
                if scanner.feed(item.cells[index], f"line {item.line}"):
                    return
    finally:
        records.close()


def _may_hold_day_month_dates(path: Path, encoding: str | None, delimiter: str | None) -> bool:
    """Whether any text of a CSV file, decoded as :func:`open_csv` decodes it, looks like a d/m date.

    A file that cannot be decoded may: its cells are scanned, and the scan meets the error
    where the reader would. So may one whose delimiter is a digit or a date separator (the
    search relies on a cell never starting right after a digit).
    """
    if delimiter is not None and (delimiter.isdigit() or delimiter in "/.-"):
        return True
    try:
        return OrderScanner.may_feed(_decoded_pieces(path, encoding))
    except ValueError:  # UnicodeError: undecodable bytes, a UTF-16 stream without its BOM...
        return True


def _decoded_pieces(path: Path, encoding: str | None) -> Iterator[str]:
    with open_binary(path) as stream:
        decoder = codecs.getincrementaldecoder(choose_encoding(path, stream.read(SNIFF_BYTES), encoding))()
        stream.seek(0)
        while block := stream.read(1 << 20):
            yield decoder.decode(block)
        yield decoder.decode(b"", final=True)


def read_events(
    path: str | Path, *, plan: ReadPlan | None = None, **options: Unpack[PlanOptions]
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream the events of a file, one record per data row, in file order.

    Parameters
    ----------
    path : str or Path
        The input file.
    **options
        :class:`PlanOptions`: the format, encoding, delimiter, column map and date rules.
    plan : ReadPlan, optional
        Skips planning (:func:`plan_file`): the ingest plans once, reports the plan, then reads.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        Lazily produced. The file's header and date order are checked before the first record
        is returned, so whole-file problems raise here; decode errors later in a file raise while
        iterating.

    Raises
    ------
    InputError
        For whole-file problems: missing file, unknown format or encoding, binary content,
        decode errors, no header, required columns missing, a bad ``column_map``, dates whose
        day/month order nothing in the file settles.
    """
    check_keywords("read_events", options, PlanOptions)
    if plan is None:
        plan = plan_file(path, **options)
    encoding, delimiter, column_map = options.get("encoding"), options.get("delimiter"), options.get("column_map")
    reader = READERS[plan.fmt]
    try:
        return reader.read(path, encoding=encoding, delimiter=delimiter, column_map=column_map, dates=plan.dates)
    except InputError as exc:
        if reader.signature or plan.container != "csv":
            raise  # only a header read as the canonical CSV may be a dataset's
        kind, _ = detect_format(path, encoding=encoding, delimiter=delimiter)
        if READERS[kind].signature and not plan.detected:
            raise InputError(
                str(exc.args[0]) if exc.args else str(exc),
                hint=f"this header is an {READERS[kind].title}'s: use --format {kind}, or leave --format out",
            ) from None
        raise


__all__ = [
    "CANONICAL_COLUMNS",
    "FORMATS",
    "READERS",
    "ColumnPlan",
    "PlanOptions",
    "ReadPlan",
    "Reader",
    "check_format",
    "check_keywords",
    "detect_format",
    "feature_properties",
    "id_column_of",
    "identify",
    "looks_like_json",
    "open_binary",
    "open_csv",
    "parse_column_map",
    "plan_columns",
    "plan_file",
    "read_csv",
    "read_events",
    "template_header",
]
