"""RSS/Atom/RDF through feedparser: bytes plus response headers in, never a URL. (STUB)"""

from __future__ import annotations

from collections.abc import Mapping

from widget.core.models import ParsedSource


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    raise NotImplementedError
