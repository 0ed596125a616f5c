"""Streaming readers that turn event files into :class:`~events.records.EventRecord` rows.

:func:`read_events` is the one entry point: it reads a canonical CSV (see
``docs/csv-format.md``) or, through :mod:`events.formats`, an ACLED export, a UCDP GED CSV or a
GeoJSON file, and yields one :class:`~events.records.EventRecord` or
:class:`~events.records.RejectedRecord` per data row, in file order.

How the CSV reader copes with real files:

* The file is read in 64 KB chunks and decoded incrementally, so memory stays flat however many
  rows there are. UTF-8 with or without BOM is the default; a UTF-16 BOM is honoured; any other
  encoding needs ``encoding=`` and a decode error names the byte offset and line.
* The delimiter (``,`` ``;`` tab ``|``) is sniffed on the first 64 KB unless given.
* Each record keeps its raw text and the physical line it starts on, also when a quoted field
  spans several lines, so rejected rows can be quarantined verbatim.
* Headers are matched case-, space- and underscore-insensitively, with synonyms (``lat``,
  ``lng``, ``event_date``, ``url``...) and a user ``column_map``; unknown columns go to ``extra``.
* Whole-file problems (unreadable, not text, no header, required columns missing) raise
  :class:`~events.errors.InputError`; everything about one row becomes a ``RejectedRecord``
  listing *all* of that row's problems.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from events import dates as d
from events import validate as v
from events.errors import InputError
from events.inputs import check_text_encoding
from events.layouts import DATASET_COLUMNS, INPUT_FORMATS
from events.records import EventRecord, RejectedRecord, RowProblem, SourceRecord

FORMATS: tuple[str, ...] = INPUT_FORMATS

#: Columns of the canonical CSV format, in template order (``strikedb ingest --template``).
CANONICAL_COLUMNS: tuple[str, ...] = (
    "event_id",
    "date",
    "time",
    "location",
    "latitude",
    "longitude",
    "facility",
    "facility_type",
    "country",
    "admin1",
    "attack_type",
    "effect",
    "damage_level",
    "description",
    "claim_status",
    "source_reliability",
    "info_credibility",
    "source_url",
    "publisher",
    "source_title",
    "source_date",
    "archived_url",
    "geolocation_url",
)

#: Fields describing one source; they may be numbered (``source_url_2``, ``publisher_2``...).
#: ``geolocation_url`` links geolocated footage or imagery of the strike: it becomes a source of
#: type ``imagery`` (which raises the claim status to ``confirmed_by_imagery``, see events.grading).
SOURCE_FIELDS: tuple[str, ...] = (
    "source_url",
    "publisher",
    "source_title",
    "source_date",
    "archived_url",
    "geolocation_url",
)

#: Extra targets accepted by ``--map``: keep the column in ``extra`` or drop it.
MAP_KEYWORDS: tuple[str, ...] = ("extra", "ignore")

CHUNK_BYTES = 64 * 1024
SNIFF_BYTES = 64 * 1024
#: Largest field accepted (csv.field_size_limit is raised to this, never further).
FIELD_LIMIT = 16 * 1024 * 1024
#: A physical line longer than this means the file is not line-oriented text.
MAX_LINE_CHARS = 2 * FIELD_LIMIT
DELIMITERS = (",", ";", "\t", "|")

# Header spellings accepted for each canonical column, after normalisation (see _norm_header).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    # Id columns of published event logs and datasets (see docs/ingest.md, "Identity").
    "event_id": (
        "id", "external_id", "ref", "reference", "uid", "event_ref", "entry", "entry_id", "entry_no", "eventid",
        "event_no", "event_number", "event_id_cnty", "relid", "record_id", "incident_id", "incident_no", "uuid",
        "guid", "row_id", "report_id",
    ),
    "date": ("event_date", "data", "day", "date_reported", "incident_date", "дата"),
    "time": ("event_time", "time_utc", "ora", "время", "час"),
    "location": ("location_text", "place", "place_name", "luogo", "locality", "city", "town", "where", "место"),
    "latitude": ("lat", "y", "lat_dd", "latitudine", "широта"),
    "longitude": ("lon", "lng", "long", "x", "lon_dd", "longitudine", "долгота", "довгота"),
    "coordinates": ("coords", "coord", "latlon", "lat_lon", "lat_long", "latlong", "coordinate", "coordinate_s"),
    "facility": ("facility_name", "target", "site", "title", "name", "asset", "obiettivo", "объект", "об_єкт"),
    "facility_type": ("target_type", "asset_type", "site_type", "object_type", "tipo_obiettivo"),
    "country": ("country_code", "iso2", "iso3", "iso", "paese", "nation", "страна", "країна"),
    "admin1": ("region", "oblast", "province", "state", "regione", "регион", "область"),
    "attack_type": ("type", "weapon", "weapon_type", "means", "tipo", "attack", "method", "attack_method"),
    "effect": ("effects", "outcome", "result", "consequence", "esito"),
    "damage_level": ("damage", "damage_assessment", "danni"),
    "description": ("notes", "note", "details", "summary", "descrizione", "comment", "comments", "описание"),
    "claim_status": ("verification", "verified", "status", "claim", "verification_status", "verifica"),
    "source_reliability": ("reliability", "admiralty", "admiralty_code", "admiralty_grade", "grade"),
    "info_credibility": ("information_credibility", "credibility"),
    "source_url": ("source", "url", "link", "source_link", "sources", "source_urls", "fonte", "источник"),
    "publisher": ("outlet", "source_name", "source_publisher", "publisher_name", "media", "editore"),
    "source_title": ("headline", "article_title"),
    "source_date": ("published", "published_date", "publication_date", "date_published"),
    "archived_url": ("archived", "archive", "archive_url", "archive_link", "wayback", "archivio"),
    "geolocation_url": (
        "geolocation",
        "geolocation_link",
        "geolocated",
        "geolocated_url",
        "geoloc",
        "geolocation_source",
        "geolocalizzazione",
        "геолокация",
        "геолокація",
    ),
}
_HEADER_TO_FIELD: dict[str, str] = {}
for _field, _names in _SYNONYMS.items():
    _HEADER_TO_FIELD[_field] = _field
    for _name in _names:
        _HEADER_TO_FIELD[_name] = _field
_NUMBERED = re.compile(r"^(?P<base>.+?)_?(?P<n>\d+)$")

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_LINE_END = re.compile(r"(?:\r\n|\r|\n)$")

_LENGTH_LIMITS = {"event_id": 100, "facility": 300, "admin1": 200, "publisher": 300}


def template_header() -> str:
    """Return the header-only template line of the canonical CSV format.

    Returns
    -------
    str
        The canonical column names joined by commas, without a line terminator.

    Examples
    --------
    >>> template_header().split(",")[:3]
    ['event_id', 'date', 'time']
    """
    return ",".join(CANONICAL_COLUMNS)


def _norm_header(name: str) -> str:
    """Normalise a column name: BOM, case, accents, spaces/punctuation → single underscores."""
    text = unicodedata.normalize("NFKC", name.replace("\ufeff", "")).strip().lower()
    return re.sub(r"[\W_]+", "_", text).strip("_")


def _is_map_target(target: str) -> bool:
    if target in CANONICAL_COLUMNS or target in MAP_KEYWORDS or target == "coordinates":
        return True
    if target in DATASET_COLUMNS:  # ACLED / UCDP column names, for --map with those formats
        return True
    m = _NUMBERED.match(target)
    return bool(m and m["base"] in SOURCE_FIELDS)


def parse_column_map(items: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Parse ``--map`` options of the form ``column=field``.

    Parameters
    ----------
    items : list of str
        E.g. ``["Datum=date", "Breite=latitude", "Kommentar=ignore"]``. The column is matched
        against the file's header case- and space-insensitively; the field must be one of
        :data:`CANONICAL_COLUMNS`, ``coordinates`` (one ``lat, lon`` cell), a numbered source field
        (``source_url_2``), ``extra`` (keep the column in ``extra``) or ``ignore``.

    Returns
    -------
    dict
        Input column name → target field.

    Raises
    ------
    InputError
        For an item without ``=``, an empty side, an unknown field or a column mapped twice.
    """
    mapping: dict[str, str] = {}
    for item in items:
        column, sep, target = item.rpartition("=")
        column, target = column.strip(), _norm_header(target)
        if not sep or not column or not target:
            raise InputError(f"--map {item!r} is not of the form column=field", hint="e.g. --map 'Datum=date'")
        if not _is_map_target(target):
            raise InputError(
                f"--map {item!r}: unknown field {target!r}",
                hint=f"fields: {', '.join(CANONICAL_COLUMNS)}, coordinates, extra, ignore",
            )
        if column in mapping:
            raise InputError(f"--map names column {column!r} twice")
        mapping[column] = target
    return mapping


# ---------------------------------------------------------------------------------------------
# Bytes → physical lines
# ---------------------------------------------------------------------------------------------


def _open_binary(path: Path) -> BinaryIO:
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _check_encoding_name(encoding: str) -> str:
    return check_text_encoding(encoding)


def _choose_encoding(path: Path, head: bytes, encoding: str | None) -> str:
    """Pick the decoder: the user's choice, a BOM's, or UTF-8 (BOM optional)."""
    if encoding:
        name = _check_encoding_name(encoding)
        return "utf-8-sig" if name == "utf-8" else encoding
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if head.startswith(b"PK\x03\x04"):
        raise InputError(
            f"{path}: this is a ZIP archive (an .xlsx workbook?), not a CSV file",
            hint="export the sheet as 'CSV UTF-8 (comma delimited)'",
        )
    if head.count(b"\x00") > max(8, len(head) // 10):
        raise InputError(
            f"{path}: looks like a binary file or UTF-16 without BOM (many NUL bytes)",
            hint="save it as CSV UTF-8, or pass --encoding utf-16-le",
        )
    return "utf-8-sig"


def _decode_error(path: Path, encoding: str, byte_offset: int, exc: UnicodeDecodeError) -> InputError:
    line = 1
    with _open_binary(path) as stream:
        remaining = byte_offset
        while remaining > 0:
            block = stream.read(min(CHUNK_BYTES, remaining))
            if not block:
                break
            line += block.count(b"\n")
            remaining -= len(block)
    bad = exc.object[exc.start : exc.start + 4].hex(" ")
    shown_encoding = "UTF-8" if encoding.replace("_", "-").lower().startswith("utf-8") else encoding
    cyrillic = "--encoding cp1251 (Cyrillic Windows)"
    western = "--encoding cp1252 (Western Windows)"
    first, second = (
        (cyrillic, western) if _looks_cyrillic(exc.object[exc.start : exc.start + 200]) else (western, cyrillic)
    )
    return InputError(
        f"{path}: not valid {shown_encoding} at byte {byte_offset} (line {line}): bytes {bad}",
        hint=f"pass the file's encoding, e.g. {first}, {second} or --encoding latin-1; or re-save it as UTF-8",
    )


def _looks_cyrillic(sample: bytes) -> bool:
    """Guess whether undecodable bytes are single-byte Cyrillic: words are runs of high bytes.

    In cp1251 every Cyrillic letter is 0xC0-0xFF, so words are runs of them; accented Latin
    letters (cp1252, latin-1) come one at a time among ASCII letters.
    """
    return re.search(rb"[\xc0-\xff]{3,}", sample) is not None


def iter_physical_lines(path: Path, stream: BinaryIO, encoding: str) -> Iterator[str]:
    """Decode a byte stream incrementally and yield physical lines with their terminators.

    Lines end at ``\\r\\n``, ``\\n`` or a lone ``\\r`` (the same rule the csv module uses); the
    last line may have no terminator.

    Parameters
    ----------
    path : Path
        Used in error messages.
    stream : binary file
        Positioned at the start of the data.
    encoding : str
        A Python codec name.

    Yields
    ------
    str
        One physical line.

    Raises
    ------
    InputError
        On a decode error (with byte offset, line and an ``--encoding`` hint) or a line longer
        than :data:`MAX_LINE_CHARS`.
    """
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    # The unfinished last line is kept as a list of pieces and joined once its terminator arrives:
    # appending to one string, or regex-scanning its tail on every chunk, is quadratic on long lines.
    tail: list[str] = []
    tail_chars = 0
    held_cr = False
    consumed = 0
    while True:
        chunk = stream.read(CHUNK_BYTES)
        final = not chunk
        buffered = len(decoder.getstate()[0])
        try:
            text = decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:
            raise _decode_error(path, encoding, consumed - buffered + exc.start, exc) from None
        except UnicodeError as exc:  # e.g. "UTF-16 stream does not start with BOM": no offset to show
            raise InputError(
                f"{path}: cannot be decoded as {encoding} ({exc})",
                hint="check --encoding: utf-16 needs a BOM, otherwise name the byte order (utf-16-le)",
            ) from None
        consumed += len(chunk)
        if held_cr:
            text, held_cr = "\r" + text, False
        if not final and text.endswith("\r"):
            # A chunk may end between "\r" and "\n": hold the "\r" back until the next chunk.
            text, held_cr = text[:-1], True
        last_break = max(text.rfind("\n"), text.rfind("\r")) + 1
        if last_break:
            complete = "".join(tail) + text[:last_break]
            yield from (m.group() for m in _LINE.finditer(complete))
            rest = text[last_break:]
            tail, tail_chars = ([rest] if rest else []), len(rest)
        elif text:
            tail.append(text)
            tail_chars += len(text)
        if tail_chars > MAX_LINE_CHARS:
            raise InputError(
                f"{path}: a line is longer than {MAX_LINE_CHARS // (1024 * 1024)} M characters; is this a CSV file?"
            )
        if final:
            if tail:
                yield "".join(tail)
            return


# ---------------------------------------------------------------------------------------------
# Physical lines → CSV records with raw text and line numbers
# ---------------------------------------------------------------------------------------------


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


@dataclass
class CsvSource:
    """An opened CSV file: its header, where the header is, and the stream of data records."""

    path: Path
    encoding: str
    delimiter: str
    header: list[str]
    header_line: int
    records: Iterator[CsvRow | RejectedRecord] = field(repr=False)


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
    with _open_binary(path) as stream:
        head = stream.read(SNIFF_BYTES)
    encoding = _choose_encoding(path, head, encoding)
    if delimiter is None:
        sample = head.decode(encoding, errors="replace")
        delimiter = _sniff_delimiter(sample)
    else:
        delimiter = _check_delimiter(delimiter)
    _raise_field_limit()
    stream = _open_binary(path)
    feeder = _LineFeeder(iter_physical_lines(path, stream, encoding))
    reader = csv.reader(feeder, delimiter=delimiter, quotechar='"', doublequote=True, strict=True)
    state = {"line": 1}
    try:
        header_line, header = _read_header(path, reader, feeder, state)
    except BaseException:
        stream.close()
        raise
    records = _records(path, reader, feeder, state, header, stream)
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
) -> Iterator[CsvRow | RejectedRecord]:
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


# ---------------------------------------------------------------------------------------------
# Header → column plan
# ---------------------------------------------------------------------------------------------


@dataclass
class ColumnPlan:
    """Where each input column goes.

    Attributes
    ----------
    fields : dict
        Canonical field (or ``coordinates``) → column index.
    sources : dict
        Source group number (0 for unnumbered) → {source field → column index}.
    extra : list of (int, str)
        Column index and name of columns kept in ``extra``.
    names : list of str
        The header as written, for messages.
    """

    fields: dict[str, int]
    sources: dict[int, dict[str, int]]
    extra: list[tuple[int, str]]
    names: list[str]
    #: How the file's dates are read (day/month order decided once per file), set by the reader.
    dates: d.DateRules | None = None


def _target_of(normalised: str) -> tuple[str, int] | None:
    """Map a normalised header to (field, source group) or None for an unknown column."""
    if normalised in _HEADER_TO_FIELD:
        return _HEADER_TO_FIELD[normalised], 0
    m = _NUMBERED.match(normalised)
    if m and _HEADER_TO_FIELD.get(m["base"]) in SOURCE_FIELDS:
        return _HEADER_TO_FIELD[m["base"]], int(m["n"])
    return None


def plan_columns(
    path: Path | str, header: list[str], column_map: dict[str, str] | None = None, *, located: bool = False
) -> ColumnPlan:
    """Decide where each column goes and check that the required ones are there.

    Parameters
    ----------
    path : Path or str
        For messages.
    header : list of str
        Column names as written in the file (or GeoJSON property names).
    column_map : dict, optional
        From :func:`parse_column_map`: input column → field, ``extra`` or ``ignore``.
    located : bool
        True when positions come from elsewhere (GeoJSON geometry): no location column needed.

    Returns
    -------
    ColumnPlan
        The mapping.

    Raises
    ------
    InputError
        When a ``column_map`` column is not in the header, two columns map to the same field,
        or ``date`` or every location column (coordinates, location, facility) is missing.
    """
    overrides = _resolve_overrides(path, header, column_map or {})
    explicit = {field_name for field_name, _group in overrides.values()}
    fields: dict[str, int] = {}
    sources: dict[int, dict[str, int]] = {}
    extra: list[tuple[int, str]] = []
    extra_names: set[str] = set()  # a set kept in step: rebuilding it per column was quadratic (100k columns)
    for index, name in enumerate(header):
        target = overrides.get(index) or _target_of(_norm_header(name))
        if target == ("ignore", 0):
            continue
        if target is None or target == ("extra", 0):
            extra.append((index, _extra_name(name, index, extra_names)))
            continue
        field_name, group = target
        slot = sources.setdefault(group, {}) if field_name in SOURCE_FIELDS else fields
        if field_name == "event_id" and index not in overrides and (field_name in slot or "event_id" in explicit):
            # Several id-like columns ("id" and "entry"): the first one (or the one chosen with
            # --id-column / --map) identifies the rows, the others are kept as extra data.
            extra.append((index, _extra_name(name, index, extra_names)))
            continue
        if field_name in slot:
            raise InputError(
                f"{path}: columns {header[slot[field_name]]!r} and {name!r} both map to {field_name!r}",
                hint=f"keep one with e.g. --map '{name}=ignore' (or '{name}=extra')",
            )
        slot[field_name] = index
    plan = ColumnPlan(fields, dict(sorted(sources.items())), extra, list(header))
    _check_required(path, plan, located=located)
    return plan


def id_column_of(plan: ColumnPlan) -> str | None:
    """Return the header name of the column that identifies the rows (mapped to ``event_id``), or None."""
    index = plan.fields.get("event_id")
    return None if index is None else plan.names[index]


def _resolve_overrides(path: Path | str, header: list[str], column_map: dict[str, str]) -> dict[int, tuple[str, int]]:
    by_name = {_norm_header(name): index for index, name in enumerate(header)}
    overrides: dict[int, tuple[str, int]] = {}
    for column, target in column_map.items():
        index = by_name.get(_norm_header(column))
        if index is None:
            raise InputError(
                f"{path}: --map names column {column!r}, which is not in the header",
                hint=f"the header is: {', '.join(repr(h) for h in header)}",
            )
        m = _NUMBERED.match(target)
        if target not in CANONICAL_COLUMNS and m and m["base"] in SOURCE_FIELDS:
            overrides[index] = (m["base"], int(m["n"]))
        else:
            overrides[index] = (target, 0)
    return overrides


def _extra_name(name: str, index: int, taken: set[str]) -> str:
    base = name.replace("\ufeff", "").strip() or f"column_{index + 1}"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def _check_required(path: Path | str, plan: ColumnPlan, *, located: bool = False) -> None:
    have = set(plan.fields)
    missing: list[str] = []
    if "date" not in have:
        missing.append("date (or event_date, data)")
    if ("latitude" in have) != ("longitude" in have):
        missing.append("longitude" if "latitude" in have else "latitude")
    if not located and not have & {"latitude", "coordinates", "location", "facility"}:
        missing.append("latitude+longitude, coordinates, location or facility")
    if missing:
        raise InputError(
            f"{path}: required columns missing: {'; '.join(missing)}. Found: "
            + ", ".join(repr(name) for name in plan.names),
            hint="rename the columns (see `strikedb ingest --template`) or map them, e.g. --map 'Datum=date'",
        )


# ---------------------------------------------------------------------------------------------
# Cells → EventRecord
# ---------------------------------------------------------------------------------------------


class _Row:
    """Collects values and problems while one row is converted."""

    def __init__(self, path: str, line: int) -> None:
        self.path = path
        self.line = line
        self.problems: list[RowProblem] = []
        self.warnings: list[RowProblem] = []

    def problem(self, column: str | None, value: str | None, reason: str) -> None:
        self.problems.append(RowProblem(self.path, self.line, column, v.shown(value), reason))

    def warn(self, column: str | None, value: str | None, reason: str) -> None:
        """Note a source problem that does not reject the row (see :func:`events.validate.source_links`)."""
        self.warnings.append(RowProblem(self.path, self.line, column, v.shown(value), reason))

    def check(self, column: str, text: str, parser, *args, **kwargs):
        """Run ``parser(text, *args, **kwargs)``; on FieldError record a problem and return None."""
        try:
            return parser(text, *args, **kwargs)
        except v.FieldError as exc:
            self.problem(column, text, exc.reason)
            return None


def _cell(text: str | None) -> str | None:
    """Return the stripped cell or None when it is blank or a missing-value marker."""
    return None if v.is_blank(text) else text.strip()


def build_event(
    path: str,
    line: int,
    raw: str,
    values: dict[str, str],
    sources: dict[int, dict[str, str]],
    extra: dict[str, object],
    *,
    origin: str = "csv",
    columns: dict[str, str] | None = None,
    point: tuple[float, float] | None = None,
    dates: d.DateRules | None = None,
) -> EventRecord | RejectedRecord:
    """Validate the canonical fields of one row and build its record.

    Parameters
    ----------
    path, line, raw : str, int, str
        Where the row comes from and its raw text.
    values : dict
        Canonical field (:data:`CANONICAL_COLUMNS` or ``coordinates``) → cell text.
    sources : dict
        Source group → {source field → cell text}.
    extra : dict
        Values kept as they are.
    origin : str
        ``csv`` or ``geojson``.
    columns : dict, optional
        Field → column name as written, used in problem messages.
    point : tuple of float, optional
        (latitude, longitude) already known (a GeoJSON geometry); wins over coordinate cells.
    dates : DateRules, optional
        The file's date rules (see :mod:`events.dates`); None reads slash dates day first.

    Returns
    -------
    EventRecord or RejectedRecord
        The record, or every problem found.
    """
    row = _Row(path, line)
    names = columns or {}

    def col(name: str) -> str:
        return names.get(name, name)

    record = EventRecord(file=path, line_number=line, raw=raw, event_date=None, origin=origin)  # type: ignore[arg-type]
    _fill_date_time(row, record, values, col, dates)
    _fill_coordinates(row, record, values, col, point)
    _fill_text_fields(row, record, values, col)
    _fill_vocab_fields(row, record, values, col)
    _fill_grades(row, record, values, col)
    record.sources = _build_sources(row, sources, col, dates)
    record.extra = extra
    if record.latitude is None and not (record.location_text or record.facility_name) and not _has_coords(values):
        row.problem(None, None, "row has no coordinates, location or facility: nothing to place it on a map")
    if row.problems:
        return RejectedRecord(path, line, raw, row.problems + row.warnings)
    record.warnings = row.warnings
    return record


def _has_coords(values: dict[str, str]) -> bool:
    return any(_cell(values.get(name)) for name in ("latitude", "longitude", "coordinates"))


def _fill_date_time(row: _Row, record: EventRecord, values: dict[str, str], col, dates: d.DateRules | None) -> None:
    date_text = _cell(values.get("date"))
    if date_text is None:
        row.problem(col("date"), values.get("date"), "date is missing; every event needs a date")
    else:
        parsed = row.check(col("date"), date_text, d.parse_datetime, dates)
        if parsed:
            record.event_date, record.date_precision, record.event_time_utc = parsed
    time_text = _cell(values.get("time"))
    if time_text is not None:
        # A time column wins over a time inside the date cell.
        record.event_time_utc = row.check(col("time"), time_text, d.parse_time_cell)


def _split_pair(text: str) -> tuple[str, str] | None:
    """Split a ``lat, lon`` cell; ``;`` or ``, `` or whitespace separate (decimal commas stay inside)."""
    for pattern in (r"\s*;\s*", r",\s+", r"\s*/\s*", r"\s+", r","):
        parts = re.split(pattern, text.strip())
        if len(parts) == 2 and all(parts):
            return parts[0], parts[1]
    return None


def _fill_coordinates(
    row: _Row, record: EventRecord, values: dict[str, str], col, point: tuple[float, float] | None
) -> None:
    if point is not None:
        record.latitude, record.longitude = point
        return
    lat_text, lon_text = _cell(values.get("latitude")), _cell(values.get("longitude"))
    pair = _cell(values.get("coordinates"))
    if lat_text is None and lon_text is None and pair is not None:
        split = _split_pair(pair)
        if split is None:
            row.problem(col("coordinates"), pair, "expected 'latitude, longitude' such as '59.4606, 32.0708'")
            return
        lat_text, lon_text = split
        lat_col = lon_col = col("coordinates")
    else:
        lat_col, lon_col = col("latitude"), col("longitude")
    if lat_text is None and lon_text is None:
        return
    if lat_text is None or lon_text is None:
        missing, given = ("latitude", lon_col) if lat_text is None else ("longitude", lat_col)
        row.problem(lat_col if lat_text is None else lon_col, None, f"{missing} is missing although {given} is given")
        return
    latitude = row.check(lat_col, lat_text, v.parse_coordinate, "latitude")
    longitude = row.check(lon_col, lon_text, v.parse_coordinate, "longitude")
    if latitude is not None and longitude is not None:
        record.latitude, record.longitude = latitude, longitude


def _fill_text_fields(row: _Row, record: EventRecord, values: dict[str, str], col) -> None:
    for name, attribute in (
        ("event_id", "external_id"),
        ("location", "location_text"),
        ("facility", "facility_name"),
        ("admin1", "admin1"),
        ("description", "description"),
    ):
        text = _cell(values.get(name))
        if text is None:
            continue
        limit = _LENGTH_LIMITS.get(name)
        if limit and len(text) > limit:
            row.problem(col(name), text, f"longer than {limit} characters")
            continue
        setattr(record, attribute, text)
    country = _cell(values.get("country"))
    if country is not None:
        record.country = row.check(col("country"), country, v.parse_country)


_VOCAB_FIELDS = (
    ("facility_type", v.parse_facility_type),
    ("attack_type", v.parse_attack_type),
    ("effect", v.parse_effect),
    ("damage_level", v.parse_damage_level),
    ("claim_status", v.parse_claim_status),
)


def _fill_vocab_fields(row: _Row, record: EventRecord, values: dict[str, str], col) -> None:
    for name, parser in _VOCAB_FIELDS:
        text = values.get(name)
        if text is None or not text.strip() or v.is_blank(text):
            continue
        value = row.check(col(name), text.strip(), parser)
        if value is not None:
            setattr(record, name, value)
            if name == "claim_status":
                record.claim_status_stated = True


def _fill_grades(row: _Row, record: EventRecord, values: dict[str, str], col) -> None:
    reliability_text = _cell(values.get("source_reliability"))
    credibility_text = _cell(values.get("info_credibility"))
    combined_credibility = None
    if reliability_text is not None:
        grade = row.check(col("source_reliability"), reliability_text, v.parse_reliability)
        if grade:
            record.source_reliability, combined_credibility = grade
    if credibility_text is not None:
        record.info_credibility = row.check(col("info_credibility"), credibility_text, v.parse_credibility)
    if combined_credibility is not None:
        if record.info_credibility is not None and record.info_credibility != combined_credibility:
            row.problem(
                col("info_credibility"),
                credibility_text,
                f"contradicts the credibility {combined_credibility} in source_reliability {reliability_text!r}",
            )
        else:
            record.info_credibility = combined_credibility


def _build_sources(row: _Row, groups: dict[int, dict[str, str]], col, dates: d.DateRules | None) -> list[SourceRecord]:
    result: list[SourceRecord] = []
    for group, cells in sorted(groups.items()):
        result.extend(_group_sources(row, group, cells, col, dates))
    return result


def _group_sources(row: _Row, group: int, cells: dict[str, str], col, dates: d.DateRules | None) -> list[SourceRecord]:
    def name(field_name: str) -> str:
        return col(field_name if group == 0 else f"{field_name}_{group}")

    url_text = _cell(cells.get("source_url"))
    urls: list[str] = []
    if url_text:
        # A cell that is not a usable link drops that source only, with one warning per cell.
        urls, warning = v.source_links(url_text)
        if warning:
            row.warn(name("source_url"), url_text, warning)
    archived = None
    archived_text = _cell(cells.get("archived_url"))
    if archived_text:
        links, warning = v.source_links(archived_text)
        archived = links[0] if len(links) == 1 else None
        if len(links) > 1:
            warning = "several links in one archive cell: none is kept as the archived copy"
        if warning:
            row.warn(name("archived_url"), archived_text, warning)
    publisher = _cell(cells.get("publisher"))
    if publisher and len(publisher) > _LENGTH_LIMITS["publisher"]:
        row.problem(name("publisher"), publisher, f"longer than {_LENGTH_LIMITS['publisher']} characters")
        publisher = None
    title = _cell(cells.get("source_title"))
    published = None
    date_text = _cell(cells.get("source_date"))
    if date_text:
        parsed = row.check(name("source_date"), date_text, d.parse_datetime, dates)
        published = parsed[0] if parsed else None
    geolocations = _geolocation_sources(row, cells, name("geolocation_url"))
    if not (urls or archived or publisher or title):
        return geolocations
    common = {"publisher": publisher, "title": title, "published_date": published}
    if not urls:
        return [SourceRecord(url=None, archived_url=archived, **common), *geolocations]
    # The archive link belongs to the first URL of its group; further URLs are separate reports.
    reports = [SourceRecord(url=url, archived_url=archived if i == 0 else None, **common) for i, url in enumerate(urls)]
    return reports + geolocations


def _geolocation_sources(row: _Row, cells: dict[str, str], column: str) -> list[SourceRecord]:
    """Links to geolocated footage or imagery: sources of type ``imagery``."""
    text = _cell(cells.get("geolocation_url"))
    found = []
    for piece in v.split_urls(text) if text else []:
        checked = row.check(column, piece, v.parse_url)
        if checked:
            found.append(SourceRecord(url=checked, source_type="imagery"))
    return found


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


def read_csv_with_plan(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    dates: d.DateRules | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Read a canonical-format CSV with the file's date rules (see :mod:`events.readers`)."""
    source = open_csv(path, encoding=encoding, delimiter=delimiter)
    try:
        plan = plan_columns(path, source.header, column_map)
    except BaseException:
        source.records.close()
        raise
    plan.dates = dates
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


def read_events(
    path: str | Path,
    *,
    fmt: str = "auto",
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    date_order: str | None = None,
    date_format: str | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream the events of a file, one record per data row, in file order.

    Parameters
    ----------
    path : str or Path
        The input file.
    fmt : {"auto", "csv", "acled", "ucdp", "geojson"}
        Input format: ``auto`` (default) recognises the layout from the header or the GeoJSON
        properties; otherwise the canonical CSV, an ACLED export, UCDP GED (CSV or GeoJSON), or
        a GeoJSON FeatureCollection of Point features.
    encoding : str, optional
        Text encoding (default UTF-8, BOM optional). Not used for GeoJSON (always UTF-8).
    delimiter : str, optional
        CSV delimiter; sniffed when omitted (``,`` ``;`` tab ``|``).
    column_map : dict, optional
        Input column → canonical field (see :func:`parse_column_map`); for ACLED and UCDP also a
        column name of the dataset.
    date_order : {"dmy", "mdy"}, optional
        Order of slash dates; decided from the file's values when omitted.
    date_format : str, optional
        A ``strptime`` pattern for the dates.

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
    from events import readers  # imported here: readers builds on this module

    return readers.read_events(
        path,
        fmt=fmt,
        encoding=encoding,
        delimiter=delimiter,
        column_map=column_map,
        date_order=date_order,
        date_format=date_format,
    )
