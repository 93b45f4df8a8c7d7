"""Parts of the key-points window: the list view's keys, the empty states, the footer, and
where the window first appears (near the tray icon)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from PySide6.QtCore import QModelIndex, QPoint, QRect, QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widget.gui.entries_model import relative_time
from widget.gui.signals import emit

MARGIN = 8  # between the window and the screen edge / tray icon
MAX_FAILING_SHOWN = 3


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
        self.setBatchSize(40)
        self.setMouseTracking(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setUniformItemSizes(False)
        self.setWordWrap(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.enter_pressed)
            return
        if key == Qt.Key.Key_Space and not event.modifiers():
            emit(self.space_pressed)
            return
        if key == Qt.Key.Key_Escape:
            event.ignore()  # the window hides
            return
        super().keyPressEvent(event)

    def first_selectable(self) -> QModelIndex:
        model = self.model()
        for row in range(model.rowCount()):
            index = model.index(row, 0)
            if model.flags(index) & Qt.ItemFlag.ItemIsSelectable:
                return index
        return QModelIndex()


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
