"""Run a producer in forked worker processes and consume what it yields, in order.

The ingest loader uses this to read, validate and geocode the next chunks of a file while the
main process writes the current one to the database. One worker (the reader) reads the file; it
enriches every second chunk itself and hands the others to a helper process
(:func:`forked_map`): reading and enriching cost more than writing, so with two workers the two
cores stay busy while the writer waits less (docs/benchmarks.md). The workers only compute;
every database write stays in the main process. In the main process a thread per worker
receives (unpickles) its next item while the consumer works on the current one.

Guarantees:

* Items arrive in the order the producer yields them: item ``i`` comes from worker
  ``i % workers``, and the main process takes them in that turn.
* Memory is bounded: each worker blocks on its pipe and each receiving thread on a one-slot
  queue until the consumer takes the previous item, so per worker at most one item is being
  built, one is in the pipe, one is being received and one waits in the queue.
* An exception raised by the producer or the work is re-raised in the main process when the
  consumer reaches it (after every item before it), exactly where it would have been raised
  in-process.
* When the consumer stops early (an error, Ctrl-C, ``close()``) the workers are terminated; when
  the main process dies (even by SIGKILL) a worker's next write fails and it exits, and a
  helper's feed ends with the reader.
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
    return forked_map(produce, None, helpers=0)


def forked_map(
    produce: Callable[[], Iterable[T]], work: Callable[[T], Any] | None, *, helpers: int = 1
) -> Iterator[Any]:
    """Yield ``work(item)`` for each item of ``produce()``, in order, computed in forked processes.

    One worker, the reader, runs ``produce()``. Of every ``helpers + 1`` items it works on the
    first itself and hands each of the others to a helper process, which works on it meanwhile.
    This process takes the results in turn (item ``i`` from worker ``i % (helpers + 1)``), so
    they arrive in ``produce``'s order. With more workers than free cores the system shares
    the cores out: a core that this process leaves idle while it waits does a helper's work.

    Parameters
    ----------
    produce : callable
        Called once, in the reader. Its items, the results of ``work`` and any exception either
        raises must be picklable. Both run on copies of this process made by ``fork``, so they
        may use anything already loaded here but must not use this process's database
        connections.
    work : callable or None
        Called on each item, in the reader or a helper. None: the items themselves, and no
        helpers.
    helpers : int
        Helper processes beside the reader.

    Yields
    ------
    object
        ``work(item)`` of each item, in order.

    Raises
    ------
    Exception
        Whatever ``produce`` or ``work`` raised, re-raised here after the results of the items
        before it.
    WorkerError
        When a worker process died without a word.
    """
    if work is None:
        helpers = 0
    context = multiprocessing.get_context("fork")
    outputs = [context.Pipe(duplex=False) for _ in range(helpers + 1)]  # (receive, send), from worker k
    feeds = [context.Pipe(duplex=False) for _ in range(helpers)]  # (receive, send), reader -> helper k + 1
    ends = [end for pair in (*outputs, *feeds) for end in pair]
    reader_ends = (outputs[0][1], *(send for _, send in feeds))
    workers = [
        context.Process(
            target=_reader_main,
            args=(produce, work, outputs[0][1], [send for _, send in feeds], _other_ends(ends, reader_ends)),
            name="strikedb-worker",
            daemon=True,
        )
    ]
    for k, ((feed, _), (_, output)) in enumerate(zip(feeds, outputs[1:], strict=True), start=1):
        workers.append(
            context.Process(
                target=_helper_main,
                args=(work, feed, output, _other_ends(ends, (feed, output))),
                name=f"strikedb-helper-{k}",
                daemon=True,
            )
        )
    for worker in workers:
        worker.start()
    # Only the workers keep the write ends and the feeds: a worker's exit means EOF here, and a
    # helper's feed ends when the reader does.
    for end in _other_ends(ends, [receive for receive, _ in outputs]):
        end.close()
    # A thread per worker receives (and unpickles) its next message while the caller works on the
    # current item: unpickling a batch is a visible share of the caller's time, and the caller
    # (the ingest loader) spends much of its own in SQLite, which releases the GIL while it steps.
    stop = threading.Event()
    inboxes: list[queue.Queue[tuple[str, Any]]] = [queue.Queue(maxsize=1) for _ in outputs]
    receivers = [
        threading.Thread(target=_receive_all, args=(receive, inbox, stop), name="strikedb-receiver", daemon=True)
        for (receive, _), inbox in zip(outputs, inboxes, strict=True)
    ]
    for receiver in receivers:
        receiver.start()
    try:
        turn = 0
        while True:
            k = turn % len(workers)
            done, item = _take(inboxes[k], workers[k])
            if done:
                # Worker k had no item ``turn``: the reader stopped before it (its end, or its error).
                # Every other worker has ended too; the reader's error, if any, is raised here.
                for j in sorted(set(range(len(workers))) - {k}):
                    if not _take(inboxes[j], workers[j])[0]:
                        raise WorkerError(f"worker {j} sent an item after the last one")
                return
            yield item
            turn += 1
    finally:
        stop.set()
        for worker in workers:
            if worker.is_alive():
                worker.terminate()
        for worker in workers:
            worker.join()
        # The workers are gone: each receiver sees EOF (or its queue slot freed) and ends.
        for inbox in inboxes:
            with contextlib.suppress(queue.Empty):
                inbox.get_nowait()
        for receiver in receivers:
            receiver.join()
        for receive, _ in outputs:
            receive.close()


def _other_ends(ends: list[Any], keep: Iterable[Any]) -> list[Any]:
    """The pipe ends of ``ends`` that are not in ``keep`` (compared by identity)."""
    kept = {id(end) for end in keep}
    return [end for end in ends if id(end) not in kept]


def _take(inbox: queue.Queue[tuple[str, Any]], worker: Any) -> tuple[bool, Any]:
    """The next message of a worker: ``(False, item)``, or ``(True, None)`` at its end; raises its error."""
    kind, payload = inbox.get()
    if kind == "item":
        return False, payload
    if kind == "done":
        return True, None
    if kind == "eof":
        worker.join()
        raise WorkerError(f"the worker process stopped unexpectedly (exit code {worker.exitcode})")
    raise payload


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


def _start_worker(others: list[Any]) -> None:
    """What every worker does first: close the pipe ends it does not use, ignore Ctrl-C, mute output."""
    # A forked copy of an end that belongs to someone else would keep that pipe open after its
    # owner died: the parent's receive ends (so a worker would never see it gone) and the other
    # workers' send ends (so the parent or a helper would never see EOF).
    for end in others:
        end.close()
    # Ctrl-C reaches the whole process group: the parent handles it and stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # The parent's stdout/stderr locks may have been held by another thread (a progress bar) at
    # fork time; a stray warning written to them here could then hang forever.
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the worker


def _reader_main(
    produce: Callable[[], Iterable[Any]], work: Callable[[Any], Any] | None, output: Any, feeds: list[Any],
    others: list[Any],
) -> None:  # fmt: skip
    _start_worker(others)
    try:
        for index, item in enumerate(produce()):
            k = index % (len(feeds) + 1)
            if k == 0:
                _send(output, ("item", item if work is None else work(item)))
            else:
                _send(feeds[k - 1], ("item", item))
        _send(output, ("done", None))
    except _ParentGone:
        return
    except BaseException as exc:  # every failure, KeyboardInterrupt included, is reported to the parent
        _report(output, exc)
    finally:
        for end in (output, *feeds):  # the helpers' feeds end: they finish their last item and stop
            end.close()


def _helper_main(work: Callable[[Any], Any], feed: Any, output: Any, others: list[Any]) -> None:
    _start_worker(others)
    try:
        while True:
            try:
                _, item = feed.recv()
            except EOFError:  # the reader has sent everything (or stopped)
                break
            _send(output, ("item", work(item)))
        _send(output, ("done", None))
    except _ParentGone:
        return
    except BaseException as exc:
        _report(output, exc)
    finally:
        output.close()
        feed.close()


def _report(output: Any, exc: BaseException) -> None:
    with contextlib.suppress(_ParentGone):
        _send(output, ("error", _picklable(exc)))


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


__all__ = ["WorkerError", "can_fork", "forked_iter", "forked_map"]
