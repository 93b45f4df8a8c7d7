"""Helpers shared by the source parsers: charsets, a bounded HTML scan, dates, item building.

Pure functions over bytes and strings; nothing here fetches or touches Qt.
"""

from __future__ import annotations

import codecs
import email.utils
import html
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from widget.core import keypoints, text, urls
from widget.core.models import Item

SUMMARY_LIMIT = 1000  # characters of plain-text summary kept per item
TITLE_LIMIT = 300  # a title made from the first sentence of a body
MAX_ITEMS = 1000  # entries kept from one response; the rest are reported in a warning
MAX_JSONLD_BLOCKS = 500  # JSON-LD script blocks read from one page
MAX_JSONLD_CHARS = 5_000_000  # characters kept of one JSON-LD block
MAX_BODY_CHARS = 1_000_000  # characters of rebuilt body markup handed to key points
MAX_ALTERNATES = 50
MAX_ATTR_CHARS = 4096  # longer href/type/rel values are ignored

_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([\w.:-]{1,40})""", re.IGNORECASE)
_META_CHARSET_RE = re.compile(rb"""<meta[^>]{0,500}?charset\s*=\s*["']?([\w.:-]{1,40})""", re.I)


def header(headers: Mapping[str, str], name: str) -> str:
    """A response header by case-insensitive name ("" when absent)."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        for key, val in headers.items():
            if key.lower() == lowered:
                return val
        return ""
    return value


def media_type(headers: Mapping[str, str]) -> str:
    """The Content-Type without parameters, lower-case ("" when absent)."""
    return header(headers, "content-type").split(";", 1)[0].strip().lower()


def _known_codec(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def bom_codec(body: bytes) -> str | None:
    """The encoding a byte-order mark announces, if any."""
    if body.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if body.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        return "utf-32"
    if body.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return None


def decode_html(body: bytes, headers: Mapping[str, str]) -> str:
    """An HTML body as text: byte-order mark, then the Content-Type charset, then a
    ``<meta charset>`` near the top, then UTF-8, falling back to windows-1252."""
    bom = bom_codec(body)
    if bom:
        return body.decode(bom, errors="replace")
    declared = _CHARSET_RE.search(header(headers, "content-type"))
    codec = _known_codec(declared.group(1) if declared else None)
    if codec is None:
        meta = _META_CHARSET_RE.search(body[:4096])
        codec = _known_codec(meta.group(1).decode("ascii") if meta else None)
    if codec in ("utf-16", "utf-32"):  # a meta tag cannot really say this; the bytes would differ
        codec = None
    if codec is not None and codec != "utf-8":
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        if codec == "utf-8":
            return body.decode("utf-8", errors="replace")
        return body.decode("windows-1252", errors="replace")


def sniff_text(body: bytes, limit: int = 4096) -> str:
    """The start of ``body`` as text, good enough to look at markup and JSON punctuation."""
    head = body[:limit]
    bom = bom_codec(head)
    if bom:
        return head.decode(bom, errors="ignore").lstrip("\ufeff")
    if len(head) >= 2 and head[0] == 0 and head[1] != 0:
        return head.decode("utf-16-be", errors="ignore")
    if len(head) >= 2 and head[0] != 0 and head[1] == 0:
        return head.decode("utf-16-le", errors="ignore")
    return head.decode("latin-1")


_ROOT_RE = re.compile(r"<([A-Za-z_][\w:.-]*)")
_SUBSET_END = re.compile(r"\]\s*>")
_LEADING_SPACE = re.compile(r"\s*")


def root_element(body: bytes) -> str:
    """The lower-case local name of the first element ("" when the start is not markup).

    Looks at the first 64 KB only (a prolog longer than that yields ""), moving forward only."""
    sample = sniff_text(body, 65536)
    pos = 0
    while True:
        pos = _LEADING_SPACE.match(sample, pos).end()  # type: ignore[union-attr]
        if sample.startswith("<?", pos):
            end, skip = sample.find("?>", pos + 2), 2
        elif sample.startswith("<!--", pos):
            end, skip = sample.find("-->", pos + 4), 3
        elif sample[pos : pos + 9].upper() == "<!DOCTYPE":
            bracket, close = sample.find("[", pos), sample.find(">", pos)
            if 0 <= bracket < close or (close < 0 <= bracket):
                found = _SUBSET_END.search(sample, bracket)
                end, skip = (found.start(), found.end() - found.start()) if found else (-1, 0)
            else:
                end, skip = close, 1
        else:
            break
        if end < 0:
            return ""
        pos = end + skip
    root = _ROOT_RE.match(sample, pos)
    if root is None:
        return ""
    return root.group(1).rsplit(":", 1)[-1].lower()


def looks_like_html(body: bytes, headers: Mapping[str, str]) -> bool:
    """True when the body is an HTML page (by its first element, or its type when unsure)."""
    root = root_element(body)
    if root:
        return root in ("html", "head", "body")
    start = sniff_text(body, 1024).lstrip().lower()
    return start.startswith("<!doctype html") or media_type(headers) == "text/html"


# --- dates ---------------------------------------------------------------------------------

_ISO_RE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?)?"
)


def parse_date(value: object) -> datetime | None:
    """An RFC 3339 / ISO 8601 (or RFC 822) date as an aware UTC datetime; None when unusable.
    A date without an offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip() or len(value) > 100:
        return None
    value = value.strip()
    try:
        match = _ISO_RE.fullmatch(value)
        if match:
            year, month, day, hour, minute, sec, frac, zone = match.groups()
            micro = int((frac or "0").ljust(6, "0")[:6])
            parsed = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                int(sec or 0), micro, tzinfo=_zone(zone),
            )  # fmt: skip
        else:
            parsed = email.utils.parsedate_to_datetime(value)
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
        return parsed.astimezone(timezone.utc)
    except (ValueError, OverflowError, TypeError, IndexError):
        return None


def _zone(zone: str | None) -> timezone:
    if not zone or zone in ("Z", "z"):
        return timezone.utc
    sign = -1 if zone[0] == "-" else 1
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


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
) -> Item:
    """One Item from a parser's raw fields, the same way for every source kind.

    Identity (fixed once shipped): ``guid`` verbatim, else ``link`` verbatim, else
    ``stable_hash(plain title, ISO date or "", content-or-summary markup)``."""
    body_html = content_html or summary_html or ""
    summary_plain = text.html_to_text(summary_html) if summary_html else ""
    if not summary_plain and content_html:
        summary_plain = text.html_to_text(content_html)
    title = text.html_to_text(title_html) if title_html else ""
    if not title and summary_plain:
        title = text.truncate(text.first_sentence(summary_plain), TITLE_LIMIT)
    if guid:
        identity = guid
    elif link:
        identity = link
    else:
        when = published or updated
        identity = text.stable_hash(title, when.isoformat() if when else "", body_html)
    points = keypoints.extract_key_points(body_html, summary=summary_plain, title=title)
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


# --- a bounded scan of an HTML page --------------------------------------------------------

_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
)
# Elements whose content is not the page's reading matter (for page-level key points).
_SKIP = frozenset(
    {"head", "title", "script", "style", "noscript", "template", "svg", "math", "nav"}
    | {"footer", "form", "iframe", "object", "select", "button"}
)


@dataclass
class HtmlScan:
    """What one pass over an HTML page found."""

    title: str = ""
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (type, href)
    jsonld: list[str] = field(default_factory=list)
    jsonld_dropped: int = 0  # blocks over MAX_JSONLD_BLOCKS
    body_html: str = ""  # visible markup, tags without attributes, text escaped


_TAG_NAME = re.compile(r"[A-Za-z][^\s/>]*")
_ATTR_NAME = re.compile(r"[^\s/>][^\s/>=]*")
_UNQUOTED = re.compile(r"[^\s>]*")
_SPACE = re.compile(r"\s*")
_SCRIPT_START = re.compile(r"<script[\s>]", re.IGNORECASE)
_STRAY_LT = re.compile(r"(?:<(?![A-Za-z!?/]))+[^<]*")
_RAW_TEXT = ("script", "style", "title", "textarea", "xmp")  # content is text up to </name
_RAW_END = {name: re.compile(rf"</{name}[\s/>]", re.IGNORECASE) for name in _RAW_TEXT}
MAX_ATTRS = 64


class _Scanner:
    """A forgiving HTML tokenizer that only moves forward (linear time on any input).

    Python's ``html.parser`` rescans unterminated constructs and goes quadratic on inputs such
    as a page of ``<a <a <a`` or ``<!<!<!``; a live page is untrusted input, so this one never
    looks at a character twice more than a bounded number of times."""

    def __init__(self) -> None:
        self.scan = HtmlScan()
        self._title_done = False
        self._skip: list[str] = []
        self._body: list[str] = []
        self._body_len = 0

    def run(self, page: str) -> HtmlScan:
        pos, n = 0, len(page)
        while pos < n:
            if self._body_len >= MAX_BODY_CHARS:  # past the markup key points need:
                found = _SCRIPT_START.search(page, pos)  # only JSON-LD blocks still matter
                if found is None:
                    break
                pos = found.start()
            lt = page.find("<", pos)
            if lt < 0:
                self._text(page[pos:])
                break
            if lt > pos:
                self._text(page[pos:lt])
            pos = self._markup(page, lt)
        self.scan.body_html = "".join(self._body)
        return self.scan

    def _markup(self, page: str, lt: int) -> int:
        """Handle the construct at ``page[lt] == "<"``; returns where scanning goes on."""
        after = page[lt + 1 : lt + 2]
        if page.startswith("<!--", lt):
            end = page.find("-->", lt + 4)
            return len(page) if end < 0 else end + 3
        if after in ("!", "?"):
            end = page.find(">", lt + 2)
            return len(page) if end < 0 else end + 1
        if after == "/":
            end = page.find(">", lt + 2)
            name = _TAG_NAME.match(page, lt + 2)
            if name is not None and (end < 0 or name.end() <= end):
                self._end(name.group(0).lower())
            return len(page) if end < 0 else end + 1
        if after.isascii() and after.isalpha():
            return self._start_tag(page, lt)
        stray = _STRAY_LT.match(page, lt)  # "<" that opens nothing, and the text after it
        assert stray is not None
        self._text(stray.group(0))
        return stray.end()

    def _start_tag(self, page: str, lt: int) -> int:
        name_match = _TAG_NAME.match(page, lt + 1)
        assert name_match is not None  # the caller saw a letter
        tag, pos, n = name_match.group(0).lower(), name_match.end(), len(page)
        attrs: list[tuple[str, str | None]] = []
        closed = False
        while True:
            pos = _SPACE.match(page, pos).end()  # type: ignore[union-attr]
            if pos >= n:
                return n
            char = page[pos]
            if char == ">":
                pos += 1
                break
            if char == "/":
                closed = page.startswith("/>", pos)
                pos += 1
                continue
            closed = False
            key = _ATTR_NAME.match(page, pos)
            assert key is not None  # page[pos] is neither space, "/" nor ">"
            pos = _SPACE.match(page, key.end()).end()  # type: ignore[union-attr]
            value: str | None = None
            if page.startswith("=", pos):
                pos = _SPACE.match(page, pos + 1).end()  # type: ignore[union-attr]
                if pos < n and page[pos] in "\"'":
                    close = page.find(page[pos], pos + 1)
                    if close < 0:
                        return n
                    value, pos = page[pos + 1 : close], close + 1
                else:
                    bare = _UNQUOTED.match(page, pos)
                    assert bare is not None  # the pattern matches the empty string
                    value, pos = bare.group(0), bare.end()
            if len(attrs) < MAX_ATTRS:
                if value and "&" in value and len(value) <= MAX_ATTR_CHARS:
                    value = html.unescape(value)
                attrs.append((key.group(0).lower(), value))
        self._start(tag, attrs, closed)
        if tag in _RAW_END and not closed:
            end = _RAW_END[tag].search(page, pos)
            content = page[pos : end.start() if end else n]
            self._raw(tag, attrs, content)
            self._end(tag)
            if end is None:
                return n
            close = page.find(">", end.start())
            return n if close < 0 else close + 1
        return pos

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], closed: bool) -> None:
        if tag == "link":
            self._link(attrs)
        elif tag == "body":
            self._skip.clear()  # an unclosed <head> ends here
        if tag in _SKIP:
            if not closed:
                self._skip.append(tag)
        elif not self._skip:
            self._emit(f"<{tag}>")

    def _end(self, tag: str) -> None:
        if tag in self._skip:
            while self._skip and self._skip.pop() != tag:
                pass
        elif not self._skip:
            self._emit(f"</{tag}>")

    def _raw(self, tag: str, attrs: list[tuple[str, str | None]], content: str) -> None:
        if tag == "script":
            kind = _attr(attrs, "type").split(";", 1)[0].strip().lower()
            if kind != "application/ld+json":
                return
            if len(self.scan.jsonld) < MAX_JSONLD_BLOCKS:
                self.scan.jsonld.append(content[:MAX_JSONLD_CHARS])
            else:
                self.scan.jsonld_dropped += 1
        elif tag == "title" and not self._title_done and not self._in_svg():
            self.scan.title = " ".join(html.unescape(content[:10_000]).split())
            self._title_done = True
        elif tag in ("textarea", "xmp") and not self._skip:
            self._text(content)

    def _in_svg(self) -> bool:
        return "svg" in self._skip or "math" in self._skip

    def _text(self, data: str) -> None:
        if not self._skip and self._body_len < MAX_BODY_CHARS:
            if "&" in data:
                data = html.unescape(data)
            self._emit(html.escape(data, quote=False))

    def _emit(self, chunk: str) -> None:
        if self._body_len < MAX_BODY_CHARS:
            self._body.append(chunk)
            self._body_len += len(chunk)

    def _link(self, attrs: list[tuple[str, str | None]]) -> None:
        rel = _attr(attrs, "rel").lower().split()
        kind = _attr(attrs, "type").split(";", 1)[0].strip().lower()
        href = _attr(attrs, "href").strip()
        wanted = "alternate" in rel and kind in _FEED_TYPES and href
        if wanted and len(self.scan.alternates) < MAX_ALTERNATES:
            self.scan.alternates.append((kind, href))


def _attr(attrs: list[tuple[str, str | None]], name: str) -> str:
    for key, value in attrs:
        if key == name and value is not None and len(value) <= MAX_ATTR_CHARS:
            return value
    return ""


def scan_html(page: str) -> HtmlScan:
    """One pass over an HTML page: its title, feed links, JSON-LD blocks and visible markup."""
    return _Scanner().run(page)
