"""Noticing that the network came back (or went away), so due sources are polled at once.

On Linux the kernel announces every link, address and route change on a netlink socket; the
tray app listens with a ``QSocketNotifier`` (no thread, no polling) and, a moment after a burst
of changes, reads the routing tables: the machine is "online" while it has a default route on an
interface other than loopback (``/proc/net/route``, ``/proc/net/ipv6_route``). This costs a socket
and a few hundred bytes, where Qt's ``QNetworkInformation`` loads a GLib/GIO backend with its
own D-Bus connection and thread (about 3 MB that the tray app would keep for days).

Elsewhere (Windows, macOS, BSD) ``QNetworkInformation`` is used, which has native backends there.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject, QSocketNotifier, QTimer, Signal

log = logging.getLogger(__name__)

ROUTE_FILES = (Path("/proc/net/route"), Path("/proc/net/ipv6_route"))
SETTLE_MS = 1000  # a burst of changes (link up, address, routes) is read once, after it
_NETLINK_ROUTE = 0
# rtnetlink multicast groups: links, IPv4/IPv6 addresses and routes
_GROUPS = 0x1 | 0x10 | 0x40 | 0x100 | 0x400


def default_route_in(ipv4_table: str, ipv6_table: str) -> bool:
    """True when either routing table (the text of ``/proc/net/route`` and
    ``/proc/net/ipv6_route``) has a usable default route off the loopback interface."""
    for line in ipv4_table.splitlines()[1:]:  # a header line first
        cols = line.split()
        # Iface Destination Gateway Flags RefCnt Use Metric Mask ...; Flags 0x1 = RTF_UP
        default = len(cols) >= 8 and cols[1] == "00000000" and cols[7] == "00000000"
        if default and cols[0] != "lo" and int(cols[3], 16) & 0x1:
            return True
    for line in ipv6_table.splitlines():
        cols = line.split()
        # dest dest_len src src_len next_hop metric refcnt use flags iface; RTF_UP = 0x1
        if len(cols) >= 10 and cols[9] != "lo" and cols[1] == "00" and int(cols[0], 16) == 0:
            flags = int(cols[8], 16)
            if flags & 0x1 and not flags & 0x200:  # up, and not a "reject" (unreachable) route
                return True
    return False


def _read(paths: Iterable[Path]) -> list[str]:
    texts = []
    for path in paths:
        try:
            texts.append(path.read_text(encoding="ascii", errors="replace"))
        except OSError:
            texts.append("")
    return texts


class RouteWatch(QObject):
    """Linux: ``changed(online)`` when the machine gains or loses its default route."""

    changed = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, *, route_files: tuple[Path, Path] = ROUTE_FILES
    ) -> None:
        super().__init__(parent)
        self._files = route_files
        self._sock: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._settle = QTimer(self)
        self._settle.setSingleShot(True)
        self._settle.setInterval(SETTLE_MS)
        self._settle.timeout.connect(self._check)
        self.online: bool | None = None

    def start(self) -> bool:
        """Listen for changes; False (and nothing started) when netlink is not available."""
        family = getattr(socket, "AF_NETLINK", None)
        if family is None or not self._files[0].exists():
            return False
        try:
            sock = socket.socket(family, socket.SOCK_RAW | socket.SOCK_CLOEXEC, _NETLINK_ROUTE)
            sock.setblocking(False)
            sock.bind((0, _GROUPS))
        except OSError as exc:
            log.info("cannot listen for network changes on netlink: %s", exc)
            return False
        self._sock = sock
        self._notifier = QSocketNotifier(sock.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._drain)
        self.online = self.read_online()
        return True

    def stop(self) -> None:
        """Stop listening: the notifier goes before its socket is closed, here, on the thread
        that made them (a notifier left watching a closed socket floods the log)."""
        self._settle.stop()
        notifier, self._notifier = self._notifier, None
        if notifier is not None:
            notifier.setEnabled(False)
            notifier.setParent(None)  # now Python's: destroyed when the last name goes
            del notifier
        sock, self._sock = self._sock, None
        if sock is not None:
            sock.close()

    def read_online(self) -> bool:
        ipv4, ipv6 = _read(self._files)
        return default_route_in(ipv4, ipv6)

    def _drain(self) -> None:
        if self._sock is None:
            return
        while True:  # the messages themselves do not matter: the tables are read after
            try:
                if not self._sock.recv(65536):
                    break
            except BlockingIOError:
                break
            except OSError as exc:  # e.g. ENOBUFS after a flood: the tables are still read
                log.debug("netlink read: %s", exc)
                break
        self._settle.start()

    def _check(self) -> None:
        online = self.read_online()
        if online != self.online:
            self.online = online
            self.changed.emit(online)


def watch_network(
    parent: QObject, on_change: Callable[[bool], None]
) -> tuple[bool | None, RouteWatch | None]:
    """Call ``on_change(online)`` when reachability changes. Returns whether the machine is
    online now (None when nothing can tell: then wake detection alone triggers polls) and the
    watch to ``stop`` when the caller shuts down (None when Qt's own backend watches)."""
    if sys.platform.startswith("linux"):
        watch = RouteWatch(parent)
        if watch.start():
            watch.changed.connect(on_change)
            log.info("watching network changes through netlink (online: %s)", watch.online)
            return watch.online, watch
    return _watch_with_qt(on_change), None


def _watch_with_qt(on_change: Callable[[bool], None]) -> bool | None:
    from PySide6.QtNetwork import QNetworkInformation

    feature = QNetworkInformation.Feature.Reachability
    if not QNetworkInformation.loadBackendByFeatures(feature):
        log.info("no network-information backend; relying on wake detection only")
        return None
    info = QNetworkInformation.instance()
    if info is None:
        return None
    online = QNetworkInformation.Reachability.Online

    def changed(reach: QNetworkInformation.Reachability) -> None:
        on_change(reach == online)

    info.reachabilityChanged.connect(changed)
    log.info("watching network reachability through %s", info.backendName())
    return bool(info.reachability() == online)


__all__ = ["RouteWatch", "default_route_in", "watch_network"]
