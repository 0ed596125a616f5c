"""Helpers shared by the test files: the one CSV writer and the one row counter.

Every test that needs an input file writes it with :func:`write_csv`, and every test that counts
what a command stored counts it with :func:`count_rows`, so the quoting of test files and the way a
count reaches the database are the same everywhere.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, Table, func, select, table
from sqlalchemy.sql.elements import ColumnElement

from events.db import make_engine
from events.readers import CANONICAL_COLUMNS


def write_csv(
    path: Path,
    rows: str | bytes | Iterable[Mapping[str, Any]] | Iterable[Sequence[Any]],
    columns: Sequence[str] | None = None,
    *,
    encoding: str = "utf-8",
) -> Path:
    """Write a CSV file for a test and return its path.

    Parameters
    ----------
    path : pathlib.Path
        The file to (over)write.
    rows : str, bytes, iterable of mappings or iterable of sequences
        The content of the file as it is, for files written by hand: text (encoded with ``encoding``)
        or bytes (written unchanged). Or rows as dicts (column -> value; ``None`` is written as an
        empty cell), or as lists, the first of them the header unless ``columns`` is given.
    columns : sequence of str, optional
        The header. For dict rows it defaults to the canonical columns of ``strikedb template``
        (``events.readers.CANONICAL_COLUMNS``), and the keys of a row that are not in it are appended.
    encoding : str
        The encoding of the file (``utf-8`` unless a test is about another one).

    Returns
    -------
    pathlib.Path
        ``path``.
    """
    if isinstance(rows, (str, bytes)):
        path.write_bytes(rows.encode(encoding) if isinstance(rows, str) else rows)
        return path
    rows = iter(rows)
    first = next(rows, None)
    with path.open("w", newline="", encoding=encoding) as fh:
        if first is None or isinstance(first, Mapping):
            body = [] if first is None else [first, *rows]
            header = list(columns or CANONICAL_COLUMNS)
            for row in body:
                header.extend(key for key in row if key not in header)
            writer = csv.DictWriter(fh, fieldnames=header)
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in body)
        else:
            writer = csv.writer(fh)
            if columns is not None:
                writer.writerow(columns)
            writer.writerow(first)
            writer.writerows(rows)
    return path


def count_rows(db: Engine | str | Path, relation: str | type | Table, where: ColumnElement[bool] | None = None) -> int:
    """Count the rows of a table, view or model in a database.

    Parameters
    ----------
    db : sqlalchemy.Engine, str or pathlib.Path
        An engine, or a database URL or SQLite file opened read-only for the count and closed again.
    relation : str, ORM model or sqlalchemy.Table
        What to count: a table or view name, a model class, or a table.
    where : SQL expression, optional
        Count only the rows matching it (e.g. ``RejectedRow.kind == "row"``).

    Returns
    -------
    int
        The number of rows.
    """
    source = table(relation) if isinstance(relation, str) else getattr(relation, "__table__", relation)
    query = select(func.count()).select_from(source)
    if where is not None:
        query = query.where(where)
    if isinstance(db, Path):
        db = f"sqlite:///{db}"
    engine = db if isinstance(db, Engine) else make_engine(db, read_only=True)
    try:
        with engine.connect() as conn:
            return conn.execute(query).scalar_one()
    finally:
        if engine is not db:
            engine.dispose()
