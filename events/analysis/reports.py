"""Canned reports: strikes per month, top facilities, confidence levels, new events.

Each report is trusted SQL over the ``events_enriched`` view, filtered by :class:`ReportOptions`
(:func:`report_filters`) and run by :func:`run_report_sql`, which gives the same plain values on
both backends. :data:`REPORTS` lists them by name for ``strikedb report``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Date, DateTime, Engine, bindparam, text

from events import vocab
from events.errors import NotFoundError, QueryError
from events.values import db_value

#: Parameters bound with a date or timestamp type (the rest are inferred).
_DATE_TYPES: dict[str, Any] = {"since": Date(), "until": Date(), "since_ts": DateTime()}


@dataclass(frozen=True)
class ReportOptions:
    """Filters shared by the canned reports; each report uses the ones that make sense for it."""

    since: dt.date | None = None
    until: dt.date | None = None
    country: str | None = None
    min_confidence: str = "unverified"
    limit: int = 20


@dataclass(frozen=True)
class Report:
    """A canned analysis: a name, what it answers, and the function that runs it.

    ``run(engine, options)`` reads the database behind ``engine`` with the filters of
    :class:`ReportOptions` that make sense for it and returns ``(columns, rows)``: the column
    names and one tuple of plain values per row.
    """

    name: str
    description: str
    run: Callable[[Engine, ReportOptions], tuple[list[str], list[tuple[Any, ...]]]]


def report_filters(options: ReportOptions, *, date_column: str = "event_date") -> tuple[str, dict[str, Any]]:
    """Build a WHERE clause (on events_enriched) and its parameters from the options."""
    clauses = ["confidence_rank <= :max_rank"]
    params: dict[str, Any] = {"max_rank": vocab.confidence_rank(options.min_confidence)}
    if options.since:
        clauses.append(f"{date_column} >= :since")
        params["since"] = options.since
    if options.until:
        clauses.append(f"{date_column} <= :until")
        params["until"] = options.until
    if options.country:
        clauses.append("country = :country")
        params["country"] = options.country.upper()
    return " AND ".join(clauses), params


def run_report_sql(engine: Engine, sql: str, params: dict[str, Any]) -> tuple[list[str], list]:
    """Run trusted report SQL with typed date parameters; values come back as plain Python.

    Dates and times come back as ISO text and ``Decimal`` as int or float
    (:func:`events.values.db_value`), the same from both backends.
    """
    types = [bindparam(name, type_=type_) for name, type_ in _DATE_TYPES.items() if name in params]
    statement = text(sql).bindparams(*types)
    with engine.connect() as conn:
        result = conn.execute(statement, params)
        return list(result.keys()), [tuple(db_value(v) for v in row) for row in result]


#: The events the strike reports count, as the strike views do (``strikes_monthly``...): strikes on
#: energy and rail infrastructure. An event about something else (a battle at an airfield in a UCDP
#: file) is no strike; ``strikes_monthly_all`` counts every event by category.
STRIKE_FILTER = "target_category IN ('energy', 'rail')"


def monthly_summary(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Strikes per month: total, per confidence level, facilities and countries hit.

    A report's ``run`` (see :class:`Report`), filtered by ``since``/``until`` (event date),
    ``country`` and ``min_confidence``. Strikes on energy and rail infrastructure only
    (:data:`STRIKE_FILTER`), as in the ``strikes_monthly`` view.
    """
    where, params = report_filters(options)
    where = f"{STRIKE_FILTER} AND {where}"
    sql = f"""
        SELECT month,
               COUNT(*) AS strikes,
               SUM(CASE WHEN confidence = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
               SUM(CASE WHEN confidence = 'likely' THEN 1 ELSE 0 END) AS likely,
               SUM(CASE WHEN confidence = 'possible' THEN 1 ELSE 0 END) AS possible,
               SUM(CASE WHEN confidence = 'unverified' THEN 1 ELSE 0 END) AS unverified,
               COUNT(DISTINCT facility_id) AS facilities_hit,
               COUNT(DISTINCT country) AS countries
        FROM events_enriched
        WHERE {where}
        GROUP BY month
        ORDER BY month"""
    return run_report_sql(engine, sql, params)


def top_facilities(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The most frequently struck facilities, with capacity and first/last strike.

    A report's ``run`` (see :class:`Report`): the ``limit`` most struck, filtered by
    ``since``/``until``, ``country`` and ``min_confidence``.
    """
    where, params = report_filters(options)
    params["limit"] = options.limit
    sql = f"""
        SELECT facility_slug, facility_name, facility_type, country,
               COUNT(*) AS strikes,
               SUM(CASE WHEN confidence = 'confirmed' THEN 1 ELSE 0 END) AS confirmed,
               MIN(event_date) AS first_strike,
               MAX(event_date) AS last_strike,
               MAX(capacity_mtpa) AS capacity_mtpa,
               MAX(capacity_mw) AS capacity_mw
        FROM events_enriched
        WHERE facility_id IS NOT NULL AND {where}
        GROUP BY facility_id, facility_slug, facility_name, facility_type, country
        ORDER BY strikes DESC, last_strike DESC, facility_slug
        LIMIT :limit"""
    return run_report_sql(engine, sql, params)


def confidence_breakdown(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """How many strikes sit at each confidence level, and how well sourced they are.

    A report's ``run`` (see :class:`Report`), filtered by ``since``/``until`` and ``country``
    (``min_confidence`` is ignored: every level is shown). One row per level, best first,
    including levels with no strikes. Strikes on energy and rail infrastructure only
    (:data:`STRIKE_FILTER`).
    """
    where, params = report_filters(ReportOptions(since=options.since, until=options.until, country=options.country))
    where = f"{STRIKE_FILTER} AND {where}"
    sql = f"""
        WITH levels (confidence, confidence_rank) AS (
            VALUES ('confirmed', 0), ('likely', 1), ('possible', 2), ('unverified', 3)
        ),
        chosen AS (SELECT * FROM events_enriched WHERE {where})
        SELECT l.confidence,
               COUNT(c.event_id) AS strikes,
               ROUND(CAST(100.0 * COUNT(c.event_id) / NULLIF((SELECT COUNT(*) FROM chosen), 0) AS NUMERIC), 1)
                   AS percent,
               COUNT(DISTINCT c.facility_id) AS facilities,
               SUM(CASE WHEN c.source_count > 0 THEN 1 ELSE 0 END) AS with_sources,
               SUM(CASE WHEN c.admiralty_grade IS NOT NULL THEN 1 ELSE 0 END) AS graded
        FROM levels l LEFT JOIN chosen c ON c.confidence = l.confidence
        GROUP BY l.confidence, l.confidence_rank
        ORDER BY l.confidence_rank"""
    columns, rows = run_report_sql(engine, sql, params)
    # COUNT over an empty LEFT JOIN gives 0 but SUM gives NULL: report zero, not "unknown".
    return columns, [tuple(0 if v is None and i >= 4 else v for i, v in enumerate(row)) for row in rows]


def new_since(engine: Engine, options: ReportOptions) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Events added to the database on or after ``options.since`` (by ``created_at``), newest first.

    A report's ``run`` (see :class:`Report`). ``since`` is required; ``country``,
    ``min_confidence`` and ``limit`` apply.

    Raises
    ------
    QueryError
        When ``since`` is missing.
    """
    if options.since is None:
        raise QueryError("the new-since report needs a date", hint="add --since YYYY-MM-DD")
    where, params = report_filters(ReportOptions(country=options.country, min_confidence=options.min_confidence))
    params["since_ts"] = dt.datetime.combine(options.since, dt.time())
    params["limit"] = options.limit
    sql = f"""
        SELECT public_id, event_date, created_at, facility_name, location_text, country, confidence,
               admiralty_grade, best_source_url
        FROM events_enriched
        WHERE created_at >= :since_ts AND {where}
        ORDER BY created_at DESC, event_id DESC
        LIMIT :limit"""
    return run_report_sql(engine, sql, params)


REPORTS: dict[str, Report] = {
    report.name: report
    for report in (
        Report(
            "monthly",
            "energy and rail strikes per month by confidence level, facilities, countries",
            monthly_summary,
        ),
        Report(
            "top-facilities", "most frequently struck facilities with capacity and first/last strike", top_facilities
        ),
        Report(
            "confidence",
            "energy and rail strikes per confidence level and their sources",
            confidence_breakdown,
        ),
        Report("new-since", "events added to the database since --since (by created_at)", new_since),
    )
}


def run_report(engine: Engine, name: str, options: ReportOptions | None = None) -> tuple[list[str], list]:
    """Run the canned report ``name``.

    Parameters
    ----------
    engine : sqlalchemy.Engine
    name : str
        A key of :data:`REPORTS`.
    options : ReportOptions, optional

    Returns
    -------
    columns, rows

    Raises
    ------
    NotFoundError
        For an unknown report name.
    """
    report = REPORTS.get(name)
    if report is None:
        raise NotFoundError(f"no report named {name!r}", hint=f"reports: {', '.join(REPORTS)}")
    return report.run(engine, options or ReportOptions())


__all__ = ["REPORTS", "STRIKE_FILTER", "Report", "ReportOptions", "report_filters", "run_report", "run_report_sql"]
