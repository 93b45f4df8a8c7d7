"""The tray app's one thread for store work: read marks (its only writes), the window's page
reads, the notification ledger and the scan for entries other processes stored.

Jobs run one at a time, in the order they were submitted, so the tray app's writes have one
writer. A job's result goes back to the GUI thread through one closure signal (as Anki's task
manager does): ``then(result)`` runs there. A failure is logged and reported through ``failed``
as a sentence for the user; none is swallowed.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from widget.core.errors import poll_failure_message

log = logging.getLogger(__name__)

_STOP = None


class StoreWorker(QObject):
    """Runs store jobs on its own thread (``start``/``stop``); results come back as calls on
    the GUI thread."""

    failed = Signal(str)  # a sentence for the user
    _call = Signal(object)  # a closure to run on the GUI thread

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._jobs: queue.Queue[tuple[str, Callable[[], Any], Callable[[Any], None] | None] | None]
        self._jobs = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="live-updates-worker", daemon=True)
        self._call.connect(self._on_call)

    def start(self) -> None:
        self._thread.start()

    def submit(
        self,
        what: str,
        job: Callable[[], Any],
        then: Callable[[Any], None] | None = None,
    ) -> None:
        """Run ``job`` after the jobs already queued; ``then(result)`` follows on the GUI
        thread. ``what`` names the work in the log and in an error ("marking entries read")."""
        self._jobs.put((what, job, then))

    def stop(self, timeout: float = 2.0) -> bool:
        """End the thread once the jobs queued before are done; True when it ended in time."""
        self._jobs.put(_STOP)
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        while True:
            item = self._jobs.get()
            if item is None:
                break
            what, job, then = item
            try:
                result = job()
            except Exception as exc:  # every failure is logged and shown, none is swallowed
                log.exception("error while %s", what)
                self._call.emit(functools.partial(self.failed.emit, poll_failure_message(exc)))
                continue
            if then is not None:
                self._call.emit(functools.partial(then, result))

    def _on_call(self, call: Callable[[], None]) -> None:
        call()


__all__ = ["StoreWorker"]
