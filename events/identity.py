"""Identity of the rows of one file: which column identifies them, repeated ids, repeated reports.

Rules (documented in ``docs/ingest.md``, "Identity"):

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
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from events.errors import InputError
from events.records import EventRecord, RejectedRecord, RowProblem

#: Share of the rows above which one repeated id (repeated at least 3 times) means the id column is wrong.
WRONG_ID_SHARE = 0.5
#: Reason text of a repeated id (the loader counts these for :func:`id_column_warning`).
DUPLICATE_ID = "duplicate id"


def distinct_key(key: str, content_hash: str) -> str:
    """The key of an id-less report whose date, place and sources equal an earlier row's of its file."""
    return hashlib.sha256(f"{key}:{content_hash}".encode()).hexdigest()


@dataclass
class FileIdentity:
    """Tracks the ids and report keys seen in one pass over one file (one instance per pass)."""

    ids: dict[str, int] = field(default_factory=dict)
    keys: dict[str, tuple[int, str]] = field(default_factory=dict)

    def repeated_id(self, record: EventRecord) -> RejectedRecord | None:
        """Quarantine a row whose id an earlier row of the file has; remember the id otherwise."""
        if not record.external_id or not record.external_id.strip():
            return None
        ext = record.external_id.strip()
        first = self.ids.get(ext)
        if first is None:
            self.ids[ext] = record.line_number
            return None
        reason = (
            f"{DUPLICATE_ID} {ext!r}, first at line {first}: two rows of one file cannot be one event; "
            "fix the id, or choose the column that identifies the rows with --id-column"
        )
        problem = RowProblem(record.file, record.line_number, "event_id", ext[:200], reason)
        return RejectedRecord(record.file, record.line_number, record.raw, [problem])

    def repeated_report(self, record: EventRecord, key: str, content_hash: str) -> tuple[str, RejectedRecord | None]:
        """For an id-less row: the key to use, or a rejection when it repeats an earlier row exactly."""
        if record.external_id and record.external_id.strip():
            return key, None
        first = self.keys.get(key)
        if first is None:
            self.keys[key] = (record.line_number, content_hash)
            return key, None
        line, first_hash = first
        if first_hash == content_hash:
            reason = f"repeats line {line} (same date, place, sources and values): a duplicate row"
            problem = RowProblem(record.file, record.line_number, None, None, reason)
            return key, RejectedRecord(record.file, record.line_number, record.raw, [problem])
        # Same date, place and sources but other values: a report of its own, never an overwrite.
        unique = distinct_key(key, content_hash)
        self.keys.setdefault(unique, (record.line_number, content_hash))
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


def guard(enrich: Callable[[EventRecord], Any]) -> Callable[[EventRecord], Any]:
    """Wrap an enrich step with one pass's :class:`FileIdentity` (a new one per call of this function)."""
    seen = FileIdentity()

    def checked(record: EventRecord) -> Any:
        rejected = seen.repeated_id(record)
        if rejected is not None:
            return rejected
        result = enrich(record)
        key = getattr(result, "key", None)
        if key is None:
            return result
        new_key, rejected = seen.repeated_report(record, key, result.content_hash)
        if rejected is not None:
            return rejected
        if new_key != key:
            result.rekey(new_key)
        return result

    return checked


__all__ = [
    "DUPLICATE_ID",
    "WRONG_ID_SHARE",
    "FileIdentity",
    "distinct_key",
    "guard",
    "id_column_warning",
    "with_id_column",
]
