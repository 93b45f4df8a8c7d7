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
from html.entities import html5

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
    """A feed body ready for the XML parser, at most ``limit`` entries, in one charset that it
    names itself: UTF-8 (valid, invalid bytes shown as U+FFFD), or the single-byte charset its
    XML declaration names. The parser is then told no charset (see ``parser_headers``), so a
    server's wrong or default charset cannot garble it. Notes what it changed in ``warnings``."""
    body = _from_the_declaration(body)
    body = _one_charset(body, headers, warnings)
    return _first_entries(body, limit, warnings)


def parser_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The response headers as the XML parser gets them with a body from ``feed_document``:
    an XML media type without a charset, since that body names its own (a server's
    ``text/html`` or ``application/octet-stream`` for a feed changes nothing either)."""
    kept = {name: value for name, value in headers.items() if name.lower() != "content-type"}
    kept["content-type"] = "application/xml"
    return kept


def _from_the_declaration(body: bytes) -> bytes:
    """``body`` without the white space some servers send before the XML declaration (which
    must come first: the strict parser refuses the whole document otherwise)."""
    bom = codecs.BOM_UTF8 if body.startswith(codecs.BOM_UTF8) else b""
    rest = body[len(bom) : len(bom) + 1]
    if not rest.isspace():
        return body
    stripped = body[len(bom) :].lstrip()
    return bom + stripped if stripped.startswith(b"<?xml") else body


def _codec(name: str | None) -> str | None:
    """The codec's canonical name (``"utf-8"``, ``"cp1252"``, ``"latin-1"``, …), None if unknown."""
    if not name:
        return None
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


# Charsets servers name by default, whatever the document is: its XML declaration knows better.
_DEFAULT_CHARSETS = ("ascii", "iso8859-1")


def _declared(body: bytes, headers: Mapping[str, str]) -> tuple[str | None, str | None]:
    """The charsets the Content-Type header and the XML declaration name (canonical codecs)."""
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    in_header = _HEADER_CHARSET.search(content_type)
    in_document = _XML_ENCODING.match(body[:300])
    return (
        _codec(in_header.group(1)) if in_header else None,
        _codec(in_document.group(1).decode("ascii")) if in_document else None,
    )


def _one_charset(body: bytes, headers: Mapping[str, str], warnings: list[str]) -> bytes:
    """``body`` in the charset it is really in, named by its own XML declaration (or UTF-8).

    Valid UTF-8 is read as UTF-8 whatever is declared (text in another charset is almost never
    valid UTF-8). Otherwise the declarations decide: the XML declaration over a header that
    says UTF-8 or a server's default (ISO-8859-1, US-ASCII), else the header. ISO-8859-1 is read
    as windows-1252, as browsers do (its quotes and dashes are what such feeds hold). A body
    declaring UTF-8 or nothing is read as UTF-8 with U+FFFD for its few invalid bytes, or as
    the parser's guess (windows-1252) when it is mostly not UTF-8."""
    if body.startswith(_WIDE_BOMS):
        return body
    in_header, in_document = _declared(body, headers)
    try:
        body.decode("utf-8")
    except UnicodeDecodeError as exc:
        invalid_at = exc.start
    else:
        return body if body.isascii() else _name_utf8(body, in_document)
    chosen: str | None = None  # UTF-8
    if in_document not in (None, "utf-8") and in_header in (None, "utf-8", *_DEFAULT_CHARSETS):
        chosen = in_document
    elif in_header not in (None, "utf-8", "ascii"):
        chosen = in_header
    if chosen is None:
        text = body.decode("utf-8", errors="replace")
        invalid = text.count("\ufffd")
        non_ascii = len(text) - len(text.encode("ascii", errors="ignore"))
        if non_ascii - invalid > invalid or body.startswith(codecs.BOM_UTF8):
            warnings.append(f"invalid UTF-8 (first at byte {invalid_at}) shown as \ufffd")
            return _name_utf8(text.encode("utf-8"), in_document)
        return body  # mostly not UTF-8: the parser tries the charsets such feeds are in
    chosen = _SUPERSETS.get(chosen, chosen)
    if chosen == in_document:
        return body
    return _name_utf8(_decoded(body, chosen).encode("utf-8"), in_document)


# Charsets read as the superset that documents labelled with them really use (as browsers do).
_SUPERSETS = {"iso8859-1": "cp1252", "ascii": "cp1252", "gb2312": "gb18030"}
_CP1252_UNASSIGNED = re.compile(rb"([\x81\x8d\x8f\x90\x9d]+)")
_ENCODING_VALUE = re.compile(rb"""(^\s*<\?xml[^>]{0,200}?encoding\s*=\s*["'])[\w.:-]{1,40}""")


def _decoded(body: bytes, codec: str) -> str:
    """``body`` as text in ``codec`` (windows-1252's five unassigned bytes as ISO-8859-1)."""
    if codec != "cp1252":
        return body.decode(codec, errors="replace")
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:
        parts = _CP1252_UNASSIGNED.split(body)  # odd positions hold the unassigned bytes
        return "".join(p.decode("latin-1" if i % 2 else "cp1252") for i, p in enumerate(parts))


def _name_utf8(body: bytes, in_document: str | None) -> bytes:
    """A UTF-8 ``body`` whose XML declaration (if it names a charset) names UTF-8."""
    if in_document in (None, "utf-8"):
        return body
    head = _ENCODING_VALUE.sub(rb"\1utf-8", body[:300], count=1)
    return head + body[300:]


def _first_entries(body: bytes, limit: int, warnings: list[str]) -> bytes:
    """``body`` cut before its entry number ``limit + 1`` and closed again, so the parser never
    reads more. Only ASCII-compatible documents are cut (a UTF-16 feed is read whole)."""
    if body.startswith(_WIDE_BOMS) or b"\x00" in body[:64]:
        return body
    if body.count(b"item") + body.count(b"entry") <= limit:
        return body  # fewer words than the limit, so fewer entries (a quick count in C)
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


# --- documents that are almost XML --------------------------------------------------------------

# Control characters XML 1.0 forbids, and "&" that starts no reference XML knows: an HTML entity
# name ("&nbsp;"), a character reference, or nothing at all ("AT&T", "&foo").
_FORBIDDEN_CONTROLS = bytes(range(0x00, 0x09)) + b"\x0b\x0c" + bytes(range(0x0E, 0x20))
_STRAY_AMPERSAND = re.compile(rb"&(?!(?:amp|lt|gt|quot|apos);|#[0-9]{1,7};|#x[0-9a-fA-F]{1,6};)"
                              rb"(?:([A-Za-z][A-Za-z0-9]{1,31});)?")  # fmt: skip
_DECLARED = re.compile(rb"<!ENTITY\s+([A-Za-z_][\w.-]*)")


def well_formed(body: bytes) -> bytes:
    """A body from ``feed_document`` that the strict XML parser refused, repaired where feeds
    usually break: HTML entity names (``&nbsp;``, ``&euro;``) as character references, a bare
    "&" escaped, forbidden control characters dropped. Entities the document declares stay.
    Returns ``body`` itself when there is nothing to repair (and for UTF-16/32 documents)."""
    if body.startswith(_WIDE_BOMS) or b"\x00" in body[:64]:
        return body
    declared = set(_DECLARED.findall(body)) if b"<!ENTITY" in body else set()

    def reference(match: re.Match[bytes]) -> bytes:
        name = match.group(1)
        if name is None:
            return b"&amp;"
        if name in declared:
            return match.group(0)
        chars = html5.get(name.decode("ascii") + ";")
        if chars is None:
            return b"&amp;" + name + b";"
        return b"".join(b"&#%d;" % ord(c) for c in chars)

    repaired = _STRAY_AMPERSAND.sub(reference, body.translate(None, _FORBIDDEN_CONTROLS))
    return body if repaired == body else repaired
