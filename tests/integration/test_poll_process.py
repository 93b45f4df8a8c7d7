"""The tray app's engine against a real poll process and the loopback server: results, progress,
statuses and log lines come back; cancel, a killed child and a dead tray app are handled; the
demo's in-memory config is polled; site icons are fetched by the child."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.gui.rig import trickle_handler
from tests.support.feeds import RSS, posts, rss
from tests.support.processes import child_pids
from tests.support.server import LoopbackServer
from tests.support.store import feed_source
from widget.core.models import Config, PollStatus
from widget.engine.icons import cache_paths, site_key
from widget.engine.protocol import Job, PollArgs, encode
from widget.gui.poll_process import Cancellation, PollProcess, PollProcessError, service_command
from widget.log import configure_logging
from widget.paths import AppPaths
from widget.storage.config import ConfigStore, MemoryConfigStore
from widget.storage.db import Database


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    database = Database.open(tmp_path / "entries.sqlite3")
    yield database
    database.close()


def test_a_poll_in_a_child_stores_entries_reports_progress_and_leaves_no_process(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    config = ConfigStore(tmp_path / "config.json")
    feed = server.route("/feed", rss(posts(3, "h")), content_type=RSS)
    config.save(
        Config(sources=(feed_source("Harbour", feed), feed_source("Gone", server.url("/nope"))))
    )
    engine = PollProcess(config, db)
    before = child_pids()
    seen: list[tuple[int, int]] = []

    result = engine.poll(force=True, progress=lambda done, total: seen.append((done, total)))

    statuses = {r.source_name: r.status for r in result.results}
    assert statuses == {"Harbour": PollStatus.OK, "Gone": PollStatus.ERROR}
    assert result.stored_count == 3
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert [e.id for e in db.entries()] and len(db.entries()) == 3
    by_name = {s.source.name: s.state for s in engine.statuses()}
    assert by_name["Gone"].error_count == 1 and by_name["Harbour"].error_count == 0
    due = engine.next_due_time()
    assert due is not None and due > result.finished
    assert child_pids() == before


def test_the_childs_log_lines_reach_the_log_file_with_secrets_masked(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    paths = AppPaths(tmp_path / "c", tmp_path / "d", tmp_path / "cache", tmp_path / "log")
    undo = configure_logging(paths)
    try:
        config = ConfigStore(tmp_path / "config.json")
        url = server.url("/private?token=s3cr3t-value")
        config.save(Config(sources=(feed_source("Private", url),)))
        PollProcess(config, db).poll(force=True)
    finally:
        undo()
    text = paths.log_file.read_text(encoding="utf-8")
    assert "Private: HTTP 404" in text
    assert "s3cr3t-value" not in text


def test_cancel_stops_the_poll_and_keeps_no_child(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    stop = threading.Event()
    slow = server.route("/slow", handler=trickle_handler(stop))  # type: ignore[arg-type]
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=(feed_source("Slow", slow),)))
    engine = PollProcess(config, db)
    before = child_pids()
    cancel = Cancellation()
    timer = threading.Timer(1.5, cancel.set)  # the request is running by then
    timer.start()
    try:
        result = engine.poll(force=True, cancel=cancel)
    finally:
        stop.set()
        timer.cancel()
    assert all(r.status is PollStatus.CANCELLED for r in result.results)
    assert child_pids() == before


def test_a_killed_child_is_a_clear_failure_and_the_next_poll_works(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    stop = threading.Event()
    feed = server.route("/feed", handler=trickle_handler(stop))  # type: ignore[arg-type]
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=(feed_source("Harbour", feed),)))
    engine = PollProcess(config, db)
    before = child_pids()

    def kill_child(done: int, total: int) -> None:
        [child] = child_pids() - before
        os.kill(child, signal.SIGKILL)

    try:
        with pytest.raises(PollProcessError, match="poll process was ended by signal 9"):
            engine.poll(force=True, progress=kill_child)
    finally:
        stop.set()
    server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    result = engine.poll(force=True)
    assert [r.status for r in result.results] == [PollStatus.OK]
    assert result.stored_count == 2


def test_the_demos_in_memory_config_is_polled_and_no_config_file_is_written(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    feed = server.route("/feed", rss(posts(2, "d")), content_type=RSS)
    config = MemoryConfigStore(
        tmp_path / "config.json", Config(sources=(feed_source("Demo", feed),))
    )
    result = PollProcess(config, db, in_memory=True).poll(force=True)
    assert [r.source_name for r in result.results] == ["Demo"]
    assert result.stored_count == 2
    assert not (tmp_path / "config.json").exists()


def test_site_icons_are_fetched_by_a_child_into_the_cache(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    server.route("/favicon.ico", b"\x89PNG fake icon bytes", content_type="image/png")
    feed = server.url("/feed")
    engine = PollProcess(ConfigStore(tmp_path / "config.json"), db)
    keys = engine.fetch_icons([feed, feed], tmp_path / "cache")
    key = site_key(feed)
    assert key is not None and keys == [key]
    icon, _ = cache_paths(tmp_path / "cache", key)
    assert icon.read_bytes() == b"\x89PNG fake icon bytes"


def test_a_poll_process_whose_tray_app_is_gone_ends(
    server: LoopbackServer, tmp_path: Path, db: Database
) -> None:
    """Its stdin closes (the tray app died): the poll is cancelled and the process exits."""
    stop = threading.Event()
    slow = server.route("/slow", handler=trickle_handler(stop))  # type: ignore[arg-type]
    ConfigStore(tmp_path / "config.json").save(Config(sources=(feed_source("Slow", slow),)))
    child = subprocess.Popen(
        service_command(), stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, cwd=Path.cwd()
    )
    try:
        assert child.stdin is not None
        job = Job(str(tmp_path / "config.json"), str(db.path), poll=PollArgs(force=True))
        child.stdin.write(encode(job))
        child.stdin.flush()
        deadline = time.monotonic() + 20
        while not server.requests_for("/slow") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.requests_for("/slow"), "the child never started its request"
        child.stdin.close()
        assert child.wait(timeout=5) is not None
    finally:
        stop.set()
        if child.poll() is None:
            child.kill()
            child.wait()


def test_the_tray_apps_engine_module_loads_no_fetch_stack() -> None:
    code = (
        "import sys, widget.gui.poll_process, widget.gui.poller, widget.engine.status\n"
        "print(sorted(m for m in ('httpx', 'ssl', 'feedparser', 'widget.engine.poll',"
        " 'widget.sources.http') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_child_log_records_below_the_apps_level_stay_out(
    server: LoopbackServer, tmp_path: Path, db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    config = ConfigStore(tmp_path / "config.json")
    config.save(Config(sources=(feed_source("Gone", server.url("/nope")),)))
    with caplog.at_level(logging.WARNING):
        PollProcess(config, db).poll(force=True)
    relayed = [r for r in caplog.records if r.processName == "poll-process"]
    assert [r.getMessage() for r in relayed] == ["Gone: HTTP 404 Not Found"]
