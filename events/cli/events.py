"""``strikedb events ...``: list, show and correct events (history, merge, split, delete, duplicates).

The work is done by :mod:`events.eventops`, :mod:`events.duplicates` and :mod:`events.publisher_ops`;
this module parses options and prints.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from events import duplicates, eventops, publisher_ops, vocab
from events.cli.common import ReasonOption, UserOption, console, parse_date, state
from events.errors import InputError
from events.models import os_user

events_app = typer.Typer(help="List, show and correct events: history, merge, split, delete.", no_args_is_help=True)


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
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
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
    # The stored sources come first; then the voices a dataset row names behind its outlets.
    stored = len(event["sources"])
    voices = [{"url": None, "title": why["speaker"], "role": "voice"} for why in explained["sources"][stored:]]
    for source, why in zip([*event["sources"], *voices], explained["sources"], strict=True):
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
    reason: ReasonOption = None,
    user: UserOption = None,
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
    console.print("resolve with `strikedb events merge KEEP OTHER` or `strikedb events distinct A B`", highlight=False)


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
    user: UserOption = None,
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
    reason: ReasonOption = None,
    user: UserOption = None,
) -> None:
    """Move the listed sources of an event to a new event (undo a wrong merge)."""
    new_id = eventops.split_event(state(ctx).engine(), public_id, urls, user=user or os_user(), reason=reason)
    console.print(f"split {len(urls)} source(s) off {public_id.upper()} into {new_id}")


@events_app.command("delete")
def events_delete(
    ctx: typer.Context,
    public_id: Annotated[str, typer.Argument(help="Event to delete.")],
    reason: ReasonOption = None,
    user: UserOption = None,
) -> None:
    """Delete an event; its values stay in the history and re-imports do not bring it back."""
    eventops.delete_event(state(ctx).engine(), public_id, user=user or os_user(), reason=reason)
    console.print(f"deleted {public_id.upper()} (see `strikedb events history {public_id.upper()}`)")


def register(app: typer.Typer) -> None:
    """Add the ``events`` group to the root app."""
    app.add_typer(events_app, name="events")
