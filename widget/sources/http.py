"""The only module that talks HTTP. (STUB: to be implemented)"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

from widget import USER_AGENT
from widget.core.models import AuthKind

DEFAULT_MAX_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Credentials:
    kind: AuthKind  # BASIC or HEADER
    secret: str  # password or header value
    username: str | None = None  # BASIC
    header: str | None = None  # HEADER: the header name

    def __repr__(self) -> str:  # never show the secret
        return f"Credentials(kind={self.kind.value!r}, username={self.username!r}, header={self.header!r})"


@dataclass(frozen=True)
class FetchResponse:
    status: int  # 200 or 304
    url: str  # final URL after redirects
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # decompressed; b"" for 304
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # the new URL when the request's URL answered 301/308

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class HttpClient:
    """Thread-safe: up to ``max_connections`` requests at once and ``max_per_host`` per host."""

    def __init__(
        self,
        *,
        user_agent: str = USER_AGENT,
        connect_timeout: float = 10.0,
        deadline: float = 30.0,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_connections: int = 6,
        max_per_host: int = 2,
        proxy: str | None = None,
    ) -> None:
        raise NotImplementedError

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        credentials: Credentials | None = None,
        cancel: threading.Event | None = None,
    ) -> FetchResponse:
        """GET ``url`` politely. Raises FetchError (status, retry_after, permanent) on failure."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError
