"""A private desktop session for notification tests: Xvfb (when no DISPLAY), a session bus of its
own and a real dunst on it, plus readers for what dunst received (``dunstctl``).

Nothing touches the developer's own session: every process gets the private bus address, and
everything started is stopped by its PID in reverse order.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

from widget.core.policy import Notification
from widget.notify.base import ActivatedCallback, Capabilities, ClosedCallback, NotifyError

DUNSTRC = """\
[global]
    monitor = 0
    follow = none
    width = 300
    height = 100
    origin = top-right
    offset = 10x10
    notification_limit = 0
    idle_threshold = 0
    show_indicators = no
    sticky_history = yes
    history_length = 50
    markup = full
    format = "%s\\n%b"
    mouse_left_click = do_action, close_current
    dmenu = {dmenu}

[record]
    script = {record}

[urgency_low]
    timeout = 0

[urgency_normal]
    timeout = 0

[urgency_critical]
    timeout = 0
"""

# Records each notification's DUNST_* environment (urgency, desktop entry, full body, …).
RECORD_SH = """\
#!/bin/sh
{{ env -0; printf '\\036'; }} >> "{out}"
"""

# A scripted dmenu for ``dunstctl context``: saves the menu it was shown, then picks the line
# naming the notification summary on line 1 of the choice file and the action key on line 2.
DMENU_SH = """\
#!/bin/sh
cat > "{menu}.part"
mv "{menu}.part" "{menu}"
title=$(sed -n 1p "{choice}")
action=$(sed -n 2p "{choice}")
grep -F -- "($title)" "{menu}" | grep -F -- ",$action]" | head -n 1
"""

TOOLS = ("dbus-daemon", "dunst", "dunstctl", "busctl", "dbus-send")


def missing_tools() -> list[str]:
    """Programs the session needs that are not installed (Xvfb only matters without DISPLAY)."""
    needed = list(TOOLS) + ([] if os.environ.get("DISPLAY") else ["Xvfb"])
    return [t for t in needed if shutil.which(t) is None]


BUS_CONF_NO_ACTIVATION = """\
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:tmpdir=/tmp</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


class NotifySession:
    """Start with ``start()``, stop with ``stop()``; ``env`` is the environment for tools."""

    def __init__(self, workdir: Path, *, activation: bool = True, daemon: bool = True) -> None:
        """``activation=False``: the bus starts no service on demand, so a killed dunst stays
        gone until ``restart_dunst`` (the system's dunst.service would bring one back)."""
        self.workdir = workdir
        self.activation = activation
        self.daemon = daemon  # False: a bus without any notification daemon
        self._dunst: subprocess.Popen[bytes] | None = None
        self.env: dict[str, str] = dict(os.environ)
        self.bus_address = ""
        self._procs: list[subprocess.Popen[bytes]] = []
        self._bus_pid: int | None = None
        self.records_file = workdir / "notifications.env"
        self.menu_file = workdir / "dmenu-menu.txt"
        self.choice_file = workdir / "dmenu-choice.txt"

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> NotifySession:
        runtime = self.workdir / "runtime"
        runtime.mkdir(mode=0o700, exist_ok=True)
        self.env["XDG_RUNTIME_DIR"] = str(runtime)
        if not self.env.get("DISPLAY"):
            self._start_xvfb()
        self._start_bus()
        if self.daemon:
            self._start_dunst()
        return self

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._procs.clear()
        if self._bus_pid is not None:
            # the bus may already have exited on its own
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._bus_pid, signal.SIGTERM)
            self._bus_pid = None

    def _start_xvfb(self) -> None:
        read_fd, write_fd = os.pipe()
        proc = subprocess.Popen(
            [
                "Xvfb",
                "-displayfd",
                str(write_fd),
                "-screen",
                "0",
                "1280x800x24",
                "-nolisten",
                "tcp",
            ],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        self._procs.append(proc)
        with os.fdopen(read_fd) as pipe:
            display = pipe.readline().strip()
        if not display:
            raise RuntimeError("Xvfb did not report a display number")
        self.env["DISPLAY"] = f":{display}"

    def _start_bus(self) -> None:
        config = ["--session"]
        if not self.activation:
            conf = self.workdir / "bus.conf"
            conf.write_text(BUS_CONF_NO_ACTIVATION, encoding="utf-8")
            config = [f"--config-file={conf}"]
        out = subprocess.run(
            ["dbus-daemon", *config, "--fork", "--print-address=1", "--print-pid=1"],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split()
        self.bus_address, self._bus_pid = out[0], int(out[1])
        self.env["DBUS_SESSION_BUS_ADDRESS"] = self.bus_address

    def _start_dunst(self) -> None:
        record, dmenu = self.workdir / "record.sh", self.workdir / "dmenu.sh"
        record.write_text(RECORD_SH.format(out=self.records_file))
        dmenu.write_text(DMENU_SH.format(menu=self.menu_file, choice=self.choice_file))
        for script in (record, dmenu):
            script.chmod(0o755)
        rc = self.workdir / "dunstrc"
        rc.write_text(DUNSTRC.format(dmenu=dmenu, record=record))
        log = (self.workdir / "dunst.log").open("wb")
        proc = subprocess.Popen(
            ["dunst", "-config", str(rc)], env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        self._procs.append(proc)
        self._dunst = proc
        for _ in range(500):
            if self._name_has_owner("org.freedesktop.Notifications"):
                return
            if proc.poll() is not None:
                break
            time.sleep(0.01)
        raise RuntimeError(
            "dunst did not take org.freedesktop.Notifications: "
            + (self.workdir / "dunst.log").read_text(errors="replace")
        )

    def kill_dunst(self) -> None:
        """The daemon dies (``kill -9``) and its bus name goes with it."""
        proc = self._dunst
        assert proc is not None
        proc.kill()
        proc.wait()
        self._procs.remove(proc)
        self._dunst = None
        end = time.monotonic() + 10
        while self._name_has_owner("org.freedesktop.Notifications"):
            assert time.monotonic() < end, "the bus still names a notification daemon"
            time.sleep(0.02)

    def restart_dunst(self) -> None:
        self._start_dunst()

    def _name_has_owner(self, name: str) -> bool:
        out = subprocess.run(
            [
                "dbus-send",
                "--session",
                "--print-reply=literal",
                "--dest=org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                "org.freedesktop.DBus.NameHasOwner",
                f"string:{name}",
            ],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=10,
        )
        return out.returncode == 0 and "true" in out.stdout

    def start_sni_watcher(self) -> None:
        """A StatusNotifierWatcher (D-Bus tray) on the session's bus."""
        proc = subprocess.Popen(
            ["status-notifier-watcher"],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(proc)

    def start_tray(self) -> None:
        """An XEmbed tray host (trayer) on the session's display, for tray-balloon tests."""
        proc = subprocess.Popen(
            [
                "trayer",
                "--edge",
                "top",
                "--align",
                "right",
                "--widthtype",
                "request",
                "--height",
                "32",
                "--SetDockType",
                "false",
            ],
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._procs.append(proc)

    # --- what dunst received ---------------------------------------------------------------------

    def dunstctl(self, *args: str) -> str:
        return subprocess.run(
            ["dunstctl", *args],
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout

    def displayed(self) -> int:
        return int(self.dunstctl("count", "displayed").strip())

    def history(self) -> list[dict[str, Any]]:
        """Closed notifications, newest first, as plain values (summary, body, urgency, …)."""
        data = json.loads(self.dunstctl("history"))
        rows = data["data"][0]
        return [{k: v["data"] for k, v in row.items()} for row in rows]

    def close_all_and_read(self) -> list[dict[str, Any]]:
        """Move every shown notification into the history and return the history."""
        self.dunstctl("close-all")
        return self.history()

    def records(self) -> list[dict[str, str]]:
        """Every notification dunst displayed, oldest first: its DUNST_* variables (DUNST_SUMMARY,
        DUNST_BODY, DUNST_URGENCY, DUNST_DESKTOP_ENTRY, DUNST_CATEGORY, DUNST_ID, …)."""
        if not self.records_file.exists():
            return []
        out = []
        for chunk in self.records_file.read_text().split("\036"):
            pairs = (item.split("=", 1) for item in chunk.split("\0") if "=" in item)
            env = {k: v for k, v in pairs if k.startswith("DUNST_")}
            if env:
                out.append(env)
        return out

    def wait_records(self, count: int, deadline: float = 10.0) -> list[dict[str, str]]:
        """The records once at least ``count`` exist (dunst runs its script asynchronously)."""
        end = time.monotonic() + deadline
        while len(found := self.records()) < count and time.monotonic() < end:
            time.sleep(0.02)
        return found

    def wait_shown(self, *summaries: str, deadline: float = 10.0) -> dict[str, dict[str, str]]:
        """Records by summary once every one of ``summaries`` was displayed. (A notification
        replaced before dunst displayed it never gets a record of its own.)"""
        end = time.monotonic() + deadline
        while True:
            found = {r["DUNST_SUMMARY"]: r for r in self.records()}
            if set(summaries) <= set(found) or time.monotonic() >= end:
                return found
            time.sleep(0.02)

    def choose_from_menu(self, summary: str, action: str) -> str:
        """Open dunst's context menu and pick ``action`` of the notification titled ``summary``;
        returns the menu dunst offered (one line per action)."""
        self.choice_file.write_text(f"{summary}\n{action}\n")
        self.menu_file.unlink(missing_ok=True)
        self.dunstctl("context")
        end = time.monotonic() + 10
        while not self.menu_file.exists() and time.monotonic() < end:
            time.sleep(0.02)
        return self.menu_file.read_text() if self.menu_file.exists() else ""


class RecordingBackend:
    """A real in-memory backend: keeps what it was asked to show, or fails on purpose
    (``fail_start`` / ``fail_send``) to exercise the presenter's fallback."""

    def __init__(
        self, name: str = "recording", *, fail_start: bool = False, fail_send: bool = False
    ) -> None:
        self.name = name
        self.sent: list[Notification] = []
        self.started = False
        self.closed = False
        self.fail_start = fail_start
        self.fail_send = fail_send
        self.on_activated: ActivatedCallback | None = None
        self.on_closed: ClosedCallback | None = None

    @property
    def capabilities(self) -> Capabilities:
        return Capabilities(server=self.name)

    def start(
        self, on_activated: ActivatedCallback | None = None, on_closed: ClosedCallback | None = None
    ) -> None:
        if self.fail_start:
            raise NotifyError(f"{self.name} cannot start here")
        self.started = True
        self.on_activated, self.on_closed = on_activated, on_closed

    def send(self, notification: Notification) -> None:
        if self.fail_send:
            raise NotifyError(f"{self.name} lost its server")
        self.sent.append(notification)

    def close(self) -> None:
        self.started = False
        self.closed = True
