"""``strikedb ingest``: load event files.

The work is done by :mod:`events.ingest`; this module parses options, draws the progress bar
(stderr) and prints the summary and the problems. The ``events`` group is in :mod:`events.cli.events`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from events import dedup, geo
from events.cli.common import (
    RadiusKmOption,
    console,
    err_console,
    finite_km,
    is_interactive,
    set_interrupt_note,
    state,
    text_encoding,
)
from events.errors import InputError
from events.ingest import DEFAULT_BATCH_SIZE, IngestReport, RunOptions, ingest_file
from events.models import os_user
from events.readers import FORMATS, PlanOptions, looks_like_json, open_binary, parse_column_map, template_header

#: Problems printed after a run; the rest are in ``rejected_rows``.
PROBLEMS_SHOWN = 20


def _count_lines(path: Path) -> int | None:
    """Count the lines of a file cheaply (a progress total; multi-line cells make it an estimate)."""
    try:
        with open_binary(path) as fh:  # a zipped CSV: the lines of the file inside
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except (OSError, InputError):
        return None


def ingest(
    ctx: typer.Context,
    files: Annotated[list[Path] | None, typer.Argument(help="Event files to load.", show_default=False)] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"Input format: {', '.join(FORMATS)} (auto: from the content).")
    ] = "auto",
    encoding: Annotated[
        str | None, typer.Option("--encoding", callback=text_encoding, help="Text encoding (default: UTF-8).")
    ] = None,
    delimiter: Annotated[str | None, typer.Option("--delimiter", help="CSV delimiter (default: sniffed).")] = None,
    mapping: Annotated[
        list[str] | None,
        typer.Option("--map", help="COLUMN=FIELD: map an input column (repeatable; FIELD may be extra/ignore)."),
    ] = None,
    id_column: Annotated[
        str | None,
        typer.Option("--id-column", help="Column holding each row's unique id (default: recognised from the header)."),
    ] = None,
    dataset: Annotated[
        str | None,
        typer.Option(
            "--dataset",
            help="Id namespace of a generic CSV/GeoJSON file: files of one dataset update each other by id "
            "(default: each file name is its own dataset).",
        ),
    ] = None,
    date_order: Annotated[
        str | None,
        typer.Option("--date-order", help="dmy or mdy: order of slash dates (default: decided from the file)."),
    ] = None,
    date_format: Annotated[
        str | None, typer.Option("--date-format", help="strptime pattern of the dates, e.g. '%d/%m/%Y %H:%M'.")
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Load nothing if any row is rejected.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Run, report, roll back.")] = False,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Rows per transaction.")] = DEFAULT_BATCH_SIZE,
    radius_km: RadiusKmOption = geo.DEFAULT_RADIUS_KM,
    dedup_km: Annotated[
        float,
        typer.Option(
            "--dedup-km", min=0.0, callback=finite_km, help="Same-date reports within this distance are one strike."
        ),
    ] = dedup.DEDUP_KM,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded on the run (default: OS user).")] = None,
    template: Annotated[
        bool, typer.Option("--template", help="Print the header line of the canonical CSV format and exit.")
    ] = False,
) -> None:
    """Load event FILES: validate, geocode, grade, deduplicate; bad rows go to rejected_rows.

    Exit code 1 when any row was rejected (the good rows are loaded unless --strict).
    """
    if template:
        console.print(template_header(), highlight=False, soft_wrap=True)
        return
    if not files:
        raise InputError("no input file given", hint="strikedb ingest FILE... (or --template for the CSV header)")
    reading = PlanOptions(
        fmt=fmt,
        encoding=encoding,
        delimiter=delimiter,
        column_map=parse_column_map(mapping) if mapping else None,
        date_order=date_order,
        date_format=date_format,
    )
    running = RunOptions(
        dry_run=dry_run, batch_size=batch_size, radius_km=radius_km, dedup_km=dedup_km, user=user or os_user(),
        dataset=dataset,
    )  # fmt: skip
    engine = state(ctx).engine()
    any_rejected = False
    for path in files:
        report = _ingest_one(engine, path, id_column=id_column, strict=strict, **reading, **running)
        _print_summary(report)
        _print_problems(report)
        any_rejected = any_rejected or report.rejected > 0
    if any_rejected:
        raise typer.Exit(1)


def _ingest_one(engine: Any, path: Path, **options: Any) -> IngestReport:
    try:
        return _ingest_with_progress(engine, path, **options)
    except KeyboardInterrupt as exc:
        # The library attached the run's report, with the counts of what was committed.
        report = getattr(exc, "ingest_report", None)
        if isinstance(report, IngestReport):
            set_interrupt_note(_committed_note(report))
        raise


def _committed_note(report: IngestReport) -> str:
    run = f" (run {report.run_id} is recorded as interrupted)" if report.run_id else ""
    return (
        f"{report.file}: committed before the interruption: {report.inserted:,} inserted, "
        f"{report.updated:,} updated, {report.merged:,} merged, {report.unchanged:,} unchanged, "
        f"{report.rejected:,} rejected of {report.read:,} rows read{run}; the batch in progress was "
        "rolled back. Run the same command again to complete the file (nothing is doubled)."
    )


def _ingest_with_progress(engine: Any, path: Path, **options: Any) -> IngestReport:
    if not is_interactive():
        return ingest_file(engine, path, **options)
    total = None if options["fmt"] == "geojson" or looks_like_json(path) else _count_lines(path)
    columns = [
        SpinnerColumn(),
        TextColumn(f"[bold]{path.name}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("rows"),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task("ingest", total=max(total - 1, 1) if total else None)

        def advance(rows: int) -> None:
            bar.update(task, completed=rows)

        return ingest_file(engine, path, progress=advance, **options)


def _print_summary(report: IngestReport) -> None:
    title = f"{report.file}: {report.status}" + (" (dry run: nothing kept)" if report.status == "dry_run" else "")
    columns = ["read", "inserted", "updated", "merged", "unchanged", "rejected"]
    values = [report.read, report.inserted, report.updated, report.merged, report.unchanged, report.rejected]
    if report.held_back:
        columns.append("held back")
        values.append(report.held_back)
    table = Table(*columns, "seconds", title=title)
    table.add_row(*(str(value) for value in values), f"{report.duration:.2f}")
    console.print(table)
    identity = f"rows identified by column {report.id_column!r}" if report.id_column else "no id column"
    if report.id_column and report.dataset:
        identity += f" in dataset {report.dataset!r}"
    console.print(
        f"{identity}; merged automatically: {report.merged}; new duplicate candidates for review: "
        f"{report.candidates}" + (" (see `strikedb events duplicates`)" if report.candidates else ""),
        highlight=False,
    )
    if report.id_warning:
        err_console.print(f"[bold yellow]Warning:[/] {report.id_warning}", highlight=False)
    for warning in report.warnings[:PROBLEMS_SHOWN]:
        err_console.print(f"warning: {warning}", highlight=False, markup=False)
    if len(report.warnings) > PROBLEMS_SHOWN:
        err_console.print(f"... and {len(report.warnings) - PROBLEMS_SHOWN} more warnings", highlight=False)
    if report.layout:
        console.print(f"{report.file}: {report.layout}", highlight=False, markup=False)
    if report.status == "failed":
        err_console.print(
            f"[bold red]--strict:[/] {report.rejected} row(s) rejected, so none of the {report.held_back} valid "
            "row(s) of this file was loaded."
        )
    if report.source_problems:
        err_console.print(
            f"{report.source_problems} source cell(s) could not be used as links; their events were kept "
            "(rejected_rows with kind 'source'):",
            highlight=False,
            markup=False,
        )
        for problem in report.source_warnings[:PROBLEMS_SHOWN]:
            err_console.print(f"  warning: {problem}", highlight=False, markup=False)


def _print_problems(report: IngestReport) -> None:
    for problem in report.problems[:PROBLEMS_SHOWN]:
        err_console.print(str(problem), highlight=False, markup=False)
    # Every rejected row has at least one problem; only the first ones are kept on the report.
    hidden = max(report.rejected, len(report.problems)) - min(len(report.problems), PROBLEMS_SHOWN)
    if report.rejected and hidden > 0:
        where = f"SELECT * FROM rejected_rows WHERE run_id = {report.run_id}" if report.run_id else "rejected_rows"
        err_console.print(f'... and {hidden} more; see `strikedb sql "{where}"`', highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``strikedb ingest`` to the root app."""
    app.command("ingest")(ingest)
