"""The reader of ACLED exports.

ACLED exports (31-column layout since 2023; older layouts work when the core columns are present):
``NA`` is missing, ``event_id_cnty`` is the external id (so a re-import updates), ``time_precision``
1/2/3 → day/week/month, ``geo_precision`` 1/2/3 → near_town/near_town/region (code 1
is the coordinates of the town the source names, not of the site: ACLED points are never
site-precise; both precision codes stay in ``extra``, where grading reads them), ``source`` is split on
``;`` into sources named by publisher, ``notes`` is the description, ``fatalities`` the best
estimate, the numeric ``iso`` gives the country, and the attack type comes from ``sub_event_type``
(``Air/drone strike`` → drone, ``Shelling/artillery/missile attack`` → missile, anything else
unknown). ACLED does not grade claims: ``reported``. A GeoJSON file of features with the same
properties is read as well.
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

#: Columns whose presence identifies an ACLED export (after lower-casing the header).
ACLED_SIGNATURE = frozenset({"event_id_cnty", "event_date"})
#: Canonical field -> the dataset column that holds it, for ``--map COLUMN=FIELD`` on datasets.
ACLED_FIELD_COLUMNS = {
    "event_id": "event_id_cnty",
    "date": "event_date",
    "latitude": "latitude",
    "longitude": "longitude",
    "country": "country",
    "admin1": "admin1",
    "location": "location",
    "description": "notes",
    "publisher": "source",
}

ACLED_REQUIRED: tuple[str, ...] = ("event_id_cnty", "event_date", "latitude", "longitude")
# Columns with a home in EventRecord; everything else non-empty goes to ``extra``.
_ACLED_MAPPED = frozenset(
    {
        "event_id_cnty",
        "event_date",
        "iso",
        "iso3",
        "country",
        "admin1",
        "location",
        "latitude",
        "longitude",
        "source",
        "notes",
        "fatalities",
    }
)
ACLED_TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
#: ACLED's codebook: 1 = "the report names a particular town, and the coordinates of that town are
#: used"; 2 = a part of a region, a town nearby; 3 = a larger region, its capital or centroid. Code 1
#: is a town's point, so it is not ``exact``: a point that is not the site's is never linked to a
#: facility by distance alone (docs/ingest.md).
ACLED_GEO_PRECISION = {"1": "near_town", "2": "near_town", "3": "region"}
ACLED_ATTACK_TYPES = {
    "air/drone strike": "drone",
    "shelling/artillery/missile attack": "missile",
}


def read_acled(path: str | Path, **options: Unpack[ReadOptions]) -> Iterator[EventRecord | RejectedRecord]:
    """Stream an ACLED export (CSV from the Data Export Tool or API, or GeoJSON features with the same
    properties) as event records: ``origin`` ``acled``, ``external_id`` the ``event_id_cnty``.

    Options, result and errors as for :func:`events.readers.datasets.read_dataset` (``--map`` may name
    ACLED columns; the core columns are :data:`ACLED_REQUIRED`).
    """
    return datasets.read_dataset(path, ACLED, **options)


def _acled_row(path: str, line: int, raw: str, cells: dict[str, str], dates: DateRules | None):
    row, record = datasets.dataset_record(
        path,
        line,
        raw,
        cells,
        dates,
        origin="acled",
        id_column="event_id_cnty",
        id_label="ACLED event id",
        date_column="event_date",
    )
    time_precision = datasets.precision(row, "time_precision", cells.get("time_precision"), ACLED_TIME_PRECISION)
    record.date_precision = time_precision or "day"
    record.latitude, record.longitude = datasets.required_coordinates(row, cells)
    record.geo_precision = datasets.precision(row, "geo_precision", cells.get("geo_precision"), ACLED_GEO_PRECISION)
    record.country = _acled_country(cells)
    record.admin1 = cell(cells.get("admin1"))
    record.location_text = cell(cells.get("location"))
    record.description = cell(cells.get("notes"))
    record.fatalities_best = datasets.int_cell(row, "fatalities", cells.get("fatalities"))
    record.attack_type = ACLED_ATTACK_TYPES.get((cell(cells.get("sub_event_type")) or "").lower(), "unknown")
    record.claim_status = "reported"
    record.sources = _acled_sources(cells.get("source"))
    record.extra = datasets.extra_cells(cells, _ACLED_MAPPED)
    return datasets.finish(row, record, raw)


def _acled_country(cells: dict[str, str]) -> str | None:
    """ISO2 from the numeric ``iso`` (or ``iso3`` in older exports), falling back to the name."""
    for column in ("iso", "iso3", "country"):
        text = cell(cells.get(column))
        if text is None:
            continue
        try:
            return v.parse_country(text)
        except v.FieldError:
            continue
    return None


def _acled_sources(text: str | None) -> list[SourceRecord]:
    value = cell(text)
    if value is None:
        return []
    names = []
    for piece in value.split(";"):
        name = piece.strip()[:300]
        if name and name not in names:
            names.append(name)
    return [SourceRecord(publisher=name) for name in names[: datasets.MAX_SOURCES_PER_ROW]]


ACLED = datasets.Dataset(
    name="ACLED",
    required=ACLED_REQUIRED,
    date_columns=("event_date",),
    convert=_acled_row,
    fields=ACLED_FIELD_COLUMNS,
)
READER = ACLED.reader(
    name="acled", title="ACLED export", read=read_acled, signature=ACLED_SIGNATURE, id_column="event_id_cnty"
)
