"""Shared plumbing of the CLI: options, engines, console output and error reporting.

Only the CLI modules (``events/cli.py`` and ``events/cli_*.py``) import this.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

import typer
from rich.console import Console
from sqlalchemy import Engine

from events import migrate
from events.db import make_engine, resolve_url

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class State:
    """Options given before the sub-command (``strikedb --db URL ...``)."""

    url: str

    def engine(self, *, read_only: bool = False, check_schema: bool = True) -> Engine:
        """Open the database; refuse an out-of-date schema unless ``check_schema`` is False."""
        engine = make_engine(self.url, read_only=read_only)
        if check_schema:
            migrate.check(engine)
        return engine


def state(ctx: typer.Context) -> State:
    """Return the :class:`State` of the running command."""
    obj = ctx.find_root().obj
    if obj is None:  # called without the root callback, e.g. in a sub-app test
        obj = State(url=resolve_url(None))
    return obj


def fail(message: str, hint: str | None = None, code: int = 1) -> typer.Exit:
    """Print an error (and a hint) to stderr and return the Exit to raise."""
    err_console.print(f"[bold red]Error:[/] {message}", highlight=False, markup=True)
    if hint:
        err_console.print(f"[yellow]Hint:[/] {hint}", highlight=False)
    return typer.Exit(code)


def is_interactive() -> bool:
    """True when stderr is a terminal (progress bars are drawn only then)."""
    return sys.stderr.isatty()
