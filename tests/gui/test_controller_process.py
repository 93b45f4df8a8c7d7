"""The poller runs each poll in a poll process: quitting mid-poll stops it within the promised
2 s and keeps the read marks the user made just before; a poll process that dies is a failure the
user sees, and the next poll works."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from pytestqt.qtbot import QtBot

from tests.gui.rig import trickle_handler
from tests.support.feeds import RSS, posts, rss
from tests.support.processes import child_pids
from tests.support.server import LoopbackServer
from widget.core.models import Config, PollResult, Source, SourceKind
from widget.gui.poll_process import PollProcess
from widget.gui.poller import Poller
from widget.storage.config import ConfigStore
from widget.storage.db import Database

WAIT = 20_000


def _setup(tmp_path: Path, *sources: Source) -> tuple[ConfigStore, Database]:
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=sources))
    return config, Database.open(tmp_path / "entries.sqlite3")


def test_quit_mid_poll_ends_within_two_seconds_and_keeps_a_read_mark(
    qtbot: QtBot, server: LoopbackServer, tmp_path: Path
) -> None:
    feed = server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    source = Source(id="h", name="Harbour", url=feed, kind=SourceKind.FEED)
    config, db = _setup(tmp_path, source)
    stop = threading.Event()
    try:
        engine = PollProcess(config, db)
        before = child_pids()
        engine.poll(force=True)  # the baseline, stored unread=False; mark one unread below
        db.set_read("h", "h-1", False)
        server.route("/feed", handler=trickle_handler(stop))  # type: ignore[arg-type]
        poller = Poller(engine, db, watch_network=False)
        with qtbot.waitSignal(poller.progress, timeout=WAIT):
            poller.start()  # the poll started
        poller.mark_read("h", "h-1")  # asked while the poll runs
        assert poller.shutdown(2.0), "the poll and the store work ended within 2 s"
        assert child_pids() == before
        assert [e.read for e in db.entries() if e.id == "h-1"] == [True]
    finally:
        stop.set()
        db.close()


def test_a_poll_process_that_dies_is_reported_and_the_next_poll_works(
    qtbot: QtBot, server: LoopbackServer, tmp_path: Path
) -> None:
    stop = threading.Event()
    feed = server.route("/feed", handler=trickle_handler(stop))  # type: ignore[arg-type]
    config, db = _setup(tmp_path, Source(id="h", name="Harbour", url=feed, kind=SourceKind.FEED))
    engine = PollProcess(config, db)
    poller = Poller(engine, db, watch_network=False)
    before = child_pids()
    failures: list[str] = []
    results: list[PollResult] = []
    poller.failed.connect(failures.append)
    poller.polled.connect(lambda result, _away: results.append(result))
    try:
        with qtbot.waitSignal(poller.progress, timeout=WAIT):
            poller.start()
        [child] = child_pids() - before
        with qtbot.waitSignal(poller.next_poll_changed, timeout=WAIT):
            os.kill(child, signal.SIGKILL)
        assert failures == [
            "Checking sources failed: the poll process was ended by signal 9. "
            "The next check starts a new one."
        ]
        stop.set()
        server.route("/feed", rss(posts(2, "h")), content_type=RSS)
        with qtbot.waitSignal(poller.next_poll_changed, timeout=WAIT):
            poller.refresh_now()
        assert [r.stored_count for r in results] == [2]
    finally:
        stop.set()
        poller.shutdown()
        db.close()
