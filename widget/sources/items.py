"""Building items the same way for every source kind: dates, titles, links, identity, dedupe."""

from __future__ import annotations

import email.utils
import re
from datetime import datetime, timedelta, timezone, tzinfo

from selectolax.lexbor import LexborNode

from widget.core import keypoints, text, urls
from widget.core.models import Item
from widget.sources import html

SUMMARY_LIMIT = 1000  # characters of plain-text summary kept per item
TITLE_LIMIT = 300  # a title made from the first sentence of a body
MAX_ITEMS = text.MAX_ITEMS_PER_DOCUMENT  # entries kept from one response; the rest: a warning

# --- dates ---------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_date(value: object, zone: tzinfo | None = None) -> datetime | None:
    """An RFC 3339 / ISO 8601 (or RFC 822) date as an aware UTC datetime; None when unusable.
    A date without an offset is taken in ``zone`` (the zone its page states), else as UTC."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    value = value.strip()
    try:
        match = _ISO_RE.fullmatch(value)
        if match:
            year, month, day, hour, minute, sec, frac, offset = match.groups()
            micro = int((frac or "0").ljust(6, "0")[:6])
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                int(sec or 0), micro, tzinfo=offset_zone(offset) if offset or not zone else zone,
            )  # fmt: skip
        else:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=zone or timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def offset_zone(zone: str | None) -> timezone:
    """The zone of an offset such as "+05:30", "-0800" or "Z" (UTC when none)."""
    if not zone or zone in ("Z", "z"):
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


# --- titles and links ----------------------------------------------------------------------

# Headlines that say nothing about the update itself.
_GENERIC_TITLES = frozenset(
    (
        "update", "live update", "live updates", "live", "breaking", "breaking news", "post",
        "new post", "latest", "eilmeldung", "liveblog", "live blog", "en direct", "direct",
        "en directo", "directo", "diretta", "ao vivo", "na żywo", "untitled",
    )
)  # fmt: skip


def is_usable_headline(headline: str, page_headline: str) -> bool:
    """False for an empty or generic headline, or one that repeats the page's (or its start)."""
    folded = headline.casefold().strip(" :.-–—|")
    if not folded or folded in _GENERIC_TITLES:
        return False
    page = page_headline.casefold().strip()
    return not (page and (folded == page or (len(folded) >= 12 and page.startswith(folded))))


def make_title(headline: str, heading: str, body_text: str, page_headline: str = "") -> str:
    """An update's title: the headline, unless generic or the page's own; then the post's first
    heading; else the first sentence of its text. A leading clock time is never part of it."""
    for candidate in (headline, heading):
        candidate = keypoints.strip_leading_time(text.collapse_whitespace(candidate))
        if candidate and is_usable_headline(candidate, page_headline):
            return text.truncate(candidate, TITLE_LIMIT)
    sentence = text.first_sentence(keypoints.strip_leading_time(body_text)) if body_text else ""
    sentence = sentence.rstrip(" :;,–—-")  # a sentence that announces a list ends with ":"
    if sentence:
        return text.truncate(sentence, TITLE_LIMIT)
    return text.truncate(keypoints.strip_leading_time(text.collapse_whitespace(headline)), 300)


def update_link(url: str, ident: str, element_id: str, page_url: str) -> str:
    """An update's link, never empty: its ``url``, else its ``@id`` when that is a URL or a
    fragment, else the page with the ``#id`` of the post's element, else the page."""
    for candidate in (url, ident):
        candidate = candidate.strip()
        if not candidate:
            continue
        if candidate.startswith("#") or urls.is_web_url(candidate) or candidate.startswith("/"):
            resolved = urls.safe_url(candidate, base=page_url)
            if resolved:
                return resolved
    page = urls.safe_url(page_url) or page_url
    if element_id:
        return page.split("#", 1)[0] + "#" + element_id
    return page


# --- items ---------------------------------------------------------------------------------


def build_item(
    *,
    guid: str | None,
    link: str | None,
    base: str,
    title_html: str | None,
    content_html: str | None,
    summary_html: str | None,
    published: datetime | None,
    updated: datetime | None,
    is_page: bool = False,
    hashed_html: str | None = None,
) -> Item:
    """One Item from a feed's raw fields.

    Identity (fixed once shipped): ``guid`` verbatim, else ``link`` verbatim, else
    ``stable_hash(plain title, ISO date or "", content-or-summary markup)`` (``hashed_html``,
    when given, stands for that markup). Content markup is parsed once; its text and key points
    come from the same tree."""
    body_html = content_html or summary_html or ""
    summary_body, summary_plain = html.markup_text(summary_html)
    content_body: LexborNode | None = None
    if content_html and content_html == summary_html:  # one body in both fields: parsed once
        content_body = (
            summary_body if summary_body is not None else html.fragment_body(content_html)
        )
    elif content_html:
        content_body = html.fragment_body(content_html)
    if not summary_plain and content_body is not None:
        summary_plain = html.node_text(content_body)
    title = html.html_to_text(title_html) if title_html else ""
    if not title and summary_plain:
        title = text.truncate(text.first_sentence(summary_plain), TITLE_LIMIT)
    if guid:
        identity = guid
    elif link:
        identity = link
    else:
        when = published or updated
        hashed = body_html if hashed_html is None else hashed_html
        identity = text.stable_hash(title, when.isoformat() if when else "", hashed)
    if content_body is not None:
        points = html.key_points(content_body, summary=summary_plain, title=title, page_url=base)
    elif summary_body is not None:
        points = html.key_points(summary_body, summary=summary_plain, title=title)
    else:
        points = html.markup_key_points(summary_html, summary=summary_plain, title=title)
    item = Item(
        id=identity,
        title=title,
        url=urls.safe_url(link, base=base) if link else None,
        published=published,
        updated=updated,
        summary=text.truncate(summary_plain, SUMMARY_LIMIT),
        key_points=points,
        is_page=is_page,
    )
    return text.bounded_item(item)


def dedupe(items: list[Item], warnings: list[str], limit: int = MAX_ITEMS) -> tuple[Item, ...]:
    """Items with each identity once (the first wins), at most ``limit``; notes what it drops."""
    seen: set[str] = set()
    kept: list[Item] = []
    duplicates = 0
    for item in items:
        if item.id in seen:
            duplicates += 1
            continue
        seen.add(item.id)
        kept.append(item)
    if duplicates:
        warnings.append(f"{duplicates} entries repeated an id already seen; kept the first")
    if len(kept) > limit:
        warnings.append(f"{len(kept)} entries; kept the first {limit}")
        kept = kept[:limit]
    return tuple(kept)
