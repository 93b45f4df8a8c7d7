"""The one place for what a web address is: the http(s) rule and origins.

- ``origin`` / ``same_origin``: scheme, lower-cased host and port (the scheme's default when none is
  given), the unit a secret belongs to;
- ``safe_url``: an absolute http(s) URL with a host, or None — the only URLs we ever fetch or open;
- ``url_problem``: what is wrong with a typed address, as words for the user.
"""

from __future__ import annotations

import functools
import re
from urllib.parse import urljoin, urlsplit

Origin = tuple[str, str, int | None]

WEB_SCHEMES = frozenset({"http", "https"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# What browsers strip from the ends of a URL (C0 controls and space; we add invisible spaces) …
_URL_EDGE_JUNK = "".join(chr(c) for c in range(0x21)) + "\x7f\xa0\u200b\u2060\ufeff"
# … and remove anywhere inside it ("java\tscript:" must not survive as a different scheme).
_URL_INNER_JUNK = re.compile("[\t\n\r]")
_URL_CONTROL = re.compile("[\x00-\x1f\x7f]")
_URL_SPACE_OR_CONTROL = re.compile(r"[\s\x00-\x1f]")  # str.isspace() is what \s matches
# The common shape, answered without parsing (a config of thousands of sources checks each).
_PLAIN_WEB_URL = re.compile(r"https?://[A-Za-z0-9.-]+(?::(\d{1,5}))?(?:/[^\s\x00-\x1f]*)?")


def origin(url: str) -> Origin:
    """(scheme, host, port) of ``url``; raises ValueError for an invalid port."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    return scheme, (parts.hostname or "").lower(), parts.port or _DEFAULT_PORTS.get(scheme)


def same_origin(a: str, b: str) -> bool:
    """True when both URLs have the same scheme, host and port (an unreadable URL never does)."""
    try:
        return origin(a) == origin(b)
    except ValueError:
        return False


def is_web_url(url: str | None) -> bool:
    """An absolute http(s) URL with a host, exactly as given (nothing stripped)."""
    return bool(url) and safe_url(url) == url


@functools.lru_cache(maxsize=2048)  # pure; pages resolve many links against one address
def safe_url(url: str | None, base: str | None = None) -> str | None:
    """``url`` resolved against ``base``; None unless the result is an absolute http(s) URL.

    Leading/trailing whitespace and control characters are stripped and tabs/newlines inside are
    removed, as browsers do; javascript:, data:, file:, mailto:, ftp: and every other scheme are
    refused, as are URLs without a host or with other control characters. Otherwise the URL is
    kept verbatim (no re-encoding), so it can serve as an identity.
    """
    if not url:
        return None
    cleaned = _URL_INNER_JUNK.sub("", url.strip(_URL_EDGE_JUNK))
    if not cleaned or _URL_CONTROL.search(cleaned) is not None:
        return None
    try:
        if base:
            cleaned = urljoin(base.strip(_URL_EDGE_JUNK), cleaned)
        parts = urlsplit(cleaned)
        # Reading .port validates it: a non-numeric or out-of-range port raises ValueError.
        _ = parts.port
    except ValueError:
        # Malformed (e.g. "http://[::1" or a bad port): documented as "not a safe URL" → None.
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not parts.hostname:
        return None
    return cleaned


def url_problem(url: str) -> str | None:
    """None when ``url`` is an absolute http(s) URL with a plausible host, else what is wrong
    (words that follow "the URL …")."""
    plain = _PLAIN_WEB_URL.fullmatch(url)
    if plain is not None and (plain.group(1) is None or int(plain.group(1)) <= 65535):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port
    except ValueError as exc:
        return f"is not a valid URL ({exc})"
    if parts.scheme.lower() not in WEB_SCHEMES:
        return "must start with http:// or https://"
    if not host or _URL_SPACE_OR_CONTROL.search(url):
        return "must be a complete web address such as https://example.com/feed.xml"
    return None


__all__ = [
    "WEB_SCHEMES",
    "Origin",
    "is_web_url",
    "origin",
    "safe_url",
    "same_origin",
    "url_problem",
]
