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
from typing import Unpack

import events.readers.datasets as datasets
from events import validate as v
from events.readers.base import ReadOptions
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


def read_ucdp(path: str | Path, **options: Unpack[ReadOptions]) -> Iterator[EventRecord | RejectedRecord]:
    """Stream a UCDP GED file as event records, ``origin`` ``ucdp`` and ``external_id`` the ``relid``.

    The file is a GED CSV (the 49-column layout) or GED GeoJSON features with the same properties
    (positions from the geometry when the properties have none). Options, result and errors as for
    :func:`events.readers.datasets.read_dataset`, with :data:`UCDP_REQUIRED` as the core columns.
    """
    return datasets.read_dataset(path, UCDP, **options)


def _ucdp_row(path: str, line: int, raw: str, cells: dict[str, str], dates: DateRules | None):
    row, record = datasets.dataset_record(
        path, line, raw, cells, dates, origin="ucdp", id_column="relid", id_label="UCDP relid", date_column="date_start"
    )
    record.date_precision = datasets.precision(row, "date_prec", cells.get("date_prec"), UCDP_DATE_PRECISION) or "day"
    record.latitude, record.longitude = datasets.required_coordinates(row, cells)
    record.geo_precision = datasets.precision(row, "where_prec", cells.get("where_prec"), UCDP_WHERE_PRECISION)
    country_text = cell(cells.get("country"))
    if country_text is not None:
        try:
            record.country = v.parse_country(country_text)
        except v.FieldError:
            record.country = None  # kept in extra below; an unknown name must not drop the event
    record.admin1 = cell(cells.get("adm_1"))
    record.location_text = cell(cells.get("where_coordinates"))
    record.fatalities_low = datasets.int_cell(row, "low", cells.get("low"))
    record.fatalities_best = datasets.int_cell(row, "best", cells.get("best"))
    record.fatalities_high = datasets.int_cell(row, "high", cells.get("high"))
    record.claim_status = "reported"
    record.sources = _ucdp_sources(cells)
    record.extra = datasets.extra_cells(cells, _UCDP_MAPPED - {"country"} if record.country is None else _UCDP_MAPPED)
    return datasets.finish(row, record, raw)


def _ucdp_sources(cells: dict[str, str]) -> list[SourceRecord]:
    """One source per ``source_office`` entry, paired with date and headline when the lists align."""
    offices = [p.strip() for p in (cell(cells.get("source_office")) or "").split(";")]
    dates = [p.strip() for p in (cell(cells.get("source_date")) or "").split(";")]
    headlines = [p.strip() for p in (cell(cells.get("source_headline")) or "").split(";")]
    count = max(len(offices) if offices != [""] else 0, len(headlines) if headlines != [""] else 0)
    sources: list[SourceRecord] = []
    for i in range(min(count, datasets.MAX_SOURCES_PER_ROW)):
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


UCDP = datasets.Dataset(
    name="UCDP GED",
    required=UCDP_REQUIRED,
    date_columns=("date_start", "date_end"),
    convert=_ucdp_row,
    fields=UCDP_FIELD_COLUMNS,
)
READER = UCDP.reader(name="ucdp", title="UCDP GED", read=read_ucdp, signature=UCDP_SIGNATURE, id_column="relid")
