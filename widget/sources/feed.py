"""RSS 0.9x/1.0/2.0, RDF and Atom through feedparser: bytes plus response headers in, never a URL.

feedparser would fetch a ``str`` that looks like a URL and would open a ``str`` *or* ``bytes``
value that names an existing file, so it only ever gets the bytes wrapped in a ``BytesIO``. Before
it does, custom XML entity declarations that could expand without bound (the "billion laughs"
and quadratic-blowup bombs) are removed from the document type declaration.
"""

from __future__ import annotations

import html as html_entities
import io
import re
import time
import unicodedata
from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

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
    result = _parsed(body, headers)
    if dict.get(result, "bozo") and _is_markup_error(dict.get(result, "bozo_exception")):
        repaired = decoding.well_formed(body)  # HTML entities, a bare "&", control characters
        if repaired is not body:
            again = _parsed(repaired, headers)
            if not dict.get(again, "bozo") or not _is_markup_error(again["bozo_exception"]):
                result = again
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

    home = urls.safe_url(_str(feed_info, "link") or None, base=url)
    rss = version.startswith("rss")
    built = [_item(entry, url, home, rss) for entry in entries]
    title = html.html_to_text(_str(feed_info, "title"))
    return ParsedSource(
        kind=SourceKind.FEED,
        title=title,
        link=home,
        items=items.dedupe(built, warnings),
        warnings=tuple(warnings),
    )


def _parsed(body: bytes, headers: Mapping[str, str]) -> dict[str, Any]:
    return feedparser.parse(  # type: ignore[no-any-return]
        io.BytesIO(body),
        response_headers=decoding.parser_headers(headers),
        sanitize_html=False,
        resolve_relative_uris=False,
    )


def _is_markup_error(reason: object) -> bool:
    """Only XML errors are worth a warning; a charset the server got wrong is not news."""
    return not isinstance(
        reason,
        (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType),
    )


def _item(entry: dict[str, Any], base: str, home: str | None, rss: bool) -> Item:
    content = _content(entry, rss)
    summary = _str(entry, "summary")
    first = [c for c in dict.get(entry, "content") or [] if isinstance(c, dict)][:1]
    # What earlier versions hashed for an entry without id or link (its identity): keep it.
    hashed = (str(first[0].get("value") or "") if first else "") or summary
    link = _str(entry, "link") or None
    original = urls.safe_url(_str(entry, "feedburner_origlink") or None, base=base)
    entry_url = original or (urls.safe_url(link, base=base) if link else None)
    item = items.build_item(
        guid=_str(entry, "id") or None,
        link=link,
        base=base,
        title_html=_title(entry),
        content_html=_without_footer(content, entry_url, home) or None,
        summary_html=_without_footer(summary, entry_url, home) or None,
        published=_date(entry, "published"),
        updated=_date(entry, "updated"),
        hashed_html=hashed,
    )
    # Where the entry really is, without changing what identifies it: FeedBurner's original
    # link rather than its redirector, else a podcast episode's audio when it has no page.
    better = original
    if better is None and item.url is None:
        enclosures = (e for e in _list(entry, "links") if _is_episode(e))
        better = next(filter(None, (_enclosure(e, base) for e in enclosures)), None)
    if better is None or better == item.url:
        return item
    return text.bounded_item(replace(item, url=better))


def _is_episode(link: object) -> bool:
    """An enclosure holding the entry itself: a podcast's audio or video."""
    if not isinstance(link, dict) or _str(link, "rel") != "enclosure":
        return False
    kind = _str(link, "type").lower()
    return not kind or kind.startswith(("audio/", "video/"))


def _enclosure(enclosure: object, base: str) -> str | None:
    href = enclosure.get("href") if isinstance(enclosure, dict) else None
    return urls.safe_url(href, base=base) if isinstance(href, str) else None


def _list(mapping: dict[str, Any], key: str) -> list[Any]:
    value = dict.get(mapping, key)
    return value if isinstance(value, list) else []


# --- boilerplate publishers append to every entry ----------------------------------------------

# The last paragraph of a fragment, and the links in a piece of markup.
_PARAGRAPH = re.compile(r"<p\b[^>]*>((?:(?!</?p\b).){0,600}?)</p\s*>\s*\Z", re.I | re.S)
_LINK = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>(.{0,300}?)</a\s*>""", re.I | re.S
)
# A "Continue reading" / "Weiterlesen" / "Lire la suite" link to the entry that ends the text.
_READ_MORE = re.compile(
    r"""<a\b[^>]*?\bhref\s*=\s*(?:"([^"]*)"|'([^']*)')[^>]*>((?:(?!<a\b).){1,300}?)</a\s*>"""
    r"""((?:\s|&nbsp;|&#160;|</?(?:p|span|div|em|strong|b|i)\b[^>]*>|[.…→»›>-])*)\Z""",
    re.I | re.S,
)
# A forum's trailer after every post: "submitted by <a>/u/name</a> <a>[link]</a> <a>[comments]</a>".
_SUBMITTED = re.compile(
    r"submitted\s+by(?:\s|&#32;)*<a\b[^>]*>[^<]{1,100}</a\s*>"
    r"(?:\s|&#32;|<br\s*/?>|</?span\b[^>]*>|<a\b[^>]*>\s*\[[^\]<]{1,20}\]\s*</a\s*>"
    r"|</(?:td|tr|tbody|table|div|p)\s*>)*\Z",
    re.I,
)
_TAG = re.compile(r"<[^>]*>")
_READ_MORE_WORDS = 4  # "Continue reading", "Lees verder", "Continua a leggere →"
_TAIL_CHARS = 2000  # footers sit in the last this many characters


def _without_footer(markup: str, entry_url: str | None, home: str | None) -> str:
    """``markup`` without what a publishing system appends to every entry: a last paragraph
    made of a link to the entry and a link to the site ("The post … appeared first on …",
    "Der Beitrag … erschien zuerst auf …"), and a last short link to the entry itself ("Continue
    reading", "Weiterlesen"), and a forum's "submitted by … [link] [comments]" line. Told apart by
    where the links lead (the forum's line by its fixed words), so in any language. Markup
    whose end does not name the entry's path costs one substring search."""
    if not entry_url or not markup:
        return markup
    path = urlsplit(entry_url).path.rstrip("/")
    head, tail = markup[:-_TAIL_CHARS], markup[-_TAIL_CHARS:]
    if path and path not in tail:  # no link to the entry at the end
        return markup
    folded = tail.lower()
    paragraph = _PARAGRAPH.match(tail, _last_tag(folded, "<p"))
    if paragraph is not None and _is_footer(paragraph.group(1), entry_url, home, base=entry_url):
        tail = tail[: paragraph.start()]
        folded = folded[: paragraph.start()]
    submitted = folded.rfind("submitted")
    if submitted >= 0 and _SUBMITTED.match(tail, submitted) is not None:
        tail = _strip_end_spaces(tail[:submitted])
        folded = tail.lower()
    last = _READ_MORE.match(tail, _last_tag(folded, "<a"))
    if last is not None and _leads_to(last.group(1) or last.group(2) or "", entry_url, entry_url):
        words = html.html_to_text(last.group(3)).split()
        before = html.html_to_text(_TAG.sub(" ", tail[: last.start()]))
        if 0 < len(words) <= _READ_MORE_WORDS and before:
            tail = tail[: last.start()] + last.group(4)
    return head + tail


def _strip_end_spaces(markup: str) -> str:
    """``markup`` without the spaces (written out or as entities) it ends with."""
    while True:
        markup = markup.rstrip()
        for space in ("&#32;", "&nbsp;", "&#160;"):
            if markup.endswith(space):
                markup = markup[: -len(space)]
                break
        else:
            return markup


def _last_tag(folded: str, start: str) -> int:
    """Where the last ``<p`` / ``<a`` start tag (not ``<pre``, ``<abbr``) begins, else the end."""
    at = len(folded)
    while True:
        at = folded.rfind(start, 0, at)
        if at < 0:
            return len(folded)
        after = folded[at + 2 : at + 3]
        if after in (">", "/") or after.isspace():
            return at


def _is_footer(paragraph: str, entry_url: str, home: str | None, base: str) -> bool:
    links = list(_LINK.finditer(paragraph))
    if len(links) != 2 or home is None:
        return False
    hrefs = [m.group(1) or m.group(2) or "" for m in links]
    if not (_leads_to(hrefs[0], entry_url, base) and _leads_to(hrefs[1], home, base)):
        return False
    words = _LINK.sub(" ", paragraph)
    return len(html.html_to_text(words).split()) <= 8


def _leads_to(href: str, target: str, base: str) -> bool:
    """Whether a link (as written in markup) leads to ``target``, trailing "/" aside."""
    resolved = urls.safe_url(html_entities.unescape(href), base=base)
    return resolved is not None and resolved.rstrip("/") == target.rstrip("/")


_MEDIA_KEYS = ("media_content", "media_thumbnail", "media_credit", "media_player", "media_group")


def _content(entry: dict[str, Any], rss: bool) -> str:
    """The entry's content markup: the first HTML content, else the first other one. A plain-text
    content beside a summary in an RSS entry or one with media elements is a second description
    (the parser reads ``<media:description>`` or ``<itunes:summary>`` as content when a summary
    came first): a photo caption or a podcast's shorter blurb, not the story, so the summary
    stays the body."""
    found = [c for c in dict.get(entry, "content") or [] if isinstance(c, dict)]
    if not found:
        return ""
    for candidate in found:
        if "html" in str(candidate.get("type") or ""):
            return str(candidate.get("value") or "")
    media = any(dict.get(entry, key) for key in _MEDIA_KEYS)
    if (media or rss) and _str(entry, "summary"):
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


def _date(entry: dict[str, Any], key: str) -> datetime | None:
    """The entry's ``published`` or ``updated`` date in UTC: an RFC 822 date as publishers
    write it (month and day names in their language, a zone abbreviation such as "CET"), else
    what feedparser read (None when neither could)."""
    raw = _str(entry, key)
    parsed = _parsed_date(dict.get(entry, key + "_parsed"))
    if parsed is not None and _EXACT_ZONE.search(raw, max(0, len(raw) - 12)):
        return parsed  # read by feedparser, with a zone it knows: nothing to add (most feeds)
    return _local_date(raw) or parsed


# The end of a date whose zone feedparser reads right: an offset, GMT, UTC or "Z" (not an
# offset after a zone's name: "GMT+0100").
_EXACT_ZONE = re.compile(r"(?<![A-Za-z])(?:[+-]\d{2}:?\d{2}|gmt|utc|ut|z)\s*$", re.IGNORECASE)


def _parsed_date(value: object) -> datetime | None:
    """feedparser's UTC ``struct_time`` as an aware datetime (None when it could not parse)."""
    if not isinstance(value, time.struct_time):
        return None
    try:
        return datetime(*value[:6], tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None


# "Thu, 05 Mar 2026 14:30:00 CET", "Do, 05 Mär 2026 14:30:00 +0100", "jeu. 5 mars 2026 14:30".
_RFC822_LIKE = re.compile(
    r"(?:[^\W\d_]{1,12}\.?,?\s+)?(\d{1,2})\.?\s+([^\W\d_]{3,12})\.?,?\s+(\d{4}),?"
    r"(?:\s+|\s*[Tt]\s*)(\d{1,2}):(\d{2})(?::(\d{2}))?"
    r"(?:\s*([+-]\d{2}:?\d{2})|\s*([A-Za-z]{1,5})(?:\s*([+-]\d{2}:?\d{2}))?)?\s*"
)
# Month names and abbreviations by their first four, else three, letters (accents removed):
# English, German, French, Spanish, Italian, Portuguese, Dutch and Polish.
# fmt: off
_MONTHS = {
    **dict.fromkeys(("jan", "ene", "gen", "sty"), 1),
    **dict.fromkeys(("feb", "fev", "lut"), 2),
    **dict.fromkeys(("mar", "mrz", "mrt", "maa"), 3),
    **dict.fromkeys(("apr", "abr", "avr", "kwi"), 4),
    **dict.fromkeys(("may", "mai", "mag", "maj", "mei"), 5),
    **dict.fromkeys(("jun", "juin", "giu", "cze"), 6),
    **dict.fromkeys(("jul", "juil", "lug", "lip"), 7),
    **dict.fromkeys(("aug", "ago", "aou", "sie"), 8),
    **dict.fromkeys(("sep", "set", "wrz"), 9),
    **dict.fromkeys(("oct", "okt", "ott", "out", "paz"), 10),
    **dict.fromkeys(("nov", "lis"), 11),
    **dict.fromkeys(("dec", "dez", "dic", "gru"), 12),
}
# Zone abbreviations feeds use, in hours from UTC ("IST" and other ambiguous ones left out).
_ZONES = {
    "ut": 0, "utc": 0, "gmt": 0, "z": 0, "wet": 0, "wez": 0, "west": 1, "wesz": 1, "bst": 1,
    "cet": 1, "mez": 1, "cest": 2, "mesz": 2, "eet": 2, "oez": 2, "eest": 3, "oesz": 3,
    "msk": 3, "sast": 2, "est": -5, "edt": -4, "cst": -6, "cdt": -5, "mst": -7, "mdt": -6,
    "pst": -8, "pdt": -7, "akst": -9, "akdt": -8, "hst": -10, "ast": -4, "adt": -3,
    "nst": -3.5, "ndt": -2.5, "brt": -3, "art": -3, "jst": 9, "kst": 9, "hkt": 8, "sgt": 8,
    "awst": 8, "acst": 9.5, "acdt": 10.5, "aest": 10, "aedt": 11, "nzst": 12, "nzdt": 13,
}
# fmt: on


def _month(name: str) -> int | None:
    folded = unicodedata.normalize("NFKD", name.casefold())
    plain = "".join(c for c in folded if not unicodedata.combining(c))
    return _MONTHS.get(plain[:4]) or _MONTHS.get(plain[:3])


def _local_date(value: str) -> datetime | None:
    """An RFC 822-like date in UTC, month and day names in any of the languages above, the
    zone an offset or a known abbreviation (none: UTC); None for anything else."""
    match = _RFC822_LIKE.fullmatch(value.strip()) if len(value) <= 80 else None
    if match is None:
        return None
    day, month_name, year, hour, minute, second, offset, zone, zone_offset = match.groups()
    month = _month(month_name)
    if month is None:
        return None
    shift = timedelta(0)
    if offset:
        shift = items.offset_zone(offset).utcoffset(None) or shift
    elif zone:
        hours = _ZONES.get(zone.lower())
        if hours is None:
            return None
        shift = timedelta(hours=hours)
        if zone_offset:  # "GMT+0100"
            shift += items.offset_zone(zone_offset).utcoffset(None) or timedelta(0)
    try:
        when = datetime(int(year), month, int(day), int(hour), int(minute), int(second or 0))
        return (when - shift).replace(tzinfo=timezone.utc)
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
