"""The tray app starts without loading the settings dialog's modules (they would stay in
memory for the whole run), and "Settings…" in the tray menu still opens the dialog."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from widget.unattended import Unattended

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    values = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        (tmp_path / var).mkdir()
        values[var] = str(tmp_path / var)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    values["XDG_RUNTIME_DIR"] = str(runtime)
    values["QT_QPA_PLATFORM"] = "offscreen"
    values["DBUS_SESSION_BUS_ADDRESS"] = "disabled:"
    values.update(
        Unattended(url_log=tmp_path / "urls.log", host_gap_s=0).as_environment()
    )  # no modal box
    return values


def test_settings_load_when_first_opened_from_the_tray_menu(
    env: dict[str, str], tmp_path: Path
) -> None:
    short_tmp = Path(tempfile.mkdtemp(prefix="lu-", dir="/tmp"))  # local socket paths are short
    env["TMPDIR"] = str(short_tmp)
    out = tmp_path / "seen.json"
    try:
        done = subprocess.run(
            [sys.executable, "-m", "tests.gui.settings_scenario", str(out)],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        shutil.rmtree(short_tmp, ignore_errors=True)
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(out.read_text(encoding="utf-8"))
    assert seen["loaded_at_start"] == []
    assert seen["menu_item_enabled"] is True
    assert "widget.gui.settings.dialog" in seen["loaded_after_open"]
    assert "Live Updates settings" in seen["windows"]
