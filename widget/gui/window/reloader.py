"""Reading the store into the key-points window: live reloads, older pages, letting go.

A mixin of ``KeyPointsWindow`` (gui/window/window.py). Store changes reload the list shortly and
once (on the controller's worker when there is one), keeping the selection and the scroll
position; while the window is hidden they only mark it stale, and after ``RELEASE_AFTER_MS``
hidden the window lets go of its rows, row layout and decoded text until it is shown again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

from widget.gui.window.model import Key, Loaded, RowSource

if TYPE_CHECKING:
    from PySide6.QtCore import QTimer, Signal
    from PySide6.QtWidgets import QWidget

    from widget.gui.window.delegate import EntryDelegate
    from widget.gui.window.favicons import Favicons
    from widget.gui.window.loader import StoreLoader
    from widget.gui.window.model import EntriesModel
    from widget.gui.window.parts import EntryListView

    _Base = QWidget
else:
    _Base = object


class WindowReload(_Base):
    """The store-reading half of ``KeyPointsWindow``; the window owns the state it uses."""

    if TYPE_CHECKING:
        released = Signal()
        model: EntriesModel
        view: EntryListView
        delegate: EntryDelegate
        favicons: Favicons
        _loader: StoreLoader | None
        _dirty: bool
        _loaded_once: bool
        _reload_timer: QTimer
        _release_timer: QTimer

        def current_key(self) -> Key | None: ...
        def _model_reset(self) -> None: ...

    def set_store(self, store: RowSource | None) -> None:
        """Read from ``store`` from now on (now, when the window is shown)."""
        if self._loader is not None:
            self._loader.outdate()
        shown = self.isVisible()
        self.model.set_store(store, read=shown)
        self._loaded_once = shown
        self._dirty = not shown
        self._model_reset()

    def reload(self) -> None:
        """Read the store again now (on this thread), keeping the selection and the scroll
        position."""
        self._reload_timer.stop()
        self._dirty = False
        if self._loader is not None:
            self._loader.outdate()
        self._loaded_once = True
        keep = self._keep()
        self._keeping_view(lambda: self.model.reload(keep))

    def show_older(self) -> None:
        """Read the next page of older entries (the "Show older entries" row)."""
        if self._loader is not None:
            self._loader.outdate()
        keep = self._keep()
        self._keeping_view(lambda: self.model.fetch_older(keep))

    def release(self) -> None:
        """While hidden: let go of the rows, the row layout and decoded text; the next show
        reads the store afresh."""
        self._release_timer.stop()
        if self.isVisible():
            return
        if self._loader is not None:
            self._loader.outdate()
        self._reload_timer.stop()
        self._dirty = self._dirty or self._loaded_once
        self._loaded_once = False
        self.model.release()
        self.delegate.wrapped.clear()
        self.favicons.release()
        self.view.reset()
        if self.testAttribute(Qt.WidgetAttribute.WA_WState_Created):
            # the native window and its backing store (the window's size in pixels of shared
            # memory on X11) go too; the next show creates them again where the window was
            self.destroy()
        self.released.emit()

    def _keep(self) -> list[Key]:
        """Entries a live reload keeps loaded: the selected one and the one at the top (when
        scrolled down)."""
        keys: list[Key] = []
        selected = self.current_key()
        if selected is not None:
            keys.append(selected)
        if self.view.verticalScrollBar().value() > 0:
            top, _ = self.view.scroll_anchor()
            if top.isValid():
                keys.extend(self.model.keys_in([top.row()]))
        return keys

    def schedule_reload(self, *_args: object) -> None:
        """The store changed (a poll finished, an entry was marked): reload shortly, once —
        or, while the window is hidden, when it is next shown."""
        if not self.isVisible():
            self._dirty = True
            return
        self._reload_timer.start()

    def _refresh(self) -> None:
        if not self.isVisible():
            self._dirty = True
        elif self._loader is None or not self._loaded_once:
            self.reload()
        else:
            self._loader.request(self._keep())

    def _show_loaded(self, loaded: Loaded) -> None:
        self._loaded_once = True
        self._keeping_view(lambda: self.model.apply(loaded))

    def _keeping_view(self, load: Callable[[], bool]) -> None:
        """Run ``load``; when the rows changed, select the same entry again and keep the row at
        the top where it was."""
        selected = self.current_key()
        top, offset = self.view.scroll_anchor()
        anchor = self.model.keys_in([top.row()]) if top.isValid() else []
        scroll = self.view.verticalScrollBar().value()
        if not load():
            return
        if selected is not None:
            self.view.select_row(self.model.row_of(selected))
        row = self.model.row_of(anchor[0]) if anchor else -1
        self.view.restore_scroll(row, offset, scroll)

    def set_entries(self, _entries: object = None) -> None:
        """The controller's list of recent entries arrived: the store changed."""
        self.schedule_reload()
