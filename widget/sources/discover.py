"""Detect what a fetched body is, and autodiscover feeds from HTML pages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from widget.core import urls
from widget.core.errors import ParseError
from widget.core.models import ParsedSource, SourceKind
from widget.sources import html
from widget.sources.feed import parse_feed
from widget.sources.jsonfeed import json_feed_from_document, load_json, parse_json_feed
from widget.sources.liveblog import live_page_from_document, parse_live_page

_FEED_ROOTS = ("rss", "feed", "rdf")
_XML_TYPES = ("application/rss+xml", "application/atom+xml", "application/rdf+xml")


@dataclass(frozen=True)
class FeedLinks:
    """An HTML page that is neither feed nor live page, with its alternate feed URLs
    (in page order, http(s) only)."""

    page_title: str
    urls: tuple[str, ...]


def parse(kind: SourceKind, body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse a body of a known kind. ``url`` is the final URL after redirects (the base for links).
    Raises ParseError when the body holds nothing of that kind."""
    if kind is SourceKind.FEED:
        return parse_feed(body, headers, url)
    if kind is SourceKind.JSON_FEED:
        return parse_json_feed(body, headers, url)
    if kind is SourceKind.LIVE_PAGE:
        return parse_live_page(body, headers, url)
    raise ParseError(f"unknown source kind: {kind!r}")


def detect(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource | FeedLinks:
    """What the body is: a feed, a JSON Feed or a live page (parsed: JSON-LD or microdata
    LiveBlogPosting, or an HTML ticker), else an HTML page's ``<link rel="alternate">`` feed
    URLs (only for a page that is no live page). Raises ParseError when it is none of these."""
    if not body.strip():
        raise ParseError("the server sent an empty body: no feed or live page found at URL")
    mtype = html.media_type(headers)
    start = html.sniff_text(body, 64).lstrip()
    if start.startswith("{") or ("json" in mtype and not start.startswith("<")):
        return _detect_json(body, url)
    root = html.root_element(body)
    if root in _FEED_ROOTS or (not root and mtype in _XML_TYPES):
        return parse_feed(body, headers, url)
    if root and root not in ("html", "head", "body") and "html" not in mtype:
        raise ParseError(f"no feed or live page found at URL (an XML document of <{root}>)")
    return _detect_html(body, headers, url)


def _detect_json(body: bytes, url: str) -> ParsedSource:
    return json_feed_from_document(load_json(body), url)


def _detect_html(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource | FeedLinks:
    doc = html.parse_document(body, headers)
    live = live_page_from_document(doc, url)  # a live page stays one, whatever feeds it links
    if live is not None:
        return live
    found: list[str] = []
    for _kind, href in doc.alternates:
        resolved = urls.safe_url(href, base=url)
        if resolved and resolved not in found and resolved != url:
            found.append(resolved)
    if not found:
        raise ParseError("no feed or live page found at URL")
    return FeedLinks(page_title=doc.title, urls=tuple(found))
