"""``strikedb sql``, ``strikedb report`` and ``strikedb export``: analysis from the command line.

All three open the database read-only. The work is done by :mod:`events.analysis` and
:mod:`events.export`; this module parses options and prints.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import Engine

from events import analysis, export, vocab
from events.cli.common import console, err_console, is_interactive, parse_date, state
from events.errors import InputError, QueryTimeout

FormatOption = Annotated[
    str,
    typer.Option("--format", "-F", help="table (default), csv, json, geojson (needs latitude/longitude) or parquet."),
]
OutOption = Annotated[Path | None, typer.Option("--out", "-o", help="Write to FILE instead of standard output.")]
SinceOption = Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")]
UntilOption = Annotated[str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD), inclusive.")]
CountryOption = Annotated[str | None, typer.Option("--country", help="ISO 3166-1 alpha-2 country code, e.g. RU.")]
ConfidenceOption = Annotated[
    str,
    typer.Option("--min-confidence", help=f"Weakest level to include: {', '.join(vocab.CONFIDENCE_LEVELS)}."),
]


def _options(
    since: str | None, until: str | None, country: str | None, min_confidence: str, limit: int = 20
) -> analysis.ReportOptions:
    if min_confidence not in vocab.CONFIDENCE_LEVELS:
        raise InputError(
            f"unknown confidence level {min_confidence!r}", hint=f"use one of {', '.join(vocab.CONFIDENCE_LEVELS)}"
        )
    return analysis.ReportOptions(
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        country=country,
        min_confidence=min_confidence,
        limit=limit,
    )


def print_table(columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
    """Print a result as a Rich table on standard output and the row count on standard error."""
    table = Table(*columns, title=title, show_lines=False, highlight=False)
    for row in rows:
        # Values are data, not Rich markup: escape so "[red]" in a description prints as typed.
        table.add_row(*("" if v is None else _escape(str(export.plain(v))) for v in row))
    console.print(table)
    err_console.print(f"{len(rows)} row{'s' if len(rows) != 1 else ''}", highlight=False)


def _escape(value: str) -> str:
    from rich.markup import escape

    return escape(value)


def _check_format(fmt: str, out: Path | None) -> None:
    """Refuse an unknown format, and --out with the table format."""
    if fmt == "table":
        if out is not None:
            raise InputError("--out needs a file format", hint="add --format csv, json, geojson or parquet")
        return
    if fmt not in export.TABLE_FORMATS:
        raise InputError(f"unknown format {fmt!r}", hint=f"formats: {', '.join(export.TABLE_FORMATS)}")


def _emit(columns: Sequence[str], rows: Sequence[Sequence[Any]], fmt: str, out: Path | None, title: str) -> None:
    _check_format(fmt, out)
    if fmt == "table":
        print_table(columns, rows, title)
        return
    export.write_result(columns, rows, fmt, out)
    if out is not None:
        err_console.print(f"wrote {len(rows)} rows to {out}", highlight=False)


def _read_query(query: str | None, file: Path | None) -> str:
    if query is not None and file is not None:
        raise InputError("give the query either as an argument or with -f, not both")
    if file is None:
        if query is None:
            raise InputError("no query given", hint='strikedb sql "SELECT count(*) FROM events" or -f query.sql')
        return query
    if str(file) == "-":
        return sys.stdin.read()
    try:
        return file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from exc


#: Rows the table format shows unless --limit says otherwise.
DEFAULT_TABLE_LIMIT = 1000


def sql_command(
    ctx: typer.Context,
    query: Annotated[str | None, typer.Argument(help="One SELECT/WITH statement; :name placeholders.")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the query from FILE ('-' for stdin).")] = None,
    param: Annotated[
        list[str] | None,
        typer.Option("--param", "-p", help="Bind :name, as name=value (text) or name:int=5 / :float / :date."),
    ] = None,
    fmt: FormatOption = "table",
    out: OutOption = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Cancel the query after this many seconds (0: never).")
    ] = 120.0,
    limit: Annotated[
        int,
        typer.Option(
            "--limit",
            help="Rows the table format shows (the rest are counted); 0 shows all. File formats always get every row.",
        ),
    ] = DEFAULT_TABLE_LIMIT,
) -> None:
    """Run a read-only SQL query and print the result (any write is refused; nothing is changed).

    Views for analysis: events_enriched, strikes_monthly, facility_strikes, capacity_hit_monthly.
    The function distance_km(lat1, lon1, lat2, lon2) works on SQLite and PostgreSQL.
    Rows are streamed, so huge results do not fill memory; Ctrl-C stops a running query.
    """
    sql = _read_query(query, file)
    params = analysis.parse_params(param or [])
    _check_output(fmt, out)
    if limit < 0:
        raise InputError("--limit must be 0 (all rows) or more")
    engine = state(ctx).engine(read_only=True)
    try:
        _run_sql(engine, sql, params, fmt, out, timeout, limit)
    except KeyboardInterrupt:
        err_console.print("[bold red]Interrupted[/]: the query was stopped; nothing was changed.")
        raise typer.Exit(130) from None
    finally:
        engine.dispose()


def _run_sql(
    engine: Engine, sql: str, params: dict[str, Any], fmt: str, out: Path | None, timeout: float, limit: int
) -> None:
    with analysis.open_query(engine, sql, params, timeout=timeout or None) as result:
        for note in result.notes:
            err_console.print(f"[yellow]Note:[/] {note}", highlight=False)
        if fmt == "table":
            _print_streamed_table(result.columns, result.rows, limit)
            return
        written = export.write_result(result.columns, result.rows, fmt, out)
    if out is not None:
        err_console.print(f"wrote {written} row{'s' if written != 1 else ''} to {out}", highlight=False)


def _check_output(fmt: str, out: Path | None) -> None:
    """Refuse a bad format/--out combination (and an unusable --out) before the query runs."""
    _check_format(fmt, out)
    if out is not None:  # a file format: the table format with --out was refused above
        export.resolve_output(out)


def _print_streamed_table(columns: Sequence[str], rows: Iterator[tuple[Any, ...]], limit: int) -> None:
    """Print the first ``limit`` rows as a table, then count (without keeping) the rest."""
    if not columns:
        err_console.print("the statement returned no result", highlight=False)
        return
    shown = list(rows) if limit == 0 else list(itertools.islice(rows, limit))
    table = Table(*columns, show_lines=False, highlight=False)
    for row in shown:
        table.add_row(*("" if v is None else _escape(str(export.plain(v))) for v in row))
    console.print(table)
    left_out, complete = 0, True
    try:
        for _ in rows:
            left_out += 1
    except QueryTimeout:
        complete = False
    total = len(shown) + left_out
    if left_out or not complete:
        more = f"{left_out:,}" if complete else f"at least {left_out:,}"
        err_console.print(
            f"{len(shown):,} rows shown, {more} row{'s' if left_out != 1 else ''} left out"
            + ("" if complete else " (counting stopped at the --timeout)")
            + "; raise --limit, or write them all with --format csv -o FILE",
            highlight=False,
        )
    else:
        err_console.print(f"{total} row{'s' if total != 1 else ''}", highlight=False)


def report_command(
    ctx: typer.Context,
    name: Annotated[str | None, typer.Argument(help="Report name; omit to list the reports.")] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    country: CountryOption = None,
    min_confidence: ConfidenceOption = "unverified",
    limit: Annotated[int, typer.Option("--limit", help="Rows for top-facilities and new-since.")] = 20,
    fmt: FormatOption = "table",
    out: OutOption = None,
) -> None:
    """Print a canned analysis: monthly, top-facilities, confidence, new-since."""
    if name is None:
        table = Table("report", "what it shows")
        for report in analysis.REPORTS.values():
            table.add_row(report.name, report.description)
        console.print(table)
        return
    options = _options(since, until, country, min_confidence, limit)
    engine = state(ctx).engine(read_only=True)
    try:
        columns, rows = analysis.run_report(engine, name, options)
    finally:
        engine.dispose()
    _emit(columns, rows, fmt, out, title=analysis.REPORTS[name].description)


def export_command(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", "-F", help="csv, geojson, gpkg (GeoPackage) or parquet.")] = "csv",
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Target file (required for gpkg and parquet).")
    ] = None,
    since: SinceOption = None,
    until: UntilOption = None,
    country: CountryOption = None,
    min_confidence: ConfidenceOption = "unverified",
) -> None:
    """Export events with facility, confidence and sources (readable by QGIS, ogrinfo, pandas)."""
    if fmt not in export.EXPORT_FORMATS:
        raise InputError(f"unknown export format {fmt!r}", hint=f"formats: {', '.join(export.EXPORT_FORMATS)}")
    if fmt in export.BINARY_FORMATS and out is None:
        raise InputError(f"{fmt} export needs a file", hint=f"add --out events.{fmt}")
    options = _options(since, until, country, min_confidence)
    engine = state(ctx).engine(read_only=True)
    status = err_console.status("reading events...") if is_interactive() else nullcontext()
    try:
        with status:
            gdf = analysis.events_with_sources(engine, options)
            export.export_events(gdf, fmt, out)
    finally:
        engine.dispose()
    if out is not None:
        err_console.print(f"exported {len(gdf)} events to {out} ({fmt})", highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``sql``, ``report`` and ``export`` to the root command."""
    app.command("sql")(sql_command)
    app.command("report")(report_command)
    app.command("export")(export_command)
