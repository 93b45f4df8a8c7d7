"""The real tray app (``python -m widget``) polls through a child process: after a poll its own
process holds none of the fetch stack and no child is left; killed with SIGKILL mid-poll, its
poll process ends too. Qt offscreen, no session bus: runs anywhere."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.gui.rig import trickle_handler
from tests.support.app_env import ROOT, offscreen_env, run_cli
from tests.support.feeds import RSS, posts, rss
from tests.support.processes import child_pids
from tests.support.server import LoopbackServer
from widget.unattended import Unattended

WAIT_S = 30.0
FETCH_STACK = ("httpx", "feedparser", "ssl", "_ssl", "widget.engine.poll", "widget.sources.http")


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))  # local socket paths are short
    values = offscreen_env(tmp_path, short_tmp)
    unattended = Unattended(
        url_log=tmp_path / "opened-urls.txt", modules_log=tmp_path / "m.txt", host_gap_s=0
    )
    values.update(unattended.as_environment())
    yield values
    shutil.rmtree(short_tmp, ignore_errors=True)


def _wait(what: str, check: Callable[[], object]) -> None:
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _alive(pid: int) -> bool:
    """Running (a zombie nobody has reaped yet counts as ended)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "widget"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(app: subprocess.Popen[bytes]) -> None:
    if app.poll() is None:
        app.kill()
    app.wait(timeout=WAIT_S)


def test_after_a_poll_the_tray_app_holds_no_fetch_stack_and_no_child(
    env: dict[str, str], server: LoopbackServer
) -> None:
    feed = server.route("/feed", rss(posts(3, "h")), content_type=RSS)
    run_cli(env, "sources", "add", feed, "--name", "Harbour")
    modules = Unattended.from_environment(env).modules_log
    assert modules is not None
    app = _start(env)
    try:
        _wait("the first poll result", lambda: modules.exists() and modules.read_text())
        loaded = set(modules.read_text().split())
        assert "widget.gui.app" in loaded and "widget.gui.poller" in loaded
        assert sorted(loaded & set(FETCH_STACK)) == []
        _wait("no poll process left", lambda: not child_pids(app.pid))
        assert app.poll() is None, "the tray app keeps running"
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=WAIT_S) == 0
    finally:
        _stop(app)
    log = (Path(env["XDG_STATE_HOME"]) / "live-updates" / "log" / "live-updates.log").read_text()
    assert "HTTP Request: GET " + feed in log, "the poll process's log lines are in the app's log"


def test_killing_the_tray_app_mid_poll_ends_its_poll_process(
    env: dict[str, str], server: LoopbackServer
) -> None:
    slow = server.route("/slow", rss(posts(1, "s")), content_type=RSS)
    run_cli(env, "sources", "add", slow, "--name", "Slow")
    stop = threading.Event()
    server.route("/slow", handler=trickle_handler(stop))  # type: ignore[arg-type]
    asked = len(server.requests_for("/slow"))
    app = _start(env)
    try:
        _wait("the poll's request", lambda: len(server.requests_for("/slow")) > asked)
        children = child_pids(app.pid)
        assert children, "the poll runs in a child process"
        os.kill(app.pid, signal.SIGKILL)
        app.wait(timeout=WAIT_S)
        _wait("the poll process to end", lambda: not any(_alive(pid) for pid in children))
    finally:
        stop.set()
        _stop(app)
