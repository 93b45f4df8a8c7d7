"""One app per user: a second launch asks the running one to show its window and exits 0."""

from __future__ import annotations

import getpass
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from widget.gui.single_instance import SingleInstance, current_user, send_message, server_name

LAUNCH = "import sys; from widget.gui.app import run_app; sys.exit(run_app([]))"


def test_second_launch_exits_zero_and_the_first_gets_show(
    qtbot: QtBot, private_tmpdir: Path, home: Path
) -> None:
    first = SingleInstance()
    assert first.acquire()
    try:
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        proc = subprocess.Popen([sys.executable, "-c", LAUNCH], env=env)
        try:
            with qtbot.waitSignal(first.show_requested, timeout=20_000):
                pass
            assert proc.wait(timeout=20) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    finally:
        first.release()


def test_no_running_instance_means_no_answer(qtbot: QtBot, private_tmpdir: Path) -> None:
    assert not send_message(server_name("nobody-here"))


def test_stale_socket_from_a_crashed_run_is_taken_over(qtbot: QtBot, private_tmpdir: Path) -> None:
    name = server_name("crashed-user")
    (private_tmpdir / name).write_bytes(b"")  # what a killed process leaves behind
    guard = SingleInstance(name)
    try:
        assert guard.acquire()
        with qtbot.waitSignal(guard.message_received, timeout=5000) as blocker:
            assert send_message(name, "show")
        assert blocker.args == ["show"]
    finally:
        guard.release()


def test_server_name_is_per_user_and_safe() -> None:
    a, b = server_name("alice"), server_name("bob smith/x")
    assert a != b
    assert "/" not in b and " " not in b


def test_server_name_follows_the_login_name_as_getpass_finds_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("USER", "carol")
    assert current_user() == getpass.getuser() == "carol"
    assert server_name() == server_name("carol")
    monkeypatch.delenv("USER")
    assert current_user() == getpass.getuser()  # from the password database
    assert server_name() == server_name(getpass.getuser())


def test_users_with_names_alike_after_shortening_get_different_servers() -> None:
    a = server_name("a.very.long.user.name.one")
    b = server_name("a.very.long.user.name.two")
    assert a != b
    assert a == server_name("a.very.long.user.name.one")  # stable: a second launch finds it
