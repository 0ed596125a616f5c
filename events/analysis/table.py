"""The event table used by exports: events with their facility and all their sources, one row per event."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, text

from events.analysis.reports import ReportOptions, report_filters, run_report_sql

#: Columns of events_enriched written by `strikedb export`, in order.
EXPORT_COLUMNS = (
    "public_id",
    "event_date",
    "date_precision",
    "event_time_utc",
    "latitude",
    "longitude",
    "geo_precision",
    "geocoded_by",
    "location_text",
    "country",
    "admin1",
    "facility_slug",
    "facility_name",
    "facility_type",
    "facility_operator",
    "capacity_mtpa",
    "capacity_kbd",
    "capacity_mw",
    "attack_type",
    "effect",
    "damage_level",
    "description",
    "claim_status",
    "admiralty_grade",
    "confidence",
    "source_count",
    "best_source_url",
    "best_source_publisher",
    "origin",
    "external_id",
    "created_at",
    "updated_at",
    "admin1_code",
    "admin1_reported",
    "at_sea",
)
#: Key of the loader's bookkeeping inside ``events.extra`` (events.revisions.META_KEY): not exported.
_BOOKKEEPING_KEY = "_strikedb"


def event_table(engine: Engine, options: ReportOptions | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Events with their facility and all their sources, one row per event.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions, optional
        ``since``/``until`` (event date), ``country``, ``min_confidence``.

    Returns
    -------
    columns : list of str
        :data:`EXPORT_COLUMNS` plus ``source_urls`` and ``source_publishers`` (joined by ``" | "``)
        and ``extra``: the columns of the input that have no home in the schema, as JSON text
        (the dataset's own categories: UCDP conflict and side names, ACLED actors...).
    rows : list of tuple
        Dates and times as ISO text.
    """
    where, params = report_filters(options or ReportOptions())
    select = (
        f"SELECT event_id, {', '.join(EXPORT_COLUMNS)} FROM events_enriched WHERE {where} ORDER BY event_date, event_id"
    )
    _, rows = run_report_sql(engine, select, params)
    sources = _sources_by_event(engine, [row[0] for row in rows])
    extras = _extra_by_event(engine, [row[0] for row in rows])
    columns = [*EXPORT_COLUMNS, "source_urls", "source_publishers", "extra"]
    at_sea = EXPORT_COLUMNS.index("at_sea")
    out = []
    for row in rows:
        urls, publishers = sources.get(row[0], ([], []))
        values = list(row[1:])
        values[at_sea] = None if values[at_sea] is None else bool(values[at_sea])  # 0/1 on SQLite
        out.append((*values, " | ".join(urls) or None, " | ".join(publishers) or None, extras.get(row[0])))
    return columns, out


def _extra_by_event(engine: Engine, event_ids: list[int]) -> dict[int, str]:
    """The ``extra`` of each event as JSON text (sorted keys; the loader's bookkeeping left out)."""
    import json

    wanted = set(event_ids)
    found: dict[int, str] = {}
    if not wanted:
        return found
    with engine.connect() as conn:
        for event_id, extra in conn.execute(text("SELECT id, extra FROM events WHERE extra IS NOT NULL")):
            if event_id not in wanted:
                continue
            value = json.loads(extra) if isinstance(extra, str) else extra
            if isinstance(value, dict):
                value = {k: v for k, v in value.items() if k != _BOOKKEEPING_KEY}
            if value:
                found[event_id] = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return found


def _sources_by_event(engine: Engine, event_ids: list[int]) -> dict[int, tuple[list[str], list[str]]]:
    """URLs and publishers of each event's sources, earliest published first."""
    wanted = set(event_ids)
    found: dict[int, tuple[list[str], list[str]]] = {}
    if not wanted:
        return found
    sql = text(
        "SELECT es.event_id, s.url, s.publisher FROM event_sources es JOIN sources s ON s.id = es.source_id "
        "ORDER BY es.event_id, CASE WHEN s.published_date IS NULL THEN 1 ELSE 0 END, s.published_date, s.id"
    )
    with engine.connect() as conn:
        for event_id, url, publisher in conn.execute(sql):
            if event_id not in wanted:
                continue
            urls, publishers = found.setdefault(event_id, ([], []))
            if url:
                urls.append(url)
            if publisher and publisher not in publishers:
                publishers.append(publisher)
    return found


def events_with_sources(engine: Engine, options: ReportOptions | None = None):
    """Return the events of :func:`event_table` as a GeoDataFrame of points in EPSG:4326.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    options : ReportOptions, optional

    Returns
    -------
    geopandas.GeoDataFrame
        One row per event, geometry from longitude/latitude.
    """
    import geopandas as gpd
    import pandas as pd

    columns, rows = event_table(engine, options)
    frame = pd.DataFrame.from_records(rows, columns=columns)
    geometry = gpd.points_from_xy(frame["longitude"].astype(float), frame["latitude"].astype(float), crs="EPSG:4326")
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


__all__ = ["EXPORT_COLUMNS", "event_table", "events_with_sources"]
