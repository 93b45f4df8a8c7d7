"""The key-points window stays lean over a big store without changing what it can show: it holds
the newest page of matching entries (older ones a "Show older entries" away), the store answers
the search over every entry, key points stay in their stored form until painted, and measured
heights follow an entry's edits."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont
from pytestqt.qtbot import QtBot

from tests.gui.window_data import HARBOUR, NOW, SKY
from tests.support.store import add_items
from widget.core.models import Item, Source
from widget.gui.window.delegate import EntryDelegate
from widget.gui.window.model import KIND_ROLE, POINTS_ROLE, EntriesModel
from widget.gui.window.rows import PAGE_SIZE, RowKind
from widget.gui.window.window import KeyPointsWindow
from widget.storage.db import Database

COUNT = 600  # entries per source: together six pages


def store(db: Database, source: Source, items: list[Item]) -> None:
    add_items(db, source, items, now=NOW)


def numbered(source: Source, topic: str) -> list[Item]:
    return [
        Item(
            f"{source.id}-{n}",
            f"Report {n} on the {topic}",
            f"https://example.test/{source.id}/{n}",
            published=NOW - timedelta(minutes=2 * n + (source is SKY)),
            key_points=(f"Crews checked the {topic} again", f"Next check in {n % 7} days"),
        )
        for n in range(COUNT)
    ]


@pytest.fixture
def big(tmp_path: Path) -> Iterator[Database]:
    """A read-only store of two sources, COUNT entries each, their times interleaved."""
    path = tmp_path / "entries.sqlite3"
    with Database.open(path) as db:
        store(db, HARBOUR, numbered(HARBOUR, "harbour wall"))
        store(db, SKY, numbered(SKY, "storm drains"))
    reader = Database.open(path, readonly=True)
    yield reader
    reader.close()


def titles(model: EntriesModel) -> list[str]:
    return [
        str(model.index(r).data())
        for r in range(model.rowCount())
        if model.index(r).data(KIND_ROLE) is not RowKind.OLDER
    ]


def has_older_row(model: EntriesModel) -> bool:
    last = model.rowCount() - 1
    return last >= 0 and model.index(last).data(KIND_ROLE) is RowKind.OLDER


def test_a_search_shows_the_newest_matches_first_and_reaches_every_match(
    qtbot: QtBot, big: Database
) -> None:
    model = EntriesModel(big, clock=lambda: NOW)
    model.reload()
    expected = [f"Report {n} on the storm drains" for n in range(COUNT)]
    model.set_search("STORM  drains")
    assert titles(model) == expected[:PAGE_SIZE]  # the newest matches, in order
    assert has_older_row(model)
    while model.fetch_older():
        pass
    assert titles(model) == expected
    assert not has_older_row(model)
    model.set_search("next check in 6 days")
    assert titles(model)[:2] == ["Report 6 on the harbour wall", "Report 6 on the storm drains"]


def test_the_model_holds_a_page_and_a_search_finds_an_entry_it_does_not_hold(
    qtbot: QtBot, big: Database
) -> None:
    model = EntriesModel(big, clock=lambda: NOW)
    model.reload()
    assert model.holding == PAGE_SIZE and model.total_count == 2 * COUNT
    oldest = f"Report {COUNT - 1} on the harbour wall"
    assert oldest not in titles(model)
    model.set_search(f"report {COUNT - 1} ON THE harbour")
    assert titles(model) == [oldest]
    model.set_search("")
    assert model.holding == PAGE_SIZE and has_older_row(model)


def test_key_points_and_row_height_follow_an_edit(qtbot: QtBot, tmp_path: Path) -> None:
    path = tmp_path / "entries.sqlite3"
    first = Item("h1", "Harbour wall repairs", "https://example.test/h1", published=NOW)
    with Database.open(path) as db:
        store(db, HARBOUR, [replace_points(first, ("Work starts Monday",))])
        with Database.open(path, readonly=True) as reader:
            model = EntriesModel(reader, clock=lambda: NOW)
            model.reload()
            delegate = EntryDelegate()
            font = QFont()
            short = delegate.height_for(font, model.index(0), 400)
            assert delegate.height_for(font, model.index(0), 400) == short
            edited = ("Work starts Tuesday", "The quay stays open", "Boats moor at the pier")
            store(db, HARBOUR, [replace_points(first, edited)])
            model.reload()
            assert model.index(0).data(POINTS_ROLE) == edited
            assert delegate.height_for(font, model.index(0), 400) > short
            assert delegate.height_for(font, model.index(0), 120) > delegate.height_for(
                font, model.index(0), 400
            )


def replace_points(item: Item, points: tuple[str, ...]) -> Item:
    return Item(item.id, item.title, item.url, published=item.published, key_points=points)


def test_typing_in_the_window_finds_every_match_over_a_big_store(
    qtbot: QtBot, big: Database, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "window.ini"), QSettings.Format.IniFormat)
    window = KeyPointsWindow(big, settings=settings, clock=lambda: NOW)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.model.rowCount() == PAGE_SIZE + 1)
    qtbot.keyClicks(window.search, "harbour wall")
    assert titles(window.model)[-1] == f"Report {PAGE_SIZE - 1} on the harbour wall"
    window.view.setFocus()
    while has_older_row(window.model):  # "Show older entries", chosen with the keyboard
        window.view.setCurrentIndex(window.model.index(window.model.rowCount() - 1))
        qtbot.keyClick(window.view, Qt.Key.Key_Return)
    assert len(titles(window.model)) == COUNT
    assert titles(window.model)[-1] == f"Report {COUNT - 1} on the harbour wall"
    window.search.clear()
    assert window.model.holding == PAGE_SIZE and has_older_row(window.model)
