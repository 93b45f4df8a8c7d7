"""The compact key-points window: recent developments across all sources, newest first.

Model/view over the entry store (read-only connection); a delegate paints each entry with its key
points as bullets. The window reads the store itself, opens only http(s) links, and asks for every
write (mark read, mute, retry) through signals that the app routes to the controller's worker.

It holds the newest entries that match its filters, a page at a time ("Show older entries"), and
nothing at all once it has been hidden for ``RELEASE_AFTER_MS``: while hidden, store changes only
mark it stale, and showing it reads afresh.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime

from PySide6.QtCore import QEvent, QModelIndex, QObject, QRect, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QHideEvent,
    QKeyEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import QLabel, QMenu, QVBoxLayout, QWidget

from widget.core.clock import utcnow
from widget.core.models import Config, SourceStatus
from widget.gui.tray import DndChoice
from widget.gui.window.actions import EntryActions
from widget.gui.window.delegate import EntryDelegate
from widget.gui.window.favicons import Favicons
from widget.gui.window.loader import Submit
from widget.gui.window.model import EntriesModel, RowSource
from widget.gui.window.parts import EmptyState, EntryListView, FilterBar, Footer
from widget.gui.window.reloader import StoreReader
from widget.gui.window.rows import Key, Show
from widget.gui.window.state import DEFAULT_SIZE, WindowMemory

log = logging.getLogger(__name__)

TICK_MS = 60_000  # relative times are refreshed once a minute while the window is visible
SEEN_DELAY_MS = 2_500  # an unread entry fully on screen this long counts as seen
RELEASE_AFTER_MS = 5_000  # hidden this long, the window lets go of its rows (not on a quick toggle)


def muted(config: Config, source_id: str) -> Config:
    """``config`` with notifications of one source turned off."""
    sources = tuple(replace(s, notify=False) if s.id == source_id else s for s in config.sources)
    return replace(config, sources=sources)


class KeyPointsWindow(QWidget):
    """Signals carry keys ``(source_id, entry_id)`` and source ids; nothing is written here.

    The window is composed of the objects that own each job: ``reader`` (a ``StoreReader``,
    reloader.py) reads the store, ``entry_actions`` (``EntryActions``, actions.py) does what the
    user does to entries; this class builds the window, shows and hides it, and keeps the footer
    and the empty state up to date."""

    opened = Signal(object, str)  # key, the http(s) URL handed to the browser
    mark_read_requested = Signal(object, bool)  # list[Key], read
    mark_all_read_requested = Signal()
    mute_requested = Signal(str)  # source id
    source_settings_requested = Signal(str)  # source id
    add_source_requested = Signal()
    retry_requested = Signal(object)  # tuple[str, ...]: ids of the failing sources
    refresh_requested = Signal()
    settings_requested = Signal()
    pause_toggled = Signal(bool)
    dnd_requested = Signal(object)  # DndChoice
    quit_requested = Signal()
    released = Signal()  # let go of its rows while hidden: a moment to hand memory back

    RELEASE_AFTER_MS = RELEASE_AFTER_MS  # per window, so a test can shorten it

    def __init__(
        self,
        store: RowSource | None = None,
        parent: QWidget | None = None,
        *,
        favicons: Favicons | None = None,
        settings: QSettings | None = None,
        anchor: Callable[[], QRect] | None = None,
        clock: Callable[[], datetime] = utcnow,
        opener: Callable[[str], None] | None = None,
        submit: Submit | None = None,
    ) -> None:
        """``opener`` hands an http(s) URL to the browser (default: QDesktopServices).
        ``submit`` runs a job on the controller's worker: with it, the store is read there
        after polls (the GUI thread only regroups), and not at all while the window is hidden."""
        super().__init__(parent)
        self.opener = opener
        self._unread = 0
        self._update_title()  # Qt adds " — Live Updates" (the application's display name)
        self.setObjectName("keyPointsWindow")
        self.memory = WindowMemory(settings if settings is not None else QSettings(), anchor)
        self._clock = clock
        self._statuses: list[SourceStatus] | None = None
        self._failing: tuple[str, ...] = ()
        self.favicons = favicons or Favicons(parent=self)
        self.model = EntriesModel(store, self, clock=clock)
        self._build()
        self.reader = StoreReader(
            self,
            self.model,
            self.view,
            self.delegate,
            self.favicons,
            submit=submit,
            stale=store is not None,
            on_reset=self._model_reset,
        )
        self.reader.released.connect(self.released)
        self.entry_actions = EntryActions(
            self, self.model, self.view, self.footer, self.search, self.reader, opener
        )
        for mine, theirs in (
            (self.opened, self.entry_actions.opened),
            (self.mark_read_requested, self.entry_actions.mark_read_requested),
            (self.mark_all_read_requested, self.entry_actions.mark_all_read_requested),
            (self.mute_requested, self.entry_actions.mute_requested),
            (self.source_settings_requested, self.entry_actions.source_settings_requested),
        ):
            theirs.connect(mine)
        self.entry_actions.changed.connect(self._update_empty)
        self._wire_actions()
        self._tick = QTimer(self)
        self._tick.setInterval(TICK_MS)
        self._tick.timeout.connect(self.tick)
        self._seen = QTimer(self)
        self._seen.setSingleShot(True)
        self._seen.setInterval(SEEN_DELAY_MS)
        self._seen.timeout.connect(self.entry_actions.mark_visible_seen)
        # a slot of the window, not a lambda: the site icons may outlive it (and a fetch may
        # still finish after it is gone), and Qt drops a slot's connection with its object
        self.favicons.fetched.connect(self._icon_fetched)
        self.model.set_last_looked(self.memory.last_looked())
        self.delegate.new_points.update(self.memory.new_points())
        self.set_always_on_top(self.memory.on_top())
        self.resize(*DEFAULT_SIZE)

    # --- construction ---
    def _build(self) -> None:
        self.bar = FilterBar(self, self._build_menu())
        self.search, self.source_box = self.bar.search, self.bar.source_box
        self.show_box, self.menu_button = self.bar.show_box, self.bar.menu_button
        self.search.textChanged.connect(self._search_changed)
        self.search.installEventFilter(self)
        self.source_box.currentIndexChanged.connect(self._source_changed)
        self.show_box.currentIndexChanged.connect(
            lambda _row: self.model.set_show(Show(self.show_box.currentData()))
        )
        self.view = EntryListView(self)
        self.view.setModel(self.model)
        self.delegate = EntryDelegate(self.favicons, self.view)
        self.view.setItemDelegate(self.delegate)
        self.view.setAccessibleName("Key points")
        self.view.verticalScrollBar().valueChanged.connect(lambda _v: self._arm_seen())
        self.model.modelReset.connect(self._model_reset)
        self.empty = EmptyState(self)
        self.empty.add_source.connect(self.add_source_requested)
        self.empty.show_all.connect(lambda: self.show_box.setCurrentIndex(0))
        self.notice = QLabel(self)
        self.notice.setObjectName("windowNotice")
        self.notice.setWordWrap(True)
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setFrameShape(QLabel.Shape.StyledPanel)
        self.notice.setMargin(6)
        self.notice.setAccessibleName("Notice")
        self.notice.hide()
        self.footer = Footer(self)
        self.footer.retry.clicked.connect(self._retry)
        top, filters = self.bar.rows()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 8, 8, 6)
        layout.setSpacing(6)
        layout.addWidget(self.notice)
        layout.addLayout(top)
        layout.addLayout(filters)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.empty, 1)
        layout.addWidget(self.footer)
        QWidget.setTabOrder(self.search, self.source_box)
        QWidget.setTabOrder(self.source_box, self.show_box)
        QWidget.setTabOrder(self.show_box, self.menu_button)
        QWidget.setTabOrder(self.menu_button, self.view)
        QWidget.setTabOrder(self.view, self.footer.retry)

    def _wire_actions(self) -> None:
        actions = self.entry_actions
        self.search.returnPressed.connect(actions.focus_list)
        self.view.clicked.connect(actions.clicked)
        self.view.enter_pressed.connect(actions.activate_current)
        self.view.space_pressed.connect(actions.toggle_read_current)
        self.view.customContextMenuRequested.connect(actions.show_context_menu)
        self.mark_all_read_action.triggered.connect(actions.mark_all_read)
        find = QShortcut(QKeySequence(QKeySequence.StandardKey.Find), self)
        find.activated.connect(actions.focus_search)

    def _build_menu(self) -> QMenu:
        """Everything the tray menu offers, so the window alone is enough where there is no
        tray: refresh, pause, do-not-disturb, settings and quit, plus the window's own."""
        menu = QMenu(self)
        self.mark_all_read_action = QAction("Mark all read", menu)
        self.on_top_action = QAction("Always on top", menu)
        self.on_top_action.setCheckable(True)
        self.on_top_action.toggled.connect(self.set_always_on_top)
        refresh = QAction("Refresh now", menu)
        refresh.triggered.connect(self.refresh_requested)
        self.pause_action = QAction("Pause updates", menu)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.dnd_menu = QMenu("Do not disturb", menu)
        for choice, label in (
            (DndChoice.ONE_HOUR, "For 1 hour"),
            (DndChoice.TOMORROW, "Until tomorrow"),
            (DndChoice.OFF, "Off"),
        ):
            action = self.dnd_menu.addAction(label)
            action.triggered.connect(lambda _=False, c=choice: self.dnd_requested.emit(c))
        add = QAction("Add a source…", menu)
        add.triggered.connect(self.add_source_requested)
        settings = QAction("Settings…", menu)
        settings.triggered.connect(self.settings_requested)
        quit_action = QAction("Quit", menu)
        quit_action.triggered.connect(self.quit_requested)
        for action in (self.mark_all_read_action, self.on_top_action):
            menu.addAction(action)
        menu.addSeparator()
        menu.addAction(refresh)
        menu.addAction(self.pause_action)
        menu.addMenu(self.dnd_menu)
        menu.addSeparator()
        menu.addAction(add)
        menu.addAction(settings)
        menu.addSeparator()
        menu.addAction(quit_action)
        self.menu = menu
        return menu

    def set_paused(self, paused: bool) -> None:
        if self.pause_action.isChecked() != paused:
            self.pause_action.blockSignals(True)
            self.pause_action.setChecked(paused)
            self.pause_action.blockSignals(False)

    def set_dnd_until(self, text: str | None) -> None:
        """The do-not-disturb submenu's title says until when (None: off)."""
        self.dnd_menu.setTitle(f"Do not disturb (until {text})" if text else "Do not disturb")

    def set_unread(self, count: int) -> None:
        self._unread = count
        self._update_title()

    def _update_title(self) -> None:
        self.setWindowTitle(f"Key points · {self._unread} unread" if self._unread else "Key points")

    def set_notice(self, text: str) -> None:
        """A note at the top of the window (empty: none)."""
        self.notice.setText(text)
        self.notice.setVisible(bool(text))

    # --- status (the store itself is read by ``reader``) ---
    def set_statuses(self, statuses: Sequence[SourceStatus]) -> None:
        self._statuses = list(statuses)
        self.favicons.set_sources({s.source.id: s.source.url for s in statuses})
        failing = [
            (s.source.id, s.source.name, s.state.disabled_reason or s.state.last_error or "")
            for s in statuses
            if s.source.enabled and (s.state.error_count > 0 or s.state.disabled_reason)
        ]
        self._failing = tuple(sid for sid, _, _ in failing)
        self.footer.set_failing([(name, reason) for _, name, reason in failing])
        self._fill_sources()
        self._update_empty()

    def set_failing(self, names: Sequence[str]) -> None:
        """Names only (reasons come with ``set_statuses``)."""
        if self._statuses is None:
            self.footer.set_failing([(n, "") for n in names])

    def set_status(self, text: str) -> None:
        self.footer.set_message(text)

    def mark_new_points(self, source_id: str, points: Sequence[str]) -> None:
        """A live page's "What to know" list changed: its new points are marked in the page's
        row (the row shows the page's current points) until the list changes again, across
        restarts too."""
        marks = self.delegate.new_points
        marks.pop(source_id, None)  # the latest change goes last: the oldest are dropped first
        marks[source_id] = frozenset(points)
        self.memory.save_new_points(marks)
        self.view.viewport().update()

    def set_last_update(self, when: datetime | None) -> None:
        self.footer.set_last_update(when, self._clock())

    def set_progress(self, done: int, total: int) -> None:
        self.footer.set_progress(done, total)

    def set_polling(self, polling: bool) -> None:
        if not polling:
            self.footer.set_progress(0, 0)

    # --- the store and the entries (owned by ``reader`` and ``actions``) ---
    def set_store(self, store: RowSource | None) -> None:
        self.reader.set_store(store)

    def reload(self) -> None:
        self.reader.reload()

    def schedule_reload(self, *_args: object) -> None:
        self.reader.schedule_reload()

    def show_older(self) -> None:
        self.reader.show_older()

    def release(self) -> None:
        self.reader.release()

    def current_key(self) -> Key | None:
        return self.view.current_key()

    def select_key(self, key: Key) -> bool:
        return self.entry_actions.select_key(key)

    def context_menu(self, index: QModelIndex) -> QMenu | None:
        return self.entry_actions.context_menu(index)

    def set_read(self, keys: Sequence[Key], read: bool) -> None:
        self.entry_actions.set_read(keys, read)

    def mark_visible_seen(self) -> None:
        self.entry_actions.mark_visible_seen()

    def mark_all_read(self) -> None:
        self.entry_actions.mark_all_read()

    def focus_search(self) -> None:
        self.entry_actions.focus_search()

    # --- showing ---
    def set_always_on_top(self, on: bool) -> None:
        if self.on_top_action.isChecked() != on:
            self.on_top_action.setChecked(on)  # comes back here through toggled
            return
        flags = self.windowFlags()
        wanted = (
            flags | Qt.WindowType.WindowStaysOnTopHint
            if on
            else flags & ~Qt.WindowType.WindowStaysOnTopHint
        )
        self.memory.save_on_top(on)
        if wanted != flags:
            visible = self.isVisible()
            self.setWindowFlags(wanted)
            if visible:
                self.show()

    def show_and_raise(self) -> None:
        if not self.isVisible():
            self.memory.place(self)
        self.show()
        self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
        self.raise_()
        self.activateWindow()

    def toggle(self) -> None:
        if self.isVisible() and not self.isMinimized():
            self.hide()
        else:
            self.show_and_raise()

    def tick(self) -> None:
        self.model.tick()
        self.footer.tick(self._clock())

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.reader.shown()
        self.tick()
        self._tick.start()
        self._arm_seen()

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self._tick.stop()
        self._seen.stop()
        self.memory.save_geometry(self)
        now = self._clock()
        self.memory.save_last_looked(now)
        self.model.set_last_looked(now)
        self.reader.hidden(self.RELEASE_AFTER_MS)

    def closeEvent(self, event: QCloseEvent) -> None:
        event.ignore()
        self.hide()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """In the search box, Down moves into the list and Esc clears the search first."""
        if (
            watched is self.search
            and isinstance(event, QKeyEvent)
            and event.type() == QEvent.Type.KeyPress
        ):
            if event.key() == Qt.Key.Key_Down:
                self.entry_actions.focus_list()
                return True
            if event.key() == Qt.Key.Key_Escape and self.search.text():
                self.search.clear()
                return True
        return super().eventFilter(watched, event)

    # --- internals ---
    def _icon_fetched(self, _key: str) -> None:
        self.view.viewport().update()

    def _retry(self) -> None:
        if self._failing:
            self.retry_requested.emit(self._failing)
        else:
            self.refresh_requested.emit()

    def _search_changed(self, text: str) -> None:
        self.model.set_search(text)
        self._update_empty()  # "No entry matches …" follows the text even when no row changed

    def _source_changed(self, _row: int) -> None:
        data = self.source_box.currentData()
        self.model.set_source_filter(None if data is None else str(data))

    def _fill_sources(self) -> None:
        names = dict(self.model.sources())
        names.update((s.source.id, s.source.name) for s in self._statuses or [])
        if self.bar.fill_sources(names):
            self._source_changed(0)

    def _model_reset(self) -> None:
        self._fill_sources()
        self._update_empty()
        self._arm_seen()

    def _update_empty(self) -> None:
        has_rows = self.model.rowCount() > 0
        if has_rows:
            self.empty.hide()
            self.view.show()
            return
        no_sources = self._statuses is not None and not self._statuses
        if self.model.total_count == 0:
            state = "no_sources" if no_sources else "nothing_yet"
        elif self.search.text().strip() or self.source_box.currentData() is not None:
            state = "no_match"
        else:
            state = "caught_up"
        self.empty.set_state(state, self.search.text().strip())
        self.view.hide()
        self.empty.show()

    def _arm_seen(self) -> None:
        if self.isVisible():
            self._seen.start()
