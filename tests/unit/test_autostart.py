"""Start at login: the XDG autostart file written and removed for real; the macOS LaunchAgent and
the Windows Run value checked by what would be written."""

from __future__ import annotations

import configparser
import plistlib
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from widget import APP_ID, APP_NAME
from widget.core.errors import ConfigError
from widget.desktop.autostart import (
    WINDOWS_RUN_KEY,
    desktop_exec,
    launch_agent_plist,
    launch_command,
    set_enabled,
    windows_run_entry,
    xdg_autostart_path,
)


def read_desktop(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def test_linux_entry_is_written_under_xdg_config_home_and_removed(home: Path) -> None:
    command = ["/opt/live updates/bin/live-updates"]
    assert not xdg_autostart_path().exists()
    path = set_enabled(True, platform="linux", command=command)
    assert path == home / "config" / "autostart" / f"{APP_ID}.desktop"
    assert path.is_file()
    entry = read_desktop(path)
    assert entry["Type"] == "Application"
    assert entry["Name"] == APP_NAME
    assert entry["Exec"] == '"/opt/live updates/bin/live-updates"'
    assert entry["X-GNOME-Autostart-enabled"] == "true"
    set_enabled(True, platform="linux", command=command)  # again: still one file, same text
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    set_enabled(False, platform="linux")
    assert not path.exists()
    set_enabled(False, platform="linux")  # already off: fine


def test_desktop_exec_quotes_per_the_spec() -> None:
    assert desktop_exec(["/usr/bin/live-updates"]) == "/usr/bin/live-updates"
    assert desktop_exec(["/usr/bin/python3", "-m", "widget"]) == "/usr/bin/python3 -m widget"
    # a quoted argument escapes " ` $ \ with a backslash, then every backslash is doubled
    assert desktop_exec(['/home/a$b/"x"\\y']) == '"/home/a\\\\$b/\\\\"x\\\\"\\\\\\\\y"'
    assert desktop_exec(["/tmp/100%/app"]) == "/tmp/100%%/app"


def test_desktop_exec_unescapes_to_the_same_arguments() -> None:
    command = ["/opt/My Apps/python3", "-m", "widget", "it's"]
    value = desktop_exec(command).replace("\\\\", "\\")  # undo the string-level escaping
    assert shlex.split(value) == command


def test_launch_command_prefers_frozen_then_script_then_module() -> None:
    assert launch_command(frozen=True, executable="/app/LiveUpdates") == ["/app/LiveUpdates"]
    assert launch_command(frozen=False, script="/usr/bin/live-updates") == ["/usr/bin/live-updates"]
    assert launch_command(frozen=False, executable="/venv/bin/python", script="") == [
        "/venv/bin/python",
        "-m",
        "widget",
    ]


def test_macos_launch_agent_plist(tmp_path: Path) -> None:
    command = ["/Applications/Live Updates.app/Contents/MacOS/Live Updates"]
    data = plistlib.loads(launch_agent_plist(command))
    assert data["Label"] == APP_ID
    assert data["ProgramArguments"] == command
    assert data["RunAtLoad"] is True
    path = set_enabled(True, platform="darwin", command=command, home=tmp_path)
    assert path == tmp_path / "Library" / "LaunchAgents" / f"{APP_ID}.plist"
    assert plistlib.loads(path.read_bytes())["ProgramArguments"] == command
    set_enabled(False, platform="darwin", home=tmp_path)
    assert not path.exists()


def test_windows_run_value_quotes_paths_with_spaces() -> None:
    entry = windows_run_entry(["C:\\Program Files\\Live Updates\\live-updates.exe"])
    assert entry.key == WINDOWS_RUN_KEY
    assert entry.key.startswith("HKEY_CURRENT_USER\\") and entry.key.endswith("\\Run")
    assert entry.name == APP_NAME
    assert entry.value == '"C:\\Program Files\\Live Updates\\live-updates.exe"'
    with pytest.raises(ConfigError, match="registry"):
        set_enabled(True, platform="win32", command=["x.exe"])


def test_unwritable_autostart_folder_is_a_clear_error(home: Path) -> None:
    (home / "config" / "autostart").write_text("a file where the folder should be")
    with pytest.raises(ConfigError, match="could not be written"):
        set_enabled(True, platform="linux", command=["/usr/bin/live-updates"])
    assert xdg_autostart_path() == home / "config" / "autostart" / f"{APP_ID}.desktop"


def test_autostart_opml_and_the_cli_helpers_import_no_qt() -> None:
    code = (
        "import sys, widget.desktop.autostart, widget.storage.opml, widget.cli.sources\n"
        "print(sorted(m for m in sys.modules if m.startswith('PySide6')))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
