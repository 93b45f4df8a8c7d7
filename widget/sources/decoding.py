"""Bodies before a parser sees them: content codings undone with a bound on the output, and a
feed document kept to a bounded number of entries in the charset it declares.

A gzip bomb stops here: no call ever returns (or holds in memory) more than the caller's limit
plus one byte, however well the input compresses. A feed of 180,000 entries is cut after the
first ``limit`` before it is parsed, and one invalid byte in a UTF-8 feed becomes one U+FFFD
instead of making the whole feed decode as another charset.
"""

from __future__ import annotations

import codecs
import re
import zlib
from collections.abc import Mapping

from widget.core.errors import FetchError


class OverLimit(Exception):
    """The decoded body went past the size cap."""


class _Coding:
    """One content coding to undo: gzip (members may be concatenated) or deflate."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        self._d: zlib._Decompress | None = None
        if coding != "deflate":
            self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)

    def _start_deflate(self, data: bytes) -> zlib._Decompress:
        # A zlib stream as the RFC says, or (often in the wild) raw deflate.
        wrapped = len(data) >= 2 and data[0] & 0x0F == 8 and (data[0] << 8 | data[1]) % 31 == 0
        return zlib.decompressobj(zlib.MAX_WBITS if wrapped else -zlib.MAX_WBITS)

    def feed(self, data: bytes, max_length: int) -> bytes:
        d = self._d = self._d or self._start_deflate(data)
        if d.eof and self.coding == "deflate":
            return b""  # bytes after the end of a deflate stream are not part of the body
        try:
            out = d.decompress(data, max_length)
            while not d.unconsumed_tail and d.eof and d.unused_data and self.coding != "deflate":
                if len(out) >= max_length:
                    raise OverLimit
                rest = d.unused_data  # the next gzip member
                d = self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)
                out += d.decompress(rest, max_length - len(out))
        except zlib.error as exc:
            raise FetchError(f"the {self.coding} response could not be decompressed") from exc
        if d.unconsumed_tail:  # stopped at max_length with input left over
            raise OverLimit
        return out

    def finish(self) -> None:
        if self._d is not None and not self._d.eof:
            raise FetchError(f"the {self.coding} response was cut off")


class ContentDecoder:
    """Undo gzip/deflate content codings chunk by chunk, never producing more than asked."""

    def __init__(self, content_encoding: str) -> None:
        self._layers: list[_Coding] = []
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        for coding in reversed(codings):  # the last coding applied is undone first
            if coding == "identity":
                continue
            if coding not in ("gzip", "x-gzip", "deflate"):
                raise FetchError(f"the server used an unsupported content encoding ({coding})")
            self._layers.append(_Coding("gzip" if coding == "x-gzip" else coding))

    def feed(self, data: bytes, limit: int) -> bytes:
        """Decode ``data``; raises OverLimit rather than return more than ``limit`` bytes."""
        for layer in self._layers:
            if not data:
                break
            data = layer.feed(data, limit + 1)
        if len(data) > limit:
            raise OverLimit
        return data

    def finish(self) -> None:
        for layer in self._layers:
            layer.finish()


# --- feed documents ----------------------------------------------------------------------------

# The start of an entry element, namespaced or not: <item>, <item …>, <entry>, <atom:entry …>.
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)[\s>/]")
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_HEADER_CHARSET = re.compile(r"""charset\s*=\s*["']?([\w.:-]{1,40})""", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["']([\w.:-]{1,40})""")
_WIDE_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def feed_document(
    body: bytes, headers: Mapping[str, str], limit: int, warnings: list[str]
) -> bytes:
    """A feed body ready for the XML parser: valid UTF-8 when it declares UTF-8 (or declares
    nothing, which for XML means UTF-8), and at most ``limit`` entries. Notes what it changed
    in ``warnings``."""
    body = _valid_utf8(body, headers, warnings)
    return _first_entries(body, limit, warnings)


def _declared_charset(body: bytes, headers: Mapping[str, str]) -> str | None:
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    declared = _HEADER_CHARSET.search(content_type)
    if declared is not None:
        return declared.group(1).lower()
    in_document = _XML_ENCODING.match(body[:300])
    return in_document.group(1).decode("ascii").lower() if in_document else None


def _valid_utf8(body: bytes, headers: Mapping[str, str], warnings: list[str]) -> bytes:
    """A UTF-8 body with its invalid bytes replaced by U+FFFD: when UTF-8 is declared, or
    when nothing is declared and the body is UTF-8 but for a few bytes. Anything else is left
    to the parser (a declared charset, or an undeclared single-byte one such as windows-1252)."""
    if body.startswith(_WIDE_BOMS):
        return body
    declared = _declared_charset(body, headers)
    if declared not in (None, "utf-8", "utf8"):
        return body
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        text = body.decode("utf-8", errors="replace")
        if declared is None:
            invalid = text.count("\ufffd")
            non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
            if non_ascii - invalid <= invalid:
                return body  # mostly not UTF-8: another charset the parser will find
        warnings.append(f"invalid UTF-8 (first at byte {exc.start}) shown as \ufffd")
        return text.encode("utf-8")
    return body


def _first_entries(body: bytes, limit: int, warnings: list[str]) -> bytes:
    """``body`` cut before its entry number ``limit + 1`` and closed again, so the parser never
    reads more. Only ASCII-compatible documents are cut (a UTF-16 feed is read whole)."""
    if body.startswith(_WIDE_BOMS) or b"\x00" in body[:64]:
        return body
    starts = _ENTRY_START.finditer(body)
    cut: int | None = None
    for count, match in enumerate(starts, start=1):
        if count > limit:
            cut = match.start()
            break
    if cut is None:
        return body
    root = _root_name(body[:cut])
    if root is None:
        return body
    closing = b"</channel></rss>" if root == b"rss" else b"</" + root + b">"
    total = limit + sum(1 for _ in starts) + 1
    warnings.append(f"{total} entries in the feed; read the first {limit}")
    return body[:cut] + closing


def _root_name(head: bytes) -> bytes | None:
    """The name of the document's root element: the first tag that is not a declaration,
    comment or processing instruction (those start "<?" or "<!")."""
    match = _ROOT.search(head)
    return match.group(1) if match else None
