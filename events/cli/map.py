"""``strikedb map``: write one self-contained HTML map of selected events.

The database is opened read-only. :mod:`events.selection` reads the events, facilities and
regions; :mod:`maps.render` draws them; this module parses options and prints a summary.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from events import vocab
from events.cli.common import console, err_console, parse_date, state
from events.errors import InputError
from events.mapping import check_output, make_map, save_map
from maps.style import DEFAULT_TITLE


def _size(n_bytes: int) -> str:
    return f"{n_bytes / 1_000_000:.1f} MB" if n_bytes >= 1_000_000 else f"{n_bytes / 1000:.0f} kB"


def map_command(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option("--out", "-o", help="HTML file to write.", dir_okay=False)],
    offline: Annotated[
        bool,
        typer.Option("--offline", help="Inline all scripts so the file works with no network (the default)."),
    ] = False,
    cdn: Annotated[
        bool,
        typer.Option(
            "--cdn",
            help="Smaller file: Leaflet and plugins from a CDN (pinned, integrity-hashed); needs the network.",
        ),
    ] = False,
    since: Annotated[str | None, typer.Option("--since", help="From this date (YYYY-MM-DD).")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Up to this date (YYYY-MM-DD), inclusive.")] = None,
    min_confidence: Annotated[
        str | None,
        typer.Option("--min-confidence", help=f"Weakest level to include: {', '.join(vocab.CONFIDENCE_LEVELS)}."),
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option("--country", help="ISO 3166-1 alpha-2 code; repeat for several.")
    ] = None,
    facility_type: Annotated[
        list[str] | None,
        typer.Option("--facility-type", help=f"Repeat for several: {', '.join(vocab.FACILITY_TYPES)}."),
    ] = None,
    bbox: Annotated[str | None, typer.Option("--bbox", help="minlon,minlat,maxlon,maxlat (WGS 84 degrees).")] = None,
    where: Annotated[
        str | None,
        typer.Option(
            "--where", help="SQL condition over the events_enriched view (read-only), e.g. \"effect = 'fire'\"."
        ),
    ] = None,
    title: Annotated[
        str, typer.Option("--title", help="Title shown on the map and as the page title.")
    ] = DEFAULT_TITLE,
    no_facilities: Annotated[bool, typer.Option("--no-facilities", help="Leave out the facilities layer.")] = False,
    no_regions: Annotated[bool, typer.Option("--no-regions", help="Leave out the strikes-per-region layer.")] = False,
) -> None:
    """Write an HTML map of the selected events: clustered, with a time window, toggles, search and heat/regions."""
    # Imported here: events.selection needs geopandas, which `strikedb --help` should not load.
    from events.selection import EventFilter, parse_bbox

    started = time.perf_counter()
    flt = EventFilter(
        since=parse_date(since, "--since"),
        until=parse_date(until, "--until"),
        min_confidence=min_confidence,
        countries=tuple(country or ()),
        facility_types=tuple(facility_type or ()),
        bbox=parse_bbox(bbox) if bbox else None,
        where=where,
    )
    if offline and cdn:
        raise InputError("--offline and --cdn contradict each other", hint="maps are offline by default; drop one")
    check_output(out)
    engine = state(ctx).engine(read_only=True)
    try:
        fmap = make_map(
            engine, flt, offline=not cdn, title=title, with_facilities=not no_facilities, with_regions=not no_regions
        )
    finally:
        engine.dispose()
    size = save_map(fmap, out)
    summary = fmap.summary
    if not summary["events"]:
        err_console.print("[yellow]Warning:[/] no events match the filters; the map shows no events.", highlight=False)
    levels = ", ".join(f"{summary['by_confidence'].get(level, 0)} {level}" for level in vocab.CONFIDENCE_LEVELS)
    console.print(
        f"wrote {out}: {summary['events']} events ({levels}), {summary['facilities']} facilities, "
        f"{summary['regions']} regions; {_size(size)}{', CDN scripts' if cdn else ', offline'}, "
        f"{time.perf_counter() - started:.1f} s",
        highlight=False,
        soft_wrap=True,
    )


def register(app: typer.Typer) -> None:
    """Add ``strikedb map`` to the root app."""
    app.command("map")(map_command)
