"""``strikedb facilities ...``: import, list and show facilities, link events, estimate offline capacity.

The work is done by :mod:`events.facilities` and :mod:`events.facilities.capacity`; this module parses options
and prints.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Column, Table

from events import facilities, geo, vocab
from events.cli.common import RadiusKmOption, console, err_console, state
from events.errors import InputError

facilities_app = typer.Typer(
    help="The facility gazetteer: import, list, show, link events, offline capacity.", no_args_is_help=True
)
#: Warnings and problems printed after an import; all rejected rows are in ``rejected_rows``.
PROBLEMS_SHOWN = 20


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return str(value)


@facilities_app.command("import")
def import_command(
    ctx: typer.Context,
    file: Annotated[Path | None, typer.Argument(help="CSV, GeoJSON, JSON or GeoPackage file.")] = None,
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"Input format: {', '.join(facilities.FORMATS)}.")
    ] = "auto",
    bundled: Annotated[bool, typer.Option("--bundled", help="Import the bundled gazetteer.")] = False,
    facility_type: Annotated[
        str | None, typer.Option("--type", help="Type of rows that state none (e.g. refinery).")
    ] = None,
    scheme: Annotated[
        str | None, typer.Option("--scheme", help="External-id scheme for generic files (default: file stem).")
    ] = None,
    user: Annotated[str | None, typer.Option("--user", help="Name recorded on the run.")] = None,
) -> None:
    """Import facilities from FILE (or the bundled gazetteer), merging with the stored ones."""
    if bundled == (file is not None):
        raise InputError("give either FILE or --bundled", hint="strikedb facilities import --bundled")
    engine = state(ctx).engine()
    if bundled:
        report = facilities.import_bundled(engine, user=user)
    else:
        report = facilities.import_facilities(
            engine, file, input_format=fmt, facility_type=facility_type, scheme=scheme, user=user
        )
    counts = report.counts()
    console.print(
        f"{report.file}: read {counts['read']}, created {counts['created']}, matched {counts['matched']} "
        f"(merged into existing facilities), updated {counts['updated']}, unchanged {counts['unchanged']}, "
        f"rejected {counts['rejected']} (run {report.run_id})",
        highlight=False,
    )
    for name, slug, how in report.matches[:PROBLEMS_SHOWN]:
        console.print(f"  matched {name!r} -> {slug} ({how})", highlight=False)
    for problem in report.warnings[:PROBLEMS_SHOWN]:
        err_console.print(f"  warning: {problem}", highlight=False)
    if len(report.warnings) > PROBLEMS_SHOWN:
        err_console.print(f"  ... and {len(report.warnings) - PROBLEMS_SHOWN} more warnings", highlight=False)
    for problem in report.problems[:PROBLEMS_SHOWN]:
        err_console.print(f"  rejected: {problem}", highlight=False)
    if report.rejected:
        err_console.print(
            f"{report.rejected} row(s) quarantined in rejected_rows (run {report.run_id})", highlight=False
        )


@facilities_app.command("list")
def list_command(
    ctx: typer.Context,
    facility_type: Annotated[str | None, typer.Option("--type", help="Only this facility type.")] = None,
    country: Annotated[str | None, typer.Option("--country", help="Only this ISO alpha-2 country.")] = None,
) -> None:
    """List facilities with capacities and the number of linked events."""
    if facility_type and facility_type not in vocab.FACILITY_TYPES:
        raise InputError(f"unknown facility type {facility_type!r}", hint=", ".join(vocab.FACILITY_TYPES))
    engine = state(ctx).engine(read_only=True)
    with engine.connect() as conn:
        rows = facilities.list_facilities(conn, facility_type=facility_type, country=country)
    table = Table(Column("slug", no_wrap=True), "name", "type", "country", "admin1", "Mt/yr", "kb/d", "MW", "events")
    for row in rows:
        table.add_row(
            row["slug"], row["name"], row["facility_type"], row["country"] or "-", row["admin1"] or "-",
            _fmt(row["capacity_mtpa"]), _fmt(row["capacity_kbd"], 0), _fmt(row["capacity_mw"], 0), str(row["events"]),
        )  # fmt: skip
    console.print(table)
    console.print(f"{len(rows)} facilities")


@facilities_app.command("show")
def show_command(ctx: typer.Context, slug: Annotated[str, typer.Argument(help="Slug or SCHEME:ID.")]) -> None:
    """Show one facility: values, alternative names, external ids and linked events."""
    engine = state(ctx).engine(read_only=True)
    with engine.connect() as conn:
        facility = facilities.get_facility(conn, slug)
    table = Table(Column("field", no_wrap=True), "value", show_header=False)
    for key in (
        "slug", "name", "facility_type", "operator", "country", "admin1", "latitude", "longitude",
        "capacity_value", "capacity_unit", "capacity_raw", "capacity_mtpa", "capacity_kbd", "capacity_mw",
        "status", "data_source", "notes",
    ):  # fmt: skip
        table.add_row(key, _fmt(facility[key], 3) if isinstance(facility[key], float) else _fmt(facility[key]))
    aliases = ", ".join(f"{a['alias']} [{a['language']}]" if a["language"] else a["alias"] for a in facility["aliases"])
    table.add_row("aliases", aliases or "-")
    table.add_row("external ids", ", ".join(facility["external_ids"]) or "-")
    console.print(table)
    events = Table(Column("event", no_wrap=True), Column("date", no_wrap=True), "effect", "confidence", "match", "km")
    for event in facility["events"]:
        events.add_row(
            event["public_id"], str(event["event_date"]), event["effect"] or "-", event["confidence"],
            event["facility_match"] or "-", _fmt(event["facility_distance_km"], 2),
        )  # fmt: skip
    console.print(events if facility["events"] else "no linked events")
    if facility["stations"]:
        stops = " - ".join(f"{s['name']} ({s['km_from_start']:.0f} km)" for s in facility["stations"])
        console.print(f"stations: {stops}", highlight=False)
    if facility["line_events"]:
        on_line = Table(Column("event on the line", no_wrap=True), Column("date", no_wrap=True), "km along",
                        "nearest station", "km to station", "km off line")  # fmt: skip
        for event in facility["line_events"]:
            on_line.add_row(
                event["public_id"], str(event["event_date"]), _fmt(event["along_km"], 1),
                event["nearest_station"] or "-", _fmt(event["station_km"], 1), _fmt(event["distance_km"], 2),
            )  # fmt: skip
        console.print(on_line)


@facilities_app.command("match")
def match_command(
    ctx: typer.Context,
    radius_km: RadiusKmOption = geo.DEFAULT_RADIUS_KM,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Show what a re-link would change; change nothing.")
    ] = False,
) -> None:
    """Link events to facilities again (after new facilities were imported), with the ingest's evidence rule."""
    engine = state(ctx).engine()
    report = facilities.match_events(engine, radius_km=radius_km, dry_run=dry_run)
    console.print(
        f"examined {report.examined} events: newly linked {report.linked}, re-linked {report.relinked}, "
        f"unlinked {report.unlinked}, category changed {report.recategorised}, unchanged {report.unchanged}, "
        f"manual links kept {report.manual_kept}, on rail lines {report.rail_linked}"
        + (" (dry run: nothing changed)" if dry_run else ""),
        highlight=False,
    )
    if not report.changes:
        return
    title = "changes a re-link would make" if dry_run else "changes made"
    table = Table(Column("event", no_wrap=True), "before", "after", "why", title=title)
    for change in report.changes[:200]:
        table.add_row(change["public_id"], _link_text(change["before"]), _link_text(change["after"]), change["why"])
    console.print(table)
    if len(report.changes) > 200:
        console.print(f"... and {len(report.changes) - 200} more", highlight=False)


def _link_text(side: dict) -> str:
    if side["facility"] is None:
        return f"no facility [{side['target_category']}]"
    return f"{side['facility']} ({side['match']}, {_fmt(side['distance_km'], 2)} km) [{side['target_category']}]"


def _parse_outages(items: list[str] | None) -> dict[str | None, int]:
    overrides: dict[str | None, int] = {}
    for item in items or []:
        effect, sep, days = item.partition("=")
        if not sep or not days.strip().isdigit():
            raise InputError(f"bad --outage {item!r}", hint="write EFFECT=DAYS, e.g. --outage shutdown=45")
        overrides[effect.strip()] = int(days)
    return overrides


@facilities_app.command("offline")
def offline_command(
    ctx: typer.Context,
    country: Annotated[str | None, typer.Option("--country", help="Only facilities in this country.")] = None,
    facility_type: Annotated[str, typer.Option("--type", help="Facility type.")] = "refinery",
    min_confidence: Annotated[
        str, typer.Option("--min-confidence", help=f"One of {', '.join(vocab.CONFIDENCE_LEVELS)}.")
    ] = "likely",
    outage: Annotated[
        list[str] | None, typer.Option("--outage", help="EFFECT=DAYS outage duration (repeatable).")
    ] = None,
    freq: Annotated[str, typer.Option("--freq", help="D (daily), W (weekly mean) or M (monthly mean).")] = "M",
    out: Annotated[Path | None, typer.Option("--out", help="Write the table to this CSV file.")] = None,
) -> None:
    """Estimate the capacity offline because of strikes (see docs/capacity.md for the assumptions)."""
    # Imported here: the estimate needs pandas, which the other commands (and --help) do not.
    from events.facilities import capacity

    engine = state(ctx).engine(read_only=True)
    frame = capacity.offline_capacity(
        engine,
        country=country,
        facility_type=facility_type,
        min_confidence=min_confidence,
        outage_days=_parse_outages(outage),
        freq=freq.upper(),
    )
    if out is not None:
        frame.to_csv(out, index=False)
        console.print(f"wrote {len(frame)} rows to {out}")
        return
    table = Table(Column("date", no_wrap=True), "country", "Mt/yr", "kb/d", "MW", "facilities", "share", "of national")
    for row in frame.itertuples(index=False):
        share = "-" if row.share != row.share else f"{100 * row.share:.1f}%"
        national = "-" if row.share_national != row.share_national else f"{100 * row.share_national:.1f}%"
        table.add_row(
            str(row.date), row.country, _fmt(row.offline_mtpa, 2), _fmt(row.offline_kbd, 0),
            _fmt(row.offline_mw, 0), _fmt(float(row.facilities_offline), 2), share, national,
        )  # fmt: skip
    console.print(table)
    console.print("An estimate: whole-facility outages of fixed length per effect (docs/capacity.md).")


def register(app: typer.Typer) -> None:
    """Add the ``facilities`` command group to the root app."""
    app.add_typer(facilities_app, name="facilities")


__all__ = ["facilities_app", "register"]
