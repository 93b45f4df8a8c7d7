"""Parsing fetched bodies: in the polling thread for a few, in worker processes for many.

Parsing is pure Python and holds the GIL. A poll with many changed sources (the first poll, the
morning after a night offline) would keep one core busy with it and starve every other thread of
the process, the GUI thread and the database writer included. So from the ``threshold``-th body
of a poll on, bodies go to a small pool of worker *processes*, started with "spawn" (never fork:
the GUI process has Qt and threads), once the poll's bodies add up to enough work to pay for
starting them. The usual poll, one or two changed sources, parses in-thread and starts no process.

The pool starts lazily, lives for one poll and is shut down with it, so an idle tray app carries
no extra process (multiprocessing's resource tracker included, see ``tracker``). If the pool
cannot start or breaks, bodies are parsed in-thread: a source is never lost. A cancelled poll
does not wait for work in the pool.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from widget.core.models import ParsedSource, SourceKind
from widget.engine import tracker
from widget.sources import discover
from widget.sources.http import FetchCancelled

log = logging.getLogger(__name__)

# Parsing moves to worker processes from the PROCESS_THRESHOLD-th body of a poll on, once the
# poll's bodies so far add up to PROCESS_MIN_BYTES: starting a worker costs about a fifth of a
# second of CPU, which pays off only when there is a lot to parse (about 10 ms per 100 KB).
PROCESS_THRESHOLD = 4
PROCESS_MIN_BYTES = 512 * 1024
_CANCEL_POLL = 0.1  # seconds between cancel checks while a worker parses

# What parses a body: ``discover.parse`` (a module-level function, so a worker can import it).
ParseFunction = Callable[[SourceKind, bytes, Mapping[str, str], str], ParsedSource]


def default_workers() -> int:
    """Worker processes for one poll: two at most (parsing is short; the machine is shared)."""
    return max(1, min(2, os.cpu_count() or 1))


class Parser:
    """Parses bodies for one poll; thread-safe (the poll's fetch threads call ``parse``).

    ``workers=0`` never starts a process. ``close()`` ends the pool (call it when the poll ends).
    ``function`` must be importable by name in a fresh interpreter (tests pass their own).
    """

    def __init__(
        self,
        *,
        workers: int | None = None,
        threshold: int = PROCESS_THRESHOLD,
        min_bytes: int = PROCESS_MIN_BYTES,
        function: ParseFunction = discover.parse,
    ) -> None:
        self._function = function
        self._min_bytes = max(0, min_bytes)
        self._bytes = 0
        self._workers = default_workers() if workers is None else max(0, workers)
        self._threshold = max(1, threshold)
        self._lock = threading.Lock()
        self._bodies = 0
        self._pool: ProcessPoolExecutor | None = None
        self._in_processes = 0
        self._unavailable = self._workers == 0  # no pool (any more) for this poll

    @property
    def parsed_in_processes(self) -> int:
        """How many bodies worker processes parsed so far."""
        with self._lock:
            return self._in_processes

    def parse(
        self,
        kind: SourceKind,
        body: bytes,
        headers: Mapping[str, str],
        url: str,
        cancel: threading.Event | None = None,
    ) -> ParsedSource:
        """The parse of the body, here or in a worker process. Raises what the parse raises
        (ParseError), or FetchCancelled when ``cancel`` is set while a worker parses."""
        pool = self._pool_for_next_body(len(body))
        if pool is not None:
            try:
                future = pool.submit(self._function, kind, body, dict(headers), url)
            except (BrokenProcessPool, OSError, RuntimeError) as exc:
                # RuntimeError: the pool was shut down (the poll ended) or cannot start a process.
                self._give_up(pool, exc)
            else:
                parsed = self._result(pool, future, cancel)
                if parsed is not None:
                    return parsed
        return self._function(kind, body, headers, url)

    def close(self, *, cancel: bool = False) -> None:
        """Shut the pool down: after the poll (workers are idle then), or at once when the poll
        was cancelled (queued work is dropped, a worker still parsing is ended)."""
        with self._lock:
            pool, self._pool = self._pool, None
            self._unavailable = True
        if pool is None:
            return
        if cancel:
            _end_at_once(pool)
        else:
            queues = _queues(pool)
            pool.shutdown(wait=True, cancel_futures=True)
            del pool
            tracker.pool_ended(queues, joined=True)

    def __enter__(self) -> Parser:
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        self.close(cancel=exc is not None)

    # --- the pool ---

    def _pool_for_next_body(self, size: int) -> ProcessPoolExecutor | None:
        with self._lock:
            self._bodies += 1
            self._bytes += size
            if self._unavailable or self._bodies < self._threshold:
                return None
            if self._pool is None and self._bytes < self._min_bytes:
                return None
            if self._pool is None:
                # Processes start on the first submit, one per body waiting, up to the limit.
                context = multiprocessing.get_context("spawn")
                tracker.pool_starting()
                try:
                    self._pool = ProcessPoolExecutor(max_workers=self._workers, mp_context=context)
                except BaseException:
                    tracker.pool_ended([], joined=False)
                    raise
                log.debug("parsing in up to %d worker processes", self._workers)
            return self._pool

    def _result(
        self,
        pool: ProcessPoolExecutor,
        future: Future[ParsedSource],
        cancel: threading.Event | None,
    ) -> ParsedSource | None:
        """The worker's parse; None when the pool broke (the caller parses in-thread)."""
        while True:
            done, _ = wait([future], timeout=_CANCEL_POLL, return_when=FIRST_COMPLETED)
            if done:
                break
            if cancel is not None and cancel.is_set():
                future.cancel()
                raise FetchCancelled()
        try:
            parsed = future.result()
        except BrokenProcessPool as exc:
            self._give_up(pool, exc)
            return None
        with self._lock:
            self._in_processes += 1
        return parsed

    def _give_up(self, pool: ProcessPoolExecutor, exc: BaseException) -> None:
        """Parse the rest of this poll in-thread (logged once; the pool is dropped)."""
        with self._lock:
            if self._pool is not pool:
                return  # already given up (or closed) by another thread
            self._pool = None
            self._unavailable = True
        log.warning("worker processes for parsing are unavailable (%s); parsing in-thread", exc)
        _end_at_once(pool)


def _end_at_once(pool: ProcessPoolExecutor) -> None:
    """Shut ``pool`` down without waiting: queued work is dropped and a worker still parsing is
    ended, so neither a cancelled poll nor the app's exit waits for it."""
    # Python 3.14 has pool.terminate_workers(); before it, the pool's process table is the way.
    processes = list((getattr(pool, "_processes", None) or {}).values())
    queues = _queues(pool)
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        if process.is_alive():
            process.terminate()
    tracker.pool_ended(queues, joined=False)


def _queues(pool: ProcessPoolExecutor) -> list[weakref.ref[Any]]:
    """Weak references to the pool's multiprocessing queues (their semaphores are what the
    resource tracker tracks)."""
    queues = (getattr(pool, name, None) for name in ("_call_queue", "_result_queue"))
    return [weakref.ref(queue) for queue in queues if queue is not None]


__all__ = ["PROCESS_MIN_BYTES", "PROCESS_THRESHOLD", "ParseFunction", "Parser", "default_workers"]
