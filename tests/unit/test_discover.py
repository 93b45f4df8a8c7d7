"""Detecting what a body is, dispatching by kind, and autodiscovering feeds from HTML pages."""

from __future__ import annotations

import json

import pytest

from tests.fixtures import load
from tests.support.server import LoopbackServer
from widget.core.errors import ParseError
from widget.core.models import ParsedSource, SourceKind
from widget.sources import discover
from widget.sources.discover import FeedLinks
from widget.sources.http import HttpClient

PAGE = "https://canal.example/news/index.html"


def detected(body: bytes, content_type: str = "", url: str = PAGE) -> ParsedSource | FeedLinks:
    headers = {"content-type": content_type} if content_type else {}
    return discover.detect(body, headers, url)


@pytest.mark.parametrize(
    ("fixture", "content_type", "kind", "title"),
    [
        ("rss091.xml", "text/xml", SourceKind.FEED, "Valley Gazette"),
        ("rss20.xml", "application/rss+xml", SourceKind.FEED, "Harbour City & Bay Live"),
        ("rdf.xml", "", SourceKind.FEED, "Orchard Notes"),
        ("atom.xml", "text/html", SourceKind.FEED, "Mountain Rail Updates"),  # a wrong type
        ("jsonfeed10.json", "application/json", SourceKind.JSON_FEED, "Night Market Diary"),
        ("jsonfeed11.json", "text/plain", SourceKind.JSON_FEED, "Observatory Log"),
        ("live_page.html", "text/html", SourceKind.LIVE_PAGE, "River flood: live updates"),
    ],
)
def test_detect_each_kind(fixture: str, content_type: str, kind: SourceKind, title: str) -> None:
    found = detected(load(fixture), content_type)
    assert isinstance(found, ParsedSource)
    assert found.kind is kind
    assert found.title == title
    assert found.items


def test_detect_utf16_feed() -> None:
    body = ("\ufeff" + load("rss20.xml").decode().replace("UTF-8", "utf-16")).encode("utf-16-le")
    found = detected(body, "application/xml")
    assert isinstance(found, ParsedSource)
    assert found.kind is SourceKind.FEED
    assert found.items[0].id == "harbour-2041"


def test_detect_page_with_alternate_links() -> None:
    found = detected(load("discovery_page.html"), "text/html")
    assert found == FeedLinks(
        page_title="Canal Society \u2014 News",
        urls=(
            "https://canal.example/feeds/news.rss",  # root-relative
            "https://canal.example/feeds/news.atom",  # rel="alternate feed"
            "https://canal.example/news/feed.json",  # relative to the page
        ),  # the javascript: href and the text/html alternate are not offered
    )


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"<html><head><title>Shop</title></head><body>Buy</body></html>", "text/html", "no feed"),
        (b"", "text/html", "empty body"),
        (b"plain words", "text/plain", "no feed or live page found at URL"),
        (b"<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "", "no feed"),
        (b'{"name": "not a feed"}', "application/json", "not a JSON Feed"),
        (b'{"version": "https://jsonfeed.org/version/1", "items": [', "", "invalid JSON"),
        (
            b'<html><head><link rel="alternate" type="application/rss+xml" href="ftp://x/f">'
            b"</head></html>",
            "text/html",
            "no feed or live page found at URL",
        ),
    ],
)
def test_detect_nothing_usable_is_a_parse_error(
    body: bytes, content_type: str, message: str
) -> None:
    with pytest.raises(ParseError, match=message):
        detected(body, content_type)


def test_a_live_page_wins_over_its_alternate_links() -> None:
    # the fixture page also links an RSS feed; the live blog itself is what the user asked for
    found = detected(load("live_page.html"), "text/html")
    assert isinstance(found, ParsedSource)
    assert found.kind is SourceKind.LIVE_PAGE


@pytest.mark.parametrize(
    ("kind", "fixture"),
    [
        (SourceKind.FEED, "atom.xml"),
        (SourceKind.JSON_FEED, "jsonfeed11.json"),
        (SourceKind.LIVE_PAGE, "live_page.html"),
    ],
)
def test_parse_dispatches_by_kind(kind: SourceKind, fixture: str) -> None:
    parsed = discover.parse(kind, load(fixture), {}, PAGE)
    assert parsed.kind is kind


@pytest.mark.parametrize("kind", [SourceKind.FEED, SourceKind.JSON_FEED])
def test_html_served_where_a_feed_is_expected(kind: SourceKind) -> None:
    with pytest.raises(ParseError, match="HTML page where a"):
        discover.parse(kind, load("discovery_page.html"), {"content-type": "text/html"}, PAGE)


def test_a_feed_served_where_a_live_page_is_expected() -> None:
    with pytest.raises(ParseError, match="no live blog"):
        discover.parse(SourceKind.LIVE_PAGE, load("rss20.xml"), {}, PAGE)


def test_autodiscovery_against_a_real_server(server: LoopbackServer) -> None:
    """A page URL → its alternate feed URL → the feed, with real HTTP responses."""
    feed_url = server.route(
        "/feeds/news.rss", load("rss20.xml"), content_type="application/rss+xml"
    )
    page_url = server.route(
        "/news/",
        "<html><head><title>Canal news</title>"
        '<link rel="alternate" type="application/rss+xml" href="../feeds/news.rss"></head>'
        "<body><p>Hello</p></body></html>",
        content_type="text/html; charset=utf-8",
    )
    json_url = server.route(
        "/feed.json",
        json.dumps({"version": "https://jsonfeed.org/version/1.1", "items": []}),
        content_type="application/feed+json",
    )
    client = HttpClient()
    try:
        page = client.fetch(page_url)
        links = discover.detect(page.body, page.headers, page.url)
        assert links == FeedLinks(page_title="Canal news", urls=(feed_url,))
        feed = client.fetch(links.urls[0])
        parsed = discover.detect(feed.body, feed.headers, feed.url)
        assert isinstance(parsed, ParsedSource)
        assert parsed.kind is SourceKind.FEED
        # the feed's relative link is resolved against the URL the feed was fetched from
        assert parsed.items[1].url == server.url("/live/ferries")
        empty = client.fetch(json_url)
        parsed_json = discover.detect(empty.body, empty.headers, empty.url)
        assert isinstance(parsed_json, ParsedSource)
        assert parsed_json.kind is SourceKind.JSON_FEED
    finally:
        client.close()


def test_detect_reads_past_a_prolog_of_comments_and_doctype() -> None:
    body = (
        b'\xef\xbb\xbf<?xml version="1.0"?>\n<!-- generated -->\n<?xml-stylesheet href="s.xsl"?>'
        b'\n<!DOCTYPE rss [<!ENTITY copy "&#169;">]>\n'
        b'<rss version="2.0"><channel><title>Prolog &copy; test</title>'
        b"<item><guid>p1</guid><title>One</title></item></channel></rss>"
    )
    found = detected(body)
    assert isinstance(found, ParsedSource)
    assert found.kind is SourceKind.FEED
    assert found.title == "Prolog \u00a9 test"


@pytest.mark.parametrize(
    "body",
    [
        b"<!DOCTYPE x [" + b"]" * 60_000,  # a doctype that never ends
        b"<!--" * 30_000,
        b"<?" * 30_000,
    ],
)
def test_detect_endless_prologs_are_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        detected(body, "application/xml")
