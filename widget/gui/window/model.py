"""The key-points window's item model: stored entries grouped for display, read from the store.

The store is read through a read-only connection; writes such as "mark read" go through the
controller's worker. The model holds only the newest entries that match the filters (a page at
first, more with "Show older entries"); the store answers the filters and the search, so they
cover every entry. Rows are kept lean: one ``Rec`` per entry with the key points left as JSON text
until a row is painted. ``release`` lets go of every row while the window is hidden.

The display rows (entries, live-page groups, the divider, "Show older entries") are built by
``entry_rows``, which lists them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from PySide6.QtCore import QAbstractListModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from widget.core.clock import relative_time, utcnow
from widget.core.urls import safe_url
from widget.gui.window.rows import (
    PAGE_SIZE,
    Key,
    Loaded,
    PageSource,
    Rec,
    Row,
    RowKind,
    Show,
    ViewState,
    clear_caches,
    group_rows,
    parse_time,
    prepare_recs,
    read_page,
)
from widget.storage.schema import utc_text

AnyIndex = QModelIndex | QPersistentModelIndex
RowSource = PageSource  # what the model reads: ``Database.entry_page`` of a read-only Database


_USER = int(Qt.ItemDataRole.UserRole)
KIND_ROLE = _USER + 1
KEY_ROLE = _USER + 2
URL_ROLE = _USER + 3
SOURCE_ROLE = _USER + 4  # source id
SOURCE_NAME_ROLE = _USER + 5
POINTS_ROLE = _USER + 6  # tuple[str, ...]
READ_ROLE = _USER + 7
TIME_TEXT_ROLE = _USER + 8  # "3 min ago"
COUNT_ROLE = _USER + 9  # MORE: how many updates are folded away


class EntriesModel(QAbstractListModel):
    """Grouped, filtered rows over the store. Call ``reload`` when the store changed."""

    def __init__(
        self,
        store: RowSource | None = None,
        parent: QObject | None = None,
        *,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._clock = clock
        self.now = clock()
        self._recs: list[Rec] = []
        self._rows: list[Row] = []
        self._source_id: str | None = None
        self._show = Show.ALL
        self._needle = ""
        self._last_looked: str | None = None  # ISO UTC text, compared with first-seen text
        self._expanded: set[str] = set()
        self._limit = PAGE_SIZE  # matching entries read: grows with "Show older entries"
        self._stale = False  # read marks changed here: the next reload regroups
        self._active = False  # rows are loaded: a filter change reads the store again
        self._more = False  # older entries match too
        self._total = 0  # entries stored
        self._unread_elsewhere = 0  # unread entries stored but not held here
        self._newest: dict[str, str] = {}  # live page's source id → its newest sort time
        self._sources: tuple[tuple[str, str], ...] = ()
        self._shown_query: tuple[object, ...] | None = None  # the filters the rows answer

    # --- loading ---
    def set_store(self, store: RowSource | None, *, read: bool = True) -> None:
        """Read from ``store`` from now on; ``read``: now (else at the next ``reload``)."""
        self._store = store
        if read:
            self.reload()
        else:
            self.release()

    def reload(self, keep: Iterable[Key] = ()) -> bool:
        """Read the store again now; True when anything the window shows changed. Entries in
        ``keep`` (the selected one, the one at the top) stay loaded when newer ones arrive."""
        state = self.view_state()
        page = read_page(self._store, state, self.keep_since(keep))
        return self.apply(prepare_recs(page, self._recs, state))

    def keep_since(self, keys: Iterable[Key]) -> str | None:
        """The oldest sort time among the entries ``keys`` that are loaded now."""
        wanted = set(keys)
        times = [r.sort_text for r in self._recs if r.key in wanted]
        return min(times) if times else None

    @property
    def store(self) -> RowSource | None:
        return self._store

    def shown_recs(self) -> list[Rec]:
        """A copy of the entries behind the rows (newest first), for matching elsewhere."""
        return list(self._recs)

    def apply(self, loaded: Loaded) -> bool:
        """Show what the store answered; True when anything the window shows changed."""
        if loaded.query is not None and loaded.query != self.view_state().query:
            return False  # asked before the filters changed: a newer read follows
        stale, self._stale = self._stale, False
        self._active = True
        meta = (loaded.more, loaded.total, loaded.newest, loaded.sources)
        same_meta = meta == (self._more, self._total, self._newest, self._sources)
        self._limit = max(self._limit, loaded.limit)
        self._unread_elsewhere = loaded.unread - sum(1 for r in loaded.recs if not r.read)
        new_query, self._shown_query = loaded.query != self._shown_query, loaded.query
        if not loaded.changed and not stale and same_meta and not new_query:
            return False
        self._recs = loaded.recs
        self._more, self._total, self._newest, self._sources = meta
        grouped = loaded.grouped
        if grouped is not None and grouped.state == self.view_state():
            self._rebuild(grouped.rows)  # grouped on the worker for the filters still in place
        else:
            self._rebuild()
        return True

    def release(self) -> None:
        """Let go of every row (the window is hidden); the next ``reload`` reads afresh."""
        self._active = False
        self._limit = PAGE_SIZE
        self.beginResetModel()
        self._rows = []
        self._recs = []
        self.endResetModel()
        self._newest = {}
        self._more = False
        self._stale = False
        self._shown_query = None
        clear_caches()

    @property
    def holding(self) -> int:
        """How many entries are held now."""
        return len(self._recs)

    def fetch_older(self, keep: Iterable[Key] = ()) -> bool:
        """Read the next page of older entries too."""
        if not self._more:
            return False
        self._limit = max(self._limit, self._matched()) + PAGE_SIZE
        return self.reload(keep)

    def _matched(self) -> int:
        return len(self._recs)

    @property
    def more(self) -> bool:
        """Older entries match the filters too ("Show older entries")."""
        return self._more

    # --- filters (answered by the store) ---
    def _refilter(self) -> None:
        self._limit = PAGE_SIZE
        if self._active:
            self.reload()

    def set_source_filter(self, source_id: str | None) -> None:
        if source_id != self._source_id:
            self._source_id = source_id
            self._refilter()

    def set_show(self, show: Show) -> None:
        if show is not self._show:
            self._show = show
            self._refilter()

    def set_search(self, text: str) -> None:
        needle = " ".join(text.split()).casefold()
        if needle != self._needle:
            self._needle = needle
            self._refilter()

    def set_last_looked(self, when: datetime | None) -> None:
        text = None if when is None else utc_text(when)
        if text != self._last_looked:
            self._last_looked = text
            self._rebuild()

    def toggle_expanded(self, source_id: str) -> None:
        self._expanded ^= {source_id}
        self._rebuild()

    @property
    def total_count(self) -> int:
        """Entries stored (when last read), loaded or not."""
        return self._total

    @property
    def unread_count(self) -> int:
        """Unread entries stored, with the marks made here."""
        return self._unread_elsewhere + sum(1 for r in self._recs if not r.read)

    def shown_when(self, kind: RowKind, rec: Rec) -> datetime:
        """The time a row shows: a live page shows when it last changed (its newest update),
        not when it began."""
        if kind is RowKind.PAGE:
            newest = self._newest.get(rec.source_id)
            return rec.when if newest is None else max(rec.when, parse_time(newest))
        return rec.when

    def tick(self) -> None:
        """Move "now" forward; relative times of every row are repainted."""
        self.now = self._clock()
        if self._rows:
            self.dataChanged.emit(self.index(0), self.index(len(self._rows) - 1), [TIME_TEXT_ROLE])

    # --- read state (optimistic: the store follows through the controller) ---
    def set_read(self, keys: Iterable[Key], read: bool) -> list[Key]:
        """Mark entries read/unread here; returns the keys that changed. Rows stay where they
        are (even under "Show: unread") until the next reload, so nothing jumps under the mouse."""
        wanted = set(keys)
        changed: list[Key] = []
        for rec in self._recs:
            if rec.key in wanted and rec.read != read:
                rec.read = read
                changed.append(rec.key)
        if changed:
            self._stale = True
            hit = set(changed)
            for i, (_, row_rec, _) in enumerate(self._rows):
                if row_rec is not None and row_rec.key in hit:
                    ix = self.index(i)
                    self.dataChanged.emit(ix, ix, [READ_ROLE])
        return changed

    def unread_keys(self) -> list[Key]:
        """Unread entries held here."""
        return [r.key for r in self._recs if not r.read]

    def mark_all_read(self) -> list[Key]:
        """Every entry read, held here or not (the store follows)."""
        self._unread_elsewhere = 0
        return self.set_read(self.unread_keys(), True)

    # --- grouping ---
    def _rebuild(self, rows: list[Row] | None = None) -> None:
        self.beginResetModel()
        self._rows = self._group() if rows is None else rows
        self.endResetModel()

    def view_state(self) -> ViewState:
        """The filters and folds that the rows depend on, besides the entries."""
        return ViewState(
            self._source_id,
            self._show,
            self._needle,
            frozenset(self._expanded),
            self._last_looked,
            self._limit,
        )

    def _group(self) -> list[Row]:
        return group_rows(self._recs, self.view_state(), self._more)

    # --- Qt model interface ---
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def row_at(self, row: int) -> Row:
        return self._rows[row]

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid() or self._rows[index.row()][0] is RowKind.DIVIDER:
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        kind, rec, count = self._rows[index.row()]
        if role == KIND_ROLE:
            return kind
        if kind is RowKind.OLDER:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return "Show older entries"
            return None
        if rec is None:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
                return "New since you last looked"
            return None
        if kind is RowKind.MORE:
            return self._more_data(rec, count, role)
        if role == Qt.ItemDataRole.DisplayRole:
            return rec.title
        if role == KEY_ROLE:
            return rec.key
        if role == URL_ROLE:
            return rec.url
        if role == SOURCE_ROLE:
            return rec.source_id
        if role == SOURCE_NAME_ROLE:
            return rec.source_name
        if role == POINTS_ROLE:
            return rec.points
        if role == READ_ROLE:
            return rec.read
        if role == TIME_TEXT_ROLE:
            return relative_time(self.shown_when(kind, rec), self.now)
        if role == Qt.ItemDataRole.ToolTipRole:
            return safe_url(rec.url) or "This entry has no web link"
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self.spoken(rec, kind)
        return None

    def _more_data(self, page: Rec, count: int, role: int) -> Any:
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if count == 0:
                return "Show fewer updates"
            return f"Show {count} earlier update{'s' if count != 1 else ''}"
        if role == SOURCE_ROLE:
            return page.source_id
        if role == COUNT_ROLE:
            return count
        return None

    def spoken(self, rec: Rec, kind: RowKind) -> str:
        state = "" if rec.read else "Unread. "
        what = "Live page" if kind is RowKind.PAGE else "Update" if kind is RowKind.UPDATE else ""
        head = f"{state}{what + ': ' if what else ''}{rec.title}. {rec.source_name}, "
        head += relative_time(self.shown_when(kind, rec), self.now) + "."
        if rec.points:
            head += " Key points: " + " ".join(p.rstrip(".") + "." for p in rec.points)
        return head

    # --- lookups for the view ---
    def row_of(self, key: Key) -> int:
        for i, (kind, rec, _) in enumerate(self._rows):
            if rec is not None and kind is not RowKind.MORE and rec.key == key:
                return i
        return -1

    def keys_in(self, rows: Iterable[int]) -> list[Key]:
        out: list[Key] = []
        for i in rows:
            kind, rec, _ = self._rows[i]
            if rec is not None and kind is not RowKind.MORE:
                out.append(rec.key)
        return out

    def sources(self) -> list[tuple[str, str]]:
        """(source id, name) of the sources with stored entries, by name."""
        names = dict(self._sources)
        names.update((r.source_id, r.source_name) for r in self._recs)
        return sorted(names.items(), key=lambda kv: kv[1].casefold())


__all__ = [
    "COUNT_ROLE",
    "KEY_ROLE",
    "KIND_ROLE",
    "POINTS_ROLE",
    "READ_ROLE",
    "SOURCE_NAME_ROLE",
    "SOURCE_ROLE",
    "TIME_TEXT_ROLE",
    "URL_ROLE",
    "EntriesModel",
    "Key",
    "Loaded",
    "Rec",
    "RowKind",
    "RowSource",
    "Show",
]
