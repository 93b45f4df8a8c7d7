"""The tray app and the command as separate processes, each test in its own XDG folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CLI_TIMEOUT_S = 60


def xdg_env(base: dict[str, str], tmp_path: Path, short_tmp: Path) -> dict[str, str]:
    """``base`` without the caller's XDG folders, with fresh ones under ``tmp_path``, and
    ``TMPDIR`` at ``short_tmp`` (local socket paths must stay short)."""
    env = {k: v for k, v in base.items() if not k.startswith("XDG_")}
    for var, sub in (
        ("XDG_CONFIG_HOME", "config"),
        ("XDG_DATA_HOME", "data"),
        ("XDG_CACHE_HOME", "cache"),
        ("XDG_STATE_HOME", "state"),
    ):
        (tmp_path / sub).mkdir()
        env[var] = str(tmp_path / sub)
    env["TMPDIR"] = str(short_tmp)
    return env


def offscreen_env(tmp_path: Path, short_tmp: Path) -> dict[str, str]:
    """``xdg_env`` of this process's environment for a tray app with no display and no session
    bus (no notification daemon, no autolaunch), with its own runtime folder."""
    env = xdg_env(dict(os.environ), tmp_path, short_tmp)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env["XDG_RUNTIME_DIR"] = str(runtime)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
    return env


def run_cli(env: dict[str, str], *args: str) -> str:
    """``live-updates ARGS`` in a fresh process; asserts it succeeded and returns its output."""
    done = subprocess.run(
        [sys.executable, "-m", "widget", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout
