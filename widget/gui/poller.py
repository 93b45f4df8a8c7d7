"""Runs each poll in its own process and schedules the next one: ``Poller``, on the GUI thread.

One poll runs at a time, on one short-lived thread per poll, which runs it in the poll process
(``gui/poll_process.py``: ``engine/worker.py`` in a child) and then reads what the tray app
shows next: the sources' statuses, when the next source is due, and entries that another
process (a ``live-updates check``) stored meanwhile. Everything it finds goes back to the GUI
thread as one closure signal; there ``Poller`` emits one signal per event.

The store work of the tray app itself — read marks, the unread count, the window's reads, the
notification ledger — runs on ``gui/store_worker.py``'s thread. Between polls, a change of the
store's files makes the poller look for entries other processes stored, so they notify as its
own would.

What was handed over for notification is kept by ``gui/ledger.py``, so that a start after a
crash or a quit hands over what was stored or held but never shown.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QFileSystemWatcher, QObject, QTimer, Signal

from widget.core.clock import utcnow
from widget.core.errors import poll_failure_message
from widget.core.models import Entry, PollResult, SourceStatus
from widget.gui.ledger import Key, LedgerState, NotifiedLedger, recover, stored_elsewhere
from widget.gui.poll_process import Cancellation, ProgressCallback
from widget.gui.store_worker import StoreWorker

if TYPE_CHECKING:
    from widget.gui.netwatch import RouteWatch

log = logging.getLogger(__name__)

# After a cancel: time for the child to finish its poll before it is ended (then up to
# poll_process.END_WAIT_S after SIGTERM and again after SIGKILL): well under quit's 2-s promise.
CANCEL_GRACE_S = 0.8
MIN_GAP_S = 5.0  # never poll again sooner than this after a poll, whatever the engine says
MAX_TIMER_S = 3600.0  # re-ask the engine at least hourly (timers cannot span weeks)
WAKE_CHECK_MS = 60_000
WAKE_JUMP_S = 30.0
# A failed poll (a broken store, a poll process that cannot start) is retried after 1 minute,
# then 2, 4, … up to 30 — as failed sources back off — instead of whenever sources are due.
RETRY_AFTER_FAILURE = timedelta(minutes=1)
MAX_RETRY_AFTER_FAILURE = timedelta(minutes=30)
STORE_SETTLE_MS = 500  # after another process wrote the store: let it finish, then look


class EngineLike(Protocol):
    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: Cancellation | None = None,
        progress: ProgressCallback | None = None,
        baseline_entries: bool = True,
    ) -> PollResult: ...

    def next_due_time(self) -> datetime | None: ...

    def statuses(self) -> list[SourceStatus]: ...


class StoreLike(Protocol):
    @property
    def path(self) -> Path: ...

    def set_read(self, source_id: str, entry_id: str, read: bool = True) -> None: ...

    def entries(
        self, *, limit: int | None = None, source_id: str | None = None, unread_only: bool = False
    ) -> list[Entry]: ...

    def unread_count(self) -> int: ...

    def first_seen_since(self, since: datetime) -> dict[str, list[datetime]]: ...


def run_aside(what: str, action: Callable[[], None]) -> None:
    """Run ``action`` on a short-lived thread of its own: for slow work that touches neither
    the store nor Qt objects (site icons fetched by a poll process), so that it never holds up
    a poll or a read mark. A failure is logged."""

    def run() -> None:
        try:
            action()
        except Exception:  # a nicety failed (the letter badges stay); logged, nothing to show
            log.exception("error while %s", what)

    threading.Thread(target=run, name="live-updates-aside", daemon=True).start()


def clock_jumped(offset_before: float, offset_now: float, mono_elapsed: float) -> bool:
    """True after a suspend/resume or a wall-clock change: the wall−monotonic offset moved, or a
    60-s tick arrived far too late (clocks that keep counting during sleep)."""
    return (
        abs(offset_now - offset_before) > WAKE_JUMP_S
        or mono_elapsed > WAKE_CHECK_MS / 1000 + WAKE_JUMP_S
    )


def retry_delay(failures: int) -> timedelta:
    """How long to wait after ``failures`` failed polls in a row (1, 2, 4, … 30 minutes)."""
    exponent = min(max(failures, 1) - 1, 16)
    return min(RETRY_AFTER_FAILURE * (1 << exponent), MAX_RETRY_AFTER_FAILURE)


@dataclass(frozen=True)
class _Poll:
    force: bool = False
    away: bool = False
    only: tuple[str, ...] | None = None


@dataclass(frozen=True)
class _Polled:
    """What a poll's thread found, for the GUI thread."""

    job: _Poll
    result: PollResult | None = None
    error: str | None = None
    elsewhere: tuple[Entry, ...] = ()
    mark: datetime | None = None
    statuses: list[SourceStatus] | None = None
    due: datetime | None = None


class Poller(QObject):
    """Schedules polls, runs each in its process, and reports on the GUI thread. Signals carry
    plain dataclasses from ``widget.core``."""

    poll_started = Signal(bool)  # force
    progress = Signal(int, int)  # done, total
    polled = Signal(object, bool)  # PollResult, away (arrived while asleep/offline)
    recovered = Signal(object)  # tuple[Entry, ...] stored or held by a run that ended before
    stored_elsewhere = Signal(object)  # tuple[Entry, ...] another process stored meanwhile
    failed = Signal(str)  # a sentence for the user
    unread_changed = Signal(int)
    store_changed = Signal()  # the window's entries may have changed: it reloads
    statuses_changed = Signal(object)  # list[SourceStatus]
    next_poll_changed = Signal(object)  # when the next poll starts (UTC); None: none planned
    _call = Signal(object)  # a closure from a poll's thread, run on the GUI thread

    def __init__(
        self,
        engine: EngineLike,
        store: StoreLike,
        parent: QObject | None = None,
        *,
        ledger: NotifiedLedger | None = None,
        store_worker: StoreWorker | None = None,
        clock: Callable[[], datetime] = utcnow,
        wall: Callable[[], float] = time.time,
        mono: Callable[[], float] = time.monotonic,
        watch_network: bool = True,
        fixed_interval_s: float | None = None,
    ) -> None:
        """``fixed_interval_s``: check every source at this period instead of when the engine
        says they are due (the demo watches its page every 10 s)."""
        super().__init__(parent)
        self.engine = engine
        self.store = store
        self.ledger = ledger
        self.store_worker = store_worker if store_worker is not None else StoreWorker(self)
        self._fixed = fixed_interval_s
        self._clock, self._wall, self._mono = clock, wall, mono
        self.paused = False
        self.busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self._cancel = Cancellation()
        self._waiting: list[_Poll] = []  # asked for while a poll runs
        self._away_pending = False
        self._last_poll_end: float | None = None
        self._failures = 0  # failed polls in a row
        self._mark = clock()  # entries first seen up to here were handed over
        self._held: tuple[Key, ...] = ()
        self._scan_generation = 0
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self._due)
        self._wake_timer = QTimer(self)
        self._wake_timer.setInterval(WAKE_CHECK_MS)
        self._wake_timer.timeout.connect(self.check_wake)
        self._store_timer = QTimer(self)
        self._store_timer.setSingleShot(True)
        self._store_timer.setInterval(STORE_SETTLE_MS)
        self._store_timer.timeout.connect(self._look_for_others)
        self._watcher: QFileSystemWatcher | None = None
        self._route_watch: RouteWatch | None = None
        self._offset = wall() - mono()
        self._last_tick = mono()
        self._watch_network = watch_network
        self._online: bool | None = None
        self._call.connect(self._on_call)
        self.store_worker.failed.connect(self.failed)

    # --- lifecycle ---
    def start(self) -> None:
        """Start the store worker and check every source once (Retry-After is still honoured);
        before that poll, what an earlier run left unnotified is handed over."""
        state = self.ledger.load() if self.ledger is not None else None
        self.store_worker.start()
        if state is None:
            self._save_ledger()  # from now on
        else:
            self._mark, self._held = state.until, state.held
        self._wake_timer.start()
        if self._watch_network:
            self._watch_reachability()
        self._watch_store()
        self._queue(_Poll(force=True, away=self._take_away()), state)

    def shutdown(self, timeout: float = 2.0) -> bool:
        """Stop timers, cancel a running poll (its process is ended if it does not stop within
        ``CANCEL_GRACE_S``), let queued store work finish; True if all ended in time."""
        self._stopped = True
        self._timer.stop()
        self._wake_timer.stop()
        self._store_timer.stop()
        self._stop_watching()
        end = time.monotonic() + timeout
        self._cancel.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(min(CANCEL_GRACE_S, timeout))
            if thread.is_alive():
                log.warning("the poll did not stop when asked; ending its process")
                self._cancel.end()
                thread.join(max(0.0, end - time.monotonic()))
        ended = self.store_worker.stop(max(0.0, end - time.monotonic()))
        ended = ended and not (thread is not None and thread.is_alive())
        if ended:
            log.info("poll and store work ended")
        else:
            log.warning(
                "the poll or store work did not stop within %.1f s; leaving it to exit with us",
                timeout,
            )
        return ended

    def _stop_watching(self) -> None:
        """The file and network watches end here, on the GUI thread: each holds a socket
        notifier, and one destroyed with this object on another thread (where the last
        reference may go) would keep watching a closed descriptor."""
        watcher, self._watcher = self._watcher, None
        if watcher is not None:
            watcher.blockSignals(True)
            watcher.setParent(None)  # now Python's: destroyed when the last name goes
            del watcher
        route, self._route_watch = self._route_watch, None
        if route is not None:
            route.stop()

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
        self._queue(_Poll(force=True, away=self._take_away(), only=ids))

    def set_paused(self, paused: bool) -> None:
        self.paused = paused
        if paused:
            self._timer.stop()
            self.next_poll_changed.emit(None)
        else:
            self._request(force=False)

    def mark_read(self, source_id: str, entry_id: str, read: bool = True) -> None:
        store = self.store
        self.run_in_worker(
            "marking an entry read",
            functools.partial(store.set_read, source_id, entry_id, read),
            refresh_lists=True,
        )

    def run_in_worker(
        self, what: str, action: Callable[[], None], *, refresh_lists: bool = False
    ) -> None:
        """Run ``action`` on the store worker after the jobs already queued; a failure is
        logged and reported through ``failed``. ``refresh_lists``: the unread count and the
        window follow."""
        if not refresh_lists:
            self.store_worker.submit(what, action)
            return
        store = self.store

        def job() -> int:
            action()
            return store.unread_count()

        self.store_worker.submit(what, job, self._lists_changed)

    def keep_held(self, entries: Iterable[Entry]) -> None:
        """The notification policy holds these back now: remember them across a restart."""
        held = tuple((e.source_id, e.id) for e in entries)
        if held != self._held:
            self._held = held
            self._save_ledger()

    @property
    def fixed_interval_s(self) -> float | None:
        """The period every source is checked at (the demo), or None: as each is due."""
        return self._fixed

    # --- wake, network, other writers ---
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

        self._online, self._route_watch = watch_network(self, self.on_reachability)

    def _watch_store(self) -> None:
        """Another process (``live-updates check``) writing the store shows as a change of its
        files; the poller then looks for entries to notify."""
        path = Path(self.store.path)
        self._watcher = QFileSystemWatcher(self)
        self._watcher.fileChanged.connect(self._store_touched)
        self._watcher.directoryChanged.connect(self._store_touched)
        self._watcher.addPath(str(path.parent))
        self._rewatch()

    def _rewatch(self) -> None:
        if self._watcher is None:
            return
        path = Path(self.store.path)
        watched = set(self._watcher.files())
        for name in (path, path.with_name(path.name + "-wal")):
            if str(name) not in watched and name.exists():
                self._watcher.addPath(str(name))

    def _store_touched(self, _path: str) -> None:
        if self.busy or self._stopped:
            return  # the poll looks when it ends
        self._rewatch()
        self._store_timer.start()

    def _look_for_others(self) -> None:
        if self.busy or self._stopped:
            return  # the poll looks when it ends
        self._scan_generation += 1
        generation, store, mark = self._scan_generation, self.store, self._mark

        def found(answer: tuple[tuple[Entry, ...], datetime]) -> None:
            if generation != self._scan_generation or self._stopped:
                return  # a poll started meanwhile: it looks itself when it ends
            self._found_elsewhere(*answer)

        self.store_worker.submit(
            "looking for entries stored by another process",
            functools.partial(stored_elsewhere, store, mark),
            found,
        )

    # --- scheduling ---
    def _request(self, *, force: bool, away: bool = False) -> None:
        self._away_pending = self._away_pending or away
        if self.busy:
            if force:  # a running ordinary poll would not check everything
                self._queue(_Poll(force=True, away=self._take_away()))
            return
        if self.paused and not force:
            return
        if not force and self._failures:  # after a failed poll, the retry timer decides
            if not self._timer.isActive():
                self._timer.start(int(retry_delay(self._failures).total_seconds() * 1000))
            return
        self._timer.stop()
        self._queue(_Poll(force=force, away=self._take_away()))

    def _take_away(self) -> bool:
        away, self._away_pending = self._away_pending, False
        return away

    def _due(self) -> None:
        if self._failures:
            self._timer.stop()
            self._queue(_Poll(force=self._fixed is not None, away=self._take_away()))
            return
        self._request(force=self._fixed is not None)

    def _queue(self, job: _Poll, state: LedgerState | None = None) -> None:
        if self._stopped:
            return
        if self.busy:
            if job not in self._waiting:  # asked twice while a poll runs: one poll after it
                self._waiting.append(job)
            return
        self.busy = True
        self._scan_generation += 1  # a store scan on its way is this poll's to make
        args = (job, self._mark, state)
        self._thread = threading.Thread(
            target=self._work, args=args, name="live-updates-poll", daemon=True
        )
        self._thread.start()

    def _work(self, job: _Poll, mark: datetime, state: LedgerState | None) -> None:
        """On the poll's thread: what an earlier run left (at start), the poll, then what the
        GUI shows next."""
        store, engine = self.store, self.engine
        self._call.emit(functools.partial(self.poll_started.emit, job.force))
        if state is not None:
            try:
                recovered, mark = recover(store, state)
            except Exception as exc:
                log.exception("error while recovering unshown entries")
                self._call.emit(functools.partial(self.failed.emit, poll_failure_message(exc)))
            else:
                if recovered:
                    log.info("%d entries were never shown; handing them over", len(recovered))
                self._call.emit(functools.partial(self._recovered, recovered, mark))
        found = _Polled(job, mark=mark)
        try:
            # A baseline never notifies, so its entries come as counts only: a cold poll of
            # many sources then hands the GUI thread no copy of all it stored (the window reads
            # the store itself).
            result = engine.poll(
                only=job.only,
                force=job.force,
                cancel=self._cancel,
                progress=self._post_progress,
                baseline_entries=False,
            )
            found = replace(found, result=result)
            if not self._cancel.is_set():
                own = [(e.source_id, e.id) for e in result.new_entries]
                elsewhere, mark = stored_elsewhere(store, mark, own, result.stored_count)
                found = replace(
                    found,
                    elsewhere=elsewhere,
                    mark=mark,
                    statuses=engine.statuses(),
                )
        except Exception as exc:  # every failure is logged and shown, none is swallowed
            log.exception("error while checking sources")
            found = replace(found, error=poll_failure_message(exc))
        if not self._cancel.is_set():
            try:
                found = replace(found, due=engine.next_due_time())
            except Exception:
                log.exception("cannot tell when sources are due; trying again later")
                found = replace(found, due=self._clock() + RETRY_AFTER_FAILURE)
        self._call.emit(functools.partial(self._finished, found))

    def _post_progress(self, done: int, total: int) -> None:
        self._call.emit(functools.partial(self.progress.emit, done, total))

    def _on_call(self, call: Callable[[], None]) -> None:
        call()

    def _recovered(self, entries: tuple[Entry, ...], mark: datetime) -> None:
        if self._stopped:
            return
        if entries:
            self.recovered.emit(entries)
        self._advance(mark)

    def _finished(self, found: _Polled) -> None:
        """On the GUI thread: a poll ended (successful or not)."""
        self.busy = False
        if self._stopped:
            return
        self._rewatch()
        if found.result is not None:
            self._last_poll_end = self._mono()
            self.polled.emit(found.result, found.job.away)
        if found.error is not None:
            self._failures += 1
            self.failed.emit(found.error)
        else:
            self._failures = 0
            self._found_elsewhere(found.elsewhere, found.mark)
        if found.result is not None and found.error is None:
            self._count_unread()  # on the store worker, in order with the read marks
        if found.statuses is not None:
            self.statuses_changed.emit(found.statuses)
        self._schedule(found.due)

    def _found_elsewhere(self, entries: tuple[Entry, ...], mark: datetime | None) -> None:
        """Hand over what another process stored (not what a look before already did), and
        move the mark past everything looked at."""
        fresh = tuple(e for e in entries if e.first_seen > self._mark)
        if fresh:
            log.info("%d new entries stored by another process", len(fresh))
            self.stored_elsewhere.emit(fresh)
            self.store_changed.emit()
        if mark is not None:
            self._advance(mark)

    def _advance(self, mark: datetime) -> None:
        if mark > self._mark:
            self._mark = mark
            self._save_ledger()

    def _save_ledger(self) -> None:
        if self.ledger is None:
            return
        ledger, state = self.ledger, LedgerState(self._mark, self._held)
        self.store_worker.submit("saving what was notified", functools.partial(ledger.save, state))

    def _count_unread(self) -> None:
        self.store_worker.submit(
            "counting unread entries", self.store.unread_count, self._lists_changed
        )

    def _lists_changed(self, unread: int) -> None:
        self.unread_changed.emit(unread)
        self.store_changed.emit()

    def _schedule(self, due: datetime | None) -> None:
        """Arm the timer for the next poll (``due``: when the earliest source is due) and say
        when that is (``next_poll_changed``: None while paused or with nothing to check)."""
        self._timer.stop()
        if self._waiting:
            job = self._waiting.pop(0)
            self._queue(replace(job, away=job.away or self._take_away()))
            self.next_poll_changed.emit(self._clock())
            return
        if self.paused:
            self.next_poll_changed.emit(None)
            return
        if self._failures:
            wait = retry_delay(self._failures).total_seconds()
            log.info("the poll failed; trying again in %d s", wait)
        elif due is None:
            self.next_poll_changed.emit(None)
            return
        elif self._fixed is not None:
            wait = self._fixed
        else:
            wait = (due - self._clock()).total_seconds()
            if self._last_poll_end is not None:
                wait = max(wait, MIN_GAP_S - (self._mono() - self._last_poll_end))
            wait = min(max(wait, 0.0), MAX_TIMER_S)
        self._timer.start(int(wait * 1000))
        self.next_poll_changed.emit(self._clock() + timedelta(seconds=wait))


__all__ = [
    "CANCEL_GRACE_S",
    "EngineLike",
    "Poller",
    "StoreLike",
    "clock_jumped",
    "retry_delay",
    "run_aside",
]
