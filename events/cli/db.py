"""``strikedb db ...``: create, migrate, check, repair, back up and restore the database.

Also ``db downgrade`` (guarded: says what it drops and takes a backup first) and
``db reader create|drop`` (PostgreSQL reader roles). The work is done by :mod:`events.migrate`,
:mod:`events.health`, :mod:`events.backup` and :mod:`events.pgroles`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from events import backup, migrate, pgroles
from events.backup import BackupReport
from events.cli.common import console, err_console, state
from events.db import make_engine, parse_url, sqlite_path
from events.errors import InputError, StrikeDBError

db_app = typer.Typer(help="Create, migrate, check, back up and restore the database.", no_args_is_help=True)
reader_app = typer.Typer(
    help="PostgreSQL login roles that may only read (give them to analysts).", no_args_is_help=True
)
db_app.add_typer(reader_app, name="reader")


@db_app.command("upgrade")
def db_upgrade(ctx: typer.Context, revision: Annotated[str, typer.Argument(help="Target revision.")] = "head") -> None:
    """Create the schema or migrate it to REVISION (default: newest)."""
    engine = make_engine(state(ctx).url)
    before = migrate.current(engine)
    migrate.upgrade(engine, revision)
    after = migrate.current(engine)
    console.print(
        f"database {engine.url.render_as_string()} at {', '.join(after) or 'base'} (was {', '.join(before) or 'empty'})"
    )


@db_app.command("current")
def db_current(ctx: typer.Context) -> None:
    """Print the revision the database is at and the code's head."""
    engine = make_engine(state(ctx).url)
    console.print(f"database: {', '.join(migrate.current(engine)) or 'empty (no schema)'}")
    console.print(f"code head: {', '.join(migrate.heads())}")


@db_app.command("history")
def db_history() -> None:
    """List the migrations, newest first."""
    table = Table("revision", "down revision", "description")
    for rev, down, doc in migrate.history():
        table.add_row(rev, str(down or "-"), doc)
    console.print(table)


@db_app.command("check")
def db_check(
    ctx: typer.Context,
    full: Annotated[
        bool, typer.Option("--full", help="SQLite: full integrity_check (every index entry; slower).")
    ] = False,
) -> None:
    """Check the schema and the data: file pages, foreign keys, spatial index, triggers, dead runs.

    Exit 1 when anything is wrong, with how to repair it (`strikedb db repair`, or a backup).
    """
    from events import health

    engine = make_engine(state(ctx).url, read_only=True)
    # Pages first: the schema checks below would read the same damaged pages and fail.
    _report_findings(health.check_pages(engine, full=full))
    migrate.check(engine)
    diffs = migrate.drift(engine)
    if diffs:
        for diff in diffs:
            err_console.print(f"  drift: {diff}", highlight=False)
        raise StrikeDBError(
            f"the database schema differs from the models in {len(diffs)} place(s)",
            hint="the database was changed by hand or by another tool; restore a backup or re-create it",
        )
    report = health.check_data(engine, full=full)
    _report_findings(report)
    console.print(f"ok: database at {', '.join(migrate.current(engine))}, schema matches the code")
    console.print(f"ok: {'; '.join(report.checks)}", highlight=False)


def _report_findings(report) -> None:
    if report.ok:
        return
    for finding in report.findings:
        err_console.print(f"  {finding.check}: {finding.detail}", highlight=False, markup=False)
    if report.repairable:
        hint = "run `strikedb db repair` (make a backup first with `strikedb db backup FILE`)"
    else:
        hint = (
            "the file itself is damaged: restore a backup with `strikedb db restore FILE`; "
            "`strikedb db backup` of a damaged file is refused, so keep a copy of it with cp first"
        )
    raise StrikeDBError(f"the database check found {len(report.findings)} problem(s)", hint=hint)


@db_app.command("repair")
def db_repair(ctx: typer.Context) -> None:
    """Rebuild indexes and the spatial index with its triggers, close runs of dead processes."""
    from events import health

    engine = make_engine(state(ctx).url)
    migrate.check(engine)
    done = health.repair(engine)
    for action in done.actions:
        console.print(f"repaired: {action}", highlight=False)
    report = health.check_data(engine)
    _report_findings(report)
    console.print("ok: the database check finds nothing wrong now")


def _print_counts(report: BackupReport) -> None:
    table = Table("table", "rows")
    for name, count in report.counts.items():
        table.add_row(name, str(count))
    console.print(table)
    for note in report.notes:
        err_console.print(f"[yellow]Note:[/] {note}", highlight=False)


@db_app.command("backup")
def db_backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Backup file to write (SQLite file, or pg_dump archive).")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
) -> None:
    """Write a verified, consistent backup of the database to FILE (safe while others work)."""
    report = backup.backup_database(state(ctx).url, file, overwrite=force)
    console.print(f"backup {report.path} written ({report.size_bytes:,} bytes, revision {report.revision}), verified")
    _print_counts(report)


@db_app.command("restore")
def db_restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A file written by `strikedb db backup`.")],
    force: Annotated[bool, typer.Option("--force", help="Replace a database that already holds data.")] = False,
) -> None:
    """Replace the database with the backup FILE, after checking the backup is sound."""
    report = backup.restore_database(state(ctx).url, file, force=force)
    if report.previous_copy is not None:
        console.print(f"the replaced database was saved as {report.previous_copy}")
    console.print(f"restored {report.path} (revision {report.revision}), verified")
    _print_counts(report)


def _default_backup_path(url: str, revision: str) -> Path:
    """``<db>.pre-downgrade-<target>-<time>.db`` beside a SQLite file; a ``.dump`` here for PostgreSQL."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() else "_" for c in revision)
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        return path.with_name(f"{path.stem}.pre-downgrade-{safe}-{stamp}.db")
    return Path.cwd() / f"strikedb-{parsed.database}.pre-downgrade-{safe}-{stamp}.dump"


# ignore_unknown_options: "-1" is a relative revision, not an option.
@db_app.command("downgrade", context_settings={"ignore_unknown_options": True})
def db_downgrade(
    ctx: typer.Context,
    revision: Annotated[str, typer.Argument(help="Target: -1 (one step back), -2, a revision id, or base.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Drop data without asking (a backup is taken).")] = False,
    backup_file: Annotated[
        Path | None, typer.Option("--backup", help="Where to write the backup taken first (default: beside the db).")
    ] = None,
    no_backup: Annotated[
        bool, typer.Option("--no-backup", help="Skip the backup (only if you have your own, fresh one).")
    ] = False,
) -> None:
    """Migrate the schema down to REVISION, after saying what it drops and taking a backup.

    Tables and columns holding data are listed with row counts; a terminal asks, elsewhere --yes is needed.

    A backup (`strikedb db backup`) is written before anything is dropped. Relative targets work: `db downgrade -1`.
    """
    url = state(ctx).url
    engine = make_engine(url)
    try:
        plan = migrate.plan_downgrade(engine, revision)
        if plan.after == plan.before:
            console.print(f"database already at {', '.join(plan.before) or 'base'}; nothing to do")
            return
        target = ", ".join(plan.after) or "base"
        if plan.loses_data:
            err_console.print(
                f"Downgrading {', '.join(plan.before)} -> {target} drops data:", highlight=False, markup=False
            )
            for line in plan.describe():
                err_console.print(f"  {line}", highlight=False, markup=False)
            _confirm(yes)
            if not no_backup:
                path = backup_file or _default_backup_path(url, target)
                report = backup.backup_database(url, path)
                err_console.print(
                    f"backup written first: {report.path} (restore with `strikedb db restore`)", highlight=False
                )
        elif plan.dropped_tables or plan.dropped_columns:
            err_console.print(
                f"drops {len(plan.dropped_tables)} empty table(s) and {len(plan.dropped_columns)} empty column(s)",
                highlight=False,
            )
        migrate.downgrade(engine, revision)
        console.print(f"database at {', '.join(migrate.current(engine)) or 'base'}")
    finally:
        engine.dispose()


def _confirm(yes: bool) -> None:
    if yes:
        return
    if not sys.stdin.isatty():
        raise InputError(
            "this downgrade drops data and there is no terminal to confirm it",
            hint="re-run with --yes (a backup is taken first unless --no-backup)",
        )
    if not typer.confirm("Drop this data (a backup is taken first)?", default=False, err=True):
        raise InputError("downgrade cancelled; nothing was changed")


@reader_app.command("create")
def reader_create(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The login role to create, e.g. analyst_anna.")],
    password_env: Annotated[
        str | None, typer.Option("--password-env", help="Read the role's password from this environment variable.")
    ] = None,
) -> None:
    """Create a PostgreSQL login role that may only SELECT strikedb's tables and views.

    Run it as a superuser (or a CREATEROLE role owning the database); `strikedb db upgrade` keeps the grants.

    Without --password-env a terminal asks for a password; elsewhere the role gets none (peer/cert login).
    """
    password = _password(password_env, name)
    engine = make_engine(state(ctx).url)
    try:
        report = pgroles.create_reader(engine, name, password)
    finally:
        engine.dispose()
    console.print(
        f"created reader role {report.role} for database {report.database} (member of {report.group}): "
        "it may SELECT strikedb's tables and views and nothing else",
        highlight=False,
    )
    for note in report.notes:
        err_console.print(f"[yellow]Note:[/] {note}", highlight=False)
    url = parse_url(state(ctx).url).set(drivername="postgresql", username=report.role, password=None)
    console.print(f"analysts connect with: --db {url.render_as_string()}", highlight=False)


def _password(variable: str | None, name: str) -> str | None:
    if variable is not None:
        value = os.environ.get(variable)
        if not value:
            raise InputError(f"environment variable {variable} is not set or empty", hint=f"export {variable}=...")
        return value
    if sys.stdin.isatty():
        return (
            typer.prompt(
                f"password for {name} (empty for none)",
                default="",
                hide_input=True,
                confirmation_prompt=True,
                show_default=False,
            )
            or None
        )
    return None


@reader_app.command("drop")
def reader_drop(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A role made by `strikedb db reader create`.")],
) -> None:
    """Remove a reader role made by `strikedb db reader create`."""
    engine = make_engine(state(ctx).url)
    try:
        report = pgroles.drop_reader(engine, name)
    finally:
        engine.dispose()
    console.print(f"dropped reader role {report.role}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the ``db`` group to the root app."""
    app.add_typer(db_app, name="db")
