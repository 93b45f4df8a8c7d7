"""Reading the store into the key-points window: live reloads, older pages, letting go.

``StoreReader`` owns this state for ``KeyPointsWindow`` (gui/window/window.py). Store changes
reload the list shortly and once (on the controller's worker when there is one), keeping the
selection and the scroll position; while the window is hidden they only mark it stale, and after
``release_after_ms`` hidden the window lets go of its rows, row layout and decoded text until it
is shown again.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QWidget

from widget.gui.window.delegate import EntryDelegate
from widget.gui.window.favicons import Favicons
from widget.gui.window.loader import StoreLoader, Submit
from widget.gui.window.model import EntriesModel, RowSource
from widget.gui.window.parts import EntryListView
from widget.gui.window.rows import Key, Loaded

RELOAD_DELAY_MS = 150  # store changes arriving together cause one reload


class StoreReader(QObject):
    """When and how the window's rows are read from the store."""

    released = Signal()  # let go of its rows while hidden: a moment to hand memory back

    def __init__(
        self,
        window: QWidget,
        model: EntriesModel,
        view: EntryListView,
        delegate: EntryDelegate,
        favicons: Favicons,
        *,
        submit: Submit | None,
        stale: bool,
        on_reset: Callable[[], None],
    ) -> None:
        super().__init__(window)
        self._window = window
        self._model = model
        self._view = view
        self._delegate = delegate
        self._favicons = favicons
        self._on_reset = on_reset
        self._loader = StoreLoader(model, submit, self) if submit is not None else None
        self._dirty = stale  # the store changed while the window was hidden
        self._loaded_once = False
        self._reload_timer = QTimer(self)
        self._reload_timer.setSingleShot(True)
        self._reload_timer.setInterval(RELOAD_DELAY_MS)
        self._reload_timer.timeout.connect(self._refresh)
        self._release_timer = QTimer(self)
        self._release_timer.setSingleShot(True)
        self._release_timer.timeout.connect(self.release)
        if self._loader is not None:
            self._loader.loaded.connect(self._show_loaded)

    # --- what the window asks ---
    def set_store(self, store: RowSource | None) -> None:
        """Read from ``store`` from now on (now, when the window is shown)."""
        self.outdate()
        shown = self._window.isVisible()
        self._model.set_store(store, read=shown)
        self._loaded_once = shown
        self._dirty = not shown
        self._on_reset()

    def reload(self) -> None:
        """Read the store again now (on this thread), keeping the selection and the scroll
        position."""
        self._reload_timer.stop()
        self._dirty = False
        self.outdate()
        self._loaded_once = True
        keep = self._keep()
        self._keeping_view(lambda: self._model.reload(keep))

    def show_older(self) -> None:
        """Read the next page of older entries (the "Show older entries" row)."""
        self.outdate()
        keep = self._keep()
        self._keeping_view(lambda: self._model.fetch_older(keep))

    def schedule_reload(self, *_args: object) -> None:
        """The store changed (a poll finished, an entry was marked): reload shortly, once —
        or, while the window is hidden, when it is next shown."""
        if not self._window.isVisible():
            self._dirty = True
            return
        self._reload_timer.start()

    def outdate(self) -> None:
        """A read still running on the worker answers a question that is no longer asked."""
        if self._loader is not None:
            self._loader.outdate()

    def shown(self) -> None:
        self._release_timer.stop()
        if self._dirty:
            self._dirty = False
            self._refresh()

    def hidden(self, release_after_ms: int) -> None:
        self._release_timer.start(max(0, release_after_ms))

    def release(self) -> None:
        """While hidden: let go of the rows, the row layout and decoded text; the next show
        reads the store afresh."""
        self._release_timer.stop()
        window = self._window
        if window.isVisible():
            return
        self.outdate()
        self._reload_timer.stop()
        self._dirty = self._dirty or self._loaded_once
        self._loaded_once = False
        self._model.release()
        self._delegate.wrapped.clear()
        self._favicons.release()
        self._view.reset()
        if window.testAttribute(Qt.WidgetAttribute.WA_WState_Created):
            # the native window and its backing store (the window's size in pixels of shared
            # memory on X11) go too; the next show creates them again where the window was
            window.destroy()
        self.released.emit()

    # --- internals ---
    def _keep(self) -> list[Key]:
        """Entries a live reload keeps loaded: the selected one and the one at the top (when
        scrolled down)."""
        keys: list[Key] = []
        selected = self._view.current_key()
        if selected is not None:
            keys.append(selected)
        if self._view.verticalScrollBar().value() > 0:
            top, _ = self._view.scroll_anchor()
            if top.isValid():
                keys.extend(self._model.keys_in([top.row()]))
        return keys

    def _refresh(self) -> None:
        if not self._window.isVisible():
            self._dirty = True
        elif self._loader is None or not self._loaded_once:
            self.reload()
        else:
            self._loader.request(self._keep())

    def _show_loaded(self, loaded: Loaded) -> None:
        self._loaded_once = True
        self._keeping_view(lambda: self._model.apply(loaded))

    def _keeping_view(self, load: Callable[[], bool]) -> None:
        """Run ``load``; when the rows changed, select the same entry again and keep the row at
        the top where it was."""
        view, model = self._view, self._model
        selected = view.current_key()
        top, offset = view.scroll_anchor()
        anchor = model.keys_in([top.row()]) if top.isValid() else []
        scroll = view.verticalScrollBar().value()
        if not load():
            return
        if selected is not None:
            view.select_row(model.row_of(selected))
        row = model.row_of(anchor[0]) if anchor else -1
        view.restore_scroll(row, offset, scroll)
