"""``strikedb db downgrade`` (guarded) and ``strikedb db reader create|drop`` (PostgreSQL reader roles).

Registered on the ``db`` group by :mod:`events.cli`.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Annotated

import typer

from events import backup, migrate, pgroles
from events.cli_common import console, err_console, state
from events.db import make_engine, parse_url, sqlite_path
from events.errors import InputError

reader_app = typer.Typer(
    help="PostgreSQL login roles that may only read (give them to analysts).", no_args_is_help=True
)


def _default_backup_path(url: str, revision: str) -> Path:
    """``<db>.pre-downgrade-<target>-<time>.db`` beside a SQLite file; a ``.dump`` here for PostgreSQL."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() else "_" for c in revision)
    parsed = parse_url(url)
    path = sqlite_path(parsed)
    if path is not None:
        return path.with_name(f"{path.stem}.pre-downgrade-{safe}-{stamp}.db")
    return Path.cwd() / f"strikedb-{parsed.database}.pre-downgrade-{safe}-{stamp}.dump"


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
                err_console.print(f"backup written first: {report.path} (restore with `strikedb db restore`)",
                                  highlight=False)
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
        return typer.prompt(f"password for {name} (empty for none)", default="", hide_input=True,
                            confirmation_prompt=True, show_default=False) or None
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


def register(db_app: typer.Typer) -> None:
    """Add ``downgrade`` and the ``reader`` group to ``strikedb db``."""
    # ignore_unknown_options: "-1" is a relative revision, not an option.
    db_app.command("downgrade", context_settings={"ignore_unknown_options": True})(db_downgrade)
    db_app.add_typer(reader_app, name="reader")
