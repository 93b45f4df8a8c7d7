"""One app per desktop session and config folder: a second launch asks the running one to show its
window and exits 0; other sessions, runtime folders and config folders get their own; two
launches at once never both run; stale and squatted names never stop the app from starting."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from tests.support.app_env import ROOT
from widget.gui.single_instance import (
    SingleInstance,
    instance_name,
    private_runtime_dir,
    send_message,
    session_key,
)

LAUNCH = "import sys; from widget.gui.app import run_app; sys.exit(run_app([]))"
# Takes the guard as the app does; the winner answers launches for HOLD_MS, then quits.
HOLD_MS = 4000
GUARD = f"""
import sys
from pathlib import Path
from PySide6.QtCore import QCoreApplication, QTimer
from widget.gui.single_instance import SingleInstance
app = QCoreApplication([])
guard = SingleInstance(Path(sys.argv[1]))
won = guard.acquire()
print("won" if won else f"lost:{{guard.running}}", flush=True)
if won:
    QTimer.singleShot({HOLD_MS}, app.quit)
    app.exec()
    guard.release()
"""


def short_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private XDG_RUNTIME_DIR of the test's own, short enough for socket paths."""
    d = short_dir("lu-run-")
    d.chmod(0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(d))
    yield d
    subprocess.run(["rm", "-rf", str(d)], check=False)


def guard_env(runtime: Path, **extra: str) -> dict[str, str]:
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime), "PYTHONPATH": str(ROOT)}
    env.update(QT_QPA_PLATFORM="offscreen", **extra)
    return env


def start_guard(config: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", GUARD, str(config)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def outcome(proc: subprocess.Popen[str]) -> str:
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    return out.strip()


def test_second_launch_exits_zero_and_the_first_gets_show(
    qtbot: QtBot, runtime: Path, home: Path
) -> None:
    first = SingleInstance(home / "config" / "live-updates")
    assert first.acquire()
    try:
        assert str(first.socket_path).startswith(str(runtime)), "the socket is in XDG_RUNTIME_DIR"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.Popen(
            [sys.executable, "-c", LAUNCH], env=env, stderr=subprocess.PIPE, text=True
        )
        try:
            with qtbot.waitSignal(first.show_requested, timeout=20_000):
                pass
            _, err = proc.communicate(timeout=20)
            assert proc.returncode == 0, err
            assert "already running; its window is shown" in err
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        first.release()


def test_the_guard_folder_is_private(runtime: Path) -> None:
    folder = private_runtime_dir()
    assert folder.parent == runtime
    assert folder.stat().st_mode & 0o777 == 0o700


def test_a_runtime_folder_others_can_enter_is_not_used(
    monkeypatch: pytest.MonkeyPatch, runtime: Path
) -> None:
    runtime.chmod(0o777)
    assert private_runtime_dir().parent != runtime


def test_other_sessions_and_config_folders_get_their_own_instance(
    qtbot: QtBot, runtime: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config-a"
    first = SingleInstance(config)
    assert first.acquire()
    other_runtime = short_dir("lu-run-")
    other_runtime.chmod(0o700)
    try:
        same = start_guard(config, guard_env(runtime))
        with qtbot.waitSignal(first.show_requested, timeout=20_000):
            pass
        assert outcome(same) == "lost:app", "the same session and config: one instance"
        for label, proc in (
            ("another XDG_RUNTIME_DIR", start_guard(config, guard_env(other_runtime))),
            ("another config folder", start_guard(tmp_path / "config-b", guard_env(runtime))),
            ("another display", start_guard(config, guard_env(runtime, DISPLAY=":97"))),
        ):
            assert outcome(proc) == "won", f"{label} gets its own instance"
    finally:
        first.release()
        subprocess.run(["rm", "-rf", str(other_runtime)], check=False)


def test_two_launches_at_once_never_both_run(runtime: Path, tmp_path: Path) -> None:
    env = guard_env(runtime)
    for round_ in range(10):
        config = tmp_path / f"config-{round_}"
        pair = [start_guard(config, env), start_guard(config, env)]
        results = sorted(outcome(p) for p in pair)
        assert results == ["lost:app", "won"], f"round {round_}: {results}"


def test_a_stale_socket_and_lock_from_a_crashed_run_are_taken_over(
    qtbot: QtBot, runtime: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    folder = private_runtime_dir()
    name = instance_name(config, session_key())
    (folder / f"{name}.sock").write_bytes(b"")  # what a killed process leaves behind
    (folder / f"{name}.lock").write_bytes(b"12345\n")
    guard = SingleInstance(config)
    try:
        assert guard.acquire()
        with qtbot.waitSignal(guard.message_received, timeout=5000) as blocker:
            # (the answer needs this event loop, which the client blocks: it reads "")
            assert send_message(guard.socket_path, "show") is not None
        assert blocker.args == ["show"]
    finally:
        guard.release()


def test_a_socket_name_that_cannot_be_removed_does_not_stop_the_app(
    runtime: Path, tmp_path: Path
) -> None:
    config = tmp_path / "config"
    name = instance_name(config, session_key())
    squat = private_runtime_dir() / f"{name}.sock"
    squat.mkdir()
    (squat / "keep").write_text("x", encoding="utf-8")
    guard = SingleInstance(config)
    try:
        assert guard.acquire(), "the app starts (the lock still keeps it single)"
        assert outcome(start_guard(config, guard_env(runtime))) != "won"
    finally:
        guard.release()


def test_a_temp_folder_squatted_by_another_user_is_not_used(tmp_path: Path) -> None:
    if os.getuid() != 0:
        pytest.skip("making a folder owned by another user needs root")
    tmp = short_dir("lu-tmp-")
    try:
        squat = tmp / f"live-updates-{os.getuid()}"
        squat.mkdir(mode=0o777)
        os.chown(squat, 65534, 65534)
        env = {k: v for k, v in guard_env(tmp).items() if k != "XDG_RUNTIME_DIR"}
        env["TMPDIR"] = str(tmp)
        assert outcome(start_guard(tmp_path / "config", env)) == "won"
        assert list(squat.iterdir()) == [], "nothing was written into the other user's folder"
    finally:
        subprocess.run(["rm", "-rf", str(tmp)], check=False)


def test_instance_names_are_short_safe_and_stable(tmp_path: Path) -> None:
    a = instance_name(tmp_path / "a", "x11=:0")
    assert a == instance_name(tmp_path / "a", "x11=:0")
    assert a != instance_name(tmp_path / "b", "x11=:0")
    assert a != instance_name(tmp_path / "a", "x11=:1")
    assert len(a) < 30 and a.replace("-", "").isalnum()
