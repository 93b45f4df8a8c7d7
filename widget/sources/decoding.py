"""Undo a response's gzip/deflate content codings chunk by chunk, with a bound on the output.

A gzip bomb stops here: no call ever returns (or holds in memory) more than the caller's limit
plus one byte, however well the input compresses.
"""

from __future__ import annotations

import zlib

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
