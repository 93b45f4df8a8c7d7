"""What went wrong with a request, as sentences a user can read: HTTP statuses (with the wait a
server asks for), connection failures, sizes and times; and whether a failure means this machine
has no network rather than a broken source."""

from __future__ import annotations

import errno
import logging
import ssl
from datetime import datetime
from http import HTTPStatus
from socket import EAI_AGAIN, gaierror
from urllib.parse import urlsplit

import httpx

from widget.core.errors import FetchError
from widget.core.schedule import MAX_RETRY_AFTER, parse_retry_after

log = logging.getLogger(__name__)

REDIRECTS = frozenset({301, 302, 303, 307, 308})


def size_text(n: int) -> str:
    for unit, size in (("MB", 1024 * 1024), ("KB", 1024)):
        if n >= size and n % size == 0:
            return f"{n // size} {unit}"
    return f"{n} bytes"


def seconds_text(seconds: float) -> str:
    return f"{seconds:g} s" if seconds < 10 else f"{round(seconds)} s"


def _wait_text(seconds: float) -> str:
    """A Retry-After wait as people say it; waits past a day are capped by the schedule."""
    if seconds < 120:
        return seconds_text(seconds)
    if seconds < 2 * 3600:
        return f"{round(seconds / 60)} min"
    if seconds <= MAX_RETRY_AFTER.total_seconds():
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} days; checked again in 24 h"


def status_error(response: httpx.Response, now: datetime) -> FetchError:
    code = response.status_code
    try:
        phrase = HTTPStatus(code).phrase
    except ValueError:
        phrase = ""
    text = f"HTTP {code} {phrase}".rstrip()
    if code == 410:
        return FetchError(
            f"{text}: the server says this source is gone", status=410, permanent=True
        )
    if code in (429, 503):
        raw = response.headers.get("retry-after")
        retry = parse_retry_after(raw, now)
        if retry is None and raw is not None:
            log.warning(
                "%s: ignoring an invalid Retry-After value %r (neither seconds nor a date); "
                "backing off as usual",
                urlsplit(str(response.url)).hostname or "the server",
                raw[:80],
            )
        if retry is not None:
            text = f"{text} (the server asks to wait {_wait_text(retry)})"
        return FetchError(text, status=code, retry_after=retry)
    if code in REDIRECTS:
        return FetchError(f"{text} without a Location to follow", status=code)
    return FetchError(text, status=code)


_NETWORK_DOWN = {errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH}


def network_down(exc: BaseException) -> bool:
    """The failure says this machine has no network (no route, interface down, the resolver
    unreachable), not that the source is broken."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, gaierror):
            return seen.errno == EAI_AGAIN
        if isinstance(seen, OSError) and seen.errno in _NETWORK_DOWN:
            return True
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    return "network is unreachable" in text or "temporary failure in name resolution" in text


def network_reason(exc: BaseException) -> str:
    """A readable reason for a connection failure, from the innermost OS error."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ConnectionRefusedError):
            return "connection refused"
        if isinstance(seen, gaierror):
            return "name not resolved"
        if isinstance(seen, ssl.SSLCertVerificationError):
            return f"TLS certificate not trusted ({seen.verify_message})"
        if isinstance(seen, ssl.SSLError):
            return "TLS handshake failed"
        seen = seen.__cause__ or seen.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "name resolution" in text:
        return "name not resolved"
    if "refused" in text:
        return "connection refused"
    return f"could not connect ({exc})" if str(exc) else "could not connect"


__all__ = [
    "REDIRECTS",
    "network_down",
    "network_reason",
    "seconds_text",
    "size_text",
    "status_error",
]
