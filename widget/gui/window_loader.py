"""Reading the store for the key-points window off the GUI thread.

A poll that stores thousands of entries would otherwise stall the GUI thread while the window
reads every row (and, while a search is typed, builds search text). The loader runs that work on
the controller's worker (after the store writes queued before it) and hands the GUI thread a
``Loaded`` list, already grouped for the filters in place; the GUI thread only resets the
model (or regroups, when the filters changed meanwhile). Only the latest request's result is shown:
a newer request, a synchronous reload or a read mark made meanwhile outdates earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from widget.gui.entries_model import EntriesModel
from widget.gui.entry_rows import Loaded, grouped, prepare_recs
from widget.gui.signals import emit

Submit = Callable[[str, Callable[[], None]], None]  # (what, job): run ``job`` on the worker


class StoreLoader(QObject):
    loaded = Signal(object)  # Loaded, on the GUI thread: the latest request's result
    _done = Signal(object)  # (generation, Loaded), emitted on the worker

    def __init__(self, model: EntriesModel, submit: Submit, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self._submit = submit
        self._generation = 0
        self.pending = False  # a request is on its way
        self._done.connect(self._finish)

    def request(self) -> None:
        """Read the store on the worker; ``loaded`` follows on the GUI thread."""
        self._generation += 1
        generation, store = self._generation, self._model.store
        shown = self._model.shown_recs()  # a snapshot: the worker never reads the live list
        state = self._model.view_state()

        def job() -> None:
            rows = store.entry_rows() if store is not None else []
            loaded = prepare_recs(rows, shown, search_text=bool(state.needle))
            emit(self._done, (generation, grouped(loaded, state)))

        self.pending = True
        self._submit("loading the key points", job)

    def outdate(self) -> None:
        """What is on its way is no longer current (the window reloaded itself, or changed
        read marks that the store has not taken yet): drop it when it arrives."""
        self._generation += 1
        self.pending = False

    def _finish(self, payload: tuple[int, Loaded]) -> None:
        generation, loaded = payload
        if generation != self._generation:
            return
        self.pending = False
        emit(self.loaded, loaded)
