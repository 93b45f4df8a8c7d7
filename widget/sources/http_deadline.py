"""The HTTP client's deadline: every network wait of a request — connect, TLS, request,
response headers and body — is bounded by what is left of the request's total time, so a server
that trickles its answer a byte at a time is cut off at the deadline (httpx's timeouts are per
read). ``until`` sets the deadline for the calling thread; ``bound_by_deadline`` routes an httpx
client's connections through it."""

from __future__ import annotations

import logging
import ssl
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

import httpcore
import httpx

log = logging.getLogger(__name__)

_deadline = threading.local()  # .at: time.monotonic() by which this thread's request must end


@contextmanager
def until(at: float) -> Iterator[None]:
    """Network waits on this thread end by ``at`` (a request runs on its caller's thread)."""
    outer = getattr(_deadline, "at", None)
    _deadline.at = at if outer is None else min(outer, at)
    try:
        yield
    finally:
        _deadline.at = outer


def _bounded(timeout: float | None, expired: type[Exception]) -> float | None:
    """``timeout`` cut to what is left of this thread's deadline (``expired`` is raised when
    nothing is left)."""
    at: float | None = getattr(_deadline, "at", None)
    if at is None:
        return timeout
    left = at - time.monotonic()
    if left <= 0:
        raise expired("the request's deadline passed")
    return left if timeout is None else min(timeout, left)


class _DeadlineStream(httpcore.NetworkStream):
    """A connection whose every read and write waits at most until the request's deadline, so
    response headers that trickle in byte by byte end there too (httpx's timeouts are per read)."""

    def __init__(self, stream: httpcore.NetworkStream) -> None:
        self._stream = stream

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self._stream.read(max_bytes, _bounded(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self._stream.write(buffer, _bounded(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self._stream.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._stream.start_tls(ssl_context, server_hostname, bounded))

    def get_extra_info(self, info: str) -> Any:
        return self._stream.get_extra_info(info)


class _DeadlineBackend(httpcore.NetworkBackend):
    """Opens connections (plain or through a proxy) as ``_DeadlineStream``s."""

    def __init__(self, backend: httpcore.NetworkBackend) -> None:
        self._backend = backend

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        stream = self._backend.connect_tcp(host, port, bounded, local_address, socket_options)
        return _DeadlineStream(stream)

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        bounded = _bounded(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self._backend.connect_unix_socket(path, bounded, socket_options))

    def sleep(self, seconds: float) -> None:
        self._backend.sleep(seconds)


def bound_by_deadline(client: httpx.Client) -> None:
    """Route the client's connections (direct and through proxies) through ``_DeadlineBackend``.
    httpx offers no public hook for its network backend; should its pools change shape, the
    deadline is still checked between body chunks (and logged once here)."""
    mounted = getattr(client, "_mounts", {}) or {}
    transports = [getattr(client, "_transport", None), *mounted.values()]
    for transport in transports:
        if transport is None:
            continue  # a mount that bypasses proxies for some hosts
        pool = getattr(transport, "_pool", None)
        backend = getattr(pool, "_network_backend", None)
        if backend is None:
            log.warning("the HTTP deadline covers response bodies only (unknown httpx pool)")
            continue
        if not isinstance(backend, _DeadlineBackend):
            pool._network_backend = _DeadlineBackend(backend)  # type: ignore[union-attr]


__all__ = ["bound_by_deadline", "until"]
