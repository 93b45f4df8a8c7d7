"""A minimal window listing recent entries with their first key point (a placeholder until the
compact key-points window of a later issue replaces it). Closing it only hides it."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from widget import APP_NAME
from widget.core.models import Entry
from widget.gui.signals import emit

KEY_ROLE = Qt.ItemDataRole.UserRole
URL_ROLE = Qt.ItemDataRole.UserRole + 1


def entry_line(entry: Entry) -> str:
    """Two lines: "HH:MM  Source — Title" and the first key point (or summary)."""
    when = entry.sort_time.astimezone().strftime("%H:%M")
    dot = "" if entry.read else "● "
    detail = next((k for k in entry.key_points if k.strip()), entry.summary)
    head = f"{dot}{when}  {entry.source_name} — {entry.title}"
    return f"{head}\n    {detail}" if detail else head


class RecentWindow(QWidget):
    open_requested = Signal(object, object)  # (source_id, entry_id), url
    refresh_requested = Signal()
    quit_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"{APP_NAME}: key points")
        self.resize(460, 420)
        self.list = QListWidget(self)
        self.list.setWordWrap(True)
        self.list.itemActivated.connect(self._activated)
        self.status = QLabel("Not checked yet", self)
        self.failing = QLabel("", self)
        self.failing.setWordWrap(True)
        self.failing.hide()
        refresh = QPushButton("Refresh now", self)
        refresh.clicked.connect(self.refresh_requested)
        quit_button = QPushButton("Quit", self)
        quit_button.clicked.connect(self.quit_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(refresh)
        buttons.addWidget(quit_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.failing)
        layout.addLayout(buttons)
        self.set_entries([])

    def set_entries(self, entries: Sequence[Entry]) -> None:
        self.list.clear()
        if not entries:
            placeholder = QListWidgetItem("No entries yet. New updates appear here.")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.list.addItem(placeholder)
            return
        for entry in entries:
            item = QListWidgetItem(entry_line(entry))
            item.setData(KEY_ROLE, (entry.source_id, entry.id))
            item.setData(URL_ROLE, entry.url)
            item.setToolTip(entry.url or "This entry has no link")
            self.list.addItem(item)

    def set_status(self, text: str) -> None:
        self.status.setText(text)

    def set_failing(self, names: Sequence[str]) -> None:
        self.failing.setText("Failing: " + ", ".join(names) if names else "")
        self.failing.setVisible(bool(names))

    def entry_texts(self) -> list[str]:
        return [self.list.item(i).text() for i in range(self.list.count())]

    def show_and_raise(self) -> None:
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def toggle(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_and_raise()

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.hide()

    def _activated(self, item: QListWidgetItem) -> None:
        key = item.data(KEY_ROLE)
        if key is not None:
            emit(self.open_requested, tuple(key), item.data(URL_ROLE))
