"""The HTTP layer against a real server on 127.0.0.1: what a source's server sees and what a user
is told when the server misbehaves."""

from __future__ import annotations

import base64
import gzip
import socket
import threading
import time
import zlib
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler

import pytest

from tests.support.server import LoopbackServer
from widget import USER_AGENT
from widget.core.errors import ConfigError, FetchError
from widget.core.models import AuthKind
from widget.sources.http import Credentials, FetchCancelled, HttpClient

FEED = (
    b"<?xml version='1.0'?><rss version='2.0'><channel><title>Harbour news</title></channel></rss>"
)
SECRET = "s3cret-Pa55word"
MB = 1024 * 1024


@pytest.fixture
def client() -> Iterator[HttpClient]:
    c = HttpClient(deadline=2.0, connect_timeout=2.0)
    yield c
    c.close()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test so handlers that hang or trickle let go of their thread."""
    event = threading.Event()
    yield event
    event.set()


def _headers(h: BaseHTTPRequestHandler, status: int, headers: dict[str, str]) -> None:
    h.send_response(status)
    for name, value in headers.items():
        h.send_header(name, value)
    h.end_headers()
    h.wfile.flush()


def _chunk(h: BaseHTTPRequestHandler, data: bytes) -> None:
    h.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
    h.wfile.flush()


# --- plain requests ---


def test_a_feed_arrives_with_honest_user_agent_and_no_cookies_or_brotli(
    server: LoopbackServer, client: HttpClient
) -> None:
    url = server.route(
        "/feed.xml", FEED, content_type="application/rss+xml", headers={"X-Served-By": "t"}
    )
    response = client.fetch(url)
    assert response.status == 200
    assert response.body == FEED
    assert response.url == url
    assert response.headers["content-type"] == "application/rss+xml"
    assert response.headers["x-served-by"] == "t"
    assert response.permanent_redirect is None
    seen = server.requests_for("/feed.xml")[0].headers
    assert seen["user-agent"] == USER_AGENT
    assert "LiveUpdates/" in seen["user-agent"] and "https://" in seen["user-agent"]
    assert seen["accept-encoding"] == "gzip, deflate"
    assert "cookie" not in seen and "authorization" not in seen


@pytest.mark.parametrize(
    ("encoding", "encode"),
    [
        ("gzip", gzip.compress),
        ("x-gzip", gzip.compress),
        ("deflate", zlib.compress),  # zlib-wrapped, as the RFC says
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send it
        ("gzip", lambda b: gzip.compress(b[:40]) + gzip.compress(b[40:])),  # two gzip members
    ],
)
def test_compressed_bodies_are_decoded(
    server: LoopbackServer, client: HttpClient, encoding: str, encode: object
) -> None:
    assert callable(encode)
    url = server.route("/z", encode(FEED), headers={"Content-Encoding": encoding})
    assert client.fetch(url).body == FEED


def test_connections_are_reused_between_requests(
    server: LoopbackServer, client: HttpClient
) -> None:
    ports: list[int] = []

    def remember_port(h: BaseHTTPRequestHandler) -> None:
        ports.append(h.client_address[1])
        _headers(h, 200, {"Content-Length": str(len(FEED))})
        h.wfile.write(FEED)

    url = server.route("/keepalive", handler=remember_port)
    for _ in range(3):
        assert client.fetch(url).body == FEED
    assert len(ports) == 3 and len(set(ports)) == 1


# --- conditional GET ---


def test_validators_go_back_verbatim_and_304_returns_an_empty_body(
    server: LoopbackServer, client: HttpClient
) -> None:
    etag = 'W/"harbour-7; v=2"'
    modified = "Tue, 03 Jun 2025 10:15:00 GMT"

    def conditional(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == etag:
            _headers(h, 304, {"ETag": etag, "Last-Modified": modified})
        else:
            body = FEED
            _headers(
                h,
                200,
                {"ETag": etag, "Last-Modified": modified, "Content-Length": str(len(body))},
            )
            h.wfile.write(body)

    url = server.route("/cond", handler=conditional)
    first = client.fetch(url)
    assert (first.status, first.etag, first.last_modified) == (200, etag, modified)
    assert not first.not_modified

    second = client.fetch(url, etag=first.etag, last_modified=first.last_modified)
    assert second.not_modified and second.status == 304
    assert second.body == b""
    assert (second.etag, second.last_modified) == (etag, modified)
    sent = server.requests_for("/cond")[1].headers
    assert sent["if-none-match"] == etag
    assert sent["if-modified-since"] == modified
    assert "if-none-match" not in server.requests_for("/cond")[0].headers


@pytest.mark.parametrize("etag", [b'"caf\xc3\xa9"', b'"caf\xe9"', b'W/"a b\tc"'])
def test_validators_with_unusual_bytes_go_back_byte_for_byte(
    server: LoopbackServer, client: HttpClient, etag: bytes
) -> None:
    received: list[bytes] = []

    def raw_etag(h: BaseHTTPRequestHandler) -> None:
        sent_back = h.headers.get("If-None-Match")
        if sent_back is not None:  # http.server reads header bytes as Latin-1
            received.append(sent_back.encode("latin-1"))
        h.wfile.write(b"HTTP/1.1 200 OK\r\nETag: " + etag + b"\r\nContent-Length: 4\r\n\r\nbody")
        h.wfile.flush()

    url = server.route("/raw", handler=raw_etag)
    first = client.fetch(url)
    client.fetch(url, etag=first.etag)
    assert received == [etag]


# --- redirects ---


def test_permanent_redirect_is_reported_with_the_final_url(
    server: LoopbackServer, client: HttpClient
) -> None:
    new = server.route("/new", FEED)
    server.route("/old", status=301, headers={"Location": "/new"})
    response = client.fetch(server.url("/old"))
    assert response.body == FEED
    assert response.url == new
    assert response.permanent_redirect == new


def test_a_chain_of_permanent_redirects_reports_where_it_ends(
    server: LoopbackServer, client: HttpClient
) -> None:
    new = server.route("/newest", FEED)
    server.route("/mid", status=301, headers={"Location": new})
    server.route("/old", status=308, headers={"Location": "/mid"})
    assert client.fetch(server.url("/old")).permanent_redirect == new


def test_a_temporary_hop_ends_the_permanent_part_of_a_chain(
    server: LoopbackServer, client: HttpClient
) -> None:
    final = server.route("/today", FEED)
    mid = server.route("/mid", status=302, headers={"Location": "/today"})
    server.route("/old", status=301, headers={"Location": "/mid"})
    response = client.fetch(server.url("/old"))
    assert response.url == final
    assert response.permanent_redirect == mid


@pytest.mark.parametrize("status", [302, 303, 307])
def test_temporary_redirects_are_followed_but_not_reported(
    server: LoopbackServer, client: HttpClient, status: int
) -> None:
    final = server.route("/today", FEED)
    server.route("/live", status=status, headers={"Location": "/today"})
    response = client.fetch(server.url("/live"))
    assert response.url == final
    assert response.permanent_redirect is None


def test_a_redirect_loop_is_an_error(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/a", status=302, headers={"Location": "/b"})
    server.route("/b", status=301, headers={"Location": "/a"})
    with pytest.raises(FetchError, match="redirect loop"):
        client.fetch(server.url("/a"))


def test_too_many_redirects_is_an_error(server: LoopbackServer, client: HttpClient) -> None:
    for i in range(8):
        server.route(f"/hop{i}", status=302, headers={"Location": f"/hop{i + 1}"})
    server.route("/hop8", FEED)
    with pytest.raises(FetchError, match="too many redirects"):
        client.fetch(server.url("/hop0"))
    assert len(server.requests_for("/hop6")) == 0


def test_a_redirect_to_a_file_url_is_refused(server: LoopbackServer, client: HttpClient) -> None:
    server.route("/evil", status=302, headers={"Location": "file:///etc/passwd"})
    with pytest.raises(FetchError, match="only http and https"):
        client.fetch(server.url("/evil"))


@pytest.mark.parametrize(
    "url", ["file:///etc/passwd", "ftp://127.0.0.1/feed", "javascript:alert(1)", "data:,x", "feed"]
)
def test_only_http_and_https_urls_are_fetched(client: HttpClient, url: str) -> None:
    with pytest.raises(FetchError, match="only http and https"):
        client.fetch(url)


# --- status codes ---


@pytest.mark.parametrize(
    ("status", "message"),
    [
        (404, "HTTP 404 Not Found"),
        (500, "HTTP 500 Internal Server Error"),
        (403, "HTTP 403 Forbidden"),
        (301, "HTTP 301 Moved Permanently without a Location"),
        (599, "HTTP 599"),
    ],
)
def test_error_statuses_name_the_status(
    server: LoopbackServer, client: HttpClient, status: int, message: str
) -> None:
    url = server.route("/x", b"oops", status=status)
    with pytest.raises(FetchError, match=message) as caught:
        client.fetch(url)
    assert caught.value.status == status
    assert not caught.value.permanent and caught.value.retry_after is None


def test_410_gone_is_permanent(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/gone", b"", status=410)
    with pytest.raises(FetchError, match="410 Gone") as caught:
        client.fetch(url)
    assert caught.value.permanent and caught.value.status == 410


def test_429_retry_after_in_seconds(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/busy", b"", status=429, headers={"Retry-After": "120"})
    with pytest.raises(FetchError, match="429 Too Many Requests") as caught:
        client.fetch(url)
    assert caught.value.retry_after == 120.0
    assert caught.value.status == 429
    assert "wait 2 min" in str(caught.value)


def test_a_retry_after_years_away_reads_in_days_and_says_it_is_capped(
    server: LoopbackServer, client: HttpClient
) -> None:
    url = server.route("/gone-fishing", b"", status=503, headers={"Retry-After": "343914504"})
    with pytest.raises(FetchError) as caught:
        client.fetch(url)
    message = str(caught.value)
    assert "343914504" not in message
    assert "3980 days; checked again in 24 h" in message


def test_503_retry_after_as_http_date(server: LoopbackServer, client: HttpClient) -> None:
    when = datetime.now(timezone.utc) + timedelta(hours=1)
    url = server.route(
        "/down", b"", status=503, headers={"Retry-After": format_datetime(when, usegmt=True)}
    )
    with pytest.raises(FetchError, match="503 Service Unavailable") as caught:
        client.fetch(url)
    assert caught.value.retry_after is not None
    assert 3500 < caught.value.retry_after <= 3600


def test_503_with_garbage_retry_after(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/down", b"", status=503, headers={"Retry-After": "soon-ish"})
    with pytest.raises(FetchError) as caught:
        client.fetch(url)
    assert caught.value.retry_after is None and caught.value.status == 503


# --- limits: time ---


def test_a_trickling_server_cannot_hold_a_poll(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    def trickle(h: BaseHTTPRequestHandler) -> None:
        _headers(h, 200, {"Content-Length": "1000"})
        for _ in range(1000):
            h.wfile.write(b"<")
            h.wfile.flush()
            if release.wait(0.25):
                return

    url = server.route("/trickle", handler=trickle)
    with pytest.raises(FetchError, match=r"timed out after 2 s"):
        client.fetch(url)


def test_response_headers_trickled_a_byte_at_a_time_are_cut_at_the_deadline(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    """The deadline covers the headers too: each byte arriving in time is not enough. (The
    server gives up trickling after about 6 s and ends its headers as a 304, which has no body
    whose reading would check the deadline.)"""

    def trickle_headers(h: BaseHTTPRequestHandler) -> None:
        for byte in b"HTTP/1.1 304 Not Modified\r\nX-Slow: " + b"a" * 30:
            h.wfile.write(bytes([byte]))
            h.wfile.flush()
            if release.wait(0.2):
                return
        h.wfile.write(b"\r\nContent-Length: 0\r\n\r\n")
        h.wfile.flush()

    url = server.route("/slow-headers", handler=trickle_headers)
    with pytest.raises(FetchError, match=r"timed out after 2 s"):
        client.fetch(url)


def test_a_server_that_stops_after_the_headers(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    def hang(h: BaseHTTPRequestHandler) -> None:
        _headers(h, 200, {"Content-Length": "100"})
        release.wait(30)

    url = server.route("/hang", handler=hang)
    with pytest.raises(FetchError, match=r"timed out after 2 s"):
        client.fetch(url)


def test_a_server_that_never_answers(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    def silent(h: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    url = server.route("/silent", handler=silent)
    with pytest.raises(FetchError, match=r"timed out after 2 s"):
        client.fetch(url)


def test_connection_refused(client: HttpClient) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(FetchError, match="connection refused"):
        client.fetch(f"http://127.0.0.1:{port}/feed")


def test_an_unknown_host_name(client: HttpClient, monkeypatch: pytest.MonkeyPatch) -> None:
    # The resolver stands in for DNS, which tests never reach: it fails as it does offline.
    def no_such_name(*args: object, **kwargs: object) -> list[object]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    with pytest.raises(FetchError, match="name not resolved"):
        client.fetch("http://feeds.example.invalid/live.xml")


# --- limits: size ---


def test_a_declared_60_mb_body_is_refused(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    sent: list[int] = [0]
    done = threading.Event()

    def huge(h: BaseHTTPRequestHandler) -> None:
        block = b"x" * 65536
        try:
            _headers(h, 200, {"Content-Length": str(60 * MB)})
            while sent[0] < 60 * MB and not release.is_set():
                h.wfile.write(block)
                sent[0] += len(block)
        finally:
            done.set()

    url = server.route("/huge", handler=huge)
    with pytest.raises(FetchError, match="response larger than 10 MB"):
        client.fetch(url)
    assert done.wait(10)
    assert sent[0] < 60 * MB


def test_a_streamed_60_mb_body_stops_at_the_cap(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    sent: list[int] = [0]
    done = threading.Event()

    def streamed(h: BaseHTTPRequestHandler) -> None:
        block = b"y" * 65536
        try:
            _headers(h, 200, {"Transfer-Encoding": "chunked"})
            while sent[0] < 60 * MB and not release.is_set():
                _chunk(h, block)
                sent[0] += len(block)
            _chunk(h, b"")
        finally:
            done.set()

    url = server.route("/stream", handler=streamed)
    with pytest.raises(FetchError, match="response larger than 10 MB"):
        client.fetch(url)
    assert done.wait(10)
    assert sent[0] < 60 * MB


def test_a_gzip_bomb_stops_at_the_decompressed_cap(
    server: LoopbackServer, client: HttpClient
) -> None:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    zeros = bytes(MB)
    bomb = b"".join(packer.compress(zeros) for _ in range(200)) + packer.flush()
    assert len(bomb) < 400 * 1024  # 200 MB of zeros in a few hundred KB
    url = server.route("/bomb", bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="response larger than 10 MB"):
        client.fetch(url)


def test_a_body_exactly_at_the_cap_is_accepted(server: LoopbackServer) -> None:
    body = b"k" * 4096
    url = server.route("/fits", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    small = HttpClient(deadline=2.0, max_bytes=4096)
    try:
        assert small.fetch(url).body == body
        over = server.route("/over", body + b"!")
        with pytest.raises(FetchError, match="response larger than 4 KB"):
            small.fetch(over)
    finally:
        small.close()


@pytest.mark.parametrize(
    ("encoding", "body", "message"),
    [
        ("gzip", b"this is not gzip at all", "could not be decompressed"),
        ("gzip", gzip.compress(FEED)[:-12], "cut off"),
        ("br", b"\x0b\x02\x80hello\x03", "unsupported content encoding"),
    ],
)
def test_broken_encodings_are_reported(
    server: LoopbackServer, client: HttpClient, encoding: str, body: bytes, message: str
) -> None:
    url = server.route("/enc", body, headers={"Content-Encoding": encoding})
    with pytest.raises(FetchError, match=message):
        client.fetch(url)


# --- cancel ---


def test_cancel_stops_a_download_between_chunks(
    server: LoopbackServer, client: HttpClient, release: threading.Event
) -> None:
    cancel = threading.Event()

    def slow(h: BaseHTTPRequestHandler) -> None:
        _headers(h, 200, {"Transfer-Encoding": "chunked"})
        _chunk(h, b"<rss>")
        cancel.set()  # the user quits while the body is still arriving
        _chunk(h, b"<channel>")
        release.wait(30)

    url = server.route("/slow", handler=slow)
    with pytest.raises(FetchCancelled, match="cancelled"):
        client.fetch(url, cancel=cancel)


def test_a_cancelled_fetch_sends_nothing(server: LoopbackServer, client: HttpClient) -> None:
    cancel = threading.Event()
    cancel.set()
    url = server.route("/feed", FEED)
    with pytest.raises(FetchError, match="cancelled"):
        client.fetch(url, cancel=cancel)
    assert server.requests_for("/feed") == []


# --- concurrency ---


def _run_parallel(
    client: HttpClient, urls: list[str]
) -> tuple[list[bytes | BaseException], list[threading.Thread]]:
    results: list[bytes | BaseException] = [b""] * len(urls)

    def one(i: int) -> None:
        try:
            results[i] = client.fetch(urls[i]).body
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(urls))]
    for t in threads:
        t.start()
    return results, threads


class _Gate:
    """Counts requests in flight at the server and holds them until released."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.open = threading.Event()

    def handler(self, h: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.in_flight += 1
            self.peak = max(self.peak, self.in_flight)
        self.open.wait(20)
        with self.lock:
            self.in_flight -= 1
        _headers(h, 200, {"Content-Length": str(len(FEED))})
        h.wfile.write(FEED)

    def wait_for(self, count: int) -> None:
        for _ in range(200):
            with self.lock:
                if self.in_flight >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"never saw {count} requests in flight")


@pytest.mark.parametrize(("per_host", "total", "expected"), [(2, 6, 2), (5, 3, 3)])
def test_requests_in_flight_are_limited(
    server: LoopbackServer, per_host: int, total: int, expected: int
) -> None:
    gate = _Gate()
    for i in range(6):
        server.route(f"/p{i}", handler=gate.handler)
    client = HttpClient(deadline=20.0, max_per_host=per_host, max_connections=total)
    try:
        results, threads = _run_parallel(client, [server.url(f"/p{i}") for i in range(6)])
        gate.wait_for(expected)
        time.sleep(0.3)  # give a request over the limit the chance to show up
        gate.open.set()
        for t in threads:
            t.join(20)
    finally:
        gate.open.set()
        client.close()
    assert gate.peak == expected
    assert results == [FEED] * 6


# --- credentials ---


def test_basic_auth_goes_to_the_source(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/private", FEED)
    creds = Credentials(AuthKind.BASIC, SECRET, username="reader")
    assert client.fetch(url, credentials=creds).body == FEED
    expected = "Basic " + base64.b64encode(f"reader:{SECRET}".encode()).decode()
    assert server.requests_for("/private")[0].headers["authorization"] == expected
    assert SECRET not in repr(creds)


def test_header_token_goes_to_the_source(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/private", FEED)
    creds = Credentials(AuthKind.HEADER, SECRET, header="X-Api-Key")
    client.fetch(url, credentials=creds)
    assert server.requests_for("/private")[0].headers["x-api-key"] == SECRET


def test_credentials_follow_a_same_origin_redirect(
    server: LoopbackServer, client: HttpClient
) -> None:
    server.route("/moved", status=301, headers={"Location": "/private"})
    server.route("/private", FEED)
    creds = Credentials(AuthKind.HEADER, SECRET, header="X-Api-Key")
    client.fetch(server.url("/moved"), credentials=creds)
    assert server.requests_for("/private")[0].headers["x-api-key"] == SECRET


@pytest.mark.parametrize(
    "creds",
    [
        Credentials(AuthKind.BASIC, SECRET, username="reader"),
        Credentials(AuthKind.HEADER, SECRET, header="X-Api-Key"),
    ],
    ids=["basic", "header"],
)
def test_a_cross_origin_redirect_drops_the_credentials(
    server: LoopbackServer, client: HttpClient, creds: Credentials
) -> None:
    with LoopbackServer() as other:
        # home → other origin → back home: the secret is sent only on the first hop.
        other.route("/elsewhere", status=302, headers={"Location": server.url("/back")})
        server.route("/start", status=302, headers={"Location": other.url("/elsewhere")})
        server.route("/back", FEED)
        assert client.fetch(server.url("/start"), credentials=creds).body == FEED
        seen_elsewhere = other.requests_for("/elsewhere")[0].headers
    assert "authorization" not in seen_elsewhere and "x-api-key" not in seen_elsewhere
    assert SECRET not in str(seen_elsewhere)
    back = server.requests_for("/back")[0].headers
    assert "authorization" not in back and "x-api-key" not in back
    start = server.requests_for("/start")[0].headers
    assert "authorization" in start or start.get("x-api-key") == SECRET


def test_an_other_port_is_an_other_origin(server: LoopbackServer, client: HttpClient) -> None:
    with LoopbackServer() as other:
        other.route("/feed", FEED)
        server.route("/go", status=301, headers={"Location": other.url("/feed")})
        creds = Credentials(AuthKind.BASIC, SECRET, username="reader")
        client.fetch(server.url("/go"), credentials=creds)
        assert "authorization" not in other.requests_for("/feed")[0].headers


def test_errors_never_show_the_secret(server: LoopbackServer, client: HttpClient) -> None:
    url = server.route("/denied", b"no", status=401)
    creds = Credentials(AuthKind.BASIC, SECRET, username="reader")
    with pytest.raises(FetchError, match="HTTP 401 Unauthorized") as caught:
        client.fetch(url, credentials=creds)
    token = base64.b64encode(f"reader:{SECRET}".encode()).decode()
    assert SECRET not in str(caught.value) and token not in str(caught.value)


def test_a_url_with_a_password_is_refused_without_echoing_it(client: HttpClient) -> None:
    with pytest.raises(FetchError, match="keyring") as caught:
        client.fetch(f"http://reader:{SECRET}@127.0.0.1:9/feed")
    assert SECRET not in str(caught.value)


@pytest.mark.parametrize(
    "creds",
    [
        Credentials(AuthKind.HEADER, SECRET, header="X Api: Key"),
        Credentials(AuthKind.HEADER, "line\r\nInjected: yes", header="X-Api-Key"),
    ],
)
def test_malformed_credentials_are_refused_before_sending(
    server: LoopbackServer, client: HttpClient, creds: Credentials
) -> None:
    url = server.route("/private", FEED)
    with pytest.raises(FetchError) as caught:
        client.fetch(url, credentials=creds)
    assert "Injected" not in str(caught.value)
    assert server.requests_for("/private") == []


# --- settings ---


@pytest.mark.parametrize("proxy", ["nonsense", "ftp://proxy.example:21", "socks5://proxy:1080"])
def test_an_unusable_proxy_setting_is_a_config_error_without_echoing_it(proxy: str) -> None:
    with pytest.raises(ConfigError, match="proxy") as caught:
        HttpClient(proxy=proxy)
    assert proxy not in str(caught.value)


# --- cookies ---


def test_cookies_are_never_sent_back(server: LoopbackServer, client: HttpClient) -> None:
    server.route(
        "/login", status=302, headers={"Set-Cookie": "session=abc; Path=/", "Location": "/feed"}
    )
    server.route("/feed", FEED, headers={"Set-Cookie": "tracker=xyz; Path=/; Max-Age=3600"})
    client.fetch(server.url("/login"))
    client.fetch(server.url("/feed"))
    for request in server.requests:
        assert "cookie" not in request.headers
