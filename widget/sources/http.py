"""The only module that talks HTTP: polite, bounded GET requests through one httpx client (its
deadline in ``http_deadline.py``, its failures as sentences in ``http_errors.py``).

- conditional GET: ETag / Last-Modified sent back verbatim; a 304 comes back with an empty body;
- redirects followed by hand (at most ``max_redirects`` hops; a loop is an error); a 301/308 on the
  request's own URL is reported as ``permanent_redirect``;
- a connect timeout and a total deadline per request that bounds every network wait — connect,
  TLS, request, response headers and body — so a server that trickles its headers or body a byte
  at a time, or stops answering, is cut off at the deadline and cannot hold a poll;
- a size cap on the decompressed body, checked while streaming (a gzip bomb stops at the cap);
- at most ``max_connections`` requests at once and ``max_per_host`` per origin;
- no cookies; an honest User-Agent; gzip and deflate only;
- credentials go only to the origin of the URL asked for, never after a redirect elsewhere.
Error messages are sentences a user can read; they never hold a secret.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import urljoin, urlsplit

import httpx

from widget import USER_AGENT
from widget.core.errors import ConfigError, FetchError
from widget.core.models import AuthKind
from widget.core.urls import WEB_SCHEMES, Origin, is_web_url, origin, url_problem
from widget.sources.decoding import ContentDecoder, OverLimit
from widget.sources.http_deadline import bound_by_deadline, until
from widget.sources.http_errors import (
    REDIRECTS,
    network_down,
    network_reason,
    seconds_text,
    size_text,
    status_error,
)

log = logging.getLogger(__name__)

# Requests at once: the HTTP client's connections, and so the poll's fetch threads (the one
# fetch-concurrency setting).
FETCH_CONCURRENCY = 6
DEFAULT_DEADLINE = 30.0  # seconds one request may take in all, connect to last byte
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
MAX_REDIRECTS = 5
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, text/html;q=0.8, */*;q=0.5"
)
_PERMANENT = frozenset({301, 308})
_SLOT_POLL = 0.1  # seconds between cancel checks while waiting for a connection slot
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")  # an HTTP header name
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")  # not allowed in a header value


@dataclass(frozen=True)
class Credentials:
    kind: AuthKind  # BASIC or HEADER
    secret: str  # password or header value
    username: str | None = None  # BASIC
    header: str | None = None  # HEADER: the header name

    def __repr__(self) -> str:  # never show the secret
        return (
            f"Credentials(kind={self.kind.value!r}, username={self.username!r}, "
            f"header={self.header!r})"
        )

    def as_headers(self) -> dict[str, str]:
        """The request header(s) carrying these credentials."""
        if _CONTROL.search(self.secret):
            raise FetchError("the stored secret for this source holds a control character")
        if self.kind is AuthKind.BASIC:
            user = self.username or ""
            if ":" in user or _CONTROL.search(user):
                raise FetchError(
                    "the user name for this source holds a colon or a control character"
                )
            token = base64.b64encode(f"{user}:{self.secret}".encode()).decode("ascii")
            return {"Authorization": f"Basic {token}"}
        if self.kind is AuthKind.HEADER:
            if not self.header or not _TOKEN.fullmatch(self.header):
                raise FetchError(f"{self.header!r} is not a valid header name for the token")
            return {self.header: self.secret}
        return {}


@dataclass(frozen=True)
class FetchResponse:
    status: int  # 200 or 304 (or another 2xx)
    url: str  # final URL after redirects
    headers: Mapping[str, str]  # lower-case names
    body: bytes  # decompressed; b"" for 304
    etag: str | None = None
    last_modified: str | None = None
    permanent_redirect: str | None = None  # the new URL when the request's URL answered 301/308

    @property
    def not_modified(self) -> bool:
        return self.status == 304


class FetchCancelled(FetchError):
    """The caller's cancel event was set; nothing of the response is returned."""

    def __init__(self) -> None:
        super().__init__("cancelled")


class _NoCookies(DefaultCookiePolicy):
    """Never store a cookie, never send one."""

    def set_ok(self, cookie: object, request: object) -> bool:
        return False

    def return_ok(self, cookie: object, request: object) -> bool:
        return False


def _check_url(url: str, what: str = "URL") -> None:
    try:
        parts = urlsplit(url)
    except ValueError:
        raise FetchError(f"the {what} is not a valid URL") from None
    if parts.scheme.lower() not in WEB_SCHEMES:
        scheme = parts.scheme or "no scheme"
        raise FetchError(f"only http and https URLs can be fetched; the {what} has {scheme}")
    if not is_web_url(url):
        problem = url_problem(url) or "holds a control character"
        raise FetchError(f"the {what} {problem}")
    if parts.username is not None or parts.password is not None:
        raise FetchError(
            f"the {what} holds a user name or password; store credentials in the keyring instead"
        )


def _header_bytes(value: str) -> bytes:
    """A header value as bytes. Validators are read as Latin-1 (one char per byte, see
    ``_raw_header``), so encoding them back as Latin-1 sends exactly the bytes the server sent."""
    try:
        return value.encode("latin-1")
    except UnicodeEncodeError:
        return value.encode("utf-8")


def _raw_header(response: httpx.Response, name: bytes) -> str | None:
    """A header's exact bytes as a str (Latin-1), the first if it repeats."""
    for key, value in response.headers.raw:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


class HttpClient:
    """Thread-safe: up to ``max_connections`` requests at once and ``max_per_host`` per host.
    Each request ends within ``deadline`` seconds, from its first connection slot to its last
    byte, whatever the server does."""

    def __init__(
        self,
        *,
        user_agent: str = USER_AGENT,
        connect_timeout: float = 10.0,
        deadline: float = DEFAULT_DEADLINE,
        max_bytes: int = DEFAULT_MAX_BYTES,
        max_connections: int = FETCH_CONCURRENCY,
        max_per_host: int = 2,
        proxy: str | None = None,
        max_redirects: int = MAX_REDIRECTS,
    ) -> None:
        self._connect_timeout = min(connect_timeout, deadline)
        self._deadline = deadline
        self._max_bytes = max_bytes
        self._max_per_host = max_per_host
        self._max_redirects = max_redirects
        self._slots = threading.BoundedSemaphore(max_connections)
        self._host_slots: dict[Origin, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()
        self._closed = False
        self._user_agent = user_agent
        self._max_connections = max_connections
        self._client = self._new_client(proxy)

    def _new_client(self, proxy: str | None) -> httpx.Client:
        try:
            client = httpx.Client(
                http1=True,
                http2=False,
                follow_redirects=False,
                cookies=CookieJar(policy=_NoCookies()),
                headers={
                    "User-Agent": self._user_agent,
                    "Accept": ACCEPT,
                    "Accept-Encoding": "gzip, deflate",
                },
                timeout=httpx.Timeout(self._deadline, connect=self._connect_timeout),
                limits=httpx.Limits(
                    max_connections=self._max_connections,
                    max_keepalive_connections=self._max_connections,
                ),
                proxy=proxy or None,
                trust_env=not proxy,  # no proxy configured: the system's (environment) proxy
            )
        except ImportError as exc:  # httpx needs an extra package for SOCKS
            raise ConfigError(
                "SOCKS proxies are not supported; set an http:// or https:// proxy"
            ) from exc
        except (ValueError, httpx.InvalidURL) as exc:  # the message would echo the proxy URL
            raise ConfigError(
                "the proxy setting is not a usable proxy URL (use http://host:port)"
            ) from exc
        bound_by_deadline(client)
        return client

    def reconfigure(self, *, proxy: str | None, max_bytes: int) -> None:
        """Use a new proxy (None: the system's) and response-size cap from the next request on,
        without a restart. Call it between polls: a request still running on the old
        connections fails as a network error. An unusable proxy raises ConfigError and
        changes nothing."""
        client = self._new_client(proxy)
        with self._lock:
            if self._closed:
                client.close()
                raise FetchError("the HTTP client is closed")
            old, self._client = self._client, client
            self._max_bytes = max_bytes
        old.close()

    def close(self) -> None:
        with self._lock:
            self._closed = True
        self._client.close()

    def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        credentials: Credentials | None = None,
        cancel: threading.Event | None = None,
    ) -> FetchResponse:
        """GET ``url`` politely. Raises FetchError (status, retry_after, permanent) on failure,
        FetchCancelled when ``cancel`` is set before the body is complete."""
        _check_url(url)
        home = origin(url)
        conditional: dict[str, str] = {}
        if etag is not None:
            conditional["If-None-Match"] = etag
        if last_modified is not None:
            conditional["If-Modified-Since"] = last_modified
        secret_headers = credentials.as_headers() if credentials is not None else {}
        current = url
        visited = {url}
        permanent: str | None = None
        still_permanent = True  # every hop so far answered 301/308
        started: float | None = None
        for _ in range(self._max_redirects + 1):
            headers = dict(conditional)
            if secret_headers and origin(current) == home:
                headers.update(secret_headers)
            with self._slot(current, cancel):
                if started is None:  # the deadline runs from the first connection slot on
                    started = time.monotonic()
                outcome = self._one_hop(current, headers, started, cancel)
            if isinstance(outcome, FetchResponse):
                return FetchResponse(
                    outcome.status,
                    outcome.url,
                    outcome.headers,
                    outcome.body,
                    etag=outcome.etag,
                    last_modified=outcome.last_modified,
                    permanent_redirect=permanent,
                )
            status, location = outcome
            target = urljoin(current, location)
            _check_url(target, "redirect target")
            if target in visited:
                raise FetchError("redirect loop")
            visited.add(target)
            still_permanent = still_permanent and status in _PERMANENT
            if still_permanent:
                permanent = target
            if origin(target) != home:
                secret_headers = {}  # never again, even if a later hop comes back home
            current = target
        raise FetchError(f"too many redirects (more than {self._max_redirects})")

    # --- one request ---

    @contextmanager
    def _slot(self, url: str, cancel: threading.Event | None) -> Iterator[None]:
        """Hold one of the per-host and one of the global connection slots."""
        key = origin(url)
        with self._lock:
            if self._closed:
                raise FetchError("the HTTP client is closed")
            host = self._host_slots.get(key)
            if host is None:
                host = self._host_slots[key] = threading.BoundedSemaphore(self._max_per_host)
        self._acquire(host, cancel)
        try:
            self._acquire(self._slots, cancel)
            try:
                yield
            finally:
                self._slots.release()
        finally:
            host.release()

    @staticmethod
    def _acquire(semaphore: threading.BoundedSemaphore, cancel: threading.Event | None) -> None:
        while not semaphore.acquire(timeout=_SLOT_POLL):
            if cancel is not None and cancel.is_set():
                raise FetchCancelled()

    def _remaining(self, started: float) -> float:
        left = self._deadline - (time.monotonic() - started)
        if left <= 0:
            raise FetchError(f"timed out after {seconds_text(self._deadline)}")
        return left

    def _one_hop(
        self,
        url: str,
        headers: dict[str, str],
        started: float,
        cancel: threading.Event | None,
    ) -> FetchResponse | tuple[int, str]:
        """One GET: a response, or a redirect as (status, Location)."""
        if cancel is not None and cancel.is_set():
            raise FetchCancelled()
        left = self._remaining(started)
        timeout = httpx.Timeout(left, connect=min(self._connect_timeout, left))
        raw_headers = [
            (name.encode("ascii"), _header_bytes(value)) for name, value in headers.items()
        ]
        with until(started + self._deadline):
            return self._request(url, raw_headers, timeout, started, cancel)

    def _request(
        self,
        url: str,
        raw_headers: list[tuple[bytes, bytes]],
        timeout: httpx.Timeout,
        started: float,
        cancel: threading.Event | None,
    ) -> FetchResponse | tuple[int, str]:
        left = timeout.connect if timeout.connect is not None else self._connect_timeout
        try:
            with self._client.stream("GET", url, headers=raw_headers, timeout=timeout) as response:
                return self._handle(response, started, cancel)
        except httpx.ConnectTimeout as exc:
            raise FetchError(
                f"connection timed out after {seconds_text(min(self._connect_timeout, left))}"
            ) from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"timed out after {seconds_text(self._deadline)}") from exc
        except httpx.ConnectError as exc:
            raise FetchError(network_reason(exc), network_down=network_down(exc)) from exc
        except httpx.RemoteProtocolError as exc:
            raise FetchError(f"the server broke the HTTP protocol ({exc})") from exc
        except httpx.LocalProtocolError as exc:  # its message may quote a header value
            raise FetchError("the request could not be sent (an invalid header value)") from exc
        except httpx.ProxyError as exc:
            raise FetchError(f"the proxy refused the request ({exc})") from exc
        except httpx.HTTPError as exc:
            reason = str(exc) or type(exc).__name__
            raise FetchError(f"network error ({reason})") from exc
        except httpx.InvalidURL as exc:
            raise FetchError(f"invalid URL ({exc})") from exc

    def _handle(
        self, response: httpx.Response, started: float, cancel: threading.Event | None
    ) -> FetchResponse | tuple[int, str]:
        code = response.status_code
        location = response.headers.get("location")
        if code in REDIRECTS and location:
            return code, location
        etag = _raw_header(response, b"etag")
        last_modified = _raw_header(response, b"last-modified")
        headers = {name.lower(): value for name, value in response.headers.items()}
        final_url = str(response.url)
        if code == 304:
            return FetchResponse(304, final_url, headers, b"", etag, last_modified)
        if not 200 <= code < 300:
            raise status_error(response, datetime.now(timezone.utc))
        body = self._read_body(response, started, cancel)
        return FetchResponse(code, final_url, headers, body, etag, last_modified)

    def _too_large(self) -> FetchError:
        return FetchError(f"response larger than {size_text(self._max_bytes)}")

    def _read_body(
        self, response: httpx.Response, started: float, cancel: threading.Event | None
    ) -> bytes:
        declared = response.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > self._max_bytes:
            raise self._too_large()
        decoder = ContentDecoder(response.headers.get("content-encoding", ""))
        parts: list[bytes] = []
        size = 0
        # iter_raw() without a size yields each network read as it arrives (with a size, httpx
        # buffers up to it), so cancel and the deadline are checked while a body trickles in.
        for raw in response.iter_raw():
            if cancel is not None and cancel.is_set():
                raise FetchCancelled()
            self._remaining(started)
            try:
                data = decoder.feed(raw, self._max_bytes - size)
            except OverLimit:
                raise self._too_large() from None
            size += len(data)
            parts.append(data)
        decoder.finish()
        return b"".join(parts)
