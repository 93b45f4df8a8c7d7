"""Key points of an entry: heading-anchored list, else first short list, else first sentence.

Pure and linear-time: lists are found with one compiled pattern, the text before a list is
inspected by walking back over a bounded window, and a list is scanned once, token by token.
Rules (first match wins):

1. a ul/ol right after a heading or short paragraph (h1-h6, p, div, strong/b, span; text of at most
   ``ANCHOR_MAX_CHARS``) such as "Here's what to know", "Key points", "What we know", with only
   whitespace and closing tags between the two → its top-level items;
2. else the first top-level list of 2–10 items, each under ``ITEM_MAX_CHARS`` → its items;
3. else the first sentence of the plain-text summary, else of the HTML's text, else the title.
"""

from __future__ import annotations

import re
from itertools import islice

from widget.core.text import collapse_whitespace, first_sentence, html_to_text, truncate

__all__ = ["ANCHOR_MAX_CHARS", "ITEM_MAX_CHARS", "MAX_POINTS", "extract_key_points"]

MAX_POINTS = 8
ANCHOR_MAX_CHARS = 80  # text of a heading or short paragraph that announces a list
ITEM_MAX_CHARS = 300  # rule 2: every item of a plain list must be shorter than this
POINT_MAX_CHARS = 400  # any single key point is cut (with "…") beyond this
RULE2_MIN_ITEMS, RULE2_MAX_ITEMS = 2, 10

# Headings that announce key points. Apostrophes: straight, curly, modifier letter, backtick.
_PHRASE = re.compile(
    r"\b(?:here(?:['’ʼ`]?s| is) what to know|what we know(?: so far)?"
    r"|key (?:points|events|takeaways)|latest developments|at a glance|summary|to recap"
    r"|the latest)\b",
    re.IGNORECASE,
)
# A list start (case-insensitive by hand: keeps the literal "<" prefix the regex engine scans for).
_LIST_OPEN = re.compile(r"<[uUoO][lL](?=[\s/>])")
# The tokens that give a list its structure. Group 1: "/" for a closing tag; group 2: the name.
_LIST_TOKEN = re.compile(r"<(/?)([uUoO][lL]|[lL][iI])(?=[\s/>])[^<>]*>")
# The name of the tag at a position found by rfind("<").
_TAG_AT = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9]*)")

# Elements that can announce a list; the first three kinds end the walk back, the others may sit
# inside a paragraph ("<p><strong>Key points</strong></p>") so the walk goes on past them.
_BLOCK_ANCHORS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "p", "div"})
_INLINE_ANCHORS = frozenset({"strong", "b", "span"})
# Inline elements that may wrap part of an announcing text ("Here's <em>what</em> to know").
_INLINE = frozenset(
    {"a", "abbr", "b", "code", "em", "font", "i", "mark", "small", "span", "strong", "time", "u"}
)
# How far back (in characters of HTML) the text announcing a list may start.
_ANCHOR_WINDOW = 1000
# Rules 1 and 2 look at the first lists only (real entries have a handful; hostile input may
# hold hundreds of thousands).
_MAX_LISTS = 64
# Above this size, rule 3 converts only the start of the HTML (it needs one sentence).
_RULE3_HTML_WINDOW = 8192


def extract_key_points(
    html: str | None, *, summary: str = "", title: str = "", limit: int = MAX_POINTS
) -> tuple[str, ...]:
    """Key points, each plain text, at most ``limit``.

    1. a ul/ol right after a heading or short paragraph such as "Here's what to know", "Key points"…
    2. else the first list of 2–10 items, each under about 300 characters;
    3. else the first sentence of the plain-text ``summary`` (or of ``html``'s text);
       else ``title``.

    Empty items are skipped and repeated ones dropped; a point longer than ``POINT_MAX_CHARS`` is
    cut with "…". Nested lists belong to their top-level item (their text is joined into it).
    """
    if limit <= 0:
        return ()
    if html and _LIST_OPEN.search(html) is not None:
        points = _anchored_list(html, limit) or _first_short_list(html, limit)
        if points:
            return points
    return _first_sentence_point(html, summary, title)


# --- rule 1 -------------------------------------------------------------------------------------


def _anchored_list(html: str, limit: int) -> tuple[str, ...]:
    scanned_until = 0  # lists inside a list already scanned are part of it
    for m in islice(_LIST_OPEN.finditer(html), _MAX_LISTS):
        if m.start() < scanned_until or not _announced(html, m.start()):
            continue
        items, scanned_until = _list_items(html, m.start(), stop_after=None)
        points = _points(items, limit)
        if points:
            return points
    return ()


def _announced(html: str, list_start: int) -> bool:
    """Whether the list at ``list_start`` comes right after an announcing heading or paragraph."""
    lo = max(0, list_start - _ANCHOR_WINDOW)
    # Step back over whitespace, closing tags, <br> and comments to the end of the anchor's text.
    end = list_start
    while True:
        while end > lo and html[end - 1].isspace():
            end -= 1
        if end <= lo or html[end - 1] != ">":
            break
        lt = html.rfind("<", lo, end - 1)
        if lt < 0:
            return False
        tag = _TAG_AT.match(html, lt)
        if html.startswith("<!", lt) or (
            tag is not None and (tag.group(1) or tag.group(2).lower() == "br")
        ):
            end = lt
            continue
        break
    # Walk back over text and inline tags; at each announcing element, test its text.
    start = end
    while start > lo:
        lt = html.rfind("<", lo, start)
        if lt < 0:
            return False
        tag = _TAG_AT.match(html, lt)
        if tag is None:
            return False
        closing, name = tag.group(1), tag.group(2).lower()
        if not closing and (name in _BLOCK_ANCHORS or name in _INLINE_ANCHORS):
            gt = html.find(">", lt, end)
            if gt < 0:
                return False
            text = html_to_text(html[gt + 1 : end])
            if len(text) > ANCHOR_MAX_CHARS:
                return False
            if _PHRASE.search(text) is not None:
                return True
            if name in _BLOCK_ANCHORS:
                return False
        elif name not in _INLINE:
            return False
        start = lt
    return False


# --- rule 2 -------------------------------------------------------------------------------------


def _first_short_list(html: str, limit: int) -> tuple[str, ...]:
    scanned_until = 0
    for m in islice(_LIST_OPEN.finditer(html), _MAX_LISTS):
        if m.start() < scanned_until:
            continue
        items, scanned_until = _list_items(html, m.start(), stop_after=RULE2_MAX_ITEMS)
        texts = [t for t in map(html_to_text, items) if t]
        if (
            len(items) <= RULE2_MAX_ITEMS
            and len(texts) >= RULE2_MIN_ITEMS
            and all(len(t) < ITEM_MAX_CHARS for t in texts)
        ):
            return _points(texts, limit, plain=True)
    return ()


# --- shared -------------------------------------------------------------------------------------


def _list_items(html: str, start: int, *, stop_after: int | None) -> tuple[list[str], int]:
    """The HTML of each top-level item of the list opening at ``start``, and where the list ends.

    With ``stop_after``, items beyond ``stop_after + 1`` are not collected (the caller only needs
    to know there are too many), but the scan still runs to the list's end. An unclosed list or
    item ends at the end of the document.
    """
    items: list[str] = []
    depth = 0
    item_start = -1
    for tok in _LIST_TOKEN.finditer(html, start):
        closing, name = tok.group(1), tok.group(2).lower()
        if name != "li":
            depth += -1 if closing else 1
            if depth > 0:
                continue
            if item_start >= 0:
                items.append(html[item_start : tok.start()])
            return items, tok.end()
        if depth != 1:
            continue
        if item_start >= 0:  # "</li>", or a "<li>" that implicitly closes the open item
            items.append(html[item_start : tok.start()])
            item_start = -1
        if not closing and (stop_after is None or len(items) <= stop_after):
            item_start = tok.end()
    if item_start >= 0:
        items.append(html[item_start:])
    return items, len(html)


def _points(items: list[str], limit: int, *, plain: bool = False) -> tuple[str, ...]:
    """Up to ``limit`` distinct, non-empty plain-text points from item HTML (or plain text)."""
    points: list[str] = []
    seen: set[str] = set()
    for item in items:
        text = item if plain else html_to_text(item)
        if not text:
            continue
        key = text.casefold()
        if key in seen:
            continue
        seen.add(key)
        points.append(truncate(text, POINT_MAX_CHARS))
        if len(points) >= limit:
            break
    return tuple(points)


# --- rule 3 -------------------------------------------------------------------------------------


def _first_sentence_point(html: str | None, summary: str, title: str) -> tuple[str, ...]:
    text = collapse_whitespace(summary) if summary else ""
    if not text and html:
        text = _leading_text(html)
    if text:
        return (first_sentence(text),)
    title = collapse_whitespace(title) if title else ""
    return (truncate(title, POINT_MAX_CHARS),) if title else ()


def _leading_text(html: str) -> str:
    """The text of ``html``, or of its start when it is large (enough for one sentence)."""
    if len(html) > _RULE3_HTML_WINDOW:
        cut = html.rfind(">", 0, _RULE3_HTML_WINDOW) + 1  # never inside a tag
        text = html_to_text(html[:cut]) if cut > 0 else ""
        if len(text) > 2 * ITEM_MAX_CHARS:
            return text
    return html_to_text(html)
