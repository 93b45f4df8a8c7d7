"""A private D-Bus session bus and an unlocked GNOME Keyring for tests.

``dbus-run-session`` cannot wrap a running pytest, so these start the daemons themselves, wait
until they answer, and stop them (by the process each one started) afterwards. Both are context
managers; wrap them in fixtures where needed::

    with private_session_bus() as bus, unlocked_keyring(bus) as keyring_env:
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

SECRETS_NAME = "org.freedesktop.secrets"
READY_TIMEOUT_S = 20.0


@dataclass
class SessionBus:
    address: str
    process: subprocess.Popen[bytes]
    folder: Path  # private temp folder: the bus socket, runtime dir, daemon logs

    @property
    def env(self) -> dict[str, str]:
        """Variables that put a child process on this bus."""
        return {"DBUS_SESSION_BUS_ADDRESS": self.address}

    def has_owner(self, name: str) -> bool:
        from jeepney.bus_messages import message_bus
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as conn:
            reply = conn.send_and_get_reply(message_bus.NameHasOwner(name), timeout=5)
        return bool(reply.body[0])

    def wait_for_name(self, name: str, process: subprocess.Popen[bytes] | None = None) -> None:
        """Wait until ``name`` has an owner on this bus (raises if ``process`` exits first)."""
        deadline = time.monotonic() + READY_TIMEOUT_S
        while not self.has_owner(name):
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"the process meant to own {name} exited ({process.returncode})")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not appear on the test bus")
            time.sleep(0.02)


@dataclass
class KeyringDaemon:
    process: subprocess.Popen[bytes]
    data_dir: Path  # XDG_DATA_HOME of the daemon: its keyrings/ live here
    log: Path
    env: dict[str, str] = field(default_factory=dict)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@contextmanager
def private_session_bus() -> Iterator[SessionBus]:
    """A fresh session bus on a socket in a private temp folder."""
    if shutil.which("dbus-daemon") is None:
        raise RuntimeError("dbus-daemon is not installed (Debian package: dbus)")
    folder = Path(tempfile.mkdtemp(prefix="lu-bus-"))  # short: socket paths are limited
    runtime = folder / "runtime"
    runtime.mkdir(mode=0o700)
    with (folder / "dbus.log").open("wb") as log_file:
        process = subprocess.Popen(
            [
                "dbus-daemon",
                "--session",
                "--nofork",
                "--nopidfile",
                "--print-address=1",
                f"--address=unix:path={folder / 'bus'}",
            ],
            stdout=subprocess.PIPE,
            stderr=log_file,
            env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        )
    try:
        assert process.stdout is not None
        address = process.stdout.readline().decode().strip()
        if not address:
            log = (folder / "dbus.log").read_text(errors="replace")
            raise RuntimeError(f"dbus-daemon did not start: {log}")
        yield SessionBus(address=address, process=process, folder=folder)
    finally:
        _stop(process)
        if process.stdout is not None:
            process.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def unlocked_keyring(bus: SessionBus, password: str = "test-login") -> Iterator[KeyringDaemon]:
    """gnome-keyring-daemon (secrets component) on ``bus``, its login keyring unlocked, with
    its keyrings stored under the bus's private folder."""
    if shutil.which("gnome-keyring-daemon") is None:
        raise RuntimeError("gnome-keyring-daemon is not installed (Debian: gnome-keyring)")
    data = bus.folder / "keyring-data"
    data.mkdir()
    env = {
        **os.environ,
        **bus.env,
        "XDG_RUNTIME_DIR": str(bus.folder / "runtime"),
        "XDG_DATA_HOME": str(data),
    }
    env.pop("DISPLAY", None)  # never show a password prompt
    log = bus.folder / "gnome-keyring.log"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            ["gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets"],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            env=env,
        )
    try:
        assert process.stdin is not None
        process.stdin.write(password.encode())
        process.stdin.close()
        bus.wait_for_name(SECRETS_NAME, process)
        yield KeyringDaemon(process=process, data_dir=data, log=log, env=bus.env)
    finally:
        _stop(process)
