"""A desktop without a tray (stock GNOME, many Wayland sessions): a real X display with no tray
host. The app shows its window within seconds, says there how it keeps running and how
notifications are shown — truthfully with and without a notification daemon — and moves to a
tray host that appears later (XEmbed or StatusNotifierWatcher)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.app_env import ROOT, xdg_env
from tests.support.notify_session import NotifySession, missing_tools
from widget.unattended import Unattended

pytestmark = pytest.mark.e2e

RUN_TIMEOUT_S = 90
WINDOW_WITHIN_S = 5.0  # the bar: the window is there within 5 s
ARTIFACTS = ROOT / "tests" / "artifacts" / "latest"  # curated copies: one up


@pytest.fixture
def bare_display(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[NotifySession]:
    """A display of its own (never the session's, which has a tray) and a bus with dunst."""
    missing = missing_tools() + [t for t in ("Xvfb",) if shutil.which(t) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} installed")
    monkeypatch.delenv("DISPLAY", raising=False)
    yield from _session(tmp_path, daemon=True)


@pytest.fixture
def bare_display_no_daemon(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[NotifySession]:
    if shutil.which("Xvfb") is None or shutil.which("dbus-daemon") is None:
        pytest.skip("needs Xvfb and dbus-daemon")
    monkeypatch.delenv("DISPLAY", raising=False)
    yield from _session(tmp_path, daemon=False)


def _session(tmp_path: Path, *, daemon: bool) -> Iterator[NotifySession]:
    session = NotifySession(tmp_path / "session", activation=False, daemon=daemon)
    session.workdir.mkdir()
    try:
        session.start()
        yield session
    finally:
        session.stop()


def _launch(session: NotifySession, tmp_path: Path) -> tuple[subprocess.Popen[str], Path, Path]:
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))
    (tmp_path / "home").mkdir()
    env = xdg_env(session.env, tmp_path / "home", short_tmp)
    env["XDG_RUNTIME_DIR"] = session.env["XDG_RUNTIME_DIR"]
    env["QT_QPA_PLATFORM"] = "xcb"
    env["PYTHONPATH"] = str(ROOT)
    env.update(
        Unattended(url_log=tmp_path / "urls.log", host_gap_s=0).as_environment()
    )  # no modal dialogs
    out = tmp_path / "seen.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.app_scenario", "window-mode", str(out)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return proc, out, short_tmp


def _wait_ready(proc: subprocess.Popen[str], out: Path) -> None:
    ready = Path(str(out) + ".ready")
    end = time.monotonic() + RUN_TIMEOUT_S
    while not ready.exists() and proc.poll() is None and time.monotonic() < end:
        time.sleep(0.05)
    if not ready.exists():
        proc.kill()
        _, err = proc.communicate()
        pytest.fail(f"the window never showed:\n{err[-3000:]}")


def _finish(proc: subprocess.Popen[str], out: Path) -> dict[str, Any]:
    try:
        _, err = proc.communicate(timeout=RUN_TIMEOUT_S)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    seen: dict[str, Any] = json.loads(out.read_text(encoding="utf-8"))
    assert not seen.get("stuck"), f"{seen}\n{err[-3000:]}"
    assert proc.returncode == 0, err[-3000:]
    return seen


def _keep(out: Path, shot: str, name: str | None = None) -> None:
    """The screenshots go to tests/artifacts/latest, to be looked at."""
    src = Path(f"{out}.{shot}.png")
    if src.exists():
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, ARTIFACTS / f"{name or shot}.png")


@pytest.mark.parametrize("tray", ["xembed", "sni"])
def test_without_a_tray_the_window_is_the_home_until_a_tray_appears(
    bare_display: NotifySession, tmp_path: Path, tray: str
) -> None:
    if tray == "sni" and shutil.which("status-notifier-watcher") is None:
        pytest.skip("needs status-notifier-watcher")
    proc, out, short_tmp = _launch(bare_display, tmp_path)
    try:
        _wait_ready(proc, out)
        if tray == "xembed":
            bare_display.start_tray()
        else:
            bare_display.start_sni_watcher()
        seen = _finish(proc, out)
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)
    assert seen["window_shown_after_s"] < WINDOW_WITHIN_S
    assert "There is no system tray here" in seen["notice"]
    assert (
        "Notifications are shown by the desktop's notification service (dunst 1." in seen["notice"]
    ), seen["notice"]
    assert seen["moved_to_tray"] is True
    assert seen["notice_after"] == "", "the note goes once the app has a tray"
    if tray == "xembed":
        for shot in ("window-mode", "window-menu", "tray-later"):
            _keep(out, shot)


def test_without_a_notification_daemon_the_window_says_none_works(
    bare_display_no_daemon: NotifySession, tmp_path: Path
) -> None:
    proc, out, short_tmp = _launch(bare_display_no_daemon, tmp_path)
    try:
        _wait_ready(proc, out)
        bare_display_no_daemon.start_tray()
        seen = _finish(proc, out)
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)
    notice = seen["notice"]
    assert "No notification backend works here" in notice, notice
    assert "no notification server on the session bus" in notice
    assert "there is no system tray to show messages from" in notice
    _keep(out, "window-mode", "window-mode-no-daemon")
