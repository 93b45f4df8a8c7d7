"""One running app per user: a QLocalServer guard. A second launch asks the first to show itself."""

from __future__ import annotations

import logging
import os
import re
import zlib

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from widget import APP_ID, APP_SLUG

log = logging.getLogger(__name__)

SHOW = "show"
CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
READ_LIMIT = 1024


def current_user() -> str:
    """The login name, found as ``getpass.getuser`` finds it (LOGNAME, USER, LNAME, USERNAME,
    then the password database) without importing getpass, which loads termios for prompts
    the tray app never shows. Raises KeyError or OSError when there is no name to be had."""
    for variable in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        user = os.environ.get(variable)
        if user:
            return user
    import pwd  # not on Windows, where USERNAME is always set

    return pwd.getpwuid(os.getuid())[0]


def server_name(user: str | None = None) -> str:
    """The per-user socket name: short (Unix socket paths are limited to ~100 bytes, and the
    name is placed in the temp folder) and made of safe characters only. The checksum keeps
    users whose shortened names look alike apart; it is no secret, so zlib's CRC-32 serves (a
    cryptographic hash would keep libcrypto, ~4 MB, resident in the tray app)."""
    try:
        who = user if user is not None else current_user()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER: still one per uid
        who = str(os.getuid()) if hasattr(os, "getuid") else "user"
    digest = zlib.crc32(f"{APP_ID}\0{who}".encode("utf-8", "surrogatepass"))
    return f"{APP_SLUG}-{re.sub(r'[^A-Za-z0-9_.-]', '_', who)[:16]}-{digest:08x}"


def send_message(name: str, message: str = SHOW) -> bool:
    """Deliver ``message`` to a running instance; False when none is listening."""
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write((message + "\n").encode("utf-8"))
    ok = socket.waitForBytesWritten(WRITE_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(WRITE_TIMEOUT_MS)
    return ok


class SingleInstance(QObject):
    """Owns the per-user local server while the app runs.

    ``acquire()`` returns True when this process is the only instance (it then listens);
    False when another instance answered — it has been sent ``show`` and this one should exit.
    """

    message_received = Signal(str)
    show_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server: QLocalServer | None = None
        self._buffers: dict[QLocalSocket, bytearray] = {}

    def acquire(self) -> bool:
        if send_message(self.name, SHOW):
            log.info("another instance is running; asked it to show its window")
            return False
        server = QLocalServer(self)
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if not server.listen(self.name):
            # A stale socket from a crashed run: nobody answered above, so remove and retry.
            QLocalServer.removeServer(self.name)
            if not server.listen(self.name):
                log.warning(
                    "single-instance guard unavailable (%s); continuing without it",
                    server.errorString(),
                )
                return True
        server.newConnection.connect(self._on_connection)
        self._server = server
        log.info("single-instance guard listening as %s", self.name)
        return True

    def release(self) -> None:
        for socket in list(self._buffers):
            socket.abort()
            socket.deleteLater()
        self._buffers.clear()
        if self._server is not None:
            self._server.close()
            self._server = None

    def _on_connection(self) -> None:
        server = self._server
        if server is None:
            return
        while server.hasPendingConnections():
            socket = server.nextPendingConnection()
            self._buffers[socket] = bytearray()
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(self._on_disconnected)
            self._read(socket)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _on_disconnected(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)
            self._buffers.pop(socket, None)
            socket.deleteLater()

    def _read(self, socket: QLocalSocket) -> None:
        buf = self._buffers.get(socket)
        if buf is None:
            return
        buf.extend(bytes(socket.readAll().data()))
        del buf[READ_LIMIT:]
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            self._handle(line.decode("utf-8", "replace").strip())

    def _handle(self, message: str) -> None:
        log.info("message from a second launch: %r", message)
        self.message_received.emit(message)
        if message == SHOW:
            self.show_requested.emit()
