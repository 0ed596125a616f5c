"""The reader of UCDP GED (Georeferenced Event Dataset) files.

UCDP GED CSVs (49 columns): ``relid`` is the external id, ``where_prec`` 1 → exact, 2-3 →
near_town, 4-7 → region; ``date_prec`` 1 → day, 2-3 → week, 4-5 → month; ``low``/``best``/``high``
are the fatality estimates; ``source_office``/``source_date``/``source_headline`` are ``;``-separated
parallel lists that become one source each. GED GeoJSON features with the same properties are read
as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from events import validate as v
from events.readers.base import Reader
from events.readers.datasets import (
    MAX_SOURCES_PER_ROW,
    dataset_date_columns,
    dataset_record,
    extra_cells,
    finish,
    int_cell,
    precision,
    read_dataset,
    required_coordinates,
)
from events.readers.dates import DateRules
from events.readers.rows import cell
from events.records import EventRecord, RejectedRecord, SourceRecord

#: Columns whose presence identifies a UCDP GED file (after lower-casing the header).
UCDP_SIGNATURE = frozenset({"relid", "date_start", "where_prec"})
#: Canonical field -> the dataset column that holds it, for ``--map COLUMN=FIELD``.
UCDP_FIELD_COLUMNS = {
    "event_id": "relid",
    "date": "date_start",
    "latitude": "latitude",
    "longitude": "longitude",
    "country": "country",
    "admin1": "adm_1",
    "location": "where_coordinates",
    "publisher": "source_office",
    "source_title": "source_headline",
    "source_date": "source_date",
}

UCDP_REQUIRED: tuple[str, ...] = ("relid", "date_start", "latitude", "longitude", "where_prec", "date_prec")
UCDP_WHERE_PRECISION = {"1": "exact", "2": "near_town", "3": "near_town"} | dict.fromkeys("4567", "region")
UCDP_DATE_PRECISION = {"1": "day", "2": "week", "3": "week", "4": "month", "5": "month"}
_UCDP_MAPPED = frozenset(
    {
        "relid",
        "date_start",
        "latitude",
        "longitude",
        "where_prec",
        "date_prec",
        "where_coordinates",
        "adm_1",
        "country",
        "best",
        "low",
        "high",
        "source_office",
        "source_date",
        "source_headline",
        "geom_wkt",
    }
)


def read_ucdp(
    path: str | Path,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    column_map: dict[str, str] | None = None,
    dates: DateRules | None = None,
) -> Iterator[EventRecord | RejectedRecord]:
    """Stream a UCDP GED CSV as event records.

    Parameters
    ----------
    path : str or Path
        A GED CSV (the 49-column layout), or GED GeoJSON features with the same properties
        (positions from the geometry when the properties have none).
    encoding, delimiter : str, optional
        As for :func:`events.readers.read_events`.
    column_map : dict, optional
        ``--map``: input column -> canonical field, GED column, ``extra`` or ``ignore``.
    dates : DateRules, optional
        The file's date rules (:mod:`events.readers.dates`); None reads slash dates day first.

    Returns
    -------
    Iterator of EventRecord or RejectedRecord
        One per data row; ``origin`` is ``ucdp``, ``external_id`` the ``relid``.

    Raises
    ------
    InputError
        When the file cannot be read or lacks the GED core columns.
    """
    return read_dataset(
        path,
        encoding=encoding,
        delimiter=delimiter,
        required=UCDP_REQUIRED,
        name="UCDP GED",
        convert=_ucdp_row,
        fields=UCDP_FIELD_COLUMNS,
        column_map=column_map,
        dates=dates,
    )


def _ucdp_row(path: str, line: int, raw: str, cells: dict[str, str], dates: DateRules | None):
    row, record = dataset_record(
        path, line, raw, cells, dates, origin="ucdp", id_column="relid", id_label="UCDP relid", date_column="date_start"
    )
    record.date_precision = precision(row, "date_prec", cells.get("date_prec"), UCDP_DATE_PRECISION) or "day"
    record.latitude, record.longitude = required_coordinates(row, cells)
    record.geo_precision = precision(row, "where_prec", cells.get("where_prec"), UCDP_WHERE_PRECISION)
    country_text = cell(cells.get("country"))
    if country_text is not None:
        try:
            record.country = v.parse_country(country_text)
        except v.FieldError:
            record.country = None  # kept in extra below; an unknown name must not drop the event
    record.admin1 = cell(cells.get("adm_1"))
    record.location_text = cell(cells.get("where_coordinates"))
    record.fatalities_low = int_cell(row, "low", cells.get("low"))
    record.fatalities_best = int_cell(row, "best", cells.get("best"))
    record.fatalities_high = int_cell(row, "high", cells.get("high"))
    record.claim_status = "reported"
    record.sources = _ucdp_sources(cells)
    record.extra = extra_cells(cells, _UCDP_MAPPED - {"country"} if record.country is None else _UCDP_MAPPED)
    return finish(row, record, raw)


def _ucdp_sources(cells: dict[str, str]) -> list[SourceRecord]:
    """One source per ``source_office`` entry, paired with date and headline when the lists align."""
    offices = [p.strip() for p in (cell(cells.get("source_office")) or "").split(";")]
    dates = [p.strip() for p in (cell(cells.get("source_date")) or "").split(";")]
    headlines = [p.strip() for p in (cell(cells.get("source_headline")) or "").split(";")]
    count = max(len(offices) if offices != [""] else 0, len(headlines) if headlines != [""] else 0)
    sources: list[SourceRecord] = []
    for i in range(min(count, MAX_SOURCES_PER_ROW)):
        publisher = offices[i] if len(offices) == count and offices[i] else None
        title = headlines[i] if len(headlines) == count and headlines[i] else None
        published = _optional_date(dates[i]) if len(dates) == count else None
        if publisher or title:
            sources.append(SourceRecord(publisher=publisher and publisher[:300], title=title, published_date=published))
    if not sources:
        article = cell(cells.get("source_article"))
        if article:
            sources.append(SourceRecord(title=article[:1000]))
    return sources


def _optional_date(text: str):
    try:
        return v.parse_date(text)[0] if text else None
    except v.FieldError:
        return None


def _date_columns(path: str | Path, names: list[str], column_map: dict[str, str] | None) -> list[str]:
    return dataset_date_columns(path, names, column_map, UCDP_FIELD_COLUMNS, READER.title, ("date_start", "date_end"))


READER = Reader(
    name="ucdp",
    title="UCDP GED",
    read=read_ucdp,
    date_columns=_date_columns,
    containers=("csv", "geojson"),
    signature=UCDP_SIGNATURE,
)
