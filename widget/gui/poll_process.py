"""The tray app's engine: ``PollProcess`` runs each poll (and each site-icon fetch) in a child
process, ``engine/worker.py``, and reads its answers on the calling thread as they come:
progress, log records, the result. Schedules and statuses are read in this process, from the
config and the store.

A cancel (quit) is forwarded to the child through a ``Cancellation``; a child that does not
finish is ended.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO, Protocol

from widget.core.clock import utcnow
from widget.core.errors import LiveUpdatesError
from widget.core.models import Config, FetchState, PollResult, SourceStatus
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

ProgressCallback = Callable[[int, int], None]

END_WAIT_S = 0.4  # after SIGTERM, then again after SIGKILL, for a child to end


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


class Cancellation(threading.Event):
    """Quit's cancel of the running poll. An in-process engine looks at it between steps; a
    poll process is asked to stop when it is set and ended by ``end`` if it does not."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._hooks: list[tuple[Callable[[], None], Callable[[], None]]] = []

    def attach(self, ask: Callable[[], None], end: Callable[[], None]) -> Callable[[], None]:
        """Call ``ask`` when cancelled (now, if it already is) and ``end`` from ``end``; returns
        the detach function."""
        hook = (ask, end)
        with self._lock:
            self._hooks.append(hook)
        if self.is_set():
            ask()

        def detach() -> None:
            with self._lock, contextlib.suppress(ValueError):
                self._hooks.remove(hook)

        return detach

    def set(self) -> None:
        super().set()
        with self._lock:
            hooks = list(self._hooks)
        for ask, _end in hooks:
            ask()

    def end(self) -> None:
        with self._lock:
            hooks = list(self._hooks)
        for _ask, end in hooks:
            end()


def service_command() -> list[str]:
    """How to start the poll process: the frozen executable with a hidden first argument, or
    this Python running ``widget.engine.worker``."""
    if getattr(sys, "frozen", False):
        return [sys.executable, SERVICE_ARG]
    return [sys.executable, "-m", "widget.engine.worker"]


class PollProcess:
    """The tray app's engine: each poll runs in a child process, read on the calling thread (the
    poll's thread); schedules and statuses are read here, from the config and the store."""

    def __init__(
        self,
        config: ConfigLike,
        db: StateSource,
        *,
        in_memory: bool = False,
        clock: Callable[[], datetime] = utcnow,
        command: Sequence[str] | None = None,
    ) -> None:
        """``in_memory``: the config lives only in this process (the demo); each poll process
        gets a copy, and a URL it moved comes back. ``command``: how to start the child
        (default ``service_command()``)."""
        self._config = config
        self._db = db
        self._in_memory = in_memory
        self._clock = clock
        self._command = list(command) if command is not None else service_command()
        self._lock = threading.Lock()
        self._live: set[subprocess.Popen[bytes]] = set()  # a poll's and an icon fetch's

    # --- reading (in this process) ---
    def statuses(self) -> list[SourceStatus]:
        return source_statuses(self._config, self._db)

    def next_due_time(self) -> datetime | None:
        return next_due(self.statuses(), self._clock())

    # --- work in a child ---
    def poll(
        self,
        *,
        only: Iterable[str] | None = None,
        force: bool = False,
        cancel: Cancellation | None = None,
        progress: ProgressCallback | None = None,
        baseline_entries: bool = True,
    ) -> PollResult:
        """``Engine.poll`` in a child process. A cancelled poll whose child does not finish is
        ended (``Cancellation.end``) and reported as an empty result. Raises PollProcessError
        when the child fails or dies."""
        started = self._clock()
        args = PollArgs(
            only=None if only is None else tuple(only),
            force=force,
            baseline_entries=baseline_entries,
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

    def close(self) -> None:
        """End poll processes that are still running (quit)."""
        with self._lock:
            children = list(self._live)
        for child in children:
            if child.poll() is None:
                _end(child)

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
        cancel: Cancellation | None,
        progress: ProgressCallback | None,
    ) -> tuple[list[object], int | None]:
        """Start a child for ``job`` and read its answers on this thread until it is done:
        progress and log records are handed on as they come, the rest is returned with the
        child's exit status. A cancel is forwarded to the child."""
        with self._lock:
            child = subprocess.Popen(
                self._command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, close_fds=True
            )
            self._live.add(child)
        assert child.stdin is not None and child.stdout is not None
        stdin, stdout = child.stdin, child.stdout
        send_lock = threading.Lock()

        def ask() -> None:
            with send_lock:
                _send(stdin, Cancel())

        detach = cancel.attach(ask, lambda: _end(child)) if cancel is not None else None
        answers: list[object] = []
        try:
            with send_lock:
                _send(stdin, job)
            while True:
                try:
                    message = read_frame(stdout)  # type: ignore[arg-type]
                except (FrameError, OSError, ValueError) as exc:
                    answers.append(
                        Failed(
                            "Checking sources failed: the poll process's answer was "
                            f"unreadable ({exc})"
                        )
                    )
                    break
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
            if detach is not None:
                detach()
            with send_lock:
                _close(stdin)
            status = _reap(child)
            _close(stdout)
            with self._lock:
                self._live.discard(child)
        return answers, status


def relog(data: dict[str, object]) -> None:
    """A child's log record (``protocol.record_dict``, masked there), handled here as if logged
    here."""
    record = logging.makeLogRecord(data)
    record.processName = "poll-process"
    logger = logging.getLogger(record.name)
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)


def _send(stream: IO[bytes], message: object) -> None:
    try:
        stream.write(encode(message))
        stream.flush()
    except (BrokenPipeError, ValueError, OSError):
        pass  # the child is gone; its end shows in the exit status


def _close(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError, ValueError):
        stream.close()


def _end(child: subprocess.Popen[bytes]) -> None:
    if child.poll() is not None:
        return
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
    "END_WAIT_S",
    "Cancellation",
    "ConfigLike",
    "PollProcess",
    "PollProcessError",
    "ProgressCallback",
    "StateSource",
    "relog",
    "service_command",
]
