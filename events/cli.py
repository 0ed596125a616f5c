"""The ``strikedb`` command line: parses arguments, calls the library, prints.

Command groups live beside this file (``events/cli_*.py``), each with a ``register(app)``.
:func:`run` is the one error boundary: library errors (:class:`events.errors.StrikeDBError`) and
every other failure (:mod:`events.cli_errors`) become a message, a hint and exit code 1; usage
errors exit 2, Ctrl-C 130; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from events import __version__, backup, migrate
from events.backup import BackupReport
from events.cli_common import State, console, current_url, err_console, interrupt_summary, remember_url, state
from events.cli_errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, explain
from events.db import ENV_VAR, make_engine, resolve_url
from events.errors import StrikeDBError

#: Set to 1 for tracebacks (same as --debug).
DEBUG_ENV_VAR = "STRIKEDB_DEBUG"

app = typer.Typer(
    name="strikedb",
    help="Track reported strikes on energy infrastructure: ingest, geocode, map and analyse.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
db_app = typer.Typer(help="Create, migrate, check, back up and restore the database.", no_args_is_help=True)
app.add_typer(db_app, name="db")


def _version(value: bool) -> None:
    if value:
        console.print(f"strikedb {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    db: Annotated[
        str | None,
        typer.Option("--db", envvar=ENV_VAR, help="Database URL or SQLite file (default: sqlite:///strikes.db)."),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version and exit.")
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", envvar=DEBUG_ENV_VAR, help="Show the traceback of an error.")
    ] = False,
) -> None:
    """strikedb: the database of reported strikes on energy infrastructure."""
    ctx.obj = State(url=resolve_url(db))
    remember_url(ctx.obj.url)


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


# Command groups defined in their own modules. Each adds its commands to `app`.
# --- command groups: begin ---
from events.cli_sql import register as _register_sql; _register_sql(app)  # noqa: E402, E702, I001
from events.cli_db import register as _register_db; _register_db(db_app)  # noqa: E402, E702, I001
from events.cli_ingest import register as _register_ingest; _register_ingest(app)  # noqa: E402, E702, I001
from events.cli_map import register as _register_map; _register_map(app)  # noqa: E402, E702, I001
from events.cli_facilities import register as _register_facilities; _register_facilities(app)  # noqa: E402, E702, I001
from events.cli_demo import register as _register_demo; _register_demo(app)  # noqa: E402, E702, I001
from events.cli_publishers import register as _register_publishers; _register_publishers(app)  # noqa: E402, E702, I001
# --- command groups: end ---


def _wants_debug(argv: list[str]) -> bool:
    """``--debug`` before the sub-command (read before parsing, so usage errors honour it too)."""
    return "--debug" in argv or os.environ.get(DEBUG_ENV_VAR, "") not in ("", "0")


def _report(message: str, hint: str | None) -> None:
    err_console.print(f"[bold red]Error:[/] {escape(message)}", highlight=False)
    if hint:
        err_console.print(f"[yellow]Hint:[/] {escape(hint)}", highlight=False)


def _interrupted() -> int:
    done = interrupt_summary()
    err_console.print(f"[bold red]Interrupted[/]: {done}", highlight=False)
    return EXIT_INTERRUPTED


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code instead of exiting (used by tests and :func:`main`).

    This is the one error boundary of the command line: whatever a command raises ends here as
    one ``Error:`` line and a ``Hint:`` line on stderr (see :mod:`events.cli_errors`); a
    traceback is printed only with ``--debug`` (or ``STRIKEDB_DEBUG=1``).

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; defaults to ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 1 for a failure, 2 for a usage error, 130 when interrupted.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = _wants_debug(argv)
    try:
        result = app(args=argv, prog_name="strikedb", standalone_mode=False)
    except typer.Exit as exc:
        if exc.exit_code == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into Exit(130) itself
            return _interrupted()
        return exc.exit_code
    except typer.Abort:
        return _interrupted()
    except typer.TyperException as exc:
        # Usage errors (unknown command or option, bad value, missing argument): one line, exit 2.
        message = exc.format_message() or "a command is needed (the list is above)"
        _report(message, "run the command with --help to see its options")
        return getattr(exc, "exit_code", EXIT_USAGE)
    except KeyboardInterrupt:
        if debug:
            traceback.print_exc()
        return _interrupted()
    except StrikeDBError as exc:
        if debug:
            traceback.print_exc()
        _report(str(exc), exc.hint)
        return EXIT_FAILURE
    except Exception as exc:  # the boundary: every other failure becomes a message
        if debug:
            traceback.print_exc()
        explained = explain(exc)
        message = explained.message
        if explained.about_database and current_url():
            message += f" (database {current_url()})"
        _report(message, explained.hint)
        return EXIT_FAILURE
    if result == EXIT_INTERRUPTED:  # Typer turns Ctrl-C into Exit(130) and returns the code
        return _interrupted()
    return result if isinstance(result, int) else EXIT_OK


def main() -> None:
    """Console-script entry point."""
    code = run(sys.argv[1:])
    # Flush here, inside the boundary: a full disk or a closed pipe on stdout would otherwise be
    # reported by the interpreter at exit as "Exception ignored ...".
    try:
        sys.stdout.flush()
    except OSError as exc:
        _report(explain(exc).message, explain(exc).hint)
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = code or EXIT_FAILURE
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    main()

__all__ = ["app", "main", "run"]
