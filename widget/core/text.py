"""Plain text helpers: whitespace, sentences, truncation, stable hashes. Pure functions.

Everything a user reads (titles, summaries, key points, notification text) goes through here, so
these functions must be fast and linear-time on hostile input. (Markup becomes plain text in
``widget.sources.html``, which reads the parsed HTML tree.)
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
    "repeats",
    "stable_hash",
    "strip_bidi",
    "truncate",
]

SENTENCE_MAX_CHARS = 300
ELLIPSIS = "…"

# Invisible characters, removed: C0/C1 controls other than whitespace, soft hyphen, zero-width
# space, word joiner and BOM. (Zero-width joiners stay: they are part of emoji and some scripts.)
_INVISIBLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\u00ad\u200b\u2060\ufeff]")


def collapse_whitespace(text: str) -> str:
    """``text`` with every run of whitespace (NBSP and other Unicode spaces included) turned into
    one space, invisible characters removed, and no leading or trailing space."""
    text = " ".join(text.split())
    # Every invisible character is non-printable, so printable text (the usual case) is done.
    if not text.isprintable():
        text = " ".join(_INVISIBLE.sub("", text).split())
    return text


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


_CLOSING = ".!?…:;,"
_BETWEEN = frozenset("-–—|·•:")


def repeats(text: str, title: str) -> bool:
    """Whether ``text`` only says the title again (as a post's first sentence does when the
    post has no heading, or an aggregator's "Headline  Publisher" does for "Headline -
    Publisher"): the same words, ignoring spacing, case, closing punctuation and dashes or bars
    standing between words."""

    def words(value: str) -> str:
        kept = (w for w in value.split() if not all(c in _BETWEEN for c in w))
        return " ".join(kept).rstrip(_CLOSING + " ").casefold()

    return bool(title.strip()) and words(text) == words(title)


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
    same item again is returned unchanged (it is applied twice: building and storing), and
    an item within the limits costs a few length checks."""
    points = item.key_points
    if (
        len(item.title) <= MAX_TITLE_CHARS
        and (item.title.isascii() or not _BIDI_CONTROLS.search(item.title))
        and len(item.summary) <= MAX_SUMMARY_CHARS
        and len(item.id) <= MAX_ID_CHARS
        and (item.url is None or len(item.url) <= MAX_URL_CHARS)
        and len(points) <= MAX_KEY_POINTS
        and all(len(p) <= MAX_KEY_POINT_CHARS for p in points)
    ):
        return item
    url = item.url if item.url is None or len(item.url) <= MAX_URL_CHARS else None
    return replace(
        item,
        id=cap_id(item.id),
        title=cap_text(strip_bidi(item.title), MAX_TITLE_CHARS),
        url=url,
        summary=cap_text(item.summary, MAX_SUMMARY_CHARS),
        key_points=tuple(cap_text(p, MAX_KEY_POINT_CHARS) for p in points[:MAX_KEY_POINTS]),
    )
