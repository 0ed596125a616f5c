"""``strikedb demo``: create the database, load the bundled samples, write a map."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from events.cli.common import console, state


def demo_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML map to write.", dir_okay=False)] = Path(
        "strikes_map.html"
    ),
    offline: Annotated[
        bool, typer.Option("--offline", help="Write a map that works with no network (the default).")
    ] = False,
    cdn: Annotated[
        bool, typer.Option("--cdn", help="Link the map's scripts from a CDN (smaller; needs the network).")
    ] = False,
) -> None:
    """Create the database, load the bundled gazetteer and sample events, and write a map."""
    # Imported here: the demo pulls in ingest, geopandas and folium, which other commands do not need.
    from events.demo import run_demo

    report = run_demo(state(ctx).url, out, offline=not cdn or offline)
    table = Table("step", "result", title="strikedb demo")
    table.add_row("database", f"{report.database} (schema {report.revision})")
    f = report.facilities
    table.add_row("facilities", f"{f.read} read: {f.created} created, {f.matched} matched, {f.unchanged} unchanged")
    e = report.events
    table.add_row(
        "events",
        f"{e.read} read: {e.inserted} inserted, {e.merged} merged, {e.updated} updated, "
        f"{e.unchanged} unchanged, {e.rejected} rejected",
    )
    table.add_row("map", f"{report.map_path} ({report.map_bytes / 1000:.0f} kB, {report.map_summary['events']} events)")
    console.print(table)
    console.print(
        f"next: open {report.map_path} in a browser, or try\n"
        '  strikedb sql "SELECT month, country, strikes FROM strikes_monthly ORDER BY month"\n'
        "  strikedb report monthly",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add ``strikedb demo`` to the root app."""
    app.command("demo")(demo_command)
