"""Live pages: schema.org LiveBlogPosting JSON-LD plus the page's key-points list. (STUB)"""

from __future__ import annotations

from collections.abc import Mapping

from widget.core.models import ParsedSource


def parse_live_page(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    raise NotImplementedError
