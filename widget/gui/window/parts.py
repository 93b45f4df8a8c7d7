"""Parts of the key-points window: the list view's keys, the empty states, the footer, and
where the window first appears (near the tray icon)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QAction, QIcon, QKeyEvent, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widget.core.clock import relative_time
from widget.gui.window.model import Show

MARGIN = 8  # between the window and the screen edge / tray icon
MAX_FAILING_SHOWN = 3
# Rows measured per step of a list layout (~0.35 ms each): the GUI thread is never held long
BATCH_ROWS = 15


def place_near(anchor: QRect, size: QSize, screen: QRect) -> QPoint:
    """Top-left corner for a window of ``size`` next to ``anchor`` (the tray icon), inside
    ``screen``'s available area; without an anchor, the bottom-right corner (where trays are)."""
    w, h = size.width(), size.height()
    if not anchor.isValid() or not screen.intersects(anchor):
        return QPoint(screen.right() - w - MARGIN + 1, screen.bottom() - h - MARGIN + 1)
    x = anchor.x() + anchor.width() // 2 - w // 2
    if anchor.y() + anchor.height() // 2 < screen.y() + screen.height() // 2:
        y = anchor.top() + anchor.height() + MARGIN  # a panel at the top: open below the icon
    else:
        y = anchor.top() - h - MARGIN
    x = max(screen.left() + MARGIN, min(x, screen.right() - w - MARGIN + 1))
    y = max(screen.top() + MARGIN, min(y, screen.bottom() - h - MARGIN + 1))
    return QPoint(x, y)


class EntryListView(QListView):
    """The rows: Enter opens, Space toggles read; rows are measured lazily in batches."""

    enter_pressed = Signal()
    space_pressed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("keyPoints")
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setLayoutMode(QListView.LayoutMode.Batched)
        self.setBatchSize(BATCH_ROWS)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.enter_pressed.emit()
            return
        if key == Qt.Key.Key_Space and not event.modifiers():
            self.space_pressed.emit()
            return
        if key == Qt.Key.Key_Escape:
            event.ignore()  # the window hides
            return
        super().keyPressEvent(event)

    def scroll_anchor(self) -> tuple[QModelIndex, int]:
        """The row at the top of the viewport and how far its top sits above it."""
        index = self.indexAt(QPoint(4, 0))
        return index, (self.visualRect(index).top() if index.isValid() else 0)

    def restore_scroll(self, row: int, offset: int, fallback: int) -> None:
        """Put ``row`` back at the top, ``offset`` pixels up (or the scroll bar at
        ``fallback`` when the row is gone). At the very top the list stays at the top, so new
        entries arriving there are seen."""
        bar = self.verticalScrollBar()
        if fallback <= 0:
            bar.setValue(0)
            return
        # A batched layout places only the first rows now and the rest later, clamping the
        # scroll bar meanwhile: lay every row out at once (row heights are cached).
        mode = self.layoutMode()
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        try:
            self.doItemsLayout()
            if row < 0:
                bar.setValue(fallback)
                return
            self.scrollTo(self.model().index(row, 0), QAbstractItemView.ScrollHint.PositionAtTop)
            bar.setValue(bar.value() - offset)
        finally:
            self.setLayoutMode(mode)

    def select_row(self, row: int) -> None:
        if row >= 0:
            self.selectionModel().setCurrentIndex(
                self.model().index(row, 0),
                self.selectionModel().SelectionFlag.ClearAndSelect,
            )

    def wholly_visible_rows(self) -> list[int]:
        """Rows entirely inside the viewport (or taller than it and showing)."""
        area = self.viewport().rect()
        rows = []
        for row in range(self.model().rowCount()):
            rect = self.visualRect(self.model().index(row, 0))
            if rect.bottom() < area.top():
                continue
            if rect.top() > area.bottom():
                break
            if area.contains(rect.adjusted(0, 0, 0, -1)) or rect.height() > area.height():
                rows.append(row)
        return rows

    def first_selectable(self) -> QModelIndex:
        model = self.model()
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            if model.flags(index) & Qt.ItemFlag.ItemIsSelectable:
                return index
        return QModelIndex()


def entry_menu(
    parent: QWidget,
    url: str | None,
    read: bool,
    *,
    on_open: Callable[[], object],
    on_copy: Callable[[], object],
    on_toggle: Callable[[], object],
    on_mute: Callable[[], object],
    on_settings: Callable[[], object],
) -> QMenu:
    """An entry's context menu: Open, Copy link, Mark read/unread, Mute, Source settings…"""
    menu = QMenu(parent)
    for text, slot, enabled in (
        ("Open", on_open, url is not None),
        ("Copy link", on_copy, url is not None),
        ("Mark unread" if read else "Mark read", on_toggle, True),
        ("", None, True),
        ("Mute this source", on_mute, True),
        ("Source settings…", on_settings, True),
    ):
        if slot is None:
            menu.addSeparator()
            continue
        action = menu.addAction(text)
        action.setEnabled(enabled)
        action.triggered.connect(slot)
    return menu


EMPTY_TEXTS = {
    "no_sources": (
        "No sources yet",
        "Add a live page or a feed, and its key points appear here as they are published.",
    ),
    "nothing_yet": ("Nothing yet", "New developments appear here as your sources publish them."),
    "caught_up": ("All caught up", "Nothing unread. New developments appear here."),
    "no_match": ("No matches", ""),
}


class EmptyState(QWidget):
    add_source = Signal()
    show_all = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.state = ""
        self.title = QLabel(self)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setBold(True)
        font.setPointSizeF(max(font.pointSizeF(), 1.0) * 1.15)
        self.title.setFont(font)
        self.detail = QLabel(self)
        self.detail.setWordWrap(True)
        self.detail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.add_button = QPushButton("Add a source…", self)
        self.add_button.setAccessibleName("Add a source")
        self.add_button.clicked.connect(self.add_source)
        self.all_button = QPushButton("Show all", self)
        self.all_button.clicked.connect(self.show_all)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self.title)
        layout.addWidget(self.detail)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.add_button)
        row.addWidget(self.all_button)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(2)
        self.hide()

    def set_state(self, state: str, search: str = "") -> None:
        self.state = state
        title, detail = EMPTY_TEXTS[state]
        if state == "no_match":
            detail = f"No entry matches “{search}”." if search else "No entry matches the filter."
        self.title.setText(title)
        self.detail.setText(detail)
        self.setAccessibleName(f"{title}. {detail}")
        self.add_button.setVisible(state == "no_sources")
        self.all_button.setVisible(state == "caught_up")


class Footer(QWidget):
    """Last update, progress while a poll runs, failing sources with their reasons and Retry."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.status = QLabel("Not checked yet", self)
        self.status.setAccessibleName("Update status")
        self.failing = QLabel(self)
        self.failing.setWordWrap(True)
        self.failing.setTextFormat(Qt.TextFormat.PlainText)
        self.failing.setAccessibleName("Failing sources")
        self.retry = QPushButton("Retry", self)
        self.retry.setAccessibleName("Retry failing sources")
        self.retry.setToolTip("Check the failing sources again now")
        self._last: datetime | None = None
        self._progress = (0, 0)
        self._message = ""
        self._now: datetime | None = None
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.status, 1)
        top.addWidget(self.retry)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 0, 2, 0)
        layout.setSpacing(2)
        layout.addWidget(self.failing)
        layout.addLayout(top)
        self.failing.hide()
        self.retry.hide()
        self.set_failing([])

    def set_last_update(self, when: datetime | None, now: datetime) -> None:
        self._last = when
        self._message = ""
        self.tick(now)

    def set_progress(self, done: int, total: int) -> None:
        self._progress = (done, total)
        self._render()

    def set_message(self, text: str) -> None:
        self._message = text
        self._render()

    def tick(self, now: datetime) -> None:
        self._now = now
        self._render()

    def _render(self) -> None:
        done, total = self._progress
        if total:
            text = f"Updating {min(done + 1, total)} of {total}…"
        elif self._message:
            text = self._message
        elif self._last is not None:
            when = relative_time(self._last, self._now or datetime.now(self._last.tzinfo))
            text = f"Last update: {when}"
        else:
            text = "Not checked yet"
        self.status.setText(text)

    def set_failing(self, failing: Sequence[tuple[str, str]]) -> None:
        """(source name, reason) of each failing source."""
        lines = [f"⚠ {name}: {reason}" if reason else f"⚠ {name}" for name, reason in failing]
        if len(lines) > MAX_FAILING_SHOWN:
            extra = len(lines) - MAX_FAILING_SHOWN
            lines = [*lines[:MAX_FAILING_SHOWN], f"and {extra} more failing"]
        self.failing.setText("\n".join(lines))
        self.failing.setVisible(bool(lines))
        self.retry.setVisible(bool(lines))


def clear_icon(palette: QPalette, side: int = 16, scale: float = 2.0) -> QIcon:
    """A small "×" in the palette's placeholder-text colour. Drawn here rather than taken from
    the style (``setClearButtonEnabled``), whose icon-theme lookup keeps ~1 MB resident."""
    device = round(side * scale)
    pixmap = QPixmap(device, device)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(palette.color(QPalette.ColorRole.PlaceholderText), 1.6 * scale))
        low, high = device * 0.3, device * 0.7
        painter.drawLine(round(low), round(low), round(high), round(high))
        painter.drawLine(round(high), round(low), round(low), round(high))
    finally:
        painter.end()
    pixmap.setDevicePixelRatio(scale)
    return QIcon(pixmap)


def clear_action(edit: QLineEdit) -> QAction:
    """A clear button inside ``edit`` (trailing), shown only while it holds text."""
    action = QAction(clear_icon(edit.palette()), "Clear search", edit)
    action.setToolTip("Clear search")
    action.triggered.connect(edit.clear)
    edit.addAction(action, QLineEdit.ActionPosition.TrailingPosition)
    # after adding: the line edit's button follows the action's later changes, not its state
    # when added
    action.setVisible(bool(edit.text()))
    edit.textChanged.connect(lambda text: action.setVisible(bool(text)))
    return action


class FilterBar:
    """The controls above the list: search box, source filter, Show: all/unread, ⋯ menu."""

    def __init__(self, parent: QWidget, menu: QMenu) -> None:
        self.search = QLineEdit(parent)
        self.search.setPlaceholderText("Search titles and key points")
        self.clear_action = clear_action(self.search)
        self.search.setAccessibleName("Search key points")
        self.source_box = QComboBox(parent)
        self.source_box.setAccessibleName("Filter by source")
        self.source_box.setToolTip("Show one source only")
        self.source_box.addItem("All sources", None)
        self.show_box = QComboBox(parent)
        self.show_box.setAccessibleName("Show")
        self.show_box.addItem("Show: all", Show.ALL.value)
        self.show_box.addItem("Show: unread", Show.UNREAD.value)
        self.menu_button = QToolButton(parent)
        self.menu_button.setText("⋯")
        self.menu_button.setAccessibleName("More actions")
        self.menu_button.setToolTip("More actions")
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        # The style's menu arrow would be drawn over the dots: the dots say "menu" already.
        self.menu_button.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0; }")
        self.menu_button.setMenu(menu)

    def rows(self) -> tuple[QHBoxLayout, QHBoxLayout]:
        top = QHBoxLayout()
        top.setSpacing(6)
        top.addWidget(self.search, 1)
        top.addWidget(self.menu_button)
        filters = QHBoxLayout()
        filters.setSpacing(6)
        filters.addWidget(self.source_box, 1)
        filters.addWidget(self.show_box)
        return top, filters

    def fill_sources(self, names: dict[str, str]) -> bool:
        """List these sources (id → name) by name, keeping the choice when the source is still
        there; True when the chosen source changed (it disappeared)."""
        box = self.source_box
        current = box.currentData()
        wanted = sorted(names.items(), key=lambda kv: kv[1].casefold())
        have = [box.itemData(i) for i in range(1, box.count())]
        if have == [sid for sid, _ in wanted]:
            return False
        box.blockSignals(True)
        try:
            box.clear()
            box.addItem("All sources", None)
            for sid, name in wanted:
                box.addItem(name, sid)
            box.setCurrentIndex(max(0, box.findData(current) if current is not None else 0))
        finally:
            box.blockSignals(False)
        return bool(box.currentData() != current)
