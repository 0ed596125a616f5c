"""Run a producer in a forked worker process and consume what it yields, in order.

The ingest loader uses this to read, validate and geocode the next chunk of a file while the
main process writes the current one to the database: the two halves cost about the same, so on
two or more cores a large file loads up to twice as fast. The worker only computes; every
database write stays in the main process. In the main process a thread receives (unpickles) the
next item while the consumer works on the current one.

Guarantees:

* Items arrive in the order the producer yields them (one pipe, one worker).
* Memory is bounded: the worker blocks on the pipe and the receiving thread on a one-slot queue
  until the consumer takes the previous item, so at most one item is being built, one is in the
  pipe, one is being received, one waits in the queue and one is being consumed.
* An exception raised by the producer is re-raised in the main process when the consumer reaches
  it (after every item yielded before it), exactly where it would have been raised in-process.
* When the consumer stops early (an error, Ctrl-C, ``close()``) the worker is terminated; when
  the main process dies (even by SIGKILL) the worker's next write fails and it exits.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from events.errors import StrikeDBError

T = TypeVar("T")


class WorkerError(StrikeDBError):
    """The worker process died without reporting an error (killed, out of memory...)."""


def can_fork() -> bool:
    """True when worker processes can be forked here (POSIX with more than one CPU)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def forked_iter(produce: Callable[[], Iterable[T]]) -> Iterator[T]:
    """Yield the items of ``produce()``, computed in a forked worker process.

    Parameters
    ----------
    produce : callable
        Called once in the worker; its items (and any exception it raises) must be picklable.
        It runs on a copy of this process made by ``fork``, so it may use anything already
        loaded here but must not use this process's database connections.

    Yields
    ------
    object
        The producer's items, in order.

    Raises
    ------
    Exception
        Whatever ``produce`` raised, re-raised here after the items it yielded first.
    WorkerError
        When the worker process died without a word.
    """
    context = multiprocessing.get_context("fork")
    reader, writer = context.Pipe(duplex=False)
    process = context.Process(target=_worker_main, args=(produce, reader, writer), name="strikedb-worker", daemon=True)
    process.start()
    writer.close()  # the worker holds the only write end: its exit means EOF here
    # A thread receives (and unpickles) the next message while the caller works on the current
    # item: unpickling a batch is a visible share of the caller's time, and the caller (the
    # ingest loader) spends much of its own in SQLite, which releases the GIL while it steps.
    inbox: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=1)
    stop = threading.Event()
    receiver = threading.Thread(target=_receive_all, args=(reader, inbox, stop), name="strikedb-receiver", daemon=True)
    receiver.start()
    try:
        while True:
            kind, payload = inbox.get()
            if kind == "item":
                yield payload
            elif kind == "done":
                return
            elif kind == "eof":
                process.join()
                raise WorkerError(f"the worker process stopped unexpectedly (exit code {process.exitcode})")
            else:
                raise payload
    finally:
        stop.set()
        if process.is_alive():
            process.terminate()
        process.join()
        # The worker is gone: the receiver sees EOF (or its queue slot freed) and ends.
        with contextlib.suppress(queue.Empty):
            inbox.get_nowait()
        receiver.join()
        reader.close()


def _receive_all(reader: Any, inbox: queue.Queue[tuple[str, Any]], stop: threading.Event) -> None:
    """Move messages from the pipe to ``inbox`` until the last one (or EOF, or ``stop``)."""
    while not stop.is_set():
        try:
            message = reader.recv()
        except (EOFError, OSError):
            message = ("eof", None)
        except BaseException as exc:  # an unpicklable message: report it to the consumer
            message = ("error", exc)
        while not stop.is_set():
            try:
                inbox.put(message, timeout=0.1)
                break
            except queue.Full:
                continue
        if message[0] != "item":
            return


def _worker_main(produce: Callable[[], Iterable[Any]], reader: Any, writer: Any) -> None:
    # Forked copies of the parent's read end would keep the pipe open after the parent died.
    reader.close()
    # Ctrl-C reaches the whole process group: the parent handles it and stops this worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's stdout/stderr locks may have been held by another thread (a progress bar) at
    # fork time; a stray warning written to them here could then hang forever.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker
    try:
        for item in produce():
            _send(writer, ("item", item))
        _send(writer, ("done", None))
    except _ParentGone:
        return
    except BaseException as exc:  # every failure, KeyboardInterrupt included, is reported to the parent
        try:
            _send(writer, ("error", _picklable(exc)))
        except _ParentGone:
            return
    finally:
        writer.close()


class _ParentGone(Exception):
    """The parent closed its end of the pipe (it stopped early, or died)."""


def _send(writer: Any, message: tuple[str, Any]) -> None:
    try:
        writer.send(message)
    except (BrokenPipeError, ConnectionResetError):
        raise _ParentGone from None


def _picklable(exc: BaseException) -> BaseException:
    try:
        pickle.loads(pickle.dumps(exc))
    except Exception:  # any pickling problem: send a plain description instead
        return WorkerError(f"{type(exc).__name__}: {exc}")
    return exc


__all__ = ["WorkerError", "can_fork", "forked_iter"]
