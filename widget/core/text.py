"""HTML → plain text, sentences, safe URLs, stable hashes. Pure functions.

Everything a user reads (titles, summaries, key points, notification text) goes through here, so
these functions must be fast (they run for every entry of every poll) and must stay linear-time on
hostile input: every pattern below is either anchored on a literal ``<`` and bounded by the next
``<`` or ``>``, or is searched for with ``str.find`` from a position that only moves forward.
"""

from __future__ import annotations

import re
from dataclasses import replace

from widget.core.models import Item

__all__ = [
    "MAX_ID_CHARS",
    "MAX_ITEMS_PER_DOCUMENT",
    "MAX_KEY_POINTS",
    "MAX_KEY_POINT_CHARS",
    "MAX_SUMMARY_CHARS",
    "MAX_TITLE_CHARS",
    "MAX_URL_CHARS",
    "SENTENCE_MAX_CHARS",
    "bounded_item",
    "cap_id",
    "cap_text",
    "collapse_whitespace",
    "first_sentence",
    "html_to_text",
    "stable_hash",
    "strip_bidi",
    "truncate",
]

SENTENCE_MAX_CHARS = 300
ELLIPSIS = "…"

# --- html_to_text -------------------------------------------------------------------------------

# Elements whose content is never shown as text, and markup sections that are not text either.
# Group 1: the element name; an unnamed match is a comment, CDATA or a processing instruction.
_HIDDEN_OPEN = re.compile(
    r"<(?:(script|style|noscript|template|head|iframe|object)(?=[\s/>])|!--|!\[CDATA\[)",
    re.IGNORECASE,
)
_HIDDEN_CLOSE = {
    name: re.compile(rf"</{name}\s*>", re.IGNORECASE)
    for name in ("script", "style", "noscript", "template", "head", "iframe", "object")
}

# A tag, declaration (<!DOCTYPE …>) or processing instruction (<?xml …?>); group 1: the element
# name (None for "<!" and "<?"). After the name come attribute characters and quoted values, never
# crossing a "<", so an unclosed tag costs at most the distance to the next "<". The attribute part
# is an unrolled loop whose every iteration starts with a quote, so a failed attempt backtracks
# linearly, never exponentially; the second form accepts a stray quote (``alt=Bob's``) that the
# first refuses. A bare "<!" matches too, so that a comment holding tags is never missed.
_ATTRS = r"""(?:[^<>"']*(?:(?:"[^"<]*"|'[^'<]*')[^<>"']*)*>|[^<>]*>)"""
_TAG = re.compile(rf"<(?:/?([a-zA-Z][^\s/<>]*){_ATTRS}|\?{_ATTRS}|!{_ATTRS}?)")
_TAG_START = re.compile(r"</?[a-zA-Z]")
# What each tag turns into: tags of block elements become a space so that "<p>a</p><p>b</p>"
# reads "a b"; other tags vanish. Names are looked up as written (lower and upper case are listed,
# mixed case falls back to .lower()). A hidden element or a "<!" section (name None) means the
# text needs _drop_hidden first.
# fmt: off
_BLOCK_NAMES = frozenset((
    "address", "article", "aside", "blockquote", "br", "caption", "dd", "details", "dialog", "div",
    "dl", "dt", "fieldset", "figcaption", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5",
    "h6", "header", "hr", "img", "li", "main", "nav", "ol", "option", "p", "pre", "section",
    "summary", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul",
))
# fmt: on
# fmt: off
_INLINE_NAMES = frozenset((
    "a", "abbr", "b", "cite", "code", "em", "font", "i", "mark", "q", "s", "small", "span",
    "strong", "sub", "sup", "time", "u",
))
# fmt: on
_HIDDEN_NAMES = frozenset(_HIDDEN_CLOSE)
_HIDDEN = "<hidden>"  # markers that no replacement can equal (they hold "<")
_UNKNOWN = "<unknown>"
_TAG_REPLACEMENT: dict[str | None, str] = {None: _HIDDEN}
for _names, _repl in ((_BLOCK_NAMES, " "), (_INLINE_NAMES, ""), (_HIDDEN_NAMES, _HIDDEN)):
    for _name in _names:
        _TAG_REPLACEMENT[_name] = _TAG_REPLACEMENT[_name.upper()] = _repl
del _names, _repl, _name
# Invisible characters, removed: C0/C1 controls other than whitespace, soft hyphen, zero-width
# space, word joiner and BOM. (Zero-width joiners stay: they are part of emoji and some scripts.)
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")
# How many times escaped text is unescaped: "&amp;lt;b&amp;gt;" needs two rounds.
_MAX_UNESCAPE_ROUNDS = 3


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace (NBSP and other Unicode spaces included) turned into
    one space, invisible characters removed, and no leading or trailing space."""
    text = " ".join(text.split())
    # Every invisible character is non-printable, so printable text (the usual case) is done.
    if not text.isprintable():
        text = " ".join(_INVISIBLE.sub("", text).split())
    return text


def _drop_hidden(html: str) -> str:
    """``html`` without comments, CDATA markers, and script/style/noscript/template content.

    An element or comment that is never closed hides the rest of the document, as in a browser.
    """
    m = _HIDDEN_OPEN.search(html)
    if m is None:
        return html
    parts: list[str] = []
    pos = 0
    while m is not None:
        parts.append(html[pos : m.start()])
        name = m.group(1)
        if name is not None:
            close = _HIDDEN_CLOSE[name.lower()].search(html, m.end())
            pos = len(html) if close is None else close.end()
        elif m.group(0) == "<!--":
            end = html.find("-->", m.end())
            pos = len(html) if end < 0 else end + 3
        else:  # CDATA: its content is text, only the markers go
            end = html.find("]]>", m.end())
            parts.append(html[m.end() : len(html) if end < 0 else end])
            pos = len(html) if end < 0 else end + 3
        m = _HIDDEN_OPEN.search(html, pos)
    parts.append(html[pos:])
    return "".join(parts)


def _replacement(name: str | None) -> str:
    """What the tag named ``name`` (None: a "<!" or "<?" section) turns into."""
    if name is None:
        return _HIDDEN
    name = name.lower()
    if name in _HIDDEN_NAMES:
        return _HIDDEN
    return " " if name in _BLOCK_NAMES else ""


def _replacements(names: list[str | None]) -> list[str]:
    get = _TAG_REPLACEMENT.get
    replacements = [get(name, _UNKNOWN) for name in names]
    if _UNKNOWN in replacements:  # mixed case or an element not listed above
        replacements = [
            _replacement(n) if r is _UNKNOWN else r
            for n, r in zip(names, replacements, strict=True)
        ]
    return replacements


def _strip_markup(html: str) -> str:
    # split() with one group alternates text and tag names: [text, name, text, name, …, text].
    parts = _TAG.split(html)
    replacements = _replacements(parts[1::2])
    if _HIDDEN in replacements:  # rare: comments, script, style… (handled only when present)
        parts = _TAG.split(_drop_hidden(html))
        replacements = _replacements(parts[1::2])
        if _HIDDEN in replacements:  # <!DOCTYPE …>, <?xml …?> or an unclosed hidden element
            replacements = ["" if r is _HIDDEN else r for r in replacements]
    parts[1::2] = replacements
    # A tag cut off by the end of the text (a truncated summary) is dropped, as browsers do.
    tail = parts[-1]
    lt = tail.rfind("<")
    if lt >= 0 and _TAG_START.match(tail, lt) is not None and ">" not in tail[lt:]:
        parts[-1] = tail[:lt]
    return "".join(parts)


def html_to_text(html: str | None) -> str:
    """Plain text from HTML or text: entities decoded, tags (and script/style content) dropped,
    whitespace collapsed to single spaces, stripped. Block elements separate words.

    Text that was escaped once too often (``&amp;lt;b&amp;gt;``, common in feeds) is unwrapped a
    bounded number of times, so escaped markup never shows up as visible tags. (The price: text
    that shows markup on purpose, such as "&lt;br&gt; breaks a line", loses the tag.)
    """
    if not html:
        return ""
    text = html
    for round_ in range(_MAX_UNESCAPE_ROUNDS + 1):
        if "<" in text:
            text = _strip_markup(text)
        if round_ == _MAX_UNESCAPE_ROUNDS or "&" not in text:
            break
        # Imported here: html.entities' tables cost ~0.6 MB resident in the tray app, which
        # never unescapes text while it idles.
        from html import unescape

        unescaped = unescape(text)
        if unescaped == text:
            break
        text = unescaped
    return collapse_whitespace(text)


# --- first_sentence -----------------------------------------------------------------------------

# A candidate sentence end: terminal punctuation, optional closing quotes/brackets, then space.
_SENTENCE_END = re.compile(r"[.!?…]+[\"'”’»)\]]*\s+")
_OPENERS = frozenset("\"'“‘«([¿¡")
# Words that end with a period without ending the sentence (compared lower-case, without the
# final period). Single letters (initials such as "John F. Kennedy") are handled separately.
# fmt: off
_ABBREVIATIONS = frozenset((
    "mr", "mrs", "ms", "mx", "dr", "prof", "st", "sr", "jr", "rev", "hon", "gen", "gov", "sen",
    "rep", "pres", "lt", "col", "capt", "cpt", "sgt", "maj", "adm", "cmdr", "mt", "ft", "no",
    "nos", "vs", "v", "etc", "e.g", "i.e", "cf", "al", "approx", "dept", "univ", "inc",
    "ltd", "co", "corp", "bros", "ave", "blvd", "rd", "jan", "feb", "mar", "apr", "jun", "jul",
    "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "tues", "thu", "thur", "thurs",
    "fri", "u.s", "u.k", "u.n", "e.u", "a.m", "p.m",
))
# fmt: on


def _is_abbreviation(text: str, dot: int) -> bool:
    """Whether the period at ``text[dot]`` closes an abbreviation or an initial."""
    start = dot
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in _OPENERS:
        start -= 1
    word = text[start:dot].lower()
    if len(word) == 1 and word.isalpha():
        return True  # an initial: "John F. Kennedy"
    return word in _ABBREVIATIONS


def first_sentence(text: str, *, max_chars: int = SENTENCE_MAX_CHARS) -> str:
    """The first sentence of plain text (at most ``max_chars``, cut with "…" when longer), or
    the whole text if it has no sentence end.

    A sentence ends at ".", "!", "?" or "…" followed by a space and a capital letter, a digit or an
    opening quote; not after common abbreviations ("Mr.", "U.S.", "e.g.") or initials, and never
    inside a number ("3.5").
    """
    # Only the beginning matters: collapse a bounded window (a larger one if the text starts with
    # a lot of whitespace), so huge inputs cost no more than short ones.
    if text[:1].isspace():
        text = text.lstrip()
    size = max_chars + 32
    window = collapse_whitespace(text[:size])
    if len(window) <= max_chars + 2 and len(text) > size:
        size = max_chars * 8
        window = collapse_whitespace(text[:size])
    for m in _SENTENCE_END.finditer(window, 0, max_chars + 2):
        nxt = m.end()
        if nxt >= len(window):
            break
        follower = window[nxt]
        if not (follower.isupper() or follower.isdigit() or follower in _OPENERS):
            continue
        punct = m.group(0).rstrip()  # the punctuation and any closing quotes
        single_dot = punct.startswith(".") and not punct.startswith("..")
        if single_dot and _is_abbreviation(window, m.start()):
            continue
        end = m.start() + len(punct)
        if end > max_chars:
            break
        return window[:end]
    if len(text) > size and len(window) <= max_chars:  # cut by the window: say so
        return truncate(window + " …", len(window))
    return truncate(window, max_chars)


# --- truncate -----------------------------------------------------------------------------------


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis when shortened.

    Used for notification text (≤ 100 / ≤ 200 characters). A single word longer than half the
    limit is cut inside the word rather than leaving almost nothing.
    """
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    if not text[limit - 1].isspace():  # the cut falls inside a word: back up to its start
        space = cut.rfind(" ")
        if space >= limit // 2:
            cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + ELLIPSIS


# --- stable_hash --------------------------------------------------------------------------------


def stable_hash(*parts: str | None) -> str:
    """A hash of the parts that never changes between versions (used for entry identity).

    FIXED ONCE SHIPPED: entries without a guid/id/link are identified by this value in users'
    databases. Changing the algorithm, the separator, the encoding, the None mapping, the prefix
    or the length would make every such entry look new again (a flood of notifications). The
    format is ``"sha256:"`` + the first 32 hex digits of SHA-256 over the parts joined with
    U+001F, None counting as "", encoded as UTF-8 (lone surrogates passed through).
    """
    # hashlib loads libcrypto (~4 MB resident): imported here, where a poll needs it, so that
    # importing this module keeps the tray app free of it.
    import hashlib

    joined = "\x1f".join("" if p is None else p for p in parts)
    digest = hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()
    return "sha256:" + digest[:32]


# --- limits: how much of one entry is kept --------------------------------------------------------
# Applied where items are built (so a hostile feed costs little to parse) and again where they
# are stored (so nothing unbounded is ever stored, whichever parser built it).

MAX_TITLE_CHARS = 500
MAX_SUMMARY_CHARS = 2000
MAX_KEY_POINTS = 20
MAX_KEY_POINT_CHARS = 500
MAX_ID_CHARS = 1024  # a longer id is kept as its start and a hash of the whole (still unique)
MAX_URL_CHARS = 4096  # a longer link is dropped: a cut link leads nowhere
MAX_ITEMS_PER_DOCUMENT = 1000  # entries read from one response; feeds are cut before parsing

# Unicode's Bidi_Control characters: marks, embeddings, overrides (U+202E turns the text after it
# around) and isolates. A one-line text such as a title or a name is shown without them.
_BIDI_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def strip_bidi(text: str) -> str:
    """``text`` without bidirectional control characters, for one-line texts (titles, names)."""
    return _BIDI_CONTROLS.sub("", text) if not text.isascii() else text


def cap_text(text: str, limit: int) -> str:
    """At most ``limit`` characters (cut with an ellipsis, see ``truncate``)."""
    return text if len(text) <= limit else truncate(text, limit)


def cap_id(identity: str) -> str:
    """An entry id of at most ``MAX_ID_CHARS``: a longer one becomes its start and a stable
    hash of the whole, so it stays unique and the same on every poll."""
    if len(identity) <= MAX_ID_CHARS:
        return identity
    digest = stable_hash(identity)
    return identity[: MAX_ID_CHARS - len(digest) - 1] + "#" + digest


def bounded_item(item: Item) -> Item:
    """``item`` within the limits above, its title on one line without bidi controls. The
    same item again is returned unchanged (it is applied twice: building and storing)."""
    title = cap_text(strip_bidi(item.title), MAX_TITLE_CHARS)
    summary = cap_text(item.summary, MAX_SUMMARY_CHARS)
    points = tuple(cap_text(p, MAX_KEY_POINT_CHARS) for p in item.key_points[:MAX_KEY_POINTS])
    identity = cap_id(item.id)
    url = item.url if item.url is None or len(item.url) <= MAX_URL_CHARS else None
    if (title, summary, points, identity, url) == (
        item.title,
        item.summary,
        item.key_points,
        item.id,
        item.url,
    ):
        return item
    return replace(item, id=identity, title=title, url=url, summary=summary, key_points=points)
