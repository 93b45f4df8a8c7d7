"""The sockets of requests in flight, so a cancelled poll can end requests stuck waiting.

A request waiting for a silent server's response headers sits in a blocking read that no flag
can interrupt; shutting its socket down ends the read at once. Sockets are learnt through
httpx's "trace" request extension when a connection is opened (a kept-alive connection reused
from an earlier request is not seen: such a request still ends at the HTTP deadline).
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from typing import Any

Trace = Callable[[str, Mapping[str, Any]], None]

_OPENED = ("connection.connect_tcp.complete", "connection.start_tls.complete")


class InFlight:
    """Sockets of running requests by their cancel event. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sockets: dict[threading.Event, list[socket.socket]] = {}

    @contextmanager
    def tracking(self, cancel: threading.Event | None) -> Iterator[Trace | None]:
        """A trace callback recording the sockets this request opens, while the block runs."""
        if cancel is None:
            yield None
            return
        mine: list[socket.socket] = []

        def trace(event: str, info: Mapping[str, Any]) -> None:
            if event not in _OPENED:
                return
            stream = info.get("return_value")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                with self._lock:
                    mine.append(sock)
                    self._sockets.setdefault(cancel, []).append(sock)
                if cancel.is_set():  # cancelled while connecting
                    _shut(sock)

        try:
            yield trace
        finally:
            with self._lock:
                shared = self._sockets.get(cancel, [])
                for sock in mine:
                    if sock in shared:
                        shared.remove(sock)
                if not shared:
                    self._sockets.pop(cancel, None)

    def abort(self, cancel: threading.Event) -> int:
        """Shut down the sockets of the requests running under ``cancel``; how many."""
        with self._lock:
            sockets = list(self._sockets.get(cancel, []))
        for sock in sockets:
            _shut(sock)
        return len(sockets)


def _shut(sock: socket.socket) -> None:
    # The base class's shutdown also serves a TLS socket: it wakes a blocked read without
    # tearing down the TLS object under the reading thread.
    # OSError: the socket is closed already, so nothing waits on it.
    with suppress(OSError):
        socket.socket.shutdown(sock, socket.SHUT_RDWR)


__all__ = ["InFlight", "Trace"]
