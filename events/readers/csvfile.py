"""Physical lines → CSV records, each with its raw text and the line it starts on.

:func:`open_csv` chooses the encoding (:mod:`events.readers.decoding`) and the delimiter (``,``
``;`` tab ``|``, sniffed on the first 64 KB unless given), reads the header and returns a lazy
stream of :class:`CsvRow` records aligned to it. A record keeps its raw text and physical line also
when a quoted field spans several lines, so rejected rows can be quarantined verbatim; ragged rows,
NUL bytes and broken quoting become :class:`~events.records.RejectedRecord` rows.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from events import validate as v
from events.errors import InputError
from events.readers.decoding import FIELD_LIMIT, SNIFF_BYTES, choose_encoding, iter_physical_lines, open_binary
from events.records import RejectedRecord, RowProblem

DELIMITERS = (",", ";", "\t", "|")

_LINE_END = re.compile(r"(?:\r\n|\r|\n)$")


@dataclass
class CsvRow:
    """One CSV record aligned to the header.

    Attributes
    ----------
    line : int
        Physical line (1-based) the record starts on.
    raw : str
        The record's text as read, without its final line terminator.
    cells : list of str
        One cell per header column (short rows padded only for unnamed trailing columns).
    """

    line: int
    raw: str
    cells: list[str]


class CsvRecords:
    """The data records of an opened CSV file, in file order; :meth:`close` closes the file.

    A generator's ``finally`` runs only once it has started, so closing the records before the
    first one was read (format detection and id-column planning read the header alone) left the
    file to the garbage collector, with a ResourceWarning. Iterating goes to the generator itself.
    """

    __slots__ = ("_rows", "_stream")

    def __init__(self, rows: Generator[CsvRow | RejectedRecord, None, None], stream: BinaryIO) -> None:
        self._rows = rows
        self._stream = stream

    def __iter__(self) -> Iterator[CsvRow | RejectedRecord]:
        return self._rows

    def __next__(self) -> CsvRow | RejectedRecord:
        return next(self._rows)

    def close(self) -> None:
        """Stop reading and close the file (also when no record was read)."""
        self._rows.close()
        self._stream.close()


@dataclass
class CsvSource:
    """An opened CSV file: its header, where the header is, and the stream of data records."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    records: CsvRecords = field(repr=False)


class _LineFeeder:
    """Feeds lines to csv.reader and remembers which ones each record consumed."""

    def __init__(self, lines: Iterator[str]) -> None:
        self._lines = lines
        self.consumed: list[str] = []

    def __iter__(self) -> _LineFeeder:
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self.consumed.append(line)
        return line


def _sniff_delimiter(sample: str) -> str:
    """Pick the delimiter giving the widest header that most rows agree with."""
    lines = sample.splitlines(keepends=True)
    if len(lines) > 1 and not _LINE_END.search(lines[-1]):
        lines = lines[:-1]  # the sample may end inside a row
    text = "".join(lines[:200])
    best, best_score = ",", (False, 0.0, 0)
    for delimiter in DELIMITERS:
        try:
            rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter) if any(c.strip() for c in row)]
        except csv.Error:
            continue
        if not rows:
            continue
        width = len(rows[0])
        agreeing = sum(1 for row in rows[1:] if len(row) == width) / max(1, len(rows) - 1)
        score = (width > 1, agreeing, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _check_delimiter(delimiter: str) -> str:
    named = {"tab": "\t", "\\t": "\t", "comma": ",", "semicolon": ";", "pipe": "|"}
    delimiter = named.get(delimiter.lower(), delimiter)
    if len(delimiter) != 1 or delimiter in '\r\n"' or delimiter.isalnum():
        raise InputError(f"delimiter {delimiter!r} must be one character such as , ; | or tab")
    return delimiter


def _raise_field_limit() -> None:
    # Real notes fields exceed the 128 KB default; stay bounded so a runaway quote cannot eat memory.
    if csv.field_size_limit() < FIELD_LIMIT:
        csv.field_size_limit(FIELD_LIMIT)


def open_csv(path: str | Path, *, encoding: str | None = None, delimiter: str | None = None) -> CsvSource:
    """Open a CSV file for streaming: choose encoding and delimiter, read the header.

    Parameters
    ----------
    path : str or Path
        The file.
    encoding : str, optional
        Codec name; default UTF-8 with or without BOM (UTF-16 when it has a UTF-16 BOM).
    delimiter : str, optional
        One character (or ``tab``); sniffed from the first 64 KB when omitted.

    Returns
    -------
    CsvSource
        Header and a lazy iterator of :class:`CsvRow` / :class:`RejectedRecord` (ragged rows,
        NUL bytes, over-long fields, broken quoting). Blank records are skipped.

    Raises
    ------
    InputError
        Missing or unreadable file, wrong encoding, binary content, no header.
    """
    path = Path(path)
    with open_binary(path) as stream:
        head = stream.read(SNIFF_BYTES)
    encoding = choose_encoding(path, head, encoding)
    if delimiter is None:
        sample = head.decode(encoding, errors="replace")
        delimiter = _sniff_delimiter(sample)
    else:
        delimiter = _check_delimiter(delimiter)
    _raise_field_limit()
    stream = open_binary(path)
    feeder = _LineFeeder(iter_physical_lines(path, stream, encoding))
    reader = csv.reader(feeder, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    state = {"line": 1}
    try:
        header_line, header = _read_header(path, reader, feeder, state)
    except BaseException:
        stream.close()
        raise
    records = CsvRecords(_records(path, reader, feeder, state, header, stream), stream)
    return CsvSource(path, encoding, delimiter, header, header_line, records)


def _next_record(
    reader: Iterator[list[str]], feeder: _LineFeeder, state: dict[str, int]
) -> tuple[int, str, list[str] | str]:
    """Read one record; return (start line, raw text, cells or error message). StopIteration at EOF."""
    start = state["line"]
    try:
        cells: list[str] | str = next(reader)
    except csv.Error as exc:
        cells = f"broken CSV quoting or field: {exc}"
    if not feeder.consumed:
        raise StopIteration
    raw = "".join(feeder.consumed)
    state["line"] += len(feeder.consumed)
    feeder.consumed.clear()
    return start, _LINE_END.sub("", raw), cells


def _read_header(path: Path, reader, feeder: _LineFeeder, state: dict[str, int]) -> tuple[int, list[str]]:
    while True:
        try:
            line, _raw, cells = _next_record(reader, feeder, state)
        except StopIteration:
            raise InputError(f"{path}: the file is empty (no header row)") from None
        if isinstance(cells, str):
            raise InputError(f"{path}:{line}: cannot read the header row ({cells})")
        if any(cell.strip() for cell in cells):
            if any("\x00" in cell for cell in cells):
                raise InputError(f"{path}:{line}: the header contains NUL bytes; is this a text CSV file?")
            return line, cells


def _records(
    path: Path, reader, feeder: _LineFeeder, state: dict[str, int], header: list[str], stream: BinaryIO
) -> Generator[CsvRow | RejectedRecord, None, None]:
    width = len(header)
    unnamed_tail = width
    while unnamed_tail > 0 and not header[unnamed_tail - 1].strip():
        unnamed_tail -= 1
    try:
        while True:
            try:
                line, raw, cells = _next_record(reader, feeder, state)
            except StopIteration:
                return
            if isinstance(cells, str):
                yield _reject(path, line, raw, None, None, cells)
                continue
            if not any(cell.strip() for cell in cells):
                continue  # blank lines and rows of empty cells carry no data
            problem = _shape_problem(cells, width, unnamed_tail)
            if problem:
                yield _reject(path, line, raw, None, None, problem)
                continue
            yield CsvRow(line, raw, cells[:width] + [""] * (width - len(cells)))
    finally:
        stream.close()


def _shape_problem(cells: list[str], width: int, unnamed_tail: int) -> str | None:
    if any("\x00" in cell for cell in cells):
        return "row contains a NUL byte (binary data or a wrong --encoding?)"
    if len(cells) > width and any(cell.strip() for cell in cells[width:]):
        return (
            f"row has {len(cells)} fields but the header has {width}: an unquoted delimiter inside a value? "
            "Quote values that contain the delimiter"
        )
    if len(cells) < unnamed_tail:
        return (
            f"row has {len(cells)} fields but the header has {width}: a missing delimiter or a line break "
            "inside an unquoted value?"
        )
    return None


def _reject(
    path: Path | str, line: int, raw: str, column: str | None, value: str | None, reason: str
) -> RejectedRecord:
    return RejectedRecord(str(path), line, raw, [RowProblem(str(path), line, column, v.shown(value), reason)])
