"""Start at login: what each platform needs written, and the file-based ones written for real.

- Linux (and other XDG desktops): ``$XDG_CONFIG_HOME/autostart/<APP_ID>.desktop``.
- macOS: ``~/Library/LaunchAgents/<APP_ID>.plist`` (a LaunchAgent with RunAtLoad).
- Windows: a value under ``HKCU\\Software\\Microsoft\\Windows\\CurrentVersion\\Run``; this module
  only says what to write, the GUI writes it with ``QSettings`` (NativeFormat), since registry
  access is Qt's job there and this module stays free of Qt.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from widget import APP_ID, APP_NAME, APP_SLUG
from widget.core.errors import ConfigError

WINDOWS_RUN_KEY = "HKEY_CURRENT_USER\\Software\\Microsoft\\Windows\\CurrentVersion\\Run"
_DESKTOP_RESERVED = re.compile(r"""[\s"'\\><~|&;$*?#()`]""")


@dataclass(frozen=True)
class WindowsRunEntry:
    """What goes into the registry: ``QSettings(key, NativeFormat).setValue(name, value)``."""

    key: str
    name: str
    value: str


def launch_command(
    *,
    frozen: bool | None = None,
    executable: str | None = None,
    script: str | None = None,
) -> list[str]:
    """The command that starts the tray app: the bundled executable when frozen, else the
    installed ``live-updates`` script, else ``python -m widget``."""
    is_frozen = bool(getattr(sys, "frozen", False)) if frozen is None else frozen
    exe = executable or sys.executable
    if is_frozen:
        return [exe]
    found = script if script is not None else shutil.which(APP_SLUG)
    if found:
        return [found]
    return [exe, "-m", "widget"]


# --- Linux / XDG ---
def xdg_autostart_path(config_home: Path | None = None) -> Path:
    base = config_home or Path(os.environ.get("XDG_CONFIG_HOME") or (Path.home() / ".config"))
    return Path(base) / "autostart" / f"{APP_ID}.desktop"


def desktop_exec(command: Sequence[str]) -> str:
    """An ``Exec=`` value per the Desktop Entry spec: reserved characters quoted, ``%``
    doubled, and the string-level escaping of backslashes applied last."""
    args = []
    for arg in command:
        arg = arg.replace("%", "%%")
        if _DESKTOP_RESERVED.search(arg) or not arg:
            inner = re.sub(r'(["`$\\])', r"\\\1", arg)
            arg = f'"{inner}"'
        args.append(arg)
    return " ".join(args).replace("\\", "\\\\")


def desktop_entry(command: Sequence[str]) -> str:
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            f"Name={APP_NAME}",
            "Comment=Notifications for each new development on live blogs and feeds",
            f"Exec={desktop_exec(command)}",
            f"Icon={APP_ID}",  # the hicolor icon name install.sh installs
            "Terminal=false",
            "Categories=Network;News;",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


# --- macOS ---
def launch_agent_path(home: Path | None = None) -> Path:
    return (home or Path.home()) / "Library" / "LaunchAgents" / f"{APP_ID}.plist"


def launch_agent_plist(command: Sequence[str]) -> bytes:
    import plistlib  # macOS only; with xml.parsers.expat, datetime and binascii

    return plistlib.dumps(
        {
            "Label": APP_ID,
            "ProgramArguments": list(command),
            "RunAtLoad": True,
            "ProcessType": "Interactive",
            "LimitLoadToSessionType": "Aqua",
        }
    )


# --- Windows ---
def windows_run_entry(command: Sequence[str]) -> WindowsRunEntry:
    # subprocess (with selectors, signal and its C helper) only for its quoting rules: imported
    # here so that the settings dialog leaves it out of the tray app on Linux.
    import subprocess

    return WindowsRunEntry(WINDOWS_RUN_KEY, APP_NAME, subprocess.list2cmdline(list(command)))


# --- doing it ---
def autostart_file(platform: str = sys.platform, *, home: Path | None = None) -> Path | None:
    """The file that makes the app start at login here, or None where it is a registry value."""
    if platform == "win32":
        return None
    if platform == "darwin":
        return launch_agent_path(home)
    return xdg_autostart_path()


def file_content(platform: str, command: Sequence[str]) -> bytes:
    if platform == "darwin":
        return launch_agent_plist(command)
    return desktop_entry(command).encode("utf-8")


def set_enabled(
    enabled: bool,
    *,
    platform: str = sys.platform,
    command: Sequence[str] | None = None,
    home: Path | None = None,
) -> Path:
    """Write or remove the autostart file; returns its path. Raises ConfigError saying what
    failed. Windows has no file: use ``windows_run_entry`` with QSettings instead."""
    path = autostart_file(platform, home=home)
    if path is None:
        raise ConfigError("on Windows, start at login is a registry value (windows_run_entry)")
    try:
        if not enabled:
            path.unlink(missing_ok=True)
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(file_content(platform, command or launch_command()))
        os.replace(tmp, path)
    except OSError as exc:
        action = "written" if enabled else "removed"
        raise ConfigError(
            f"{path}: the start-at-login entry could not be {action} ({exc})"
        ) from exc
    return path
