"""The key-points window costs nothing while hidden and keeps its promises while shown: once hidden
it lets go of its rows and reads nothing on poll results; shown again it reads the fresh entries
with their read marks; a live reload keeps the selection and the row at the top even deep in the
list; older entries are a "Show older entries" away."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, SKY, fill
from tests.support.store import add_items
from widget.core.models import Item, Source
from widget.gui.window.model import KIND_ROLE, READ_ROLE
from widget.gui.window.reloader import RELOAD_DELAY_MS
from widget.gui.window.rows import PAGE_SIZE, RowKind
from widget.gui.window.window import KeyPointsWindow
from widget.storage.db import Database
from widget.storage.search import EntryPage


class ReadCounter:
    """The window's read-only store, counting its reads."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.reads = 0
        self.threads: list[str] = []

    def entry_page(self, **query: Any) -> EntryPage:
        self.reads += 1
        self.threads.append(threading.current_thread().name)
        return self.db.entry_page(**query)


def clock() -> Any:
    return NOW + timedelta(minutes=1)


def news(source: Source, prefix: str, count: int, *, hours_ago: int = 0) -> list[Item]:
    """``count`` entries, the last one the newest, ``hours_ago`` before NOW (or after it)."""
    return [
        Item(
            f"{prefix}-{n}",
            f"{prefix.title()} report {n}",
            f"https://example.test/{prefix}/{n}",
            published=NOW - timedelta(hours=hours_ago) + timedelta(seconds=n),
            key_points=(f"Detail of {prefix} report {n}",),
        )
        for n in range(count)
    ]


def store(db: Database, source: Source, items: list[Item]) -> None:
    add_items(db, source, items, now=NOW)


@pytest.fixture
def dbs(tmp_path: Path) -> Iterator[tuple[Database, Database]]:
    path = tmp_path / "entries.sqlite3"
    writer = Database.open(path)
    fill(writer)
    reader = Database.open(path, readonly=True)
    yield writer, reader
    reader.close()
    writer.close()


def window_over(qtbot: QtBot, source: Any, tmp_path: Path) -> KeyPointsWindow:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = KeyPointsWindow(source, settings=settings, clock=clock)
    qtbot.addWidget(window)
    window.RELEASE_AFTER_MS = 0  # let go of the rows at once when hidden
    window.show()
    qtbot.waitExposed(window)
    return window


def titles(window: KeyPointsWindow) -> list[str]:
    model = window.model
    return [str(model.index(r).data()) for r in range(model.rowCount())]


def test_a_hidden_window_holds_no_rows_and_reads_nothing_on_poll_results(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    writer, reader = dbs
    counter = ReadCounter(reader)
    window = window_over(qtbot, counter, tmp_path)
    assert window.model.rowCount() == 9
    with qtbot.waitSignal(window.released):  # the app hands memory back then
        window.hide()
    assert window.model.rowCount() == 0
    assert window.model.holding == 0
    reads = counter.reads
    store(writer, HARBOUR, news(HARBOUR, "quay", 3))
    writer.set_read(SKY.id, "sky-1")
    window.schedule_reload()  # a poll finished
    window.schedule_reload()  # a read mark reached the store
    qtbot.wait(RELOAD_DELAY_MS * 3)
    assert counter.reads == reads and window.model.rowCount() == 0

    window.show()  # reads the fresh entries, with their read marks, before the first paint
    assert counter.reads == reads + 1
    assert titles(window)[:3] == ["Quay report 2", "Quay report 1", "Quay report 0"]
    row = window.model.row_of((SKY.id, "sky-1"))
    assert window.model.index(row).data(READ_ROLE) is True
    assert window.model.total_count == 9 + 3


def test_a_released_window_comes_back_where_it_was_with_its_filters(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    _writer, reader = dbs
    window = window_over(qtbot, reader, tmp_path)
    window.resize(430, 600)
    window.move(120, 90)
    qtbot.wait(50)
    where = window.geometry()
    window.search.setText("harbour")
    shown = titles(window)
    window.hide()
    # the native window (and its backing store) is let go with the rows
    created = Qt.WidgetAttribute.WA_WState_Created
    qtbot.waitUntil(lambda: not window.testAttribute(created))
    window.show_and_raise()
    qtbot.waitExposed(window)
    assert window.isVisible() and window.windowHandle() is not None
    assert window.geometry() == where
    assert window.search.text() == "harbour" and titles(window) == shown
    image = window.grab().toImage()  # it paints again: not a blank surface
    assert (
        image.width() >= where.width() and len({image.pixel(x, 40) for x in range(0, 200, 7)}) > 1
    )


def test_a_quick_toggle_keeps_the_rows(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    _writer, reader = dbs
    counter = ReadCounter(reader)
    window = window_over(qtbot, counter, tmp_path)
    window.RELEASE_AFTER_MS = 60_000
    reads = counter.reads
    window.toggle()
    assert not window.isVisible() and window.model.rowCount() == 9
    window.toggle()
    assert window.isVisible() and window.model.rowCount() == 9
    assert counter.reads == reads  # nothing changed meanwhile: nothing read


def test_older_entries_are_reachable_from_the_last_row(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    writer, reader = dbs
    store(writer, HARBOUR, news(HARBOUR, "dock", PAGE_SIZE + 50, hours_ago=1))
    window = window_over(qtbot, reader, tmp_path)
    model = window.model
    last = model.rowCount() - 1
    assert model.index(last).data(KIND_ROLE) is RowKind.OLDER
    assert titles(window)[last] == "Show older entries"
    assert "Fish market extends its Saturday hours" not in titles(window)  # the oldest
    area = window.view.viewport().rect()

    def last_row_on_screen() -> bool:
        window.view.scrollTo(model.index(last))  # once the batched layout has placed it
        return area.contains(window.view.visualRect(model.index(last)).center())

    qtbot.waitUntil(last_row_on_screen)
    rect = window.view.visualRect(model.index(last))
    qtbot.mouseClick(window.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert "Fish market extends its Saturday hours" in titles(window)
    assert model.index(model.rowCount() - 1).data(KIND_ROLE) is not RowKind.OLDER
    assert model.holding == PAGE_SIZE + 50 + 9


def test_a_live_reload_deep_in_the_list_keeps_the_selection_and_the_row_on_top(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    writer, reader = dbs
    store(writer, HARBOUR, news(HARBOUR, "dock", PAGE_SIZE + 50, hours_ago=1))
    window = window_over(qtbot, reader, tmp_path)
    window.resize(420, 400)
    window.show_older()  # the second page: the selection sits below the first one
    key = (HARBOUR.id, "dock-20")  # newest first: more than a page above it
    assert window.select_key(key)
    window.view.scrollTo(window.view.currentIndex())
    qtbot.wait(10)
    top_before = window.view.indexAt(QPoint(4, 2)).data()
    store(writer, SKY, news(SKY, "gale", 250))  # newer than everything shown
    window.schedule_reload()
    qtbot.waitUntil(lambda: window.model.row_of((SKY.id, "gale-249")) >= 0)
    assert window.current_key() == key
    assert window.view.indexAt(QPoint(4, 2)).data() == top_before


def test_the_search_box_clear_button_appears_with_text_and_clears_it(
    qtbot: QtBot, dbs: tuple[Database, Database], tmp_path: Path
) -> None:
    _writer, reader = dbs
    window = window_over(qtbot, reader, tmp_path)
    everything = titles(window)
    clear = window.bar.clear_action
    button = next(w for w in clear.associatedObjects() if w is not window.search)
    assert isinstance(button, QWidget)
    assert not button.isVisible()  # nothing to clear: no "×" on screen
    qtbot.keyClicks(window.search, "harbour")
    qtbot.waitUntil(lambda: titles(window) != everything)
    assert button.isVisible() and clear.toolTip() == "Clear search"
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)  # as a user clicks the "×"
    assert window.search.text() == ""
    qtbot.waitUntil(lambda: not button.isVisible())
    qtbot.waitUntil(lambda: titles(window) == everything)
