"""Text lines for the key-points rows: wrapped at word boundaries, at most N lines, the last one
ending in "…" when the text goes on; right-to-left text (Arabic, Hebrew) is aligned right.

Measuring and painting use the same lines, so a row is exactly as tall as what it paints.
"""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QTextLayout, QTextOption

ELLIPSIS = "…"
_STRONG_RTL = frozenset(("R", "AL"))
_STRONG_LTR = "L"


def is_rtl(text: str) -> bool:
    """True when the first strongly directional character is right-to-left (the Unicode
    bidi rule for a paragraph's direction)."""
    for ch in text:
        if ch < "\x80":  # ASCII: letters are left to right, the rest has no direction
            if ch.isalpha():
                return False
            continue
        import unicodedata  # only for text beyond ASCII (its tables stay resident)

        bidi = unicodedata.bidirectional(ch)
        if bidi in _STRONG_RTL:
            return True
        if bidi == _STRONG_LTR:
            return False
    return False


def _units(text: str) -> bytes:
    return text.encode("utf-16-le")


def _from_units(units: bytes, start: int, end: int | None = None) -> str:
    """Qt counts text positions in UTF-16 code units; Python in code points."""
    stop = None if end is None else 2 * end
    return units[2 * start : stop].decode("utf-16-le")


def wrap_lines(font: QFont, width: int, text: str, max_lines: int) -> tuple[str, ...]:
    """``text`` broken into lines of at most ``width`` pixels; more than ``max_lines`` lines
    and the last one shown ends in "…"."""
    text = " ".join(text.split())
    width = max(1, width)
    if not text or max_lines < 1:
        return ()
    layout = QTextLayout(text, font)
    option = QTextOption()
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    units = _units(text)
    total = len(units) // 2
    lines: list[str] = []
    layout.beginLayout()
    try:
        while len(lines) < max_lines:
            line = layout.createLine()
            if not line.isValid():
                break
            line.setLineWidth(width)
            start, length = line.textStart(), line.textLength()
            if len(lines) == max_lines - 1 and start + length < total:
                rest = _from_units(units, start).strip()
                fm = QFontMetrics(font)
                elided = fm.elidedText(rest, Qt.TextElideMode.ElideRight, width)
                lines.append(elided)
                break
            lines.append(_from_units(units, start, start + length).strip())
    finally:
        layout.endLayout()
    return tuple(lines)


def lines_height(font: QFont, lines: tuple[str, ...]) -> int:
    return len(lines) * QFontMetrics(font).lineSpacing()


def draw_lines(
    painter: QPainter, font: QFont, rect: QRect, lines: tuple[str, ...], rtl: bool
) -> int:
    """Paint ``lines`` from the top of ``rect``, aligned right when ``rtl``; returns the
    height used."""
    fm = QFontMetrics(font)
    step = fm.lineSpacing()
    # Absolute: under a right-to-left painter Qt would mirror a plain AlignRight to the left.
    align = Qt.AlignmentFlag.AlignRight if rtl else Qt.AlignmentFlag.AlignLeft
    align |= Qt.AlignmentFlag.AlignAbsolute
    flags = int(align | Qt.AlignmentFlag.AlignTop | Qt.TextFlag.TextSingleLine)
    painter.setFont(font)
    painter.setLayoutDirection(
        Qt.LayoutDirection.RightToLeft if rtl else Qt.LayoutDirection.LeftToRight
    )
    y = rect.top()
    for text in lines:
        painter.drawText(QRect(rect.left(), y, rect.width(), step), flags, text)
        y += step
    painter.setLayoutDirection(Qt.LayoutDirection.LeftToRight)
    return y - rect.top()


class LineCache:
    """Wrapped lines by (font, width, text, lines): rows on screen are painted again and again."""

    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._lines: dict[tuple[str, int, str, int], tuple[str, ...]] = {}

    def lines(self, font: QFont, width: int, text: str, max_lines: int) -> tuple[str, ...]:
        key = (font.key(), width, text, max_lines)
        found = self._lines.get(key)
        if found is None:
            if len(self._lines) >= self.size:
                self._lines.clear()
            found = self._lines[key] = wrap_lines(font, width, text, max_lines)
        return found

    def clear(self) -> None:
        self._lines.clear()
