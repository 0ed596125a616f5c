"""What a reader is: the entry of one input layout in the registry (:data:`events.readers.READERS`).

A dataset module (``csv``, ``acled``, ``ucdp``, ``geojson``) defines one :class:`Reader` named
``READER``; the registry lists them, and everything that depends on the layout (``--format``
values, detection from the header, the date-order scan, the ingest summary) asks the entry instead
of testing the format's name. Adding a dataset is one module plus one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TypedDict, Unpack

from events.readers.dates import DateRules
from events.readers.features import looks_like_json
from events.records import EventRecord, RejectedRecord


class ReadOptions(TypedDict, total=False):
    """The options every reader takes, all optional (:class:`ReadFunction`).

    Attributes
    ----------
    encoding : str or None
        The text encoding (None: detected); GeoJSON is always UTF-8.
    delimiter : str or None
        The CSV delimiter (None: sniffed); GeoJSON has none.
    column_map : dict or None
        ``--map``: input column -> canonical field, a dataset column, ``extra`` or ``ignore``.
    dates : DateRules or None
        The file's date rules (:mod:`events.readers.dates`); None reads slash dates day first.
    """

    encoding: str | None
    delimiter: str | None
    column_map: dict[str, str] | None
    dates: DateRules | None


class ReadFunction(Protocol):
    """Stream the records of a file: one :class:`~events.records.EventRecord` or rejection per row."""

    def __call__(self, path: str | Path, **options: Unpack[ReadOptions]) -> Iterator[EventRecord | RejectedRecord]: ...


#: ``(path, names as written, column_map) -> names of the date columns``, for the date-order scan.
DateColumns = Callable[[str | Path, list[str], "dict[str, str] | None"], list[str]]


@dataclass(frozen=True)
class Reader:
    """One input layout and how to read it.

    Attributes
    ----------
    name : str
        The ``--format`` value (``csv``, ``acled``...).
    title : str
        Human name, for the ingest summary and messages (``ACLED export``).
    read : ReadFunction
        Streams a file's records with the file's date rules.
    date_columns : DateColumns
        The columns whose dates settle the file's day/month order.
    containers : tuple of str
        The syntaxes the layout comes in: ``csv``, ``geojson`` or both.
    signature : frozenset of str
        Columns (lower-cased) whose presence identifies the layout; empty for the canonical
        layouts, which are what a file is when no signature matches.
    show_container : bool
        Whether the summary names the container (``read as ACLED export (CSV, ...)``).
    id_column : str, optional
        The dataset's own identifier column (``event_id_cnty``, ``relid``), which ``--id-column``
        replaces; None for the canonical layouts, whose identifier is the ``event_id`` column
        (or the column ``--id-column`` names, mapped to it).
    """

    name: str
    title: str
    read: ReadFunction
    date_columns: DateColumns
    containers: tuple[str, ...] = ("csv",)
    signature: frozenset[str] = frozenset()
    show_container: bool = True
    id_column: str | None = None

    def container_of(self, path: Path) -> str:
        """Return the container (``csv`` or ``geojson``) of a file read with this layout."""
        if len(self.containers) == 1:
            return self.containers[0]
        return "geojson" if looks_like_json(path) else "csv"

    def identifies(self, names: set[str], container: str) -> bool:
        """Tell whether lower-cased column or property names carry this layout's signature."""
        return bool(self.signature) and container in self.containers and names >= self.signature
