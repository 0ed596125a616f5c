"""``strikedb publishers ...``: list, show and regrade the publishers that grade events.

The work is done by :mod:`events.publisher_ops`; this module parses options and prints.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Column, Table

from events import publisher_ops, vocab
from events.cli.common import UserOption, console, state
from events.models import os_user

publishers_app = typer.Typer(
    help="The publisher registry: who publishes sources, their kind and default reliability (A-F).",
    no_args_is_help=True,
)


@publishers_app.command("list")
def publishers_list(
    ctx: typer.Context,
    kind: Annotated[
        str | None, typer.Option("--kind", help=f"Only one kind: {', '.join(vocab.PUBLISHER_KINDS)}.")
    ] = None,
    search: Annotated[str | None, typer.Option("--search", "-s", help="Text in the key, name or aliases.")] = None,
    seen: Annotated[bool, typer.Option("--seen", help="Only publishers cited by stored sources.")] = False,
    limit: Annotated[int, typer.Option("--limit", min=1, help="At most this many rows.")] = 100,
) -> None:
    """List publishers, most-cited first (unknown ones seen in sources show origin 'seen')."""
    rows = publisher_ops.list_publishers(state(ctx).engine(read_only=True), kind=kind, search=search, seen_only=seen)
    table = Table(
        Column("key", no_wrap=True), "name", "kind", "party", "grade", "origin", "sources", "events",
        title=f"{len(rows)} publisher(s)" + (f", first {limit}" if len(rows) > limit else ""),
    )  # fmt: skip
    for row in rows[:limit]:
        party = f"{row['party']} {row['voice'] or ''}".strip() if row["party"] else ""
        table.add_row(
            row["key"], row["name"], row["kind"], party, row["reliability"], row["origin"],
            str(row["sources"]), str(row["events"]),
        )  # fmt: skip
    console.print(table)


@publishers_app.command("show")
def publishers_show(
    ctx: typer.Context, key: Annotated[str, typer.Argument(help="Key (reuters.com, t.me/vvgladkov), alias or URL.")]
) -> None:
    """Show one publisher: kind, grade and why, aliases, and its most recent events."""
    row = publisher_ops.get_publisher(state(ctx).engine(read_only=True), key)
    table = Table("field", "value", title=row["key"], show_header=False)
    for field in ("name", "kind", "party", "voice", "network", "reliability", "justification", "origin"):
        table.add_row(field, str(row[field] or ""))
    if row["bundled"] and row["bundled"] != row["reliability"]:
        table.add_row("bundled grade", row["bundled"])
    table.add_row("aliases", " | ".join(row["aliases"]))
    table.add_row("stored sources / events", f"{row['sources']} / {row['events']}")
    console.print(table)
    if row["recent_events"]:
        events = Table("public id", "date", "claim", "confidence", title="most recent events")
        for event in row["recent_events"]:
            events.add_row(event["public_id"], str(event["event_date"]), event["claim_status"], event["confidence"])
        console.print(events)


@publishers_app.command("set")
def publishers_set(
    ctx: typer.Context,
    key: Annotated[str, typer.Argument(help="Key, alias or URL of the publisher (a new key adds one).")],
    reliability: Annotated[str | None, typer.Option("--reliability", "-r", help="Admiralty grade A-F.")] = None,
    kind: Annotated[str | None, typer.Option("--kind", help=f"One of {', '.join(vocab.PUBLISHER_KINDS)}.")] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name.")] = None,
    party: Annotated[str | None, typer.Option("--party", help="Official publishers: party (RU, UA).")] = None,
    voice: Annotated[str | None, typer.Option("--voice", help="Official publishers: military or civil.")] = None,
    network: Annotated[str | None, typer.Option("--network", help="Owner or group (counts once).")] = None,
    justification: Annotated[str | None, typer.Option("--justification", help="One line: why this grade.")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="Why (recorded on event revisions).")] = None,
    user: UserOption = None,
) -> None:
    """Regrade a publisher; the confidence of every event it reports is recomputed (with revisions)."""
    given = {
        "reliability": reliability, "kind": kind, "name": name, "party": party, "voice": voice,
        "network": network, "justification": justification,
    }  # fmt: skip
    changes = {k: v for k, v in given.items() if v is not None}
    result = publisher_ops.set_publisher(state(ctx).engine(), key, changes, user=user or os_user(), reason=reason)
    publisher = result["publisher"]
    _print_line(
        f"{publisher['key']}: {publisher['name']}, {publisher['kind']}, reliability {publisher['reliability']}; "
        f"{result['events']} event(s) regraded, {result['changed']} changed, "
        f"{len(result['levels'])} changed confidence level",
    )
    for public_id, (old, new) in sorted(result["levels"].items())[:20]:
        console.print(f"  {public_id}: {old} -> {new}", highlight=False)


@publishers_app.command("sync")
def publishers_sync(
    ctx: typer.Context,
    legacy: Annotated[
        bool,
        typer.Option("--legacy", help="Also grade from evidence the events stored before evidence grading existed."),
    ] = False,
    user: UserOption = None,
) -> None:
    """Update the database from the bundled registry file (analysts' regrades stay) and regrade."""
    engine = state(ctx).engine()
    result = publisher_ops.sync_bundled(engine, user=user or os_user())
    _print_line(
        f"{len(result['added'])} publisher(s) added, {len(result['updated'])} updated from the bundled registry; "
        f"{result['events']} event(s) regraded, {len(result['levels'])} changed confidence level",
    )
    if legacy:
        done = publisher_ops.regrade_legacy(engine, user=user or os_user())
        _print_line(
            f"{done['events']} event(s) stored before evidence grading graded from evidence: "
            f"{done['changed']} changed, {len(done['levels'])} changed confidence level",
        )


def _print_line(text: str) -> None:
    """Print a summary line without wrapping or highlighting."""
    console.print(text, highlight=False, soft_wrap=True)


def register(app: typer.Typer) -> None:
    """Add the ``publishers`` group to the root app."""
    app.add_typer(publishers_app, name="publishers")
