"""The fetch threads of one poll: daemon threads, so a request still waiting on a silent server
(up to the HTTP deadline) never holds up the app's exit, and a cancelled poll need not join them.

``concurrent.futures.ThreadPoolExecutor`` joins its threads when the interpreter exits, which
would make quitting wait for such a request; this small pool hands out the same ``Future``s.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any, TypeVar

T = TypeVar("T")

_Task = tuple[Future[Any], Callable[..., Any], tuple[Any, ...]]


class DaemonThreadPool:
    """Runs submitted calls on up to ``workers`` daemon threads, started as work arrives."""

    def __init__(self, workers: int, *, name: str = "poll") -> None:
        self._workers = max(1, workers)
        self._name = name
        self._tasks: queue.SimpleQueue[_Task | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._closed = False

    def submit(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        future: Future[T] = Future()
        with self._lock:
            if self._closed:
                raise RuntimeError("the poll's threads are shut down")
            self._tasks.put((future, fn, args))
            if len(self._threads) < self._workers:
                thread = threading.Thread(
                    target=self._work, name=f"{self._name}-{len(self._threads)}", daemon=True
                )
                self._threads.append(thread)
                thread.start()
        return future

    def shutdown(self, *, wait: bool) -> None:
        """No more work: queued calls are cancelled; with ``wait``, running ones are joined."""
        with self._lock:
            self._closed = True
            threads = list(self._threads)
        while True:
            try:
                task = self._tasks.get_nowait()
            except queue.Empty:
                break
            if task is not None:
                task[0].cancel()
        for _ in threads:
            self._tasks.put(None)
        if wait:
            for thread in threads:
                thread.join()

    def _work(self) -> None:
        while True:
            task = self._tasks.get()
            if task is None:
                return
            future, fn, args = task
            del task
            if future.set_running_or_notify_cancel():
                try:
                    result = fn(*args)
                except BaseException as exc:  # handed to the caller through the future
                    future.set_exception(exc)
                else:
                    future.set_result(result)
                    del result
            # An idle thread keeps nothing of its last call: the caller frees a result (a
            # source's body and parse) as soon as it has used it.
            del future, fn, args


__all__ = ["DaemonThreadPool"]
