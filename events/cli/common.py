"""Shared plumbing of the CLI: options, engines, console output and error reporting.

Only the CLI modules (``events/cli/*.py``) import this.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from sqlalchemy import Engine

from events import migrate
from events.db import make_engine, parse_url, resolve_url, storage_note
from events.errors import InputError
from events.readers.inputs import check_finite, check_text_encoding

console = Console()
err_console = Console(stderr=True, soft_wrap=True)


@dataclass
class State:
    """Options given before the sub-command (``strikedb --db URL ...``)."""

    url: str

    def engine(self, *, read_only: bool = False, check_schema: bool = True) -> Engine:
        """Open the database; refuse an out-of-date schema unless ``check_schema`` is False."""
        engine = make_engine(self.url, read_only=read_only)
        note = storage_note(engine)
        if note:
            err_console.print(f"[yellow]Note:[/] {escape(note)}", highlight=False)
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


_current_url: list[str] = []


def remember_url(url: str) -> None:
    """Record the database URL of the running command (named in database error messages)."""
    _current_url[:] = [make_url_safe(url)]


def current_url() -> str | None:
    """The database URL of the running command, password hidden; None before parsing."""
    return _current_url[0] if _current_url else None


def make_url_safe(url: str) -> str:
    """Hide the password of a URL for messages."""
    try:
        return parse_url(url).render_as_string(hide_password=True)
    except Exception:  # an unparsable URL is reported by the command itself
        return url


#: What an interrupted command had done (set by commands that commit in steps, e.g. ingest).
_interrupt_note: list[str] = []


def set_interrupt_note(note: str | None) -> None:
    """Record what to print if the running command is interrupted now (None: nothing done yet)."""
    _interrupt_note.clear()
    if note:
        _interrupt_note.append(note)


def interrupt_summary() -> str:
    """The message printed after Ctrl-C: what the interrupted command had committed."""
    if _interrupt_note:
        return _interrupt_note[0]
    return "the command in progress was rolled back; nothing it was doing was committed"


def parse_date(value: str | None, option: str) -> dt.date | None:
    """Read a ``--since``/``--until`` style option: an ISO date (YYYY-MM-DD), or None when not given.

    Parameters
    ----------
    value : str or None
        The option's text as typed.
    option : str
        The option's name, for the message (``--since``).

    Returns
    -------
    datetime.date or None
        The date; None when the option was not given.

    Raises
    ------
    InputError
        When ``value`` is not an ISO date.
    """
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError as exc:
        raise InputError(f"{option} {value!r} is not a date", hint="write dates as YYYY-MM-DD") from exc


def finite_km(value: float | None) -> float | None:
    """Typer callback: a distance option must be a finite number (not nan or inf): usage error."""
    if value is None:
        return value
    try:
        return check_finite(value, "the distance")
    except InputError as exc:
        raise typer.BadParameter(f"{value} is not a finite number of kilometres") from exc


#: ``--user``: the name recorded on revisions and runs (the commands use the OS user without it).
UserOption = Annotated[str | None, typer.Option("--user", help="Name recorded (default: OS user).")]
#: ``--reason``: why, recorded on the event's revisions.
ReasonOption = Annotated[str | None, typer.Option("--reason", help="Why (recorded in the history).")]
#: ``--radius-km`` of ``ingest`` and ``facilities match``: the facility link radius.
RadiusKmOption = Annotated[
    float,
    typer.Option(
        "--radius-km", min=0.0, callback=finite_km, help="Link events within this distance of a known facility."
    ),
]


def text_encoding(value: str | None) -> str | None:
    """Typer callback: ``--encoding`` must name a text encoding (not rot13, hex, zlib...)."""
    if value is None:
        return value
    try:
        check_text_encoding(value)
    except InputError as exc:
        raise typer.BadParameter(f"{exc} (e.g. utf-8, cp1251, cp1252, latin-1, utf-16)") from exc
    return value


def is_interactive() -> bool:
    """True when stderr is a terminal (progress bars are drawn only then)."""
    return sys.stderr.isatty()
