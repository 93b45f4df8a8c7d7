"""The Qt face of the worker loop: ``Controller`` on the GUI thread.

``Controller`` builds the Qt-free ``PollLoop`` (``gui/poll_loop.py``), schedules polls with a
single-shot timer at the engine's next due time, turns the loop's callbacks (made on the worker
thread) into Qt signals carrying plain dataclasses, and notices sleep/resume (a wall-clock jump)
and network reconnection to poll promptly. ``run_aside`` runs slow work that touches neither the
store nor Qt on a short-lived thread beside the worker.

The loop and the names other modules import from here (``PollLoop``, ``NotifiedLedger``, the
``EngineLike``/``StoreLike``/``LoopListener`` protocols) live in ``gui/poll_loop.py`` and are
re-exported.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime

from PySide6.QtCore import QObject, QTimer, Signal

from widget.core.models import Entry, PollResult, SourceStatus
from widget.gui.poll_loop import RECENT_LIMIT as RECENT_LIMIT
from widget.gui.poll_loop import RETRY_AFTER_FAILURE as RETRY_AFTER_FAILURE
from widget.gui.poll_loop import EngineLike as EngineLike
from widget.gui.poll_loop import Job as Job
from widget.gui.poll_loop import LoopListener as LoopListener
from widget.gui.poll_loop import NotifiedLedger as NotifiedLedger
from widget.gui.poll_loop import PollLoop as PollLoop
from widget.gui.poll_loop import Progress as Progress
from widget.gui.poll_loop import StoreLike as StoreLike
from widget.gui.poll_loop import _Poll, _Task, _utcnow

log = logging.getLogger(__name__)

MIN_GAP_S = 5.0  # never poll again sooner than this after a poll, whatever the engine says
MAX_TIMER_S = 3600.0  # re-ask the engine at least hourly (timers cannot span weeks)
WAKE_CHECK_MS = 60_000
WAKE_JUMP_S = 30.0


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
        self.b.poll_started.emit(force)

    def progress(self, done: int, total: int) -> None:
        self.b.progress.emit(done, total)

    def polled(self, result: PollResult, away: bool) -> None:
        self.b.polled.emit(result, away)

    def recovered(self, entries: tuple[Entry, ...]) -> None:
        self.b.recovered.emit(entries)

    def failed(self, message: str) -> None:
        self.b.failed.emit(message)

    def scheduled(self, due: datetime | None) -> None:
        self.b.scheduled.emit(due)

    def unread(self, count: int) -> None:
        self.b.unread.emit(count)

    def recent(self, entries: list[Entry]) -> None:
        self.b.recent.emit(entries)

    def statuses(self, statuses: list[SourceStatus]) -> None:
        self.b.statuses.emit(statuses)


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
        b.progress.connect(lambda done, total: self.progress.emit(done, total))
        b.polled.connect(self._on_polled)
        b.recovered.connect(self.recovered)
        b.failed.connect(self._on_failed)
        b.scheduled.connect(self._on_scheduled)
        b.unread.connect(lambda count: self.unread_changed.emit(count))
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
        self.poll_started.emit(force)

    def _on_polled(self, result: PollResult, away: bool) -> None:
        self._last_poll_end = self._mono()
        self.polled.emit(result, away)

    def _on_failed(self, message: str) -> None:
        self.failed.emit(message)

    def _on_scheduled(self, due: datetime | None) -> None:
        """The worker finished a poll (successful or not) and says when the next one is due."""
        self.busy = False
        self._queued = False
        self.next_poll_changed.emit(due)
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
