"""Cells → :class:`~events.records.EventRecord`: the checks of the canonical fields, shared by every reader.

:class:`Row` collects the problems of one row; :func:`build_event` validates the canonical fields
(dates, coordinates, vocabularies, grades, sources) and returns the record, or a
:class:`~events.records.RejectedRecord` listing *all* of that row's problems.
"""

from __future__ import annotations

import re

from events import validate as v
from events.readers.dates import DateRules, parse_datetime, parse_time_cell
from events.records import EventRecord, RejectedRecord, RowProblem, SourceRecord

_LENGTH_LIMITS = {"event_id": 100, "facility": 300, "admin1": 200, "publisher": 300}


class Row:
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


def cell(text: str | None) -> str | None:
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
    dates: DateRules | None = None,
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
        The file's date rules (see :mod:`events.readers.dates`); None reads slash dates day first.

    Returns
    -------
    EventRecord or RejectedRecord
        The record, or every problem found.
    """
    row = Row(path, line)
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
    return any(cell(values.get(name)) for name in ("latitude", "longitude", "coordinates"))


def _fill_date_time(row: Row, record: EventRecord, values: dict[str, str], col, dates: DateRules | None) -> None:
    date_text = cell(values.get("date"))
    if date_text is None:
        row.problem(col("date"), values.get("date"), "date is missing; every event needs a date")
    else:
        parsed = row.check(col("date"), date_text, parse_datetime, dates)
        if parsed:
            record.event_date, record.date_precision, record.event_time_utc = parsed
    time_text = cell(values.get("time"))
    if time_text is not None:
        # A time column wins over a time inside the date cell.
        record.event_time_utc = row.check(col("time"), time_text, parse_time_cell)


def _split_pair(text: str) -> tuple[str, str] | None:
    """Split a ``lat, lon`` cell; ``;`` or ``, `` or whitespace separate (decimal commas stay inside)."""
    for pattern in (r"\s*;\s*", r",\s+", r"\s*/\s*", r"\s+", r","):
        parts = re.split(pattern, text.strip())
        if len(parts) == 2 and all(parts):
            return parts[0], parts[1]
    return None


def _fill_coordinates(
    row: Row, record: EventRecord, values: dict[str, str], col, point: tuple[float, float] | None
) -> None:
    if point is not None:
        record.latitude, record.longitude = point
        return
    lat_text, lon_text = cell(values.get("latitude")), cell(values.get("longitude"))
    pair = cell(values.get("coordinates"))
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


def _fill_text_fields(row: Row, record: EventRecord, values: dict[str, str], col) -> None:
    for name, attribute in (
        ("event_id", "external_id"),
        ("location", "location_text"),
        ("facility", "facility_name"),
        ("admin1", "admin1"),
        ("description", "description"),
    ):
        text = cell(values.get(name))
        if text is None:
            continue
        limit = _LENGTH_LIMITS.get(name)
        if limit and len(text) > limit:
            row.problem(col(name), text, f"longer than {limit} characters")
            continue
        setattr(record, attribute, text)
    country = cell(values.get("country"))
    if country is not None:
        record.country = row.check(col("country"), country, v.parse_country)


_VOCAB_FIELDS = (
    ("facility_type", v.parse_facility_type),
    ("attack_type", v.parse_attack_type),
    ("effect", v.parse_effect),
    ("damage_level", v.parse_damage_level),
    ("claim_status", v.parse_claim_status),
)


def _fill_vocab_fields(row: Row, record: EventRecord, values: dict[str, str], col) -> None:
    for name, parser in _VOCAB_FIELDS:
        text = values.get(name)
        if text is None or not text.strip() or v.is_blank(text):
            continue
        try:
            value = parser(text.strip())
        except v.FieldError as exc:
            # A tracker's "Damage" or "Status" column often holds free text ("fire at the CDU"):
            # say how to keep it instead of reading it as a vocabulary.
            column = col(name)
            hint = f"a column of free text can be kept with --map '{column}=extra'"
            row.problem(column, text.strip(), f"{exc.reason}; {hint}")
            continue
        if value is not None:
            setattr(record, name, value)
            if name == "claim_status":
                record.claim_status_stated = True


def _fill_grades(row: Row, record: EventRecord, values: dict[str, str], col) -> None:
    reliability_text = cell(values.get("source_reliability"))
    credibility_text = cell(values.get("info_credibility"))
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


def _build_sources(row: Row, groups: dict[int, dict[str, str]], col, dates: DateRules | None) -> list[SourceRecord]:
    result: list[SourceRecord] = []
    for group, cells in sorted(groups.items()):
        result.extend(_group_sources(row, group, cells, col, dates))
    return result


def _group_sources(row: Row, group: int, cells: dict[str, str], col, dates: DateRules | None) -> list[SourceRecord]:
    def name(field_name: str) -> str:
        return col(field_name if group == 0 else f"{field_name}_{group}")

    url_text = cell(cells.get("source_url"))
    urls: list[str] = []
    if url_text:
        # A cell that is not a usable link drops that source only, with one warning per cell.
        urls, warning = v.source_links(url_text)
        if warning:
            row.warn(name("source_url"), url_text, warning)
    archived = None
    archived_text = cell(cells.get("archived_url"))
    if archived_text:
        links, warning = v.source_links(archived_text)
        archived = links[0] if len(links) == 1 else None
        if len(links) > 1:
            warning = "several links in one archive cell: none is kept as the archived copy"
        if warning:
            row.warn(name("archived_url"), archived_text, warning)
    publisher = cell(cells.get("publisher"))
    if publisher and len(publisher) > _LENGTH_LIMITS["publisher"]:
        row.problem(name("publisher"), publisher, f"longer than {_LENGTH_LIMITS['publisher']} characters")
        publisher = None
    title = cell(cells.get("source_title"))
    published = None
    date_text = cell(cells.get("source_date"))
    if date_text:
        parsed = row.check(name("source_date"), date_text, parse_datetime, dates)
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


def _geolocation_sources(row: Row, cells: dict[str, str], column: str) -> list[SourceRecord]:
    """Links to geolocated footage or imagery: sources of type ``imagery``."""
    text = cell(cells.get("geolocation_url"))
    found = []
    for piece in v.split_urls(text) if text else []:
        checked = row.check(column, piece, v.parse_url)
        if checked:
            found.append(SourceRecord(url=checked, source_type="imagery"))
    return found


def rejected(path: str, line: int, raw: str, column: str | None, reason: str) -> RejectedRecord:
    """Return the rejection of a whole row or feature for one reason (no cell value to show)."""
    return RejectedRecord(path, line, raw, [RowProblem(path, line, column, None, reason)])
