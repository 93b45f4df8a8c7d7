"""HTML → plain text, sentences, safe URLs, stable hashes. Pure functions. (STUB: to be implemented)"""

from __future__ import annotations


def html_to_text(html: str | None) -> str:
    """Plain text from HTML or text: entities decoded, tags (and script/style content) dropped,
    whitespace collapsed to single spaces, stripped. Block elements separate words."""
    raise NotImplementedError


def first_sentence(text: str) -> str:
    """The first sentence of plain text (bounded length), or the text if it has no sentence end."""
    raise NotImplementedError


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """``url`` resolved against ``base``; None unless the result is an absolute http(s) URL."""
    raise NotImplementedError


def truncate(text: str, limit: int) -> str:
    """At most ``limit`` characters, cut at a word boundary with an ellipsis when shortened."""
    raise NotImplementedError


def stable_hash(*parts: str | None) -> str:
    """A hash of the parts that never changes between versions (used for entry identity)."""
    raise NotImplementedError
