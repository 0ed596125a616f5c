"""Identity of reports: report key, content hash and public id; and of the rows of one file.

Identity of a report (documented in ``docs/ingest.md``):

* ``report key`` (stored as ``events.natural_key`` of the event the report created):
  SHA-256 of ``origin`` + ``external_id`` when the row has an identifier (+ the dataset, the id
  namespace, for a generic CSV or GeoJSON file: :func:`dataset_of`), else of origin, date,
  date precision, place (coordinates rounded to 3 decimals, else the normalised facility name,
  else the normalised location text) and the sorted source URLs. Deterministic: re-running a file,
  or resuming an interrupted run, finds every report already stored (:func:`report_key`).
* ``content hash`` (``events.content_hash``): SHA-256 of every value the row states (not its
  line number). Same key + same hash = unchanged; same key + other hash = update, with an
  ``event_revisions`` row holding the previous values (:func:`content_hash`).
* ``public_id``: ``SDB-`` + the first 12 hex digits of the report key, so it is stable too
  (:func:`public_id_for`).

Identity of the rows of one file. Rules (documented in ``docs/ingest.md``, "Identity"):

* A row that carries an identifier is identified by it. The column is chosen with
  ``--id-column NAME``, else recognised from the header (``event_id``, ``id``, ``entry``,
  ``event_id_cnty``, ``relid``... see the synonyms in :mod:`events.readers.columns`); ACLED exports use
  ``event_id_cnty`` and UCDP GED ``relid`` unless told otherwise. The summary names the column.
* A repeated id inside one file is an error for the later rows: they are quarantined with
  "duplicate id X, first at line N" (nothing is overwritten). When most rows share one id (UCDP
  files whose ``relid`` is 0 everywhere) the summary says the id column looks wrong and how to
  choose another (:func:`id_column_warning`).
* Rows without an id are identified by their report key (date, place, sources). A later row of the
  same file with the same key and the *same* values repeats the earlier one and is quarantined
  ("repeats line N"); with other values it is a report of its own: its key is made unique by its
  content (:func:`distinct_key`), so it never overwrites the earlier row, and it is deduplicated
  like any other report.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from functools import lru_cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from events.errors import InputError
from events.records import EventRecord, RejectedRecord, RowProblem, SourceRecord

#: Share of the rows above which one repeated id (repeated at least 3 times) means the id column is wrong.
WRONG_ID_SHARE = 0.5
#: Reason text of a repeated id (the loader counts these for :func:`id_column_warning`).
DUPLICATE_ID = "duplicate id"
#: Datasets whose ids are unique across all their files (one namespace per origin). Any other
#: file's ids (a generic CSV or GeoJSON log numbering its rows 1, 2, 3) are unique only within its
#: dataset: :func:`dataset_of`.
GLOBAL_ID_ORIGINS = frozenset({"acled", "ucdp"})


def distinct_key(key: str, content_hash: str) -> str:
    """The key of an id-less report whose date, place and sources equal an earlier row's of its file."""
    return hashlib.sha256(f"{key}:{content_hash}".encode()).hexdigest()


@lru_cache(maxsize=4096)
def _norm(text: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.sub(r"[^\w]+", " ", folded).split())


def _canonical(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return tuple(_canonical(v) for v in value)
    return value


def source_urls(record: EventRecord) -> list[str]:
    """Return the record's source URLs, stripped, without duplicates, sorted."""
    return sorted({s.url.strip() for s in record.sources if s.url and s.url.strip()})


@lru_cache(maxsize=256)
def file_dataset(file: str) -> str:
    """The default id namespace of a generic file: its name without folders (``logs/events.csv`` -> ``events.csv``)."""
    return Path(file).name or file


def dataset_of(record: EventRecord) -> str:
    """The id namespace of a generic CSV/GeoJSON record: ``record.dataset`` (``--dataset``), else its file's name."""
    return record.dataset or file_dataset(record.file)


def _hash(payload: tuple[Any, ...]) -> str:
    return hashlib.sha256(repr(payload).encode("utf-8", "surrogatepass")).hexdigest()


def report_key(record: EventRecord) -> str:
    """Return the deterministic identity of a report (see the module docstring)."""
    # repr() of str, int, float, None, date and time is deterministic across runs and platforms and
    # 3x cheaper than json.dumps. The payload is the tuple that hashing the equivalent list through
    # ``_canonical`` (lists -> tuples) gave in earlier versions, so stored keys stay the same.
    if record.external_id:
        ext = record.external_id.strip()
        if record.origin in GLOBAL_ID_ORIGINS:
            return _hash(("ext", record.origin, ext))
        # A generic file's ids are unique only within its dataset: "1" of one log is not "1" of another.
        return _hash(("ext", record.origin, dataset_of(record), ext))
    if record.latitude is not None and record.longitude is not None:
        place = f"ll:{record.latitude:.3f},{record.longitude:.3f}"
    elif record.facility_name:
        place = "f:" + _norm(record.facility_name)
    else:
        place = "t:" + _norm(record.location_text)
    urls = tuple(source_urls(record))
    payload = ("nk", record.origin, record.event_date, record.date_precision, place, urls)
    return _hash(payload)


def legacy_key(origin: str, external_id: str | None) -> str | None:
    """The report key an id-carrying generic row had before ids had a namespace per dataset.

    Events stored then keep that key until a re-import changes them (see
    :meth:`events.ingest.candidates.CandidateFinder.find`); None for rows it never applied to.
    """
    if not external_id or origin in GLOBAL_ID_ORIGINS:
        return None
    return _hash(("ext", origin, external_id.strip()))


_NOT_CONTENT = frozenset(
    {"file", "line_number", "raw", "sources", "extra", "claim_status_stated", "warnings", "at_sea", "dataset"}
)
#: Source fields the loader fills in (from the publisher registry), not part of what a file states.
_DERIVED_SOURCE_FIELDS = frozenset({"publisher_key", "publisher_kind"})


def _pairs_template(names: list[str]) -> str:
    """``%``-template of the ``repr`` of (name, value) pairs of ``names`` (a value for each ``%r``)."""
    return ", ".join(f"({name!r}, %r)" for name in names)


_RECORD_FIELDS = tuple(f.name for f in fields(EventRecord))
_RECORD_CONTENT = [name for name in _RECORD_FIELDS if name not in _NOT_CONTENT]
_SOURCE_FIELDS = tuple(f.name for f in fields(SourceRecord))
_SOURCE_CONTENT = [name for name in _SOURCE_FIELDS if name not in _DERIVED_SOURCE_FIELDS]
_record_content = attrgetter(*_RECORD_CONTENT)
_source_content = attrgetter(*_SOURCE_CONTENT)
# The text :func:`content_hash` hashes, as templates: a record's pairs, then its sources' and extra.
_RECORD_TEMPLATE = "[" + _pairs_template(_RECORD_CONTENT) + ", ('sources', (%s))"
_SOURCE_TEMPLATE = "(" + _pairs_template(_SOURCE_CONTENT) + ")"


def _content_text(record: EventRecord) -> str:
    """``repr`` of the record's content pairs (see :func:`content_hash`), formatted from templates.

    The same text as ``repr`` of the list of pairs, in half the time: the names' ``repr`` is made
    once, and one ``%`` formats every value. A record whose attributes are not exactly its fields
    in field order (none is made so) takes the generic way, which gives the text of earlier versions.
    """
    sources = record.sources
    if tuple(record.__dict__) != _RECORD_FIELDS or any(tuple(s.__dict__) != _SOURCE_FIELDS for s in sources):
        return repr(_content_pairs(record))
    stated = ", ".join([_SOURCE_TEMPLATE % _source_content(s) for s in sources])
    text = _RECORD_TEMPLATE % (*_record_content(record), stated + "," if len(sources) == 1 else stated)
    return text + (f", ('extra', {_canonical(record.extra)!r})]" if record.extra else "]")


def _content_pairs(record: EventRecord) -> list[tuple[str, Any]]:
    parts: list[Any] = [(k, v) for k, v in record.__dict__.items() if k not in _NOT_CONTENT]
    stated = (tuple(i for i in s.__dict__.items() if i[0] not in _DERIVED_SOURCE_FIELDS) for s in record.sources)
    parts.append(("sources", tuple(stated)))
    if record.extra:
        parts.append(("extra", _canonical(record.extra)))
    return parts


def content_hash(record: EventRecord) -> str:
    """Return the hash of every value a record states (its position in the file excluded).

    Built from ``repr`` of (name, value) pairs in field order (:func:`_content_text`):
    deterministic and several times cheaper than a JSON dump (hashing is a visible share of the
    per-row cost). Stored hashes depend on this text: changing it makes every re-import an update.
    """
    return hashlib.sha256(_content_text(record).encode("utf-8", "surrogatepass")).hexdigest()


def public_id_for(key: str) -> str:
    """Return the public id of the event a report creates: ``SDB-`` + 12 hex digits of its key."""
    return "SDB-" + key[:12].upper()


@dataclass
class FileIdentity:
    """Tracks the ids and report keys seen in one pass over one file (one instance per pass)."""

    ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[int, str]] = field(default_factory=dict)

    def check(self, result: Any, external_id: str | None) -> Any:
        """Apply the file's identity rules to one row, once it has been enriched.

        Parameters
        ----------
        result : Prepared or RejectedRecord
            What the enricher made of the row (its ``file``, ``line_number`` and ``raw`` are the
            row's).
        external_id : str or None
            The row's own id as read.

        Returns
        -------
        Prepared or RejectedRecord
            A row whose id an earlier row of the file has is quarantined, whatever the enricher
            made of it ("duplicate id X, first at line N"). An id-less report that repeats an
            earlier one exactly is quarantined as a duplicate row; one with the same date, place
            and sources but other values gets a key of its own (``result`` is re-keyed).
        """
        rejected = self.repeated_id(external_id, result.file, result.line_number, result.raw)
        if rejected is not None:
            return rejected
        key = getattr(result, "key", None)
        if key is None or (external_id and external_id.strip()):
            return result
        new_key, rejected = self.repeated_report(key, result.content_hash, result.file, result.line_number, result.raw)
        if rejected is not None:
            return rejected
        if new_key != key:
            result.rekey(new_key)
        return result

    def repeated_id(self, external_id: str | None, file: str, line: int, raw: str) -> RejectedRecord | None:
        """Quarantine a row whose id an earlier row of the file has; remember the id otherwise."""
        if not external_id or not external_id.strip():
            return None
        ext = external_id.strip()
        first = self.ids.get(ext)
        if first is None:
            self.ids[ext] = line
            return None
        reason = (
            f"{DUPLICATE_ID} {ext!r}, first at line {first}: two rows of one file cannot be one event; "
            "fix the id, or choose the column that identifies the rows with --id-column"
        )
        return RejectedRecord(file, line, raw, [RowProblem(file, line, "event_id", ext[:200], reason)])

    def repeated_report(
        self, key: str, content_hash: str, file: str, line: int, raw: str
    ) -> tuple[str, RejectedRecord | None]:
        """For an id-less row: the key to use, or a rejection when it repeats an earlier row exactly."""
        first = self.keys.get(key)
        if first is None:
            self.keys[key] = (line, content_hash)
            return key, None
        first_line, first_hash = first
        if first_hash == content_hash:
            reason = f"repeats line {first_line} (same date, place, sources and values): a duplicate row"
            return key, RejectedRecord(file, line, raw, [RowProblem(file, line, None, None, reason)])
        # Same date, place and sources but other values: a report of its own, never an overwrite.
        unique = distinct_key(key, content_hash)
        self.keys.setdefault(unique, (line, content_hash))
        return unique, None


def with_id_column(records: Iterator[Any], column: str) -> Iterator[Any]:
    """Identify dataset rows (ACLED, UCDP) by another of their columns (kept in ``extra``).

    The dataset's own id column is kept in ``extra`` under its name. Raises
    :class:`events.errors.InputError` when the first valid row has no such column.
    """
    checked = False
    for record in records:
        if isinstance(record, EventRecord):
            extra = dict(record.extra or {})
            if column not in extra and not checked:
                raise InputError(
                    f"--id-column {column!r}: the file has no such column (or it is mapped to a field)",
                    hint="name a column of the header that holds a unique id per row",
                )
            checked = True
            value = extra.pop(column, None)
            if record.external_id:
                extra[f"{record.origin}_id"] = record.external_id
            record.external_id = value.strip() if isinstance(value, str) and value.strip() else None
            record.extra = extra or None
        yield record


def in_dataset(records: Iterator[Any], dataset: str) -> Iterator[Any]:
    """Give every event record the id namespace ``dataset``."""
    for record in records:
        if isinstance(record, EventRecord):
            record.dataset = dataset
        yield record


def id_column_warning(id_column: str | None, rows_read: int, duplicates: Counter[str]) -> str | None:
    """Say that the id column looks wrong when most rows repeat one id (None when it looks fine)."""
    if not duplicates or rows_read < 4:
        return None
    value, repeats = duplicates.most_common(1)[0]
    if repeats < 3 or repeats + 1 <= WRONG_ID_SHARE * rows_read:
        return None
    column = f"column {id_column!r}" if id_column else "the id column"
    return (
        f"{column} looks wrong: {repeats + 1:,} of {rows_read:,} rows share the id {value!r}, so all but the "
        "first were quarantined. Choose the column that identifies the rows with --id-column NAME "
        "(for UCDP GED: --id-column id), and ingest the file again"
    )


__all__ = [
    "DUPLICATE_ID",
    "GLOBAL_ID_ORIGINS",
    "WRONG_ID_SHARE",
    "FileIdentity",
    "content_hash",
    "dataset_of",
    "distinct_key",
    "file_dataset",
    "id_column_warning",
    "in_dataset",
    "legacy_key",
    "public_id_for",
    "report_key",
    "source_urls",
    "with_id_column",
]
