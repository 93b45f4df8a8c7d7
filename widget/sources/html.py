"""The one HTML parser: decode a body, build its tree once, and read everything from that tree.

Every HTML job of the sources (plain text, the page's main content, key points, JSON-LD,
microdata, tickers) reads the tree built here by Lexbor (through selectolax), an HTML5 parser
that builds the same tree a browser does. Markup is never rendered: what leaves this module is
plain text, with entities decoded by the parser (once).

Lexbor's tree builder costs time in proportion to the nesting depth for each start tag, so a
hostile page of a million nested elements would take hours. Bodies with many tags are first
scanned for their nesting depth and, past ``MAX_DEPTH``, the tags that would nest deeper are
dropped (browsers cap their trees in the same way).
"""

from __future__ import annotations

import codecs
import re
import sys
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import timedelta, timezone, tzinfo
from functools import partial
from itertools import accumulate
from operator import add

from selectolax.lexbor import LexborHTMLParser, LexborNode

from widget.core import keypoints
from widget.core.text import collapse_whitespace

MAX_JSONLD_BLOCKS = 500  # JSON-LD script blocks read from one page
MAX_JSONLD_CHARS = 5_000_000  # a longer JSON-LD block: only its first updates are read
MAX_ALTERNATES = 50
MAX_ATTR_CHARS = 4096  # longer href/type/rel values are ignored
MAX_DEPTH = 512  # elements nested deeper than this are flattened
DEPTH_SCAN_TAGS = 6000  # bodies with fewer "<" than this cannot nest deep enough to matter
MAX_UNESCAPE_ROUNDS = 3  # "&amp;lt;b&amp;gt;" needs two rounds
LIST_SCAN_LIMIT = 400  # lists looked at for key points in one container
ITEM_SCAN_LIMIT = 60  # items read from one list

# --- charsets and sniffing ------------------------------------------------------------------

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


def _page_codec(body: bytes, headers: Mapping[str, str]) -> str | None:
    """The declared encoding: Content-Type charset, else a ``<meta charset>`` near the top."""
    declared = _CHARSET_RE.search(header(headers, "content-type"))
    codec = _known_codec(declared.group(1) if declared else None)
    if codec is None:
        meta = _META_CHARSET_RE.search(body[:4096])
        codec = _known_codec(meta.group(1).decode("ascii") if meta else None)
    if codec in ("utf-16", "utf-32"):  # a meta tag cannot really say this; the bytes would differ
        codec = None
    return codec


def decode_html(body: bytes, headers: Mapping[str, str]) -> str:
    """An HTML body as text: byte-order mark, then the Content-Type charset, then a
    ``<meta charset>`` near the top, then UTF-8, falling back to windows-1252."""
    bom = bom_codec(body)
    if bom:
        return body.decode(bom, errors="replace")
    codec = _page_codec(body, headers)
    if codec is not None and codec != "utf-8":
        return body.decode(codec, errors="replace")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        if codec == "utf-8":
            return body.decode("utf-8", errors="replace")
        return body.decode("windows-1252", errors="replace")


def _parser_input(body: bytes, headers: Mapping[str, str]) -> bytes | str:
    """What the parser reads: UTF-8 bytes as they are (no decode and re-encode), else text."""
    if bom_codec(body) is None and (
        body.isascii() or _page_codec(body, headers) in (None, "utf-8")
    ):
        if body.isascii():
            return body
        try:
            body.decode("utf-8")
        except UnicodeDecodeError:
            return decode_html(body, headers)
        return body
    return decode_html(body, headers)


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


# --- bounded nesting --------------------------------------------------------------------------

_TAG_NAME_B = re.compile(rb"<(/?)([a-z][a-z0-9-]{0,31})")
_VOID = frozenset(
    b"area base br col embed hr img input link meta source track wbr param keygen frame "
    b"basefont bgsound".split()
)
# Elements that a start tag of the same name closes instead of nesting into.
_SIBLINGS = frozenset(
    b"p li dt dd option optgroup tr td th rt rp thead tbody tfoot colgroup caption a nobr "
    b"form button".split()
)


def _atomic(pattern: bytes) -> re.Pattern[bytes]:
    """``pattern`` compiled with its possessive quantifiers (``*+``, ``{m,n}+``) where the
    interpreter has them (3.11 and later). In these patterns they only skip backtracking that
    can never lead to a match (each run is followed by a character it cannot hold), so earlier
    interpreters find the same matches, more slowly."""
    if sys.version_info < (3, 11):
        pattern = pattern.replace(b"*+", b"*").replace(b"}+", b"}")
    return re.compile(pattern)


# Comments, declarations and void tags: nothing in them nests. (Every part of these patterns
# stops at the next "<", so a search costs time in proportion to the body.)
_FLAT = _atomic(
    rb"(<[!?][^<>]*+>|<(?:area|base|br|col|embed|hr|img|input|link|meta|source|track|wbr|param"
    rb"|keygen|frame|basefont|bgsound)\b[^<>]*+>)"
)
# An element holding text and elements that hold text only: a subtree at most two levels high.
_LOW = _atomic(
    rb"(<([a-z][a-z0-9-]{0,31}+)(?:[\s/][^<>]*+)?>[^<]*+"
    rb"(?:<([a-z][a-z0-9-]{0,31}+)(?:[\s/][^<>]*+)?>[^<]*+</\3\s*+>[^<]*+)*+</\2\s*+>)"
)
REDUCE_PASSES = 4  # each sets aside the subtrees up to two levels high that are left

_STRAY_DEPTH = 64  # below this many open elements, an end tag that closes nothing is kept
_Map = tuple[list[int], list[int]]


def _reduce(document: bytes, pattern: re.Pattern[bytes], step: int) -> tuple[bytes, _Map | None]:
    """``document`` without the matches of ``pattern`` (found and cut in C), and the map from
    positions in the result back to positions in ``document``: the start of each kept piece in
    the result, and (one place further on) how many bytes were cut before it."""
    parts = pattern.split(document)
    if len(parts) == 1:
        return document, None
    kept = parts[0::step]
    starts = list(accumulate(map(len, kept), initial=0))
    cut = [0, *accumulate(map(len, parts[1::step]), initial=0)]
    return b"".join(kept), (starts, cut)


def _unmap(positions: list[int], maps: list[_Map]) -> list[int]:
    """Positions (in order) in the reduced document back to positions in the original. Each map
    moves a position by the bytes cut before the piece holding it (the loops run in C)."""
    for starts, cut in reversed(maps):
        shifts = map(cut.__getitem__, map(partial(bisect_right, starts), positions))
        positions = list(map(add, positions, shifts))
    return positions


def _too_deep(tags: Iterable[tuple[bytes, bytes]], limit: int) -> set[int]:
    """Indexes (in ``tags``) of start tags that would nest deeper than ``limit``, and of the end
    tags that close them. Follows the tree builder roughly: void elements do not nest, a start
    tag of a list item, paragraph, cell… closes an open one of the same name, an end tag closes
    the nearest open element of its name (among the last 64). Deep in the tree, end tags that
    close nothing are dropped as well: the parser would ignore them, or (``</p>``) add an empty
    element, each time after a search through every open element."""
    names: list[bytes] = []  # the open elements, innermost last
    flags: list[bool] = []  # whether each of them was dropped
    opened: dict[bytes, int] = {}  # how many open elements have each name
    depth = 0  # open elements kept
    dropped: set[int] = set()
    for index, (slash, name) in enumerate(tags):
        if slash:
            if not opened.get(name):  # nothing of that name is open: the parser ignores it…
                if len(names) > _STRAY_DEPTH and name != b"br":  # ("</br>" is read as "<br>")
                    dropped.add(index)  # …after a search through every open element
                continue
            top = len(names) - 1
            back = top
            while names[back] != name:
                back -= 1
                if back < 0 or back <= top - 64:
                    break
            else:
                if flags[back]:
                    dropped.add(index)
                for closed in range(back, top + 1):
                    opened[names[closed]] -= 1
                    if not flags[closed]:
                        depth -= 1
                del names[back:], flags[back:]
            continue
        if name in _VOID:
            continue
        if names and names[-1] == name and name in _SIBLINGS:
            names.pop()
            opened[name] -= 1
            if not flags.pop():
                depth -= 1
        names.append(name)
        opened[name] = opened.get(name, 0) + 1
        flags.append(depth >= limit)
        if depth >= limit:
            dropped.add(index)
        else:
            depth += 1
    return dropped


def bound_nesting(document: bytes | str, limit: int = MAX_DEPTH) -> bytes | str:
    """``document`` with start tags that would nest deeper than ``limit`` removed (their
    content stays, one level up). Cheap for ordinary pages: only a body with many tags is
    scanned, and only what remains once comments, void tags, raw text and every subtree up to
    ``2 * REDUCE_PASSES`` levels high are set aside (in C, by regular expressions); a subtree that
    low never makes its parent too deep, so it is kept as it is."""
    if isinstance(document, str):
        if document.count("<") < DEPTH_SCAN_TAGS:
            return document
        raw = document.encode("utf-8", "replace")
    elif document.count(b"<") < DEPTH_SCAN_TAGS:
        return document
    else:
        raw = document
    rest, found = _reduce(raw.lower(), _FLAT, 2)
    maps = [found] if found else []
    height = 1 if found else 0  # subtrees up to this height are set aside (a void tag is one)
    left = rest.count(b"<")
    for _ in range(REDUCE_PASSES):
        if left <= limit - 2 * REDUCE_PASSES - 1:
            return document  # too few tags left to nest too deep
        reduced, found = _reduce(rest, _LOW, 4)
        if found is None:
            break
        tags, left = left, reduced.count(b"<")
        if left > tags * 0.98:
            left = tags
            break  # the pass barely shrinks what is left: scan that as it is (one map fewer)
        rest = reduced
        maps.append(found)
        height += 2
    parts = _TAG_NAME_B.split(rest)  # text, "/" or "", name, text, …
    slashes, names = parts[1::3], parts[2::3]
    drop = _too_deep(zip(slashes, names, strict=True), limit - height)
    if not drop:
        return document
    # where each tag starts in ``rest``: the text before it and the tags and texts before that
    steps = map(add, map(len, slashes), map(len, names))
    steps = map(add, steps, map(len, parts[3::3]))
    at = list(accumulate(map((1).__add__, steps), initial=len(parts[0])))
    pieces: list[bytes] = []
    pos = 0
    for start in _unmap([at[index] for index in sorted(drop)], maps):
        if start < pos:
            continue
        pieces.append(raw[pos:start])
        end = raw.find(b">", start)
        pos = len(raw) if end < 0 else end + 1
    pieces.append(raw[pos:])
    return b"".join(pieces)


# --- text from the tree -----------------------------------------------------------------------

# Elements whose content is never text a person reads here.
HIDDEN_TAGS = (
    "script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed",
    "canvas", "video", "audio", "select", "button", "input", "textarea", "head",
)  # fmt: skip
_SEP = "\x1f"  # stands for an element boundary until the text is joined
_CLOSERS = frozenset(".,;:!?)]}»”’%…")  # no space before these at an element boundary
# nor after these: opening punctuation, and the sign of a hashtag or mention, whose word often
# sits in an element of its own (a social post's "#<span>traffic</span>", "@<span>user</span>")
_OPENERS = frozenset("([{«“‘¿¡#@")
# Inline formatting that may sit inside a word ("Bold<b>er</b>"): no word boundary.
_INLINE_JOIN = frozenset(
    ("b", "strong", "i", "em", "u", "s", "sub", "sup", "mark", "abbr", "font", "ins", "del", "q")
)


def join_text(raw: str) -> str:
    """Text with element boundaries (``_SEP``) turned into word boundaries: a space, except
    before closing punctuation (and "'s") and after opening punctuation. Whitespace next to a
    boundary belongs to it."""
    if _SEP not in raw:
        return collapse_whitespace(raw)
    out: list[str] = []
    for part in raw.split(_SEP):
        piece = part.strip()
        if not piece:
            continue
        if out and not (piece[0] in _CLOSERS or out[-1][-1] in _OPENERS or _possessive(piece)):
            out.append(" ")
        out.append(piece)
    return collapse_whitespace("".join(out))


def _possessive(piece: str) -> bool:
    """Whether ``piece`` opens with a possessive "'s" (the boundary was inside a word)."""
    if not piece.startswith("'s"):
        return False
    return len(piece) == 2 or not (piece[2].isalnum() or piece[2] == "_")


# Class words of the labels around a post's words: its time, date, byline, source, share tools.
_LABEL_WORDS = re.compile(
    r"(?:^|[\s_-])(?:time|date|datetime|timestamp|stamp|author|authors|byline|avatar|source|"
    r"credit|credits|meta|updated|share|sharing|tools|toolbar|social|label|kicker)(?:$|[\s_-])",
    re.IGNORECASE,
)


def is_label(node: LexborNode) -> bool:
    """Whether an element holds a label (time, byline, source, share tools), not words."""
    words = attr(node, "class")
    return bool(words) and _LABEL_WORDS.search(words) is not None


def node_text(node: LexborNode, skip: frozenset[str] = frozenset()) -> str:
    """The plain text of ``node``: element boundaries are word boundaries (inline formatting
    such as ``<b>`` or ``<em>`` excepted). Elements named in ``skip`` (times, figures…) and, when
    skipping, label elements (bylines, sources, share tools) leave their text out."""
    text = join_text("".join(_texts(node, skip)))
    if "<" in text and _TAG_LIKE.search(text):  # escaped markup, shown as text: unwrap it
        text = html_to_text(text)
    return text


def _texts(node: LexborNode, skip: frozenset[str]) -> Iterator[str]:
    """Text nodes under ``node`` in document order with ``_SEP`` at element boundaries,
    skipping the subtrees named in ``skip``."""
    stack: list[LexborNode] = []
    child = node.child
    while True:
        while child is not None:
            tag = child.tag or ""
            if tag == "-text":
                yield child.text_content or ""
            elif not tag.startswith("-"):
                inline = tag in _INLINE_JOIN
                if not inline:
                    yield _SEP
                if child.child is not None and tag not in skip and not (skip and is_label(child)):
                    stack.append(child)
                    child = child.child
                    continue
            child = child.next
        while stack and child is None:
            parent = stack.pop()
            if (parent.tag or "") not in _INLINE_JOIN:
                yield _SEP
            child = parent.next
        if child is None:
            return


# A start tag of a hidden element: searched as it is in lower-cased markup, else ignoring case.
_HIDDEN_NAME = re.compile(r"<(" + "|".join(HIDDEN_TAGS) + r")[\s/>]")
_HIDDEN_NAME_B = re.compile(_HIDDEN_NAME.pattern.encode())
_HIDDEN_START = re.compile(_HIDDEN_NAME.pattern, re.IGNORECASE)


# A data attribute's name (or such a word in text: "metadata-…" gives one more name): one search
# for "data-" in C; a page names a few hundred kinds at most.
_DATA_NAME_B = re.compile(rb"data-[a-z0-9_.:-]{1,40}")
_DATA_NAME = re.compile(_DATA_NAME_B.pattern.decode("ascii"))


def _data_attributes(lowered: bytes | str) -> frozenset[str]:
    """The ``data-*`` attribute names the (lower-cased) markup holds."""
    if isinstance(lowered, bytes):
        return frozenset(m.decode("ascii") for m in set(_DATA_NAME_B.findall(lowered)))
    return frozenset(_DATA_NAME.findall(lowered))


def _present_tags(lowered: bytes | str, names: tuple[str, ...]) -> list[str]:
    """Which of the hidden element ``names`` the (lower-cased) markup opens at all (a few scans
    in C: stripping an absent tag would still cost the parser a pass over the whole tree)."""
    if isinstance(lowered, bytes):
        found = {m.decode("ascii") for m in _HIDDEN_NAME_B.findall(lowered)}
    else:
        found = set(_HIDDEN_NAME.findall(lowered))
    # "head" is always in the tree (the parser makes one), whatever the markup says
    return [name for name in names if name in found or name == "head"]


def fragment_body(markup: str) -> LexborNode | None:
    """A fragment of markup (a feed entry, a JSON-LD body) parsed into a tree, hidden parts
    removed: the element holding it."""
    if "<![CDATA[" in markup:  # HTML has no CDATA sections; feeds leave the markers in
        markup = markup.replace("<![CDATA[", "").replace("]]>", "")
    tree = LexborHTMLParser(bound_nesting(markup), scripting=True)
    if _HIDDEN_START.search(markup) is not None:  # most fragments hold none: no tree walk
        tree.strip_tags(list(HIDDEN_TAGS))
    if "hidden" in markup or "invisible" in markup:
        _drop_unseen(tree)
    return tree.body


# Never shown: the ``hidden`` attribute, and the class that hides a part of a shortened link
# (a social post shows "example.org/long-pa…" for ``<span class="invisible">https://</span>``).
_UNSEEN = "[hidden], .invisible"


def _drop_unseen(tree: LexborHTMLParser, selector: str = _UNSEEN) -> None:
    for node in tree.css(selector):
        if node.tag not in ("html", "body"):
            node.decompose()


def _fragment_text(markup: str) -> str:
    body = fragment_body(markup)
    return join_text("".join(_texts(body, frozenset()))) if body is not None else ""


def markup_text(markup: str | None) -> tuple[LexborNode | None, str]:
    """A fragment's tree (None when it holds no markup at all) and its plain text, exactly as
    ``html_to_text`` gives it: the tree is parsed once and serves the text and the key points.
    Text without ``<`` or ``&`` needs no parser."""
    if not markup:
        return None, ""
    if "<" not in markup and "&" not in markup:
        return None, collapse_whitespace(markup)
    if _TAG_LIKE.search(markup) is None and _ENTITY.search(markup) is None:
        return None, collapse_whitespace(markup)
    body = fragment_body(markup)
    text = join_text("".join(_texts(body, frozenset()))) if body is not None else ""
    if text == markup:
        return body, text
    for _ in range(MAX_UNESCAPE_ROUNDS):
        if _TAG_LIKE.search(text) is None and _ENTITY.search(text) is None:
            break
        unwrapped = _fragment_text(text)
        if unwrapped == text:
            break
        text = unwrapped
    return body, text  # joined text is collapsed already


_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});?")
_TAG_LIKE = re.compile(r"<[/!?A-Za-z]")


def html_to_text(markup: str | None) -> str:
    """Plain text from HTML or text: entities decoded, tags (and script/style content) dropped,
    whitespace collapsed to single spaces, stripped. Element boundaries separate words.

    Text that was escaped once too often (``&amp;lt;b&amp;gt;``, common in feeds) is unwrapped a
    bounded number of times, so escaped markup never shows up as visible tags."""
    if not markup:
        return ""
    if "<" not in markup and "&" not in markup:  # plain text: no parser needed
        return collapse_whitespace(markup)
    text = markup
    for _ in range(MAX_UNESCAPE_ROUNDS + 1):
        if _TAG_LIKE.search(text) is None and _ENTITY.search(text) is None:
            break
        unwrapped = _fragment_text(text)
        if unwrapped == text:
            break
        text = unwrapped
    return collapse_whitespace(text)


# --- the document -----------------------------------------------------------------------------

_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
    "application/feed+json",
    "application/json",
)
_OFFSET = re.compile(r"(?:Z|[+-]\d{2}:?\d{2})$")


@dataclass
class Document:
    """An HTML page parsed once: its tree and what its head says."""

    tree: LexborHTMLParser
    title: str = ""
    headline: str = ""  # og:title / the first h1, else the title
    alternates: list[tuple[str, str]] = field(default_factory=list)  # (type, href)
    jsonld: list[str] = field(default_factory=list)
    jsonld_dropped: int = 0
    published: str = ""  # the page's own date (article:published_time…), verbatim
    canonical: str = ""  # <link rel=canonical href>, verbatim
    modified: str = ""
    locale: str = ""  # og:locale ("en_GB"), verbatim
    # The names of the ``data-*`` attributes the markup holds (lower case; a few more where
    # such words stand in text): a pass over the tree for one it never names is not run.
    data_attributes: frozenset[str] = frozenset()
    _main: LexborNode | None = None

    @property
    def body(self) -> LexborNode | None:
        return self.tree.body

    def main(self) -> LexborNode | None:
        """The element holding the story (cleaned of chrome), found once."""
        if self._main is None:
            self._main = main_content(self.tree)
        return self._main

    def zone(self) -> tzinfo | None:
        """The page's stated time zone: the offset of its own dates."""
        for value in (self.modified, self.published):
            found = _OFFSET.search(value.strip())
            if found:
                return _zone(found.group(0))
        return None


def _zone(text: str) -> tzinfo:
    if text in ("Z", "z"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:4] or 0)))


def tag(node: LexborNode) -> str:
    """The element's name ("-text", "-comment"… for other nodes; "" when unknown)."""
    return node.tag or ""


def attr(node: LexborNode, name: str) -> str:
    """An attribute's value ("" when absent or longer than ``MAX_ATTR_CHARS``)."""
    value = node.attributes.get(name)
    if value is None or len(value) > MAX_ATTR_CHARS:
        return ""
    return value


_META_PUBLISHED = ("article:published_time", "datepublished", "date", "dc.date", "pubdate")
_META_MODIFIED = ("article:modified_time", "datemodified", "og:updated_time", "last-modified")


def parse_document(body: bytes, headers: Mapping[str, str]) -> Document:
    """Parse an HTML body once: the tree, its title, feed links, JSON-LD blocks, its dates."""
    doc_input = bound_nesting(_parser_input(body, headers))
    tree = LexborHTMLParser(doc_input, scripting=True)
    doc = Document(tree=tree)
    for script in tree.css('script[type*="ld+json" i]'):
        kind = attr(script, "type").split(";", 1)[0].strip().lower()
        if kind != "application/ld+json":
            continue
        if len(doc.jsonld) < MAX_JSONLD_BLOCKS:
            doc.jsonld.append(script.text(deep=True) or "")  # a long one is read in part
        else:
            doc.jsonld_dropped += 1
    for link in tree.css("link[rel][href]"):
        rel = attr(link, "rel").lower().split()
        kind = attr(link, "type").split(";", 1)[0].strip().lower()
        href = attr(link, "href").strip()
        wanted = "alternate" in rel and kind in _FEED_TYPES and href
        if wanted and len(doc.alternates) < MAX_ALTERNATES:
            doc.alternates.append((kind, href))
        elif "canonical" in rel and not doc.canonical:
            doc.canonical = href
    title = tree.css_first("title")
    if title is not None and (title.parent is None or title.parent.tag != "svg"):
        doc.title = collapse_whitespace((title.text() or "")[:10_000])
    og_title = site_name = ""
    for meta in tree.css("meta[content]"):
        named = attr(meta, "property") or attr(meta, "name")
        key = (named or attr(meta, "itemprop")).lower()
        value = attr(meta, "content").strip()
        if not value or (not named and _of_nested_item(meta)):
            continue  # a nested item's property (an update's date) is not the page's
        if key == "og:title" and not og_title:
            og_title = collapse_whitespace(value)
        elif key == "og:site_name" and not site_name:
            site_name = collapse_whitespace(value)
        elif key in _META_PUBLISHED and not doc.published:
            doc.published = value
        elif key in _META_MODIFIED and not doc.modified:
            doc.modified = value
        elif key == "og:locale" and not doc.locale:
            doc.locale = value
    lowered = doc_input.lower()
    doc.data_attributes = _data_attributes(lowered)
    present = _present_tags(lowered, HIDDEN_TAGS)
    del lowered
    if _keep_share_addresses(tree, doc.data_attributes, present):
        doc.data_attributes |= {"data-url"}
    if present:
        tree.strip_tags(present)
    _drop_unseen(tree, _UNSEEN + ", [aria-hidden=true]")
    h1 = tree.css_first("h1")
    heading = node_text(h1) if h1 is not None else ""
    doc.headline = strip_site_name(og_title or heading or doc.title, site_name)
    if heading and doc.headline.startswith(heading) and len(heading) >= len(doc.headline) // 2:
        doc.headline = heading
    return doc


# Where a "Copy link" button or a share box's field holds a post's address.
SHARE_ATTRIBUTES = (
    "data-url",
    "data-permalink",
    "data-share-url",
    "data-clipboard-text",
    "data-href",
)


def _keep_share_addresses(
    tree: LexborHTMLParser, data_attributes: AbstractSet[str], present: list[str]
) -> bool:
    """Give a "Copy link" button's or a share field's address (``data-clipboard-text``,
    ``value``…) to the element around it (as ``data-url``) before buttons and fields are
    stripped, so that a post without an id still finds its permalink. True when one was.
    ``present``: the hidden element names the markup opens (a selector for a kind of element
    the page has none of, or an attribute it never names, is a pass over the tree for
    nothing)."""
    kept = False
    named = [a for a in SHARE_ATTRIBUTES if a in data_attributes]
    kinds = [tag for tag in ("button", "input") if tag in present]
    parts = [f"{tag}[{a}]" for a in named for tag in kinds]
    if "input" in kinds:
        parts.append("input[value]")
    if not parts:
        return False
    for node in tree.css(", ".join(parts))[:MAX_SHARE_FIELDS]:
        parent = node.parent
        if parent is None or parent.tag in ("html", "body"):
            continue
        if node.tag == "input" and attr(node, "type").lower() == "hidden":
            continue  # a form's own field (where to go after signing in), not shown
        for name in (*named, "value"):
            value = attr(node, name).strip()
            if value and (value.startswith(("#", "/")) or "://" in value):
                if not any(a in parent.attributes for a in SHARE_ATTRIBUTES):
                    parent.attrs["data-url"] = value
                    kept = True
                break
    return kept


MAX_SHARE_FIELDS = 5000


def _of_nested_item(node: LexborNode) -> bool:
    """Whether a microdata property belongs to an item nested in another item."""
    parent = node.parent
    for _ in range(MAX_DEPTH):
        if parent is None:
            return False
        if "itemscope" in parent.attributes:
            return "itemprop" in parent.attributes
        parent = parent.parent
    return False


_SITE_SUFFIX = re.compile(r"\s+[|–—·•-]\s+[^|–—·•]{1,40}$")


def strip_site_name(title: str, site_name: str = "") -> str:
    """A page title without the site's name after " | ", " – " or " - "."""
    if site_name and title.endswith(site_name) and len(title) > len(site_name) + 3:
        return title[: -len(site_name)].rstrip(" |–—·•-:")
    found = _SITE_SUFFIX.search(title)
    if found and found.start() >= len(title) // 2:
        return title[: found.start()].rstrip()
    return title


# --- main content -----------------------------------------------------------------------------

# Class or id words that mark chrome inside the story: share bars, related stories, banners.
_CHROME_WORDS = re.compile(
    r"(?:^|[\s_-])(?:share|sharing|social|related|recommended|recommendations|more-?stories|"
    r"read-?more|newsletter|subscribe|subscription|cookie|cookies|consent|paywall|promo|advert|"
    r"advertisement|ad|ads|breadcrumbs?|pagination|skip|comments?|byline-share|outbrain|taboola|"
    r"tags|topics|trending|popular|most-read|mostread|editions?|language-?switch(?:er)?|"
    r"account|login|signin|sign-in|masthead|site-header|site-footer|nav|navigation|menu|toolbar)"
    r"(?:$|[\s_-])",
    re.IGNORECASE,
)
_CHROME_HINT_SELECTOR = ", ".join(
    f"[{a}*={w} i]"
    for a in ("class", "id")
    for w in (
        "share", "social", "related", "recommend", "more", "newsletter", "subscri", "cookie",
        "consent", "paywall", "promo", "advert", "ad", "breadcrumb", "pagination", "comment",
        "outbrain", "taboola", "tags", "topics", "trending", "popular", "read", "edition",
        "language", "account", "login", "sign", "masthead", "header", "footer", "nav", "menu",
        "toolbar", "skip",
    )
)  # fmt: skip


def is_chrome(node: LexborNode) -> bool:
    """Whether an element is site chrome by its name, role or class/id words."""
    words = attr(node, "class") + " " + attr(node, "id")
    return bool(words.strip()) and _CHROME_WORDS.search(words) is not None


_CHROME_ROLES = frozenset(
    ("navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar",
     "dialog", "toolbar")
)  # fmt: skip
# The blockquotes that social embeds render before their script runs ("— Name (@handle) March 5,
# 2026", "View this post on Instagram"): a third party's words and boilerplate, not the post's.
_EMBED_CLASSES = frozenset(
    ("twitter-tweet", "twitter-video", "instagram-media", "tiktok-embed", "bluesky-embed",
     "text-post-media", "reddit-embed-bq")
)  # fmt: skip
_CHROME_TAG_NAMES = frozenset(("nav", "aside", "form", "menu", "footer", "dialog"))
_CHROME_TAGS = ", ".join((*sorted(_CHROME_TAG_NAMES), "[role]"))  # roles checked in Python


def strip_chrome(container: LexborNode) -> None:
    """Remove navigation, banners, share bars, related lists and the like from ``container``
    (never the container itself, nor an element holding most of its text).

    Candidates come from a few simple selectors (each one pass over the tree, in C) and are
    judged in Python; a selector per class word would cost a pass each, hundreds of
    milliseconds on a page of a million elements."""
    removed: set[int] = set()
    for node in _unique(container.css(_CHROME_TAGS)):
        if node.mem_id == container.mem_id:
            continue
        if node.tag not in _CHROME_TAG_NAMES and attr(node, "role").lower() not in _CHROME_ROLES:
            continue
        if node.tag == "aside" and (_holds_announced_list(node) or _post_meta(node, container)):
            continue  # a "Key points" box beside the posts, or a post's own time, is the story
        _remove(node, container, removed)
    total = 0
    verdicts: dict[str, bool] = {}
    doomed: list[LexborNode] = []
    for node in _unique(container.css("[class], [id]")):
        words = attr(node, "class") + " " + attr(node, "id")
        chrome = verdicts.get(words)
        if chrome is None:
            chrome = verdicts[words] = _CHROME_WORDS.search(words) is not None
        if not chrome or node.mem_id == container.mem_id:
            continue
        if node.tag in ("html", "body", "main", "article"):
            continue
        if not total:
            total = len(container.text(deep=True) or "") or 1
        if len(node.text(deep=True) or "") > total // 2:
            continue  # a wrapper of the story that happens to carry such a class
        if _holds_announced_list(node):
            continue
        doomed.append(node)
    for node in doomed:
        _remove(node, container, removed)
    for node in container.css("header[role=banner], body > header"):
        _remove(node, container, removed)
    for node in container.css("blockquote[class]"):
        if not _EMBED_CLASSES.isdisjoint(attr(node, "class").split()):
            _remove(node, container, removed)


def _unique(nodes: list[LexborNode]) -> Iterator[LexborNode]:
    """``nodes`` (document order) without the repeats a selector list gives for an element
    that matches more than one of its selectors."""
    last = -1
    for node in nodes:
        if node.mem_id != last:
            last = node.mem_id
            yield node


def _remove(node: LexborNode, container: LexborNode, removed: set[int]) -> None:
    """Decompose ``node`` unless an element around it (up to ``container``) already went:
    then it is gone with it and must not be touched again."""
    if _inside(node.parent, removed, container):
        return
    removed.add(node.mem_id)
    node.decompose()


_META_CLOCK = re.compile(r"\d\s?[:.h]\s?[0-5]\d|\d\s?(?:h|Uhr|[ap]\.?m)\b", re.IGNORECASE)


def _post_meta(node: LexborNode, container: LexborNode) -> bool:
    """Whether an element is a post's own metadata (its time, permalink, byline): short, inside
    an element of the story (not beside it), holding a ``<time>`` or a clock time."""
    parent = node.parent
    if parent is None or parent.mem_id == container.mem_id:
        return False
    words = node.text(deep=True) or ""
    if len(words) > 160 or len(words.strip()) > 120:
        return False
    return node.css_first("time") is not None or _META_CLOCK.search(words) is not None


def _holds_announced_list(node: LexborNode) -> bool:
    for index, lst in enumerate(lists_in(node)):
        if index >= 20:
            return False
        if _announced(lst):
            return True
    return False


def main_content(tree: LexborHTMLParser) -> LexborNode | None:
    """The element holding the story, with site chrome removed inside it.

    In order: a LiveBlogPosting microdata scope, ``main`` / ``role=main``, the single top-level
    ``article`` (or the element holding all of them), ``[itemprop=articleBody]``, else the
    densest block of paragraph text (as readability-style extractors choose)."""
    body = tree.body
    if body is None:
        return None
    # Outside the story: drop the page's header/footer/nav before choosing.
    for node in body.css("body > header, body > footer, body > nav"):
        node.decompose()
    found = tree.css_first('[itemtype*="LiveBlogPosting" i]')
    if found is None:
        found = tree.css_first("main, [role=main]")
    if found is None:
        found = _articles_root(tree)
    if found is None:
        found = tree.css_first("[itemprop=articleBody]")
    if found is None:
        found = _densest(body)
    strip_chrome(found)
    return found


def _in_chrome(node: LexborNode) -> bool:
    parent = node.parent
    for _ in range(MAX_DEPTH):
        if parent is None:
            return False
        if parent.tag in ("nav", "aside", "footer", "header") or is_chrome(parent):
            return True
        parent = parent.parent
    return False


def _articles_root(tree: LexborHTMLParser) -> LexborNode | None:
    articles = [a for a in tree.css("article") if not _in_chrome(a)]
    top = [a for a in articles if not _has_ancestor(a, "article")]
    if not top:
        return None
    if len(top) == 1:
        return top[0]
    return _common_ancestor(top[:200])


def _has_ancestor(node: LexborNode, tag: str) -> bool:
    parent = node.parent
    for _ in range(MAX_DEPTH):
        if parent is None:
            return False
        if parent.tag == tag:
            return True
        parent = parent.parent
    return False


def _ancestors(node: LexborNode) -> list[LexborNode]:
    chain: list[LexborNode] = []
    parent = node.parent
    while parent is not None and len(chain) < MAX_DEPTH + 8:
        chain.append(parent)
        parent = parent.parent
    return chain


def _common_ancestor(nodes: list[LexborNode]) -> LexborNode | None:
    common = [a.mem_id for a in _ancestors(nodes[0])]
    by_id = {a.mem_id: a for a in _ancestors(nodes[0])}
    for other in nodes[1:]:
        ids = {a.mem_id for a in _ancestors(other)}
        common = [c for c in common if c in ids]
    return by_id[common[0]] if common else None


def _densest(body: LexborNode) -> LexborNode:
    """The element whose paragraphs hold the most text (a paragraph's parent scores its length,
    the grandparent half of it)."""
    scores: dict[int, float] = {}
    nodes: dict[int, LexborNode] = {}
    for index, para in enumerate(body.css("p, pre, blockquote")):
        if index > 5000:
            break
        length = len(para.text(deep=True) or "")
        if length < 25 or _in_chrome(para):
            continue
        parent = para.parent
        if parent is None:
            continue
        scores[parent.mem_id] = scores.get(parent.mem_id, 0.0) + length
        nodes[parent.mem_id] = parent
        grand = parent.parent
        if grand is not None:
            scores[grand.mem_id] = scores.get(grand.mem_id, 0.0) + length / 2
            nodes[grand.mem_id] = grand
    if not scores:
        return body
    best = max(scores, key=lambda k: scores[k])
    return nodes[best]


# --- key points from a tree -------------------------------------------------------------------

_ANCHOR_TAGS = frozenset(
    ("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "b", "summary", "caption", "span", "div",
     "dt", "legend", "header", "figcaption", "label")
)  # fmt: skip
_WRAPPERS = frozenset(("div", "section", "details", "figure", "span", "article", "header"))
POINT_SKIP = frozenset(("time", "figure", "img", "picture", "small"))  # never part of a point


def key_points(
    container: LexborNode | None,
    *,
    summary: str = "",
    title: str = "",
    page_url: str = "",
    exclude: frozenset[int] = frozenset(),
    limit: int = keypoints.MAX_POINTS,
    wider: LexborNode | None = None,
    text_fallback: bool = True,
) -> tuple[str, ...]:
    """Key points of the story in ``container``: an announced list anywhere, else the first short
    list that is not navigation, else the first sentence (of ``summary``, else of the text), else
    ``title``. Lists inside the elements whose ``mem_id`` is in ``exclude`` (the posts of a live
    page) are left out."""
    if limit <= 0:
        return ()
    plain: tuple[str, ...] | None = None
    if wider is not None:
        # An announced box may sit beside the story (a "Key events" column): look page-wide,
        # outside the site's navigation, menus and footer.
        for index, lst in enumerate(lists_in(wider)):
            if index >= LIST_SCAN_LIMIT:
                break
            if _nested_in_list(lst, wider) or (exclude and _inside(lst, exclude, wider)):
                continue
            if _in_site_chrome(lst) or not _announced(lst):
                continue
            found = _list_items(lst, page_url)
            if found is not None:
                points = keypoints.clean_points(found[0], limit)
                if points:
                    return points
    if container is not None:
        for index, lst in enumerate(lists_in(container)):
            if index >= LIST_SCAN_LIMIT:
                break
            if _nested_in_list(lst, container) or (exclude and _inside(lst, exclude, container)):
                continue
            anchored = _announced(lst)
            items = _list_items(lst, page_url)
            if items is None:
                continue
            texts, nav_like = items
            if anchored:
                points = keypoints.clean_points(texts, limit)
                if points:
                    return points
            elif plain is None and not nav_like and keypoints.is_plain_point_list(texts):
                plain = keypoints.clean_points(texts, limit)
    if plain:
        return plain
    if not text_fallback:
        return keypoints.fallback_points(summary, "")
    text = ""
    if not summary and container is not None:
        text = leading_text(container)
    return keypoints.fallback_points(summary or text, title)


def lists_in(node: LexborNode) -> list[LexborNode]:
    """The ``ul`` and ``ol`` elements inside ``node``, in document order. (A selector list costs
    several times one simple selector, and most containers hold lists of one kind only.)"""
    if node.css_first("ol") is None:
        return node.css("ul")
    if node.css_first("ul") is None:
        return node.css("ol")
    return node.css("ul, ol")


_SITE_CHROME_ROLES = frozenset(("navigation", "banner", "contentinfo", "menu", "menubar"))


def _in_site_chrome(node: LexborNode) -> bool:
    """Inside the site's navigation, menus, page header or footer."""
    parent = node.parent
    for _ in range(MAX_DEPTH):
        if parent is None:
            return False
        if parent.tag in ("nav", "footer", "menu", "form", "header"):
            return True
        if attr(parent, "role") in _SITE_CHROME_ROLES:
            return True
        parent = parent.parent
    return False


def leading_text(node: LexborNode, chars: int = 4000) -> str:
    """The start of ``node``'s text (enough for a first sentence)."""
    raw = node.text(deep=True, separator=_SEP)
    return join_text(raw[: chars * 4])


def _inside(node: LexborNode | None, ids: AbstractSet[int], stop: LexborNode) -> bool:
    """Whether ``node`` or an element around it (below ``stop``) is one of ``ids``."""
    parent = node
    for _ in range(MAX_DEPTH):
        if parent is None or parent.mem_id == stop.mem_id:
            return False
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _nested_in_list(node: LexborNode, stop: LexborNode) -> bool:
    parent = node.parent
    for _ in range(MAX_DEPTH):
        if parent is None or parent.mem_id == stop.mem_id:
            return False
        if parent.tag == "li":
            return True
        parent = parent.parent
    return False


def _previous_element(node: LexborNode) -> LexborNode | None:
    """The element just before ``node``, or None when text (or nothing) comes first."""
    prev = node.prev
    while prev is not None:
        tag = prev.tag or ""
        if tag == "-text":
            if (prev.text_content or "").strip():
                return None
        elif tag == "br":
            pass
        elif not tag.startswith("-"):
            return prev
        prev = prev.prev
    return None


def _announced(lst: LexborNode) -> bool:
    """Whether a heading, label or short paragraph right before the list (or before the wrappers
    it opens) announces key points."""
    node = lst
    for _ in range(4):
        prev = _previous_element(node)
        if prev is not None:
            return _announces(prev)
        if node.prev is not None and (node.prev.text_content or "").strip():
            return False  # loose text right before the list
        parent = node.parent
        if parent is None or parent.tag not in _WRAPPERS:
            return False
        node = parent
    return False


def _announces(node: LexborNode) -> bool:
    if node.tag not in _ANCHOR_TAGS:
        return False
    text = node_text(node)
    if not text or len(text) > keypoints.ANCHOR_MAX_CHARS:
        return False
    return keypoints.announces(text)


def _list_items(lst: LexborNode, page_url: str) -> tuple[list[str], bool] | None:
    """The texts of a list's own items, and whether every item is a link to another page."""
    texts: list[str] = []
    links = 0
    count = 0
    linked = lst.css_first("a[href]") is not None  # else no item can be a link
    for item in lst.iter():
        if item.tag != "li":
            continue
        count += 1
        if count > ITEM_SCAN_LIMIT:
            break
        text = node_text(item, POINT_SKIP)
        texts.append(text)
        if linked and _is_link_item(item, text, page_url):
            links += 1
    if not texts:
        return None
    nonempty = sum(1 for t in texts if t)
    return texts, nonempty > 0 and links >= nonempty


def _is_link_item(item: LexborNode, text: str, page_url: str) -> bool:
    """An item whose text is (almost) all one link to another page (navigation)."""
    if not text:
        return False
    linked = 0
    for anchor in item.css("a[href]"):
        href = attr(anchor, "href").strip()
        if not href or href.startswith("#") or _same_page(href, page_url):
            continue
        linked += len(node_text(anchor))
    return linked >= 0.8 * len(text)


def _same_page(href: str, page_url: str) -> bool:
    """Whether a link points into the page itself (a fragment, or the page's own path)."""
    target = href.split("#", 1)[0]
    if not target or target.startswith("?"):
        return True
    if not page_url:
        return False
    from urllib.parse import urljoin, urlsplit

    mine, theirs = urlsplit(page_url), urlsplit(urljoin(page_url, target))
    return (mine.netloc, mine.path.rstrip("/")) == (theirs.netloc, theirs.path.rstrip("/"))


def markup_key_points(
    markup: str | None, *, summary: str = "", title: str = "", limit: int = keypoints.MAX_POINTS
) -> tuple[str, ...]:
    """Key points of a fragment of markup (a feed entry's content)."""
    if not markup:
        return keypoints.fallback_points(summary, title) if limit > 0 else ()
    if "<" not in markup:  # no lists without markup: the first sentence, else the title
        return (
            keypoints.fallback_points(summary or html_to_text(markup), title) if limit > 0 else ()
        )
    return key_points(fragment_body(markup), summary=summary, title=title, limit=limit)


_HEADING_WORDS = re.compile(
    r"(?:^|[\s_-])(?:title|headline|heading|hl|hed|head)(?:$|[\s_-])", re.IGNORECASE
)
_HEADING_HINTS = "[class*=title i], [class*=head i], [class*=hl i], [class*=hed i]"


def first_heading(node: LexborNode) -> str:
    """The text of the first heading inside ``node`` ("" when it has none): an h1–h6 or
    ``itemprop=headline``, else an element whose class says it is the title."""
    heading = node.css_first("h1, h2, h3, h4, h5, h6, [itemprop=headline]")
    if heading is not None:
        found = node_text(heading, POINT_SKIP)
        if found:
            return found
    for hint in node.css(_HEADING_HINTS):
        if _HEADING_WORDS.search(attr(hint, "class")) and not is_label(hint):
            found = node_text(hint, POINT_SKIP)
            if found and len(found) <= 200:
                return found
    return ""
