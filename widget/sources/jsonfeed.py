"""JSON Feed 1.0 / 1.1 (https://jsonfeed.org), which feedparser does not read."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from html import escape
from typing import Any

from widget.core import urls
from widget.core.errors import ParseError
from widget.core.models import Item, ParsedSource, SourceKind
from widget.sources import html, items

VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


def is_json_feed(document: object) -> bool:
    """True when a decoded JSON document announces itself as a JSON Feed."""
    if not isinstance(document, dict):
        return False
    version = document.get("version")
    return isinstance(version, str) and version.startswith(VERSION_PREFIXES)


def load_json(body: bytes) -> object:
    """The decoded JSON document (UTF-8/16/32, with or without a byte-order mark).

    Raises ParseError with the reason and position when it is not JSON."""
    if not body.strip():
        raise ParseError("the server sent an empty body where a JSON Feed was expected")
    try:
        return json.loads(body)
    except RecursionError:
        raise ParseError("invalid JSON: nested too deeply") from None
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"invalid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        ) from None
    except UnicodeDecodeError as exc:
        raise ParseError(f"invalid JSON: not UTF-8/16/32 text ({exc.reason})") from None


def parse_json_feed(body: bytes, headers: Mapping[str, str], url: str) -> ParsedSource:
    """Parse a JSON Feed body. ``url`` is the final URL (the base for relative links).

    Raises ParseError for an HTML page, invalid JSON, or JSON that is not a JSON Feed."""
    if body.strip() and html.looks_like_html(body, headers):
        raise ParseError("the server sent an HTML page where a JSON Feed was expected")
    return json_feed_from_document(load_json(body), url)


def json_feed_from_document(document: object, url: str) -> ParsedSource:
    """A ParsedSource from an already decoded JSON document."""
    if not isinstance(document, dict):
        raise ParseError("not a JSON Feed: the document is not a JSON object")
    version = document.get("version")
    if not is_json_feed(document):
        shown = version if isinstance(version, str) else "missing"
        raise ParseError(f"not a JSON Feed: unknown version ({shown[:80]})")
    warnings: list[str] = []
    raw_items = document.get("items")
    if raw_items is None:
        raw_items = []
        warnings.append("the JSON Feed has no items list")
    elif not isinstance(raw_items, list):
        raise ParseError("not a JSON Feed: items is not a list")
    built: list[Item] = []
    skipped = 0
    for raw in raw_items[: items.MAX_ITEMS * 2]:
        if isinstance(raw, dict):
            built.append(_item(raw, url))
        else:
            skipped += 1
    if skipped:
        warnings.append(f"skipped {skipped} items that are not JSON objects")
    return ParsedSource(
        kind=SourceKind.JSON_FEED,
        title=html.html_to_text(_str(document, "title")),
        link=urls.safe_url(_str(document, "home_page_url") or None, base=url),
        items=items.dedupe(built, warnings),
        warnings=tuple(warnings),
    )


def _item(raw: dict[str, Any], base: str) -> Item:
    content = _str(raw, "content_html")
    hashed: str | None = None
    if not content:
        plain = _str(raw, "content_text")
        hashed = escape(plain, quote=False) if plain else ""  # what identity has always hashed
        content = text_markup(plain)
    summary = _str(raw, "summary")
    raw_id = raw.get("id")
    guid: str | None
    if isinstance(raw_id, bool):
        guid = None
    elif isinstance(raw_id, (str, int, float)):
        guid = str(raw_id) if str(raw_id).strip() else None
    else:
        guid = None
    link = _str(raw, "url") or _str(raw, "external_url")
    return items.build_item(
        guid=guid,
        link=link or None,
        base=base,
        title_html=_str(raw, "title") or None,
        content_html=content or None,
        summary_html=escape(summary, quote=False) if summary else None,
        published=items.parse_date(raw.get("date_published")),
        updated=items.parse_date(raw.get("date_modified")),
        hashed_html=hashed,
    )


_BLANK_LINE = re.compile(r"\n[ \t\r\f\v]*\n")
_BULLET = re.compile(r"\s*(?:[-*•–·▪]|\d{1,2}[.)])\s+(?=\S)")


def text_markup(plain: str) -> str:
    """Plain text as markup with its structure kept: paragraphs at blank lines, line breaks,
    and lines starting with "-", "*", "•" or "1." as list items (so a list of key points
    written as text is one)."""
    if "\n" not in plain:
        return escape(plain, quote=False)
    blocks = []
    for block in _BLANK_LINE.split(plain.replace("\r\n", "\n")):
        lines = [line for line in block.split("\n") if line.strip()]
        out: list[str] = []
        bullets: list[str] = []
        for line in lines:
            marker = _BULLET.match(line)
            if marker is not None:
                bullets.append(f"<li>{escape(line[marker.end() :].strip(), quote=False)}</li>")
                continue
            if bullets:
                out.append("<ul>" + "".join(bullets) + "</ul>")
                bullets = []
            out.append(f"<p>{escape(line.strip(), quote=False)}</p>")
        if bullets:
            out.append("<ul>" + "".join(bullets) + "</ul>")
        blocks.append("".join(out))
    return "".join(blocks)


def _str(mapping: Mapping[str, Any], key: str) -> str:
    value = mapping.get(key)
    return value if isinstance(value, str) else ""
