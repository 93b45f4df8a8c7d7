"""What the tray app owes the user survives faults, in a real desktop session (dunst on the bus, a
real store, ``python -m widget``): entries held back by quiet hours are shown after a quit or a
``kill -9`` and a restart, and entries a ``live-updates check`` stores while the app runs notify
as the app's own would. Needs the session tests/session.sh starts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from tests.support.app_env import ROOT, run_cli
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from widget.core.models import QuietHours
from widget.storage.config import ConfigStore
from widget.unattended import Unattended

pytestmark = pytest.mark.e2e

WAIT_S = 30.0


def _session_problem() -> str | None:
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no desktop session: run inside tests/session.sh (Xvfb, session bus, dunst)"
    if shutil.which("dunstctl") is None:
        return "dunstctl is not installed"
    probe = subprocess.run(["dunstctl", "is-paused"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        return f"no dunst on the session bus ({probe.stderr.strip() or probe.stdout.strip()})"
    return None


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    problem = _session_problem()
    if problem:
        pytest.skip(problem)
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))  # local socket paths are short
    values = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (tmp_path / sub).mkdir()
        values[var] = str(tmp_path / sub)
    if os.environ.get("XDG_RUNTIME_DIR"):
        values["XDG_RUNTIME_DIR"] = os.environ["XDG_RUNTIME_DIR"]
    values["TMPDIR"] = str(short_tmp)
    unattended = Unattended(
        url_log=tmp_path / "opened-urls.txt", modules_log=tmp_path / "m.txt", host_gap_s=0
    )
    values.update(unattended.as_environment())
    if values.get("QT_QPA_PLATFORM") == "offscreen":
        del values["QT_QPA_PLATFORM"]
    yield values
    shutil.rmtree(short_tmp, ignore_errors=True)


def _wait(what: str, check: Callable[[], object]) -> None:
    end = time.monotonic() + WAIT_S
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _shown() -> dict[int, str]:
    """Summary and body of every notification dunst has received (shown or in its history),
    by its id."""
    subprocess.run(["dunstctl", "close-all"], timeout=10, check=False)  # shown → history
    history = json.loads(
        subprocess.run(
            ["dunstctl", "history"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    )
    return {
        int(r["id"]["data"]): f"{r['summary']['data']}\n{r['body']['data']}"
        for r in history["data"][0]
    }


def _mentions(title: str, before: dict[int, str]) -> Callable[[], bool]:
    """Whether a notification received since ``before`` mentions ``title``."""
    return lambda: any(title in text for key, text in _shown().items() if key not in before)


def _start(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "widget"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _first_poll_done(env: dict[str, str]) -> Callable[[], bool]:
    modules = Unattended.from_environment(env).modules_log  # written after each poll result
    assert modules is not None
    return lambda: modules.exists() and bool(modules.read_text())


def _quit(app: subprocess.Popen[bytes]) -> None:
    app.send_signal(signal.SIGTERM)
    assert app.wait(timeout=WAIT_S) == 0


def _stop(app: subprocess.Popen[bytes]) -> None:
    if app.poll() is None:
        app.kill()
    app.wait(timeout=WAIT_S)


def _config(env: dict[str, str]) -> ConfigStore:
    return ConfigStore(Path(env["XDG_CONFIG_HOME"]) / "live-updates" / "config.json")


def _quiet_now() -> QuietHours:
    now = datetime.now()
    return QuietHours(
        start=(now - timedelta(hours=2)).strftime("%H:%M"),
        end=(now + timedelta(hours=2)).strftime("%H:%M"),
    )


def _set_quiet_hours(env: dict[str, str], quiet: QuietHours | None) -> None:
    _config(env).update(lambda c: replace(c, settings=replace(c.settings, quiet_hours=quiet)))


def _baseline(env: dict[str, str], server: LoopbackServer) -> str:
    feed = server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    run_cli(env, "sources", "add", feed, "--name", "Harbour", "--interval", "60")
    run_cli(env, "check")  # the silent baseline
    return feed


def _new_post(server: LoopbackServer, title: str) -> None:
    server.route("/feed", rss([Post("h-9", title), *posts(2, "h")]), content_type=RSS)


@pytest.mark.parametrize("how", ["quit", "kill -9"])
def test_entries_held_during_quiet_hours_are_shown_after_a_restart(
    env: dict[str, str], server: LoopbackServer, how: str
) -> None:
    title = "Night ferry added to the timetable"
    _baseline(env, server)
    _set_quiet_hours(env, _quiet_now())
    _new_post(server, title)
    before = _shown()
    app = _start(env)
    try:
        _wait("the first poll", _first_poll_done(env))
        log_file = Path(env["XDG_STATE_HOME"]) / "live-updates" / "log" / "live-updates.log"
        _wait("the entry held back", lambda: "held: quiet hours" in log_file.read_text())
        held = Path(env["XDG_DATA_HOME"]) / "live-updates" / "notified-until"
        if how == "quit":
            _quit(app)
        else:
            _wait("the held entry to be remembered", lambda: "h-9" in held.read_text())
            os.kill(app.pid, signal.SIGKILL)
            app.wait(timeout=WAIT_S)
    finally:
        _stop(app)
    assert not _mentions(title, before)(), "quiet hours showed the entry"

    _set_quiet_hours(env, None)  # the quiet period is over
    server.route("/feed", rss([Post("h-9", title), *posts(2, "h")]), content_type=RSS)
    again = _start(env)
    try:
        _wait("the held entry's notification after the restart", _mentions(title, before))
        _quit(again)
    finally:
        _stop(again)


def test_entries_stored_by_check_while_the_app_runs_notify(
    env: dict[str, str], server: LoopbackServer
) -> None:
    title = "Lifeboat crew rescue two kayakers"
    _baseline(env, server)
    before = _shown()
    app = _start(env)
    try:
        _wait("the first poll", _first_poll_done(env))
        _new_post(server, title)
        out = run_cli(env, "check")  # stores the new entry; the app's next poll is an hour away
        assert title in out
        _wait("the notification of the entry check stored", _mentions(title, before))
        assert app.poll() is None
        _quit(app)
    finally:
        _stop(app)
