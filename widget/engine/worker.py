"""The poll process: serves one ``protocol.Job`` from the tray app — a poll of the engine with
progress and cancel, then site icons — and exits. ``python -m widget.engine.worker`` (or the
frozen executable with ``protocol.SERVICE_ARG``).

It reads the job, and later a ``Cancel``, from stdin and writes ``Progress``, ``Polled``,
``IconsFetched``, ``Failed`` and ``Done`` frames and log records (``protocol.record_dict``,
secrets masked) to stdout; anything else printed goes to stderr. A ``Cancel``, or stdin closing
(the tray app died), cancels the poll; the poll returns within a fraction of a second and the
process exits at once, without waiting for requests still on the network. Should it not get
there within ``ORPHAN_GRACE_S`` of stdin closing, it ends itself; on Linux the kernel also sends
SIGTERM when the thread that started it ends (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from pathlib import Path
from typing import BinaryIO, NoReturn

from widget.core.errors import poll_failure_message
from widget.engine.icons import fetch_favicons
from widget.engine.protocol import (
    Cancel,
    Done,
    Failed,
    IconsFetched,
    Job,
    Polled,
    Progress,
    read_frame,
    record_dict,
    write_frame,
)
from widget.log import redact
from widget.storage.config import ConfigStore, MemoryConfigStore
from widget.storage.db import Database
from widget.unattended import Unattended

log = logging.getLogger(__name__)

NICENESS = 10  # background work: the desktop (the tray app's GUI thread too) goes first
ORPHAN_GRACE_S = 2.0  # after stdin closes: time for the cancelled poll to end before exiting
ORPHAN_STATUS = 3
PR_SET_PDEATHSIG = 1


class _Pipe:
    """Frames to the tray app, one writer at a time (the poll thread and the log handler)."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream
        self._lock = threading.Lock()
        self.broken = False

    def send(self, message: object) -> None:
        with self._lock:
            if self.broken:
                return
            try:
                write_frame(self._stream, message)
            except (BrokenPipeError, ValueError, OSError):
                self.broken = True  # the tray app is gone: nobody reads


class _PipeHandler(logging.Handler):
    """Log records go up the pipe in the standard library's pickle form, secrets masked; the
    tray app handles them as its own (its log file has one writer)."""

    def __init__(self, pipe: _Pipe) -> None:
        super().__init__()
        self._pipe = pipe
        self._formatter = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._pipe.send(record_dict(record, self._formatter, redact))
        except Exception:
            self.handleError(record)


def die_with_parent() -> None:
    """Linux: SIGTERM when the tray app's thread that started us ends (a second guard besides
    stdin closing). Elsewhere, or without libc's prctl, nothing."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0)
    except (OSError, AttributeError) as exc:
        log.debug("no parent-death signal (%s)", exc)


def _watch_input(stream: BinaryIO, cancel: threading.Event, finished: threading.Event) -> None:
    """Cancel on a ``Cancel`` frame or at end of input; after end of input (the tray app died),
    end the process if the job has not finished within ``ORPHAN_GRACE_S``."""
    try:
        while (message := read_frame(stream)) is not None:
            if isinstance(message, Cancel):
                log.info("the tray app cancelled the poll")
                cancel.set()
    except Exception:
        log.exception("reading from the tray app failed")
    cancel.set()
    if not finished.wait(ORPHAN_GRACE_S):
        os._exit(ORPHAN_STATUS)


def _setup_logging(pipe: _Pipe, level: int) -> None:
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    root.addHandler(_PipeHandler(pipe))
    root.setLevel(logging.INFO)
    logging.getLogger("widget").setLevel(level)


def run_job(
    job: Job, pipe: _Pipe, cancel: threading.Event, unattended: Unattended | None = None
) -> None:
    """Poll (when asked), then fetch the wanted site icons, sending results as they come."""
    from widget.engine.poll import Engine  # the fetch stack: only ever in this process

    path = Path(job.config_path)
    config: ConfigStore = (
        ConfigStore(path) if job.config is None else MemoryConfigStore(path, job.config)
    )
    db = Database.open(Path(job.db_path))
    try:
        threads = job.poll.fetch_threads if job.poll is not None else 1
        seam = unattended or Unattended()
        engine = Engine(
            config,
            db,
            fetch_threads=threads,
            deadline=seam.http_deadline,
            host_gap_s=seam.host_gap_s,
        )
        try:
            if job.poll is not None:
                result = engine.poll(
                    only=job.poll.only,
                    force=job.poll.force,
                    cancel=cancel,
                    progress=lambda done, total: pipe.send(Progress(done, total)),
                    baseline_entries=job.poll.baseline_entries,
                )
                memory = config.load() if job.config is not None else None
                pipe.send(Polled(result, memory if memory != job.config else None))
            if job.icon_urls and job.cache_dir is not None and not cancel.is_set():
                keys = fetch_favicons(engine.http, job.icon_urls, Path(job.cache_dir))
                pipe.send(IconsFetched(tuple(keys)))
        finally:
            engine.close()
    finally:
        db.close()


def _lower_priority() -> None:
    if hasattr(os, "nice"):
        try:
            os.nice(NICENESS)
        except OSError as exc:
            log.debug("could not lower the poll process's priority (%s)", exc)


def serve() -> int:
    """Serve the job on stdin; the exit status (0: done, 1: the job failed, 2: no job)."""
    die_with_parent()
    _lower_priority()
    # Frames use the original stdout; stray prints (of any library) go to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    pipe = _Pipe(out)
    stdin = sys.stdin.buffer
    job = read_frame(stdin)
    if not isinstance(job, Job):
        print("live-updates poll process: no job on stdin", file=sys.stderr)
        return 2
    _setup_logging(pipe, job.log_level)
    cancel, finished = threading.Event(), threading.Event()
    threading.Thread(
        target=_watch_input, args=(stdin, cancel, finished), name="poll-input", daemon=True
    ).start()
    status = 0
    try:
        run_job(job, pipe, cancel, Unattended.from_environment())
    except Exception as exc:  # every failure reaches the tray app as a sentence and a log line
        log.exception("the poll process failed")
        pipe.send(Failed(poll_failure_message(exc)))
        status = 1
    pipe.send(Done())
    finished.set()
    logging.getLogger().handlers.clear()
    return status


def main() -> NoReturn:
    """``serve``, then exit at once: a request still waiting on the network (a cancelled poll)
    is not waited for, nor is anything else the interpreter would join at exit."""
    status = serve()
    sys.stderr.flush()
    os._exit(status)


if __name__ == "__main__":
    main()
