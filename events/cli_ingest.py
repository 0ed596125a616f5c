"""``strikedb ingest`` and ``strikedb events ...``: load event files, inspect and correct events.

The work is done by :mod:`events.ingest` and :mod:`events.eventops`; this module parses options,
draws the progress bar (stderr) and prints the summary and the problems.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Column, Table

from events import duplicates, eventops, publisher_ops, vocab
from events.cli_common import (
    console,
    err_console,
    finite_km,
    is_interactive,
    set_interrupt_note,
    state,
    text_encoding,
)
from events.errors import InputError
from events.ingest import DEFAULT_BATCH_SIZE, IngestReport, ingest_file
from events.models import os_user
from events.readers import FORMATS, looks_like_json, parse_column_map, template_header

#: Problems printed after a run; the rest are in ``rejected_rows``.
PROBLEMS_SHOWN = 20

events_app = typer.Typer(help="List, show and correct events: history, merge, split, delete.", no_args_is_help=True)


def _count_lines(path: Path) -> int | None:
    """Count the lines of a file cheaply (a progress total; multi-line cells make it an estimate)."""
    try:
        with path.open("rb") as fh:
            return sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b""))
    except OSError:
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
    radius_km: Annotated[
        float,
        typer.Option(
            "--radius-km", min=0.0, callback=finite_km, help="Link events within this distance of a known facility."
        ),
    ] = 3.0,
    dedup_km: Annotated[
        float,
        typer.Option(
            "--dedup-km", min=0.0, callback=finite_km, help="Same-date reports within this distance are one strike."
        ),
    ] = 2.0,
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
    column_map = parse_column_map(mapping) if mapping else None
    engine = state(ctx).engine()
    any_rejected = False
    for path in files:
        report = _ingest_one(
            engine,
            path,
            fmt=fmt,
            encoding=encoding,
            delimiter=delimiter,
            column_map=column_map,
            id_column=id_column,
            date_order=date_order,
            date_format=date_format,
            strict=strict,
            dry_run=dry_run,
            batch_size=batch_size,
            radius_km=radius_km,
            dedup_km=dedup_km,
            user=user or os_user(),
        )
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


def _date(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{option} {value!r} is not a date", hint="write dates as YYYY-MM-DD") from exc


@events_app.command("list")
def events_list(
    ctx: typer.Context,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="At most this many events.")] = 50,
    since: Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD).")] = None,
    country: Annotated[str | None, typer.Option("--country", help="ISO alpha-2 code, e.g. RU.")] = None,
    min_confidence: Annotated[
        str | None, typer.Option("--min-confidence", help=f"One of {', '.join(vocab.CONFIDENCE_LEVELS)}.")
    ] = None,
) -> None:
    """List events, newest first."""
    if min_confidence is not None and min_confidence not in vocab.CONFIDENCE_LEVELS:
        raise InputError(f"unknown confidence level {min_confidence!r}")
    rows = eventops.list_events(
        state(ctx).engine(read_only=True),
        limit=limit,
        since=_date(since, "--since"),
        until=_date(until, "--until"),
        country=country,
        min_confidence=min_confidence,
    )
    table = Table("date", "facility / location", "country", "attack", "claim", "confidence", "sources")
    # The id is what users copy into other commands: never truncate it.
    table.columns.insert(0, Column("public id", no_wrap=True, min_width=16))
    for row in rows:
        place = row["facility_name_reported"] or row["location_text"] or ""
        table.add_row(
            row["public_id"],
            str(row["event_date"]),
            place[:60],
            row["country"] or "",
            row["attack_type"],
            row["claim_status"],
            row["confidence"],
            str(row["sources"]),
        )
    console.print(table)


@events_app.command("show")
def events_show(ctx: typer.Context, public_id: Annotated[str, typer.Argument(help="SDB-... id.")]) -> None:
    """Show one event with its sources."""
    event = eventops.get_event(state(ctx).engine(read_only=True), public_id)
    table = Table("column", "value", title=event["public_id"], show_header=False)
    for column, value in event.items():
        if column in ("sources", "id"):
            continue
        shown = json.dumps(value, ensure_ascii=False, default=str) if isinstance(value, dict) else str(value)
        table.add_row(column, "" if value is None else shown)
    console.print(table)
    explained = publisher_ops.explain_event(state(ctx).engine(read_only=True), public_id)
    sources = Table("url", "publisher", "kind", "grade", "title", "role", "evidence", title="sources")
    for source, why in zip(event["sources"], explained["sources"], strict=True):
        kind = why["kind"] or ""
        if why["party"]:
            kind += f" ({why['party']}, {why['voice'] or 'civil'})"
        sources.add_row(
            source["url"] or "", why["publisher"] or "", kind, why["reliability"], source["title"] or "",
            source["role"] or "", why["signal"],
        )  # fmt: skip
    console.print(sources)
    console.print("[bold]how the level was reached[/]")
    for line in explained["reasons"]:
        console.print(f"  - {line}", highlight=False, soft_wrap=True)
    if explained["stale"]:
        console.print(
            "  [yellow]note:[/] the registry in force now grades this event differently; "
            "`strikedb publishers sync` regrades the events of changed publishers",
            highlight=False,
        )
    for line in explain(event, duplicates.candidates_of(state(ctx).engine(read_only=True), event["public_id"])):
        console.print(line, highlight=False, markup=False)


@events_app.command("history")
def events_history(ctx: typer.Context, public_id: Annotated[str, typer.Argument(help="SDB-... id.")]) -> None:
    """Show the revisions of an event (also of a deleted or merged-away one)."""
    revisions = eventops.history(state(ctx).engine(read_only=True), public_id)
    table = Table("when (UTC)", "action", "by", "previous", "changes", "reason", title=public_id.upper())
    for rev in revisions:
        table.add_row(
            str(rev["changed_at"])[:19],
            rev["action"],
            rev["changed_by"] or "",
            json.dumps(rev["previous"], ensure_ascii=False, default=str)[:300],
            json.dumps(rev["changes"], ensure_ascii=False, default=str)[:300] if rev["changes"] else "",
            rev["reason"] or "",
        )
    if not revisions:
        console.print(f"{public_id.upper()} has no revisions (never changed since it was loaded).")
        return
    console.print(table)


@events_app.command("merge")
def events_merge(
    ctx: typer.Context,
    keep: Annotated[str, typer.Argument(help="Event to keep.")],
    other: Annotated[str, typer.Argument(help="Event merged into KEEP and removed.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded in the history).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded (default: OS user).")] = None,
) -> None:
    """Merge event OTHER into KEEP (they report the same strike)."""
    engine = state(ctx).engine()
    eventops.merge_events(engine, keep, other, user=user or os_user(), reason=reason)
    duplicates.mark_merged(engine, keep, other, user=user or os_user(), reason=reason)
    event = eventops.get_event(engine, keep)
    console.print(
        f"merged {other.upper()} into {event['public_id']}: {len(event['sources'])} source(s), "
        f"credibility {event['info_credibility']}, confidence {event['confidence']}"
    )


@events_app.command("duplicates")
def events_duplicates(
    ctx: typer.Context,
    min_score: Annotated[float, typer.Option("--min-score", min=0.0, max=100.0, help="Only pairs scoring this.")] = 0.0,
    status: Annotated[str, typer.Option("--status", help="open (default), distinct, merged or all.")] = "open",
) -> None:
    """List pairs of events that may be one strike (duplicate candidates), best score first."""
    if status not in (*vocab.CANDIDATE_STATUSES, "all"):
        raise InputError(f"unknown status {status!r}", hint="use open, distinct, merged or all")
    rows = duplicates.list_candidates(state(ctx).engine(read_only=True), min_score=min_score, status=status)
    if not rows:
        console.print(f"no {status if status != 'all' else ''} duplicate candidates".replace("  ", " "))
        return
    table = Table(Column("event", no_wrap=True), Column("other", no_wrap=True), "score", "a", "b", "reasons")
    for row in rows:
        table.add_row(
            row["event_public_id"], row["other_public_id"], f"{row['score']:.0f}", _side(row, "a"), _side(row, "b"),
            "; ".join(row["reasons"]) + (f" [{row['status']}]" if status == "all" else ""),
        )  # fmt: skip
    console.print(table)
    console.print(
        "resolve with `strikedb events merge KEEP OTHER` or `strikedb events distinct A B`", highlight=False
    )


def _side(row: dict[str, Any], side: str) -> str:
    place = row[f"{side}_facility"] or row[f"{side}_location"] or ""
    text = (row[f"{side}_description"] or "")[:80]
    return f"{row[f'{side}_date']} {place[:40]} {text}".strip()


@events_app.command("distinct")
def events_distinct(
    ctx: typer.Context,
    a: Annotated[str, typer.Argument(help="One event.")],
    b: Annotated[str, typer.Argument(help="The other event.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded (default: OS user).")] = None,
) -> None:
    """Record that A and B are different strikes: the pair is not proposed again, nor merged by an import."""
    duplicates.mark_distinct(state(ctx).engine(), a, b, user=user or os_user(), reason=reason)
    console.print(f"{a.upper()} and {b.upper()} are recorded as different strikes", highlight=False)


def explain(event: dict[str, Any], candidates: list[dict[str, Any]]) -> list[str]:
    """Lines saying why an event is linked (or not), what it is about, what was merged into it."""
    lines = ["why:"]
    evidence = event.get("link_evidence") or {}
    if event.get("facility_id") is not None:
        words = f"; words: {', '.join(evidence['words'])}" if evidence.get("words") else ""
        distance = event.get("facility_distance_km")
        lines.append(
            f"  facility link: {event.get('facility_match')}"
            + (f", {distance:.2f} km" if distance is not None else "")
            + words
            + (f" - {evidence['rule']}" if evidence.get("rule") else "")
        )
    else:
        lines.append("  facility link: none" + (f" - {evidence['warning']}" if evidence.get("warning") else ""))
    lines.append(f"  target category: {event.get('target_category')} ({event.get('target_basis') or 'not decided'})")
    reports = ((event.get("extra") or {}).get("_strikedb") or {}).get("reports") or {}
    for merged in reports.values():
        rule = "; ".join(merged.get("rule") or []) or "merged"
        lines.append(f"  merged report {merged.get('public_id', '')} from {merged.get('where', '?')}: {rule}")
    for pair in candidates:
        other = pair["other_public_id"] if pair["event_public_id"] == event["public_id"] else pair["event_public_id"]
        lines.append(
            f"  duplicate candidate {other} [{pair['status']}] score {pair['score']:.0f}: {'; '.join(pair['reasons'])}"
        )
    return lines


@events_app.command("split")
def events_split(
    ctx: typer.Context,
    public_id: Annotated[str, typer.Argument(help="Event to split.")],
    urls: Annotated[list[str], typer.Argument(help="Source URLs that belong to a different strike.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded in the history).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded (default: OS user).")] = None,
) -> None:
    """Move the listed sources of an event to a new event (undo a wrong merge)."""
    new_id = eventops.split_event(state(ctx).engine(), public_id, urls, user=user or os_user(), reason=reason)
    console.print(f"split {len(urls)} source(s) off {public_id.upper()} into {new_id}")


@events_app.command("delete")
def events_delete(
    ctx: typer.Context,
    public_id: Annotated[str, typer.Argument(help="Event to delete.")],
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded in the history).")] = None,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded (default: OS user).")] = None,
) -> None:
    """Delete an event; its values stay in the history and re-imports do not bring it back."""
    eventops.delete_event(state(ctx).engine(), public_id, user=user or os_user(), reason=reason)
    console.print(f"deleted {public_id.upper()} (see `strikedb events history {public_id.upper()}`)")


def register(app: typer.Typer) -> None:
    """Add ``ingest`` and the ``events`` group to the root app."""
    app.command("ingest")(ingest)
    app.add_typer(events_app, name="events")
