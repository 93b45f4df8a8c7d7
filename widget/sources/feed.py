"""RSS 0.9x/1.0/2.0, RDF and Atom through feedparser: bytes plus response headers in, never a URL.

feedparser would fetch a ``str`` that looks like a URL and would open a ``str`` *or* ``bytes``
value that names an existing file, so it only ever gets the bytes wrapped in a ``BytesIO``. Before
it does, custom XML entity declarations that could expand without bound (the "billion laughs"
and quadratic-blowup bombs) are removed from the document type declaration.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any

import feedparser

from widget.core import text, urls
from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import decoding, html, items, saxreader

saxreader.install()

# An entity whose value is one character reference or a few plain characters cannot blow up.
_SAFE_ENTITY_VALUE = re.compile(r"&#[0-9]{1,7};|&#x[0-9a-fA-F]{1,6};|[^&%<\"']{0,8}")
_ENTITY_DECL = re.compile(r"<!ENTITY\s(?:[^>\"']|\"[^\"]*\"|'[^']*')*>")
_ENTITY_PARTS = re.compile(r"<!ENTITY\s+([\w.:-]+)\s+(?:\"([^\"]*)\"|'([^']*)')\s*>")
# Single-byte and ASCII-compatible documents are searched as latin-1 (a lossless round trip).
_ENTITY_CODECS = ("latin-1", "utf-16-le", "utf-16-be", "utf-32-le", "utf-32-be")


def parse_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse an RSS/RDF/Atom body. ``url`` is the final URL (the base for relative links).

    Raises ParseError for an empty body, an HTML page, or a body with no feed in it."""
    if not body.strip():
        raise ParseError("the server sent an empty body where a feed was expected")
    if html.looks_like_html(body, headers):
        raise ParseError("the server sent an HTML page where a feed was expected")
    warnings: list[str] = []
    body = _defuse_entities(body, warnings)
    body = decoding.feed_document(body, headers, text.MAX_ITEMS_PER_DOCUMENT, warnings)
    result = feedparser.parse(
        io.BytesIO(body),
        response_headers=decoding.parser_headers(headers),
        sanitize_html=False,
        resolve_relative_uris=False,
    )
    feed_info: dict[str, Any] = dict.get(result, "feed") or {}
    entries: list[dict[str, Any]] = list(dict.get(result, "entries") or [])
    version = str(dict.get(result, "version") or "")
    if not version and not entries:
        reason = dict.get(result, "bozo_exception")
        detail = f" ({reason})" if reason else ""
        raise ParseError(f"no RSS, RDF or Atom feed found in the response{detail}")
    if dict.get(result, "bozo"):
        reason = dict.get(result, "bozo_exception")
        if _is_markup_error(reason):
            warnings.append(f"malformed XML, kept what parsed: {reason}")

    built = [_item(entry, url) for entry in entries]
    title = html.html_to_text(_str(feed_info, "title"))
    return ParsedSource(
        kind=SourceKind.FEED,
        title=title,
        link=urls.safe_url(_str(feed_info, "link") or None, base=url),
        items=items.dedupe(built, warnings),
        warnings=tuple(warnings),
    )


def _is_markup_error(reason: object) -> bool:
    """Only XML errors are worth a warning; a charset the server got wrong is not news."""
    return not isinstance(
        reason,
        (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType),
    )


def _item(entry: dict[str, Any], base: str) -> Item:
    content = _content(entry)
    summary = _str(entry, "summary")
    first = [c for c in dict.get(entry, "content") or [] if isinstance(c, dict)][:1]
    # What earlier versions hashed for an entry without id or link (its identity): keep it.
    hashed = (str(first[0].get("value") or "") if first else "") or summary
    published = _date(dict.get(entry, "published_parsed"))
    updated = _date(dict.get(entry, "updated_parsed"))
    return items.build_item(
        guid=_str(entry, "id") or None,
        link=_str(entry, "link") or None,
        base=base,
        title_html=_title(entry),
        content_html=content or None,
        summary_html=summary or None,
        published=published,
        updated=updated,
        hashed_html=hashed,
    )


_MEDIA_KEYS = ("media_content", "media_thumbnail", "media_credit", "media_player", "media_group")


def _content(entry: dict[str, Any]) -> str:
    """The entry's content markup: the first HTML content, else the first other one. A plain-text
    content beside a summary in an entry with media elements is the media's description (the
    parser reads ``<media:description>`` as content when a summary came first): a photo caption
    or credit, not the story, so the summary stays the body."""
    found = [c for c in dict.get(entry, "content") or [] if isinstance(c, dict)]
    if not found:
        return ""
    for candidate in found:
        if "html" in str(candidate.get("type") or ""):
            return str(candidate.get("value") or "")
    media = any(dict.get(entry, key) for key in _MEDIA_KEYS)
    if media and _str(entry, "summary"):
        return ""
    return str(found[0].get("value") or "")


def _title(entry: dict[str, Any]) -> str:
    """The title as markup: a plain-text title is escaped so that its "<" stays a character."""
    title = _str(entry, "title")
    detail = dict.get(entry, "title_detail") or {}
    if detail.get("type") == "text/plain" and "<" in title:
        return title.replace("&", "&amp;").replace("<", "&lt;")
    return title


def _str(mapping: Mapping[str, Any], key: str) -> str:
    value = dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)
    return value if isinstance(value, str) else ""


def _date(value: object) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime (None when it could not parse)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


def _defuse_entities(body: bytes, warnings: list[str]) -> bytes:
    """``body`` without entity declarations that could expand without bound."""
    for codec in _ENTITY_CODECS:
        marker = "<!ENTITY".encode(codec)
        if marker in body:
            break
    else:
        return body
    doc = body.decode(codec, errors="surrogatepass")
    dropped = 0

    def keep_or_drop(match: re.Match[str]) -> str:
        nonlocal dropped
        parts = _ENTITY_PARTS.fullmatch(match.group(0))
        if parts is not None:
            value = parts.group(2) if parts.group(2) is not None else parts.group(3)
            if _SAFE_ENTITY_VALUE.fullmatch(value):
                return match.group(0)
        dropped += 1
        return ""

    doc = _ENTITY_DECL.sub(keep_or_drop, doc)
    if dropped:
        warnings.append(f"ignored {dropped} XML entity declarations that could expand unbounded")
    return doc.encode(codec, errors="surrogatepass")
