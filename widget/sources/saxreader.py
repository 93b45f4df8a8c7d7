"""The XML reader feedparser uses here: the standard library's expat reader with character data
buffered, so a run of text reaches the feed parser as one piece instead of one call per line,
entity or buffer boundary (escaped HTML in Atom ``<content>`` otherwise arrives in hundreds of
pieces per entry). SAX allows either; the parsed feed is the same, the parse about a fifth
cheaper.

feedparser asks ``xml.sax.make_parser`` for the readers named in its
``PREFERRED_XML_PARSERS`` list before the default one; ``install`` puts this module first.
"""

from __future__ import annotations

from xml.sax.expatreader import ExpatParser

import feedparser.api

_BUFFER_BYTES = 1 << 16


class BufferedExpatParser(ExpatParser):
    """An expat SAX reader whose character data is buffered."""

    def reset(self) -> None:
        super().reset()
        parser = self._parser  # type: ignore[attr-defined]  # the reader's expat parser
        parser.buffer_text = True
        parser.buffer_size = _BUFFER_BYTES


def create_parser() -> BufferedExpatParser:
    """The reader ``xml.sax.make_parser`` builds from this module."""
    return BufferedExpatParser()


def install() -> None:
    """Make feedparser read XML through ``BufferedExpatParser`` (once; idempotent)."""
    preferred: list[str] = feedparser.api.PREFERRED_XML_PARSERS
    if __name__ not in preferred:
        preferred.insert(0, __name__)
