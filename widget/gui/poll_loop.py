"""The worker loop that runs the engine, without Qt.

``PollLoop`` takes jobs (poll, mark read, refresh lists, other store work) from a queue and runs
them one at a time, so the store has one writer and the GUI thread never fetches, parses or
writes. It reports through a ``LoopListener`` called on the worker thread; ``gui/controller.py``
turns those calls into Qt signals. ``NotifiedLedger`` remembers the newest entry handed over for
notification, so that a start after a crash hands over what was stored but never shown.

Threads live in ``gui/controller.py`` (DESIGN.md), with one exception here: ``PollLoop`` creates
and owns the single worker thread it runs on (started by ``start``, joined by ``stop``), so that
it can be driven and tested without Qt. The controller builds and starts the loop.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from widget.core.errors import poll_failure_message
from widget.core.models import Entry, PollResult, SourceStatus

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
RECENT_LIMIT = 50
RETRY_AFTER_FAILURE = timedelta(minutes=1)


class EngineLike(Protocol):
    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Progress | None = None,
        baseline_entries: bool = True,
    ) -> PollResult: ...

    def next_due_time(self) -> datetime | None: ...

    def statuses(self) -> list[SourceStatus]: ...


class StoreLike(Protocol):
    def set_read(self, source_id: str, entry_id: str, read: bool = True) -> None: ...

    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]: ...

    def unread_count(self) -> int: ...


class LoopListener(Protocol):
    """Called from the worker thread."""

    def poll_started(self, force: bool) -> None: ...
    def progress(self, done: int, total: int) -> None: ...
    def polled(self, result: PollResult, away: bool) -> None: ...
    def recovered(self, entries: tuple[Entry, ...]) -> None: ...
    def failed(self, message: str) -> None: ...
    def scheduled(self, due: datetime | None) -> None: ...
    def unread(self, count: int) -> None: ...
    def recent(self, entries: list[Entry]) -> None: ...
    def statuses(self, statuses: list[SourceStatus]) -> None: ...


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class NotifiedLedger:
    """The first-seen time of the newest entry handed over for notification, kept in a small
    file so that after a crash the next start can hand over what was stored but never shown."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> datetime | None:
        try:
            text = self.path.read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return None
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            log.warning(
                "%s holds no time (%r); starting a fresh notification ledger", self.path, text
            )
            return None
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)

    def save(self, value: datetime) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(value.isoformat())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


@dataclass(frozen=True)
class _Poll:
    force: bool = False
    away: bool = False
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _MarkRead:
    source_id: str
    entry_id: str
    read: bool = True


class _Recent:
    pass


class _Stop:
    pass


@dataclass(frozen=True)
class _Task:
    """Other work that belongs on the worker (store writes, icon downloads)."""

    what: str  # "marking entries read": names the work in the log and in an error
    action: Callable[[], None]
    refresh_lists: bool = False  # send the unread count and recent entries afterwards


Job = _Poll | _MarkRead | _Recent | _Stop | _Task


class PollLoop:
    """The worker: runs jobs one at a time on its own thread until ``stop``."""

    def __init__(
        self,
        engine: EngineLike,
        store: StoreLike,
        listener: LoopListener,
        *,
        ledger: NotifiedLedger | None = None,
        clock: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.engine = engine
        self.store = store
        self.listener = listener
        self.ledger = ledger
        self.clock = clock
        self.cancel = threading.Event()
        self._jobs: queue.Queue[Job] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="live-updates-worker", daemon=True)

    # --- GUI side ---
    def start(self) -> None:
        self._thread.start()

    def submit(self, job: Job) -> None:
        self._jobs.put(job)

    def poll(self, *, force: bool = False, away: bool = False) -> None:
        self.submit(_Poll(force=force, away=away))

    def mark_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        self.submit(_MarkRead(source_id, entry_id, read))

    def request_recent(self) -> None:
        self.submit(_Recent())

    def stop(self, timeout: float = 2.0) -> bool:
        """Cancel the running poll, end the thread once the jobs queued before (other than
        polls) are done; True when it ended within ``timeout``."""
        self.cancel.set()
        self._jobs.put(_Stop())
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    # --- worker side ---
    def _run(self) -> None:
        self._guard("recovering unshown entries", self._recover)
        while True:
            job = self._jobs.get()
            if isinstance(job, _Stop):
                break
            if self.cancel.is_set() and isinstance(job, _Poll):
                continue  # stopping: no new poll, but read marks queued before quit are kept
            if isinstance(job, _Poll):
                self._guard("checking sources", functools.partial(self._poll, job))
            elif isinstance(job, _MarkRead):
                self._guard("marking an entry read", functools.partial(self._mark, job))
            elif isinstance(job, _Task):
                self._guard(job.what, functools.partial(self._task, job))
            else:
                self._guard("listing entries", self._send_lists)
        log.info("worker stopped")

    def _guard(self, what: str, action: Callable[[], None]) -> None:
        try:
            action()
        except Exception as exc:  # every failure is logged and shown, none is swallowed
            log.exception("error while %s", what)
            self.listener.failed(poll_failure_message(exc))

    def _recover(self) -> None:
        if self.ledger is None:
            return
        mark = self.ledger.load()
        if mark is None:
            self.ledger.save(self.clock())
            return
        missed = tuple(
            e
            for e in reversed(self.store.entries(unread_only=True))
            if e.notify and not e.baseline and e.first_seen > mark
        )
        if missed:
            log.info("%d entries were stored but never shown; handing them over", len(missed))
            self.listener.recovered(missed)
            self.ledger.save(max(e.first_seen for e in missed))

    def _poll(self, job: _Poll) -> None:
        self.listener.poll_started(job.force)
        try:
            # A baseline never notifies, so its entries come as counts only: a cold poll of
            # many sources then hands the GUI thread no copy of all it stored (the window reads
            # the store itself).
            result = self.engine.poll(
                only=job.only,
                force=job.force,
                cancel=self.cancel,
                progress=self.listener.progress,
                baseline_entries=False,
            )
            cancelled = self.cancel.is_set()
            self.listener.polled(result, job.away)
            new = result.new_entries
            if new and self.ledger is not None and not cancelled:
                self.ledger.save(max(e.first_seen for e in new))
            if not cancelled:
                self._send_lists()
                self.listener.statuses(self.engine.statuses())
        finally:
            if not self.cancel.is_set():
                self.listener.scheduled(self._next_due())

    def _next_due(self) -> datetime | None:
        try:
            return self.engine.next_due_time()
        except Exception:
            log.exception("cannot tell when sources are due; trying again later")
            return self.clock() + RETRY_AFTER_FAILURE

    def _mark(self, job: _MarkRead) -> None:
        self.store.set_read(job.source_id, job.entry_id, job.read)
        self._send_lists()

    def _task(self, job: _Task) -> None:
        job.action()
        if job.refresh_lists:
            self._send_lists()

    def _send_lists(self) -> None:
        self.listener.unread(self.store.unread_count())
        self.listener.recent(self.store.entries(limit=RECENT_LIMIT))


__all__ = [
    "RECENT_LIMIT",
    "RETRY_AFTER_FAILURE",
    "EngineLike",
    "Job",
    "LoopListener",
    "NotifiedLedger",
    "PollLoop",
    "Progress",
    "StoreLike",
]
