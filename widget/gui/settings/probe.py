"""Background probing for the settings dialog: fetch a URL on a thread pool, never on the GUI
thread, and hand the result (or a readable error) back through signals."""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal

from widget.core.errors import FetchError, LiveUpdatesError

if TYPE_CHECKING:
    from widget.sources.probe import Probe

log = logging.getLogger(__name__)

ProbeFn = Callable[[], "Probe"]


class _Task(QRunnable):
    def __init__(self, runner: ProbeRunner, token: int, work: ProbeFn) -> None:
        super().__init__()
        self._runner = runner
        self._token = token
        self._work = work

    def run(self) -> None:
        try:
            probe = self._work()
        except LiveUpdatesError as exc:
            status = exc.status if isinstance(exc, FetchError) else None
            self._runner.failed.emit(self._token, str(exc), status)
        except Exception as exc:  # reported to the user, and logged with its traceback
            log.exception("probing failed unexpectedly")
            message = f"unexpected error ({type(exc).__name__})"
            self._runner.failed.emit(self._token, message, None)
        else:
            self._runner.finished.emit(self._token, probe)


class ProbeRunner(QObject):
    """Runs probes on its own small thread pool. Each ``start`` returns a token; results of an
    older token arrive too, so callers ignore tokens they no longer wait for."""

    finished = Signal(int, object)  # token, Probe
    failed = Signal(int, str, object)  # token, a sentence for the user, HTTP status or None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(2)
        self._tokens = itertools.count(1)

    def start(self, work: ProbeFn) -> int:
        token = next(self._tokens)
        self._pool.start(_Task(self, token, work))
        return token

    def wait(self, msecs: int = -1) -> bool:
        """Wait for running probes (on close; tests)."""
        return bool(self._pool.waitForDone(msecs))
