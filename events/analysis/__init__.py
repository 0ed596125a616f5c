"""Read-only SQL for analysts, canned reports and the event table used by exports.

* :mod:`events.analysis.sql`: :func:`open_query` / :func:`run_query` run one analyst statement so
  that it cannot change anything (three walls: the statement check, a read-only transaction or
  SQLite authorizer, and a rollback), streaming the rows; :func:`parse_params` reads ``--param``.
* :mod:`events.analysis.reports`: the canned reports (:data:`REPORTS`, :func:`run_report`).
* :mod:`events.analysis.table`: :func:`event_table` and :func:`events_with_sources`, the events
  with their sources as written by ``strikedb export``.
"""

from __future__ import annotations

from events.analysis.reports import REPORTS, Report, ReportOptions, run_report
from events.analysis.sql import (
    QueryResult,
    Statement,
    TextParam,
    check_read_only,
    open_query,
    parse_params,
    read_only_connection,
    run_query,
)
from events.analysis.table import EXPORT_COLUMNS, event_table, events_with_sources

__all__ = [
    "EXPORT_COLUMNS", "REPORTS", "QueryResult", "Report", "ReportOptions", "Statement", "TextParam", "check_read_only",
    "event_table", "events_with_sources", "open_query", "parse_params", "read_only_connection", "run_query",
    "run_report",
]  # fmt: skip
