"""The worker thread that runs the engine, and its Qt face.

``PollLoop`` is Qt-free: one Python thread takes jobs (poll, mark read, refresh lists) from a queue,
so the store has one writer and the GUI thread never fetches, parses or writes. ``Controller``
(GUI thread) schedules polls with a single-shot timer at the engine's next due time, turns the
loop's callbacks into Qt signals carrying plain dataclasses, and notices sleep/resume (a wall-clock
jump) and network reconnection to poll promptly.
"""

from __future__ import annotations

import functools
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal

from widget.core.errors import LiveUpdatesError
from widget.core.models import Entry, PollResult, SourceStatus
from widget.gui.signals import emit

log = logging.getLogger(__name__)

Progress = Callable[[int, int], None]
MIN_GAP_S = 5.0  # never poll again sooner than this after a poll, whatever the engine says
MAX_TIMER_S = 3600.0  # re-ask the engine at least hourly (timers cannot span weeks)
WAKE_CHECK_MS = 60_000
WAKE_JUMP_S = 30.0
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


def error_message(exc: BaseException) -> str:
    if isinstance(exc, LiveUpdatesError):
        return str(exc)
    return f"Checking sources failed unexpectedly: {type(exc).__name__}: {exc}"


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
            self.listener.failed(error_message(exc))

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


def run_aside(what: str, action: Callable[[], None]) -> None:
    """Run ``action`` on a short-lived thread of its own, beside the worker: for slow work that
    touches neither the store nor Qt objects (site icons fetched by a poll process), so that it
    never holds up the worker's store writes. A failure is logged."""

    def run() -> None:
        try:
            action()
        except Exception:  # a nicety failed (the letter badges stay); logged, nothing to show
            log.exception("error while %s", what)

    threading.Thread(target=run, name="live-updates-aside", daemon=True).start()


class _Bridge(QObject):
    """Signals emitted from the worker thread; queued to the Controller on the GUI thread.

    Every argument is typed ``object``: PySide6 6.12 drops a reference to bool, int and str
    arguments of queued signals emitted from a Python thread (a crash at exit), not to objects.
    """

    poll_started = Signal(object)
    progress = Signal(object, object)
    polled = Signal(object, object)
    recovered = Signal(object)
    failed = Signal(object)
    scheduled = Signal(object)
    unread = Signal(object)
    recent = Signal(object)
    statuses = Signal(object)


class _BridgeListener:
    def __init__(self, bridge: _Bridge) -> None:
        self.b = bridge

    def poll_started(self, force: bool) -> None:
        emit(self.b.poll_started, force)

    def progress(self, done: int, total: int) -> None:
        emit(self.b.progress, done, total)

    def polled(self, result: PollResult, away: bool) -> None:
        emit(self.b.polled, result, away)

    def recovered(self, entries: tuple[Entry, ...]) -> None:
        emit(self.b.recovered, entries)

    def failed(self, message: str) -> None:
        emit(self.b.failed, message)

    def scheduled(self, due: datetime | None) -> None:
        emit(self.b.scheduled, due)

    def unread(self, count: int) -> None:
        emit(self.b.unread, count)

    def recent(self, entries: list[Entry]) -> None:
        emit(self.b.recent, entries)

    def statuses(self, statuses: list[SourceStatus]) -> None:
        emit(self.b.statuses, statuses)


def clock_jumped(offset_before: float, offset_now: float, mono_elapsed: float) -> bool:
    """True after a suspend/resume or a wall-clock change: the wall−monotonic offset moved, or a
    60-s tick arrived far too late (clocks that keep counting during sleep)."""
    return (
        abs(offset_now - offset_before) > WAKE_JUMP_S
        or mono_elapsed > WAKE_CHECK_MS / 1000 + WAKE_JUMP_S
    )


class Controller(QObject):
    """GUI-thread owner of the worker. Signals carry plain dataclasses from ``widget.core``."""

    poll_started = Signal(bool)  # force
    progress = Signal(int, int)  # done, total
    polled = Signal(object, bool)  # PollResult, away (arrived while asleep/offline)
    recovered = Signal(object)  # tuple[Entry, ...] stored by a run that ended before showing them
    failed = Signal(str)  # a sentence for the user
    unread_changed = Signal(int)
    recent_changed = Signal(object)  # list[Entry], newest first
    statuses_changed = Signal(object)  # list[SourceStatus]
    next_poll_changed = Signal(object)  # datetime | None (UTC)

    def __init__(
        self,
        engine: EngineLike,
        store: StoreLike,
        parent: QObject | None = None,
        *,
        ledger: NotifiedLedger | None = None,
        clock: Callable[[], datetime] = _utcnow,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
        watch_network: bool = True,
        fixed_interval_s: float | None = None,
    ) -> None:
        """``fixed_interval_s``: check every source at this period instead of when the engine
        says they are due (the demo watches its page every 10 s)."""
        super().__init__(parent)
        self._fixed = fixed_interval_s
        self._clock, self._wall, self._mono = clock, wall, mono
        self._bridge = _Bridge()
        self._loop = PollLoop(
            engine, store, _BridgeListener(self._bridge), ledger=ledger, clock=clock
        )
        self.paused = False
        self.busy = False
        self._queued = False
        self._away_pending = False
        self._last_poll_end = 0.0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        self._wake_timer = QTimer(self)
        self._wake_timer.setInterval(WAKE_CHECK_MS)
        self._wake_timer.timeout.connect(self.check_wake)
        self._offset = wall() - mono()
        self._last_tick = mono()
        self._watch_network = watch_network
        self._online: bool | None = None
        b = self._bridge
        b.poll_started.connect(self._on_started)
        b.progress.connect(lambda done, total: emit(self.progress, done, total))
        b.polled.connect(self._on_polled)
        b.recovered.connect(self.recovered)
        b.failed.connect(self._on_failed)
        b.scheduled.connect(self._on_scheduled)
        b.unread.connect(lambda count: emit(self.unread_changed, count))
        b.recent.connect(self.recent_changed)
        b.statuses.connect(self.statuses_changed)

    # --- lifecycle ---
    def start(self) -> None:
        """Start the worker and check every source once (Retry-After is still honoured)."""
        self._loop.start()
        self._wake_timer.start()
        if self._watch_network:
            self._watch_reachability()
        self._loop.request_recent()
        self._request(force=True)  # a fresh look at every source on launch

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop timers, cancel a running poll and join the worker; True if it ended in time."""
        self._timer.stop()
        self._wake_timer.stop()
        ended = self._loop.stop(timeout)
        if ended:
            log.info("worker joined")
        else:
            log.warning(
                "the worker did not stop within %.1f s; leaving it to exit with us", timeout
            )
        return ended

    @property
    def worker_running(self) -> bool:
        return self._loop.running

    # --- user requests ---
    def refresh_now(self) -> None:
        """Check every enabled source now (even while paused: the user asked)."""
        self._request(force=True)

    def check_sources(self, source_ids: Iterable[str]) -> None:
        """Check only these sources now (Check now in the settings, Retry in the window), even
        while paused; sources under Retry-After stay deferred. No ids: nothing to do."""
        ids = tuple(dict.fromkeys(source_ids))
        if not ids:
            return
        self._timer.stop()
        self._queued = True
        self._loop.submit(_Poll(force=True, away=self._take_away(), only=ids))

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self._timer.stop()
        else:
            self._request(force=False)

    def mark_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        self._loop.mark_read(source_id, entry_id, read)

    def request_recent(self) -> None:
        self._loop.request_recent()

    def run_in_worker(
        self, what: str, action: Callable[[], None], *, refresh_lists: bool = False
    ) -> None:
        """Run ``action`` on the worker thread after the jobs already queued; a failure is
        logged and reported through ``failed``."""
        self._loop.submit(_Task(what, action, refresh_lists))

    def time_to_next_poll_ms(self) -> int | None:
        return self._timer.remainingTime() if self._timer.isActive() else None

    # --- wake and network ---
    def check_wake(self) -> None:
        """Called every 60 s: after a suspend or clock jump, poll what is due now."""
        offset, now_mono = self._wall() - self._mono(), self._mono()
        jumped = clock_jumped(self._offset, offset, now_mono - self._last_tick)
        self._offset, self._last_tick = offset, now_mono
        if jumped:
            log.info("woke up or the clock moved; checking due sources")
            self._request(force=False, away=True)

    def on_reachability(self, online: bool) -> None:
        was = self._online
        self._online = online
        if online and was is False:
            log.info("network is back; checking due sources")
            self._request(force=False, away=True)
        elif not online and was is not False:
            log.info("network lost")

    def _watch_reachability(self) -> None:
        from widget.gui.netwatch import watch_network

        self._online = watch_network(self, self.on_reachability)

    # --- scheduling ---
    def _request(self, *, force: bool, away: bool = False) -> None:
        self._away_pending = self._away_pending or away
        if self._queued:
            if force:  # upgrade: a queued ordinary poll would not check everything
                self._loop.poll(force=True, away=self._take_away())
            return
        if self.paused and not force:
            return
        self._timer.stop()
        self._queued = True
        self._loop.poll(force=force, away=self._take_away())

    def _take_away(self) -> bool:
        away, self._away_pending = self._away_pending, False
        return away

    def _due(self) -> None:
        self._request(force=self._fixed is not None)

    def _on_started(self, force: bool) -> None:
        self.busy = True
        emit(self.poll_started, force)

    def _on_polled(self, result: PollResult, away: bool) -> None:
        self._last_poll_end = self._mono()
        emit(self.polled, result, away)

    def _on_failed(self, message: str) -> None:
        emit(self.failed, message)

    def _on_scheduled(self, due: datetime | None) -> None:
        """The worker finished a poll (successful or not) and says when the next one is due."""
        self.busy = False
        self._queued = False
        emit(self.next_poll_changed, due)
        self._timer.stop()
        if due is None or self.paused or self._queued:
            return
        if self._fixed is not None:
            self._timer.start(int(self._fixed * 1000))
            return
        wait = (due - self._clock()).total_seconds()
        since_last = self._mono() - self._last_poll_end
        wait = max(wait, MIN_GAP_S - since_last, 0.0)
        wait = min(wait, MAX_TIMER_S)
        self._timer.start(int(wait * 1000))
