"""Notifications follow what you read, in a real desktop session (tests/session.sh): the whole
app runs with dunst; an entry read in the window has its notification closed
(``NotificationClosed`` with reason 3, seen by a bus monitor), and a notification the user
dismisses counts as seen; the server's activation token goes to the browser launch."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app_env import run_cli
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.notify_session import NotifySession
from tests.support.server import LoopbackServer
from widget.core.policy import Notification
from widget.notify.freedesktop import ACTIVATION_ENV, FreedesktopBackend, activation_environment
from widget.storage.db import Database

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
WAIT_S = 30.0


def _wait(what: str, check: object, deadline: float = WAIT_S) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def app_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    if not os.environ.get("DISPLAY") or not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        pytest.skip("run inside tests/session.sh (Xvfb, session bus, dunst)")
    for tool in ("dunstctl", "dbus-monitor"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed")
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))
    env = dict(os.environ)
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    env["TMPDIR"] = str(short_tmp)
    env.pop("QT_QPA_PLATFORM", None) if env.get("QT_QPA_PLATFORM") == "offscreen" else None
    yield env
    shutil.rmtree(short_tmp, ignore_errors=True)


def _closed_signals(text: str) -> list[tuple[int, int]]:
    """(id, reason) of each NotificationClosed in dbus-monitor's output."""
    found: list[tuple[int, int]] = []
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if "member=NotificationClosed" in line:
            values = [int(v.split()[-1]) for v in lines[i + 1 : i + 3] if "uint32" in v]
            if len(values) == 2:
                found.append((values[0], values[1]))
    return found


def test_reading_in_the_window_closes_the_notification_and_a_dismissed_one_counts_as_seen(
    app_env: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    feed = server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    run_cli(app_env, "sources", "add", feed, "--name", "Harbour")
    run_cli(app_env, "check")  # the silent baseline
    fresh = [
        Post("h-8", "A: Night ferry added", server.url("/a")),
        Post("h-9", "B: Lighthouse tours resume", server.url("/b")),
    ]
    server.route("/feed", rss([*fresh, *posts(2, "h")]), content_type=RSS)
    subprocess.run(["dunstctl", "close-all"], timeout=10, check=False)

    monitor = subprocess.Popen(
        ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
        stdout=subprocess.PIPE,
        text=True,
        env=app_env,
    )
    out = tmp_path / "read-in-window.json"
    app = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.app_scenario", "read-in-window", str(out)],
        env=app_env,
        cwd=ROOT,
    )
    try:
        _wait("the entry read in the window", Path(str(out) + ".ready").exists)
        _wait(
            "one notification left on screen",
            lambda: (
                subprocess.run(
                    ["dunstctl", "count", "displayed"], capture_output=True, text=True, timeout=10
                ).stdout.strip()
                == "1"
            ),
        )
        subprocess.run(["dunstctl", "close"], timeout=10, check=True)  # the user dismisses B
        Path(str(out) + ".dismissed").write_text("done", encoding="utf-8")
        assert app.wait(timeout=WAIT_S) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
        monitor.terminate()
        seen_on_bus, _ = monitor.communicate(timeout=10)

    closed = _closed_signals(seen_on_bus)
    reasons = [reason for _id, reason in closed]
    assert reasons.count(3) == 1, seen_on_bus[-3000:]  # A: closed by CloseNotification
    assert reasons.count(2) == 1, seen_on_bus[-3000:]  # B: dismissed by the user
    db = Database.open(
        Path(app_env["XDG_DATA_HOME"]) / "live-updates" / "entries.sqlite3", readonly=True
    )
    try:
        read = {e.title: e.read for e in db.entries() if e.title[:2] in ("A:", "B:")}
    finally:
        db.close()
    assert read == {"A: Night ferry added": True, "B: Lighthouse tours resume": True}


def test_the_servers_activation_token_reaches_the_browser_launch(
    notify_session: NotifySession,
) -> None:
    from jeepney import DBusAddress, new_signal
    from jeepney.io.blocking import open_dbus_connection

    clicked: list[Notification] = []
    backend = FreedesktopBackend(bus=notify_session.bus_address)
    backend.start(lambda n, _action: clicked.append(n))
    try:
        n = Notification(summary="Ferries run again", body="Harbour", key=("harbour", "1"))
        backend.send(n)
        [record] = notify_session.wait_records(1)
        server_id = int(record["DUNST_ID"])
        # The server hands over a token just before the ActionInvoked of a click.
        emitter = open_dbus_connection(bus=notify_session.bus_address)
        try:
            where = DBusAddress(
                "/org/freedesktop/Notifications", interface="org.freedesktop.Notifications"
            )
            # As a server does on a click: the token, then the action (one connection keeps
            # them in order).
            emitter.send(new_signal(where, "ActivationToken", "us", (server_id, "token-4e2c")))
            emitter.send(new_signal(where, "ActionInvoked", "us", (server_id, "default")))
            _wait("the click", lambda: bool(clicked), deadline=10)
        finally:
            emitter.close()
    finally:
        backend.close()
    assert clicked[0] == n and clicked[0].activation_token == "token-4e2c"
    before = os.environ.get(ACTIVATION_ENV)
    seen: list[str | None] = []
    with activation_environment(clicked[0].activation_token):
        seen.append(os.environ.get(ACTIVATION_ENV))  # what a browser started here inherits
    assert seen == ["token-4e2c"] and os.environ.get(ACTIVATION_ENV) == before
