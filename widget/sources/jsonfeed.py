"""JSON Feed 1.0 / 1.1. (STUB)"""

from __future__ import annotations

from collections.abc import Mapping

from widget.core.models import ParsedSource


def parse_json_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    raise NotImplementedError
