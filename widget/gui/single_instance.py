"""One running app per desktop session and config folder; a second launch asks the first to show
itself and exits.

The guard lives in a private folder: ``$XDG_RUNTIME_DIR/live-updates`` (the user's own, mode
0700), else ``live-updates-<uid>`` in the temp folder when this user owns it with mode 0700, so
no other local user can take or block the name. Inside it, the name is keyed by the config folder
and the session (the display): ``<name>.lock`` is held with ``flock`` for the process's life —
taken atomically, so of two launches at once exactly one wins — and only its holder listens on
``<name>.sock`` (a Unix socket watched by a ``QSocketNotifier``; a ``QLocalServer`` on Windows,
where named pipes serve), removing whatever a crashed run left there first. A launch that finds
the lock taken connects to the socket, sends ``show`` and reads back the running instance's role
(``app`` or ``demo``).

Plain sockets, not Qt's network module, on Linux and macOS: loading that module (and the
Kerberos libraries it links) would keep about 2.5 MB resident for the app's whole life, for a
socket that carries one line per launch.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import stat
import sys
import tempfile
import time
import zlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, Any

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from widget import APP_ID, APP_SLUG

log = logging.getLogger(__name__)

SHOW = "show"
CONNECT_TIMEOUT_MS = 500
WRITE_TIMEOUT_MS = 1000
READ_LIMIT = 1024
# A launch that loses the lock race waits this long for the winner to listen.
ANSWER_WAIT_S = 10.0
RETRY_S = 0.05
# Unix socket paths hold at most 107 bytes (Linux; 103 on macOS).
MAX_SOCKET_PATH = 100


def session_key(env: Mapping[str, str] | None = None) -> str:
    """The desktop session a launch belongs to: its Wayland or X display (empty elsewhere)."""
    env = os.environ if env is None else env
    wayland = env.get("WAYLAND_DISPLAY", "")
    x11 = env.get("DISPLAY", "")
    return f"wayland={wayland};x11={x11}"


def instance_name(config_dir: Path, session: str) -> str:
    """Short and made of safe characters (it names a socket file). The checksum is no secret, so
    zlib's CRC-32 serves (a cryptographic hash would keep libcrypto, ~4 MB, resident)."""
    where = os.path.abspath(config_dir)
    digest = zlib.crc32(f"{APP_ID}\0{where}\0{session}".encode("utf-8", "surrogatepass"))
    return f"{APP_SLUG}-{digest:08x}"


def _is_private(path: Path) -> bool:
    """A real folder (no symlink) of this user that nobody else may enter."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not (st.st_mode & 0o077)


def _private_folder(path: Path) -> Path | None:
    """``path`` created (mode 0700) or made private when it is this user's; None when it
    belongs to someone else, is not a folder, or cannot be made."""
    try:
        path.mkdir(mode=0o700, exist_ok=True)
        st = os.lstat(path)
        if stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and st.st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError as exc:
        log.debug("%s cannot hold the instance guard: %s", path, exc)
        return None
    return path if _is_private(path) else None


def private_runtime_dir(env: Mapping[str, str] | None = None) -> Path:
    """Where the guard lives: inside ``$XDG_RUNTIME_DIR`` when that is private, else a
    per-user folder in the temp directory; a fresh private temp folder as the last resort (a
    name squatted by another user never stops the app from starting)."""
    env = os.environ if env is None else env
    candidates: list[Path] = []
    runtime = env.get("XDG_RUNTIME_DIR", "")
    if runtime and _is_private(Path(runtime)):
        candidates.append(Path(runtime) / APP_SLUG)
    elif runtime:
        log.warning("XDG_RUNTIME_DIR %s is not a private folder of this user: not used", runtime)
    candidates.append(Path(tempfile.gettempdir()) / f"{APP_SLUG}-{os.getuid()}")
    for candidate in candidates:
        if len(str(candidate)) > MAX_SOCKET_PATH - 30:
            continue
        found = _private_folder(candidate)
        if found is not None:
            return found
    fresh = Path(tempfile.mkdtemp(prefix=f"{APP_SLUG}-"))
    log.warning(
        "no private folder for the single-instance guard (%s taken by another user?); "
        "using %s, so another launch will not find this one",
        ", ".join(map(str, candidates)),
        fresh,
    )
    return fresh


def send_message(name: str, message: str = SHOW) -> str | None:
    """Deliver ``message`` to the instance listening on ``name``; its answer (its role, "" when
    it sent none), or None when none is listening."""
    if sys.platform == "win32":
        return _send_with_qt(name, message)
    client = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        client.settimeout(CONNECT_TIMEOUT_MS / 1000)
        try:
            client.connect(name)
        except OSError:
            return None
        client.settimeout(WRITE_TIMEOUT_MS / 1000)
        answer = bytearray()
        try:
            client.sendall((message + "\n").encode("utf-8"))
            while b"\n" not in answer and len(answer) < READ_LIMIT:
                chunk = client.recv(READ_LIMIT)
                if not chunk:
                    break
                answer.extend(chunk)
        except TimeoutError:
            pass  # delivered; the answer did not come in time
        except OSError:
            return None
    finally:
        client.close()
    return bytes(answer).partition(b"\n")[0].decode("utf-8", "replace").strip()


def _send_with_qt(name: str, message: str) -> str | None:
    from PySide6.QtNetwork import QLocalSocket

    client = QLocalSocket()
    client.connectToServer(name)
    if not client.waitForConnected(CONNECT_TIMEOUT_MS):
        return None
    client.write((message + "\n").encode("utf-8"))
    if not client.waitForBytesWritten(WRITE_TIMEOUT_MS):
        client.abort()
        return None
    answer = bytearray()
    while b"\n" not in answer and len(answer) < READ_LIMIT:
        if not client.bytesAvailable() and not client.waitForReadyRead(WRITE_TIMEOUT_MS):
            break
        answer.extend(bytes(client.readAll().data()))
    client.disconnectFromServer()
    if client.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        client.waitForDisconnected(WRITE_TIMEOUT_MS)
    return bytes(answer).partition(b"\n")[0].decode("utf-8", "replace").strip()


def _take_lock(path: Path) -> IO[bytes] | None:
    """The lock file, held (``flock``, released when the process ends however it ends); None
    when another process holds it."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | getattr(os, "O_NOFOLLOW", 0), 0o600)
    handle = os.fdopen(fd, "r+b")
    if sys.platform == "win32":
        return handle
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        return None
    except OSError:
        handle.close()
        raise
    handle.truncate(0)
    handle.write(f"{os.getpid()}\n".encode())
    handle.flush()
    return handle


class SingleInstance(QObject):
    """Owns the lock and the local server while the app runs.

    ``acquire()`` returns True when this process is the instance (it then holds the lock and
    listens); False when another one runs — it has been sent ``show``, and ``running`` holds its
    answer (``"app"``, ``"demo"``; None when it did not answer).
    """

    message_received = Signal(str)
    show_requested = Signal()

    def __init__(
        self,
        config_dir: Path,
        *,
        role: str = "app",
        folder: Path | None = None,
        session: str | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.role = role
        self.name = instance_name(config_dir, session if session is not None else session_key())
        self._folder = folder
        self.running: str | None = None
        self.lock_path: Path | None = None
        self.socket_path = self.name
        self._lock: IO[bytes] | None = None
        self._server: _Listener | None = None

    def acquire(self) -> bool:
        if sys.platform == "win32":  # named pipes: per session already, no file to lock
            return self._ask_or_listen()
        folder = self._folder if self._folder is not None else private_runtime_dir()
        self.lock_path = folder / f"{self.name}.lock"
        self.socket_path = str(folder / f"{self.name}.sock")
        deadline = time.monotonic() + ANSWER_WAIT_S
        while True:
            try:
                self._lock = _take_lock(self.lock_path)
            except OSError as exc:
                log.warning("cannot lock %s (%s); starting without the guard", self.lock_path, exc)
                return True
            if self._lock is not None:
                self._listen(replace_stale=True)
                return True
            answer = send_message(self.socket_path, SHOW)
            if answer is not None:
                self.running = answer or "app"
                log.info("another instance (%s) is running; asked it to show its window", answer)
                return False
            if time.monotonic() >= deadline:
                log.warning("another instance holds %s but does not answer", self.lock_path)
                return False
            time.sleep(RETRY_S)  # it took the lock and is about to listen (or just quit)

    def _ask_or_listen(self) -> bool:
        answer = send_message(self.socket_path, SHOW)
        if answer is not None:
            self.running = answer or "app"
            return False
        self._listen(replace_stale=False)
        return True

    def _listen(self, *, replace_stale: bool) -> None:
        listener: _Listener = (
            _QtListener(self.role, self._handle, self)
            if sys.platform == "win32"
            else _UnixListener(self.role, self._handle, self)
        )
        problem = listener.listen(self.socket_path, replace_stale=replace_stale)
        if problem:
            log.warning(
                "single-instance socket unavailable (%s); a second launch will not find this one",
                problem,
            )
            return
        self._server = listener
        log.info("single-instance guard listening at %s", self.socket_path)

    def release(self) -> None:
        if self._server is not None:
            self._server.close()  # removes the socket file
            self._server = None
        if self._lock is not None:
            self._lock.close()  # the lock goes with it
            self._lock = None

    def _handle(self, message: str) -> None:
        log.info("message from a second launch: %r", message)
        self.message_received.emit(message)
        if message == SHOW:
            self.show_requested.emit()


class _Listener(QObject):
    """Answers launches: each line received is answered with the role and handed on."""

    def __init__(self, role: str, handle: Callable[[str], None], parent: QObject) -> None:
        super().__init__(parent)
        self._role = role
        self._handle = handle

    def listen(self, path: str, *, replace_stale: bool) -> str:
        """Start listening at ``path``; "" when listening, else what went wrong."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def _lines(self, buf: bytearray, data: bytes) -> list[str]:
        """The complete lines in ``buf`` once ``data`` is added (kept short)."""
        buf.extend(data)
        del buf[READ_LIMIT:]
        lines: list[str] = []
        while b"\n" in buf:
            line, _, rest = bytes(buf).partition(b"\n")
            buf[:] = rest
            lines.append(line.decode("utf-8", "replace").strip())
        return lines


class _UnixListener(_Listener):
    """A Unix socket, read by ``QSocketNotifier`` on the GUI thread (no thread, no timer)."""

    def __init__(self, role: str, handle: Callable[[str], None], parent: QObject) -> None:
        super().__init__(role, handle, parent)
        self._sock: socket.socket | None = None
        self._path = ""
        self._notifier: QSocketNotifier | None = None
        self._clients: dict[int, tuple[socket.socket, QSocketNotifier, bytearray]] = {}

    def listen(self, path: str, *, replace_stale: bool) -> str:
        if replace_stale:
            # Only the lock's holder gets here, so a socket file there is a crashed run's.
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
            except OSError as exc:
                return f"{path}: {exc.strerror or exc}"
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            server.bind(path)
            os.chmod(path, 0o600)
            server.listen(8)
            server.setblocking(False)
        except OSError as exc:
            server.close()
            return f"{path}: {exc.strerror or exc}"
        self._sock, self._path = server, path
        notifier = QSocketNotifier(server.fileno(), QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._accept)
        self._notifier = notifier
        return ""

    def _accept(self) -> None:
        server = self._sock
        while server is not None:
            try:
                client, _ = server.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                log.debug("accepting a launch failed: %s", exc)
                return
            client.setblocking(False)
            notifier = QSocketNotifier(client.fileno(), QSocketNotifier.Type.Read, self)
            fd = client.fileno()
            notifier.activated.connect(lambda *_, fd=fd: self._read(fd))
            self._clients[fd] = (client, notifier, bytearray())
            self._read(fd)

    def _read(self, fd: int) -> None:
        found = self._clients.get(fd)
        if found is None:
            return
        client, _notifier, buf = found
        while True:
            try:
                data = client.recv(READ_LIMIT)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                data = b""
            if not data:
                self._drop(fd)
                return
            for line in self._lines(buf, data):
                with contextlib.suppress(OSError):
                    client.send(f"{self._role}\n".encode())
                self._handle(line)

    def _drop(self, fd: int) -> None:
        found = self._clients.pop(fd, None)
        if found is None:
            return
        client, notifier, _ = found
        notifier.setEnabled(False)
        notifier.deleteLater()
        client.close()

    def close(self) -> None:
        for fd in list(self._clients):
            self._drop(fd)
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            with contextlib.suppress(OSError):
                os.unlink(self._path)


class _QtListener(_Listener):  # pragma: no cover - Windows (named pipes)
    """Qt's local server: a named pipe of the session on Windows."""

    def __init__(self, role: str, handle: Callable[[str], None], parent: QObject) -> None:
        super().__init__(role, handle, parent)
        from PySide6.QtNetwork import QLocalServer

        self._server = QLocalServer(self)
        self._buffers: dict[Any, bytearray] = {}

    def listen(self, path: str, *, replace_stale: bool) -> str:
        from PySide6.QtNetwork import QLocalServer

        server = self._server
        server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        if replace_stale:
            QLocalServer.removeServer(path)
        if not server.listen(path):
            return str(server.errorString())
        server.newConnection.connect(self._on_connection)
        return ""

    def _on_connection(self) -> None:
        server = self._server
        while server.hasPendingConnections():
            client = server.nextPendingConnection()
            self._buffers[client] = bytearray()
            client.readyRead.connect(lambda c=client: self._read(c))
            client.disconnected.connect(lambda c=client: self._gone(c))
            self._read(client)

    def _read(self, client: Any) -> None:
        buf = self._buffers.get(client)
        if buf is None:
            return
        for line in self._lines(buf, bytes(client.readAll().data())):
            client.write(f"{self._role}\n".encode())
            client.flush()
            self._handle(line)

    def _gone(self, client: Any) -> None:
        self._read(client)
        self._buffers.pop(client, None)
        client.deleteLater()

    def close(self) -> None:
        for client in list(self._buffers):
            client.abort()
            client.deleteLater()
        self._buffers.clear()
        self._server.close()
