"""The controller's worker runs the engine through a poll process: quitting mid-poll stops it
within the promised 2 s and keeps the read marks the user made just before; a poll process that
dies is a failure the user sees, and the next poll works."""

from __future__ import annotations

import os
import signal
import threading
from datetime import datetime
from pathlib import Path

from tests.gui.rig import trickle_handler
from tests.support.feeds import RSS, posts, rss
from tests.support.server import LoopbackServer
from widget.core.models import Config, Entry, PollResult, Source, SourceKind, SourceStatus
from widget.engine.client import ProcessEngine
from widget.gui.controller import PollLoop
from widget.storage.config import ConfigStore
from widget.storage.db import Database


class Listener:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.results: list[PollResult] = []
        self.failures: list[str] = []
        self.progressed = threading.Event()
        self.scheduled_event = threading.Event()
        self.failed_event = threading.Event()

    def poll_started(self, force: bool) -> None:
        self.events.append("started")

    def progress(self, done: int, total: int) -> None:
        self.progressed.set()

    def polled(self, result: PollResult, away: bool) -> None:
        self.results.append(result)

    def recovered(self, entries: tuple[Entry, ...]) -> None:
        pass

    def failed(self, message: str) -> None:
        self.failures.append(message)
        self.failed_event.set()

    def scheduled(self, due: datetime | None) -> None:
        self.scheduled_event.set()

    def unread(self, count: int) -> None:
        pass

    def recent(self, entries: list[Entry]) -> None:
        pass

    def statuses(self, statuses: list[SourceStatus]) -> None:
        pass


def _setup(tmp_path: Path, *sources: Source) -> tuple[ConfigStore, Database]:
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=sources))
    return config, Database.open(tmp_path / "entries.sqlite3")


def test_quit_mid_poll_ends_within_two_seconds_and_keeps_a_read_mark(
    server: LoopbackServer, tmp_path: Path
) -> None:
    feed = server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    source = Source(id="h", name="Harbour", url=feed, kind=SourceKind.FEED)
    config, db = _setup(tmp_path, source)
    stop = threading.Event()
    try:
        engine = ProcessEngine(config, db)
        engine.poll(force=True)  # the baseline, stored unread=False; mark one unread below
        db.set_read("h", "h-1", False)
        server.route("/feed", handler=trickle_handler(stop))  # type: ignore[arg-type]
        listener = Listener()
        loop = PollLoop(engine, db, listener)
        loop.start()
        loop.poll(force=True)
        assert listener.progressed.wait(20), "the poll started"
        loop.mark_read("h", "h-1")  # queued behind the running poll
        assert loop.stop(2.0), "the worker ended within 2 s"
        assert not engine.running
        assert [e.read for e in db.entries() if e.id == "h-1"] == [True]
    finally:
        stop.set()
        db.close()


def test_a_poll_process_that_dies_is_reported_and_the_next_poll_works(
    server: LoopbackServer, tmp_path: Path
) -> None:
    stop = threading.Event()
    feed = server.route("/feed", handler=trickle_handler(stop))  # type: ignore[arg-type]
    config, db = _setup(tmp_path, Source(id="h", name="Harbour", url=feed, kind=SourceKind.FEED))
    engine = ProcessEngine(config, db)
    listener = Listener()
    loop = PollLoop(engine, db, listener)
    try:
        loop.start()
        loop.poll(force=True)
        assert listener.progressed.wait(20)
        child = engine._child
        assert child is not None
        os.kill(child.pid, signal.SIGKILL)
        assert listener.failed_event.wait(20)
        assert listener.scheduled_event.wait(20)
        assert listener.failures == [
            "Checking sources failed: the poll process was ended by signal 9. "
            "The next check starts a new one."
        ]
        stop.set()
        server.route("/feed", rss(posts(2, "h")), content_type=RSS)
        listener.scheduled_event.clear()
        loop.poll(force=True)
        assert listener.scheduled_event.wait(20)
        assert [r.stored_count for r in listener.results] == [2]
    finally:
        stop.set()
        loop.stop()
        db.close()
