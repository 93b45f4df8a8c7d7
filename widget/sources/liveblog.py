"""Live pages: schema.org LiveBlogPosting JSON-LD plus the page's own key-points list.

One entry per ``liveBlogUpdate`` (identity: ``@id``, else ``url``, else a content hash), newest
first, plus one entry for the page itself (identity: the posting's ``@id``, else the page URL)
whose key points come from the page's visible markup.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from widget.core import keypoints, text, urls
from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import _html

MAX_DEPTH = 8  # how deep into a JSON-LD document a LiveBlogPosting is looked for
MAX_NODES = 20_000  # JSON values visited per block
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def parse_live_page(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse an HTML live page. ``url`` is the final URL (the base for links, the page's identity
    when its JSON-LD has no ``@id``). Raises ParseError when the page has no LiveBlogPosting."""
    if not body.strip():
        raise ParseError("the server sent an empty body where a live page was expected")
    scan = _html.scan_html(_html.decode_html(body, headers))
    parsed = live_page_from_scan(scan, url)
    if parsed is None:
        raise ParseError("no live blog found in the page (no schema.org LiveBlogPosting JSON-LD)")
    return parsed


def live_page_from_scan(scan: _html.HtmlScan, url: str) -> ParsedSource | None:
    """The live page in an already scanned HTML page, or None when it has no LiveBlogPosting."""
    warnings: list[str] = []
    posting = find_posting(scan, warnings)
    if posting is None:
        return None
    updates = [_update_item(u, url) for u in _updates(posting)]
    updates.sort(key=lambda i: i.published or i.updated or _EPOCH, reverse=True)
    page = _page_item(posting, scan, url)
    return ParsedSource(
        kind=SourceKind.LIVE_PAGE,
        title=page.title,
        link=page.url,
        items=_html.dedupe([page, *updates], warnings),
        warnings=tuple(warnings),
    )


def find_posting(scan: _html.HtmlScan, warnings: list[str]) -> dict[str, Any] | None:
    """The first LiveBlogPosting in the page's JSON-LD blocks; a block that is not valid JSON is
    skipped with a warning and never hides a later valid one."""
    invalid = 0
    for block in scan.jsonld:
        try:
            document = json.loads(block)
        except (ValueError, RecursionError):
            invalid += 1
            continue
        for node in _walk(document):
            if _has_type(node, "LiveBlogPosting"):
                _note_invalid(invalid, warnings)
                return node
    _note_invalid(invalid, warnings)
    if scan.jsonld_dropped:
        warnings.append(f"read the first {len(scan.jsonld)} JSON-LD blocks of the page only")
    return None


def _note_invalid(count: int, warnings: list[str]) -> None:
    if count:
        warnings.append(f"skipped {count} JSON-LD blocks with invalid JSON")


def _walk(document: object) -> Iterator[dict[str, Any]]:
    """Every JSON object in ``document``, breadth first, bounded in depth and count."""
    level: list[object] = [document]
    visited = 0
    for _ in range(MAX_DEPTH):
        following: list[object] = []
        for value in level:
            visited += 1
            if visited > MAX_NODES:
                return
            if isinstance(value, dict):
                yield value
                following.extend(v for v in value.values() if isinstance(v, (dict, list)))
            elif isinstance(value, list):
                following.extend(v for v in value if isinstance(v, (dict, list)))
        if not following:
            return
        level = following


def _has_type(node: Mapping[str, Any], wanted: str) -> bool:
    kinds = node.get("@type")
    names = kinds if isinstance(kinds, list) else [kinds]
    # "LiveBlogPosting", "schema:LiveBlogPosting", "https://schema.org/LiveBlogPosting"
    return any(
        isinstance(n, str) and n.rsplit("/", 1)[-1].rsplit(":", 1)[-1] == wanted for n in names
    )


def _updates(posting: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = posting.get("liveBlogUpdate")
    if isinstance(raw, dict):
        return [raw]
    if isinstance(raw, list):
        return [u for u in raw[: _html.MAX_ITEMS * 2] if isinstance(u, dict)]
    return []


def _update_item(update: Mapping[str, Any], base: str) -> Item:
    body = _body(update)
    return _html.build_item(
        guid=_str(update, "@id") or None,
        link=_str(update, "url") or None,
        base=base,
        title_html=_str(update, "headline") or _str(update, "name") or None,
        content_html=body or None,
        summary_html=None,
        published=_html.parse_date(update.get("datePublished") or update.get("dateCreated")),
        updated=_html.parse_date(update.get("dateModified")),
    )


def _page_item(posting: Mapping[str, Any], scan: _html.HtmlScan, url: str) -> Item:
    title = text.html_to_text(_str(posting, "headline") or _str(posting, "name")) or scan.title
    summary = text.html_to_text(_str(posting, "description"))
    own_url = _str(posting, "url")
    item = Item(
        id=_str(posting, "@id") or url,
        title=title or url,
        url=(urls.safe_url(own_url, base=url) if own_url else None) or urls.safe_url(url),
        published=_html.parse_date(
            posting.get("datePublished") or posting.get("coverageStartTime")
        ),
        updated=_html.parse_date(posting.get("dateModified")),
        summary=text.truncate(summary, _html.SUMMARY_LIMIT),
        key_points=keypoints.extract_key_points(scan.body_html, summary=summary, title=title),
        is_page=True,
    )
    return text.bounded_item(item)


def _body(update: Mapping[str, Any]) -> str:
    """``articleBody`` as a string, an object ({"@value"} / {"text"}) or a list; else ``text``."""
    for key in ("articleBody", "text", "description"):
        value = update.get(key)
        if isinstance(value, dict):
            value = value.get("@value") or value.get("text")
        if isinstance(value, list):
            value = "\n".join(v for v in value if isinstance(v, str))
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _str(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    if isinstance(value, dict):  # {"@id": "..."} references, as in "url": {"@id": ...}
        value = value.get("@id")
    return value if isinstance(value, str) and value.strip() else ""
