"""Detect what a fetched body is, and autodiscover feeds from HTML pages. (STUB: to be implemented)"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from widget.core.models import ParsedSource, SourceKind


@dataclass(frozen=True)
class FeedLinks:
    """An HTML page that is neither feed nor live page, with its alternate feed URLs (best first)."""

    page_title: str
    urls: tuple[str, ...]


def parse(kind: SourceKind, body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse a body of a known kind. ``url`` is the final URL after redirects (the base for links).
    Raises ParseError when the body holds nothing of that kind."""
    raise NotImplementedError


def detect(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource | FeedLinks:
    """What the body is: a feed, a JSON Feed or a live page (parsed), else an HTML page's
    ``<link rel="alternate">`` feed URLs. Raises ParseError when it is none of these."""
    raise NotImplementedError
