"""The ``strikedb`` command line: ``strikedb = events.cli:main`` and ``python -m events.cli``.

One module per command group (:mod:`~events.cli.db`, :mod:`~events.cli.sql` for ``sql``,
``report`` and ``export``, :mod:`~events.cli.ingest`, :mod:`~events.cli.events`,
:mod:`~events.cli.map`, :mod:`~events.cli.facilities`, :mod:`~events.cli.demo`,
:mod:`~events.cli.publishers`), each with a ``register(app)``; the root command, the list of the
groups and the error boundary are in :mod:`events.cli.app`; shared options, consoles and the
database state in :mod:`events.cli.common`; the messages of the boundary in :mod:`events.cli.errors`.

This module imports almost nothing on purpose: the console script imports it first, then
:func:`main` loads the command modules (Typer, Rich, SQLAlchemy and the library take a good part
of a second), so Ctrl-C during that time ends like Ctrl-C in a command, with one ``Interrupted``
line and exit code 130 instead of a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

from events.cli.errors import EXIT_INTERRUPTED

#: Printed when Ctrl-C arrives while the command modules are still loading.
STARTUP_INTERRUPTED = "Interrupted: strikedb was still starting; nothing was done"


def _exit_interrupted_while_starting(signum: int | None = None, frame: FrameType | None = None) -> None:
    """Say so and exit 130 (also a SIGINT handler: hence the signal's arguments)."""
    sys.stderr.write(f"{STARTUP_INTERRUPTED}\n")
    sys.stderr.flush()
    # os._exit, not sys.exit: a KeyboardInterrupt that passed through an exec() of a string (as
    # dataclasses and namedtuple do while their modules load) marks the interpreter as killed by
    # SIGINT, and it would then end by SIGINT (-2) instead of exit code 130. Nothing was opened yet.
    os._exit(EXIT_INTERRUPTED)


if sys.argv[:1] == ["-m"] and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
    # `python -m events.cli` (argv[0] is "-m" while runpy locates the module): after this import
    # runpy still finds and compiles __main__, outside any handler of ours; Ctrl-C then must not
    # print runpy's traceback either. main() puts Python's handler back. (An ignored SIGINT, as in
    # a background job, stays ignored.)
    signal.signal(signal.SIGINT, _exit_interrupted_while_starting)


def run(argv: list[str] | None = None) -> int:
    """Load the command modules and run the CLI: :func:`events.cli.app.run`, the error boundary.

    Returns the exit code (0, 1, 2 or 130) instead of exiting; tests call it with the arguments,
    without the program name.
    """
    from events.cli.app import run as run_app

    return run_app(argv)


def main() -> None:
    """Console-script entry point: load the command modules, run the command, exit with its code."""
    try:
        if signal.getsignal(signal.SIGINT) is _exit_interrupted_while_starting:
            signal.signal(signal.SIGINT, signal.default_int_handler)
        # Imported here, inside the handler: an import interrupted by Ctrl-C raises KeyboardInterrupt.
        from events.cli.app import main as main_app
    except KeyboardInterrupt:
        _exit_interrupted_while_starting()
    main_app()


__all__ = ["STARTUP_INTERRUPTED", "main", "run"]
