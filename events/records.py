"""Plain data records that flow through the ingest pipeline.

Readers (:mod:`events.readers`) turn input files into a stream of
:class:`EventRecord` (a row that passed validation) and :class:`RejectedRecord` (a row that did
not, with every problem found). The loader (:mod:`events.ingest`) geocodes, grades, deduplicates
and stores them. These classes carry no database state, so every step before loading is pure.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any, ClassVar


@dataclass(frozen=True)
class RowProblem:
    """One reason a row was rejected: where it is and what is wrong.

    Attributes
    ----------
    file : str
        Path of the input file as given by the user.
    line : int
        1-based physical line of the row's first line (the header is line 1 in a CSV).
    column : str or None
        Column (or GeoJSON property) name; None for problems with the whole row.
    value : str or None
        The offending value as read (truncated to 200 characters).
    reason : str
        What is wrong and, where possible, how to fix it.
    """

    file: str
    line: int
    column: str | None
    value: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        if self.column:
            where += f": column {self.column!r}"
        shown = f" (value {self.value!r})" if self.value not in (None, "") else ""
        return f"{where}{shown}: {self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """Return the problem as a JSON-ready dict (stored in ``rejected_rows.reasons``)."""
        return {"column": self.column, "value": self.value, "reason": self.reason}


@dataclass(frozen=True)
class SourceRecord:
    """A source reporting an event, as read from the input."""

    url: str | None = None
    publisher: str | None = None
    title: str | None = None
    published_date: dt.date | None = None
    archived_url: str | None = None
    language: str | None = None
    claimed_by: str | None = None
    source_type: str | None = None
    #: Filled by the loader from the publisher registry (not read from files).
    publisher_key: str | None = None
    publisher_kind: str | None = None


@dataclass
class EventRecord:
    """A validated event row, before geocoding and storage.

    Coordinates may be missing (the loader then geocodes from ``facility_name`` or
    ``location_text``); every other value is already checked against :mod:`events.vocab`.
    """

    file: str
    line_number: int
    #: The row exactly as read (raw CSV text of the row, or the feature's JSON).
    raw: str
    event_date: dt.date
    date_precision: str = "day"
    event_time_utc: dt.time | None = None
    latitude: float | None = None
    longitude: float | None = None
    #: Precision stated by the input (e.g. ACLED geo_precision); None lets the loader decide.
    geo_precision: str | None = None
    location_text: str | None = None
    facility_name: str | None = None
    facility_type: str | None = None
    #: ISO 3166-1 alpha-2.
    country: str | None = None
    admin1: str | None = None
    attack_type: str = "unknown"
    effect: str | None = None
    damage_level: str | None = None
    description: str | None = None
    claim_status: str = "reported"
    #: True when the file states the claim status (then it wins over the evidence; see events.grading).
    claim_status_stated: bool = False
    source_reliability: str | None = None
    info_credibility: int | None = None
    fatalities_low: int | None = None
    fatalities_best: int | None = None
    fatalities_high: int | None = None
    #: Dataset of origin: ``csv``, ``acled``, ``ucdp``, ``geojson``.
    origin: str = "csv"
    #: Identifier in the dataset of origin (ACLED event_id_cnty, UCDP relid, a CSV ``event_id`` column).
    external_id: str | None = None
    #: The id namespace of a generic CSV or GeoJSON row (``--dataset``; default: the file's name).
    dataset: str | None = None
    sources: list[SourceRecord] = field(default_factory=list)
    #: Columns of the input that have no home in the schema.
    extra: dict[str, Any] = field(default_factory=dict)
    #: True when the point lies in the sea off the stated country (set by the loader).
    at_sea: bool = False
    #: Source cells that were dropped or completed (the event itself is valid): stored in the
    #: quarantine as source problems (``rejected_rows.kind = 'source'``).
    warnings: list[RowProblem] = field(default_factory=list)


@dataclass
class RejectedRecord:
    """A row that failed validation, with every problem found (not only the first)."""

    file: str
    line_number: int
    raw: str
    problems: list[RowProblem]
    #: What the quarantine row stands for (``rejected_rows.kind``): the row was not loaded.
    kind: ClassVar[str] = "row"


@dataclass
class SourceProblems(RejectedRecord):
    """Source cells dropped from (or completed in) an event that *was* loaded.

    Stored in the quarantine with ``kind = 'source'``; not counted as a rejected row.
    """

    kind: ClassVar[str] = "source"


ParsedRow = EventRecord | RejectedRecord


def db_text(value: str) -> str:
    """Make text storable on both backends: NUL and lone surrogates escaped, nothing dropped."""
    value = value.replace("\x00", "\\x00")
    return value.encode("utf-8", "backslashreplace").decode("utf-8")


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback for record values: dates and times as ISO strings, the rest as ``str``."""
    if isinstance(value, dt.date | dt.time | dt.datetime):
        return value.isoformat()
    return str(value)
