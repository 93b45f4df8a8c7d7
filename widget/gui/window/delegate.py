"""Paints the key-points window's rows: one entry per row with its key points as bullets (no
widget per row). Colours come from the view's palette, so light and dark themes both work.

Row heights are measured once per entry and width and kept on the entry's record (one small int,
not a cache entry per row); a row is measured only when the view lays it out, so a long list opens
as fast as a short one.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem, QWidget

from widget.core.clock import relative_time
from widget.gui.window.favicons import Favicons
from widget.gui.window.model import COUNT_ROLE, KIND_ROLE, EntriesModel
from widget.gui.window.row_text import LineCache, draw_lines, is_rtl, lines_height
from widget.gui.window.rows import Rec, RowKind

PAD_X = 16
PAD_Y = 7
ICON = 16
GAP = 3
BULLET_INDENT = 14
GROUP_INDENT = 18  # a live page's updates sit under the page
TITLE_LINES = 3
POINT_LINES = 4
HEIGHT_BITS = 16
HEIGHT_MASK = (1 << HEIGHT_BITS) - 1
AnyIndex = QModelIndex | QPersistentModelIndex


NEW_POINT = "★"  # marks a page's key point that is new since its list last changed


class EntryDelegate(QStyledItemDelegate):
    def __init__(self, favicons: Favicons | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.favicons = favicons or Favicons()
        self._generation = 0  # counts font changes: heights measured before are stale
        self._fonts: tuple[QFont, QFont, QFont] | None = None
        self._base_key: str = ""
        self.wrapped = LineCache()
        # A live page's "What to know" points added by the latest change, per source: drawn
        # with a filled star instead of a bullet, until that page's list changes again.
        self.new_points: dict[str, frozenset[str]] = {}

    def fonts(self, base: QFont) -> tuple[QFont, QFont, QFont]:
        """(body, bold title, small meta) derived from the view's font."""
        key = base.key()
        if self._fonts is None or key != self._base_key:
            title = QFont(base)
            title.setBold(True)
            small = QFont(base)
            size = base.pointSizeF()
            if size > 0:
                small.setPointSizeF(max(6.0, size * 0.88))
            else:
                small.setPixelSize(max(8, round(base.pixelSize() * 0.88)))
            self._fonts = (QFont(base), title, small)
            self._base_key = key
            self._generation += 1
        return self._fonts

    @staticmethod
    def _rec(index: AnyIndex) -> tuple[RowKind, Rec | None, int]:
        model = index.model()
        if isinstance(model, EntriesModel):
            return model.row_at(index.row())
        return (RowKind(index.data(KIND_ROLE)), None, int(index.data(COUNT_ROLE) or 0))

    # --- size ---
    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:
        width = option.rect.width()
        if width <= 0 and isinstance(self.parent(), QWidget):
            parent = self.parent()
            assert isinstance(parent, QWidget)
            width = parent.width()
        return QSize(width, self.height_for(option.font, index, width))

    def height_for(self, base: QFont, index: AnyIndex, width: int) -> int:
        body, title, small = self.fonts(base)
        kind, rec, _ = self._rec(index)
        if kind is RowKind.DIVIDER:
            return QFontMetrics(small).height() + 12
        if kind is RowKind.MORE or rec is None:
            return QFontMetrics(body).height() + 10
        # A record is replaced when its entry is edited, so its height only depends on the
        # width, the kind of row and the fonts: packed with the height into one int.
        measured_for = (self._generation * 8 + int(kind)) * 65536 + max(0, width)
        packed = rec.measure
        if packed is not None and packed >> HEIGHT_BITS == measured_for:
            return packed & HEIGHT_MASK
        left = PAD_X + (GROUP_INDENT if kind is RowKind.UPDATE else 0)
        text_w = width - left - PAD_X
        meta_h = max(ICON if kind is not RowKind.UPDATE else 0, QFontMetrics(small).height())
        height = PAD_Y + meta_h + GAP
        height += lines_height(title, self.wrapped.lines(title, text_w, rec.title, TITLE_LINES))
        for point in rec.points:
            lines = self.wrapped.lines(body, text_w - BULLET_INDENT, point, POINT_LINES)
            height += GAP + lines_height(body, lines)
        height += PAD_Y + 1
        if 0 <= width < 65536 and height <= HEIGHT_MASK:
            rec.measure = measured_for << HEIGHT_BITS | height
        return height

    # --- paint ---
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: AnyIndex) -> None:
        opt = QStyleOptionViewItem(option)
        self.initStyleOption(opt, index)
        opt.text = ""
        widget = opt.widget
        style = widget.style() if widget is not None else None
        kind, rec, count = self._rec(index)
        painter.save()
        try:
            if kind is RowKind.DIVIDER:
                self._paint_divider(painter, opt)
                return
            if style is not None:
                style.drawPrimitive(
                    QStyle.PrimitiveElement.PE_PanelItemViewItem, opt, painter, widget
                )
            if kind is RowKind.OLDER:
                self._paint_more(painter, opt, str(index.data() or ""), count, older=True)
                return
            if kind is RowKind.MORE or rec is None:
                self._paint_more(painter, opt, str(index.data() or ""), count)
                return
            self._paint_entry(painter, opt, kind, rec, index)
        finally:
            painter.restore()

    def _colours(self, opt: QStyleOptionViewItem) -> tuple[QColor, QColor, QColor]:
        """(text, muted text, accent) for this row's state."""
        pal = opt.palette
        selected = bool(opt.state & QStyle.StateFlag.State_Selected)
        group = (
            QPalette.ColorGroup.Active
            if opt.state & QStyle.StateFlag.State_Active
            else QPalette.ColorGroup.Inactive
        )
        text_role = QPalette.ColorRole.HighlightedText if selected else QPalette.ColorRole.Text
        text = pal.color(group, text_role)
        muted = QColor(text)
        muted.setAlphaF(0.68)
        accent = text if selected else pal.color(group, QPalette.ColorRole.Highlight)
        return text, muted, accent

    def _paint_divider(self, painter: QPainter, opt: QStyleOptionViewItem) -> None:
        _, _, small = self.fonts(opt.font)
        small = QFont(small)
        small.setBold(True)
        # The divider is not an enabled item: take the accent of the active group, not the
        # disabled one (grey in most styles).
        accent = opt.palette.color(QPalette.ColorGroup.Active, QPalette.ColorRole.Highlight)
        painter.setFont(small)
        painter.setPen(accent)
        r = opt.rect.adjusted(PAD_X, 0, -PAD_X, 0)
        label = "▲ New since you last looked"
        fm = QFontMetrics(small)
        text_w = fm.horizontalAdvance(label)
        y = r.center().y()
        painter.drawText(r, int(Qt.AlignmentFlag.AlignCenter), label)
        gap = (r.width() - text_w) // 2 - 8
        if gap > 0:
            painter.drawLine(r.left(), y, r.left() + gap, y)
            painter.drawLine(r.right() - gap, y, r.right(), y)

    def _paint_more(
        self, painter: QPainter, opt: QStyleOptionViewItem, text: str, n: int, older: bool = False
    ) -> None:
        """A live page's "N earlier updates" row, or the list's "Show older entries" row."""
        body, _, _ = self.fonts(opt.font)
        _, _, accent = self._colours(opt)
        painter.setFont(body)
        painter.setPen(accent)
        r = opt.rect.adjusted(PAD_X + (0 if older else GROUP_INDENT), 0, -PAD_X, 0)
        arrow = "▾ " if older else "▸ " if n else "▴ "
        painter.drawText(r, int(Qt.AlignmentFlag.AlignVCenter), arrow + text)

    def _paint_entry(
        self,
        painter: QPainter,
        opt: QStyleOptionViewItem,
        kind: RowKind,
        rec: Rec,
        index: AnyIndex,
    ) -> None:
        body, title_font, small = self.fonts(opt.font)
        text, muted, accent = self._colours(opt)
        r = opt.rect
        left = r.left() + PAD_X + (GROUP_INDENT if kind is RowKind.UPDATE else 0)
        width = r.right() - PAD_X - left
        y = r.top() + PAD_Y
        small_fm = QFontMetrics(small)
        meta_h = max(ICON if kind is not RowKind.UPDATE else 0, small_fm.height())
        x = left
        if kind is not RowKind.UPDATE:
            dpr = painter.device().devicePixelRatioF() if painter.device() is not None else 1.0
            pix = self.favicons.pixmap(rec.source_id, rec.source_name, ICON, dpr)
            painter.drawPixmap(x, y + (meta_h - ICON) // 2, pix)
            x += ICON + 6
        model = index.model()
        if isinstance(model, EntriesModel):
            when = relative_time(model.shown_when(kind, rec), model.now)
        else:
            when = ""
        if kind is RowKind.PAGE:
            x = self._pill(painter, small, accent, x, y, meta_h, "LIVE")
        painter.setFont(small)
        painter.setPen(muted)
        meta_rect = QRect(x, y, r.right() - PAD_X - x, meta_h)
        painter.drawText(
            meta_rect,
            int(Qt.AlignmentFlag.AlignVCenter),
            header_text(
                small_fm,
                None if kind is RowKind.UPDATE else rec.source_name,
                when,
                meta_rect.width(),
            ),
        )
        y += meta_h + GAP
        title_fm = QFontMetrics(title_font)
        title_lines = self.wrapped.lines(title_font, width, rec.title, TITLE_LINES)
        title_rtl = is_rtl(rec.title)
        if not rec.read:
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(accent)
            d = 7
            cy = y + title_fm.ascent() - title_fm.xHeight() // 2
            dot_x = left - d - 4 if kind is RowKind.UPDATE else r.left() + (PAD_X - d) // 2
            painter.drawEllipse(dot_x, cy - d // 2, d, d)
        painter.setPen(text)
        y += draw_lines(painter, title_font, QRect(left, y, width, 0), title_lines, title_rtl)
        body_fm = QFontMetrics(body)
        for point in rec.points:
            y += GAP
            lines = self.wrapped.lines(body, width - BULLET_INDENT, point, POINT_LINES)
            rtl = is_rtl(point)
            # The bullet sits where the text starts: on the right of right-to-left text.
            bullet_x = left + width - BULLET_INDENT + 4 if rtl else left + 2
            text_x = left if rtl else left + BULLET_INDENT
            painter.setFont(body)
            painter.setPen(accent if kind is RowKind.PAGE else muted)
            fresh = kind is RowKind.PAGE and point in self.new_points.get(rec.source_id, ())
            mark = NEW_POINT if fresh else "•"
            painter.drawText(QRect(bullet_x, y, BULLET_INDENT, body_fm.height()), 0, mark)
            painter.setPen(text)
            rect = QRect(text_x, y, width - BULLET_INDENT, 0)
            y += draw_lines(painter, body, rect, lines, rtl)
        line = QColor(opt.palette.color(QPalette.ColorRole.Mid))
        line.setAlphaF(0.35)
        painter.setPen(line)
        painter.drawLine(r.left() + PAD_X, r.bottom(), r.right() - PAD_X, r.bottom())

    @staticmethod
    def _pill(
        painter: QPainter, font: QFont, colour: QColor, x: int, y: int, h: int, label: str
    ) -> int:
        pill_font = QFont(font)
        pill_font.setBold(True)
        fm = QFontMetrics(pill_font)
        w = fm.horizontalAdvance(label) + 8
        rect = QRect(x, y + (h - fm.height()) // 2, w, fm.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(colour)
        painter.drawRoundedRect(rect, 3, 3)
        painter.setFont(pill_font)
        painter.setPen(QColor("white"))
        painter.drawText(rect, int(Qt.AlignmentFlag.AlignCenter), label)
        return x + w + 6


def header_text(fm: QFontMetrics, source: str | None, when: str, width: int) -> str:
    """A row's header, "Source  ·  3 min ago": the source name gives way (elided) before
    the time does, which is cut only when it alone does not fit."""
    if source is None:
        return fm.elidedText(when, Qt.TextElideMode.ElideRight, width)
    tail = f"  ·  {when}"
    room = width - fm.horizontalAdvance(tail)
    if room < fm.horizontalAdvance("M…"):
        return fm.elidedText(when, Qt.TextElideMode.ElideRight, width)
    return fm.elidedText(source, Qt.TextElideMode.ElideRight, room) + tail
