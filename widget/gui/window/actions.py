"""What the user does to entries in the key-points window: open, mark read, the row menu.

``EntryActions`` owns this for ``KeyPointsWindow`` (gui/window/window.py). A click or Enter opens
an entry's web link (http/https only) and marks it read, Space toggles read, the right button
opens the entry's menu, and unread entries wholly on screen for a while count as seen. Every
write leaves as a signal (the window passes them on); nothing is stored here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, QObject, QPoint, Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QGuiApplication
from PySide6.QtWidgets import QApplication, QLineEdit, QMenu, QWidget

from widget.core.urls import safe_url
from widget.gui.window.model import (
    KEY_ROLE,
    KIND_ROLE,
    READ_ROLE,
    SOURCE_ROLE,
    URL_ROLE,
    EntriesModel,
)
from widget.gui.window.parts import EntryListView, Footer, entry_menu
from widget.gui.window.reloader import StoreReader
from widget.gui.window.rows import Key, RowKind


class EntryActions(QObject):
    """The entry actions of the key-points window."""

    opened = Signal(object, str)  # key, the http(s) URL handed to the browser
    mark_read_requested = Signal(object, bool)  # list[Key], read
    mark_all_read_requested = Signal()
    mute_requested = Signal(str)  # source id
    source_settings_requested = Signal(str)  # source id
    changed = Signal()  # marks changed the rows: the window updates its empty state

    def __init__(
        self,
        window: QWidget,
        model: EntriesModel,
        view: EntryListView,
        footer: Footer,
        search: QLineEdit,
        reader: StoreReader,
        opener: Callable[[str], None] | None,
    ) -> None:
        super().__init__(window)
        self._window = window
        self.model = model
        self.view = view
        self.footer = footer
        self.search = search
        self._reader = reader
        self.opener = opener

    def current_key(self) -> Key | None:
        return self.view.current_key()

    def select_key(self, key: Key) -> bool:
        row = self.model.row_of(key)
        if row < 0:
            return False
        self.view.setCurrentIndex(self.model.index(row))
        return True

    def open_index(self, index: QModelIndex) -> bool:
        """Open the entry's web link in the browser (http/https only) and mark it read."""
        key = index.data(KEY_ROLE)
        if key is None:
            return False
        url = safe_url(index.data(URL_ROLE))
        if url is None:
            self.footer.set_message("This entry has no web link to open.")
            return False
        if self.opener is not None:
            self.opener(url)
        elif not QDesktopServices.openUrl(QUrl(url)):
            self.footer.set_message(f"Could not open {url}: no browser answered.")
            return False
        self.set_read([key], True)
        self.opened.emit(key, url)
        return True

    def set_read(self, keys: Sequence[Key], read: bool) -> None:
        changed = self.model.set_read(keys, read)
        if changed:
            self._reader.outdate()  # read before this mark was stored; a reload follows it
            self.mark_read_requested.emit(changed, read)

    def toggle_read_current(self) -> None:
        index = self.view.currentIndex()
        key = self.current_key()
        if key is not None:
            self.set_read([key], not bool(index.data(READ_ROLE)))

    def mark_all_read(self) -> None:
        self._reader.outdate()
        self.model.mark_all_read()
        self.mark_all_read_requested.emit()
        self.changed.emit()

    def mark_visible_seen(self) -> None:
        """Unread entries wholly on screen while the window is shown count as read."""
        if not self._window.isVisible() or not self.view.isVisible():
            return
        rows = self.view.wholly_visible_rows()
        unread = self.model.keys_in(r for r in rows if not self.model.index(r).data(READ_ROLE))
        if unread:
            self.set_read(unread, True)

    def focus_search(self) -> None:
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        """The menu of one entry row (None for dividers and "earlier updates" rows)."""
        kind = index.data(KIND_ROLE)
        key = index.data(KEY_ROLE)
        if key is None or kind in (RowKind.MORE, RowKind.DIVIDER, RowKind.OLDER):
            return None
        key = (str(key[0]), str(key[1]))
        url = safe_url(index.data(URL_ROLE))
        read = bool(index.data(READ_ROLE))
        source_id = str(index.data(SOURCE_ROLE))
        return entry_menu(
            self._window,
            url,
            read,
            on_open=lambda: self.open_index(self.model.index(self.model.row_of(key))),
            on_copy=lambda: QGuiApplication.clipboard().setText(url or ""),
            on_toggle=lambda: self.set_read([key], not read),
            on_mute=lambda: self.mute_requested.emit(source_id),
            on_settings=lambda: self.source_settings_requested.emit(source_id),
        )

    def focus_list(self) -> None:
        self.view.setFocus(Qt.FocusReason.OtherFocusReason)
        if not self.view.currentIndex().isValid():
            first = self.view.first_selectable()
            if first.isValid():
                self.view.setCurrentIndex(first)

    def clicked(self, index: QModelIndex) -> None:
        if QApplication.mouseButtons() & Qt.MouseButton.RightButton:
            return
        self._activate(index)

    def activate_current(self) -> None:
        self._activate(self.view.currentIndex())

    def _activate(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        kind = index.data(KIND_ROLE)
        if kind is RowKind.MORE:
            self.model.toggle_expanded(str(index.data(SOURCE_ROLE)))
            return
        if kind is RowKind.OLDER:
            self._reader.show_older()
            return
        self.open_index(index)

    def show_context_menu(self, pos: QPoint) -> None:
        index = self.view.indexAt(pos)
        menu = self.context_menu(index) if index.isValid() else None
        if menu is not None:
            self.view.setCurrentIndex(index)
            menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            menu.popup(self.view.viewport().mapToGlobal(pos))
