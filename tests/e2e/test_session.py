"""The desktop session that tests/run.sh starts is real: an X display, a notification daemon
answering on the session bus, an unlocked Secret Service and a tray host Qt can use.

These tests only make sense inside that session (tests/session.sh sets
LIVE_UPDATES_TEST_SESSION); run alone, they are skipped with a pointer to the script.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(
        not os.environ.get("LIVE_UPDATES_TEST_SESSION"),
        reason="needs the desktop session of tests/run.sh (bash tests/session.sh xembed -- pytest)",
    ),
]

jeepney = pytest.importorskip("jeepney")
from jeepney.io.blocking import DBusConnection, open_dbus_connection  # noqa: E402

MODE = os.environ.get("LIVE_UPDATES_TEST_SESSION", "")


@pytest.fixture
def bus() -> Iterator[DBusConnection]:
    conn = open_dbus_connection(bus="SESSION")
    try:
        yield conn
    finally:
        conn.close()


def call(conn: DBusConnection, name: str, path: str, iface: str, method: str, *args: Any) -> Any:
    sig = "".join("s" if isinstance(a, str) else "" for a in args)
    msg = jeepney.new_method_call(
        jeepney.DBusAddress(path, bus_name=name, interface=iface), method, sig, args
    )
    reply = conn.send_and_get_reply(msg, timeout=5)
    if reply.header.message_type == jeepney.MessageType.error:
        raise AssertionError(f"{iface}.{method} failed: {reply.body}")
    return reply.body


def get_property(conn: DBusConnection, name: str, path: str, iface: str, prop: str) -> Any:
    (variant,) = call(conn, name, path, "org.freedesktop.DBus.Properties", "Get", iface, prop)
    return variant[1]


def has_owner(conn: DBusConnection, name: str) -> bool:
    reply = conn.send_and_get_reply(jeepney.bus_messages.message_bus.NameHasOwner(name), timeout=5)
    return bool(reply.body[0])


def test_x_display_is_reachable() -> None:
    display = os.environ.get("DISPLAY", "")
    assert display.startswith(":"), f"DISPLAY is {display!r}"
    out = subprocess.run(["xdpyinfo"], capture_output=True, text=True, timeout=10, check=False)
    assert out.returncode == 0, out.stderr
    assert "dimensions:    1280x800 pixels" in out.stdout


def test_notification_daemon_answers(bus: DBusConnection) -> None:
    name, vendor, version, spec = call(
        bus,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications",
        "GetServerInformation",
    )
    assert name == "dunst"
    assert spec == "1.2"
    (caps,) = call(
        bus,
        "org.freedesktop.Notifications",
        "/org/freedesktop/Notifications",
        "org.freedesktop.Notifications",
        "GetCapabilities",
    )
    assert "actions" in caps, f"{name} {version} by {vendor} advertises {caps}"


def test_secret_service_is_owned_and_unlocked(bus: DBusConnection) -> None:
    assert has_owner(bus, "org.freedesktop.secrets")
    (collection,) = call(
        bus,
        "org.freedesktop.secrets",
        "/org/freedesktop/secrets",
        "org.freedesktop.Secret.Service",
        "ReadAlias",
        "default",
    )
    assert collection != "/", "the keyring has no default collection"
    locked = get_property(
        bus, "org.freedesktop.secrets", collection, "org.freedesktop.Secret.Collection", "Locked"
    )
    assert locked is False


# Shows a tray icon in a fresh process (Qt picks XEmbed or StatusNotifierItem once per process)
# and prints whether a tray exists and which bus name the icon registered with the watcher.
TRAY_PROBE = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

app = QApplication(sys.argv)
available = QSystemTrayIcon.isSystemTrayAvailable()
pix = QPixmap(16, 16)
pix.fill()
icon = QSystemTrayIcon(QIcon(pix))
icon.show()
QTimer.singleShot(300, app.quit)
app.exec()
print("available" if available else "missing")
"""


def run_tray_probe() -> str:
    env = dict(os.environ, QT_QPA_PLATFORM="xcb")
    out = subprocess.run(
        [sys.executable, "-c", TRAY_PROBE],
        capture_output=True,
        text=True,
        timeout=30,
        env=env,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.mark.skipif(MODE != "xembed", reason="XEmbed tray session only")
def test_xembed_tray_host_is_there() -> None:
    assert run_tray_probe() == "available"
    out = subprocess.run(
        ["xdotool", "search", "--classname", "^trayer$"],
        capture_output=True,
        text=True,
        timeout=10,
        check=False,
    )
    assert out.stdout.strip(), "trayer has no window"


@pytest.mark.skipif(MODE != "sni", reason="StatusNotifierWatcher session only")
def test_status_notifier_watcher_takes_qt_tray_icons(bus: DBusConnection) -> None:
    assert has_owner(bus, "org.kde.StatusNotifierWatcher")
    # The probe exits before we look, so watch the registration as it happens instead.
    rule = jeepney.MatchRule(
        type="signal",
        interface="org.kde.StatusNotifierWatcher",
        member="StatusNotifierItemRegistered",
    )
    call(
        bus,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "AddMatch",
        rule.serialise(),
    )
    with bus.filter(rule) as queue:
        assert run_tray_probe() == "available"
        signal = bus.recv_until_filtered(queue, timeout=10)
    assert "StatusNotifierItem" in signal.body[0] or signal.body[0].startswith(":")
