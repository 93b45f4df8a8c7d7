"""The whole app in a real desktop session: ``python -m widget`` polls a loopback feed, dunst
receives a Notify for the new entry, a click on it opens the entry's URL, and the tray icon
shows. Needs the session tests/session.sh starts (Xvfb, session bus, dunst, a tray host)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app_env import run_cli
from tests.support.feeds import RSS, Post, posts, rss
from tests.support.server import LoopbackServer
from widget.storage.db import Database
from widget.unattended import Unattended

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts" / "latest"  # curated copies: one up
WAIT_S = 30.0


def _session_problem() -> str | None:
    if not os.environ.get("DISPLAY"):
        return "no DISPLAY: run inside tests/session.sh (Xvfb, session bus, dunst, tray host)"
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        return "no session bus: run inside tests/session.sh"
    if shutil.which("dunstctl") is None:
        return "dunstctl is not installed"
    probe = subprocess.run(["dunstctl", "is-paused"], capture_output=True, text=True, timeout=10)
    if probe.returncode != 0:
        return f"no dunst on the session bus ({probe.stderr.strip() or probe.stdout.strip()})"
    return None


def _wait(what: str, check: object, deadline: float = WAIT_S) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _dunst_summaries() -> list[str]:
    shown = json.loads(
        subprocess.run(
            ["dunstctl", "history"], capture_output=True, text=True, check=True, timeout=10
        ).stdout
    )
    history = [row["summary"]["data"] for row in shown["data"][0]]
    count = int(
        subprocess.run(
            ["dunstctl", "count", "displayed"], capture_output=True, text=True, timeout=10
        ).stdout.strip()
        or 0
    )
    return history + (["<displayed>"] * count)


@pytest.fixture
def app_env(tmp_path: Path) -> Iterator[dict[str, str]]:
    problem = _session_problem()
    if problem:
        pytest.skip(problem)
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))  # local socket paths are short
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
    env.update(Unattended(url_log=tmp_path / "opened-urls.txt", host_gap_s=0).as_environment())
    env.pop("QT_QPA_PLATFORM", None) if env.get("QT_QPA_PLATFORM") == "offscreen" else None
    yield env
    shutil.rmtree(short_tmp, ignore_errors=True)


def test_new_entry_notifies_and_a_click_opens_it(
    app_env: dict[str, str], server: LoopbackServer, tmp_path: Path
) -> None:
    feed = server.route(
        "/feed", rss(posts(2, "h"), title="Harbour Town Bulletin"), content_type=RSS
    )
    run_cli(app_env, "sources", "add", feed, "--name", "Harbour")
    run_cli(app_env, "check")  # the silent baseline
    link = server.url("/articles/night-ferry")
    server.route(
        "/feed",
        rss(
            [
                Post(
                    "h-9",
                    "Night ferry added to the timetable",
                    link,
                    "<ul><li>The first crossing leaves at 23:00.</li></ul>",
                ),
                *posts(2, "h"),
            ]
        ),
        content_type=RSS,
    )
    subprocess.run(["dunstctl", "close-all"], timeout=10, check=False)
    before = len(_dunst_summaries())

    app = subprocess.Popen([sys.executable, "-m", "widget"], env=app_env, cwd=ROOT)
    try:
        _wait("the Notify for the new entry", lambda: len(_dunst_summaries()) > before)
        _wait(
            "dunst to show it",
            lambda: (
                subprocess.run(
                    ["dunstctl", "count", "displayed"], capture_output=True, text=True, timeout=10
                ).stdout.strip()
                not in ("", "0")
            ),
        )
        log_file = Path(app_env["XDG_STATE_HOME"]) / "live-updates" / "log" / "live-updates.log"
        _wait(
            "the tray icon", lambda: log_file.exists() and "tray icon shown" in log_file.read_text()
        )
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        if shutil.which("import"):
            subprocess.run(
                ["import", "-window", "root", str(ARTIFACTS / "tray.png")],
                env=app_env,
                timeout=30,
                check=False,
            )
        subprocess.run(["dunstctl", "action", "0"], timeout=10, check=True)
        opened = Unattended.from_environment(app_env).url_log
        assert opened is not None
        _wait("the entry URL to be opened", lambda: opened.exists() and link in opened.read_text())
        assert opened.read_text().split() == [link]
        subprocess.run(["dunstctl", "close-all"], timeout=10, check=True)
        history = json.loads(
            subprocess.run(
                ["dunstctl", "history"], capture_output=True, text=True, timeout=10
            ).stdout
        )
        shown = {row["summary"]["data"]: row["body"]["data"] for row in history["data"][0]}
        assert "Night ferry added to the timetable" in shown
        assert "Harbour" in shown["Night ferry added to the timetable"]
        app.send_signal(signal.SIGTERM)
        assert app.wait(timeout=WAIT_S) == 0
    finally:
        if app.poll() is None:
            app.kill()
            app.wait()
    db = Database.open(
        Path(app_env["XDG_DATA_HOME"]) / "live-updates" / "entries.sqlite3", readonly=True
    )
    try:
        clicked = [e for e in db.entries() if e.title == "Night ferry added to the timetable"]
    finally:
        db.close()
    assert len(clicked) == 1 and clicked[0].read, "the clicked entry is marked read"
