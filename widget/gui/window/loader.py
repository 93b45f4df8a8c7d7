"""Reading the store for the key-points window off the GUI thread.

After a poll the window reads its page of entries again. The loader runs that read on the
controller's worker (after the store writes queued before it) and hands the GUI thread a
``Loaded`` list, already grouped for the filters in place; the GUI thread only resets the model
(or regroups, when the folds changed meanwhile). Only the latest request's result is shown: a
newer request, a synchronous reload (a filter changed) or a read mark made meanwhile outdates
earlier ones.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from PySide6.QtCore import QObject, Signal

from widget.gui.window.model import EntriesModel
from widget.gui.window.rows import Key, Loaded, grouped, prepare_recs, read_page

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

    def request(self, keep: Iterable[Key] = ()) -> None:
        """Read the store on the worker; ``loaded`` follows on the GUI thread. Entries in
        ``keep`` stay loaded when newer ones arrive."""
        self._generation += 1
        generation, store = self._generation, self._model.store
        shown = self._model.shown_recs()  # a snapshot: the worker never reads the live list
        state = self._model.view_state()
        keep_since = self._model.keep_since(keep)

        def job() -> None:
            page = read_page(store, state, keep_since)
            self._done.emit((generation, grouped(prepare_recs(page, shown, state), state)))

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
        self.loaded.emit(loaded)
