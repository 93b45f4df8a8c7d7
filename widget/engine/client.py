"""The tray app's engine: each poll runs in a short-lived child process (``service``), so the
tray app never imports the fetch stack (httpx, ssl, feedparser), keeps no poll's heap, and its
GUI thread never waits for fetch threads. Schedules and statuses are read here, from the config
and the store.

``ProcessEngine`` is called on the controller's worker thread. Results arrive as the same
plain dataclasses the in-process ``Engine`` returns; the child's log records are re-logged
here, so the log file keeps one writer.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Protocol

from widget.core.errors import LiveUpdatesError
from widget.core.models import Config, FetchState, PollResult, Settings, SourceStatus
from widget.engine.protocol import (
    SERVICE_ARG,
    Cancel,
    Done,
    Failed,
    FrameError,
    IconsFetched,
    Job,
    PollArgs,
    Polled,
    Progress,
    encode,
    is_record_dict,
    read_frame,
)
from widget.engine.status import next_due, source_statuses

log = logging.getLogger(__name__)

DEFAULT_FETCH_THREADS = 6
# After a cancel: time for the child to finish its poll before it is ended; then up to
# END_WAIT_S after SIGTERM and again after SIGKILL. In all, well under quit's 2-s promise.
CANCEL_GRACE_S = 0.8
END_WAIT_S = 0.4
_TICK_S = 0.1


class PollProcessError(LiveUpdatesError):
    """The poll process failed or ended before it answered."""


class ConfigLike(Protocol):
    @property
    def path(self) -> Path: ...

    def load(self) -> Config: ...

    def save(self, config: Config) -> None: ...


class StateSource(Protocol):
    @property
    def path(self) -> Path: ...

    def all_states(self) -> dict[str, FetchState]: ...


def service_command() -> list[str]:
    """How to start the poll process: the frozen executable with a hidden first argument, or
    this Python running ``widget.engine.worker``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, SERVICE_ARG]
    return [sys.executable, "-m", "widget.engine.worker"]


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class ProcessEngine:
    """The controller's ``EngineLike``, polling through a child process per poll."""

    def __init__(
        self,
        config: ConfigLike,
        db: StateSource,
        *,
        in_memory: bool = False,
        fetch_threads: int = DEFAULT_FETCH_THREADS,
        clock: Callable[[], datetime] = _utc_now,
        command: Sequence[str] | None = None,
    ) -> None:
        """``in_memory``: the config lives only in this process (the demo); each poll process
        gets a copy, and a URL it moved comes back. ``command``: how to start the child
        (default ``service_command()``)."""
        self._config = config
        self._db = db
        self._in_memory = in_memory
        self._fetch_threads = max(1, fetch_threads)
        self._clock = clock
        self._command = list(command) if command is not None else service_command()
        self._lock = threading.Lock()
        self._child: subprocess.Popen[bytes] | None = None  # the latest one started
        self._live: set[subprocess.Popen[bytes]] = set()  # a poll's and an icon fetch's

    # --- reading (in this process) ---
    def statuses(self) -> list[SourceStatus]:
        return source_statuses(self._config, self._db)

    def next_due_time(self) -> datetime | None:
        return next_due(self.statuses(), self._clock())

    def apply_settings(self, settings: Settings) -> bool:
        """Nothing to do: every poll process reads the settings afresh (a new proxy or size cap
        is used from the next poll on). False: no client here changed."""
        return False

    # --- work in a child ---
    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: threading.Event | None = None,
        progress: Callable[[int, int], None] | None = None,
        baseline_entries: bool = True,
    ) -> PollResult:
        """``Engine.poll`` in a child process. A cancelled poll whose child does not finish
        within ``CANCEL_GRACE_S`` is ended and reported as an empty result. Raises
        PollProcessError when the child fails or dies."""
        started = self._clock()
        args = PollArgs(
            only=None if only is None else tuple(only),
            force=force,
            baseline_entries=baseline_entries,
            fetch_threads=self._fetch_threads,
        )
        answers, status = self._run(self._job(poll=args), cancel, progress)
        for answer in answers:
            if isinstance(answer, Polled):
                if answer.config is not None and self._in_memory:
                    self._config.save(answer.config)
                return answer.result
        if cancel is not None and cancel.is_set():
            return PollResult(started=started, finished=self._clock())
        raise PollProcessError(_failure(answers, status))

    def fetch_icons(self, source_urls: Sequence[str], cache_dir: Path) -> list[str]:
        """Fetch the sites' icons into ``cache_dir`` in a child; the site keys now cached."""
        job = self._job(icon_urls=tuple(source_urls), cache_dir=str(cache_dir))
        answers, status = self._run(job, None, None)
        for answer in answers:
            if isinstance(answer, IconsFetched):
                return list(answer.keys)
        raise PollProcessError(_failure(answers, status, what="Fetching site icons"))

    @property
    def running(self) -> bool:
        """A poll process is alive now."""
        with self._lock:
            return any(child.poll() is None for child in self._live)

    def close(self) -> None:
        """End poll processes that are still running (quit)."""
        with self._lock:
            children = list(self._live)
        for child in children:
            if child.poll() is None:
                _end(child)

    # --- plumbing ---
    def _job(
        self,
        *,
        poll: PollArgs | None = None,
        icon_urls: tuple[str, ...] = (),
        cache_dir: str | None = None,
    ) -> Job:
        return Job(
            config_path=str(self._config.path),
            db_path=str(self._db.path),
            config=self._config.load() if self._in_memory else None,
            poll=poll,
            icon_urls=icon_urls,
            cache_dir=cache_dir,
            log_level=logging.getLogger("widget").getEffectiveLevel(),
        )

    def _run(
        self,
        job: Job,
        cancel: threading.Event | None,
        progress: Callable[[int, int], None] | None,
    ) -> tuple[list[object], int | None]:
        """Start a child for ``job``, relay its progress and log lines, forward a cancel, and
        return its other answers and its exit status once it has ended."""
        with self._lock:
            child = subprocess.Popen(
                self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
            )
            self._child = child
            self._live.add(child)
        assert child.stdin is not None and child.stdout is not None
        inbox: queue.SimpleQueue[object] = queue.SimpleQueue()
        reader = threading.Thread(
            target=_read_all, args=(child.stdout, inbox), name="poll-process-reader", daemon=True
        )
        reader.start()
        answers: list[object] = []
        status: int | None = None
        cancelled_at: float | None = None
        try:
            _send(child.stdin, job)
            while True:
                if cancel is not None and cancel.is_set() and cancelled_at is None:
                    cancelled_at = time.monotonic()
                    _send(child.stdin, Cancel())
                if cancelled_at is not None and time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                    log.warning("the poll process did not stop when asked; ending it")
                    _end(child)
                    break
                try:
                    message = inbox.get(timeout=_TICK_S)
                except queue.Empty:
                    continue
                if message is None or isinstance(message, Done):
                    break
                if isinstance(message, Progress):
                    if progress is not None:
                        progress(message.done, message.total)
                elif is_record_dict(message):
                    relog(message)  # type: ignore[arg-type]
                else:
                    answers.append(message)
        finally:
            _close(child.stdin)
            status = _reap(child)
            reader.join(END_WAIT_S)
            _close(child.stdout)
            with self._lock:
                self._live.discard(child)
        while True:  # frames that arrived after Done (none are expected) or with a read error
            try:
                late = inbox.get_nowait()
            except queue.Empty:
                break
            if is_record_dict(late):
                relog(late)  # type: ignore[arg-type]
            elif late is not None and not isinstance(late, (Done, Progress)):
                answers.append(late)
        return answers, status


def relog(data: dict[str, object]) -> None:
    """A child's log record (``protocol.record_dict``, masked there), handled here as if logged
    here."""
    record = logging.makeLogRecord(data)
    record.processName = "poll-process"
    logger = logging.getLogger(record.name)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)


def _read_all(stream: IO[bytes], inbox: queue.SimpleQueue[object]) -> None:
    try:
        while True:
            message = read_frame(stream)  # type: ignore[arg-type]
            if message is None:
                break
            inbox.put(message)
    except (FrameError, OSError, ValueError) as exc:
        inbox.put(
            Failed(f"Checking sources failed: the poll process's answer was unreadable ({exc})")
        )
    inbox.put(None)


def _send(stream: IO[bytes], message: object) -> None:
    try:
        stream.write(encode(message))
        stream.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the child is gone; its end shows in the exit status


def _close(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError):
        stream.close()


def _end(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(END_WAIT_S)
    except subprocess.TimeoutExpired:
        child.kill()
        try:
            child.wait(END_WAIT_S)
        except subprocess.TimeoutExpired:
            log.error("the poll process %d did not end after SIGKILL", child.pid)


def _reap(child: subprocess.Popen[bytes]) -> int | None:
    """Wait for the child to exit (ending it if it lingers); its exit status."""
    try:
        return child.wait(2 * END_WAIT_S)
    except subprocess.TimeoutExpired:
        _end(child)
        return child.poll()


def _failure(answers: list[object], status: int | None, what: str = "Checking sources") -> str:
    for answer in answers:
        if isinstance(answer, Failed):
            return answer.message
    if status is not None and status < 0:
        how = f"was ended by signal {-status}"
    else:
        how = f"ended unexpectedly (exit status {status})"
    return f"{what} failed: the poll process {how}. The next check starts a new one."


__all__ = [
    "CANCEL_GRACE_S",
    "DEFAULT_FETCH_THREADS",
    "PollProcessError",
    "ProcessEngine",
    "relog",
    "service_command",
]
