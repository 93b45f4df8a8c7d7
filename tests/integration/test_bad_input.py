"""Bad input from real servers on 127.0.0.1: each case fails (or degrades) only its own source,
the run goes on, the other source is still polled and stored, and nothing is lost."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest

from tests.support.feeds import RSS, Post, json_lines, posts, rss, run_cli
from tests.support.server import LoopbackServer
from widget.core.models import Config, Source, SourceKind
from widget.paths import AppPaths
from widget.storage.config import ConfigStore
from widget.unattended import Unattended

Capsys = pytest.CaptureFixture[str]


def configure(server: LoopbackServer, bad_url: str, kind: SourceKind = SourceKind.FEED) -> None:
    """Two sources: "Good" (a healthy feed) and "Bad" (the case under test)."""
    good = server.route("/good", rss(posts(2, prefix="g"), title="Good"), content_type=RSS)
    ConfigStore(AppPaths.default().config_file).save(
        Config(
            sources=(
                Source(id="good", name="Good", url=good, kind=SourceKind.FEED),
                Source(id="bad", name="Bad", url=bad_url, kind=kind),
            )
        )
    )


def check(capsys: Capsys, *extra: str) -> tuple[int, dict[str, list[dict[str, Any]]], str]:
    """``check --json``: (exit status, printed entries by source, stderr)."""
    code, out, err = run_cli(capsys, *extra, "check", "--json")
    by_source: dict[str, list[dict[str, Any]]] = {"Good": [], "Bad": []}
    for entry in json_lines(out):
        by_source[entry["source"]].append(entry)
    assert len(by_source["Good"]) == 2, "the healthy source must still be polled and stored"
    return code, by_source, err


def assert_failed(code: int, err: str, *words: str) -> None:
    assert code == 1
    assert err.count("\n") == 1 and err.startswith("Bad: "), err
    for word in words:
        assert word.lower() in err.lower(), err


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at the end of a test so handlers that hold a connection open let go."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def short_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in Unattended(http_deadline=1, host_gap_s=0).as_environment().items():
        monkeypatch.setenv(name, value)


# --- bodies that are only partly right ---


def test_malformed_xml_keeps_what_parsed(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    whole = rss([Post("m1", "Market opens early"), Post("m2", "Market closes late")])
    broken = whole.replace(b"</channel></rss>", b"<item><title>Unfinished <b>story</item")
    configure(server, server.route("/bad", broken, content_type=RSS))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    assert {"Market opens early", "Market closes late"} <= {e["title"] for e in entries["Bad"]}


def test_malformed_xml_warning_goes_to_stderr_only_with_verbose(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    broken = rss([Post("m1", "Market opens early")]).replace(b"</channel></rss>", b"<item>")
    configure(server, server.route("/bad", broken, content_type=RSS))
    code, entries, err = check(capsys, "--verbose")
    assert code == 0 and "Bad" in err and "WARNING" in err
    assert [e["title"] for e in entries["Bad"]] == ["Market opens early"]


def test_windows_1252_declared_in_the_document(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    body = rss([Post("c1", "Café opens on the quay – “finally”")]).replace(
        b'encoding="utf-8"', b'encoding="windows-1252"'
    )
    body = body.decode("utf-8").encode("cp1252")
    configure(server, server.route("/bad", body, content_type="application/rss+xml"))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    assert [e["title"] for e in entries["Bad"]] == ["Café opens on the quay – “finally”"]


def test_windows_1252_bytes_under_a_wrong_charset_lose_nothing_else(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    body = rss([Post("c1", "Café opens on the quay")]).replace(b'encoding="utf-8"', b"")
    body = body.decode("utf-8").encode("cp1252")
    configure(server, server.route("/bad", body, content_type="application/rss+xml; charset=utf-8"))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    [entry] = entries["Bad"]
    assert entry["title"].startswith("Caf") and entry["title"].endswith("opens on the quay")


def test_utf16_with_bom(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    text = rss([Post("u1", "Zürich tram line reopens")]).decode("utf-8")
    body = text.replace('encoding="utf-8"', 'encoding="utf-16"').encode("utf-16")
    assert body[:2] in (b"\xff\xfe", b"\xfe\xff")
    configure(server, server.route("/bad", body, content_type="application/xml"))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    assert [e["title"] for e in entries["Bad"]] == ["Zürich tram line reopens"]


# --- bodies that are not a feed at all ---


def test_html_instead_of_a_feed(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    page = "<!doctype html><html><head><title>Login</title></head><body><p>Sign in</p></body>"
    configure(server, server.route("/bad", page, content_type="text/html"))
    code, entries, err = check(capsys)
    assert_failed(code, err)
    assert entries["Bad"] == []


def test_empty_body(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    configure(server, server.route("/bad", b"", content_type=RSS))
    code, _entries, err = check(capsys)
    assert_failed(code, err)


@pytest.mark.parametrize("status", [404, 410, 500])
def test_http_errors(status: int, home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    configure(server, server.route("/bad", "no", status=status, content_type="text/plain"))
    code, _entries, err = check(capsys)
    assert_failed(code, err, str(status))
    [bad] = [s for s in json.loads(run_cli(capsys, "sources", "list", "--json")[1])
             if s["name"] == "Bad"]  # fmt: skip
    assert bad["enabled"] is (status != 410)


def test_429_with_an_http_date_retry_after_is_deferred_on_the_next_check(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    when = "Wed, 01 Jan 2099 00:00:00 GMT"
    configure(
        server,
        server.route(
            "/bad", "later", status=429, headers={"Retry-After": when, "Content-Type": "text/plain"}
        ),
    )
    code, _entries, err = check(capsys)
    assert_failed(code, err, "429")
    server.route("/good", rss(posts(2, prefix="g2"), title="Good"), content_type=RSS)
    code, _entries, err = check(capsys)
    assert code == 1 and err.startswith("Bad: deferred") and err.count("\n") == 1
    assert len(server.requests_for("/bad")) == 1


# --- servers that misbehave in time or size ---


def test_a_server_that_never_answers(
    home: Path, server: LoopbackServer, capsys: Capsys, release: threading.Event,
    short_deadline: None,
) -> None:  # fmt: skip
    def handler(h: BaseHTTPRequestHandler) -> None:
        release.wait(30)

    configure(server, server.route("/bad", handler=handler))
    code, _entries, err = check(capsys)
    assert_failed(code, err)


def test_a_server_that_trickles_a_byte_at_a_time(
    home: Path, server: LoopbackServer, capsys: Capsys, release: threading.Event,
    short_deadline: None,
) -> None:  # fmt: skip
    body = rss(posts(3, prefix="t"))

    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        for byte in body:
            if release.wait(0.2):
                return
            h.wfile.write(bytes([byte]))
            h.wfile.flush()

    configure(server, server.route("/bad", handler=handler))
    code, entries, err = check(capsys)
    assert_failed(code, err)
    assert entries["Bad"] == []


def _streamed(head: bytes, size: int, *, gzipped: bool = False) -> Any:
    def handler(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", RSS)
        h.send_header("Content-Length", str(size))
        h.end_headers()
        h.wfile.write(head)
        sent = len(head)
        chunk = b" " * (1024 * 1024)
        while sent < size:
            piece = chunk[: size - sent]
            h.wfile.write(piece)
            sent += len(piece)

    return handler


def test_a_60_mb_body_fails_that_source_and_stores_nothing_of_it(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    head = rss(posts(2, prefix="huge")).replace(b"</channel></rss>", b"")
    configure(server, server.route("/bad", handler=_streamed(head, 60 * 1024 * 1024)))
    code, entries, err = check(capsys)
    assert_failed(code, err, "MB")
    assert entries["Bad"] == []
    assert [e["source"] for e in json_lines(run_cli(capsys, "entries", "--json")[1])] == [
        "Good", "Good"
    ]  # fmt: skip


def test_a_gzip_bomb_stops_at_the_size_cap(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    inner = rss(posts(2, prefix="bomb")).replace(
        b"</channel>", b"<!--" + b" " * (40 * 1024 * 1024) + b"--></channel>"
    )
    packed = gzip.compress(inner, compresslevel=9)
    assert len(packed) < 200 * 1024
    configure(
        server,
        server.route("/bad", packed, headers={"Content-Type": RSS, "Content-Encoding": "gzip"}),
    )
    code, entries, err = check(capsys)
    assert_failed(code, err, "MB")
    assert entries["Bad"] == []


def test_an_xml_entity_bomb_is_not_expanded(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    levels = ['<!ENTITY lol0 "lollollollollollollollollollol">'] + [
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ]
    body = (
        '<?xml version="1.0"?><!DOCTYPE rss [' + "".join(levels) + "]>"
        '<rss version="2.0"><channel><title>Bomb</title>'
        "<item><guid>e1</guid><title>&lol9;</title></item>"
        "<item><guid>e2</guid><title>Plain headline survives</title></item>"
        "</channel></rss>"
    ).encode()
    configure(server, server.route("/bad", body, content_type=RSS))
    code, entries, err = check(capsys)
    assert code in (0, 1)  # refusing the document or keeping it unexpanded are both safe
    assert all(len(e["title"]) < 10_000 for e in entries["Bad"])
    if code == 1:
        assert_failed(code, err)


def test_a_redirect_loop(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    server.route("/loop-a", status=302, headers={"Location": "/loop-b"})
    server.route("/loop-b", status=302, headers={"Location": "/loop-a"})
    configure(server, server.url("/loop-a"))
    code, _entries, err = check(capsys)
    assert_failed(code, err, "redirect")


# --- content that must not reach the user as-is ---


def test_unsafe_links_become_null(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    unsafe = [
        Post("j", "Script link", "javascript:alert(1)"),
        Post("d", "Data link", "data:text/html,<b>hi</b>"),
        Post("f", "File link", "file:///etc/passwd"),
        Post("h", "Web link", "https://example.org/safe"),
    ]
    configure(server, server.route("/bad", rss(unsafe), content_type=RSS))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    urls = {e["title"]: e["url"] for e in entries["Bad"]}
    assert urls == {
        "Script link": None, "Data link": None, "File link": None,
        "Web link": "https://example.org/safe",
    }  # fmt: skip


def test_markup_and_script_in_titles_become_plain_text(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    title = "<b>Bold</b> move &amp; <script>alert('x')</script>more <i>news</i>"
    body = "<p>Calm <em>down</em>.</p><script>steal()</script><style>p{}</style>"
    configure(server, server.route("/bad", rss([Post("s", title, None, body)]), content_type=RSS))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    [entry] = entries["Bad"]
    assert entry["title"] == "Bold move & more news"
    assert "<" not in entry["summary"] and "steal" not in entry["summary"]
    assert entry["summary"].startswith("Calm down.")
    assert all("<" not in p for p in entry["key_points"])


def test_duplicate_ids_in_one_feed_store_one_entry(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    twins = [Post("same", "First telling"), Post("same", "Second telling"), Post("other", "Other")]
    configure(server, server.route("/bad", rss(twins), content_type=RSS))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    assert sorted(e["id"] for e in entries["Bad"]) == ["other", "same"]


def test_future_and_unparseable_dates(home: Path, server: LoopbackServer, capsys: Capsys) -> None:
    dated = [
        Post("future", "From the future", date="Fri, 01 Jan 2100 00:00:00 +0000"),
        Post("garbage", "Undated", date="the day after tomorrow-ish"),
    ]
    configure(server, server.route("/bad", rss(dated), content_type=RSS))
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    by_id = {e["id"]: e for e in entries["Bad"]}
    assert by_id["garbage"]["published"] is None
    assert by_id["future"]["published"] is not None and by_id["future"]["published"][-6] in "+-"


def test_a_json_ld_block_with_invalid_json_does_not_hide_a_valid_one(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    page_url = server.url("/bad")
    valid = {
        "@context": "https://schema.org",
        "@type": "LiveBlogPosting",
        "@id": page_url,
        "headline": "Flood watch: live",
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "@id": page_url + "#u2", "headline": "River peaks at noon",
             "articleBody": "The river peaked at noon.", "datePublished": "2026-03-02T12:00:00Z"},
            {"@type": "BlogPosting", "@id": page_url + "#u1", "headline": "Sandbags handed out",
             "articleBody": "Volunteers handed out sandbags.",
             "datePublished": "2026-03-02T11:00:00Z"},
        ],
    }  # fmt: skip
    html = (
        "<html><head><title>Flood watch</title>"
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": oops}</script>'
        f'<script type="application/ld+json">{json.dumps(valid)}</script>'
        "</head><body><h1>Flood watch</h1></body></html>"
    )
    configure(server, server.route("/bad", html, content_type="text/html"), SourceKind.LIVE_PAGE)
    code, entries, err = check(capsys)
    assert (code, err) == (0, "")
    titles = {e["title"] for e in entries["Bad"]}
    assert {"River peaks at noon", "Sandbags handed out"} <= titles


# --- broken local files ---


def test_a_corrupt_config_file_is_reported_and_kept(home: Path, capsys: Capsys) -> None:
    path = AppPaths.default().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"version": 1, "sources": [ {"name": "half', encoding="utf-8")
    for argv in (["check"], ["sources", "list"], ["sources", "add", "http://127.0.0.1:9/"]):
        code, _out, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert str(path) in err and err.count("\n") == 1
    # Stored entries stay readable: listing them needs only the database.
    assert run_cli(capsys, "entries", "--json")[0] == 0
    assert path.read_text(encoding="utf-8") == '{"version": 1, "sources": [ {"name": "half'


def test_a_corrupt_database_is_reported_and_never_deleted(
    home: Path, server: LoopbackServer, capsys: Capsys
) -> None:
    configure(server, server.route("/bad", rss(posts(1)), content_type=RSS))
    path = AppPaths.default().database_file
    path.parent.mkdir(parents=True, exist_ok=True)
    garbage = b"this is not a database, just some bytes " * 200
    path.write_bytes(garbage)
    for argv in (["check"], ["entries"], ["sources", "list"]):
        code, _out, err = run_cli(capsys, *argv)
        assert code == 2, argv
        assert str(path) in err and err.count("\n") == 1
    assert path.read_bytes() == garbage
