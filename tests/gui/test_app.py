"""The whole tray app in its own process (``tests/gui/app_scenario.py``), Qt offscreen, with
its XDG folders in a temp dir and no session bus: quitting, clicks on notifications, no system
tray, a second launch, and ``--demo`` leaving the user's config alone."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_env import ROOT, offscreen_env, run_cli
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from widget.storage.db import Database

RUN_TIMEOUT_S = 60


@pytest.fixture
def env(tmp_path: Path) -> Iterator[dict[str, str]]:
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))  # local socket paths are short
    values = offscreen_env(tmp_path, short_tmp)
    yield values
    shutil.rmtree(short_tmp, ignore_errors=True)


def _start(env: dict[str, str], scenario: str, out: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.gui.app_scenario", scenario, str(out), *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _finish(proc: subprocess.Popen[str], out: Path) -> dict[str, Any]:
    try:
        _, stderr = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert out.exists(), f"the app wrote no result (exit {proc.returncode}):\n{stderr[-3000:]}"
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert not seen.get("stuck"), f"the scenario got stuck: {seen}\n{stderr[-3000:]}"
    assert proc.returncode == 0, stderr[-3000:]
    return seen


def _run(env: dict[str, str], scenario: str, tmp_path: Path, *args: str) -> dict[str, Any]:
    out = tmp_path / f"{scenario}.json"
    return _finish(_start(env, scenario, out, *args), out)


def _log(env: dict[str, str]) -> str:
    return (Path(env["XDG_STATE_HOME"]) / "live-updates" / "log" / "live-updates.log").read_text(
        encoding="utf-8"
    )


def _harbour_feed(server: LoopbackServer, env: dict[str, str]) -> None:
    """A source whose current entries are the silent baseline."""
    feed = server.route("/feed", rss(posts(2, "h")), content_type=RSS)
    run_cli(env, "sources", "add", feed, "--name", "Harbour")
    run_cli(env, "check")


def test_quit_from_the_tray_menu_works_while_the_window_is_open(
    env: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    """On a real display (tests/session.sh) the tray icon and the window are real X windows:
    there a plain ``QApplication.quit()`` was cancelled by the window hiding instead of closing."""
    if os.environ.get("DISPLAY"):
        env.pop("QT_QPA_PLATFORM")
        env["DBUS_SESSION_BUS_ADDRESS"] = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "disabled:")
    _harbour_feed(server, env)
    seen = _run(env, "quit-with-window-open", tmp_path)
    assert seen["window_visible_before_quit"] is True
    assert seen["returned"] == 0
    assert "stopped" in _log(env)


def test_a_click_opens_only_web_links_and_every_handled_entry_is_marked_read(
    env: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    _harbour_feed(server, env)
    server.route(
        "/feed",
        rss(
            [
                Post("h-7", "A: Ferry pier reopens", server.url("/a")),
                Post("h-8", "B: Lighthouse tours resume", server.url("/b")),
                Post("h-9", "C: Harbour market moves indoors", server.url("/c")),
                *posts(2, "h"),
            ]
        ),
        content_type=RSS,
    )
    seen = _run(env, "clicks", tmp_path)
    assert seen["new"] == [
        "A: Ferry pier reopens",
        "B: Lighthouse tours resume",
        "C: Harbour market moves indoors",
    ]
    assert seen["opened"] == [server.url("/a")], "only the web link was handed to the browser"
    assert seen["window_visible_after_bad_link"] is True, "a non-web link shows the window"
    assert "only http(s) links are opened" in _log(env)
    db = Database.open(
        Path(env["XDG_DATA_HOME"]) / "live-updates" / "entries.sqlite3", readonly=True
    )
    try:
        read = {e.title: e.read for e in db.entries() if e.title.startswith(("A:", "B:", "C:"))}
    finally:
        db.close()
    assert read == {
        "A: Ferry pier reopens": True,
        "B: Lighthouse tours resume": True,
        "C: Harbour market moves indoors": True,
    }


def test_without_a_system_tray_the_app_lives_in_its_window(
    env: dict[str, str], tmp_path: Path
) -> None:
    seen = _run(env, "no-tray", tmp_path)
    assert seen["dialogs"] == [], "no modal dialog"
    assert seen["tray_visible"] is False
    assert "no system tray here" in seen["notice"].lower()
    assert "start Live Updates again (from the launcher)" in seen["notice"]
    assert "Quit" in seen["notice"]
    # no session bus and no tray: the note says that no notification backend works, and why
    assert "No notification backend works here" in seen["notice"], seen["notice"]
    assert "no session bus" in seen["notice"]
    assert "Notifications still work" not in seen["notice"]
    for item in ("Refresh now", "Pause updates", "Do not disturb", "Settings…", "Quit"):
        assert item in seen["menu"], f"{item} missing from the window's menu: {seen['menu']}"
    assert seen["settings_open"], "Settings opened from the window's menu"
    assert seen["paused_in_tray"] is True, "Pause in the window pauses the app"
    assert "Live Updates" not in seen["title"], "Qt adds the app name once"
    assert "window mode" in _log(env)


@pytest.mark.parametrize("first_args", [(), ("--demo",)], ids=["app", "demo"])
def test_a_second_launch_shows_the_running_window_and_exits_zero(
    env: dict[str, str], tmp_path: Path, first_args: tuple[str, ...]
) -> None:
    """A plain launch while the app runs shows its window; while the demo runs, the demo counts
    as the running instance: its window shows and says that it is the demo."""
    out = tmp_path / "single.json"
    first = _start(env, "single-instance", out, *first_args)
    ready = Path(str(out) + ".ready")
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not ready.exists() and first.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert ready.exists(), "the first instance did not start"
    second = subprocess.run(
        [sys.executable, "-m", "widget"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
    )
    assert second.returncode == 0, second.stderr
    seen = _finish(first, out)
    assert seen["window_visible_at_start"] is False
    assert seen["window_visible_after_second_launch"] is True
    if first_args:
        assert "demo (--demo) is running" in second.stderr
        assert "This is the Live Updates demo" in seen["notice"]
    else:
        assert "already running; its window is shown" in second.stderr
        assert seen["notice"] == ""


def test_demo_watches_its_own_page_and_writes_nothing_to_the_users_config(
    env: dict[str, str], tmp_path: Path
) -> None:
    seen = _run(env, "demo", tmp_path, "--demo")
    assert seen["errors"] == []
    assert seen["sources"] == ["demo-live-page"]
    assert seen["stored"] >= 1, "the demo page's first update is stored"
    config_home = Path(env["XDG_CONFIG_HOME"])
    assert not Path(seen["config_file"]).is_relative_to(config_home)
    assert list(config_home.rglob("*")) == [], "the demo wrote into the user's config folder"
    assert list(Path(env["XDG_DATA_HOME"]).rglob("*")) == [], "nor into the data folder"
