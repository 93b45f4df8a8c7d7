"""Network reconnection is noticed from the kernel's route changes (netlink), without polling.

The live test runs the watcher inside a private network namespace (``unshare -n``), where the test
may add and remove a default route without touching the machine's own network."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import textwrap

import pytest

from widget.gui.netwatch import default_route_in

HEADER = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n"
V4_DEFAULT = "eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n"
V4_LAN_ONLY = "eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n"
V4_LO_DEFAULT = "lo\t00000000\t00000000\t0001\t0\t0\t0\t00000000\t0\t0\t0\n"
V4_DOWN_DEFAULT = "eth0\t00000000\t010200C0\t0002\t0\t0\t0\t00000000\t0\t0\t0\n"
ZERO = "0" * 32
V6_DEFAULT = f"{ZERO} 00 {ZERO} 00 fd000000000000000000000000000001 00000400 2 0 00000003 wlan0\n"
V6_REJECT = f"{ZERO} 00 {ZERO} 00 {ZERO} ffffffff 1 0 00200200 lo\n"
V6_LINK_LOCAL = f"fe80{'0' * 28} 40 {ZERO} 00 {ZERO} 00000100 2 0 00000001 wlan0\n"


@pytest.mark.parametrize(
    ("ipv4", "ipv6", "online"),
    [
        (HEADER + V4_LAN_ONLY + V4_DEFAULT, "", True),
        (HEADER + V4_LAN_ONLY, "", False),  # a LAN address but no way out
        (HEADER, V6_LINK_LOCAL + V6_DEFAULT, True),  # IPv6 only
        (HEADER + V4_LO_DEFAULT, V6_REJECT + V6_LINK_LOCAL, False),  # loopback and reject routes
        (HEADER + V4_DOWN_DEFAULT, "", False),  # a default route that is not up
        ("", "", False),  # unreadable tables
    ],
)
def test_online_means_a_default_route_off_loopback(ipv4: str, ipv6: str, online: bool) -> None:
    assert default_route_in(ipv4, ipv6) is online


_CHILD = textwrap.dedent(
    """
    import json, subprocess, sys
    from PySide6.QtCore import QCoreApplication, QTimer
    from widget.gui.netwatch import RouteWatch

    app = QCoreApplication([])
    watch = RouteWatch()
    events = {"started": watch.start(), "initially": watch.online, "changes": []}
    watch.changed.connect(events["changes"].append)

    def ip(*args):
        subprocess.run(["ip", *args], check=True)

    def connect():
        ip("link", "add", "lu0", "type", "veth", "peer", "name", "lu1")
        ip("link", "set", "lu1", "up")
        ip("link", "set", "lu0", "up")
        ip("addr", "add", "10.77.0.1/24", "dev", "lu0")
        ip("route", "add", "default", "via", "10.77.0.2", "dev", "lu0")

    def disconnect():
        ip("link", "del", "lu0")  # its peer, address and routes go with it

    def done():
        print(json.dumps(events))
        app.quit()

    QTimer.singleShot(100, connect)
    QTimer.singleShot(2500, disconnect)
    QTimer.singleShot(5000, done)
    app.exec()
    """
)


def _namespaces_allowed() -> bool:
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        return False
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "add", "p0", "type", "veth", "peer", "name", "p1"],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or not _namespaces_allowed(),
    reason="needs Linux with unshare -n and veth links (root or CAP_NET_ADMIN/CAP_SYS_ADMIN)",
)
def test_a_route_coming_and_going_is_reported_once_each() -> None:
    out = subprocess.run(
        ["unshare", "-n", sys.executable, "-c", _CHILD],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert out.returncode == 0, out.stderr
    events = json.loads(out.stdout.strip().splitlines()[-1])
    # a fresh namespace has no route out; then one burst of changes (link, address, route) is
    # one "online", and removing the link one "offline"
    assert events == {"started": True, "initially": False, "changes": [True, False]}
