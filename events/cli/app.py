"""The ``strikedb`` root command: global options, the command groups, the error boundary.

Command groups live beside this file (``events/cli/*.py``), each with a ``register(app)``;
:data:`COMMAND_GROUPS` lists them. :func:`run` is the one error boundary: library errors
(:class:`events.errors.StrikeDBError`) and every other failure (:mod:`events.cli.errors`) become a
message, a hint and exit code 1; usage errors exit 2, Ctrl-C 130; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from typing import Annotated

import typer
from rich.markup import escape

import events.cli.db
import events.cli.demo
import events.cli.events
import events.cli.facilities
import events.cli.ingest
import events.cli.map
import events.cli.publishers
import events.cli.sql
from events import __version__
from events.cli.common import State, console, current_url, err_console, interrupt_summary, remember_url
from events.cli.errors import EXIT_FAILURE, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, explain
from events.db import ENV_VAR, resolve_url
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


#: The command groups, each a module with ``register(app)``. Typer lists commands before groups,
#: each in the order added: this order gives the order of ``strikedb --help``.
COMMAND_GROUPS = (
    events.cli.db,
    events.cli.sql,
    events.cli.ingest,
    events.cli.events,
    events.cli.map,
    events.cli.facilities,
    events.cli.demo,
    events.cli.publishers,
)
for _group in COMMAND_GROUPS:
    _group.register(app)


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
    one ``Error:`` line and a ``Hint:`` line on stderr (see :mod:`events.cli.errors`); a
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
    """Run the command of ``sys.argv`` and exit with its code (called by :func:`events.cli.main`)."""
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


__all__ = ["COMMAND_GROUPS", "app", "main", "run"]
